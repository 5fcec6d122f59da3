/**
 * bench/conference (issue 15): `--meetings` meetings (200) of `--size` participants (10) joining over
 * `--join-sec` (60) in a real Node-RED runtime (embedded in this process, no editor): a flow callflow-entry ->
 * callflow-conference (call flow `--flow`, secured or open) with a callflow-meetings node holding one room per
 * meeting, against the simulated Asterisk in a process of its own with prompts of zero length. Each simulated
 * caller waits for the code prompt, enters their room's participant code and #, and stays in the meeting until the
 * bench lets them go: one in two presses # (leaves; the flow hangs up), the others hang up. Prints:
 *  - join time p50/p99: the time the plugin adds from the ARI event of the code's last key (#) to its addChannel
 *    request for that channel (bench/conference-probe.ts), for the callers who join a meeting already made (nothing
 *    is asked of Asterisk in between) and for each meeting's first caller (the bridge is made and the caller hears
 *    that they are alone first: two waits for Asterisk inside); and the time from # to the ChannelEnteredBridge
 *    event (the simulator's part and the trips included);
 *  - CPU per participant: process.cpuUsage of this process (Node-RED, the plugin and the small driver that places
 *    calls) from the first call placed to the last caller in the bridge, divided by the participants;
 *  - heap per meeting with all meetings full (after forced GCs, against the heap before any call), then the
 *    meeting's own part: the same number of calls waiting in a collect (the state just before the meeting) are
 *    measured the same way, and their heap is taken off;
 *  - leak check: meetings made, filled and ended over and over until `--participants` (5,000) have joined and
 *    left; the heap against the start, and the meetings, meeting bridges (GET /ari/bridges) and calls left.
 * Figures are printed, not asserted; docs/performance.md records them.
 *
 *   npm run bench:conference   (or: node --expose-gc dist/bench/conference.js [--meetings 200] [--size 10]
 *                               [--join-sec 60] [--participants 5000] [--flow secured|open] [--warmup 100]
 *                               [--snapshots DIR])
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { JoinProbe } from './conference-probe';
import { connectedEngine } from './ivr-plugin';
import { canCollectGarbage, heapMb, machineCpuTicks, processCpuSec } from './ivr-probe';
import { flag, ms, nodeRed, post, startEmbeddedNodeRed, startSimulatorProcess, summary } from './support';

interface Options {
  meetings: number;
  size: number;
  joinSec: number;
  participants: number;
  flow: 'secured' | 'open';
  warmup: number;
  /** A folder for heap snapshots after the warm-up and with the meetings full (for bench/heap-diff). */
  snapshots: string | undefined;
}

function options(): Options {
  const number = (name: string, fallback: number, min: number): number => {
    const v = Number(flag(name) ?? fallback);
    if (!Number.isInteger(v) || v < min) throw new Error(`${name} is a whole number from ${min}, not ${flag(name)}`);
    return v;
  };
  const flow = flag('--flow') ?? 'secured';
  if (flow !== 'secured' && flow !== 'open') throw new Error(`--flow is secured or open, not ${flow}`);
  return {
    meetings: number('--meetings', 200, 1),
    size: number('--size', 10, 1),
    joinSec: number('--join-sec', 60, 0),
    participants: number('--participants', 5000, 0),
    flow,
    warmup: number('--warmup', 100, 0),
    snapshots: flag('--snapshots'),
  };
}

/** Calls being placed (or told to leave) at once, at most: each is one request to the simulator. */
const AT_ONCE = 16;

const code = (room: number): string => String(100000 + room);

/** The heap is measured again with the same participants in a tenth of the meetings: so many meetings... */
const fewerMeetings = (o: Options): number => Math.max(1, Math.floor(o.meetings / 10));
/** ...of this size. */
const largerSize = (o: Options): number => Math.ceil((o.meetings * o.size) / fewerMeetings(o));

function conferenceFlow(url: string, o: Options): Record<string, unknown>[] {
  const rooms = Array.from({ length: o.meetings }, (_, i) => ({
    id: `room${i}`,
    name: `Room ${i}`,
    hostCode: '',
    participantCode: code(i),
    // Room enough for the larger meetings that separate a meeting's own heap from its participants'.
    properties: { maxParticipants: Math.max(50, largerSize(o)) },
  }));
  return [
    { id: 'tab', type: 'tab', label: 'bench/conference' },
    { id: 'ast', type: 'callflow-asterisk', url, app: 'callflow', useSimulator: false, idleTimeoutSec: 120 },
    { id: 'mt', type: 'callflow-meetings', rooms },
    { id: 'e1', type: 'callflow-entry', z: 'tab', x: 100, y: 100, connection: 'ast', flow: 'conference', wires: [['cf']] },
    { id: 'cf', type: 'callflow-conference', z: 'tab', x: 300, y: 100, meetings: 'mt', callFlow: o.flow, room: '', properties: {}, onError: 'hangup', wires: [['hu'], ['hu'], ['hu']] },
    { id: 'hu', type: 'callflow-hangup', z: 'tab', x: 500, y: 100, reason: 'normal', wires: [] },
  ];
}

/** The simulated callers: places them at a pace, tells them to leave, counts them out. */
class Callers {
  placed = 0;
  ended = 0;
  failed = 0;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly simUrl: string) {}

  /** Wakes those waiting for a count (after an event that may change one). */
  wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Resolves when `done()`; rejects when nothing moved for 60 s (the bench would hang otherwise). */
  until(done: () => boolean, what: () => string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout;
      const arm = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          this.waiters.delete(check);
          reject(new Error(`stalled for 60 s waiting for ${what()}`));
        }, 60_000);
      };
      const check = (): void => {
        if (!done()) return arm();
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
      arm();
    });
  }

  /** Runs `task` for 0..n-1, the i-th not before i/n of `overMs`, AT_ONCE at most at a time; the ids it returns. */
  async paced<T>(n: number, overMs: number, task: (i: number) => Promise<T>): Promise<T[]> {
    const out: T[] = [];
    const t0 = performance.now();
    let next = 0;
    let running = 0;
    await new Promise<void>((resolve) => {
      const pump = (): void => {
        while (next < n && running < AT_ONCE && performance.now() - t0 >= (next / n) * overMs) {
          const i = next;
          next += 1;
          running += 1;
          task(i).then(
            (v) => {
              out[i] = v;
            },
            (err: unknown) => {
              this.failed += 1;
              console.error(`call ${i}: ${(err as Error).message}`);
            },
          ).finally(() => {
            running -= 1;
            if (next >= n && running === 0) resolve();
            else pump();
          });
        }
        if (next < n && running < AT_ONCE) setTimeout(pump, Math.max(1, t0 + (next / n) * overMs - performance.now()));
      };
      if (n === 0) resolve();
      else pump();
    });
    return out;
  }

  /** Places one caller into flow `flow` (the Stasis argument) who does `script`; the call's id on the simulator. */
  async place(flow: string, script: object[]): Promise<string> {
    const report = (await post(`${this.simUrl}/sim/calls`, { from: `+1555${String(this.placed).padStart(7, '0')}`, to: '500', app: 'callflow', args: [flow], script })) as { id: string };
    this.placed += 1;
    this.wake();
    return report.id;
  }

  /** One in two presses # (leaves the meeting; the flow hangs up), the others hang up. */
  leave(id: string, i: number): Promise<void> {
    return i % 2 === 0 ? this.command(id, 'dtmf', { digits: '#' }) : this.hangup(id);
  }

  hangup(id: string): Promise<void> {
    return this.command(id, 'hangup', {});
  }

  /**
   * A control request about one call (it answers with no body). Tried three times: a kept-alive connection the
   * simulator closed while this process was busy (a heap snapshot) fails the first try.
   */
  private async command(id: string, what: 'dtmf' | 'hangup', body: object): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const res = await fetch(`${this.simUrl}/sim/calls/${id}/${what}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`POST /sim/calls/${id}/${what}: ${res.status}`);
        return;
      } catch (err) {
        if (attempt >= 3 || /POST \/sim/.test((err as Error).message)) throw err;
      }
    }
  }
}

interface Round {
  ids: string[];
  cpuMs: number;
  seconds: number;
  simCpuSec?: number;
  machineIdle?: number;
}

async function main(): Promise<void> {
  const o = options();
  if (!canCollectGarbage) console.log('(run with node --expose-gc for the heap figures; npm run bench:conference does)\n');
  const total = o.meetings * o.size;
  console.log(`bench/conference on Node ${process.version}, ${os.cpus().length} CPUs: ${o.meetings} meetings of ${o.size} (call flow ${o.flow}) joining over ${o.joinSec} s; leak check to ${o.participants} participants`);
  const { child, url } = await startSimulatorProcess(['--media-ms', '0', '--app', 'callflow']);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callflow-conference-'));
  const probe = new JoinProbe();
  try {
    await startEmbeddedNodeRed({ dir, flows: conferenceFlow(url, o), credentials: { ast: { username: 'asterisk', password: 'asterisk' } }, logLevel: 'warn' });
    const engine = await connectedEngine();
    const callers = new Callers(url);
    engine.calls.onEnded(() => {
      callers.ended += 1;
      callers.wake();
    });
    probe.onChange(() => callers.wake());
    // A meeting leaves the registry right after its meeting-ended event (its bridge is gone by then).
    engine.meetings.onEvent((event) => {
      if (event.type === 'meeting-ended') setImmediate(() => callers.wake());
    });
    const inMeetings = (): number => engine.meetings.list().reduce((sum, m) => sum + m.count, 0);
    const state = (): string => `calls placed ${callers.placed}, ended ${callers.ended}, failed ${callers.failed}, in the bridges ${probe.entered}, in meetings ${inMeetings()}, in progress ${engine.callCount}`;

    /** `meetings` meetings of `size`: the callers placed over `overMs` (room by room in turn), until all are in. */
    const fill = async (meetings: number, size: number, overMs: number): Promise<Round> => {
      const entered0 = probe.entered;
      const cpu0 = process.cpuUsage();
      const sim0 = child.pid === undefined ? undefined : processCpuSec(child.pid);
      const machine0 = machineCpuTicks();
      const t0 = performance.now();
      const ids = await callers.paced(meetings * size, overMs, (i) => callers.place('conference', [{ waitFor: 'playback-start', media: 'conf-getpin' }, { dtmf: `${code(i % meetings)}#` }]));
      await callers.until(() => probe.entered - entered0 >= meetings * size - callers.failed, () => `${meetings * size} callers in the bridges (${state()})`);
      const cpu = process.cpuUsage(cpu0);
      const sim1 = child.pid === undefined ? undefined : processCpuSec(child.pid);
      const machine1 = machineCpuTicks();
      const round: Round = { ids, cpuMs: (cpu.user + cpu.system) / 1000, seconds: (performance.now() - t0) / 1000 };
      if (sim0 !== undefined && sim1 !== undefined) round.simCpuSec = sim1 - sim0;
      if (machine0 && machine1 && machine1[1] > machine0[1]) round.machineIdle = (machine1[0] - machine0[0]) / (machine1[1] - machine0[1]);
      return round;
    };
    /** Everyone of the round leaves (over `overMs`) and every call ends. */
    const empty = async (ids: string[], overMs: number): Promise<void> => {
      await callers.paced(ids.length, overMs, (i) => callers.leave(ids[i] as string, i));
      await callers.until(() => callers.ended >= callers.placed && engine.callCount === 0 && engine.meetings.list().length === 0, () => `every call to end (${state()})`);
    };

    // Warm-up: the JIT compiles the paths and Node-RED fills its caches; nothing is measured.
    const warm = Math.min(o.meetings, Math.max(1, Math.ceil(o.warmup / o.size)));
    if (o.warmup > 0) await empty((await fill(warm, o.size, 5000)).ids, 1000);
    probe.reset();
    const baseline = heapMb();
    if (o.snapshots) console.log(`heap snapshot: ${v8.writeHeapSnapshot(path.join(o.snapshots, 'idle.heapsnapshot'))}`);
    console.log(`Node-RED started, connected; after ${callers.placed} warm-up callers: heap ${baseline.toFixed(1)} MB, the baseline below\n`);

    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const round = await fill(o.meetings, o.size, o.joinSec * 1000);
    loop.disable();
    // Let the observer report the last GC pauses.
    await new Promise((r) => setImmediate(r));
    const gc = probe.gc(round.seconds);
    let joined = total;
    const full = heapMb();
    if (o.snapshots) console.log(`heap snapshot: ${v8.writeHeapSnapshot(path.join(o.snapshots, 'full.heapsnapshot'))}`);
    const meetingsNow = engine.meetings.list().length;
    const direct = summary(probe.direct);
    const greeted = summary(probe.greeted);
    const all = summary([...probe.direct, ...probe.greeted]);
    const bridged = summary(probe.toBridge);
    const quiet = summary(gc.quiet);
    console.log(`${total} participants joined ${meetingsNow} meetings in ${round.seconds.toFixed(1)} s (${callers.failed} calls could not be placed)`);
    console.log(`  join time, # -> addChannel (plugin-added)      p50 ${ms(all.p50)}  p99 ${ms(all.p99)}  max ${ms(all.max)}  (${all.n})`);
    console.log(`    without the ${all.n - quiet.n} that a GC pause touched        p50 ${ms(quiet.p50)}  p99 ${ms(quiet.p99)}  (${gc.pauses} pauses, ${(gc.share * 100).toFixed(1)}% of the time, longest ${ms(gc.longestMs)})`);
    const cpuDuring = summary(probe.cpuDuring);
    console.log(`    CPU this process used meanwhile (all its work) p50 ${ms(cpuDuring.p50)}  p99 ${ms(cpuDuring.p99)}  max ${ms(cpuDuring.max)}`);
    console.log(`    into a meeting already made                  p50 ${ms(direct.p50)}  p99 ${ms(direct.p99)}  max ${ms(direct.max)}  (${direct.n})`);
    console.log(`    first of a meeting (bridge made, prompt)     p50 ${ms(greeted.p50)}  p99 ${ms(greeted.p99)}  max ${ms(greeted.max)}  (${greeted.n})`);
    const whole = summary(probe.greetedWhole);
    console.log(`      the same with the waits for Asterisk       p50 ${ms(whole.p50)}  p99 ${ms(whole.p99)}  max ${ms(whole.max)}`);
    console.log(`  # -> ChannelEnteredBridge (with the simulator) p50 ${ms(bridged.p50)}  p99 ${ms(bridged.p99)}  max ${ms(bridged.max)}  (${bridged.n})`);
    console.log(`  CPU per participant: ${(round.cpuMs / total).toFixed(2)} ms (${(round.cpuMs / 1000).toFixed(1)} s of this process over ${round.seconds.toFixed(1)} s)` + `; the simulator ${round.simCpuSec === undefined ? '?' : (round.simCpuSec / round.seconds * 100).toFixed(0)}% of a core; the machine idle ${round.machineIdle === undefined ? '?' : (round.machineIdle * 100).toFixed(0)}%`);
    // The histogram holds the time between its 10 ms timer's turns: the delay is what is beyond 10 ms.
    const late = (ns: number): string => ms(Math.max(0, ns / 1e6 - 10));
    console.log(`  event-loop delay over the joins: p50 ${late(loop.percentile(50))}  p99 ${late(loop.percentile(99))}  max ${late(loop.max)}`);
    const perMeetingKb = ((full - baseline) * 1024) / Math.max(1, meetingsNow);
    console.log(`  heap with ${meetingsNow} meetings of ${o.size} in progress: ${full.toFixed(1)} MB, +${(full - baseline).toFixed(1)} MB: ${perMeetingKb.toFixed(1)} KB per meeting with its calls`);

    await empty(round.ids, 10_000);
    // What the bench itself holds is the same at both measures: the probe's samples of one round, one round's ids.
    round.ids = [];
    probe.reset();
    // The meeting's own part: the same participants in fewer, larger meetings; heap = meetings x M + participants x P.
    const fewer = fewerMeetings(o);
    if (fewer < meetingsNow) {
      const bigger = largerSize(o);
      const r = await fill(fewer, bigger, 20_000);
      const heap2 = heapMb();
      const participants2 = fewer * bigger;
      const m2 = engine.meetings.list().length;
      // Two equations, two unknowns: (full - baseline) = meetingsNow M + total P; (heap2 - baseline) = m2 M + participants2 P.
      const a = full - baseline;
      const b = heap2 - baseline;
      const det = meetingsNow * participants2 - m2 * total;
      const meetingOwnMb = (a * participants2 - b * total) / det;
      const participantMb = (meetingsNow * b - m2 * a) / det;
      console.log(`  heap with ${m2} meetings of ${bigger} instead: +${b.toFixed(1)} MB; so a meeting's own part ${(meetingOwnMb * 1024).toFixed(1)} KB, a participant (with their call) ${(participantMb * 1024).toFixed(1)} KB`);
      await empty(r.ids, 10_000);
      joined += participants2;
    }
    // Leak check: meetings made, filled and ended over and over.
    while (joined < o.participants) {
      const meetings = Math.min(o.meetings, Math.ceil((o.participants - joined) / o.size));
      const r = await fill(meetings, o.size, 10_000);
      await empty(r.ids, 5000);
      joined += meetings * o.size;
    }
    // The probe's samples of the leak rounds are the bench's, not the plugin's.
    probe.reset();
    const after = heapMb();
    const res = await fetch(`${url}/ari/bridges`, { headers: { Authorization: `Basic ${Buffer.from('asterisk:asterisk').toString('base64')}` } });
    const bridges = (await res.json()) as { id: string }[];
    const status = (await (await fetch(`${url}/sim/status`)).json()) as { activeCalls: number };
    console.log(`\nleak check: ${joined} participants joined and left after the warm-up (${callers.failed} calls could not be placed)`);
    console.log(`  heap ${baseline.toFixed(1)} MB at the start, ${after.toFixed(1)} MB after (${after - baseline >= 0 ? '+' : ''}${(after - baseline).toFixed(1)} MB)`);
    console.log(`  left: meetings ${engine.meetings.list().length}, bridges on the simulator ${bridges.length} (meeting bridges ${bridges.filter((b) => b.id.startsWith('callflow-meeting-')).length}), calls in the registry ${engine.callCount}, channels watched ${engine.telephony.watchedChannels}, calls on the simulator ${status.activeCalls}`);
  } finally {
    probe.close();
    await nodeRed().stop().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
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
