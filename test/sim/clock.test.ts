/**
 * The simulator's clock: a simulated delay is never cut short, whatever
 * the speed (a recording stopped at its 5 s maximum must measure 5 s).
 */
import assert from 'node:assert/strict';
import { SimClock } from '../../lib/sim/clock';

describe('simulator: clock', function () {
  it('never runs a timer before its simulated time, at 1000x speed', async function () {
    const clock = new SimClock(1000);
    const early: number[] = [];
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => {
        const delay = 1000 + (i % 7) * 500;
        const due = clock.now() + delay;
        return new Promise<void>((resolve) =>
          clock.after(delay, () => {
            if (clock.now() < due) early.push(due - clock.now());
            resolve();
          }),
        );
      }),
    );
    assert.deepEqual(early, [], 'simulated ms each early timer was short of its due time');
  });

  it('a timer running when the speed goes down waits out its simulated delay', async function () {
    const clock = new SimClock(1000);
    const due = clock.now() + 2000;
    const fired = new Promise<number>((resolve) => clock.after(2000, () => resolve(clock.now())));
    clock.speed = 100;
    assert.ok((await fired) >= due);
  });
});
