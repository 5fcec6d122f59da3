/**
 * IVR flows under test: a connection to the simulated Asterisk, an entry
 * node, the nodes under test, and Complete and Catch nodes that watch them
 * (every input must complete exactly once; errors must reach Catch).
 */
import { startSimulator, type Simulator } from '../../lib/sim';
import type { CallEndReport } from '../../lib/call/report';
import { hasText, node, waitForStatus } from './node-red';

export interface CallMsg {
  topic?: string;
  call: {
    id: string;
    channelId: string;
    caller: { number: string; name?: string };
    dialed: string;
    flow: string;
    vars: Record<string, unknown>;
    trace: { node: string; element: string; at: string; outcome?: string }[];
    connection: string;
    /** What lets a node act on the call (absent on the call-end report's msg.call). */
    token?: string;
    settings?: Record<string, unknown>;
    route?: { level: string; group?: string };
    language?: string;
  };
  payload: Record<string, unknown>;
  error?: { message: string; source: { type: string } };
}

export interface CallEndMsg extends Omit<CallMsg, 'payload'> {
  payload: CallEndReport;
}

/** The credentials of the connection node a1. */
export const CREDS = { a1: { username: 'asterisk', password: 'asterisk' } };

/** A simulated Asterisk per test (fast: `speed` times real time). */
export function useSimulator(speed = 300): () => Simulator {
  let sim: Simulator | undefined;
  beforeEach(async function () {
    sim = await startSimulator({ speed });
  });
  afterEach(async function () {
    await sim?.close();
    sim = undefined;
  });
  return () => {
    if (!sim) throw new Error('the simulator runs only inside a test');
    return sim;
  };
}

export interface FlowOptions {
  idleTimeoutSec?: number;
  /** A callflow-routing node id for the connection. */
  routing?: string;
  /** More config nodes (global, deployed before the connection). */
  configs?: object[];
  /** The connection's dial allowlist (default: the schema's, PJSIP/* PJSIP/*@trunk). */
  dialAllowlist?: string;
  /** The connection's media allowlist (default: none). */
  mediaAllowlist?: string;
  /** More properties of the connection node (the store that keeps its call records, their retention). */
  connection?: Record<string, unknown>;
}

/** a1 (connection) + the nodes (on tab "tab"), plus Complete and Catch nodes watching `watched` (ids completed and caught). */
export function ivrFlow(sim: Simulator, nodes: object[], watched: string[], options: FlowOptions = {}): object[] {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    ...(options.configs ?? []),
    {
      id: 'a1',
      type: 'callflow-asterisk',
      url: sim.url,
      app: 'callflow',
      useSimulator: false,
      idleTimeoutSec: options.idleTimeoutSec ?? 60,
      ...(options.routing ? { routing: options.routing } : {}),
      ...(options.dialAllowlist === undefined ? {} : { dialAllowlist: options.dialAllowlist }),
      ...(options.mediaAllowlist === undefined ? {} : { mediaAllowlist: options.mediaAllowlist }),
      ...options.connection,
    },
    // x and y make them flow nodes (without, Node-RED takes a node for a config node).
    ...nodes.map((n, i) => ({ z: 'tab', x: 100 + 150 * i, y: 100, ...n })),
    { id: 'completer', type: 'complete', z: 'tab', scope: watched, uncaught: false, wires: [['completed']] },
    { id: 'completed', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', scope: watched, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

/** Resolves when the entry node (default e1) says its connection is up. */
export async function connected(entry = 'e1'): Promise<void> {
  await waitForStatus(node(entry), hasText('callflow.status.connected'));
}

/** Collects every msg a node receives, from now on. */
export function received<T = CallMsg>(id: string): T[] {
  const all: T[] = [];
  node(id).on('input', (msg: T) => all.push(msg));
  return all;
}

/** Resolves with the first `count` msgs a node receives from now on; fails after timeoutMs. */
export function messages<T = CallMsg>(id: string, count: number, timeoutMs = 5000): Promise<T[]> {
  const all: T[] = [];
  const n = node(id);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      n.off('input', onInput);
      reject(new Error(`${id} received ${all.length} of ${count} messages within ${timeoutMs} ms: ${JSON.stringify(all).slice(0, 2000)}`));
    }, timeoutMs);
    const onInput = (msg: T): void => {
      all.push(msg);
      if (all.length < count) return;
      clearTimeout(timer);
      n.off('input', onInput);
      resolve(all);
    };
    n.on('input', onInput);
  });
}

/** A callflow-transfer node's settings as the editor saves them (an endpoint transfer to PJSIP/100), for tests to override. */
export const TRANSFER = {
  type: 'callflow-transfer',
  kind: 'endpoint',
  endpoint: 'PJSIP/100',
  number: '',
  dialString: 'PJSIP/{number}@trunk',
  context: '',
  extension: '',
  priority: 1,
  queue: '',
  queueContext: 'callflow-queues',
  data: [] as string[],
  flow: '',
  ringTimeoutSec: 5,
  callerId: '',
  onError: 'hangup',
};
