/**
 * How a tick's contacts are dialed. Their attempts (number, attempt, a new
 * channel id, the connection and the next caller number in rotation) are
 * written ahead, at the tick before, in one write with the blocklist
 * checked in it, flagged `prewritten` (prepare()); the tick that allows
 * them sends their originate requests with no store write before them,
 * spread over the tick in groups at least SPREAD_STEP_MS apart (place()),
 * and a write sent right after each group's requests (in the next turn of
 * the event loop) marks them dialed (the flag dropped); nothing waits for it.
 *
 * Why spread: a tick's calls sent at once (100 at a time a second) queue
 * behind one another for the connection's sockets (32, lib/ari/rest.ts)
 * and reach Asterisk and the trunk as a burst; spread, each group goes out
 * as soon as its moment comes, and the pace is even within the second, as
 * the specification advises ("a fixed number of outbound calls on average
 * with proper intervals rather than all at once") and as carriers' calls
 * per second limits expect. How many calls a tick places is unchanged
 * (pacing.ts). A contact waiting for its moment is still held by the
 * claims ahead: a hand-back (suspend, stop, close, outside hours) or a
 * lost lease takes it out, and it is not dialed.
 *
 * Crash safety: every attempt is in the store before its originate request.
 * After a crash, a `prewritten` attempt whose channel Asterisk does not know
 * was not dialed: the contact goes back to the queue, its attempt number
 * unchanged (in-flight.ts's resume()); one Asterisk knows is resumed as any
 * call in flight. A crash in the milliseconds between the requests and the
 * mark's commit leaves dialed calls unmarked: their channel ids, written to
 * the dial journal before the requests (dial-journal.ts), tell a restart
 * that one whose channel is gone was dialed. A contact whose attempt was
 * written ahead too long ago (PREPARED_FOR_MS: a tick that came late, a
 * process that stalled, a slow pace), or whose connection has no free
 * channel at the dial, is written again before its dial, as a tick's first
 * contacts are (no write ahead yet): that write checks the lease and the
 * blocklist again.
 *
 * Apart from dialer.ts because it is what one tick does with the contacts
 * it was given, not when ticks come or whom they claim (ticker.ts,
 * tick.ts, claims-ahead.ts); the calls it places are the calls in flight's
 * (in-flight.ts).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { CAMPAIGN_CHANNEL_PREFIX } from '../call/registry';
import type { Logger } from '../log';
import type { CampaignSettings } from '../schemas/campaign';
import type { ProgressMark, Store } from '../store/port';
import type { DialJournal } from './dial-journal';
import type { ClaimsAhead, Prepared, ReadyContact } from './claims-ahead';
import type { Clock } from './clock';
import type { CallsInFlight } from './in-flight';
import type { InFlight } from './policy';
import type { Trunk, TrunkGroup } from './trunks';

/**
 * The oldest an attempt written ahead may be when its tick dials it without
 * writing again (clock ms). Another instance takes this dialer's leases over
 * only after DEAD_MS (20 s) without its heartbeat (every 5 s): a write ahead
 * younger than 5 s was made under a lease nobody can have taken over yet,
 * with 10 s to spare for hosts' clocks. Paces of a tick this long or more
 * write before the dial, as before.
 */
export const PREPARED_FOR_MS = 5_000;

/**
 * The shortest time between two groups of a tick's calls: a tick of 1 s
 * sends at most 20 groups (100 a second: 5 calls every 50 ms), so a
 * group's requests find sockets free, and the marks that follow them are
 * at most 20 small writes a second.
 */
export const SPREAD_STEP_MS = 50;

export interface PlacingContext {
  clock: Clock;
  store(): Store;
  settings(): CampaignSettings;
  log(): Logger;
  /** The connections and their caller numbers (trunks.ts). */
  trunks: TrunkGroup;
  ahead: ClaimsAhead;
  calls: CallsInFlight;
  track(p: Promise<void>): void;
  /** Whether the task may dial at `now` (its end time has not passed; within its calling hours). */
  dials(now: number): boolean;
  /** Where the calls sent and not yet marked dialed are kept (dial-journal.ts). */
  journal?: DialJournal;
}

/** A tick: when it started (`at`, performance.now(); `now`, the campaign clock) and the time to the next (`ms`). */
export interface TickMoment {
  at: number;
  now: number;
  ms: number;
}

/** One tick's figures for the benchmarks (in-flight.ts's DialerStats). */
interface TickFigures {
  /** When the tick started (performance.now()). */
  at: number;
  placed: number;
  writtenMs: number;
  writtenAtTick: number;
  prewriteMs?: number;
  sendCpuMs: number;
}

export class Placing {
  constructor(private readonly ctx: PlacingContext) {}

  /** Timers of groups of the tick under way still to be sent. */
  private readonly slots = new Set<() => void>();

  /**
   * Dials the tick's contacts: those written
   * ahead spread over the tick, their first group now, the others after
   * one write, at once. Returns how many were placed or were set to wait
   * for their moment in the tick (the tick's figures count the calls
   * dialed, when they are).
   */
  async place(ready: ReadyContact[], tick: TickMoment): Promise<number> {
    const tickAt = tick.at;
    if (ready.length === 0) return 0;
    const { ctx } = this;
    const { direct, rest } = this.dialable(ready, PREPARED_FOR_MS);
    const figures: TickFigures = { at: tickAt, placed: 0, writtenMs: 0, writtenAtTick: 0, sendCpuMs: 0 };
    // The write that marks the first group dialed goes to the store before anything else this dialer asks of it.
    let placed = 0;
    if (direct.length > 0) {
      await this.spread(direct, tick, figures);
      placed += direct.length;
    }
    if (rest.length > 0) placed += await this.writeAndDial(rest, tickAt, figures);
    if (ctx.calls.collectStats && figures.placed > 0) ctx.calls.stats.ticks.push(figures);
    return placed;
  }

  /** No group of the tick under way is sent any more (the dialer closes; its contacts were handed back). */
  stop(): void {
    for (const cancel of this.slots) cancel();
    this.slots.clear();
  }

  /**
   * The contacts written ahead, in at most tickMs / SPREAD_STEP_MS groups
   * evenly apart over the tick: the first now, each other one at its
   * moment (the campaign clock), held by the claims ahead until then.
   */
  private async spread(direct: { r: ReadyContact; p: Prepared }[], tick: TickMoment, figures: TickFigures): Promise<void> {
    const { ctx } = this;
    const { at: tickAt, ms: tickMs } = tick;
    const n = direct.length;
    const groups = Math.max(1, Math.min(n, Math.floor(tickMs / SPREAD_STEP_MS)));
    const step = tickMs / groups;
    const groupOf = (i: number): { r: ReadyContact; p: Prepared }[] => direct.slice(Math.floor((i * n) / groups), Math.floor(((i + 1) * n) / groups));
    const later = direct.slice(groupOf(0).length);
    // Each keeps the channel the tick counted for it until its moment: no other task, nor a later tick, takes it.
    for (const { r, p } of later) {
      ctx.trunks.hold(p.trunk);
      ctx.ahead.wait(r, () => ctx.trunks.release(p.trunk));
    }
    // The time since the tick started, never less than none: a clock set back meanwhile (NTP, an administrator) would
    // put the moments that much later, past the tick.
    const since = Math.max(0, ctx.clock.now() - tick.now);
    for (let i = 1; i < groups; i += 1) {
      const group = groupOf(i);
      const slotAt = tickAt + i * step;
      const cancel = ctx.clock.after(Math.max(0, i * step - since), async () => {
        this.slots.delete(cancel);
        // No tick to report an error here (the ticker logs one of the tick's first group): logged, the tick goes on.
        try {
          await this.dialAhead(this.stillToDial(group, tickMs), slotAt, figures);
        } catch (err) {
          ctx.log().warn(`campaign ${ctx.settings().name}: ${(err as Error).message}`);
        }
      });
      this.slots.add(cancel);
    }
    await this.dialAhead(groupOf(0), tickAt, figures);
  }

  /**
   * A later group's contacts when their moment comes: those handed back or
   * lost meanwhile are not dialed; after the task's end time or outside its
   * calling hours, none is (they go back to the next tick, which hands them
   * back to the queue); one whose connection has no free channel
   * left, or whose attempt was written ahead more than PREPARED_FOR_MS and
   * the tick's length ago (a process that stalled: the tick checked it was
   * written within PREPARED_FOR_MS, and its moment is within the tick), goes
   * back to the next tick, which writes it again first. With ticks of at
   * most 3 s that is 8 s, well within the 20 s another instance waits
   * before it takes this dialer's leases over.
   */
  private stillToDial(group: { r: ReadyContact; p: Prepared }[], tickMs: number): { r: ReadyContact; p: Prepared }[] {
    const { ctx } = this;
    // Their channels given back first (all of the group's: each one counts what is free for the others).
    const kept = group.filter(({ r }) => ctx.ahead.release(r)).map(({ r }) => r);
    // The task's end time or the end of its calling hours came within the tick: the next tick hands them back.
    if (!ctx.dials(ctx.clock.now())) {
      if (kept.length > 0) ctx.ahead.putBack(kept);
      return [];
    }
    const { direct, rest } = this.dialable(kept, PREPARED_FOR_MS + tickMs);
    if (rest.length > 0) ctx.ahead.putBack(rest);
    return direct;
  }

  /**
   * Which contacts can be dialed now with no write before: their attempt
   * written ahead at most `maxAgeMs` ago and a free channel on its
   * connection (each pick counts against the next). The others lose their
   * write ahead: they are written again, on a new channel id, before their dial.
   */
  private dialable(ready: ReadyContact[], maxAgeMs: number): { direct: { r: ReadyContact; p: Prepared }[]; rest: ReadyContact[] } {
    const { ctx } = this;
    const now = ctx.clock.now();
    const free = new Map<Trunk, number>();
    const direct: { r: ReadyContact; p: Prepared }[] = [];
    const rest: ReadyContact[] = [];
    for (const r of ready) {
      const p = r.prepared;
      const left = p ? (free.get(p.trunk) ?? ctx.trunks.free(p.trunk)) : 0;
      if (p && now - p.at <= maxAgeMs && left > 0) {
        free.set(p.trunk, left - 1);
        direct.push({ r, p });
      } else {
        delete r.prepared;
        rest.push(r);
      }
    }
    return { direct, rest };
  }

  /**
   * Writes ahead the attempts of the contacts claimed for the next tick, in
   * one write, their numbers checked against the blocklist. A contact
   * blocked gets its blocked attempt; one whose lease was lost is dropped.
   * When the write fails, the next tick writes them before dialing them.
   */
  async prepare(): Promise<void> {
    const { ctx } = this;
    const todo = ctx.ahead.unprepared();
    const now = ctx.clock.now();
    const trunks = todo.length > 0 ? ctx.trunks.assign(todo.length) : [];
    // Contacts the connections have no room for now are written before their dial, at the tick.
    const ahead = todo.slice(0, trunks.length).map((r, i) => {
      const trunk = trunks[i] as Trunk;
      return { r, trunk, inflight: { ...this.attemptOf(r, trunk, now), prewritten: true as const } };
    });
    if (ahead.length === 0) return;
    const settings = ctx.settings();
    const groups = settings.blocklistGroups;
    const sentAt = performance.now();
    let stored;
    try {
      stored = await ctx.store().markProgressBatch(
        ahead.map(({ r, inflight }) => ({ claim: r.claim, progress: { ...r.claim.contact.progress, inflight }, number: inflight.number })),
        groups.length > 0 ? { groups, at: now } : undefined,
      );
    } catch (err) {
      ctx.log().warn(`campaign ${settings.name}: writing ${ahead.length} attempt(s) ahead of their dial failed, they are written right before it: ${(err as Error).message}`);
      return;
    }
    const writeMs = performance.now() - sentAt;
    const gone = new Set<ReadyContact>();
    ahead.forEach(({ r, trunk, inflight }, i) => {
      const result = stored[i];
      if (result?.saved) {
        r.prepared = { inflight, trunk, at: now, writeMs };
        return;
      }
      gone.add(r);
      if (result?.blocked) ctx.ahead.blocked(r, result.blocked, now);
      else if (ctx.ahead.holds(r)) ctx.log().warn(`campaign ${settings.name}: the lease of customer ${r.claim.contact.customerId} was lost before its attempt was written; another dialer has it`);
    });
    ctx.ahead.remove(gone);
  }

  /**
   * Sends the originate requests of contacts whose attempts were written
   * ahead (`slotAt`: their moment in the tick, performance.now()), then the
   * write that marks them dialed, in the next turn of the event loop: the
   * requests go out on their sockets first (the write's checks and its
   * hand-over to the store's thread would hold them back). Resolves once
   * that write is sent, not answered: nobody waits for it.
   */
  private async dialAhead(ready: { r: ReadyContact; p: Prepared }[], slotAt: number, figures: TickFigures): Promise<void> {
    if (ready.length === 0) return;
    const { ctx } = this;
    const cpu = ctx.calls.collectStats ? process.cpuUsage() : undefined;
    if (cpu && slotAt === figures.at) figures.writtenMs = performance.now() - slotAt;
    const now = ctx.clock.now();
    const marks: ProgressMark[] = [];
    // Kept before the requests go: a crash before their mark is stored still knows they were dialed.
    const ids = ready.map(({ p }) => p.inflight.channelId);
    ctx.journal?.sending(ids);
    for (const { r, p } of ready) {
      const { prewritten: _ahead, ...written } = p.inflight;
      // Its attempt started now, at the dial (the mark writes so).
      const inflight: InFlight = { ...written, startedAt: now };
      ctx.calls.place(r.claim, inflight, slotAt);
      marks.push({ claim: r.claim, progress: { ...r.claim.contact.progress, inflight } });
    }
    figures.placed += ready.length;
    if (cpu) {
      const used = process.cpuUsage(cpu);
      figures.sendCpuMs += (used.user + used.system) / 1000;
      figures.prewriteMs = Math.max(figures.prewriteMs ?? 0, ...ready.map(({ p }) => p.writeMs));
    }
    const turn = new Promise<void>((resolve) => setImmediate(resolve));
    ctx.track(turn.then(() => this.markDialed(marks, ids)));
    await turn;
  }

  /**
   * Marks calls dialed (their attempts written ahead). One whose outcome was
   * written first is not marked (its lease is released). When the write
   * fails, they stay `prewritten` in the store until their outcome is written.
   */
  private async markDialed(marks: ProgressMark[], ids: string[]): Promise<void> {
    try {
      const saved = await this.ctx.store().markProgressBatch(marks);
      // Only those marked: one not saved is still written ahead in the store (its outcome, once written, settles it).
      this.ctx.journal?.settled(ids.filter((_, i) => saved[i]?.saved));
    } catch (err) {
      this.ctx.log().warn(`campaign ${this.ctx.settings().name}: marking ${marks.length} call(s) dialed failed; until their outcome is written, a restart on another instance (or with no dial journal) reads them as not dialed: ${(err as Error).message}`);
    }
  }

  /** The contacts not written ahead: their attempts stored in one write (the blocklist checked in it), then dialed; returns how many. */
  private async writeAndDial(ready: ReadyContact[], tickAt: number, figures: TickFigures): Promise<number> {
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
    const attempts = ready.map((r, i) => {
      const inflight = this.attemptOf(r, trunks[i] as Trunk, now);
      return { claim: r.claim, inflight, progress: { ...r.claim.contact.progress, inflight } };
    });
    const groups = settings.blocklistGroups;
    let stored;
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
    if (figures.placed === 0) figures.writtenMs = performance.now() - tickAt;
    const cpu = ctx.calls.collectStats ? process.cpuUsage() : undefined;
    let placed = 0;
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
      figures.placed += 1;
      figures.writtenAtTick += 1;
    });
    if (cpu) {
      const used = process.cpuUsage(cpu);
      figures.sendCpuMs += (used.user + used.system) / 1000;
    }
    return placed;
  }

  /** A contact's attempt on connection `trunk` at `now`: a new channel id, the connection's next caller number. */
  private attemptOf(r: ReadyContact, trunk: Trunk, now: number): InFlight {
    const { trunks } = this.ctx;
    const inflight: InFlight = { n: r.n, number: r.number, channelId: `${CAMPAIGN_CHANNEL_PREFIX}${randomUUID()}`, startedAt: now, caller: trunks.nextCaller(trunk) };
    // A task of one connection writes attempts as before trunk groups (that connection carries them).
    if (trunks.trunks.length > 1) inflight.connection = trunk.id;
    return inflight;
  }
}
