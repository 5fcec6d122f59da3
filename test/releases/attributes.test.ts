/**
 * A version's attributes (lib/releases/attributes.ts, references.ts): Type,
 * changed only while New or Unreleased, one main and one exception-handling
 * flow per release set; Is Referenced, computed from the deployed nodes
 * (transfers of other flows, campaigns, routing tables) and enforced on
 * Delete and Cancel Release. On the real embedded store, as book.test.ts.
 */
import assert from 'node:assert/strict';
import type { Actor } from '../../lib/releases/book';
import type { FlowNode } from '../../lib/releases/nodes';
import { describeReferences, flowReferences } from '../../lib/releases/references';
import { deployed, harness, refused, versionNodes, type Harness } from './support';

const alice: Actor = { user: 'alice', editor: 'ed-alice' };

/** A transfer of kind flow on `version`'s tab of `flow`, to `target`. */
function transferTo(target: string, flow: string, version: string, extra: Partial<FlowNode> = {}): FlowNode {
  return { id: `t-${flow}-${target}`, type: 'callflow-transfer', z: `${flow}.${version}.tab`, name: `to ${target}`, kind: 'flow', flow: target, wires: [[]], ...extra };
}

describe('release book: attributes', function () {
  let h: Harness;

  beforeEach(async function () {
    h = await harness();
    await h.deploy([deployed('v1'), deployed('v2'), deployed('v1', { flow: 'support' }), deployed('v1', { flow: 'errors' })]);
  });

  afterEach(async function () {
    await h.close();
  });

  describe('Type', function () {
    it('is Other flow until set, and a New or Unreleased version takes main, exception or other', async function () {
      assert.equal(h.book.version('sales', 'v1').type, 'other');
      assert.equal(h.book.version('sales', 'v1').typeName, 'Other flow');
      const view = await h.book.setType('sales', 'v1', 'main', alice);
      assert.equal(view.type, 'main');
      assert.equal(view.typeName, 'Main flow');
      assert.deepEqual(h.book.flowOfType('main'), { flow: 'sales', version: 'v1' });
      const last = view.history.at(-1);
      assert.equal(last?.op, 'attribute');
      assert.equal(last?.by, 'alice');
      assert.match(last?.comment ?? '', /Other flow -> Main flow/);
      // Written to the store: another Node-RED start on the same store reads it.
      const again = h.openBook();
      await again.load();
      assert.equal(again.version('sales', 'v1').type, 'main');
      await h.book.setType('sales', 'v1', 'other', alice);
      assert.equal(h.book.version('sales', 'v1').type, 'other');
      assert.equal(h.book.flowOfType('main'), undefined);
    });

    it('is refused in Official Release, Gray Release and Editing, naming the state', async function () {
      await h.book.release('sales', 'v1', { target: 'official' }, alice);
      await refused(() => h.book.setType('sales', 'v1', 'main', alice), 409, /cannot be changed/, /Official Release/, /only a New or Unreleased/);
      await h.book.release('sales', 'v2', { target: 'gray', gray: { share: 10, callers: [] } }, alice);
      await refused(() => h.book.setType('sales', 'v2', 'exception', alice), 409, /Gray Release/);
      await h.book.edit('support', 'v1', alice);
      await refused(() => h.book.setType('support', 'v1', 'main', alice), 409, /Editing/);
      assert.equal(h.book.version('sales', 'v1').type, 'other');
    });

    it('allows one main and one exception-handling flow per release set, but every version of that flow may have it', async function () {
      await h.book.setType('sales', 'v1', 'main', alice);
      await h.book.setType('sales', 'v2', 'main', alice);
      const e = await refused(() => h.book.setType('support', 'v1', 'main', alice), 409, /already has a main flow: sales/, /change that flow's Type first/);
      assert.equal(e.details.state, 'unreleased');
      await h.book.setType('errors', 'v1', 'exception', alice);
      await refused(() => h.book.setType('support', 'v1', 'exception', alice), 409, /exception handling flow: errors \(version v1\)/);
      assert.equal(h.book.version('support', 'v1').type, 'other');
      assert.deepEqual(h.book.flowOfType('exception'), { flow: 'errors', version: 'v1' });
    });

    it('acts at run time only from a released version: the exception flow is the one whose official or gray version has the Type', async function () {
      await h.book.setType('errors', 'v1', 'exception', alice);
      assert.equal(h.book.exceptionFlow(), undefined, 'Unreleased: it changes nothing yet');
      await h.book.release('errors', 'v1', { target: 'official' }, alice);
      assert.equal(h.book.exceptionFlow(), 'errors');
      await h.book.cancel('errors', 'v1', alice);
      assert.equal(h.book.exceptionFlow(), undefined, 'its release cancelled');
    });

    it('keeps one flow from being both the main and the exception-handling flow', async function () {
      await h.book.setType('sales', 'v1', 'main', alice);
      await refused(() => h.book.setType('sales', 'v2', 'exception', alice), 409, /version v1 of flow sales is its main flow: one flow cannot be both/);
      assert.equal(h.book.version('sales', 'v2').type, 'other');
    });

    it('is copied to a clone: a new version of the main flow is the main flow', async function () {
      await h.book.setType('sales', 'v1', 'main', alice);
      await h.book.release('sales', 'v1', { target: 'official' }, alice);
      const { version } = await h.book.clone('sales', 'v1', 'v3', alice);
      assert.equal(version.state, 'new');
      assert.equal(version.type, 'main');
    });
  });

  describe('Is Referenced', function () {
    function deploy(extra: FlowNode[]): void {
      h.book.setReferences([...versionNodes('v1'), ...versionNodes('v1', { flow: 'support' }), ...extra]);
    }

    it('lists the transfers of other flows, campaigns and routing tables that name the flow', function () {
      deploy([
        transferTo('sales', 'support', 'v1'),
        { id: 'c1', type: 'callflow-campaign', name: 'Spring survey', flow: 'sales' },
        { id: 'g1', type: 'callflow-routing', name: 'main', account: {}, groups: [{ name: 'eu', numbers: ['+44*'], flow: 'sales' }], numbers: [{ number: '500', flow: 'sales' }] },
      ]);
      const view = h.book.flowView('sales');
      assert.equal(view.referenced, true);
      assert.deepEqual(
        view.referencedBy.map((r) => [r.kind, r.node, r.label]),
        [
          ['transfer', 't-support-sales', 'transfer "to sales" (t-support-sales) on flow support v1'],
          ['campaign', 'c1', 'campaign "Spring survey" (c1)'],
          ['routing', 'g1', 'routing table "main" (g1)'],
        ],
      );
      assert.equal(h.book.flowView('support').referenced, false);
      assert.deepEqual(h.book.flowView('support').referencedBy, []);
    });

    it('leaves out a flow\'s transfer to itself, disabled nodes and nodes on disabled tabs', function () {
      const disabledTab: FlowNode = { id: 'off', type: 'tab', label: 'off', disabled: true };
      deploy([
        transferTo('sales', 'sales', 'v1'),
        { id: 'c1', type: 'callflow-campaign', name: 'old', flow: 'sales', d: true },
        disabledTab,
        { id: 't-off', type: 'callflow-transfer', z: 'off', kind: 'flow', flow: 'sales', wires: [[]] },
        { id: 't-kind', type: 'callflow-transfer', z: 'support.v1.tab', kind: 'queue', flow: 'sales', wires: [[]] },
      ]);
      assert.equal(h.book.flowView('sales').referenced, false);
    });

    it('refuses to delete the last version of a referenced flow, naming who references it', async function () {
      deploy([{ id: 'c1', type: 'callflow-campaign', name: 'Spring survey', flow: 'support' }]);
      await refused(() => h.book.remove('support', 'v1', alice), 409, /last version of flow support/, /campaign "Spring survey" \(c1\)/, /change those first/);
      assert.equal(h.book.version('support', 'v1').state, 'unreleased');
      // Another version left: deleting one is allowed.
      deploy([{ id: 'c1', type: 'callflow-campaign', name: 'Spring survey', flow: 'sales' }]);
      await h.book.remove('sales', 'v2', alice);
      assert.deepEqual(h.book.flowView('sales').versions.map((v) => v.version), ['v1']);
      // Not referenced any more: the last version goes.
      deploy([]);
      await h.book.remove('support', 'v1', alice);
      assert.equal(h.book.list().some((f) => f.flow === 'support'), false);
    });

    it('refuses to cancel the official release of a referenced flow; a gray release may be cancelled', async function () {
      await h.book.release('sales', 'v1', { target: 'official' }, alice);
      await h.book.release('sales', 'v2', { target: 'gray', gray: { share: 10, callers: [] } }, alice);
      deploy([{ id: 'g1', type: 'callflow-routing', name: 'main', account: { flow: 'sales' }, groups: [], numbers: [] }]);
      await refused(() => h.book.cancel('sales', 'v1', alice), 409, /cannot be cancelled/, /official version/, /routing table "main" \(g1\)/);
      assert.equal(h.book.version('sales', 'v1').state, 'official');
      const gray = await h.book.cancel('sales', 'v2', alice);
      assert.equal(gray.state, 'unreleased');
      // The state's own refusal comes first: an Unreleased version has no release to cancel.
      await refused(() => h.book.cancel('sales', 'v2', alice), 409, /Cancel Release is not allowed/);
    });
  });

  describe('describeReferences', function () {
    it('names five and counts the rest; names are cut and control characters dropped', function () {
      const nodes: FlowNode[] = Array.from({ length: 7 }, (_, i) => ({ id: `c${i}`, type: 'callflow-campaign', name: i === 0 ? `x\n${'y'.repeat(100)}` : `c${i}`, flow: 'sales' }));
      const refs = flowReferences(nodes).get('sales') ?? [];
      assert.equal(refs.length, 7);
      const text = describeReferences(refs);
      assert.match(text, /, 2 more$/);
      assert.equal(text.includes('\n'), false);
      assert.match(text, /campaign "x y{55}\.\.\." \(c0\)/);
    });
  });
});
