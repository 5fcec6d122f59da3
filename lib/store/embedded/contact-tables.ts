/**
 * The contacts, queue and leases tables: how a contact is kept in a row,
 * and the statements the contact list (contacts.ts) and the dialer's queue
 * (queue.ts) run on them. See lib/store/embedded.ts for the layout.
 */
import type { Attempt } from '../../schemas/store';
import type { ContactState, StoredContact } from '../port';
import type { Db } from './database';

/** The contacts.state column (due and leased are both 1: the leases table tells them apart). */
export const STATE = { waiting: 0, active: 1, done: 3 } as const;

export interface ContactRow {
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
export interface ContactBody {
  numbers: StoredContact['numbers'];
  priority?: number;
  attrs?: StoredContact['attrs'];
  custom?: StoredContact['custom'];
  attempts: Attempt[];
  progress: Record<string, unknown>;
  result?: StoredContact['result'];
}

export function toContact(row: ContactRow): StoredContact {
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

export function bodyOf(c: { numbers: StoredContact['numbers']; priority?: number; attrs?: StoredContact['attrs']; custom?: StoredContact['custom'] }, attempts: Attempt[], progress: Record<string, unknown>, result?: StoredContact['result']): string {
  const body: ContactBody = { numbers: c.numbers, attempts, progress };
  if (c.priority !== undefined) body.priority = c.priority;
  if (c.attrs !== undefined) body.attrs = c.attrs;
  if (c.custom !== undefined) body.custom = c.custom;
  if (result !== undefined) body.result = result;
  return JSON.stringify(body);
}

export type ContactStatements = ReturnType<typeof prepareContactTables>;

export function prepareContactTables(db: Db) {
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
      "SELECT SUM(state = 3) AS done, SUM(json_extract(doc, '$.progress.inflight') IS NOT NULL AND json_extract(doc, '$.progress.inflight.prewritten') IS NULL) AS inFlight FROM contacts WHERE campaign = ? AND seq > ? AND seq <= ?",
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
  };
}
