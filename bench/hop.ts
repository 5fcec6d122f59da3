/**
 * bench/hop: what one hop between two callflow elements costs. A flow of
 * `--length` callflow-set nodes in a chain (each sets one call variable from
 * a literal: no ARI request, so the hop and the element runner are nearly
 * all the work), entry first and a hangup last, in Node-RED embedded in this
 * process; the simulated Asterisk in a process of its own. Calls are placed
 * one at a time; per round of `--calls` calls it prints CPU microseconds per
 * hop (process.cpuUsage: it does not depend on how busy the machine is) and
 * the hops one core would make per second at that cost, the setImmediate
 * and setTimeout calls per hop and AbortControllers per call (counts that
 * do not depend on the machine's load), plus bytes allocated
 * per hop when no garbage collection ran in the round (run with
 * --expose-gc --max-semi-space-size=256 so none does), and the median over
 * the rounds. `--node-red` turns the direct hop off (settings.js
 * callflowDirectHop: false): every msg goes through Node-RED's send.
 *
 *   node --expose-gc --max-semi-space-size=256 dist/bench/hop.js [--length 200] [--calls 20] [--rounds 7] [--node-red]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import { connectedEngine } from './ivr-plugin';
import { flag, nodeRed, post, startEmbeddedNodeRed, startSimulatorProcess } from './support';

const gc = (globalThis as { gc?: () => void }).gc;

function chainFlow(url: string, length: number): Record<string, unknown>[] {
  const sets = Array.from({ length }, (_, i) => ({
    id: `set${i}`,
    type: 'callflow-set',
    z: 'tab',
    x: 100,
    y: 100 + i,
    assignments: [{ target: 'var', name: 'at', type: 'str', value: String(i) }],
    onError: 'hangup',
    wires: [[i + 1 < length ? `set${i + 1}` : 'hu']],
  }));
  return [
    { id: 'tab', type: 'tab', label: 'hop' },
    { id: 'ast', type: 'callflow-asterisk', url, app: 'callflow', useSimulator: false, idleTimeoutSec: 60 },
    { id: 'e1', type: 'callflow-entry', z: 'tab', x: 50, y: 50, connection: 'ast', flow: 'hop', wires: [['set0']] },
    ...sets,
    { id: 'hu', type: 'callflow-hangup', z: 'tab', x: 300, y: 50, reason: 'normal', wires: [] },
  ];
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

async function main(): Promise<void> {
  const length = Number(flag('--length') ?? 200);
  const calls = Number(flag('--calls') ?? 20);
  const rounds = Number(flag('--rounds') ?? 7);
  const viaNodeRed = process.argv.includes('--node-red');
  console.log(`bench/hop on Node ${process.version}, ${os.cpus().length} CPUs: a chain of ${length} set elements, ${calls} calls a round, ${rounds} rounds; ${viaNodeRed ? "every hop through Node-RED's send (callflowDirectHop: false)" : 'direct hops (the default)'}`);
  const { child, url } = await startSimulatorProcess(['--app', 'callflow']);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callflow-hop-'));
  let gcs = 0;
  const observer = new PerformanceObserver((list) => {
    gcs += list.getEntries().length;
  });
  observer.observe({ entryTypes: ['gc'] });
  try {
    await startEmbeddedNodeRed({ dir, flows: chainFlow(url, length), credentials: { ast: { username: 'asterisk', password: 'asterisk' } }, logLevel: 'warn', settings: viaNodeRed ? { callflowDirectHop: false } : {} });
    const engine = await connectedEngine();
    const oneCall = (): Promise<void> =>
      new Promise((resolve, reject) => {
        const off = engine.calls.onEnded(() => {
          off();
          resolve();
        });
        post(`${url}/sim/calls`, { from: '+15550100', to: '200', app: 'callflow', args: ['hop'] }).catch(reject);
      });
    // Warm-up: the JIT compiles the path.
    for (let i = 0; i < calls; i += 1) await oneCall();
    // Counts that do not depend on the machine: turns of the event loop asked for (Node-RED's delivery is one per msg) and AbortControllers made.
    let immediates = 0;
    let controllers = 0;
    let timers = 0;
    const realSetImmediate = globalThis.setImmediate;
    const realSetTimeout = globalThis.setTimeout;
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      timers += 1;
      return realSetTimeout(...args);
    }) as typeof setTimeout;
    globalThis.setImmediate = ((...args: Parameters<typeof setImmediate>) => {
      immediates += 1;
      return realSetImmediate(...args);
    }) as typeof setImmediate;
    const RealAbortController = globalThis.AbortController;
    globalThis.AbortController = class extends RealAbortController {
      constructor() {
        super();
        controllers += 1;
      }
    };
    const turn = (): Promise<void> => new Promise((resolve) => realSetImmediate(resolve));
    const cpu: number[] = [];
    const bytes: number[] = [];
    for (let r = 0; r < rounds; r += 1) {
      gc?.();
      // The observer hears of a GC (the one just forced too) on a later turn: let it.
      await turn();
      const gcsBefore = gcs;
      immediates = 0;
      controllers = 0;
      timers = 0;
      const heapBefore = v8.getHeapStatistics().used_heap_size;
      const before = process.cpuUsage();
      for (let i = 0; i < calls; i += 1) await oneCall();
      const used = process.cpuUsage(before);
      const heapAfter = v8.getHeapStatistics().used_heap_size;
      const counted = `${(immediates / (calls * length)).toFixed(2)} setImmediate and ${(timers / (calls * length)).toFixed(2)} setTimeout per hop, ${(controllers / calls).toFixed(1)} AbortControllers per call`;
      await turn();
      const perHop = (used.user + used.system) / (calls * length);
      cpu.push(perHop);
      const clean = gcs === gcsBefore;
      if (clean) bytes.push((heapAfter - heapBefore) / (calls * length));
      console.log(`  round ${r + 1}: ${((perHop * length) / 1000).toFixed(3)} ms CPU per call, ${perHop.toFixed(2)} µs per hop (${Math.round(1e6 / perHop)} hops/s on one core); ${clean ? `${Math.round((heapAfter - heapBefore) / (calls * length))} bytes allocated per hop` : 'a GC ran: no allocation figure'}; ${counted}`);
    }
    globalThis.setImmediate = realSetImmediate;
    globalThis.setTimeout = realSetTimeout;
    globalThis.AbortController = RealAbortController;
    console.log(`median: ${((median(cpu) * length) / 1000).toFixed(3)} ms CPU per call, ${median(cpu).toFixed(2)} µs per hop (${Math.round(1e6 / median(cpu))} hops/s on one core); ${bytes.length > 0 ? `${Math.round(median(bytes))} bytes per hop (${bytes.length} rounds without GC)` : 'no round without GC (run with --expose-gc --max-semi-space-size=256)'}`);
    console.log('(each figure includes the call\'s start and end, spread over its hops)');
  } finally {
    observer.disconnect();
    await nodeRed().stop().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    child.kill();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
