/**
 * Pacing (lib/campaign/pacing.ts) against the worked answers of the
 * outbound call task specification (Task Strategy, Q1-Q4 of
 * ../shared/reference/outbound-call-tasks.txt): the dialer acts every
 * min(interval, 3) seconds; above 3 s each tick is worth
 * (calls at a time / interval) x 3 calls, otherwise calls at a time; a
 * fraction accumulates from tick to tick. On top of that, the room a tick
 * has (free channels, due contacts) caps it, and whole calls that found no
 * room are not saved up: only the fraction carries.
 */
import assert from 'node:assert/strict';
import { Pacer } from '../../lib/campaign/pacing';

/** The calls each of `ticks` ticks places, with unlimited room. */
const run = (pacer: Pacer, ticks: number): number[] => Array.from({ length: ticks }, () => pacer.tick());
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
/** The 1-based numbers of the ticks that placed at least one call. */
const callingTicks = (calls: readonly number[]): number[] => calls.flatMap((c, i) => (c > 0 ? [i + 1] : []));

describe('campaign pacing', function () {
  describe('Q1: the dialer acts every min(interval, 3) seconds', function () {
    it('ticks every 3 s when the interval is longer than 3 s (interval 10 -> 3000 ms)', function () {
      assert.equal(new Pacer({ intervalSec: 10, callsAtATime: 1 }).tickMs, 3000);
      assert.equal(new Pacer({ intervalSec: 9999, callsAtATime: 1 }).tickMs, 3000);
      assert.equal(new Pacer({ intervalSec: 4, callsAtATime: 1 }).tickMs, 3000);
    });

    it('ticks at the interval itself when it is 3 s or less (interval 2 -> 2000 ms)', function () {
      assert.equal(new Pacer({ intervalSec: 2, callsAtATime: 1 }).tickMs, 2000);
      assert.equal(new Pacer({ intervalSec: 1, callsAtATime: 1 }).tickMs, 1000);
      assert.equal(new Pacer({ intervalSec: 3, callsAtATime: 1 }).tickMs, 3000);
    });
  });

  describe('Q2: interval 10, 100 calls at a time', function () {
    it('makes 30 calls every 3 s tick, not 100 every 10 s', function () {
      const pacer = new Pacer({ intervalSec: 10, callsAtATime: 100 });
      assert.equal(pacer.tickMs, 3000);
      assert.equal(pacer.perTick, 30);
      assert.deepEqual(run(pacer, 5), [30, 30, 30, 30, 30]);
      assert.equal(pacer.fraction, 0);
    });

    it('aims at the configured rate: 10 calls a second', function () {
      assert.equal(new Pacer({ intervalSec: 10, callsAtATime: 100 }).rate, 10);
    });
  });

  describe('Q3: interval 1, 10 calls at a time', function () {
    it('makes 10 calls every 1 s tick, not 30', function () {
      const pacer = new Pacer({ intervalSec: 1, callsAtATime: 10 });
      assert.equal(pacer.tickMs, 1000);
      assert.equal(pacer.perTick, 10);
      assert.deepEqual(run(pacer, 4), [10, 10, 10, 10]);
      assert.equal(pacer.rate, 10);
    });

    it('makes calls-at-a-time calls per tick for intervals of 2 and 3 s too', function () {
      const two = new Pacer({ intervalSec: 2, callsAtATime: 10 });
      assert.deepEqual([two.tickMs, two.perTick, two.rate], [2000, 10, 5]);
      assert.deepEqual(run(two, 3), [10, 10, 10]);
      const three = new Pacer({ intervalSec: 3, callsAtATime: 7 });
      assert.deepEqual([three.tickMs, three.perTick], [3000, 7]);
      assert.deepEqual(run(three, 3), [7, 7, 7]);
    });
  });

  describe('Q4: fewer than one call a tick', function () {
    it('interval 10, 1 at a time: 0.3 a tick, no call at the first tick', function () {
      const pacer = new Pacer({ intervalSec: 10, callsAtATime: 1 });
      assert.ok(Math.abs(pacer.perTick - 0.3) < 1e-12, `perTick ${pacer.perTick}`);
      assert.equal(pacer.tick(), 0);
      assert.ok(Math.abs(pacer.fraction - 0.3) < 1e-9, `fraction ${pacer.fraction}`);
    });

    it('accumulates the fraction: calls at ticks 4, 7 and 10, exactly 3 per 10 ticks (30 s)', function () {
      const pacer = new Pacer({ intervalSec: 10, callsAtATime: 1 });
      const first = run(pacer, 10);
      assert.deepEqual(first, [0, 0, 0, 1, 0, 0, 1, 0, 0, 1]);
      assert.deepEqual(callingTicks(first), [4, 7, 10]);
      // 0.3 x 10 is a whole 3 calls: nothing is left over, and the pattern repeats.
      assert.equal(pacer.fraction, 0);
      for (let block = 1; block < 50; block++) {
        const calls = run(pacer, 10);
        assert.equal(sum(calls), 3, `block ${block}`);
        assert.deepEqual(callingTicks(calls), [4, 7, 10], `block ${block}`);
      }
    });

    it('never places more than one call at a tick while the rate is below one a tick', function () {
      const pacer = new Pacer({ intervalSec: 10, callsAtATime: 3 });
      assert.ok(Math.abs(pacer.perTick - 0.9) < 1e-12);
      const calls = run(pacer, 100);
      assert.ok(calls.every((c) => c === 0 || c === 1));
      assert.equal(calls[0], 0);
      assert.equal(sum(calls), 90);
    });

    for (const settings of [
      { intervalSec: 10, callsAtATime: 1 },
      { intervalSec: 7, callsAtATime: 1 },
      { intervalSec: 7, callsAtATime: 10 },
      { intervalSec: 9999, callsAtATime: 1 },
      { intervalSec: 9999, callsAtATime: 10000 },
      { intervalSec: 11, callsAtATime: 3 },
      { intervalSec: 4, callsAtATime: 5 },
      { intervalSec: 2, callsAtATime: 3 },
    ]) {
      it(`over 1000 ticks places rate x time calls within 1 (interval ${settings.intervalSec}, ${settings.callsAtATime} at a time)`, function () {
        const pacer = new Pacer(settings);
        const seconds = (1000 * pacer.tickMs) / 1000;
        const expected = (settings.callsAtATime / settings.intervalSec) * seconds;
        assert.ok(Math.abs(pacer.rate - settings.callsAtATime / settings.intervalSec) < 1e-9, `rate ${pacer.rate}`);
        const total = sum(run(pacer, 1000));
        assert.ok(Math.abs(total - expected) <= 1, `placed ${total}, expected ${expected}`);
        assert.ok(Number.isInteger(total));
      });
    }
  });

  describe('room (the channel limit, the contacts due)', function () {
    it('caps a tick at the room it is given', function () {
      const pacer = new Pacer({ intervalSec: 10, callsAtATime: 100 });
      assert.equal(pacer.tick(5), 5);
      assert.equal(pacer.tick(0), 0);
      assert.equal(pacer.tick(30), 30);
      assert.equal(pacer.tick(1000), 30);
    });

    it('does not carry whole calls that found no room: the next tick is not a burst', function () {
      const pacer = new Pacer({ intervalSec: 10, callsAtATime: 100 });
      assert.equal(pacer.tick(0), 0);
      assert.equal(pacer.tick(3), 3);
      assert.equal(pacer.tick(), 30, 'not 30 + 30 + 27');
      assert.equal(pacer.fraction, 0);
    });

    it('carries only the fraction when a tick has no room', function () {
      // interval 7, 10 at a time: 30/7 = 4.2857... calls a tick.
      const pacer = new Pacer({ intervalSec: 7, callsAtATime: 10 });
      assert.equal(pacer.tick(0), 0);
      const carried = pacer.fraction;
      assert.ok(Math.abs(carried - (30 / 7 - 4)) < 1e-9, `fraction ${carried}`);
      // 0.2857 + 4.2857 = 4.57: 4 calls, not 8.
      assert.equal(pacer.tick(), 4);
      assert.ok(Math.abs(pacer.fraction - (2 * (30 / 7) - 8)) < 1e-9);
      assert.equal(pacer.tick(), 4); // 0.571 + 4.286 = 4.857
      assert.equal(pacer.tick(), 5); // 0.857 + 4.286 = 5.143
    });

    it('keeps the fraction when the room is smaller than the whole calls, so the long-run rate is not lowered by it', function () {
      const pacer = new Pacer({ intervalSec: 10, callsAtATime: 1 });
      // Three ticks make 0.9; the fourth is worth one call but finds no room: the call is lost, its 0.2 is kept.
      assert.deepEqual([pacer.tick(0), pacer.tick(0), pacer.tick(0), pacer.tick(0)], [0, 0, 0, 0]);
      assert.ok(Math.abs(pacer.fraction - 0.2) < 1e-9, `fraction ${pacer.fraction}`);
      // 0.5, 0.8, 1.1: the next call is at the third tick from here.
      assert.deepEqual(run(pacer, 3), [0, 0, 1]);
    });

    it('treats a fractional room as the whole calls it holds, and a negative one as none', function () {
      const pacer = new Pacer({ intervalSec: 1, callsAtATime: 10 });
      assert.equal(pacer.tick(2.9), 2);
      assert.equal(pacer.tick(-1), 0);
      assert.equal(pacer.tick(Number.POSITIVE_INFINITY), 10);
    });
  });

  describe('reset', function () {
    it('drops the carried fraction: a resumed task starts over', function () {
      const pacer = new Pacer({ intervalSec: 10, callsAtATime: 1 });
      run(pacer, 3);
      assert.ok(pacer.fraction > 0.8);
      pacer.reset();
      assert.equal(pacer.fraction, 0);
      // Without the reset the next tick would have placed a call (0.9 + 0.3).
      assert.deepEqual(run(pacer, 4), [0, 0, 0, 1]);
    });
  });

  describe('settings', function () {
    it('refuses calls at a time or an interval below 1, or not a number, with a RangeError', function () {
      for (const bad of [
        { intervalSec: 0, callsAtATime: 1 },
        { intervalSec: 1, callsAtATime: 0 },
        { intervalSec: -3, callsAtATime: 1 },
        { intervalSec: 3, callsAtATime: -1 },
        { intervalSec: 0.5, callsAtATime: 1 },
        { intervalSec: Number.NaN, callsAtATime: 1 },
        { intervalSec: 3, callsAtATime: Number.NaN },
      ]) {
        assert.throws(
          () => new Pacer(bad),
          (err: unknown) => err instanceof RangeError && /calls at a time >= 1 and interval >= 1 s/.test(err.message),
          JSON.stringify(bad),
        );
      }
    });

    it('names the values it got in the error', function () {
      assert.throws(() => new Pacer({ intervalSec: 0, callsAtATime: 5 }), { name: 'RangeError', message: /\(got 5, 0\)/ });
    });

    it('reports the rate in calls per second for every shape of settings', function () {
      assert.equal(new Pacer({ intervalSec: 3, callsAtATime: 3 }).rate, 1);
      assert.equal(new Pacer({ intervalSec: 3, callsAtATime: 60 }).rate, 20);
      assert.equal(new Pacer({ intervalSec: 1, callsAtATime: 1 }).rate, 1);
      assert.ok(Math.abs(new Pacer({ intervalSec: 10, callsAtATime: 1 }).rate - 0.1) < 1e-12);
      assert.ok(Math.abs(new Pacer({ intervalSec: 60, callsAtATime: 1 }).rate - 1 / 60) < 1e-12);
    });
  });
});
