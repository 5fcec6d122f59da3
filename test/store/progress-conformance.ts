/**
 * The store conformance suite's part for the contacts' progress, leases taken back after a restart, and listing and counting.
 * storeConformance (./conformance.ts) runs it on every backend.
 */
import assert from 'node:assert/strict';
import { type AttemptRow, type Claim, type ContactState, type NextStep, type Page, type PageOptions, type Store } from '../../lib/store/port';
import { T, LEASE, C, NUMBER, row, attempt, idsOf, mustGet, claimOne, claimAll, done } from './fixtures';
import { refused, pageAll, type LiveStores } from './harness';

export function progressConformance(live: LiveStores): void {
  let store: Store;
  let second: () => Promise<Store>;
  beforeEach(function () {
    ({ store, second } = live);
  });

  // --- progress and taking leases back after a restart ---------------------------------

  describe('progress and taking leases back', function () {
    const dialing = (n: number, channelId: string): Record<string, unknown> => ({ dialing: { number: NUMBER, n, channelId }, tries: n - 1 });

    it('saves progress while keeping the lease; the claim still records, and a reclaim carries the progress', async function () {
      await store.importContacts(C, [row('a'), row('b', { dueAt: T + 100_000 })], T);
      const claim = await claimOne(store, C, T, 'w1', 1000);
      assert.equal(await store.markProgress(claim, dialing(1, 'ch-1')), true);
      let a = await mustGet(store, C, 'a');
      assert.deepEqual([a.state, a.dueAt, a.attempts, a.progress], ['leased', T + 1000, [], dialing(1, 'ch-1')], 'the lease is kept as it was');
      assert.deepEqual(await store.claimDue(C, T + 999, 10, 'w2', LEASE), [], 'nobody else gets the contact meanwhile');
      assert.equal(await store.markProgress(claim, dialing(2, 'ch-2')), true, 'progress can be saved again');
      assert.deepEqual((await mustGet(store, C, 'a')).progress, dialing(2, 'ch-2'), 'the last progress replaces the one before');
      assert.deepEqual(await store.renewLeases(C, [claim.token], T + 5000), [claim.token]);

      // The same claim records its attempt; the next step's progress is the one kept.
      assert.equal(await store.recordAttempt(claim, attempt(1), { state: 'waiting', dueAt: T + 6000, progress: { tries: 1 } }), true);
      a = await mustGet(store, C, 'a');
      assert.deepEqual([a.state, a.dueAt, a.attempts, a.progress], ['waiting', T + 6000, [attempt(1)], { tries: 1 }]);
      assert.equal(await store.markProgress(claim, dialing(3, 'ch-3')), false, 'a settled claim no longer holds the contact');
      assert.deepEqual((await mustGet(store, C, 'a')).progress, { tries: 1 });

      // A restarted w1 takes its lease back with the progress it saved.
      const next = await claimOne(store, C, T + 6000, 'w1', 1000);
      assert.equal(await store.markProgress(next, dialing(2, 'ch-4')), true);
      const [back, ...more] = await store.reclaimLeases(C, 'w1', T + 6500, LEASE);
      assert.ok(back);
      assert.deepEqual(more, []);
      assert.equal(back.contact.customerId, 'a');
      assert.deepEqual(back.contact.progress, dialing(2, 'ch-4'));
      assert.deepEqual(back.contact.attempts, [attempt(1)]);
      assert.deepEqual([back.worker, back.leaseUntil, back.contact.state, back.contact.dueAt], ['w1', T + 6500 + LEASE, 'leased', T + 6500 + LEASE]);
      assert.notEqual(back.token, next.token);
      assert.deepEqual(await store.claimDue(C, T + 6500 + LEASE - 1, 10, 'w2', LEASE), [], 'the lease runs until now + leaseMs');
    });

    it('refuses to save progress for a lease lost to another worker, and writes nothing; the new holder sees the earlier progress', async function () {
      await store.importContacts(C, [row('a')], T);
      const old = await claimOne(store, C, T, 'w1', 1000);
      assert.equal(await store.markProgress(old, dialing(1, 'ch-1')), true);

      const other = await second();
      const fresh = await claimOne(other, C, T + 1000, 'w2', LEASE);
      assert.deepEqual(fresh.contact.progress, dialing(1, 'ch-1'), 'the next claim sees the saved progress');

      assert.equal(await store.markProgress(old, dialing(2, 'ch-late')), false);
      const a = await mustGet(store, C, 'a');
      assert.deepEqual([a.state, a.dueAt, a.progress], ['leased', T + 1000 + LEASE, dialing(1, 'ch-1')], 'the lost claim wrote nothing');
      assert.equal(await other.markProgress(fresh, dialing(2, 'ch-2')), true);
      assert.equal(await other.recordAttempt(fresh, attempt(1), done(T + 1200)), true);
      assert.deepEqual((await mustGet(store, C, 'a')).progress, {});
      assert.equal(await store.markProgress(old, dialing(3, 'ch-3')), false);
    });

    it('saves the progress of a batch in one call: a lease lost to another worker writes nothing for its entry', async function () {
      await store.importContacts(C, [row('a'), row('b')], T);
      const [a, b] = await store.claimDue(C, T, 2, 'w1', 1000);
      assert.ok(a && b);
      // Both leases run out; another worker takes a; b stays in the queue with w1's token (nobody re-claimed it).
      const other = await second();
      assert.deepEqual(idsOf(await other.claimDue(C, T + 1000, 1, 'w2', LEASE)), ['a']);
      assert.deepEqual(await store.markProgressBatch([{ claim: a, progress: dialing(1, 'ch-a') }, { claim: b, progress: dialing(1, 'ch-b') }]), [{ saved: false }, { saved: true }]);
      assert.deepEqual((await mustGet(store, C, 'a')).progress, {}, 'the lost entry wrote nothing');
      assert.deepEqual((await mustGet(store, C, 'b')).progress, dialing(1, 'ch-b'));
    });

    it('saves progress for a batch of held leases in order, and refuses the whole batch for one invalid entry', async function () {
      await store.importContacts(C, [row('a'), row('b'), row('c')], T);
      const [a, b, c] = await store.claimDue(C, T, 3, 'w1', LEASE);
      assert.ok(a && b && c);
      assert.equal(await store.recordAttempt(b, attempt(1), done(T + 10)), true);
      assert.deepEqual(
        await store.markProgressBatch([
          { claim: a, progress: dialing(1, 'ch-a') },
          { claim: b, progress: dialing(2, 'ch-b') },
          { claim: c, progress: dialing(1, 'ch-c') },
        ]),
        [{ saved: true }, { saved: false }, { saved: true }],
        'a settled claim no longer holds its contact',
      );
      assert.deepEqual((await mustGet(store, C, 'a')).progress, dialing(1, 'ch-a'));
      assert.deepEqual((await mustGet(store, C, 'b')).progress, {});
      const stored = await mustGet(store, C, 'c');
      assert.deepEqual([stored.state, stored.dueAt, stored.progress], ['leased', T + LEASE, dialing(1, 'ch-c')], 'the lease is kept as it was');
      assert.deepEqual(await store.markProgressBatch([]), []);

      const bad = [{ claim: a, progress: dialing(2, 'ch-a2') }, { claim: c, progress: 'dialing' as unknown as Record<string, unknown> }];
      await refused(store.markProgressBatch(bad), 'invalid', /entries\[1\]\.progress/);
      assert.deepEqual((await mustGet(store, C, 'a')).progress, dialing(1, 'ch-a'), 'nothing of a refused batch is written');
      await refused(store.markProgressBatch([{ claim: { ...a, token: '' }, progress: {} }]), 'invalid', /entries\[0\]\.claim\.token/);
      await refused(store.markProgressBatch(null as unknown as []), 'invalid', /entries/);
      await refused(store.markProgressBatch([{ claim: a, progress: {}, number: '' }]), 'invalid', /entries\[0\]\.number/);
      await refused(store.markProgressBatch([], { groups: [''], at: T }), 'invalid', /blocklist\.groups\[0\]/);
      await refused(store.markProgressBatch([], { groups: ['dnc'], at: -1 }), 'invalid', /blocklist\.at/);
    });

    it("checks each entry's number against the blocklist in the same write: a blocked one is not saved and says which entry blocks it", async function () {
      await store.importContacts(C, [row('a'), row('b'), row('c')], T);
      await store.addBlocked([
        { group: 'dnc', number: '+8613800000001' },
        { group: 'vip', number: '+8613800000002', until: T + 500 },
        { group: 'other', number: '+8613800000003' },
      ]);
      const [a, b, c] = await store.claimDue(C, T, 3, 'w1', LEASE);
      assert.ok(a && b && c);
      const entries = [
        { claim: a, progress: dialing(1, 'ch-a'), number: '+8613800000001' },
        { claim: b, progress: dialing(1, 'ch-b'), number: '+8613800000002' },
        { claim: c, progress: dialing(1, 'ch-c'), number: '+8613800000003' },
      ];
      assert.deepEqual(await store.markProgressBatch(entries, { groups: ['dnc', 'vip'], at: T }), [
        { saved: false, blocked: { group: 'dnc', number: '+8613800000001' } },
        { saved: false, blocked: { group: 'vip', number: '+8613800000002', until: T + 500 } },
        { saved: true },
      ]);
      assert.deepEqual((await mustGet(store, C, 'a')).progress, {}, 'a blocked entry is not written');
      assert.deepEqual((await mustGet(store, C, 'c')).progress, dialing(1, 'ch-c'), "a group the batch does not name does not block");
      // After the entry's end, and without a blocklist, the number is not blocked.
      assert.deepEqual(await store.markProgressBatch(entries.slice(1, 2), { groups: ['dnc', 'vip'], at: T + 500 }), [{ saved: true }]);
      assert.deepEqual(await store.markProgressBatch(entries.slice(0, 1)), [{ saved: true }]);
    });

    it('saves progress for an expired lease nobody re-claimed, as recordAttempt records', async function () {
      // a sorts after b, so the claim at T+2000 takes b and leaves a, whose lease ran out at T+1000, in the queue.
      await store.importContacts(C, [row('a', { rank: 'z' }), row('b', { rank: 'a', dueAt: T + 1500 })], T);
      const late = await claimOne(store, C, T, 'w1', 1000);
      assert.deepEqual(idsOf(await store.claimDue(C, T + 2000, 1, 'w2', LEASE)), ['b']);
      assert.equal(await store.markProgress(late, dialing(1, 'ch-1')), true);
      assert.deepEqual((await mustGet(store, C, 'a')).progress, dialing(1, 'ch-1'));
      // The lease was not renewed: the next claim takes the contact, progress included.
      const taken = await claimOne(store, C, T + 2000, 'w2', LEASE);
      assert.deepEqual([taken.contact.customerId, taken.contact.progress], ['a', dialing(1, 'ch-1')]);
      assert.equal(await store.markProgress(late, dialing(2, 'ch-2')), false);
      assert.equal(await store.recordAttempt(late, attempt(1), done(T + 2100)), false);
      assert.deepEqual((await mustGet(store, C, 'a')).progress, dialing(1, 'ch-1'));
    });

    it('gives a restarted worker back its live and expired leases nobody re-claimed, under new tokens, with their progress', async function () {
      await store.importContacts(
        C,
        [row('a', { rank: 'a' }), row('b', { rank: 'z' }), row('c', { rank: 'b' }), row('d', { rank: 'c', dueAt: T + 100 }), row('f', { rank: 'f', dueAt: T + 2500 })],
        T,
      );
      await store.importContacts('autumn', [row('x')], T);
      const first = await claimAll(store, C, T, 'w1', 1000);
      assert.deepEqual(idsOf(first), ['a', 'c', 'b']);
      const [ca, cc, cb] = first;
      assert.ok(ca && cb && cc);
      const cx = await claimOne(store, 'autumn', T, 'w1', LEASE);
      assert.deepEqual(idsOf(await store.claimDue(C, T + 100, 10, 'w2', LEASE)), ['d'], 'another worker\'s live lease');
      assert.equal(await store.markProgress(ca, dialing(1, 'ch-a')), true);
      assert.equal(await store.markProgress(cb, dialing(1, 'ch-b')), true);
      assert.deepEqual(await store.renewLeases(C, [ca.token], T + 10_000), [ca.token], 'a stays live');
      // b and c run out at T+1000; the next claim takes c (rank b) and leaves b (rank z) in the queue with w1's token.
      const c2 = await claimOne(store, C, T + 2000, 'w2', LEASE);
      assert.equal(c2.contact.customerId, 'c');
      // f is claimed with a short lease that runs out at T+2600, and no claim runs after that.
      assert.deepEqual(idsOf(await store.claimDue(C, T + 2500, 1, 'w1', 100)), ['f']);
      const f = await mustGet(store, C, 'f');
      assert.deepEqual([f.state, f.dueAt], ['leased', T + 2600]);

      const now = T + 3000;
      const back = await store.reclaimLeases(C, 'w1', now, LEASE);
      assert.deepEqual(idsOf(back), ['a', 'b', 'f'], 'in seq order: the live lease, the expired one in the queue, the expired one not yet made due');
      for (const claim of back) {
        assert.deepEqual([claim.worker, claim.leaseUntil, claim.contact.state, claim.contact.dueAt, claim.contact.campaignId], ['w1', now + LEASE, 'leased', now + LEASE, C]);
        assert.deepEqual(claim.contact, await store.getContact(C, claim.contact.customerId), 'the claim carries the stored contact');
      }
      const [ba, bb, bf] = back;
      assert.ok(ba && bb && bf);
      assert.deepEqual(
        back.map((c) => c.contact.progress),
        [dialing(1, 'ch-a'), dialing(1, 'ch-b'), {}],
      );
      const oldTokens = [ca.token, cb.token];
      assert.equal(new Set([...oldTokens, ...back.map((c) => c.token)]).size, 5, 'every reclaimed lease has a new token');

      // The old tokens no longer hold anything; the new ones do.
      assert.deepEqual(await store.renewLeases(C, oldTokens, now + 1), []);
      assert.equal(await store.markProgress(ca, dialing(2, 'ch-old')), false);
      assert.equal(await store.recordAttempt(cb, attempt(1), done(now + 10)), false);
      assert.deepEqual((await mustGet(store, C, 'b')).attempts, []);
      assert.deepEqual(await store.claimDue(C, now + 1000, 10, 'w2', LEASE), [], 'nothing of w1 is due again before its new lease ends');
      assert.equal(await store.recordAttempt(bb, attempt(1, 'lost'), done(now + 10, 'unknown')), true, 'a reclaimed claim records');
      const b = await mustGet(store, C, 'b');
      assert.deepEqual([b.state, b.attempts], ['done', [attempt(1, 'lost')]]);

      // Others' leases are theirs: c (re-claimed by w2) and d stay with w2; w1's lease in another campaign stays as it was.
      assert.equal(await store.recordAttempt(c2, attempt(1), done(now + 20)), true);
      assert.deepEqual((await mustGet(store, C, 'd')).dueAt, T + 100 + LEASE);
      assert.deepEqual(await store.renewLeases('autumn', [cx.token], now + 5), [cx.token]);
      assert.deepEqual(await store.reclaimLeases(C, 'w3', now, LEASE), []);

      // Reclaiming again hands out new tokens for what is still held.
      const again = await store.reclaimLeases(C, 'w1', now + 10, LEASE);
      assert.deepEqual(idsOf(again), ['a', 'f']);
      assert.ok(again.every((c) => c.token !== ba.token && c.token !== bf.token));
      assert.equal(await store.recordAttempt(ba, attempt(1), done(now + 30)), false);
      const [aa] = again;
      assert.ok(aa);
      assert.equal(await store.recordAttempt(aa, attempt(1), done(now + 30)), true);
      assert.deepEqual(idsOf(await store.reclaimLeases('autumn', 'w1', now + 20, LEASE)), ['x']);
    });

    it('takes back an expired lease in the queue from another store on the same data', async function () {
      await store.importContacts(C, [row('a', { rank: 'z' }), row('b', { rank: 'a', dueAt: T + 1500 })], T);
      const late = await claimOne(store, C, T, 'w1', 1000);
      assert.deepEqual(idsOf(await store.claimDue(C, T + 2000, 1, 'w2', LEASE)), ['b']);
      const other = await second();
      const [back, ...more] = await other.reclaimLeases(C, 'w1', T + 2500, LEASE);
      assert.ok(back);
      assert.deepEqual(more, []);
      assert.equal(back.contact.customerId, 'a');
      assert.equal(await store.hasDue(C, T + 2500), false, 'the reclaimed contact is no longer due');
      assert.deepEqual(await store.claimDue(C, T + 2500, 10, 'w2', LEASE), []);
      assert.equal(await store.recordAttempt(late, attempt(1), done(T + 2600)), false);
      assert.equal(await other.recordAttempt(back, attempt(1), done(T + 2600)), true);
      assert.deepEqual((await mustGet(store, C, 'a')).attempts, [attempt(1)]);
    });

    it('refuses bad arguments, writing nothing', async function () {
      await store.importContacts(C, [row('a')], T);
      const claim = await claimOne(store, C, T, 'w1', 1000);
      const long = 'x'.repeat(129);
      for (const [campaignId, worker, now, leaseMs, field] of [
        ['', 'w1', T, LEASE, /campaignId/],
        [long, 'w1', T, LEASE, /campaignId/],
        [C, '', T, LEASE, /worker/],
        [C, long, T, LEASE, /worker/],
        [C, 'w1', -1, LEASE, /now/],
        [C, 'w1', Number.NaN, LEASE, /now/],
        [C, 'w1', Number.POSITIVE_INFINITY, LEASE, /now/],
        [C, 'w1', T, 0, /leaseMs/],
        [C, 'w1', T, -5, /leaseMs/],
        [C, 'w1', T, Number.NaN, /leaseMs/],
        [C, 'w1', T, Number.POSITIVE_INFINITY, /leaseMs/],
      ] as [string, string, number, number, RegExp][]) {
        await refused(store.reclaimLeases(campaignId, worker, now, leaseMs), 'invalid', field);
      }
      await refused(store.reclaimLeases(C, 'w1', '5' as unknown as number, LEASE), 'invalid', /now/);

      await refused(store.markProgress(claim, [] as unknown as Record<string, unknown>), 'invalid', /progress/);
      await refused(store.markProgress(claim, null as unknown as Record<string, unknown>), 'invalid', /progress/);
      await refused(store.markProgress(claim, Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`f${i}`, i]))), 'invalid', /progress/);
      await refused(store.markProgress({ ...claim, contact: { ...claim.contact, campaignId: '' } }, { n: 1 }), 'invalid', /campaignId/);
      await refused(store.markProgress({ ...claim, token: '' }, { n: 1 }), 'invalid', /token/);
      for (const seq of [0, -1, 1.5, Number.NaN]) await refused(store.markProgress({ ...claim, contact: { ...claim.contact, seq } }, { n: 1 }), 'invalid', /seq/);

      const a = await mustGet(store, C, 'a');
      assert.deepEqual([a.state, a.dueAt, a.progress], ['leased', T + 1000, {}], 'nothing was written');
      assert.equal(await store.markProgress(claim, { n: 1 }), true, 'the claim still holds the contact');
      assert.equal(await store.markProgress({ ...claim, token: 'no-such-token' }, { n: 2 }), false);
      assert.equal(await store.markProgress({ ...claim, contact: { ...claim.contact, campaignId: 'autumn' } }, { n: 2 }), false);
      assert.deepEqual((await mustGet(store, C, 'a')).progress, { n: 1 });
    });
  });

  // --- listing and counting -----------------------------------------------------------

  describe('listing and counting contacts', function () {
    /** 25 contacts, ranks the reverse of seq; every third waits; 5 claimed, 2 of them done. */
    async function mixed(): Promise<Record<ContactState, string[]>> {
      const rows = Array.from({ length: 25 }, (_, i) => row(`k${String(i).padStart(2, '0')}`, { rank: String(100 - i), ...(i % 3 === 2 ? { dueAt: T + 1000 } : {}) }));
      await store.importContacts(C, rows, T);
      const claims = await store.claimDue(C, T, 5, 'w1', LEASE);
      assert.equal(claims.length, 5);
      for (const c of claims.slice(0, 2)) assert.equal(await store.recordAttempt(c, attempt(1), done(T + 5)), true);
      const leased = idsOf(claims.slice(2));
      const doneIds = idsOf(claims.slice(0, 2));
      const waiting = rows.filter((_, i) => i % 3 === 2).map((r) => r.customerId);
      const due = rows.map((r) => r.customerId).filter((id) => !waiting.includes(id) && !leased.includes(id) && !doneIds.includes(id));
      return { waiting, due, leased, done: doneIds };
    }

    it('pages contacts in seq order, each exactly once, whatever the page size', async function () {
      await mixed();
      const all = Array.from({ length: 25 }, (_, i) => `k${String(i).padStart(2, '0')}`);
      for (const limit of [1, 4, 25, 1000]) {
        const items = await pageAll(limit, (o) => store.pageContacts(C, o));
        assert.deepEqual(
          items.map((c) => c.customerId),
          all,
          `limit ${limit}`,
        );
        assert.deepEqual(
          items.map((c) => c.seq),
          all.map((_, i) => i + 1),
        );
      }
      const first = await store.pageContacts(C);
      assert.equal(first.items.length, 25, 'the default page holds 100');
      assert.equal(first.next, undefined);
      const k00 = first.items[0];
      assert.ok(k00);
      assert.deepEqual(k00, await store.getContact(C, 'k00'), 'a listed contact is the stored one');
      assert.deepEqual(await store.pageContacts('autumn'), { items: [] });
    });

    it('pages contacts of one state', async function () {
      const states = await mixed();
      for (const state of ['waiting', 'due', 'leased', 'done'] as const) {
        for (const limit of [1, 2, 100]) {
          const items = await pageAll(limit, (o) => store.pageContacts(C, { ...o, state }));
          assert.ok(items.every((c) => c.state === state));
          assert.deepEqual(
            items.map((c) => c.customerId),
            [...states[state]].sort(),
            `${state}, limit ${limit}`,
          );
          assert.deepEqual(
            items.map((c) => c.seq),
            [...items.map((c) => c.seq)].sort((a, b) => a - b),
          );
        }
      }
    });

    it('refuses an unknown state filter', async function () {
      await store.importContacts(C, [row('a')], T);
      for (const state of ['paused', 'toString', '__proto__']) {
        await refused(store.pageContacts(C, { state: state as ContactState }), 'invalid', /state/);
      }
    });

    it('refuses page limits outside 1..1000 and cursors it did not give, in every listing', async function () {
      await store.importContacts(C, [row('a')], T);
      const listings: [string, (o: PageOptions) => Promise<Page<unknown>>][] = [
        ['pageContacts', (o) => store.pageContacts(C, o)],
        ['pageAttempts', (o) => store.pageAttempts(C, o)],
        ['pageBlocked', (o) => store.pageBlocked('g1', o)],
        ['pageCallRecords', (o) => store.pageCallRecords(o)],
        ['pageAnswers', (o) => store.pageAnswers('survey', o)],
      ];
      for (const [what, list] of listings) {
        for (const limit of [0, 1001, -1, 2.5]) {
          await refused(list({ limit }), 'invalid', /limit/);
        }
        for (const after of ['garbage', '%%%', '[1', 'eyJ4IjoxfQ']) {
          await refused(list({ after }), 'invalid', /after|cursor/i);
        }
        assert.ok(Array.isArray((await list({ limit: 1 })).items), what);
        assert.ok(Array.isArray((await list({ limit: 1000 })).items), what);
      }
    });

    it('pages attempts by (seq, n), page boundaries falling inside a contact', async function () {
      const want: Record<string, number> = { a: 3, b: 0, c: 1, d: 2, e: 3 };
      await store.importContacts(C, Object.keys(want).map((id) => row(id)), T);
      await store.importContacts('autumn', [row('a')], T);
      for (let n = 1; n <= 3; n += 1) {
        const claims = await claimAll(store, C, T + n * 100);
        for (const claim of claims) {
          const count = want[claim.contact.customerId] ?? 0;
          const next: NextStep = count <= n ? done(T + n * 100 + 1) : { state: 'due', dueAt: T + n * 100 + 1, progress: { n } };
          assert.equal(await store.recordAttempt(claim, count >= n ? attempt(n, 'busy', T + n * 100) : null, next), true);
        }
      }
      const expected: AttemptRow[] = [];
      Object.entries(want).forEach(([customerId, count], i) => {
        for (let n = 1; n <= count; n += 1) expected.push({ ...attempt(n, 'busy', T + n * 100), customerId, seq: i + 1 });
      });
      assert.equal(expected.length, 9);
      for (const limit of [1, 2, 3, 4, 1000]) {
        assert.deepEqual(await pageAll(limit, (o) => store.pageAttempts(C, o)), expected, `limit ${limit}`);
      }
      assert.deepEqual(await store.pageAttempts('autumn'), { items: [] });
    });

    it('pages every attempt of a campaign of many contacts', async function () {
      const ids = Array.from({ length: 260 }, (_, i) => `m${String(i).padStart(3, '0')}`);
      await store.importContacts(C, ids.map((id) => row(id)), T);
      const claims = await claimAll(store, C, T);
      assert.equal(claims.length, ids.length);
      const expected: AttemptRow[] = [];
      for (const claim of claims) {
        const { seq, customerId } = claim.contact;
        const tried = seq % 5 !== 0;
        assert.equal(await store.recordAttempt(claim, tried ? attempt(1, 'busy', T + seq) : null, done(T + seq + 1)), true);
        if (tried) expected.push({ ...attempt(1, 'busy', T + seq), customerId, seq });
      }
      expected.sort((x, y) => x.seq - y.seq);
      for (const limit of [7, 100, 1000]) {
        assert.deepEqual(await pageAll(limit, (o) => store.pageAttempts(C, o)), expected, `limit ${limit}`);
      }
    });

    it('counts contacts by state, in total, and due now', async function () {
      assert.deepEqual(await store.countContacts(C, T), { waiting: 0, due: 0, leased: 0, done: 0, total: 0, dueNow: 0 });
      await store.importContacts(C, [row('a'), row('b'), row('c'), row('w1', { dueAt: T + 100 }), row('w2', { dueAt: T + 500 })], T);
      assert.deepEqual(await store.countContacts(C, T), { waiting: 2, due: 3, leased: 0, done: 0, total: 5, dueNow: 3 });
      const [ca, cb] = await store.claimDue(C, T, 3, 'w1', 50);
      assert.ok(ca && cb);
      assert.equal(await store.recordAttempt(ca, attempt(1), done(T + 1)), true);
      assert.equal(await store.recordAttempt(cb, null, { state: 'due', dueAt: T + 1, progress: {} }), true);
      // a done, b due, c leased until T+50, w1 waiting until T+100, w2 until T+500.
      assert.deepEqual(await store.countContacts(C, T + 20), { waiting: 2, due: 1, leased: 1, done: 1, total: 5, dueNow: 1 });
      // At T+200 c's lease has run out and w1 is due: both count as due now.
      const later = await store.countContacts(C, T + 200);
      assert.equal(later.dueNow, 3);
      assert.equal(later.done, 1);
      assert.equal(later.total, 5);
      assert.equal(later.waiting + later.due + later.leased, 4);
      assert.equal((await store.countContacts(C, T + 500)).dueNow, 4);
      assert.deepEqual(await store.countContacts('autumn', T), { waiting: 0, due: 0, leased: 0, done: 0, total: 0, dueNow: 0 });
    });

    it('tallies recorded attempts by outcome, attempts in flight and contacts done, whatever the number of contacts', async function () {
      assert.deepEqual(await store.tallyAttempts(C), { outcomes: {}, inFlight: 0, done: 0 });
      // 2600 contacts; those at seq 1, 2, 3, 2001, 2002 and 2600 come first in the queue (rank a), the rest never called.
      const picked = new Set([1, 2, 3, 2001, 2002, 2600]);
      await store.importContacts(C, Array.from({ length: 2600 }, (_, i) => row(`t${i + 1}`, { rank: picked.has(i + 1) ? 'a' : 'z' })), T);
      await store.importContacts('autumn', [row('other')], T);
      const claims = await store.claimDue(C, T, picked.size, 'w1', LEASE);
      const bySeq = new Map(claims.map((c) => [c.contact.seq, c]));
      assert.deepEqual([...bySeq.keys()].sort((x, y) => x - y), [...picked]);
      const claimOf = (seq: number): Claim => bySeq.get(seq) ?? assert.fail(`seq ${seq} claimed`);
      const inflight = (channelId: string): Record<string, unknown> => ({ inflight: { n: 1, number: NUMBER, channelId, startedAt: T, caller: '' } });
      // seq 1: busy, then (claimed again) no answer, done. seq 2: answered. seq 3 and 2600: dialing now. seq 2001: lost, done. seq 2002: blocked.
      assert.equal(await store.recordAttempt(claimOf(1), attempt(1, 'busy'), { state: 'due', dueAt: T, progress: {} }), true);
      assert.equal(await store.recordAttempt(claimOf(2), attempt(1, 'answered'), done(T)), true);
      assert.equal(await store.markProgress(claimOf(3), inflight('ch-3')), true);
      assert.equal(await store.markProgress(claimOf(2600), inflight('ch-2600')), true);
      assert.equal(await store.recordAttempt(claimOf(2001), { ...attempt(1, 'lost'), why: 'asterisk-restarted' }, done(T)), true);
      assert.equal(await store.recordAttempt(claimOf(2002), attempt(1, 'blocked'), { state: 'waiting', dueAt: T + 5000, progress: {} }), true);
      const again = await claimOne(store, C, T);
      assert.equal(again.contact.seq, 1);
      assert.equal(await store.recordAttempt(again, attempt(2, 'no-answer'), done(T)), true);
      const [other] = await store.claimDue('autumn', T, 1, 'w1', LEASE);
      assert.ok(other);
      assert.equal(await store.recordAttempt(other, attempt(1, 'answered'), done(T)), true);

      assert.deepEqual(await store.tallyAttempts(C), { outcomes: { busy: 1, 'no-answer': 1, answered: 1, lost: 1, blocked: 1 }, inFlight: 2, done: 3 });
      assert.deepEqual(await store.tallyAttempts('autumn'), { outcomes: { answered: 1 }, inFlight: 0, done: 1 });
      assert.deepEqual(await store.tallyAttempts('winter'), { outcomes: {}, inFlight: 0, done: 0 });
      // An attempt in flight that is recorded leaves the in-flight count for its outcome.
      assert.equal(await store.recordAttempt(claimOf(3), attempt(1, 'answered'), done(T)), true);
      assert.deepEqual(await store.tallyAttempts(C), { outcomes: { busy: 1, 'no-answer': 1, answered: 2, lost: 1, blocked: 1 }, inFlight: 1, done: 4 });
      // An attempt written ahead of its dial (lib/campaign/placing.ts) is not in flight until it is marked dialed.
      const prewritten = { inflight: { n: 1, number: NUMBER, channelId: 'ch-2600', startedAt: T, caller: '', prewritten: true } };
      assert.deepEqual(await store.markProgressBatch([{ claim: claimOf(2600), progress: prewritten }]), [{ saved: true }]);
      assert.equal((await store.tallyAttempts(C)).inFlight, 0);
      assert.deepEqual(await store.markProgressBatch([{ claim: claimOf(2600), progress: inflight('ch-2600') }]), [{ saved: true }]);
      assert.equal((await store.tallyAttempts(C)).inFlight, 1);
      // Marked after its outcome released the lease: nothing is written (the outcome stands).
      assert.equal(await store.recordAttempt(claimOf(2600), attempt(1, 'busy'), { state: 'due', dueAt: T, progress: {} }), true);
      assert.deepEqual(await store.markProgressBatch([{ claim: claimOf(2600), progress: inflight('ch-2600') }]), [{ saved: false }]);
      assert.deepEqual((await store.getContact(C, 't2600'))?.progress, {});
      await refused(store.tallyAttempts(''), 'invalid', /campaignId/);
    });

    it('says whether a claim would return something', async function () {
      assert.equal(await store.hasDue(C, T), false);
      await store.importContacts(C, [row('w', { dueAt: T + 100 })], T);
      assert.equal(await store.hasDue(C, T + 99), false);
      assert.equal(await store.hasDue(C, T + 100), true);
      const claim = await claimOne(store, C, T + 100, 'w1', 1000);
      assert.equal(await store.hasDue(C, T + 100), false);
      assert.equal(await store.hasDue(C, T + 1099), false);
      assert.equal(await store.hasDue(C, T + 1100), true, 'an expired lease is due');
      assert.equal(await store.recordAttempt(claim, attempt(1), done(T + 200)), true);
      assert.equal(await store.hasDue(C, T + 1_000_000), false, 'a done contact is not');
      assert.equal(await store.hasDue('autumn', T + 1_000_000), false);
      await store.importContacts(C, [row('d')], T + 300);
      assert.equal(await store.hasDue(C, T + 300), true);
    });

    it('closes a task: every contact not final and not leased gets the final result; leased ones stay with their holder', async function () {
      await store.importContacts(C, [row('done'), row('held'), row('expired'), row('due'), row('waits', { dueAt: T + 5_000_000 })], T);
      await store.importContacts('autumn', [row('other')], T);
      const [done] = await store.claimDue(C, T, 1, 'w1', LEASE);
      assert.ok(done);
      assert.equal(await store.recordAttempt(done, attempt(1, 'answered'), { state: 'done', at: T, progress: {}, result: { code: 'answered', at: T } }), true);
      const [held] = await store.claimDue(C, T, 1, 'w1', LEASE * 10);
      const [expired] = await store.claimDue(C, T, 1, 'w2', 1000);
      assert.deepEqual([held?.contact.customerId, expired?.contact.customerId], ['held', 'expired']);
      assert.equal(await store.closeContacts(C, { code: 'task-ended', at: T + 2000 }, T + 2000), 3, 'due, waits and expired');
      const result = async (id: string): Promise<string | undefined> => (await store.getContact(C, id))?.result?.code;
      assert.deepEqual(
        [await result('due'), await result('waits'), await result('done'), await result('held'), await result('expired')],
        ['task-ended', 'task-ended', 'answered', undefined, 'task-ended'],
      );
      assert.deepEqual(await store.claimDue(C, T + 3000, 10, 'w3', LEASE), [], 'nothing is due any more (the held one is still leased)');
      assert.equal(expired && (await store.recordAttempt(expired, attempt(1), { state: 'due', dueAt: T, progress: {} })), false, 'the expired lease lost its contact');
      assert.equal(held && (await store.recordAttempt(held, attempt(1, 'busy'), { state: 'done', at: T + 3000, progress: {}, result: { code: 'busy', at: T + 3000 } })), true);
      assert.equal((await store.countContacts(C, T + 3000)).done, 5);
      assert.equal((await store.countContacts('autumn', T)).done, 0, 'other campaigns are left alone');
      await refused(store.closeContacts(C, { code: '', at: T }, T), 'invalid', /result/);
    });

    it('deletes a campaign\'s contacts and their attempts, leaving other campaigns', async function () {
      await store.importContacts(C, [row('a'), row('b'), row('c')], T);
      await store.importContacts('autumn', [row('a'), row('x')], T);
      const claim = await claimOne(store, C, T);
      assert.equal(await store.recordAttempt(claim, attempt(1), { state: 'due', dueAt: T, progress: {} }), true);
      assert.equal((await store.pageAttempts(C)).items.length, 1);

      assert.equal(await store.deleteContacts(C), 3);
      assert.deepEqual(await store.countContacts(C, T), { waiting: 0, due: 0, leased: 0, done: 0, total: 0, dueNow: 0 });
      assert.deepEqual(await store.pageContacts(C), { items: [] });
      assert.deepEqual(await store.pageAttempts(C), { items: [] });
      assert.equal(await store.getContact(C, 'a'), undefined);
      assert.deepEqual(await store.claimDue(C, T + 1_000_000, 10, 'w1', LEASE), []);
      assert.equal(await store.hasDue(C, T + 1_000_000), false);
      assert.equal(await store.deleteContacts(C), 0);

      assert.equal((await store.countContacts('autumn', T)).total, 2);
      assert.deepEqual(idsOf(await claimAll(store, 'autumn', T)), ['a', 'x']);
    });
  });
}
