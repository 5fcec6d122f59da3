/**
 * Comparing versions (lib/releases/diff.ts) and copying one as a new
 * version (lib/releases/nodes.ts): added, removed and changed nodes with
 * each changed setting and output as a readable line, positions being no
 * change; clone and restore give derived ids, the new version on the
 * entry, a cleared release tag, the tab label and rewritten wires; and a
 * copy compares to its original node for node (book.diff with versions
 * and snapshots).
 */
import assert from 'node:assert/strict';
import type { Actor } from '../../lib/releases/book';
import { put } from '../../lib/own';
import { diffVersions } from '../../lib/releases/diff';
import { copyAsVersion, copyId, hashNodes, nodeLabel, type FlowNode } from '../../lib/releases/nodes';
import { deployed, deployedFrom, harness, nid, node, refused, versionNodes, type Harness } from './support';

const alice: Actor = { user: 'alice', editor: 'ed-alice' };
const bob: Actor = { user: 'bob', editor: 'ed-bob' };
const id = (name: string, version = 'v1'): string => nid(version, name);

/** Every string in `value` (deeply). */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

describe('versions compared and copied', function () {
  describe('diffVersions', function () {
    it('compares settings named as Object.prototype members as the nodes\' own (a setting one side lacks is absent there)', function () {
      const before = versionNodes('v1');
      const after = structuredClone(before);
      const menu = node(after, id('menu'));
      put(menu, '__proto__', {});
      put(menu, 'toString', 'x');
      const d = diffVersions({ version: 'v1', nodes: before }, { version: 'v1b', nodes: after });
      assert.deepEqual(d.changed.map((c) => c.changes), [[{ field: '__proto__', before: undefined, after: {} }, { field: 'toString', before: undefined, after: 'x' }]]);
      const back = diffVersions({ version: 'v1b', nodes: after }, { version: 'v1', nodes: before });
      assert.deepEqual(back.changed.map((c) => c.changes), [[{ field: '__proto__', before: {}, after: undefined }, { field: 'toString', before: 'x', after: undefined }]]);
    });

    it('lists added, removed and changed nodes, each setting and output that changed, as readable lines', function () {
      const before = versionNodes('v1');
      const after = structuredClone(before).filter((n) => n.id !== id('transfer'));
      node(after, id('li')).wires = [[id('hangup')]];
      node(after, id('play')).wires = [[id('set')]];
      after.push({ id: id('set'), type: 'callflow-set', z: id('tab'), name: 'remember', rules: [{ key: 'greeted', value: 'yes' }], wires: [[id('hangup')]] });
      node(after, id('menu')).retries = 3;
      node(after, id('menu')).timeoutSec = 5;
      const d = diffVersions({ version: 'v1', nodes: before }, { version: 'v1b', nodes: after });
      assert.deepEqual(d.removed, [{ id: id('transfer'), type: 'callflow-transfer', label: `transfer "agent" (${id('transfer')})` }]);
      assert.deepEqual(d.added, [{ id: id('set'), type: 'callflow-set', label: `set "remember" (${id('set')})` }]);
      assert.deepEqual(d.changed, [
        {
          id: id('menu'),
          type: 'callflow-menu',
          label: `menu "main menu" (${id('menu')})`,
          changes: [
            { field: 'retries', before: 2, after: 3 },
            { field: 'timeoutSec', before: undefined, after: 5 },
          ],
        },
        { id: id('play'), type: 'callflow-play', label: `play "greeting" (${id('play')})`, changes: [{ field: 'output 1', before: [`hangup (${id('hangup')})`], after: [`set "remember" (${id('set')})`] }] },
        { id: id('li'), type: 'link in', label: `link in (${id('li')})`, changes: [{ field: 'output 1', before: [`a node not in v1b (${id('transfer')})`], after: [`hangup (${id('hangup')})`] }] },
      ]);
      assert.deepEqual(d.lines, [
        `menu "main menu" (${id('menu')}): retries 2 -> 3`,
        `menu "main menu" (${id('menu')}): timeoutSec nothing -> 5`,
        `play "greeting" (${id('play')}): output 1 ["hangup (${id('hangup')})"] -> ["set \\"remember\\" (${id('set')})"]`,
        `link in (${id('li')}): output 1 ["a node not in v1b (${id('transfer')})"] -> ["hangup (${id('hangup')})"]`,
        `removed transfer "agent" (${id('transfer')})`,
        `added set "remember" (${id('set')})`,
      ]);
    });

    it('shows outputs added and removed, and wires to several nodes in any order as the same', function () {
      const before = versionNodes('v1');
      const after = structuredClone(before);
      node(before, id('answer')).wires = [[id('menu'), id('play')]];
      node(after, id('answer')).wires = [[id('play'), id('menu')], [id('hangup')]];
      node(after, id('menu')).wires = [[id('play')], [id('lo')]];
      const d = diffVersions({ version: 'v1', nodes: before }, { version: 'v1', nodes: after });
      // The order of the targets of one output does not matter, and an empty output dropped from the end (menu output 3) is no change.
      assert.deepEqual(d.lines, [`answer (${id('answer')}): output 2 [] -> ["hangup (${id('hangup')})"]`]);
      assert.deepEqual(d.changed.map((c) => c.id), [id('answer')]);
    });

    it('does not count where nodes sit on the canvas, or the tab, as a change', function () {
      const before = versionNodes('v1');
      const after = structuredClone(before).map((n) => ({ ...n, x: 5, y: 7, w: 100, h: 40, g: 'group1', z: 'elsewhere' }));
      node(after, id('tab')).label = 'renamed tab';
      const d = diffVersions({ version: 'v1', nodes: before }, { version: 'v1', nodes: after });
      assert.deepEqual(d, { added: [], removed: [], changed: [], lines: [] });
    });

    it('matches nodes with new ids by type and name where that is unique on both sides', function () {
      const before = versionNodes('v1');
      const after = structuredClone(before).map((n) => (n.type === 'tab' ? n : { ...n, id: `new.${n.id}`, wires: (n.wires ?? []).map((o) => o.map((t) => `new.${t}`)), links: Array.isArray(n.links) ? (n.links as string[]).map((t) => `new.${t}`) : n.links }));
      node(after, `new.${id('play')}`).prompts = ['sound:tt-monkeys'];
      const d = diffVersions({ version: 'v1', nodes: before }, { version: 'v1', nodes: after });
      // Unique type+name: answer, menu, play, transfer, hangup, entry, link out, link in (all differently typed or named).
      assert.deepEqual(d.added, []);
      assert.deepEqual(d.removed, []);
      assert.deepEqual(d.lines, [`play "greeting" (new.${id('play')}): prompts ["sound:hello-world"] -> ["sound:tt-monkeys"]`]);
      // Two unnamed hangups on each side cannot be told apart: they are removed and added.
      const b2 = [...before, { id: 'hx', type: 'callflow-hangup', z: id('tab'), name: '', wires: [] }];
      const a2 = [...after, { id: 'new.hx', type: 'callflow-hangup', z: id('tab'), name: '', wires: [] }];
      const d2 = diffVersions({ version: 'v1', nodes: b2 }, { version: 'v1', nodes: a2 });
      assert.deepEqual(d2.removed.map((r) => r.id).sort(), [id('hangup'), 'hx'].sort());
      assert.deepEqual(d2.added.map((r) => r.id).sort(), [`new.${id('hangup')}`, 'new.hx'].sort());
    });

    it('shortens long values in its lines', function () {
      const before = versionNodes('v1');
      const after = structuredClone(before);
      node(after, id('play')).prompts = Array.from({ length: 12 }, (_, i) => `sound:digits/${i}`);
      const [line] = diffVersions({ version: 'v1', nodes: before }, { version: 'v1', nodes: after }).lines;
      assert.ok(line);
      const shown = line.split(' -> ')[1] ?? '';
      assert.equal(shown.length, 80);
      assert.ok(shown.endsWith('...'));
    });
  });

  describe('copies (clone, restore)', function () {
    it('gives every node a derived id, the entry the new version and no release tag, the tab its label, and rewires it', function () {
      const original = versionNodes('v1', { release: 'official' });
      node(original, id('play')).credentials = { token: 'secret' };
      const copy = copyAsVersion(original, 'sales', 'v2');
      assert.equal(copy.length, original.length);
      const ids = new Map(original.map((n) => [n.id, copyId('v2', n.id)]));
      original.forEach((o, i) => {
        const c = copy[i] as FlowNode;
        assert.equal(c.id, ids.get(o.id));
        assert.equal(c.type, o.type);
        if (o.z) assert.equal(c.z, ids.get(o.z));
        assert.deepEqual(
          c.wires,
          o.wires?.map((out) => out.map((t) => ids.get(t))),
          `wires of ${o.id}`,
        );
        assert.equal('credentials' in c, false);
      });
      const tab = node(copy, copyId('v2', id('tab')));
      assert.equal(tab.label, 'sales v2');
      const entry = node(copy, copyId('v2', id('entry')));
      assert.equal(entry.version, 'v2');
      assert.equal(entry.release, '');
      assert.equal(entry.connection, 'a1', 'config nodes outside the tab are kept');
      assert.equal(entry.releases, 'r1');
      assert.deepEqual(node(copy, copyId('v2', id('lo'))).links, [copyId('v2', id('li'))]);
      assert.deepEqual(node(copy, copyId('v2', id('li'))).links, [copyId('v2', id('lo'))]);
      // No id of the original is left anywhere in the copy.
      const old = new Set(original.map((n) => n.id));
      for (const s of strings(copy)) assert.ok(!old.has(s), `${s} was not rewritten`);
      // Settings are kept.
      assert.deepEqual(node(copy, copyId('v2', id('menu'))).prompts, ['sound:vm-options']);
      assert.equal(node(copy, copyId('v2', id('menu'))).x, 480);
      // The ids are derived: the same for the same version, different for another.
      assert.equal(copyId('v2', id('menu')), copyId('v2', id('menu')));
      assert.notEqual(copyId('v3', id('menu')), copyId('v2', id('menu')));
      assert.match(copyId('v2', id('menu')), /^[0-9a-f]{16}$/);
      assert.notEqual(hashNodes(copy), hashNodes(original));
    });

    it('compares a copy to its original node for node, whichever side it is on', function () {
      const original = versionNodes('v1', { release: 'official' });
      const copy = copyAsVersion(original, 'sales', 'v2');
      const empty = { added: [], removed: [], changed: [], lines: [] };
      assert.deepEqual(diffVersions({ version: 'v1', nodes: original }, { version: 'v2', nodes: copy }), empty);
      assert.deepEqual(diffVersions({ version: 'v2', nodes: copy }, { version: 'v1', nodes: original }), empty);
      node(copy, copyId('v2', id('transfer'))).destination = 'PJSIP/200';
      const d = diffVersions({ version: 'v2', nodes: copy }, { version: 'v1', nodes: original });
      assert.deepEqual(d.lines, [`transfer "agent" (${id('transfer')}): destination "PJSIP/200" -> "PJSIP/100"`]);
      // Matching ids through the copy hides no real change: a link pointed elsewhere, an entry on another connection.
      const moved = copyAsVersion(original, 'sales', 'v2');
      node(moved, copyId('v2', id('lo'))).links = [copyId('v2', id('hangup'))];
      node(moved, copyId('v2', id('entry'))).connection = 'a2';
      const d2 = diffVersions({ version: 'v1', nodes: original }, { version: 'v2', nodes: moved });
      assert.deepEqual(
        d2.changed.map((c) => [c.id, c.changes.map((x) => x.field)]),
        [
          [copyId('v2', id('entry')), ['connection']],
          [copyId('v2', id('lo')), ['links']],
        ],
      );
    });
  });

  describe('through the book', function () {
    let h: Harness;
    beforeEach(async function () {
      h = await harness();
      await h.deploy([deployed('v1', { release: 'official' })]);
      assert.equal(h.book.stateOf('sales', 'v1'), 'official');
      h.advance(1000);
    });
    afterEach(async function () {
      await h.close();
    });

    it('clones a version as New with the copy of its deployed nodes', async function () {
      const made = await h.book.clone('sales', 'v1', 'v2', bob);
      assert.equal(made.version.state, 'new');
      assert.deepEqual(made.version.from, { version: 'v1' });
      assert.deepEqual(made.nodes, copyAsVersion(versionNodes('v1', { release: 'official' }), 'sales', 'v2'));
      assert.equal(node(made.nodes, copyId('v2', id('tab'))).label, 'sales v2');
      const entry = node(made.nodes, copyId('v2', id('entry')));
      assert.deepEqual({ version: entry.version, release: entry.release }, { version: 'v2', release: '' });
      assert.deepEqual(entry.wires, [[copyId('v2', id('answer'))]]);
    });

    it('compares a deployed clone with one changed setting to its original: exactly that change', async function () {
      const made = await h.book.clone('sales', 'v1', 'v2', bob);
      // Deployed as it came: no difference at all.
      await h.deploy([deployed('v1', { release: 'official' }), ...deployedFrom(made.nodes)]);
      const same = await h.book.diff('sales', { version: 'v1' }, { version: 'v2' });
      assert.deepEqual({ added: same.added, removed: same.removed, changed: same.changed, lines: same.lines }, { added: [], removed: [], changed: [], lines: [] });
      assert.equal(same.before, 'v1 as deployed');
      assert.equal(same.after, 'v2 as deployed');
      // Edited: one prompt changed, and a few nodes moved.
      const edited = structuredClone(made.nodes);
      const play = node(edited, copyId('v2', id('play')));
      play.prompts = ['sound:tt-monkeys'];
      play.x = 10;
      node(edited, copyId('v2', id('menu'))).y = 300;
      await h.deploy([deployed('v1', { release: 'official' }), ...deployedFrom(edited)]);
      const d = await h.book.diff('sales', { version: 'v1' }, { version: 'v2' });
      assert.deepEqual(d.added, []);
      assert.deepEqual(d.removed, []);
      assert.deepEqual(d.changed, [
        { id: copyId('v2', id('play')), type: 'callflow-play', label: `play "greeting" (${copyId('v2', id('play'))})`, changes: [{ field: 'prompts', before: ['sound:hello-world'], after: ['sound:tt-monkeys'] }] },
      ]);
      assert.deepEqual(d.lines, [`play "greeting" (${copyId('v2', id('play'))}): prompts ["sound:hello-world"] -> ["sound:tt-monkeys"]`]);
    });

    it('restores a snapshot as a New version, and compares it to the snapshot node for node', async function () {
      const v1 = h.book.version('sales', 'v1');
      assert.ok(v1.snapshot);
      const restored = await h.book.restore(v1.snapshot, 'v3', alice);
      assert.equal(restored.version.state, 'new');
      assert.deepEqual(restored.version.from, { snapshot: v1.snapshot });
      for (const original of versionNodes('v1')) assert.ok(restored.nodes.some((n) => n.id === copyId('v3', original.id)), `a copy of ${original.id}`);
      assert.equal(node(restored.nodes, copyId('v3', id('tab'))).label, 'sales v3');
      const entry = node(restored.nodes, copyId('v3', id('entry')));
      assert.deepEqual({ version: entry.version, release: entry.release, z: entry.z }, { version: 'v3', release: '', z: copyId('v3', id('tab')) });
      assert.deepEqual(node(restored.nodes, copyId('v3', id('menu'))).wires, [[copyId('v3', id('play'))], [copyId('v3', id('lo'))], []]);

      const edited = structuredClone(restored.nodes);
      node(edited, copyId('v3', id('menu'))).retries = 5;
      await h.deploy([deployed('v1', { release: 'official' }), ...deployedFrom(edited)]);
      assert.equal(h.book.stateOf('sales', 'v3'), 'unreleased');
      const d = await h.book.diff('sales', { snapshot: v1.snapshot }, { version: 'v3' });
      assert.equal(d.before, `v1 as released ${new Date(v1.releasedAt ?? 0).toISOString()}`);
      assert.equal(d.after, 'v3 as deployed');
      assert.deepEqual(d.lines, [`menu "main menu" (${copyId('v3', id('menu'))}): retries 2 -> 5`]);
      assert.deepEqual({ added: d.added, removed: d.removed }, { added: [], removed: [] });
      // And the other way round.
      const back = await h.book.diff('sales', { version: 'v3' }, { snapshot: v1.snapshot });
      assert.deepEqual(back.lines, [`menu "main menu" (${id('menu')}): retries 5 -> 2`]);
    });

    it('compares two snapshots of a flow', async function () {
      const first = h.book.version('sales', 'v1').snapshot ?? '';
      await h.book.cancel('sales', 'v1', alice);
      await h.deploy([deployed('v1', { greeting: 'sound:tt-weasels' })]);
      h.advance(1000);
      const again = await h.book.release('sales', 'v1', { target: 'official' }, alice);
      const d = await h.book.diff('sales', { snapshot: first }, { snapshot: again.snapshot ?? '' });
      assert.deepEqual(d.lines, [`play "greeting" (${id('play')}): prompts ["sound:hello-world"] -> ["sound:tt-weasels"]`]);
    });

    it('answers 404 for a snapshot of another flow, an unknown snapshot, and a version that is not deployed', async function () {
      await h.deploy([deployed('v1', { release: 'official' }), deployed('v1', { flow: 'support', release: 'official' })]);
      const other = (await h.book.snapshots('support'))[0]?.id ?? '';
      assert.ok(other);
      await refused(() => h.book.diff('sales', { snapshot: other }, { version: 'v1' }), 404, /flow sales has no snapshot/);
      await refused(() => h.book.diff('sales', { snapshot: 'nope' }, { version: 'v1' }), 404, /flow sales has no snapshot nope/);
      await refused(() => h.book.diff('sales', { version: 'v1' }, { version: 'v7' }), 404, /version v7 of flow sales is not deployed; compare its snapshot instead/);
    });
  });

  it('labels nodes by name, else type, with their id', function () {
    assert.equal(nodeLabel({ id: 'a', type: 'callflow-play', name: 'hi' }), 'play "hi" (a)');
    assert.equal(nodeLabel({ id: 'a', type: 'callflow-play', name: '' }), 'play (a)');
    assert.equal(nodeLabel({ id: 'b', type: 'link out' }), 'link out (b)');
  });
});
