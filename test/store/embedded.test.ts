/**
 * The embedded (SQLite) store: the conformance suite on a temporary file,
 * a second EmbeddedStore on the same file standing in for another process;
 * then what only the embedded store has: its migrations and the query plan
 * of the claim.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { EMBEDDED_MIGRATIONS, EmbeddedStore } from '../../lib/store/embedded';
import { StoreError, type StoreErrorKind } from '../../lib/store/port';
import { SCHEMA_VERSIONS, migrationPlan, type Collection, type Migration } from '../../lib/store/rules';
import { callRecordConformance, callRecordOf } from './call-records-conformance';
import { fileStoreHarness, storeConformance } from './conformance';
import { useTempDir } from '../support/temp-dir';

type Db = Database.Database;

storeConformance('embedded', fileStoreHarness((file) => new EmbeddedStore({ file })));
callRecordConformance('embedded', fileStoreHarness((file) => new EmbeddedStore({ file })));

async function refusedWith(promise: Promise<unknown>, kind: StoreErrorKind, ...mentions: RegExp[]): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof StoreError, `a StoreError, got ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    for (const m of mentions) assert.match(err.message, m);
    return true;
  });
}

function refusedSync(fn: () => unknown, kind: StoreErrorKind, ...mentions: RegExp[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof StoreError, `a StoreError, got ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    for (const m of mentions) assert.match(err.message, m);
    return true;
  });
}

/** The built-in migrations, each noting in `ran` that it ran. */
function recording(ran: string[], extra: Migration<Db>[] = []): Migration<Db>[] {
  return [...EMBEDDED_MIGRATIONS, ...extra].map((m) => ({
    ...m,
    up: (db: Db) => {
      ran.push(`${m.collection}:${m.to}`);
      return m.up(db);
    },
  }));
}

/** The files this process has open (Linux), to see that a refused open closed the database. */
function openFiles(): string[] | undefined {
  if (!fs.existsSync('/proc/self/fd')) return undefined;
  return fs.readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      return [fs.readlinkSync(`/proc/self/fd/${fd}`)];
    } catch {
      return [];
    }
  });
}

const versions = SCHEMA_VERSIONS as { -readonly [K in Collection]: number };

describe('embedded store', function () {
  const temp = useTempDir('callflow-store-');
  let file: string;
  const stores: EmbeddedStore[] = [];

  function embedded(options: { migrations?: readonly Migration<Db>[] } = {}): EmbeddedStore {
    const s = new EmbeddedStore({ file, ...options });
    stores.push(s);
    return s;
  }

  function raw(): Db {
    return new Database(file);
  }

  beforeEach(function () {
    file = path.join(temp.path, 'callflow.db');
  });

  afterEach(async function () {
    for (const s of stores.splice(0)) await s.close();
  });

  describe('migrations', function () {
    it('brings a new file to this package\'s schema versions, and opens it again without running a step', async function () {
      const ran: string[] = [];
      const s = embedded({ migrations: recording(ran) });
      await s.open();
      assert.deepEqual(s.versions(), { ...SCHEMA_VERSIONS });
      assert.deepEqual(ran, ['contacts:1', 'contacts:2', 'contacts:3', 'contacts:4', 'blocklist:1', 'snapshots:1', 'documents:1', 'call_records:1', 'call_records:2', 'answers:1', 'meeting_records:1']);
      await s.importContacts('spring', [{ customerId: 'ann', numbers: [{ number: '+15550100' }] }], 1_000_000);
      await s.close();

      const again = embedded({ migrations: recording(ran) });
      await again.open();
      assert.equal(ran.length, 11, 'no step runs twice');
      assert.deepEqual(again.versions(), { ...SCHEMA_VERSIONS });
      assert.equal((await again.getContact('spring', 'ann'))?.seq, 1, 'the data is kept');
    });

    it('runs only the steps a database lacks', async function () {
      const first = embedded();
      await first.open();
      await first.close();
      const db = raw();
      db.exec("DROP TABLE answers; UPDATE meta SET version = 0 WHERE collection = 'answers'");
      db.close();

      const ran: string[] = [];
      const s = embedded({ migrations: recording(ran) });
      await s.open();
      assert.deepEqual(ran, ['answers:1']);
      assert.deepEqual(s.versions(), { ...SCHEMA_VERSIONS });
      await s.saveAnswers({ id: 'a1', questionnaire: 'survey', callId: 'c1', at: 1_000_000, answers: [] });
      assert.equal((await s.pageAnswers('survey')).items.length, 1);
    });

    it('does not run a step to a version above this package\'s (an extra step in the list)', async function () {
      const ran: string[] = [];
      const extra: Migration<Db> = {
        collection: 'contacts',
        to: SCHEMA_VERSIONS.contacts + 1,
        up: () => {
          throw new Error('a step of a newer package ran');
        },
      };
      const s = embedded({ migrations: recording(ran, [extra]) });
      await s.open();
      assert.ok(!ran.includes(`contacts:${SCHEMA_VERSIONS.contacts + 1}`));
      assert.deepEqual(s.versions(), { ...SCHEMA_VERSIONS });
    });

    it('upgrades a database with a step to the next version, keeping its data; the older package then refuses it', async function () {
      const old = embedded();
      await old.open();
      await old.importContacts('spring', [{ customerId: 'ann', numbers: [{ number: '+15550100' }] }], 1_000_000);
      await old.close();

      const current = SCHEMA_VERSIONS.contacts;
      const ran: string[] = [];
      const upgrade: Migration<Db> = {
        collection: 'contacts',
        to: current + 1,
        up: (db) => {
          db.exec('ALTER TABLE contacts ADD COLUMN note TEXT');
        },
      };
      // A newer package: contacts one version up, with its step.
      versions.contacts = current + 1;
      try {
        const newer = embedded({ migrations: recording(ran, [upgrade]) });
        await newer.open();
        assert.deepEqual(ran, [`contacts:${current + 1}`]);
        assert.deepEqual(newer.versions(), { ...SCHEMA_VERSIONS, contacts: current + 1 });
        assert.equal((await newer.getContact('spring', 'ann'))?.customerId, 'ann');
        await newer.close();
        const db = raw();
        const columns = db.prepare<[], { name: string }>('PRAGMA table_info(contacts)').all().map((c) => c.name);
        db.close();
        assert.ok(columns.includes('note'), 'the step ran on the file');
      } finally {
        versions.contacts = current;
      }
      await refusedWith(embedded().open(), 'newer-schema', /contacts/, new RegExp(`\\b${current + 1}\\b`), new RegExp(`\\b${current}\\b`));
    });

    it('refuses a database whose contacts are at a higher schema version, changing nothing', async function () {
      const first = embedded();
      await first.open();
      await first.close();
      const newer = SCHEMA_VERSIONS.contacts + 1;
      let db = raw();
      db.prepare("UPDATE meta SET version = ? WHERE collection = 'contacts'").run(newer);
      db.close();

      const s = embedded();
      await refusedWith(s.open(), 'newer-schema', /contacts/, new RegExp(`\\b${newer}\\b`), new RegExp(`\\b${SCHEMA_VERSIONS.contacts}\\b`));
      db = raw();
      const meta = Object.fromEntries(db.prepare<[], { collection: string; version: number }>('SELECT collection, version FROM meta').all().map((r) => [r.collection, r.version]));
      db.close();
      assert.deepEqual(meta, { ...SCHEMA_VERSIONS, contacts: newer });
      // The refused store is not open.
      await assert.rejects(s.getContact('spring', 'ann'));
    });

    it('closes the file when it refuses to open it', async function () {
      const first = embedded();
      await first.open();
      await first.close();
      const db = raw();
      db.prepare("UPDATE meta SET version = ? WHERE collection = 'contacts'").run(SCHEMA_VERSIONS.contacts + 1);
      db.close();
      const before = openFiles();
      if (!before) this.skip();
      assert.deepEqual(
        before.filter((f) => f.startsWith(file)),
        [],
      );
      await refusedWith(embedded().open(), 'newer-schema');
      assert.deepEqual(
        (openFiles() ?? []).filter((f) => f.startsWith(file)),
        [],
        'no handle on the database is left open',
      );
    });

    it('refuses to open when a step is missing, naming the collection and the version', async function () {
      const migrations = EMBEDDED_MIGRATIONS.filter((m) => m.collection !== 'snapshots');
      await refusedWith(embedded({ migrations }).open(), 'failed', /snapshots/, /\b1\b/);
    });

    it('a step that fails changes nothing: every step of the open is undone', async function () {
      const failing = EMBEDDED_MIGRATIONS.map((m) =>
        m.collection === 'call_records'
          ? {
              ...m,
              up: () => {
                throw new Error('disk on fire');
              },
            }
          : m,
      );
      await refusedWith(embedded({ migrations: failing }).open(), 'failed', /disk on fire/);
      const db = raw();
      const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((t) => t.name);
      const meta = db.prepare('SELECT * FROM meta').all();
      db.close();
      assert.deepEqual(tables, ['meta']);
      assert.deepEqual(meta, []);

      const s = embedded();
      await s.open();
      assert.deepEqual(s.versions(), { ...SCHEMA_VERSIONS });
    });
  });

  describe('migration plan', function () {
    const to1: Migration<null> = { collection: 'contacts', to: 1, up: () => undefined };
    const to2: Migration<null> = { collection: 'contacts', to: 2, up: () => undefined };
    const other: Migration<null> = { collection: 'answers', to: 1, up: () => undefined };

    it('gives the steps from a version to the current one, in order', function () {
      assert.deepEqual(migrationPlan('contacts', 0, 2, [to2, other, to1]), [to1, to2]);
      assert.deepEqual(migrationPlan('contacts', 1, 2, [to2, other, to1]), [to2]);
      assert.deepEqual(migrationPlan('contacts', 2, 2, [to2, to1]), []);
      assert.deepEqual(migrationPlan('answers', 0, 1, [to2, other, to1]), [other]);
    });

    it('reports a missing step as a failure', function () {
      refusedSync(() => migrationPlan('contacts', 0, 2, [to2, other]), 'failed', /contacts/, /\b1\b/);
      refusedSync(() => migrationPlan('contacts', 0, 2, [to1]), 'failed', /contacts/, /\b2\b/);
    });

    it('refuses data at a version above the current one', function () {
      refusedSync(() => migrationPlan('contacts', 3, 2, [to1, to2]), 'newer-schema', /contacts/, /\b3\b/, /\b2\b/);
    });
  });

  describe('queries', function () {
    it('claims from the queue table in (rank, seq) order and finds waiting contacts and leases by index, scanning no table', async function () {
      const s = embedded();
      await s.open();
      const rows = Array.from({ length: 500 }, (_, i) => ({ customerId: `c${i}`, numbers: [{ number: '+15550100' }], rank: String(i % 9), ...(i % 2 ? { dueAt: 2_000_000 } : {}) }));
      await s.importContacts('spring', rows, 1_000_000);
      await s.importContacts('autumn', rows, 1_000_000);
      assert.equal((await s.claimDue('spring', 1_000_000, 10, 'w1', 1000)).length, 10);

      const st = (s as unknown as { st?: Record<string, { source: string } | undefined> }).st;
      const source = (name: string): string => {
        const sql = st?.[name]?.source;
        assert.ok(sql, `the store prepares its ${name} statement`);
        return sql;
      };
      const db = new Database(file, { readonly: true });
      try {
        const plan = (sql: string, ...params: unknown[]): string[] =>
          db
            .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
            .all(...params)
            .map((r) => r.detail);
        const expect = (name: string, pattern: RegExp, ...params: unknown[]): void => {
          const p = plan(source(name), ...params);
          assert.ok(p.some((d) => pattern.test(d)), `${name}: ${p.join('\n')}`);
          assert.ok(!p.some((d) => /^SCAN (contacts|queue|leases)\b/.test(d)), `${name} scans a table: ${p.join('\n')}`);
          assert.ok(!p.some((d) => /TEMP B-TREE/.test(d)), `${name} sorts: ${p.join('\n')}`);
        };
        // The head of the queue comes in index order; waiting contacts and expired leases by their time.
        expect('head', /^SEARCH queue USING PRIMARY KEY \(campaign=\?\)/, 'spring', 10);
        expect('dueWaiting', /^SEARCH contacts USING INDEX contacts_waiting \(campaign=\? AND due_at<\?\)/, 'spring', 1_000_000, 5000);
        expect('expired', /^SEARCH l USING INDEX leases_until \(campaign=\? AND until<\?\)/, 'spring', 1_000_000, 5000);
        // Leases are found by their key, whatever the size of the queue or the campaign.
        expect('renew', /^SEARCH leases USING PRIMARY KEY \(campaign=\? AND seq=\?\)/, 1, 'spring', 1, 'x');
        expect('release', /^SEARCH leases USING PRIMARY KEY \(campaign=\? AND seq=\?\)/, 'spring', 1, 'x');
        expect('settle', /^SEARCH contacts USING PRIMARY KEY \(campaign=\? AND seq=\?\)/, 3, 1, 0, '{}', 'spring', 1);
        // A restarted worker finds its leases, and its expired ones in the queue, by key and index.
        expect('leasesOf', /^SEARCH leases USING (PRIMARY KEY|INDEX leases_until) \(campaign=\?\)/, 'spring', 'w1');
        expect('queuedOf', /^SEARCH queue USING (COVERING )?INDEX queue_worker \(campaign=\? AND worker=\?\)/, 'spring', 'w1');
        expect('relet', /^SEARCH leases USING PRIMARY KEY \(campaign=\? AND seq=\?\)/, 'x', 1, 'spring', 1);
        expect('leaseHeld', /^SEARCH leases USING PRIMARY KEY \(campaign=\? AND seq=\?\)/, 'spring', 1, 'x');
        expect('rewrite', /^SEARCH contacts USING PRIMARY KEY \(campaign=\? AND seq=\?\)/, '{}', 'spring', 1);
      } finally {
        db.close();
      }
    });
  });

  describe('tallying attempts', function () {
    it('reads a slice of seq numbers at a time along the primary key, with the event loop free between slices', async function () {
      const s = embedded();
      await s.open();
      await s.importContacts('spring', Array.from({ length: 3500 }, (_, i) => ({ customerId: `c${i}`, numbers: [{ number: '+15550100' }] })), 1_000_000);
      const st = (s as unknown as { st?: Record<string, { source: string } | undefined> }).st;
      const db = new Database(file, { readonly: true });
      try {
        for (const name of ['tallyOutcomes', 'tallyContacts']) {
          const sql = st?.[name]?.source;
          assert.ok(sql, `the store prepares its ${name} statement`);
          const p = db
            .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
            .all('spring', 0, 1000)
            .map((r) => r.detail);
          assert.ok(p.some((d) => /^SEARCH (c|contacts) USING PRIMARY KEY \(campaign=\? AND seq>\? AND seq<\?\)/.test(d)), `${name}: ${p.join('\n')}`);
          assert.ok(!p.some((d) => /^SCAN (c|contacts)\b/.test(d)), `${name} scans the contacts: ${p.join('\n')}`);
        }
      } finally {
        db.close();
      }
      // Other work runs while a tally is under way: it yields between its slices (four of them here).
      let turns = 0;
      let tallying = true;
      const spin = (): void => {
        turns += 1;
        if (tallying) setImmediate(spin);
      };
      setImmediate(spin);
      const tally = await s.tallyAttempts('spring');
      tallying = false;
      assert.deepEqual(tally, { outcomes: {}, inFlight: 0, done: 0 });
      assert.ok(turns >= 3, `the event loop turned ${turns} time(s) during the tally`);
    });
  });

  describe('counting contacts', function () {
    it('counts each state in slices of seq numbers along an index, reading no table, with the event loop free between slices', async function () {
      const s = new EmbeddedStore({ file, countSlice: 1000 });
      await s.open();
      try {
        await s.importContacts('spring', Array.from({ length: 3500 }, (_, i) => ({ customerId: `c${i}`, numbers: [{ number: '+15550100' }], ...(i % 5 === 0 ? { dueAt: 2_000_000 } : {}) })), 1_000_000);
        await s.importContacts('autumn', [{ customerId: 'a', numbers: [{ number: '+15550100' }] }], 1_000_000);
        const st = (s as unknown as { st?: Record<string, { source: string } | undefined> }).st;
        const sql = st?.countState?.source;
        assert.ok(sql, 'the store prepares its countState statement');
        const db = new Database(file, { readonly: true });
        try {
          const p = db
            .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
            .all('spring', 1, 0, 1000)
            .map((r) => r.detail);
          assert.ok(p.some((d) => /^SEARCH contacts USING COVERING INDEX contacts_state \(campaign=\? AND state=\? AND seq>\? AND seq<\?\)/.test(d)), `countState: ${p.join('\n')}`);
        } finally {
          db.close();
        }
        assert.equal((await s.claimDue('spring', 1_000_000, 10, 'w1', 1000)).length, 10);
        let turns = 0;
        let counting = true;
        const spin = (): void => {
          turns += 1;
          if (counting) setImmediate(spin);
        };
        setImmediate(spin);
        const counts = await s.countContacts('spring', 1_000_000);
        counting = false;
        assert.deepEqual(counts, { waiting: 700, due: 2790, leased: 10, done: 0, total: 3500, dueNow: 2790 });
        assert.ok(turns >= 3, `the event loop turned ${turns} time(s) during the count`);
      } finally {
        await s.close();
      }
    });
  });

  describe('contacts schema version 2', function () {
    it('moves the queue and the leases of a version 1 file into their tables, keeping every contact where it was', async function () {
      // A file as version 1 of this package left it: due, leased (with its token), waiting and done contacts.
      const db = raw();
      db.exec('CREATE TABLE meta (collection TEXT PRIMARY KEY, version INTEGER NOT NULL)');
      for (const m of EMBEDDED_MIGRATIONS.filter((m) => m.to === 1)) void m.up(db);
      for (const c of Object.keys(SCHEMA_VERSIONS)) db.prepare('INSERT INTO meta VALUES (?, 1)').run(c);
      const body = (n: string): string => JSON.stringify({ numbers: [{ number: n }], attempts: [], progress: {} });
      const insert = db.prepare('INSERT INTO contacts (campaign, seq, customer, state, due_at, rank, lease_token, lease_worker, attempts, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)');
      insert.run('spring', 1, 'due-b', 1, 1000, 'b', null, null, body('+15550001'));
      insert.run('spring', 2, 'leased', 2, 90_000, 'a', '2.tok', 'w-old', body('+15550002'));
      insert.run('spring', 3, 'waiting', 0, 50_000, 'a', null, null, body('+15550003'));
      insert.run('spring', 4, 'done', 3, 2000, 'a', null, null, body('+15550004'));
      insert.run('spring', 5, 'due-a', 1, 1000, 'a', null, null, body('+15550005'));
      db.close();

      const s = embedded();
      await s.open();
      assert.deepEqual(s.versions(), { ...SCHEMA_VERSIONS });
      const states = (await s.pageContacts('spring')).items.map((c) => [c.customerId, c.state, c.dueAt]);
      assert.deepEqual(states, [
        ['due-b', 'due', 1000],
        ['leased', 'leased', 90_000],
        ['waiting', 'waiting', 50_000],
        ['done', 'done', 2000],
        ['due-a', 'due', 1000],
      ]);
      // The old lease is still held by its token; the queue keeps its (rank, seq) order; the waiting one comes when due.
      const leased = await s.getContact('spring', 'leased');
      assert.ok(leased);
      assert.deepEqual(await s.renewLeases('spring', ['2.tok'], 120_000), ['2.tok']);
      assert.equal(await s.recordAttempt({ contact: leased, token: '2.tok', worker: 'w-old', leaseUntil: 120_000 }, null, { state: 'waiting', dueAt: 200_000, progress: {} }), true);
      assert.deepEqual((await s.claimDue('spring', 10_000, 10, 'w', 1_000_000)).map((c) => c.contact.customerId), ['due-a', 'due-b']);
      assert.deepEqual((await s.claimDue('spring', 60_000, 10, 'w', 1000)).map((c) => c.contact.customerId), ['waiting']);
      const raw2 = raw();
      try {
        const columns = raw2.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('contacts')").all().map((c) => c.name);
        assert.ok(!columns.includes('lease_token') && !columns.includes('lease_worker'), columns.join(', '));
      } finally {
        raw2.close();
      }
    });
  });

  describe('call records schema version 2', function () {
    it('gives a version 1 file the connection and campaign columns, read from each record, and lists and prunes along indexes', async function () {
      // A file whose call_records table is as version 1 made it (the rest at this package's versions).
      const first = embedded();
      await first.open();
      await first.close();
      const db = raw();
      db.exec(`DROP TABLE call_records; UPDATE meta SET version = 1 WHERE collection = 'call_records'`);
      void EMBEDDED_MIGRATIONS.find((m) => m.collection === 'call_records' && m.to === 1)?.up(db);
      const insert = db.prepare('INSERT INTO call_records (id, flow, ended_at, doc) VALUES (?, ?, ?, ?)');
      // A record as version 1 took it (no connection), and one that carries its connection and campaign.
      insert.run('old', 'main', 1000, JSON.stringify({ id: 'old', flow: 'main', startedAt: 0, endedAt: 1000, report: {} }));
      const linked = callRecordOf('new', 2000, { flow: 'main', campaign: { id: 'spring', name: 'Spring', customerId: 'ann', attempt: 1, number: '+15550100' } });
      insert.run('new', 'main', 2000, JSON.stringify(linked));
      db.close();

      const s = embedded();
      await s.open();
      assert.deepEqual(s.versions(), { ...SCHEMA_VERSIONS });
      assert.deepEqual((await s.pageCallRecords()).items.map((r) => r.id), ['new', 'old'], 'both kept');
      assert.deepEqual(await s.pageCallRecords({ campaign: 'spring' }), { items: [linked] });
      assert.deepEqual((await s.pageCallRecords({ connection: 'a1' })).items.map((r) => r.id), ['new']);
      assert.deepEqual(await s.getCallRecord('new'), linked, 'read by its id');
      assert.equal(await s.pruneCallRecords({ connection: 'a1', before: 5000, limit: 10 }), 1, 'the v1 record has no connection: only a sweep of every connection reaches it');
      assert.equal(await s.pruneCallRecords({ before: 5000, limit: 10 }), 1);

      const st = (s as unknown as { st?: Record<string, { source: string } | undefined> }).st;
      const check = new Database(file, { readonly: true });
      try {
        const plan = (name: string, ...params: unknown[]): string[] => {
          const sql = st?.[name]?.source;
          assert.ok(sql, `the store prepares its ${name} statement`);
          return check.prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`).all(...params).map((r) => r.detail);
        };
        const expect = (name: string, pattern: RegExp, ...params: unknown[]): void => {
          const p = plan(name, ...params);
          assert.ok(p.some((d) => pattern.test(d)), `${name}: ${p.join('\n')}`);
          assert.ok(!p.some((d) => /^SCAN call_records\b/.test(d)), `${name} scans the table: ${p.join('\n')}`);
          assert.ok(!p.some((d) => /TEMP B-TREE/.test(d)), `${name} sorts: ${p.join('\n')}`);
        };
        expect('pageCampaignRecords', /USING INDEX call_records_campaign \(campaign=\?/, 'spring', 1, 1, 'x', 10);
        expect('pageConnectionRecords', /USING INDEX call_records_connection \(connection=\?/, 'a1', 1, 1, 'x', 10);
        expect('pageFlowRecords', /USING INDEX call_records_flow \(flow=\?/, 'main', 1, 1, 'x', 10);
        expect('keptLastOf', /USING (COVERING )?INDEX call_records_connection \(connection=\?\)/, 'a1', 5);
        expect('getRecord', /USING INDEX sqlite_autoindex_call_records_1 \(id=\?\)/, 'new');
        expect('pruneRecordsOf', /USING (COVERING )?INDEX call_records_connection \(connection=\?/, 'a1', 1, 1, 'x', 10);
      } finally {
        check.close();
      }
    });
  });
});
