/**
 * Why a flow named by a campaign could not take an answered call, asked
 * before the task starts (docs/campaigns.md, "Its IVR flow"): the release
 * book's answer for a flow with versions (none released, the released one
 * not deployed), without drawing for the gray share, and the connection's
 * router for a flow not deployed at all.
 */
import assert from 'node:assert/strict';
import type { Actor } from '../../lib/releases/book';
import { FlowRouter } from '../../lib/routing/router';
import { deployed, harness, type Harness } from './support';

const alice: Actor = { user: 'alice', editor: 'ed-alice' };

describe('why a flow by name could not take a call (start of a campaign)', function () {
  let h: Harness | undefined;
  afterEach(async function () {
    await h?.close();
    h = undefined;
  });

  it('the release book says why (no versions, none released, the released one not deployed) and draws nothing', async function () {
    let draws = 0;
    h = await harness({
      random: () => {
        draws += 1;
        return 0.5;
      },
    });
    await h.book.load();
    assert.equal(h.book.refusal('sales'), 'flow sales has no versions in the release set');
    await h.deploy([deployed('v1'), deployed('v2')]);
    assert.equal(h.book.refusal('sales'), 'flow sales has no official version: release one');
    await h.book.release('sales', 'v1', { target: 'official' }, alice);
    assert.equal(h.book.refusal('sales'), undefined);
    h.advance(1000);
    await h.book.release('sales', 'v2', { target: 'gray', gray: { share: 50, callers: [] } }, alice);
    assert.equal(h.book.refusal('sales'), undefined);
    // The official version's tab is gone: the gray one still takes calls.
    await h.deploy([deployed('v2')]);
    assert.equal(h.book.refusal('sales'), undefined);
    // Both gone.
    await h.deploy([]);
    assert.equal(h.book.refusal('sales'), 'the official version of sales (v1) is not deployed');
    assert.equal(draws, 0, 'asking draws nothing for the gray share');
  });

  it("the connection's router: a flow not deployed, a plain entry, and a flow with versions asks its release book", async function () {
    const router = new FlowRouter();
    assert.equal(router.refusal('survey'), 'flow "survey" is not deployed on this connection (deployed: none)');
    router.register('hello', () => undefined);
    assert.equal(router.refusal('survey'), 'flow "survey" is not deployed on this connection (deployed: hello)');
    router.register('survey', () => undefined);
    assert.equal(router.refusal('survey'), undefined);
    h = await harness();
    await h.deploy([deployed('v1')]);
    router.registerVersion('sales', 'v1', h.book, () => undefined);
    assert.equal(router.refusal('sales'), 'flow sales has no official version: release one');
    await h.book.release('sales', 'v1', { target: 'official' }, alice);
    assert.equal(router.refusal('sales'), undefined);
  });
});
