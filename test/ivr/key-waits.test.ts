/**
 * The waits for keys share one deadline queue per length (lib/ivr/keys.ts,
 * issue 14). The length comes from a form, a msg or an HTTP IVR application
 * server's answer (any number from 0.5 to 60 s): the queues of lengths
 * nobody waits in are kept only up to KEY_WAIT_LENGTHS, so asking ever new
 * lengths does not grow them without end, and a queue with calls waiting
 * is never dropped.
 */
import assert from 'node:assert/strict';
import type { ChannelWatcher, Telephony, TelephonyEvent } from '../../lib/ari/port';
import type { CallSession } from '../../lib/call/session';
import { KEY_WAIT_LENGTHS, KeyReader, keyWaitLengths } from '../../lib/ivr/keys';

/** A reader on a call of its own, and how to press a key on that call. */
function reader(): { keys: KeyReader; press(digit: string): void } {
  let watcher: ChannelWatcher | undefined;
  const telephony = {
    addChannelWatcher: (_id: string, w: ChannelWatcher) => {
      watcher = w;
    },
    removeChannelWatcher: () => {
      watcher = undefined;
    },
    stopPlayback: () => Promise.resolve(),
  } as unknown as Telephony;
  const session = { takeKeys: () => [], channelId: 'c1', keepKey: () => undefined } as unknown as CallSession;
  const keys = new KeyReader(telephony, session);
  return { keys, press: (digit) => watcher?.onChannelEvent({ type: 'ChannelDtmfReceived', digit } as unknown as TelephonyEvent) };
}

describe('key waits: one deadline queue per length, bounded however many lengths are asked', function () {
  it(`keeps at most ${KEY_WAIT_LENGTHS} lengths nobody waits in: 500 waits of 500 lengths (fractions of a ms among them), each ended by a key`, async function () {
    for (let i = 0; i < 500; i += 1) {
      const call = reader();
      const wait = call.keys.nextKey(30_000 + i * 7 + 0.25, new AbortController().signal);
      call.press('5');
      assert.equal(await wait, '5');
      call.keys.close();
      assert.ok(keyWaitLengths() <= KEY_WAIT_LENGTHS, `${keyWaitLengths()} lengths kept after ${i + 1} waits`);
    }
  });

  it('never drops a length calls wait in: each wait still ends at its deadline or with its key', async function () {
    const waiting = Array.from({ length: KEY_WAIT_LENGTHS + 6 }, (_, i) => {
      const call = reader();
      return { call, wait: call.keys.nextKey(i < 3 ? 1 + i : 50_000 + i * 11, new AbortController().signal) };
    });
    assert.ok(keyWaitLengths() >= KEY_WAIT_LENGTHS + 6, 'a queue for each length with a call in it');
    // The three shortest end at their deadlines with no key; the others with their keys.
    assert.deepEqual(await Promise.all(waiting.slice(0, 3).map((w) => w.wait)), [undefined, undefined, undefined]);
    for (const w of waiting.slice(3)) w.call.press('7');
    assert.ok((await Promise.all(waiting.slice(3).map((w) => w.wait))).every((d) => d === '7'));
    for (const w of waiting) w.call.keys.close();
    // Nobody waits now: the next new length drops the idle ones.
    const next = reader();
    const wait = next.keys.nextKey(59_999, new AbortController().signal);
    assert.equal(keyWaitLengths(), 1);
    next.press('1');
    assert.equal(await wait, '1');
    next.keys.close();
  });

  it('a hangup (the call signal aborting) ends the wait: its length is dropped with the idle ones', async function () {
    const hungUp = new AbortController();
    const a = reader();
    const aborted = a.keys.nextKey(45_000.5, hungUp.signal);
    hungUp.abort(new Error('hangup'));
    await assert.rejects(aborted, /hangup/);
    a.keys.close();
    for (let i = 0; i <= KEY_WAIT_LENGTHS; i += 1) {
      const call = reader();
      const wait = call.keys.nextKey(20_000 + i * 13, new AbortController().signal);
      call.press('2');
      await wait;
      call.keys.close();
    }
    assert.ok(keyWaitLengths() <= KEY_WAIT_LENGTHS);
  });
});
