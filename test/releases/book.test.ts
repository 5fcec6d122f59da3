/**
 * The release book (lib/releases/book.ts) on a real embedded store: edit
 * locks and their timeout, releasing a new official version (the previous
 * one finishes its calls), gray and snapshot rules, call counters, and a
 * store that fails or is written by someone else (what a deploy does:
 * book-deploys.test.ts). Time is the harness's clock; nothing waits.
 */
import assert from 'node:assert/strict';
import type { ReleaseBook } from '../../lib/releases/book';
import { ALLOWED, LOCK_TIMEOUT_MS } from '../../lib/releases/states';
import { alice, bob, carol, useControlledBook } from './controlled-book';
import { T0, deployed, deployedFrom, nid, node, refused, releaseError, versionNodes, type Harness } from './support';

describe('release book', function () {
  const controlled = useControlledBook();
  const { store, officialV1 } = controlled;
  let h: Harness;

  beforeEach(function () {
    h = controlled.h;
  });

  describe('edit locks', function () {
    beforeEach(async function () {
      await h.deploy([deployed('v1')]);
    });

    it('lets exactly one of two racing editors lock a version; the other is told who holds it', async function () {
      const results = await Promise.allSettled([h.book.edit('sales', 'v1', alice), h.book.edit('sales', 'v1', bob)]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, 1);
      const holder = h.book.version('sales', 'v1').lock;
      assert.ok(holder);
      const err = releaseError((lost[0] as PromiseRejectedResult).reason, 409, new RegExp(`being edited by ${holder.user} \\(since 09:00:00 UTC\\)`), /Editing allows only Unlock/);
      assert.equal(err.details.holder, holder.user);
      assert.deepEqual(err.details.allowed, ['unlock']);
      assert.equal(err.details.state, 'editing');
      assert.equal((won[0] as PromiseFulfilledResult<{ lock?: { user: string } }>).value.lock?.user, holder.user);
    });

    it('lets exactly one of many racing editors win, and the store holds that one lock', async function () {
      const actors = ['ann', 'ben', 'cid', 'dee', 'eve', 'fay'].map((u) => ({ user: u, editor: `ed-${u}` }));
      const results = await Promise.allSettled(actors.map((a) => h.book.edit('sales', 'v1', a)));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      const holder = h.book.version('sales', 'v1').lock?.user;
      for (const r of results) {
        if (r.status === 'rejected') releaseError(r.reason, 409, new RegExp(`being edited by ${holder}`));
      }
      const stored = await store().real.getDocument<{ flows: Record<string, { versions: Record<string, { lock?: { user: string } }> }> }>('releases', 'r1');
      assert.equal(stored?.value.flows.sales?.versions.v1?.lock?.user, holder);
    });

    it('keeps the lock when its holder asks to edit again, and refreshes it', async function () {
      await h.book.edit('sales', 'v1', alice);
      h.advance(4 * 60 * 1000);
      const again = await h.book.edit('sales', 'v1', { user: 'alice', editor: 'ed-alice' });
      assert.equal(again.state, 'editing');
      assert.equal(again.lock?.editor, 'ed-alice');
      assert.equal(again.lock?.since, T0, 'the lock is the same one');
      assert.equal(again.lock?.expiresAt, h.clock.now + LOCK_TIMEOUT_MS);
      // The same user in another editor page is another editor.
      await refused(() => h.book.edit('sales', 'v1', { user: 'alice', editor: 'ed-alice-2' }), 409, /being edited by alice/);
    });

    it('ends editing only for the editor holding the lock', async function () {
      await h.book.edit('sales', 'v1', alice);
      const err = await refused(() => h.book.finishEditing('sales', 'v1', bob), 409, /being edited by alice .*not by you/);
      assert.equal(err.details.holder, 'alice');
      assert.equal(h.book.stateOf('sales', 'v1'), 'editing');
      const done = await h.book.finishEditing('sales', 'v1', alice);
      assert.equal(done.state, 'unreleased');
      assert.equal(done.lock, undefined);
      assert.equal(done.history.at(-1)?.op, 'done');
      await refused(() => h.book.finishEditing('sales', 'v1', alice), 409, /is Unreleased, not being edited/);
    });

    it('expires a lock 5 minutes after the last request from its editor, not a moment before', async function () {
      await h.book.edit('sales', 'v1', alice);
      assert.equal(h.book.version('sales', 'v1').lock?.expiresAt, T0 + LOCK_TIMEOUT_MS);
      h.advance(LOCK_TIMEOUT_MS - 1);
      assert.deepEqual(await h.book.tick(), []);
      assert.equal(h.book.stateOf('sales', 'v1'), 'editing');
      h.advance(1);
      const lines = await h.book.tick();
      assert.deepEqual(lines, ['sales v1: the edit lock of alice expired (no request for 5 minutes): Unreleased']);
      assert.ok(h.logs.some((l) => l.level === 'info' && l.message === lines[0]));
      const v = h.book.version('sales', 'v1');
      assert.equal(v.state, 'unreleased');
      assert.equal(v.lock, undefined);
      assert.deepEqual(v.history.at(-1), { at: T0 + LOCK_TIMEOUT_MS, by: 'system', op: 'timeout', from: 'editing', to: 'unreleased', comment: 'no request from the editor of alice for 5 minutes' });
      // Now anyone may edit it.
      assert.equal((await h.book.edit('sales', 'v1', bob)).lock?.user, 'bob');
    });

    it("refreshes a lock on any request from the holder's editor (touch), and on no other editor's", async function () {
      await h.deploy([deployed('v1'), deployed('v2')]);
      await h.book.edit('sales', 'v1', alice);
      await h.book.edit('sales', 'v2', alice);
      h.advance(4 * 60 * 1000);
      await h.book.touch(bob);
      await h.book.touch({ user: 'alice' });
      assert.equal(h.book.version('sales', 'v1').lock?.expiresAt, T0 + LOCK_TIMEOUT_MS, 'not refreshed by another editor or a request without an editor');
      await h.book.touch(alice);
      const touchedAt = h.clock.now;
      for (const v of ['v1', 'v2']) assert.equal(h.book.version('sales', v).lock?.expiresAt, touchedAt + LOCK_TIMEOUT_MS, `every lock of the editor (${v})`);
      h.advance(LOCK_TIMEOUT_MS - 1);
      await h.book.tick();
      assert.equal(h.book.stateOf('sales', 'v1'), 'editing', 'five minutes after the first edit, but not after the touch');
      h.advance(1);
      assert.equal((await h.book.tick()).length, 2);
      assert.equal(h.book.stateOf('sales', 'v1'), 'unreleased');
      assert.equal(h.book.stateOf('sales', 'v2'), 'unreleased');
    });

    it('lets anyone unlock a version being edited', async function () {
      await h.book.edit('sales', 'v1', alice);
      const v = await h.book.unlock('sales', 'v1', carol);
      assert.equal(v.state, 'unreleased');
      assert.equal(v.lock, undefined);
      assert.deepEqual(
        { by: v.history.at(-1)?.by, op: v.history.at(-1)?.op, comment: v.history.at(-1)?.comment },
        { by: 'carol', op: 'unlock', comment: 'lock of alice removed' },
      );
      assert.ok(h.logs.some((l) => l.message === 'sales v1: Unlock by carol'));
      // The former holder's editor no longer holds anything.
      await refused(() => h.book.finishEditing('sales', 'v1', alice), 409, /is Unreleased/);
    });

    it('ends editing when the version is deployed with changed nodes, and not when it is deployed unchanged', async function () {
      await h.book.edit('sales', 'v1', alice);
      await h.deploy([deployed('v1')]);
      assert.equal(h.book.stateOf('sales', 'v1'), 'editing', 'same nodes: the editor is still at it');
      const moved = versionNodes('v1');
      node(moved, nid('v1', 'play')).x = 999;
      await h.deploy(deployedFrom(moved));
      assert.equal(h.book.stateOf('sales', 'v1'), 'editing', 'moving a node changes nothing');
      await h.book.reconcile([deployed('v1', { greeting: 'sound:tt-monkeys' })], 'alice');
      const v = h.book.version('sales', 'v1');
      assert.equal(v.state, 'unreleased');
      assert.equal(v.lock, undefined);
      assert.deepEqual({ op: v.history.at(-1)?.op, by: v.history.at(-1)?.by }, { op: 'deploy', by: 'alice' });
    });

    it('keeps a lock across a restart: a new book on the same store refuses other editors', async function () {
      await h.book.edit('sales', 'v1', alice);
      const again = h.openBook();
      await again.reconcile([deployed('v1')]);
      await refused(() => again.edit('sales', 'v1', bob), 409, /being edited by alice/);
      assert.equal((await again.edit('sales', 'v1', alice)).lock?.since, T0);
    });
  });

  describe('releasing a new official version', function () {
    it('lets the replaced version finish its calls (retiring, no new calls), then makes it Unreleased on tick', async function () {
      await officialV1();
      h.setLive('sales', 'v1', 2);
      const v2 = await h.book.release('sales', 'v2', { target: 'official' }, bob);
      assert.equal(v2.state, 'official');
      const v1 = h.book.version('sales', 'v1');
      assert.equal(v1.state, 'official');
      assert.equal(v1.retiring, true);
      assert.deepEqual(v1.allowed, [], 'a replaced version offers no operation');
      assert.equal(v1.history.at(-1)?.op, 'replaced');
      assert.equal(h.book.flowView('sales').official, 'v2');
      assert.deepEqual(h.book.entryStatus(nid('v1', 'entry'), 'sales', 'v1'), { fill: 'yellow', shape: 'dot', says: 'retiring', values: { version: 'v1', count: 2 }, calls: 0, text: 'v1: replaced, 2 call(s) to finish' });
      for (let i = 0; i < 200; i += 1) assert.deepEqual(h.book.pick('sales', `+1202555${i}`), { version: 'v2', gray: false });
      assert.deepEqual(h.book.pick('sales', '+12025550000', 'v1'), { refused: 'version v1 of flow sales is replaced: only Official and Gray versions take calls' });
      // Nothing can be done to it meanwhile.
      await refused(() => h.book.cancel('sales', 'v1', alice), 409, /is Official Release \(replaced, finishing its calls\)/);
      await refused(() => h.book.clone('sales', 'v1', 'v3', alice), 409, /replaced, finishing its calls/);
      await refused(() => h.book.release('sales', 'v1', { target: 'official' }, alice), 409, /replaced, finishing its calls/);
      assert.equal(h.book.allows('sales', 'v1', 'cancel'), false);
      // Calls still going: a tick leaves it.
      assert.deepEqual(await h.book.tick(), []);
      assert.equal(h.book.version('sales', 'v1').retiring, true);
      h.setLive('sales', 'v1', 0);
      assert.deepEqual(await h.book.tick(), ['sales v1: its last call ended after it was replaced: Unreleased']);
      const after = h.book.version('sales', 'v1');
      assert.equal(after.state, 'unreleased');
      assert.equal(after.retiring, false);
      assert.deepEqual(after.allowed, [...ALLOWED.unreleased]);
      assert.deepEqual({ op: after.history.at(-1)?.op, by: after.history.at(-1)?.by }, { op: 'drained', by: 'system' });
    });

    it('makes the replaced version Unreleased when its last call ends (callEnded), with no timer', async function () {
      await officialV1();
      h.setLive('sales', 'v1', 1);
      await h.book.release('sales', 'v2', { target: 'official' }, bob);
      assert.equal(h.book.version('sales', 'v1').retiring, true);
      h.book.callEnded('sales', 'v1', 'completed', 12);
      // The live count was still 1 when that call ended (another one is on): nothing happens.
      assert.deepEqual(await h.book.tick(), []);
      assert.equal(h.book.version('sales', 'v1').retiring, true);
      h.setLive('sales', 'v1', 0);
      h.book.callEnded('sales', 'v1', 'completed', 20);
      // callEnded asked for the tick itself: the one asked for here, queued after it, has nothing left to do.
      assert.deepEqual(await h.book.tick(), []);
      assert.equal(h.book.stateOf('sales', 'v1'), 'unreleased');
      assert.equal(h.book.version('sales', 'v1').retiring, false);
      assert.ok(h.logs.some((l) => l.message === 'sales v1: its last call ended after it was replaced: Unreleased'));
    });

    it('does not crash on a store failure when the last call of a replaced version ends, and catches up later', async function () {
      await officialV1();
      h.setLive('sales', 'v1', 1);
      await h.book.release('sales', 'v2', { target: 'official' }, bob);
      store().failing = 'the disk is gone';
      h.setLive('sales', 'v1', 0);
      h.book.callEnded('sales', 'v1', 'completed', 20);
      await refused(() => h.book.tick(), 503, /the release store refused the change: the disk is gone/);
      assert.equal(h.book.version('sales', 'v1').retiring, true, 'nothing changed in memory either');
      store().failing = undefined;
      await h.book.tick();
      assert.equal(h.book.stateOf('sales', 'v1'), 'unreleased');
    });

    it('makes the replaced version Unreleased at once when it has no calls', async function () {
      await officialV1();
      await h.book.release('sales', 'v2', { target: 'official', comment: 'v2 menu' }, bob);
      const v1 = h.book.version('sales', 'v1');
      assert.equal(v1.state, 'unreleased');
      assert.equal(v1.retiring, false);
      assert.deepEqual(v1.history.at(-1), { at: h.clock.now, by: 'bob', op: 'replaced', from: 'official', to: 'unreleased', comment: 'replaced by v2' });
      assert.deepEqual(h.book.pick('sales', '+12025550000'), { version: 'v2', gray: false });
    });

    it('allows one gray version per flow', async function () {
      await h.deploy([deployed('v1'), deployed('v2'), deployed('v3')]);
      await h.book.release('sales', 'v1', { target: 'official' }, alice);
      await h.book.release('sales', 'v2', { target: 'gray', gray: { share: 10, callers: [] } }, alice);
      h.advance(1000);
      const err = await refused(() => h.book.release('sales', 'v3', { target: 'gray', gray: { share: 30, callers: [] } }, bob), 409, /already has a gray version \(v2\)/);
      assert.deepEqual(err.details.allowed, [...ALLOWED.unreleased]);
      assert.equal(h.book.stateOf('sales', 'v3'), 'unreleased');
      assert.deepEqual(h.book.flowView('sales').gray, { share: 10, callers: [] });
      // Once v2 is official, v3 may be the gray one.
      await h.book.release('sales', 'v2', { target: 'official' }, alice);
      h.advance(1000);
      await h.book.release('sales', 'v3', { target: 'gray', gray: { share: 30, callers: [] } }, bob);
      assert.equal(h.book.flowView('sales').grayVersion, 'v3');
    });

    it('refuses a gray release that no call would reach (share 0, no callers) with 400', async function () {
      await officialV1();
      await refused(() => h.book.release('sales', 'v2', { target: 'gray', gray: { share: 0, callers: [] } }, bob), 400, /share of calls above 0% or at least one caller number/);
      await refused(() => h.book.release('sales', 'v2', { target: 'gray' }, bob), 400, /share of calls above 0%/);
      assert.equal(h.book.stateOf('sales', 'v2'), 'unreleased');
      assert.deepEqual(await h.book.snapshots('sales').then((s) => s.map((x) => x.version)), ['v1'], 'no snapshot of a refused release');
      const gray = await h.book.release('sales', 'v2', { target: 'gray', gray: { share: 0, callers: ['+4930*'] } }, bob);
      assert.equal(gray.state, 'gray');
    });

    it('saves a snapshot of the deployed nodes with every release, with who and why', async function () {
      await h.deploy([deployed('v1'), deployed('v2')]);
      const v1 = await h.book.release('sales', 'v1', { target: 'official', comment: 'launch' }, alice);
      h.advance(60_000);
      const g = await h.book.release('sales', 'v2', { target: 'gray', gray: { share: 5, callers: [] } }, bob);
      h.advance(60_000);
      const o = await h.book.release('sales', 'v2', { target: 'official' }, carol);
      const list = await h.book.snapshots('sales');
      assert.deepEqual(
        list.map((s) => ({ id: s.id, version: s.version, savedBy: s.savedBy, comment: s.comment, savedAt: s.savedAt, nodeCount: s.nodeCount })),
        [
          { id: o.snapshot, version: 'v2', savedBy: 'carol', comment: undefined, savedAt: T0 + 120_000, nodeCount: 9 },
          { id: g.snapshot, version: 'v2', savedBy: 'bob', comment: undefined, savedAt: T0 + 60_000, nodeCount: 9 },
          { id: v1.snapshot, version: 'v1', savedBy: 'alice', comment: 'launch', savedAt: T0, nodeCount: 9 },
        ],
      );
      assert.equal(new Set(list.map((s) => s.id)).size, 3);
      assert.deepEqual(await h.store.listSnapshots('sales').then((s) => s.length), 3, 'in the store itself');
      const saved = await h.store.getSnapshot(v1.snapshot ?? '');
      assert.deepEqual(saved?.nodes, versionNodes('v1'));
      const info = await h.book.info('sales', 'v2');
      assert.equal(info.snapshot, o.snapshot);
      assert.equal(info.releasedBy, 'carol');
      assert.equal(info.snapshots.length, 3);
    });

    it('releases nothing when the snapshot cannot be saved (503)', async function () {
      await officialV1();
      store().failing = 'disk full';
      await refused(() => h.book.release('sales', 'v2', { target: 'official' }, bob), 503, /snapshot could not be saved, so nothing was released: disk full/);
      assert.equal(h.book.stateOf('sales', 'v2'), 'unreleased');
      assert.equal(h.book.flowView('sales').official, 'v1');
    });
  });

  describe('the store', function () {
    it('refuses a change the store cannot take (503) and keeps what it had', async function () {
      await h.deploy([deployed('v1')]);
      store().failing = 'connection reset';
      await refused(() => h.book.edit('sales', 'v1', alice), 503, /the release store refused the change: connection reset/);
      assert.equal(h.book.stateOf('sales', 'v1'), 'unreleased');
      store().failing = undefined;
      await h.book.edit('sales', 'v1', alice);
      assert.equal(h.book.stateOf('sales', 'v1'), 'editing');
    });

    it('refuses with 503 when the store cannot be opened, and loads once it can', async function () {
      let reachable = false;
      const book = h.openBook({ store: () => (reachable ? Promise.resolve(store()) : Promise.reject(new Error('no route to host'))) });
      assert.deepEqual(await book.reconcile([deployed('v1')]), ['error: the release states could not be saved after this deploy: the release store cannot be reached: no route to host']);
      await refused(() => book.edit('sales', 'v1', alice), 503, /the release store cannot be reached: no route to host/);
      assert.equal(book.ready, false);
      assert.deepEqual(book.pick('sales', '+1'), { refused: 'the release states of sales are not loaded yet (the store is opening)' });
      assert.deepEqual(book.entryStatus('e', 'sales', 'v1'), { fill: 'yellow', shape: 'ring', says: 'loading', values: {}, calls: 0, text: 'loading release states' });
      reachable = true;
      // The timer's tick asks the store again: the states load without waiting for a deploy.
      await book.tick();
      assert.equal(book.ready, true);
      const lines = await book.reconcile([deployed('v1')]);
      assert.deepEqual(lines, ['info: sales v1 deployed for the first time: New']);
      assert.equal(book.ready, true);
    });

    it('takes the other side of a write made elsewhere (another Node-RED on the same store): 409, reloaded, then works', async function () {
      await h.deploy([deployed('v1'), deployed('v2')]);
      const other = h.openBook();
      await other.reconcile([deployed('v1'), deployed('v2')]);
      await other.edit('sales', 'v1', bob);
      await refused(() => h.book.edit('sales', 'v2', alice), 409, /changed elsewhere meanwhile; they have been reloaded, try again/);
      assert.equal(h.book.stateOf('sales', 'v1'), 'editing', 'the reload brought the other lock');
      await h.book.edit('sales', 'v2', alice);
      await refused(() => h.book.edit('sales', 'v1', alice), 409, /being edited by bob/);
    });

    it('reports a deploy it could not save, and still routes by the deployed tabs', async function () {
      await officialV1();
      store().failing = 'read-only file system';
      const lines = await h.deploy([deployed('v1'), deployed('v2'), deployed('v3')]);
      assert.equal(lines.at(-1), 'error: the release states could not be saved after this deploy: the release store refused the change: read-only file system');
      assert.equal(h.book.stateOf('sales', 'v3'), undefined);
      assert.equal(h.book.deployedVersion('sales', 'v3')?.tab, nid('v3', 'tab'));
      assert.deepEqual(h.book.pick('sales', '+1'), { version: 'v1', gray: false });
    });
  });

  describe('names that Object.prototype also has', function () {
    // Flow and version names are letters, digits, _ . and -: "constructor", "toString" and "__proto__" are valid ones.
    const NAMES = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'];

    it('answers "no such flow/version" for them, never a TypeError (found by the admin API fuzz: DELETE .../flows/toString/versions/r1 answered 500)', async function () {
      await officialV1();
      for (const name of NAMES) {
        for (const [flow, version] of [[name, 'v1'], ['sales', name], [name, name]] as const) {
          await refused(() => h.book.remove(flow, version, alice), 404, /no flow|has no version/);
          await refused(() => h.book.release(flow, version, { target: 'official', comment: '' }, alice), 404, /no flow|has no version/);
          await refused(() => h.book.edit(flow, version, alice), 404, /no flow|has no version/);
          await refused(() => h.book.version(flow, version), 404, /no flow|has no version/);
          assert.equal(h.book.stateOf(flow, version), undefined, `${flow} ${version}`);
          assert.ok('refused' in h.book.pick(flow, '+4930123', version), `pick ${flow} ${version}`);
        }
        assert.ok('refused' in h.book.pick(name, '+4930123'), `pick ${name}`);
      }
    });

    it('keeps a flow and a version with such names as its own entries, through a deploy, a release, a delete and a restart', async function () {
      const d = (flow: string, version: string): ReturnType<typeof deployed> => ({ ...deployed('v1'), flow, version });
      await h.deploy([d('constructor', '__proto__'), d('__proto__', 'toString')]);
      assert.equal(h.book.stateOf('constructor', '__proto__'), 'unreleased');
      assert.equal(h.book.stateOf('__proto__', 'toString'), 'unreleased');
      assert.equal(Object.getPrototypeOf({}), Object.prototype, 'no prototype was replaced');
      assert.equal(({} as Record<string, unknown>).versions, undefined, 'Object.prototype gained nothing');
      await h.book.remove('__proto__', 'toString', alice);
      assert.equal(h.book.stateOf('__proto__', 'toString'), undefined);
      const again = h.openBook();
      await again.load();
      assert.equal(again.stateOf('constructor', '__proto__'), 'unreleased', 'read back from the store');
      assert.equal(again.stateOf('__proto__', 'toString'), undefined);
    });
  });

  describe('counters', function () {
    async function countersOf(book: ReleaseBook, version: string): Promise<unknown> {
      await book.load();
      return book.version('sales', version).counters;
    }

    it('counts calls and how they ended per version, and keeps them across a restart', async function () {
      await officialV1();
      const { book } = h;
      for (let i = 0; i < 5; i += 1) book.callStarted('sales', 'v1');
      book.callStarted('sales', 'v2');
      book.callEnded('sales', 'v1', 'completed', 30);
      book.callEnded('sales', 'v1', 'completed', 45.5);
      book.callEnded('sales', 'v1', 'hung-up-early', 3.2);
      book.callEnded('sales', 'v1', 'transferred', 61);
      book.callEnded('sales', 'v1', 'other', -4);
      book.callStarted('sales', 'nosuch');
      book.callEnded('nosuch', 'v1', 'completed', 1);
      const expected = { calls: 5, completed: 2, hungUpEarly: 1, transferred: 1, totalSec: 139.7, ended: 5, averageSec: 27.9 };
      assert.deepEqual(book.version('sales', 'v1').counters, expected);
      assert.deepEqual(book.version('sales', 'v2').counters, { calls: 1, completed: 0, hungUpEarly: 0, transferred: 0, totalSec: 0, ended: 0, averageSec: 0 });
      await book.close();
      const again = h.openBook();
      assert.deepEqual(await countersOf(again, 'v1'), expected);
      assert.deepEqual(await countersOf(again, 'v2'), { calls: 1, completed: 0, hungUpEarly: 0, transferred: 0, totalSec: 0, ended: 0, averageSec: 0 });
    });

    it('writes pending counters with the next change', async function () {
      await officialV1();
      h.book.callStarted('sales', 'v1');
      h.book.callEnded('sales', 'v1', 'transferred', 8);
      await h.book.edit('sales', 'v2', alice);
      const stored = await h.store.getDocument<{ flows: Record<string, { versions: Record<string, { counters: Record<string, number> }> }> }>('releases', 'r1');
      assert.deepEqual(stored?.value.flows.sales?.versions.v1?.counters, { calls: 1, completed: 0, hungUpEarly: 0, transferred: 1, totalSec: 8, ended: 1 });
    });

    it('loses no call counted while a change is being written', async function () {
      await officialV1();
      const held = store().hold();
      const editing = h.book.edit('sales', 'v2', alice);
      await held.reached;
      // The document was copied and is on its way to the store: calls go on meanwhile.
      h.book.callStarted('sales', 'v1');
      h.book.callStarted('sales', 'v1');
      h.book.callEnded('sales', 'v1', 'completed', 10);
      held.release();
      await editing;
      const expected = { calls: 2, completed: 1, hungUpEarly: 0, transferred: 0, totalSec: 10, ended: 1, averageSec: 10 };
      assert.deepEqual(h.book.version('sales', 'v1').counters, expected);
      await h.book.close();
      assert.deepEqual(await countersOf(h.openBook(), 'v1'), expected, 'and they reach the store');
    });
  });
});
