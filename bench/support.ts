/** What the benchmarks share: percentiles, the simulator in its own process, and small HTTP helpers. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { rankOf } from '../lib/campaign/order';
import { prepareHome } from '../lib/playground/home';
import type { ContactInput } from '../lib/schemas/store';
import { EmbeddedStore } from '../lib/store/embedded';

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

export function summary(samples: number[]): { p50: number; p99: number; max: number; n: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] ?? Number.NaN, n: s.length };
}

export const ms = (v: number): string => `${v.toFixed(2)} ms`;

export { startSimulatorProcess } from '../lib/playground/sim-process';

export function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

let clockTicks: number | undefined;

/** Milliseconds per clock tick of /proc's CPU times (getconf CLK_TCK, usually 100 a second). */
function msPerTick(): number {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return 1000 / clockTicks;
}

/** The CPU time (user + system, every thread) process `pid` used so far, in ms, from /proc/<pid>/stat. */
export function cpuMsOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // After the command name in parentheses (which may hold spaces): state, then 10 fields, then utime and stime.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * msPerTick();
}

/** The machine's CPU time so far, all cores, in ms: busy (not idle, not waiting for I/O) and in all. */
export function machineCpuMs(): { busy: number; all: number } {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const t = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const all = t.reduce((a, b) => a + b, 0);
  const idle = (t[3] ?? 0) + (t[4] ?? 0);
  return { busy: (all - idle) * msPerTick(), all: all * msPerTick() };
}

export async function post(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`POST ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Runs a bench's main and ends the process: 0 once it is done (servers and timers left are not waited for), 1 on a failure. */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}

/** The value after a command-line flag (`--minutes 5`), or undefined. */
export function flag(name: string, args: readonly string[] = process.argv.slice(2)): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Node-RED's runtime API as the benchmarks use it (embedded in the bench process). */
export interface EmbeddedNodeRed {
  init(settings: object): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

let red: EmbeddedNodeRed | undefined;

/** Node-RED, loaded only by the benchmarks that run it. */
export function nodeRed(): EmbeddedNodeRed {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  red ??= require('node-red') as EmbeddedNodeRed;
  return red;
}

/**
 * Starts Node-RED in this process on a user directory with this package and
 * `flows` (prepareHome), the connection's credentials in plain text, no
 * editor and no HTTP: what the Node-RED process of a deployment runs.
 */
export async function startEmbeddedNodeRed(options: { dir: string; flows: Record<string, unknown>[]; credentials: Record<string, object>; logLevel: 'warn' | 'error'; settings?: Record<string, unknown> }): Promise<EmbeddedNodeRed> {
  prepareHome({ dir: options.dir, port: 0, flows: options.flows, replaceFlows: true });
  fs.writeFileSync(path.join(options.dir, 'flows_cred.json'), JSON.stringify(options.credentials));
  const RED = nodeRed();
  RED.init({
    userDir: options.dir,
    flowFile: 'flows.json',
    credentialSecret: false,
    httpAdminRoot: false,
    httpNodeRoot: false,
    disableEditor: true,
    telemetry: { enabled: false },
    logging: { console: { level: options.logLevel, metrics: false, audit: false } },
    ...options.settings,
  });
  await RED.start();
  return RED;
}

/** The 100 numbers the campaign benches call. */
export const CAMPAIGN_NUMBERS = Array.from({ length: 100 }, (_, i) => `+8613${String(i).padStart(9, '0')}`);

/** How each of the 100 numbers answers: 60 answer, 15 busy, 10 no answer, 5 unallocated, 5 rejected, 5 congestion. */
function campaignBehaviourOf(i: number): Record<string, unknown> {
  if (i < 60) return { outcome: 'answer', ringMs: 1000 + (i % 10) * 100 };
  if (i < 75) return { outcome: 'busy', ringMs: 800 };
  if (i < 85) return { outcome: 'unavailable', ringMs: 3000 };
  if (i < 90) return { outcome: 'unallocated', ringMs: 300 };
  if (i < 95) return { outcome: 'rejected', ringMs: 1500 };
  return { outcome: 'congestion', ringMs: 200 };
}

/** Tells the simulator at `url` how each of CAMPAIGN_NUMBERS answers. */
export async function setCampaignNumbers(url: string): Promise<void> {
  for (const [i, n] of CAMPAIGN_NUMBERS.entries()) {
    await fetch(`${url}/sim/numbers/${encodeURIComponent(n)}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(campaignBehaviourOf(i)) });
  }
}

/** Stores `total` contacts of task `task` in the embedded store file `file` (ids `prefix`0, 1...), each with one of CAMPAIGN_NUMBERS in turn. */
export async function preloadContacts(file: string, total: number, prefix = 'c'): Promise<void> {
  const store = new EmbeddedStore({ file, durability: 'normal' });
  await store.open();
  const order = { by: 'none' as const, attrs: [] };
  for (let i = 0; i < total; i += 10_000) {
    const rows: ContactInput[] = Array.from({ length: Math.min(10_000, total - i) }, (_, k) => {
      const c: ContactInput = { customerId: `${prefix}${i + k}`, numbers: [{ number: CAMPAIGN_NUMBERS[(i + k) % CAMPAIGN_NUMBERS.length] as string }] };
      c.rank = rankOf(c, order);
      return c;
    });
    await store.importContacts('task', rows, Date.now());
  }
  await store.close();
}

/** Polls `get` every 50 ms until it gives a value; fails after `timeoutMs`, naming `what`. */
export async function waitFor<T>(what: string, get: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The campaign benches' task settings apart from its name and nodes: all day, `rate` calls a second (interval 1 s). */
export function pacedTask(rate: number): Record<string, unknown> {
  return {
    callerNumbers: ['+861058000000'],
    timezone: 'UTC',
    hours: { regular: [{ start: '00:00', end: '23:59' }], special: [], allocated: [] },
    intervalSec: 1,
    callsAtATime: rate,
    maxResponseSec: 20,
  };
}

/**
 * The campaign benches' flows: one task paced at `rate` calls a second (interval 1 s) over the simulators at `urls`
 * (connections ast1, ast2..., Stasis application `app`; more than one: a trunk group of equal limits and weights), on
 * the embedded store in `storeFile`; answered calls hear a notice, then are hung up.
 */
export function trunkGroupFlows(urls: string[], storeFile: string, rate: number, app: string): Record<string, unknown>[] {
  const z = 'bench-tab';
  const ids = urls.map((_, i) => `ast${i + 1}`);
  return [
    { id: z, type: 'tab', label: 'bench' },
    ...urls.map((url, i) => ({ id: ids[i], type: 'callflow-asterisk', name: `sim-${i + 1}`, useSimulator: false, url, app, idleTimeoutSec: 60, maxChannels: 5000 })),
    { id: 'store', type: 'callflow-store', name: 'bench store', backend: 'embedded', file: storeFile, durability: 'normal' },
    {
      id: 'task',
      type: 'callflow-campaign',
      name: 'bench',
      connection: 'ast1',
      store: 'store',
      ...pacedTask(rate),
      // One connection: the task as before trunk groups; more: equal limits and weights.
      connections: ids.length > 1 ? ids.map((connection) => ({ connection, maxCalls: 0, weight: 1, callerNumbers: [] })) : [],
    },
    { id: 'dialer', type: 'callflow-dialer', z, campaign: 'task', x: 100, y: 100, wires: [['answer'], [], []] },
    { id: 'answer', type: 'callflow-answer', z, onError: 'hangup', outputs: 1, x: 300, y: 100, wires: [['notice']] },
    { id: 'notice', type: 'callflow-play', z, prompts: ['sound:hello-world'], bargeIn: false, repeat: 1, answer: true, onError: 'hangup', outputs: 1, x: 500, y: 100, wires: [['bye']] },
    { id: 'bye', type: 'callflow-hangup', z, reason: 'normal', x: 700, y: 100, wires: [] },
  ];
}
