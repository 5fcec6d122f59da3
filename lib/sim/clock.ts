/**
 * Simulated time. Everything that takes time in the simulated Asterisk (a
 * prompt playing, a phone ringing, a caller pausing between digits) is
 * expressed in simulated milliseconds and runs `speed` times faster than real
 * time: speed 1 for demos, speed 100 or more for tests.
 */
export interface SimTimer {
  cancel(): void;
}

export class SimClock {
  private readonly timers = new Set<NodeJS.Timeout>();
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

  /** Changes the speed from now on; timers already running keep their real deadlines, and one that comes due early (the speed went down) waits for the rest at the new speed. */
  set speed(value: number) {
    SimClock.check(value);
    this.baseSim = this.now();
    this.baseReal = performance.now();
    this.speedFactor = value;
  }

  /** Real milliseconds for a simulated duration. */
  real(simulatedMs: number): number {
    return Math.max(0, simulatedMs / this.speedFactor);
  }

  /**
   * Runs fn after a simulated delay, never before: Node's timers can fire up
   * to a millisecond early against performance.now(), which at 100x speed
   * would be 100 simulated ms (a 5 s recording measured as 4 s), so an early
   * timer is re-armed for the rest.
   */
  after(simulatedMs: number, fn: () => void): SimTimer {
    const due = this.now() + Math.max(0, simulatedMs);
    let t: NodeJS.Timeout;
    const arm = (realMs: number): void => {
      t = setTimeout(() => {
        this.timers.delete(t);
        const left = due - this.now();
        if (left > 0) arm(Math.max(1, this.real(left)));
        else fn();
      }, realMs);
      this.timers.add(t);
    };
    arm(this.real(simulatedMs));
    return {
      cancel: () => {
        clearTimeout(t);
        this.timers.delete(t);
      },
    };
  }

  /** Resolves after a simulated delay, or rejects when the signal aborts. */
  sleep(simulatedMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const timer = this.after(simulatedMs, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      const onAbort = (): void => {
        timer.cancel();
        reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Cancels every pending timer (simulator shutdown). */
  cancelAll(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
