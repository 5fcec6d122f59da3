/**
 * The store port's conformance suite: what every Store implementation
 * (lib/store/embedded.ts, lib/store/mongodb.ts) must do, said as tests of
 * the contract in lib/store/port.ts. A backend's test file calls
 * storeConformance with a factory that opens a fresh store on empty data;
 * `second()` opens another store on the same data (another process, as far
 * as the store can tell) for the concurrency tests.
 *
 * Times are fixed numbers passed in, as the port requires: the store never
 * reads the clock for domain decisions.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Attempt, BlockEntry, ContactInput, FlowSnapshot, MeetingRecord, QuestionnaireAnswers } from '../../lib/schemas/store';
import {
  StoreError,
  type AttemptRow,
  type Claim,
  type ContactState,
  type NextStep,
  type Page,
  type PageOptions,
  type SnapshotSummary,
  type Store,
  type StoreErrorKind,
  type StoredContact,
} from '../../lib/store/port';

export interface StoreHarness {
  /** A fresh, opened store on empty data. */
  store: Store;
  /** Opens another store on the same data (same file, same database). */
  second: () => Promise<Store>;
  /** Closes every store the harness opened and removes the data. */
  cleanup: () => Promise<void>;
}

const T = 1_000_000;
const LEASE = 60_000;
const C = 'spring';
const NUMBER = '+15550100';

function row(customerId: string, extra: Partial<ContactInput> = {}): ContactInput {
  return { customerId, numbers: [{ number: NUMBER }], ...extra };
}

function attempt(n: number, outcome: Attempt['outcome'] = 'no-answer', at = T): Attempt {
  return { n, number: NUMBER, startedAt: at, endedAt: at + 30_000, outcome };
}

function idsOf(claims: Claim[]): string[] {
  return claims.map((c) => c.contact.customerId);
}

/** Byte-wise order of two strings (code units; ranks are printable ASCII). */
/** A valid campaign document (kind "campaign" is checked against lib/schemas/campaign.ts) carrying `extra` in its reason. */
function cdoc(extra: Record<string, unknown>): Record<string, unknown> {
  return { state: 'draft', changedAt: 0, reason: JSON.stringify(extra), name: 'test', counters: { dialed: 0, answered: 0, failed: 0, finished: 0 } };
}

function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function byRankSeq(a: StoredContact, b: StoredContact): number {
  return byteCompare(a.rank, b.rank) || a.seq - b.seq;
}

/** The promise rejects with a StoreError of this kind whose message matches each pattern. */
export async function refused(promise: Promise<unknown>, kind: StoreErrorKind, ...mentions: RegExp[]): Promise<StoreError> {
  let caught: unknown;
  let settled = false;
  try {
    await promise;
    settled = true;
  } catch (err) {
    caught = err;
  }
  assert.ok(!settled, `expected a StoreError '${kind}', but the call succeeded`);
  assert.ok(caught instanceof StoreError, `expected a StoreError '${kind}', got ${String(caught)}`);
  assert.equal(caught.kind, kind, `kind of "${caught.message}"`);
  for (const m of mentions) assert.match(caught.message, m);
  return caught;
}

/** Matches a number standing alone (not part of a longer number): the index of a row in a message. */
function standalone(n: number): RegExp {
  return new RegExp(`(^|\\D)${n}(\\D|$)`);
}

/**
 * Every item of a listing, following `next` until it is absent. Checks the
 * paging rules on the way: no page above the limit, and no empty page
 * except an empty listing's only one (so `next` is absent on the last page).
 */
export async function pageAll<T>(limit: number, page: (options: PageOptions) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let after: string | undefined;
  for (let n = 0; n < 100_000; n += 1) {
    const p = await page(after === undefined ? { limit } : { limit, after });
    assert.ok(p.items.length <= limit, `a page of ${p.items.length} items for a limit of ${limit}`);
    if (n > 0 || p.next !== undefined) assert.ok(p.items.length > 0, 'an empty page was reached through a next cursor (next must be absent on the last page)');
    items.push(...p.items);
    if (p.next === undefined) return items;
    assert.equal(typeof p.next, 'string');
    after = p.next;
  }
  return assert.fail('paging did not end');
}

async function mustGet(store: Store, campaignId: string, customerId: string): Promise<StoredContact> {
  const c = await store.getContact(campaignId, customerId);
  assert.ok(c, `contact ${customerId} of ${campaignId} is stored`);
  return c;
}

async function claimOne(store: Store, campaignId: string, now: number, worker = 'w1', leaseMs = LEASE): Promise<Claim> {
  const claims = await store.claimDue(campaignId, now, 1, worker, leaseMs);
  assert.equal(claims.length, 1, `one contact due at ${now}`);
  const claim = claims[0];
  assert.ok(claim);
  return claim;
}

/** Claims everything due at `now` (up to 1000). */
async function claimAll(store: Store, campaignId: string, now: number, worker = 'w1', leaseMs = LEASE): Promise<Claim[]> {
  return store.claimDue(campaignId, now, 1000, worker, leaseMs);
}

const done = (at: number, code = 'done', progress: Record<string, unknown> = {}): NextStep => ({ state: 'done', at, progress, result: { code, at } });

/**
 * A harness for a store kept in one file: a temporary folder per test,
 * `make(file)` for the store and each second one on the same file, all
 * closed and the folder removed at cleanup.
 */
export function fileStoreHarness(make: (file: string) => Store): () => Promise<StoreHarness> {
  return async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callflow-store-'));
    const file = path.join(dir, 'callflow.db');
    const opened: Store[] = [];
    const open = async (): Promise<Store> => {
      const s = make(file);
      opened.push(s);
      await s.open();
      return s;
    };
    const store = await open();
    return {
      store,
      second: open,
      cleanup: async () => {
        for (const s of opened) await s.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  };
}

export function storeConformance(name: string, make: () => Promise<StoreHarness>, options: { skip?: string } = {}): void {
  describe(`store conformance: ${name}`, function () {
    before(function () {
      if (options.skip === undefined) return;
      // Say why, in the test output, then mark every test of the suite pending.
      console.log(`      SKIPPED: ${options.skip}`);
      this.skip();
    });
    let store: Store;
    let second: () => Promise<Store>;
    let cleanup: (() => Promise<void>) | undefined;

    beforeEach(async function () {
      ({ store, second, cleanup } = await make());
    });

    afterEach(async function () {
      const c = cleanup;
      cleanup = undefined;
      if (c) await c();
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
  });
}
