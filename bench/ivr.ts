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
 *
 *   npm run bench:ivr     (or: node --expose-gc dist/bench/ivr.js [--levels 100,1000,2000] [--window 30] [--calls 10000] [--warmup 300] [--detail] [--snapshots DIR])
 */
import diagnostics from 'node:diagnostics_channel';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { readExamples } from '../lib/playground/home';
import { listEngines, type Engine } from '../nodes/shared/engine';
import { flag, ms, nodeRed, post, startEmbeddedNodeRed, startSimulatorProcess, summary } from './support';

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
}

function options(): Options {
  const args = process.argv.slice(2);
  return {
    levels: (flag('--levels') ?? '100,1000,2000').split(',').map(Number),
    windowSec: Number(flag('--window') ?? 30),
    calls: Number(flag('--calls') ?? 10000),
    warmup: Number(flag('--warmup') ?? 300),
    snapshots: flag('--snapshots'),
    detail: args.includes('--detail'),
  };
}

const gc = (globalThis as { gc?: () => void }).gc;

function heapMb(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

/** The IVR menu example, on the simulator at `url`; the collect waits 5 s between keys (callers pause up to 3 s). */
function benchFlows(url: string): Record<string, unknown>[] {
  const example = readExamples().find((e) => e.name === 'IVR menu');
  if (!example) throw new Error('examples/IVR menu.json is missing');
  return example.nodes.map((n) => {
    if (n.type === 'callflow-asterisk') return { ...n, useSimulator: false, url, idleTimeoutSec: '120' };
    if (n.type === 'callflow-collect') return { ...n, interDigitTimeoutSec: 5 };
    // No editor to show them to.
    if (n.type === 'debug') return { ...n, active: false };
    return n;
  });
}

const pause = (): number => 1000 + Math.floor(Math.random() * 2000);

/** A caller: waits for the answer, presses 1, then a card number (not 9..., so no transfer) and #, each after a pause. */
function callerScript(): object[] {
  const card = `${1 + Math.floor(Math.random() * 8)}${String(Math.floor(Math.random() * 100000)).padStart(5, '0')}`;
  const steps: object[] = [{ waitFor: 'answer' }];
  for (const key of `1${card}#`) steps.push({ wait: pause() }, { dtmf: key });
  return steps;
}

class Driver {
  placed = 0;
  ended = 0;
  target = 0;
  failed = 0;
  private placing = 0;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly simUrl: string,
    engine: Engine,
  ) {
    engine.calls.onEnded(() => {
      this.ended += 1;
      this.topUp();
      this.wake();
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  get inProgress(): number {
    return this.placed - this.ended;
  }

  /** Places a call when fewer than the target are in progress. */
  private topUp(): void {
    while (this.inProgress + this.placing < this.target && this.placing === 0) this.place();
  }

  private place(): void {
    this.placing += 1;
    post(`${this.simUrl}/sim/calls`, { from: `+1555${String(this.placed).padStart(7, '0')}`, to: '200', args: ['ivr-menu'], script: callerScript() }).then(
      () => {
        this.placing -= 1;
        this.placed += 1;
        this.topUp();
        this.wake();
      },
      (err: unknown) => {
        this.placing -= 1;
        this.failed += 1;
        console.error(`placing a call failed: ${(err as Error).message}`);
        this.wake();
      },
    );
  }

  /** Raises the number of calls in progress to n, spread over `overMs` so callers do not move in lockstep. */
  async ramp(n: number, overMs: number): Promise<void> {
    const start = this.target;
    const t0 = performance.now();
    while (this.target < n) {
      const due = start + Math.ceil(((performance.now() - t0) / overMs) * (n - start));
      this.target = Math.min(n, Math.max(this.target, due));
      this.topUp();
      await new Promise((r) => setTimeout(r, 50));
    }
    this.target = n;
    this.topUp();
  }

  /** Resolves once `count` calls have ended in total. */
  until(count: number): Promise<void> {
    return this.when(() => this.ended >= count);
  }

  /** Resolves once no call is being placed or in progress (after the target went to 0). */
  drained(): Promise<void> {
    return this.when(() => this.placing === 0 && this.ended >= this.placed);
  }

  private when(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (!done()) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }
}

/** Event-to-request times and call steps, while `on`. */
class Probe {
  on = false;
  readonly samples: number[] = [];
  /** The same, left out when a garbage collection paused the process between the event and the request. */
  readonly outsideGc: number[] = [];
  /** GC pauses while on: [start, end] (performance.now()). */
  readonly pauses: [number, number][] = [];
  /** The same times by what led to what ("PlaybackFinished -> POST play"), for --detail. */
  readonly byPair = new Map<string, number[]>();
  steps = 0;
  private readonly lastEvent = new Map<string, number>();
  private readonly lastType = new Map<string, string>();
  private readonly playbackChannel = new Map<string, string>();

  constructor() {
    diagnostics.subscribe('callflow:ari:event', (message) => {
      const { event, receivedAt } = message as { event: Record<string, { id?: string; target_uri?: string }>; receivedAt: number };
      const type = (event as unknown as { type: string }).type;
      let channel = event.channel?.id;
      const playback = event.playback;
      if (playback?.id && playback.target_uri?.startsWith('channel:')) {
        channel = playback.target_uri.slice('channel:'.length);
        if (type === 'PlaybackFinished') this.playbackChannel.delete(playback.id);
        else this.playbackChannel.set(playback.id, channel);
      }
      if (!channel) return;
      if (type === 'StasisEnd' || type === 'ChannelDestroyed') {
        this.lastEvent.delete(channel);
        this.lastType.delete(channel);
      } else {
        this.lastEvent.set(channel, receivedAt);
        this.lastType.set(channel, type);
      }
    });
    diagnostics.subscribe('http.client.request.start', (message) => {
      const at = performance.now();
      const { request } = message as { request: { path: string; method: string } };
      const m = /^\/ari\/(channels|playbacks)\/([^/?]+)/.exec(request.path);
      if (!m?.[2]) return;
      const id = decodeURIComponent(m[2]);
      const channel = m[1] === 'channels' ? id : this.playbackChannel.get(id);
      if (!channel) return;
      const since = this.lastEvent.get(channel);
      if (since === undefined) return;
      this.lastEvent.delete(channel);
      if (!this.on || at - since >= 1000) return;
      this.samples.push(at - since);
      this.record(since, at);
      const what = request.path.replace(/^\/ari\/(channels|playbacks)\/[^/?]+/, '').replace(/\?.*$/, '').replace(/\/play\/[^/]+$/, '/play');
      const pair = `${this.lastType.get(channel) ?? '?'} -> ${request.method} ${m[1]}${what}`;
      let list = this.byPair.get(pair);
      if (!list) this.byPair.set(pair, (list = []));
      list.push(at - since);
    });
    diagnostics.subscribe('callflow:element', () => {
      if (this.on) this.steps += 1;
    });
    new PerformanceObserver((list) => {
      if (!this.on) return;
      for (const e of list.getEntries()) this.pauses.push([e.startTime, e.startTime + e.duration]);
    }).observe({ entryTypes: ['gc'] });
  }

  /** A sample from `since` to `at` that no GC pause overlapped (pauses are reported after they end, so this is checked at the end). */
  private readonly pending: [number, number][] = [];

  record(since: number, at: number): void {
    this.pending.push([since, at]);
  }

  /** Sorts the window's samples into those a GC pause touched and the others. */
  settle(): void {
    for (const [since, at] of this.pending) {
      if (!this.pauses.some(([from, to]) => from < at && to > since)) this.outsideGc.push(at - since);
    }
    this.pending.length = 0;
  }

  reset(): void {
    this.samples.length = 0;
    this.outsideGc.length = 0;
    this.pauses.length = 0;
    this.pending.length = 0;
    this.steps = 0;
  }
}


async function main(): Promise<void> {
  const opts = options();
  if (!gc) console.log('(run with node --expose-gc for the heap figures; npm run bench:ivr does)\n');
  console.log(`bench/ivr on Node ${process.version}, ${os.cpus().length} CPUs; levels ${opts.levels.join(', ')}; ${opts.windowSec} s windows\n`);
  const { child, url } = await startSimulatorProcess(['--media-ms', '0', '--app', 'callflow']);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callflow-bench-'));
  try {
    const probe = new Probe();
    await startEmbeddedNodeRed({ dir, flows: benchFlows(url), credentials: { c0ffee0000000001: { username: 'asterisk', password: 'asterisk' } }, logLevel: 'warn' });
    const engine = await connectedEngine();
    console.log(`Node-RED started, connected; heap ${heapMb().toFixed(1)} MB before any call`);
    const driver = new Driver(url, engine);
    const callMs = 9 * 2000; // 9 pauses of 2 s on average
    // Warm-up: the JIT compiles the hot paths and Node-RED fills its caches; nothing is measured yet.
    await driver.ramp(100, callMs);
    await driver.until(opts.warmup);
    driver.target = 0;
    await driver.drained();
    const baseline = heapMb();
    if (opts.snapshots) console.log(`heap snapshot: ${v8.writeHeapSnapshot(path.join(opts.snapshots, 'after-warm-up.heapsnapshot'))}`);
    console.log(`after ${driver.ended} warm-up calls: heap ${baseline.toFixed(1)} MB, the baseline below\n`);
    console.log('  in progress   event->request p50 / p99 (n)        steps/s   CPU/call   heap/call in progress');
    for (const level of opts.levels) {
      if (level > driver.target) await driver.ramp(level, callMs);
      else driver.target = level;
      // Let the calls reach their steady mix of menu, digits and goodbyes.
      const settled = driver.ended + Math.max(level / 2, 20);
      await driver.until(settled);
      probe.reset();
      probe.on = true;
      const cpu0 = process.cpuUsage();
      const ended0 = driver.ended;
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, opts.windowSec * 1000));
      const seconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      probe.on = false;
      // Let the observer report the last pauses, then sort the samples.
      await new Promise((r) => setImmediate(r));
      probe.settle();
      const endedInWindow = driver.ended - ended0;
      const inProgress = engine.callCount;
      const heap = heapMb();
      const s = summary(probe.samples);
      const cpuPerCall = (cpu.user + cpu.system) / 1000 / Math.max(1, endedInWindow);
      const heapPerCall = ((heap - baseline) * 1024) / Math.max(1, inProgress);
      console.log(
        `  ${String(inProgress).padStart(11)}   ${ms(s.p50)} / ${ms(s.p99)} (${s.n})`.padEnd(58) +
          `${(probe.steps / seconds).toFixed(0).padStart(7)}   ${cpuPerCall.toFixed(1).padStart(5)} ms   ${heapPerCall.toFixed(1)} KB`,
      );
      // In the example, set -> switch -> change (two JSONata expressions) -> play: Node-RED's own nodes, not ours.
      const own = summary([...probe.byPair].filter(([pair]) => pair !== 'ChannelVarset -> POST channels/play').flatMap(([, list]) => list));
      console.log(`                callflow's own steps (all but the one through the core switch and JSONata change nodes): p50 ${ms(own.p50)} / p99 ${ms(own.p99)}`);
      const quiet = summary(probe.outsideGc);
      const paused = probe.pauses.reduce((sum, [from, to]) => sum + (to - from), 0);
      console.log(
        `                without the ${probe.samples.length - probe.outsideGc.length} that a GC pause touched: p50 ${ms(quiet.p50)} / p99 ${ms(quiet.p99)}` +
          ` (${probe.pauses.length} pauses, ${((paused / (seconds * 1000)) * 100).toFixed(1)}% of the time, longest ${ms(Math.max(0, ...probe.pauses.map(([a, b]) => b - a)))})`,
      );
      if (opts.detail) {
        for (const [pair, list] of [...probe.byPair].sort((a, b) => b[1].length - a[1].length)) {
          const d = summary(list);
          console.log(`      ${pair.padEnd(52)} p50 ${ms(d.p50)}  p99 ${ms(d.p99)}  (${d.n})`);
        }
      }
      probe.byPair.clear();
    }
    const total = Math.max(opts.calls + opts.warmup, driver.placed);
    const steady = Math.min(1000, Math.max(...opts.levels));
    console.log(`\ncontinuing at ${steady} calls in progress until ${total - opts.warmup} calls have ended after the warm-up...`);
    if (driver.target < steady) await driver.ramp(steady, callMs);
    else driver.target = steady;
    const stopAt = total - driver.inProgress;
    await driver.until(stopAt);
    driver.target = 0;
    await driver.drained();
    const after = heapMb();
    if (opts.snapshots) console.log(`heap snapshot: ${v8.writeHeapSnapshot(path.join(opts.snapshots, 'after-calls.heapsnapshot'))}`);
    console.log(`${driver.ended - opts.warmup} calls ended after the warm-up (${driver.failed} could not be placed); calls left in the registry: ${engine.callCount}; channels watched: ${engine.telephony.watchedChannels}`);
    console.log(`heap: ${baseline.toFixed(1)} MB after the warm-up, ${after.toFixed(1)} MB after those calls (${(after - baseline >= 0 ? '+' : '') + (after - baseline).toFixed(1)} MB)`);
  } finally {
    await nodeRed().stop().catch(() => undefined);
    child.kill('SIGINT');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function connectedEngine(): Promise<Engine> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the connection did not come up within 20 s')), 20_000);
    const look = (): void => {
      const engine = listEngines()[0];
      if (!engine) {
        setTimeout(look, 50);
        return;
      }
      const off = engine.onStatus((s) => {
        if (s.state !== 'connected') return;
        clearTimeout(timer);
        queueMicrotask(() => off());
        resolve(engine);
      });
    };
    look();
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
