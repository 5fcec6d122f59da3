import { CallEndedError, type CallEndReason } from '../ari/errors';
import type { RouteSettings } from '../schemas/routing';
import { newToken, tokenMatches, type CallException, type CallHandle, type TraceEntry } from './handle';
import { copyData } from './copy-data';
import { isoTime } from './iso-time';
import type { SessionRecording } from './recording';
import { StepSignal } from './step-signal';
import { appended, appendedTime, NO_ENTRIES, NO_TIMES, TraceStep, type TraceOwner } from './trace';

export { TraceStep } from './trace';

export type CallState = 'ringing' | 'up' | 'ended';

/** Who ended the call, as the call-end report states it. */
export type HungUpBy = 'caller' | 'flow' | 'callee' | 'system';

export interface CallEnd {
  reason: CallEndReason;
  by: HungUpBy;
  /** Q.850 cause code, when Asterisk reported one. */
  cause?: number;
  causeText?: string;
  /** When the call ended, in ms since the epoch (the call-end report says it in ISO 8601). */
  at: number;
}

/** What ties an outbound call to the campaign attempt that placed it. */
export interface CampaignLink {
  id: string;
  name: string;
  customerId: string;
  attempt: number;
  number: string;
  custom?: Record<string, unknown>;
  /** The campaign's skill queue (its SkillQueueName), when it sets one. */
  skillQueue?: string;
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
/** What a handle template holds in place of the copies handle() makes. */
const NO_VARS: Record<string, unknown> = Object.freeze({});
const NO_TRACE: TraceEntry[] = Object.freeze([]) as unknown as TraceEntry[];
/** No key kept. */
const NO_KEYS: readonly string[] = Object.freeze([]);
/** A call's settings until the routing table gives it some. */
const NO_SETTINGS: RouteSettings = Object.freeze({});
/**
 * What few calls in progress have, in one object made when one of them is
 * first set (see CallSession's accessors of the same names): a call waiting
 * in an IVR menu keeps none of them, and each was a field of every session
 * (8 bytes each, 16 of them; issue 14).
 */
export class SeldomSet {
  version: string | undefined = undefined;
  campaign: CampaignLink | undefined = undefined;
  recording: SessionRecording | undefined = undefined;
  result: { code: string; subCode?: string } | undefined = undefined;
  exception: CallException | undefined = undefined;
  handedOff = false;
  peer: string | undefined = undefined;
  leaving: string | undefined = undefined;
  hangupRequested = false;
  hangupBy: HungUpBy | undefined = undefined;
  hangupWhy: string | undefined = undefined;
  /** Aborted when the call ends (CallSession.signal); made when first asked for. */
  ending: AbortController | undefined = undefined;
  /** What the call ended with: the reason of both signals, also of one made after the end. */
  endError: CallEndedError | undefined = undefined;
  end: CallEnd | undefined = undefined;
  /** What handle() clones (see CallSession.template()). */
  template: CallHandle | undefined = undefined;
  /** A clock a test injected (NewCall.now). */
  clock: (() => number) | undefined = undefined;
}

export class CallSession implements TraceOwner {
  /**
   * What the registry's find() says of a live call (HandleLookup): the session is its own answer, told apart from
   * the others by this, a getter on the prototype rather than a field in every session.
   */
  get kind(): 'live' {
    return 'live';
  }

  readonly channelId: string;
  readonly connection: string;
  readonly direction: 'inbound' | 'outbound';
  readonly caller: { number: string; name: string };
  readonly dialed: string;
  /** When the call reached the application, ms since the epoch (msg.call.startedAt says it in ISO 8601). */
  readonly startedAtMs: number;
  state: CallState;
  language: string | undefined;
  flow: string | undefined;
  vars: Record<string, unknown> = {};
  /** The keys `dtmf` shows, made when the first is kept: most calls in progress keep none (an empty array is 32 bytes). */
  #keptKeys: string[] | undefined;
  /**
   * Every key the caller pressed, oldest first (bounded): the keys as one
   * string and when, ms since the epoch, in an array of numbers (unboxed), not
   * an object per key (issue 14). `pressed` makes the objects when asked.
   */
  #pressedKeys = '';
  /** Exactly as long as the keys (see appended()): a pushed array keeps room for 17. */
  #pressedAt: number[] = NO_TIMES;
  /** Settings the routing table gives the dialed number (replaced, never changed in place: none is one shared object). */
  settings: RouteSettings = NO_SETTINGS;
  route: { level: string; group?: string } | undefined;
  /** When the call was answered, ms since the epoch (see answered()). */
  answeredAtMs: number | undefined;
  /**
   * True while no element handles the call (its msg travels between nodes,
   * or waits in a function or delay node): keys pressed then are kept for
   * the next element, as Asterisk's dialplan keeps them queued between
   * applications. While an element runs, it decides: a menu reads them, a
   * prompt without barge-in ignores them.
   */
  between = true;
  /**
   * The element runner's direct hops of this call in the current turn of
   * the event loop (nodes/element/hop.ts HopCount): two small integers in
   * the session, not an object in a WeakMap entry per call (issue 14).
   */
  hopTurn = -1;
  hops = 0;
  /** The entries of the steps passed, as msg.call.trace shows them; exactly as long as they are (see appended()). */
  #traceEntries: TraceEntry[] = NO_ENTRIES;
  /** The step entered last: the call's end sets its outcome ("hangup") when its element has not. */
  #current: TraceStep | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  /** What the elements' steps run with (`stepSignal`); made when first asked for. */
  #steps: StepSignal | undefined;
  /** What msg.call must carry to act on this call (see CallHandle.token); never logged. */
  readonly #token = newToken();
  /** msg.call.startedAt, made once. */
  #startedAtIso: string | undefined;
  /** The fields few calls have (SeldomSet), once one is set. */
  #seldom: SeldomSet | undefined;

  constructor(init: NewCall) {
    if (init.now) this.seldom().clock = init.now;
    this.channelId = init.channelId;
    this.connection = init.connection;
    this.direction = init.direction;
    this.caller = { ...init.caller };
    this.dialed = init.dialed;
    this.state = init.state;
    this.language = init.language;
    this.startedAtMs = this.now();
  }

  /** The call's id: its channel's. */
  get id(): string {
    return this.channelId;
  }

  /** The rare fields, made when the first is set. */
  private seldom(): SeldomSet {
    return (this.#seldom ??= new SeldomSet());
  }

  private now(): number {
    const clock = this.#seldom?.clock;
    return clock === undefined ? Date.now() : clock();
  }

  /** The version of the flow the call runs (a flow with versions); the call keeps it until it ends. */
  get version(): string | undefined {
    return this.#seldom?.version;
  }
  set version(value: string | undefined) {
    if (value !== undefined || this.#seldom) this.seldom().version = value;
  }

  /** For a call a campaign placed: the campaign and the customer (msg.call.campaign). */
  get campaign(): CampaignLink | undefined {
    return this.#seldom?.campaign;
  }
  set campaign(value: CampaignLink | undefined) {
    if (value !== undefined || this.#seldom) this.seldom().campaign = value;
  }

  /** The call's recording (lib/call/recording.ts), once a campaign's Record calls or a robot started it: one per call. */
  get recording(): SessionRecording | undefined {
    return this.#seldom?.recording;
  }
  set recording(value: SessionRecording | undefined) {
    if (value !== undefined || this.#seldom) this.seldom().recording = value;
  }

  /** The business result the flow set (callflow-result), stored with the campaign's attempt. */
  get result(): { code: string; subCode?: string } | undefined {
    return this.#seldom?.result;
  }
  set result(value: { code: string; subCode?: string } | undefined) {
    if (value !== undefined || this.#seldom) this.seldom().result = value;
  }

  /** Set when the call was sent to the exception-handling flow (msg.call.exception); a call is sent there once. */
  get exception(): CallException | undefined {
    return this.#seldom?.exception;
  }
  set exception(value: CallException | undefined) {
    if (value !== undefined || this.#seldom) this.seldom().exception = value;
  }

  /** Set while the call is handed to someone else (bridged to an agent): no element is expected to handle it. */
  get handedOff(): boolean {
    return this.#seldom?.handedOff ?? false;
  }
  set handedOff(value: boolean) {
    if (value || this.#seldom) this.seldom().handedOff = value;
  }

  /** The channel the caller is bridged with, after a transfer. */
  get peer(): string | undefined {
    return this.#seldom?.peer;
  }
  set peer(value: string | undefined) {
    if (value !== undefined || this.#seldom) this.seldom().peer = value;
  }

  /** Set when the flow sends the call out of the application (dialplan, redirect), so its StasisEnd is not a hangup. */
  get leaving(): string | undefined {
    return this.#seldom?.leaving;
  }
  set leaving(value: string | undefined) {
    if (value !== undefined || this.#seldom) this.seldom().leaving = value;
  }

  /** Set when the flow asked Asterisk to hang up, so the report can say who ended the call. */
  get hangupRequested(): boolean {
    return this.#seldom?.hangupRequested ?? false;
  }
  set hangupRequested(value: boolean) {
    if (value || this.#seldom) this.seldom().hangupRequested = value;
  }

  /** Who the flow's hangup request is on behalf of (the callee, when the caller is hung up because the callee left). */
  get hangupBy(): HungUpBy | undefined {
    return this.#seldom?.hangupBy;
  }
  set hangupBy(value: HungUpBy | undefined) {
    if (value !== undefined || this.#seldom) this.seldom().hangupBy = value;
  }

  /** Why the system hung the call up (a fault: an element's error, a deploy, the connection closing), for the campaign's attempt. */
  get hangupWhy(): string | undefined {
    return this.#seldom?.hangupWhy;
  }
  set hangupWhy(value: string | undefined) {
    if (value !== undefined || this.#seldom) this.seldom().hangupWhy = value;
  }

  /** When the call reached the application, ISO 8601 (msg.call.startedAt and the call-end report). */
  get startedAt(): string {
    this.#startedAtIso ??= isoTime(this.startedAtMs);
    return this.#startedAtIso;
  }

  /** Notes when the call was answered (the first time only). */
  answered(): void {
    this.answeredAtMs ??= this.now();
  }

  /**
   * Fires when the call ends; its reason is a CallEndedError. Made when
   * first asked for: a call whose elements only run steps has one
   * controller, its steps' (stepSignal), not two.
   */
  get signal(): AbortSignal {
    const seldom = this.seldom();
    if (!seldom.ending) {
      seldom.ending = new AbortController();
      if (seldom.endError) seldom.ending.abort(seldom.endError);
    }
    return seldom.ending.signal;
  }

  /**
   * What the elements' steps on the call run with: aborted when the call
   * ends (with the same reason as `signal`), or by interruptSteps(). After
   * an interruption, the next step gets a new signal. A StepSignal (an
   * AbortSignal without the EventTarget: step-signal.ts), not a controller's.
   */
  get stepSignal(): AbortSignal {
    let steps = this.#steps;
    const endError = this.#seldom?.endError;
    if (!steps || (steps.aborted && !endError)) {
      steps = new StepSignal();
      this.#steps = steps;
      if (endError) steps.abort(endError);
    }
    return steps;
  }

  /** Cancels the steps running on the call now, the call going on (a node removed mid-call cancels its step). */
  interruptSteps(reason: Error): void {
    if (!this.#seldom?.endError) this.#steps?.abort(reason);
  }

  get ended(): CallEnd | undefined {
    return this.#seldom?.end;
  }

  /** The elements the call passed, oldest first (bounded). */
  get trace(): readonly TraceStep[] {
    // Made when asked (the call-end report, the admin's list of calls): the session keeps only the entries.
    return this.#traceEntries.map((entry) => (this.#current?.shown() === entry ? this.#current : new TraceStep(entry, this)));
  }

  /** Records a key the caller pressed. */
  keyPressed(digit: string): void {
    const over = this.#pressedAt.length + 1 - PRESSED_LIMIT;
    this.#pressedKeys = over > 0 ? this.#pressedKeys.slice(over) + digit : this.#pressedKeys + digit;
    this.#pressedAt = appendedTime(this.#pressedAt, this.now(), Math.max(0, over));
  }

  /** Every key the caller pressed, oldest first (bounded), with when (ms since the epoch), for the call-end report. */
  get pressed(): { digit: string; at: number }[] {
    const at = this.#pressedAt;
    const out = new Array<{ digit: string; at: number }>(at.length);
    for (let i = 0; i < at.length; i++) out[i] = { digit: this.#pressedKeys.charAt(i), at: at[i] as number };
    return out;
  }

  /** Keys pressed that no element has consumed yet (a key that interrupted a prompt is kept for the next element). */
  get dtmf(): readonly string[] {
    return this.#keptKeys ?? NO_KEYS;
  }

  /** Keeps a key for the next element; a flood of keys keeps only the latest ones. */
  keepKey(digit: string): void {
    const keys = (this.#keptKeys ??= []);
    keys.push(digit);
    if (keys.length > DTMF_BUFFER_LIMIT) keys.splice(0, keys.length - DTMF_BUFFER_LIMIT);
  }

  /** The keys kept so far, oldest first, for an element that reads keys (a KeyReader); the session keeps none after. */
  takeKeys(): string[] {
    const keys = this.#keptKeys ?? [];
    this.#keptKeys = undefined;
    return keys;
  }

  /** Records that an element started on this call; returns the entry so the element can set its outcome. */
  enter(node: string, element: string): TraceStep {
    const step = TraceStep.starting(node, element, this.now(), this);
    this.#traceEntries = appended(this.#traceEntries, step.shown(), Math.max(0, this.#traceEntries.length + 1 - TRACE_LIMIT));
    this.#current = step;
    return step;
  }

  /**
   * A step's entry, replaced by one with its outcome (TraceStep), the
   * trace keeping its length (the entry is usually the last). One that left
   * the trace (past TRACE_LIMIT) is not put back.
   */
  replaceEntry(old: TraceEntry, entry: TraceEntry): void {
    const entries = this.#traceEntries;
    for (let i = entries.length - 1; i >= 0; i--) {
      if (entries[i] !== old) continue;
      // In place: the array is the session's own (every msg.call and CallSession.trace get copies).
      entries[i] = entry;
      return;
    }
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
    if (ms <= 0 || this.ended || this.handedOff) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (!this.ended) onIdle();
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
    const routed = this.routedHandle();
    if (routed) return routed;
    // A clone of the template (one object, its fields in place), then fresh copies of what a flow may change.
    const h = { ...this.template() };
    h.caller = { ...this.caller };
    h.vars = copyData(this.vars);
    h.trace = this.shownTrace();
    if (h.settings !== undefined) h.settings = { ...this.settings };
    if (this.route !== undefined) h.route = { ...this.route };
    if (this.campaign !== undefined) h.campaign = copyData(this.campaign);
    if (this.result !== undefined) h.result = { ...this.result };
    if (this.exception !== undefined) h.exception = { ...this.exception };
    return h;
  }

  /** msg.call.trace: a new array (a flow may change it), of the steps' shared entries. */
  private shownTrace(): TraceEntry[] {
    const entries = this.#traceEntries;
    const out = new Array<TraceEntry>(entries.length);
    for (let i = 0; i < entries.length; i++) out[i] = entries[i] as TraceEntry;
    return out;
  }

  /**
   * msg.call's fields, in the order snapshot() gives them, with the token:
   * made again only when one of the fields a node may set (flow, version,
   * language, settings, route, campaign, result) is another than it holds.
   */
  private template(): CallHandle {
    const t = this.#seldom?.template;
    if (
      t !== undefined &&
      t.flow === this.flow &&
      t.version === this.version &&
      t.language === this.language &&
      // The template holds the session's own objects (below), or none when the session has none: no list of them to compare.
      (t.settings === undefined ? !hasKeys(this.settings) : t.settings === this.settings) &&
      t.route === this.route &&
      t.campaign === this.campaign &&
      t.result === this.result &&
      t.exception === this.exception
    ) {
      return t;
    }
    const made = this.snapshot();
    made.token = this.#token;
    // handle() gives every msg its own copies of these: the template need not keep copies of its own (issue 14).
    made.caller = this.caller;
    made.vars = NO_VARS;
    made.trace = NO_TRACE;
    if (made.settings !== undefined) made.settings = this.settings;
    if (made.route !== undefined) made.route = this.route;
    if (made.campaign !== undefined) made.campaign = this.campaign;
    if (made.result !== undefined) made.result = this.result;
    if (made.exception !== undefined) made.exception = this.exception;
    this.seldom().template = made;
    return made;
  }

  /**
   * msg.call of a routed call with none of the rarer fields (version,
   * settings, campaign, result, exception), the usual case, as one literal
   * with fresh copies of what a flow may change: no template is kept for it
   * (a call in progress kept two msg.call objects, the template and the
   * msg's, each with a property array of its own for the fields added after
   * snapshot()'s literal: 256 bytes; issue 14). Undefined for any other call.
   */
  private routedHandle(): CallHandle | undefined {
    const { flow, language, route } = this;
    if (flow === undefined || route === undefined || this.version !== undefined || this.campaign !== undefined) return undefined;
    if (this.result !== undefined || this.exception !== undefined || hasKeys(this.settings)) return undefined;
    // A template made for a rarer moment of the call is not kept once it is routed plainly again.
    if (this.#seldom) this.#seldom.template = undefined;
    const { id, channelId, connection, direction, dialed, startedAt } = this;
    const caller = { ...this.caller };
    const vars = copyData(this.vars);
    const trace = this.shownTrace();
    const token = this.#token;
    const shown = { ...route };
    // The same fields in the same order as snapshot() and template() give them.
    return language === undefined
      ? { id, channelId, connection, direction, caller, dialed, vars, trace, startedAt, flow, route: shown, token }
      : { id, channelId, connection, direction, caller, dialed, vars, trace, startedAt, flow, language, route: shown, token };
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
      vars: copyData(this.vars),
      trace: this.shownTrace(),
      startedAt: this.startedAt,
    };
    if (this.flow !== undefined) h.flow = this.flow;
    if (this.version !== undefined) h.version = this.version;
    if (this.language !== undefined) h.language = this.language;
    if (hasKeys(this.settings)) h.settings = { ...this.settings };
    if (this.route) h.route = { ...this.route };
    if (this.campaign) h.campaign = copyData(this.campaign);
    if (this.result) h.result = { ...this.result };
    if (this.exception) h.exception = { ...this.exception };
    return h;
  }

  /**
   * Marks the call ended and aborts its signal. Only the first call counts;
   * later ones (a ChannelDestroyed after a StasisEnd) may add the cause.
   */
  end(info: Omit<CallEnd, 'at'>): boolean {
    const seldom = this.seldom();
    const ended = seldom.end;
    if (ended) {
      if (ended.cause === undefined && info.cause !== undefined) {
        ended.cause = info.cause;
        if (info.causeText !== undefined) ended.causeText = info.causeText;
      }
      return false;
    }
    this.busy();
    this.state = 'ended';
    // The element the call was in when it ended says so, whoever hears of the end first.
    const current = this.#current;
    if (current && current.outcome === undefined) current.outcome = 'hangup';
    seldom.end = { ...info, at: this.now() };
    const error = endedError(this.channelId, info);
    seldom.endError = error;
    seldom.ending?.abort(error);
    this.#steps?.abort(error);
    return true;
  }
}

/**
 * The CallEndedError every pending operation of the call is cancelled with.
 * Made without a stack: it would only show the registry's event handler, and
 * capturing it was the largest single cost of ending a call.
 */
function endedError(channelId: string, info: Omit<CallEnd, 'at'>): CallEndedError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new CallEndedError(channelId, info.reason, info.cause, info.causeText);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Whether an object has an own enumerable property (without making the array Object.keys would). */
function hasKeys(o: object): boolean {
  for (const key in o) if (Object.hasOwn(o, key)) return true;
  return false;
}
