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
 *
 * This file opens and closes the database and hands each call to the part
 * of the store it belongs to, one file per part of the port in
 * lib/store/embedded/: schema.ts (tables and migrations), contact-tables.ts
 * (the contact, queue and lease rows and their statements), contacts.ts (the
 * contact list), queue.ts (the dialer's queue: claims, leases, attempts),
 * blocklist.ts, snapshots.ts, documents.ts, call-records.ts (call records:
 * listed newest first, pruned by the retention sweep), records.ts (meeting
 * records and questionnaire answers), database.ts (what they share: the handle and
 * SQLite's errors).
 */
/* eslint-disable @typescript-eslint/require-await -- better-sqlite3 is synchronous; the methods are async so that every
   failure, validation included, reaches the caller as a rejected promise, as the port promises. */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Attempt, BlockEntry, CallRecord, MeetingRecord, ContactInput, ContactResult, DocumentKind, FlowSnapshot, QuestionnaireAnswers } from '../schemas/store';
import {
  StoreError,
  type AttemptRow,
  type AttemptTally,
  type CallRecordPageOptions,
  type CallRecordPrune,
  type Claim,
  type ContactCounts,
  type ContactState,
  type ImportReport,
  type NextStep,
  type Page,
  type PageOptions,
  type BlocklistCheck,
  type ProgressMark,
  type ProgressMarked,
  type SnapshotSummary,
  type Store,
  type StoredContact,
  type StoredDocument,
} from './port';
import type { Migration, ResultRemark } from './rules';
import { EmbeddedBlocklist, prepareBlocklist } from './embedded/blocklist';
import { prepareContactTables } from './embedded/contact-tables';
import { EmbeddedContacts } from './embedded/contacts';
import { failed, type Connection, type Db } from './embedded/database';
import { EmbeddedDocuments, prepareDocuments } from './embedded/documents';
import { EmbeddedQueue } from './embedded/queue';
import { EmbeddedCallRecords, prepareCallRecords } from './embedded/call-records';
import { EmbeddedRecords, prepareRecords } from './embedded/records';
import { EMBEDDED_MIGRATIONS, migrate, readVersions } from './embedded/schema';
import { EmbeddedSnapshots, prepareSnapshots } from './embedded/snapshots';

export { EMBEDDED_MIGRATIONS } from './embedded/schema';

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

/** Every part's prepared statements, made once at open (one object: each part reads the ones it prepared). */
function prepare(db: Db) {
  return { ...prepareContactTables(db), ...prepareBlocklist(db), ...prepareSnapshots(db), ...prepareDocuments(db), ...prepareCallRecords(db), ...prepareRecords(db) };
}
type Statements = ReturnType<typeof prepare>;

export class EmbeddedStore implements Store {
  readonly backend = 'embedded' as const;
  private db: Db | undefined;
  // Prepared statements, made once at open.
  private statements: Statements | undefined;

  /** The prepared statements; before open() or after close(), the store's own error rather than a TypeError. */
  private get st(): Statements {
    if (!this.db || !this.statements) throw new StoreError('failed', 'the embedded store is not open');
    return this.statements;
  }

  private readonly contacts: EmbeddedContacts;
  private readonly queue: EmbeddedQueue;
  private readonly blocklist: EmbeddedBlocklist;
  private readonly snapshots: EmbeddedSnapshots;
  private readonly documents: EmbeddedDocuments;
  private readonly callRecords: EmbeddedCallRecords;
  private readonly records: EmbeddedRecords;

  constructor(private readonly options: EmbeddedOptions) {
    // What a part reaches: the handle and the statements, read when it uses them (so a closed store says so).
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the getters read the store's state when called
    const store = this;
    const connection: Connection<Statements> = {
      get handle(): Db {
        return store.handle;
      },
      get st(): Statements {
        return store.st;
      },
    };
    this.contacts = new EmbeddedContacts(connection, options);
    this.queue = new EmbeddedQueue(connection);
    this.blocklist = new EmbeddedBlocklist(connection);
    this.snapshots = new EmbeddedSnapshots(connection);
    this.documents = new EmbeddedDocuments(connection);
    this.callRecords = new EmbeddedCallRecords(connection);
    this.records = new EmbeddedRecords(connection);
  }

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
      migrate(db, this.options.migrations ?? EMBEDDED_MIGRATIONS);
      this.db = db;
      this.statements = prepare(db);
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
    if (db?.open) db.close();
  }

  /** The schema version each table is at (docs, tests). */
  versions(): Record<string, number> {
    return readVersions(this.handle);
  }

  private get handle(): Db {
    if (!this.db) throw new StoreError('failed', 'the embedded store is not open');
    return this.db;
  }

  // --- contacts and the dialer's queue (embedded/contacts.ts, embedded/queue.ts) -------

  async importContacts(campaignId: string, rows: ContactInput[], now: number): Promise<ImportReport> {
    return this.contacts.importContacts(campaignId, rows, now);
  }

  async claimDue(campaignId: string, now: number, limit: number, worker: string, leaseMs: number): Promise<Claim[]> {
    return this.queue.claimDue(campaignId, now, limit, worker, leaseMs);
  }

  async renewLeases(campaignId: string, tokens: string[], until: number): Promise<string[]> {
    return this.queue.renewLeases(campaignId, tokens, until);
  }

  async recordAttempt(claim: Claim, attempt: Attempt | null, next: NextStep): Promise<boolean> {
    return this.queue.recordAttempt(claim, attempt, next);
  }

  async closeContacts(campaignId: string, result: ContactResult, now: number): Promise<number> {
    return this.queue.closeContacts(campaignId, result, now);
  }

  async markProgress(claim: Claim, progress: Record<string, unknown>): Promise<boolean> {
    return this.queue.markProgress(claim, progress);
  }

  async markProgressBatch(entries: ProgressMark[], blocklist?: BlocklistCheck): Promise<ProgressMarked[]> {
    return this.queue.markProgressBatch(entries, blocklist, blocklist && ((number) => this.blocklist.blockOf(blocklist.groups, number, blocklist.at)));
  }

  async reclaimLeases(campaignId: string, worker: string, now: number, leaseMs: number): Promise<Claim[]> {
    return this.queue.reclaimLeases(campaignId, worker, now, leaseMs);
  }

  async getContact(campaignId: string, customerId: string): Promise<StoredContact | undefined> {
    return this.contacts.getContact(campaignId, customerId);
  }

  async pageContacts(campaignId: string, options: PageOptions & { state?: ContactState } = {}): Promise<Page<StoredContact>> {
    return this.contacts.pageContacts(campaignId, options);
  }

  async pageAttempts(campaignId: string, options: PageOptions = {}): Promise<Page<AttemptRow>> {
    return this.contacts.pageAttempts(campaignId, options);
  }

  async remarkResult(campaignId: string, customerId: string, n: number, remark: ResultRemark): Promise<Attempt | undefined> {
    return this.contacts.remarkResult(campaignId, customerId, n, remark);
  }

  async countContacts(campaignId: string, now: number): Promise<ContactCounts & { dueNow: number }> {
    return this.contacts.countContacts(campaignId, now);
  }

  async tallyAttempts(campaignId: string): Promise<AttemptTally> {
    return this.contacts.tallyAttempts(campaignId);
  }

  async hasDue(campaignId: string, now: number): Promise<boolean> {
    return this.contacts.hasDue(campaignId, now);
  }

  async deleteContacts(campaignId: string): Promise<number> {
    return this.contacts.deleteContacts(campaignId);
  }

  // --- blocklists (embedded/blocklist.ts) ----------------------------------------------

  async addBlocked(entries: BlockEntry[]): Promise<number> {
    return this.blocklist.addBlocked(entries);
  }

  async removeBlocked(group: string, number: string): Promise<boolean> {
    return this.blocklist.removeBlocked(group, number);
  }

  async findBlock(groups: string[], number: string, at: number): Promise<BlockEntry | undefined> {
    return this.blocklist.findBlock(groups, number, at);
  }

  async pageBlocked(group: string, options: PageOptions = {}): Promise<Page<BlockEntry>> {
    return this.blocklist.pageBlocked(group, options);
  }

  // --- flow versions (embedded/snapshots.ts) -------------------------------------------

  async saveSnapshot(snapshot: FlowSnapshot): Promise<void> {
    return this.snapshots.saveSnapshot(snapshot);
  }

  async listSnapshots(flow: string): Promise<SnapshotSummary[]> {
    return this.snapshots.listSnapshots(flow);
  }

  async getSnapshot(id: string): Promise<FlowSnapshot | undefined> {
    return this.snapshots.getSnapshot(id);
  }

  // --- documents (embedded/documents.ts) -----------------------------------------------

  async getDocument<T = Record<string, unknown>>(kind: DocumentKind, id: string): Promise<StoredDocument<T> | undefined> {
    return this.documents.getDocument<T>(kind, id);
  }

  async putDocument(kind: DocumentKind, id: string, value: Record<string, unknown>, expectedRev: number, now: number): Promise<number> {
    return this.documents.putDocument(kind, id, value, expectedRev, now);
  }

  async listDocuments<T = Record<string, unknown>>(kind: DocumentKind): Promise<StoredDocument<T>[]> {
    return this.documents.listDocuments<T>(kind);
  }

  async deleteDocument(kind: DocumentKind, id: string): Promise<boolean> {
    return this.documents.deleteDocument(kind, id);
  }

  // --- call records (embedded/call-records.ts) ------------------------------------------

  async saveCallRecord(record: CallRecord): Promise<void> {
    return this.callRecords.saveCallRecord(record);
  }

  async pageCallRecords(options: CallRecordPageOptions = {}): Promise<Page<CallRecord>> {
    return this.callRecords.pageCallRecords(options);
  }

  async pruneCallRecords(prune: CallRecordPrune): Promise<number> {
    return this.callRecords.pruneCallRecords(prune);
  }

  // --- meeting records and answers (embedded/records.ts) -------------------------------

  async saveMeetingRecord(record: MeetingRecord): Promise<void> {
    return this.records.saveMeetingRecord(record);
  }

  async pageMeetingRecords(options: PageOptions & { room?: string } = {}): Promise<Page<MeetingRecord>> {
    return this.records.pageMeetingRecords(options);
  }

  async saveAnswers(answers: QuestionnaireAnswers): Promise<void> {
    return this.records.saveAnswers(answers);
  }

  async pageAnswers(questionnaire: string, options: PageOptions = {}): Promise<Page<QuestionnaireAnswers>> {
    return this.records.pageAnswers(questionnaire, options);
  }
}
