/**
 * The steps of a call's trace (msg.call.trace, the call-end report) and the
 * exact-length lists the session keeps them and its keys' times in.
 */
import type { TraceEntry } from './handle';
import { isoTime } from './iso-time';

/**
 * One element a call passed. msg.call.trace and the call-end report show it
 * as a TraceEntry (ISO time); the step keeps the entry msg.call shows and
 * reads its node, element and time from it, rather than keeping them twice
 * (and its time as a boxed number): 40 bytes less per step (issue 14).
 */
export class TraceStep {
  /** How the element ended for this call; the element sets it. */
  outcome: string | undefined = undefined;
  /** What msg.call.trace shows of this step: made with it, again only when the outcome changed since. */
  #shown: TraceEntry;

  constructor(node: string, element: string, at: number) {
    this.#shown = Object.freeze({ node, element, at: isoTime(at) });
  }

  /** Node id. */
  get node(): string {
    return this.#shown.node;
  }

  /** Element type, e.g. "play". */
  get element(): string {
    return this.#shown.element;
  }

  /** When the element started on this call, ms since the epoch. */
  get at(): number {
    return Date.parse(this.#shown.at);
  }

  /** A new copy, for the call-end report (which may be stored and changed by the flow). */
  entry(): TraceEntry {
    // The time's text is the one msg.call shows (a string: shared, not copied).
    // One literal each way: an outcome added afterwards would go to a property array of its own (40 bytes per entry).
    const s = this.#shown;
    const outcome = this.outcome;
    return outcome === undefined ? { node: s.node, element: s.element, at: s.at } : { node: s.node, element: s.element, at: s.at, outcome };
  }

  /**
   * The step as msg.call.trace shows it. Every msg of the call shares the
   * entries of the steps it has passed (frozen: a flow cannot change one
   * msg's trace through another's), so a step costs one entry and one ISO
   * time, not one per later element.
   */
  shown(): TraceEntry {
    const s = this.#shown;
    if (s.outcome === this.outcome) return s;
    this.#shown = Object.freeze(this.entry());
    return this.#shown;
  }
}


/** No step, no key yet: shared, as appended() never changes the array it is given. */
export const NO_STEPS: TraceStep[] = Object.freeze([]) as unknown as TraceStep[];
export const NO_TIMES: number[] = Object.freeze([]) as unknown as number[];

/**
 * A new array: `list` without its first `drop` items, then `item`, exactly
 * as long as that. A call keeps its trace and its keys' times for as long as
 * it lasts, and an array grown by push() keeps room for 17 items from the
 * first (152 bytes, for 4 or 5 steps: issue 14); copying a list of at most a
 * few hundred items when a step starts or a key comes costs less than that.
 */
export function appended<T>(list: readonly T[], item: T, drop: number): T[] {
  const length = list.length - drop;
  const out = new Array<T>(length + 1);
  for (let i = 0; i < length; i++) out[i] = list[i + drop] as T;
  out[length] = item;
  return out;
}

/**
 * The same for the keys' times, an array of its own making: V8 tracks what
 * an allocation site's arrays hold, and arrays made where objects were stored
 * keep numbers boxed (16 bytes each) instead of unboxed doubles.
 */
export function appendedTime(list: readonly number[], at: number, drop: number): number[] {
  const length = list.length - drop;
  const out = new Array<number>(length + 1);
  for (let i = 0; i < length; i++) out[i] = list[i + drop] as number;
  out[length] = at;
  return out;
}
