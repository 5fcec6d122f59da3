/**
 * A fake Asterisk for dialer tests on a manual clock: called numbers behave
 * as scripted (answer and talk, busy, no answer, ...), time passes only when
 * the test advances the clock, and a "process" (a connection view with its
 * own call registry) can be killed to simulate a crash while calls go on.
 * Faults on Asterisk's side are told as AriConnection and CallRegistry tell
 * them (lib/ari/connection.ts, lib/call/registry.ts): a restart, or a
 * connection that comes back without its channels, resolves a ringing
 * originate as lost and ends an answered call's session by the system.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AriError } from '../../lib/ari/errors';
import type { ConnectionStatus, OriginateOutcome, OriginateRequest, RecordingOutcome, TelephonyEvent, TelephonyListener } from '../../lib/ari/port';
import type { Channel } from '../../lib/ari/types';
import { CallSession, type CampaignLink } from '../../lib/call/session';
import { ManualClock } from '../../lib/campaign/clock';
import { Coordinator } from '../../lib/campaign/coordinator';
import { Dialer, type AnsweredCall, type DialerHooks, type DialerStatus, type FinalFailure, type FinishedCustomer } from '../../lib/campaign/dialer';
import { rankOf } from '../../lib/campaign/order';
import { checkCampaign, type CampaignSettings } from '../../lib/schemas/campaign';
import type { ContactInput } from '../../lib/schemas/store';
import { EmbeddedStore } from '../../lib/store/embedded';
import type { ProgressMark, Store, StoredContact } from '../../lib/store/port';
import { allContacts } from '../support/campaign-runtime';
import type { DialJournal } from '../../lib/campaign/dial-journal';

export type Behaviour =
  | { outcome: 'answer'; ringMs?: number; talkMs?: number; result?: string }
  | { outcome: 'busy' | 'unallocated' | 'rejected' | 'congestion' | 'unreachable' | 'unavailable'; ringMs?: number }
  | { outcome: 'no-answer' }
  | { outcome: 'originate-error' };

const FAILURES: Record<string, { cause: number; dialStatus: string }> = {
  busy: { cause: 17, dialStatus: 'BUSY' },
  unallocated: { cause: 1, dialStatus: 'NOANSWER' },
  rejected: { cause: 21, dialStatus: 'NOANSWER' },
  congestion: { cause: 34, dialStatus: 'CONGESTION' },
  unreachable: { cause: 18, dialStatus: 'NOANSWER' },
  unavailable: { cause: 19, dialStatus: 'NOANSWER' },
};

export interface Originated {
  at: number;
  number: string;
  channelId: string;
  callerId: string;
  timeoutSec: number;
  view: number;
}

interface FakeChannel {
  id: string;
  number: string;
  state: 'Ringing' | 'Up';
  view: View;
}

function channelOf(id: string, number: string, state: 'Ringing' | 'Up'): Channel {
  return {
    id,
    protocol_id: '',
    name: `PJSIP/trunk-${id.slice(-6)}`,
    state,
    caller: { name: '', number: '' },
    connected: { name: '', number: number },
    accountcode: '',
    dialplan: { context: 'default', exten: number, priority: 1, app_name: 'Stasis', app_data: '' },
    creationtime: new Date(0).toISOString(),
    language: 'en',
  };
}

/** One process's connection to the fake Asterisk, with its own call registry. */
export class View {
  readonly sessions = new Map<string, CallSession>();
  private readonly claimed = new Set<string>();
  private readonly watchers = new Map<string, Set<TelephonyListener>>();
  readonly waiters = new Map<string, (o: OriginateOutcome) => void>();
  dead = false;
  readonly app = 'callflow';
  status: ConnectionStatus = { state: 'connected', message: 'fake', attempt: 0 };

  constructor(
    private readonly pbx: FakeAsterisk,
    readonly index: number,
    /** The connection's id (its sessions' msg.call.connection): one per Asterisk of a trunk group. */
    readonly connection = 'fake',
  ) {}

  /** The process dies: it hears nothing more and can do nothing more. */
  kill(): void {
    this.dead = true;
    this.waiters.clear();
    this.watchers.clear();
  }

  // Telephony (the part the dialer uses)
  originate(request: OriginateRequest): Promise<{ channel: Channel; outcome: Promise<OriginateOutcome> }> {
    if (this.dead) return Promise.reject(new Error('dead'));
    return this.pbx.originate(this, request);
  }

  getChannel(id: string): Promise<Channel> {
    const ch = this.pbx.channels.get(id);
    if (!ch) return Promise.reject(new AriError('channels.get', 'not-found', `Channel not found: ${id}`, 404));
    return Promise.resolve(channelOf(id, ch.number, ch.state));
  }

  hangup(id: string): Promise<void> {
    this.pbx.end(id, 16);
    return Promise.resolve();
  }

  /** The fake Asterisk records nothing (recordings are tested against the simulator: test/nodes/campaign-recording.test.ts). */
  snoop(): Promise<Channel> {
    return Promise.reject(new AriError('channels.snoopChannelWithId', 'server', 'the fake Asterisk does not snoop', 500));
  }

  record(): Promise<RecordingOutcome> {
    return Promise.reject(new AriError('channels.record', 'server', 'the fake Asterisk does not record', 500));
  }

  watchChannel(id: string, listener: TelephonyListener): () => void {
    let set = this.watchers.get(id);
    if (!set) this.watchers.set(id, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Whether this (live) process follows the channel's events. */
  watches(id: string): boolean {
    return !this.dead && (this.watchers.get(id)?.size ?? 0) > 0;
  }

  hear(id: string, event: TelephonyEvent): void {
    if (this.dead) return;
    for (const l of [...(this.watchers.get(id) ?? [])]) l(event);
  }

  // CallAdopter
  claim(id: string): void {
    this.claimed.add(id);
  }

  adopt(channel: Channel, init: { caller: { number: string; name: string }; dialed: string; campaign?: CampaignLink }): CallSession {
    const known = this.sessions.get(channel.id);
    if (known) return known;
    const s = new CallSession({ channelId: channel.id, connection: this.connection, direction: 'outbound', caller: init.caller, dialed: init.dialed, state: 'up', now: () => this.pbx.clock.now() });
    s.campaign = init.campaign;
    this.sessions.set(channel.id, s);
    const ch = this.pbx.channels.get(channel.id);
    if (ch) ch.view = this;
    return s;
  }
}

export class FakeAsterisk {
  readonly channels = new Map<string, FakeChannel>();
  readonly originated: Originated[] = [];
  private readonly scripts = new Map<string, Behaviour[]>();
  private defaultBehaviour: Behaviour = { outcome: 'answer', ringMs: 2000, talkMs: 10_000 };
  private readonly views: View[] = [];
  /** Most channels up or ringing at once. */
  maxConcurrent = 0;
  /** Numbers dialed while a call to them was still ringing or up. */
  readonly dialedTwiceAtOnce: string[] = [];

  constructor(readonly clock: ManualClock) {}

  view(connection?: string): View {
    const v = new View(this, this.views.length + 1, connection);
    this.views.push(v);
    return v;
  }

  /** How a number answers: one behaviour for every call, or a list used call by call (the last one repeats). */
  setNumber(number: string, behaviour: Behaviour | Behaviour[]): void {
    this.scripts.set(number, Array.isArray(behaviour) ? [...behaviour] : [behaviour]);
  }

  setDefault(behaviour: Behaviour): void {
    this.defaultBehaviour = behaviour;
  }

  private next(number: string): Behaviour {
    const list = this.scripts.get(number);
    if (!list || list.length === 0) return this.defaultBehaviour;
    return list.length > 1 ? (list.shift() as Behaviour) : (list[0] as Behaviour);
  }

  originate(view: View, request: OriginateRequest): Promise<{ channel: Channel; outcome: Promise<OriginateOutcome> }> {
    const number = request.endpoint.replace(/^PJSIP\//, '').replace(/@.*$/, '');
    const id = request.channelId ?? `x-${this.originated.length}`;
    const b = this.next(number);
    this.originated.push({ at: this.clock.now(), number, channelId: id, callerId: request.callerId ?? '', timeoutSec: request.timeoutSec ?? 30, view: view.index });
    if (b.outcome === 'originate-error') return Promise.reject(new AriError('channels.originateWithId', 'server', 'Allocation failed', 500));
    if ([...this.channels.values()].some((c) => c.number === number)) this.dialedTwiceAtOnce.push(number);
    const ch: FakeChannel = { id, number, state: 'Ringing', view };
    this.channels.set(id, ch);
    this.maxConcurrent = Math.max(this.maxConcurrent, this.channels.size);
    const outcome = new Promise<OriginateOutcome>((resolve) => view.waiters.set(id, resolve));
    const timeoutMs = (request.timeoutSec ?? 30) * 1000;
    if (b.outcome === 'no-answer') {
      this.clock.after(timeoutMs, () => this.fail(id, 19, undefined));
    } else if (b.outcome === 'answer') {
      const ringMs = b.ringMs ?? 2000;
      if (ringMs >= timeoutMs) this.clock.after(timeoutMs, () => this.fail(id, 19, undefined));
      else
        this.clock.after(ringMs, () => {
          const c = this.channels.get(id);
          if (!c) return;
          c.state = 'Up';
          const channel = channelOf(id, number, 'Up');
          // Asterisk sends StasisStart to the application, whoever is connected with it now: a process that died while
          // the call rang hears nothing, the one that resumed the call (watching the channel) does.
          if (c.view.dead) c.view = this.views.find((v) => v.watches(id)) ?? c.view;
          const owner = c.view;
          owner.waiters.get(id)?.(({ answered: true, channel }));
          owner.waiters.delete(id);
          owner.hear(id, { type: 'StasisStart', channel, args: [], application: 'callflow', timestamp: '' } as unknown as TelephonyEvent);
          const session = () => c.view.sessions.get(id);
          if (b.result) {
            const s = session();
            if (s) s.result = { code: b.result };
          }
          this.clock.after(b.talkMs ?? 10_000, () => {
            const s = session();
            if (s && b.result) s.result = { code: b.result };
            this.end(id, 16);
          });
        });
    } else {
      const f = FAILURES[b.outcome] ?? { cause: 16, dialStatus: 'NOANSWER' };
      this.clock.after(b.ringMs ?? 1000, () => this.fail(id, f.cause, f.dialStatus));
    }
    return Promise.resolve({ channel: channelOf(id, number, 'Ringing'), outcome });
  }

  private fail(id: string, cause: number, dialStatus: string | undefined): void {
    const c = this.channels.get(id);
    if (!c || c.state === 'Up') return;
    this.channels.delete(id);
    const o: OriginateOutcome = { answered: false, cause, causeText: '' };
    if (dialStatus) o.dialStatus = dialStatus;
    c.view.waiters.get(id)?.(o);
    c.view.waiters.delete(id);
    c.view.hear(id, { type: 'ChannelDestroyed', channel: channelOf(id, c.number, 'Ringing'), cause, cause_txt: '' } as unknown as TelephonyEvent);
  }

  /**
   * Channels vanish without a word from Asterisk: it restarted (every
   * channel), or a view's connection came back without its channels
   * ('connection-lost'). Ringing ones resolve their originate as lost, up
   * ones end their session by the system; each view hears ChannelLost.
   */
  lose(reason: 'asterisk-restarted' | 'connection-lost', view?: View): string[] {
    const lost: string[] = [];
    for (const c of [...this.channels.values()]) {
      if (view && c.view !== view) continue;
      this.channels.delete(c.id);
      lost.push(c.id);
      const owner = c.view;
      owner.waiters.get(c.id)?.({ answered: false, cause: 0, causeText: '', lost: reason });
      owner.waiters.delete(c.id);
      const s = owner.dead ? undefined : owner.sessions.get(c.id);
      if (s) {
        s.end({ reason, by: 'system' });
        owner.sessions.delete(c.id);
      }
      // Every connection that knew the channel hears it (a restarted process watching a call it resumes).
      for (const v of this.views) v.hear(c.id, { type: 'ChannelLost', channelId: c.id, reason });
    }
    return lost;
  }

  /** Asterisk restarts: every channel is gone. */
  restart(): string[] {
    return this.lose('asterisk-restarted');
  }

  /** Ends an answered call as the registry would: who ended it and, for the system, why (registry.hangup's `why`). */
  endAnswered(id: string, by: 'callee' | 'flow' | 'system', why?: string): void {
    const c = this.channels.get(id);
    if (!c || c.state !== 'Up') throw new Error(`call ${id} is not up`);
    this.channels.delete(id);
    const s = c.view.sessions.get(id);
    if (!s) return;
    if (by !== 'callee') {
      s.hangupRequested = true;
      s.hangupBy = by;
      if (why) s.hangupWhy = why;
    }
    s.end({ reason: 'hangup', by, cause: 16 });
    c.view.sessions.delete(id);
  }

  /** Ends a channel (hangup by the callee, or by the application). */
  end(id: string, cause: number): void {
    const c = this.channels.get(id);
    if (!c) return;
    this.channels.delete(id);
    if (c.state !== 'Up') {
      c.view.waiters.get(id)?.({ answered: false, cause, causeText: '' });
      c.view.waiters.delete(id);
      return;
    }
    const s = c.view.dead ? undefined : c.view.sessions.get(id);
    if (s) {
      s.end({ reason: 'hangup', by: 'callee', cause });
      c.view.sessions.delete(id);
    }
  }
}

/** Campaign settings for tests: valid, with the given changes. */
export function settingsWith(changes: Record<string, unknown>): CampaignSettings {
  const r = checkCampaign({ name: 'test task', connection: 'fake', store: 'store', callerNumbers: ['+861058000000'], timezone: 'Asia/Shanghai', hours: { regular: [{ start: '00:00', end: '23:59' }], special: [], allocated: [] }, ...changes });
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.value;
}

export interface Recorder extends DialerHooks {
  answeredCalls: AnsweredCall[];
  failures: FinalFailure[];
  finishedCustomers: FinishedCustomer[];
  statuses: DialerStatus[];
}

export function recorder(): Recorder {
  const r: Recorder = {
    answeredCalls: [],
    failures: [],
    finishedCustomers: [],
    statuses: [],
    answered: (c) => r.answeredCalls.push(c),
    finalFailure: (f) => r.failures.push(f),
    finished: (c) => r.finishedCustomers.push(c),
    status: (s) => r.statuses.push(s),
  };
  return r;
}

export async function tempStore(): Promise<{ store: EmbeddedStore; file: string; cleanup: () => Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callflow-dialer-'));
  const file = path.join(dir, 'callflow.db');
  const store = new EmbeddedStore({ file });
  await store.open();
  return {
    store,
    file,
    cleanup: async () => {
      await store.close().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function makeDialer(options: {
  id?: string;
  /** The dialer's worker id (default dialer:<id>): one per Node-RED instance. */
  worker?: string;
  settings: CampaignSettings;
  store: Store;
  view: View;
  clock: ManualClock;
  coordinator?: Coordinator;
  limit?: number;
  hooks?: Recorder;
  callback?: ConstructorParameters<typeof Dialer>[0]['callback'];
  destinations?: ConstructorParameters<typeof Dialer>[0]['destinations'];
  log?: ConstructorParameters<typeof Dialer>[0]['log'];
  scope?: string;
  flowCheck?: () => string | undefined;
  /** A trunk group (several connections) instead of `view` alone. */
  trunks?: ConstructorParameters<typeof Dialer>[0]['trunks'];
  journal?: ConstructorParameters<typeof Dialer>[0]['journal'];
}): { dialer: Dialer; hooks: Recorder } {
  const hooks = options.hooks ?? recorder();
  const view = options.view;
  const dialer = new Dialer({
    campaignId: options.id ?? 'task-1',
    worker: options.worker ?? `dialer:${options.id ?? 'task-1'}`,
    settings: options.settings,
    store: options.store,
    telephony: view,
    calls: view,
    connectionId: 'fake',
    pool: { limit: options.limit ?? 1000, inUse: () => view.sessions.size },
    coordinator: options.coordinator ?? new Coordinator(),
    clock: options.clock,
    callerNumbers: options.settings.callerNumbers,
    hooks,
    ...(options.callback ? { callback: options.callback } : {}),
    ...(options.destinations ? { destinations: options.destinations } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.scope !== undefined ? { scope: options.scope } : {}),
    ...(options.flowCheck ? { flowCheck: options.flowCheck } : {}),
    ...(options.trunks ? { trunks: options.trunks } : {}),
    ...(options.journal ? { journal: options.journal } : {}),
  });
  return { dialer, hooks };
}

/**
 * A dialer test's world, new for each test (it registers mocha hooks): an
 * embedded store, a manual clock from `start` and a fake Asterisk on it. The
 * dialers made with dialer() are closed after the test. A test may replace
 * the clock and the Asterisk before it makes its dialers.
 */
export interface DialerBench {
  db: Awaited<ReturnType<typeof tempStore>>;
  clock: ManualClock;
  pbx: FakeAsterisk;
  dialer(settings: CampaignSettings, extra?: Partial<Parameters<typeof makeDialer>[0]>): { dialer: Dialer; hooks: Recorder };
}

export function dialerBench(start: string): DialerBench {
  const dialers: Dialer[] = [];
  const bench = {
    dialer(settings: CampaignSettings, extra: Partial<Parameters<typeof makeDialer>[0]> = {}) {
      const made = makeDialer({ settings, store: bench.db.store, view: bench.pbx.view(), clock: bench.clock, ...extra });
      dialers.push(made.dialer);
      return made;
    },
  } as DialerBench;
  beforeEach(async function () {
    bench.db = await tempStore();
    bench.clock = new ManualClock(start);
    bench.pbx = new FakeAsterisk(bench.clock);
  });
  afterEach(async function () {
    for (const d of dialers.splice(0)) await d.close(0);
    await bench.db.cleanup();
  });
  return bench;
}

/** The number of customer `i` of customers(): `prefix` and the index in 8 digits. */
export function numberOf(i: number, prefix = '+86138'): string {
  return `${prefix}${String(i).padStart(8, '0')}`;
}

/** `n` customers c0, c1... of a task with `settings`, each with one number (numberOf), ranked by its order. */
export function customers(settings: CampaignSettings, n: number, prefix = '+86138'): ContactInput[] {
  return Array.from({ length: n }, (_, i) => ({ customerId: `c${i}`, numbers: [{ number: numberOf(i, prefix) }] })).map((r) => ({ ...r, rank: rankOf(r, settings.order) }));
}

/** The store as a process sees it: once dead (killed, or `when` a call says so), every call fails and nothing is written. */
export function killable(store: Store, when?: (key: string, args: unknown[]) => boolean): { store: Store; kill(): void } {
  let dead = false;
  const proxy = new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (!dead && when?.(String(key), args)) dead = true;
        return dead ? Promise.reject(new Error('the process is dead')) : (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, kill: () => (dead = true) };
}

/**
 * A process killed between its dial and the mark of it (prewrite.test.ts, dial-journal.test.ts): 8 customers, the
 * even ones answered and still up at the restart, the odd ones refused at once (congestion) and gone by then, answered
 * on their next dial. The process's store dies at the write that marks the second tick's first call dialed (entries
 * without a number are marks); the tick's other calls, one every 250 ms, are dialed and their marks fail too; the
 * process dies before the third tick. Returns the second tick's originations and when the first tick was.
 */
export async function killedBetweenDialAndMark(bench: DialerBench, journal?: DialJournal): Promise<{ t0: number; second: FakeAsterisk['originated'] }> {
  const settings = settingsWith({ intervalSec: 1, callsAtATime: 4, maxResponseSec: 60 });
  for (let i = 0; i < 8; i += 1) {
    // Up when the process restarts (the fake Asterisk tells an answer only to the connection that placed the call).
    if (i % 2 === 0) bench.pbx.setNumber(numberOf(i), { outcome: 'answer', ringMs: 3000, talkMs: 60_000 });
    else bench.pbx.setNumber(numberOf(i), [{ outcome: 'congestion', ringMs: 0 }, { outcome: 'answer', ringMs: 1000, talkMs: 1000 }]);
  }
  await bench.db.store.importContacts('task-1', customers(settings, 8), bench.clock.now());
  const first = bench.pbx.view();
  const process1 = killable(bench.db.store, (key, args) => key === 'markProgressBatch' && (args[0] as ProgressMark[]).some((e) => e.number === undefined));
  const a = makeDialer({ settings, store: process1.store, view: first, clock: bench.clock, ...(journal ? { journal } : {}) });
  await a.dialer.start();
  await a.dialer.operate('start');
  const t0 = bench.clock.now();
  await bench.clock.advance(1999);
  first.kill();
  a.dialer.close(0).catch(() => undefined);
  return { t0, second: bench.pbx.originated.filter((o) => o.at >= t0 + 1000) };
}

/** What became of `contacts` (of killedBetweenDialAndMark): each one's stored contact, every call it was dialed on, and whether it is one of the even ones. */
export async function fatesOf(bench: DialerBench, contacts: readonly StoredContact[]): Promise<{ id: string; even: boolean; final: StoredContact; dialed: string[] }[]> {
  const stored = await allContacts(bench.db.store, 'task-1');
  return contacts.map((c) => {
    const i = Number(c.customerId.slice(1));
    const final = stored.find((s) => s.customerId === c.customerId) as StoredContact;
    const dialed = bench.pbx.originated.filter((o) => o.number === numberOf(i)).map((o) => o.channelId);
    assert.equal(final.state, 'done', `${c.customerId} is done`);
    return { id: c.customerId, even: i % 2 === 0, final, dialed };
  });
}
