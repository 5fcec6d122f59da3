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

  it('runs timers in the order of their due times, of two due at once the first asked for', async function () {
    // At 1000x a simulated millisecond is a microsecond: Node's timers, which may fire up to a millisecond early and
    // were then re-armed each on its own, let a later timer overtake an earlier one (a ringing callee's 1 s timeout
    // ran before the busy answer due a moment earlier).
    const clock = new SimClock(1000);
    const ran: number[] = [];
    const dues: number[] = [];
    await Promise.all(
      Array.from({ length: 400 }, (_, i) => {
        const delay = 200 + ((i * 37) % 50);
        return new Promise<void>((resolve) => {
          const timer = clock.after(delay, () => {
            ran.push(i);
            resolve();
          });
          dues.push(timer.due);
        });
      }),
    );
    const order = [...ran.keys()].map((k) => dues[ran[k] as number] as number);
    const overtaken = order.findIndex((due, k) => k > 0 && due < (order[k - 1] as number));
    assert.equal(overtaken, -1, `timer ${ran[overtaken]} ran after a timer due later`);
  });

  it('drops cancelled timers and runs the rest', async function () {
    const clock = new SimClock(1000);
    const ran: string[] = [];
    const timers = Array.from({ length: 200 }, (_, i) => clock.after(3_600_000 + i, () => ran.push(`long ${i}`)));
    for (const t of timers) t.cancel();
    assert.equal(clock.pending, 0);
    await new Promise<void>((resolve) => clock.after(100, () => resolve()));
    assert.deepEqual(ran, []);
    clock.cancelAll();
  });
});

