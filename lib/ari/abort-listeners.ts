/**
 * One abort listener per AbortSignal for all the adapter's operations that
 * wait under it, instead of one per request (issue 14: adding and removing
 * an EventTarget listener for every request cost more than the request's
 * own bookkeeping). A call's steps pass the call's signal to every request
 * and every playback; the first operation under a signal adds the one
 * listener, later ones join its set, and an operation that ends leaves the
 * set (a Set delete, no EventTarget work). When the signal aborts, every
 * operation still in the set is told, in the order they joined.
 *
 * The set lives as long as its signal (a WeakMap keyed by the signal), so
 * a signal that never aborts leaves nothing behind once it is unreachable.
 */

/** An operation an abort cancels. */
export interface AbortTarget {
  /** The signal aborted; the operation has already left the set. */
  aborted(signal: AbortSignal): void;
}

const targets = new WeakMap<AbortSignal, Set<AbortTarget>>();

/** Tells `target` when `signal` aborts (the signal must not have aborted yet). */
export function watchAbort(signal: AbortSignal, target: AbortTarget): void {
  let set = targets.get(signal);
  if (!set) {
    const members = new Set<AbortTarget>();
    set = members;
    targets.set(signal, members);
    signal.addEventListener(
      'abort',
      () => {
        targets.delete(signal);
        // A member that ends another member's operation removes it first; it is then not told.
        for (const t of members) {
          members.delete(t);
          t.aborted(signal);
        }
      },
      { once: true },
    );
  }
  set.add(target);
}

/** `target` ended: its signal's abort no longer concerns it. */
export function unwatchAbort(signal: AbortSignal, target: AbortTarget): void {
  targets.get(signal)?.delete(target);
}

/** How many operations wait under `signal` (for checks that none is left behind). */
export function watchingAbort(signal: AbortSignal): number {
  return targets.get(signal)?.size ?? 0;
}
