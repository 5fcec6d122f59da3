/**
 * bench/ivr: N calls in progress at once (100, 1,000, 2,000) walking the
 * "IVR menu" example in a real Node-RED runtime (embedded in this process,
 * no editor), against the simulated Asterisk in a process of its own with
 * prompts of zero length. Each simulated caller pauses 1-3 s before each key
 * press, as people do: 1 in the menu, a six-digit card number, then #; the
 * flow says the balance and hangs up. Prints, per level:
 *  - the time the plugin adds between an ARI event and the ARI request it
 *    leads to (from the event's arrival on the WebSocket to the start of the
 *    next HTTP request about the same channel; pairs more than 1 s apart are
 *    timers, not reactions, and are left out), p50 and p99;
 *  - call steps (element inputs) handled per second;
 *  - CPU milliseconds per call (this process: Node-RED, the plugin, and the
 *    small driver that places calls);
 *  - heap per call in progress (after a GC, against the heap before any call);
 * then the heap after 10,000 calls have ended against the heap at the start.
 * Figures are printed, not asserted; docs/performance.md records them.
 * `--app anchor` runs the same on the hand-written ARI application
 * (bench/anchor-ivr-menu.ts) instead; bench/ivr-compare.ts runs both,
 * alternating, and prints the ratios.
 *
 *   npm run bench:ivr     (or: node --expose-gc dist/bench/ivr.js [--levels 100,1000,2000] [--window 30] [--calls 10000] [--warmup 300] [--detail] [--snapshots DIR] [--app plugin|anchor])
 */
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { startApp, type AppName, type AppUnderTest } from './ivr-apps';
import { CALL_MS, Driver } from './ivr-callers';
import { Probe, canCollectGarbage, heapMb, measureWindow } from './ivr-probe';
import { flag, ms, startSimulatorProcess } from './support';

interface Options {
  levels: number[];
  windowSec: number;
  calls: number;
  /** Calls placed (at 100 at once) before anything is measured. */
  warmup: number;
  /** A folder for heap snapshots after the warm-up and after the calls (to compare in DevTools when the heap grows). */
  snapshots: string | undefined;
  /** Also print the times by event and request. */
  detail: boolean;
  app: AppName;
}

function options(): Options {
  const args = process.argv.slice(2);
  const app = flag('--app') ?? 'plugin';
  if (app !== 'plugin' && app !== 'anchor') throw new Error(`--app is plugin or anchor, not ${app}`);
  return {
    levels: (flag('--levels') ?? '100,1000,2000').split(',').map(Number),
    windowSec: Number(flag('--window') ?? 30),
    calls: Number(flag('--calls') ?? 10000),
    warmup: Number(flag('--warmup') ?? 300),
    snapshots: flag('--snapshots'),
    detail: args.includes('--detail'),
    app,
  };
}

async function main(): Promise<void> {
  const opts = options();
  if (!canCollectGarbage) console.log('(run with node --expose-gc for the heap figures; npm run bench:ivr does)\n');
  console.log(`bench/ivr on Node ${process.version}, ${os.cpus().length} CPUs; the ${opts.app}; levels ${opts.levels.join(', ')}; ${opts.windowSec} s windows\n`);
  const { child, url } = await startSimulatorProcess(['--media-ms', '0', '--app', 'callflow']);
  let app: AppUnderTest | undefined;
  try {
    const probe = new Probe();
    app = await startApp(opts.app, url, 'callflow');
    const running = app;
    console.log(`${opts.app === 'plugin' ? 'Node-RED started' : 'the anchor started'}, connected; heap ${heapMb().toFixed(1)} MB before any call`);
    const driver = new Driver(url, (listener) => running.onEnded(listener));
    // Warm-up: the JIT compiles the hot paths and Node-RED fills its caches; nothing is measured yet.
    await driver.ramp(100, CALL_MS);
    await driver.until(opts.warmup);
    driver.target = 0;
    await driver.drained();
    const baseline = heapMb();
    if (opts.snapshots) console.log(`heap snapshot: ${v8.writeHeapSnapshot(path.join(opts.snapshots, 'after-warm-up.heapsnapshot'))}`);
    console.log(`after ${driver.ended} warm-up calls: heap ${baseline.toFixed(1)} MB, the baseline below\n`);
    console.log('  in progress   event->request p50 / p99 (n)        steps/s   CPU/call   heap/call in progress');
    for (const level of opts.levels) {
      if (level > driver.target) await driver.ramp(level, CALL_MS);
      else driver.target = level;
      // Let the calls reach their steady mix of menu, digits and goodbyes.
      await driver.until(driver.ended + Math.max(level / 2, 20));
      const f = await measureWindow({ driver, probe, level, windowSec: opts.windowSec, baselineMb: baseline, callCount: () => running.callCount(), simPid: child.pid });
      console.log(
        `  ${String(f.inProgress).padStart(11)}   ${ms(f.added.p50)} / ${ms(f.added.p99)} (${f.added.n})`.padEnd(58) +
          `${f.stepsPerSec.toFixed(0).padStart(7)}   ${f.cpuMsPerCall.toFixed(1).padStart(5)} ms   ${f.heapKbPerCall.toFixed(1)} KB`,
      );
      if (opts.app === 'plugin') console.log(`                callflow's own steps (all but the one through the core switch and JSONata change nodes): p50 ${ms(f.own.p50)} / p99 ${ms(f.own.p99)}`);
      console.log(
        `                without the ${f.added.n - f.quiet.n} that a GC pause touched: p50 ${ms(f.quiet.p50)} / p99 ${ms(f.quiet.p99)}` +
          ` (${f.gcPauses} pauses, ${(f.gcShare * 100).toFixed(1)}% of the time, longest ${ms(f.longestPauseMs)})`,
      );
      console.log(`                CPU: this process ${(f.cpuShare * 100).toFixed(0)}% of a core, the simulator ${f.simCpuShare === undefined ? '?' : (f.simCpuShare * 100).toFixed(0)}%; the machine idle ${f.machineIdleShare === undefined ? '?' : (f.machineIdleShare * 100).toFixed(0)}%`);
      if (opts.detail) {
        for (const d of f.byPair) console.log(`      ${d.pair.padEnd(52)} p50 ${ms(d.p50)}  p99 ${ms(d.p99)}  (${d.n})`);
      }
    }
    const total = Math.max(opts.calls + opts.warmup, driver.placed);
    const steady = Math.min(1000, Math.max(...opts.levels));
    console.log(`\ncontinuing at ${steady} calls in progress until ${total - opts.warmup} calls have ended after the warm-up...`);
    if (driver.target < steady) await driver.ramp(steady, CALL_MS);
    else driver.target = steady;
    const stopAt = total - driver.inProgress;
    await driver.until(stopAt);
    driver.target = 0;
    await driver.drained();
    const after = heapMb();
    if (opts.snapshots) console.log(`heap snapshot: ${v8.writeHeapSnapshot(path.join(opts.snapshots, 'after-calls.heapsnapshot'))}`);
    console.log(`${driver.ended - opts.warmup} calls ended after the warm-up (${driver.failed} could not be placed); ${running.leftovers()}`);
    console.log(`heap: ${baseline.toFixed(1)} MB after the warm-up, ${after.toFixed(1)} MB after those calls (${(after - baseline >= 0 ? '+' : '') + (after - baseline).toFixed(1)} MB)`);
  } finally {
    await app?.stop();
    child.kill('SIGINT');
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
