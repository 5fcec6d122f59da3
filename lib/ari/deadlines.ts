/**
 * The deadlines of one connection's requests in flight, swept by a single
 * timer instead of a timer per request (issue 14: a timer set and cleared
 * for every request was a good part of the adapter's cost per call).
 *
 * Every request of a connection gets the same timeout, so deadlines come in
 * the order requests go out: the list is a queue (a doubly linked list, so
 * a request answered in time leaves it in constant time, without
 * allocating). One timer is armed for the first deadline; when it fires it
 * expires every request whose deadline has passed and arms itself again for
 * the next one. A request leaving the list does not touch the timer: it
 * fires at the old deadline, finds a later one first, and re-arms. So under
 * load the timer runs about once per timeout, and each request still
 * expires at its own deadline, never earlier.
 *
 * The timer does not keep the process alive (the request's socket does).
 */

/** What the sweep keeps of a request: its place in the queue and how it expires. */
export interface Expiring {
  /** When it expires, on the sweep's clock. */
  deadline: number;
  prev: Expiring | undefined;
  next: Expiring | undefined;
  /** Whether it is in a sweep's queue. */
  queued: boolean;
  /** Its deadline passed: it has already left the queue. */
  expire(): void;
}

/** The clock and the timer the sweep uses (tests give a fake one to count timers). */
export interface SweepClock {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

const realClock: SweepClock = {
  now: () => performance.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class DeadlineSweep {
  private head: Expiring | undefined;
  private tail: Expiring | undefined;
  private count = 0;
  private timer: unknown;
  private readonly sweep = (): void => this.expireDue();

  constructor(
    private readonly timeoutMs: number,
    private readonly clock: SweepClock = realClock,
  ) {}

  /** Requests in the queue. */
  get size(): number {
    return this.count;
  }

  /** Whether the timer is armed (for checks that nothing is left behind). */
  get armed(): boolean {
    return this.timer !== undefined;
  }

  /** Queues a request that goes out now: it expires timeoutMs from now unless it leaves first. */
  add(item: Expiring): void {
    item.deadline = this.clock.now() + this.timeoutMs;
    item.next = undefined;
    item.prev = this.tail;
    if (this.tail) this.tail.next = item;
    else this.head = item;
    this.tail = item;
    item.queued = true;
    this.count += 1;
    if (this.timer === undefined) this.timer = this.clock.setTimer(this.sweep, this.timeoutMs);
  }

  /** Takes a request out (answered, failed, aborted); nothing happens if it is not queued. */
  remove(item: Expiring): void {
    if (!item.queued) return;
    item.queued = false;
    if (item.prev) item.prev.next = item.next;
    else this.head = item.next;
    if (item.next) item.next.prev = item.prev;
    else this.tail = item.prev;
    item.prev = undefined;
    item.next = undefined;
    this.count -= 1;
  }

  /** Empties the queue and disarms the timer; returns what was queued, in order, for the caller to settle. */
  clear(): Expiring[] {
    const out: Expiring[] = [];
    while (this.head) {
      const item = this.head;
      this.remove(item);
      out.push(item);
    }
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    return out;
  }

  private expireDue(): void {
    this.timer = undefined;
    const now = this.clock.now();
    while (this.head && this.head.deadline <= now) {
      const item = this.head;
      this.remove(item);
      item.expire();
    }
    // expire() may have queued a request (and armed the timer) itself.
    if (this.head && this.timer === undefined) this.timer = this.clock.setTimer(this.sweep, Math.max(1, Math.ceil(this.head.deadline - now)));
  }
}
