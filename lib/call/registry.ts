/**
 * The live calls of one connection, keyed by channel id. It turns the
 * telephony events into call sessions: a new one for each channel that
 * enters the application, its state as it changes, and its end: the
 * session's AbortSignal fires at the first sign (a hangup request, the
 * channel leaving the application, or being lost during a reconnect), so
 * every pending operation of the call stops at once; `ended` listeners
 * hear about it once, when Asterisk's last word on the call is in.
 */
import { EventEmitter } from 'node:events';
import { causeText, HANGUP_REASONS, type HangupReason } from '../ari/causes';
import { AriError } from '../ari/errors';
import type { Reconciliation, Telephony, TelephonyEvent } from '../ari/port';
import type { Channel, StasisStart } from '../ari/types';
import { silentLogger, type Logger } from '../log';
import type { CallHandle } from './handle';
import { CallSession, type CallEnd, type CampaignLink, type HungUpBy } from './session';

/**
 * Channel ids of calls a campaign places start with this. After a restart,
 * such a channel still in the application belongs to a dialer that will
 * adopt it (lib/campaign/dialer.ts) rather than to nobody; it is hung up
 * only if no dialer has adopted it within ADOPT_GRACE_MS.
 */
export const CAMPAIGN_CHANNEL_PREFIX = 'cfc-';
export const ADOPT_GRACE_MS = 120_000;

/**
 * Snoop channels of ours (a call's recording, lib/call/recording.ts) are
 * named "cfs-<the spied channel's id>". They are in the application but are
 * no call: their StasisStart makes no session, and one found after a restart
 * is left to end with the channel it spies on (Asterisk ends it then, wherever
 * that channel is) or hung up when that channel is gone.
 */
export const SNOOP_CHANNEL_PREFIX = 'cfs-';

/**
 * The media path of a call (lib/media/path.ts): its external media channel "cfm-<call>-<n>", the snoop it may listen
 * through "cfms-<call>-<n>" and their bridge "cfmb-<call>-<n>". They are in the application but are no call: their
 * StasisStart makes no session; one found after a restart (marked as this instance's) is hung up like any channel
 * nobody here handles, and lib/media/path.ts destroys the bridge left with it.
 */
export const MEDIA_CHANNEL_PREFIX = 'cfm';

/** The id of our snoop channel on `channelId`. */
export function snoopChannelId(channelId: string): string {
  return `${SNOOP_CHANNEL_PREFIX}${channelId}`;
}

export interface CallRegistryOptions {
  /** Id of the connection (the config node), written into every msg.call. */
  connectionId: string;
  logger?: Logger;
  /** Reconciliations of the connection, to hang up calls left by an earlier run. */
  onReconciled?: (listener: (r: Reconciliation) => void) => () => void;
  now?: () => number;
  /**
   * A hangup Asterisk did not answer (no connection, no answer in time) is asked again after this long, doubling up
   * to HANGUP_RETRY_MAX_MS, for as long as the call is live here: a call the flow ended must not stay up (a bridged
   * transfer would go on costing). Default HANGUP_RETRY_MS.
   */
  hangupRetryMs?: number;
}

/** The first wait before a hangup Asterisk did not answer is asked again. */
export const HANGUP_RETRY_MS = 2000;
/** The longest wait between two such asks. */
export const HANGUP_RETRY_MAX_MS = 30_000;

/**
 * What msg.call leads to: the call's session when it is live; `refused`:
 * the handle does not prove it is the call's (no token, or not this call's
 * token), the call must not be touched; `ended`: no such call now
 * (`justNow`: it ended within IN_TRANSIT_MS, its msg was on its way between
 * nodes). A live call's answer is its session itself, not an object holding
 * it (40 bytes per call in progress; issue 14).
 */
export type HandleLookup = CallSession | { kind: 'refused'; missing: boolean } | { kind: 'ended'; justNow: boolean };

export interface EndedCall {
  session: CallSession;
  end: CallEnd;
}

/** How long to wait, after a call of ours left the application, for Asterisk's ChannelDestroyed with the cause. */
const DESTROYED_GRACE_MS = 2000;
/** How long an ended call is remembered: a msg still on its way between nodes when the caller hung up is not an error. */
export const IN_TRANSIT_MS = 1000;

export class CallRegistry {
  /** The live calls. */
  private readonly sessions = new Map<string, CallSession>();
  private readonly events = new EventEmitter();
  private readonly log: Logger;
  private readonly unsubscribe: (() => void)[] = [];
  /** Channels we create ourselves (outbound legs, transfers): their StasisStart is not a new inbound call. */
  private readonly claimed = new Set<string>();
  private readonly graceTimers = new Map<string, NodeJS.Timeout>();
  private readonly requestedCause = new Map<string, number>();
  /** Calls that ended in the last IN_TRANSIT_MS, oldest first, with when. */
  private readonly recentlyEnded = new Map<string, number>();
  private disposed = false;

  constructor(
    private readonly telephony: Telephony,
    private readonly options: CallRegistryOptions,
  ) {
    this.log = options.logger ?? silentLogger;
    this.events.setMaxListeners(0);
    this.unsubscribe.push(telephony.onEvent((e) => this.handle(e)));
    if (options.onReconciled) this.unsubscribe.push(options.onReconciled((r) => this.reconciled(r)));
  }

  get size(): number {
    return this.sessions.size;
  }

  get(id: string): CallSession | undefined {
    return this.sessions.get(id);
  }

  /**
   * The call a msg.call names, only if the handle carries that call's token
   * (compared in constant time). Every node that acts on a call from a msg
   * looks it up here, not with get(): ids can be guessed, tokens cannot.
   */
  find(handle: Pick<CallHandle, 'id' | 'token'>): HandleLookup {
    const known = this.sessions.get(handle.id);
    if (known) return known.owns(handle.token) ? known : { kind: 'refused', missing: handle.token === undefined };
    // A handle without a token is refused whether or not its call exists: nothing made by hand acts on calls.
    if (typeof handle.token !== 'string') return { kind: 'refused', missing: handle.token === undefined };
    return { kind: 'ended', justNow: this.endedJustNow(handle.id) };
  }

  list(): CallSession[] {
    return [...this.sessions.values()];
  }

  /** Whether a call ended within the last second (its msg may still be on its way between nodes). */
  endedJustNow(id: string): boolean {
    const at = this.recentlyEnded.get(id);
    return at !== undefined && this.now() - at < IN_TRANSIT_MS;
  }

  private now(): number {
    return this.options.now ? this.options.now() : Date.now();
  }

  /** A new inbound call entered the application. */
  onCall(listener: (session: CallSession, start: StasisStart) => void): () => void {
    this.events.on('call', listener);
    return () => this.events.off('call', listener);
  }

  /** A call ended (once per call, with who ended it and the cause). */
  onEnded(listener: (ended: EndedCall) => void): () => void {
    this.events.on('ended', listener);
    return () => this.events.off('ended', listener);
  }

  /** Marks a channel we are about to create, so its StasisStart is not taken for a new inbound call. */
  claim(channelId: string): void {
    this.claimed.add(channelId);
  }

  /**
   * A session for an outbound channel of ours that is in the application
   * (an answered campaign call, or one found still up after a restart).
   * Returns the existing session when there is one.
   */
  adopt(channel: Channel, init: { caller: { number: string; name: string }; dialed: string; campaign?: CampaignLink }): CallSession {
    this.claimed.delete(channel.id);
    const known = this.sessions.get(channel.id);
    if (known) return known;
    const session = new CallSession({
      channelId: channel.id,
      connection: this.options.connectionId,
      direction: 'outbound',
      caller: init.caller,
      dialed: init.dialed,
      state: channel.state === 'Up' ? 'up' : 'ringing',
      language: channel.language,
      ...(this.options.now ? { now: this.options.now } : {}),
    });
    if (channel.state === 'Up') session.answered();
    session.campaign = init.campaign;
    this.keep(session);
    return session;
  }

  /**
   * Asks Asterisk to hang up a call, remembering that the flow (not the
   * caller) ended it, or, with `by`, on whose behalf: the callee of a
   * transfer who hung up first, or the system, when a fault ends the call
   * before its flow does (an element's error, a deploy that stopped the node
   * the call was in, the connection closing), `why` saying which.
   */
  async hangup(session: CallSession, reason: HangupReason | { code: number } = 'normal', by?: HungUpBy, why?: string): Promise<void> {
    // The first to ask says who ended the call (a flow's hangup followed by the connection closing stays the flow's).
    if (!session.hangupRequested && by) {
      session.hangupBy = by;
      if (why !== undefined) session.hangupWhy = why;
    }
    session.hangupRequested = true;
    this.requestedCause.set(session.channelId, typeof reason === 'string' ? HANGUP_REASONS[reason] : reason.code);
    try {
      await this.telephony.hangup(session.channelId, reason);
    } catch (err) {
      if (err instanceof AriError && err.kind === 'not-connected') this.hangupAgain(session, reason, this.options.hangupRetryMs ?? HANGUP_RETRY_MS);
      throw err;
    }
  }

  /** Asks again for a hangup Asterisk did not answer, after `waitMs`, while the call is live here (see hangupRetryMs). */
  private hangupAgain(session: CallSession, reason: HangupReason | { code: number }, waitMs: number): void {
    const key = `hangup:${session.channelId}`;
    if (this.graceTimers.has(key) || this.disposed) return;
    const timer = setTimeout(() => {
      this.graceTimers.delete(key);
      if (this.disposed || this.sessions.get(session.channelId) !== session) return;
      this.log.warn(`call ${session.id}: Asterisk did not answer its hangup; asking again`);
      this.telephony.hangup(session.channelId, reason).catch((err: unknown) => {
        if (err instanceof AriError && err.kind === 'not-connected') this.hangupAgain(session, reason, Math.min(waitMs * 2, HANGUP_RETRY_MAX_MS));
        else this.log.warn(`hanging up call ${session.id} failed: ${(err as Error).message}`);
      });
    }, waitMs);
    timer.unref();
    this.graceTimers.set(key, timer);
  }

  /** Hangs up every call (the connection is closing for good): the system ends them, `why` says so. */
  async hangupAll(reason: HangupReason = 'normal', why = 'connection-closing'): Promise<void> {
    await Promise.all(
      this.list().map((s) =>
        this.hangup(s, reason, 'system', why).catch((err: unknown) => this.log.warn(`hanging up call ${s.id} failed: ${(err as Error).message}`)),
      ),
    );
  }

  dispose(): void {
    this.disposed = true;
    for (const off of this.unsubscribe.splice(0)) off();
    for (const t of this.graceTimers.values()) clearTimeout(t);
    this.graceTimers.clear();
  }

  private handle(event: TelephonyEvent): void {
    switch (event.type) {
      case 'StasisStart': {
        const ch = event.channel;
        if (this.sessions.has(ch.id)) return;
        if (this.claimed.delete(ch.id)) return;
        if (ch.id.startsWith(SNOOP_CHANNEL_PREFIX)) return;
        if (ch.id.startsWith(MEDIA_CHANNEL_PREFIX)) return;
        if (ch.id.startsWith(CAMPAIGN_CHANNEL_PREFIX)) {
          // A campaign's call answered before its dialer was back (a restart): the dialer adopts it, or it is hung up.
          this.parkCampaignCall(ch.id);
          return;
        }
        const session = new CallSession({
          channelId: ch.id,
          connection: this.options.connectionId,
          direction: 'inbound',
          caller: { number: ch.caller.number, name: ch.caller.name },
          dialed: ch.dialplan.exten,
          state: ch.state === 'Up' ? 'up' : 'ringing',
          language: ch.language,
          ...(this.options.now ? { now: this.options.now } : {}),
        });
        this.keep(session);
        this.events.emit('call', session, event);
        return;
      }
      case 'ChannelDtmfReceived': {
        const s = this.sessions.get(event.channel.id);
        if (!s) return;
        s.keyPressed(event.digit);
        if (s.between) s.keepKey(event.digit);
        return;
      }
      case 'ChannelStateChange': {
        const s = this.sessions.get(event.channel.id);
        if (s && event.channel.state === 'Up' && s.state === 'ringing') {
          s.state = 'up';
          s.answered();
        }
        return;
      }
      case 'ChannelHangupRequest': {
        const s = this.sessions.get(event.channel.id);
        if (!s) return;
        // A soft hangup carries a flag, not a cause; the cause is the one we asked for, if we asked.
        const cause = event.soft ? this.requestedCause.get(s.channelId) : event.cause;
        const by: HungUpBy = event.soft ? (s.hangupRequested ? (s.hangupBy ?? 'flow') : 'system') : s.direction === 'inbound' ? 'caller' : 'callee';
        this.endSession(s, { reason: 'hangup', by, ...causeOf(cause) });
        return;
      }
      case 'StasisEnd': {
        const s = this.sessions.get(event.channel.id);
        if (!s) return;
        if (!s.ended) {
          const requested = this.requestedCause.get(s.channelId);
          this.endSession(
            s,
            s.hangupRequested
              ? { reason: 'hangup', by: s.hangupBy ?? 'flow', ...causeOf(requested) }
              : s.leaving
                ? { reason: 'left-application', by: 'flow' }
                : { reason: 'hangup', by: s.direction === 'inbound' ? 'caller' : 'callee' },
          );
        }
        // Asterisk sends no ChannelDestroyed for a call that came in through the dialplan: this is the last word.
        if (s.direction === 'inbound') this.finish(s);
        else this.graceTimers.set(s.channelId, setTimeout(() => this.finish(s), DESTROYED_GRACE_MS));
        return;
      }
      case 'ChannelDestroyed': {
        const s = this.sessions.get(event.channel.id);
        if (!s) return;
        const by: HungUpBy = s.hangupRequested ? (s.hangupBy ?? 'flow') : s.direction === 'inbound' ? 'caller' : 'callee';
        this.endSession(s, { reason: 'hangup', by, cause: event.cause, causeText: event.cause_txt });
        this.finish(s);
        return;
      }
      case 'ChannelLost': {
        const s = this.sessions.get(event.channelId);
        if (!s) return;
        this.endSession(s, { reason: event.reason, by: 'system' });
        this.finish(s);
        return;
      }
      default:
        return;
    }
  }

  private keep(session: CallSession): void {
    // The answer find() gives is the entry itself: no record around it (issue 14).
    this.sessions.set(session.id, session);
  }

  private endSession(s: CallSession, end: Omit<CallEnd, 'at'>): void {
    if (s.end(end)) {
      this.log.debug(`call ${s.id} ended: ${end.reason} by ${end.by}${end.cause !== undefined ? ` (cause ${end.cause})` : ''}`);
    }
  }

  private finish(s: CallSession): void {
    if (!this.sessions.has(s.id)) return;
    this.sessions.delete(s.id);
    this.requestedCause.delete(s.channelId);
    for (const key of [s.channelId, `hangup:${s.channelId}`]) {
      const timer = this.graceTimers.get(key);
      if (timer) clearTimeout(timer);
      this.graceTimers.delete(key);
    }
    const end = s.ended;
    const now = this.now();
    for (const [id, at] of this.recentlyEnded) {
      if (now - at < IN_TRANSIT_MS) break;
      this.recentlyEnded.delete(id);
    }
    this.recentlyEnded.set(s.id, now);
    if (end) this.events.emit('ended', { session: s, end } satisfies EndedCall);
  }

  /**
   * A snoop channel an earlier run left (a recording in progress): it goes on while the channel it spies on is
   * there (a call in a queue is recorded to its end), and is hung up when that channel is gone.
   */
  private sweepSnoop(id: string): void {
    const spied = id.slice(SNOOP_CHANNEL_PREFIX.length);
    this.telephony.getChannel(spied).then(
      () => this.log.info(`snoop channel ${id} (a recording left by an earlier run) goes on until call ${spied} ends`),
      (err: unknown) => {
        if (!(err instanceof AriError && err.kind === 'not-found')) {
          this.log.warn(`cannot tell whether call ${spied} of snoop channel ${id} is still up: ${(err as Error).message}`);
          return;
        }
        this.telephony.hangup(id, 'normal').catch((e: unknown) => this.log.warn(`hanging up snoop channel ${id} failed: ${(e as Error).message}`));
      },
    );
  }

  /** A campaign call nobody here has taken yet: its dialer adopts it within ADOPT_GRACE_MS, or it is hung up. */
  private parkCampaignCall(id: string): void {
    const key = `adopt:${id}`;
    if (this.graceTimers.has(key)) return;
    const timer = setTimeout(() => {
      this.graceTimers.delete(key);
      if (this.sessions.has(id) || this.claimed.has(id)) return;
      this.log.warn(`campaign call ${id} (left by an earlier run) was not resumed by any dialer; hanging it up`);
      this.telephony.hangup(id, 'normal').catch((err: unknown) => this.log.warn(`hanging up ${id} failed: ${(err as Error).message}`));
    }, ADOPT_GRACE_MS);
    timer.unref();
    this.graceTimers.set(key, timer);
  }

  private reconciled(r: Reconciliation): void {
    const unclaimed = r.unclaimed.filter((id) => !id.startsWith(CAMPAIGN_CHANNEL_PREFIX) && !id.startsWith(SNOOP_CHANNEL_PREFIX));
    for (const id of r.unclaimed) if (id.startsWith(SNOOP_CHANNEL_PREFIX)) this.sweepSnoop(id);
    // A campaign's dialer resumes its own calls (they are in its store); those nobody adopts in time are hung up.
    for (const id of r.unclaimed) if (id.startsWith(CAMPAIGN_CHANNEL_PREFIX)) this.parkCampaignCall(id);
    if (unclaimed.length === 0) return;
    this.log.warn(
      `${unclaimed.length} call(s) were in application ${this.telephony.app} without anyone here handling them (left by an earlier run); hanging them up: ${unclaimed.join(', ')}`,
    );
    for (const id of unclaimed) {
      this.telephony.hangup(id, 'normal').catch((err: unknown) => this.log.warn(`hanging up ${id} failed: ${(err as Error).message}`));
    }
  }
}

function causeOf(cause: number | undefined): { cause?: number; causeText?: string } {
  return cause === undefined ? {} : { cause, causeText: causeText(cause) };
}
