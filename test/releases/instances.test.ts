/**
 * One release set (callflow-releases) on two Node-RED instances sharing a
 * store: each has its own release book on the same document. A release
 * made on one routes the other's new calls within the refresh period, an
 * edit lock taken on one holds on the other, and the call counters of both
 * add up. Each book re-reads the document on its own timer (refreshMs, made
 * short here): the test waits for the book's change event, not for time.
 */
import assert from 'node:assert/strict';
import type { Actor, ReleaseBook } from '../../lib/releases/book';
import { deployed, harness, refused, type Harness } from './support';

const alice: Actor = { user: 'alice', editor: 'ed-alice' };
const bob: Actor = { user: 'bob', editor: 'ed-bob' };

/** Resolves at the book's next change that satisfies `done` (its refresh taking another instance's write). */
function changed(book: ReleaseBook, done: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const off = book.onChange(() => {
      if (!done()) return;
      off();
      resolve();
    });
  });
}

describe('a release set on two Node-RED instances (one store)', function () {
  let h: Harness;
  let other: ReleaseBook;

  beforeEach(async function () {
    h = await harness();
    await h.deploy([deployed('v1'), deployed('v2')]);
    await h.book.release('sales', 'v1', { target: 'official' }, alice);
    // The second instance deploys the same flows; its book re-reads the document every 20 ms.
    other = h.openBook({ refreshMs: 20 });
    await other.reconcile([deployed('v1'), deployed('v2')]);
    // The first book's own timer (REFRESH_MS) would take the second one's deploy record; asked now instead.
    assert.equal(await h.book.refresh(), true);
  });

  afterEach(async function () {
    await h.close();
  });

  it("routes the other instance's new calls to a version released on one, once its book re-reads the document", async function () {
    assert.deepEqual(other.pick('sales', '+12025550100'), { version: 'v1', gray: false });
    const seen = changed(other, () => other.flowView('sales').official === 'v2');
    await h.book.release('sales', 'v2', { target: 'official' }, bob);
    await seen;
    for (let i = 0; i < 50; i += 1) assert.deepEqual(other.pick('sales', `+1202555${i}`), { version: 'v2', gray: false });
    assert.equal(other.version('sales', 'v1').state, h.book.version('sales', 'v1').state, 'the replaced version is in the same state on both');
  });

  it('holds an edit lock taken on one instance on the other, also when the other read the document before', async function () {
    await h.book.edit('sales', 'v2', alice);
    // Refused at once (the write finds the lock's revision), and after the refresh with the holder named.
    await refused(() => other.edit('sales', 'v2', bob), 409);
    await refused(() => other.edit('sales', 'v2', bob), 409, /being edited by alice/);
    assert.equal(other.version('sales', 'v2').lock?.user, 'alice');
  });

  it('adds up the call counters of both instances', async function () {
    for (let i = 0; i < 3; i += 1) h.book.callStarted('sales', 'v1');
    h.book.callEnded('sales', 'v1', 'completed', 10);
    for (let i = 0; i < 2; i += 1) other.callStarted('sales', 'v1');
    other.callEnded('sales', 'v1', 'transferred', 5);
    await h.book.flush();
    await other.flush();
    const stored = await h.store.getDocument<{ flows: Record<string, { versions: Record<string, { counters: Record<string, number> }> }> }>('releases', 'r1');
    assert.deepEqual(stored?.value.flows.sales?.versions.v1?.counters, { calls: 5, completed: 1, hungUpEarly: 0, transferred: 1, totalSec: 15, ended: 2 });
    await h.book.refresh();
    for (const book of [h.book, other]) assert.equal(book.version('sales', 'v1').counters.calls, 5, 'each book shows the sum');
  });
});
