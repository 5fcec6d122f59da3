/**
 * The dialer's ticks (lib/campaign/ticker.ts) on a clock that moves only
 * when a tick says its work took time: the schedule holds whatever each
 * tick takes, so the pace does not depend on how busy the process is.
 */
import assert from 'node:assert/strict';
import type { Clock } from '../../lib/campaign/clock';
import { Ticker } from '../../lib/campaign/ticker';

/** A clock whose time moves when told; `after` callbacks run in time order by `runDue`. */
class SteppingClock implements Clock {
  current = 0;
  private timers: { at: number; fn: () => void | Promise<void> }[] = [];

  now(): number {
    return this.current;
  }

  after(ms: number, fn: () => void | Promise<void>): () => void {
    const timer = { at: this.current + Math.max(0, ms), fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Timers waiting. */
  get pending(): number {
    return this.timers.length;
  }

  /** Runs the next timer (time moves to it if it is later than now); false when none is left. */
  async runNext(): Promise<boolean> {
    this.timers.sort((a, b) => a.at - b.at);
    const next = this.timers.shift();
    if (!next) return false;
    this.current = Math.max(this.current, next.at);
    await next.fn();
    return true;
  }
}

describe('campaign ticker', function () {
  it('keeps a 1 s schedule when ticks run past the next one: 10 ticks of 1.2 s and 0.1 s alternately start at 0, 1.2, 2, 3.2, 4, ...', async function () {
    const clock = new SteppingClock();
    const starts: number[] = [];
    const ticker = new Ticker({
      clock,
      run: () => {
        starts.push(clock.now());
        // The tick's work takes time (a busy process): 1.2 s, then 0.1 s.
        clock.current += starts.length % 2 === 1 ? 1200 : 100;
        return Promise.resolve(1000);
      },
      active: () => starts.length < 10,
      regularMs: () => 1000,
      failed: (err) => assert.fail(err as Error),
    });
    ticker.schedule(0);
    while (await clock.runNext());
    assert.deepEqual(starts, [0, 1200, 2000, 3200, 4000, 5200, 6000, 7200, 8000, 9200]);
  });

  it('starts the schedule again from now when a tick ends more than a whole interval behind it: no burst of missed ticks', async function () {
    const clock = new SteppingClock();
    const starts: number[] = [];
    const ticker = new Ticker({
      clock,
      run: () => {
        starts.push(clock.now());
        if (starts.length === 2) clock.current += 3500;
        return Promise.resolve(1000);
      },
      active: () => starts.length < 5,
      regularMs: () => 1000,
      failed: (err) => assert.fail(err as Error),
    });
    ticker.schedule(0);
    while (await clock.runNext());
    assert.deepEqual(starts, [0, 1000, 5500, 6500, 7500]);
  });

  /**
   * A 1 s ticker until `untilMs` whose first tick waits (the store answering late) until `release()`; the test asks
   * for a tick meanwhile. `first` is that first tick's run.
   */
  async function firstTickHeld(untilMs: number): Promise<{ clock: SteppingClock; ticker: Ticker; starts: number[]; release: () => void; first: Promise<boolean> }> {
    const clock = new SteppingClock();
    const starts: number[] = [];
    let release!: () => void;
    const ticker = new Ticker({
      clock,
      run: async () => {
        starts.push(clock.now());
        if (starts.length === 1) await new Promise<void>((resolve) => (release = resolve));
        return 1000;
      },
      active: () => clock.now() < untilMs,
      regularMs: () => 1000,
      failed: (err) => assert.fail(err as Error),
    });
    ticker.schedule(0);
    const first = clock.runNext();
    await new Promise((resolve) => setImmediate(resolve));
    return { clock, ticker, starts, release, first };
  }

  it('a tick asked for while one runs (a redeploy taking the dialer over) leaves one chain of ticks, not two', async function () {
    const { clock, ticker, starts, release, first } = await firstTickHeld(10_000);
    ticker.schedule(0);
    // That tick comes while the first still runs: it waits for it, and runs once it ends.
    assert.equal(await clock.runNext(), true);
    release();
    await first;
    while (await clock.runNext());
    assert.deepEqual(starts, [0, 0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000], 'one tick a second after the two at 0');
  });

  it('a tick asked for while one runs, in a later moment than its end, is the next tick: the running one schedules none of its own', async function () {
    const { clock, ticker, starts, release, first } = await firstTickHeld(5_000);
    ticker.schedule(300);
    release();
    await first;
    assert.equal(clock.pending, 1, 'one next tick');
    while (await clock.runNext()) assert.ok(clock.pending <= 1, `${clock.pending} ticks waiting at ${clock.now()}`);
    assert.deepEqual(starts, [0, 300, 1300, 2300, 3300, 4300]);
  });
});
