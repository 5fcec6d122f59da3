/**
 * Time for the campaign engine: every decision (calling hours, pacing,
 * retry intervals, leases) reads this clock, so tests run a week-long
 * campaign in seconds with a ManualClock.
 */
export interface Clock {
  now(): number;
  /** Runs `fn` after `ms`; the returned function cancels it. */
  after(ms: number, fn: () => void | Promise<void>): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  after(ms, fn) {
    const t = setTimeout(() => void fn(), Math.max(0, ms));
    return () => clearTimeout(t);
  },
};

interface Timer {
  at: number;
  order: number;
  fn: () => void | Promise<void>;
}

/**
 * A clock that moves only when told. `advance` runs the timers that come
 * due in time order, each at its own time, and waits for what each
 * returns (and for pending I/O callbacks) before the next.
 */
export class ManualClock implements Clock {
  private current: number;
  private readonly timers = new Set<Timer>();
  private order = 0;

  constructor(start: number | string = 0) {
    this.current = typeof start === 'string' ? Date.parse(start) : start;
  }

  now(): number {
    return this.current;
  }

  after(ms: number, fn: () => void | Promise<void>): () => void {
    const timer: Timer = { at: this.current + Math.max(0, ms), order: this.order++, fn };
    this.timers.add(timer);
    return () => this.timers.delete(timer);
  }

  /** Timers waiting. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, running each timer that comes due at its time. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      await settle();
      let next: Timer | undefined;
      for (const t of this.timers) if (t.at <= target && (!next || t.at < next.at || (t.at === next.at && t.order < next.order))) next = t;
      if (!next) break;
      this.timers.delete(next);
      this.current = Math.max(this.current, next.at);
      await next.fn();
    }
    this.current = target;
    await settle();
  }

  /** Moves to an absolute time (ms or ISO text). */
  async advanceTo(at: number | string): Promise<void> {
    const t = typeof at === 'string' ? Date.parse(at) : at;
    await this.advance(Math.max(0, t - this.current));
  }
}

/** Lets promise chains and I/O callbacks that are ready run (a few turns of the event loop). */
export async function settle(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i += 1) await new Promise<void>((r) => setImmediate(r));
}
