/**
 * Dates as users enter them, checked as real calendar dates: 2024-02-29
 * exists, 2023-02-29 and 2024-02-30 do not (JavaScript's Date would read
 * them as March 1 without a word). The patterns go into the JSON schemas,
 * so the editor's form, the deploy check, a template import and a stored
 * document refuse the same dates with the same message; they are anchored
 * alternations of fixed-length parts, linear on any input.
 */

/** Month and day of a non-leap year. */
const MONTH_DAY = '(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))';
/** Gregorian leap years: divisible by 4 but not by 100 (the last two digits), or by 400 (the first two, then 00). */
const LEAP_YEAR = '(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)';
/** A date YYYY-MM-DD that exists in the Gregorian calendar (years 0000 to 9999), unanchored. */
export const CALENDAR_DATE = `(?:[0-9]{4}-${MONTH_DAY}|${LEAP_YEAR}-02-29)`;

/** A JSON schema pattern: a date that exists, YYYY-MM-DD. */
export const DATE_PATTERN = `^${CALENDAR_DATE}$`;
export const DATE_DESCRIPTION = 'a date that exists, YYYY-MM-DD (February 29 only in leap years)';

/** A JSON schema pattern: a local date and time YYYY-MM-DDTHH:MM whose date exists, or empty. */
export const LOCAL_TIME_PATTERN = `^$|^${CALENDAR_DATE}T(?:[01][0-9]|2[0-3]):[0-5][0-9]$`;
export const LOCAL_TIME_DESCRIPTION = 'a local date and time, YYYY-MM-DDTHH:MM, on a date that exists, or empty';

const DATE_RE = new RegExp(DATE_PATTERN);

/** Whether `text` is a date YYYY-MM-DD that exists. */
export function isCalendarDate(text: string): boolean {
  return DATE_RE.test(text);
}

/**
 * ISO 8601 text as Date.parse reads it, but only the forms it reads
 * exactly: YYYY-MM-DD (UTC midnight) or YYYY-MM-DDTHH:MM[:SS[.sss]] with an
 * optional Z or +HH:MM (without one, local time), on a date that exists
 * and a time of day from 00:00 to 23:59:59.999 (24:00 too, the next
 * midnight). Anything else is undefined.
 */
const INSTANT_RE = new RegExp(`^${CALENDAR_DATE}(?:T(?:(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\\.[0-9]{1,3})?)?|24:00(?::00(?:\\.0{1,3})?)?)(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?)?$`);

export function parseInstant(text: string): number | undefined {
  if (!INSTANT_RE.test(text)) return undefined;
  const t = Date.parse(text);
  return Number.isFinite(t) ? t : undefined;
}
