/**
 * What one tick of a dialer does. It checks the task's time and calling
 * hours, what holds it back (a task of higher priority, no connection up,
 * no free channel), takes the calls it may place from the task's rate
 * budget (tick-budget.ts) and dials them (placing.ts); then it claims and
 * checks the next tick's contacts, writes their attempts (placing.ts) and,
 * alone on the task, takes their calls from the pace: the next tick only
 * dials. After the dial, whether it went well or not, it renews the leases,
 * says this dialer is alive and saves the counters (keepUp). It returns how
 * long until the next tick, which ticker.ts keeps without drift.
 *
 * Apart from dialer.ts because it is the tick's order of steps over the
 * dialer's pieces, not the task's life (its operations, start, close,
 * another instance's state change followed); the dialer schedules the
 * ticks and hands each to run().
 */
import { performance } from 'node:perf_hooks';
import type { Store } from '../store/port';
import type { ClaimsAhead } from './claims-ahead';
import type { Clock } from './clock';
import type { PriorityMember } from './coordinator';
import type { IdleReason } from './dialer-port';
import type { StatusBuilder } from './dialer-status';
import type { CallsInFlight } from './in-flight';
import type { Leases } from './leases';
import { WATCH_MS, type OtherInstances } from './other-instances';
import type { Pacer } from './pacing';
import { PREPARED_FOR_MS, type Placing } from './placing';
import type { TaskEnd } from './task-end';
import type { TaskTime } from './task-time';
import type { TickBudget } from './tick-budget';
import type { TrunkGroup } from './trunks';

/** How often the counters are saved and the remaining contacts counted. */
const SAVE_MS = 5_000;

export interface TickContext {
  campaignId: string;
  clock: Clock;
  store(): Store;
  /** When the task dials, and its pace (both replaced when the task's settings change). */
  time(): TaskTime;
  pacer(): Pacer;
  /** Running and not closed: the tick's calls go on, the next tick's contacts are claimed. */
  going(): boolean;
  running(): boolean;
  /** A task of higher priority with contacts due that holds this one back (coordinator.ts). */
  higher(): PriorityMember | undefined;
  trunks: TrunkGroup;
  budget: TickBudget;
  ahead: ClaimsAhead;
  placing: Placing;
  calls: CallsInFlight;
  end: TaskEnd;
  others: OtherInstances;
  leases: Leases;
  shown: StatusBuilder;
  /** The contacts not final, as last counted. */
  remaining(): number;
  /** When the counters were last saved. */
  lastSave(): number;
  saveCounters(): Promise<void>;
  /** Counts the contacts not final and those due now (hasDue). */
  countRemaining(): Promise<void>;
}

export class Tick {
  /** Whether any contact is due (claimed for the next tick, or due in the store), as the last tick or count found. */
  hasDue = false;

  constructor(private readonly ctx: TickContext) {}

  /** One tick: check the task's time and hours, dial what pacing allows, then renew and count. Returns ms until the next tick. */
  async run(): Promise<number> {
    const tickAt = performance.now();
    const now = this.ctx.clock.now();
    try {
      return await this.tick(now, tickAt);
    } finally {
      // The leases, the counters and the count of what is left: after the dial, which does not wait for them, and
      // whether it went well or not (a store that refuses claims may still renew the leases of the calls in flight).
      await this.keepUp(now);
      this.ctx.shown.spreadChanged();
    }
  }

  /** Claims contacts (said alive first), at `at`, until `count` are held for the next tick. */
  async claim(count: number, now: number, at = now): Promise<void> {
    const { ahead, others } = this.ctx;
    if (ahead.size >= count) return;
    await others.beforeClaim(now);
    await ahead.fill(count - ahead.size, at);
  }

  /** Not dialing at the next tick: the calls reserved for it lapse and its contacts go back to the queue. */
  async holdOff(): Promise<void> {
    this.ctx.budget.forget();
    await this.ctx.ahead.handBack();
  }

  private async keepUp(now: number): Promise<void> {
    const { ctx } = this;
    // While the task runs, its ticks say this dialer is alive and look for another instance's state change.
    if (now - ctx.others.lastLook >= WATCH_MS) await ctx.others.look(now);
    await ctx.leases.renew(now);
    if (now - ctx.lastSave() >= SAVE_MS) {
      await ctx.saveCounters();
      await ctx.countRemaining();
      // Counted after this tick claimed the next one's contacts: those are due too.
      if (ctx.ahead.size > 0) this.hasDue = true;
    }
  }

  private async tick(now: number, tickAt: number): Promise<number> {
    const { ctx } = this;
    const time = ctx.time();
    if (time.ended(now)) {
      await ctx.end.complete('the end time passed', 'task-ended');
      return ctx.pacer().tickMs;
    }
    // Not dialing at this tick for a while (below): the contacts claimed for it go back to the queue. Outside its
    // hours, the pace starts over.
    const closed = time.closed(now);
    if (closed) {
      await this.holdOff();
      if (closed === 'outside-hours') await ctx.budget.startOver(now);
      return this.setIdle(closed, undefined, time.waitMs(now));
    }
    const higher = ctx.higher();
    if (higher) {
      await this.holdOff();
      return this.setIdle('higher-priority', higher.name, ctx.pacer().tickMs);
    }
    if (ctx.trunks.allDown()) {
      // No connection to dial through: nothing is claimed, no contact consumed; the task waits.
      await this.holdOff();
      ctx.pacer().tick(0);
      return this.setIdle('connection-down', ctx.trunks.whyDown(), ctx.pacer().tickMs);
    }
    // The free channels of the connections that are up (trunks.ts: none on one down, none kept for a tick's waiting calls).
    const room = ctx.trunks.room();
    // What this tick may place: the free channels, the pace's most for a tick, the contacts claimed, and what the
    // task's rate budget, shared by every instance, gives it (alone on the task, taken at the tick before: tick-budget.ts).
    const count = await ctx.budget.take(now, room);
    if (count === 0) {
      // Contacts claimed for a tick the channel limit holds back wait for the next (their leases are renewed).
      this.hasDue = ctx.ahead.size > 0 || (await ctx.store().hasDue(ctx.campaignId, now));
      if (room === 0 && this.hasDue) {
        // Calls that find no free channel are not saved up for a burst (pacing.ts).
        await ctx.budget.drop(now);
        return this.setIdle('channel-limit', undefined, ctx.pacer().tickMs);
      }
      // The budget gave this tick nothing (the pace is below a call a tick, or another instance took it): alone, the
      // next tick's share is taken now, as after a tick that dialed.
      if (ctx.ahead.size > 0) {
        await this.prepare();
        await ctx.budget.reserve(now, room);
      }
      // Nothing due for any instance: calls the budget holds are not saved up for a burst later.
      if (!this.hasDue) await ctx.budget.drop(now);
      if (!this.hasDue) await ctx.end.checkDone();
      else this.setIdle(undefined);
      return ctx.pacer().tickMs;
    }
    const placed = await ctx.placing.place(ctx.ahead.take(count), { at: tickAt, now, ms: ctx.pacer().tickMs });
    // The next tick's contacts, claimed and checked now (within their lease), and their attempts written: the next tick
    // only dials (placing.ts).
    if (ctx.going()) await this.claim(Math.min(ctx.pacer().upcoming(), ctx.pacer().most), now, ctx.clock.now());
    await this.prepare();
    // The calls of this tick still waiting for their moment in it keep their channels (trunks.ts hold()).
    if (ctx.going()) await ctx.budget.reserve(now, ctx.trunks.room());
    // Suspended, stopped or closed while they were claimed: they go back.
    if (!ctx.going()) await ctx.ahead.handBack();
    this.hasDue = ctx.ahead.size > 0 || ctx.ahead.lastFull || (await ctx.store().hasDue(ctx.campaignId, now));
    if (placed === 0 && ctx.ahead.size === 0) {
      await ctx.end.checkDone();
      if (ctx.running()) this.setIdle(ctx.calls.size > 0 || ctx.remaining() > 0 ? 'waiting-retries' : undefined);
    } else this.setIdle(undefined);
    return ctx.pacer().tickMs;
  }

  /** The next tick's attempts written ahead, at a pace of ticks shorter than PREPARED_FOR_MS (placing.ts). */
  private async prepare(): Promise<void> {
    if (this.ctx.going() && this.ctx.pacer().tickMs < PREPARED_FOR_MS) await this.ctx.placing.prepare();
  }

  private setIdle(reason: IdleReason | undefined, detail?: string, delay = this.ctx.pacer().tickMs): number {
    // With calls in flight, the ticks go on saying this dialer is alive (dialing-document.ts: DEAD_MS).
    if (this.ctx.calls.size > 0) delay = Math.min(delay, WATCH_MS);
    this.ctx.shown.idle(reason, detail);
    return delay;
  }
}
