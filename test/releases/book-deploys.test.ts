/**
 * What a deploy does to the release book (ReleaseBook.reconcile, on a real
 * embedded store): a version deployed for the first time, a release set in
 * the entry's settings, the entries' statuses, what a deploy refuses or
 * ignores, two entries claiming one version. Apart from book.test.ts
 * because a deploy is how versions reach the book, not an operation on
 * one. Time is the harness's clock; nothing waits.
 */
import assert from 'node:assert/strict';
import { alice, useControlledBook } from './controlled-book';
import { deployed, deployedFrom, nid, node, refused, versionNodes, type Harness } from './support';

describe('release book', function () {
  const controlled = useControlledBook();
  const { officialV1 } = controlled;
  let h: Harness;

  beforeEach(function () {
    h = controlled.h;
  });

  describe('deploys (reconcile)', function () {
    it('records a version deployed for the first time as New, until a deploy changes its tab (an edit): then Unreleased', async function () {
      const lines = await h.book.reconcile([deployed('v1')], 'alice');
      assert.deepEqual(lines, ['info: sales v1 deployed for the first time: New']);
      const v = h.book.version('sales', 'v1');
      assert.equal(v.state, 'new');
      assert.deepEqual(v.allowed, ['edit', 'delete']);
      assert.equal(v.createdBy, 'alice');
      assert.equal(v.deployed, true);
      assert.equal(v.tab, nid('v1', 'tab'));
      assert.deepEqual(v.history.map((e) => [e.op, e.by, e.from, e.to, e.comment]), [['deploy', 'alice', 'new', 'new', 'deployed for the first time']]);
      assert.deepEqual(h.book.entryStatus(nid('v1', 'entry'), 'sales', 'v1'), { fill: 'grey', shape: 'ring', says: 'new', values: { version: 'v1' }, calls: 0, text: 'v1: New' });
      assert.deepEqual(await h.book.reconcile([deployed('v1')]), [], 'nothing new the second time');
      assert.equal(h.book.stateOf('sales', 'v1'), 'new', 'deployed unchanged: still New');
      await refused(() => h.book.release('sales', 'v1', { target: 'official' }, alice), 409, /Release is not allowed: version v1 of flow sales is New, which allows Edit, Delete/);
      await h.book.reconcile([deployed('v1', { greeting: 'sound:beep' })], 'bob');
      assert.equal(h.book.stateOf('sales', 'v1'), 'unreleased', 'its tab changed: edited');
      assert.deepEqual(h.book.version('sales', 'v1').history.at(-1), { at: h.clock.now, by: 'bob', op: 'deploy', from: 'new', to: 'unreleased' });
    });

    it('makes a New version (a clone) Unreleased when its tab is deployed', async function () {
      await officialV1();
      const made = await h.book.clone('sales', 'v1', 'v3', alice);
      assert.equal(h.book.stateOf('sales', 'v3'), 'new');
      await h.book.reconcile([deployed('v1'), deployed('v2'), ...deployedFrom(made.nodes)]);
      assert.equal(h.book.stateOf('sales', 'v3'), 'unreleased');
      assert.deepEqual(h.book.version('sales', 'v3').from, { version: 'v1' });
    });

    it('releases a version deployed with the release tag "official" whose nodes changed', async function () {
      await h.deploy([deployed('v1')]);
      const lines = await h.book.reconcile([deployed('v1', { release: 'official' })], 'alice');
      assert.deepEqual(lines, ['info: sales v1 released as the official version by deploying its tab']);
      const v = h.book.version('sales', 'v1');
      assert.equal(v.state, 'official');
      assert.equal(v.releasedBy, 'alice');
      assert.equal(v.comment, 'released by deploying its tab');
      const snapshots = await h.book.snapshots('sales');
      assert.deepEqual(
        snapshots.map((x) => ({ id: x.id, savedBy: x.savedBy, comment: x.comment, version: x.version })),
        [{ id: v.snapshot, savedBy: 'alice', comment: 'released by deploying its tab', version: 'v1' }],
      );
      assert.deepEqual(h.book.entryStatus(nid('v1', 'entry'), 'sales', 'v1'), { fill: 'green', shape: 'dot', says: 'official', values: { version: 'v1' }, calls: 0, text: 'v1: Official Release' });
    });

    it('does not act on the release tag of a version someone was editing: the deploy ends the editing, the entry says why', async function () {
      await h.deploy([deployed('v1')]);
      await h.book.edit('sales', 'v1', alice);
      const lines = await h.book.reconcile([deployed('v1', { release: 'official', greeting: 'sound:beep' })], 'bob');
      assert.deepEqual(lines, ['warn: sales v1 was being edited by alice: its release tag "official" was not acted on (the deploy ended the editing; release it from the Call flows sidebar)']);
      const v = h.book.version('sales', 'v1');
      assert.equal(v.state, 'unreleased');
      assert.equal(v.lock, undefined);
      const status = h.book.entryStatus(nid('v1', 'entry'), 'sales', 'v1');
      assert.equal(status.says, 'tag-refused');
      assert.equal(status.fill, 'red');
      assert.deepEqual(await h.book.snapshots('sales'), [], 'nothing was released');
    });

    it('does not ask again for a release the tag already made: a changed official version keeps its tag, is warned about, and stays official', async function () {
      await h.book.reconcile([deployed('v1', { release: 'official' })], 'alice');
      assert.equal(h.book.stateOf('sales', 'v1'), 'official');
      const lines = await h.book.reconcile([deployed('v1', { release: 'official', greeting: 'sound:beep' })], 'alice');
      assert.deepEqual(lines, ['warn: sales v1 is Official Release and its nodes were changed by this deploy; the changes run, but were not released: clone the version to change it']);
      assert.equal(h.book.stateOf('sales', 'v1'), 'official');
      assert.equal(h.book.version('sales', 'v1').changedSinceRelease, true);
      assert.equal(h.book.entryStatus(nid('v1', 'entry'), 'sales', 'v1').fill, 'green');
    });

    it('releases a first deploy with the tag "gray" with the share and callers of its entry', async function () {
      await h.deploy([deployed('v1', { release: 'official' })]);
      const lines = await h.deploy([deployed('v1', { release: 'official' }), deployed('v2', { release: 'gray', grayShare: 15, grayCallers: '+4930*, 5551234' })]);
      assert.deepEqual(lines, ['info: sales v2 deployed for the first time: New', 'info: sales v2 released as the gray version by deploying its tab']);
      assert.deepEqual(h.book.flowView('sales').gray, { share: 15, callers: ['+4930*', '5551234'] });
      h.setLive('sales', 'v2', 1);
      assert.deepEqual(h.book.entryStatus(nid('v2', 'entry'), 'sales', 'v2'), { fill: 'blue', shape: 'dot', says: 'gray-callers', values: { version: 'v2', share: 15, callers: 2 }, calls: 1, text: 'v2: Gray Release 15% + 2 caller(s), 1 call' });
    });

    it('releases neither of two versions of one flow tagged official in one deploy, and says so on both entries', async function () {
      await h.deploy([deployed('v1'), deployed('v2')]);
      const lines = await h.deploy([deployed('v1', { release: 'official' }), deployed('v2', { release: 'official' })]);
      assert.deepEqual(lines, ['error: 2 versions of sales are tagged official (v1, v2): none was released']);
      assert.equal(h.book.stateOf('sales', 'v1'), 'unreleased');
      assert.equal(h.book.stateOf('sales', 'v2'), 'unreleased');
      assert.deepEqual(await h.book.snapshots('sales'), []);
      for (const v of ['v1', 'v2']) {
        const status = h.book.entryStatus(nid(v, 'entry'), 'sales', v);
        assert.equal(status.fill, 'red');
        assert.equal(status.shape, 'ring');
        assert.match(status.text, /^2 versions of sales are tagged official \(v1, v2\)/);
        assert.ok(status.text.length <= 60, status.text);
      }
      // Tags of different flows do not clash.
      const other = await h.deploy([deployed('v1', { release: 'official', flow: 'support' }), deployed('v2'), deployed('v1', { release: 'official', greeting: 'sound:tt-monkeys' })]);
      assert.ok(other.includes('info: sales v1 released as the official version by deploying its tab'), other.join('\n'));
      assert.ok(other.includes('info: support v1 released as the official version by deploying its tab'), other.join('\n'));
      assert.deepEqual(h.book.entryStatus(nid('v1', 'entry'), 'sales', 'v1').fill, 'green');
    });

    it('does not release again on an unchanged redeploy with the tag (after a cancel)', async function () {
      await h.deploy([deployed('v1', { release: 'official' })]);
      assert.equal(h.book.stateOf('sales', 'v1'), 'official');
      await h.book.cancel('sales', 'v1', alice);
      const lines = await h.deploy([deployed('v1', { release: 'official' })]);
      assert.deepEqual(lines, []);
      assert.equal(h.book.stateOf('sales', 'v1'), 'unreleased');
      assert.equal((await h.book.snapshots('sales')).length, 1);
    });

    it('reports a release tag it could not honour on the entry (validation, gray without share)', async function () {
      await h.deploy([deployed('v1', { release: 'official' })]);
      h.configTypes.delete('s1');
      const broken = versionNodes('v2', { release: 'gray', grayShare: 0, grayCallers: '' });
      const lines = await h.deploy([deployed('v1', { release: 'official' }), ...deployedFrom(broken)]);
      assert.equal(lines.length, 2, lines.join('\n'));
      assert.match(lines[1] ?? '', /^error: sales v2 was deployed with the release tag "gray" but not released: a gray release needs a share/);
      assert.deepEqual(h.book.entryStatus(nid('v2', 'entry'), 'sales', 'v2').fill, 'red');
      assert.equal(h.book.stateOf('sales', 'v2'), 'unreleased');
    });

    it('warns when a deploy changes an Official version, and shows it as changed since release', async function () {
      await h.deploy([deployed('v1', { release: 'official' })]);
      assert.equal(h.book.version('sales', 'v1').changedSinceRelease, false);
      const moved = versionNodes('v1', { release: 'official' });
      node(moved, nid('v1', 'menu')).x = 10;
      node(moved, nid('v1', 'menu')).y = 500;
      assert.deepEqual(await h.deploy(deployedFrom(moved)), [], 'moving nodes is no change');
      assert.equal(h.book.version('sales', 'v1').changedSinceRelease, false);
      const lines = await h.deploy([deployed('v1', { release: 'official', greeting: 'sound:tt-monkeys' })]);
      assert.ok(
        lines.includes('warn: sales v1 is Official Release and its nodes were changed by this deploy; the changes run, but were not released: clone the version to change it'),
        lines.join('\n'),
      );
      const v = h.book.version('sales', 'v1');
      assert.equal(v.state, 'official');
      assert.equal(v.changedSinceRelease, true);
      // Put back as released: no longer changed.
      await h.deploy([deployed('v1', { release: 'official' })]);
      assert.equal(h.book.version('sales', 'v1').changedSinceRelease, false);
    });

    it('marks a version claimed by two entries as a conflict that takes no calls', async function () {
      await officialV1();
      const twice = [...versionNodes('v2'), ...versionNodes('v2').map((n) => ({ ...n, id: `${n.id}.copy`, z: n.z ? `${n.z}.copy` : undefined }))];
      const lines = await h.deploy([deployed('v1'), ...deployedFrom(twice)]);
      assert.deepEqual(lines, [`error: 2 entries claim sales v2: it takes no calls (entries ${nid('v2', 'entry')}, ${nid('v2', 'entry')}.copy on tabs ${nid('v2', 'tab')}, ${nid('v2', 'tab')}.copy); give each tab its own version`]);
      assert.equal(h.book.version('sales', 'v2').conflict, '2 entries claim sales v2: it takes no calls');
      assert.equal(h.book.version('sales', 'v2').deployed, false);
      assert.deepEqual(h.book.entryStatus(`${nid('v2', 'entry')}.copy`, 'sales', 'v2'), { fill: 'red', shape: 'ring', says: 'conflict', values: { flow: 'sales', version: 'v2' }, calls: 0, text: '2 entries claim sales v2: it takes no calls' });
      // The next deploy without the duplicate clears it.
      await h.deploy([deployed('v1'), deployed('v2')]);
      assert.equal(h.book.version('sales', 'v2').conflict, undefined);
    });

    it('calls its listeners after every change', async function () {
      let calls = 0;
      const off = h.book.onChange(() => (calls += 1));
      await h.deploy([deployed('v1')]);
      const afterDeploy = calls;
      assert.ok(afterDeploy >= 1);
      await h.book.edit('sales', 'v1', alice);
      assert.ok(calls > afterDeploy);
      off();
      const before = calls;
      await h.book.unlock('sales', 'v1', alice);
      assert.equal(calls, before);
    });
  });
});
