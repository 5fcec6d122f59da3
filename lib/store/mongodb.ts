/**
 * The MongoDB store, on the official driver.
 *
 * - Claims are findOneAndUpdate on { campaignId, state: 'due' } sorted by
 *   (rank, seq): the server picks and leases one document atomically, so two
 *   Node-RED instances sharing a database never claim the same contact.
 * - An attempt and its outcome live in the contact's document (attempts
 *   array, progress, result): recording them is one updateOne conditioned on
 *   the lease token, atomic on a standalone server as on a replica set, with
 *   no multi-document transaction.
 * - Imports are unordered bulkWrites of one batch; a customer already there
 *   is found first (and the unique index catches a race), so it is reported,
 *   never overwritten.
 * - Retryable writes (the driver's default) cover a failover in the middle
 *   of a write; the write concern is the config node's (default majority,
 *   journaled).
 * - No log line carries the connection string: callers log `describe()`.
 *
 * This file connects, migrates and closes, and gives its parts to lib/store/parted.ts, which hands each call to the part
 * of the store it belongs to, one file per part of the port in
 * lib/store/mongodb/: schema.ts (indexes, migrations and their lock),
 * contact-documents.ts (the contact document), contacts.ts (the contact
 * list), queue.ts (the dialer's queue: claims, leases, attempts),
 * blocklist.ts, snapshots.ts, documents.ts, call-records.ts (call records:
 * listed newest first, pruned by the retention sweep), records.ts (meeting
 * records and questionnaire answers), database.ts (what they share: the handle and the
 * driver's errors).
 */
import { MongoClient, type Db, type MongoClientOptions, type WriteConcernSettings } from 'mongodb';
import { StoreError, type BlocklistCheck, type ProgressMark, type ProgressMarked, type Store } from './port';
import { PartedStore } from './parted';
import type { Migration } from './rules';
import { MongoBlocklist } from './mongodb/blocklist';
import { MongoContacts } from './mongodb/contacts';
import { describeUri, mongoError, type Connection } from './mongodb/database';
import { MongoDocuments } from './mongodb/documents';
import { MongoQueue } from './mongodb/queue';
import { MongoCallRecords } from './mongodb/call-records';
import { MongoRecords } from './mongodb/records';
import { migrate, MONGODB_MIGRATIONS, readVersions } from './mongodb/schema';
import { MongoSnapshots } from './mongodb/snapshots';

export { describeUri, mongoError } from './mongodb/database';
export { MONGODB_MIGRATIONS } from './mongodb/schema';

export interface MongoOptions {
  /** mongodb:// or mongodb+srv:// connection string (a Node-RED credential: it may hold a password). */
  uri: string;
  database: string;
  /** User and password when not in the URI (Node-RED credentials). */
  username?: string;
  password?: string;
  tls?: boolean;
  tlsCAFile?: string;
  tlsCertificateKeyFile?: string;
  tlsAllowInvalidCertificates?: boolean;
  /** 'majority' (default) or a number of members; journal true by default. */
  writeConcern?: { w?: 'majority' | number; journal?: boolean; wtimeoutMs?: number };
  /** How long to look for a server before an operation fails (ms, default 10,000). */
  serverSelectionTimeoutMs?: number;
  /** Replaces the built-in migrations (tests of the migration path). */
  migrations?: readonly Migration<Db>[];
}

export class MongoStore extends PartedStore implements Store {
  readonly backend = 'mongodb' as const;
  private client: MongoClient | undefined;
  private db: Db | undefined;

  protected readonly contacts: MongoContacts;
  protected readonly queue: MongoQueue;
  protected readonly blocklist: MongoBlocklist;
  protected readonly snapshots: MongoSnapshots;
  protected readonly documents: MongoDocuments;
  protected readonly callRecords: MongoCallRecords;
  protected readonly records: MongoRecords;

  constructor(private readonly options: MongoOptions) {
    super();
    // What a part reaches: the handle, read when it uses it (so a closed store says so).
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the getter reads the store's state when called
    const store = this;
    const connection: Connection = {
      get handle(): Db {
        return store.handle;
      },
    };
    this.contacts = new MongoContacts(connection);
    this.queue = new MongoQueue(connection);
    this.blocklist = new MongoBlocklist(connection);
    this.snapshots = new MongoSnapshots(connection);
    this.documents = new MongoDocuments(connection);
    this.callRecords = new MongoCallRecords(connection);
    this.records = new MongoRecords(connection);
  }

  /** Where the store is, without credentials (for logs and the editor). */
  describe(): string {
    return `${describeUri(this.options.uri)} database ${this.options.database}`;
  }

  private clientOptions(): MongoClientOptions {
    const o = this.options;
    const wc: WriteConcernSettings = { w: o.writeConcern?.w ?? 'majority', journal: o.writeConcern?.journal ?? true };
    if (o.writeConcern?.wtimeoutMs !== undefined) wc.wtimeoutMS = o.writeConcern.wtimeoutMs;
    const options: MongoClientOptions = {
      appName: 'node-red-contrib-callflow',
      retryWrites: true,
      retryReads: true,
      writeConcern: wc,
    };
    // The connection string's own serverSelectionTimeoutMS wins; else 10 s (the driver's 30 s is long to wait for a status).
    if (o.serverSelectionTimeoutMs !== undefined || !/[?&]serverSelectionTimeoutMS=/i.test(o.uri)) options.serverSelectionTimeoutMS = o.serverSelectionTimeoutMs ?? 10_000;
    if (o.username) options.auth = { username: o.username, password: o.password ?? '' };
    if (o.tls !== undefined) options.tls = o.tls;
    if (o.tlsCAFile) options.tlsCAFile = o.tlsCAFile;
    if (o.tlsCertificateKeyFile) options.tlsCertificateKeyFile = o.tlsCertificateKeyFile;
    if (o.tlsAllowInvalidCertificates) options.tlsAllowInvalidCertificates = true;
    return options;
  }

  async open(): Promise<void> {
    if (this.db) return;
    let client: MongoClient;
    try {
      client = new MongoClient(this.options.uri, this.clientOptions());
    } catch (err) {
      // A malformed connection string: say so without echoing it (it may hold a password).
      throw new StoreError('invalid', `the MongoDB connection string is not valid: ${(err as Error).message.replace(this.options.uri, describeUri(this.options.uri))}`);
    }
    try {
      await client.connect();
      const db = client.db(this.options.database);
      await migrate(db, this.options.migrations ?? MONGODB_MIGRATIONS);
      this.client = client;
      this.db = db;
    } catch (err) {
      await client.close().catch(() => undefined);
      throw mongoError(err, `opening MongoDB at ${this.describe()}`);
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.db = undefined;
    await client?.close();
  }

  /** The schema version each collection is at. */
  async versions(): Promise<Record<string, number>> {
    return readVersions(this.handle);
  }

  private get handle(): Db {
    if (!this.db) throw new StoreError('failed', 'the MongoDB store is not open');
    return this.db;
  }

  // --- the dialer's queue: the blocklist checked inside the queue's write -------------

  async markProgressBatch(entries: ProgressMark[], blocklist?: BlocklistCheck): Promise<ProgressMarked[]> {
    return this.queue.markProgressBatch(entries, blocklist, blocklist && ((number) => this.blocklist.findBlock(blocklist.groups, number, blocklist.at)));
  }
}
