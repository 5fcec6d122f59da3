/**
 * How a tick's contacts are dialed: their attempts (number, attempt, a new
 * channel id, the next caller number in rotation) are stored in one write,
 * with the blocklist checked in it, and the originate requests go out
 * together in the turn its answer comes. Stored before the originate so
 * that after a crash each attempt is resolved with Asterisk, never dialed
 * again.
 *
 * Apart from dialer.ts because it is what one tick does with the contacts
 * it was given, not when ticks come or whom they claim (dialer.ts,
 * claims-ahead.ts); the calls it places are the calls in flight's
 * (in-flight.ts).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { CAMPAIGN_CHANNEL_PREFIX } from '../call/registry';
import type { Logger } from '../log';
import type { CampaignSettings } from '../schemas/campaign';
import type { ProgressMarked, Store } from '../store/port';
import type { ClaimsAhead, ReadyContact } from './claims-ahead';
import type { Clock } from './clock';
import type { CallsInFlight } from './in-flight';
import type { InFlight } from './policy';
import type { TrunkGroup } from './trunks';

export interface PlacingContext {
  clock: Clock;
  store(): Store;
  settings(): CampaignSettings;
  log(): Logger;
  /** The connections and their caller numbers (trunks.ts). */
  trunks: TrunkGroup;
  ahead: ClaimsAhead;
  calls: CallsInFlight;
}

export class Placing {
  constructor(private readonly ctx: PlacingContext) {}

  /** Dials the tick's contacts (`tickAt`: when the tick started, performance.now()). Returns how many were placed. */
  async place(ready: ReadyContact[], tickAt: number): Promise<number> {
    if (ready.length === 0) return 0;
    const { ctx } = this;
    const settings = ctx.settings();
    const now = ctx.clock.now();
    // Each call's connection is chosen now and written with the attempt: it is asked about the call after a restart.
    const trunks = ctx.trunks.assign(ready.length);
    if (trunks.length < ready.length) {
      // The connections lost room since the tick counted it: the rest wait for the next tick.
      ctx.ahead.putBack(ready.splice(trunks.length));
    }
    if (ready.length === 0) return 0;
    const single = ctx.trunks.trunks.length === 1;
    const attempts = ready.map((r, i) => {
      const trunk = trunks[i] as (typeof trunks)[number];
      const inflight: InFlight = { n: r.n, number: r.number, channelId: `${CAMPAIGN_CHANNEL_PREFIX}${randomUUID()}`, startedAt: now, caller: ctx.trunks.nextCaller(trunk) };
      // A task of one connection writes attempts as before trunk groups (that connection carries them).
      if (!single) inflight.connection = trunk.id;
      return { claim: r.claim, inflight, progress: { ...r.claim.contact.progress, inflight } };
    });
    const groups = settings.blocklistGroups;
    let stored: ProgressMarked[];
    try {
      // The blocklist is checked in the same write, right before the dial (an entry added since the import counts).
      stored = await ctx.store().markProgressBatch(
        attempts.map(({ claim, progress, inflight }) => ({ claim, progress, number: inflight.number })),
        groups.length > 0 ? { groups, at: now } : undefined,
      );
    } catch (err) {
      // Nothing dialed; the leases run out and the contacts come back (to this worker after a restart, or anyone).
      ctx.log().warn(`campaign ${settings.name}: storing ${attempts.length} attempt(s) before dialing failed, none was dialed: ${(err as Error).message}`);
      return 0;
    }
    let placed = 0;
    const writtenAt = performance.now();
    const cpu = ctx.calls.collectStats ? process.cpuUsage() : undefined;
    attempts.forEach(({ claim, inflight }, i) => {
      const result = stored[i];
      if (result && !result.saved && result.blocked) {
        ctx.ahead.blocked(ready[i] as ReadyContact, result.blocked, now);
        return;
      }
      if (!result?.saved) {
        ctx.log().warn(`campaign ${settings.name}: the lease of customer ${claim.contact.customerId} was lost before dialing; another dialer has it`);
        return;
      }
      // Dialed even if the task was suspended or the dialer closed while the write was under way: the store says it is
      // in flight, and a call that was never placed would be resolved as lost after a restart.
      ctx.calls.place(claim, inflight, tickAt);
      placed += 1;
    });
    if (cpu && placed > 0) {
      const used = process.cpuUsage(cpu);
      ctx.calls.stats.ticks.push({ at: tickAt, placed, writtenMs: writtenAt - tickAt, sendCpuMs: (used.user + used.system) / 1000 });
    }
    return placed;
  }
}
