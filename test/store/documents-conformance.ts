/**
 * The store conformance suite's part for two stores on the same data, blocklists, flow snapshots, named documents, meeting records and answers.
 * storeConformance (./conformance.ts) runs it on every backend.
 */
import assert from 'node:assert/strict';
import type { BlockEntry, FlowSnapshot, MeetingRecord, QuestionnaireAnswers } from '../../lib/schemas/store';
import { type SnapshotSummary, type Store } from '../../lib/store/port';
import { T, LEASE, C, row, cdoc, byteCompare, byRankSeq, standalone } from './fixtures';
import { refused, pageAll, type LiveStores } from './harness';

export function documentConformance(live: LiveStores): void {
  let store: Store;
  let second: () => Promise<Store>;
  beforeEach(function () {
    ({ store, second } = live);
  });

  // --- two stores on the same data ----------------------------------------------------

  describe('two stores on the same data', function () {
    it('never hand out the same contact twice, and lose none, claiming at once', async function () {
      this.timeout(120_000);
      const ids = Array.from({ length: 2000 }, (_, i) => `n${String(i).padStart(4, '0')}`);
      await store.importContacts(
        C,
        ids.map((id, i) => row(id, { rank: String.fromCharCode(65 + ((i * 7) % 5)) })),
        T,
      );
      const other = await second();
      const seen = new Map<string, string>();
      let rounds = 0;
      for (;;) {
        rounds += 1;
        assert.ok(rounds < 1000, 'claiming ends');
        const [mine, theirs] = await Promise.all([store.claimDue(C, T, 7, 'w1', LEASE), other.claimDue(C, T, 7, 'w2', LEASE)]);
        if (mine.length === 0 && theirs.length === 0) break;
        for (const [worker, claims] of [['w1', mine], ['w2', theirs]] as const) {
          assert.ok(claims.length <= 7);
          assert.deepEqual(
            claims.map((c) => c.contact),
            [...claims.map((c) => c.contact)].sort(byRankSeq),
            'each claim is in queue order',
          );
          for (const c of claims) {
            const before = seen.get(c.contact.customerId);
            assert.equal(before, undefined, `${c.contact.customerId} claimed by ${worker} was already claimed by ${before ?? ''}`);
            seen.set(c.contact.customerId, worker);
          }
        }
      }
      assert.equal(seen.size, ids.length);
      assert.deepEqual([...seen.keys()].sort(), ids);
      assert.ok([...seen.values()].includes('w1') && [...seen.values()].includes('w2'), 'both stores claimed');
      assert.equal((await other.countContacts(C, T)).leased, ids.length);
    });

    it('give every imported contact its own seq when importing at once, and a customer only once', async function () {
      this.timeout(60_000);
      const other = await second();
      let inserted = 0;
      let duplicates = 0;
      for (let round = 0; round < 5; round += 1) {
        const mine = Array.from({ length: 40 }, (_, i) => row(`r${round}-${String(i).padStart(2, '0')}`));
        // 10 customers in both batches.
        const theirs = Array.from({ length: 40 }, (_, i) => row(`r${round}-${String(i + 30).padStart(2, '0')}`));
        const reports = await Promise.all([store.importContacts(C, mine, T + round), other.importContacts(C, theirs, T + round)]);
        for (const r of reports) {
          inserted += r.inserted;
          duplicates += r.duplicates.length;
        }
      }
      assert.equal(inserted, 5 * 70);
      assert.equal(duplicates, 5 * 10);
      const items = await pageAll(1000, (o) => other.pageContacts(C, o));
      assert.equal(items.length, 5 * 70);
      assert.equal(new Set(items.map((c) => c.customerId)).size, 5 * 70);
      assert.equal(new Set(items.map((c) => c.seq)).size, 5 * 70, 'no two contacts share a seq');
    });

    it('let exactly one of two writers win a compare-and-set', async function () {
      const other = await second();
      const created = await Promise.allSettled([store.putDocument('campaign', 'race', cdoc({ by: 'one' }), 0, T), other.putDocument('campaign', 'race', cdoc({ by: 'two' }), 0, T)]);
      const winners = created.filter((r) => r.status === 'fulfilled');
      assert.equal(winners.length, 1);
      assert.deepEqual(winners[0], { status: 'fulfilled', value: 1 });
      for (const r of created) if (r.status === 'rejected') await refused(Promise.reject(r.reason as Error), 'conflict');

      const updated = await Promise.allSettled([store.putDocument('campaign', 'race', cdoc({ by: 'three' }), 1, T + 1), other.putDocument('campaign', 'race', cdoc({ by: 'four' }), 1, T + 1)]);
      const won = updated.findIndex((r) => r.status === 'fulfilled');
      assert.ok(won >= 0);
      assert.equal(updated.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of updated) if (r.status === 'rejected') await refused(Promise.reject(r.reason as Error), 'conflict');
      const doc = await store.getDocument('campaign', 'race');
      assert.deepEqual([doc?.rev, doc?.value], [2, cdoc({ by: won === 0 ? 'three' : 'four' })]);
    });
  });

  // --- blocklists ---------------------------------------------------------------------

  describe('blocklists', function () {
    const periods: BlockEntry[] = [
      { group: 'g1', number: '+15550101', from: 1000, until: 2000, note: 'both ends', addedAt: T },
      { group: 'g1', number: '+15550102', from: 1000 },
      { group: 'g1', number: '+15550103', until: 2000 },
      { group: 'g1', number: '+15550104' },
      { group: 'g2', number: '+15550101', from: 5000, until: 6000 },
    ];

    it('adds entries, and replaces one by group and number', async function () {
      assert.equal(await store.addBlocked(periods), 5);
      const replacement: BlockEntry = { group: 'g1', number: '+15550101', note: 'for good' };
      assert.equal(await store.addBlocked([replacement]), 1);
      const g1 = await store.pageBlocked('g1');
      assert.equal(g1.items.length, 4);
      assert.deepEqual(
        g1.items.find((e) => e.number === '+15550101'),
        replacement,
        'the whole entry is replaced',
      );
      assert.deepEqual(await store.findBlock(['g1'], '+15550101', 0), replacement);
      assert.deepEqual((await store.pageBlocked('g2')).items, [periods[4]], 'the same number in another group is its own entry');
    });

    it('finds a block of the given groups within its period: from inclusive, until exclusive, open ends', async function () {
      await store.addBlocked(periods);
      const [p101, p102, p103, p104, g2101] = periods;
      const cases: [string[], string, number, BlockEntry | undefined][] = [
        [['g1'], '+15550101', 999, undefined],
        [['g1'], '+15550101', 1000, p101],
        [['g1'], '+15550101', 1999, p101],
        [['g1'], '+15550101', 2000, undefined],
        [['g1', 'g2'], '+15550101', 5000, g2101],
        [['g2', 'g1'], '+15550101', 1500, p101],
        [['g1'], '+15550101', 5000, undefined],
        [['g1', 'g2'], '+15550101', 6000, undefined],
        [['g1'], '+15550102', 999, undefined],
        [['g1'], '+15550102', 1000, p102],
        [['g1'], '+15550102', 1e12, p102],
        [['g1'], '+15550103', 0, p103],
        [['g1'], '+15550103', 1999, p103],
        [['g1'], '+15550103', 2000, undefined],
        [['g1'], '+15550104', 0, p104],
        [['g1'], '+15550104', 1e12, p104],
        [['g2'], '+15550104', 0, undefined],
        [['g3', 'g1'], '+15550104', 0, p104],
        [[], '+15550104', 0, undefined],
        [['g1', 'g2'], '+15550199', 0, undefined],
        [['g1'], '15550104', 0, undefined],
      ];
      for (const [groups, number, at, expected] of cases) {
        assert.deepEqual(await store.findBlock(groups, number, at), expected, `${groups.join(',')} ${number} at ${at}`);
      }
      // Two groups blocking at once: one of them is returned.
      await store.addBlocked([{ group: 'g3', number: '+15550104', note: 'g3' }]);
      const found = await store.findBlock(['g1', 'g3'], '+15550104', 0);
      assert.ok(found && found.number === '+15550104' && ['g1', 'g3'].includes(found.group));
    });

    it('removes an entry: true once, then false', async function () {
      await store.addBlocked(periods);
      assert.equal(await store.removeBlocked('g1', '+15550104'), true);
      assert.equal(await store.removeBlocked('g1', '+15550104'), false);
      assert.equal(await store.removeBlocked('g3', '+15550101'), false);
      assert.equal(await store.findBlock(['g1'], '+15550104', 0), undefined);
      assert.deepEqual(await store.findBlock(['g2'], '+15550101', 5000), periods[4], 'other entries stay');
      assert.equal((await store.pageBlocked('g1')).items.length, 3);
    });

    it('pages a group\'s entries by number', async function () {
      const numbers = ['+15550300', '15550100', '+15550200', '0044207', '+15550100', '99', '+4420'];
      await store.addBlocked(numbers.map((number) => ({ group: 'dnc', number })));
      await store.addBlocked([{ group: 'dnc-eu', number: '+4421' }]);
      const expected = [...numbers].sort(byteCompare);
      assert.deepEqual(expected, ['+15550100', '+15550200', '+15550300', '+4420', '0044207', '15550100', '99']);
      for (const limit of [1, 2, 3, 7, 100]) {
        const items = await pageAll(limit, (o) => store.pageBlocked('dnc', o));
        assert.deepEqual(
          items.map((e) => e.number),
          expected,
          `limit ${limit}`,
        );
        assert.ok(items.every((e) => e.group === 'dnc'));
      }
      assert.deepEqual(await store.pageBlocked('none'), { items: [] });
    });

    it('refuses an invalid entry and writes none of the batch', async function () {
      await refused(store.addBlocked([{ group: 'g1', number: '+15550101' }, { group: 'g1', number: '12ab' }]), 'invalid', /number/);
      await refused(store.addBlocked([{ group: 'bad group', number: '+15550101' }]), 'invalid', /group/);
      await refused(store.addBlocked([{ group: 'g1', number: '+15550101', until: -5 }]), 'invalid', /until/);
      assert.equal(await store.findBlock(['g1'], '+15550101', 0), undefined);
      assert.deepEqual(await store.pageBlocked('g1'), { items: [] });
    });
  });

  // --- flow snapshots -----------------------------------------------------------------

  describe('flow snapshots', function () {
    const s1: FlowSnapshot = {
      id: 'main-1',
      flow: 'main',
      version: '1.0.0',
      savedAt: T,
      savedBy: 'ann',
      comment: 'first release',
      nodes: [
        { id: 'n1', type: 'callflow-entry', x: 10, y: 20, wires: [['n2']] },
        { id: 'n2', type: 'callflow-play', prompt: { text: 'hello' } },
      ],
    };
    const s2: FlowSnapshot = { id: 'main-2', flow: 'main', version: '1.1.0', savedAt: T + 1000, savedBy: 'bob', nodes: [{ id: 'n1', type: 'callflow-entry' }] };
    const s0: FlowSnapshot = { id: 'main-0', flow: 'main', version: '1.1.1', savedAt: T + 1000, savedBy: 'bob', nodes: [] };
    const other: FlowSnapshot = { id: 'other-1', flow: 'other', version: '1', savedAt: T + 5000, savedBy: 'cy', nodes: [{ id: 'x', type: 'tab' }] };

    function summary(s: FlowSnapshot): SnapshotSummary {
      const out: SnapshotSummary = { id: s.id, flow: s.flow, version: s.version, savedAt: s.savedAt, savedBy: s.savedBy, nodeCount: s.nodes.length };
      if (s.comment !== undefined) out.comment = s.comment;
      return out;
    }

    it('stores snapshots and lists a flow\'s newest first (savedAt, then id, descending), without their nodes', async function () {
      for (const s of [s1, other, s2, s0]) await store.saveSnapshot(s);
      const list = await store.listSnapshots('main');
      assert.deepEqual(list, [summary(s2), summary(s0), summary(s1)]);
      assert.ok(list.every((s) => !('nodes' in s)));
      assert.deepEqual(await store.listSnapshots('other'), [summary(other)]);
      assert.deepEqual(await store.listSnapshots('none'), []);
    });

    it('gives a snapshot back as saved; an unknown one is undefined', async function () {
      await store.saveSnapshot(s1);
      await store.saveSnapshot(s2);
      assert.deepEqual(await store.getSnapshot('main-1'), s1);
      assert.deepEqual(await store.getSnapshot('main-2'), s2);
      assert.equal(await store.getSnapshot('main-9'), undefined);
    });

    it('refuses an id already stored, keeping the first', async function () {
      await store.saveSnapshot(s1);
      await refused(store.saveSnapshot({ ...s1, version: '9.9.9', nodes: [] }), 'conflict', /main-1/);
      assert.deepEqual(await store.getSnapshot('main-1'), s1);
      assert.equal((await store.listSnapshots('main')).length, 1);
    });

    it('refuses an invalid snapshot and stores nothing', async function () {
      await refused(store.saveSnapshot({ ...s1, flow: 'bad flow!' }), 'invalid', /flow/);
      await refused(store.saveSnapshot({ ...s1, nodes: [{ id: 'n1' }] }), 'invalid', /type/);
      assert.equal(await store.getSnapshot('main-1'), undefined);
      assert.deepEqual(await store.listSnapshots('bad flow!'), []);
      assert.deepEqual(await store.listSnapshots('main'), []);
    });
  });

  // --- named documents ----------------------------------------------------------------

  describe('named documents', function () {
    it('creates at revision 1 and counts up by compare-and-set', async function () {
      assert.equal(await store.putDocument('campaign', 'spring', cdoc({ status: 'draft' }), 0, T), 1);
      assert.deepEqual(await store.getDocument('campaign', 'spring'), { kind: 'campaign', id: 'spring', rev: 1, value: cdoc({ status: 'draft' }), updatedAt: T });
      assert.equal(await store.putDocument('campaign', 'spring', cdoc({ status: 'running', lists: ['a'] }), 1, T + 10), 2);
      assert.deepEqual(await store.getDocument('campaign', 'spring'), { kind: 'campaign', id: 'spring', rev: 2, value: cdoc({ status: 'running', lists: ['a'] }), updatedAt: T + 10 });
    });

    it('refuses a stale revision, naming the current one, and creating one that exists', async function () {
      await store.putDocument('campaign', 'spring', cdoc({ v: 'one' }), 0, T);
      await store.putDocument('campaign', 'spring', cdoc({ v: 'two' }), 1, T + 1);
      await refused(store.putDocument('campaign', 'spring', cdoc({ v: 'stale' }), 1, T + 2), 'conflict', standalone(2));
      await refused(store.putDocument('campaign', 'spring', cdoc({ v: 'again' }), 0, T + 2), 'conflict');
      await refused(store.putDocument('campaign', 'spring', cdoc({ v: 'ahead' }), 3, T + 2), 'conflict', standalone(2));
      await refused(store.putDocument('campaign', 'summer', cdoc({ v: 'ghost' }), 4, T + 2), 'conflict');
      assert.deepEqual(await store.getDocument('campaign', 'spring'), { kind: 'campaign', id: 'spring', rev: 2, value: cdoc({ v: 'two' }), updatedAt: T + 1 });
      assert.equal(await store.getDocument('campaign', 'summer'), undefined);
    });

    it('keeps each kind apart, lists a kind by id, and deletes', async function () {
      for (const id of ['b', 'a', 'C', 'aa']) assert.equal(await store.putDocument('campaign', id, cdoc({ id }), 0, T), 1);
      assert.equal(await store.putDocument('releases', 'a', { flows: {} }, 0, T + 5), 1, 'the same id in another kind is another document');
      assert.equal(await store.putDocument('campaign', 'a', cdoc({ id: 'a', changed: true }), 1, T + 6), 2);

      const list = await store.listDocuments('campaign');
      assert.deepEqual(
        list.map((d) => d.id),
        ['C', 'a', 'aa', 'b'],
      );
      assert.deepEqual(list[1], { kind: 'campaign', id: 'a', rev: 2, value: cdoc({ id: 'a', changed: true }), updatedAt: T + 6 });
      assert.deepEqual(await store.listDocuments('releases'), [{ kind: 'releases', id: 'a', rev: 1, value: { flows: {} }, updatedAt: T + 5 }]);
      assert.deepEqual(await store.listDocuments('routing'), []);

      assert.equal(await store.deleteDocument('campaign', 'a'), true);
      assert.equal(await store.deleteDocument('campaign', 'a'), false);
      assert.equal(await store.getDocument('campaign', 'a'), undefined);
      assert.ok(await store.getDocument('releases', 'a'));
      assert.deepEqual(
        (await store.listDocuments('campaign')).map((d) => d.id),
        ['C', 'aa', 'b'],
      );
      assert.equal(await store.putDocument('campaign', 'a', cdoc({ reborn: true }), 0, T + 7), 1, 'a deleted document can be created again');
    });

    it('checks a routing table against its schema', async function () {
      const table = { account: {}, groups: [], numbers: [] };
      assert.equal(await store.putDocument('routing', 'main', table, 0, T), 1);
      assert.deepEqual((await store.getDocument('routing', 'main'))?.value, table);
      const full = {
        account: { flow: 'main', settings: { language: 'en' } },
        groups: [{ name: 'sales', numbers: ['+1555010*'], flow: 'sales' }],
        numbers: [{ number: '8000', flow: 'support' }],
      };
      assert.equal(await store.putDocument('routing', 'main', full, 1, T + 1), 2);

      await refused(store.putDocument('routing', 'main', { ...full, numbers: [{ number: 'abc' }] }, 2, T + 2), 'invalid', /number/);
      await refused(store.putDocument('routing', 'other', { account: {}, numbers: [] }, 0, T + 2), 'invalid', /groups/);
      await refused(store.putDocument('routing', 'other', { ...table, colour: 'red' }, 0, T + 2), 'invalid', /colour/);
      assert.deepEqual(await store.getDocument('routing', 'main'), { kind: 'routing', id: 'main', rev: 2, value: full, updatedAt: T + 1 });
      assert.equal(await store.getDocument('routing', 'other'), undefined);
      await refused(store.putDocument('campaign', 'list', [1, 2] as unknown as Record<string, unknown>, 0, T), 'invalid');
      assert.equal(await store.getDocument('campaign', 'list'), undefined);
    });
  });

  // --- call records and answers -------------------------------------------------------

  describe('meeting records and answers', function () {
    // Call records have a suite of their own: test/store/call-records-conformance.ts.

    it('stores a meeting record once and pages meeting records by (endedAt, id), of every room or one', async function () {
      const meeting = (id: string, endedAt: number, room?: string): MeetingRecord => ({
        id,
        ...(room === undefined ? { key: `code:${id}` } : { room, key: `room:${room}`, callFlow: 'secured', recording: `meeting-${id}` }),
        startedAt: endedAt - 600_000,
        endedAt,
        reason: 'ended',
        participants: [{ call: `${id}-c1`, caller: '+15550100', role: 'host', joinedAt: endedAt - 600_000, leftAt: endedAt, reason: 'hangup' }],
      });
      const all = [meeting('m-d', T + 3000, 'board'), meeting('m-b', T + 2000), meeting('m-a', T + 2000, 'board'), meeting('m-c', T + 1000, 'team')];
      for (const m of all) await store.saveMeetingRecord(m);
      await store.saveMeetingRecord({ ...all[0], endedAt: T + 9000 } as MeetingRecord);
      const byKey = (ids: string[]) => ids.map((id) => all.find((m) => m.id === id));
      for (const limit of [1, 2, 100]) {
        assert.deepEqual(await pageAll(limit, (o) => store.pageMeetingRecords(o)), byKey(['m-c', 'm-a', 'm-b', 'm-d']), `limit ${limit}`);
        assert.deepEqual(await pageAll(limit, (o) => store.pageMeetingRecords({ ...o, room: 'board' })), byKey(['m-a', 'm-d']), `board, limit ${limit}`);
      }
      await refused(store.saveMeetingRecord({ ...meeting('m-x', T), room: '../etc' }), 'invalid', /room/);
      await refused(store.saveMeetingRecord({ ...meeting('m-y', T), participants: [{ call: 'c', caller: '1', role: 'admin', joinedAt: T, leftAt: T, reason: 'x' }] }), 'invalid', /role/);
    });

    it('pages a questionnaire\'s answers by (at, id)', async function () {
      const answers = (id: string, at: number, questionnaire = 'survey'): QuestionnaireAnswers => ({
        id,
        questionnaire,
        callId: `call-${id}`,
        campaignId: C,
        customerId: 'ann',
        at,
        answers: [
          { question: 'q1', answer: '5', at: at - 10 },
          { question: 'q2', answer: 'yes' },
        ],
      });
      const all = [answers('x2', T + 20), answers('x1', T + 20), answers('y', T + 10), answers('z', T + 30), answers('o', T, 'other'), answers('X', T + 20)];
      for (const a of all) await store.saveAnswers(a);
      const byKey = (ids: string[]) => ids.map((id) => all.find((a) => a.id === id));
      for (const limit of [1, 2, 3, 100]) {
        assert.deepEqual(await pageAll(limit, (o) => store.pageAnswers('survey', o)), byKey(['y', 'X', 'x1', 'x2', 'z']), `limit ${limit}`);
      }
      assert.deepEqual(await store.pageAnswers('other'), { items: byKey(['o']) });
      assert.deepEqual(await store.pageAnswers('none'), { items: [] });
      await refused(store.saveAnswers({ ...answers('bad', T), answers: [{ question: '', answer: 'x' }] }), 'invalid', /question/);
      await refused(store.saveAnswers({ id: 'bad2', questionnaire: 'survey', at: T, answers: [] } as unknown as QuestionnaireAnswers), 'invalid', /callId/);
      assert.equal((await pageAll(100, (o) => store.pageAnswers('survey', o))).length, 5);
    });

    it("keeps a questionnaire's partial answers with the campaign's attempt, the flow and where it stopped; refuses a bad stop", async function () {
      const partial: QuestionnaireAnswers = {
        id: 'p1',
        questionnaire: 'delivery',
        callId: 'cfc-1',
        campaignId: C,
        customerId: 'ann',
        attempt: 2,
        flow: 'survey',
        at: T,
        complete: false,
        stopped: { question: 'why', reason: 'hangup' },
        answers: [
          { question: 'channel', answer: '2', label: 'phone', at: T - 20 },
          { question: 'why', answer: 'answer-why-cfc-1-1234abcd', at: T - 5 },
        ],
      };
      await store.saveAnswers(partial);
      await store.saveAnswers({ ...partial, complete: true });
      assert.deepEqual(await store.pageAnswers('delivery'), { items: [partial] }, 'stored whole, once (a repeat is a no-op)');
      await refused(store.saveAnswers({ ...partial, id: 'p2', stopped: { question: 'why', reason: 'bored' as 'hangup' } }), 'invalid', /stopped\.reason/);
      await refused(store.saveAnswers({ ...partial, id: 'p3', attempt: 0 }), 'invalid', /attempt/);
    });
  });
}
