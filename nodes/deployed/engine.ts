/**
 * The engine behind one callflow-asterisk config node: the ARI connection,
 * its live calls, and the routing of new calls to entry nodes. Element
 * nodes find it from msg.call.connection (the config node's id).
 *
 * Engines outlive a config node instance across a redeploy: Node-RED stops
 * every node and starts new instances on a full deploy; an engine whose
 * config did not change is handed over to the new instance, so calls in
 * progress keep their connection. An engine nobody takes over within a few
 * seconds is closed, hanging up its calls.
 */
import { AriConnection } from '../../lib/ari/connection';
import { DialAllowlist } from '../../lib/ari/dialstring';
import { MediaGuard } from '../../lib/ari/media';
import type { ConnectionStatus, Telephony } from '../../lib/ari/port';
import { flowTestTelephony } from '../../lib/flow-test/telephony';
import { CallRegistry, type EndedCall } from '../../lib/call/registry';
import type { CallSession } from '../../lib/call/session';
import type { CallException } from '../../lib/call/handle';
import type { Logger } from '../../lib/log';
import { LiveMeetings } from '../../lib/conference/meetings';
import { sweepMediaBridges } from '../../lib/media/path';
import { FlowRouter, type FlowHandler, type VersionChooser } from '../../lib/routing/router';
import type { AsteriskConfig } from '../../lib/schemas/asterisk';
import { acquireSimulator, type EmbeddedSimulator } from '../../lib/sim/embedded';
import { CallRecordKeeper } from '../../lib/call-records/keeper';
import { RecordRetention, type Retention } from '../../lib/call-records/retention';
import type { StoreConnection } from '../../lib/store/connection';

export interface EngineSettings {
  config: AsteriskConfig;
  username: string;
  password: string;
  /** This Node-RED's mark on its channels (nodes/deployed/instance.ts). */
  instance?: string;
  /**
   * No Asterisk connection at all: the flow-test command's runtime (settings.js `callflowFlowTestOnly: true`). The
   * engine never connects (nor embeds the simulator); its calls are flow tests' only, on their own engines.
   */
  offline?: boolean;
}

/** Where a connection keeps the record of each call that ends, and for how long (its callflow-asterisk node's settings). */
export interface RecordSettings {
  /** The store now (the store node may be redeployed), or undefined when it is not deployed or not valid. */
  store: () => StoreConnection | undefined;
  retention: Retention;
}

/** How long a stopped config node's engine waits for the new instance of a redeploy. */
const HANDOVER_MS = 5000;
/** How long a call that matches no flow waits for one to be deployed (a deploy in progress) before it is refused. */
const ROUTE_GRACE_MS = 2000;

const engines = new Map<string, Engine>();
const parked = new Map<string, { engine: Engine; timer: NodeJS.Timeout }>();

/** The engines of flow tests in progress (nodes/deployed/flow-test.ts), by their own ids: elements find them as any engine. */
const sandboxes = new Map<string, Engine>();

export function findEngine(id: string): Engine | undefined {
  return engines.get(id) ?? sandboxes.get(id);
}

/** A flow test's engine, found by its id until the returned function is called. */
export function addSandbox(engine: Engine): () => void {
  sandboxes.set(engine.id, engine);
  return () => {
    if (sandboxes.get(engine.id) === engine) sandboxes.delete(engine.id);
  };
}

/** Every running engine (the admin API lists their states). */
export function listEngines(): Engine[] {
  return [...engines.values()];
}

/**
 * Every engine that may have calls: the running ones and those parked
 * during a redeploy, waiting for their config node's next instance (their
 * calls go on meanwhile).
 */
export function enginesWithCalls(): Engine[] {
  return [...engines.values(), ...[...parked.values()].map((p) => p.engine).filter((e) => ![...engines.values()].includes(e))];
}

/** The running engine of a config node: the parked one of the previous instance when its settings are the same, else a new one. */
export function claimEngine(id: string, settings: EngineSettings, logger: Logger): Engine {
  const previous = parked.get(id);
  if (previous) {
    parked.delete(id);
    clearTimeout(previous.timer);
    if (previous.engine.sameSettings(settings)) {
      previous.engine.log = logger;
      // The allowlists may change without the connection changing: the running engine takes the new ones.
      previous.engine.setAllowlists(settings.config);
      engines.set(id, previous.engine);
      return previous.engine;
    }
    void previous.engine.close('its settings changed');
  }
  const engine = new Engine(id, settings, logger);
  engines.set(id, engine);
  return engine;
}

/** The config node stopped: a removed node's engine closes now; otherwise it waits for its successor. */
export function releaseEngine(id: string, engine: Engine, removed: boolean): Promise<void> {
  if (engines.get(id) === engine) engines.delete(id);
  if (removed) return engine.close('its config node was removed');
  const timer = setTimeout(() => {
    if (parked.get(id)?.engine !== engine) return;
    parked.delete(id);
    void engine.close('its config node was not redeployed');
  }, HANDOVER_MS);
  timer.unref();
  parked.set(id, { engine, timer });
  return Promise.resolve();
}

/** Closes every engine (tests, process exit). */
export async function closeAllEngines(): Promise<void> {
  const all = [...engines.values(), ...[...parked.values()].map((p) => p.engine)];
  for (const p of parked.values()) clearTimeout(p.timer);
  parked.clear();
  engines.clear();
  await Promise.all(all.map((e) => e.close('shutting down')));
}

export class Engine {
  readonly router = new FlowRouter();
  private connection: AriConnection | undefined;
  private registry: CallRegistry | undefined;
  private liveMeetings: LiveMeetings | undefined;
  private simulator: EmbeddedSimulator | undefined;
  private started: Promise<void> | undefined;
  private closed = false;
  private readonly statusListeners = new Set<(s: ConnectionStatus) => void>();
  private readonly offs: (() => void)[] = [];
  private readonly routeWaiters = new Set<() => void>();
  private readonly endedListeners = new Set<(ended: EndedCall) => void>();
  private currentStatus: ConnectionStatus = { state: 'connecting', message: 'starting', attempt: 0 };
  /** Where transfers and campaigns of this connection may dial (the connection's dial allowlist). */
  readonly destinations = new DialAllowlist();
  /** Checks the hosts of http(s) media before Asterisk fetches them (the connection's media allowlist). */
  readonly mediaGuard = new MediaGuard();
  private recordSettings: RecordSettings | undefined;
  private keeper: CallRecordKeeper | undefined;
  private retention: RecordRetention | undefined;

  constructor(
    readonly id: string,
    private settings: EngineSettings,
    public log: Logger,
  ) {
    this.setAllowlists(settings.config);
  }

  /** Takes a redeployed connection's allowlists (settings that do not need a new connection). */
  setAllowlists(config: AsteriskConfig): void {
    this.settings = { ...this.settings, config: { ...this.settings.config, dialAllowlist: config.dialAllowlist, mediaAllowlist: config.mediaAllowlist } };
    this.destinations.set(config.dialAllowlist);
    this.mediaGuard.setAllowlist(config.mediaAllowlist);
  }

  /**
   * Where this connection keeps its call records and for how long, or nowhere (undefined). Like the allowlists, it
   * changes in place: a redeploy that changes only this keeps the connection and its calls.
   */
  setRecords(settings: RecordSettings | undefined): void {
    this.recordSettings = settings;
    if (!settings || this.closed) {
      this.retention?.close();
      this.retention = undefined;
      return;
    }
    const store = (): StoreConnection | undefined => this.recordSettings?.store();
    const log: Logger = { debug: (m) => this.log.debug(m), info: (m) => this.log.info(m), warn: (m) => this.log.warn(m), error: (m) => this.log.error(m) };
    this.keeper ??= new CallRecordKeeper({ store, log });
    if (this.retention) this.retention.set(settings.retention);
    else {
      this.retention = new RecordRetention({ connection: this.id, store, log, retention: settings.retention });
      this.retention.start();
    }
  }

  /** What keeps this connection's call records (its counts, the writes in flight), when it keeps them. */
  get records(): CallRecordKeeper | undefined {
    return this.recordSettings ? this.keeper : undefined;
  }

  /** The store that keeps this connection's call records, when there is one. */
  get recordStore(): StoreConnection | undefined {
    return this.recordSettings?.store();
  }

  /** The retention sweep of this connection's call records, when they are kept. */
  get recordRetention(): RecordRetention | undefined {
    return this.retention;
  }

  get status(): ConnectionStatus {
    return this.currentStatus;
  }

  /** The connection; exists once start() has run (every call this engine reports came through it). */
  get telephony(): AriConnection {
    if (!this.connection) throw new Error(`the Asterisk connection ${this.id} is not started`);
    return this.connection;
  }

  get calls(): CallRegistry {
    if (!this.registry) throw new Error(`the Asterisk connection ${this.id} is not started`);
    return this.registry;
  }

  /** The conferences in progress on this connection (lib/conference). */
  get meetings(): LiveMeetings {
    if (!this.liveMeetings) throw new Error(`the Asterisk connection ${this.id} is not started`);
    return this.liveMeetings;
  }

  get app(): string {
    return this.settings.config.app;
  }

  get usesSimulator(): boolean {
    return this.settings.config.useSimulator;
  }

  get callCount(): number {
    return this.registry?.size ?? 0;
  }

  /** Calls the connection may carry at once (campaigns never dial beyond it). */
  get maxChannels(): number {
    return this.settings.config.maxChannels;
  }

  /** Sends an answered outbound call (a campaign's) into a flow, as an inbound call with that Stasis argument would go. */
  routeOutbound(session: CallSession, flow: string): void {
    this.route(session, [flow]);
  }

  /** Why an answered outbound call sent to `flow` would be refused now (not deployed here, or not released), or undefined. */
  flowRefusal(flow: string): string | undefined {
    return this.router.refusal(flow);
  }

  get idleTimeoutMs(): number {
    return this.settings.config.idleTimeoutSec * 1000;
  }

  /** Whether the connection itself is the same (the allowlists aside: they change in place). */
  sameSettings(other: EngineSettings): boolean {
    const connection = (s: EngineSettings): string =>
      JSON.stringify({ ...s, config: { ...s.config, dialAllowlist: undefined, mediaAllowlist: undefined, recordStore: undefined, recordDays: undefined, recordMax: undefined } });
    return connection(this.settings) === connection(other);
  }

  onStatus(listener: (s: ConnectionStatus) => void): () => void {
    this.statusListeners.add(listener);
    listener(this.currentStatus);
    return () => this.statusListeners.delete(listener);
  }

  private emitStatus(s: ConnectionStatus): void {
    this.currentStatus = s;
    for (const l of this.statusListeners) l(s);
  }

  /** Starts connecting, once; resolves when the connection and its call registry exist (not when connected). */
  start(): Promise<void> {
    this.started ??= this.open();
    return this.started;
  }

  private async open(): Promise<void> {
    const { config } = this.settings;
    if (this.settings.offline) {
      // Nothing may dial out or answer: no connection is made. The port reaches nothing and refuses every request
      // (a campaign's originate, say), so the nodes that use the connection start as usual and never reach Asterisk.
      const status = { state: 'closed' as const, message: 'flow tests only (callflowFlowTestOnly): no Asterisk connection is made', attempt: 0 };
      const port = flowTestTelephony(config.app, status);
      this.connection = port as Telephony as AriConnection;
      this.registry = new CallRegistry(port, { connectionId: this.id, logger: this.log });
      this.liveMeetings = new LiveMeetings(port, this.log, this.settings.instance);
      this.emitStatus(status);
      return;
    }
    let { username, password } = this.settings;
    let url = config.url;
    if (config.useSimulator) {
      const sim = await acquireSimulator(this.log);
      if (this.closed) {
        sim.release();
        return;
      }
      this.simulator = sim;
      ({ url, username, password } = sim);
    }
    // Calls log through the engine, whose logger follows the config node instance that owns it now.
    const log: Logger = { debug: (m) => this.log.debug(m), info: (m) => this.log.info(m), warn: (m) => this.log.warn(m), error: (m) => this.log.error(m) };
    const connection = new AriConnection({
      url,
      username,
      password,
      app: config.app,
      logger: log,
      media: this.mediaGuard,
      ...(this.settings.instance !== undefined ? { instance: this.settings.instance } : {}),
    });
    const registry = new CallRegistry(connection, { connectionId: this.id, logger: log, onReconciled: (l) => connection.onReconciled(l) });
    const meetings = new LiveMeetings(connection, log, this.settings.instance);
    this.connection = connection;
    this.registry = registry;
    this.liveMeetings = meetings;
    // Meeting bridges and media path bridges (listening, a robot's audio) an earlier run of this instance left on
    // Asterisk (a restart of Node-RED) go once connected; the registry hangs up the channels left in them.
    this.offs.push(
      connection.onReconciled((r) => {
        const told = (what: string, sweep: Promise<string[]>): void =>
          void sweep.then(
            (gone) => {
              if (gone.length > 0) this.log.warn(`destroyed ${gone.length} ${what} bridge(s) left by an earlier run: ${gone.join(', ')}`);
            },
            (err: unknown) => this.log.warn(`looking for leftover ${what} bridges failed: ${(err as Error).message}`),
          );
        told('meeting', meetings.sweep());
        told('media', sweepMediaBridges(connection, r, log));
      }),
    );
    this.offs.push(connection.onStatus((s) => this.emitStatus(s)));
    this.offs.push(registry.onCall((session, start) => this.route(session, start.args)));
    this.offs.push(registry.onEnded((ended) => {
      // Every call that ends is kept when the connection names a store, whatever nodes are deployed (never waited on).
      if (this.recordSettings) this.keeper?.keep(ended);
      for (const l of [...this.endedListeners]) l(ended);
    }));
    connection.start();
  }

  /** An entry node takes the calls of a flow. */
  registerFlow(flow: string, handler: FlowHandler): () => void {
    const off = this.router.register(flow, handler);
    this.wakeRouting();
    return off;
  }

  /** Hears of every call of this connection that ends (works before the connection has started). */
  onCallEnded(listener: (ended: EndedCall) => void): () => void {
    this.endedListeners.add(listener);
    return () => this.endedListeners.delete(listener);
  }

  /** An entry node takes the calls of one version of a flow (its release set picks the version of each call). */
  registerVersion(flow: string, version: string, chooser: VersionChooser, handler: FlowHandler): () => void {
    const off = this.router.registerVersion(flow, version, chooser, handler);
    this.wakeRouting();
    return off;
  }

  /** Calls waiting for a route try again (an entry appeared, or a release set loaded its states). */
  wakeRouting(): void {
    for (const wake of [...this.routeWaiters]) wake();
  }

  private route(session: CallSession, args: string[]): void {
    const deadline = Date.now() + ROUTE_GRACE_MS;
    const attempt = (): void => {
      const result = this.router.route(session, args);
      session.settings = result.settings;
      if (result.settings.language) session.language = result.settings.language;
      if ('handler' in result) {
        session.flow = result.flow;
        session.version = result.version;
        session.route = result.group === undefined ? { level: result.level } : { level: result.level, group: result.group };
        result.handler(session, args);
        return;
      }
      if (Date.now() < deadline && !session.ended && !this.closed) {
        // Maybe a deploy is putting the entry node back: wait for the next registration, briefly.
        const wake = (): void => {
          clearTimeout(timer);
          this.routeWaiters.delete(wake);
          attempt();
        };
        const timer = setTimeout(wake, deadline - Date.now());
        this.routeWaiters.add(wake);
        return;
      }
      if (session.ended) return;
      // A campaign's answered call keeps its own rule (the attempt's flow-missing cause); any other goes on to the exception flow, if there is one.
      if (!session.campaign && this.toExceptionFlow(session, 'no-flow', result.refused, undefined, result.flow)) return;
      this.log.warn(`call ${session.id} from ${session.caller.number || 'an unknown number'} to ${session.dialed} dropped: ${result.refused}`);
      // Cause 1 (unallocated number): a caller that was not answered hears 404 Not Found. A campaign's answered call
      // whose flow is not there did not end its own way: the system ended it (its attempt is lost, not answered).
      const by = session.campaign ? 'system' : undefined;
      this.calls.hangup(session, 'unallocated', by, by && `no-flow: ${args[0] ?? ''}`.slice(0, 120)).catch((err: unknown) => this.log.warn(`hanging up call ${session.id} failed: ${(err as Error).message}`));
    };
    attempt();
  }

  /**
   * Sends a failed call on to the exception-handling flow of its release set
   * (docs/releases.md), with why in msg.call.exception; `asked`: the flow a
   * call no flow took was sent to. False when there is
   * none deployed here, or the call was sent there once already (a failure
   * in the exception flow itself ends the call as any failure would).
   */
  toExceptionFlow(session: CallSession, cause: CallException['cause'], message: string, node?: string, asked?: string): boolean {
    if (session.exception || session.ended || this.closed) return false;
    // The flow it failed in, or (no flow took it) the one it was sent to: its release set's exception flow comes first.
    const from = session.flow ?? asked;
    const entry = this.router.exceptionEntry(session.caller.number, from);
    if (!entry) return false;
    const exception: CallException = { cause, message: message.length > 300 ? `${message.slice(0, 297)}...` : message, at: new Date().toISOString() };
    if (from !== undefined) exception.flow = from;
    if (session.version !== undefined) exception.version = session.version;
    if (node !== undefined) exception.node = node;
    session.exception = exception;
    session.flow = entry.flow;
    session.version = entry.version;
    this.log.info(`call ${session.id} goes on to the exception-handling flow ${entry.flow}${entry.version ? ` ${entry.version}` : ''} (${cause}: ${exception.message})`);
    entry.handler(session, []);
    return true;
  }

  async close(why: string): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const wake of [...this.routeWaiters]) wake();
    await this.started;
    if (this.liveMeetings) await withTimeout(this.liveMeetings.closeAll(), 5000);
    const live = this.registry?.size ?? 0;
    if (live > 0) {
      this.log.warn(`hanging up ${live} call(s): the Asterisk connection is closing (${why})`);
      await withTimeout(this.calls.hangupAll('normal'), 5000);
    }
    for (const off of this.offs.splice(0)) off();
    this.retention?.close();
    this.registry?.dispose();
    await withTimeout(this.connection?.close() ?? Promise.resolve(), 5000);
    this.simulator?.release();
    this.simulator = undefined;
    this.emitStatus({ state: 'closed', message: why, attempt: 0 });
  }
}

function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    p.then(
      () => {
        clearTimeout(t);
        resolve();
      },
      () => {
        clearTimeout(t);
        resolve();
      },
    );
  });
}
