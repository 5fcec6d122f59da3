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
 */
import { MongoBulkWriteError, MongoClient, MongoServerError, type Collection as MongoCollection, type Db, type Document, type Filter, type MongoClientOptions, type WriteConcernSettings, type WriteError } from 'mongodb';
import type { Attempt, BlockEntry, CallRecord, ContactInput, DocumentKind, FlowSnapshot, QuestionnaireAnswers, ContactResult } from '../schemas/store';
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

interface ContactDoc {
  campaignId: string;
  customerId: string;
  seq: number;
  rank: string;
  state: ContactState;
  dueAt: number;
  lease?: { token: string; worker: string };
  numbers: StoredContact['numbers'];
  priority?: number;
  attrs?: StoredContact['attrs'];
  custom?: StoredContact['custom'];
  attempts: Attempt[];
  progress: Record<string, unknown>;
  result?: StoredContact['result'];
}

interface BlockDoc extends BlockEntry {
  _id?: unknown;
}
interface SnapshotDoc extends Omit<FlowSnapshot, 'id'> {
  _id: string;
}
interface DocumentDoc {
  kind: DocumentKind;
  id: string;
  rev: number;
  updatedAt: number;
  value: Record<string, unknown>;
}
interface RecordDoc extends Omit<CallRecord, 'id'> {
  _id: string;
}
interface AnswersDoc extends Omit<QuestionnaireAnswers, 'id'> {
  _id: string;
}
interface MetaDoc {
  _id: string;
  version: number;
}
interface CounterDoc {
  _id: string;
  seq: number;
}

/** The built-in migrations: version 1 of each collection is its indexes (collections are made on first write). */
export const MONGODB_MIGRATIONS: readonly Migration<Db>[] = [
  {
    collection: 'contacts',
    to: 1,
    up: async (db) => {
      await db.collection('contacts').createIndexes([
        { key: { campaignId: 1, customerId: 1 }, name: 'customer', unique: true },
        { key: { campaignId: 1, seq: 1 }, name: 'seq', unique: true },
        { key: { campaignId: 1, state: 1, dueAt: 1 }, name: 'timer' },
        { key: { campaignId: 1, rank: 1, seq: 1 }, name: 'queue', partialFilterExpression: { state: 'due' } },
      ]);
    },
  },
  {
    // v2 moved the embedded store's queue and leases into tables of their own; the documents here did not change.
    collection: 'contacts',
    to: 2,
    up: () => undefined,
  },
  {
    // v3: a restarted worker takes back its leases (reclaimLeases); only contacts with a lease are in this index.
    collection: 'contacts',
    to: 3,
    up: async (db) => {
      await db.collection('contacts').createIndexes([{ key: { campaignId: 1, 'lease.worker': 1 }, name: 'leaseWorker', partialFilterExpression: { 'lease.worker': { $exists: true } } }]);
    },
  },
  {
    // v4: the embedded store's contacts gained an index for counting by state; the timer index (campaignId, state,
    // dueAt) already serves that here, so nothing changes.
    collection: 'contacts',
    to: 4,
    up: () => undefined,
  },
  {
    collection: 'blocklist',
    to: 1,
    up: async (db) => {
      await db.collection('blocklist').createIndexes([
        { key: { group: 1, number: 1 }, name: 'entry', unique: true },
        { key: { number: 1, group: 1 }, name: 'number' },
      ]);
    },
  },
  {
    collection: 'snapshots',
    to: 1,
    up: async (db) => {
      await db.collection('snapshots').createIndexes([{ key: { flow: 1, savedAt: -1, _id: -1 }, name: 'flow' }]);
    },
  },
  {
    collection: 'documents',
    to: 1,
    up: async (db) => {
      await db.collection('documents').createIndexes([{ key: { kind: 1, id: 1 }, name: 'document', unique: true }]);
    },
  },
  {
    collection: 'call_records',
    to: 1,
    up: async (db) => {
      await db.collection('call_records').createIndexes([
        { key: { endedAt: 1, _id: 1 }, name: 'ended' },
        { key: { flow: 1, endedAt: 1, _id: 1 }, name: 'flow' },
      ]);
    },
  },
  {
    collection: 'answers',
    to: 1,
    up: async (db) => {
      await db.collection('answers').createIndexes([{ key: { questionnaire: 1, at: 1, _id: 1 }, name: 'questionnaire' }]);
    },
  },
];

/** Which MongoDB failures mean what to a user. */
export function mongoError(err: unknown, doing: string): StoreError {
  if (err instanceof StoreError) return err;
  const e = err as { name?: string; code?: number; codeName?: string; message?: string };
  const text = e.message ?? String(err);
  if (e.code === 18 || e.codeName === 'AuthenticationFailed' || /auth(entication)? failed/i.test(text)) {
    return new StoreError('auth', `${doing}: MongoDB refused the user name or password`, { cause: err });
  }
  if (e.name === 'MongoServerSelectionError' || e.name === 'MongoNetworkError' || e.name === 'MongoNetworkTimeoutError' || e.name === 'MongoTopologyClosedError') {
    return new StoreError('unreachable', `${doing}: MongoDB cannot be reached (${text})`, { cause: err });
  }
  if (e.code === 13 || e.codeName === 'Unauthorized') return new StoreError('auth', `${doing}: the MongoDB user may not do this (${text})`, { cause: err });
  return new StoreError('failed', `${doing}: ${text}`, { cause: err });
}

function isDuplicateKey(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === 11000;
}

function toContact(d: ContactDoc): StoredContact {
  const c: StoredContact = {
    campaignId: d.campaignId,
    customerId: d.customerId,
    seq: d.seq,
    rank: d.rank,
    state: d.state,
    dueAt: d.dueAt,
    numbers: d.numbers,
    attempts: d.attempts,
    progress: d.progress,
  };
  if (d.priority !== undefined) c.priority = d.priority;
  if (d.attrs !== undefined) c.attrs = d.attrs;
  if (d.custom !== undefined) c.custom = d.custom;
  if (d.result !== undefined) c.result = d.result;
  return c;
}

function withoutMongoId<T extends { _id?: unknown }>(d: T): Omit<T, '_id'> {
  const { _id, ...rest } = d;
  void _id;
  return rest;
}

export class MongoStore implements Store {
  readonly backend = 'mongodb' as const;
  private client: MongoClient | undefined;
  private db: Db | undefined;

  constructor(private readonly options: MongoOptions) {}

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
      await this.migrate(db);
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

  /**
   * Brings every collection to this package's schema version. One instance
   * migrates at a time: a lock document with an expiry (a crashed migrator
   * does not block forever).
   */
  private async migrate(db: Db): Promise<void> {
    const meta = db.collection<MetaDoc>('meta');
    const locks = db.collection<{ _id: string; until: number; holder: string }>('locks');
    const holder = leaseToken();
    const deadline = Date.now() + 60_000;
    for (;;) {
      const now = Date.now();
      try {
        await locks.updateOne({ _id: 'migrate', until: { $lt: now } }, { $set: { until: now + 120_000, holder } }, { upsert: true });
        break;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        // Another instance is migrating: wait for it.
        if (Date.now() > deadline) throw new StoreError('failed', 'another instance has been migrating the database for more than a minute');
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    try {
      const migrations = this.options.migrations ?? MONGODB_MIGRATIONS;
      for (const collection of COLLECTIONS) {
        const from = (await meta.findOne({ _id: collection }))?.version ?? 0;
        for (const step of migrationPlan(collection, from, SCHEMA_VERSIONS[collection], migrations)) {
          await step.up(db);
          await meta.updateOne({ _id: collection }, { $set: { version: step.to } }, { upsert: true });
        }
      }
    } finally {
      await locks.deleteOne({ _id: 'migrate', holder });
    }
  }

  /** The schema version each collection is at. */
  async versions(): Promise<Record<string, number>> {
    const rows = await this.handle.collection<MetaDoc>('meta').find().toArray();
    return Object.fromEntries(rows.map((r) => [r._id, r.version]));
  }

  private get handle(): Db {
    if (!this.db) throw new StoreError('failed', 'the MongoDB store is not open');
    return this.db;
  }

  private get contacts(): MongoCollection<ContactDoc> {
    return this.handle.collection<ContactDoc>('contacts');
  }

  private async run<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw mongoError(err, doing);
    }
  }

  // --- contacts ---------------------------------------------------------------------

  async importContacts(campaignId: string, rows: ContactInput[], now: number): Promise<ImportReport> {
    checkId(campaignId, 'campaignId');
    checkTime(now, 'now');
    checkContacts(rows);
    return this.run('importing contacts', async () => {
      const duplicates: ImportReport['duplicates'] = [];
      const existing = new Set(
        (await this.contacts.find({ campaignId, customerId: { $in: rows.map((r) => r.customerId) } }, { projection: { customerId: 1 } }).toArray()).map((d) => d.customerId),
      );
      const fresh: { index: number; row: ContactInput }[] = [];
      rows.forEach((row, index) => {
        if (existing.has(row.customerId)) {
          duplicates.push({ index, customerId: row.customerId });
        } else {
          existing.add(row.customerId);
          fresh.push({ index, row });
        }
      });
      if (fresh.length === 0) return { inserted: 0, duplicates };
      // Reserve seq numbers for the batch in one atomic step.
      const counter = await this.handle
        .collection<CounterDoc>('counters')
        .findOneAndUpdate({ _id: `contacts:${campaignId}` }, { $inc: { seq: fresh.length } }, { upsert: true, returnDocument: 'after' });
      const first = (counter?.seq ?? fresh.length) - fresh.length + 1;
      const docs = fresh.map(({ row }, i): ContactDoc => {
        const dueAt = row.dueAt ?? now;
        const doc: ContactDoc = {
          campaignId,
          customerId: row.customerId,
          seq: first + i,
          rank: row.rank ?? '',
          state: dueAt <= now ? 'due' : 'waiting',
          dueAt,
          numbers: row.numbers,
          attempts: [],
          progress: {},
        };
        if (row.priority !== undefined) doc.priority = row.priority;
        if (row.attrs !== undefined) doc.attrs = row.attrs;
        if (row.custom !== undefined) doc.custom = row.custom;
        return doc;
      });
      let inserted = docs.length;
      try {
        await this.contacts.bulkWrite(
          docs.map((document) => ({ insertOne: { document } })),
          { ordered: false },
        );
      } catch (err) {
        if (!(err instanceof MongoBulkWriteError)) throw err;
        const writeErrors: WriteError[] = Array.isArray(err.writeErrors) ? (err.writeErrors as WriteError[]) : [err.writeErrors as WriteError];
        const other = writeErrors.find((w) => w.code !== 11000);
        if (other) throw err;
        // Another importer wrote the same customer meanwhile: reported as a duplicate.
        for (const w of writeErrors) {
          const entry = fresh[w.index];
          if (entry) duplicates.push({ index: entry.index, customerId: entry.row.customerId });
        }
        inserted -= writeErrors.length;
        duplicates.sort((a, b) => a.index - b.index);
      }
      return { inserted, duplicates };
    });
  }

  async claimDue(campaignId: string, now: number, limit: number, worker: string, leaseMs: number): Promise<Claim[]> {
    checkClaim(campaignId, now, limit, worker, leaseMs);
    return this.run('claiming contacts', async () => {
      for (const state of ['leased', 'waiting'] as const) {
        const ids = await this.contacts
          .find({ campaignId, state, dueAt: { $lte: now } }, { projection: { _id: 1 } })
          .sort({ dueAt: 1 })
          .limit(PROMOTE_MAX)
          .toArray();
        if (ids.length > 0) {
          // An expired lease made due keeps its token: its holder may still renew it or record until another claim takes it.
          await this.contacts.updateMany({ _id: { $in: ids.map((d) => d._id) }, state, dueAt: { $lte: now } }, { $set: { state: 'due' } });
        }
      }
      const until = now + leaseMs;
      const claims: Claim[] = [];
      while (claims.length < limit) {
        const token = leaseToken();
        const doc = await this.contacts.findOneAndUpdate(
          { campaignId, state: 'due' },
          { $set: { state: 'leased', dueAt: until, lease: { token, worker } } },
          { sort: { rank: 1, seq: 1 }, returnDocument: 'after', projection: { _id: 0, lease: 0 } },
        );
        if (!doc) break;
        claims.push({ contact: toContact(doc), token, worker, leaseUntil: until });
      }
      return claims;
    });
  }

  async renewLeases(campaignId: string, tokens: string[], until: number): Promise<string[]> {
    checkTime(until, 'until');
    return this.run('renewing leases', async () => {
      const held: string[] = [];
      for (const token of tokens) {
        const r = await this.contacts.updateOne({ campaignId, state: { $in: ['leased', 'due'] }, 'lease.token': token }, { $set: { state: 'leased', dueAt: until } });
        if (r.matchedCount > 0) held.push(token);
      }
      return held;
    });
  }

  async recordAttempt(claim: Claim, attempt: Attempt | null, next: NextStep): Promise<boolean> {
    if (attempt) checked(attemptDocument, attempt, 'attempt');
    checkNext(next);
    const c = claim.contact;
    const set: Partial<ContactDoc> = { state: next.state, dueAt: next.state === 'done' ? next.at : next.dueAt, progress: next.progress };
    const unset: Record<string, ''> = { lease: '' };
    if (next.state === 'done') set.result = next.result;
    else unset.result = '';
    const update: Document = { $set: set, $unset: unset };
    if (attempt) update.$push = { attempts: attempt };
    return this.run('recording an attempt', async () => {
      // Held: leased to us, or expired and made due with our token still on it (nobody re-claimed it).
      const r = await this.contacts.updateOne({ campaignId: c.campaignId, seq: c.seq, state: { $in: ['leased', 'due'] }, 'lease.token': claim.token }, update);
      return r.matchedCount > 0;
    });
  }

  async closeContacts(campaignId: string, result: ContactResult, now: number): Promise<number> {
    checkClose(campaignId, result, now);
    return this.run('closing contacts', async () => {
      // Not final and not leased now (a lease whose end has passed counts as not leased).
      const r = await this.contacts.updateMany(
        { campaignId, $or: [{ state: { $in: ['waiting', 'due'] } }, { state: 'leased', dueAt: { $lte: now } }] },
        { $set: { state: 'done', dueAt: now, result }, $unset: { lease: '' } },
      );
      return r.modifiedCount;
    });
  }

  async markProgress(claim: Claim, progress: Record<string, unknown>): Promise<boolean> {
    checkHeldClaim(claim);
    checked(contactProgress, progress, 'progress');
    const c = claim.contact;
    return this.run('saving the dialer\'s progress', async () => {
      // Held as in recordAttempt; the lease (state, dueAt, token) stays as it is.
      const r = await this.contacts.updateOne({ campaignId: c.campaignId, seq: c.seq, state: { $in: ['leased', 'due'] }, 'lease.token': claim.token }, { $set: { progress } });
      return r.matchedCount > 0;
    });
  }

  async reclaimLeases(campaignId: string, worker: string, now: number, leaseMs: number): Promise<Claim[]> {
    checkReclaim(campaignId, worker, now, leaseMs);
    const until = now + leaseMs;
    return this.run('taking back leases', async () => {
      // The worker's leases, running or run out (made due with its token still on it): found by the leaseWorker index.
      const held = await this.contacts
        .find({ campaignId, 'lease.worker': { $eq: worker, $exists: true }, state: { $in: ['leased', 'due'] } }, { projection: { _id: 1, seq: 1, lease: 1 } })
        .sort({ seq: 1 })
        .toArray();
      const claims: Claim[] = [];
      for (const h of held) {
        if (!h.lease) continue;
        const token = leaseToken();
        // Conditioned on the old token: a claim that took the contact meanwhile keeps it.
        const doc = await this.contacts.findOneAndUpdate(
          { _id: h._id, state: { $in: ['leased', 'due'] }, 'lease.token': h.lease.token },
          { $set: { state: 'leased', dueAt: until, lease: { token, worker } } },
          { returnDocument: 'after', projection: { _id: 0, lease: 0 } },
        );
        if (doc) claims.push({ contact: toContact(doc), token, worker, leaseUntil: until });
      }
      return claims;
    });
  }

  async getContact(campaignId: string, customerId: string): Promise<StoredContact | undefined> {
    return this.run('reading a contact', async () => {
      const d = await this.contacts.findOne({ campaignId, customerId }, { projection: { _id: 0, lease: 0 } });
      return d ? toContact(d) : undefined;
    });
  }

  async pageContacts(campaignId: string, options: PageOptions & { state?: ContactState } = {}): Promise<Page<StoredContact>> {
    const limit = pageLimit(options);
    const after = (decodeCursor(options.after, ['number'])?.[0] as number | undefined) ?? 0;
    checkStateFilter(options.state);
    return this.run('listing contacts', async () => {
      const filter: Filter<ContactDoc> = { campaignId, seq: { $gt: after } };
      if (options.state !== undefined) filter.state = options.state;
      const docs = await this.contacts.find(filter, { projection: { _id: 0, lease: 0 } }).sort({ seq: 1 }).limit(limit + 1).toArray();
      return pageOf(docs, limit, toContact, (c) => [c.seq]);
    });
  }

  async pageAttempts(campaignId: string, options: PageOptions = {}): Promise<Page<AttemptRow>> {
    return this.run('listing attempts', () =>
      collectAttempts(options, (fromSeq, count) =>
        this.contacts
          .find({ campaignId, seq: { $gte: fromSeq }, 'attempts.0': { $exists: true } }, { projection: { _id: 0, customerId: 1, seq: 1, attempts: 1 } })
          .sort({ seq: 1 })
          .limit(count)
          .toArray(),
      ),
    );
  }

  async countContacts(campaignId: string, now: number): Promise<ContactCounts & { dueNow: number }> {
    return this.run('counting contacts', async () => {
      const counts: ContactCounts = { waiting: 0, due: 0, leased: 0, done: 0, total: 0 };
      const groups = await this.contacts.aggregate<{ _id: ContactState; n: number }>([{ $match: { campaignId } }, { $group: { _id: '$state', n: { $sum: 1 } } }]).toArray();
      for (const g of groups) {
        counts[g._id] = g.n;
        counts.total += g.n;
      }
      const timers = await this.contacts.countDocuments({ campaignId, state: { $in: ['waiting', 'leased'] }, dueAt: { $lte: now } });
      return { ...counts, dueNow: counts.due + timers };
    });
  }

  async tallyAttempts(campaignId: string): Promise<AttemptTally> {
    checkId(campaignId, 'campaignId');
    return this.run('counting attempts', async () => {
      const [outcomes, inFlight, done] = await Promise.all([
        this.contacts
          .aggregate<{ _id: string; n: number }>([
            { $match: { campaignId, 'attempts.0': { $exists: true } } },
            { $unwind: '$attempts' },
            { $group: { _id: '$attempts.outcome', n: { $sum: 1 } } },
          ])
          .toArray(),
        this.contacts.countDocuments({ campaignId, 'progress.inflight': { $exists: true, $ne: null } }),
        this.contacts.countDocuments({ campaignId, state: 'done' }),
      ]);
      const tally: AttemptTally = { outcomes: {}, inFlight, done };
      for (const o of outcomes) tally.outcomes[o._id as keyof AttemptTally['outcomes']] = o.n;
      return tally;
    });
  }

  async hasDue(campaignId: string, now: number): Promise<boolean> {
    return this.run('looking for due contacts', async () => {
      const due = await this.contacts.findOne({ campaignId, state: 'due' }, { projection: { _id: 1 } });
      if (due) return true;
      const timer = await this.contacts.findOne({ campaignId, state: { $in: ['waiting', 'leased'] }, dueAt: { $lte: now } }, { projection: { _id: 1 } });
      return timer !== null;
    });
  }

  async deleteContacts(campaignId: string): Promise<number> {
    return this.run('deleting contacts', async () => {
      const r = await this.contacts.deleteMany({ campaignId });
      await this.handle.collection<CounterDoc>('counters').deleteOne({ _id: `contacts:${campaignId}` });
      return r.deletedCount;
    });
  }

  // --- blocklists -------------------------------------------------------------------

  async addBlocked(entries: BlockEntry[]): Promise<number> {
    entries.forEach((e, i) => checked(blockEntry, e, `blocklist entry ${i}`));
    if (entries.length === 0) return 0;
    return this.run('adding to a blocklist', async () => {
      await this.handle.collection<BlockDoc>('blocklist').bulkWrite(
        entries.map((e) => ({ replaceOne: { filter: { group: e.group, number: e.number }, replacement: { ...e }, upsert: true } })),
        { ordered: true },
      );
      return entries.length;
    });
  }

  async removeBlocked(group: string, number: string): Promise<boolean> {
    return this.run('removing from a blocklist', async () => (await this.handle.collection<BlockDoc>('blocklist').deleteOne({ group, number })).deletedCount > 0);
  }

  async findBlock(groups: string[], number: string, at: number): Promise<BlockEntry | undefined> {
    if (groups.length === 0) return undefined;
    return this.run('reading a blocklist', async () => {
      const d = await this.handle.collection<BlockDoc>('blocklist').findOne(
        {
          number,
          group: { $in: groups },
          $and: [{ $or: [{ from: { $exists: false } }, { from: { $lte: at } }] }, { $or: [{ until: { $exists: false } }, { until: { $gt: at } }] }],
        },
        { sort: { group: 1 }, projection: { _id: 0 } },
      );
      return d ? withoutMongoId(d) : undefined;
    });
  }

  async pageBlocked(group: string, options: PageOptions = {}): Promise<Page<BlockEntry>> {
    const limit = pageLimit(options);
    const after = (decodeCursor(options.after, ['string'])?.[0] as string | undefined) ?? '';
    return this.run('listing a blocklist', async () => {
      const docs = await this.handle
        .collection<BlockDoc>('blocklist')
        .find({ group, number: { $gt: after } }, { projection: { _id: 0 } })
        .sort({ number: 1 })
        .limit(limit + 1)
        .toArray();
      return pageOf(docs, limit, (d) => withoutMongoId(d), (e) => [e.number]);
    });
  }

  // --- flow versions ----------------------------------------------------------------

  async saveSnapshot(snapshot: FlowSnapshot): Promise<void> {
    checked(flowSnapshot, snapshot, 'flow snapshot');
    const { id, ...rest } = snapshot;
    try {
      await this.handle.collection<SnapshotDoc>('snapshots').insertOne({ _id: id, ...rest });
    } catch (err) {
      if (isDuplicateKey(err)) throw new StoreError('conflict', `flow snapshot ${id} is already stored`);
      throw mongoError(err, 'saving a flow snapshot');
    }
  }

  async listSnapshots(flow: string): Promise<SnapshotSummary[]> {
    return this.run('listing flow snapshots', async () => {
      const docs = await this.handle
        .collection<SnapshotDoc>('snapshots')
        .aggregate<SnapshotSummary & { _id: string }>([
          { $match: { flow } },
          { $sort: { savedAt: -1, _id: -1 } },
          { $project: { flow: 1, version: 1, savedAt: 1, savedBy: 1, comment: 1, nodeCount: { $size: '$nodes' } } },
        ])
        .toArray();
      return docs.map(({ _id, ...rest }) => ({ ...rest, id: _id }));
    });
  }

  async getSnapshot(id: string): Promise<FlowSnapshot | undefined> {
    return this.run('reading a flow snapshot', async () => {
      const d = await this.handle.collection<SnapshotDoc>('snapshots').findOne({ _id: id });
      if (!d) return undefined;
      const { _id, ...rest } = d;
      return { id: _id, ...rest };
    });
  }

  // --- documents --------------------------------------------------------------------

  private get documents(): MongoCollection<DocumentDoc> {
    return this.handle.collection<DocumentDoc>('documents');
  }

  async getDocument<T = Record<string, unknown>>(kind: DocumentKind, id: string): Promise<StoredDocument<T> | undefined> {
    return this.run(`reading ${kind} ${id}`, async () => {
      const d = await this.documents.findOne({ kind, id });
      return d ? { kind, id, rev: d.rev, updatedAt: d.updatedAt, value: d.value as T } : undefined;
    });
  }

  async putDocument(kind: DocumentKind, id: string, value: Record<string, unknown>, expectedRev: number, now: number): Promise<number> {
    checkDocument(kind, id, value, now);
    if (expectedRev === 0) {
      try {
        await this.documents.insertOne({ kind, id, rev: 1, updatedAt: now, value });
        return 1;
      } catch (err) {
        if (isDuplicateKey(err)) throw new StoreError('conflict', `${kind} ${id} already exists`);
        throw mongoError(err, `writing ${kind} ${id}`);
      }
    }
    return this.run(`writing ${kind} ${id}`, async () => {
      const r = await this.documents.updateOne({ kind, id, rev: expectedRev }, { $set: { value, updatedAt: now }, $inc: { rev: 1 } });
      if (r.matchedCount === 0) {
        const current = await this.documents.findOne({ kind, id }, { projection: { rev: 1 } });
        throw new StoreError('conflict', current ? `${kind} ${id} is at revision ${current.rev}, not ${expectedRev}: someone else changed it` : `${kind} ${id} does not exist`);
      }
      return expectedRev + 1;
    });
  }

  async listDocuments<T = Record<string, unknown>>(kind: DocumentKind): Promise<StoredDocument<T>[]> {
    return this.run(`listing ${kind} documents`, async () => {
      const docs = await this.documents.find({ kind }).sort({ id: 1 }).toArray();
      return docs.map((d) => ({ kind, id: d.id, rev: d.rev, updatedAt: d.updatedAt, value: d.value as T }));
    });
  }

  async deleteDocument(kind: DocumentKind, id: string): Promise<boolean> {
    return this.run(`deleting ${kind} ${id}`, async () => (await this.documents.deleteOne({ kind, id })).deletedCount > 0);
  }

  // --- call records and answers -----------------------------------------------------

  async saveCallRecord(record: CallRecord): Promise<void> {
    checked(callRecord, record, 'call record');
    const { id, ...rest } = record;
    try {
      await this.handle.collection<RecordDoc>('call_records').insertOne({ _id: id, ...rest });
    } catch (err) {
      if (isDuplicateKey(err)) return;
      throw mongoError(err, 'saving a call record');
    }
  }

  async pageCallRecords(options: PageOptions & { flow?: string } = {}): Promise<Page<CallRecord>> {
    const limit = pageLimit(options);
    const [at, id] = (decodeCursor(options.after, ['number', 'string']) as [number, string] | undefined) ?? [-1, ''];
    return this.run('listing call records', async () => {
      const filter: Filter<RecordDoc> = { $or: [{ endedAt: { $gt: at } }, { endedAt: at, _id: { $gt: id } }] };
      if (options.flow !== undefined) filter.flow = options.flow;
      const docs = await this.handle.collection<RecordDoc>('call_records').find(filter).sort({ endedAt: 1, _id: 1 }).limit(limit + 1).toArray();
      return pageOf(docs, limit, ({ _id, ...rest }) => ({ id: _id, ...rest }), (r) => [r.endedAt, r.id]);
    });
  }

  async saveAnswers(answers: QuestionnaireAnswers): Promise<void> {
    checked(questionnaireAnswers, answers, 'questionnaire answers');
    const { id, ...rest } = answers;
    try {
      await this.handle.collection<AnswersDoc>('answers').insertOne({ _id: id, ...rest });
    } catch (err) {
      if (isDuplicateKey(err)) return;
      throw mongoError(err, 'saving questionnaire answers');
    }
  }

  async pageAnswers(questionnaire: string, options: PageOptions = {}): Promise<Page<QuestionnaireAnswers>> {
    const limit = pageLimit(options);
    const [at, id] = (decodeCursor(options.after, ['number', 'string']) as [number, string] | undefined) ?? [-1, ''];
    return this.run('listing questionnaire answers', async () => {
      const docs = await this.handle
        .collection<AnswersDoc>('answers')
        .find({ questionnaire, $or: [{ at: { $gt: at } }, { at, _id: { $gt: id } }] })
        .sort({ at: 1, _id: 1 })
        .limit(limit + 1)
        .toArray();
      return pageOf(docs, limit, ({ _id, ...rest }) => ({ id: _id, ...rest }), (a) => [a.at, a.id]);
    });
  }
}

/** A connection string's hosts, without user, password or options: safe to log. */
export function describeUri(uri: string): string {
  const m = /^(mongodb(?:\+srv)?):\/\/(?:[^@/]*@)?([^/?]*)/.exec(uri);
  return m ? `${m[1]}://${m[2]}` : 'a MongoDB connection string';
}
