/**
 * bench/campaign: an outbound campaign in a real Node-RED runtime (embedded
 * in this process, no editor) against the simulated Asterisk in a process of
 * its own.
 *
 * 1. Sustained dialing: 50,000 contacts on 100 simulated numbers with mixed
 *    outcomes (60% answer after 1-2 s and hear a notice that lasts
 *    `--talk` seconds, the rest busy, no answer, unallocated, rejected or
 *    congested; busy ones are retried after 60 s), the task paced at 100
 *    calls a second (interval 1 s, 100 at a time). Over `--minutes`
 *    (default 5) it prints the originations per second, the pacing error
 *    against the configured rate, the calls in progress, the p50/p99 time
 *    from claiming a contact to sending its originate request, and the CPU
 *    this process used (Node-RED, the plugin and the store).
 * 2. A 1,000,000-contact campaign on the embedded store: the process's
 *    memory once it dials, and the time from "start" to the first dial.
 * 3. The longest the event loop is blocked while 100,000 CSV rows are
 *    imported by the contacts stage's import.
 *
 * Figures are printed, not asserted; docs/performance.md records them.
 *
 *   npm run bench:campaign    (or: node dist/bench/campaign.js [--minutes 5] [--talk 12] [--skip-sustained] [--skip-million] [--skip-import])
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { importContacts } from '../lib/campaign/contacts';
import type { Dialer } from '../lib/campaign/dialer';
import { rankOf } from '../lib/campaign/order';
import type { ContactInput } from '../lib/schemas/store';
import { EmbeddedStore } from '../lib/store/embedded';
import { listCampaigns } from '../nodes/shared/campaigns';
import { listEngines } from '../nodes/shared/engine';
import { flag, ms, nodeRed, rssMb, startEmbeddedNodeRed, startSimulatorProcess, summary } from './support';

interface Options {
  minutes: number;
  talkSec: number;
  sustained: boolean;
  million: boolean;
  import: boolean;
}

function options(): Options {
  const args = process.argv.slice(2);
  return {
    minutes: Number(flag('--minutes') ?? 5),
    talkSec: Number(flag('--talk') ?? 12),
    sustained: !args.includes('--skip-sustained'),
    million: !args.includes('--skip-million'),
    import: !args.includes('--skip-import'),
  };
}


const NUMBERS = Array.from({ length: 100 }, (_, i) => `+8613${String(i).padStart(9, '0')}`);

/** How each of the 100 numbers answers: 60 answer, 15 busy, 10 no answer, 5 unallocated, 5 rejected, 5 congestion. */
function behaviourOf(i: number): Record<string, unknown> {
  if (i < 60) return { outcome: 'answer', ringMs: 1000 + (i % 10) * 100 };
  if (i < 75) return { outcome: 'busy', ringMs: 800 };
  if (i < 85) return { outcome: 'unavailable', ringMs: 3000 };
  if (i < 90) return { outcome: 'unallocated', ringMs: 300 };
  if (i < 95) return { outcome: 'rejected', ringMs: 1500 };
  return { outcome: 'congestion', ringMs: 200 };
}

function flows(simUrl: string, storeFile: string): Record<string, unknown>[] {
  const z = 'bench-tab';
  return [
    { id: z, type: 'tab', label: 'bench' },
    { id: 'ast', type: 'callflow-asterisk', name: 'sim', useSimulator: false, url: simUrl, app: 'callflow', idleTimeoutSec: 60, maxChannels: 5000 },
    { id: 'store', type: 'callflow-store', name: 'bench store', backend: 'embedded', file: storeFile, durability: 'normal' },
    {
      id: 'task',
      type: 'callflow-campaign',
      name: 'bench',
      connection: 'ast',
      store: 'store',
      callerNumbers: ['+861058000000'],
      timezone: 'UTC',
      hours: { regular: [{ start: '00:00', end: '23:59' }], special: [], allocated: [] },
      intervalSec: 1,
      callsAtATime: 100,
      maxResponseSec: 20,
    },
    { id: 'dialer', type: 'callflow-dialer', z, campaign: 'task', x: 100, y: 100, wires: [['answer'], [], []] },
    { id: 'answer', type: 'callflow-answer', z, onError: 'hangup', outputs: 1, x: 300, y: 100, wires: [['notice']] },
    { id: 'notice', type: 'callflow-play', z, prompts: ['sound:hello-world'], bargeIn: false, repeat: 1, answer: true, onError: 'hangup', outputs: 1, x: 500, y: 100, wires: [['bye']] },
    { id: 'bye', type: 'callflow-hangup', z, reason: 'normal', x: 700, y: 100, wires: [] },
  ];
}

function startNodeRed(dir: string, simUrl: string, storeFile: string): Promise<unknown> {
  return startEmbeddedNodeRed({ dir, flows: flows(simUrl, storeFile), credentials: { ast: { username: 'asterisk', password: 'asterisk' } }, logLevel: 'error' });
}

async function waitFor<T>(what: string, get: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function theDialer(): Promise<Dialer> {
  await waitFor('the connection', () => (listEngines()[0]?.status.state === 'connected' ? true : undefined));
  const campaign = await waitFor('the campaign', () => listCampaigns()[0]);
  return campaign.dialer(30_000);
}

function contactsOf(count: number, prefix: string): ContactInput[] {
  const order = { by: 'none' as const, attrs: [] };
  return Array.from({ length: count }, (_, i) => {
    const c: ContactInput = { customerId: `${prefix}${i}`, numbers: [{ number: NUMBERS[i % NUMBERS.length] as string }] };
    c.rank = rankOf(c, order);
    return c;
  });
}

async function preload(file: string, total: number, prefix: string): Promise<number> {
  const store = new EmbeddedStore({ file, durability: 'normal' });
  await store.open();
  const started = performance.now();
  for (let i = 0; i < total; i += 10_000) await store.importContacts('task', contactsOf(Math.min(10_000, total - i), `${prefix}${i}-`), Date.now());
  await store.close();
  return performance.now() - started;
}

/** Runs `fn` with the simulator in its own process (prompts lasting `mediaMs`) and a temporary folder; stops Node-RED, the simulator and removes the folder after. */
async function withSimulator(mediaMs: number, fn: (url: string, dir: string, storeFile: string) => Promise<void>): Promise<void> {
  const { child, url } = await startSimulatorProcess(['--media-ms', String(mediaMs), '--app', 'callflow']);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callflow-bench-campaign-'));
  try {
    await fn(url, dir, path.join(dir, 'campaign.db'));
  } finally {
    await nodeRed().stop().catch(() => undefined);
    child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function sustained(opts: Options): Promise<void> {
  console.log(`\n1. Sustained dialing: 50,000 contacts, paced at 100 calls/s, answered calls last ${opts.talkSec} s, ${opts.minutes} min`);
  await withSimulator(opts.talkSec * 1000, async (url, dir, storeFile) => {
    for (const [i, n] of NUMBERS.entries()) {
      await fetch(`${url}/sim/numbers/${encodeURIComponent(n)}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(behaviourOf(i)) });
    }
    const loadMs = await preload(storeFile, 50_000, 'c');
    console.log(`   50,000 contacts stored in ${(loadMs / 1000).toFixed(1)} s`);
    await startNodeRed(dir, url, storeFile);
    const dialer = await theDialer();
    dialer.collectStats = true;
    await dialer.operate('start', 'bench');
    // Warm-up: the first 20 s (calls in progress build up to their steady level) are not measured.
    await new Promise((r) => setTimeout(r, 20_000));
    const engine = listEngines()[0];
    dialer.stats.claimToOriginate.length = 0;
    const from = { originates: dialer.stats.originates, cpu: process.cpuUsage(), at: performance.now() };
    const inProgress: number[] = [];
    const windowMs = opts.minutes * 60_000;
    const sampler = setInterval(() => inProgress.push(engine?.callCount ?? 0), 1000);
    await new Promise((r) => setTimeout(r, windowMs));
    clearInterval(sampler);
    const wall = performance.now() - from.at;
    const cpu = process.cpuUsage(from.cpu);
    const originated = dialer.stats.originates - from.originates;
    const perSecond = originated / (wall / 1000);
    const latency = summary(dialer.stats.claimToOriginate);
    const calls = summary(inProgress);
    console.log(`   originations: ${originated} in ${(wall / 1000).toFixed(1)} s = ${perSecond.toFixed(1)}/s (configured 100/s; pacing error ${(((perSecond - 100) / 100) * 100).toFixed(2)}%)`);
    console.log(`   calls in progress (answered, in the flow): median ${calls.p50}, max ${calls.max}`);
    console.log(`   claim to originate request: p50 ${ms(latency.p50)}, p99 ${ms(latency.p99)}, max ${ms(latency.max)} (${latency.n} samples)`);
    console.log(`   CPU of this process: ${(((cpu.user + cpu.system) / 1000 / wall) * 100).toFixed(1)}% of one core; RSS ${rssMb(process.pid).toFixed(0)} MB`);
    const status = dialer.status();
    console.log(`   task: ${JSON.stringify(status.counters)}, ${status.remaining} contacts not final`);
    await dialer.operate('suspend', 'bench');
  });
}

async function million(): Promise<void> {
  console.log('\n2. A 1,000,000-contact campaign on the embedded store');
  await withSimulator(2000, async (url, dir, storeFile) => {
    const loadMs = await preload(storeFile, 1_000_000, 'm');
    console.log(`   1,000,000 contacts stored in ${(loadMs / 1000).toFixed(1)} s (file ${(fs.statSync(storeFile).size / 1e6).toFixed(0)} MB)`);
    const t0 = performance.now();
    await startNodeRed(dir, url, storeFile);
    const dialer = await theDialer();
    console.log(`   Node-RED started with the task loaded in ${((performance.now() - t0) / 1000).toFixed(2)} s; RSS ${rssMb(process.pid).toFixed(0)} MB`);
    dialer.collectStats = true;
    const started = performance.now();
    await dialer.operate('start', 'bench');
    await waitFor('the first dial', () => (dialer.stats.originates > 0 ? true : undefined), 30_000);
    const firstDial = performance.now() - started;
    await new Promise((r) => setTimeout(r, 30_000));
    console.log(`   start to first dial: ${ms(firstDial)}`);
    console.log(`   after 30 s of dialing (${dialer.stats.originates} calls): RSS ${rssMb(process.pid).toFixed(0)} MB, heap ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB`);
    await dialer.operate('suspend', 'bench');
  });
}

async function csvImport(): Promise<void> {
  console.log('\n3. Importing 100,000 CSV rows (the contacts stage)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callflow-bench-import-'));
  const store = new EmbeddedStore({ file: path.join(dir, 'import.db') });
  await store.open();
  try {
    const lines = ['customerId,number1,type1,attr.score'];
    for (let i = 0; i < 100_000; i += 1) lines.push(`C${i},+86138${String(i).padStart(8, '0')},mobile,${i % 1000}`);
    const text = lines.join('\n');
    const rules = { numberTypes: ['mobile', 'home', 'work', 'other'], order: { by: 'attributes' as const, attrs: [{ attr: 'score', direction: 'desc' as const }] } };
    // Compile the contact schema before measuring (once per process).
    await importContacts(store, 'warm', 'customerId,number\nW,+8613800000000', rules, Date.now());
    const histogram = monitorEventLoopDelay({ resolution: 10 });
    histogram.enable();
    const started = performance.now();
    const out = await importContacts(store, 'task', text, rules, Date.now());
    const took = performance.now() - started;
    histogram.disable();
    console.log(`   ${out.inserted} rows in ${(took / 1000).toFixed(2)} s (${Math.round(out.inserted / (took / 1000))} rows/s); longest event-loop block ${(histogram.max / 1e6).toFixed(1)} ms (target: under 50 ms)`);
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const opts = options();
  console.log(`bench/campaign on Node ${process.version}, ${os.cpus().length} CPUs`);
  if (opts.import) await csvImport();
  if (opts.million) await million();
  // Node-RED runs once per process: the sustained run goes in a process of its own when both are asked for.
  if (opts.sustained && !opts.million) await sustained(opts);
  else if (opts.sustained) console.log('\n(run with --skip-million --skip-import for the sustained figures: Node-RED starts once per process)');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
