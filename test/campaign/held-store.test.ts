/**
 * lib/campaign/held-store.ts alone: the store a parked dialer uses (Dialer.park()). What waited is made on the next
 * owner's store in the order it was asked, each call on its own (one that throws at once fails alone), or refused;
 * the proxy answers `backend` and no `then` (awaiting it does not wait for a store).
 */
import assert from 'node:assert/strict';
import { HeldStore } from '../../lib/campaign/held-store';
import type { Store } from '../../lib/store/port';

describe('campaign held store', function () {
  it('makes what waited on the new store in order; a call that throws at once fails alone, the others go on', async function () {
    const held = new HeldStore('embedded');
    const made: string[] = [];
    const store = {
      backend: 'embedded',
      hasDue: (campaignId: string) => {
        made.push(campaignId);
        if (campaignId === 'bad') throw new TypeError('not a campaign');
        return Promise.resolve(true);
      },
    } as unknown as Store;
    const calls = ['a', 'bad', 'b'].map((id) => held.store.hasDue(id, 0));
    held.release(store);
    const settled = await Promise.allSettled(calls);
    assert.deepEqual(made, ['a', 'bad', 'b']);
    assert.deepEqual(
      settled.map((s) => s.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.match(String((settled[1] as PromiseRejectedResult).reason), /not a campaign/);
  });

  it('answers backend, has no then, and refuses what waited and what comes after once refused', async function () {
    const held = new HeldStore('mongodb');
    assert.equal(held.store.backend, 'mongodb');
    assert.equal((held.store as unknown as { then?: unknown }).then, undefined);
    assert.equal(await Promise.resolve(held.store), held.store, 'awaiting the store itself does not wait');
    const waiting = held.store.countContacts('c', 0);
    held.refuse('closed');
    await assert.rejects(waiting, /closed/);
    await assert.rejects(held.store.countContacts('c', 0), /closed/);
  });
});
