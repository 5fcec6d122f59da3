/** What the benchmarks share: percentiles, the simulator in its own process, and small HTTP helpers. */
import fs from 'node:fs';
import path from 'node:path';
import { prepareHome } from '../lib/playground/home';

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

export async function post(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`POST ${url}: ${res.status} ${await res.text()}`);
  return res.json();
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
