/**
 * The MongoDB store's contact list: importing customers, reading them one
 * by one or by page, counting them by state, tallying their attempts,
 * deleting a campaign's. The dialer's queue (claims, leases, attempts) is
 * in queue.ts; both work on the documents of contact-documents.ts.
 */
import { MongoBulkWriteError, type Collection as MongoCollection, type Db, type Filter, type WriteError } from 'mongodb';
import type { Attempt, ContactInput } from '../../schemas/store';
import { pageLimit, type AttemptRow, type AttemptTally, type ContactCounts, type ContactState, type ImportReport, type Page, type PageOptions, type StoredContact } from '../port';
import { checkContacts, checkId, checkRemark, checkStateFilter, checkTime, collectAttempts, decodeCursor, pageOf, remarkedContact, type ResultRemark } from '../rules';
import { contactsOf, toContact, type ContactDoc, type CounterDoc } from './contact-documents';
import { run, type Connection } from './database';

export class MongoContacts {
  constructor(private readonly c: Connection) {}

  private get handle(): Db {
    return this.c.handle;
  }

  private get contacts(): MongoCollection<ContactDoc> {
    return contactsOf(this.handle);
  }

  async importContacts(campaignId: string, rows: ContactInput[], now: number): Promise<ImportReport> {
    checkId(campaignId, 'campaignId');
    checkTime(now, 'now');
    checkContacts(rows);
    return run('importing contacts', async () => {
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

  async getContact(campaignId: string, customerId: string): Promise<StoredContact | undefined> {
    return run('reading a contact', async () => {
      const d = await this.contacts.findOne({ campaignId, customerId }, { projection: { _id: 0, lease: 0 } });
      return d ? toContact(d) : undefined;
    });
  }

  async pageContacts(campaignId: string, options: PageOptions & { state?: ContactState } = {}): Promise<Page<StoredContact>> {
    const limit = pageLimit(options);
    const after = (decodeCursor(options.after, ['number'])?.[0] as number | undefined) ?? 0;
    checkStateFilter(options.state);
    return run('listing contacts', async () => {
      const filter: Filter<ContactDoc> = { campaignId, seq: { $gt: after } };
      if (options.state !== undefined) filter.state = options.state;
      const docs = await this.contacts.find(filter, { projection: { _id: 0, lease: 0 } }).sort({ seq: 1 }).limit(limit + 1).toArray();
      return pageOf(docs, limit, toContact, (c) => [c.seq]);
    });
  }

  async pageAttempts(campaignId: string, options: PageOptions = {}): Promise<Page<AttemptRow>> {
    return run('listing attempts', () =>
      collectAttempts(options, (fromSeq, count) =>
        this.contacts
          .find({ campaignId, seq: { $gte: fromSeq }, 'attempts.0': { $exists: true } }, { projection: { _id: 0, customerId: 1, seq: 1, attempts: 1 } })
          .sort({ seq: 1 })
          .limit(count)
          .toArray(),
      ),
    );
  }

  async remarkResult(campaignId: string, customerId: string, n: number, remark: ResultRemark): Promise<Attempt | undefined> {
    checkRemark(campaignId, customerId, n, remark);
    return run('remarking a result', async () => {
      // Read, then write only if the attempts and the result are still what was read (the dialer may record meanwhile): a few tries.
      for (let tries = 0; tries < 5; tries += 1) {
        const d = await this.contacts.findOne({ campaignId, customerId }, { projection: { _id: 0, attempts: 1, result: 1, state: 1 } });
        if (!d) return undefined;
        const changed = remarkedContact(d, n, remark, d.state === 'done');
        if (!changed) return undefined;
        const filter: Filter<ContactDoc> = { campaignId, customerId, attempts: d.attempts, result: d.result === undefined ? { $exists: false } : d.result };
        const set: Partial<ContactDoc> = { attempts: changed.attempts };
        if (changed.result) set.result = changed.result;
        const r = await this.contacts.updateOne(filter, { $set: set });
        if (r.matchedCount === 1) return changed.attempt;
      }
      throw new Error(`contact ${customerId} of ${campaignId} kept changing while its result was remarked`);
    });
  }

  async countContacts(campaignId: string, now: number): Promise<ContactCounts & { dueNow: number }> {
    return run('counting contacts', async () => {
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
    return run('counting attempts', async () => {
      const [outcomes, inFlight, done] = await Promise.all([
        this.contacts
          .aggregate<{ _id: string; n: number }>([
            { $match: { campaignId, 'attempts.0': { $exists: true } } },
            { $unwind: '$attempts' },
            { $group: { _id: '$attempts.outcome', n: { $sum: 1 } } },
          ])
          .toArray(),
        this.contacts.countDocuments({ campaignId, 'progress.inflight': { $exists: true, $ne: null }, 'progress.inflight.prewritten': { $exists: false } }),
        this.contacts.countDocuments({ campaignId, state: 'done' }),
      ]);
      const tally: AttemptTally = { outcomes: {}, inFlight, done };
      for (const o of outcomes) tally.outcomes[o._id as keyof AttemptTally['outcomes']] = o.n;
      return tally;
    });
  }

  async hasDue(campaignId: string, now: number): Promise<boolean> {
    return run('looking for due contacts', async () => {
      const due = await this.contacts.findOne({ campaignId, state: 'due' }, { projection: { _id: 1 } });
      if (due) return true;
      const timer = await this.contacts.findOne({ campaignId, state: { $in: ['waiting', 'leased'] }, dueAt: { $lte: now } }, { projection: { _id: 1 } });
      return timer !== null;
    });
  }

  async deleteContacts(campaignId: string): Promise<number> {
    return run('deleting contacts', async () => {
      const r = await this.contacts.deleteMany({ campaignId });
      await this.handle.collection<CounterDoc>('counters').deleteOne({ _id: `contacts:${campaignId}` });
      return r.deletedCount;
    });
  }
}
