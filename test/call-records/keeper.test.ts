/**
 * lib/call-records: what a call record holds (and does not), the keeper that never holds a call back and says an
 * outage once, and the retention sweep whose work is bounded per store call and per sweep.
 */
import assert from 'node:assert/strict';
import type { EndedCall } from '../../lib/call/registry';
import { CallSession } from '../../lib/call/session';
import { CallRecordKeeper } from '../../lib/call-records/keeper';
import { callRecordOf } from '../../lib/call-records/record';
import { RecordRetention } from '../../lib/call-records/retention';
import type { Logger } from '../../lib/log';
import { callRecord, type CallRecord } from '../../lib/schemas/store';
import type { StoreConnection } from '../../lib/store/connection';
import { StoreError, type CallRecordPrune, type Store } from '../../lib/store/port';

const T = Date.UTC(2026, 0, 5, 9);

function ended(id = 'ch-1', extra: (s: CallSession) => void = () => undefined): EndedCall {
  let now = T;
  const session = new CallSession({ channelId: id, connection: 'a1', direction: 'outbound', caller: { number: '+15550100', name: 'Ann' }, dialed: '+15550199', state: 'up', now: () => now });
  session.flow = 'survey';
  session.version = '1.2.0';
  session.vars = { pin: '1234' };
  extra(session);
  now += 65_000;
  session.end({ reason: 'hangup', by: 'caller', cause: 16, causeText: 'Normal Clearing' });
  const end = session.ended;
  assert.ok(end);
  return { session, end };
}

function logger(): Logger & { lines: [string, string][] } {
  const lines: [string, string][] = [];
  return { lines, debug: (m) => lines.push(['debug', m]), info: (m) => lines.push(['info', m]), warn: (m) => lines.push(['warn', m]), error: (m) => lines.push(['error', m]) };
}

/** A store connection whose next answers the test decides: each available() takes the next outcome. */
function storeConnection(outcomes: ('ok' | 'down' | 'hang')[]) {
  const saved: CallRecord[] = [];
  const hanging: (() => void)[] = [];
  const store = {
    saveCallRecord: (r: CallRecord) => {
      saved.push(r);
      return Promise.resolve();
    },
  } as unknown as Store;
  const connection = {
    available: () => {
      const next = outcomes.shift() ?? 'ok';
      if (next === 'down') return Promise.reject(new StoreError('unreachable', 'the store is unreachable: connect ECONNREFUSED'));
      if (next === 'hang') return new Promise<Store>((resolve) => hanging.push(() => resolve(store)));
      return Promise.resolve(store);
    },
  } as unknown as StoreConnection;
  return { connection, saved, hanging };
}

describe('call records', function () {
  describe('the record of an ended call', function () {
    it('holds the ids, flow, version, campaign attempt, result, times and the call-end report, never the token or the variables', function () {
      const e = ended('ch-1', (s) => {
        s.campaign = { id: 'spring', name: 'Spring sale', customerId: 'ann', attempt: 2, number: '+15550199', custom: { secret: 'x' } };
        s.result = { code: 'sold' };
      });
      const r = callRecordOf(e);
      assert.equal(callRecord.check(r).ok, true, JSON.stringify(callRecord.check(r)));
      assert.deepEqual(
        { ...r, report: undefined },
        {
          id: 'ch-1',
          connection: 'a1',
          direction: 'outbound',
          caller: { number: '+15550100', name: 'Ann' },
          dialed: '+15550199',
          flow: 'survey',
          version: '1.2.0',
          campaign: { id: 'spring', name: 'Spring sale', customerId: 'ann', attempt: 2, number: '+15550199' },
          result: { code: 'sold' },
          startedAt: T,
          endedAt: T + 65_000,
          report: undefined,
        },
      );
      assert.deepEqual([r.report.by, r.report.cause, r.report.durationSec], ['caller', 16, 65]);
      const text = JSON.stringify(r);
      assert.ok(!text.includes('1234') && !text.includes('secret'), 'no variables, no custom fields');
      const token = (e.session.handle() as { token?: string }).token;
      assert.ok(token && !text.includes(token), 'no token');
    });

    it('cuts what a caller chose to what the record takes, so that the record is never refused for it', function () {
      const e = ended('ch-2');
      (e.session as { caller: { number: string; name: string } }).caller = { number: '9'.repeat(500), name: 'N'.repeat(5000) };
      const r = callRecordOf(e);
      assert.deepEqual([r.caller.number.length, r.caller.name.length], [200, 200]);
      assert.equal(callRecord.check(r).ok, true);
    });
  });

  describe('the keeper', function () {
    it('says an outage once, counts what it drops, and says when records are kept again', async function () {
      const log = logger();
      const s = storeConnection(['down', 'down', 'down', 'ok', 'down']);
      const keeper = new CallRecordKeeper({ store: () => s.connection, log });
      for (let i = 0; i < 3; i += 1) keeper.keep(ended(`d${i}`));
      await keeper.idle();
      assert.deepEqual(keeper.counts, { saved: 0, dropped: 3, inFlight: 0, dropping: true });
      const warnings = log.lines.filter(([level]) => level === 'warn');
      assert.equal(warnings.length, 1, 'one warning for the outage, not one per call');
      assert.match(warnings[0]?.[1] ?? '', /not being kept \(the store is unreachable: connect ECONNREFUSED\); calls go on/);
      keeper.keep(ended('ok1'));
      await keeper.idle();
      assert.deepEqual(keeper.counts, { saved: 1, dropped: 3, inFlight: 0, dropping: false });
      assert.deepEqual(log.lines.filter(([level]) => level === 'info').map(([, m]) => m), ['call records are kept again; 3 were dropped while the store could not take them']);
      assert.deepEqual(s.saved.map((r) => r.id), ['ok1']);
      keeper.keep(ended('d4'));
      await keeper.idle();
      assert.equal(log.lines.filter(([level]) => level === 'warn').length, 2, 'a new outage is said again');
    });

    it('never holds a call: keep() returns before the store answers, and at most maxInFlight records wait for it', async function () {
      const log = logger();
      const s = storeConnection(['hang', 'hang']);
      const keeper = new CallRecordKeeper({ store: () => s.connection, log, maxInFlight: 2 });
      for (let i = 0; i < 4; i += 1) keeper.keep(ended(`h${i}`));
      assert.deepEqual(keeper.counts, { saved: 0, dropped: 2, inFlight: 2, dropping: true });
      assert.equal(log.lines.filter(([level]) => level === 'warn').length, 1);
      assert.match(log.lines[0]?.[1] ?? '', /not keeping up \(2 records waiting/);
      for (const wake of s.hanging.splice(0)) wake();
      await keeper.idle();
      assert.deepEqual(keeper.counts, { saved: 2, dropped: 2, inFlight: 0, dropping: true }, 'writes that began before the outage do not end it');
      keeper.keep(ended('h5'));
      await keeper.idle();
      assert.equal(keeper.counts.dropping, false);
    });

    it('drops, with the same single warning, while the store node is not deployed, and never throws', async function () {
      const log = logger();
      const keeper = new CallRecordKeeper({ store: () => undefined, log });
      keeper.keep(ended('n1'));
      keeper.keep(ended('n2'));
      await keeper.idle();
      assert.deepEqual(keeper.counts, { saved: 0, dropped: 2, inFlight: 0, dropping: true });
      assert.equal(log.lines.length, 1);
      assert.match(log.lines[0]?.[1] ?? '', /not deployed/);
    });
  });

  describe('the retention sweep', function () {
    function pruning(answers: number[]) {
      const asked: CallRecordPrune[] = [];
      const store = {
        pruneCallRecords: (p: CallRecordPrune) => {
          asked.push(p);
          return Promise.resolve(answers.shift() ?? 0);
        },
      } as unknown as Store;
      const connection = { available: () => Promise.resolve(store) } as unknown as StoreConnection;
      return { connection, asked };
    }

    it('deletes this connection\'s records past the days and the count, a batch per store call, until a batch is not full', async function () {
      const s = pruning([10, 10, 4]);
      const retention = new RecordRetention({ connection: 'a1', store: () => s.connection, log: logger(), retention: { days: 30, max: 5000 }, now: () => T, batch: 10 });
      assert.equal(await retention.sweep(), 24);
      assert.equal(s.asked.length, 3);
      assert.deepEqual(s.asked[0], { connection: 'a1', before: T - 30 * 86_400_000, keep: 5000, limit: 10 });
    });

    it('stops after maxBatches store calls, leaving the rest to the next sweep (bounded work)', async function () {
      const s = pruning(Array.from({ length: 50 }, () => 10));
      const retention = new RecordRetention({ connection: 'a1', store: () => s.connection, log: logger(), retention: { days: 0, max: 100 }, now: () => T, batch: 10, maxBatches: 3 });
      assert.equal(await retention.sweep(), 30);
      assert.equal(s.asked.length, 3);
      assert.deepEqual(s.asked[0], { connection: 'a1', keep: 100, limit: 10 }, 'no age bound when days is 0');
      await retention.sweep();
      assert.equal(s.asked.length, 6, 'the next sweep goes on');
    });

    it('does nothing without a bound, joins a sweep in progress, and takes a new retention for the next sweep', async function () {
      const s = pruning([]);
      const retention = new RecordRetention({ connection: 'a1', store: () => s.connection, log: logger(), retention: { days: 0, max: 0 }, now: () => T });
      assert.equal(await retention.sweep(), 0);
      assert.equal(s.asked.length, 0);
      retention.set({ days: 1, max: 0 });
      const [a, b] = [retention.sweep(), retention.sweep()];
      assert.equal(a, b, 'one sweep at a time');
      await a;
      assert.deepEqual(s.asked, [{ connection: 'a1', before: T - 86_400_000, limit: 1000 }]);
    });

    it('leaves a store that is down for the next sweep, without throwing', async function () {
      const log = logger();
      const connection = { available: () => Promise.reject(new StoreError('unreachable', 'down')) } as unknown as StoreConnection;
      const retention = new RecordRetention({ connection: 'a1', store: () => connection, log, retention: { days: 1, max: 0 } });
      assert.equal(await retention.sweep(), 0);
      assert.match(log.lines.map(([, m]) => m).join('\n'), /sweep stopped: down/);
    });
  });
});
