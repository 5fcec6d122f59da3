/**
 * Simulated time. Everything that takes time in the simulated Asterisk (a
 * prompt playing, a phone ringing, a caller pausing between digits) is
 * expressed in simulated milliseconds and runs `speed` times faster than real
 * time: speed 1 for demos, speed 100 or more for tests.
 */
export interface SimTimer {
  /** The simulated time it runs at (or after). */
  readonly due: number;
  cancel(): void;
}

interface Entry {
  due: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** Earlier due first; of two due at the same simulated time, the one asked for first. */
const before = (a: Entry, b: Entry): boolean => a.due < b.due || (a.due === b.due && a.seq < b.seq);

export class SimClock {
  /** Pending timers, a binary min-heap in due order. */
  private heap: Entry[] = [];
  private cancelled = 0;
  private seq = 0;
  /** The one Node timer (or immediate), for the heap's first entry. */
  private wake: { timer: NodeJS.Timeout | NodeJS.Immediate; kind: 'timeout' | 'immediate'; due: number } | undefined;
  private baseReal = performance.now();
  private baseSim = 0;

  constructor(private speedFactor = 1) {
    SimClock.check(speedFactor);
  }

  /** Simulated milliseconds since the clock was made. */
  now(): number {
    return this.baseSim + (performance.now() - this.baseReal) * this.speedFactor;
  }

  private static check(speed: number): void {
    if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`speed must be a positive number, got ${speed}`);
  }

  get speed(): number {
    return this.speedFactor;
  }

  /** Changes the speed from now on: pending timers keep their simulated due times and run at the new speed. */
  set speed(value: number) {
    SimClock.check(value);
    this.baseSim = this.now();
    this.baseReal = performance.now();
    this.speedFactor = value;
    this.disarm();
    this.arm();
  }

  /** Real milliseconds for a simulated duration. */
  real(simulatedMs: number): number {
    return Math.max(0, simulatedMs / this.speedFactor);
  }

  /**
   * Runs fn after a simulated delay, never before, and timers in the order of their due times (of two due at once,
   * the first asked for). One Node timer serves them all: Node's timers can fire up to a millisecond early against
   * performance.now(), which at 100x speed would be 100 simulated ms (a 5 s recording measured as 4 s), and timers
   * of their own could then run out of order (a 1 s timeout before the ring that was due a simulated millisecond
   * earlier, on a busy machine). Each timer runs in a macrotask of its own, as with setTimeout, so promises settled
   * by one run before the next. `from` (a simulated time, now by default) is where the delay counts from: a party
   * that acts on its own schedule counts from when its last step was due, not from when a busy machine ran it.
   */
  after(simulatedMs: number, fn: () => void, from: number = this.now()): SimTimer {
    const entry: Entry = { due: from + Math.max(0, simulatedMs), seq: this.seq++, fn, cancelled: false };
    this.push(entry);
    if (this.heap[0] === entry) {
      this.disarm();
      this.arm();
    }
    return {
      due: entry.due,
      cancel: () => {
        if (entry.cancelled) return;
        entry.cancelled = true;
        this.cancelled += 1;
        // Cancelled entries leave when they reach the top; rebuild when they are most of the heap (long timers cancelled early).
        if (this.cancelled > 64 && this.cancelled * 2 > this.heap.length) this.compact();
      },
    };
  }

  /**
   * Resolves after a simulated delay (counted from `from`, now by default) with the simulated time it was due, or
   * rejects when the signal aborts.
   */
  sleep(simulatedMs: number, signal?: AbortSignal, from?: number): Promise<number> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const timer = this.after(
        simulatedMs,
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(timer.due);
        },
        from,
      );
      const onAbort = (): void => {
        timer.cancel();
        reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Cancels every pending timer (simulator shutdown). */
  cancelAll(): void {
    this.disarm();
    for (const e of this.heap) e.cancelled = true;
    this.heap = [];
    this.cancelled = 0;
  }

  /** The number of timers waiting (not cancelled). */
  get pending(): number {
    return this.heap.length - this.cancelled;
  }

  private disarm(): void {
    if (!this.wake) return;
    if (this.wake.kind === 'timeout') clearTimeout(this.wake.timer as NodeJS.Timeout);
    else clearImmediate(this.wake.timer as NodeJS.Immediate);
    this.wake = undefined;
  }

  /** Arms the Node timer for the first live entry: at once (an immediate) when it is due, else after the rest. */
  private arm(): void {
    this.dropCancelled();
    const first = this.heap[0];
    if (!first) return;
    const left = first.due - this.now();
    if (left <= 0) this.wake = { timer: setImmediate(() => this.fire()), kind: 'immediate', due: first.due };
    else this.wake = { timer: setTimeout(() => this.fire(), Math.max(1, this.real(left))), kind: 'timeout', due: first.due };
  }

  private fire(): void {
    this.wake = undefined;
    this.dropCancelled();
    const first = this.heap[0];
    if (first && first.due <= this.now()) {
      this.pop();
      // Armed before fn runs, so a timer that throws does not stop the others.
      this.arm();
      first.fn();
      return;
    }
    this.arm();
  }

  private dropCancelled(): void {
    while (this.heap[0]?.cancelled) {
      this.pop();
      this.cancelled -= 1;
    }
  }

  private compact(): void {
    const live = this.heap.filter((e) => !e.cancelled);
    this.heap = [];
    this.cancelled = 0;
    for (const e of live) this.push(e);
    this.disarm();
    this.arm();
  }

  private push(entry: Entry): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i] as Entry, h[parent] as Entry)) break;
      [h[i], h[parent]] = [h[parent] as Entry, h[i] as Entry];
      i = parent;
    }
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l] as Entry, h[m] as Entry)) m = l;
        if (r < h.length && before(h[r] as Entry, h[m] as Entry)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m] as Entry, h[i] as Entry];
        i = m;
      }
    }
    return top;
  }
}
