/**
 * The embedded store on a thread of its own (what the callflow-store node
 * makes): the conformance suite through the thread, a second store on the
 * same file standing in for another process; then what the thread adds:
 * Node's event loop turns while the store works, errors keep their kind and
 * class, and a dead thread fails its waiting calls instead of hanging them.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { EmbeddedStore } from '../../lib/store/embedded';
import { EmbeddedThreadStore } from '../../lib/store/embedded-thread';
import { makeStore } from '../../lib/store';
import { StoreError } from '../../lib/store/port';
import { SCHEMA_VERSIONS } from '../../lib/store/rules';
import { callRecordConformance } from './call-records-conformance';
import { fileStoreHarness, storeConformance } from './conformance';
import { useTempDir } from '../support/temp-dir';

storeConformance('embedded on its own thread', fileStoreHarness((file) => new EmbeddedThreadStore({ file })));
callRecordConformance('embedded on its own thread', fileStoreHarness((file) => new EmbeddedThreadStore({ file })));

describe('embedded store on its own thread', function () {
  const temp = useTempDir('callflow-store-thread-');
  let file: string;
  const stores: EmbeddedThreadStore[] = [];

  function threaded(): EmbeddedThreadStore {
    const s = new EmbeddedThreadStore({ file, durability: 'full' });
    stores.push(s);
    return s;
  }

  beforeEach(function () {
    file = path.join(temp.path, 'callflow.db');
  });

  afterEach(async function () {
    for (const s of stores.splice(0)) await s.close();
  });

  it('is what a callflow-store node of the embedded kind makes', function () {
    const made = makeStore({ backend: 'embedded', file: 'callflow.db', durability: 'full' } as Parameters<typeof makeStore>[0], {}, temp.path);
    assert.ok(made.store instanceof EmbeddedThreadStore);
    assert.equal(made.store.backend, 'embedded');
  });

  it('leaves Node\'s event loop free while a transaction runs: turns go on during a 20,000-contact write', async function () {
    const s = threaded();
    await s.open();
    const rows = Array.from({ length: 20_000 }, (_, i) => ({ customerId: `c${i}`, numbers: [{ number: '+15550100' }] }));
    // The same write on Node's thread: not one turn of the event loop while it runs.
    const direct = new EmbeddedStore({ file: path.join(temp.path, 'direct.db') });
    await direct.open();
    try {
      assert.equal(await turnsDuring(() => direct.importContacts('spring', rows, 1_000_000)), 0, 'on Node\'s thread the write holds the loop');
    } finally {
      await direct.close();
    }
    const turns = await turnsDuring(() => s.importContacts('spring', rows, 1_000_000));
    assert.ok(turns > 0, `the event loop turned ${turns} time(s) during the write on the store's thread`);
    assert.equal((await s.countContacts('spring', 1_000_000)).total, 20_000);
  });

  it('opens the file at this package\'s schema versions, and the data is on disk for the next store', async function () {
    const s = threaded();
    await s.open();
    assert.deepEqual(await s.versions(), { ...SCHEMA_VERSIONS });
    await s.importContacts('spring', [{ customerId: 'ann', numbers: [{ number: '+15550100' }] }], 1_000_000);
    await s.close();
    const again = threaded();
    await again.open();
    assert.equal((await again.getContact('spring', 'ann'))?.seq, 1);
  });

  it('keeps a StoreError\'s kind and message across the thread, and refuses an argument it cannot send', async function () {
    const s = threaded();
    await s.open();
    await assert.rejects(s.importContacts('spring', [{ customerId: '', numbers: [] }], 1_000_000), (err: unknown) => {
      assert.ok(err instanceof StoreError, String(err));
      assert.equal(err.kind, 'invalid');
      assert.match(err.message, /customerId|numbers/);
      return true;
    });
    // A value a thread cannot be sent is refused like any other bad argument, and the store goes on.
    await assert.rejects(s.putDocument('campaign', 'x', { f: () => 1 }, 0, 1_000_000), (err: unknown) => err instanceof StoreError && err.kind === 'invalid');
    await s.importContacts('spring', [{ customerId: 'ann', numbers: [{ number: '+15550100' }] }], 1_000_000);
    assert.equal((await s.getContact('spring', 'ann'))?.seq, 1);
  });

  it('refuses calls before open and after close with the store\'s own error', async function () {
    const s = threaded();
    await assert.rejects(s.getContact('spring', 'ann'), (err: unknown) => err instanceof StoreError && /not open/.test(err.message));
    await s.open();
    await s.close();
    await assert.rejects(s.getContact('spring', 'ann'), (err: unknown) => err instanceof StoreError && /getContact: the embedded store is closed/.test(err.message));
    // A call on a closed store starts no thread (one would live on with nobody to close it).
    assert.equal((s as unknown as { worker?: Worker }).worker, undefined);
    await s.open();
    assert.equal(await s.getContact('spring', 'ann'), undefined, 'opened again, it answers');
  });

  it('fails the calls waiting on a thread that died, and a new open starts another one with the data kept', async function () {
    const s = threaded();
    await s.open();
    await s.importContacts('spring', [{ customerId: 'ann', numbers: [{ number: '+15550100' }] }], 1_000_000);
    const worker = (s as unknown as { worker?: Worker }).worker;
    assert.ok(worker, 'the store has its thread');
    const waiting = s.importContacts('spring', Array.from({ length: 20_000 }, (_, i) => ({ customerId: `c${i}`, numbers: [{ number: '+15550100' }] })), 1_000_000);
    await worker.terminate();
    await assert.rejects(waiting, (err: unknown) => err instanceof StoreError && err.kind === 'failed' && /thread exited/.test(err.message));
    await s.open();
    assert.equal((await s.getContact('spring', 'ann'))?.seq, 1);
  });
});

/** How many turns of the event loop (setImmediate) ran while `work` was under way. */
async function turnsDuring(work: () => Promise<unknown>): Promise<number> {
  let turns = 0;
  let running = true;
  const spin = (): void => {
    if (!running) return;
    turns += 1;
    setImmediate(spin);
  };
  setImmediate(spin);
  // Counted from the call on: a turn that ran before it does not count.
  turns = 0;
  await work();
  running = false;
  return turns;
}
