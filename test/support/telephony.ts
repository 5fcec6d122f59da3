/**
 * Test helpers around AriConnection: a simulator plus a connected adapter,
 * a recorder that awaits events as they arrive (no sleeping), and a logger
 * that keeps every line for assertions.
 */
import { AriConnection, type AriConnectionOptions } from '../../lib/ari/connection';
import type { ConnectionState, TelephonyEvent } from '../../lib/ari/port';
import { CallRegistry } from '../../lib/call/registry';
import type { Logger } from '../../lib/log';
import { startSimulator, type Simulator, type SimulatorServerOptions } from '../../lib/sim';

export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  debug(m: string): void {
    this.lines.push(`debug ${m}`);
  }
  info(m: string): void {
    this.lines.push(`info ${m}`);
  }
  warn(m: string): void {
    this.lines.push(`warn ${m}`);
  }
  error(m: string): void {
    this.lines.push(`error ${m}`);
  }
}

/** Resolves with the first event matching, from the moment of the call; fails after timeoutMs. */
export function nextEvent(conn: AriConnection, match: (e: TelephonyEvent) => boolean, timeoutMs = 5000): Promise<TelephonyEvent> {
  return new Promise((resolve, reject) => {
    const off = conn.onEvent((e) => {
      if (!match(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching event within ${timeoutMs} ms`));
    }, timeoutMs);
  });
}

/** Resolves when the connection reaches a state; fails after timeoutMs with the last status. */
export function nextState(conn: AriConnection, state: ConnectionState, timeoutMs = 5000): Promise<void> {
  if (conn.status.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const off = conn.onStatus((s) => {
      if (s.state !== state) return;
      clearTimeout(timer);
      off();
      resolve();
    });
    const timer = setTimeout(() => {
      off();
      reject(new Error(`state ${state} not reached within ${timeoutMs} ms; last: ${conn.status.state} ${conn.status.message}`));
    }, timeoutMs);
  });
}

export interface Rig {
  sim: Simulator;
  conn: AriConnection;
  log: MemoryLogger;
  close(): Promise<void>;
}

/** A fast simulator and an adapter connected to it. */
export async function rig(options: { sim?: SimulatorServerOptions; conn?: Partial<AriConnectionOptions> } = {}): Promise<Rig> {
  const sim = await startSimulator({ speed: 500, ...options.sim });
  const log = new MemoryLogger();
  const conn = new AriConnection({
    url: sim.url,
    username: sim.username,
    password: sim.password,
    app: 'callflow',
    logger: log,
    backoff: { initialMs: 20, maxMs: 100 },
    authBackoff: { initialMs: 50, maxMs: 200 },
    ...options.conn,
  });
  // Tests start from a quiet connection: connected, and the first reconciliation done.
  const reconciled = new Promise<void>((resolve) => {
    const off = conn.onReconciled(() => {
      off();
      resolve();
    });
  });
  conn.start();
  await conn.whenConnected(AbortSignal.timeout(5000));
  await reconciled;
  return {
    sim,
    conn,
    log,
    close: async () => {
      await conn.close();
      await sim.close();
    },
  };
}

/** Places an inbound call and resolves once the adapter saw its StasisStart. */
export async function inbound(r: Rig, opts: Parameters<Simulator['placeCall']>[0] = { from: '+15550100', to: '100' }): Promise<string> {
  const call = r.sim.placeCall({ app: 'callflow', ...opts });
  // The event travels over the socket, so it cannot arrive before this subscription.
  await nextEvent(r.conn, (e) => e.type === 'StasisStart' && e.channel.id === call.id);
  return call.id;
}

/** Per test: a rig and the call registry of its connection (connection c1), both closed after the test. */
export function useCallRig(options: Parameters<typeof rig>[0] = {}): () => { r: Rig; registry: CallRegistry } {
  let current: { r: Rig; registry: CallRegistry } | undefined;
  beforeEach(async function () {
    const r = await rig(options);
    current = { r, registry: new CallRegistry(r.conn, { connectionId: 'c1', logger: r.log }) };
  });
  afterEach(async function () {
    current?.registry.dispose();
    await current?.r.close();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('the rig exists only inside a test');
    return current;
  };
}
