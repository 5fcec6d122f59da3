/**
 * The embedded store's contact list: importing customers, reading them one
 * by one or by page, counting them by state, tallying their attempts,
 * deleting a campaign's. The dialer's queue (claims, leases, attempts) is
 * in queue.ts; both work on the tables of contact-tables.ts.
 */
/* eslint-disable @typescript-eslint/require-await -- better-sqlite3 is synchronous; the methods are async so that every
   failure, validation included, reaches the caller as a rejected promise, as the port promises. */
import type { Attempt, ContactInput } from '../../schemas/store';
import { pageLimit, type AttemptRow, type AttemptTally, type ContactCounts, type ContactState, type ImportReport, type Page, type PageOptions, type StoredContact } from '../port';
import { checkContacts, checkId, checkRemark, checkStateFilter, checkTime, collectAttempts, decodeCursor, pageOf, remarkedContact, type ResultRemark } from '../rules';
import { bodyOf, STATE, toContact, type ContactBody, type ContactStatements } from './contact-tables';
import { failed, type Connection, type Db } from './database';

/** How many seq numbers tallyAttempts reads at a time (a few milliseconds of SQLite's time). */
const TALLY_SLICE = 1000;

/** How many seq numbers countContacts counts at a time (per state, a few milliseconds along contacts_state). */
const COUNT_SLICE = 50_000;

export class EmbeddedContacts {
  constructor(private readonly c: Connection<ContactStatements>, private readonly options: { countSlice?: number }) {}

  private get st(): ContactStatements {
    return this.c.st;
  }

  private get handle(): Db {
    return this.c.handle;
  }

  async importContacts(campaignId: string, rows: ContactInput[], now: number): Promise<ImportReport> {
    checkId(campaignId, 'campaignId');
    checkTime(now, 'now');
    checkContacts(rows);
    const st = this.st;
    const db = this.handle;
    try {
      const report = db
        .transaction((): ImportReport => {
          let seq = st.maxSeq.get(campaignId)?.m ?? 0;
          const duplicates: ImportReport['duplicates'] = [];
          let inserted = 0;
          rows.forEach((row, index) => {
            const dueAt = row.dueAt ?? now;
            const due = dueAt <= now;
            const rank = row.rank ?? '';
            const r = st.insertContact.run(campaignId, seq + 1, row.customerId, due ? STATE.active : STATE.waiting, dueAt, rank, bodyOf(row, [], {}));
            if (r.changes === 0) {
              duplicates.push({ index, customerId: row.customerId });
            } else {
              seq += 1;
              inserted += 1;
              if (due) st.enqueue.run(campaignId, rank, seq, null, null);
            }
          });
          return { inserted, duplicates };
        })
        .immediate();
      return report;
    } catch (err) {
      failed(err, 'importing contacts');
    }
  }

  async getContact(campaignId: string, customerId: string): Promise<StoredContact | undefined> {
    const row = this.st.byCustomer.get(campaignId, customerId);
    return row ? toContact(row) : undefined;
  }

  async pageContacts(campaignId: string, options: PageOptions & { state?: ContactState } = {}): Promise<Page<StoredContact>> {
    const limit = pageLimit(options);
    const after = (decodeCursor(options.after, ['number'])?.[0] as number | undefined) ?? 0;
    const wanted = options.state;
    checkStateFilter(wanted);
    const column = wanted === 'waiting' ? STATE.waiting : wanted === 'done' ? STATE.done : STATE.active;
    const rows = wanted === undefined ? this.st.pageContacts.all(campaignId, after, limit + 1) : this.st.pageByState.all(campaignId, after, column, wanted === 'leased' ? 1 : 0, limit + 1);
    return pageOf(rows, limit, toContact, (c) => [c.seq]);
  }

  async pageAttempts(campaignId: string, options: PageOptions = {}): Promise<Page<AttemptRow>> {
    return collectAttempts(options, (fromSeq, count) =>
      this.st.pageAttempted.all(campaignId, fromSeq, count).map((row) => ({ seq: row.seq, customerId: row.customer, attempts: (JSON.parse(row.doc) as ContactBody).attempts })),
    );
  }

  async remarkResult(campaignId: string, customerId: string, n: number, remark: ResultRemark): Promise<Attempt | undefined> {
    checkRemark(campaignId, customerId, n, remark);
    const st = this.st;
    try {
      return this.handle
        .transaction((): Attempt | undefined => {
          const row = st.byCustomer.get(campaignId, customerId);
          if (!row) return undefined;
          const body = JSON.parse(row.doc) as ContactBody;
          const changed = remarkedContact(body, n, remark, row.state === STATE.done);
          if (!changed) return undefined;
          const { result: _r, ...rest } = body;
          st.rewrite.run(JSON.stringify({ ...rest, attempts: changed.attempts, ...(changed.result ? { result: changed.result } : {}) }), campaignId, row.seq);
          return changed.attempt;
        })
        .immediate();
    } catch (err) {
      failed(err, 'remarking a result');
    }
  }

  async countContacts(campaignId: string, now: number): Promise<ContactCounts & { dueNow: number }> {
    checkId(campaignId, 'campaignId');
    const st = this.st;
    try {
      let waiting = 0;
      let active = 0;
      let done = 0;
      const last = st.maxSeq.get(campaignId)?.m ?? 0;
      // A million contacts are counted in slices of COUNT_SLICE seq numbers, with the event loop free between them. A
      // contact that changes state meanwhile is counted once, in the state its slice saw; done is final, so the task's
      // "every contact is done" (done === total) never holds early.
      const slice = this.options.countSlice ?? COUNT_SLICE;
      for (let from = 0; from < last; from += slice) {
        if (from > 0) await new Promise<void>((r) => setImmediate(r));
        const to = from + slice;
        waiting += st.countState.get(campaignId, STATE.waiting, from, to)?.n ?? 0;
        active += st.countState.get(campaignId, STATE.active, from, to)?.n ?? 0;
        done += st.countState.get(campaignId, STATE.done, from, to)?.n ?? 0;
      }
      const leased = Math.min(active, st.countLeases.get(campaignId)?.n ?? 0);
      const counts: ContactCounts = { waiting, due: active - leased, leased, done, total: waiting + active + done };
      // Waiting contacts whose time has come: few, since each claim makes up to PROMOTE_MAX of them due.
      const dueNow = counts.due + (st.countWaitingDue.get(campaignId, now)?.n ?? 0) + (st.countExpired.get(campaignId, now)?.n ?? 0);
      return { ...counts, dueNow };
    } catch (err) {
      failed(err, 'counting contacts');
    }
  }

  async tallyAttempts(campaignId: string): Promise<AttemptTally> {
    checkId(campaignId, 'campaignId');
    const st = this.st;
    const tally: AttemptTally = { outcomes: {}, inFlight: 0, done: 0 };
    try {
      const last = st.maxSeq.get(campaignId)?.m ?? 0;
      // A million contacts are read in slices of TALLY_SLICE seq numbers, with the event loop free between them.
      for (let from = 0; from < last; from += TALLY_SLICE) {
        if (from > 0) await new Promise<void>((r) => setImmediate(r));
        const to = from + TALLY_SLICE;
        for (const r of st.tallyOutcomes.all(campaignId, from, to)) {
          const outcome = r.outcome as keyof AttemptTally['outcomes'];
          tally.outcomes[outcome] = (tally.outcomes[outcome] ?? 0) + r.n;
        }
        const contacts = st.tallyContacts.get(campaignId, from, to);
        tally.done += contacts?.done ?? 0;
        tally.inFlight += contacts?.inFlight ?? 0;
      }
      return tally;
    } catch (err) {
      failed(err, 'counting attempts');
    }
  }

  async hasDue(campaignId: string, now: number): Promise<boolean> {
    const st = this.st;
    return !!(st.anyQueued.get(campaignId) ?? st.anyWaitingDue.get(campaignId, now) ?? st.anyExpired.get(campaignId, now));
  }

  async deleteContacts(campaignId: string): Promise<number> {
    try {
      const st = this.st;
      return this.handle
        .transaction(() => {
          st.deleteQueue.run(campaignId);
          st.deleteLeases.run(campaignId);
          return st.deleteContacts.run(campaignId).changes;
        })
        .immediate();
    } catch (err) {
      failed(err, 'deleting contacts');
    }
  }
}
