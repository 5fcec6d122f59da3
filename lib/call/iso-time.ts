/**
 * ISO 8601 times for msg.call and the call-end report, made cheaply: a call
 * step or a report makes several, and `new Date(ms).toISOString()` costs
 * about 180 bytes of garbage each (the Date and the formatting's
 * temporaries). The part up to the second is kept for the last seconds seen
 * (calls in progress share them), so a time costs the joining of that part
 * with its milliseconds: one small string, the same text.
 */

/** The largest distance from the epoch a Date holds, in ms (ECMA-262, "Time Values and Time Range"). */
const MAX_TIME = 8.64e15;
/** Seconds whose text is kept, by second modulo this. */
const SLOTS = 64;
const seconds = new Float64Array(SLOTS).fill(Number.NaN);
const prefixes: string[] = new Array<string>(SLOTS).fill('');
/** "000Z" to "999Z", made on first use. */
let millis: string[] | undefined;

/** `new Date(ms).toISOString()`, for any time a Date can hold; throws a RangeError for others, as it does. */
export function isoTime(ms: number): string {
  if (!Number.isInteger(ms) || Math.abs(ms) > MAX_TIME) return new Date(ms).toISOString();
  const second = Math.floor(ms / 1000);
  const slot = ((second % SLOTS) + SLOTS) % SLOTS;
  if (seconds[slot] !== second) {
    const text = new Date(second * 1000).toISOString();
    // "...T09:00:02." without "000Z" (a year past 9999 has six digits and a sign: the end is the same).
    prefixes[slot] = text.slice(0, -4);
    seconds[slot] = second;
  }
  millis ??= Array.from({ length: 1000 }, (_, i) => `${String(i).padStart(3, '0')}Z`);
  return (prefixes[slot] as string) + (millis[ms - second * 1000] as string);
}
