/**
 * The rate of events that come in bursts, one burst per period (a dialer's
 * tick places its calls together, once a second), measured over a window
 * without the window's edges deciding the figure.
 *
 * Counting the events in [from, to) is off by up to one burst per instance
 * when the window is not a whole number of periods (its ends are taken
 * when the bench's requests are answered) and the edges fall inside a
 * burst: 300 calls in one burst is 1% of a 100-second window. Averaged
 * over every shift of the window by
 * 0 to one period, the count of a process that repeats each period is
 * exactly rate x (to - from), whatever its phase: an event at `t` counts
 * for the share of shifts whose window holds it, 1 inside [from + period,
 * to), rising from 0 to 1 over [from, from + period) and falling from 1 to
 * 0 over [to, to + period). So the events up to `to + period` are needed.
 */

/** Events per second in [from, to) (ms), weighted as above; `periodMs` the bursts' period, at most to - from. */
export function burstRate(times: readonly number[], from: number, to: number, periodMs: number): number {
  if (!(to - from >= periodMs) || !(periodMs > 0)) throw new RangeError(`the window (${to - from} ms) must be at least one period (${periodMs} ms), and the period above 0`);
  let weight = 0;
  for (const t of times) weight += shareOfShifts(t, from, to, periodMs);
  return weight / ((to - from) / 1000);
}

/** The share of the windows [from + d, to + d), d uniform in [0, period), that hold `t`. */
function shareOfShifts(t: number, from: number, to: number, period: number): number {
  if (t < from || t >= to + period) return 0;
  if (t < from + period) return (t - from) / period;
  if (t < to) return 1;
  return 1 - (t - to) / period;
}

/** Events per second counted plainly in [from, to) (ms). */
export function plainRate(times: readonly number[], from: number, to: number): number {
  let n = 0;
  for (const t of times) if (t >= from && t < to) n += 1;
  return n / ((to - from) / 1000);
}
