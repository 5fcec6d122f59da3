/**
 * The leases a dialer holds on its task's contacts (LEASE_MS, claims-ahead.ts):
 * those of its calls in flight (settled calls too, while their outcome waits
 * for the store) and of the contacts claimed for its next tick, renewed
 * every RENEW_MS at most; and the leases taken back, from the store after
 * a restart (this worker's) or from a dialer of another instance that
 * stopped saying it is alive (other-instances.ts): an attempt in flight is
 * resolved with Asterisk (resume.ts, through the calls in flight), a
 * contact without one goes back to the queue, due as it was (the tick
 * dials it, in hours and at pace).
 *
 * Apart from dialer.ts because it is whose contacts these are, not when or
 * whom to dial; the dialer says when to renew and when to take back.
 */
import type { Claim } from '../store/port';
import { LEASE_MS, type ClaimsAhead } from './claims-ahead';
import type { CallsInFlight } from './in-flight';
import type { ContactProgress } from './policy';
import type { TaskContext } from './task-document';

/** How often leases of calls in progress are renewed (at most). */
const RENEW_MS = 15_000;

export interface LeasesContext extends TaskContext {
  /** This dialer's worker id. */
  worker: string;
  /** The calls placed and not yet settled. */
  calls: CallsInFlight;
  /** The contacts claimed for the next tick. */
  ahead: ClaimsAhead;
  closed(): boolean;
  /** Resolves once the telephony can be asked about calls (undefined: at once). */
  whenConnected(): Promise<void> | undefined;
  track(p: Promise<void>): void;
}

export class Leases {
  private lastRenew = 0;

  constructor(private readonly ctx: LeasesContext) {}

  /** Renews the leases this dialer holds, unless it did within RENEW_MS; a lease lost to another dialer is logged. */
  async renew(now: number): Promise<void> {
    if (now - this.lastRenew < RENEW_MS) return;
    const { ctx } = this;
    this.lastRenew = now;
    // Settled calls are still in flight while their outcome waits for the store: their leases must hold too; and the
    // contacts claimed for the next tick.
    const claims = [...ctx.calls.claims(), ...ctx.ahead.claims()];
    if (claims.length === 0) return;
    const held = new Set(await ctx.store().renewLeases(ctx.campaignId, claims.map((c) => c.token), now + LEASE_MS));
    // A claim whose outcome was written (or that was handed back) during the renewal released its lease itself: only
    // one still held here was lost to another dialer.
    const still = new Set([...ctx.calls.claims(), ...ctx.ahead.claims()]);
    const lost = new Set<Claim>();
    for (const c of claims) {
      if (held.has(c.token) || !still.has(c)) continue;
      lost.add(c);
      ctx.log().warn(`campaign ${ctx.name()}: lost the lease of customer ${c.contact.customerId}${(c.contact.progress as ContactProgress).inflight ? ' during its call' : ''}`);
    }
    // A contact claimed for the next tick is another dialer's now: not dialed from here (its attempt may be written
    // ahead, and the tick dials those with no store write before: placing.ts).
    ctx.ahead.lose(lost);
  }

  /** The attempts this worker had in flight (a restart): taken back and resolved with Asterisk once it is reachable. */
  takeBackOwn(): void {
    const { ctx } = this;
    const resolve = async (): Promise<void> => {
      await ctx.whenConnected();
      if (ctx.closed()) return;
      const reclaimed = await ctx.store().reclaimLeases(ctx.campaignId, ctx.worker, ctx.clock.now(), LEASE_MS);
      for (const claim of reclaimed) this.takeBack(claim);
    };
    ctx.track(resolve().catch((err: unknown) => ctx.log().warn(`campaign ${ctx.name()}: taking back the calls in flight failed: ${(err as Error).message}`)));
  }

  /** A lease taken back: an attempt in flight is resolved; one without goes back to the queue (the tick dials it, in hours and at pace). */
  takeBack(claim: Claim): void {
    this.ctx.track(this.resolve(claim));
  }

  private async resolve(claim: Claim): Promise<void> {
    const { ctx } = this;
    try {
      const progress = claim.contact.progress as ContactProgress;
      if (progress.inflight) {
        await ctx.calls.resume(claim, progress.inflight);
        return;
      }
      await ctx.store().recordAttempt(claim, null, { state: 'due', dueAt: claim.contact.dueAt, progress: claim.contact.progress });
    } catch (err) {
      ctx.log().warn(`campaign ${ctx.name()}, customer ${claim.contact.customerId}: ${(err as Error).message}`);
    }
  }
}
