import { CallEndedError, type CallEndReason } from '../ari/errors';
import type { RouteSettings } from '../schemas/routing';
import { newToken, tokenMatches, type CallHandle, type TraceEntry } from './handle';

export type CallState = 'ringing' | 'up' | 'ended';

/** Who ended the call, as the call-end report states it. */
export type HungUpBy = 'caller' | 'flow' | 'callee' | 'system';

export interface CallEnd {
  reason: CallEndReason;
  by: HungUpBy;
  /** Q.850 cause code, when Asterisk reported one. */
  cause?: number;
  causeText?: string;
  /** ISO 8601. */
  at: string;
}

/** What ties an outbound call to the campaign attempt that placed it. */
export interface CampaignLink {
  id: string;
  name: string;
  customerId: string;
  attempt: number;
  number: string;
  custom?: Record<string, unknown>;
}

export interface NewCall {
  channelId: string;
  connection: string;
  direction: 'inbound' | 'outbound';
  caller: { number: string; name: string };
  dialed: string;
  state: CallState;
  language?: string;
  /** Injectable clock (ms since epoch), for tests. */
  now?: () => number;
}

/** The trace keeps the most recent entries; a call looping in a menu must not grow without bound. */
export const TRACE_LIMIT = 200;
/** The keys kept for the next element (type-ahead), and the history of keys pressed, are bounded too. */
export const DTMF_BUFFER_LIMIT = 64;
export const PRESSED_LIMIT = 500;

/**
 * The live state of one call: what msg.call names. It owns the call's
 * AbortSignal, which fires once, when the call ends, so that every pending
 * operation of the call is cancelled at once.
 */
export class CallSession {
  readonly id: string;
  readonly channelId: string;
  readonly connection: string;
  readonly direction: 'inbound' | 'outbound';
  readonly caller: { number: string; name: string };
  readonly dialed: string;
  readonly startedAt: string;
  state: CallState;
  language: string | undefined;
  flow: string | undefined;
  /** The version of the flow the call runs (a flow with versions); the call keeps it until it ends. */
  version: string | undefined;
  vars: Record<string, unknown> = {};
  /** Set when the flow asked Asterisk to hang up, so the report can say who ended the call. */
  hangupRequested = false;
  /** Set when the flow sends the call out of the application (dialplan, redirect), so its StasisEnd is not a hangup. */
  leaving: string | undefined;
  /** Keys pressed that no element has consumed yet (a key that interrupted a prompt is kept for the next element). */
  readonly dtmf: string[] = [];
  /** Every key the caller pressed, oldest first (bounded), for the call-end report. */
  readonly pressed: { digit: string; at: string }[] = [];
  /** Settings the routing table gives the dialed number. */
  settings: RouteSettings = {};
  route: { level: string; group?: string } | undefined;
  /** For a call a campaign placed: the campaign and the customer (msg.call.campaign). */
  campaign: CampaignLink | undefined;
  /** The business result the flow set (callflow-result), stored with the campaign's attempt. */
  result: { code: string; subCode?: string } | undefined;
  /** Set while the call is handed to someone else (bridged to an agent): no element is expected to handle it. */
  handedOff = false;
  /** The channel the caller is bridged with, after a transfer. */
  peer: string | undefined;
  /** Who the flow's hangup request is on behalf of (the callee, when the caller is hung up because the callee left). */
  hangupBy: HungUpBy | undefined;
  /** Why the system hung the call up (a fault: an element's error, a deploy, the connection closing), for the campaign's attempt. */
  hangupWhy: string | undefined;
  /** When the call was answered (ISO 8601). */
  answeredAt: string | undefined;
  /**
   * True while no element handles the call (its msg travels between nodes,
   * or waits in a function or delay node): keys pressed then are kept for
   * the next element, as Asterisk's dialplan keeps them queued between
   * applications. While an element runs, it decides: a menu reads them, a
   * prompt without barge-in ignores them.
   */
  between = true;
  private traceEntries: TraceEntry[] = [];
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly controller = new AbortController();
  private endInfo: CallEnd | undefined;
  private readonly now: () => number;
  /** What msg.call must carry to act on this call (see CallHandle.token); never logged. */
  readonly #token = newToken();

  constructor(init: NewCall) {
    this.now = init.now ?? Date.now;
    this.id = init.channelId;
    this.channelId = init.channelId;
    this.connection = init.connection;
    this.direction = init.direction;
    this.caller = { ...init.caller };
    this.dialed = init.dialed;
    this.state = init.state;
    this.language = init.language;
    this.startedAt = new Date(this.now()).toISOString();
  }

  /** Fires when the call ends; its reason is a CallEndedError. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get ended(): CallEnd | undefined {
    return this.endInfo;
  }

  get trace(): readonly TraceEntry[] {
    return this.traceEntries;
  }

  /** Records a key the caller pressed. */
  keyPressed(digit: string): void {
    this.pressed.push({ digit, at: new Date(this.now()).toISOString() });
    if (this.pressed.length > PRESSED_LIMIT) this.pressed.splice(0, this.pressed.length - PRESSED_LIMIT);
  }

  /** Keeps a key for the next element; a flood of keys keeps only the latest ones. */
  keepKey(digit: string): void {
    this.dtmf.push(digit);
    if (this.dtmf.length > DTMF_BUFFER_LIMIT) this.dtmf.splice(0, this.dtmf.length - DTMF_BUFFER_LIMIT);
  }

  /** Records that an element started on this call; returns the entry so the element can set its outcome. */
  enter(node: string, element: string): TraceEntry {
    const entry: TraceEntry = { node, element, at: new Date(this.now()).toISOString() };
    this.traceEntries.push(entry);
    if (this.traceEntries.length > TRACE_LIMIT) this.traceEntries.splice(0, this.traceEntries.length - TRACE_LIMIT);
    return entry;
  }

  /** Takes over what a flow may have changed in msg.call (the variables). */
  adopt(handle: Pick<CallHandle, 'vars'>): void {
    if (handle.vars && typeof handle.vars === 'object') this.vars = { ...handle.vars };
  }

  /**
   * No element is handling the call now (its msg is travelling between
   * nodes). If none takes it within `ms`, onIdle runs: a flow that lost the
   * msg must not leave the caller in silence. 0 turns the watch off.
   */
  idle(ms: number, onIdle: () => void): void {
    this.busy();
    this.between = !this.handedOff;
    if (ms <= 0 || this.endInfo || this.handedOff) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (!this.endInfo) onIdle();
    }, ms);
    this.idleTimer.unref();
  }

  /** An element is handling the call. */
  busy(): void {
    this.between = false;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  /** Whether msg.call's token (anything) is this call's: a handle made up from the id, or one of another call, is not. */
  owns(token: unknown): boolean {
    return tokenMatches(this.#token, token);
  }

  /** A serialisable snapshot for msg.call, with the token that lets nodes act on the call. */
  handle(): CallHandle {
    const h = this.snapshot();
    h.token = this.#token;
    return h;
  }

  /** The same without the token: for a call that is over (the call-end report), or anything shown or stored. */
  snapshot(): CallHandle {
    const h: CallHandle = {
      id: this.id,
      channelId: this.channelId,
      connection: this.connection,
      direction: this.direction,
      caller: { ...this.caller },
      dialed: this.dialed,
      vars: cloneVars(this.vars),
      trace: this.traceEntries.map((t) => ({ ...t })),
      startedAt: this.startedAt,
    };
    if (this.flow !== undefined) h.flow = this.flow;
    if (this.version !== undefined) h.version = this.version;
    if (this.language !== undefined) h.language = this.language;
    if (Object.keys(this.settings).length > 0) h.settings = { ...this.settings };
    if (this.route) h.route = { ...this.route };
    if (this.campaign) h.campaign = structuredClone(this.campaign);
    if (this.result) h.result = { ...this.result };
    return h;
  }

  /**
   * Marks the call ended and aborts its signal. Only the first call counts;
   * later ones (a ChannelDestroyed after a StasisEnd) may add the cause.
   */
  end(info: Omit<CallEnd, 'at'>): boolean {
    if (this.endInfo) {
      if (this.endInfo.cause === undefined && info.cause !== undefined) {
        this.endInfo.cause = info.cause;
        if (info.causeText !== undefined) this.endInfo.causeText = info.causeText;
      }
      return false;
    }
    this.busy();
    this.state = 'ended';
    // The element the call was in when it ended says so, whoever hears of the end first.
    const current = this.traceEntries.at(-1);
    if (current && current.outcome === undefined) current.outcome = 'hangup';
    this.endInfo = { ...info, at: new Date(this.now()).toISOString() };
    this.controller.abort(new CallEndedError(this.channelId, info.reason, info.cause, info.causeText));
    return true;
  }
}

/** Variables are meant to be plain data; a value that cannot be cloned (a function) is passed by reference. */
function cloneVars(vars: Record<string, unknown>): Record<string, unknown> {
  try {
    return structuredClone(vars);
  } catch {
    return { ...vars };
  }
}
