/**
 * The embedded store: one SQLite file through better-sqlite3, in WAL mode.
 *
 * - Durability: a write is acknowledged after its transaction commits;
 *   with synchronous=FULL (the default) that survives kill -9 and power
 *   loss, with 'normal' it survives kill -9 (the WAL is in the OS's hands)
 *   and may lose the last commits on power loss.
 * - Several processes may open one file: SQLite's locks serialise writers
 *   (every write transaction is BEGIN IMMEDIATE, so two claimers never read
 *   the same due contacts), WAL lets readers go on meanwhile.
 * - better-sqlite3 is synchronous: each call blocks the event loop for the
 *   time of its transaction, so every operation is bounded (batches, page
 *   limits, at most PROMOTE_MAX contacts made due per claim).
 *
 * Contacts are rows keyed by (campaign, seq): state (0 waiting, 1 due or
 * leased, 3 done), due_at and rank as columns, the rest as JSON. The
 * dialer's queue lives beside them in two small tables (schema version 2):
 * `queue` holds the due contacts keyed by (campaign, rank, seq), `leases`
 * the claimed ones keyed by (campaign, seq) with their token and end. A
 * claim reads and writes only those two tables (a few pages), never the
 * contact rows, so it costs the same whatever the number of contacts and
 * of those not due; waiting contacts reach the queue through a partial
 * index on (campaign, due_at). An expired lease waits in the queue with its
 * token and worker until another claim takes it; a partial index on the
 * queue's (campaign, worker) (schema version 3) lets a restarted worker find
 * those of its leases (reclaimLeases).
 */
/* eslint-disable @typescript-eslint/require-await -- better-sqlite3 is synchronous; the methods are async so that every
   failure, validation included, reaches the caller as a rejected promise, as the port promises. */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { ContactInput, DocumentKind, FlowSnapshot, BlockEntry, CallRecord, QuestionnaireAnswers, Attempt, ContactResult } from '../schemas/store';
import { blockEntry, callRecord, contactProgress, flowSnapshot, questionnaireAnswers } from '../schemas/store';
import {
  StoreError,
  pageLimit,
  type AttemptRow,
  type AttemptTally,
  type Claim,
  type ContactCounts,
  type ContactState,
  type ImportReport,
  type NextStep,
  type Page,
  type PageOptions,
  type SnapshotSummary,
  type Store,
  type StoredContact,
  type StoredDocument,
} from './port';
import {
  attemptDocument,
  checkClaim,
  checkContacts,
  checkDocument,
  checked,
  checkHeldClaim,
  checkId,
  checkNext,
  checkClose,
  checkReclaim,
  checkStateFilter,
  checkTime,
  collectAttempts,
  COLLECTIONS,
  decodeCursor,
  leaseToken,
  migrationPlan,
  pageOf,
  PROMOTE_MAX,
  SCHEMA_VERSIONS,
  type Migration,
} from './shared';

type Db = Database.Database;

export interface EmbeddedOptions {
  /** The database file; its folder is created. ':memory:' for a private in-memory store. */
  file: string;
  /** 'full' (default): survives power loss; 'normal': survives a process crash, faster commits. */
  durability?: 'full' | 'normal';
  /** How long a writer waits for another process's transaction (ms, default 10,000). */
  busyTimeoutMs?: number;
  /** Replaces the built-in migrations (tests of the migration path). */
  migrations?: readonly Migration<Db>[];
  /** How many seq numbers countContacts counts between two turns of the event loop (default 50,000; tests use fewer). */
  countSlice?: number;
}

/** SQLite's page cache per connection, in KiB (its default is 2 MiB, small for a million contacts). */
const CACHE_KB = Number(process.env.CALLFLOW_SQLITE_CACHE_KB ?? 16384);

/** How many seq numbers tallyAttempts reads at a time (a few milliseconds of SQLite's time). */
const TALLY_SLICE = 1000;

/** How many seq numbers countContacts counts at a time (per state, a few milliseconds along contacts_state). */
const COUNT_SLICE = 50_000;

/** The contacts.state column (due and leased are both 1: the leases table tells them apart). */
const STATE = { waiting: 0, active: 1, done: 3 } as const;

/** The built-in migrations: version 1 of each table is its creation. */
export const EMBEDDED_MIGRATIONS: readonly Migration<Db>[] = [
  {
    collection: 'contacts',
    to: 1,
    up: (db) => {
      db.exec(`
        CREATE TABLE contacts (
          campaign TEXT NOT NULL,
          seq INTEGER NOT NULL,
          customer TEXT NOT NULL,
          state INTEGER NOT NULL,
          due_at INTEGER NOT NULL,
          rank TEXT NOT NULL,
          lease_token TEXT,
          lease_worker TEXT,
          attempts INTEGER NOT NULL DEFAULT 0,
          doc TEXT NOT NULL,
          PRIMARY KEY (campaign, seq)
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX contacts_customer ON contacts (campaign, customer);
        CREATE INDEX contacts_timer ON contacts (campaign, state, due_at);
        CREATE INDEX contacts_queue ON contacts (campaign, rank, seq) WHERE state = 1;
      `);
    },
  },
  {
    // v2: the queue and the leases move out of the contact rows into two small tables, so a claim writes a few
    // pages instead of one page per contact claimed (bench/store: the claim rate no longer falls as contacts grow).
    collection: 'contacts',
    to: 2,
    up: (db) => {
      db.exec(`
        CREATE TABLE queue (
          campaign TEXT NOT NULL, rank TEXT NOT NULL, seq INTEGER NOT NULL,
          token TEXT, worker TEXT,
          PRIMARY KEY (campaign, rank, seq)
        ) WITHOUT ROWID;
        CREATE TABLE leases (
          campaign TEXT NOT NULL, seq INTEGER NOT NULL,
          token TEXT NOT NULL, worker TEXT NOT NULL, until INTEGER NOT NULL,
          PRIMARY KEY (campaign, seq)
        ) WITHOUT ROWID;
        CREATE INDEX leases_until ON leases (campaign, until);
        INSERT INTO queue (campaign, rank, seq, token, worker) SELECT campaign, rank, seq, lease_token, lease_worker FROM contacts WHERE state = 1;
        INSERT INTO leases (campaign, seq, token, worker, until) SELECT campaign, seq, lease_token, COALESCE(lease_worker, ''), due_at FROM contacts WHERE state = 2;
        UPDATE contacts SET state = 1 WHERE state = 2;
        DROP INDEX contacts_queue;
        DROP INDEX contacts_timer;
        CREATE INDEX contacts_waiting ON contacts (campaign, due_at) WHERE state = 0;
        ALTER TABLE contacts DROP COLUMN lease_token;
        ALTER TABLE contacts DROP COLUMN lease_worker;
      `);
    },
  },
  {
    // v3: a restarted worker takes back its leases (reclaimLeases), the expired ones waiting in the queue with its
    // token included; this index finds those without reading the rest of the queue.
    collection: 'contacts',
    to: 3,
    up: (db) => {
      db.exec('CREATE INDEX queue_worker ON queue (campaign, worker) WHERE worker IS NOT NULL');
    },
  },
  {
    // v4: countContacts counts each state in slices of seq numbers along this index (a narrow one: no table read); it
    // counted a million contacts by reading the whole table at once, holding the event loop for half a second each
    // time the dialer asked (after an import, and as calls ended). Building it on a million contacts takes about a second.
    collection: 'contacts',
    to: 4,
    up: (db) => {
      db.exec('CREATE INDEX contacts_state ON contacts (campaign, state, seq)');
    },
  },
  {
    collection: 'blocklist',
    to: 1,
    up: (db) => {
      db.exec(`
        CREATE TABLE blocklist (
          grp TEXT NOT NULL,
          number TEXT NOT NULL,
          from_at INTEGER,
          until_at INTEGER,
          doc TEXT NOT NULL,
          PRIMARY KEY (grp, number)
        ) WITHOUT ROWID;
        CREATE INDEX blocklist_number ON blocklist (number, grp);
      `);
    },
  },
  {
    collection: 'snapshots',
    to: 1,
    up: (db) => {
      db.exec(`
        CREATE TABLE snapshots (id TEXT PRIMARY KEY, flow TEXT NOT NULL, saved_at INTEGER NOT NULL, doc TEXT NOT NULL);
        CREATE INDEX snapshots_flow ON snapshots (flow, saved_at, id);
      `);
    },
  },
  {
    collection: 'documents',
    to: 1,
    up: (db) => {
      db.exec(`
        CREATE TABLE documents (
          kind TEXT NOT NULL, id TEXT NOT NULL, rev INTEGER NOT NULL, updated_at INTEGER NOT NULL, doc TEXT NOT NULL,
          PRIMARY KEY (kind, id)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    collection: 'call_records',
    to: 1,
    up: (db) => {
      db.exec(`
        CREATE TABLE call_records (id TEXT PRIMARY KEY, flow TEXT, ended_at INTEGER NOT NULL, doc TEXT NOT NULL);
        CREATE INDEX call_records_ended ON call_records (ended_at, id);
        CREATE INDEX call_records_flow ON call_records (flow, ended_at, id);
      `);
    },
  },
  {
    collection: 'answers',
    to: 1,
    up: (db) => {
      db.exec(`
        CREATE TABLE answers (id TEXT PRIMARY KEY, questionnaire TEXT NOT NULL, at INTEGER NOT NULL, doc TEXT NOT NULL);
        CREATE INDEX answers_questionnaire ON answers (questionnaire, at, id);
      `);
    },
  },
];

interface ContactRow {
  campaign: string;
  seq: number;
  customer: string;
  state: number;
  due_at: number;
  rank: string;
  doc: string;
  /** The lease's end, when one is held (LEFT JOIN leases). */
  until: number | null;
}

/** The columns every contact query reads: the contact, and its lease if any. */
const CONTACT = 'SELECT c.campaign, c.seq, c.customer, c.state, c.due_at, c.rank, c.doc, l.until FROM contacts c LEFT JOIN leases l ON l.campaign = c.campaign AND l.seq = c.seq';

function stateOf(row: Pick<ContactRow, 'state' | 'until'>): ContactState {
  if (row.state === STATE.waiting) return 'waiting';
  if (row.state === STATE.done) return 'done';
  return row.until === null ? 'due' : 'leased';
}

/** The JSON part of a contact row. */
interface ContactBody {
  numbers: StoredContact['numbers'];
  priority?: number;
  attrs?: StoredContact['attrs'];
  custom?: StoredContact['custom'];
  attempts: Attempt[];
  progress: Record<string, unknown>;
  result?: StoredContact['result'];
}

function toContact(row: ContactRow): StoredContact {
  const body = JSON.parse(row.doc) as ContactBody;
  const contact: StoredContact = {
    campaignId: row.campaign,
    customerId: row.customer,
    seq: row.seq,
    rank: row.rank,
    state: stateOf(row),
    dueAt: row.until ?? row.due_at,
    numbers: body.numbers,
    attempts: body.attempts,
    progress: body.progress,
  };
  if (body.priority !== undefined) contact.priority = body.priority;
  if (body.attrs !== undefined) contact.attrs = body.attrs;
  if (body.custom !== undefined) contact.custom = body.custom;
  if (body.result !== undefined) contact.result = body.result;
  return contact;
}

function bodyOf(c: { numbers: StoredContact['numbers']; priority?: number; attrs?: StoredContact['attrs']; custom?: StoredContact['custom'] }, attempts: Attempt[], progress: Record<string, unknown>, result?: StoredContact['result']): string {
  const body: ContactBody = { numbers: c.numbers, attempts, progress };
  if (c.priority !== undefined) body.priority = c.priority;
  if (c.attrs !== undefined) body.attrs = c.attrs;
  if (c.custom !== undefined) body.custom = c.custom;
  if (result !== undefined) body.result = result;
  return JSON.stringify(body);
}

/** Turns SQLite's errors into StoreErrors a user can act on. */
function failed(err: unknown, doing: string): never {
  if (err instanceof StoreError) throw err;
  const e = err as { code?: string; message?: string };
  if (e.code === 'SQLITE_BUSY') throw new StoreError('failed', `${doing}: the database file is locked by another process for too long (${e.message ?? ''})`, { cause: err });
  throw new StoreError('failed', `${doing}: ${e.message ?? String(err)}`, { cause: err });
}

export class EmbeddedStore implements Store {
  readonly backend = 'embedded' as const;
  private db: Db | undefined;
  // Prepared statements, made once at open.
  private statements: ReturnType<EmbeddedStore['prepare']> | undefined;

  /** The prepared statements; before open() or after close(), the store's own error rather than a TypeError. */
  private get st(): ReturnType<EmbeddedStore['prepare']> {
    if (!this.db || !this.statements) throw new StoreError('failed', 'the embedded store is not open');
    return this.statements;
  }
  /** findBlock's statements, by the number of groups asked about (campaigns use a few group lists, asked before each dial). */
  private readonly blockQueries = new Map<number, Database.Statement<unknown[], { doc: string }>>();

  constructor(private readonly options: EmbeddedOptions) {}

  /** The file the store writes (for log lines and the editor). */
  get file(): string {
    return this.options.file;
  }

  async open(): Promise<void> {
    if (this.db) return;
    const file = this.options.file;
    let db: Db | undefined;
    try {
      if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
      db = new Database(file, { timeout: this.options.busyTimeoutMs ?? 10_000 });
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${this.options.durability === 'normal' ? 'NORMAL' : 'FULL'}`);
      // A checkpoint (the write-ahead log copied into the file, and synced) runs inside the commit that fills the log, on
      // Node's thread: at SQLite's default of 1,000 pages (4 MB) it held the event loop for 40-200 ms on a slow disk while a
      // million contacts were imported; at 250 pages (1 MB) one takes about 20 ms, four times as often (bench/campaign).
      db.pragma('wal_autocheckpoint = 250');
      db.pragma('foreign_keys = OFF');
      db.pragma(`cache_size = -${CACHE_KB}`);
      this.migrate(db);
      this.db = db;
      this.statements = this.prepare(db);
    } catch (err) {
      // A refused open (a newer schema, a failed migration) leaves no handle on the file.
      this.db = undefined;
      if (db?.open) db.close();
      failed(err, `opening the embedded store ${file}`);
    }
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    this.statements = undefined;
    this.blockQueries.clear();
    if (db?.open) db.close();
  }

  /** Brings every table to this package's schema version, in one IMMEDIATE transaction (other processes wait). */
  private migrate(db: Db): void {
    db.exec('CREATE TABLE IF NOT EXISTS meta (collection TEXT PRIMARY KEY, version INTEGER NOT NULL)');
    const migrations = this.options.migrations ?? EMBEDDED_MIGRATIONS;
    const read = db.prepare<[string], { version: number }>('SELECT version FROM meta WHERE collection = ?');
    const write = db.prepare('INSERT INTO meta (collection, version) VALUES (?, ?) ON CONFLICT (collection) DO UPDATE SET version = excluded.version');
    db.transaction(() => {
      for (const collection of COLLECTIONS) {
        const current = SCHEMA_VERSIONS[collection];
        const from = read.get(collection)?.version ?? 0;
        for (const step of migrationPlan(collection, from, current, migrations)) {
          void step.up(db);
          write.run(collection, step.to);
        }
      }
    }).immediate();
  }

  /** The schema version each table is at (docs, tests). */
  versions(): Record<string, number> {
    const rows = this.handle.prepare<[], { collection: string; version: number }>('SELECT collection, version FROM meta').all();
    return Object.fromEntries(rows.map((r) => [r.collection, r.version]));
  }

  private get handle(): Db {
    if (!this.db) throw new StoreError('failed', 'the embedded store is not open');
    return this.db;
  }

  private prepare(db: Db) {
    return {
      maxSeq: db.prepare<[string], { m: number | null }>('SELECT MAX(seq) AS m FROM contacts WHERE campaign = ?'),
      insertContact: db.prepare('INSERT OR IGNORE INTO contacts (campaign, seq, customer, state, due_at, rank, doc) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      enqueue: db.prepare('INSERT INTO queue (campaign, rank, seq, token, worker) VALUES (?, ?, ?, ?, ?)'),
      expired: db.prepare<[string, number, number], { seq: number; token: string; worker: string; rank: string; until: number }>(
        'SELECT l.seq, l.token, l.worker, l.until, c.rank FROM leases l JOIN contacts c ON c.campaign = l.campaign AND c.seq = l.seq WHERE l.campaign = ? AND l.until <= ? ORDER BY l.until LIMIT ?',
      ),
      dropLease: db.prepare('DELETE FROM leases WHERE campaign = ? AND seq = ?'),
      dueWaiting: db.prepare<[string, number, number], { seq: number; rank: string }>('SELECT seq, rank FROM contacts WHERE campaign = ? AND state = 0 AND due_at <= ? ORDER BY due_at LIMIT ?'),
      activate: db.prepare('UPDATE contacts SET state = 1 WHERE campaign = ? AND seq = ?'),
      dueSince: db.prepare('UPDATE contacts SET due_at = ? WHERE campaign = ? AND seq = ?'),
      head: db.prepare<[string, number], { rank: string; seq: number }>('SELECT rank, seq FROM queue WHERE campaign = ? ORDER BY rank, seq LIMIT ?'),
      dequeue: db.prepare('DELETE FROM queue WHERE campaign = ? AND rank = ? AND seq = ?'),
      dequeueHeld: db.prepare('DELETE FROM queue WHERE campaign = ? AND rank = ? AND seq = ? AND token = ?'),
      lease: db.prepare('INSERT INTO leases (campaign, seq, token, worker, until) VALUES (?, ?, ?, ?, ?)'),
      renew: db.prepare('UPDATE leases SET until = ? WHERE campaign = ? AND seq = ? AND token = ?'),
      release: db.prepare('DELETE FROM leases WHERE campaign = ? AND seq = ? AND token = ?'),
      queued: db.prepare<[string, number], { rank: string; token: string | null; worker: string | null }>(
        'SELECT q.rank, q.token, q.worker FROM contacts c JOIN queue q ON q.campaign = c.campaign AND q.rank = c.rank AND q.seq = c.seq WHERE c.campaign = ? AND c.seq = ?',
      ),
      settle: db.prepare('UPDATE contacts SET state = ?, due_at = ?, attempts = ?, doc = ? WHERE campaign = ? AND seq = ?'),
      leaseHeld: db.prepare<[string, number, string], { x: number }>('SELECT 1 AS x FROM leases WHERE campaign = ? AND seq = ? AND token = ?'),
      rewrite: db.prepare('UPDATE contacts SET doc = ? WHERE campaign = ? AND seq = ?'),
      // closeContacts: a slice of the contacts neither final nor leased now, and what closing one writes.
      openContacts: db.prepare<[string, string, number], { seq: number; rank: string; doc: string }>(
        'SELECT c.seq, c.rank, c.doc FROM contacts c WHERE c.campaign = ? AND c.state != 3 AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.campaign = ? AND l.seq = c.seq AND l.until > ?) ORDER BY c.seq LIMIT 1000',
      ),
      closeContact: db.prepare('UPDATE contacts SET state = 3, due_at = ?, doc = ? WHERE campaign = ? AND seq = ?'),
      leasesOf: db.prepare<[string, string], { seq: number }>('SELECT seq FROM leases WHERE campaign = ? AND worker = ?'),
      queuedOf: db.prepare<[string, string], { rank: string; seq: number }>('SELECT rank, seq FROM queue WHERE campaign = ? AND worker = ?'),
      relet: db.prepare('UPDATE leases SET token = ?, until = ? WHERE campaign = ? AND seq = ?'),
      bySeq: db.prepare<[string, number], ContactRow>(`${CONTACT} WHERE c.campaign = ? AND c.seq = ?`),
      byCustomer: db.prepare<[string, string], ContactRow>(`${CONTACT} WHERE c.campaign = ? AND c.customer = ?`),
      pageContacts: db.prepare<[string, number, number], ContactRow>(`${CONTACT} WHERE c.campaign = ? AND c.seq > ? ORDER BY c.seq LIMIT ?`),
      pageByState: db.prepare<[string, number, number, number, number], ContactRow>(
        `${CONTACT} WHERE c.campaign = ? AND c.seq > ? AND c.state = ? AND (c.state <> 1 OR (l.until IS NOT NULL) = ?) ORDER BY c.seq LIMIT ?`,
      ),
      pageAttempted: db.prepare<[string, number, number], ContactRow>(`${CONTACT} WHERE c.campaign = ? AND c.seq >= ? AND c.attempts > 0 ORDER BY c.seq LIMIT ?`),
      // countContacts: one state and one slice of seq numbers at a time, along contacts_state.
      countState: db.prepare<[string, number, number, number], { n: number }>('SELECT COUNT(*) AS n FROM contacts WHERE campaign = ? AND state = ? AND seq > ? AND seq <= ?'),
      // tallyAttempts: one slice of seq numbers at a time, along the primary key.
      tallyOutcomes: db.prepare<[string, number, number], { outcome: string; n: number }>(
        "SELECT json_extract(a.value, '$.outcome') AS outcome, COUNT(*) AS n FROM contacts c, json_each(c.doc, '$.attempts') a WHERE c.campaign = ? AND c.seq > ? AND c.seq <= ? AND c.attempts > 0 GROUP BY outcome",
      ),
      tallyContacts: db.prepare<[string, number, number], { done: number | null; inFlight: number | null }>(
        "SELECT SUM(state = 3) AS done, SUM(json_extract(doc, '$.progress.inflight') IS NOT NULL) AS inFlight FROM contacts WHERE campaign = ? AND seq > ? AND seq <= ?",
      ),
      countLeases: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM leases WHERE campaign = ?'),
      countWaitingDue: db.prepare<[string, number], { n: number }>('SELECT COUNT(*) AS n FROM contacts WHERE campaign = ? AND state = 0 AND due_at <= ?'),
      countExpired: db.prepare<[string, number], { n: number }>('SELECT COUNT(*) AS n FROM leases WHERE campaign = ? AND until <= ?'),
      anyQueued: db.prepare<[string], { x: number }>('SELECT 1 AS x FROM queue WHERE campaign = ? LIMIT 1'),
      anyWaitingDue: db.prepare<[string, number], { x: number }>('SELECT 1 AS x FROM contacts WHERE campaign = ? AND state = 0 AND due_at <= ? LIMIT 1'),
      anyExpired: db.prepare<[string, number], { x: number }>('SELECT 1 AS x FROM leases WHERE campaign = ? AND until <= ? LIMIT 1'),
      deleteContacts: db.prepare('DELETE FROM contacts WHERE campaign = ?'),
      deleteQueue: db.prepare('DELETE FROM queue WHERE campaign = ?'),
      deleteLeases: db.prepare('DELETE FROM leases WHERE campaign = ?'),
      putBlock: db.prepare(
        'INSERT INTO blocklist (grp, number, from_at, until_at, doc) VALUES (?, ?, ?, ?, ?) ON CONFLICT (grp, number) DO UPDATE SET from_at = excluded.from_at, until_at = excluded.until_at, doc = excluded.doc',
      ),
      removeBlock: db.prepare('DELETE FROM blocklist WHERE grp = ? AND number = ?'),
      pageBlocked: db.prepare<[string, string, number], { doc: string }>('SELECT doc FROM blocklist WHERE grp = ? AND number > ? ORDER BY number LIMIT ?'),
      insertSnapshot: db.prepare('INSERT INTO snapshots (id, flow, saved_at, doc) VALUES (?, ?, ?, ?)'),
      listSnapshots: db.prepare<[string], { doc: string }>('SELECT doc FROM snapshots WHERE flow = ? ORDER BY saved_at DESC, id DESC'),
      getSnapshot: db.prepare<[string], { doc: string }>('SELECT doc FROM snapshots WHERE id = ?'),
      getDocument: db.prepare<[string, string], { rev: number; updated_at: number; doc: string }>('SELECT rev, updated_at, doc FROM documents WHERE kind = ? AND id = ?'),
      listDocuments: db.prepare<[string], { id: string; rev: number; updated_at: number; doc: string }>('SELECT id, rev, updated_at, doc FROM documents WHERE kind = ? ORDER BY id'),
      insertDocument: db.prepare('INSERT OR IGNORE INTO documents (kind, id, rev, updated_at, doc) VALUES (?, ?, 1, ?, ?)'),
      updateDocument: db.prepare('UPDATE documents SET rev = rev + 1, updated_at = ?, doc = ? WHERE kind = ? AND id = ? AND rev = ?'),
      deleteDocument: db.prepare('DELETE FROM documents WHERE kind = ? AND id = ?'),
      insertRecord: db.prepare('INSERT OR IGNORE INTO call_records (id, flow, ended_at, doc) VALUES (?, ?, ?, ?)'),
      pageRecords: db.prepare<[number, number, string, number], { doc: string }>(
        'SELECT doc FROM call_records WHERE ended_at > ? OR (ended_at = ? AND id > ?) ORDER BY ended_at, id LIMIT ?',
      ),
      pageFlowRecords: db.prepare<[string, number, number, string, number], { doc: string }>(
        'SELECT doc FROM call_records WHERE flow = ? AND (ended_at > ? OR (ended_at = ? AND id > ?)) ORDER BY ended_at, id LIMIT ?',
      ),
      insertAnswers: db.prepare('INSERT OR IGNORE INTO answers (id, questionnaire, at, doc) VALUES (?, ?, ?, ?)'),
      pageAnswers: db.prepare<[string, number, number, string, number], { doc: string }>(
        'SELECT doc FROM answers WHERE questionnaire = ? AND (at > ? OR (at = ? AND id > ?)) ORDER BY at, id LIMIT ?',
      ),
    };
  }

  // --- contacts ---------------------------------------------------------------------

  async importContacts(campaignId: string, rows: ContactInput[], now: number): Promise<ImportReport> {
    checkId(campaignId, 'campaignId');
    checkTime(now, 'now');
    checkContacts(rows);
    const st = this.st;
    const db = this.handle;
    try {
      const report = db
        .transaction((): ImportReport => {
          let seq = st.maxSeq.get(campaignId)?.m ?? 0;
          const duplicates: ImportReport['duplicates'] = [];
          let inserted = 0;
          rows.forEach((row, index) => {
            const dueAt = row.dueAt ?? now;
            const due = dueAt <= now;
            const rank = row.rank ?? '';
            const r = st.insertContact.run(campaignId, seq + 1, row.customerId, due ? STATE.active : STATE.waiting, dueAt, rank, bodyOf(row, [], {}));
            if (r.changes === 0) {
              duplicates.push({ index, customerId: row.customerId });
            } else {
              seq += 1;
              inserted += 1;
              if (due) st.enqueue.run(campaignId, rank, seq, null, null);
            }
          });
          return { inserted, duplicates };
        })
        .immediate();
      return report;
    } catch (err) {
      failed(err, 'importing contacts');
    }
  }

  async claimDue(campaignId: string, now: number, limit: number, worker: string, leaseMs: number): Promise<Claim[]> {
    checkClaim(campaignId, now, limit, worker, leaseMs);
    const st = this.st;
    try {
      const claims = this.handle
        .transaction((): Claim[] => {
          // Expired leases go back to the queue with their token (the late holder may still renew or record until
          // another claim takes the contact); then the waiting contacts whose time has come.
          for (const e of st.expired.all(campaignId, now, PROMOTE_MAX)) {
            st.dropLease.run(campaignId, e.seq);
            st.dueSince.run(e.until, campaignId, e.seq);
            st.enqueue.run(campaignId, e.rank, e.seq, e.token, e.worker);
          }
          for (const w of st.dueWaiting.all(campaignId, now, PROMOTE_MAX)) {
            st.activate.run(campaignId, w.seq);
            st.enqueue.run(campaignId, w.rank, w.seq, null, null);
          }
          const until = now + leaseMs;
          return st.head.all(campaignId, limit).map((q) => {
            st.dequeue.run(campaignId, q.rank, q.seq);
            // The seq in the token lets renewLeases and recordAttempt find the lease by its key.
            const token = `${q.seq}.${leaseToken()}`;
            st.lease.run(campaignId, q.seq, token, worker, until);
            const row = st.bySeq.get(campaignId, q.seq) as ContactRow;
            return { contact: toContact(row), token, worker, leaseUntil: until };
          });
        })
        .immediate();
      return claims;
    } catch (err) {
      failed(err, 'claiming contacts');
    }
  }

  async renewLeases(campaignId: string, tokens: string[], until: number): Promise<string[]> {
    checkTime(until, 'until');
    const st = this.st;
    try {
      const held = this.handle
        .transaction(() =>
          tokens.filter((t) => {
            const seq = Number(String(t).split('.', 1)[0]);
            if (!Number.isSafeInteger(seq)) return false;
            if (st.renew.run(until, campaignId, seq, t).changes > 0) return true;
            // Expired and back in the queue, but not re-claimed: the holder takes it back.
            const q = st.queued.get(campaignId, seq);
            if (!q || q.token !== t) return false;
            st.dequeue.run(campaignId, q.rank, seq);
            st.lease.run(campaignId, seq, t, q.worker ?? '', until);
            return true;
          }),
        )
        .immediate();
      return held;
    } catch (err) {
      failed(err, 'renewing leases');
    }
  }

  async recordAttempt(claim: Claim, attempt: Attempt | null, next: NextStep): Promise<boolean> {
    if (attempt) checked(attemptDocument, attempt, 'attempt');
    checkNext(next);
    const c = claim.contact;
    const attempts = attempt ? [...c.attempts, attempt] : c.attempts;
    const result = next.state === 'done' ? next.result : undefined;
    const dueAt = next.state === 'done' ? next.at : next.dueAt;
    const st = this.st;
    const state = next.state === 'waiting' ? STATE.waiting : next.state === 'done' ? STATE.done : STATE.active;
    try {
      return this.handle
        .transaction((): boolean => {
          // Held: the lease is ours, or it expired and sits in the queue with our token (nobody re-claimed it).
          const held = st.release.run(c.campaignId, c.seq, claim.token).changes > 0 || st.dequeueHeld.run(c.campaignId, c.rank, c.seq, claim.token).changes > 0;
          if (!held) return false;
          st.settle.run(state, dueAt, attempts.length, bodyOf(c, attempts, next.progress, result), c.campaignId, c.seq);
          if (next.state === 'due') st.enqueue.run(c.campaignId, c.rank, c.seq, null, null);
          return true;
        })
        .immediate();
    } catch (err) {
      failed(err, 'recording an attempt');
    }
  }

  async closeContacts(campaignId: string, result: ContactResult, now: number): Promise<number> {
    checkClose(campaignId, result, now);
    const st = this.st;
    let closed = 0;
    try {
      for (;;) {
        const n = this.handle
          .transaction((): number => {
            const rows = st.openContacts.all(campaignId, campaignId, now);
            for (const r of rows) {
              const body = JSON.parse(r.doc) as ContactBody;
              st.closeContact.run(now, JSON.stringify({ ...body, result }), campaignId, r.seq);
              st.dequeue.run(campaignId, r.rank, r.seq);
              st.dropLease.run(campaignId, r.seq);
            }
            return rows.length;
          })
          .immediate();
        closed += n;
        if (n < 1000) return closed;
        // A million contacts are closed in slices, with the event loop free between them.
        await new Promise<void>((r) => setImmediate(r));
      }
    } catch (err) {
      failed(err, 'closing contacts');
    }
  }

  async markProgress(claim: Claim, progress: Record<string, unknown>): Promise<boolean> {
    checkHeldClaim(claim);
    checked(contactProgress, progress, 'progress');
    const { campaignId, seq } = claim.contact;
    const st = this.st;
    try {
      return this.handle
        .transaction((): boolean => {
          // Held: as in recordAttempt (our lease, or expired and in the queue with our token); the lease stays as it is.
          const held = st.leaseHeld.get(campaignId, seq, claim.token) !== undefined || st.queued.get(campaignId, seq)?.token === claim.token;
          if (!held) return false;
          const row = st.bySeq.get(campaignId, seq);
          if (!row) return false;
          const body = JSON.parse(row.doc) as ContactBody;
          st.rewrite.run(JSON.stringify({ ...body, progress }), campaignId, seq);
          return true;
        })
        .immediate();
    } catch (err) {
      failed(err, 'saving the dialer\'s progress');
    }
  }

  async reclaimLeases(campaignId: string, worker: string, now: number, leaseMs: number): Promise<Claim[]> {
    checkReclaim(campaignId, worker, now, leaseMs);
    const st = this.st;
    const until = now + leaseMs;
    try {
      return this.handle
        .transaction((): Claim[] => {
          const taken: { seq: number; token: string }[] = [];
          // The worker's leases, running or run out but not yet back in the queue: a new token and end.
          for (const l of st.leasesOf.all(campaignId, worker)) {
            const token = `${l.seq}.${leaseToken()}`;
            st.relet.run(token, until, campaignId, l.seq);
            taken.push({ seq: l.seq, token });
          }
          // Its expired leases back in the queue with its token (nobody re-claimed them; a queued row has a worker only then).
          for (const q of st.queuedOf.all(campaignId, worker)) {
            const token = `${q.seq}.${leaseToken()}`;
            st.dequeue.run(campaignId, q.rank, q.seq);
            st.lease.run(campaignId, q.seq, token, worker, until);
            taken.push({ seq: q.seq, token });
          }
          taken.sort((a, b) => a.seq - b.seq);
          return taken.map(({ seq, token }) => ({ contact: toContact(st.bySeq.get(campaignId, seq) as ContactRow), token, worker, leaseUntil: until }));
        })
        .immediate();
    } catch (err) {
      failed(err, 'taking back leases');
    }
  }

  async getContact(campaignId: string, customerId: string): Promise<StoredContact | undefined> {
    const row = this.st.byCustomer.get(campaignId, customerId);
    return row ? toContact(row) : undefined;
  }

  async pageContacts(campaignId: string, options: PageOptions & { state?: ContactState } = {}): Promise<Page<StoredContact>> {
    const limit = pageLimit(options);
    const after = (decodeCursor(options.after, ['number'])?.[0] as number | undefined) ?? 0;
    const wanted = options.state;
    checkStateFilter(wanted);
    const column = wanted === 'waiting' ? STATE.waiting : wanted === 'done' ? STATE.done : STATE.active;
    const rows = wanted === undefined ? this.st.pageContacts.all(campaignId, after, limit + 1) : this.st.pageByState.all(campaignId, after, column, wanted === 'leased' ? 1 : 0, limit + 1);
    return pageOf(rows, limit, toContact, (c) => [c.seq]);
  }

  async pageAttempts(campaignId: string, options: PageOptions = {}): Promise<Page<AttemptRow>> {
    return collectAttempts(options, (fromSeq, count) =>
      this.st.pageAttempted.all(campaignId, fromSeq, count).map((row) => ({ seq: row.seq, customerId: row.customer, attempts: (JSON.parse(row.doc) as ContactBody).attempts })),
    );
  }

  async countContacts(campaignId: string, now: number): Promise<ContactCounts & { dueNow: number }> {
    checkId(campaignId, 'campaignId');
    const st = this.st;
    try {
      let waiting = 0;
      let active = 0;
      let done = 0;
      const last = st.maxSeq.get(campaignId)?.m ?? 0;
      // A million contacts are counted in slices of COUNT_SLICE seq numbers, with the event loop free between them. A
      // contact that changes state meanwhile is counted once, in the state its slice saw; done is final, so the task's
      // "every contact is done" (done === total) never holds early.
      const slice = this.options.countSlice ?? COUNT_SLICE;
      for (let from = 0; from < last; from += slice) {
        if (from > 0) await new Promise<void>((r) => setImmediate(r));
        const to = from + slice;
        waiting += st.countState.get(campaignId, STATE.waiting, from, to)?.n ?? 0;
        active += st.countState.get(campaignId, STATE.active, from, to)?.n ?? 0;
        done += st.countState.get(campaignId, STATE.done, from, to)?.n ?? 0;
      }
      const leased = Math.min(active, st.countLeases.get(campaignId)?.n ?? 0);
      const counts: ContactCounts = { waiting, due: active - leased, leased, done, total: waiting + active + done };
      // Waiting contacts whose time has come: few, since each claim makes up to PROMOTE_MAX of them due.
      const dueNow = counts.due + (st.countWaitingDue.get(campaignId, now)?.n ?? 0) + (st.countExpired.get(campaignId, now)?.n ?? 0);
      return { ...counts, dueNow };
    } catch (err) {
      failed(err, 'counting contacts');
    }
  }

  async tallyAttempts(campaignId: string): Promise<AttemptTally> {
    checkId(campaignId, 'campaignId');
    const st = this.st;
    const tally: AttemptTally = { outcomes: {}, inFlight: 0, done: 0 };
    try {
      const last = st.maxSeq.get(campaignId)?.m ?? 0;
      // A million contacts are read in slices of TALLY_SLICE seq numbers, with the event loop free between them.
      for (let from = 0; from < last; from += TALLY_SLICE) {
        if (from > 0) await new Promise<void>((r) => setImmediate(r));
        const to = from + TALLY_SLICE;
        for (const r of st.tallyOutcomes.all(campaignId, from, to)) {
          const outcome = r.outcome as keyof AttemptTally['outcomes'];
          tally.outcomes[outcome] = (tally.outcomes[outcome] ?? 0) + r.n;
        }
        const contacts = st.tallyContacts.get(campaignId, from, to);
        tally.done += contacts?.done ?? 0;
        tally.inFlight += contacts?.inFlight ?? 0;
      }
      return tally;
    } catch (err) {
      failed(err, 'counting attempts');
    }
  }

  async hasDue(campaignId: string, now: number): Promise<boolean> {
    const st = this.st;
    return !!(st.anyQueued.get(campaignId) ?? st.anyWaitingDue.get(campaignId, now) ?? st.anyExpired.get(campaignId, now));
  }

  async deleteContacts(campaignId: string): Promise<number> {
    try {
      const st = this.st;
      return this.handle
        .transaction(() => {
          st.deleteQueue.run(campaignId);
          st.deleteLeases.run(campaignId);
          return st.deleteContacts.run(campaignId).changes;
        })
        .immediate();
    } catch (err) {
      failed(err, 'deleting contacts');
    }
  }

  // --- blocklists -------------------------------------------------------------------

  async addBlocked(entries: BlockEntry[]): Promise<number> {
    entries.forEach((e, i) => checked(blockEntry, e, `blocklist entry ${i}`));
    const st = this.st;
    try {
      this.handle.transaction(() => {
        for (const e of entries) st.putBlock.run(e.group, e.number, e.from ?? null, e.until ?? null, JSON.stringify(e));
      })();
      return entries.length;
    } catch (err) {
      failed(err, 'adding to a blocklist');
    }
  }

  async removeBlocked(group: string, number: string): Promise<boolean> {
    return this.st.removeBlock.run(group, number).changes > 0;
  }

  async findBlock(groups: string[], number: string, at: number): Promise<BlockEntry | undefined> {
    if (groups.length === 0) return undefined;
    // The group list varies in length: one prepared statement per length, made on first use.
    let query = this.blockQueries.get(groups.length);
    if (!query) {
      const sql = `SELECT doc FROM blocklist WHERE number = ? AND grp IN (${groups.map(() => '?').join(',')}) AND (from_at IS NULL OR from_at <= ?) AND (until_at IS NULL OR until_at > ?) ORDER BY grp LIMIT 1`;
      query = this.handle.prepare<unknown[], { doc: string }>(sql);
      if (this.blockQueries.size < 64) this.blockQueries.set(groups.length, query);
    }
    const row = query.get(number, ...groups, at, at);
    return row ? (JSON.parse(row.doc) as BlockEntry) : undefined;
  }

  async pageBlocked(group: string, options: PageOptions = {}): Promise<Page<BlockEntry>> {
    const limit = pageLimit(options);
    const after = (decodeCursor(options.after, ['string'])?.[0] as string | undefined) ?? '';
    const rows = this.st.pageBlocked.all(group, after, limit + 1);
    return pageOf(rows, limit, (r) => JSON.parse(r.doc) as BlockEntry, (e) => [e.number]);
  }

  // --- flow versions ----------------------------------------------------------------

  async saveSnapshot(snapshot: FlowSnapshot): Promise<void> {
    checked(flowSnapshot, snapshot, 'flow snapshot');
    try {
      this.st.insertSnapshot.run(snapshot.id, snapshot.flow, snapshot.savedAt, JSON.stringify(snapshot));
      return;
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new StoreError('conflict', `flow snapshot ${snapshot.id} is already stored`);
      failed(err, 'saving a flow snapshot');
    }
  }

  async listSnapshots(flow: string): Promise<SnapshotSummary[]> {
    return this.st.listSnapshots.all(flow).map((r) => {
        const s = JSON.parse(r.doc) as FlowSnapshot;
        const summary: SnapshotSummary = { id: s.id, flow: s.flow, version: s.version, savedAt: s.savedAt, savedBy: s.savedBy, nodeCount: s.nodes.length };
        if (s.comment !== undefined) summary.comment = s.comment;
        return summary;
      });
  }

  async getSnapshot(id: string): Promise<FlowSnapshot | undefined> {
    const row = this.st.getSnapshot.get(id);
    return row ? (JSON.parse(row.doc) as FlowSnapshot) : undefined;
  }

  // --- documents --------------------------------------------------------------------

  async getDocument<T = Record<string, unknown>>(kind: DocumentKind, id: string): Promise<StoredDocument<T> | undefined> {
    const row = this.st.getDocument.get(kind, id);
    return row ? { kind, id, rev: row.rev, updatedAt: row.updated_at, value: JSON.parse(row.doc) as T } : undefined;
  }

  async putDocument(kind: DocumentKind, id: string, value: Record<string, unknown>, expectedRev: number, now: number): Promise<number> {
    checkDocument(kind, id, value, now);
    const st = this.st;
    const text = JSON.stringify(value);
    try {
      const rev = this.handle
        .transaction((): number => {
          if (expectedRev === 0) {
            if (st.insertDocument.run(kind, id, now, text).changes === 0) throw new StoreError('conflict', `${kind} ${id} already exists`);
            return 1;
          }
          if (st.updateDocument.run(now, text, kind, id, expectedRev).changes === 0) {
            const current = st.getDocument.get(kind, id);
            throw new StoreError('conflict', current ? `${kind} ${id} is at revision ${current.rev}, not ${expectedRev}: someone else changed it` : `${kind} ${id} does not exist`);
          }
          return expectedRev + 1;
        })
        .immediate();
      return rev;
    } catch (err) {
      failed(err, `writing ${kind} ${id}`);
    }
  }

  async listDocuments<T = Record<string, unknown>>(kind: DocumentKind): Promise<StoredDocument<T>[]> {
    return this.st.listDocuments.all(kind).map((r) => ({ kind, id: r.id, rev: r.rev, updatedAt: r.updated_at, value: JSON.parse(r.doc) as T }));
  }

  async deleteDocument(kind: DocumentKind, id: string): Promise<boolean> {
    return this.st.deleteDocument.run(kind, id).changes > 0;
  }

  // --- call records and answers -----------------------------------------------------

  async saveCallRecord(record: CallRecord): Promise<void> {
    checked(callRecord, record, 'call record');
    try {
      this.st.insertRecord.run(record.id, record.flow ?? null, record.endedAt, JSON.stringify(record));
      return;
    } catch (err) {
      failed(err, 'saving a call record');
    }
  }

  async pageCallRecords(options: PageOptions & { flow?: string } = {}): Promise<Page<CallRecord>> {
    const limit = pageLimit(options);
    const [at, id] = (decodeCursor(options.after, ['number', 'string']) as [number, string] | undefined) ?? [-1, ''];
    const rows = options.flow === undefined ? this.st.pageRecords.all(at, at, id, limit + 1) : this.st.pageFlowRecords.all(options.flow, at, at, id, limit + 1);
    return pageOf(rows, limit, (r) => JSON.parse(r.doc) as CallRecord, (r) => [r.endedAt, r.id]);
  }

  async saveAnswers(answers: QuestionnaireAnswers): Promise<void> {
    checked(questionnaireAnswers, answers, 'questionnaire answers');
    try {
      this.st.insertAnswers.run(answers.id, answers.questionnaire, answers.at, JSON.stringify(answers));
      return;
    } catch (err) {
      failed(err, 'saving questionnaire answers');
    }
  }

  async pageAnswers(questionnaire: string, options: PageOptions = {}): Promise<Page<QuestionnaireAnswers>> {
    const limit = pageLimit(options);
    const [at, id] = (decodeCursor(options.after, ['number', 'string']) as [number, string] | undefined) ?? [-1, ''];
    const rows = this.st.pageAnswers.all(questionnaire, at, at, id, limit + 1);
    return pageOf(rows, limit, (r) => JSON.parse(r.doc) as QuestionnaireAnswers, (a) => [a.at, a.id]);
  }
}
