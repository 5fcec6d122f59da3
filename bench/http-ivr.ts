/**
 * bench/http-ivr (issue 16): `--calls` calls in progress at once (1,000), each driven by an application server, in a
 * real Node-RED runtime embedded in this process (no editor): a flow callflow-entry -> callflow-http-ivr, the
 * simulated Asterisk in a process of its own with prompts of zero length, and the application
 * (bench/http-ivr-app.ts) in another process of its own, so that neither's CPU is counted as the plugin's. The
 * application answers each call's first request and the next `--steps` - 1 (5 steps) with a collect of one key (a
 * nested play) and a jump to `menu`, and the request after the last key with a hangup. Each simulated caller waits
 * for each prompt to start, pauses 1-3 s (as bench/ivr's callers do), and presses 1. Prints, over a `--window`
 * (30 s) with the calls in progress:
 *  - the time the plugin adds per step (bench/http-ivr-probe.ts): (a) from the ARI event of the caller's key to the
 *    request leaving for the application, plus (b) from the application's answer to the next ARI request the plugin
 *    makes for that call (its wait for a free socket to Asterisk printed apart); the application's own time and the
 *    network are not in it (printed apart either); p50/p99/max,
 *    with and without the samples a GC pause touched (and, with `--cpu-during`, the CPU the process used meanwhile);
 *  - requests per second to the application; CPU per call and per step (process.cpuUsage of this process, which is
 *    Node-RED, the plugin and the small driver that places calls, over the window, divided by the calls that ended
 *    in it); the simulator's and the application's CPU apart; the event-loop delay;
 *  - heap per call in progress (after forced GCs, against the heap after the warm-up with no call);
 * then a leak check: calls go on until `--leak-calls` (5,000) have ended after the warm-up; the heap against the
 * start, and the calls and channels left (0 expected). Figures are printed, not asserted; docs/performance.md records
 * them. Target printed next to the figure: p99 < 5 ms added.
 *
 *   npm run bench:http-ivr   (or: node --expose-gc dist/bench/http-ivr.js [--calls 1000] [--steps 5] [--window 30]
 *                             [--leak-calls 5000] [--warmup 200] [--cpu-during])
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { EndedCall } from '../lib/call/registry';
import { applicationStats, startApplicationProcess } from './http-ivr-app';
import { StepProbe } from './http-ivr-probe';
import { Driver, pause } from './ivr-callers';
import { connectedEngine } from './ivr-plugin';
import { canCollectGarbage, heapMb, machineCpuTicks, processCpuSec } from './ivr-probe';
import { flag, ms, nodeRed, startEmbeddedNodeRed, startSimulatorProcess, summary } from './support';

interface Options {
  calls: number;
  steps: number;
  windowSec: number;
  leakCalls: number;
  warmup: number;
  /** Also the CPU the process used over each step's spans (a system call four times a step: it costs CPU). */
  cpuDuring: boolean;
}

function options(): Options {
  const number = (name: string, fallback: number, min: number): number => {
    const v = Number(flag(name) ?? fallback);
    if (!Number.isInteger(v) || v < min) throw new Error(`${name} is a whole number from ${min}, not ${flag(name)}`);
    return v;
  };
  return {
    calls: number('--calls', 1000, 1),
    steps: number('--steps', 5, 1),
    windowSec: number('--window', 30, 1),
    leakCalls: number('--leak-calls', 5000, 0),
    warmup: number('--warmup', 200, 0),
    cpuDuring: process.argv.includes('--cpu-during'),
  };
}

/** The added time's target per step (the issue: p99 < 5 ms, as the element nodes'). */
const TARGET_P99_MS = 5;

function httpIvrFlow(simUrl: string, appUrl: string): Record<string, unknown>[] {
  return [
    { id: 'tab', type: 'tab', label: 'bench/http-ivr' },
    { id: 'ast', type: 'callflow-asterisk', url: simUrl, app: 'callflow', useSimulator: false, idleTimeoutSec: 120 },
    { id: 'e1', type: 'callflow-entry', z: 'tab', x: 100, y: 100, connection: 'ast', flow: 'http-ivr', wires: [['hi']] },
    {
      id: 'hi',
      type: 'callflow-http-ivr',
      z: 'tab',
      x: 300,
      y: 100,
      url: `${appUrl}/ivr`,
      method: 'POST',
      encoding: 'json',
      mode: 'callflow',
      headers: [],
      timeoutSec: 10,
      retries: 1,
      fallbackUrl: '',
      allowlist: ['127.0.0.1'],
      returns: [],
      dialString: 'PJSIP/{number}@trunk',
      queueContext: 'callflow-queues',
      sipEndpoint: '',
      meetings: '',
      callFlow: '',
      language: '',
      maxRequests: 100,
      onError: 'hangup',
      outputs: 0,
      wires: [],
    },
  ];
}

/** A caller of `steps` steps: waits for each prompt to start, pauses 1-3 s, presses 1; the application hangs up. */
function callerScript(steps: number): object[] {
  const script: object[] = [];
  for (let i = 0; i < steps; i += 1) script.push({ waitFor: 'playback-start' }, { wait: pause() }, { dtmf: '1' });
  return script;
}

const fmt = (s: { p50: number; p99: number; max: number; n: number }): string => `p50 ${ms(s.p50)}  p99 ${ms(s.p99)}  max ${ms(s.max)}  (${s.n})`;

async function main(): Promise<void> {
  const o = options();
  if (!canCollectGarbage) console.log('(run with node --expose-gc for the heap figures; npm run bench:http-ivr does)\n');
  const load = os.loadavg().map((l) => l.toFixed(2)).join(', ');
  console.log(`bench/http-ivr on Node ${process.version}, ${os.cpus().length} CPUs, load average ${load}: ${o.calls} calls in progress of ${o.steps} steps, ${o.windowSec} s window; leak check to ${o.leakCalls} calls`);
  const sim = await startSimulatorProcess(['--media-ms', '0', '--app', 'callflow']);
  const application = await startApplicationProcess(o.steps).catch((err: unknown) => {
    sim.child.kill('SIGINT');
    throw err;
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callflow-http-ivr-'));
  const probe = new StepProbe(o.cpuDuring);
  try {
    await startEmbeddedNodeRed({ dir, flows: httpIvrFlow(sim.url, application.url), credentials: { ast: { username: 'asterisk', password: 'asterisk' } }, logLevel: 'warn' });
    const engine = await connectedEngine();
    const endedBy = new Map<string, number>();
    const onEnded = (listener: () => void): void => {
      engine.calls.onEnded((ended: EndedCall) => {
        endedBy.set(ended.end.by, (endedBy.get(ended.end.by) ?? 0) + 1);
        listener();
      });
    };
    // The average call: a pause of 2 s before each key.
    const callMs = o.steps * 2000;
    const driver = new Driver(sim.url, onEnded, 'callflow', () => ({ to: '500', args: ['http-ivr'], script: callerScript(o.steps) }));

    // Warm-up: the JIT compiles the paths and Node-RED fills its caches; nothing is measured.
    if (o.warmup > 0) {
      await driver.ramp(Math.min(100, o.calls), callMs / 2);
      await driver.until(o.warmup);
      driver.target = 0;
      await driver.drained();
    }
    const warmedUp = driver.ended;
    const baseline = heapMb();
    console.log(`Node-RED started, connected; after ${warmedUp} warm-up calls: heap ${baseline.toFixed(1)} MB, the baseline below\n`);

    await driver.ramp(o.calls, callMs);
    // Let the calls reach their steady mix of steps.
    await driver.until(driver.ended + Math.max(o.calls / 2, 20));

    // The measured window.
    probe.reset();
    probe.on = true;
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const cpu0 = process.cpuUsage();
    const sim0 = sim.child.pid === undefined ? undefined : processCpuSec(sim.child.pid);
    const app0 = application.child.pid === undefined ? undefined : processCpuSec(application.child.pid);
    const machine0 = machineCpuTicks();
    const ended0 = driver.ended;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, o.windowSec * 1000));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const sim1 = sim.child.pid === undefined ? undefined : processCpuSec(sim.child.pid);
    const app1 = application.child.pid === undefined ? undefined : processCpuSec(application.child.pid);
    const machine1 = machineCpuTicks();
    const endedInWindow = driver.ended - ended0;
    probe.on = false;
    loop.disable();
    // Let the observer report the last GC pauses.
    await new Promise((r) => setImmediate(r));
    const inProgress = engine.callCount;
    const heap = heapMb();

    const cpuMs = (cpu.user + cpu.system) / 1000;
    const share = (before: number | undefined, after: number | undefined): string => (before === undefined || after === undefined ? '?' : `${(((after - before) / seconds) * 100).toFixed(0)}%`);
    const idle = machine0 && machine1 && machine1[1] > machine0[1] ? `${(((machine1[0] - machine0[0]) / (machine1[1] - machine0[1])) * 100).toFixed(0)}%` : '?';
    const perStep = summary(probe.perStep.map((s) => s.ms));
    const quiet = summary(probe.quiet(probe.perStep));
    const a = summary(probe.keyToRequest.map((s) => s.ms));
    const allB = [...probe.responseToAri.values()].flat();
    const b = summary(allB.map((s) => s.ms));
    const paused = probe.pauses.reduce((sum, [from, to]) => sum + (to - from), 0);
    const longest = Math.max(0, ...probe.pauses.map(([from, to]) => to - from));
    const late = (ns: number): string => ms(Math.max(0, ns / 1e6 - 10));

    console.log(`${inProgress} calls in progress over ${seconds.toFixed(1)} s (${endedInWindow} ended in the window, ${driver.failed} could not be placed so far)`);
    console.log(`  plugin-added time per step, (a) + (b)           ${fmt(perStep)}   target p99 < ${TARGET_P99_MS} ms: ${perStep.p99 < TARGET_P99_MS ? 'met' : 'NOT met'} in this run`);
    console.log(`    without the ${perStep.n - quiet.n} that a GC pause touched              p50 ${ms(quiet.p50)}  p99 ${ms(quiet.p99)}  (${probe.pauses.length} pauses, ${((paused / (seconds * 1000)) * 100).toFixed(1)}% of the time, longest ${ms(longest)})`);
    if (o.cpuDuring) console.log(`    CPU this process used meanwhile (all its work)  ${fmt(summary(probe.cpuDuring))}`);
    console.log(`  (a) key -> request to the application           ${fmt(a)}${probe.waited > 0 ? `  (${probe.waited} set aside: an ARI request in between)` : ''}`);
    const run = summary(probe.runLength);
    console.log(`    of which to the end of the key's read       ${fmt(summary(probe.behindRun))}  (events in the key's read: p50 ${run.p50}, p99 ${run.p99}, max ${run.max})`);
    console.log(`  (b) answer -> next ARI request                  ${fmt(b)}`);
    for (const [what, list] of [...probe.responseToAri].sort((x, y) => y[1].length - x[1].length)) {
      console.log(`        then ${what.padEnd(36)} ${fmt(summary(list.map((s) => s.ms)))}`);
    }
    console.log(`      then waited for a socket to Asterisk         ${fmt(summary(probe.socketWait))}  (not counted: all 32 of the ARI connection's were busy)`);
    console.log(`  (c) request -> HTTP request made (the plugin's) ${fmt(summary(probe.making))}  (in the next line's time, not in (a) + (b))`);
    console.log(`  not counted: request -> answer (network, the application, waits for a core) ${fmt(summary(probe.application))}`);
    console.log(`  requests to the application: ${(probe.requests / seconds).toFixed(0)} a second (${probe.requests})`);
    console.log(`  CPU per call: ${(cpuMs / Math.max(1, endedInWindow)).toFixed(2)} ms, per request ${(cpuMs / Math.max(1, probe.requests)).toFixed(2)} ms (${(cpuMs / 1000).toFixed(1)} s of this process, ${((cpuMs / (seconds * 1000)) * 100).toFixed(0)}% of a core); the simulator ${share(sim0, sim1)} of a core, the application ${share(app0, app1)}; the machine idle ${idle}`);
    console.log(`  event-loop delay: p50 ${late(loop.percentile(50))}  p99 ${late(loop.percentile(99))}  max ${late(loop.max)}`);
    console.log(`  heap per call in progress: ${(((heap - baseline) * 1024) / Math.max(1, inProgress)).toFixed(1)} KB (${heap.toFixed(1)} MB, +${(heap - baseline).toFixed(1)} MB over ${inProgress} calls)`);

    // Leak check: calls go on until `leakCalls` have ended after the warm-up.
    console.log(`\ncontinuing at ${o.calls} calls in progress until ${o.leakCalls} calls have ended after the warm-up...`);
    await driver.until(warmedUp + Math.max(0, o.leakCalls - driver.inProgress));
    driver.target = 0;
    await driver.drained();
    probe.reset();
    const after = heapMb();
    const status = (await (await fetch(`${sim.url}/sim/status`)).json()) as { activeCalls: number };
    const stats = await applicationStats(application.url);
    console.log(`leak check: ${driver.ended - warmedUp} calls ended after the warm-up (${driver.failed} could not be placed)`);
    console.log(`  heap ${baseline.toFixed(1)} MB at the start, ${after.toFixed(1)} MB after (${after - baseline >= 0 ? '+' : ''}${(after - baseline).toFixed(1)} MB)`);
    console.log(`  left: calls in the registry ${engine.callCount}, channels watched ${engine.telephony.watchedChannels}, calls on the simulator ${status.activeCalls}, calls the probe follows ${probe.following}`);
    const by = [...endedBy].map(([who, n]) => `${who} ${n}`).join(', ');
    console.log(`  all calls: ended by ${by}; the application answered ${stats.requests} requests: ${stats.collects} collects, ${stats.hangups} hangups; keys ${stats.digits}, collects timed out ${stats.timeouts}, unexpected requests ${stats.unexpected}`);
  } finally {
    probe.close();
    await nodeRed().stop().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    application.child.kill('SIGINT');
    sim.child.kill('SIGINT');
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
