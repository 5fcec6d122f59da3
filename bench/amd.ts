/**
 * bench/amd: answering-machine detection measured, not assumed. 200 simulated answers on the simulated Asterisk
 * (in this process, at `--speed` times real time, default 10): people who say a short greeting (0.3-0.9 s after
 * 0.2-0.8 s) and wait, answering machines with long greetings (3-10 s) and a beep, and lines with only noise
 * (levels 100-1500 of 32767, nobody speaks). Each answer goes through the real path: AriConnection, a snoop and an
 * external media channel, RTP to lib/media's endpoint, lib/media/amd.ts with AMD()'s defaults. Prints the confusion
 * matrix, the causes, and the time to decision in the caller's audio time (what a person waits before the flow
 * speaks), p50/p95/max per class. `--calls N`, `--at-once N`, `--speed N`, `--seed N`.
 */
import { AriConnection } from '../lib/ari/connection';
import { silentLogger } from '../lib/log';
import { detectMachine } from '../lib/media/detect';
import type { MediaSettings } from '../lib/media/path';
import { startSimulator } from '../lib/sim';
import type { ScriptStep } from '../lib/sim/script';
import { seededRandom } from '../lib/seeded-random';
import { flag } from './support';

type Kind = 'human' | 'machine' | 'noise';
const STATUSES = ['HUMAN', 'MACHINE', 'NOTSURE', 'HANGUP'] as const;

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
}

async function main(): Promise<void> {
  const calls = Number(flag('calls') ?? 200);
  const atOnce = Number(flag('at-once') ?? 20);
  const speed = Number(flag('speed') ?? 10);
  const random = seededRandom(Number(flag('seed') ?? 19));
  const between = (a: number, b: number): number => Math.round(a + random() * (b - a));
  const sim = await startSimulator({ speed });
  const conn = new AriConnection({ url: sim.url, username: sim.username, password: sim.password, app: 'callflow', logger: silentLogger });
  conn.start();
  await conn.whenConnected(AbortSignal.timeout(10_000));
  const settings: MediaSettings = { bindHost: '127.0.0.1', advertiseHost: '127.0.0.1', portMin: 44000, portMax: 44999, format: 'slin16', worker: true };
  const plan: { kind: Kind; script: ScriptStep[] }[] = [];
  for (let i = 0; i < calls; i++) {
    const kind: Kind = i % 5 === 4 ? 'noise' : i % 5 < 2 ? 'human' : 'machine';
    const lead: ScriptStep[] = [{ waitFor: 'listened' }, { wait: between(200, 800) }];
    const script: ScriptStep[] =
      kind === 'human'
        ? [...lead, { say: between(300, 900) }, { wait: 10_000 }]
        : kind === 'machine'
          ? [...lead, { machine: { greeting: between(3, 10), beep: true } }, { wait: 10_000 }]
          : [{ waitFor: 'listened' }, { noise: 10_000, level: between(100, 1500) }];
    plan.push({ kind, script });
  }
  const matrix = new Map<Kind, Map<string, number>>();
  const causes = new Map<string, number>();
  const times = new Map<Kind, number[]>();
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < plan.length) {
      const { kind, script } = plan[next++]!;
      const call = sim.placeCall({ from: '+15550100', to: '100', app: 'callflow', script });
      await new Promise<void>((resolve) => {
        const off = conn.onEvent((e) => {
          if (e.type === 'StasisStart' && e.channel.id === call.id) {
            off();
            resolve();
          }
        });
      });
      await conn.answer(call.id);
      const d = await detectMachine(conn, call.id, settings, { signal: new AbortController().signal, log: silentLogger });
      await conn.hangup(call.id, 'normal');
      const row = matrix.get(kind) ?? new Map<string, number>();
      row.set(d.status, (row.get(d.status) ?? 0) + 1);
      matrix.set(kind, row);
      const cause = `${kind} -> ${d.status} ${d.cause.replace(/-\d+/g, '')}`;
      causes.set(cause, (causes.get(cause) ?? 0) + 1);
      const t = times.get(kind) ?? [];
      t.push(d.atMs);
      times.set(kind, t);
    }
  };
  await Promise.all(Array.from({ length: atOnce }, worker));
  const wall = performance.now() - started;
  console.log(`bench/amd: ${calls} answers (${plan.filter((p) => p.kind === 'human').length} people, ${plan.filter((p) => p.kind === 'machine').length} machines, ${plan.filter((p) => p.kind === 'noise').length} noise only), ${atOnce} at once, simulator at ${speed}x, AMD() defaults, slin16`);
  console.log('');
  console.log(`  ${'answered by'.padEnd(14)}${STATUSES.map((s) => s.padStart(9)).join('')}`);
  for (const kind of ['human', 'machine', 'noise'] as Kind[]) {
    const row = matrix.get(kind) ?? new Map<string, number>();
    console.log(`  ${kind.padEnd(14)}${STATUSES.map((s) => String(row.get(s) ?? 0).padStart(9)).join('')}`);
  }
  console.log('');
  console.log('  causes:');
  for (const [cause, n] of [...causes].sort()) console.log(`    ${cause.padEnd(44)}${String(n).padStart(5)}`);
  console.log('');
  console.log('  time to decision, in the caller\'s audio time (ms from the first frame analysed):');
  for (const [kind, t] of times) console.log(`    ${kind.padEnd(10)} p50 ${percentile(t, 50)}  p95 ${percentile(t, 95)}  max ${Math.max(...t)}`);
  console.log('');
  console.log(`  wall time ${(wall / 1000).toFixed(1)} s`);
  await conn.close();
  await sim.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
