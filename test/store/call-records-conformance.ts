/**
 * The store port's call records, as every backend keeps them (the conformance suite's part for lib/store/*\/call-records.ts):
 * stored once, read one by its id, listed newest first of every call or of one flow, campaign or connection, and pruned
 * by the retention sweep a bounded batch at a time. embedded.test.ts, embedded-thread.test.ts and mongodb.test.ts run it
 * as they run storeConformance.
 */
import assert from 'node:assert/strict';
import type { CallRecord } from '../../lib/schemas/store';
import { DEFAULT_PAGE, type Page, type PageOptions, type Store } from '../../lib/store/port';
import { conformanceSuite, pageAll, refused, type StoreHarness } from './harness';

const T = 1_000_000;

/** A record of connection `a1` unless said otherwise. */
export function callRecordOf(id: string, endedAt: number, extra: Partial<CallRecord> = {}): CallRecord {
  return {
    id,
    connection: 'a1',
    direction: 'inbound',
    caller: { number: '+15550100', name: 'Ann' },
    dialed: '7000',
    startedAt: endedAt - 60_000,
    endedAt,
    report: { by: 'caller', cause: 16, trace: [{ node: 'n1', element: 'entry', at: new Date(endedAt - 1000).toISOString() }] },
    ...extra,
  };
}

export function callRecordConformance(name: string, make: () => Promise<StoreHarness>, options: { skip?: string } = {}): void {
  conformanceSuite(`store conformance: ${name}: call records`, make, options.skip, (live) => {
    let store: Store;
    beforeEach(function () {
      ({ store } = live);
    });

    const ids = async (list: (o: PageOptions) => Promise<Page<CallRecord>>, limit = 100): Promise<string[]> =>
      (await pageAll(limit, list)).map((r) => r.id);

    it('stores a call record once: the same id again is a no-op', async function () {
      const r = callRecordOf('call-1', T, { flow: 'main', version: '1.0.0', result: { code: 'sold', subCode: 'upsell' } });
      await store.saveCallRecord(r);
      await store.saveCallRecord(r);
      await store.saveCallRecord({ ...r, endedAt: T + 5, report: { retry: true } });
      assert.deepEqual(await store.pageCallRecords(), { items: [r] });
    });

    it('lists call records newest first, by (endedAt, id) descending, of every call or of one flow, campaign or connection', async function () {
      const campaign = (attempt: number) => ({ id: 'spring', name: 'Spring sale', customerId: 'ann', attempt, number: '+15550100' });
      const records = [
        callRecordOf('r-d', T + 3000, { flow: 'other', connection: 'a2' }),
        callRecordOf('r-b', T + 2000, { flow: 'main', direction: 'outbound', campaign: campaign(2) }),
        callRecordOf('r-e', T + 1500),
        callRecordOf('r-a', T + 2000, { flow: 'main' }),
        callRecordOf('r-c', T + 1000, { flow: 'main', direction: 'outbound', campaign: campaign(1) }),
        callRecordOf('r-B', T + 2000, { flow: 'main', connection: 'a2' }),
      ];
      for (const r of records) await store.saveCallRecord(r);
      for (const limit of [1, 2, 3, 100]) {
        assert.deepEqual(await ids((o) => store.pageCallRecords(o), limit), ['r-d', 'r-b', 'r-a', 'r-B', 'r-e', 'r-c'], `limit ${limit}`);
        assert.deepEqual(await ids((o) => store.pageCallRecords({ ...o, flow: 'main' }), limit), ['r-b', 'r-a', 'r-B', 'r-c'], `main, limit ${limit}`);
        assert.deepEqual(await ids((o) => store.pageCallRecords({ ...o, campaign: 'spring' }), limit), ['r-b', 'r-c'], `spring, limit ${limit}`);
        assert.deepEqual(await ids((o) => store.pageCallRecords({ ...o, connection: 'a2' }), limit), ['r-d', 'r-B'], `a2, limit ${limit}`);
      }
      const first = await store.pageCallRecords({ campaign: 'spring', limit: 1 });
      assert.deepEqual(first.items, [records[1]], 'the record comes back as stored, its campaign link included');
      assert.deepEqual(await store.pageCallRecords({ flow: 'none' }), { items: [] });
      assert.deepEqual(await store.pageCallRecords({ campaign: 'none' }), { items: [] });
    });

    it('reads one call record by its id, however many newer records there are', async function () {
      const linked = callRecordOf('call-old', T, { flow: 'main', version: '1.0.0', recording: 'cf-rec-old', campaign: { id: 'spring', name: 'Spring sale', customerId: 'ann', attempt: 1, number: '+15550100' } });
      await store.saveCallRecord(linked);
      // More newer records of the same flow than a page holds (DEFAULT_PAGE): the old one is beyond the first page.
      for (let i = 1; i <= DEFAULT_PAGE + 1; i += 1) await store.saveCallRecord(callRecordOf(`call-${i}`, T + i, { flow: 'main' }));
      const first = await store.pageCallRecords({ flow: 'main' });
      assert.ok(first.next !== undefined && !first.items.some((r) => r.id === 'call-old'), 'the record is not on the first page of its flow');
      assert.deepEqual(await store.getCallRecord('call-old'), linked, 'the record comes back as stored');
      assert.deepEqual(await store.getCallRecord('call-1'), callRecordOf('call-1', T + 1, { flow: 'main' }));
      assert.equal(await store.getCallRecord('call-none'), undefined, 'no such call');
      assert.equal(await store.getCallRecord('CALL-OLD'), undefined, 'ids are compared exactly');
    });

    it('refuses an id that is not one, reading nothing', async function () {
      await store.saveCallRecord(callRecordOf('call-1', T));
      const bad: unknown[] = ['', 'x'.repeat(129), undefined, null, 5, { $ne: null }, ['call-1']];
      for (const id of bad) await refused(store.getCallRecord(id as string), 'invalid', /id: an id of 1 to 128 characters/);
      assert.equal(await store.getCallRecord('x'.repeat(128)), undefined, '128 characters is an id');
    });

    it('refuses a bad record, two filters at once, and a filter that is not an id', async function () {
      await refused(store.saveCallRecord(callRecordOf('r-x', T, { flow: 'bad flow!' })), 'invalid', /flow/);
      await refused(store.saveCallRecord(callRecordOf('r-y', T, { endedAt: -1 })), 'invalid', /endedAt/);
      const { connection, ...without } = callRecordOf('r-z', T);
      void connection;
      await refused(store.saveCallRecord(without as CallRecord), 'invalid', /connection/);
      await refused(store.saveCallRecord(callRecordOf('r-w', T, { caller: { number: '1', name: 'x'.repeat(201) } })), 'invalid', /caller/);
      await refused(store.saveCallRecord({ ...callRecordOf('r-v', T), token: 'secret' } as CallRecord), 'invalid', /token/);
      await refused(store.pageCallRecords({ flow: 'main', campaign: 'spring' }), 'invalid', /one of flow, campaign or connection/);
      await refused(store.pageCallRecords({ campaign: '' }), 'invalid', /campaign/);
      assert.deepEqual(await store.pageCallRecords(), { items: [] }, 'nothing refused was written');
    });

    it('prunes the records that ended before a time, oldest first, at most `limit` at a time', async function () {
      for (let i = 0; i < 7; i += 1) await store.saveCallRecord(callRecordOf(`r${i}`, T + i * 1000));
      await store.saveCallRecord(callRecordOf('other', T, { connection: 'a2' }));
      assert.equal(await store.pruneCallRecords({ connection: 'a1', before: T + 5000, limit: 2 }), 2);
      assert.deepEqual(await ids((o) => store.pageCallRecords({ ...o, connection: 'a1' })), ['r6', 'r5', 'r4', 'r3', 'r2'], 'the oldest two went first');
      assert.equal(await store.pruneCallRecords({ connection: 'a1', before: T + 5000, limit: 10 }), 3);
      assert.equal(await store.pruneCallRecords({ connection: 'a1', before: T + 5000, limit: 10 }), 0, 'nothing left to prune');
      assert.deepEqual(await ids((o) => store.pageCallRecords(o)), ['r6', 'r5', 'other'], 'a record that ended at `before` stays; another connection\'s too');
      assert.equal(await store.pruneCallRecords({ before: T + 5500, limit: 10 }), 2, 'without a connection: every connection\'s');
      assert.deepEqual(await ids((o) => store.pageCallRecords(o)), ['r6']);
    });

    it('prunes all but the newest `keep` records of a connection, with a time bound too when given', async function () {
      // Two records end at the same time: the key's id decides which one is newer.
      const ended = [T, T + 1000, T + 2000, T + 2000, T + 3000, T + 4000];
      for (const [i, at] of ended.entries()) await store.saveCallRecord(callRecordOf(`r${i}`, at));
      for (let i = 0; i < 3; i += 1) await store.saveCallRecord(callRecordOf(`b${i}`, T + i, { connection: 'a2' }));
      assert.equal(await store.pruneCallRecords({ connection: 'a1', keep: 10, limit: 100 }), 0, 'fewer than keep: nothing goes');
      assert.equal(await store.pruneCallRecords({ connection: 'a1', keep: 3, limit: 2 }), 2);
      assert.equal(await store.pruneCallRecords({ connection: 'a1', keep: 3, limit: 2 }), 1);
      assert.deepEqual(await ids((o) => store.pageCallRecords({ ...o, connection: 'a1' })), ['r5', 'r4', 'r3']);
      assert.deepEqual(await ids((o) => store.pageCallRecords({ ...o, connection: 'a2' })), ['b2', 'b1', 'b0'], 'another connection\'s records are not counted nor pruned');
      // The stricter bound wins: keep 3 would keep r3, but r3 ended before `before`.
      assert.equal(await store.pruneCallRecords({ connection: 'a1', keep: 3, before: T + 3500, limit: 100 }), 2);
      assert.deepEqual(await ids((o) => store.pageCallRecords({ ...o, connection: 'a1' })), ['r5']);
      // And the other way round: a time bound that keeps more than `keep` does not save them.
      assert.equal(await store.pruneCallRecords({ connection: 'a2', keep: 1, before: T, limit: 100 }), 2);
      assert.deepEqual(await ids((o) => store.pageCallRecords({ ...o, connection: 'a2' })), ['b2']);
    });

    it('refuses prune arguments out of range, deleting nothing', async function () {
      await store.saveCallRecord(callRecordOf('r1', T));
      for (const limit of [0, 10_001, 2.5, -1]) await refused(store.pruneCallRecords({ before: T + 1, limit }), 'invalid', /limit/);
      for (const keep of [0, -1, 1.5]) await refused(store.pruneCallRecords({ keep, limit: 10 }), 'invalid', /keep/);
      await refused(store.pruneCallRecords({ before: -5, limit: 10 }), 'invalid', /before/);
      await refused(store.pruneCallRecords({ connection: '', before: T + 1, limit: 10 }), 'invalid', /connection/);
      assert.equal(await store.pruneCallRecords({ limit: 10 }), 0, 'no bound: nothing goes');
      assert.equal((await store.pageCallRecords()).items.length, 1);
    });
  });
}
