/**
 * The store conformance suite's part for importing contacts and claiming them for the dialer.
 * storeConformance (./conformance.ts) runs it on every backend.
 */
import assert from 'node:assert/strict';
import type { Attempt, ContactInput } from '../../lib/schemas/store';
import { type Claim, type Store, type StoredContact } from '../../lib/store/port';
import { T, LEASE, C, NUMBER, row, attempt, idsOf, byRankSeq, standalone, mustGet, claimOne, claimAll, done } from './fixtures';
import { refused, type LiveStores } from './harness';

export function contactConformance(live: LiveStores): void {
  let store: Store;
  let second: () => Promise<Store>;
  beforeEach(function () {
    ({ store, second } = live);
  });

  // --- importing contacts -------------------------------------------------------------

  describe('importing contacts', function () {
    it('stores each row as given, due at once, with seq 1.. in import order', async function () {
      const rich: ContactInput = {
        customerId: 'ann',
        numbers: [
          { number: '+15550101', type: 'mobile', seq: 1 },
          { number: '0015550102', type: 'home', seq: 2 },
        ],
        priority: 2,
        attrs: { region: 'north', score: 7, vip: true },
        custom: { note: 'call after lunch', nested: { a: [1, 2] } },
        rank: 'b-0001',
      };
      const report = await store.importContacts(C, [rich, row('bob'), row('cy', { rank: 'a' })], T);
      assert.deepEqual(report, { inserted: 3, duplicates: [] });

      const expected: StoredContact = {
        campaignId: C,
        customerId: 'ann',
        seq: 1,
        rank: 'b-0001',
        numbers: rich.numbers,
        priority: 2,
        attrs: { region: 'north', score: 7, vip: true },
        custom: { note: 'call after lunch', nested: { a: [1, 2] } },
        state: 'due',
        dueAt: T,
        attempts: [],
        progress: {},
      };
      assert.deepEqual(await store.getContact(C, 'ann'), expected);
      // Optional fields left out stay out; a contact without a rank has the empty rank.
      assert.deepEqual(await store.getContact(C, 'bob'), {
        campaignId: C,
        customerId: 'bob',
        seq: 2,
        rank: '',
        numbers: [{ number: NUMBER }],
        state: 'due',
        dueAt: T,
        attempts: [],
        progress: {},
      });
      assert.equal((await mustGet(store, C, 'cy')).seq, 3);
      assert.equal(await store.getContact(C, 'nobody'), undefined);
      assert.equal(await store.getContact('autumn', 'ann'), undefined);
    });

    it('reports customers the campaign already has, and repeats within a batch, by index, without overwriting them', async function () {
      await store.importContacts(C, [row('ann'), row('bob')], T);
      const report = await store.importContacts(
        C,
        [row('cy', { rank: 'first' }), row('ann', { numbers: [{ number: '+15559999' }] }), row('cy', { rank: 'again' }), row('dee'), row('bob')],
        T + 10,
      );
      assert.equal(report.inserted, 2);
      assert.deepEqual(
        [...report.duplicates].sort((a, b) => a.index - b.index),
        [
          { index: 1, customerId: 'ann' },
          { index: 2, customerId: 'cy' },
          { index: 4, customerId: 'bob' },
        ],
      );
      assert.deepEqual((await mustGet(store, C, 'ann')).numbers, [{ number: NUMBER }], 'the stored customer is not overwritten');
      assert.equal((await mustGet(store, C, 'cy')).rank, 'first', 'the first of the repeated rows is the one kept');
      const counts = await store.countContacts(C, T + 10);
      assert.equal(counts.total, 4);
    });

    it('assigns seq from 1 in import order, continuing across batches, per campaign', async function () {
      await store.importContacts(C, [row('a'), row('b'), row('c')], T);
      await store.importContacts(C, [row('d'), row('e')], T + 1);
      await store.importContacts(C, [row('f'), row('a'), row('g')], T + 2);
      await store.importContacts('autumn', [row('x'), row('a')], T);

      const seq = async (campaign: string, id: string) => (await mustGet(store, campaign, id)).seq;
      assert.deepEqual(await Promise.all(['a', 'b', 'c', 'd', 'e'].map((id) => seq(C, id))), [1, 2, 3, 4, 5]);
      const f = await seq(C, 'f');
      const g = await seq(C, 'g');
      assert.ok(f > 5 && g > f, `f and g follow the earlier batches in import order (got ${f}, ${g})`);
      assert.deepEqual([await seq('autumn', 'x'), await seq('autumn', 'a')], [1, 2], 'each campaign counts from 1');

      const page = await store.pageContacts(C);
      assert.deepEqual(
        page.items.map((c) => c.customerId),
        ['a', 'b', 'c', 'd', 'e', 'f', 'g'],
      );
    });

    it('refuses a batch with an invalid row, naming the row and the field, and writes nothing of it', async function () {
      await store.importContacts(C, [row('zed')], T);
      const valid = [row('ann'), row('bob'), row('cy')];
      const cases: { what: string; bad: unknown; index: number; field: RegExp }[] = [
        { what: 'a bad number', bad: row('dee', { numbers: [{ number: '12ab' }] }), index: 3, field: /number/ },
        { what: 'priority 9', bad: row('eve', { priority: 9 }), index: 4, field: /priority/ },
        { what: 'no numbers', bad: { customerId: 'dee' }, index: 3, field: /numbers/ },
        { what: 'an unknown property', bad: { ...row('eve'), colour: 'red' }, index: 4, field: /colour/ },
        // Text that is not text: control characters and U+FFFD (bytes that were not UTF-8), in ids and at any depth of custom fields.
        { what: 'a NUL in the customer id', bad: row('d\u0000ee'), index: 3, field: /customerId/ },
        { what: 'a tab in the customer id', bad: row('d\tee'), index: 3, field: /customerId/ },
        { what: 'U+FFFD in the customer id', bad: row('Jos\ufffd'), index: 3, field: /customerId/ },
        { what: 'a lone surrogate in the customer id', bad: row('d\ud800ee'), index: 3, field: /customerId/ },
        { what: 'a control character deep in a custom field', bad: row('dee', { custom: { note: { lines: ['ok', 'a\u0007b'] } } }), index: 3, field: /custom\.note\.lines\.1/ },
        { what: 'a C1 control in an attribute', bad: row('dee', { attrs: { city: 'K\u0085ln' } }), index: 3, field: /attrs\.city/ },
        { what: 'a line break in a custom field name', bad: row('dee', { custom: { 'no\nte': 'x' } }), index: 3, field: /custom/ },
      ];
      for (const { what, bad, index, field } of cases) {
        const batch = [...valid];
        batch.splice(index, 0, bad as ContactInput);
        if (index === 4) batch.splice(3, 0, row('dan'));
        assert.equal(batch.indexOf(bad as ContactInput), index, what);
        await refused(store.importContacts(C, batch, T + 1), 'invalid', standalone(index), field);
        for (const id of ['ann', 'bob', 'cy', 'dan', 'dee', 'eve']) assert.equal(await store.getContact(C, id), undefined, `${what}: ${id} was not written`);
        assert.equal((await store.countContacts(C, T + 1)).total, 1, what);
      }
      // Tabs and line breaks are text in custom fields and attributes.
      assert.deepEqual(await store.importContacts(C, [row('tab', { attrs: { note: 'a\tb' }, custom: { address: '1 Main St\r\nSpringfield', cells: ['a\tb'] } })], T + 1), { inserted: 1, duplicates: [] });
      assert.deepEqual((await mustGet(store, C, 'tab')).custom, { address: '1 Main St\r\nSpringfield', cells: ['a\tb'] });
      // The campaign goes on as before: the next import continues after zed.
      assert.deepEqual(await store.importContacts(C, valid, T + 2), { inserted: 3, duplicates: [] });
      assert.ok((await mustGet(store, C, 'ann')).seq > (await mustGet(store, C, 'zed')).seq);
    });

    it('makes a contact due in the future wait until then', async function () {
      await store.importContacts(C, [row('later', { dueAt: T + 100 }), row('now'), row('past', { dueAt: T - 500 })], T);
      const later = await mustGet(store, C, 'later');
      assert.equal(later.state, 'waiting');
      assert.equal(later.dueAt, T + 100);
      assert.equal((await mustGet(store, C, 'now')).state, 'due');
      assert.equal((await mustGet(store, C, 'past')).state, 'due');

      assert.deepEqual(idsOf(await claimAll(store, C, T)), ['now', 'past']);
      assert.deepEqual(await store.claimDue(C, T + 99, 10, 'w1', LEASE), []);
      assert.deepEqual(idsOf(await store.claimDue(C, T + 100, 10, 'w1', LEASE)), ['later']);
    });
  });

  // --- the dialer's queue -------------------------------------------------------------

  describe('claiming and recording', function () {
    it('claims due contacts in (rank, seq) order, strings compared byte by byte, at most limit at a time', async function () {
      const ranks: (string | undefined)[] = ['B', 'a', 'A', '', 'A', 'B', undefined, 'Ab', '~', ' '];
      await store.importContacts(
        C,
        ranks.map((rank, i) => row(`c${String(i + 1).padStart(2, '0')}`, rank === undefined ? {} : { rank })),
        T,
      );
      const got: Claim[] = [];
      for (let round = 0; round < 3; round += 1) {
        const claims = await store.claimDue(C, T, 4, `w${round}`, 1000);
        assert.equal(claims.length, round < 2 ? 4 : 2);
        for (const c of claims) {
          assert.equal(c.worker, `w${round}`);
          assert.equal(c.leaseUntil, T + 1000);
          assert.equal(typeof c.token, 'string');
          assert.ok(c.token.length > 0);
          assert.equal(c.contact.campaignId, C);
          assert.equal(c.contact.state, 'leased');
          assert.equal(c.contact.dueAt, T + 1000);
        }
        got.push(...claims);
      }
      assert.deepEqual(await store.claimDue(C, T, 4, 'w3', 1000), []);
      // '' (twice, by seq) < ' ' < 'A' (twice, by seq) < 'Ab' < 'B' (twice) < 'a' < '~'
      assert.deepEqual(idsOf(got), ['c04', 'c07', 'c10', 'c03', 'c05', 'c08', 'c01', 'c06', 'c02', 'c09']);
      assert.deepEqual(
        got.map((c) => c.contact),
        [...got.map((c) => c.contact)].sort(byRankSeq),
      );
      assert.equal(new Set(got.map((c) => c.token)).size, got.length, 'every claim has its own token');
      const leased = await mustGet(store, C, 'c04');
      assert.deepEqual([leased.state, leased.dueAt], ['leased', T + 1000]);
    });

    it('does not hand out a leased contact again while its lease runs', async function () {
      await store.importContacts(C, [row('a'), row('b'), row('c')], T);
      assert.deepEqual(idsOf(await store.claimDue(C, T, 2, 'w1', 1000)), ['a', 'b']);
      assert.deepEqual(idsOf(await store.claimDue(C, T + 999, 10, 'w2', 1000)), ['c']);
      assert.deepEqual(await store.claimDue(C, T + 999, 10, 'w2', 1000), []);
      assert.equal(await store.hasDue(C, T + 999), false);
    });

    it('hands a contact whose lease ran out to the next claim (another store, another worker); the old claim can no longer record', async function () {
      await store.importContacts(C, [row('a')], T);
      const old = await claimOne(store, C, T, 'w1', 1000);
      assert.deepEqual(await store.claimDue(C, T + 999, 10, 'w1', 1000), []);

      const other = await second();
      const fresh = await claimOne(other, C, T + 1000, 'w2', LEASE);
      assert.equal(fresh.contact.customerId, 'a');
      assert.equal(fresh.worker, 'w2');
      assert.notEqual(fresh.token, old.token);
      assert.equal(fresh.leaseUntil, T + 1000 + LEASE);

      assert.equal(await store.recordAttempt(old, attempt(1), done(T + 1100, 'late')), false);
      let a = await mustGet(store, C, 'a');
      assert.deepEqual([a.state, a.dueAt, a.attempts, a.progress, a.result], ['leased', T + 1000 + LEASE, [], {}, undefined], 'the lost claim wrote nothing');
      assert.deepEqual(await store.renewLeases(C, [old.token], T + 500_000), []);

      assert.equal(await other.recordAttempt(fresh, attempt(1), done(T + 1200, 'sale')), true);
      a = await mustGet(store, C, 'a');
      assert.deepEqual([a.state, a.attempts, a.result], ['done', [attempt(1)], { code: 'sale', at: T + 1200 }]);
    });

    it('gives the same worker an expired lease back under a new token', async function () {
      await store.importContacts(C, [row('a')], T);
      const old = await claimOne(store, C, T, 'w1', 1000);
      const again = await claimOne(store, C, T + 1000, 'w1', 1000);
      assert.equal(again.contact.customerId, 'a');
      assert.notEqual(again.token, old.token);
      assert.equal(await store.recordAttempt(old, attempt(1), done(T + 1100)), false);
      assert.deepEqual((await mustGet(store, C, 'a')).attempts, []);
      assert.equal(await store.recordAttempt(again, attempt(1), done(T + 1100)), true);
    });

    it('lets a late worker renew and record while nobody has re-claimed its expired lease', async function () {
      // a sorts after b, so the claim at T+2000 takes b and leaves a, whose lease ran out at T+1000.
      await store.importContacts(C, [row('a', { rank: 'z' }), row('b', { rank: 'a', dueAt: T + 1500 }), row('c', { rank: 'z' })], T);
      const [late, slow] = await store.claimDue(C, T, 2, 'w1', 1000);
      assert.ok(late && slow);
      assert.deepEqual(idsOf([late, slow]), ['a', 'c']);
      assert.deepEqual(idsOf(await store.claimDue(C, T + 2000, 1, 'w2', LEASE)), ['b']);

      assert.equal(await store.recordAttempt(late, attempt(1, 'answered'), done(T + 2100, 'sale')), true, 'an expired lease nobody re-claimed is still held');
      const a = await mustGet(store, C, 'a');
      assert.deepEqual([a.state, a.attempts, a.result], ['done', [attempt(1, 'answered')], { code: 'sale', at: T + 2100 }]);

      assert.deepEqual(await store.renewLeases(C, [slow.token], T + 9000), [slow.token], 'an expired lease nobody re-claimed can be renewed');
      assert.deepEqual(await store.claimDue(C, T + 8999, 10, 'w2', LEASE), []);
      assert.deepEqual([(await mustGet(store, C, 'c')).state, (await mustGet(store, C, 'c')).dueAt], ['leased', T + 9000]);
      assert.equal(await store.recordAttempt(slow, attempt(1), done(T + 8000)), true);
    });

    it('keeps a renewed lease; returns only the tokens still held', async function () {
      await store.importContacts(C, [row('a'), row('b'), row('c')], T);
      const [ca, cb, cc] = await store.claimDue(C, T, 3, 'w1', 1000);
      assert.ok(ca && cb && cc);
      assert.equal(await store.recordAttempt(cc, attempt(1), done(T + 10)), true);

      assert.deepEqual(await store.renewLeases(C, [ca.token], T + 5000), [ca.token]);
      assert.deepEqual(await store.renewLeases('autumn', [ca.token], T + 9000), [], 'a token of another campaign is not renewed');
      // At the old lease end only b (not renewed) is due again.
      assert.deepEqual(idsOf(await store.claimDue(C, T + 1000, 10, 'w2', LEASE)), ['b']);
      assert.deepEqual(await store.claimDue(C, T + 4999, 10, 'w2', LEASE), []);
      const a = await mustGet(store, C, 'a');
      assert.deepEqual([a.state, a.dueAt], ['leased', T + 5000]);

      const held = await store.renewLeases(C, [cb.token, ca.token, cc.token, 'no-such-token'], T + 9000);
      assert.deepEqual(held, [ca.token], 'b was re-claimed, c was settled');
      assert.deepEqual(await store.claimDue(C, T + 8999, 10, 'w2', LEASE), []);
      assert.equal(await store.recordAttempt(ca, attempt(1), done(T + 8000)), true);
      assert.equal(await store.recordAttempt(cb, attempt(1), done(T + 8000)), false);
      assert.deepEqual((await mustGet(store, C, 'b')).attempts, []);
    });

    it('records an attempt with the progress and the next step; a done contact is never claimed again', async function () {
      await store.importContacts(C, [row('a', { rank: 'x', priority: 2 })], T);
      const first = await claimOne(store, C, T);
      const a1 = attempt(1, 'busy', T);
      assert.equal(await store.recordAttempt(first, a1, { state: 'waiting', dueAt: T + 1000, progress: { tries: 1, byNumber: { [NUMBER]: 1 } } }), true);
      assert.deepEqual(await store.getContact(C, 'a'), {
        campaignId: C,
        customerId: 'a',
        seq: 1,
        rank: 'x',
        priority: 2,
        numbers: [{ number: NUMBER }],
        state: 'waiting',
        dueAt: T + 1000,
        attempts: [a1],
        progress: { tries: 1, byNumber: { [NUMBER]: 1 } },
      });
      assert.deepEqual(await store.claimDue(C, T + 999, 10, 'w1', LEASE), []);

      const retry = await claimOne(store, C, T + 1000);
      assert.deepEqual(retry.contact.attempts, [a1], 'the claim carries the attempts so far');
      assert.deepEqual(retry.contact.progress, { tries: 1, byNumber: { [NUMBER]: 1 } });
      const a2: Attempt = {
        n: 2,
        number: NUMBER,
        startedAt: T + 1000,
        endedAt: T + 1090,
        outcome: 'answered',
        cause: 16,
        dialStatus: 'ANSWER',
        callId: 'call-2',
        result: 'sale',
        subResult: 'premium',
        worker: 'w1',
        talkSec: 42.5,
      };
      const result = { code: 'sale', subCode: 'premium', at: T + 1100, number: NUMBER };
      assert.equal(await store.recordAttempt(retry, a2, { state: 'done', at: T + 1100, progress: { tries: 2 }, result }), true);
      const a = await mustGet(store, C, 'a');
      assert.deepEqual([a.state, a.dueAt, a.attempts, a.progress, a.result], ['done', T + 1100, [a1, a2], { tries: 2 }, result]);

      // The settled claim no longer holds the contact.
      assert.equal(await store.recordAttempt(retry, attempt(3), { state: 'due', dueAt: T + 1200, progress: {} }), false);
      assert.deepEqual((await mustGet(store, C, 'a')).attempts, [a1, a2]);
      assert.deepEqual(await store.claimDue(C, T + 1_000_000_000, 10, 'w1', LEASE), []);
      assert.equal(await store.hasDue(C, T + 1_000_000_000), false);
    });

    it("remarks an answered attempt's result after the call, keeping the previous one, who and when; the final result follows; an unknown attempt writes nothing", async function () {
      await store.importContacts(C, [row('a'), row('b')], T);
      const claim = await claimOne(store, C, T);
      const a1: Attempt = { n: 1, number: NUMBER, startedAt: T, endedAt: T + 60, outcome: 'answered', result: 'lead', subResult: 'warm', talkSec: 50 };
      const result = { code: 'lead', subCode: 'warm', at: T + 100, number: NUMBER };
      assert.equal(await store.recordAttempt(claim, a1, { state: 'done', at: T + 100, progress: {}, result }), true);
      const written = await store.remarkResult(C, 'a', 1, { result: 'sale', subResult: 'plan-b', by: 'admin', at: T + 5000 });
      const remarked: Attempt = { ...a1, result: 'sale', subResult: 'plan-b', remarked: { by: 'admin', at: T + 5000, previous: 'lead', previousSub: 'warm' } };
      assert.deepEqual(written, remarked);
      const a = await mustGet(store, C, 'a');
      assert.deepEqual([a.state, a.attempts, a.result], ['done', [remarked], { code: 'sale', subCode: 'plan-b', at: T + 100, number: NUMBER }]);
      assert.deepEqual((await store.pageAttempts(C)).items, [{ ...remarked, customerId: 'a', seq: 1 }]);
      // Remarked again without a sub-result: the previous is the first remark's.
      const again = await store.remarkResult(C, 'a', 1, { result: 'sale', by: 'anonymous', at: T + 6000 });
      const { subResult: _warm, ...withoutSub } = a1;
      assert.deepEqual(again, { ...withoutSub, result: 'sale', remarked: { by: 'anonymous', at: T + 6000, previous: 'sale', previousSub: 'plan-b' } });
      assert.deepEqual((await mustGet(store, C, 'a')).result, { code: 'sale', at: T + 100, number: NUMBER });
      // No such attempt, no such contact: nothing written.
      assert.equal(await store.remarkResult(C, 'a', 2, { result: 'x', by: 'admin', at: T }), undefined);
      assert.equal(await store.remarkResult(C, 'nobody', 1, { result: 'x', by: 'admin', at: T }), undefined);
      assert.deepEqual((await mustGet(store, C, 'b')).attempts, []);
      await assert.rejects(store.remarkResult(C, 'a', 1, { result: 'x'.repeat(65), by: 'admin', at: T }), /result/);
      assert.equal((await mustGet(store, C, 'a')).attempts[0]?.result, 'sale', 'a refused remark writes nothing');
    });

    it("keeps an attempt's recording name, or why the call went unrecorded; refuses a recording name that is no plain name", async function () {
      await store.importContacts(C, [row('a'), row('b')], T);
      const [first, second] = await claimAll(store, C, T);
      assert.ok(first && second);
      const recorded: Attempt = { n: 1, number: NUMBER, startedAt: T, endedAt: T + 60, outcome: 'answered', callId: 'cfc-1', talkSec: 50, recording: 'campaign-cfc-1' };
      const unrecorded: Attempt = { n: 1, number: NUMBER, startedAt: T, endedAt: T + 60, outcome: 'answered', callId: 'cfc-2', recordingError: "Asterisk refused the recording: Recording 'campaign-cfc-2' already exists" };
      for (const bad of ['../etc/passwd', '/var/x', 'a b', '', 'x'.repeat(201)]) {
        await refused(store.recordAttempt(first, { ...recorded, recording: bad }, done(T + 100)), 'invalid', /recording/);
      }
      await refused(store.recordAttempt(first, { ...recorded, recordingError: 'x'.repeat(201) }, done(T + 100)), 'invalid', /recordingError/);
      assert.equal(await store.recordAttempt(first, recorded, done(T + 100)), true);
      assert.equal(await store.recordAttempt(second, unrecorded, done(T + 100)), true);
      assert.deepEqual((await mustGet(store, C, first.contact.customerId)).attempts, [recorded]);
      assert.deepEqual((await mustGet(store, C, second.contact.customerId)).attempts, [unrecorded]);
      assert.deepEqual(
        (await store.pageAttempts(C)).items.map((a) => [a.customerId, a.recording, a.recordingError]),
        [
          [first.contact.customerId, 'campaign-cfc-1', undefined],
          [second.contact.customerId, undefined, unrecorded.recordingError],
        ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
      );
    });

    it('keeps the connection that carried an attempt (a trunk group), and the one in flight in the progress; refuses an empty or overlong one', async function () {
      await store.importContacts(C, [row('a'), row('b')], T);
      const [first, second] = await claimAll(store, C, T);
      assert.ok(first && second);
      const inflight = { n: 1, number: NUMBER, channelId: 'cfc-3', startedAt: T, caller: '+861058000000', connection: 'ast-b' };
      assert.deepEqual((await store.markProgressBatch([{ claim: second, progress: { inflight }, number: NUMBER }])).map((r) => r.saved), [true]);
      const carried: Attempt = { n: 1, number: NUMBER, startedAt: T, endedAt: T + 60, outcome: 'lost', why: 'connection-lost', callId: 'cfc-1', connection: 'ast-b' };
      for (const bad of ['', 'x'.repeat(101)]) await refused(store.recordAttempt(first, { ...carried, connection: bad }, done(T + 100)), 'invalid', /connection/);
      assert.equal(await store.recordAttempt(first, carried, done(T + 100)), true);
      assert.deepEqual((await mustGet(store, C, first.contact.customerId)).attempts, [carried]);
      assert.deepEqual((await store.pageAttempts(C)).items.map((a) => a.connection), ['ast-b']);
      assert.deepEqual((await mustGet(store, C, second.contact.customerId)).progress, { inflight });
    });

    it('hands a contact back without an attempt: due again, attempts unchanged', async function () {
      await store.importContacts(C, [row('a')], T);
      const claim = await claimOne(store, C, T);
      assert.equal(await store.recordAttempt(claim, null, { state: 'due', dueAt: T + 5, progress: { skipped: true } }), true);
      const a = await mustGet(store, C, 'a');
      assert.deepEqual([a.state, a.attempts, a.progress], ['due', [], { skipped: true }]);
      const again = await claimOne(store, C, T + 5);
      assert.equal(again.contact.customerId, 'a');
      assert.deepEqual(again.contact.progress, { skipped: true });
    });

    it('refuses an invalid attempt or next step and writes nothing', async function () {
      await store.importContacts(C, [row('a')], T);
      const claim = await claimOne(store, C, T);
      await refused(store.recordAttempt(claim, { ...attempt(1), outcome: 'weird' as Attempt['outcome'] }, done(T + 10)), 'invalid', /outcome/);
      await refused(store.recordAttempt(claim, attempt(0), done(T + 10)), 'invalid', /\bn\b/);
      await refused(store.recordAttempt(claim, { ...attempt(1), number: '12ab' }, done(T + 10)), 'invalid', /number/);
      await refused(store.recordAttempt(claim, attempt(1), { state: 'done', at: T + 10, progress: {}, result: { code: '', at: T + 10 } }), 'invalid', /code/);
      await refused(store.recordAttempt(claim, attempt(1), { state: 'waiting', dueAt: T + 10, progress: [] as unknown as Record<string, unknown> }), 'invalid', /progress/);
      let a = await mustGet(store, C, 'a');
      assert.deepEqual([a.state, a.dueAt, a.attempts, a.progress, a.result], ['leased', T + LEASE, [], {}, undefined]);
      // The claim still holds the contact.
      assert.equal(await store.recordAttempt(claim, attempt(1), done(T + 10)), true);
      a = await mustGet(store, C, 'a');
      assert.deepEqual([a.state, a.attempts], ['done', [attempt(1)]]);
    });

    it('claims by (rank, seq) after retries, whatever the order the contacts became due in', async function () {
      await store.importContacts(C, [row('a', { rank: 'm' }), row('b', { rank: 'm' }), row('c', { rank: '' }), row('d', { rank: 'm' })], T);
      const claims = await claimAll(store, C, T);
      assert.deepEqual(idsOf(claims), ['c', 'a', 'b', 'd']);
      const [cc, ca, cb, cd] = claims;
      assert.ok(cc && ca && cb && cd);
      assert.equal(await store.recordAttempt(ca, attempt(1), { state: 'waiting', dueAt: T + 500, progress: { n: 1 } }), true);
      assert.equal(await store.recordAttempt(cb, null, { state: 'due', dueAt: T + 10, progress: {} }), true);
      assert.equal(await store.recordAttempt(cc, attempt(1), { state: 'waiting', dueAt: T + 200, progress: { n: 1 } }), true);
      assert.equal(await store.recordAttempt(cd, attempt(1), { state: 'waiting', dueAt: T + 700, progress: { n: 1 } }), true);

      assert.deepEqual(idsOf(await claimAll(store, C, T + 100, 'w1', 1)), ['b'], 'only b is due at T+100');
      // At T+600 b (its short lease over), c (due T+200) and a (due T+500) are due: queue order, not due order.
      const retries = await claimAll(store, C, T + 600);
      assert.deepEqual(idsOf(retries), ['c', 'a', 'b']);
      assert.deepEqual(
        retries.map((r) => r.contact.attempts.length),
        [1, 1, 0],
      );
      assert.deepEqual(idsOf(await claimAll(store, C, T + 700)), ['d']);
    });
  });
}
