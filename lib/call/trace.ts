/**
 * The steps of a call's trace (msg.call.trace, the call-end report) and the
 * exact-length lists the session keeps them and its keys' times in.
 */
import type { TraceEntry } from './handle';
import { isoTime } from './iso-time';

/** Who keeps a call's trace entries: told when a step's entry is replaced by one with its outcome. */
export interface TraceOwner {
  replaceEntry(old: TraceEntry, entry: TraceEntry): void;
}

/**
 * One element a call passed. msg.call.trace and the call-end report show it
 * as a TraceEntry (ISO time). The session keeps only those entries, frozen
 * and shared by every msg of the call; a step is what an element holds to
 * set its outcome (or what CallSession.trace makes to read one), and reads
 * its node, element, time and outcome from its entry. Setting the outcome
 * makes the step a new entry and puts it in the session's place of the old
 * one. Before issue 14's fourth round the session kept a step object beside
 * each entry: 40 bytes per step passed.
 */
export class TraceStep {
  /** What msg.call.trace shows of this step. */
  #shown: TraceEntry;
  readonly #owner: TraceOwner | undefined;

  constructor(shown: TraceEntry, owner?: TraceOwner) {
    this.#shown = shown;
    this.#owner = owner;
  }

  /** A new step, its entry frozen. */
  static starting(node: string, element: string, at: number, owner?: TraceOwner): TraceStep {
    return new TraceStep(Object.freeze({ node, element, at: isoTime(at) }), owner);
  }

  /** How the element ended for this call; the element sets it. */
  get outcome(): string | undefined {
    return this.#shown.outcome;
  }
  set outcome(outcome: string | undefined) {
    const old = this.#shown;
    if (old.outcome === outcome) return;
    this.#shown = Object.freeze(entryOf(old, outcome));
    this.#owner?.replaceEntry(old, this.#shown);
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
    return entryOf(this.#shown, this.#shown.outcome);
  }

  /**
   * The step as msg.call.trace shows it. Every msg of the call shares the
   * entries of the steps it has passed (frozen: a flow cannot change one
   * msg's trace through another's), so a step costs one entry and one ISO
   * time, not one per later element.
   */
  shown(): TraceEntry {
    return this.#shown;
  }
}

/** An entry with that outcome, one literal each way: an outcome added afterwards would go to a property array of its own (40 bytes per entry). */
function entryOf(s: TraceEntry, outcome: string | undefined): TraceEntry {
  // The time's text is the one msg.call shows (a string: shared, not copied).
  return outcome === undefined ? { node: s.node, element: s.element, at: s.at } : { node: s.node, element: s.element, at: s.at, outcome };
}

/** No step, no key yet: shared, as appended() never changes the array it is given. */
export const NO_ENTRIES: TraceEntry[] = Object.freeze([]) as unknown as TraceEntry[];
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
