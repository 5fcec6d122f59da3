/**
 * The dialer of one outbound call task: it claims due contacts from the
 * store at the task's pace, inside its calling hours, and dials them; it
 * hands answered calls to the IVR, records every attempt and applies the
 * result policy. It is written against the ports only (store, telephony,
 * clock; what it is given and reports: dialer-port.ts), so tests drive it
 * with a manual clock and a simulated Asterisk. Its pieces: the ticks
 * (ticker.ts) and what each does (tick.ts), when the task dials
 * (task-time.ts), the contacts claimed and checked ahead of the tick that
 * dials them (claims-ahead.ts), the calls a tick may place from the task's
 * rate budget (tick-budget.ts), how a tick dials them (placing.ts), the
 * calls placed until their attempts are
 * written (in-flight.ts), the leases it holds and takes back (leases.ts),
 * the rule about the task's IVR flow (flow-guard.ts), the task's document
 * and counters (task-document.ts), what an ended attempt becomes in the
 * store and the reports (attempt-record.ts), the end of the task
 * (task-end.ts), which connection of its trunk group carries each call
 * (trunks.ts) and what its status shows (dialer-status.ts).
 *
 * What one tick does, from the task's hours to the next tick's contacts
 * claimed ahead, is tick.ts: a tick sends its originate requests together,
 * their attempts written ahead at the tick before, and marks them dialed;
 * then the next tick's contacts are claimed and their attempts written, so
 * the next tick only dials.
 *
 * Crash safety: each attempt is written to the store (the contact's
 * progress, with its pre-assigned channel id) before the originate request
 * is sent, under a lease that the dialer renews while the call lasts; one
 * written ahead and not marked dialed whose channel Asterisk does not know
 * was not dialed and goes back to the queue (placing.ts). After
 * a crash, the restarted dialer (same worker id) takes its leases back, or
 * another one finds the contacts when their leases expire, and resolves each
 * attempt that was in flight by asking Asterisk for its channel: still up,
 * the call resumes into the flow; ringing, it is watched to its end; gone,
 * the attempt is recorded as lost and the result policy decides (resume.ts).
 * An attempt is never dialed twice: a new attempt gets a new number and id.
 *
 * Faults on Asterisk's side (a call lost while it rang, or ended by the
 * system before its flow finished) are `lost`, retried under the result
 * policy (causes.ts). Several Node-RED instances may run one task on one
 * store (docs/scaling.md): leases, a shared rate budget, heartbeats and
 * take-overs (dialing-document.ts, other-instances.ts).
 *
 * The task's counters are derived from the attempts in the store when the
 * dialer starts and when the task ends (task-document.ts); in between each
 * is counted once its attempt is written (answered: at the answer).
 */
import { silentLogger, type Logger } from '../log';
import type { CampaignDocument, CampaignSettings, CampaignState } from '../schemas/campaign';
import type { Attempt } from '../schemas/store';
import type { Claim, NextStep, Store } from '../store/port';
import { recordAttempt, type AttemptRecordContext } from './attempt-record';
import type { CallbackSender } from './callback';
import { ClaimsAhead, LEASE_MS } from './claims-ahead';
import type { Clock } from './clock';
import type { PriorityMember } from './coordinator';
import type { DialerHooks, DialerOptions, DialerStatus } from './dialer-port';
import { StatusBuilder } from './dialer-status';
import { DialingShare, phaseOf } from './dialing-document';
import { FlowGuard } from './flow-guard';
import { HeldStore } from './held-store';
import { CallsInFlight, type DialerStats } from './in-flight';
import { Leases } from './leases';
import { Pacer } from './pacing';
import { OtherInstances, WATCH_MS } from './other-instances';
import { Placing } from './placing';
import { allows, transition, type Operation } from './states';
import { TaskDocument, emptyCounters, type TaskContext } from './task-document';
import { TaskEnd } from './task-end';
import { TaskTime } from './task-time';
import { Tick } from './tick';
import { TickBudget } from './tick-budget';
import { Ticker } from './ticker';
import { TrunkGroup, trunksOf } from './trunks';

export { LEASE_MS, WATCH_MS };
export type { DialerStats };
// What a dialer is given and what it tells its owner (dialer-port.ts), exported here too for its importers.
export type { AnsweredCall, CallAdopter, DialerHooks, DialerOptions, DialerProblem, DialerStatus, FinalFailure, FinishedCustomer, IdleReason } from './dialer-port';

export class Dialer implements PriorityMember {
  readonly id: string;
  private settings!: CampaignSettings;
  private store: Store;
  private readonly clock: Clock;
  private log: Logger;
  private hooks: DialerHooks;
  private callbackSender: CallbackSender | undefined;
  // Derived from the settings by apply(): the pace, and when the task dials (task-time.ts).
  private pacer!: Pacer;
  private time!: TaskTime;
  /** The task's document in the store: state, settings, counters. */
  private readonly task: TaskDocument;
  /** The calls placed and not yet settled (in-flight.ts). */
  private readonly calls: CallsInFlight;
  /** The contacts claimed for the next tick (claims-ahead.ts). */
  private readonly ahead: ClaimsAhead;
  private readonly ticker: Ticker;
  /** How a tick's contacts are dialed (placing.ts). */
  private readonly placing: Placing;
  /** The connections it dials through and which one carries each call (trunks.ts). */
  private readonly trunks: TrunkGroup;
  private closed = false;
  /** Parked across a full redeploy (park()): its store calls wait here for the next owner's store. */
  private held: HeldStore | undefined;
  private lastSave = 0;
  private remaining = 0;
  /** The rule about the task's IVR flow (flow-guard.ts). */
  private readonly flowGuard: FlowGuard;
  private readonly leaveCoordinator: () => void;
  private readonly pending = new Set<Promise<unknown>>();
  /** What the task's dialers on other instances share with this one (dialing-document.ts). */
  private readonly share: DialingShare;
  /** The task's dialers on other instances (other-instances.ts). */
  private readonly others: OtherInstances;
  /** The calls a tick may place from the task's rate budget (tick-budget.ts). */
  private readonly budget: TickBudget;
  /** The end of the task: its open contacts closed, its last counters (task-end.ts). */
  private readonly end: TaskEnd;
  /** The leases it holds, renewed, and those it takes back (leases.ts). */
  private readonly leases: Leases;
  /** What its status shows (dialer-status.ts). */
  private readonly shown: StatusBuilder;
  /** What each tick does (tick.ts). */
  private readonly tick: Tick;

  constructor(private readonly options: DialerOptions) {
    this.id = options.campaignId;
    this.apply(options.settings);
    this.store = options.store;
    this.clock = options.clock;
    this.log = options.log ?? silentLogger;
    this.hooks = options.hooks;
    this.callbackSender = options.callback;
    // What most of its pieces need of the dialer; getters, as a redeploy may hand it a new store and log (rebind()).
    const base: TaskContext = { campaignId: options.campaignId, clock: options.clock, store: () => this.store, log: () => this.log, name: () => this.settings.name };
    this.task = new TaskDocument({ ...base, inFlight: () => this.calls.size, alone: () => this.share.alone });
    this.share = new DialingShare({ campaignId: options.campaignId, worker: options.worker, store: () => this.store });
    this.ticker = new Ticker({
      clock: options.clock,
      run: () => this.tick.run(),
      active: () => !this.closed && !this.held && this.state === 'running',
      regularMs: () => this.pacer.tickMs,
      // A tick under way when the dialer was parked may fail on the store closed under it: it runs again once taken over.
      failed: (err) => {
        if (!this.held) this.log.warn(`campaign ${this.settings.name}: ${(err as Error).message}`);
      },
    });
    this.trunks = new TrunkGroup(trunksOf(options), options.coordinator, options.callerNumbers);
    // What recording an attempt needs (attempt-record.ts).
    const recording: AttemptRecordContext = {
      ...base,
      closed: () => this.closed,
      task: this.task,
      tell: (notice) => this.safely(() => notice(this.hooks)),
      finished: () => (this.remaining = Math.max(0, this.remaining - 1)),
    };
    const record = (claim: Claim, attempt: Attempt | null, next: NextStep): Promise<boolean> => recordAttempt(recording, claim, attempt, next);
    const track = (p: Promise<void>): void => this.track(p);
    this.calls = new CallsInFlight({
      options,
      trunks: this.trunks,
      settings: () => this.settings,
      days: () => this.time.days,
      state: () => this.state,
      closed: () => this.closed,
      log: () => this.log,
      hooks: () => this.hooks,
      callback: () => this.callbackSender,
      task: this.task,
      store: () => this.store,
      track,
      record,
      flowMissing: () => this.flowGuard.missing(),
      // Ticks show the counters while the task runs; after a suspend or stop, its last calls' outcomes show here.
      counted: () => {
        if (this.state !== 'running') this.emitStatus();
      },
      resync: () => this.track(this.task.sync().then(() => this.saveCounters()).catch((err: unknown) => this.log.warn(`campaign ${this.settings.name}: counting attempts failed: ${(err as Error).message}`))),
    });
    this.ahead = new ClaimsAhead({
      campaignId: options.campaignId,
      worker: options.worker,
      clock: options.clock,
      store: () => this.store,
      settings: () => this.settings,
      days: () => this.time.days,
      log: () => this.log,
      track,
      record,
      resume: (claim, inflight) => this.track(this.calls.resume(claim, inflight).catch((err: unknown) => this.log.warn(`campaign ${this.settings.name}, customer ${claim.contact.customerId}: ${(err as Error).message}`))),
    });
    // Parked: a group of the tick under way waits for the next tick, after the take-over.
    const dials = (now: number): boolean => !this.held && !this.time.ended(now) && !this.time.closed(now);
    this.placing = new Placing({ clock: options.clock, store: () => this.store, settings: () => this.settings, log: () => this.log, trunks: this.trunks, ahead: this.ahead, calls: this.calls, track, dials, ...(options.journal ? { journal: options.journal } : {}) });
    this.flowGuard = new FlowGuard({
      nextFlow: () => this.options.settings.flow,
      flow: () => this.settings.flow,
      ...(options.flowCheck ? { check: options.flowCheck } : {}),
      running: () => this.state === 'running',
      name: () => this.settings.name,
      log: () => this.log,
      suspend: (by) => this.operate('suspend', by),
      track,
    });
    this.others = new OtherInstances({
      ...base,
      task: this.task,
      share: this.share,
      closed: () => this.closed,
      calls: () => this.calls.size,
      holding: () => this.calls.size + this.ahead.size,
      takeBack: (claim) => this.leases.takeBack(claim),
      follow: (before, doc) => this.followed(before, doc),
      changed: () => this.emitStatus(),
    });
    this.leases = new Leases({
      ...base,
      worker: options.worker,
      calls: this.calls,
      ahead: this.ahead,
      closed: () => this.closed,
      whenConnected: () => this.options.whenConnected?.(),
      track,
    });
    this.budget = new TickBudget({ share: this.share, pacer: () => this.pacer, ahead: this.ahead, claim: (count, now) => this.tick.claim(count, now) });
    this.end = new TaskEnd({
      ...base,
      task: this.task,
      share: this.share,
      ahead: this.ahead,
      calls: () => this.calls.size,
      remaining: (count) => (this.remaining = count),
      countRemaining: () => this.countRemaining(),
      unschedule: () => this.unschedule(),
      acted: (state) => (this.others.acted = state),
      changed: () => this.emitStatus(),
    });
    this.shown = new StatusBuilder({
      state: () => this.state,
      counters: () => this.task.value?.counters,
      remaining: () => this.remaining,
      active: () => this.calls.size,
      problem: () => this.flowGuard.problem,
      trunks: this.trunks,
      changed: () => this.emitStatus(),
    });
    this.tick = new Tick({
      campaignId: options.campaignId,
      clock: options.clock,
      store: () => this.store,
      time: () => this.time,
      pacer: () => this.pacer,
      going: () => this.state === 'running' && !this.closed && !this.held,
      running: () => this.state === 'running',
      higher: () => options.coordinator.blockedBy(this),
      trunks: this.trunks,
      budget: this.budget,
      ahead: this.ahead,
      placing: this.placing,
      calls: this.calls,
      end: this.end,
      others: this.others,
      leases: this.leases,
      shown: this.shown,
      remaining: () => this.remaining,
      lastSave: () => this.lastSave,
      saveCounters: () => this.saveCounters(),
      countRemaining: () => this.countRemaining(),
    });
    this.leaveCoordinator = options.coordinator.join(this);
  }

  get priority(): number {
    return this.settings.priority;
  }

  get scope(): string {
    return this.options.scope ?? '';
  }

  get name(): string {
    return this.settings.name;
  }

  get state(): CampaignState {
    return this.task.state;
  }

  /** Figures for benchmarks (the calls in flight keep them once `collectStats` is on). */
  get stats(): DialerStats {
    return this.calls.stats;
  }

  get collectStats(): boolean {
    return this.calls.collectStats;
  }

  set collectStats(on: boolean) {
    this.calls.collectStats = on;
  }

  /** When the task started: its start operation (an older document: its last change), or its start time when later. */
  startedAt(): number | undefined {
    return this.time.startedAt(this.task.value);
  }

  /** Started, before its end time, with customers not final (waiting for a retry too) or calls in progress (coordinator.ts). */
  incomplete(): boolean {
    const started = this.startedAt();
    const now = this.clock.now();
    if (started === undefined || started > now || this.time.ended(now)) return false;
    return this.remaining > 0 || this.calls.size > 0 || this.ahead.size > 0;
  }

  status(): DialerStatus {
    return this.shown.build();
  }

  /**
   * Loads the task's state (creating it as a draft), takes back the
   * attempts this worker had in flight, and starts dialing if it runs.
   * Returns a note when the deployed settings were not applied (the task
   * runs: editing is allowed only while suspended or draft).
   */
  async start(): Promise<string | undefined> {
    let note: string | undefined;
    const stored = await this.task.open(this.settings.name);
    if (stored.state === 'running' && stored.settings && JSON.stringify(stored.settings) !== JSON.stringify(this.settings)) {
      note = 'the task is running, so the changed settings were not applied: suspend it, deploy, then resume';
      this.apply(stored.settings);
    }
    this.others.acted = this.state;
    // Said alive before the counters are derived: they are derived from the store only when no other instance runs the task.
    if (this.state === 'running' || this.state === 'suspended') await this.others.heartbeat();
    await this.countRemaining();
    // The counters as the attempts say (a crash loses the counts of the last seconds): before anything is counted again.
    await this.task.sync();
    if (this.task.dirty) await this.task.serial(() => this.task.save({ ...this.task.require() }, false));
    // Counted and saved just now: the ticks do it again in SAVE_MS (tick.ts).
    this.lastSave = this.clock.now();
    if (this.state === 'running') this.schedule(0);
    this.emitStatus();
    // The attempts this worker had in flight (a restart): resolved with Asterisk once it is reachable.
    this.leases.takeBackOwn();
    this.others.lastLook = this.clock.now();
    this.others.watch();
    return note;
  }

  /** Runs a user's operation (start, suspend, resume, stop, delete), one at a time; throws StateError or StoreError. */
  operate(operation: Operation, by = 'user'): Promise<CampaignState> {
    const run = async (): Promise<CampaignState> => {
      const doc = this.task.require();
      const next = transition(doc.state, operation);
      if (operation === 'start' || operation === 'resume') this.flowGuard.allow(operation);
      if (operation === 'delete') {
        const removed = await this.store.deleteContacts(this.id);
        const { startedAt: _started, ...rest } = doc;
        await this.task.save({ ...rest, state: 'draft', reason: `deleted by ${by} (${removed} contacts removed)`, counters: emptyCounters() }, true);
        this.remaining = 0;
        this.emitStatus();
        return 'draft';
      }
      if (operation === 'edit' || operation === 'load') return doc.state;
      const settings = operation === 'start' || operation === 'resume' ? this.options.settings : doc.settings;
      if (settings && settings !== this.settings) this.apply(settings);
      const saved: CampaignDocument = { ...doc, state: next, reason: `${operation} by ${by}`, name: this.settings.name };
      if (operation === 'start' || operation === 'resume') saved.settings = this.settings;
      if (operation === 'start') saved.startedAt = this.clock.now();
      await this.task.save(saved, true);
      this.others.acted = next;
      // Not running any more: the contacts claimed for the next tick go back (before a stop closes what is open), and
      // the rate budget starts over.
      if (next !== 'running') {
        await this.tick.holdOff();
        await this.budget.release(this.clock.now());
      }
      if (operation === 'stop') await this.end.stopped();
      if (next === 'running') {
        this.flowGuard.problem = undefined;
        await this.budget.startOver(this.clock.now());
        await this.countRemaining();
        this.schedule(0);
      } else this.unschedule();
      this.emitStatus();
      return next;
    };
    return this.task.serial(run);
  }

  /** Whether this dialer dials through these connections, in this order (a replaced connection means a new dialer). */
  runsOn(telephony: unknown): boolean {
    return this.trunks.sameAs(Array.isArray(telephony) ? telephony : [telephony]);
  }

  /**
   * Its owner stopped on a redeploy, which closes the store node too: until
   * the owner's next instance takes it over (rebind()), or it closes, the
   * dialer places no call and does nothing of its own (no tick, no watch of
   * other instances); its calls in flight go on, and what they ask of the
   * store (their ends: attempts, results, progress) waits for the next
   * owner's store (held-store.ts) instead of going to the closed one.
   */
  park(): void {
    if (this.closed || this.held) return;
    this.held = new HeldStore(this.store.backend);
    this.store = this.held.store;
    this.unschedule();
    this.others.stop();
  }

  /**
   * A redeploy that left the task's settings as they were hands this dialer
   * to the config node's new instance: its calls in flight stay with it. The
   * store may be a new connection to the same database (what waited while
   * parked is made on it); hooks and the callback are the new node's.
   */
  rebind(parts: { store: Store; hooks: DialerHooks; callback?: CallbackSender; log?: Logger }): void {
    this.store = parts.store;
    this.hooks = parts.hooks;
    this.callbackSender = parts.callback;
    if (parts.log) this.log = parts.log;
    const held = this.held;
    this.held = undefined;
    held?.release(parts.store);
    // Parked, it did not tick: it dials again now (the tick's budget keeps the pace: tick-budget.ts).
    if (held && this.state === 'running') this.schedule(0);
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
   * Closed while parked (nobody took it over), it has no open store: what
   * waited for one is refused, and the contacts claimed for the next tick
   * wait for their leases to run out.
   */
  async close(waitMs = 2000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unschedule();
    this.placing.stop();
    this.others.stop();
    this.leaveCoordinator();
    if (this.held) {
      this.held.refuse('the dialer closed after a redeploy with no new instance to take it over');
      await Promise.race([Promise.allSettled([...this.pending]), new Promise((r) => setTimeout(r, waitMs).unref())]);
      return;
    }
    // The contacts claimed for the next tick go back to the queue (one try; else their leases run out).
    this.track(this.ahead.handBack());
    await Promise.race([Promise.allSettled([...this.pending]), new Promise((r) => setTimeout(r, waitMs).unref())]);
    await this.saveCounters().catch(() => undefined);
  }

  // ------------------------------------------------------------------ the ticks (tick.ts)

  private schedule(delayMs: number): void {
    if (this.closed || this.held) return;
    this.ticker.schedule(delayMs);
  }

  private unschedule(): void {
    this.ticker.stop();
  }

  // ------------------------------------------------------------------ other instances

  /** The task's state changed on another instance (other-instances.ts): this dialer follows it. */
  private async followed(_before: CampaignState, doc: CampaignDocument): Promise<void> {
    if (doc.state === 'running') {
      if (doc.settings) this.apply(doc.settings);
      this.flowGuard.problem = undefined;
      this.budget.forget();
      await this.countRemaining();
      // Its ticks at a phase of their own within the tick (from the worker id), not at the instants of the instance
      // that started the task: each instance's share of the budget follows when its ticks come.
      this.schedule(phaseOf(this.options.worker, this.pacer.tickMs));
    } else {
      this.unschedule();
      await this.ahead.handBack();
      await this.end.followed(doc.state);
    }
    this.emitStatus();
  }

  // ------------------------------------------------------------------ one contact

  private track(p: Promise<void>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.warn(`campaign ${this.settings.name}: ${(err as Error).message}`);
    }
  }

  // ------------------------------------------------------------------ bookkeeping

  private async countRemaining(): Promise<void> {
    const now = this.clock.now();
    const counts = await this.store.countContacts(this.id, now);
    this.remaining = counts.total - counts.done;
    this.tick.hasDue = counts.dueNow > 0;
  }

  private async saveCounters(): Promise<void> {
    this.lastSave = this.clock.now();
    if (await this.task.saveCounters()) this.emitStatus();
    // The write found another instance's state change (it keeps it): this dialer follows it now.
    if (this.state !== this.others.acted && !this.closed) await this.others.follow();
  }

  private apply(settings: CampaignSettings): void {
    this.settings = settings;
    this.time = new TaskTime(settings);
    this.pacer = new Pacer(settings);
  }

  private emitStatus(): void {
    // Not running (any more): the watch looks for another instance's state change (keepUp does it while it runs);
    // parked, not before it is taken over.
    if (!this.held) this.others.watch();
    this.safely(() => this.hooks.status(this.status()));
  }
}
