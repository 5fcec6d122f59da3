/**
 * The dialer of one outbound call task: it claims due contacts from the
 * store at the task's pace, inside its calling hours, and dials them; it
 * hands answered calls to the IVR, records every attempt and applies the
 * result policy. It is written against the ports only (store, telephony,
 * clock; what it is given and reports: dialer-port.ts), so tests drive it
 * with a manual clock and a simulated Asterisk. Its pieces: the ticks
 * (ticker.ts), the task's document and counters (task-document.ts), what
 * an ended attempt becomes in the store and the reports (attempt-record.ts).
 *
 * Crash safety: each attempt is written to the store (the contact's
 * progress, with its pre-assigned channel id) before the originate request
 * is sent, under a lease that the dialer renews while the call lasts. After
 * a crash, the restarted dialer (same worker id) takes its leases back, or
 * another one finds the contacts when their leases expire, and resolves each
 * attempt that was in flight by asking Asterisk for its channel: still up,
 * the call resumes into the flow; ringing, it is watched to its end; gone,
 * the attempt is recorded as lost and the result policy decides (resume.ts).
 * An attempt is never dialed twice: a new attempt gets a new number and id.
 *
 * Faults on Asterisk's side are not the callee's answers: a call lost while
 * it rang (Asterisk restarted, the connection came back without it) or
 * answered and ended by the system before its flow finished is `lost` and
 * retried under the result policy, as after a crash here (causes.ts).
 *
 * The task's counters are derived from the attempts in the store when the
 * dialer starts (after a crash they would lag by the last few seconds) and
 * when the task ends (task-document.ts); in between each is counted once
 * its attempt is written (answered: when the call is answered, moved to
 * failed if a fault then ends it).
 */
import { randomUUID } from 'node:crypto';
import { campaignDialString } from '../ari/dialstring';
import type { OriginateOutcome } from '../ari/port';
import type { Channel } from '../ari/types';
import { CAMPAIGN_CHANNEL_PREFIX } from '../call/registry';
import type { CampaignLink } from '../call/session';
import { silentLogger, type Logger } from '../log';
import type { CampaignDocument, CampaignSettings, CampaignState } from '../schemas/campaign';
import type { Attempt } from '../schemas/store';
import type { Claim, NextStep, Store } from '../store/port';
import { answeredReport, attemptRecord, callbackPayload, finalNotices, stepAfter, writeAttempt, type AttemptReport, type AttemptWriteContext } from './attempt-record';
import { CallingCalendar, daysOf, localToInstant } from './calendar';
import type { CallbackSender } from './callback';
import { splitUrlSecrets, urlSecrets } from './callback-secrets';
import { unansweredOutcome } from './causes';
import type { Clock } from './clock';
import type { PriorityMember } from './coordinator';
import type { DialerHooks, DialerOptions, DialerStatus, IdleReason } from './dialer-port';
import { passesFilter } from './order';
import { Pacer } from './pacing';
import { afterAttempt, beforeDial, numberToCall, type AttemptEnd, type ContactProgress, type Days, type InFlight } from './policy';
import { fateOf } from './resume';
import { allows, transition, type Operation } from './states';
import { TaskDocument, emptyCounters } from './task-document';
import { Ticker } from './ticker';

/** How long a claimed contact stays leased without a renewal. */
export const LEASE_MS = 60_000;
/** How often leases of calls in progress are renewed (at most). */
const RENEW_MS = 15_000;
/** How often the counters are saved and the remaining contacts counted. */
const SAVE_MS = 5_000;
/** The longest a closed (outside hours, held back) dialer sleeps before it looks again. */
const IDLE_LOOK_MS = 60_000;

// What a dialer is given and what it tells its owner (dialer-port.ts), exported here too for its importers.
export type { AnsweredCall, CallAdopter, DialerHooks, DialerOptions, DialerStatus, FinalFailure, FinishedCustomer, IdleReason } from './dialer-port';

/** How long to wait before asking Asterisk again about a call in flight it could not tell about. */
const RESUME_RETRY_MS = 2000;

interface Live {
  claim: Claim;
  inflight: InFlight;
  /** Called once the attempt is recorded (or given up). */
  settled: boolean;
  /** The call was answered (and counted so). */
  answered?: boolean;
}

/** Figures for benchmarks: claim-to-originate latencies (ms) and originate times. */
export interface DialerStats {
  claimToOriginate: number[];
  originates: number;
}

export class Dialer implements PriorityMember {
  readonly id: string;
  private settings!: CampaignSettings;
  private store: Store;
  private readonly clock: Clock;
  private log: Logger;
  private hooks: DialerHooks;
  private callbackSender: CallbackSender | undefined;
  // Derived from the settings by apply(): the calendar, the pace, local days, and the task's start and end as instants.
  private calendar!: CallingCalendar;
  private pacer!: Pacer;
  private days!: Days;
  private startAt: number | undefined;
  private endAt: number | undefined;
  /** The task's document in the store: state, settings, counters. */
  private readonly task: TaskDocument;
  /** What writing an attempt needs (attempt-record.ts). */
  private readonly writing: AttemptWriteContext;
  private readonly live = new Map<string, Live>();
  private readonly ticker: Ticker;
  private closed = false;
  private lastRenew = 0;
  private lastSave = 0;
  private remaining = 0;
  private hasDue = false;
  private idle: IdleReason | undefined;
  private idleDetail: string | undefined;
  private callerIndex = 0;
  private readonly leaveCoordinator: () => void;
  private readonly pending = new Set<Promise<unknown>>();
  readonly stats: DialerStats = { claimToOriginate: [], originates: 0 };
  /** Keep claim-to-originate samples (benchmarks turn it on). */
  collectStats = false;

  constructor(private readonly options: DialerOptions) {
    this.id = options.campaignId;
    this.apply(options.settings);
    this.store = options.store;
    this.clock = options.clock;
    this.log = options.log ?? silentLogger;
    this.hooks = options.hooks;
    this.callbackSender = options.callback;
    this.task = new TaskDocument({
      campaignId: options.campaignId,
      clock: options.clock,
      store: () => this.store,
      log: () => this.log,
      name: () => this.settings.name,
      inFlight: () => this.live.size,
    });
    this.ticker = new Ticker({
      clock: options.clock,
      run: () => this.dialDue(),
      active: () => !this.closed && this.state === 'running',
      regularMs: () => this.pacer.tickMs,
      failed: (err) => this.log.warn(`campaign ${this.settings.name}: ${(err as Error).message}`),
    });
    this.writing = { clock: options.clock, store: () => this.store, log: () => this.log, name: () => this.settings.name, closed: () => this.closed };
    this.leaveCoordinator = options.coordinator.join(this);
  }

  get priority(): number {
    return this.settings.priority;
  }

  get name(): string {
    return this.settings.name;
  }

  get state(): CampaignState {
    return this.task.state;
  }

  wantsToDial(): boolean {
    return this.state === 'running' && this.hasDue && this.calendar.isOpen(this.clock.now()) && this.withinTaskTime(this.clock.now());
  }

  status(): DialerStatus {
    const s: DialerStatus = {
      state: this.state,
      counters: { ...(this.task.value?.counters ?? emptyCounters()) },
      remaining: this.remaining,
      active: this.live.size,
    };
    if (this.idle && this.state === 'running') s.idle = this.idle;
    if (this.idleDetail && this.state === 'running') s.idleDetail = this.idleDetail;
    return s;
  }

  /**
   * Loads the task's state (creating it as a draft), takes back the
   * attempts this worker had in flight, and starts dialing if it runs.
   * Returns a note when the deployed settings were not applied (the task
   * runs: editing is allowed only while suspended or draft).
   */
  async start(): Promise<string | undefined> {
    let note: string | undefined;
    let stored = await this.task.load();
    if (stored) {
      // Written before callback secrets moved to credentials: the stored URL may hold one; keep it no longer.
      if (stored.settings && urlSecrets(stored.settings.callbackUrl).length > 0) {
        await this.task.save({ ...stored, settings: { ...stored.settings, callbackUrl: splitUrlSecrets(stored.settings.callbackUrl).url } }, false);
        stored = this.task.require();
      }
      if (stored.state === 'running' && stored.settings && JSON.stringify(stored.settings) !== JSON.stringify(this.settings)) {
        note = 'the task is running, so the changed settings were not applied: suspend it, deploy, then resume';
        this.apply(stored.settings);
      }
    } else {
      await this.task.create({ state: 'draft', changedAt: this.clock.now(), reason: 'created', name: this.settings.name, counters: emptyCounters() });
    }
    await this.countRemaining();
    // The counters as the attempts say (a crash loses the counts of the last seconds): before anything is counted again.
    await this.task.sync();
    if (this.task.dirty) await this.task.serial(() => this.task.save({ ...this.task.require() }, false));
    if (this.state === 'running') this.schedule(0);
    this.emitStatus();
    // The attempts this worker had in flight (a restart): resolved with Asterisk once it is reachable.
    const resolve = async (): Promise<void> => {
      await this.options.whenConnected?.();
      if (this.closed) return;
      const reclaimed = await this.store.reclaimLeases(this.id, this.options.worker, this.clock.now(), LEASE_MS);
      for (const claim of reclaimed) this.track(this.handleClaim(claim, this.clock.now(), true));
    };
    this.track(resolve().catch((err: unknown) => this.log.warn(`campaign ${this.settings.name}: taking back the calls in flight failed: ${(err as Error).message}`)));
    return note;
  }

  /** Runs a user's operation (start, suspend, resume, stop, delete), one at a time; throws StateError or StoreError. */
  operate(operation: Operation, by = 'user'): Promise<CampaignState> {
    const run = async (): Promise<CampaignState> => {
      const doc = this.task.require();
      const next = transition(doc.state, operation);
      if (operation === 'delete') {
        const removed = await this.store.deleteContacts(this.id);
        await this.task.save({ ...doc, state: 'draft', reason: `deleted by ${by} (${removed} contacts removed)`, counters: emptyCounters() }, true);
        this.remaining = 0;
        this.emitStatus();
        return 'draft';
      }
      if (operation === 'edit' || operation === 'load') return doc.state;
      const settings = operation === 'start' || operation === 'resume' ? this.options.settings : doc.settings;
      if (settings && settings !== this.settings) this.apply(settings);
      const saved: CampaignDocument = { ...doc, state: next, reason: `${operation} by ${by}`, name: this.settings.name };
      if (operation === 'start' || operation === 'resume') saved.settings = this.settings;
      await this.task.save(saved, true);
      if (operation === 'stop') {
        await this.closeOpenContacts('task-stopped');
        await this.task.sync();
        if (this.task.dirty) await this.task.save({ ...this.task.require() }, false);
      }
      if (next === 'running') {
        this.pacer.reset();
        await this.countRemaining();
        this.schedule(0);
      } else this.unschedule();
      this.emitStatus();
      return next;
    };
    return this.task.serial(run);
  }

  /** Whether this dialer dials through that connection (a replaced connection means a new dialer). */
  runsOn(telephony: unknown): boolean {
    return this.options.telephony === telephony;
  }

  /**
   * A redeploy that left the task's settings as they were hands this dialer
   * to the config node's new instance: its calls in flight stay with it. The
   * store may be a new connection to the same database; hooks and the
   * callback are the new node's.
   */
  rebind(parts: { store: Store; hooks: DialerHooks; callback?: CallbackSender; log?: Logger }): void {
    this.store = parts.store;
    this.hooks = parts.hooks;
    this.callbackSender = parts.callback;
    if (parts.log) this.log = parts.log;
    this.emitStatus();
  }

  /** Whether an operation is allowed now (the contacts node asks before loading). */
  allows(operation: Operation): boolean {
    return allows(this.state, operation);
  }

  /** Contacts were added (the remaining count changes). */
  async contactsChanged(): Promise<void> {
    await this.countRemaining();
    this.emitStatus();
  }

  /**
   * Stops dialing. Calls in progress go on; their attempts stay in flight
   * in the store for the next dialer of the task to resolve (a successor
   * after a redeploy takes the dialer over instead: see nodes/deployed/dialers.ts).
   */
  async close(waitMs = 2000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unschedule();
    this.leaveCoordinator();
    await Promise.race([Promise.allSettled([...this.pending]), new Promise((r) => setTimeout(r, waitMs).unref())]);
    await this.saveCounters().catch(() => undefined);
  }

  // ------------------------------------------------------------------ the tick

  private schedule(delayMs: number): void {
    if (this.closed) return;
    this.ticker.schedule(delayMs);
  }

  private unschedule(): void {
    this.ticker.stop();
  }

  /** One tick: renew, check the task's time and hours, then dial what pacing allows. Returns ms until the next tick. */
  private async dialDue(): Promise<number> {
    const now = this.clock.now();
    if (now - this.lastRenew >= RENEW_MS) await this.renew(now);
    if (now - this.lastSave >= SAVE_MS) {
      await this.saveCounters();
      await this.countRemaining();
    }
    const { startAt, endAt } = this;
    if (endAt !== undefined && now >= endAt) {
      await this.complete('the end time passed', 'task-ended');
      return this.pacer.tickMs;
    }
    if (startAt !== undefined && now < startAt) return this.setIdle('before-start', undefined, Math.min(startAt - now, IDLE_LOOK_MS));
    if (!this.calendar.isOpen(now)) {
      this.pacer.reset();
      const open = this.calendar.nextOpen(now);
      return this.setIdle('outside-hours', undefined, open === undefined ? IDLE_LOOK_MS : Math.max(1, Math.min(open - now, IDLE_LOOK_MS)));
    }
    const higher = this.options.coordinator.blockedBy(this);
    if (higher) {
      this.hasDue = await this.store.hasDue(this.id, now);
      return this.setIdle('higher-priority', higher.name, this.pacer.tickMs);
    }
    if (this.options.telephony.status.state !== 'connected') {
      this.pacer.tick(0);
      return this.setIdle('connection-down', this.options.telephony.status.message, this.pacer.tickMs);
    }
    const room = this.options.coordinator.free(this.options.connectionId, this.options.pool);
    const count = this.pacer.tick(room);
    if (count === 0) {
      this.hasDue = await this.store.hasDue(this.id, now);
      if (room === 0 && this.hasDue) return this.setIdle('channel-limit', undefined, this.pacer.tickMs);
      if (!this.hasDue) await this.checkDone();
      else this.setIdle(undefined);
      return this.pacer.tickMs;
    }
    const claims = await this.store.claimDue(this.id, now, count, this.options.worker, LEASE_MS);
    const claimedAt = this.clock.now();
    this.hasDue = claims.length === count || (await this.store.hasDue(this.id, now));
    for (const claim of claims) this.track(this.handleClaim(claim, claimedAt));
    if (claims.length === 0) {
      await this.checkDone();
      if (this.state === 'running') this.setIdle(this.live.size > 0 || this.remaining > 0 ? 'waiting-retries' : undefined);
    } else this.setIdle(undefined);
    return this.pacer.tickMs;
  }

  private setIdle(reason: IdleReason | undefined, detail?: string, delay = this.pacer.tickMs): number {
    if (this.idle !== reason || this.idleDetail !== detail) {
      this.idle = reason;
      this.idleDetail = detail;
      this.emitStatus();
    }
    return delay;
  }

  /** Gives every contact that is not final and not in a call the final result `code` (the task is over). */
  private async closeOpenContacts(code: string): Promise<void> {
    const now = this.clock.now();
    const closed = await this.store.closeContacts(this.id, { code, at: now }, now);
    if (closed > 0) {
      this.log.info(`campaign ${this.settings.name}: ${closed} contact(s) not called any more get the result ${code}`);
      this.task.require().counters.finished += closed;
      this.task.dirty = true;
    }
    await this.countRemaining();
  }

  private withinTaskTime(now: number): boolean {
    return (this.startAt === undefined || now >= this.startAt) && (this.endAt === undefined || now < this.endAt);
  }

  /** Completes the task when every contact is final and nothing is in flight. */
  private async checkDone(): Promise<void> {
    if (this.live.size > 0) return;
    const counts = await this.store.countContacts(this.id, this.clock.now());
    this.remaining = counts.total - counts.done;
    if (counts.total > 0 && counts.done === counts.total) await this.complete('every contact has its final result');
  }

  /** Completes the task; with `closeCode`, every contact not final yet gets it as its final result. */
  private async complete(reason: string, closeCode?: string): Promise<void> {
    await this.task.serial(() => this.completeNow(reason, closeCode));
  }

  private async completeNow(reason: string, closeCode?: string): Promise<void> {
    const doc = this.task.require();
    if (doc.state !== 'running') return;
    this.unschedule();
    await this.task.save({ ...doc, state: 'completed', reason }, true);
    if (closeCode) await this.closeOpenContacts(closeCode);
    await this.task.sync();
    if (this.task.dirty) await this.task.save({ ...this.task.require() }, false);
    this.log.info(`campaign ${this.settings.name} completed: ${reason}`);
    this.emitStatus();
  }

  // ------------------------------------------------------------------ one contact

  private track(p: Promise<void>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private async handleClaim(claim: Claim, claimedAt: number, reclaimed = false): Promise<void> {
    try {
      const progress = claim.contact.progress as ContactProgress;
      if (progress.inflight) {
        await this.resume(claim, progress.inflight);
        return;
      }
      // A lease taken back at a restart without a call in flight goes back to the queue: the tick dials it, in hours and at pace.
      if (reclaimed || this.state !== 'running' || this.closed) {
        await this.store.recordAttempt(claim, null, { state: 'due', dueAt: claim.contact.dueAt, progress: claim.contact.progress });
        return;
      }
      await this.dial(claim, claimedAt);
    } catch (err) {
      this.log.warn(`campaign ${this.settings.name}, customer ${claim.contact.customerId}: ${(err as Error).message}`);
    }
  }

  private async dial(claim: Claim, claimedAt: number): Promise<void> {
    const contact = claim.contact;
    const now = this.clock.now();
    if (!passesFilter(contact.attrs, this.settings.filter)) {
      await this.finishWithout(claim, 'filtered-out', now);
      return;
    }
    const target = numberToCall(contact.numbers, contact.progress, this.settings);
    if (!target) {
      await this.finishWithout(claim, 'no-number', now);
      return;
    }
    // The retry was planned when the last attempt ended; calling hours may have pushed it past the rule's days or the day's count.
    const overdue = beforeDial(contact, target, now, this.settings, this.days);
    if (overdue) {
      await this.record(claim, null, overdue);
      return;
    }
    const n = contact.attempts.length + 1;
    // The blocklist is checked right before each dial (an entry added since the import counts).
    if (this.settings.blocklistGroups.length > 0) {
      const block = await this.store.findBlock(this.settings.blocklistGroups, target.number, now);
      if (block) {
        const attempt: Attempt = { n, number: target.number, startedAt: now, endedAt: now, outcome: 'blocked', worker: this.options.worker };
        const end: AttemptEnd = { number: target.number, outcome: 'blocked', at: now };
        if (block.until !== undefined) end.blockedUntil = block.until;
        await this.record(claim, attempt, afterAttempt(contact, end, this.settings, this.days));
        return;
      }
    }
    const inflight: InFlight = { n, number: target.number, channelId: `${CAMPAIGN_CHANNEL_PREFIX}${randomUUID()}`, startedAt: now, caller: this.nextCaller() };
    // Persisted before the originate: after a crash, this attempt is resolved, never dialed again.
    if (!(await this.store.markProgress(claim, { ...contact.progress, inflight }))) {
      this.log.warn(`campaign ${this.settings.name}: the lease of customer ${contact.customerId} was lost before dialing; another dialer has it`);
      return;
    }
    const live: Live = { claim, inflight, settled: false };
    this.live.set(inflight.channelId, live);
    this.options.calls.claim(inflight.channelId);
    this.options.coordinator.ringingStarted(this.options.connectionId);
    let ringing = true;
    const stopRinging = (): void => {
      if (!ringing) return;
      ringing = false;
      this.options.coordinator.ringingEnded(this.options.connectionId);
    };
    this.task.count('dialed');
    if (this.collectStats) {
      this.stats.claimToOriginate.push(this.clock.now() - claimedAt);
      this.stats.originates += 1;
    }
    let outcome: OriginateOutcome;
    try {
      const variables: Record<string, string> = { CALLFLOW_CAMPAIGN: this.id, CALLFLOW_CUSTOMER: contact.customerId };
      const started = await this.options.telephony.originate({
        channelId: inflight.channelId,
        endpoint: campaignDialString(this.settings.dialString, target.number, this.options.destinations),
        callerId: inflight.caller,
        timeoutSec: this.settings.maxResponseSec,
        appArgs: this.settings.flow ? [this.settings.flow] : ['campaign', this.id],
        variables,
      });
      outcome = await started.outcome;
    } catch (err) {
      stopRinging();
      this.log.warn(`campaign ${this.settings.name}: originating to ${target.number} failed: ${(err as Error).message}`);
      await this.finishAttempt(live, { outcome: 'originate-failed' });
      return;
    }
    stopRinging();
    // A dialer closed meanwhile (a redeploy) leaves the call to its successor, which takes the lease back.
    if (this.closed) return;
    if (outcome.answered) this.answered(live, outcome.channel, false);
    else if (outcome.lost === 'closed') {
      // The connection closed for good while it rang: the channel may still ring, so the attempt stays in flight for
      // the dialer of the next connection to resolve (this one is about to close too).
      this.log.info(`campaign ${this.settings.name}: the connection closed while call ${inflight.channelId} to ${target.number} rang; it is resolved when the task starts again`);
    } else {
      const end = unansweredOutcome(outcome);
      await this.finishAttempt(live, { ...end, cause: outcome.cause, ...(outcome.dialStatus ? { dialStatus: outcome.dialStatus } : {}) });
    }
  }

  /** An attempt that was in flight when a dialer stopped: find out from Asterisk what became of it (resume.ts). */
  private async resume(claim: Claim, inflight: InFlight, tries = 1): Promise<void> {
    const live: Live = { claim, inflight, settled: false };
    this.live.set(inflight.channelId, live);
    this.options.calls.claim(inflight.channelId);
    const fate = await fateOf(this.options.telephony, this.clock, inflight.channelId, this.settings.maxResponseSec * 1000 + 5000);
    if (fate.kind === 'unknown') {
      // Asterisk cannot say now: ask again shortly (the lease is renewed meanwhile, as for any call in flight).
      if (tries === 1) this.log.warn(`campaign ${this.settings.name}: cannot tell what became of call ${inflight.channelId} yet: ${fate.error.message}`);
      if (!this.closed) this.clock.after(RESUME_RETRY_MS, () => this.track(this.resume(claim, inflight, tries + 1)));
      return;
    }
    if (fate.kind === 'answered') {
      this.log.info(`campaign ${this.settings.name}: call ${inflight.channelId} to ${inflight.number} is still up after a restart; it goes on in the flow`);
      this.answered(live, fate.channel, true);
      return;
    }
    await this.finishAttempt(live, fate.end);
  }

  private answered(live: Live, channel: Channel, resumed: boolean): void {
    const { claim, inflight } = live;
    const contact = claim.contact;
    const link: CampaignLink = { id: this.id, name: this.settings.name, customerId: contact.customerId, attempt: inflight.n, number: inflight.number };
    if (contact.custom) link.custom = contact.custom;
    const session = this.options.calls.adopt(channel, { caller: { number: inflight.caller, name: '' }, dialed: inflight.number, campaign: link });
    const answeredAt = this.clock.now();
    // Counted here whether placed or resumed: the counters a restarted dialer derives from the store hold no call in flight.
    this.task.count('answered');
    live.answered = true;
    // A resumed call's connect callback was sent by the dialer that placed it.
    if (!resumed) this.callback('connect', live, '');
    const ended = (): void => {
      const talkSec = Math.max(0, Math.round((this.clock.now() - answeredAt) / 100) / 10);
      this.track(this.finishAttempt(live, answeredReport(session, talkSec)));
    };
    if (session.signal.aborted) ended();
    else session.signal.addEventListener('abort', ended, { once: true });
    try {
      this.hooks.answered({ session, customerId: contact.customerId, number: inflight.number, attempt: inflight.n, resumed });
    } catch (err) {
      this.log.warn(`campaign ${this.settings.name}: handing call ${session.id} to the flow failed: ${(err as Error).message}`);
    }
  }

  private async finishAttempt(live: Live, end: AttemptReport): Promise<void> {
    if (live.settled) return;
    // A closing dialer (Node-RED stopping) leaves the attempt in flight: the next start resolves it with Asterisk.
    if (this.closed) return;
    live.settled = true;
    const { claim, inflight } = live;
    const now = this.clock.now();
    const attempt = attemptRecord(inflight, end, now, this.options.worker);
    // The task ended while this call was in flight: no retry will come, so this attempt's outcome is final.
    const next = stepAfter(claim.contact, inflight, end, now, this.settings, this.days, this.state === 'completed' || this.state === 'stopped');
    let recorded = false;
    try {
      // While this waits for the store, the entry stays live: its lease is renewed, so nobody else resolves it.
      recorded = await this.record(claim, attempt, next);
    } finally {
      this.live.delete(inflight.channelId);
    }
    // Counted once written, as a tally of the store counts it; an answered call a fault ended moves to failed.
    if (recorded && end.outcome !== 'answered') {
      this.task.count('failed');
      if (live.answered) this.task.count('answered', -1);
    }
    if (this.task.resyncDue()) {
      this.track(this.task.sync().then(() => this.saveCounters()).catch((err: unknown) => this.log.warn(`campaign ${this.settings.name}: counting attempts failed: ${(err as Error).message}`)));
    }
    if (recorded && (end.outcome !== 'answered' || next.state === 'done')) this.callback('release', live, end.outcome === 'answered' ? '' : end.outcome);
  }

  /** A contact that ends without a dial (filtered out, no number). */
  private async finishWithout(claim: Claim, code: string, now: number): Promise<void> {
    const progress = { ...claim.contact.progress };
    const next: NextStep = { state: 'done', at: now, progress, result: { code, at: now } };
    await this.record(claim, null, next);
  }

  /**
   * Writes an attempt and what follows (attempt-record.ts); a dialer that
   * closes leaves the attempt in flight for the next start to resolve. A
   * final result is counted and reported to the hooks.
   */
  private async record(claim: Claim, attempt: Attempt | null, next: NextStep): Promise<boolean> {
    if (!(await writeAttempt(this.writing, claim, attempt, next))) return false;
    if (next.state !== 'done') return true;
    this.task.count('finished');
    this.remaining = Math.max(0, this.remaining - 1);
    const { failure, finished } = finalNotices(claim.contact, attempt, next.result);
    if (failure) this.safely(() => this.hooks.finalFailure(failure));
    this.safely(() => this.hooks.finished(finished));
    return true;
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.warn(`campaign ${this.settings.name}: ${(err as Error).message}`);
    }
  }

  private nextCaller(): string {
    const list = this.options.callerNumbers;
    if (list.length === 0) return '';
    const n = list[this.callerIndex % list.length] ?? '';
    this.callerIndex = (this.callerIndex + 1) % list.length;
    return n;
  }

  private callback(event: 'connect' | 'release', live: Live, failCode: string): void {
    if (!this.callbackSender) return;
    this.callbackSender.send(event, callbackPayload(this.id, this.options.connectionId, live.claim, live.inflight, failCode));
  }

  // ------------------------------------------------------------------ bookkeeping

  private async renew(now: number): Promise<void> {
    this.lastRenew = now;
    // Settled entries are still here while their outcome waits for the store: their leases must hold too.
    const tokens = [...this.live.values()].map((l) => l.claim.token);
    if (tokens.length === 0) return;
    const held = new Set(await this.store.renewLeases(this.id, tokens, now + LEASE_MS));
    for (const l of this.live.values()) if (!held.has(l.claim.token)) this.log.warn(`campaign ${this.settings.name}: lost the lease of customer ${l.claim.contact.customerId} during call ${l.inflight.channelId}`);
  }

  private async countRemaining(): Promise<void> {
    const now = this.clock.now();
    const counts = await this.store.countContacts(this.id, now);
    this.remaining = counts.total - counts.done;
    this.hasDue = counts.dueNow > 0;
  }

  private async saveCounters(): Promise<void> {
    this.lastSave = this.clock.now();
    if (await this.task.saveCounters()) this.emitStatus();
  }

  private apply(settings: CampaignSettings): void {
    this.settings = settings;
    this.calendar = new CallingCalendar(settings.hours, settings.timezone);
    this.pacer = new Pacer(settings);
    this.days = daysOf(this.calendar, settings.timezone);
    this.startAt = settings.startAt ? localToInstant(settings.startAt, settings.timezone) : undefined;
    this.endAt = settings.endAt ? localToInstant(settings.endAt, settings.timezone) : undefined;
  }

  private emitStatus(): void {
    this.safely(() => this.hooks.status(this.status()));
  }
}
