/**
 * The deadlines of the waits for keys (lib/ivr/key-deadlines.ts, issue 14):
 * one timer per wait length instead of one per waiting call. What is checked
 * is the order and who is told, awaited as events, never how long it took.
 */
import assert from 'node:assert/strict';
import { cancelDeadline, waitUntilDeadline, type DeadlineHolder } from '../../lib/ivr/key-deadlines';

/** A holder that records the deadlines it is told, and resolves `told` at the n-th. */
function holder(log: string[], name: string): DeadlineHolder & { dues: number[] } {
  const dues: number[] = [];
  return {
    dues,
    deadlinePassed(due: number) {
      dues.push(due);
      log.push(name);
    },
  };
}

/** Resolves once `holder` has been told a deadline. */
function toldOnce(h: { dues: number[] }): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (h.dues.length > 0) resolve();
      else setImmediate(check);
    };
    check();
  });
}

describe('the deadlines of the waits for keys', function () {
  it('tells each holder its own deadline, once, in the order the waits started', async function () {
    const log: string[] = [];
    const [a, b, c] = [holder(log, 'a'), holder(log, 'b'), holder(log, 'c')];
    const dues = [waitUntilDeadline(a, 7), waitUntilDeadline(b, 7), waitUntilDeadline(c, 7)];
    await toldOnce(c);
    assert.deepEqual(log, ['a', 'b', 'c']);
    assert.deepEqual([a.dues, b.dues, c.dues], [[dues[0]], [dues[1]], [dues[2]]]);
  });

  it('does not tell a holder whose wait was cancelled, and still tells the others', async function () {
    const log: string[] = [];
    const [a, b, c] = [holder(log, 'a'), holder(log, 'b'), holder(log, 'c')];
    waitUntilDeadline(a, 9);
    const dueB = waitUntilDeadline(b, 9);
    waitUntilDeadline(c, 9);
    cancelDeadline(b, 9, dueB);
    // A cancel for a wait of another length, or another holder, changes nothing.
    cancelDeadline(a, 8, dueB);
    cancelDeadline(c, 9, dueB);
    await toldOnce(c);
    assert.deepEqual(log, ['a', 'c']);
  });

  it('keeps waits of different lengths apart: a short wait started later is told first', async function () {
    const log: string[] = [];
    const long = holder(log, 'long');
    const short = holder(log, 'short');
    waitUntilDeadline(long, 40);
    waitUntilDeadline(short, 1);
    await toldOnce(long);
    assert.deepEqual(log, ['short', 'long']);
  });

  it('takes a new wait from a holder told its deadline (the next key\'s wait), and tells it in turn', async function () {
    const log: string[] = [];
    const again: DeadlineHolder & { dues: number[] } = {
      dues: [],
      deadlinePassed(due: number) {
        this.dues.push(due);
        log.push('again');
        if (this.dues.length < 3) waitUntilDeadline(this, 3);
      },
    };
    waitUntilDeadline(again, 3);
    await new Promise<void>((resolve) => {
      const check = (): void => (again.dues.length === 3 ? resolve() : void setImmediate(check));
      check();
    });
    assert.deepEqual(log, ['again', 'again', 'again']);
    assert.ok(again.dues[0]! < again.dues[1]! && again.dues[1]! < again.dues[2]!);
  });

  it('arms one timer for many waits of one length, not one per wait', async function () {
    const realSetTimeout = globalThis.setTimeout;
    let armed = 0;
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      armed += 1;
      return realSetTimeout(...args);
    }) as typeof setTimeout;
    const log: string[] = [];
    const holders = Array.from({ length: 100 }, (_, i) => holder(log, String(i)));
    try {
      for (const h of holders) waitUntilDeadline(h, 11);
    } finally {
      globalThis.setTimeout = realSetTimeout;
    }
    assert.equal(armed, 1);
    await toldOnce(holders[99]!);
    assert.deepEqual(log, holders.map((_, i) => String(i)));
  });
});
