/**
 * bench/speech (issue 19): robot calls at scale. `--calls` (200) simulated callers at once talk with the
 * "callflow-bot" element in a real Node-RED runtime (embedded in this process, no editor): callflow-entry ->
 * callflow-bot -> callflow-hangup, its speech node using stand-in providers (bench/speech-providers.ts, a process of
 * their own: a Whisper-compatible recogniser, an OpenAI-compatible chat bot and speech API, each answering after a
 * known delay), against the simulated Asterisk in a process of its own. Each caller waits until it is heard, says
 * 1.2 s of speech, waits for the reply to finish, pauses 0.3 s, and speaks again, `--turns` (4) times; the bot ends
 * the call on the last turn. Each reply is a new text (no cache hit): recognised, answered, synthesised, written to
 * the cache, played by the simulator, which fetches it from this Node-RED as Asterisk's media cache would.
 *
 * Prints, from the simulator's call reports (`said[].endedAt`: the end of the caller's speech; `heard[].audioAt`:
 * when the reply's audio began reaching the caller):
 *  - the time from the end of the caller's speech to the first audio of the reply, p50/p99, and that time minus the
 *    providers' own time (their three delays) and minus the end-of-speech silence the element waits for (its End
 *    silence setting, 800 ms): what callflow adds (target p99 < 50 ms); of it, the simulator's fetch of the audio;
 *  - where a turn's time goes (the stage table, speech-stages.ts), and each provider request as the plugin waited for
 *    it beside the stand-in's own time (RequestLog);
 *  - CPU and heap per call (this process: Node-RED and the plugin, not the simulator nor the providers), and how long
 *    the plugin's event loop and the simulator waited for a core;
 *  - then (speech-rtp.ts) the jitter of audio sent back over RTP by lib/media, `--calls` streams at once: the
 *    arrival gaps at the simulator against 20 ms, p50/p99 (target p99 < 5 ms), and the pacer's own lateness.
 * Turns whose span held the one forced garbage collection (the heap figure) are left out of the latency, and counted.
 * Beside each part, an idle process's 20 ms timer (machine-lateness.ts) says what the machine alone adds.
 *
 *   npm run build && node --expose-gc dist/bench/speech.js [--calls 200] [--turns 4] [--ramp-sec 4]
 *     [--stt-ms 150] [--bot-ms 250] [--tts-ms 100] [--rtp-sec 5] [--skip-robot] [--skip-rtp] [--no-worker] [--pin]
 *
 * `--no-worker`: the RTP packet path in the event loop (`callflowMedia.worker: false`) instead of the RTP worker
 * thread (lib/media/media-thread.ts), to compare the two. `--pin` (Linux): the plugin's process on half the cores,
 * the simulator and the stand-ins on the other half (pinProcesses), to tell the plugin's figures from the machine's.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { CallReport } from '../lib/sim/script';
import type { Engine } from '../nodes/deployed/engine';
import { connectedEngine } from './ivr-plugin';
import { runQueueSecondsOf, startLatenessProbe, threadSecondsOf } from './machine-lateness';
import { measureSendBack } from './speech-rtp';
import { END_SILENCE_MS, PAUSE_MS, RequestLog, pinProcesses, SAY_MS, TARGET_ADDED_P99_MS, TARGET_JITTER_P99_MS, flows, idleProcess, positive, printProviderWaits, startProviders } from './speech-robot';
import { StageLog } from './speech-stages';
import { cpuMsOf, ms, nodeRed, post, runBench, startEmbeddedNodeRed, startSimulatorProcess, summary } from './support';

/** The caller: heard, then `turns` times: 1.2 s of speech, the reply to its end, a pause. */
function callerScript(turns: number): object[] {
  const steps: object[] = [{ waitFor: 'listened' }, { wait: PAUSE_MS }, { say: SAY_MS }];
  for (let t = 1; t < turns; t++) steps.push({ waitFor: 'playback-end', media: '/callflow/speech/' }, { wait: PAUSE_MS }, { say: SAY_MS });
  steps.push({ wait: 120_000 });
  return steps;
}

interface Turn {
  call: string;
  speechEnd: number;
  started: number;
  audio: number;
  media: string;
}

/** Each `say` of the caller and the reply it got: the first prompt that started after the speech ended. */
function turnsOf(report: CallReport): { turns: Turn[]; problems: string[] } {
  const turns: Turn[] = [];
  const problems: string[] = [];
  const heard = report.heard.filter((h) => h.media.includes('/callflow/speech/'));
  for (const said of report.said ?? []) {
    const end = Date.parse(said.endedAt);
    const reply = heard.find((h) => Date.parse(h.startedAt) >= end);
    if (!reply?.audioAt) {
      problems.push(`call ${report.id}: no reply heard after the speech that ended ${said.endedAt}`);
      continue;
    }
    turns.push({ call: report.id, speechEnd: end, started: Date.parse(reply.startedAt), audio: Date.parse(reply.audioAt), media: reply.media });
  }
  return { turns, problems };
}

interface RobotRun {
  simUrl: string;
  simPid: number;
  engine: Engine;
  calls: number;
  turns: number;
  rampSec: number;
  providersMs: number;
  providersUrl: string;
  delays: { sttMs: number; botMs: number; ttsMs: number };
  server: http.Server;
  gc: () => void;
}

/** The robot calls: placed over the ramp, each read back from the simulator once it ended. */
async function robotCalls(o: RobotRun): Promise<void> {
  const { engine, calls, turns, rampSec, providersMs, gc } = o;
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const simCpu0 = cpuMsOf(o.simPid) / 1000;
  const simWaited0 = runQueueSecondsOf(o.simPid);
  // The event loop is the main thread: its wait for a core is read once, with the other threads'.
  const threads0 = threadSecondsOf(process.pid);
  const requests = new RequestLog();
  requests.start();
  const stages = new StageLog(o.server);
  stages.start();
  const t0 = performance.now();
  let most = 0;
  const sampler = setInterval(() => (most = Math.max(most, engine.callCount)), 100);
  let gcWindow: { from: number; to: number } | undefined;
  let heapPerCall = Number.NaN;
  let inProgressAtHeap = 0;
  const reports = await Promise.all(
    Array.from({ length: calls }, async (_, n) => {
      await new Promise((resolve) => setTimeout(resolve, (rampSec * 1000 * n) / calls));
      const placed = (await post(`${o.simUrl}/sim/calls`, { from: `+1555${String(n).padStart(7, '0')}`, to: '500', args: ['robot'], script: callerScript(turns) })) as CallReport;
      if (n === calls - 1) {
        // Every call placed and talking: the heap they hold, once, after a full collection.
        setTimeout(() => {
          inProgressAtHeap = engine.callCount;
          const from = Date.now();
          gc();
          heapPerCall = (process.memoryUsage().heapUsed - heapBefore) / Math.max(1, inProgressAtHeap);
          gcWindow = { from, to: Date.now() };
        }, 1500);
      }
      const res = await fetch(`${o.simUrl}/sim/calls/${placed.id}/ended?timeoutMs=300000`);
      return (await res.json()) as CallReport;
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  requests.stop();
  stages.stop();
  clearInterval(sampler);
  loop.disable();
  const cpu = process.cpuUsage(cpu0);
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  const simCpuSec = cpuMsOf(o.simPid) / 1000 - simCpu0;
  const simWaited = runQueueSecondsOf(o.simPid) - simWaited0;
  const threads = threadSecondsOf(process.pid);
  const waited = threads.main.waited - threads0.main.waited;

  const all: Turn[] = [];
  const problems: string[] = [];
  let callSeconds = 0;
  for (const r of reports) {
    const t = turnsOf(r);
    all.push(...t.turns);
    problems.push(...t.problems);
    if (r.answeredAt && r.ended) callSeconds += (Date.parse(r.ended.at) - Date.parse(r.answeredAt)) / 1000;
    if (r.ended?.by !== 'application') problems.push(`call ${r.id}: ended by ${r.ended?.by ?? '?'} (${r.ended?.note ?? r.ended?.causeText ?? 'not ended'})`);
  }
  const touchedByGc = (t: Turn): boolean => gcWindow !== undefined && t.speechEnd <= gcWindow.to && t.audio >= gcWindow.from;
  const kept = all.filter((t) => !touchedByGc(t));
  const total = summary(kept.map((t) => t.audio - t.speechEnd));
  const added = summary(kept.map((t) => t.audio - t.speechEnd - providersMs - END_SILENCE_MS));
  const fetchMs = summary(kept.map((t) => t.audio - t.started));
  console.log('');
  console.log(`  turns measured: ${kept.length} of ${calls * turns} (${all.length - kept.length} left out: their span held the forced GC; ${calls * turns - all.length} without a reply)`);
  console.log(`  end of the caller's speech -> first audio of the reply: p50 ${ms(total.p50)}, p99 ${ms(total.p99)}, max ${ms(total.max)}`);
  console.log(`  minus the providers' ${providersMs} ms and the ${END_SILENCE_MS} ms end-of-speech silence: p50 ${ms(added.p50)}, p99 ${ms(added.p99)}, max ${ms(added.max)}  ${added.p99 < TARGET_ADDED_P99_MS ? 'PASS' : 'FAIL'} (target p99 < ${TARGET_ADDED_P99_MS} ms)`);
  console.log(`    of which the simulator fetching the reply's audio from Node-RED (PlaybackStarted -> audio): p50 ${ms(fetchMs.p50)}, p99 ${ms(fetchMs.p99)}`);
  // The caller's audio reaches the plugin as the simulator sends it: its own lateness is in stage A below.
  const simLate = summary(reports.flatMap((r) => (r.externalMedia ?? []).flatMap((m) => m.sent.lateMs ?? [])));
  console.log(`    the simulator's packets of the callers' audio left late by p50 ${ms(simLate.p50)}, p99 ${ms(simLate.p99)}, max ${ms(simLate.max)} (${simLate.n} packets; a real Asterisk sends from each channel's thread)`);
  await printProviderWaits(requests, o.providersUrl);
  stages.print(kept, { endSilenceMs: END_SILENCE_MS, ...o.delays });
  console.log(`  calls in progress: at most ${most}; wall ${wall.toFixed(1)} s; ${callSeconds.toFixed(0)} call-seconds`);
  console.log(`  CPU (this process: Node-RED and the plugin): ${cpuSec.toFixed(2)} s, ${((cpuSec * 1000) / calls).toFixed(1)} ms per call, ${((cpuSec / callSeconds) * 100).toFixed(2)}% of a core per call in progress (${((cpuSec / wall) * 100).toFixed(0)}% of a core over the run); the simulator used ${simCpuSec.toFixed(2)} s`);
  console.log(`  waiting for a core (runnable, not running; /proc/<pid>/schedstat): the plugin's event loop ${waited.toFixed(1)} s of the ${wall.toFixed(1)} s, the simulator's ${simWaited.toFixed(1)} s`);
  console.log(`  threads of this process: the event loop ran ${(threads.main.ran - threads0.main.ran).toFixed(1)} s (and waited the ${waited.toFixed(1)} s above); the others (RTP worker, libuv pool, V8 helpers) ran ${(threads.others.ran - threads0.others.ran).toFixed(1)} s and waited ${(threads.others.waited - threads0.others.waited).toFixed(1)} s`);
  console.log(`  heap per call in progress: ${(heapPerCall / 1024).toFixed(1)} KB (${inProgressAtHeap} calls, after a full GC; before the calls ${(heapBefore / 1048576).toFixed(1)} MB)`);
  console.log(`  event loop delay during the calls: p50 ${ms(loop.percentile(50) / 1e6)}, p99 ${ms(loop.percentile(99) / 1e6)}, max ${ms(loop.max / 1e6)}`);
  if (problems.length > 0) console.log(`  problems (${problems.length}): ${problems.slice(0, 5).join('; ')}`);
}

async function main(): Promise<void> {
  const calls = positive('--calls', 200);
  const turns = positive('--turns', 4);
  const rampSec = positive('--ramp-sec', 4);
  const sttMs = positive('--stt-ms', 150);
  const botMs = positive('--bot-ms', 250);
  const ttsMs = positive('--tts-ms', 100);
  const rtpSec = positive('--rtp-sec', 5);
  const worker = !process.argv.includes('--no-worker');
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (npm run bench:speech does)');
  const providersMs = sttMs + botMs + ttsMs;

  // The machine's own lateness with nothing to do: what a busy machine adds to every figure below.
  const idle = monitorEventLoopDelay({ resolution: 1 });
  idle.enable();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  idle.disable();
  console.log(`bench/speech: ${calls} robot calls at once (placed over ${rampSec} s), ${turns} turns each; providers answer after ${sttMs} (recogniser) + ${botMs} (bot) + ${ttsMs} (speech) ms`);
  console.log(`  RTP packet path: ${worker ? 'on the RTP worker thread' : 'in the event loop (--no-worker)'}`);
  console.log(`  machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; idle event loop late by p99 ${ms(idle.percentile(99) / 1e6)}, max ${ms(idle.max / 1e6)}`);

  const sim = await startSimulatorProcess(['--app', 'callflow']);
  const providers = await startProviders(['--stt-ms', String(sttMs), '--bot-ms', String(botMs), '--tts-ms', String(ttsMs), '--turns', String(turns)]);
  if (process.argv.includes('--pin')) console.log(pinProcesses([sim.child.pid ?? 0, providers.child.pid ?? 0]));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callflow-bench-speech-'));
  const server = http.createServer((req, res) => (nodeRed() as unknown as { httpNode: http.RequestListener }).httpNode(req, res));
  try {
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const publicUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await startEmbeddedNodeRed({
      dir,
      flows: flows(sim.url, providers.url, publicUrl, path.join(dir, 'speech'), turns),
      credentials: { b0000000000000a1: { username: 'asterisk', password: 'asterisk' } },
      logLevel: 'warn',
      settings: { httpNodeRoot: '/', callflowMedia: { portMin: 20000, portMax: 20999, worker } },
    });
    const engine = await connectedEngine();
    if (!process.argv.includes('--skip-robot')) {
      const machine = await startLatenessProbe();
      await robotCalls({ simUrl: sim.url, simPid: sim.child.pid ?? 0, engine, calls, turns, rampSec, providersMs, providersUrl: providers.url, delays: { sttMs, botMs, ttsMs }, server, gc });
      console.log(idleProcess(await machine.stop()));
    }

    if (!process.argv.includes('--skip-rtp')) {
      const machine = await startLatenessProbe();
      const threads0 = threadSecondsOf(process.pid);
      const r0 = performance.now();
      const rtp = await measureSendBack(sim.url, { streams: calls, seconds: rtpSec, rampMs: 1000, settings: { bindHost: '127.0.0.1', advertiseHost: '127.0.0.1', portMin: 21000, portMax: 21999, format: 'ulaw', worker } });
      const jitter = summary(rtp.jitterMs);
      const late = summary(rtp.latenessMs);
      console.log('');
      console.log(`  audio sent back over RTP by lib/media: ${rtp.streams} streams at once, ${rtpSec} s each, ulaw 20 ms packets (Asterisk takes RTP back only with a static payload type)`);
      console.log(`  arrival jitter at the simulator (|gap - 20 ms|): p50 ${ms(jitter.p50)}, p99 ${ms(jitter.p99)}, max ${ms(jitter.max)} (${jitter.n} gaps)  ${jitter.p99 < TARGET_JITTER_P99_MS ? 'PASS' : 'FAIL'} (target p99 < ${TARGET_JITTER_P99_MS} ms)`);
      console.log(`  the pacer's lateness (a packet sent against its time): p50 ${ms(late.p50)}, p99 ${ms(late.p99)}, max ${ms(late.max)}; ${rtp.dropped} packets dropped`);
      const threads = threadSecondsOf(process.pid);
      console.log(`  the sending process's event loop waited for a core ${(threads.main.waited - threads0.main.waited).toFixed(1)} s of the ${((performance.now() - r0) / 1000).toFixed(1)} s; its other threads (the RTP worker's pacers${worker ? '' : ': none here'}, libuv pool, V8 helpers) ran ${(threads.others.ran - threads0.others.ran).toFixed(1)} s and waited ${(threads.others.waited - threads0.others.waited).toFixed(1)} s`);
      console.log(idleProcess(await machine.stop()));
      if (rtp.failures.length > 0) console.log(`  failures (${rtp.failures.length}): ${rtp.failures.slice(0, 5).join('; ')}`);
    }
  } finally {
    await nodeRed().stop().catch(() => undefined);
    server.closeAllConnections();
    server.close();
    sim.child.kill();
    providers.child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

runBench(main);
