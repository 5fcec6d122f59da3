/**
 * The embedded store's tables and their migrations, one step per schema
 * version of each collection (lib/store/rules.ts says which version this
 * package is at and how a plan of steps is checked).
 */
import { COLLECTIONS, migrationPlan, SCHEMA_VERSIONS, type Migration } from '../rules';
import type { Db } from './database';

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
    // v2: records carry their connection and campaign (columns, read from the document), so that they are listed per
    // campaign and pruned per connection (the retention each callflow-asterisk node sets) along an index each.
    collection: 'call_records',
    to: 2,
    up: (db) => {
      db.exec(`
        ALTER TABLE call_records ADD COLUMN connection TEXT;
        ALTER TABLE call_records ADD COLUMN campaign TEXT;
        UPDATE call_records SET connection = json_extract(doc, '$.connection'), campaign = json_extract(doc, '$.campaign.id');
        CREATE INDEX call_records_connection ON call_records (connection, ended_at, id);
        CREATE INDEX call_records_campaign ON call_records (campaign, ended_at, id) WHERE campaign IS NOT NULL;
      `);
    },
  },
  {
    collection: 'meeting_records',
    to: 1,
    up: (db) => {
      db.exec(`
        CREATE TABLE meeting_records (id TEXT PRIMARY KEY, room TEXT, ended_at INTEGER NOT NULL, doc TEXT NOT NULL);
        CREATE INDEX meeting_records_ended ON meeting_records (ended_at, id);
        CREATE INDEX meeting_records_room ON meeting_records (room, ended_at, id);
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

/** Brings every table to this package's schema version, in one IMMEDIATE transaction (other processes wait). */
export function migrate(db: Db, migrations: readonly Migration<Db>[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS meta (collection TEXT PRIMARY KEY, version INTEGER NOT NULL)');
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

/** The schema version each table is at. */
export function readVersions(db: Db): Record<string, number> {
  const rows = db.prepare<[], { collection: string; version: number }>('SELECT collection, version FROM meta').all();
  return Object.fromEntries(rows.map((r) => [r.collection, r.version]));
}
