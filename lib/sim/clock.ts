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

  /** Changes the speed from now on; timers already running keep their real deadlines. */
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

  /** Runs fn after a simulated delay. */
  after(simulatedMs: number, fn: () => void): SimTimer {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, this.real(simulatedMs));
    this.timers.add(t);
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
