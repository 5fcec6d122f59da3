/**
 * The MongoDB store's collections: their indexes, one migration step per
 * schema version of each collection (lib/store/rules.ts says which version
 * this package is at), and the lock that lets one instance migrate at a time.
 */
import type { Db } from 'mongodb';
import { StoreError } from '../port';
import { COLLECTIONS, leaseToken, migrationPlan, SCHEMA_VERSIONS, type Migration } from '../rules';
import { isDuplicateKey } from './database';

interface MetaDoc {
  _id: string;
  version: number;
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
    // v2: records carry their connection and campaign; listed per campaign and pruned per connection along these.
    collection: 'call_records',
    to: 2,
    up: async (db) => {
      await db.collection('call_records').createIndexes([
        { key: { connection: 1, endedAt: 1, _id: 1 }, name: 'connection' },
        { key: { 'campaign.id': 1, endedAt: 1, _id: 1 }, name: 'campaign', partialFilterExpression: { 'campaign.id': { $exists: true } } },
      ]);
    },
  },
  {
    collection: 'meeting_records',
    to: 1,
    up: async (db) => {
      await db.collection('meeting_records').createIndexes([
        { key: { endedAt: 1, _id: 1 }, name: 'ended' },
        { key: { room: 1, endedAt: 1, _id: 1 }, name: 'room' },
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

/**
 * Brings every collection to this package's schema version. One instance
 * migrates at a time: a lock document with an expiry (a crashed migrator
 * does not block forever).
 */
export async function migrate(db: Db, migrations: readonly Migration<Db>[]): Promise<void> {
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
export async function readVersions(db: Db): Promise<Record<string, number>> {
  const rows = await db.collection<MetaDoc>('meta').find().toArray();
  return Object.fromEntries(rows.map((r) => [r._id, r.version]));
}
