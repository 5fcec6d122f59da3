/**
 * The MongoDB store's side of the dialer's queue: claiming due contacts
 * (findOneAndUpdate sorted by (rank, seq): the server picks and leases one
 * document atomically), renewing and taking back leases, recording attempts
 * and progress conditioned on the lease token, closing what is left when a
 * task ends.
 */
import type { Collection as MongoCollection, Db, Document } from 'mongodb';
import type { Attempt, BlockEntry, ContactResult } from '../../schemas/store';
import { attemptDocument, contactProgress } from '../../schemas/store';
import type { BlocklistCheck, Claim, NextStep, ProgressMark, ProgressMarked } from '../port';
import { checkClaim, checkClose, checked, checkHeldClaim, checkNext, checkProgressMarks, checkReclaim, checkTime, leaseToken, PROMOTE_MAX } from '../rules';
import { contactsOf, toContact, type ContactDoc } from './contact-documents';
import { run, type Connection } from './database';

export class MongoQueue {
  constructor(private readonly c: Connection) {}

  private get handle(): Db {
    return this.c.handle;
  }

  private get contacts(): MongoCollection<ContactDoc> {
    return contactsOf(this.handle);
  }

  async claimDue(campaignId: string, now: number, limit: number, worker: string, leaseMs: number): Promise<Claim[]> {
    checkClaim(campaignId, now, limit, worker, leaseMs);
    return run('claiming contacts', async () => {
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
    return run('renewing leases', async () => {
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
    return run('recording an attempt', async () => {
      // Held: leased to us, or expired and made due with our token still on it (nobody re-claimed it).
      const r = await this.contacts.updateOne({ campaignId: c.campaignId, seq: c.seq, state: { $in: ['leased', 'due'] }, 'lease.token': claim.token }, update);
      return r.matchedCount > 0;
    });
  }

  async closeContacts(campaignId: string, result: ContactResult, now: number): Promise<number> {
    checkClose(campaignId, result, now);
    return run('closing contacts', async () => {
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
    return run('saving the dialer\'s progress', async () => {
      // Held as in recordAttempt; the lease (state, dueAt, token) stays as it is.
      const r = await this.contacts.updateOne({ campaignId: c.campaignId, seq: c.seq, state: { $in: ['leased', 'due'] }, 'lease.token': claim.token }, { $set: { progress } });
      return r.matchedCount > 0;
    });
  }

  /** `blockOf`: the blocklist's check of a number (blocklist.ts), asked right before each entry's update. */
  async markProgressBatch(entries: ProgressMark[], blocklist?: BlocklistCheck, blockOf?: (number: string) => Promise<BlockEntry | undefined>): Promise<ProgressMarked[]> {
    checkProgressMarks(entries, blocklist);
    return run('saving the dialer\'s progress', async () =>
      // One update per entry, sent together (a bulk write tells only totals, not which entry matched).
      Promise.all(
        entries.map(async ({ claim, progress, number }): Promise<ProgressMarked> => {
          const blocked = blocklist && blockOf && number !== undefined ? await blockOf(number) : undefined;
          if (blocked) return { saved: false, blocked };
          const r = await this.contacts.updateOne({ campaignId: claim.contact.campaignId, seq: claim.contact.seq, state: { $in: ['leased', 'due'] }, 'lease.token': claim.token }, { $set: { progress } });
          return r.matchedCount > 0 ? { saved: true } : { saved: false };
        }),
      ),
    );
  }

  async reclaimLeases(campaignId: string, worker: string, now: number, leaseMs: number): Promise<Claim[]> {
    checkReclaim(campaignId, worker, now, leaseMs);
    const until = now + leaseMs;
    return run('taking back leases', async () => {
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
}
