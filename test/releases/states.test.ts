/**
 * The state table of a flow version (lib/releases/states.ts) against the
 * product reference (Table 1 of ivr-flow-lifecycle.txt), then every state
 * times every operation through the release book: a version is brought
 * into each state by the book's own operations (a deploy, clone, edit,
 * release), then each operation is asked for. Allowed ones reach the
 * documented state; the others are refused with 409, a message naming the
 * state and what it allows, and details.allowed = ALLOWED[state].
 */
import assert from 'node:assert/strict';
import type { Actor } from '../../lib/releases/book';
import { copyId } from '../../lib/releases/nodes';
import { ALLOWED, OPERATIONS, OPERATION_NAMES, ReleaseError, STATE_NAMES, allows, isOperation, mustAllow, refusal, type Operation } from '../../lib/releases/states';
import { RELEASE_STATES, type ReleaseState } from '../../lib/schemas/releases';
import { deployed, deployedFrom, harness, literal, nid, refused, releaseError, type Harness } from './support';

/**
 * Table 1 "Flow status and supported operations" of
 * ../shared/reference/ivr-flow-lifecycle.txt, verbatim (the reference is
 * not part of the package, so the test carries its own copy).
 */
const REFERENCE_TABLE = `Table 1 Flow status and supported operations

Flow Status

Supported Operation

New

Edit and Delete

Editing

Unlock

Unreleased

Release, Edit, and Delete

Official Release

Clone, Test, Cancel Release, and Query Info

Gray Release

Clone, Test, Release, Cancel Release, Details, and Query Info
`;

/** The reference table as state name -> operation names, in the reference's order. */
function parseReferenceTable(text: string): Map<string, string[]> {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const start = lines.indexOf('Supported Operation');
  assert.ok(start > 0, 'the table header');
  const rows = lines.slice(start + 1);
  assert.equal(rows.length % 2, 0, 'each state has one line of operations');
  const table = new Map<string, string[]>();
  for (let i = 0; i < rows.length; i += 2) {
    const ops = (rows[i + 1] ?? '')
      .split(/,\s*(?:and\s+)?|\s+and\s+/)
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    table.set(rows[i] ?? '', ops);
  }
  return table;
}

const alice: Actor = { user: 'alice', editor: 'ed-alice' };
const bob: Actor = { user: 'bob', editor: 'ed-bob' };

/** Brings version v2 of flow sales into `state` with the book's own operations; v1 is the official version where one is needed. */
async function into(h: Harness, state: ReleaseState): Promise<void> {
  const { book } = h;
  switch (state) {
    case 'new': {
      await h.deploy([deployed('v1')]);
      await book.release('sales', 'v1', { target: 'official' }, alice);
      const made = await book.clone('sales', 'v1', 'v2', alice);
      assert.equal(made.version.state, 'new');
      break;
    }
    case 'editing':
      await book.reconcile([deployed('v2')]);
      await book.edit('sales', 'v2', alice);
      break;
    case 'unreleased':
      await h.deploy([deployed('v2')]);
      break;
    case 'official':
      await h.deploy([deployed('v2')]);
      await book.release('sales', 'v2', { target: 'official', comment: 'first cut' }, alice);
      break;
    case 'gray':
      await h.deploy([deployed('v1'), deployed('v2')]);
      await book.release('sales', 'v1', { target: 'official' }, alice);
      h.advance(1000);
      await book.release('sales', 'v2', { target: 'gray', gray: { share: 20, callers: ['+4930*'] } }, alice);
      break;
  }
  assert.equal(book.stateOf('sales', 'v2'), state, `set-up reaches ${state}`);
  h.advance(1000);
}

/** Asks the book for `op` on sales v2, as bob (another user and editor than the one who set it up). */
function attempt(h: Harness, op: Operation): Promise<unknown> {
  const { book } = h;
  switch (op) {
    case 'edit':
      return book.edit('sales', 'v2', bob);
    case 'delete':
      return book.remove('sales', 'v2', bob);
    case 'unlock':
      return book.unlock('sales', 'v2', bob);
    case 'release':
      return book.release('sales', 'v2', { target: 'official', comment: 'by bob' }, bob);
    case 'clone':
      return book.clone('sales', 'v2', 'v9', bob);
    case 'test':
      return Promise.resolve().then(() => book.test('sales', 'v2'));
    case 'cancel':
      return book.cancel('sales', 'v2', bob);
    case 'info':
      return book.info('sales', 'v2');
    case 'details':
      return Promise.resolve().then(() => book.details('sales', 'v2'));
  }
}

type Check = (h: Harness, result: unknown) => void | Promise<void>;

const removed: Check = (h, result) => {
  assert.equal(result, undefined);
  assert.equal(h.book.stateOf('sales', 'v2'), undefined);
  // The flow goes with its last version.
  const others = h.book.list().find((f) => f.flow === 'sales')?.versions.map((v) => v.version) ?? [];
  assert.ok(!others.includes('v2'));
  assert.throws(() => h.book.version('sales', 'v2'), (err: unknown) => releaseError(err, 404, others.length > 0 ? /flow sales has no version v2/ : /no flow sales/) instanceof ReleaseError);
};

const cloned: Check = (h, result) => {
  const r = result as { version: { version: string; state: string; from?: unknown; createdBy: string }; nodes: { id: string; type: string; version?: unknown }[] };
  assert.equal(r.version.version, 'v9');
  assert.equal(r.version.state, 'new');
  assert.deepEqual(r.version.from, { version: 'v2' });
  assert.equal(r.version.createdBy, 'bob');
  assert.equal(h.book.stateOf('sales', 'v9'), 'new');
  const entry = r.nodes.find((n) => n.type === 'callflow-entry');
  assert.equal(entry?.id, copyId('v9', nid('v2', 'entry')));
  assert.equal(entry?.version, 'v9');
  // The original keeps its state.
  assert.ok(['official', 'gray'].includes(h.book.stateOf('sales', 'v2') ?? ''));
};

const tested: Check = (h, result) => {
  const d = result as { flow: string; version: string; entry: string };
  assert.equal(d.flow, 'sales');
  assert.equal(d.version, 'v2');
  assert.equal(d.entry, nid('v2', 'entry'));
};

const cancelled: Check = (h) => {
  const v = h.book.version('sales', 'v2');
  assert.equal(v.state, 'unreleased');
  assert.deepEqual(v.allowed, [...ALLOWED.unreleased]);
  const last = v.history.at(-1);
  assert.equal(last?.op, 'cancel');
  assert.equal(last?.by, 'bob');
  assert.equal(h.book.flowView('sales').gray, undefined, 'a cancelled gray release leaves no gray settings behind');
};

const informed: Check = (h, result) => {
  const info = result as { version: string; state: string; snapshots: { version: string; savedBy: string }[] };
  assert.equal(info.version, 'v2');
  assert.equal(info.state, h.book.stateOf('sales', 'v2'));
  assert.ok(
    info.snapshots.some((s) => s.version === 'v2' && s.savedBy === 'alice'),
    'the snapshot saved when it was released',
  );
};

const editing: Check = (h) => {
  const v = h.book.version('sales', 'v2');
  assert.equal(v.state, 'editing');
  assert.equal(v.lock?.user, 'bob');
  assert.equal(v.lock?.editor, 'ed-bob');
  assert.deepEqual(v.allowed, ['unlock']);
};

/** What each allowed operation must lead to. */
const ALLOWED_OUTCOME: Record<ReleaseState, Partial<Record<Operation, Check>>> = {
  new: { edit: editing, delete: removed },
  editing: {
    unlock: (h) => {
      const v = h.book.version('sales', 'v2');
      assert.equal(v.state, 'unreleased');
      assert.equal(v.lock, undefined);
      assert.match(v.history.at(-1)?.comment ?? '', /lock of alice removed/);
    },
  },
  unreleased: {
    release: (h) => {
      const v = h.book.version('sales', 'v2');
      assert.equal(v.state, 'official');
      assert.equal(v.releasedBy, 'bob');
      assert.equal(v.comment, 'by bob');
      assert.equal(h.book.flowView('sales').official, 'v2');
    },
    edit: editing,
    delete: removed,
  },
  official: { clone: cloned, test: tested, cancel: cancelled, info: informed },
  gray: {
    clone: cloned,
    test: tested,
    release: (h) => {
      const view = h.book.flowView('sales');
      assert.equal(view.official, 'v2');
      assert.equal(view.grayVersion, undefined);
      assert.equal(view.gray, undefined, 'the gray settings go with the gray version');
      // v1 had no live calls: it is Unreleased at once.
      assert.equal(h.book.stateOf('sales', 'v1'), 'unreleased');
    },
    cancel: cancelled,
    details: (h, result) => {
      const d = result as { gray?: { share: number; callers: string[] }; version: { version: string }; official?: { version: string } };
      assert.deepEqual(d.gray, { share: 20, callers: ['+4930*'] });
      assert.equal(d.version.version, 'v2');
      assert.equal(d.official?.version, 'v1');
    },
    info: informed,
  },
};

describe('release states', function () {
  describe('the table', function () {
    it('is exactly Table 1 of the product reference, in its order', function () {
      const reference = parseReferenceTable(REFERENCE_TABLE);
      assert.deepEqual([...reference.keys()], RELEASE_STATES.map((s) => STATE_NAMES[s]));
      for (const state of RELEASE_STATES) {
        assert.deepEqual(
          ALLOWED[state].map((op) => OPERATION_NAMES[op]),
          reference.get(STATE_NAMES[state]),
          `operations of ${STATE_NAMES[state]}`,
        );
      }
      // And every operation of the reference is one the book knows.
      const names = new Set(Object.values(OPERATION_NAMES));
      for (const ops of reference.values()) for (const op of ops) assert.ok(names.has(op), `${op} is an operation`);
    });

    it('names every state and operation, and allows() and isOperation() agree with it', function () {
      assert.deepEqual(Object.keys(ALLOWED).sort(), [...RELEASE_STATES].sort());
      assert.deepEqual(Object.keys(OPERATION_NAMES).sort(), [...OPERATIONS].sort());
      for (const state of RELEASE_STATES) {
        for (const op of OPERATIONS) {
          assert.equal(allows(state, op), ALLOWED[state].includes(op), `${state} ${op}`);
          if (allows(state, op)) assert.doesNotThrow(() => mustAllow('f', 'v', state, op));
          else assert.throws(() => mustAllow('f', 'v', state, op), ReleaseError);
        }
      }
      for (const op of OPERATIONS) assert.equal(isOperation(op), true);
      assert.equal(isOperation('publish'), false);
      assert.equal(isOperation('toString'), false);
    });

    it('words a refusal with the operation, the version, the state and what the state allows', function () {
      const err = refusal('sales', 'v3', 'official', 'edit');
      assert.equal(err.status, 409);
      assert.equal(err.message, 'Edit is not allowed: version v3 of flow sales is Official Release, which allows Clone, Test, Cancel Release, Query Info');
      assert.deepEqual(err.details, { state: 'official', allowed: ['clone', 'test', 'cancel', 'info'] });
      // The details are a copy: changing them does not change the table.
      err.details.allowed?.push('edit');
      assert.deepEqual(ALLOWED.official, ['clone', 'test', 'cancel', 'info']);
    });
  });

  describe('every state and operation through the book', function () {
    let h: Harness;
    beforeEach(async function () {
      h = await harness();
    });
    afterEach(async function () {
      await h.close();
    });

    it('has an expected outcome for every allowed operation (the matrix below covers the table)', function () {
      for (const state of RELEASE_STATES) {
        assert.deepEqual(Object.keys(ALLOWED_OUTCOME[state]).sort(), [...ALLOWED[state]].sort(), state);
      }
    });

    for (const state of RELEASE_STATES) {
      describe(STATE_NAMES[state], function () {
        it(`shows ${ALLOWED[state].join(', ')} as allowed in the view and in book.allows()`, async function () {
          await into(h, state);
          assert.deepEqual(h.book.version('sales', 'v2').allowed, [...ALLOWED[state]]);
          assert.equal(h.book.version('sales', 'v2').stateName, STATE_NAMES[state]);
          for (const op of OPERATIONS) assert.equal(h.book.allows('sales', 'v2', op), ALLOWED[state].includes(op), op);
        });

        for (const op of OPERATIONS) {
          if (ALLOWED[state].includes(op)) {
            it(`allows ${OPERATION_NAMES[op]}`, async function () {
              await into(h, state);
              const result = await attempt(h, op);
              const check = ALLOWED_OUTCOME[state][op];
              assert.ok(check, `an outcome for ${state} ${op}`);
              await check(h, result);
            });
          } else {
            it(`refuses ${OPERATION_NAMES[op]} with 409, naming the state and what it allows`, async function () {
              await into(h, state);
              const before = h.book.version('sales', 'v2');
              const names = ALLOWED[state].map((o) => OPERATION_NAMES[o]);
              const err =
                state === 'editing' && op === 'edit'
                  ? await refused(() => attempt(h, op), 409, /being edited by alice/, /Editing allows only Unlock/)
                  : await refused(() => attempt(h, op), 409, literal(`${OPERATION_NAMES[op]} is not allowed`), literal(`is ${STATE_NAMES[state]}`), literal(`which allows ${names.join(', ')}`));
              assert.deepEqual(err.details.allowed, [...ALLOWED[state]]);
              assert.equal(err.details.state, state);
              for (const name of names) assert.ok(err.message.includes(name), `the message lists ${name}: ${err.message}`);
              // Nothing changed, and nothing was created.
              const after = h.book.version('sales', 'v2');
              assert.equal(after.state, state);
              assert.deepEqual(after.history, before.history);
              assert.deepEqual(after.lock, before.lock);
              assert.equal(h.book.stateOf('sales', 'v9'), undefined);
            });
          }
        }
      });
    }
  });

  describe('other transitions and refusals', function () {
    let h: Harness;
    beforeEach(async function () {
      h = await harness();
    });
    afterEach(async function () {
      await h.close();
    });

    it('releases an Unreleased version as gray, and a Gray version only as official', async function () {
      await h.deploy([deployed('v1'), deployed('v2')]);
      const gray = await h.book.release('sales', 'v2', { target: 'gray', gray: { share: 10, callers: [] } }, alice);
      assert.equal(gray.state, 'gray');
      assert.equal(h.book.flowView('sales').grayVersion, 'v2');
      h.advance(1000);
      const err = await refused(() => h.book.release('sales', 'v2', { target: 'gray', gray: { share: 50, callers: [] } }, alice), 409, /is Gray Release/, /only be released as the official version/);
      assert.deepEqual(err.details.allowed, [...ALLOWED.gray]);
      assert.deepEqual(h.book.flowView('sales').gray, { share: 10, callers: [] }, 'the refused request changed nothing');
      const official = await h.book.release('sales', 'v2', { target: 'official' }, alice);
      assert.equal(official.state, 'official');
    });

    it('makes a New version from a snapshot (restore), which can be edited and deleted like a clone', async function () {
      await h.deploy([deployed('v1')]);
      const v1 = await h.book.release('sales', 'v1', { target: 'official', comment: 'launch' }, alice);
      assert.ok(v1.snapshot);
      const restored = await h.book.restore(v1.snapshot, 'v5', bob);
      assert.equal(restored.version.state, 'new');
      assert.deepEqual(restored.version.from, { snapshot: v1.snapshot });
      assert.deepEqual(restored.version.allowed, [...ALLOWED.new]);
      assert.equal(restored.version.history.at(-1)?.op, 'restore');
      await refused(() => h.book.restore(v1.snapshot ?? '', 'v5', bob), 409, /already has a version v5/);
      await refused(() => h.book.restore('sales.v1.nosuch', 'v6', bob), 404, /no snapshot sales\.v1\.nosuch/);
      await h.book.remove('sales', 'v5', bob);
      assert.equal(h.book.stateOf('sales', 'v5'), undefined);
    });

    it('refuses a clone to a version name the flow already has', async function () {
      await h.deploy([deployed('v1'), deployed('v2')]);
      await h.book.release('sales', 'v1', { target: 'official' }, alice);
      await refused(() => h.book.clone('sales', 'v1', 'v2', bob), 409, /already has a version v2: choose another name/);
      assert.equal(h.book.stateOf('sales', 'v2'), 'unreleased');
    });

    it('answers 404 for a flow or version it does not have', async function () {
      await h.deploy([deployed('v1')]);
      await refused(() => h.book.edit('support', 'v1', alice), 404, /no flow support/);
      await refused(() => h.book.edit('sales', 'v7', alice), 404, /flow sales has no version v7/);
      await refused(() => h.book.release('sales', 'v7', { target: 'official' }, alice), 404, /no version v7/);
      await refused(() => h.book.info('sales', 'v7'), 404, /no version v7/);
      await refused(() => h.book.details('sales', 'v7'), 404, /no version v7/);
      await refused(() => h.book.test('sales', 'v7'), 404, /no version v7/);
    });

    it('refuses an edit lock without an editor id (400), and a release or test of a version that is not deployed (409)', async function () {
      await h.deploy([deployed('v1')]);
      await refused(() => h.book.edit('sales', 'v1', { user: 'alice' }), 400, /needs an editor id/);
      assert.equal(h.book.stateOf('sales', 'v1'), 'unreleased');
      await h.book.release('sales', 'v1', { target: 'official' }, alice);
      const made = await h.book.clone('sales', 'v1', 'v2', alice);
      // v2 exists (New) but its tab was never deployed; after a deploy without v1, v1 is not deployed either.
      await h.deploy(deployedFrom(made.nodes));
      await refused(() => h.book.test('sales', 'v1'), 409, /v1 of flow sales is not deployed/);
      await refused(() => h.book.clone('sales', 'v1', 'v3', alice), 409, /not deployed, so there is nothing to copy/);
      await h.deploy([]);
      await refused(() => h.book.release('sales', 'v2', { target: 'official' }, alice), 409, /not deployed: deploy its tab, then release it/);
    });

    it('refuses to delete a version that still has calls in progress', async function () {
      await h.deploy([deployed('v1')]);
      await h.book.release('sales', 'v1', { target: 'official' }, alice);
      await h.book.cancel('sales', 'v1', alice);
      h.setLive('sales', 'v1', 2);
      const err = await refused(() => h.book.remove('sales', 'v1', alice), 409, /still has 2 call\(s\) in progress/);
      assert.deepEqual(err.details.allowed, [...ALLOWED.unreleased]);
      h.setLive('sales', 'v1', 0);
      await h.book.remove('sales', 'v1', alice);
      assert.deepEqual(h.book.list(), [], 'the last version of a flow takes the flow with it');
    });

    it('keeps the history of every transition: when, by whom, from and to', async function () {
      await h.book.reconcile([deployed('v1')], 'deployer');
      h.advance(10);
      await h.book.edit('sales', 'v1', alice);
      h.advance(10);
      await h.book.unlock('sales', 'v1', bob);
      h.advance(10);
      await h.book.release('sales', 'v1', { target: 'official', comment: 'go' }, bob);
      h.advance(10);
      await h.book.cancel('sales', 'v1', alice);
      const history = h.book.version('sales', 'v1').history.map((e) => ({ ...e, at: e.at - h.clock.now }));
      assert.deepEqual(history, [
        { at: -40, by: 'deployer', op: 'deploy', from: 'new', to: 'new', comment: 'deployed for the first time' },
        { at: -30, by: 'alice', op: 'edit', from: 'new', to: 'editing' },
        { at: -20, by: 'bob', op: 'unlock', from: 'editing', to: 'unreleased', comment: 'lock of alice removed' },
        { at: -10, by: 'bob', op: 'release', from: 'unreleased', to: 'official', comment: 'go' },
        { at: 0, by: 'alice', op: 'cancel', from: 'official', to: 'unreleased' },
      ]);
    });

    it('reads the states back from the store in a new book', async function () {
      await h.deploy([deployed('v1'), deployed('v2'), deployed('v3')]);
      await h.book.release('sales', 'v1', { target: 'official' }, alice);
      await h.book.release('sales', 'v2', { target: 'gray', gray: { share: 5, callers: ['5551234'] } }, alice);
      await h.book.edit('sales', 'v3', alice);
      await h.book.close();
      const again = h.openBook();
      assert.equal(again.ready, false);
      await again.load();
      assert.equal(again.ready, true);
      assert.equal(again.stateOf('sales', 'v1'), 'official');
      assert.equal(again.stateOf('sales', 'v2'), 'gray');
      assert.equal(again.stateOf('sales', 'v3'), 'editing');
      assert.deepEqual(again.flowView('sales').gray, { share: 5, callers: ['5551234'] });
      assert.equal(again.version('sales', 'v3').lock?.user, 'alice');
      // What was deployed is not stored: the new book hears of it on the next deploy.
      assert.equal(again.version('sales', 'v1').deployed, false);
    });
  });
});
