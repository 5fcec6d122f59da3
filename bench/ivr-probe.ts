/**
 * What bench/ivr measures, for the plugin and for the anchor alike: the time
 * from an ARI event's arrival on the WebSocket to the start of the next HTTP
 * request about the same channel (the Probe), and one measured window at a
 * level of calls in progress (CPU, heap, steps, GC pauses, and the
 * simulator's own CPU when its process id is known).
 */
import diagnostics from 'node:diagnostics_channel';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import type { Driver } from './ivr-callers';
import { cpuMsOf, machineCpuMs, summary } from './support';

/**
 * Event-to-request times and call steps, while `on`. It reads diagnostics
 * channels only: the plugin's `callflow:ari:event` (the anchor publishes the
 * same messages at the same point) and Node's `http.client.request.start`,
 * so it measures the plugin and the anchor alike.
 */
export class Probe {
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

  /** Drops the window's samples and what the probe keeps per channel (before a heap measurement: not the calls'). */
  forget(): void {
    this.reset();
    this.byPair.clear();
    this.lastEvent.clear();
    this.lastType.clear();
    this.playbackChannel.clear();
  }

  reset(): void {
    this.samples.length = 0;
    this.outsideGc.length = 0;
    this.pauses.length = 0;
    this.pending.length = 0;
    this.steps = 0;
  }
}


const gc = (globalThis as { gc?: () => void }).gc;

/**
 * ARI requests in flight (Node's http client: the plugin's and the anchor's
 * requests; the callers use fetch). On a busy machine the simulator falls
 * behind now and then, and a heap measured then holds hundreds of requests
 * and their closures: the machine's lateness, not what a call in progress
 * keeps. bench/ivr-heap and measureWindow() wait for them to settle.
 */
let inFlight = 0;
diagnostics.subscribe('http.client.request.start', () => {
  inFlight += 1;
});
for (const ended of ['http.client.response.finish', 'http.client.request.error']) {
  diagnostics.subscribe(ended, () => {
    inFlight -= 1;
  });
}

/** Resolves once at most `most` requests are in flight (checked every 20 ms; after `withinMs`, whatever the count), with that count. */
export async function settled(most: number, withinMs = 30_000): Promise<number> {
  const until = Date.now() + withinMs;
  while (inFlight > most && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
  return inFlight;
}

/** Heap in use after two forced GCs (run node with --expose-gc), in MB. */
export function heapMb(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

export const canCollectGarbage = gc !== undefined;

/** CPU seconds (user + system) a process has used so far (support.ts cpuMsOf), or undefined when /proc cannot say. */
export function processCpuSec(pid: number): number | undefined {
  try {
    return cpuMsOf(pid) / 1000;
  } catch {
    return undefined;
  }
}

/** The machine's CPU time so far, all cores: [idle (with I/O wait), total], in ms (support.ts machineCpuMs), or undefined when /proc cannot say. */
export function machineCpuTicks(): [number, number] | undefined {
  try {
    const { busy, all } = machineCpuMs();
    return [all - busy, all];
  } catch {
    return undefined;
  }
}

export interface WindowFigures {
  level: number;
  inProgress: number;
  seconds: number;
  /** Added time: all samples, the callflow's own steps (all but the one through core switch and change nodes), those no GC pause touched. */
  added: { p50: number; p99: number; n: number };
  own: { p50: number; p99: number; n: number };
  quiet: { p50: number; p99: number; n: number };
  gcPauses: number;
  gcShare: number;
  longestPauseMs: number;
  stepsPerSec: number;
  cpuMsPerCall: number;
  /** Share of one core this process used in the window. */
  cpuShare: number;
  heapKbPerCall: number;
  /** ARI requests in flight when the heap was measured (see measureWindow). */
  heapInFlight: number;
  /** The heap then (MB) and the calls in progress it held: heapKbPerCall against another heap (see ivr-compare). */
  heapBusyMb: number;
  heapCalls: number;
  /** Share of one core the simulator's process used in the window, when its pid is known. */
  simCpuShare?: number;
  /** Share of the machine's CPU time (all cores, all processes) that was idle in the window: near 0, processes waited for a core. */
  machineIdleShare?: number;
  /** By what led to what ("PlaybackFinished -> POST channels/play"). */
  byPair: { pair: string; p50: number; p99: number; n: number }[];
}

/**
 * Holds `level` calls in progress for `windowSec` and measures. The calls
 * must already be at that level and settled; `baselineMb` is the heap with
 * no call in progress; `callCount` reads the application's calls in progress.
 */
export async function measureWindow(options: { driver: Driver; probe: Probe; level: number; windowSec: number; baselineMb: number; callCount: () => number; simPid?: number }): Promise<WindowFigures> {
  const { driver, probe } = options;
  probe.reset();
  probe.on = true;
  const cpu0 = process.cpuUsage();
  const sim0 = options.simPid === undefined ? undefined : processCpuSec(options.simPid);
  const machine0 = machineCpuTicks();
  const ended0 = driver.ended;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, options.windowSec * 1000));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const sim1 = options.simPid === undefined ? undefined : processCpuSec(options.simPid);
  const machine1 = machineCpuTicks();
  probe.on = false;
  // Let the observer report the last pauses, then sort the samples.
  await new Promise((r) => setImmediate(r));
  probe.settle();
  const endedInWindow = driver.ended - ended0;
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const paused = probe.pauses.reduce((sum, [from, to]) => sum + (to - from), 0);
  const pick = (s: ReturnType<typeof summary>): { p50: number; p99: number; n: number } => ({ p50: s.p50, p99: s.p99, n: s.n });
  const figures: WindowFigures = {
    level: options.level,
    inProgress: options.callCount(),
    seconds,
    added: pick(summary(probe.samples)),
    // In the example, set -> switch -> change (two JSONata expressions) -> play: Node-RED's own nodes, not ours.
    own: pick(summary([...probe.byPair].filter(([pair]) => pair !== 'ChannelVarset -> POST channels/play').flatMap(([, list]) => list))),
    quiet: pick(summary(probe.outsideGc)),
    gcPauses: probe.pauses.length,
    gcShare: paused / (seconds * 1000),
    longestPauseMs: Math.max(0, ...probe.pauses.map(([a, b]) => b - a)),
    stepsPerSec: probe.steps / seconds,
    cpuMsPerCall: cpuMs / Math.max(1, endedInWindow),
    cpuShare: cpuMs / (seconds * 1000),
    heapKbPerCall: 0,
    heapInFlight: 0,
    heapBusyMb: 0,
    heapCalls: 0,
    byPair: [...probe.byPair].sort((a, b) => b[1].length - a[1].length).map(([pair, list]) => ({ pair, ...pick(summary(list)) })),
  };
  if (sim0 !== undefined && sim1 !== undefined) figures.simCpuShare = (sim1 - sim0) / seconds;
  if (machine0 && machine1 && machine1[1] > machine0[1]) figures.machineIdleShare = (machine1[0] - machine0[0]) / (machine1[1] - machine0[1]);
  // The heap a call in progress keeps, measured as bench/ivr-heap does: the calls go on, the requests in flight
  // settle first (at most 1% of the calls, up to 10 s), and the probe's own data (the window's samples, its
  // per-channel tables) is dropped, so neither the machine's lateness nor the measurement is counted as the calls'.
  figures.heapInFlight = await settled(Math.ceil(options.level / 100), 10_000);
  probe.forget();
  const calls = options.callCount();
  const heap = heapMb();
  figures.heapKbPerCall = ((heap - options.baselineMb) * 1024) / Math.max(1, calls);
  figures.heapBusyMb = heap;
  figures.heapCalls = calls;
  return figures;
}
