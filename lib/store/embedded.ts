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
 * This file opens and closes the database and gives its parts to lib/store/parted.ts, which hands each call to the part
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
import { StoreError, type BlocklistCheck, type ProgressMark, type ProgressMarked, type Store } from './port';
import { PartedStore } from './parted';
import type { Migration } from './rules';
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

export class EmbeddedStore extends PartedStore implements Store {
  readonly backend = 'embedded' as const;
  private db: Db | undefined;
  // Prepared statements, made once at open.
  private statements: Statements | undefined;

  /** The prepared statements; before open() or after close(), the store's own error rather than a TypeError. */
  private get st(): Statements {
    if (!this.db || !this.statements) throw new StoreError('failed', 'the embedded store is not open');
    return this.statements;
  }

  protected readonly contacts: EmbeddedContacts;
  protected readonly queue: EmbeddedQueue;
  protected readonly blocklist: EmbeddedBlocklist;
  protected readonly snapshots: EmbeddedSnapshots;
  protected readonly documents: EmbeddedDocuments;
  protected readonly callRecords: EmbeddedCallRecords;
  protected readonly records: EmbeddedRecords;

  constructor(private readonly options: EmbeddedOptions) {
    super();
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

  // --- the dialer's queue: the blocklist checked inside the queue's write -------------

  async markProgressBatch(entries: ProgressMark[], blocklist?: BlocklistCheck): Promise<ProgressMarked[]> {
    return this.queue.markProgressBatch(entries, blocklist, blocklist && ((number) => this.blocklist.blockOf(blocklist.groups, number, blocklist.at)));
  }
}
