/**
 * Which version a new call of a flow runs: a caller on the gray list always
 * gets the gray version; the other calls get it with the gray share's
 * probability, else the official version. A call keeps the version it got
 * until it ends (the version's tab handles it from the entry on).
 */
import type { GraySettings } from '../schemas/releases';

/** Caller numbers and prefixes as an entry form holds them ("+4930*, 5551234"), as a list. */
export function parseCallers(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Whether a caller number is on a list of numbers and prefixes (ending in *). A leading + is not significant. */
export function callerListed(caller: string, list: readonly string[]): boolean {
  const number = caller.replace(/^\+/, '');
  if (!number) return false;
  return list.some((entry) => {
    const e = entry.replace(/^\+/, '');
    return e.endsWith('*') ? number.startsWith(e.slice(0, -1)) : number === e;
  });
}

/** Whether a new call goes to the gray version. `random` returns [0, 1). */
export function takesGray(caller: string, gray: GraySettings, random: () => number): boolean {
  if (callerListed(caller, gray.callers)) return true;
  return gray.share > 0 && random() * 100 < gray.share;
}
