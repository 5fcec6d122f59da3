/**
 * bench/ivr's simulated callers: each waits for the answer, then presses 1
 * in the menu, a six-digit card number and #, pausing 1-3 s before each key
 * as people do. The Driver keeps N such calls in progress on the simulator.
 */
import { performance } from 'node:perf_hooks';
import { post } from './support';

export const pause = (): number => 1000 + Math.floor(Math.random() * 2000);

/** A caller: waits for the answer, presses 1, then a card number (not 9..., so no transfer) and #, each after a pause. */
export function callerScript(): object[] {
  const card = `${1 + Math.floor(Math.random() * 8)}${String(Math.floor(Math.random() * 100000)).padStart(5, '0')}`;
  const steps: object[] = [{ waitFor: 'answer' }];
  for (const key of `1${card}#`) steps.push({ wait: pause() }, { dtmf: key });
  return steps;
}

/** The average length of a bench call: 9 pauses of 2 s; ramps spread over it so callers do not move in lockstep. */
export const CALL_MS = 9 * 2000;

/** Calls being placed at once, at most (each is one POST /sim/calls). */
const PLACING_AT_ONCE = 16;

/** The simulated callers: keeps a target number of calls in progress on the simulator, placing one when another ends. */
export class Driver {
  placed = 0;
  ended = 0;
  target = 0;
  failed = 0;
  private placing = 0;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly simUrl: string,
    /** How the application under test tells that one of its calls ended. */
    onEnded: (listener: () => void) => void,
    /** The Stasis application the calls go to (the simulator's default when absent). */
    private readonly app?: string,
    /** What each call dials and does (default: bench/ivr's caller of the "IVR menu" example). */
    private readonly call: () => { to: string; args: string[]; script: object[] } = () => ({ to: '200', args: ['ivr-menu'], script: callerScript() }),
  ) {
    onEnded(() => {
      this.ended += 1;
      this.topUp();
      this.wake();
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  get inProgress(): number {
    return this.placed - this.ended;
  }

  /**
   * Places calls while fewer than the target are in progress, several at a
   * time: one request at a time could not place the 280 calls a second that
   * 5,000 calls in progress need once the machine is busy.
   */
  private topUp(): void {
    while (this.inProgress + this.placing < this.target && this.placing < PLACING_AT_ONCE) this.place();
  }

  private place(): void {
    this.placing += 1;
    post(`${this.simUrl}/sim/calls`, { from: `+1555${String(this.placed).padStart(7, '0')}`, ...(this.app ? { app: this.app } : {}), ...this.call() }).then(
      () => {
        this.placing -= 1;
        this.placed += 1;
        this.topUp();
        this.wake();
      },
      (err: unknown) => {
        this.placing -= 1;
        this.failed += 1;
        console.error(`placing a call failed: ${(err as Error).message}`);
        this.wake();
      },
    );
  }

  /** Raises the number of calls in progress to n, spread over `overMs` so callers do not move in lockstep. */
  async ramp(n: number, overMs: number): Promise<void> {
    const start = this.target;
    const t0 = performance.now();
    while (this.target < n) {
      const due = start + Math.ceil(((performance.now() - t0) / overMs) * (n - start));
      this.target = Math.min(n, Math.max(this.target, due));
      this.topUp();
      await new Promise((r) => setTimeout(r, 50));
    }
    this.target = n;
    this.topUp();
  }

  /** Resolves once `count` calls have ended in total. */
  until(count: number): Promise<void> {
    return this.when(() => this.ended >= count);
  }

  /** Resolves once no call is being placed or in progress (after the target went to 0). */
  drained(): Promise<void> {
    return this.when(() => this.placing === 0 && this.ended >= this.placed);
  }

  private when(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (!done()) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }
}
