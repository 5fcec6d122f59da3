/**
 * bench/campaign: an outbound campaign in a real Node-RED runtime (embedded
 * in this process, no editor) against the simulated Asterisk in a process of
 * its own.
 *
 * 1. Sustained dialing: 50,000 contacts on 100 simulated numbers with mixed
 *    outcomes (60% answer after 1-2 s and hear a notice that lasts
 *    `--talk` seconds, the rest busy, no answer, unallocated, rejected or
 *    congested; busy ones are retried after 60 s), the task paced at
 *    `--rate` calls a second (default 100: interval 1 s, 100 at a time).
 *    Over `--minutes` (default 5) it prints the originations per second,
 *    the pacing error over whole ticks, the calls in progress, the
 *    p50/p99 time from a call's moment (a tick's calls are spread over
 *    the tick in groups, lib/campaign/placing.ts) to its originate request
 *    on the wire (when it gets one of the connection's sockets) and to the
 *    request made (the contacts were claimed and their attempts written
 *    at the tick before: the time of that write is printed too), the CPU this
 *    process used (Node-RED, the plugin and the store) per origination,
 *    and the store calls per origination. The issue-14 targets:
 *    `--rate 100 --talk 26` (about 1,000 calls in progress: p99 < 10 ms)
 *    and `--rate 300 --talk 3` (pacing error within 1%).
 * 2. A 1,000,000-contact campaign on the embedded store: the process's
 *    memory once it dials, and the time from "start" to the first dial.
 * 3. Importing 1,000,000 CSV rows (a fifth of them bad) through the real
 *    callflow-contacts node, in a Node-RED of its own (a child process) for
 *    each wiring of its outputs (none, output 1, output 2, both; wired to a
 *    function node), and once more with the CSV as a Buffer: the longest
 *    the event loop was blocked, the peak RSS, and the rows per second.
 *
 * Figures are printed, not asserted; docs/performance.md records them.
 *
 *   npm run bench:campaign    (or: node dist/bench/campaign.js [--minutes 5] [--talk 12] [--rate 100] [--skip-sustained] [--skip-million] [--skip-import]
 *                              [--import-rows 1000000] [--import-runs "none:text,output 2:text,both:buffer"] [--import-durability normal])
 */
import { spawn } from 'node:child_process';
import diagnostics from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { Dialer } from '../lib/campaign/dialer';
import { listCampaigns } from '../nodes/deployed/campaigns';
import { listEngines } from '../nodes/deployed/engine';
import { flag, ms, nodeRed, preloadContacts, rssMb, setCampaignNumbers, startEmbeddedNodeRed, startSimulatorProcess, summary, trunkGroupFlows, waitFor } from './support';

interface Options {
  minutes: number;
  talkSec: number;
  /** Calls a second (interval 1 s, this many at a time). */
  rate: number;
  sustained: boolean;
  million: boolean;
  import: boolean;
  importRows: number;
}

function options(): Options {
  const args = process.argv.slice(2);
  return {
    minutes: Number(flag('--minutes') ?? 5),
    talkSec: Number(flag('--talk') ?? 12),
    rate: Number(flag('--rate') ?? 100),
    sustained: !args.includes('--skip-sustained'),
    million: !args.includes('--skip-million'),
    import: !args.includes('--skip-import'),
    importRows: Number(flag('--import-rows') ?? 1_000_000),
  };
}

function startNodeRed(dir: string, simUrl: string, storeFile: string, rate = 100): Promise<unknown> {
  return startEmbeddedNodeRed({ dir, flows: trunkGroupFlows([simUrl], storeFile, rate, 'callflow'), credentials: { ast1: { username: 'asterisk', password: 'asterisk' } }, logLevel: 'error' });
}

async function theDialer(): Promise<Dialer> {
  await waitFor('the connection', () => (listEngines()[0]?.status.state === 'connected' ? true : undefined));
  const campaign = await waitFor('the campaign', () => listCampaigns()[0]);
  return campaign.dialer(30_000);
}

/** Stores `total` contacts in the embedded store `file` (support.ts's preloadContacts, ids `prefix`0, 1...); returns the ms it took. */
async function preload(file: string, total: number, prefix: string): Promise<number> {
  const started = performance.now();
  await preloadContacts(file, total, prefix);
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

/**
 * The pacing error over whole ticks: the calls of every tick but the last, over the time from the first tick to the
 * last (a window's edges would count a tick more or less: 1.7% of a minute at 300/s).
 */
function pacingError(ticks: { at: number; placed: number }[], rate: number): { rate: number; error: number; ticks: number } {
  if (ticks.length < 2) return { rate: 0, error: -1, ticks: ticks.length };
  const first = ticks[0] as { at: number };
  const last = ticks[ticks.length - 1] as { at: number };
  const calls = ticks.slice(0, -1).reduce((n, t) => n + t.placed, 0);
  const measured = calls / ((last.at - first.at) / 1000);
  return { rate: measured, error: (measured - rate) / rate, ticks: ticks.length };
}

async function sustained(opts: Options): Promise<void> {
  const rate = opts.rate;
  console.log(`\n1. Sustained dialing: 50,000 contacts, paced at ${rate} calls/s, answered calls last ${opts.talkSec} s, ${opts.minutes} min`);
  await withSimulator(opts.talkSec * 1000, async (url, dir, storeFile) => {
    await setCampaignNumbers(url);
    const loadMs = await preload(storeFile, 50_000, 'c');
    console.log(`   50,000 contacts stored in ${(loadMs / 1000).toFixed(1)} s`);
    await startNodeRed(dir, url, storeFile, rate);
    const dialer = await theDialer();
    // Every call the dialer makes to the store, counted by operation (the store is the campaign's, on its own thread).
    const campaign = listCampaigns()[0];
    if (!campaign) throw new Error('no campaign');
    const store = await campaign.store();
    const storeCalls = new Map<string, number>();
    for (const name of ['claimDue', 'markProgress', 'markProgressBatch', 'findBlock', 'recordAttempt', 'renewLeases', 'hasDue', 'countContacts', 'putDocument'] as const) {
      const real = (store[name] as (...a: unknown[]) => Promise<unknown>).bind(store);
      (store as unknown as Record<string, unknown>)[name] = (...a: unknown[]) => {
        storeCalls.set(name, (storeCalls.get(name) ?? 0) + 1);
        return real(...a);
      };
    }
    dialer.collectStats = true;
    await dialer.operate('start', 'bench');
    // Warm-up: the first 20 s (calls in progress build up to their steady level) are not measured.
    await new Promise((r) => setTimeout(r, 20_000));
    const engine = listEngines()[0];
    dialer.stats.tickToOriginate.length = 0;
    dialer.stats.ticks.length = 0;
    // The originate request on the wire: Node publishes http.client.request.start when the request gets one of the
    // connection's sockets (lib/ari/rest.ts keeps 32, shared with the calls' own requests), not when it is made.
    const onWire: number[] = [];
    dialer.stats.tickOf.clear();
    const stats = dialer.stats;
    const onStart = (message: unknown): void => {
      const { request } = message as { request: ClientRequest };
      if (request.method !== 'POST') return;
      const id = /\/channels\/([^/?]+)\?/.exec(request.path)?.[1];
      const tickAt = id === undefined ? undefined : stats.tickOf.get(id);
      if (id === undefined || tickAt === undefined) return;
      stats.tickOf.delete(id);
      onWire.push(performance.now() - tickAt);
    };
    diagnostics.subscribe('http.client.request.start', onStart);
    storeCalls.clear();
    const from = { originates: dialer.stats.originates, cpu: process.cpuUsage(), at: performance.now() };
    const inProgress: number[] = [];
    const windowMs = opts.minutes * 60_000;
    const sampler = setInterval(() => inProgress.push(engine?.callCount ?? 0), 1000);
    await new Promise((r) => setTimeout(r, windowMs));
    clearInterval(sampler);
    diagnostics.unsubscribe('http.client.request.start', onStart);
    const wall = performance.now() - from.at;
    const cpu = process.cpuUsage(from.cpu);
    const originated = dialer.stats.originates - from.originates;
    const perSecond = originated / (wall / 1000);
    const latency = summary(dialer.stats.tickToOriginate);
    const wire = summary(onWire);
    const calls = summary(inProgress);
    const pace = pacingError(dialer.stats.ticks, rate);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const written = summary(dialer.stats.ticks.map((t) => t.writtenMs));
    const writing = dialer.stats.ticks.filter((t) => t.writtenAtTick > 0).length;
    const prewrite = summary(dialer.stats.ticks.flatMap((t) => (t.prewriteMs === undefined ? [] : [t.prewriteMs])));
    const sendCpu = dialer.stats.ticks.reduce((n, t) => n + t.sendCpuMs, 0) / Math.max(1, dialer.stats.ticks.reduce((n, t) => n + t.placed, 0));
    const perCall = [...storeCalls.entries()].map(([k, v]) => `${k} ${(v / originated).toFixed(3)}`).join(', ');
    console.log(`   originations: ${originated} in ${(wall / 1000).toFixed(1)} s = ${perSecond.toFixed(1)}/s (configured ${rate}/s)`);
    console.log(`   pacing over whole ticks: ${pace.rate.toFixed(2)}/s in ${pace.ticks} ticks, error ${(pace.error * 100).toFixed(2)}% (target: within 1%)`);
    console.log(`   calls in progress (answered, in the flow): median ${calls.p50}, max ${calls.max}`);
    console.log(`   the call's moment (its group's place in the tick) to its originate request on the wire (it has a socket): p50 ${ms(wire.p50)}, p99 ${ms(wire.p99)}, max ${ms(wire.max)} (${wire.n} samples; target: p99 < 10 ms at 100/s with 1,000 calls in progress)`);
    console.log(`   the call's moment to its originate request made (handed to the connection): p50 ${ms(latency.p50)}, p99 ${ms(latency.p99)}, max ${ms(latency.max)} (${latency.n} samples)`);
    console.log(`   of which: tick to its first request (any store write before the dial: attempts were written at the tick, not ahead, in ${writing} of ${dialer.stats.ticks.length} ticks) p50 ${ms(written.p50)}, p99 ${ms(written.p99)}; sending the requests ${sendCpu.toFixed(3)} ms of CPU each (the last of a group waits for the ones before it)`);
    console.log(`   the write ahead at the tick before (the attempts and their blocklist check; off the path): p50 ${ms(prewrite.p50)}, p99 ${ms(prewrite.p99)} (${prewrite.n} ticks)`);
    console.log(`   CPU of this process: ${((cpuMs / wall) * 100).toFixed(1)}% of one core = ${(cpuMs / originated).toFixed(2)} ms per origination (everything: dialing, the calls' ARI traffic and flows, the store's thread; of which in the kernel ${(cpu.system / 1000 / originated).toFixed(2)} ms); RSS ${rssMb(process.pid).toFixed(0)} MB`);
    console.log(`   store calls per origination: ${perCall}`);
    console.log(`   load average: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} cores`);
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

/** Which outputs of the contacts node are wired (each to a function node that returns nothing). */
const WIRINGS = ['none', 'output 1', 'output 2', 'both'] as const;
type Wiring = (typeof WIRINGS)[number];

interface ImportFigures {
  wiring: Wiring;
  input: 'text' | 'buffer';
  rows: number;
  inserted: number;
  rejected: number;
  seconds: number;
  longestBlockMs: number;
  p99BlockMs: number;
  /** The most CPU time the process used between two ticks of a 5 ms timer: a block that other processes cannot lengthen. */
  longestCpuStretchMs: number;
  /** After the import, the node has the dialer count the task's contacts again (its status): how long that took. */
  recountMs: number;
  /**
   * The longest batch write: the time it held Node's thread (its synchronous part: the whole transaction for a store on
   * Node's thread, the message for the store's own thread), with the CPU of that part, and the time until it was stored.
   */
  longestWrite: { ms: number; cpuMs: number; storedMs: number; rows: number };
  /** Batch writes, and how many of them held Node's thread over 20 ms. */
  writes: number;
  writesOver20: number;
  rssBeforeMb: number;
  peakRssMb: number;
  /** Msgs the function nodes received on output 1 and output 2. */
  received: [number, number];
}

function importFlows(simUrl: string, storeFile: string, wiring: Wiring, durability: 'full' | 'normal'): Record<string, unknown>[] {
  const z = 'import-tab';
  const sink = (id: string, y: number): Record<string, unknown> => ({ id, type: 'function', z, name: id, func: 'return null;', outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], x: 500, y, wires: [[]] });
  return [
    { id: z, type: 'tab', label: 'import' },
    { id: 'ast', type: 'callflow-asterisk', name: 'sim', useSimulator: false, url: simUrl, app: 'callflow', idleTimeoutSec: 60, maxChannels: 100 },
    { id: 'store', type: 'callflow-store', name: 'bench store', backend: 'embedded', file: storeFile, durability },
    {
      id: 'task',
      type: 'callflow-campaign',
      name: 'import',
      connection: 'ast',
      store: 'store',
      callerNumbers: ['+861058000000'],
      timezone: 'UTC',
      hours: { regular: [{ start: '00:00', end: '23:59' }], special: [], allocated: [] },
      numberTypes: ['mobile', 'home', 'work', 'other'],
      order: { by: 'attributes', attrs: [{ attr: 'score', direction: 'desc' }] },
    },
    {
      id: 'contacts',
      type: 'callflow-contacts',
      z,
      campaign: 'task',
      x: 200,
      y: 100,
      wires: [wiring === 'output 1' || wiring === 'both' ? ['summary'] : [], wiring === 'output 2' || wiring === 'both' ? ['rejects'] : []],
    },
    sink('summary', 60),
    sink('rejects', 140),
  ];
}

/** `rows` CSV rows, one in five bad: a bad number, a number type the task does not have, a NUL in the id, an id repeated. */
function importCsv(rows: number): string {
  const lines = ['customerId,number1,type1,attr.score,custom.note'];
  for (let i = 0; i < rows; i += 1) {
    const number = `+86138${String(i).padStart(8, '0')}`;
    const kind = i % 20;
    if (kind === 1) lines.push(`C${i},12ab,mobile,${i % 1000},note`);
    else if (kind === 6) lines.push(`C${i},${number},fax,${i % 1000},note`);
    else if (kind === 11) lines.push(`"C${i}\u0000",${number},mobile,${i % 1000},note`);
    else if (kind === 16) lines.push(`C${i - 1},${number},mobile,${i % 1000},note`);
    else lines.push(`C${i},${number},mobile,${i % 1000},"a note, ${i}"`);
  }
  return lines.join('\r\n');
}

/**
 * A 5 ms timer that notes the CPU time (user + system) the process used
 * between two of its ticks: on a busy machine a process that is not
 * scheduled shows as a long event-loop delay without having held the loop;
 * the CPU between ticks is what its own work took (it counts the GC's
 * helper threads too, and not time spent waiting for the disk).
 */
function cpuStretchProbe(): { stop(): number } {
  let last = process.cpuUsage();
  let longest = 0;
  const timer = setInterval(() => {
    const used = process.cpuUsage(last);
    last = process.cpuUsage();
    longest = Math.max(longest, (used.user + used.system) / 1000);
  }, 5);
  return {
    stop() {
      clearInterval(timer);
      return longest;
    },
  };
}

/** The process's peak RSS (VmHWM), in MB; `reset` starts a new peak from now (Linux: clear_refs 5). */
function peakRssMb(reset = false): number {
  if (reset) fs.writeFileSync('/proc/self/clear_refs', '5');
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** The import of one wiring, in this process (a child of the bench): Node-RED with the contacts node, the simulator for its connection. */
async function importChild(wiring: Wiring, rows: number, input: 'text' | 'buffer', durability: 'full' | 'normal'): Promise<ImportFigures> {
  let figures: ImportFigures | undefined;
  await withSimulator(0, async (url, dir, storeFile) => {
    await startEmbeddedNodeRed({ dir, flows: importFlows(url, storeFile, wiring, durability), credentials: { ast: { username: 'asterisk', password: 'asterisk' } }, logLevel: 'warn' });
    const dialer = await theDialer();
    // The batch writes, timed: their synchronous part (what holds Node's thread) and until they are stored.
    const campaign = listCampaigns()[0];
    if (!campaign) throw new Error('no campaign');
    const store = await campaign.store();
    const longestWrite = { ms: 0, cpuMs: 0, storedMs: 0, rows: 0 };
    let writes = 0;
    let writesOver20 = 0;
    const write = store.importContacts.bind(store);
    store.importContacts = (campaignId, rows, now) => {
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const pending = write(campaignId, rows, now);
      const took = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      writes += 1;
      if (took > 20) writesOver20 += 1;
      return pending.then((report) => {
        const stored = performance.now() - t0;
        if (stored > longestWrite.storedMs) Object.assign(longestWrite, { ms: took, cpuMs: (cpu.user + cpu.system) / 1000, storedMs: stored, rows: rows.length });
        return report;
      });
    };
    interface RuntimeNode {
      on(event: 'input', listener: () => void): void;
      receive(msg: object): void;
    }
    const red = nodeRed() as unknown as {
      nodes: { getNode(id: string): RuntimeNode | null };
      hooks: { add(name: string, hook: (event: { node: { id: string }; error?: unknown }) => void): void };
    };
    const node = (id: string): RuntimeNode => {
      const n = red.nodes.getNode(id);
      if (!n) throw new Error(`no node ${id}`);
      return n;
    };
    const received: [number, number] = [0, 0];
    node('summary').on('input', () => (received[0] += 1));
    node('rejects').on('input', () => (received[1] += 1));
    let summary: { inserted: number; rejected: number } | undefined;
    const ended = new Promise<void>((resolve, reject) => {
      red.hooks.add('onComplete.bench', (event) => {
        if (event.node.id !== 'contacts') return;
        if (event.error) reject(event.error instanceof Error ? event.error : new Error(JSON.stringify(event.error)));
        else resolve();
      });
    });
    // The summary, whether output 1 is wired or not: the node's sends go through its send() (a hook on every send would cost each msg).
    const contacts = node('contacts') as RuntimeNode & { send(msgs: unknown): void };
    const send = contacts.send.bind(contacts);
    contacts.send = (msgs: unknown): void => {
      const first = Array.isArray(msgs) ? (msgs[0] as { payload?: unknown } | null) : null;
      if (first) summary = first.payload as typeof summary;
      send(msgs);
    };
    const payload = input === 'buffer' ? Buffer.from(importCsv(rows), 'utf8') : importCsv(rows);
    // The garbage of building the input goes before measuring (the child runs with --expose-gc).
    (globalThis as { gc?: () => void }).gc?.();
    const rssBeforeMb = rssMb(process.pid);
    peakRssMb(true);
    // Each sample is the time between two ticks of a 1 ms timer: a block of B ms reads as about B + 1 ms.
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    histogram.enable();
    const cpu = cpuStretchProbe();
    // The import's own figures end where the node asks the dialer to count the task's contacts again (lib/campaign/dialer.ts,
    // the store's countContacts): that count is measured on its own.
    let longestCpuStretchMs = Number.NaN;
    let recountMs = Number.NaN;
    const recount = dialer.contactsChanged.bind(dialer);
    dialer.contactsChanged = async (): Promise<void> => {
      histogram.disable();
      longestCpuStretchMs = cpu.stop();
      const t0 = performance.now();
      await recount();
      recountMs = performance.now() - t0;
    };
    const started = performance.now();
    node('contacts').receive({ payload });
    await ended;
    const seconds = (performance.now() - started) / 1000;
    // What the node sent last is delivered in the next turn (Node-RED delivers with setImmediate).
    for (let i = 0; i < 3; i += 1) await new Promise((r) => setImmediate(r));
    if (Number.isNaN(longestCpuStretchMs)) {
      histogram.disable();
      longestCpuStretchMs = cpu.stop();
    }
    figures = {
      wiring,
      input,
      rows,
      inserted: summary?.inserted ?? Number.NaN,
      rejected: summary?.rejected ?? Number.NaN,
      seconds,
      longestBlockMs: histogram.max / 1e6,
      p99BlockMs: histogram.percentile(99) / 1e6,
      longestCpuStretchMs,
      recountMs,
      longestWrite,
      writes,
      writesOver20,
      rssBeforeMb,
      peakRssMb: peakRssMb(),
      received,
    };
  });
  if (!figures) throw new Error('the import did not run');
  return figures;
}

/** Runs each import in a child process (Node-RED starts once per process, and each peak RSS is its own). */
function runImportChild(wiring: Wiring, rows: number, input: 'text' | 'buffer', durability: 'full' | 'normal'): Promise<ImportFigures> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', __filename, '--import-child', wiring, '--import-rows', String(rows), '--import-input', input, '--import-durability', durability], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('IMPORT-FIGURES '));
      if (code === 0 && line) resolve(JSON.parse(line.slice('IMPORT-FIGURES '.length)) as ImportFigures);
      else reject(new Error(`the import child (${wiring}, ${input}) exited with ${code}: ${out}`));
    });
  });
}

/** The embedded store's durability for the import runs (`--import-durability`, default full as deployed). */
function durabilityFlag(): 'full' | 'normal' {
  return flag('--import-durability') === 'normal' ? 'normal' : 'full';
}

/** `only`: the runs to do, as "wiring:input" ("output 2:text"); all when undefined. */
async function csvImport(rows: number, durability: 'full' | 'normal', only?: string[]): Promise<void> {
  console.log(`\n3. Importing ${rows.toLocaleString('en-US')} CSV rows, a fifth of them bad, through the callflow-contacts node (a Node-RED of its own per run; store durability ${durability})`);
  console.log('   wiring      input    stored     rejected   rows/s    longest block   p99 block   longest CPU stretch   RSS before   peak RSS   msgs on output 1 / 2   recount after   load (1 min)');
  const runs: [Wiring, 'text' | 'buffer'][] = [...WIRINGS.map((w): [Wiring, 'text'] => [w, 'text']), ['both', 'buffer']];
  for (const [wiring, input] of runs.filter(([w, i]) => only === undefined || only.includes(`${w}:${i}`))) {
    const f = await runImportChild(wiring, rows, input, durability);
    // The machine's load says whether other processes took the CPU from this one (a preempted process shows as a blocked loop).
    const load = os.loadavg()[0] ?? Number.NaN;
    console.log(
      `   ${f.wiring.padEnd(10)}  ${f.input.padEnd(6)}  ${String(f.inserted).padStart(9)}  ${String(f.rejected).padStart(9)}  ${String(Math.round(f.rows / f.seconds)).padStart(7)}  ${ms(f.longestBlockMs).padStart(14)}  ${ms(f.p99BlockMs).padStart(10)}  ${ms(f.longestCpuStretchMs).padStart(19)}  ${f.rssBeforeMb.toFixed(0).padStart(8)} MB  ${f.peakRssMb.toFixed(0).padStart(6)} MB   ${`${f.received[0]} / ${f.received[1]}`.padEnd(20)}  ${ms(f.recountMs).padStart(13)}  ${load.toFixed(2)}`,
    );
    console.log(
      `               ${f.writes} batch writes, ${f.writesOver20} holding Node's thread over 20 ms; the slowest stored in ${ms(f.longestWrite.storedMs)}, holding the thread ${ms(f.longestWrite.ms)} (${ms(f.longestWrite.cpuMs)} of CPU), for ${f.longestWrite.rows} rows`,
    );
  }
  console.log('   (target: no block over 50 ms; a block is measured by monitorEventLoopDelay at 1 ms resolution, the CPU stretch by a 5 ms timer');
  console.log('    (it counts the GC\'s and the compiler\'s helper threads too), both up to the recount that follows the import, measured on its own)');
}

async function main(): Promise<void> {
  const child = flag('--import-child') as Wiring | undefined;
  if (child !== undefined) {
    if (!WIRINGS.includes(child)) throw new Error(`--import-child: one of ${WIRINGS.join(', ')}`);
    const figures = await importChild(child, Number(flag('--import-rows') ?? 1_000_000), flag('--import-input') === 'buffer' ? 'buffer' : 'text', durabilityFlag());
    console.log(`IMPORT-FIGURES ${JSON.stringify(figures)}`);
    return;
  }
  const opts = options();
  console.log(`bench/campaign on Node ${process.version}, ${os.cpus().length} CPUs`);
  if (opts.import) await csvImport(opts.importRows, durabilityFlag(), flag('--import-runs')?.split(','));
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
