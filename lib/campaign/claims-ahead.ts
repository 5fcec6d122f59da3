/**
 * The contacts a dialer has claimed ahead of its next tick, checked and
 * ready to dial, most of them with their attempts already written: the
 * tick that allows them then sends their originate requests with no store
 * write before them (placing.ts).
 *
 * Claiming (one transaction for the batch) and the checks before a dial
 * (the data-attribute filter, the number to call, the retry rule's days and
 * daily count) are done at the tick before, within the lease (LEASE_MS,
 * renewed like the calls' leases); the blocklist is checked in the write
 * that stores the attempts ahead (placing.ts's prepare(), one tick before
 * the dial). A contact that fails a check gets its result here; one with an
 * attempt in flight (an expired lease of a dialer that stopped) goes to the
 * calls in flight to be resolved. What is ready is handed back to the
 * queue, its progress as it was claimed (an attempt written ahead is
 * dropped, not counted), when the dialer stops dialing (suspended, stopped,
 * outside its hours, held back, closed).
 *
 * Apart from dialer.ts because it is whom to dial next, not when.
 */
import type { Logger } from '../log';
import type { CampaignSettings } from '../schemas/campaign';
import type { Attempt, BlockEntry } from '../schemas/store';
import type { Claim, NextStep, Store } from '../store/port';
import type { Clock } from './clock';
import { passesFilter } from './order';
import { afterAttempt, beforeDial, numberToCall, type AttemptEnd, type ContactProgress, type Days, type InFlight } from './policy';
import type { Trunk } from './trunks';

/** How long a claimed contact stays leased without a renewal. */
export const LEASE_MS = 60_000;

/** A contact's attempt written ahead of its dial (placing.ts): the progress stored, its connection, when it was written. */
export interface Prepared {
  /** As stored: `prewritten` set. */
  inflight: InFlight;
  trunk: Trunk;
  /** When the write was sent (clock ms): one older than PREPARED_FOR_MS is written again before its dial. */
  at: number;
  /** How long that write took (ms, for the figures). */
  writeMs: number;
}

/** A contact claimed and checked: the number to call and the attempt's number; its attempt, once written ahead. */
export interface ReadyContact {
  claim: Claim;
  number: string;
  n: number;
  prepared?: Prepared;
}

/** What the claims need of their dialer. */
export interface ClaimsContext {
  campaignId: string;
  worker: string;
  clock: Clock;
  store(): Store;
  settings(): CampaignSettings;
  days(): Days;
  log(): Logger;
  track(p: Promise<void>): void;
  /** Writes an attempt (or none) and what follows (the dialer counts and reports a final result). */
  record(claim: Claim, attempt: Attempt | null, next: NextStep): Promise<boolean>;
  /** A claimed contact has an attempt in flight (its dialer stopped): resolve it with Asterisk. */
  resume(claim: Claim, inflight: InFlight): void;
}

export class ClaimsAhead {
  private ready: ReadyContact[] = [];
  /**
   * Taken by a tick and waiting for their moment within it (placing.ts spreads a tick's calls over the tick), each
   * with what gives back the channel kept for it (called once it is released, handed back or lost).
   */
  private readonly waiting = new Map<ReadyContact, () => void>();
  /** The last claim got all it asked for: more contacts may be due. */
  lastFull = false;

  constructor(private readonly ctx: ClaimsContext) {}

  get size(): number {
    return this.ready.length;
  }

  /** The claims held here, ready or waiting (their leases are renewed with the calls'). */
  claims(): Claim[] {
    const claims = this.ready.map((r) => r.claim);
    for (const r of this.waiting.keys()) claims.push(r.claim);
    return claims;
  }

  /** Up to `count` ready contacts, in claim order; they are no longer held here. */
  take(count: number): ReadyContact[] {
    return this.ready.splice(0, count);
  }

  /** The ready contacts whose attempts are not written ahead yet. */
  unprepared(): ReadyContact[] {
    return this.ready.filter((r) => !r.prepared);
  }

  /**
   * A contact a tick took that is dialed later in it: still held here, so a hand-back or a lost lease reaches it;
   * `free` gives back the channel kept for it, once, when it leaves (released, handed back or lost).
   */
  wait(r: ReadyContact, free: () => void): void {
    this.waiting.set(r, free);
  }

  /** A waiting contact's moment came (its channel given back): whether it is still to be dialed (not handed back or lost meanwhile). */
  release(r: ReadyContact): boolean {
    const free = this.waiting.get(r);
    if (!free) return false;
    this.waiting.delete(r);
    free();
    return true;
  }

  /** Whether `r` is still held here (not taken, handed back or removed). */
  holds(r: ReadyContact): boolean {
    return this.ready.includes(r);
  }

  /** Contacts no longer to dial from here (blocked or lost at the write ahead). */
  remove(gone: ReadonlySet<ReadyContact>): void {
    if (gone.size > 0) this.ready = this.ready.filter((r) => !gone.has(r));
  }

  /** Contacts whose leases another dialer took (leases.ts renew): no longer held here, never dialed from here. */
  lose(claims: ReadonlySet<Claim>): void {
    if (claims.size === 0) return;
    this.ready = this.ready.filter((r) => !claims.has(r.claim));
    for (const r of [...this.waiting.keys()]) if (claims.has(r.claim)) this.release(r);
  }

  /** Ready contacts taken but not dialed (no connection had room for them): first again at the next tick, still claimed. */
  putBack(contacts: ReadyContact[]): void {
    this.ready.unshift(...contacts);
  }

  /**
   * Claims up to `count` due contacts at `now` (one store call), checks
   * each and keeps those to dial. The blocklist is not checked here but in
   * the write of their attempts (placing.ts).
   */
  async fill(count: number, now: number): Promise<void> {
    if (count < 1) return;
    const { ctx } = this;
    const claims = await ctx.store().claimDue(ctx.campaignId, now, count, ctx.worker, LEASE_MS);
    this.lastFull = claims.length === count;
    const settings = ctx.settings();
    for (const claim of claims) {
      const contact = claim.contact;
      const progress = contact.progress as ContactProgress;
      if (progress.inflight) {
        ctx.resume(claim, progress.inflight);
        continue;
      }
      if (!passesFilter(contact.attrs, settings.filter)) {
        this.finishWithout(claim, 'filtered-out', now);
        continue;
      }
      const target = numberToCall(contact.numbers, contact.progress, settings);
      if (!target) {
        this.finishWithout(claim, 'no-number', now);
        continue;
      }
      // The retry was planned when the last attempt ended; calling hours may have pushed it past the rule's days or the day's count.
      const overdue = beforeDial(contact, target, now, settings, ctx.days());
      if (overdue) {
        this.write(claim, null, overdue);
        continue;
      }
      this.ready.push({ claim, number: target.number, n: contact.attempts.length + 1 });
    }
  }

  /**
   * A ready contact whose number a blocklist entry blocked (the store checks
   * it in the write that stores the attempts, ahead or before the dial): the attempt is
   * recorded as blocked, and the result policy says what follows.
   */
  blocked(r: ReadyContact, block: BlockEntry, now: number): void {
    const attempt: Attempt = { n: r.n, number: r.number, startedAt: now, endedAt: now, outcome: 'blocked', worker: this.ctx.worker };
    const end: AttemptEnd = { number: r.number, outcome: 'blocked', at: now };
    if (block.until !== undefined) end.blockedUntil = block.until;
    this.write(r.claim, attempt, afterAttempt(r.claim.contact, end, this.ctx.settings(), this.ctx.days()));
  }

  /**
   * Every ready contact, and every one still waiting for its moment in the
   * tick under way, goes back to the queue, due now, as it was claimed
   * (the dialer stops dialing for now): an attempt written ahead is dropped
   * with its channel id, never dialed, and the contact's attempts are as they were.
   */
  handBack(): Promise<void> {
    const now = this.ctx.clock.now();
    const back = this.ready.splice(0);
    for (const r of [...this.waiting.keys()]) {
      this.release(r);
      back.push(r);
    }
    return Promise.all(back.map((r) => this.writeNow(r.claim, null, { state: 'due', dueAt: now, progress: r.claim.contact.progress }))).then(() => undefined);
  }

  /** A contact that ends without a dial (filtered out, no number). */
  private finishWithout(claim: Claim, code: string, now: number): void {
    const progress = { ...claim.contact.progress };
    this.write(claim, null, { state: 'done', at: now, progress, result: { code, at: now } });
  }

  private write(claim: Claim, attempt: Attempt | null, next: NextStep): void {
    this.ctx.track(this.writeNow(claim, attempt, next));
  }

  private async writeNow(claim: Claim, attempt: Attempt | null, next: NextStep): Promise<void> {
    try {
      await this.ctx.record(claim, attempt, next);
    } catch (err) {
      this.ctx.log().warn(`campaign ${this.ctx.settings().name}, customer ${claim.contact.customerId}: ${(err as Error).message}`);
    }
  }
}
