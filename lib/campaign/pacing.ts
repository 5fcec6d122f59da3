/**
 * Pacing, as the outbound call task specification defines it:
 *
 * - the rate is (calls at a time / outbound call interval) calls per second;
 * - the dialer acts every min(interval, 3) seconds;
 * - when the interval is more than 3 s, each 3-second tick places
 *   (calls at a time / interval) x 3 calls (Q2: interval 10 with 100 at a
 *   time gives 30 calls every 3 s, not 100 every 10 s);
 * - when it is 3 s or less, each tick (one interval) places calls-at-a-time
 *   calls (Q3: interval 1 with 10 gives 10 a second);
 * - a fractional count accumulates from tick to tick, and a call is placed
 *   when the sum reaches a whole call (Q4: below 1, no call at the first
 *   tick).
 *
 * On top of that, what the channel limit leaves: calls that cannot be
 * placed at a tick (no channel free, no contact due) are not saved up for a
 * burst later; only the fraction carries over.
 */
export interface PacingSettings {
  callsAtATime: number;
  intervalSec: number;
}

export class Pacer {
  /** Milliseconds between ticks. */
  readonly tickMs: number;
  /** Calls each tick is worth (may be fractional). */
  readonly perTick: number;
  private carried = 0;

  constructor(settings: PacingSettings) {
    const { callsAtATime, intervalSec } = settings;
    if (!(callsAtATime >= 1) || !(intervalSec >= 1)) throw new RangeError(`pacing needs calls at a time >= 1 and interval >= 1 s (got ${callsAtATime}, ${intervalSec})`);
    const tickSec = Math.min(intervalSec, 3);
    this.tickMs = tickSec * 1000;
    this.perTick = intervalSec > 3 ? (callsAtATime / intervalSec) * 3 : callsAtATime;
  }

  /** Calls per second this pacing aims at. */
  get rate(): number {
    return (this.perTick * 1000) / this.tickMs;
  }

  /** The fraction of a call carried to the next tick. */
  get fraction(): number {
    return this.carried;
  }

  /**
   * One tick: how many calls to place now, at most `room` (free channels,
   * due contacts). The fractional part carries over; whole calls that find
   * no room do not.
   */
  tick(room = Number.POSITIVE_INFINITY): number {
    const total = this.carried + this.perTick;
    // 1e-9: 0.3 x 10 must make 3 calls, not 2.9999999999999996.
    const whole = Math.floor(total + 1e-9);
    this.carried = Math.max(0, total - whole);
    if (this.carried < 1e-9) this.carried = 0;
    return Math.max(0, Math.min(whole, Math.floor(room)));
  }

  /** The whole calls the next tick will be worth (before the room it finds): what to claim ahead for it. */
  upcoming(): number {
    return Math.floor(this.carried + this.perTick + 1e-9);
  }

  /** The most whole calls one tick may place (the fraction carried tops a tick up by one call at most). */
  get most(): number {
    return Math.floor(this.perTick + 1 - 1e-6);
  }

  /** Starts over (a resumed or restarted task). */
  reset(): void {
    this.carried = 0;
  }
}
