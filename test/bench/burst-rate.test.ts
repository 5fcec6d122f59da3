/**
 * bench/scale's rate of originations is only as good as burst-rate.ts: bursts of calls once a period, whatever their
 * phase against the window, give the rate they have, where a plain count is off by a burst. No timing: made-up times.
 */
import assert from 'node:assert/strict';
import { burstRate, plainRate } from '../../bench/burst-rate';

/** `perBurst` events every `period` ms from `phase`, each burst spread over `spread` ms, up to `until`. */
function bursts(perBurst: number, period: number, phase: number, spread: number, until: number): number[] {
  const times: number[] = [];
  for (let start = phase; start < until; start += period) for (let i = 0; i < perBurst; i += 1) times.push(start + (spread * i) / perBurst);
  return times;
}

describe('bench/burst-rate: the rate of bursts over a window', function () {
  it('gives the bursts rate whatever their phase and the window, where a plain count is off by up to a burst', function () {
    let plainOff = 0;
    for (const phase of [0, 1, 250, 500, 999]) {
      const times = bursts(300, 1000, phase, 120, 40_000);
      for (const [from, to] of [
        [10_000, 30_000],
        [10_000.5, 30_500.5],
        [9_870, 30_321],
      ] as const) {
        assert.ok(Math.abs(burstRate(times, from, to, 1000) - 300) < 1e-9, `phase ${phase}, window ${from} to ${to}`);
        plainOff = Math.max(plainOff, Math.abs(plainRate(times, from, to) - 300));
      }
    }
    // 20.5 s: one burst of 300 more or less is about 14.6 a second.
    assert.ok(plainOff >= 7, `a plain count of the same bursts is off by ${plainOff}`);
  });

  it('adds up bursts of several instances at their own phases and sizes', function () {
    const times = [...bursts(71, 1000, 130, 40, 60_000), ...bursts(116, 1000, 480, 90, 60_000), ...bursts(113, 1000, 910, 60, 60_000)];
    assert.ok(Math.abs(burstRate(times, 5_000, 35_000, 1000) - 300) < 1e-9);
  });

  it('counts an event in the middle of the window once, and none outside the window and the period after it', function () {
    assert.equal(burstRate([5_000], 0, 10_000, 1000), 0.1);
    assert.equal(burstRate([-1, 11_000, 12_000], 0, 10_000, 1000), 0);
    // Rising over the first period, falling over the period after the end.
    assert.equal(burstRate([250, 10_750], 0, 10_000, 1000), 0.05);
  });

  it('refuses a window shorter than a period', function () {
    assert.throws(() => burstRate([], 0, 500, 1000), RangeError);
    assert.throws(() => burstRate([], 0, 5000, 0), RangeError);
  });
});
