/**
 * bench/speech-asterisk (issue 19): bench/speech's robot calls against a real Asterisk instead of the simulated one.
 * On a machine of two cores the simulated Asterisk (JavaScript, one event loop) sends 10,000 packets of the callers'
 * audio a second at 200 calls and is late with them (bench/speech prints by how much); a real Asterisk sends each
 * channel's audio from its own thread. Same flow, stand-in providers and caller as bench/speech (speech-robot.ts).
 *
 * What the Asterisk needs: ARI (http.conf, ari.conf: the user in --user, its password in the ARI_PASSWORD
 * environment variable), and an extension that sends a call into the plugin's application with the flow name `robot`:
 *
 *     [to-nodered]
 *     exten => robot,1,Stasis(callflow,robot)
 *
 * (--endpoint Local/robot@to-nodered and --app callflow by default). res_http_media_cache and func_talkdetect, both
 * in a stock build. The callers run in a process of their own (speech-asterisk-callers.ts), as phones would. Each
 * call is placed from ARI as a Local channel in ulaw (--call-format; without a format Asterisk gives a Local channel
 * its best one, slin192, and resamples every frame): its ;1 half, the caller, in an application of the bench's own
 * (callflow-bench-caller); its ;2 half through that extension into the plugin's. The caller plays its speech on ;1
 * (1.2 s of speech-like sound and 0.5 s of silence, a WAV this process serves, which Asterisk's media cache fetches
 * once), which ;2 reads, as a phone's audio.
 *
 * A turn is timed on Asterisk's clock (its events' timestamps, to the millisecond), by Asterisk's own talk detection
 * (TALK_DETECT, func_talkdetect.c: a frame is talk when its mean magnitude is above the DSP's threshold):
 *  - the end of the caller's speech: on ;2 (what the plugin's call hears), ChannelTalkingFinished minus its silence
 *    threshold (300 ms, longer than the speech's pauses between words): the end of the last voiced frame;
 *  - the reply's first audio: on ;1 (what the caller hears), ChannelTalkingStarted: the first voiced frame of the
 *    reply read there (the caller re-arms its detection before each utterance: after a reply nothing more is read,
 *    so its "finished" never comes);
 *  - PlaybackStarted of the reply on ;2 (the bench's application subscribes to ;2), for the stages after the play.
 * If Asterisk runs on another machine, its clock and this one's must agree (NTP) for the stages; the added time
 * itself is on Asterisk's clock alone.
 *
 *   npm run build && ARI_PASSWORD=... node --expose-gc dist/bench/speech-asterisk.js --ari http://127.0.0.1:8088
 *     [--user asterisk] [--endpoint Local/robot@to-nodered] [--app callflow] [--host 127.0.0.1] [--calls 200]
 *     [--turns 4] [--ramp-sec 4] [--stt-ms 150] [--bot-ms 250] [--tts-ms 100] [--no-worker] [--format slin16]
 *     [--asterisk-pid N] [--shared-dir <folder Asterisk reads> [--sound-prefix callflow-tts]] [--pin] [--varied]
 *     [--voice-path stream]
 *
 * `--host`: the address Asterisk reaches this machine at (the replies' URLs, the external media's RTP).
 * `--asterisk-pid`: Asterisk's process on this machine, for its CPU (found by name when there is one).
 * `--shared-dir`: the speech node's shared folder delivery (docs/speech.md): the replies are written where Asterisk
 * reads them as `sound:<prefix>/<id>`, not fetched over HTTP. `--format ulaw`: the external media's format.
 * `--varied`: callers unlike each other, as real ones are: each turn's speech 0.8 to 1.6 s long and its pause before
 * it 0.2 to 0.8 s, drawn per call and turn (the same draws every run); by default every caller says the same 1.2 s after
 * the same 0.3 s, so turns that once came together stay together.
 * `--voice-path stream`: the robot's voice streamed on its media path (bridged with the call), not played by Asterisk
 * from a file (the bot node's Voice path); a reply's first audio is then the first one ;1 hears after the plugin asked
 * its pacer for the first frame, and a reply ends for its caller when the plugin has sent it.
 * `--pin` (Linux): this process on the upper half of the cores, Asterisk, the stand-ins and the callers on the lower
 * half (speech-robot.ts pinProcesses), as Asterisk would run on a machine of its own.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { encodeWav } from '../lib/speech/wav';
import { speechLike } from '../lib/sim/voice';
import { turnStages, type TurnStage } from '../lib/turn-stages';
import type { Engine } from '../nodes/deployed/engine';
import { connectedEngine } from './ivr-plugin';
import { startLatenessProbe, threadSecondsOf } from './machine-lateness';
import { END_SILENCE_MS, PAUSE_MS, RequestLog, SAY_MS, asteriskOptions, asteriskPid, pinProcesses, TARGET_ADDED_P99_MS, flows, idleProcess, positive, printProviderWaits, startProviders } from './speech-robot';
import type { CallLog, CallerOptions, FromCallers, ToCallers } from './speech-asterisk-callers';
import { StageLog, type StagedTurn } from './speech-stages';
import { cpuMsOf, flag, ms, nodeRed, runBench, startEmbeddedNodeRed, summary } from './support';

/** TALK_DETECT's silence threshold: longer than the pauses between the caller's words (70-220 ms, lib/sim/voice). */
const TALK_SILENCE_MS = 300;
/**
 * Silence after the caller's speech, so that ;2's detection hears it end (more than TALK_SILENCE_MS), and on, as a
 * phone sends RTP while its user is silent: the caller stops it before its next words. Without it a Local channel
 * sends nothing once its file ends, and a path bridged with the call (--voice-path stream) would hear the end of
 * speech only from its filling of the missing frames (lib/media/gap-fill.ts), as for a phone with silence suppression.
 */
const TRAILING_SILENCE_MS = 20_000;
/** `--varied`: each turn's speech one of these lengths (ms) and its pause before it in this range, as real callers'. */
const VARIED_SAY_MS = [800, 1000, 1200, 1400, 1600];
const VARIED_PAUSE_MS: [number, number] = [200, 800];
const CALLER_WAV_PATHS = VARIED_SAY_MS.map((_, i) => `/callflow-bench/caller-speech-${i}.wav`);

/**
 * Each utterance's end and the reply that followed: the first reply audio and PlaybackStarted after it (a streamed
 * reply has no playback: `started` is its first audio, `media` empty).
 */
function turnsOf(log: CallLog, streamed: boolean): { turns: StagedTurn[]; problems: string[] } {
  const turns: StagedTurn[] = [];
  const problems: string[] = [];
  for (const end of log.speechEnds) {
    const reply = streamed ? undefined : log.replies.find((r) => r.at >= end);
    const audio = log.audioStarts.find((a) => a >= end);
    if ((!streamed && !reply) || audio === undefined) {
      problems.push(`call ${log.call}: no reply heard after the speech that ended at ${new Date(end).toISOString()}`);
      continue;
    }
    turns.push({ call: log.call, speechEnd: end, started: reply?.at ?? audio, audio, media: reply?.media ?? '' });
  }
  return { turns, problems };
}

/**
 * A streamed reply's stages, from the plugin's turn stages keyed by its call (lib/turn-stages.ts): the speech
 * request's own stages are keyed by the reply's cache id, which a streamed reply does not name, so the speech request
 * and the reply's samples made are one stage here (F-H).
 */
function printStreamStages(stages: StageLog, turns: StagedTurn[], o: { endSilenceMs: number; sttMs: number; botMs: number; ttsMs: number }): void {
  const rows: [string, number[]][] = [
    ['A  end of speech -> the end decided in the event loop, minus the end silence', []],
    ['B  decided -> recogniser request sent', []],
    ["C  recogniser request, minus the stand-in's delay", []],
    ['D  recogniser answered -> bot request sent', []],
    ["E  bot request, minus the stand-in's delay", []],
    ["F-H bot answered -> the reply's samples made (speech request minus the stand-in's delay, resample, encode)", []],
    ['I  samples -> the listening that follows it open', []],
    ['K  listening open -> the first frame asked of the pacer', []],
    ['L  first frame asked -> first audio at the caller (pacer, RTP, Asterisk\'s bridge, the Local channel)', []],
    ["   sum: added time (end of speech -> audio, minus providers and end silence)", []],
  ];
  let complete = 0;
  for (const t of turns) {
    const decided = stages.at(t.call, 'decided', t.speechEnd);
    const sttSent = decided === undefined ? undefined : stages.at(t.call, 'stt-sent', decided);
    const sttAnswered = sttSent === undefined ? undefined : stages.at(t.call, 'stt-answered', sttSent);
    const botSent = sttAnswered === undefined ? undefined : stages.at(t.call, 'bot-sent', sttAnswered);
    const botAnswered = botSent === undefined ? undefined : stages.at(t.call, 'bot-answered', botSent);
    const made = botAnswered === undefined ? undefined : stages.at(t.call, 'media-ready', botAnswered);
    const open = made === undefined ? undefined : stages.at(t.call, 'listening-ready', made);
    const play = open === undefined ? undefined : stages.at(t.call, 'play-asked', open);
    if (decided === undefined || sttSent === undefined || sttAnswered === undefined || botSent === undefined || botAnswered === undefined || made === undefined || open === undefined || play === undefined || play > t.audio) continue;
    complete += 1;
    const values = [
      decided - t.speechEnd - o.endSilenceMs,
      sttSent - decided,
      sttAnswered - sttSent - o.sttMs,
      botSent - sttAnswered,
      botAnswered - botSent - o.botMs,
      made - botAnswered - o.ttsMs,
      open - made,
      play - open,
      t.audio - play,
      t.audio - t.speechEnd - o.endSilenceMs - o.sttMs - o.botMs - o.ttsMs,
    ];
    values.forEach((v, n) => rows[n]?.[1].push(v));
  }
  console.log(`  stages of a streamed reply (lib/turn-stages.ts; ${complete} of ${turns.length} turns with every stage), p50 / p99 / max:`);
  for (const [label, v] of rows) {
    const s = summary(v);
    console.log(`    ${label}: ${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.max)}`);
  }
}

/** The callers' process (speech-asterisk-callers.ts), started and connected to ARI. */
async function startCallers(options: CallerOptions): Promise<{ child: ChildProcess; done: Promise<CallLog[]> }> {
  const child = fork(path.join(__dirname, 'speech-asterisk-callers.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let ready: () => void = () => undefined;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  const done = new Promise<CallLog[]>((resolve, reject) => {
    child.on('message', (m: FromCallers) => (m.type === 'ready' ? ready() : resolve(m.logs)));
    child.once('exit', (code) => reject(new Error(`the callers' process exited (${code})`)));
  });
  child.send({ type: 'start', options } satisfies ToCallers);
  await Promise.race([isReady, done]);
  return { child, done };
}

/**
 * Tells the callers when the plugin opens a call's listening (lib/media/listen.ts's 'path-open' turn stage) and when it
 * has sent a streamed reply ('voice-sent').
 */
function forwardPathOpenings(child: ChildProcess): () => void {
  const listener = (message: unknown): void => {
    const s = message as TurnStage;
    if (s.stage === 'path-open') child.send({ type: 'path-open', call: s.key } satisfies ToCallers);
    else if (s.stage === 'voice-sent') child.send({ type: 'reply-sent', call: s.key } satisfies ToCallers);
  };
  turnStages.subscribe(listener);
  return () => turnStages.unsubscribe(listener);
}

async function robotCalls(o: { callers: CallerOptions; engine: Engine; server: http.Server; providersUrl: string; providersPid: number; pin: boolean; delays: { sttMs: number; botMs: number; ttsMs: number }; astPid: number; gc: () => void }): Promise<void> {
  const { calls, turns } = o.callers;
  const { delays } = o;
  const providersMs = delays.sttMs + delays.botMs + delays.ttsMs;
  const callers = await startCallers(o.callers);
  if (o.pin) console.log(pinProcesses([o.astPid, o.providersPid, callers.child.pid ?? 0].filter((pid) => pid > 0), 'Asterisk (when on this machine), the stand-in providers and the callers'));
  const stopForwarding = forwardPathOpenings(callers.child);
  o.gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const ast0 = o.astPid ? cpuMsOf(o.astPid) : 0;
  const threads0 = threadSecondsOf(process.pid);
  const requests = new RequestLog();
  requests.start();
  const stages = new StageLog(o.server);
  stages.start();
  let most = 0;
  const sampler = setInterval(() => (most = Math.max(most, o.engine.callCount)), 100);
  const t0 = performance.now();
  callers.child.send({ type: 'go' } satisfies ToCallers);
  const logs = await callers.done.finally(() => {
    // Asterisk goes on after the bench: back on every core.
    if (o.pin && o.astPid > 0) execFileSync('taskset', ['-a', '-p', '-c', `0-${os.cpus().length - 1}`, String(o.astPid)], { stdio: 'ignore' });
  });
  const wall = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  stopForwarding();
  stages.stop();
  requests.stop();
  loop.disable();
  const cpu = process.cpuUsage(cpu0);
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  const astSec = o.astPid ? (cpuMsOf(o.astPid) - ast0) / 1000 : Number.NaN;
  const threads = threadSecondsOf(process.pid);
  const heapAfter = process.memoryUsage().heapUsed;

  const all: StagedTurn[] = [];
  const problems: string[] = [];
  for (const log of logs) {
    const t = turnsOf(log, o.callers.voicePath === 'stream');
    all.push(...t.turns);
    problems.push(...log.problems, ...t.problems);
  }
  const total = summary(all.map((t) => t.audio - t.speechEnd));
  const added = summary(all.map((t) => t.audio - t.speechEnd - providersMs - END_SILENCE_MS));
  console.log('');
  console.log(`  turns measured: ${all.length} of ${calls * turns}`);
  console.log(`  end of the caller's speech -> first audio of the reply (Asterisk's talk detection on both halves): p50 ${ms(total.p50)}, p99 ${ms(total.p99)}, max ${ms(total.max)}`);
  console.log(`  minus the providers' ${providersMs} ms and the ${END_SILENCE_MS} ms end-of-speech silence: p50 ${ms(added.p50)}, p99 ${ms(added.p99)}, max ${ms(added.max)}  ${added.p99 < TARGET_ADDED_P99_MS ? 'PASS' : 'FAIL'} (target p99 < ${TARGET_ADDED_P99_MS} ms)`);
  await printProviderWaits(requests, o.providersUrl);
  if (o.callers.voicePath === 'stream') printStreamStages(stages, all, { endSilenceMs: END_SILENCE_MS, ...delays });
  else stages.print(all, { endSilenceMs: END_SILENCE_MS, ...delays, peer: 'Asterisk' });
  console.log(`  calls in progress: at most ${most}; wall ${wall.toFixed(1)} s`);
  console.log(`  CPU (this process: Node-RED and the plugin): ${cpuSec.toFixed(2)} s, ${((cpuSec * 1000) / calls).toFixed(1)} ms per call (${((cpuSec / wall) * 100).toFixed(0)}% of a core over the run); Asterisk: ${Number.isNaN(astSec) ? 'not on this machine' : `${astSec.toFixed(2)} s (${((astSec / wall) * 100).toFixed(0)}% of a core)`}`);
  console.log(`  threads of this process: the event loop ran ${(threads.main.ran - threads0.main.ran).toFixed(1)} s and waited for a core ${(threads.main.waited - threads0.main.waited).toFixed(1)} s; the others (RTP worker, libuv pool, V8 helpers) ran ${(threads.others.ran - threads0.others.ran).toFixed(1)} s and waited ${(threads.others.waited - threads0.others.waited).toFixed(1)} s`);
  console.log(`  heap after the calls: ${((heapAfter - heapBefore) / 1048576).toFixed(1)} MB more than before them (no collection forced)`);
  console.log(`  event loop delay during the calls: p50 ${ms(loop.percentile(50) / 1e6)}, p99 ${ms(loop.percentile(99) / 1e6)}, max ${ms(loop.max / 1e6)}`);
  if (problems.length > 0) console.log(`  problems (${problems.length}): ${problems.slice(0, 5).join('; ')}`);
}

async function main(): Promise<void> {
  const { ariUrl, user, password, endpoint, app, host, format, callFormat, worker, voicePath } = asteriskOptions();
  const calls = positive('--calls', 200);
  const turns = positive('--turns', 4);
  const rampSec = positive('--ramp-sec', 4);
  const delays = { sttMs: positive('--stt-ms', 150), botMs: positive('--bot-ms', 250), ttsMs: positive('--tts-ms', 100) };
  const sharedDir = flag('--shared-dir');
  const shared = sharedDir ? { dir: sharedDir, soundPrefix: flag('--sound-prefix') ?? 'callflow-tts' } : undefined;
  const varied = process.argv.includes('--varied');
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  const auth = Buffer.from(`${user}:${password}`).toString('base64');

  const answer = await fetch(`${ariUrl}/ari/asterisk/info`, { headers: { authorization: `Basic ${auth}` } });
  if (!answer.ok) throw new Error(`GET /ari/asterisk/info: ${answer.status} (is ARI enabled, and the user and ARI_PASSWORD right?)`);
  const info = (await answer.json()) as { system?: { version?: string } };
  const astPid = asteriskPid();
  console.log(`bench/speech-asterisk: ${calls} robot calls at once (placed over ${rampSec} s) on Asterisk ${info.system?.version ?? '?'} at ${ariUrl}, ${turns} turns each; providers answer after ${delays.sttMs} + ${delays.botMs} + ${delays.ttsMs} ms`);
  console.log(`  calls: ${endpoint} in ${callFormat} (its ;2 into Stasis(${app}, robot)); replies ${voicePath === 'stream' ? 'streamed on the media path (--voice-path stream)' : shared ? `written to ${shared.dir} (sound:${shared.soundPrefix}/...)` : 'fetched over HTTP'}; media ${format} over RTP, packet path ${worker ? 'on the RTP worker thread' : 'in the event loop (--no-worker)'}; Asterisk's process ${astPid || 'not found here'}`);
  console.log(`  callers: ${varied ? `varied (--varied): each turn's speech ${VARIED_SAY_MS.join(', ')} ms long and its pause ${VARIED_PAUSE_MS.join('-')} ms, drawn per call and turn` : `identical: ${SAY_MS} ms of speech after a ${PAUSE_MS} ms pause each turn`}`);
  console.log(`  machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  const providers = await startProviders(['--stt-ms', String(delays.sttMs), '--bot-ms', String(delays.botMs), '--tts-ms', String(delays.ttsMs), '--turns', String(turns)]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callflow-bench-speech-asterisk-'));
  // The callers' speech, each ending in silence (so that ;2's talk detection hears the end), fetched once by Asterisk.
  const speechMs = varied ? VARIED_SAY_MS : [SAY_MS];
  const callerWavs = speechMs.map((sayMs, i) => {
    const speech = new Int16Array(((sayMs + TRAILING_SILENCE_MS) * 8000) / 1000);
    speech.set(speechLike(sayMs, 7 + i));
    return encodeWav({ rate: 8000, samples: speech });
  });
  const server = http.createServer((req, res) => {
    const wav = callerWavs[CALLER_WAV_PATHS.indexOf(req.url ?? '')];
    if (wav) {
      res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': wav.length, 'cache-control': 'max-age=86400' }).end(wav);
      return;
    }
    (nodeRed() as unknown as { httpNode: http.RequestListener }).httpNode(req, res);
  });
  try {
    server.listen(0, host);
    await new Promise((resolve) => server.once('listening', resolve));
    const publicUrl = `http://${host}:${(server.address() as AddressInfo).port}`;
    await startEmbeddedNodeRed({
      dir,
      flows: flows(ariUrl, providers.url, publicUrl, path.join(dir, 'speech'), turns, { name: 'Asterisk', app, shared, voicePath }),
      credentials: { b0000000000000a1: { username: user, password } },
      logLevel: 'warn',
      settings: { httpNodeRoot: '/', callflowMedia: { bindHost: host, advertiseHost: host, portMin: 20000, portMax: 20999, format, worker } },
    });
    const engine = await connectedEngine();
    // A synthesised reply's media: served by the speech route, or (shared) a sound under the folder's prefix.
    const replyPrefix = shared ? `sound:${shared.soundPrefix}/` : `sound:${publicUrl}/callflow/speech/`;
    const speechUrls = callerWavs.map((_, i) => `${publicUrl}${CALLER_WAV_PATHS[i] ?? ''}`);
    const pauseMs: [number, number] = varied ? VARIED_PAUSE_MS : [PAUSE_MS, PAUSE_MS];
    const callers: CallerOptions = { ariUrl, user, calls, turns, rampSec, endpoint, callFormat, speechUrls, replyPrefix, talkSilenceMs: TALK_SILENCE_MS, pauseMs, voicePath };
    const machine = await startLatenessProbe();
    await robotCalls({ callers, engine, server, providersUrl: providers.url, providersPid: providers.child.pid ?? 0, pin: process.argv.includes('--pin'), delays, astPid, gc });
    console.log(idleProcess(await machine.stop()));
  } finally {
    await nodeRed().stop().catch(() => undefined);
    server.closeAllConnections();
    server.close();
    providers.child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

runBench(main);
