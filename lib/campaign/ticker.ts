/**
 * The dialer's tick on the campaign clock: one tick at a time, on a fixed
 * schedule. Each tick returns the delay to the next; the pace's regular
 * delay keeps to the schedule (no drift from the time each tick takes),
 * any other delay (idle: outside hours, held back) counts from now. A tick
 * that ends after the next one was due runs that one at once, still on the
 * schedule (a busy process keeps its pace); one more than a whole delay
 * behind starts the schedule again from now (missed ticks are not made up
 * in a burst). A tick asked for (schedule()) while one runs is the next
 * one: it runs when that one ends, or at its own time if later; there is
 * never more than one tick waiting.
 *
 * Apart from dialer.ts because it is timing, not dialing: tick.ts says
 * what a tick does, the dialer when ticks may run; this keeps them coming.
 */
import type { Clock } from './clock';

export interface TickerOptions {
  clock: Clock;
  /** One tick; resolves with the ms until the next. */
  run(): Promise<number>;
  /** Whether ticks may run now (checked before and after each tick). */
  active(): boolean;
  /** The pace's regular delay between ticks (also the next delay after a failed tick). */
  regularMs(): number;
  /** A tick failed: ticks go on after the regular delay. */
  failed(err: unknown): void;
}

export class Ticker {
  private cancel: (() => void) | undefined;
  private nextAt = 0;
  private running = false;
  /** A tick came due while one was running: it runs as soon as that one ends. */
  private owed = false;

  constructor(private readonly options: TickerOptions) {}

  /** The next tick in `delayMs`, in place of one already scheduled; the schedule counts from it. */
  schedule(delayMs: number): void {
    this.stop();
    this.nextAt = this.options.clock.now() + delayMs;
    this.cancel = this.options.clock.after(delayMs, () => this.tick());
  }

  /** No further tick (one running finishes, and schedules the next only if still active). */
  stop(): void {
    this.cancel?.();
    this.cancel = undefined;
  }

  private async tick(): Promise<void> {
    const { clock } = this.options;
    this.cancel = undefined;
    if (!this.options.active()) return;
    if (this.running) {
      this.owed = true;
      return;
    }
    this.running = true;
    let delay = this.options.regularMs();
    try {
      delay = await this.options.run();
    } catch (err) {
      this.options.failed(err);
    } finally {
      this.running = false;
    }
    const owed = this.owed;
    this.owed = false;
    // schedule() while this tick ran has set the next one: one chain of ticks, not two.
    if (!this.options.active() || this.cancel !== undefined) return;
    const now = clock.now();
    if (owed) {
      // The tick asked for meanwhile, now; the schedule counts from it.
      this.nextAt = now;
      this.cancel = clock.after(0, () => this.tick());
      return;
    }
    // Ticks keep to a fixed schedule (no drift from the time each one takes, nor from a tick that ran late).
    let at = this.nextAt + delay;
    if (delay !== this.options.regularMs() || at < now - delay) at = now + delay;
    this.nextAt = at;
    this.cancel = clock.after(Math.max(0, at - now), () => this.tick());
  }
}
