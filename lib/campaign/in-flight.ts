/**
 * The calls a dialer has placed and not yet settled: each originate and
 * its outcome (answered, into the flow; not answered, recorded under the
 * result policy), the calls a restarted dialer takes back and resolves
 * with Asterisk (resume.ts), the connect and release callbacks.
 *
 * Apart from dialer.ts because it is one call's life, not the task's: the
 * dialer decides when and whom to dial (the tick, claims-ahead.ts) and
 * hands each attempt here once its progress is stored; this keeps the call
 * until its attempt is written, and tells the dialer through the context.
 */
import { performance } from 'node:perf_hooks';
import { campaignDialString } from '../ari/dialstring';
import type { OriginateOutcome } from '../ari/port';
import type { Channel } from '../ari/types';
import type { CampaignLink } from '../call/session';
import type { Logger } from '../log';
import type { CampaignSettings, CampaignState } from '../schemas/campaign';
import { amdParametersOf } from '../schemas/campaign-answered';
import type { Attempt } from '../schemas/store';
import type { Claim, NextStep, Store } from '../store/port';
import { answeredReport, attemptRecord, callbackPayload, stepAfter, type AttemptReport } from './attempt-record';
import type { CallbackSender } from './callback';
import { unansweredOutcome } from './causes';
import type { TaskDocument } from './task-document';
import type { DialerHooks, DialerOptions } from './dialer-port';
import type { ContactProgress, Days, InFlight } from './policy';
import { campaignRecordingName, recordingOfResumedCall, recordSession, type RecordingStart } from '../call/recording';
import { fateOf } from './resume';
import { detectMachine } from '../media/detect';
import type { Trunk, TrunkGroup } from './trunks';

/** How long to wait before asking Asterisk again about a call in flight it could not tell about. */
const RESUME_RETRY_MS = 2000;
/** How long an ended call's attempt waits for its recording to say whether it started (it usually has, long before). */
const RECORDING_START_WAIT_MS = 5000;

/** What the calls in flight need of their dialer. */
export interface InFlightContext {
  options: DialerOptions;
  /** The connections (trunks.ts): each call is on the one its attempt names. */
  trunks: TrunkGroup;
  settings(): CampaignSettings;
  days(): Days;
  state(): CampaignState;
  closed(): boolean;
  log(): Logger;
  /** The hooks and the callback sender: a redeploy may rebind them. */
  hooks(): DialerHooks;
  callback(): CallbackSender | undefined;
  task: TaskDocument;
  store(): Store;
  track(p: Promise<void>): void;
  /** Writes an attempt and what follows (the dialer counts and reports a final result). */
  record(claim: Claim, attempt: Attempt | null, next: NextStep): Promise<boolean>;
  /** The counters are due to be derived from the store again (task-document.ts). */
  resync(): void;
  /** An answered call found no IVR flow to take it (flow-guard.ts suspends the task). */
  flowMissing(): void;
  /** An attempt was counted (the status of a task that no longer ticks shows it). */
  counted(): void;
}

interface Live {
  claim: Claim;
  inflight: InFlight;
  /** The connection that carries it. */
  trunk: Trunk;
  /** Called once the attempt is recorded (or given up). */
  settled: boolean;
  /** The call was answered (and counted so). */
  answered?: boolean;
  /** The task records calls: whether this call's recording started (recording.ts). */
  recording?: Promise<RecordingStart>;
  /** Answering-machine detection found a machine and the task hangs up on machines: AMDCAUSE. */
  machine?: string;
}

/** Figures for benchmarks: the time from each tick to each of its originate requests (ms), originates, ticks. */
export interface DialerStats {
  /** From the call's moment in its tick (performance.now(): placing.ts spreads a tick's calls) to its originate request made. */
  tickToOriginate: number[];
  /**
   * The moment in its tick (performance.now()) of each call placed whose originate request
   * has not been seen on its socket yet, by channel id: a benchmark that
   * watches Node's `http.client.request.start` (published when the request
   * gets one of the connection's sockets) takes the entry out.
   */
  tickOf: Map<string, number>;
  originates: number;
  /**
   * Each tick that dialed: when it started (performance.now()), how many
   * calls it placed, the ms from its start to its first originate request
   * (what the store writes before the dial took: the rate budget's take
   * with other instances alive, the attempts not written ahead), how many
   * of its calls had their attempts written at the tick (not ahead), the ms
   * the write ahead of the others took at the tick before (placing.ts), and
   * the CPU ms (this process) of sending its requests.
   */
  ticks: { at: number; placed: number; writtenMs: number; writtenAtTick: number; prewriteMs?: number; sendCpuMs: number }[];
}

export class CallsInFlight {
  private readonly live = new Map<string, Live>();
  readonly stats: DialerStats = { tickToOriginate: [], tickOf: new Map(), originates: 0, ticks: [] };
  /** Keep tick-to-originate samples (benchmarks turn it on). */
  collectStats = false;

  constructor(private readonly ctx: InFlightContext) {}

  /** Calls of this task ringing or in progress (and settled ones whose outcome waits for the store). */
  get size(): number {
    return this.live.size;
  }

  /** The claims of the calls in flight (their leases are renewed while the calls last). */
  claims(): Claim[] {
    return [...this.live.values()].map((l) => l.claim);
  }

  /**
   * Places a call whose attempt is stored (the contact's progress holds
   * `inflight`): the originate request goes out in this turn, before this
   * returns; its outcome is followed in the background. `tickAt`: its
   * moment in the tick that allowed it (performance.now(), for the figures).
   */
  place(claim: Claim, inflight: InFlight, tickAt: number): void {
    const { options } = this.ctx;
    const trunk = this.ctx.trunks.byId(inflight.connection) ?? this.ctx.trunks.primary;
    const live: Live = { claim, inflight, trunk, settled: false };
    this.add(live);
    trunk.calls.claim(inflight.channelId);
    options.coordinator.ringingStarted(trunk.id);
    this.ctx.task.count('dialed');
    if (this.collectStats) {
      this.stats.tickToOriginate.push(performance.now() - tickAt);
      this.stats.tickOf.set(inflight.channelId, tickAt);
      this.stats.originates += 1;
    }
    this.ctx.track(this.follow(live));
  }

  /** A call starts being this task's on its connection (counted against the connection's limit until its attempt is written). */
  private add(live: Live): void {
    this.live.set(live.inflight.channelId, live);
    this.ctx.trunks.started(live.trunk.id);
  }

  private remove(live: Live): void {
    if (this.live.get(live.inflight.channelId) !== live) return;
    this.live.delete(live.inflight.channelId);
    this.ctx.trunks.ended(live.trunk.id);
  }

  private async follow(live: Live): Promise<void> {
    const { options } = this.ctx;
    const settings = this.ctx.settings();
    const { claim, inflight, trunk } = live;
    let ringing = true;
    const stopRinging = (): void => {
      if (!ringing) return;
      ringing = false;
      options.coordinator.ringingEnded(trunk.id);
    };
    let outcome: OriginateOutcome;
    try {
      const variables: Record<string, string> = { CALLFLOW_CAMPAIGN: options.campaignId, CALLFLOW_CUSTOMER: claim.contact.customerId };
      // The request is sent before the first await here: place() returns with it sent.
      const started = await trunk.telephony.originate({
        channelId: inflight.channelId,
        endpoint: campaignDialString(settings.dialString, inflight.number, trunk.destinations),
        callerId: inflight.caller,
        timeoutSec: settings.maxResponseSec,
        appArgs: settings.flow ? [settings.flow] : ['campaign', options.campaignId],
        variables,
      });
      outcome = await started.outcome;
    } catch (err) {
      stopRinging();
      this.ctx.log().warn(`campaign ${settings.name}: originating to ${inflight.number} failed: ${(err as Error).message}`);
      await this.finishAttempt(live, { outcome: 'originate-failed' });
      return;
    }
    stopRinging();
    // A dialer closed meanwhile (a redeploy) leaves the call to its successor, which takes the lease back.
    if (this.ctx.closed()) return;
    if (outcome.answered) this.answered(live, outcome.channel, false);
    else if (outcome.lost === 'closed') {
      // The connection closed for good while it rang: the channel may still ring, so the attempt stays in flight for
      // the dialer of the next connection to resolve (this one is about to close too).
      this.ctx.log().info(`campaign ${settings.name}: the connection closed while call ${inflight.channelId} to ${inflight.number} rang; it is resolved when the task starts again`);
    } else {
      const end = unansweredOutcome(outcome);
      await this.finishAttempt(live, { ...end, cause: outcome.cause, ...(outcome.dialStatus ? { dialStatus: outcome.dialStatus } : {}) });
    }
  }

  /** An attempt that was in flight when a dialer stopped: find out from Asterisk what became of it (resume.ts). */
  async resume(claim: Claim, inflight: InFlight, tries = 1): Promise<void> {
    const { options } = this.ctx;
    const settings = this.ctx.settings();
    const trunk = this.ctx.trunks.byId(inflight.connection);
    if (!trunk) {
      // Placed on a connection the task no longer dials through (its settings changed): nobody here can ask about it.
      const live: Live = { claim, inflight, trunk: this.ctx.trunks.primary, settled: false };
      this.add(live);
      this.ctx.log().warn(`campaign ${settings.name}: call ${inflight.channelId} to ${inflight.number} was placed on connection ${inflight.connection ?? ''}, which the task no longer dials through; recorded as lost`);
      await this.finishAttempt(live, { outcome: 'lost', why: 'connection-removed' });
      return;
    }
    const live: Live = { claim, inflight, trunk, settled: false };
    if (tries === 1) this.add(live);
    else this.live.set(inflight.channelId, live);
    trunk.calls.claim(inflight.channelId);
    // Asked of the connection that placed it, and of no other: a contact's attempt never goes to two connections.
    // Written ahead and not marked dialed: once Asterisk says it has the channel, it was dialed; marked so, so that a
    // crash meanwhile does not take it for not dialed.
    const ringing = inflight.prewritten ? () => this.ctx.track(this.markDialed(live)) : undefined;
    const fate = await fateOf(trunk.telephony, options.clock, inflight.channelId, settings.maxResponseSec * 1000 + 5000, ringing);
    if (live.inflight.prewritten && fate.kind !== 'unknown') {
      if (fate.kind === 'ended' && fate.absent) {
        // Not in the journal: the process stopped before sending it. In it: sent just before a crash and gone since.
        if (!options.journal?.sent(inflight.channelId)) return this.notDialed(live);
        this.ctx.log().info(`campaign ${settings.name}: call ${inflight.channelId} to ${inflight.number} was dialed just before Node-RED stopped and ended before it started again; its outcome is unknown, recorded as lost`);
      }
      await this.markDialed(live);
    }
    if (fate.kind === 'unknown') {
      // Asterisk cannot say now: ask again shortly (the lease is renewed meanwhile, as for any call in flight).
      if (tries === 1) this.ctx.log().warn(`campaign ${settings.name}: cannot tell what became of call ${inflight.channelId} yet: ${fate.error.message}`);
      if (!this.ctx.closed()) options.clock.after(RESUME_RETRY_MS, () => this.ctx.track(this.resume(claim, inflight, tries + 1)));
      return;
    }
    if (fate.kind === 'answered') {
      this.ctx.log().info(`campaign ${settings.name}: call ${inflight.channelId} to ${inflight.number} is still up after a restart; it goes on in the flow`);
      this.answered(live, fate.channel, true);
      return;
    }
    await this.finishAttempt(live, fate.end);
  }

  /**
   * An attempt written ahead of its dial and not marked dialed, whose channel
   * Asterisk does not know: it was not dialed (the process stopped between
   * the write and the dial). The contact goes back to the queue, due now,
   * its progress as before the attempt: no attempt is counted, and its next
   * one has the same number. A call dialed in the milliseconds before its
   * mark and gone since is told apart by the dial journal (dial-journal.ts);
   * without one, it reads the same and is dialed again under the same attempt
   * number (docs/campaigns.md, "Crash safety").
   */
  private async notDialed(live: Live): Promise<void> {
    const { claim, inflight } = live;
    const { inflight: _written, ...progress } = claim.contact.progress as ContactProgress;
    this.ctx.log().info(`campaign ${this.ctx.settings().name}: attempt ${inflight.n} to ${inflight.number} was written ahead but not dialed; the customer is due again`);
    live.settled = true;
    try {
      if (await this.ctx.record(claim, null, { state: 'due', dueAt: this.ctx.options.clock.now(), progress })) this.ctx.options.journal?.settled([inflight.channelId]);
    } finally {
      this.remove(live);
    }
  }

  /** A call written ahead that Asterisk has: it was dialed, and the store says so (the flag dropped). */
  private async markDialed(live: Live): Promise<void> {
    const { prewritten: _ahead, ...inflight } = live.inflight;
    live.inflight = inflight;
    try {
      // Not saved (the lease lost): still written ahead in the store, so still needed.
      if (await this.ctx.store().markProgress(live.claim, { ...live.claim.contact.progress, inflight })) this.ctx.options.journal?.settled([inflight.channelId]);
    } catch (err) {
      this.ctx.log().warn(`campaign ${this.ctx.settings().name}: marking call ${inflight.channelId} dialed failed: ${(err as Error).message}`);
    }
  }

  private answered(live: Live, channel: Channel, resumed: boolean): void {
    const { options } = this.ctx;
    const settings = this.ctx.settings();
    const { claim, inflight } = live;
    const contact = claim.contact;
    const link: CampaignLink = { id: options.campaignId, name: settings.name, customerId: contact.customerId, attempt: inflight.n, number: inflight.number };
    if (contact.custom) link.custom = contact.custom;
    if (settings.skillQueue) link.skillQueue = settings.skillQueue;
    const session = live.trunk.calls.adopt(channel, { caller: { number: inflight.caller, name: '' }, dialed: inflight.number, campaign: link });
    const answeredAt = options.clock.now();
    // Counted here whether placed or resumed: the counters a restarted dialer derives from the store hold no call in flight.
    this.ctx.task.count('answered');
    live.answered = true;
    // A resumed call's connect callback was sent by the dialer that placed it.
    if (!resumed) this.callback('connect', live, '');
    // Recorded from the answer, before the flow starts; a resumed call's recording was started by the dialer that placed it.
    if (settings.recordCalls === true) {
      const warn = (message: string): void => this.ctx.log().warn(`campaign ${settings.name}: ${message}`);
      const name = campaignRecordingName(channel.id);
      const { telephony } = live.trunk;
      // Kept by the session too: the call record names it, and a robot on the call does not record it again.
      live.recording = recordSession(telephony, session, name, warn, resumed ? () => recordingOfResumedCall(telephony, channel.id, name) : undefined).started;
    }
    const ended = (): void => {
      const talkSec = Math.max(0, Math.round((options.clock.now() - answeredAt) / 100) / 10);
      const end: AttemptReport = live.machine !== undefined ? { outcome: 'machine', why: live.machine } : answeredReport(session, talkSec, this.ctx.settings().flow);
      if (end.outcome === 'flow-missing') this.ctx.flowMissing();
      this.ctx.track(this.finishAnswered(live, end));
    };
    if (session.signal.aborted) ended();
    else session.signal.addEventListener('abort', ended, { once: true });
    const handOff = (): void => {
      if (session.signal.aborted) return;
      try {
        this.ctx.hooks().answered({ session, customerId: contact.customerId, number: inflight.number, attempt: inflight.n, resumed });
      } catch (err) {
        this.ctx.log().warn(`campaign ${settings.name}: handing call ${session.id} to the flow failed: ${(err as Error).message}`);
      }
    };
    const amd = settings.amd ?? 'off';
    // A resumed call was classified (and handed to its flow) by the dialer that placed it.
    if (amd === 'off' || resumed) return handOff();
    const media = options.media;
    if (!media) {
      this.ctx.log().warn(`campaign ${settings.name}: answering-machine detection is on, but this dialer has no media path; call ${session.id} is treated as a person`);
      return handOff();
    }
    const log = this.ctx.log();
    this.ctx.track(
      detectMachine(media.telephony, channel.id, media.settings, { parameters: amdParametersOf(settings), waitForBeep: amd === 'beep', signal: session.signal, log }).then(
        (d) => {
          if (d.status === 'HANGUP') return;
          session.vars.AMDSTATUS = d.status;
          session.vars.AMDCAUSE = d.cause;
          if (d.status === 'MACHINE' && amd === 'hangup') {
            live.machine = d.cause;
            options.telephony.hangup(channel.id, 'normal').catch((err: unknown) => log.warn(`campaign ${settings.name}: hanging up machine-answered call ${session.id} failed: ${(err as Error).message}`));
            return;
          }
          handOff();
        },
        (err: unknown) => {
          log.warn(`campaign ${settings.name}: answering-machine detection on call ${session.id} failed, the call is treated as a person: ${(err as Error).message}`);
          handOff();
        },
      ),
    );
  }

  /**
   * An answered call's attempt, with what became of its recording: started (its name; it goes on to the call's end,
   * also after a transfer to the dialplan) or not (why).
   */
  private async finishAnswered(live: Live, end: AttemptReport): Promise<void> {
    if (live.recording) {
      const recording = live.recording;
      end.recording = await new Promise<RecordingStart>((resolve) => {
        const cancel = this.ctx.options.clock.after(RECORDING_START_WAIT_MS, () => resolve({ error: 'the recording had not started when the call ended' }));
        void recording.then((r) => {
          cancel();
          resolve(r);
        });
      });
    }
    await this.finishAttempt(live, end);
  }

  private async finishAttempt(live: Live, end: AttemptReport): Promise<void> {
    if (live.settled) return;
    // A closing dialer (Node-RED stopping) leaves the attempt in flight: the next start resolves it with Asterisk.
    if (this.ctx.closed()) return;
    live.settled = true;
    const { claim, inflight } = live;
    const { options, task } = this.ctx;
    const now = options.clock.now();
    const attempt = attemptRecord(inflight, end, now, options.worker);
    // The task ended while this call was in flight: no retry will come, so this attempt's outcome is final.
    const state = this.ctx.state();
    const next = stepAfter(claim.contact, inflight, end, now, this.ctx.settings(), this.ctx.days(), state === 'completed' || state === 'stopped');
    let recorded = false;
    try {
      // While this waits for the store, the entry stays live: its lease is renewed, so nobody else resolves it.
      recorded = await this.ctx.record(claim, attempt, next);
    } finally {
      this.remove(live);
    }
    if (recorded) options.journal?.settled([inflight.channelId]);
    // Counted once written, as a tally of the store counts it; an answered call a fault ended moves to failed.
    if (recorded && end.outcome !== 'answered') {
      task.count('failed');
      if (live.answered) task.count('answered', -1);
    }
    if (recorded) this.ctx.counted();
    if (task.resyncDue()) this.ctx.resync();
    if (recorded && (end.outcome !== 'answered' || next.state === 'done')) this.callback('release', live, end.outcome === 'answered' ? '' : end.outcome, attempt.recording);
  }

  private callback(event: 'connect' | 'release', live: Live, failCode: string, recording?: string): void {
    const sender = this.ctx.callback();
    if (!sender) return;
    sender.send(event, callbackPayload(this.ctx.options.campaignId, live.trunk.id, live.claim, live.inflight, failCode, recording));
  }
}
