/**
 * bench/ivr-compare: the plugin against its anchor, a hand-written ARI
 * application doing the same "IVR menu" flow (bench/anchor-ivr-menu.ts;
 * test/bench/anchor-ivr-menu.test.ts holds the two to the same ARI
 * requests). Same simulator process (prompts of zero length), same callers,
 * same probe, same measurements as bench/ivr:
 *
 *  - the simulated Asterisk runs in a process of its own;
 *  - each application runs in a process of its own (forked from this file
 *    with --side), with its own simulated callers and the Probe of
 *    bench/ivr-probe.ts: the plugin as the example in an embedded Node-RED
 *    (Stasis application "callflow"), the anchor as application "anchor";
 *  - each warms up once (300 calls), then for each level and round this
 *    process asks one side at a time to ramp up to the level, let the calls
 *    settle, measure a window and let its calls end, so the simulator only
 *    ever carries one side's calls; the order alternates (plugin first in
 *    odd rounds, anchor first in even ones) so a drift of the machine weighs
 *    on both.
 *
 * Prints, per level, each side's median and range over the rounds of the
 * added time (p50, p99), CPU per call, heap per call in progress and the
 * processes' CPU, then the ratios plugin / anchor (the median of the
 * per-round ratios, and their range). When the simulator's process used
 * most of a core in a window, it says so: there, the simulator (not the
 * application) may be what limits the figures.
 *
 *   npm run bench:ivr:compare   (or: node dist/bench/ivr-compare.js [--levels 1000,2000,5000] [--rounds 3] [--window 30] [--warmup 300])
 */
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { startApp, type AppName } from './ivr-apps';
import { CALL_MS, Driver } from './ivr-callers';
import { Probe, heapMb, measureWindow, type WindowFigures } from './ivr-probe';
import { flag, ms, startSimulatorProcess } from './support';

type Command = { type: 'measure'; level: number; windowSec: number } | { type: 'stop' };
type Report = { type: 'ready'; heapMb: number; warmedUp: number } | { type: 'result'; figures: WindowFigures; failed: number } | { type: 'error'; message: string };

/** A window's figures are suspect when a process used this much of a core: it, not the code, set the pace. */
const BUSY_SHARE = 0.9;
/** Below this share of idle CPU the whole machine was busy in a window: every process waited for a core. */
const MACHINE_IDLE_LOW = 0.1;

// ------------------------------------------------------------------ one side (a child process)

async function side(name: AppName): Promise<void> {
  const simUrl = flag('--sim');
  const simPid = Number(flag('--sim-pid'));
  const warmup = Number(flag('--warmup') ?? 300);
  if (!simUrl) throw new Error('--sim is missing');
  const send = (report: Report): void => {
    process.send?.(report);
  };
  // The comparison's process went away (stopped, killed): so does this one.
  process.once('disconnect', () => process.exit(1));
  const probe = new Probe();
  const app = await startApp(name, simUrl, 'anchor');
  const driver = new Driver(simUrl, (listener) => app.onEnded(listener), name === 'anchor' ? 'anchor' : undefined);
  // Warm-up: the JIT compiles the hot paths (and Node-RED fills its caches); nothing is measured yet.
  await driver.ramp(100, CALL_MS);
  await driver.until(warmup);
  driver.target = 0;
  await driver.drained();
  send({ type: 'ready', heapMb: heapMb(), warmedUp: driver.ended });
  process.on('message', (command: Command) => {
    if (command.type === 'stop') {
      app.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
      return;
    }
    const { level, windowSec } = command;
    (async () => {
      // The heap with no call in progress, just before this window's calls (bench/ivr's figure; this one uses the heap after them).
      const baselineMb = heapMb();
      await driver.ramp(level, CALL_MS);
      // Let the calls reach their steady mix of menu, digits and goodbyes.
      await driver.until(driver.ended + Math.max(level / 2, 20));
      const figures = await measureWindow({ driver, probe, level, windowSec, baselineMb, callCount: () => app.callCount(), simPid });
      driver.target = 0;
      await driver.drained();
      // Heap per call in progress: the heap with the calls against the same process once they ended, not against the
      // heap before the ramp. Between the two a process sheds and grows on its own (V8 flushes the bytecode of
      // functions it has not run for a while, compiles what the calls ran): against the heap before, that drift was
      // counted as the calls' (the plugin's process, five times the anchor's, shed about 0.5 MB in a bench/ivr-heap
      // run); against the heap after, what stays (code, caches) is not.
      const afterMb = heapMb();
      figures.heapKbPerCall = ((figures.heapBusyMb - afterMb) * 1024) / Math.max(1, figures.heapCalls);
      send({ type: 'result', figures, failed: driver.failed });
    })().catch((err: unknown) => send({ type: 'error', message: (err as Error).stack ?? String(err) }));
  });
}

// ------------------------------------------------------------------ the comparison (the parent process)

class Side {
  private readonly reports: Report[] = [];
  private waiting: ((report: Report) => void) | undefined;

  constructor(
    readonly name: AppName,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (report: Report) => {
      const waiter = this.waiting;
      if (waiter) {
        this.waiting = undefined;
        waiter(report);
      } else this.reports.push(report);
    });
    child.once('exit', (code) => {
      this.waiting?.({ type: 'error', message: `the ${name}'s process exited (${code})` });
      this.waiting = undefined;
    });
  }

  next(): Promise<Report> {
    const queued = this.reports.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  async measure(level: number, windowSec: number): Promise<WindowFigures> {
    this.child.send({ type: 'measure', level, windowSec } satisfies Command);
    const report = await this.next();
    if (report.type !== 'result') throw new Error(`the ${this.name} did not measure: ${report.type === 'error' ? report.message : report.type}`);
    return report.figures;
  }

  stop(): void {
    if (this.child.connected) this.child.send({ type: 'stop' } satisfies Command);
    else this.child.kill();
  }
}

async function startSide(name: AppName, sim: { url: string; pid: number }, warmup: number): Promise<Side> {
  const child = fork(__filename, ['--side', name, '--sim', sim.url, '--sim-pid', String(sim.pid), '--warmup', String(warmup)], { execArgv: ['--expose-gc'], stdio: 'inherit' });
  const s = new Side(name, child);
  const ready = await s.next();
  if (ready.type !== 'ready') throw new Error(`the ${name} did not start: ${ready.type === 'error' ? ready.message : ready.type}`);
  console.log(`the ${name} is connected and warmed up (${ready.warmedUp} calls); heap ${ready.heapMb.toFixed(1)} MB`);
  return s;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

interface Metric {
  label: string;
  of: (f: WindowFigures) => number;
  /** The number alone, and its unit. */
  show: (v: number) => string;
  unit: string;
}

/** "median (low-high) unit" of a side's windows. */
function spread(values: number[], m: Pick<Metric, 'show' | 'unit'>): string {
  return `${m.show(median(values))} (${m.show(Math.min(...values))}-${m.show(Math.max(...values))})${m.unit}`;
}

const fixed = (digits: number) => (v: number): string => v.toFixed(digits);
const percent = { show: (v: number): string => (v * 100).toFixed(0), unit: '%' };

const METRICS: Metric[] = [
  { label: 'added time p50', of: (f) => f.added.p50, show: fixed(2), unit: ' ms' },
  { label: 'added time p99', of: (f) => f.added.p99, show: fixed(2), unit: ' ms' },
  { label: 'CPU per call', of: (f) => f.cpuMsPerCall, show: fixed(2), unit: ' ms' },
  { label: 'heap per call in progress', of: (f) => f.heapKbPerCall, show: fixed(1), unit: ' KB' },
];

function printLevel(level: number, plugin: WindowFigures[], anchor: WindowFigures[]): void {
  const rounds = Math.min(plugin.length, anchor.length);
  console.log(`\n${level} calls in progress, ${rounds} round(s) each     plugin: median (range)        anchor: median (range)        plugin / anchor: median (range)`);
  for (const m of METRICS) {
    const p = plugin.map(m.of);
    const a = anchor.map(m.of);
    const ratios = p.slice(0, rounds).map((v, i) => v / (a[i] as number));
    console.log(`  ${m.label.padEnd(27)}${spread(p, m).padEnd(30)}${spread(a, m).padEnd(30)}${spread(ratios, { show: fixed(2), unit: 'x' })}`);
  }
  const line = (label: string, of: (f: WindowFigures) => number, m: Pick<Metric, 'show' | 'unit'>): void => {
    console.log(`  ${label.padEnd(27)}${spread(plugin.map(of), m).padEnd(30)}${spread(anchor.map(of), m)}`);
  };
  line('calls in progress measured', (f) => f.inProgress, { show: fixed(0), unit: '' });
  line("the application's CPU", (f) => f.cpuShare, percent);
  line("the simulator's CPU", (f) => f.simCpuShare ?? Number.NaN, percent);
  line("the machine's idle CPU", (f) => f.machineIdleShare ?? Number.NaN, percent);
  line('p99 without GC-touched', (f) => f.quiet.p99, { show: fixed(2), unit: ' ms' });
  console.log(`  plugin steps/s: ${median(plugin.map((f) => f.stepsPerSec)).toFixed(0)}`);
  const all = [...plugin.map((f) => ['plugin', f] as const), ...anchor.map((f) => ['anchor', f] as const)];
  const simBusy = all.filter(([, f]) => (f.simCpuShare ?? 0) >= BUSY_SHARE);
  if (simBusy.length > 0) {
    console.log(`  ! the simulator used ${BUSY_SHARE * 100}% of a core or more in ${simBusy.length} of ${all.length} windows (${simBusy.map(([n]) => n).join(', ')}): at this level it, not the application, may set the pace`);
  }
  const starved = all.filter(([, f]) => (f.machineIdleShare ?? 1) < MACHINE_IDLE_LOW);
  if (starved.length > 0) {
    console.log(
      `  ! the machine had less than ${MACHINE_IDLE_LOW * 100}% idle CPU in ${starved.length} of ${all.length} windows (${starved.map(([n]) => n).join(', ')}): ` +
        'processes waited for a core, so the added times there are the machine\'s more than the code\'s (and reactions over 1 s are left out as timers: see n)',
    );
  }
  const appBusy = all.filter(([, f]) => f.cpuShare >= BUSY_SHARE);
  if (appBusy.length > 0) console.log(`  ! the application's process used ${BUSY_SHARE * 100}% of a core or more in ${appBusy.length} window(s) (${appBusy.map(([n]) => n).join(', ')}): it is saturated`);
  const short = all.filter(([, f]) => f.inProgress < level * 0.9);
  if (short.length > 0) console.log(`  ! in ${short.length} window(s) the callers could not keep ${level} calls in progress (${short.map(([n, f]) => `${n} ${f.inProgress}`).join(', ')})`);
}

async function compare(): Promise<void> {
  const levels = (flag('--levels') ?? '1000,2000,5000').split(',').map(Number);
  const rounds = Number(flag('--rounds') ?? 3);
  const windowSec = Number(flag('--window') ?? 30);
  const warmup = Number(flag('--warmup') ?? 300);
  console.log(`bench/ivr-compare on Node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`levels ${levels.join(', ')}; ${rounds} round(s) per side and level, alternating; ${windowSec} s windows\n`);
  const { child, url } = await startSimulatorProcess(['--media-ms', '0', '--app', 'callflow']);
  const sides: Side[] = [];
  const stopAll = (): void => {
    for (const s of sides) s.stop();
    child.kill('SIGINT');
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopAll();
      process.exit(1);
    });
  }
  try {
    const sim = { url, pid: child.pid ?? 0 };
    // One after the other: each warm-up has the simulator to itself.
    sides.push(await startSide('plugin', sim, warmup));
    sides.push(await startSide('anchor', sim, warmup));
    const [plugin, anchor] = sides as [Side, Side];
    const results = new Map<number, { plugin: WindowFigures[]; anchor: WindowFigures[] }>();
    for (const level of levels) {
      const byLevel = { plugin: [] as WindowFigures[], anchor: [] as WindowFigures[] };
      results.set(level, byLevel);
      for (let round = 1; round <= rounds; round += 1) {
        for (const s of round % 2 === 1 ? [plugin, anchor] : [anchor, plugin]) {
          const f = await s.measure(level, windowSec);
          byLevel[s.name].push(f);
          console.log(
            `  ${level} calls, round ${round}, ${s.name.padEnd(6)}: ${f.inProgress} in progress, p50 ${ms(f.added.p50)} / p99 ${ms(f.added.p99)} (${f.added.n}), ` +
              `CPU/call ${ms(f.cpuMsPerCall)}, heap/call ${f.heapKbPerCall.toFixed(1)} KB (${f.heapInFlight} requests in flight), CPU ${percent.show(f.cpuShare)}%, simulator ${f.simCpuShare === undefined ? '?' : percent.show(f.simCpuShare)}%, ` +
              `machine idle ${f.machineIdleShare === undefined ? '?' : percent.show(f.machineIdleShare)}%`,
          );
        }
      }
      printLevel(level, byLevel.plugin, byLevel.anchor);
    }
    if (levels.length > 1) {
      console.log('\nall levels again:');
      for (const [level, r] of results) printLevel(level, r.plugin, r.anchor);
    }
  } finally {
    stopAll();
  }
}

const role = flag('--side');
const run = role === 'plugin' || role === 'anchor' ? side(role) : compare().then(() => process.exit(0));
run.catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
