/**
 * The simulated Asterisk: channels, Stasis applications, playbacks,
 * recordings and bridges, with the events Asterisk sends for them, in the
 * order it sends them (see docs/simulator.md for the sources). The HTTP and
 * WebSocket front end (server.ts) calls into this class; so do the
 * scripting API and the control endpoints.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { causeForSipResponse, causeText, dialStatusForCause, HANGUP_REASONS, isHangupReason, sipResponseForCause } from '../ari/causes';
import type { Application, AsteriskInfo, Channel, ChannelStateName, StoredRecording } from '../ari/types';
import { silentLogger, type Logger } from '../log';
import { SimClock } from './clock';
import { asteriskTime, SimBridge, SimChannel, SimPlayback, SimRecording } from './channel';
import { MediaResolver, silentWav } from './media';
import { AriHttpError } from './route';
import type { CallReport, HeardEntry, InboundCallOptions, NumberBehaviour, ScriptStep, TransferEntry } from './script';
import { SoundCatalog } from './sounds';

export interface SimulatorOptions {
  /** How much faster than real time simulated time runs (1 = real time). */
  speed?: number;
  /** The application inbound calls go to when placeCall names none. */
  defaultApp?: string;
  /** Behaviour of numbers without their own (default: answer after 1 s). */
  defaultBehaviour?: NumberBehaviour;
  /** A call still up after this many simulated ms is hung up by the simulator (default 1 hour). */
  maxCallMs?: number;
  /** Fetch sound:http(s):// media to learn its length (default true). */
  fetchMedia?: boolean;
  /** Every medium that exists plays exactly this many ms (load tests: 0 makes prompts instant); default: its own length. */
  mediaMs?: number;
  /** Whether the system has Asterisk's core English sounds (default true). */
  coreSounds?: boolean;
  /** How many ended calls' reports to keep (default 1000). */
  reportLimit?: number;
  asteriskId?: string;
  logger?: Logger;
}

/** A WebSocket subscriber of /ari/events. */
export interface EventSession {
  send(text: string): void;
}

type Interest = string; // 'stasis' | 'originate' | 'subscription' | 'bridge-member:<channelId>'

class StasisApp {
  session: EventSession | undefined;
  subscribeAll = false;
  readonly channels = new Map<string, Set<Interest>>();
  readonly bridges = new Map<string, Set<Interest>>();
  constructor(readonly name: string) {}

  add(map: Map<string, Set<Interest>>, id: string, interest: Interest): void {
    let set = map.get(id);
    if (!set) {
      set = new Set();
      map.set(id, set);
    }
    set.add(interest);
  }
  remove(map: Map<string, Set<Interest>>, id: string, interest?: Interest): void {
    const set = map.get(id);
    if (!set) return;
    if (interest === undefined) set.clear();
    else set.delete(interest);
    if (set.size === 0) map.delete(id);
  }
  /** An app with no socket and no subscriptions is gone (Asterisk cleans it up). */
  get finished(): boolean {
    return !this.session && this.channels.size === 0 && this.bridges.size === 0;
  }
}

interface Scope {
  channels?: SimChannel[];
  bridges?: SimBridge[];
  /** Send only to this app, whatever its subscriptions (StasisStart, StasisEnd). */
  direct?: string;
}

const RECORDING_FORMATS = ['wav', 'wav49', 'gsm', 'ulaw', 'alaw', 'sln', 'g722', 'g729', 'ogg'];
const TERMINATE_DIGITS: Record<string, string> = { none: '', any: '#*0123456789ABCD', '*': '*', '#': '#' };
const DEFAULT_BEHAVIOUR: NumberBehaviour = { outcome: 'answer', ringMs: 1000 };
const OUTCOME_SIP: Record<Exclude<NumberBehaviour['outcome'], 'answer' | 'no-answer'>, number> = {
  busy: 486,
  unallocated: 404,
  rejected: 603,
  congestion: 503,
  unavailable: 480,
  unreachable: 408,
};

/**
 * A caller id as ARI takes it: `"Name" <number>`, `Name <number>` or a bare
 * number. Read by hand: the regular expression it replaced
 * (/^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$/) backtracked in cubic time on a
 * long run of spaces (2,000 took 9 s).
 */
export function parseCallerId(callerId: string | undefined): { name: string; number: string } {
  if (!callerId) return { name: '', number: '' };
  const text = callerId.trim();
  const open = text.indexOf('<');
  if (open >= 0 && text.endsWith('>')) {
    const number = text.slice(open + 1, -1);
    let name = text.slice(0, open).trim();
    if (name.startsWith('"')) name = name.slice(1);
    if (name.endsWith('"')) name = name.slice(0, -1);
    if (!number.includes('>') && !name.includes('"')) return { name: name.trim(), number: number.trim() };
  }
  return { name: '', number: text };
}

export class SimulatedAsterisk extends EventEmitter {
  readonly clock: SimClock;
  readonly sounds: SoundCatalog;
  readonly media: MediaResolver;
  readonly asteriskId: string;
  startupTime = new Date();
  defaultApp: string;
  defaultBehaviour: NumberBehaviour;
  readonly numbers = new Map<string, NumberBehaviour>();
  private readonly apps = new Map<string, StasisApp>();
  private readonly channels = new Map<string, SimChannel>();
  private readonly bridges = new Map<string, SimBridge>();
  private readonly playbacks = new Map<string, SimPlayback>();
  private readonly liveRecordings = new Map<string, SimRecording>();
  private readonly stored = new Map<string, { format: string; durationMs: number }>();
  private readonly globals = new Map<string, string>();
  private readonly deviceStates = new Map<string, string>();
  private readonly mailboxes = new Map<string, { old: number; new: number }>();
  private readonly reports = new Map<string, CallReport>();
  private readonly log: Logger;
  private readonly maxCallMs: number;
  private readonly reportLimit: number;
  private sequence = 0;

  constructor(options: SimulatorOptions = {}) {
    super();
    this.setMaxListeners(0);
    this.clock = new SimClock(options.speed ?? 1);
    this.defaultApp = options.defaultApp ?? 'callflow';
    this.defaultBehaviour = options.defaultBehaviour ?? DEFAULT_BEHAVIOUR;
    this.maxCallMs = options.maxCallMs ?? 3_600_000;
    this.reportLimit = options.reportLimit ?? 1000;
    this.asteriskId = options.asteriskId ?? '02:42:ac:11:00:02';
    this.log = options.logger ?? silentLogger;
    this.sounds = new SoundCatalog({ core: options.coreSounds ?? true });
    this.media = new MediaResolver(this.sounds, (name) => this.stored.get(name)?.durationMs, {
      fetch: options.fetchMedia ?? true,
      fetchTimeoutMs: 5000,
      ...(options.mediaMs !== undefined ? { fixedMs: options.mediaMs } : {}),
    });
  }

  // ---------------------------------------------------------------- apps & events

  private app(name: string): StasisApp {
    let app = this.apps.get(name);
    if (!app) {
      app = new StasisApp(name);
      this.apps.set(name, app);
    }
    return app;
  }

  /** A WebSocket subscribes to applications (GET /ari/events?app=...). */
  attachSession(session: EventSession, apps: string[], subscribeAll: boolean): void {
    for (const name of apps) {
      const app = this.app(name);
      if (app.session && app.session !== session) {
        // The old socket stays open but loses the application; it is told so first, with what app_update packs
        // (type, timestamp, application) and app_send adds (asterisk_id): nothing says who took it.
        app.session.send(JSON.stringify({ type: 'ApplicationReplaced', timestamp: asteriskTime(), application: name, asterisk_id: this.asteriskId }));
      }
      app.session = session;
      app.subscribeAll = subscribeAll;
      this.log.debug(`Activating Stasis app '${name}'`);
    }
  }

  /** The WebSocket went away: its applications become inactive; their channels stay in Stasis. */
  detachSession(session: EventSession): void {
    for (const app of this.apps.values()) {
      if (app.session === session) {
        app.session = undefined;
        app.subscribeAll = false;
        this.log.debug(`Deactivating Stasis app '${app.name}'`);
      }
    }
    for (const [name, app] of this.apps) if (app.finished) this.apps.delete(name);
  }

  /** Names of the applications that have a WebSocket now. */
  activeApps(): string[] {
    return [...this.apps.values()].filter((a) => a.session).map((a) => a.name);
  }

  private publish(type: string, fields: Record<string, unknown>, scope: Scope): void {
    const timestamp = asteriskTime();
    for (const app of this.apps.values()) {
      const wanted =
        scope.direct !== undefined
          ? scope.direct === app.name
          : app.subscribeAll ||
            (scope.channels ?? []).some((c) => app.channels.has(c.id)) ||
            (scope.bridges ?? []).some((b) => app.bridges.has(b.id));
      if (!wanted) continue;
      if (!app.session) {
        this.log.debug(`Inactive Stasis app '${app.name}' missed message ${type}`);
        continue;
      }
      app.session.send(JSON.stringify({ type, timestamp, ...fields, asterisk_id: this.asteriskId, application: app.name }));
    }
  }

  private channelEvent(type: string, ch: SimChannel, extra: Record<string, unknown> = {}): void {
    this.publish(type, { ...extra, channel: ch.json() }, { channels: [ch] });
  }

  // ---------------------------------------------------------------- ids, lookups

  private newChannelId(): string {
    this.sequence += 1;
    return `${Math.floor(this.startupTime.getTime() / 1000)}.${this.sequence}`;
  }

  private channelName(endpoint: string): string {
    return `PJSIP/${endpoint}-${this.sequence.toString(16).padStart(8, '0')}`;
  }

  channel(id: string): SimChannel {
    const ch = this.channels.get(id);
    if (!ch) throw new AriHttpError(404, 'Channel not found');
    return ch;
  }

  /** As Asterisk's find_control: the channel must exist and be in a Stasis application. */
  private control(id: string): SimChannel {
    const ch = this.channel(id);
    if (!ch.stasisApp) throw new AriHttpError(409, 'Channel not in Stasis application');
    return ch;
  }

  /** Operations that need media (answer, play, dtmf...) are refused on channels that are not yet up or ringing inbound. */
  private checkState(ch: SimChannel): void {
    if (ch.state === 'Down' || ch.state === 'Rsrvd' || ch.state === 'Ringing') {
      throw new AriHttpError(412, 'Channel in invalid state');
    }
  }

  private bridge(id: string): SimBridge {
    const b = this.bridges.get(id);
    if (!b) throw new AriHttpError(404, 'Bridge not found');
    return b;
  }

  channelList(): Channel[] {
    return [...this.channels.values()].filter((c) => !c.destroyed).map((c) => c.json());
  }

  // ---------------------------------------------------------------- reports

  private newReport(id: string, name: string, direction: 'inbound' | 'outbound', from: string, to: string): CallReport {
    const report: CallReport = {
      id,
      channelName: name,
      direction,
      from,
      to,
      state: 'Down',
      startedAt: new Date().toISOString(),
      heard: [],
      pressed: [],
      transfers: [],
      recordings: [],
      variables: {},
    };
    this.reports.set(id, report);
    if (this.reports.size > this.reportLimit) {
      for (const [key, r] of this.reports) {
        if (r.ended) {
          this.reports.delete(key);
          break;
        }
      }
    }
    return report;
  }

  report(id: string): CallReport | undefined {
    const r = this.reports.get(id);
    return r ? (structuredClone(r)) : undefined;
  }

  reportList(filter: { active?: boolean } = {}): CallReport[] {
    return [...this.reports.values()]
      .filter((r) => filter.active === undefined || filter.active === !r.ended)
      .map((r) => structuredClone(r));
  }

  /** Resolves with the report once the call has ended (immediately if it already has). */
  waitForEnd(id: string, signal?: AbortSignal): Promise<CallReport> {
    const r = this.reports.get(id);
    if (!r) return Promise.reject(new AriHttpError(404, `No call ${id}`));
    if (r.ended) return Promise.resolve(structuredClone(r));
    return new Promise((resolve, reject) => {
      const onEnd = (ended: CallReport): void => {
        if (ended.id !== id) return;
        cleanup();
        resolve(ended);
      };
      const onAbort = (): void => {
        cleanup();
        reject(signal?.reason as Error);
      };
      const cleanup = (): void => {
        this.off('call-ended', onEnd);
        signal?.removeEventListener('abort', onAbort);
      };
      this.on('call-ended', onEnd);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private setState(ch: SimChannel, state: ChannelStateName): void {
    if (ch.state === state) return;
    ch.state = state;
    ch.report.state = state;
    if (state === 'Up' && !ch.report.answeredAt) ch.report.answeredAt = new Date().toISOString();
    this.channelEvent('ChannelStateChange', ch);
    ch.signals.emit('state', state);
  }

  private after(ch: SimChannel, ms: number, fn: () => void): void {
    const timer = this.clock.after(ms, () => {
      ch.timers.delete(timer);
      if (!ch.destroyed) fn();
    });
    ch.timers.add(timer);
  }

  // ---------------------------------------------------------------- inbound calls

  /**
   * A call arrives from the network and the simulated dialplan sends it to
   * Stasis(app,args...). Returns the channel id (= the report id).
   */
  placeCall(opts: InboundCallOptions): string {
    if (!opts.from || !opts.to) throw new AriHttpError(400, 'placeCall needs "from" and "to"');
    const appName = opts.app ?? this.defaultApp;
    const args = opts.args ?? [];
    const id = this.newChannelId();
    const name = this.channelName(opts.endpoint ?? 'trunk');
    const report = this.newReport(id, name, 'inbound', opts.from, opts.to);
    report.app = appName;
    const ch = new SimChannel(
      id,
      name,
      randomUUID(),
      'inbound',
      'dialplan',
      {
        state: 'Ring',
        caller: { name: opts.callerName ?? '', number: opts.from },
        dialplan: { context: 'from-external', exten: opts.to, priority: 1, app_name: 'Stasis', app_data: [appName, ...args].join(',') },
        language: opts.language ?? 'en',
      },
      report,
    );
    report.state = 'Ring';
    for (const [k, v] of Object.entries(opts.variables ?? {})) ch.vars.set(k, v);
    for (const [k, v] of Object.entries(opts.headers ?? {})) ch.headers.set(k.toLowerCase(), v);
    this.channels.set(id, ch);
    this.channelEvent('ChannelCreated', ch);
    this.after(ch, this.maxCallMs, () => this.hangupChannel(ch, 16, 'system', 'maximum call length reached'));
    this.enterStasis(ch, appName, args);
    if (!ch.destroyed && opts.script) this.runScript(ch, opts.script, 'caller');
    return id;
  }

  /** Stasis(app,args): StasisStart goes straight to the app; the app is then subscribed to the channel. */
  private enterStasis(ch: SimChannel, appName: string, args: string[]): void {
    const app = this.apps.get(appName);
    if (!app?.session) {
      ch.stasisApp = undefined;
      this.log.warn(`Stasis app '${appName}' not registered: call ${ch.id} from ${ch.caller.number} fails`);
      this.hangupChannel(ch, 16, 'system', `Stasis application '${appName}' is not registered (no WebSocket)`);
      return;
    }
    ch.stasisApp = appName;
    ch.dialplan = { ...ch.dialplan, app_name: 'Stasis', app_data: [appName, ...args].join(',') };
    this.publish('StasisStart', { args, channel: ch.json() }, { direct: appName });
    app.add(app.channels, ch.id, 'stasis');
  }

  /** Leaves Stasis: the app is unsubscribed first, then StasisEnd goes straight to it (as stasis_app_exec does). */
  private leaveStasis(ch: SimChannel): void {
    const appName = ch.stasisApp;
    if (!appName) return;
    ch.stasisApp = undefined;
    const app = this.apps.get(appName);
    app?.remove(app.channels, ch.id, 'stasis');
    this.publish('StasisEnd', { channel: ch.json() }, { direct: appName });
    if (app?.finished) this.apps.delete(appName);
  }

  // ---------------------------------------------------------------- outbound calls

  /**
   * An endpoint as ARI and chan_pjsip read it (res/ari/resource_channels.c, channels/chan_pjsip.c request()):
   * the technology before the first "/"; then "<endpoint>[/<location>]", "<user>@<endpoint>" dialing the user
   * through the endpoint, the location an AOR or a URI (sip: or sips:, whose user is called unless a user was
   * given before "@"). The simulator has every endpoint whose name could be a pjsip.conf section (letters, digits,
   * _ . + * # -) and no AOR: anything else fails as Asterisk fails a request it cannot place (500).
   */
  private parseEndpoint(endpoint: string): { endpointName: string; number: string; resource: string } {
    const slash = endpoint.indexOf('/');
    if (slash <= 0 || slash === endpoint.length - 1) throw new AriHttpError(400, 'Invalid endpoint specified');
    const tech = endpoint.slice(0, slash);
    const resource = endpoint.slice(slash + 1);
    if (tech.toUpperCase() !== 'PJSIP') {
      // Asterisk fails to request a channel of a technology it does not have.
      throw new AriHttpError(500, 'Allocation failed');
    }
    const second = resource.indexOf('/');
    const first = second < 0 ? resource : resource.slice(0, second);
    const at = first.indexOf('@');
    const endpointName = at >= 0 ? first.slice(at + 1) : first;
    let user = at >= 0 ? first.slice(0, at) : '';
    // chan_pjsip: "endpoint '...' was not found" (cause 3), answered 500 by ARI.
    if (!/^[A-Za-z0-9_.+*#-]+$/.test(endpointName)) throw new AriHttpError(500, 'Allocation failed');
    if (second >= 0) {
      // No AOR has that name here, so chan_pjsip would use the location as the request URI: only sip: and sips: make a dialog.
      const uri = /^sips?:(?:([^@;]*)@)?[^;]+/i.exec(resource.slice(second + 1));
      if (!uri) throw new AriHttpError(500, 'Allocation failed');
      user ||= uri[1] ?? '';
    }
    return { endpointName, number: user || endpointName, resource };
  }


  originate(p: {
    endpoint: string;
    channelId?: string;
    app?: string;
    appArgs?: string;
    callerId?: string;
    timeout?: number;
    variables?: Record<string, unknown>;
    extension?: string;
    context?: string;
    priority?: number;
    label?: string;
    originator?: string;
    formats?: string;
  }): Channel {
    if (!p.endpoint) throw new AriHttpError(400, 'Endpoint must be specified');
    if (p.originator && p.formats) throw new AriHttpError(400, "Originator and formats can't both be specified");
    if (!p.app && !p.extension) throw new AriHttpError(400, 'Application or extension must be specified');
    if (p.priority === 0) throw new AriHttpError(400, 'Requested priority is illegal');
    if (p.originator && !this.channels.has(p.originator)) throw new AriHttpError(400, 'Provided originator channel was not found');
    const { ch, resource } = this.newOutbound(p.endpoint, p.channelId, p.callerId, p.variables, 'originate');
    ch.dialplan = { context: p.context ?? 'default', exten: p.extension ?? 's', priority: p.priority ?? 1, app_name: '', app_data: '' };
    const appArgs = p.appArgs ? p.appArgs.split(',') : [];
    if (p.app) this.app(p.app).add(this.app(p.app).channels, ch.id, 'originate');
    ch.dialing = { dialstring: resource, appArgs, viaDial: false };
    if (p.app) ch.dialing.app = p.app;
    const timeoutSec = p.timeout ?? 30;
    // The request returns first; dialing happens after.
    this.after(ch, 0, () => this.dial(ch, timeoutSec, undefined, p.extension ? `${p.context ?? 'default'},${p.extension},${p.priority ?? 1}` : undefined));
    return ch.json();
  }

  /** POST /channels/create: a channel in Stasis, not yet dialed. */
  create(p: { endpoint: string; app: string; appArgs?: string; channelId?: string; variables?: Record<string, unknown>; originator?: string; formats?: string }): Channel {
    if (!p.endpoint) throw new AriHttpError(400, 'Endpoint must be specified');
    if (p.originator && p.formats) throw new AriHttpError(400, "Originator and formats can't both be specified");
    const { ch, resource } = this.newOutbound(p.endpoint, p.channelId, undefined, p.variables, 'create');
    ch.dialing = { dialstring: resource, appArgs: [], viaDial: true };
    ch.dialplan = { context: 'default', exten: 's', priority: 1, app_name: 'Stasis', app_data: [p.app, p.appArgs ?? ''].filter(Boolean).join(',') };
    this.app(p.app).add(this.app(p.app).channels, ch.id, 'originate');
    const json = ch.json();
    // Asterisk makes the channel's Stasis control before answering, so it can be dialed at once;
    // StasisStart follows from the channel's own thread.
    ch.stasisApp = p.app;
    this.after(ch, 0, () => this.enterStasis(ch, p.app, p.appArgs ? p.appArgs.split(',') : []));
    return json;
  }

  private newOutbound(
    endpoint: string,
    channelId: string | undefined,
    callerId: string | undefined,
    variables: Record<string, unknown> | undefined,
    createdBy: 'originate' | 'create',
  ): { ch: SimChannel; resource: string } {
    const { endpointName, number, resource } = this.parseEndpoint(endpoint);
    if (channelId !== undefined && channelId.length > 127) throw new AriHttpError(400, 'Uniqueid length exceeds maximum of 127');
    if (channelId !== undefined && this.channels.has(channelId)) {
      throw new AriHttpError(409, 'Channel with given unique ID already exists');
    }
    if (Object.values(variables ?? {}).some((v) => typeof v !== 'string')) {
      throw new AriHttpError(400, "Only string values in the 'variables' object allowed");
    }
    const id = channelId ?? this.newChannelId();
    if (channelId !== undefined) this.sequence += 1;
    const name = this.channelName(endpointName);
    const caller = parseCallerId(callerId);
    const report = this.newReport(id, name, 'outbound', caller.number, number);
    const ch = new SimChannel(
      id,
      name,
      randomUUID(),
      'outbound',
      createdBy,
      { state: 'Down', caller, dialplan: { context: 'default', exten: 's', priority: 1, app_name: '', app_data: '' }, language: 'en' },
      report,
    );
    ch.connected = { name: '', number };
    for (const [k, v] of Object.entries(variables ?? {})) ch.vars.set(k, String(v));
    // Functions set through variables, as Asterisk runs them on the new channel: the callee sees the connected line.
    const vars = (variables ?? {}) as Record<string, string>;
    if (vars['CALLERID(num)'] !== undefined) ch.caller = { ...ch.caller, number: vars['CALLERID(num)'] };
    const shown = vars['CONNECTEDLINE(num)'] ?? vars['CALLERID(num)'];
    if (shown !== undefined) report.from = shown;
    this.channels.set(id, ch);
    this.channelEvent('ChannelCreated', ch);
    this.after(ch, this.maxCallMs, () => this.hangupChannel(ch, 16, 'system', 'maximum call length reached'));
    return { ch, resource };
  }

  /** POST /channels/{id}/dial */
  dialCreated(channelId: string, p: { caller?: string; timeout?: number }): void {
    const ch = this.control(channelId);
    if (ch.createdBy !== 'create') throw new AriHttpError(409, 'Dialing a channel not created by ARI');
    if (ch.state !== 'Down' && ch.state !== 'Rsrvd') throw new AriHttpError(409, "Channel is not in the 'Down' state");
    let caller: SimChannel | undefined;
    if (p.caller) {
      caller = this.channels.get(p.caller);
      if (!caller) throw new AriHttpError(404, 'Callee not found');
    }
    this.after(ch, 0, () => this.dial(ch, p.timeout && p.timeout > 0 ? p.timeout : -1, caller));
  }

  /** Rings the number behind an outbound channel and plays out its behaviour. */
  private dial(ch: SimChannel, timeoutSec: number, caller?: SimChannel, dialplanTarget?: string): void {
    const dialing = ch.dialing;
    if (!dialing) return;
    const number = ch.report.to;
    const behaviour = this.numbers.get(number) ?? this.defaultBehaviour;
    const dialstring = dialing.dialstring;
    const dialEvent = (status: string): void => {
      const fields: Record<string, unknown> = { dialstatus: status, forward: '', dialstring, peer: ch.json() };
      if (caller) fields.caller = caller.json();
      this.publish('Dial', fields, { channels: caller ? [ch, caller] : [ch] });
    };
    dialEvent('');
    this.after(ch, 100, () => {
      // A callee that answered first (this timer came late: a loaded machine, a high speed) does not ring again.
      if (ch.state === 'Up' || ch.hangingUp) return;
      if (dialing.viaDial) dialEvent('RINGING');
      this.setState(ch, 'Ringing');
    });
    const ringMs = behaviour.ringMs ?? 1000;
    if (timeoutSec > 0) {
      this.after(ch, timeoutSec * 1000, () => {
        if (ch.state === 'Up') return;
        // Asterisk's dialing API cancels the call; since the 2025 fix the cause is 19 (no answer).
        if (dialing.viaDial) dialEvent('NOANSWER');
        this.hangupChannel(ch, 19, 'system', `no answer within ${timeoutSec} s`, { noRequestEvent: !dialing.viaDial });
      });
    }
    if (behaviour.outcome === 'no-answer' && behaviour.ringMs === undefined) return; // rings until the timeout
    this.after(ch, Math.max(ringMs, 101), () => {
      if (ch.state === 'Up' || ch.hangingUp) return;
      if (behaviour.outcome === 'answer') {
        this.setState(ch, 'Up');
        dialEvent('ANSWER');
        ch.dialing = undefined;
        if (!dialing.viaDial) {
          if (dialing.app) this.enterStasis(ch, dialing.app, dialing.appArgs);
          else if (dialplanTarget) this.transfer(ch, { kind: 'dialplan', target: dialplanTarget, at: new Date().toISOString() });
        }
        if (!ch.destroyed && behaviour.script) this.runScript(ch, behaviour.script, 'callee');
        return;
      }
      const sip = behaviour.sipCode ?? (behaviour.outcome === 'no-answer' ? 480 : OUTCOME_SIP[behaviour.outcome]);
      const cause = causeForSipResponse(sip);
      this.channelEvent('ChannelHangupRequest', ch, { cause });
      dialEvent(dialStatusForCause(cause));
      this.hangupChannel(ch, cause, 'callee', `SIP ${sip}`, { noRequestEvent: true });
    });
  }

  // ---------------------------------------------------------------- hangup

  /**
   * Ends a channel: ChannelHangupRequest, the end of its media, StasisEnd,
   * ChannelDestroyed; each to the apps that are subscribed at that moment.
   */
  hangupChannel(
    ch: SimChannel,
    cause: number,
    by: 'caller' | 'callee' | 'application' | 'system',
    note?: string,
    opts: { soft?: boolean; noRequestEvent?: boolean } = {},
  ): void {
    if (ch.hangingUp) return;
    ch.hangingUp = true;
    ch.hangupCause = cause;
    ch.dialing = undefined;
    if (!opts.noRequestEvent) {
      // An ARI DELETE is a soft hangup whose blob carries the softhangup flag (32), not a Q.850 code.
      this.channelEvent('ChannelHangupRequest', ch, opts.soft ? { cause: 32, soft: true } : { cause });
    }
    ch.scriptAbort.abort();
    // Queued playbacks die with the channel silently; the one playing ends as failed.
    for (const pb of ch.playbacks.splice(1)) {
      pb.state = 'done';
      this.playbacks.delete(pb.id);
    }
    const playing = ch.playbacks[0];
    if (playing) this.finishPlayback(playing, playing.state === 'queued' ? 'done' : 'failed', 'failed');
    if (ch.recording) this.finishRecording(ch.recording, 'done');
    if (ch.bridgeId) this.removeFromBridge(this.bridges.get(ch.bridgeId), ch);
    this.leaveStasis(ch);
    for (const t of ch.timers) t.cancel();
    ch.timers.clear();
    ch.destroyed = true;
    const answered = ch.report.answeredAt !== undefined;
    this.channelEvent('ChannelDestroyed', ch, { cause, cause_txt: causeText(cause) });
    this.channels.delete(ch.id);
    for (const app of this.apps.values()) app.remove(app.channels, ch.id);
    for (const [name, app] of this.apps) if (app.finished) this.apps.delete(name);
    ch.report.state = 'Destroyed';
    ch.report.ended = { at: new Date().toISOString(), cause, causeText: causeText(cause), by };
    if (ch.direction === 'inbound' && !answered) ch.report.ended.sipResponse = sipResponseForCause(cause);
    if (note) ch.report.ended.note = note;
    ch.signals.emit('destroyed');
    this.emit('call-ended', structuredClone(ch.report));
  }

  /** DELETE /channels/{id} */
  hangupRequest(id: string, reason?: string, reasonCode?: string): void {
    const ch = this.channel(id);
    if (reason !== undefined && reasonCode !== undefined) throw new AriHttpError(400, "The reason and reason_code can't both be specified");
    let cause: number = HANGUP_REASONS.normal;
    if (reasonCode !== undefined) {
      if (!/^-?\d+$/.test(reasonCode.trim())) throw new AriHttpError(400, 'Invalid reason for hangup reason code provided');
      cause = Number(reasonCode);
    } else if (reason !== undefined) {
      if (!isHangupReason(reason)) throw new AriHttpError(400, 'Invalid reason for hangup reason provided');
      cause = HANGUP_REASONS[reason];
    }
    this.hangupChannel(ch, cause, 'application', undefined, { soft: true });
  }

  // ---------------------------------------------------------------- channel operations

  answer(id: string): void {
    const ch = this.control(id);
    this.checkState(ch);
    this.setState(ch, 'Up');
  }

  ring(id: string, on: boolean): void {
    const ch = this.control(id);
    this.checkState(ch);
    void on; // ringing indication goes to the caller; the channel state does not change
  }

  /** The application sends DTMF to the far end: the party hears the tones (reported as dtmf:<digits>). */
  sendDtmf(id: string, dtmf: string | undefined, timing: { before?: number; between?: number; duration?: number; after?: number } = {}): void {
    if (!dtmf) throw new AriHttpError(400, 'DTMF is required');
    const ch = this.control(id);
    this.checkState(ch);
    const digits = dtmf.replace(/,/g, '');
    const entry: HeardEntry = { media: `dtmf:${dtmf}`, playbackId: '', target: 'channel', startedAt: new Date().toISOString() };
    ch.report.heard.push(entry);
    const lasts = (timing.before ?? 0) + digits.length * (timing.duration ?? 100) + Math.max(0, digits.length - 1) * (timing.between ?? 100) + (timing.after ?? 0);
    this.after(ch, lasts, () => {
      entry.outcome = 'done';
      entry.endedAt = new Date().toISOString();
    });
  }

  /** Media operations that only change what the far end hears (mute, hold, moh, silence). */
  mediaControl(id: string): void {
    const ch = this.control(id);
    this.checkState(ch);
  }

  continueInDialplan(id: string, p: { context?: string; extension?: string; priority?: number; label?: string }): void {
    const ch = this.control(id);
    this.checkState(ch);
    if (p.priority === 0) throw new AriHttpError(400, 'Requested priority is illegal');
    const context = p.context ?? ch.dialplan.context;
    const extension = p.extension ?? (p.context ? 's' : ch.dialplan.exten);
    const priority = p.priority ?? (p.context || p.extension ? 1 : ch.dialplan.priority + 1);
    const target = `${context},${extension},${p.label ?? priority}`;
    ch.dialplan = { context, exten: extension, priority, app_name: '', app_data: '' };
    this.after(ch, 0, () => {
      this.leaveStasis(ch);
      this.transfer(ch, { kind: 'dialplan', target, at: new Date().toISOString() });
    });
  }

  redirect(id: string, endpoint: string | undefined): void {
    if (!endpoint) throw new AriHttpError(400, "Required parameter 'endpoint' not provided.");
    const ch = this.control(id);
    this.checkState(ch);
    const slash = endpoint.indexOf('/');
    if (slash < 0) throw new AriHttpError(422, `Endpoint parameter '${endpoint}' does not contain tech/resource`);
    if (slash === endpoint.length - 1) throw new AriHttpError(422, `No resource provided in endpoint parameter '${endpoint}'`);
    const tech = endpoint.slice(0, slash);
    if (tech.toUpperCase() !== 'PJSIP') throw new AriHttpError(422, `Endpoint technology '${tech}' does not match channel technology 'PJSIP'`);
    this.after(ch, 0, () => {
      this.transfer(ch, { kind: 'redirect', target: endpoint, at: new Date().toISOString() });
      // A redirected call is handed to the far end (302 or REFER) and leaves Asterisk.
      this.after(ch, 50, () => this.hangupChannel(ch, 16, 'system', `redirected to ${endpoint}`, { soft: true }));
    });
  }

  private transfer(ch: SimChannel, entry: TransferEntry): void {
    ch.report.transfers.push(entry);
    ch.signals.emit('transfer', entry);
  }

  getVariable(id: string, variable: string | undefined): { value: string } {
    if (!variable) throw new AriHttpError(400, 'Variable name is required');
    const ch = this.channels.get(id);
    if (!ch) throw new AriHttpError(404, 'Provided channel was not found');
    const fn = /^(\w+)\((.*)\)$/.exec(variable);
    if (fn) {
      const [, name = '', arg = ''] = fn;
      const functions: Record<string, () => string | undefined> = {
        CALLERID: () => (arg === 'num' ? ch.caller.number : arg === 'name' ? ch.caller.name : arg === 'all' ? `"${ch.caller.name}" <${ch.caller.number}>` : undefined),
        CHANNEL: () => (arg === 'language' ? ch.language : arg === 'name' ? ch.name : arg === 'state' ? ch.state : undefined),
        CONNECTEDLINE: () => (arg === 'num' ? ch.connected.number : arg === 'name' ? ch.connected.name : undefined),
        // A header that is not there makes the function fail, as res_pjsip_header_funcs does.
        PJSIP_HEADER: () => (/^read,/i.test(arg) ? ch.headers.get(arg.slice(5).trim().toLowerCase()) : undefined),
      };
      const value = functions[name]?.();
      if (value === undefined) throw new AriHttpError(500, 'Unable to read provided function');
      return { value };
    }
    const builtin: Record<string, string> = { UNIQUEID: ch.id, CHANNEL: ch.name, EXTEN: ch.dialplan.exten, CONTEXT: ch.dialplan.context };
    const value = ch.vars.get(variable) ?? builtin[variable];
    if (value === undefined) throw new AriHttpError(404, 'Provided variable was not found');
    return { value };
  }

  setVariable(id: string, variable: string | undefined, value: string | undefined): void {
    if (!variable) throw new AriHttpError(400, 'Variable name is required');
    const ch = this.control(id);
    const fn = /^(\w+)\((.*)\)$/.exec(variable);
    if (fn) {
      const [, name, arg] = fn;
      if (name === 'CHANNEL' && arg === 'language') ch.language = value ?? '';
      else if (name === 'CALLERID' && arg === 'num') ch.caller = { ...ch.caller, number: value ?? '' };
      else if (name === 'CALLERID' && arg === 'name') ch.caller = { ...ch.caller, name: value ?? '' };
      else throw new AriHttpError(400, 'Failed to execute function');
    } else {
      ch.vars.set(variable, value ?? '');
    }
    ch.report.variables[variable] = value ?? '';
    this.channelEvent('ChannelVarset', ch, { variable, value: value ?? '' });
  }

  globalVariable(variable: string | undefined, value?: string): { value: string } | undefined {
    if (!variable) throw new AriHttpError(400, 'Missing variable parameter.');
    if (value === undefined) return { value: this.globals.get(variable) ?? '' };
    this.globals.set(variable, value);
    this.publish('ChannelVarset', { variable, value }, {});
    return undefined;
  }

  // ---------------------------------------------------------------- playback

  play(target: { channelId?: string; bridgeId?: string }, p: { media: string[]; lang?: string; playbackId?: string; offsetms?: number; skipms?: number }): ReturnType<SimPlayback['json']> {
    if ((p.skipms ?? 0) < 0) throw new AriHttpError(400, 'skipms cannot be negative');
    if ((p.offsetms ?? 0) < 0) throw new AriHttpError(400, 'offsetms cannot be negative');
    let language = p.lang;
    let queue: SimPlayback[];
    let kind: 'channel' | 'bridge';
    let id: string;
    if (target.channelId !== undefined) {
      const ch = this.control(target.channelId);
      this.checkState(ch);
      language ??= ch.language;
      queue = ch.playbacks;
      kind = 'channel';
      id = ch.id;
    } else {
      const b = this.bridge(target.bridgeId ?? '');
      language ??= 'en';
      queue = b.playbacks;
      kind = 'bridge';
      id = b.id;
    }
    if (p.media.length === 0) throw new AriHttpError(500, 'Failed to queue media for playback');
    const playbackId = p.playbackId ?? randomUUID();
    if (this.playbacks.has(playbackId)) throw new AriHttpError(409, `Playback with id '${playbackId}' already exists`);
    const pb = new SimPlayback(playbackId, [...p.media], kind, id, language);
    this.playbacks.set(playbackId, pb);
    queue.push(pb);
    const json = pb.json();
    if (queue.length === 1) setImmediate(() => this.startItem(pb));
    return json;
  }

  private hearers(pb: SimPlayback): SimChannel[] {
    if (pb.targetKind === 'channel') {
      const ch = this.channels.get(pb.targetId);
      return ch ? [ch] : [];
    }
    const b = this.bridges.get(pb.targetId);
    return b ? b.channels.map((id) => this.channels.get(id)).filter((c): c is SimChannel => c !== undefined) : [];
  }

  /** Who hears about a playback or recording: the applications following its channel or bridge. */
  private targetScope(target: { targetKind: 'channel' | 'bridge'; targetId: string }): Scope {
    if (target.targetKind === 'channel') {
      const ch = this.channels.get(target.targetId);
      return { channels: ch ? [ch] : [] };
    }
    const b = this.bridges.get(target.targetId);
    return { bridges: b ? [b] : [] };
  }

  private startItem(pb: SimPlayback): void {
    if (pb.state !== 'queued' && pb.state !== 'continuing') return;
    if (pb.canceled) {
      this.finishPlayback(pb, 'done', 'stopped');
      return;
    }
    const uri = pb.media[pb.index] ?? '';
    pb.state = 'playing';
    this.publish('PlaybackStarted', { playback: pb.json() }, this.targetScope(pb));
    for (const ch of this.hearers(pb)) {
      const entry = { media: uri, playbackId: pb.id, target: pb.targetKind, startedAt: new Date().toISOString() };
      ch.report.heard.push(entry);
      pb.heard.set(ch.id, entry);
      ch.signals.emit('playback-start', uri);
    }
    void this.media.length(uri, pb.language).then((length) => {
      if (pb.state !== 'playing' || pb.media[pb.index] !== uri) return; // stopped or hung up meanwhile
      if (length.kind === 'missing') {
        this.log.warn(`playback ${pb.id}: ${length.why}`);
        this.itemEnded(pb, 'failed');
        return;
      }
      pb.itemStartedAt = this.clock.now();
      pb.itemDurationMs = length.kind === 'finite' ? length.ms : Number.POSITIVE_INFINITY;
      if (length.kind === 'finite') pb.timer = this.clock.after(length.ms, () => this.itemEnded(pb, 'done'));
    });
  }

  private itemEnded(pb: SimPlayback, outcome: 'done' | 'failed'): void {
    pb.timer = undefined;
    const uri = pb.media[pb.index] ?? '';
    for (const ch of this.hearers(pb)) {
      const entry = pb.heard.get(ch.id);
      if (entry && !entry.outcome) {
        entry.outcome = outcome;
        entry.endedAt = new Date().toISOString();
      }
      ch.signals.emit('playback-end', uri);
    }
    if (pb.index + 1 < pb.media.length) {
      pb.state = 'continuing';
      this.publish('PlaybackContinuing', { playback: pb.json() }, this.targetScope(pb));
      pb.index += 1;
      this.startItem(pb);
      return;
    }
    this.finishPlayback(pb, outcome, outcome);
  }

  /** Ends a playback (PlaybackFinished) and starts the next one queued on its target. */
  private finishPlayback(pb: SimPlayback, state: 'done' | 'failed', heardOutcome: 'done' | 'stopped' | 'failed'): void {
    if (pb.state === 'done' || pb.state === 'failed') return;
    pb.timer?.cancel();
    pb.timer = undefined;
    pb.state = state;
    for (const ch of this.hearers(pb)) {
      const entry = pb.heard.get(ch.id);
      if (entry && !entry.outcome) {
        entry.outcome = heardOutcome;
        entry.endedAt = new Date().toISOString();
        ch.signals.emit('playback-end', entry.media);
      }
    }
    this.publish('PlaybackFinished', { playback: pb.json() }, this.targetScope(pb));
    this.playbacks.delete(pb.id);
    const queue = this.playbackQueue(pb);
    const i = queue.indexOf(pb);
    if (i >= 0) queue.splice(i, 1);
    const next = queue[0];
    if (next && next.state === 'queued' && queue[0] === next) setImmediate(() => this.startItem(next));
  }

  private playbackQueue(pb: SimPlayback): SimPlayback[] {
    if (pb.targetKind === 'channel') return this.channels.get(pb.targetId)?.playbacks ?? [];
    return this.bridges.get(pb.targetId)?.playbacks ?? [];
  }

  getPlayback(id: string): ReturnType<SimPlayback['json']> {
    const pb = this.playbacks.get(id);
    if (!pb) throw new AriHttpError(404, 'Playback not found');
    return pb.json();
  }

  /** DELETE /playbacks/{id}: a playing playback finishes as "done"; a queued one is canceled and reports "done" when its turn comes. */
  stopPlayback(id: string): void {
    const pb = this.playbacks.get(id);
    if (!pb) throw new AriHttpError(404, 'Playback not found');
    if (pb.state === 'queued') {
      pb.canceled = true;
      const queue = this.playbackQueue(pb);
      if (queue[0] === pb) this.finishPlayback(pb, 'done', 'stopped');
      return;
    }
    pb.stopped = true;
    this.finishPlayback(pb, 'done', 'stopped');
  }

  controlPlayback(id: string, operation: string | undefined): void {
    const pb = this.playbacks.get(id);
    if (!pb) throw new AriHttpError(404, 'Playback not found');
    if (!operation) throw new AriHttpError(400, 'Missing operation');
    const uri = pb.media[pb.index] ?? '';
    const controllable = /^(sound|recording|tone):/.test(uri);
    switch (operation) {
      case 'pause':
        if (pb.state !== 'playing' || !controllable) throw new AriHttpError(409, 'Can only pause while media is playing');
        pb.pausedRemainingMs = Math.max(0, pb.itemDurationMs - (this.clock.now() - pb.itemStartedAt));
        pb.timer?.cancel();
        pb.timer = undefined;
        pb.state = 'paused';
        return;
      case 'unpause':
        if (pb.state !== 'paused') throw new AriHttpError(409, 'Can only unpause while media is playing');
        pb.state = 'playing';
        pb.itemStartedAt = this.clock.now() - (pb.itemDurationMs - (pb.pausedRemainingMs ?? 0));
        if (Number.isFinite(pb.pausedRemainingMs)) pb.timer = this.clock.after(pb.pausedRemainingMs ?? 0, () => this.itemEnded(pb, 'done'));
        this.publish('PlaybackStarted', { playback: pb.json() }, this.targetScope(pb));
        return;
      case 'restart':
      case 'reverse':
      case 'forward': {
        if (pb.state !== 'playing' || !controllable) throw new AriHttpError(409, `Can only ${operation} while media is playing`);
        if (!Number.isFinite(pb.itemDurationMs)) return;
        const elapsed = this.clock.now() - pb.itemStartedAt;
        const skip = 3000;
        const position = operation === 'restart' ? 0 : operation === 'reverse' ? Math.max(0, elapsed - skip) : Math.min(pb.itemDurationMs, elapsed + skip);
        pb.timer?.cancel();
        pb.itemStartedAt = this.clock.now() - position;
        pb.timer = this.clock.after(pb.itemDurationMs - position, () => this.itemEnded(pb, 'done'));
        return;
      }
      default:
        throw new AriHttpError(400, `Invalid operation ${operation}`);
    }
  }

  // ---------------------------------------------------------------- recording

  record(
    target: { channelId?: string; bridgeId?: string },
    p: { name: string; format: string; maxDurationSeconds: number; maxSilenceSeconds: number; ifExists: string; beep: boolean; terminateOn: string },
  ): ReturnType<SimRecording['json']> {
    if (p.maxDurationSeconds < 0) throw new AriHttpError(400, 'max_duration_seconds cannot be negative');
    if (p.maxSilenceSeconds < 0) throw new AriHttpError(400, 'max_silence_seconds cannot be negative');
    let ch: SimChannel | undefined;
    let bridge: SimBridge | undefined;
    if (target.channelId !== undefined) ch = this.control(target.channelId);
    else bridge = this.bridge(target.bridgeId ?? '');
    if (!(p.terminateOn in TERMINATE_DIGITS)) throw new AriHttpError(400, 'terminateOn invalid');
    if (!['fail', 'overwrite', 'append'].includes(p.ifExists)) throw new AriHttpError(400, 'ifExists invalid');
    if (!RECORDING_FORMATS.includes(p.format)) throw new AriHttpError(422, 'specified format is unknown on this system');
    if (!p.name || p.name.startsWith('/') || p.name.split('/').includes('..')) throw new AriHttpError(400, 'Recording name invalid');
    if (this.liveRecordings.has(p.name) || (p.ifExists === 'fail' && this.stored.has(p.name))) {
      throw new AriHttpError(409, `Recording '${p.name}' already exists and can not be overwritten`);
    }
    const rec = new SimRecording(p.name, p.format, ch ? 'channel' : 'bridge', ch?.id ?? bridge?.id ?? '', {
      maxDurationSeconds: p.maxDurationSeconds,
      maxSilenceSeconds: p.maxSilenceSeconds,
      beep: p.beep,
      terminateOn: p.terminateOn,
      ifExists: p.ifExists,
    });
    this.liveRecordings.set(p.name, rec);
    const json = rec.json();
    setImmediate(() => this.startRecording(rec, ch, bridge));
    return json;
  }

  private startRecording(rec: SimRecording, ch: SimChannel | undefined, bridge: SimBridge | undefined): void {
    if (rec.state !== 'queued') return;
    if (ch) {
      if (ch.destroyed) {
        this.failRecording(rec, 'Channel hung up');
        return;
      }
      if (ch.bridgeId) {
        this.failRecording(rec, 'Cannot record channel while in bridge');
        return;
      }
      if (ch.state !== 'Up') this.setState(ch, 'Up'); // recording answers the channel
      ch.recording = rec;
    } else if (bridge) {
      bridge.recording = rec;
    }
    const begin = (): void => {
      if (rec.state !== 'queued') return;
      rec.state = 'recording';
      rec.startedAt = this.clock.now();
      rec.silenceStart = rec.startedAt;
      if (ch?.talking) rec.lastTalkStart = rec.startedAt;
      this.publish('RecordingStarted', { recording: rec.json() }, this.targetScope(rec));
      ch?.signals.emit('recording-start', rec.name);
      if (rec.options.maxDurationSeconds > 0) rec.timer = this.clock.after(rec.options.maxDurationSeconds * 1000, () => this.finishRecording(rec, 'done'));
      this.armSilence(rec, ch);
    };
    if (rec.options.beep && ch) this.clock.after(this.sounds.duration('beep') ?? 300, begin);
    else begin();
  }

  private silenceTimer: Map<string, { cancel(): void }> = new Map();

  /** Stops the recording after maxSilenceSeconds of continuous silence. */
  private armSilence(rec: SimRecording, ch: SimChannel | undefined): void {
    this.silenceTimer.get(rec.name)?.cancel();
    this.silenceTimer.delete(rec.name);
    if (rec.options.maxSilenceSeconds <= 0 || rec.state !== 'recording' || ch?.talking) return;
    const t = this.clock.after(rec.options.maxSilenceSeconds * 1000, () => this.finishRecording(rec, 'done'));
    this.silenceTimer.set(rec.name, t);
  }

  private failRecording(rec: SimRecording, cause: string): void {
    rec.state = 'failed';
    rec.cause = cause;
    this.liveRecordings.delete(rec.name);
    this.publish('RecordingFailed', { recording: rec.json() }, this.targetScope(rec));
  }

  private finishRecording(rec: SimRecording, state: 'done' | 'canceled'): void {
    if (rec.state !== 'recording' && rec.state !== 'paused' && rec.state !== 'queued') return;
    rec.timer?.cancel();
    this.silenceTimer.get(rec.name)?.cancel();
    this.silenceTimer.delete(rec.name);
    const now = this.clock.now();
    const started = rec.state === 'queued' ? now : rec.startedAt;
    if (rec.lastTalkStart !== undefined) rec.talkingMs += now - rec.lastTalkStart;
    rec.lastTalkStart = undefined;
    const pausedMs = rec.pausedMs + (rec.pausedAt !== undefined ? now - rec.pausedAt : 0);
    const totalMs = Math.max(0, now - started - pausedMs);
    rec.state = state;
    rec.durationSec = Math.floor(totalMs / 1000);
    if (rec.options.maxSilenceSeconds > 0) {
      rec.talkingSec = Math.floor(rec.talkingMs / 1000);
      rec.silenceSec = Math.max(0, rec.durationSec - rec.talkingSec);
    }
    this.liveRecordings.delete(rec.name);
    const ch = rec.targetKind === 'channel' ? this.channels.get(rec.targetId) : undefined;
    if (ch?.recording === rec) ch.recording = undefined;
    const b = rec.targetKind === 'bridge' ? this.bridges.get(rec.targetId) : undefined;
    if (b?.recording === rec) b.recording = undefined;
    if (state === 'done') {
      const previous = rec.options.ifExists === 'append' ? (this.stored.get(rec.name)?.durationMs ?? 0) : 0;
      this.stored.set(rec.name, { format: rec.format, durationMs: previous + totalMs });
      ch?.report.recordings.push({ name: rec.name, format: rec.format, durationSec: rec.durationSec });
    }
    this.publish('RecordingFinished', { recording: rec.json() }, this.targetScope(rec));
  }

  liveRecording(name: string): SimRecording {
    const rec = this.liveRecordings.get(name);
    if (!rec) throw new AriHttpError(404, 'Recording not found');
    return rec;
  }

  controlRecording(name: string, op: 'stop' | 'cancel' | 'pause' | 'unpause' | 'mute' | 'unmute'): void {
    const rec = this.liveRecording(name);
    const now = this.clock.now();
    switch (op) {
      case 'stop':
        this.finishRecording(rec, 'done');
        return;
      case 'cancel':
        this.finishRecording(rec, 'canceled');
        return;
      case 'pause':
        if (rec.state !== 'recording') throw new AriHttpError(409, 'Recording not in session');
        rec.state = 'paused';
        rec.pausedAt = now;
        return;
      case 'unpause':
        if (rec.state !== 'paused') throw new AriHttpError(409, 'Recording not in session');
        rec.pausedMs += now - (rec.pausedAt ?? now);
        rec.pausedAt = undefined;
        rec.state = 'recording';
        return;
      case 'mute':
      case 'unmute':
        if (rec.state !== 'recording' && rec.state !== 'paused') throw new AriHttpError(409, 'Recording not in session');
        rec.muted = op === 'mute';
        return;
    }
  }

  storedRecordings(): StoredRecording[] {
    return [...this.stored.entries()].map(([name, r]) => ({ name, format: r.format }));
  }

  storedRecording(name: string): StoredRecording {
    const r = this.stored.get(name);
    if (!r) throw new AriHttpError(404, 'Recording not found');
    return { name, format: r.format };
  }

  storedRecordingFile(name: string): Buffer {
    const r = this.stored.get(name);
    if (!r) throw new AriHttpError(404, 'Recording not found');
    return silentWav(r.durationMs);
  }

  deleteStoredRecording(name: string): void {
    if (!this.stored.delete(name)) throw new AriHttpError(404, 'Recording not found');
  }

  copyStoredRecording(name: string, destination: string): StoredRecording {
    const r = this.stored.get(name);
    if (!r) throw new AriHttpError(404, 'Recording not found');
    if (this.stored.has(destination)) throw new AriHttpError(409, 'A recording with the same name already exists on the system');
    this.stored.set(destination, { ...r });
    return { name: destination, format: r.format };
  }

  /** Adds a stored recording (scripting: a recording: prompt the application can play). */
  defineRecording(name: string, durationMs: number, format = 'wav'): void {
    this.stored.set(name, { format, durationMs });
  }

  // ---------------------------------------------------------------- bridges

  createBridge(p: { bridgeId?: string; type?: string; name?: string }): ReturnType<SimBridge['json']> {
    const id = p.bridgeId ?? randomUUID();
    if (this.bridges.has(id)) throw new AriHttpError(409, `Bridge with id '${id}' already exists`);
    const attrs = (p.type ?? 'mixing').split(',').map((t) => t.trim());
    const b = new SimBridge(id, attrs.includes('holding') ? 'holding' : 'mixing', p.name ?? '');
    this.bridges.set(id, b);
    this.publish('BridgeCreated', { bridge: b.json() }, { bridges: [b] });
    return b.json();
  }

  getBridge(id: string): ReturnType<SimBridge['json']> {
    return this.bridge(id).json();
  }

  bridgeList(): ReturnType<SimBridge['json']>[] {
    return [...this.bridges.values()].map((b) => b.json());
  }

  addToBridge(bridgeId: string, channelIds: string[]): void {
    const b = this.bridge(bridgeId);
    if (channelIds.length === 0) throw new AriHttpError(400, 'Missing parameter channel');
    const chans = channelIds.map((id) => {
      const ch = this.channels.get(id);
      if (!ch) throw new AriHttpError(400, 'Channel not found');
      if (!ch.stasisApp) throw new AriHttpError(422, 'Channel not in Stasis application');
      if (ch.recording) throw new AriHttpError(409, `Channel ${id} currently recording`);
      return ch;
    });
    setImmediate(() => {
      for (const ch of chans) {
        if (ch.destroyed || ch.bridgeId === b.id || !this.bridges.has(b.id)) continue;
        if (ch.bridgeId) this.removeFromBridge(this.bridges.get(ch.bridgeId), ch);
        const others = [...b.channels];
        b.channels.push(ch.id);
        ch.bridgeId = b.id;
        const app = ch.stasisApp ? this.apps.get(ch.stasisApp) : undefined;
        app?.add(app.bridges, b.id, `member:${ch.id}`);
        this.publish('ChannelEnteredBridge', { bridge: b.json(), channel: ch.json() }, { channels: [ch], bridges: [b] });
        this.transfer(ch, { kind: 'bridge', target: b.id, with: others, at: new Date().toISOString() });
        ch.signals.emit('bridged', b.id);
        for (const other of others) this.channels.get(other)?.signals.emit('bridged', b.id);
      }
    });
  }

  removeChannels(bridgeId: string, channelIds: string[]): void {
    const b = this.bridge(bridgeId);
    if (channelIds.length === 0) throw new AriHttpError(400, 'Missing parameter channel');
    const chans = channelIds.map((id) => {
      const ch = this.channels.get(id);
      if (!ch) throw new AriHttpError(400, 'Channel not found');
      if (!b.channels.includes(id)) throw new AriHttpError(422, 'Channel not in this bridge');
      return ch;
    });
    setImmediate(() => {
      for (const ch of chans) this.removeFromBridge(b, ch);
    });
  }

  private removeFromBridge(b: SimBridge | undefined, ch: SimChannel): void {
    if (!b) return;
    const i = b.channels.indexOf(ch.id);
    if (i < 0) return;
    b.channels.splice(i, 1);
    ch.bridgeId = undefined;
    this.publish('ChannelLeftBridge', { bridge: b.json(), channel: ch.json() }, { channels: [ch], bridges: [b] });
    for (const app of this.apps.values()) app.remove(app.bridges, b.id, `member:${ch.id}`);
    for (const pb of b.playbacks) {
      const entry = pb.heard.get(ch.id);
      if (entry && !entry.outcome) {
        entry.outcome = 'stopped';
        entry.endedAt = new Date().toISOString();
      }
    }
  }

  destroyBridge(id: string): void {
    const b = this.bridge(id);
    for (const chId of [...b.channels]) {
      const ch = this.channels.get(chId);
      if (ch) this.removeFromBridge(b, ch);
    }
    for (const pb of [...b.playbacks]) this.finishPlayback(pb, 'done', 'stopped');
    if (b.recording) this.finishRecording(b.recording, 'done');
    this.publish('BridgeDestroyed', { bridge: b.json() }, { bridges: [b] });
    this.bridges.delete(id);
    for (const app of this.apps.values()) app.remove(app.bridges, id);
  }

  // ---------------------------------------------------------------- applications, system

  applicationJson(name: string): Application {
    const app = this.apps.get(name);
    if (!app) throw new AriHttpError(404, 'Application not found');
    return {
      name,
      channel_ids: [...app.channels.keys()],
      bridge_ids: [...app.bridges.keys()],
      endpoint_ids: [],
      device_names: [],
      events_allowed: [],
      events_disallowed: [],
    };
  }

  applicationList(): Application[] {
    return [...this.apps.keys()].map((n) => this.applicationJson(n));
  }

  subscribe(appName: string, sources: string[], on: boolean): Application {
    const app = this.apps.get(appName);
    if (!app) throw new AriHttpError(404, 'Application not found');
    if (sources.length === 0) throw new AriHttpError(400, 'Missing parameter eventSource');
    for (const source of sources) {
      const [scheme, id = ''] = source.split(':');
      if (scheme === 'channel') {
        if (!this.channels.has(id)) throw new AriHttpError(422, 'Event source does not exist');
        if (on) app.add(app.channels, id, 'subscription');
        else if (!app.channels.get(id)?.has('subscription')) throw new AriHttpError(422, 'Event source was not subscribed to');
        else app.remove(app.channels, id, 'subscription');
      } else if (scheme === 'bridge') {
        if (!this.bridges.has(id)) throw new AriHttpError(422, 'Event source does not exist');
        if (on) app.add(app.bridges, id, 'subscription');
        else if (!app.bridges.get(id)?.has('subscription')) throw new AriHttpError(422, 'Event source was not subscribed to');
        else app.remove(app.bridges, id, 'subscription');
      } else if (scheme === 'endpoint' || scheme === 'deviceState') {
        // Accepted; the simulator raises no endpoint or device state events.
      } else {
        throw new AriHttpError(400, 'Invalid event source URI scheme');
      }
    }
    return this.applicationJson(appName);
  }

  userEvent(eventName: string, application: string | undefined, sources: string[], variables: Record<string, unknown> | undefined): void {
    if (!application) throw new AriHttpError(400, 'Missing parameter application');
    if (!this.apps.has(application)) throw new AriHttpError(404, 'Application not found');
    const fields: Record<string, unknown> = { eventname: eventName, userevent: variables ?? {} };
    for (const source of sources) {
      const [scheme, id = ''] = source.split(':');
      if (scheme === 'channel') {
        const ch = this.channels.get(id);
        if (!ch) throw new AriHttpError(422, 'Event source was not found');
        fields.channel = ch.json();
      } else if (scheme === 'bridge') {
        const b = this.bridges.get(id);
        if (!b) throw new AriHttpError(422, 'Event source was not found');
        fields.bridge = b.json();
      } else {
        throw new AriHttpError(400, 'Invalid event source URI scheme');
      }
    }
    this.publish('ChannelUserevent', fields, { direct: application });
  }

  info(only: string[]): AsteriskInfo {
    const all: AsteriskInfo = {
      build: { os: 'Linux', kernel: 'simulated', options: '', machine: process.arch, date: '2026-01-01 00:00:00 UTC', user: 'callflow' },
      system: { version: '22.0.0-callflow-sim', entity_id: this.asteriskId },
      config: { name: 'callflow-simulated-asterisk', default_language: 'en', setid: { user: 'asterisk', group: 'asterisk' } },
      status: { startup_time: asteriskTime(this.startupTime), last_reload_time: asteriskTime(this.startupTime) },
    };
    if (only.length === 0) return all;
    const out: AsteriskInfo = {};
    for (const key of only) {
      if (key === 'build' && all.build) out.build = all.build;
      if (key === 'system' && all.system) out.system = all.system;
      if (key === 'config' && all.config) out.config = all.config;
      if (key === 'status' && all.status) out.status = all.status;
    }
    return out;
  }

  ping(): { asterisk_id: string; ping: string; timestamp: string } {
    return { asterisk_id: this.asteriskId, ping: 'pong', timestamp: asteriskTime() };
  }

  endpoints(tech?: string): { technology: string; resource: string; state: string; channel_ids: string[] }[] {
    if (tech !== undefined && tech.toUpperCase() !== 'PJSIP') throw new AriHttpError(404, 'Endpoints not found');
    const byEndpoint = new Map<string, string[]>();
    byEndpoint.set('trunk', []);
    for (const n of this.numbers.keys()) if (/^\d{2,6}$/.test(n)) byEndpoint.set(n, []);
    for (const ch of this.channels.values()) {
      const ep = ch.name.replace(/^PJSIP\//, '').replace(/-[0-9a-f]{8}$/, '');
      byEndpoint.set(ep, [...(byEndpoint.get(ep) ?? []), ch.id]);
    }
    return [...byEndpoint.entries()].map(([resource, ids]) => ({ technology: 'PJSIP', resource, state: 'online', channel_ids: ids }));
  }

  deviceState(name: string, state?: string, remove = false): { name: string; state: string } | undefined {
    if (!name) throw new AriHttpError(404, 'Device name is missing');
    if (!name.startsWith('Stasis:') && (state !== undefined || remove)) throw new AriHttpError(409, 'Uncontrolled device specified');
    if (remove) {
      this.deviceStates.delete(name);
      return undefined;
    }
    if (state !== undefined) {
      this.deviceStates.set(name, state);
      return undefined;
    }
    return { name, state: this.deviceStates.get(name) ?? 'UNKNOWN' };
  }

  deviceStateList(): { name: string; state: string }[] {
    return [...this.deviceStates.entries()].map(([name, state]) => ({ name, state }));
  }

  mailbox(name: string, counts?: { old: number; new: number }, remove = false): { name: string; old_messages: number; new_messages: number } | undefined {
    if (counts) {
      this.mailboxes.set(name, counts);
      return undefined;
    }
    const m = this.mailboxes.get(name);
    if (!m) throw new AriHttpError(404, 'Mailbox not found');
    if (remove) {
      this.mailboxes.delete(name);
      return undefined;
    }
    return { name, old_messages: m.old, new_messages: m.new };
  }

  mailboxList(): { name: string; old_messages: number; new_messages: number }[] {
    return [...this.mailboxes.entries()].map(([name, m]) => ({ name, old_messages: m.old, new_messages: m.new }));
  }

  // ---------------------------------------------------------------- scripts: what simulated parties do

  /** The simulated party presses keys now (control API). */
  pressDigits(id: string, digits: string, durationMs = 100, gapMs = 100): Promise<void> {
    const ch = this.channel(id);
    return this.runSteps(ch, [{ dtmf: digits, duration: durationMs, gap: gapMs }]).catch(() => undefined);
  }

  /** The simulated party hangs up now (control API). */
  remoteHangup(id: string, cause = 16): void {
    const ch = this.channel(id);
    this.hangupChannel(ch, cause, ch.direction === 'inbound' ? 'caller' : 'callee');
  }

  private runScript(ch: SimChannel, steps: ScriptStep[], party: 'caller' | 'callee'): void {
    this.runSteps(ch, steps, party).catch((err: unknown) => {
      if (!ch.scriptAbort.signal.aborted) this.log.warn(`script of call ${ch.id} failed: ${(err as Error).message}`);
    });
  }

  private async runSteps(ch: SimChannel, steps: ScriptStep[], party: 'caller' | 'callee' = ch.direction === 'inbound' ? 'caller' : 'callee'): Promise<void> {
    const signal = ch.scriptAbort.signal;
    for (const step of steps) {
      if (signal.aborted || ch.destroyed) return;
      if ('wait' in step) {
        await this.clock.sleep(step.wait, signal);
      } else if ('waitFor' in step) {
        await this.waitFor(ch, step.waitFor, step.media, step.timeout, signal);
      } else if ('dtmf' in step) {
        for (const [i, digit] of [...step.dtmf].entries()) {
          if (!/^[0-9A-D#*]$/i.test(digit)) throw new Error(`"${digit}" is not a DTMF digit`);
          const duration = step.duration ?? 100;
          await this.clock.sleep(duration, signal);
          if (ch.destroyed) return;
          ch.report.pressed.push({ digit: digit.toUpperCase(), at: new Date().toISOString() });
          this.channelEvent('ChannelDtmfReceived', ch, { digit: digit.toUpperCase(), duration_ms: duration });
          const rec = ch.recording;
          if (rec && TERMINATE_DIGITS[rec.options.terminateOn]?.includes(digit.toUpperCase())) this.finishRecording(rec, 'done');
          // Between digits only: the next step starts as the last key ends (a prompt the key causes is not missed).
          if (i < step.dtmf.length - 1) await this.clock.sleep(step.gap ?? 100, signal);
        }
      } else if ('talk' in step) {
        this.setTalking(ch, true);
        try {
          await this.clock.sleep(step.talk, signal);
        } finally {
          this.setTalking(ch, false);
        }
      } else if ('hangup' in step) {
        this.hangupChannel(ch, step.cause ?? 16, party);
        return;
      }
    }
  }

  private setTalking(ch: SimChannel, talking: boolean): void {
    if (ch.talking === talking || ch.destroyed) return;
    ch.talking = talking;
    const rec = ch.recording;
    if (!rec || rec.state !== 'recording') return;
    const now = this.clock.now();
    if (talking) {
      rec.lastTalkStart = now;
      this.silenceTimer.get(rec.name)?.cancel();
      this.silenceTimer.delete(rec.name);
    } else {
      if (rec.lastTalkStart !== undefined) rec.talkingMs += now - rec.lastTalkStart;
      rec.lastTalkStart = undefined;
      this.armSilence(rec, ch);
    }
  }

  /** Resolves when the call reaches a point a script could wait for (answered, a prompt started...). */
  until(id: string, what: 'answer' | 'playback-start' | 'playback-end' | 'silence' | 'bridged' | 'recording', media?: string, signal: AbortSignal = new AbortController().signal): Promise<void> {
    const ch = this.channels.get(id);
    if (!ch) return Promise.reject(new Error(`no channel ${id} (the call ended?)`));
    return this.waitFor(ch, what, media, undefined, signal);
  }

  private waitFor(ch: SimChannel, what: string, media: string | undefined, timeout: number | undefined, signal: AbortSignal): Promise<void> {
    const done = (): boolean => {
      switch (what) {
        case 'answer':
          return ch.state === 'Up';
        case 'silence':
          return ch.playbacks.length === 0 && !(ch.bridgeId && (this.bridges.get(ch.bridgeId)?.playbacks.length ?? 0) > 0);
        case 'bridged':
          return ch.bridgeId !== undefined;
        case 'recording':
          return ch.recording?.state === 'recording';
        default:
          return false;
      }
    };
    if (done()) return Promise.resolve();
    const event = { answer: 'state', silence: 'playback-end', bridged: 'bridged', recording: 'recording-start', 'playback-start': 'playback-start', 'playback-end': 'playback-end' }[what];
    if (!event) return Promise.reject(new Error(`waitFor: unknown condition "${what}"`));
    return new Promise((resolve, reject) => {
      let timer: { cancel(): void } | undefined;
      const check = (uri?: string): void => {
        if (what === 'silence') {
          // Checked once the playback that ended has left the queue.
          setImmediate(() => {
            if (done()) finish();
          });
          return;
        }
        const matches = what === 'playback-start' || what === 'playback-end' ? !media || (uri ?? '').includes(media) : done();
        if (matches) finish();
      };
      const finish = (): void => {
        cleanup();
        resolve();
      };
      const onAbort = (): void => {
        cleanup();
        reject(signal.reason as Error);
      };
      const cleanup = (): void => {
        ch.signals.off(event, check);
        signal.removeEventListener('abort', onAbort);
        timer?.cancel();
      };
      ch.signals.on(event, check);
      signal.addEventListener('abort', onAbort, { once: true });
      if (timeout !== undefined) timer = this.clock.after(timeout, finish);
    });
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Asterisk stops: every channel is gone at once (no events: the sockets
   * are already closed), bridges, playbacks and live recordings with them;
   * applications must register again. Stored recordings survive.
   */
  crash(): void {
    for (const ch of [...this.channels.values()]) {
      ch.hangingUp = true;
      ch.destroyed = true;
      ch.scriptAbort.abort();
      for (const t of ch.timers) t.cancel();
      ch.report.state = 'Destroyed';
      ch.report.ended = { at: new Date().toISOString(), cause: 0, causeText: causeText(0), by: 'system', note: 'Asterisk restarted' };
      this.emit('call-ended', structuredClone(ch.report));
    }
    for (const pb of this.playbacks.values()) pb.timer?.cancel();
    for (const rec of this.liveRecordings.values()) rec.timer?.cancel();
    for (const t of this.silenceTimer.values()) t.cancel();
    this.silenceTimer.clear();
    this.channels.clear();
    this.bridges.clear();
    this.playbacks.clear();
    this.liveRecordings.clear();
    this.apps.clear();
    // A restart always shows as a new startup time, even within the same millisecond.
    this.startupTime = new Date(Math.max(Date.now(), this.startupTime.getTime() + 1));
  }

  /** Ends everything (simulator shutdown). */
  shutdown(): void {
    this.crash();
    this.clock.cancelAll();
  }
}
