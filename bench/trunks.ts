/**
 * bench/trunks: one outbound campaign over 1, 2 and 4 simulated Asterisks
 * (a trunk group, docs/scaling.md), each simulator in a process of its own,
 * in a real Node-RED runtime embedded in this process (no editor).
 *
 * For each count of Asterisks: 50,000 contacts on 100 simulated numbers
 * (60% answer after 1-2 s and hear a notice of `--talk` seconds, the rest
 * busy, no answer, unallocated, rejected or congested), the task paced at
 * `--rate` calls a second (interval 1 s), the connections of equal weight
 * and limit. After a 15 s warm-up, over `--seconds` (default 60) it prints
 * the originations per second, the pacing error over whole ticks, the p50
 * and p99 time from the tick that allows a call to its originate request
 * (the claim-to-originate time: the contacts were claimed at the tick
 * before), how the calls spread over the Asterisks, the calls in progress,
 * and the CPU of this process per origination.
 *
 * Figures are printed, not asserted; docs/scaling.md records them.
 *
 *   npm run build && node dist/bench/trunks.js [--seconds 60] [--rate 100] [--talk 12] [--asterisks 1,2,4]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ChildProcess } from 'node:child_process';
import type { Dialer } from '../lib/campaign/dialer';
import { listCampaigns } from '../nodes/deployed/campaigns';
import { listEngines } from '../nodes/deployed/engine';
import { flag, ms, nodeRed, preloadContacts, setCampaignNumbers, startEmbeddedNodeRed, startSimulatorProcess, summary, trunkGroupFlows, waitFor } from './support';

/** The pacing error over whole ticks (as bench/campaign). */
function pacingError(ticks: { at: number; placed: number }[], rate: number): { rate: number; error: number } {
  if (ticks.length < 2) return { rate: 0, error: -1 };
  const first = ticks[0] as { at: number };
  const last = ticks[ticks.length - 1] as { at: number };
  const calls = ticks.slice(0, -1).reduce((n, t) => n + t.placed, 0);
  const measured = calls / ((last.at - first.at) / 1000);
  return { rate: measured, error: (measured - rate) / rate };
}

async function run(asterisks: number, opts: { seconds: number; rate: number; talkSec: number }): Promise<void> {
  console.log(`\n${asterisks} simulated Asterisk${asterisks > 1 ? 's' : ''} (each a process of its own), paced at ${opts.rate} calls/s, answered calls last ${opts.talkSec} s`);
  const sims: { child: ChildProcess; url: string }[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callflow-bench-trunks-'));
  try {
    for (let i = 0; i < asterisks; i += 1) sims.push(await startSimulatorProcess(['--media-ms', String(opts.talkSec * 1000), '--app', 'callflow']));
    for (const { url } of sims) await setCampaignNumbers(url);
    const storeFile = path.join(dir, 'campaign.db');
    await preloadContacts(storeFile, 50_000);
    const credentials = Object.fromEntries(sims.map((_, i) => [`ast${i + 1}`, { username: 'asterisk', password: 'asterisk' }]));
    await startEmbeddedNodeRed({ dir, flows: trunkGroupFlows(sims.map((s) => s.url), storeFile, opts.rate, 'callflow'), credentials, logLevel: 'error' });
    await waitFor('the connections', () => (listEngines().length === asterisks && listEngines().every((e) => e.status.state === 'connected') ? true : undefined));
    const campaign = await waitFor('the campaign', () => listCampaigns()[0]);
    const dialer: Dialer = await campaign.dialer(30_000);
    dialer.collectStats = true;
    await dialer.operate('start', 'bench');
    await new Promise((r) => setTimeout(r, 15_000));
    dialer.stats.tickToOriginate.length = 0;
    dialer.stats.ticks.length = 0;
    const from = { originates: dialer.stats.originates, cpu: process.cpuUsage(), at: performance.now() };
    const inProgress: number[] = [];
    const spread = new Map<string, number[]>();
    const sampler = setInterval(() => {
      let total = 0;
      for (const e of listEngines()) {
        total += e.callCount;
        const list = spread.get(e.id) ?? [];
        list.push(e.callCount);
        spread.set(e.id, list);
      }
      inProgress.push(total);
    }, 1000);
    await new Promise((r) => setTimeout(r, opts.seconds * 1000));
    clearInterval(sampler);
    const wall = performance.now() - from.at;
    const cpu = process.cpuUsage(from.cpu);
    const originated = dialer.stats.originates - from.originates;
    const latency = summary(dialer.stats.tickToOriginate);
    const pace = pacingError(dialer.stats.ticks, opts.rate);
    const calls = summary(inProgress);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    console.log(`   originations: ${originated} in ${(wall / 1000).toFixed(1)} s = ${(originated / (wall / 1000)).toFixed(1)}/s (configured ${opts.rate}/s); pacing over whole ticks ${pace.rate.toFixed(2)}/s, error ${(pace.error * 100).toFixed(2)}%`);
    console.log(`   claim to originate (tick to originate request): p50 ${ms(latency.p50)}, p99 ${ms(latency.p99)}, max ${ms(latency.max)} (${latency.n} samples)`);
    console.log(`   calls in progress (answered, in the flow): median ${calls.p50}, max ${calls.max}; per Asterisk (median): ${[...spread.entries()].map(([id, l]) => `${id} ${summary(l).p50}`).join(', ')}`);
    console.log(`   CPU of this process: ${((cpuMs / wall) * 100).toFixed(1)}% of one core = ${(cpuMs / Math.max(1, originated)).toFixed(2)} ms per origination`);
    const status = dialer.status();
    if (status.trunks) console.log(`   status: ${status.trunks.map((t) => `${t.active}/${t.limit} ${t.name}`).join(', ')}`);
    await dialer.operate('suspend', 'bench');
  } finally {
    await nodeRed().stop().catch(() => undefined);
    for (const s of sims) s.child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const opts = { seconds: Number(flag('--seconds') ?? 60), rate: Number(flag('--rate') ?? 100), talkSec: Number(flag('--talk') ?? 12) };
  const counts = (flag('--asterisks') ?? '1,2,4').split(',').map(Number);
  console.log(`bench/trunks on ${os.cpus().length} cores (load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}), Node ${process.version}`);
  for (const n of counts) await run(n, opts);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
