/**
 * One abort listener per AbortSignal for all the adapter's operations that
 * wait under it, instead of one per request (issue 14: adding and removing
 * an EventTarget listener for every request cost more than the request's
 * own bookkeeping). A call's steps pass their signal to every request and
 * every playback; the first operation under a signal adds the one listener,
 * later ones join it, and an operation that ends leaves (no EventTarget
 * work). When the signal aborts, every operation still waiting is told, in
 * the order they joined.
 *
 * What a signal keeps is small, as it lives as long as the step that made
 * it: the listener is one function for every signal, and the operations
 * waiting are held in a WeakMap entry (one, or an array when several wait
 * at once), so a signal that never aborts leaves nothing behind once it is
 * unreachable.
 */

/** An operation an abort cancels. */
export interface AbortTarget {
  /** The signal aborted; the operation has already left. */
  aborted(signal: AbortSignal): void;
}

/** The operations waiting under each signal that has the listener: none (null), one, or several. */
const waiting = new WeakMap<AbortSignal, AbortTarget | AbortTarget[] | null>();
const ONCE = { once: true } as const;

function onAbort(event: Event): void {
  const signal = event.target as AbortSignal;
  const members = waiting.get(signal);
  if (!members) {
    waiting.delete(signal);
    return;
  }
  if (!Array.isArray(members)) {
    waiting.delete(signal);
    members.aborted(signal);
    return;
  }
  // A member that ends another member's operation makes it leave first; it is then not told.
  for (const t of [...members]) {
    const i = members.indexOf(t);
    if (i < 0) continue;
    members.splice(i, 1);
    t.aborted(signal);
  }
  waiting.delete(signal);
}

/** Tells `target` when `signal` aborts (the signal must not have aborted yet). */
export function watchAbort(signal: AbortSignal, target: AbortTarget): void {
  if (!waiting.has(signal)) {
    waiting.set(signal, target);
    signal.addEventListener('abort', onAbort, ONCE);
    return;
  }
  const members = waiting.get(signal);
  if (!members) waiting.set(signal, target);
  else if (Array.isArray(members)) members.push(target);
  else waiting.set(signal, [members, target]);
}

/** `target` ended: its signal's abort no longer concerns it. */
export function unwatchAbort(signal: AbortSignal, target: AbortTarget): void {
  const members = waiting.get(signal);
  if (members === target) waiting.set(signal, null);
  else if (Array.isArray(members)) {
    const i = members.indexOf(target);
    if (i >= 0) members.splice(i, 1);
  }
}

/** How many operations wait under `signal` (for checks that none is left behind). */
export function watchingAbort(signal: AbortSignal): number {
  const members = waiting.get(signal);
  return !members ? 0 : Array.isArray(members) ? members.length : 1;
}
