/**
 * The embedded store's side of the dialer's queue: claiming due contacts,
 * renewing and taking back leases, recording attempts and progress, closing
 * what is left when a task ends. A claim reads and writes only the queue and
 * leases tables (contact-tables.ts), never scans the contact rows.
 */
/* eslint-disable @typescript-eslint/require-await -- better-sqlite3 is synchronous; the methods are async so that every
   failure, validation included, reaches the caller as a rejected promise, as the port promises. */
import type { Attempt, BlockEntry, ContactResult } from '../../schemas/store';
import { attemptDocument, contactProgress } from '../../schemas/store';
import type { BlocklistCheck, Claim, NextStep, ProgressMark, ProgressMarked } from '../port';
import { checkClaim, checkClose, checked, checkHeldClaim, checkNext, checkProgressMarks, checkReclaim, checkTime, leaseToken, PROMOTE_MAX } from '../rules';
import { bodyOf, STATE, toContact, type ContactBody, type ContactRow, type ContactStatements } from './contact-tables';
import { failed, type Connection, type Db } from './database';

export class EmbeddedQueue {
  constructor(private readonly c: Connection<ContactStatements>) {}

  private get st(): ContactStatements {
    return this.c.st;
  }

  private get handle(): Db {
    return this.c.handle;
  }

  async claimDue(campaignId: string, now: number, limit: number, worker: string, leaseMs: number): Promise<Claim[]> {
    checkClaim(campaignId, now, limit, worker, leaseMs);
    const st = this.st;
    try {
      const claims = this.handle
        .transaction((): Claim[] => {
          // Expired leases go back to the queue with their token (the late holder may still renew or record until
          // another claim takes the contact); then the waiting contacts whose time has come.
          for (const e of st.expired.all(campaignId, now, PROMOTE_MAX)) {
            st.dropLease.run(campaignId, e.seq);
            st.dueSince.run(e.until, campaignId, e.seq);
            st.enqueue.run(campaignId, e.rank, e.seq, e.token, e.worker);
          }
          for (const w of st.dueWaiting.all(campaignId, now, PROMOTE_MAX)) {
            st.activate.run(campaignId, w.seq);
            st.enqueue.run(campaignId, w.rank, w.seq, null, null);
          }
          const until = now + leaseMs;
          return st.head.all(campaignId, limit).map((q) => {
            st.dequeue.run(campaignId, q.rank, q.seq);
            // The seq in the token lets renewLeases and recordAttempt find the lease by its key.
            const token = `${q.seq}.${leaseToken()}`;
            st.lease.run(campaignId, q.seq, token, worker, until);
            const row = st.bySeq.get(campaignId, q.seq) as ContactRow;
            return { contact: toContact(row), token, worker, leaseUntil: until };
          });
        })
        .immediate();
      return claims;
    } catch (err) {
      failed(err, 'claiming contacts');
    }
  }

  async renewLeases(campaignId: string, tokens: string[], until: number): Promise<string[]> {
    checkTime(until, 'until');
    const st = this.st;
    try {
      const held = this.handle
        .transaction(() =>
          tokens.filter((t) => {
            const seq = Number(String(t).split('.', 1)[0]);
            if (!Number.isSafeInteger(seq)) return false;
            if (st.renew.run(until, campaignId, seq, t).changes > 0) return true;
            // Expired and back in the queue, but not re-claimed: the holder takes it back.
            const q = st.queued.get(campaignId, seq);
            if (!q || q.token !== t) return false;
            st.dequeue.run(campaignId, q.rank, seq);
            st.lease.run(campaignId, seq, t, q.worker ?? '', until);
            return true;
          }),
        )
        .immediate();
      return held;
    } catch (err) {
      failed(err, 'renewing leases');
    }
  }

  async recordAttempt(claim: Claim, attempt: Attempt | null, next: NextStep): Promise<boolean> {
    if (attempt) checked(attemptDocument, attempt, 'attempt');
    checkNext(next);
    const c = claim.contact;
    const attempts = attempt ? [...c.attempts, attempt] : c.attempts;
    const result = next.state === 'done' ? next.result : undefined;
    const dueAt = next.state === 'done' ? next.at : next.dueAt;
    const st = this.st;
    const state = next.state === 'waiting' ? STATE.waiting : next.state === 'done' ? STATE.done : STATE.active;
    try {
      return this.handle
        .transaction((): boolean => {
          // Held: the lease is ours, or it expired and sits in the queue with our token (nobody re-claimed it).
          const held = st.release.run(c.campaignId, c.seq, claim.token).changes > 0 || st.dequeueHeld.run(c.campaignId, c.rank, c.seq, claim.token).changes > 0;
          if (!held) return false;
          st.settle.run(state, dueAt, attempts.length, bodyOf(c, attempts, next.progress, result), c.campaignId, c.seq);
          if (next.state === 'due') st.enqueue.run(c.campaignId, c.rank, c.seq, null, null);
          return true;
        })
        .immediate();
    } catch (err) {
      failed(err, 'recording an attempt');
    }
  }

  async closeContacts(campaignId: string, result: ContactResult, now: number): Promise<number> {
    checkClose(campaignId, result, now);
    const st = this.st;
    let closed = 0;
    try {
      for (;;) {
        const n = this.handle
          .transaction((): number => {
            const rows = st.openContacts.all(campaignId, campaignId, now);
            for (const r of rows) {
              const body = JSON.parse(r.doc) as ContactBody;
              st.closeContact.run(now, JSON.stringify({ ...body, result }), campaignId, r.seq);
              st.dequeue.run(campaignId, r.rank, r.seq);
              st.dropLease.run(campaignId, r.seq);
            }
            return rows.length;
          })
          .immediate();
        closed += n;
        if (n < 1000) return closed;
        // A million contacts are closed in slices, with the event loop free between them.
        await new Promise<void>((r) => setImmediate(r));
      }
    } catch (err) {
      failed(err, 'closing contacts');
    }
  }

  async markProgress(claim: Claim, progress: Record<string, unknown>): Promise<boolean> {
    checkHeldClaim(claim);
    checked(contactProgress, progress, 'progress');
    const { campaignId, seq } = claim.contact;
    const st = this.st;
    try {
      return this.handle
        .transaction((): boolean => {
          // Held: as in recordAttempt (our lease, or expired and in the queue with our token); the lease stays as it is.
          const held = st.leaseHeld.get(campaignId, seq, claim.token) !== undefined || st.queued.get(campaignId, seq)?.token === claim.token;
          if (!held) return false;
          const row = st.bySeq.get(campaignId, seq);
          if (!row) return false;
          const body = JSON.parse(row.doc) as ContactBody;
          st.rewrite.run(JSON.stringify({ ...body, progress }), campaignId, seq);
          return true;
        })
        .immediate();
    } catch (err) {
      failed(err, 'saving the dialer\'s progress');
    }
  }

  /** `blockOf`: the blocklist's check of a number (blocklist.ts), run inside this batch's transaction. */
  async markProgressBatch(entries: ProgressMark[], blocklist?: BlocklistCheck, blockOf?: (number: string) => BlockEntry | undefined): Promise<ProgressMarked[]> {
    checkProgressMarks(entries, blocklist);
    const st = this.st;
    try {
      return this.handle
        .transaction((): ProgressMarked[] =>
          entries.map(({ claim, progress, number }): ProgressMarked => {
            const { campaignId, seq } = claim.contact;
            const blocked = blocklist && blockOf && number !== undefined ? blockOf(number) : undefined;
            if (blocked) return { saved: false, blocked };
            // Held as in markProgress; one transaction for the batch (one commit: with durability full, one sync).
            const held = st.leaseHeld.get(campaignId, seq, claim.token) !== undefined || st.queued.get(campaignId, seq)?.token === claim.token;
            if (!held) return { saved: false };
            const row = st.bySeq.get(campaignId, seq);
            if (!row) return { saved: false };
            const body = JSON.parse(row.doc) as ContactBody;
            st.rewrite.run(JSON.stringify({ ...body, progress }), campaignId, seq);
            return { saved: true };
          }),
        )
        .immediate();
    } catch (err) {
      failed(err, 'saving the dialer\'s progress');
    }
  }

  async reclaimLeases(campaignId: string, worker: string, now: number, leaseMs: number): Promise<Claim[]> {
    checkReclaim(campaignId, worker, now, leaseMs);
    const st = this.st;
    const until = now + leaseMs;
    try {
      return this.handle
        .transaction((): Claim[] => {
          const taken: { seq: number; token: string }[] = [];
          // The worker's leases, running or run out but not yet back in the queue: a new token and end.
          for (const l of st.leasesOf.all(campaignId, worker)) {
            const token = `${l.seq}.${leaseToken()}`;
            st.relet.run(token, until, campaignId, l.seq);
            taken.push({ seq: l.seq, token });
          }
          // Its expired leases back in the queue with its token (nobody re-claimed them; a queued row has a worker only then).
          for (const q of st.queuedOf.all(campaignId, worker)) {
            const token = `${q.seq}.${leaseToken()}`;
            st.dequeue.run(campaignId, q.rank, q.seq);
            st.lease.run(campaignId, q.seq, token, worker, until);
            taken.push({ seq: q.seq, token });
          }
          taken.sort((a, b) => a.seq - b.seq);
          return taken.map(({ seq, token }) => ({ contact: toContact(st.bySeq.get(campaignId, seq) as ContactRow), token, worker, leaseUntil: until }));
        })
        .immediate();
    } catch (err) {
      failed(err, 'taking back leases');
    }
  }
}
