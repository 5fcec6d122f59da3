/**
 * Which version a new call runs (lib/releases/gray.ts and ReleaseBook.pick):
 * the gray share, measured over 10,000 calls with a seeded PRNG against
 * binomial bounds; listed callers (numbers and prefixes, with or without
 * +); a requested version; flows that cannot take calls; and the gray
 * settings (Details).
 */
import assert from 'node:assert/strict';
import type { Actor, PickResult } from '../../lib/releases/book';
import { callerListed, parseCallers, takesGray } from '../../lib/releases/gray';
import { seededRandom } from '../../lib/seeded-random';
import { deployed, deployedFrom, harness, refused, versionNodes, type Harness } from './support';

const alice: Actor = { user: 'alice', editor: 'ed-alice' };

/** A caller number that is on no list used here: +1 202 555 xxxx. */
function anyCaller(i: number): string {
  return `+1202555${String(i).padStart(4, '0')}`;
}

describe('gray routing', function () {
  describe('caller lists and the share', function () {
    it('parses a caller list as the entry form holds it', function () {
      assert.deepEqual(parseCallers(' +4930*, 5551234;+1202555 \n 49891\t'), ['+4930*', '5551234', '+1202555', '49891']);
      assert.deepEqual(parseCallers(''), []);
      assert.deepEqual(parseCallers(' ,; '), []);
    });

    it('matches exact numbers and prefixes ending in *, with or without a leading +', function () {
      const list = ['5551234', '+4930*', '49891*', '+12025550100'];
      for (const caller of ['5551234', '+5551234']) assert.equal(callerListed(caller, list), true, caller);
      for (const caller of ['4930', '+4930', '493012345', '+493012345']) assert.equal(callerListed(caller, list), true, caller);
      for (const caller of ['49891', '+498912', '12025550100', '+12025550100']) assert.equal(callerListed(caller, list), true, caller);
      for (const caller of ['555123', '55512345', '+55512340', '4931', '+49', '4989', '1202555010', '', '+', 'anonymous']) assert.equal(callerListed(caller, list), false, JSON.stringify(caller));
      assert.equal(callerListed('5551234', []), false);
      assert.equal(callerListed('', ['*']), false, 'a call without a number matches nothing');
      assert.equal(callerListed('12', ['*']), true, 'a bare * matches every number');
    });

    it('sends a listed caller to gray without drawing, and another caller when the draw is below the share', function () {
      let draws = 0;
      const fixed = (value: number) => () => {
        draws += 1;
        return value;
      };
      const gray = { share: 20, callers: ['+4930*'] };
      assert.equal(takesGray('+4930111', gray, fixed(0.99)), true);
      assert.equal(draws, 0);
      assert.equal(takesGray('+1202', gray, fixed(0.1999)), true);
      assert.equal(takesGray('+1202', gray, fixed(0.2)), false);
      assert.equal(takesGray('+1202', { share: 100, callers: [] }, fixed(0.999999)), true);
      draws = 0;
      assert.equal(takesGray('+1202', { share: 0, callers: [] }, fixed(0)), false);
      assert.equal(draws, 0, 'a share of 0 draws nothing');
    });
  });

  describe('ReleaseBook.pick', function () {
    let h: Harness;

    async function grayAt(share: number, callers: string[], seed = 20250123): Promise<void> {
      h = await harness({ random: seededRandom(seed) });
      await h.deploy([deployed('v1'), deployed('v2')]);
      await h.book.release('sales', 'v1', { target: 'official' }, alice);
      h.advance(1000);
      await h.book.release('sales', 'v2', { target: 'gray', gray: { share, callers } }, alice);
    }

    afterEach(async function () {
      await h.close();
    });

    function count(n: number, caller: (i: number) => string): { v1: number; v2: number; other: PickResult[] } {
      const out = { v1: 0, v2: 0, other: [] as PickResult[] };
      for (let i = 0; i < n; i += 1) {
        const r = h.book.pick('sales', caller(i));
        if ('version' in r && r.version === 'v1' && !r.gray) out.v1 += 1;
        else if ('version' in r && r.version === 'v2' && r.gray) out.v2 += 1;
        else out.other.push(r);
      }
      return out;
    }

    it('sends a 20% share of 10,000 calls to the gray version, within binomial bounds', async function () {
      await grayAt(20, ['+4989*', '5551234']);
      const n = 10_000;
      const share = 0.2;
      const mean = n * share;
      const sd = Math.sqrt(n * share * (1 - share));
      const got = count(n, anyCaller);
      assert.deepEqual(got.other, []);
      assert.equal(got.v1 + got.v2, n);
      assert.ok(Math.abs(got.v2 - mean) <= 4 * sd, `gray got ${got.v2} of ${n}; expected ${mean} ± ${4 * sd}`);
      // The same holds for other seeds (the bound is not luck of one seed).
      for (const seed of [1, 2, 3]) {
        await h.close();
        await grayAt(20, [], seed);
        const again = count(n, anyCaller).v2;
        assert.ok(Math.abs(again - mean) <= 4 * sd, `seed ${seed}: gray got ${again}`);
      }
    });

    it('is reproducible for a seed', async function () {
      await grayAt(35, []);
      const first = Array.from({ length: 300 }, (_, i) => h.book.pick('sales', anyCaller(i)));
      await h.close();
      await grayAt(35, []);
      const second = Array.from({ length: 300 }, (_, i) => h.book.pick('sales', anyCaller(i)));
      assert.deepEqual(second, first);
    });

    it('always sends a listed caller to the gray version: exact numbers and prefixes, with or without +', async function () {
      await grayAt(1, ['+4989*', '5551234']);
      for (const caller of ['5551234', '+5551234', '+4989123456', '4989777']) {
        const got = count(1000, () => caller);
        assert.deepEqual({ caller, ...got }, { caller, v1: 0, v2: 1000, other: [] });
      }
      // Nearly everyone else runs the official version.
      assert.ok(count(1000, anyCaller).v1 > 950);
    });

    it('sends only listed callers to gray with a share of 0, and everyone with a share of 100', async function () {
      await grayAt(0, ['5551234']);
      assert.deepEqual(count(1000, anyCaller), { v1: 1000, v2: 0, other: [] });
      assert.deepEqual(count(10, () => '5551234'), { v1: 0, v2: 10, other: [] });
      await h.book.setGray('sales', { share: 100, callers: [] }, alice);
      assert.deepEqual(count(1000, anyCaller), { v1: 0, v2: 1000, other: [] });
    });

    it('gives a requested version only when it is Official or Gray, and says why not otherwise', async function () {
      await grayAt(20, []);
      await h.deploy([deployed('v1'), deployed('v2'), deployed('v3'), deployed('v4')]);
      await h.book.edit('sales', 'v4', alice);
      const made = await h.book.clone('sales', 'v1', 'v5', alice);
      assert.equal(made.version.state, 'new');
      for (let i = 0; i < 100; i += 1) {
        assert.deepEqual(h.book.pick('sales', anyCaller(i), 'v1'), { version: 'v1', gray: false });
        assert.deepEqual(h.book.pick('sales', anyCaller(i), 'v2'), { version: 'v2', gray: true });
      }
      assert.deepEqual(h.book.pick('sales', '+1', 'v3'), { refused: 'version v3 of flow sales is Unreleased: only Official and Gray versions take calls' });
      assert.deepEqual(h.book.pick('sales', '+1', 'v4'), { refused: 'version v4 of flow sales is Editing: only Official and Gray versions take calls' });
      assert.deepEqual(h.book.pick('sales', '+1', 'v5'), { refused: 'version v5 of flow sales is New: only Official and Gray versions take calls' });
      assert.deepEqual(h.book.pick('sales', '+1', 'v9'), { refused: 'flow sales has no version v9' });
      // An official version whose tab is gone is not given.
      await h.deploy([deployed('v2')]);
      assert.deepEqual(h.book.pick('sales', '+1', 'v1'), { refused: 'version v1 of flow sales is not deployed' });
    });

    it('refuses calls of a flow with no official version, and of a flow it does not know', async function () {
      h = await harness();
      await h.book.load();
      assert.deepEqual(h.book.pick('sales', '+1'), { refused: 'flow sales has no versions in the release set' });
      await h.deploy([deployed('v1'), deployed('v2')]);
      assert.deepEqual(h.book.pick('sales', '+1'), { refused: 'flow sales has no official version: release one' });
      await h.book.release('sales', 'v1', { target: 'official' }, alice);
      assert.deepEqual(h.book.pick('sales', '+1'), { version: 'v1', gray: false });
      await h.book.cancel('sales', 'v1', alice);
      assert.deepEqual(h.book.pick('sales', '+1'), { refused: 'flow sales has no official version: release one' });
      assert.deepEqual(h.book.pick('support', '+1'), { refused: 'flow support has no versions in the release set' });
    });

    it('refuses calls when the official version is not deployed', async function () {
      h = await harness();
      await h.deploy([deployed('v1')]);
      await h.book.release('sales', 'v1', { target: 'official' }, alice);
      await h.deploy([]);
      assert.deepEqual(h.book.pick('sales', '+1'), { refused: 'the official version of sales (v1) is not deployed' });
    });

    it('never gives a call to a version claimed by two entries', async function () {
      await grayAt(50, ['5551234']);
      const twice = (v: string) => [...versionNodes(v), ...versionNodes(v).map((n) => ({ ...n, id: `${n.id}.dup`, z: n.z ? `${n.z}.dup` : undefined }))];
      // The gray version is claimed twice: everyone, listed callers too, runs the official one.
      await h.deploy([deployed('v1'), ...deployedFrom(twice('v2'))]);
      assert.deepEqual(count(1000, anyCaller), { v1: 1000, v2: 0, other: [] });
      assert.deepEqual(count(100, () => '5551234'), { v1: 100, v2: 0, other: [] });
      assert.deepEqual(h.book.pick('sales', '+1', 'v2'), { refused: '2 entries claim sales v2: it takes no calls' });
      // The official version is claimed twice and there is no gray one: no call at all.
      await h.book.cancel('sales', 'v2', alice);
      await h.deploy([...deployedFrom(twice('v1')), deployed('v2')]);
      const got = count(100, anyCaller);
      assert.equal(got.v1 + got.v2, 0);
      assert.deepEqual(got.other[0], { refused: '2 entries claim sales v1: it takes no calls' });
      assert.deepEqual(h.book.pick('sales', '+1', 'v1'), { refused: '2 entries claim sales v1: it takes no calls' });
    });
  });

  describe('gray settings (Details)', function () {
    let h: Harness;
    beforeEach(async function () {
      h = await harness({ random: seededRandom(7) });
      await h.deploy([deployed('v1'), deployed('v2')]);
      await h.book.release('sales', 'v1', { target: 'official' }, alice);
    });
    afterEach(async function () {
      await h.close();
    });

    it('changes the share and callers of the gray version, and refuses settings that reach no call', async function () {
      await refused(() => h.book.setGray('sales', { share: 10, callers: [] }, alice), 409, /flow sales has no gray version: release one as gray first/);
      h.advance(1000);
      await h.book.release('sales', 'v2', { target: 'gray', gray: { share: 10, callers: [] } }, alice);
      const view = await h.book.setGray('sales', { share: 40, callers: ['+4930*'] }, alice);
      assert.deepEqual(view.gray, { share: 40, callers: ['+4930*'] });
      assert.deepEqual(h.book.details('sales', 'v2').gray, { share: 40, callers: ['+4930*'] });
      assert.equal(h.book.version('sales', 'v2').history.at(-1)?.comment, 'share 40%, 1 caller(s)');
      await refused(() => h.book.setGray('sales', { share: 0, callers: [] }, alice), 400, /share of calls above 0%/);
      await assert.rejects(h.book.setGray('sales', { share: 101, callers: [] }, alice), /share/);
      await assert.rejects(h.book.setGray('sales', { share: 5, callers: ['not a number'] }, alice), /callers/);
      assert.deepEqual(h.book.flowView('sales').gray, { share: 40, callers: ['+4930*'] }, 'refused settings changed nothing');
    });

    it('takes any number of changes of the gray settings (the history stays within its limit)', async function () {
      h.advance(1000);
      await h.book.release('sales', 'v2', { target: 'gray', gray: { share: 10, callers: [] } }, alice);
      for (let i = 1; i <= 120; i += 1) {
        h.advance(1000);
        await h.book.setGray('sales', { share: i % 100 || 1, callers: [] }, alice);
      }
      assert.deepEqual(h.book.flowView('sales').gray, { share: 20, callers: [] });
      const history = h.book.version('sales', 'v2').history;
      assert.ok(history.length <= 50, `${history.length} history entries`);
      assert.equal(history.at(-1)?.comment, 'share 20%, 0 caller(s)');
      // And the document in the store is still one a new book can read.
      await h.book.close();
      const again = h.openBook();
      await again.load();
      assert.deepEqual(again.flowView('sales').gray, { share: 20, callers: [] });
    });
  });
});
