import { CallEndedError, type CallEndReason } from '../ari/errors';
import type { RouteSettings } from '../schemas/routing';
import { put } from '../own';
import { newToken, tokenMatches, type CallException, type CallHandle, type TraceEntry } from './handle';
import { isoTime } from './iso-time';
import type { SessionRecording } from './recording';
import { StepSignal } from './step-signal';

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
 * One element a call passed. msg.call.trace and the call-end report show it
 * as a TraceEntry (ISO time); the step keeps the entry msg.call shows and
 * reads its node, element and time from it, rather than keeping them twice
 * (and its time as a boxed number): 40 bytes less per step (issue 14).
 */
export class TraceStep {
  /** How the element ended for this call; the element sets it. */
  outcome: string | undefined = undefined;
  /** What msg.call.trace shows of this step: made with it, again only when the outcome changed since. */
  #shown: TraceEntry;

  constructor(node: string, element: string, at: number) {
    this.#shown = Object.freeze({ node, element, at: isoTime(at) });
  }

  /** Node id. */
  get node(): string {
    return this.#shown.node;
  }

  /** Element type, e.g. "play". */
  get element(): string {
    return this.#shown.element;
  }

  /** When the element started on this call, ms since the epoch. */
  get at(): number {
    return Date.parse(this.#shown.at);
  }

  /** A new copy, for the call-end report (which may be stored and changed by the flow). */
  entry(): TraceEntry {
    // The time's text is the one msg.call shows (a string: shared, not copied).
    // One literal each way: an outcome added afterwards would go to a property array of its own (40 bytes per entry).
    const s = this.#shown;
    const outcome = this.outcome;
    return outcome === undefined ? { node: s.node, element: s.element, at: s.at } : { node: s.node, element: s.element, at: s.at, outcome };
  }

  /**
   * The step as msg.call.trace shows it. Every msg of the call shares the
   * entries of the steps it has passed (frozen: a flow cannot change one
   * msg's trace through another's), so a step costs one entry and one ISO
   * time, not one per later element.
   */
  shown(): TraceEntry {
    const s = this.#shown;
    if (s.outcome === this.outcome) return s;
    this.#shown = Object.freeze(this.entry());
    return this.#shown;
  }
}

/**
 * The live state of one call: what msg.call names. It owns the call's
 * AbortSignal, which fires once, when the call ends, so that every pending
 * operation of the call is cancelled at once.
 */
/** What a handle template holds in place of the copies handle() makes. */
const NO_VARS: Record<string, unknown> = Object.freeze({});
const NO_TRACE: TraceEntry[] = Object.freeze([]) as unknown as TraceEntry[];
/** A call's settings until the routing table gives it some. */
const NO_SETTINGS: RouteSettings = Object.freeze({});
/** No step, no key yet: shared, as appended() never changes the array it is given. */
const NO_STEPS: TraceStep[] = Object.freeze([]) as unknown as TraceStep[];
const NO_TIMES: number[] = Object.freeze([]) as unknown as number[];

/**
 * A new array: `list` without its first `drop` items, then `item`, exactly
 * as long as that. A call keeps its trace and its keys' times for as long as
 * it lasts, and an array grown by push() keeps room for 17 items from the
 * first (152 bytes, for 4 or 5 steps: issue 14); copying a list of at most a
 * few hundred items when a step starts or a key comes costs less than that.
 */
function appended<T>(list: readonly T[], item: T, drop: number): T[] {
  const length = list.length - drop;
  const out = new Array<T>(length + 1);
  for (let i = 0; i < length; i++) out[i] = list[i + drop] as T;
  out[length] = item;
  return out;
}

/**
 * The same for the keys' times, an array of its own making: V8 tracks what
 * an allocation site's arrays hold, and arrays made where objects were stored
 * keep numbers boxed (16 bytes each) instead of unboxed doubles.
 */
function appendedTime(list: readonly number[], at: number, drop: number): number[] {
  const length = list.length - drop;
  const out = new Array<number>(length + 1);
  for (let i = 0; i < length; i++) out[i] = list[i + drop] as number;
  out[length] = at;
  return out;
}

export class CallSession {
  readonly id: string;
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
  /** The version of the flow the call runs (a flow with versions); the call keeps it until it ends. */
  version: string | undefined;
  vars: Record<string, unknown> = {};
  /** Set when the flow asked Asterisk to hang up, so the report can say who ended the call. */
  hangupRequested = false;
  /** Set when the flow sends the call out of the application (dialplan, redirect), so its StasisEnd is not a hangup. */
  leaving: string | undefined;
  /** Keys pressed that no element has consumed yet (a key that interrupted a prompt is kept for the next element). */
  readonly dtmf: string[] = [];
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
  /** For a call a campaign placed: the campaign and the customer (msg.call.campaign). */
  campaign: CampaignLink | undefined;
  /** The call's recording (lib/call/recording.ts), once a campaign's Record calls or a robot started it: one per call. */
  recording: SessionRecording | undefined;
  /** The business result the flow set (callflow-result), stored with the campaign's attempt. */
  result: { code: string; subCode?: string } | undefined;
  /** Set when the call was sent to the exception-handling flow (msg.call.exception); a call is sent there once. */
  exception: CallException | undefined;
  /** Set while the call is handed to someone else (bridged to an agent): no element is expected to handle it. */
  handedOff = false;
  /** The channel the caller is bridged with, after a transfer. */
  peer: string | undefined;
  /** Who the flow's hangup request is on behalf of (the callee, when the caller is hung up because the callee left). */
  hangupBy: HungUpBy | undefined;
  /** Why the system hung the call up (a fault: an element's error, a deploy, the connection closing), for the campaign's attempt. */
  hangupWhy: string | undefined;
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
  /** Exactly as long as the steps (see appended()). */
  private traceSteps: TraceStep[] = NO_STEPS;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Aborted when the call ends (`signal`); made when first asked for. */
  #ending: AbortController | undefined;
  /** What the elements' steps run with (`stepSignal`); made when first asked for. */
  #steps: StepSignal | undefined;
  /** What the call ended with: the reason of both signals, also of one made after the end. */
  #endError: CallEndedError | undefined;
  private endInfo: CallEnd | undefined;
  private readonly now: () => number;
  /** What msg.call must carry to act on this call (see CallHandle.token); never logged. */
  readonly #token = newToken();
  /** msg.call.startedAt, made once. */
  #startedAtIso: string | undefined;
  /** What handle() clones (see template()), and the session's objects it was made from. */
  #template: CallHandle | undefined;

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
    this.startedAtMs = this.now();
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
    if (!this.#ending) {
      this.#ending = new AbortController();
      if (this.#endError) this.#ending.abort(this.#endError);
    }
    return this.#ending.signal;
  }

  /**
   * What the elements' steps on the call run with: aborted when the call
   * ends (with the same reason as `signal`), or by interruptSteps(). After
   * an interruption, the next step gets a new signal. A StepSignal (an
   * AbortSignal without the EventTarget: step-signal.ts), not a controller's.
   */
  get stepSignal(): AbortSignal {
    let steps = this.#steps;
    if (!steps || (steps.aborted && !this.#endError)) {
      steps = new StepSignal();
      this.#steps = steps;
      if (this.#endError) steps.abort(this.#endError);
    }
    return steps;
  }

  /** Cancels the steps running on the call now, the call going on (a node removed mid-call cancels its step). */
  interruptSteps(reason: Error): void {
    if (!this.#endError) this.#steps?.abort(reason);
  }

  get ended(): CallEnd | undefined {
    return this.endInfo;
  }

  /** The elements the call passed, oldest first (bounded). */
  get trace(): readonly TraceStep[] {
    return this.traceSteps;
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

  /** Keeps a key for the next element; a flood of keys keeps only the latest ones. */
  keepKey(digit: string): void {
    this.dtmf.push(digit);
    if (this.dtmf.length > DTMF_BUFFER_LIMIT) this.dtmf.splice(0, this.dtmf.length - DTMF_BUFFER_LIMIT);
  }

  /** Records that an element started on this call; returns the entry so the element can set its outcome. */
  enter(node: string, element: string): TraceStep {
    const step = new TraceStep(node, element, this.now());
    this.traceSteps = appended(this.traceSteps, step, Math.max(0, this.traceSteps.length + 1 - TRACE_LIMIT));
    return step;
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
    const steps = this.traceSteps;
    const out = new Array<TraceEntry>(steps.length);
    for (let i = 0; i < steps.length; i++) out[i] = (steps[i] as TraceStep).shown();
    return out;
  }

  /**
   * msg.call's fields, in the order snapshot() gives them, with the token:
   * made again only when one of the fields a node may set (flow, version,
   * language, settings, route, campaign, result) is another than it holds.
   */
  private template(): CallHandle {
    const t = this.#template;
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
    this.#template = made;
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
    this.#template = undefined;
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
    const current = this.traceSteps.at(-1);
    if (current && current.outcome === undefined) current.outcome = 'hangup';
    this.endInfo = { ...info, at: this.now() };
    const error = endedError(this.channelId, info);
    this.#endError = error;
    this.#ending?.abort(error);
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

/** How deep copyData follows plain objects and arrays before it leaves the value to structuredClone (a cycle, say). */
const PLAIN_DEPTH = 32;
/** What copyPlain answers for a value it does not copy itself. */
const NOT_PLAIN = Symbol('not plain');

/**
 * A copy of the call's data for msg.call (variables, the campaign link): a
 * change node editing the copy does not reach into the session. Plain data
 * (primitives, plain objects, arrays: what a flow usually keeps) is copied
 * by hand, a few times faster than structuredClone; anything else (a Date, a
 * Buffer, a Map, a cycle) goes through structuredClone as before, and a value
 * even that cannot copy (a function) is passed by reference.
 */
export function copyData<T extends object>(data: T): T {
  const copy = copyTop(data);
  if (copy !== NOT_PLAIN) return copy as T;
  try {
    return structuredClone(data);
  } catch {
    return { ...data };
  }
}

/**
 * The top level by spreading (one step for V8, which keeps a "__proto__"
 * key as an own entry), then each value that is not a primitive by copyPlain.
 */
function copyTop(data: object): unknown {
  const proto: unknown = Object.getPrototypeOf(data);
  if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
  const out: Record<string, unknown> = { ...data };
  for (const key in out) {
    if (!Object.hasOwn(out, key)) continue;
    const v = out[key];
    if (typeof v !== 'object' || v === null) {
      if (typeof v === 'function' || typeof v === 'symbol') return NOT_PLAIN;
      continue;
    }
    const copy = copyPlain(v, 1);
    if (copy === NOT_PLAIN) return NOT_PLAIN;
    if (key === '__proto__') put(out, key, copy);
    else out[key] = copy;
  }
  return out;
}

function copyPlain(value: unknown, depth: number): unknown {
  if (typeof value !== 'object') return typeof value === 'function' || typeof value === 'symbol' ? NOT_PLAIN : value;
  if (value === null) return null;
  if (depth > PLAIN_DEPTH) return NOT_PLAIN;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Array.prototype) {
    const from = value as unknown[];
    const out = new Array<unknown>(from.length);
    for (let i = 0; i < from.length; i++) {
      const v = copyPlain(from[i], depth + 1);
      if (v === NOT_PLAIN) return NOT_PLAIN;
      out[i] = v;
    }
    return out;
  }
  if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
  const from = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  // for-in with hasOwn walks the own enumerable keys as Object.keys does, without making their array.
  for (const key in from) {
    if (!Object.hasOwn(from, key)) continue;
    const v = copyPlain(from[key], depth + 1);
    if (v === NOT_PLAIN) return NOT_PLAIN;
    // A variable may be called "__proto__": it stays the copy's own entry, as structuredClone keeps it.
    if (key === '__proto__') put(out, key, v);
    else out[key] = v;
  }
  return out;
}
