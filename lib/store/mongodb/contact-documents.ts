/**
 * How a contact is kept in MongoDB: one document per contact, its attempts,
 * progress, result and lease inside it, and a counter per campaign that
 * hands out import order (seq). The contact list (contacts.ts) and the
 * dialer's queue (queue.ts) both work on these.
 */
import type { Collection as MongoCollection, Db } from 'mongodb';
import type { Attempt } from '../../schemas/store';
import type { ContactState, StoredContact } from '../port';

export interface ContactDoc {
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

export interface CounterDoc {
  _id: string;
  seq: number;
}

export function contactsOf(db: Db): MongoCollection<ContactDoc> {
  return db.collection<ContactDoc>('contacts');
}

export function toContact(d: ContactDoc): StoredContact {
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
