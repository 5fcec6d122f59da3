/**
 * bench/speech-vosk: the wait after the end of a caller's speech for Vosk's text, with the speech streamed while the
 * caller speaks (VoskRecogniser.stream, what hear() does) against the whole utterance sent once it has ended
 * (VoskRecogniser.recognise, what it did before), and what streaming costs this process.
 *
 * The server is a stand-in that models vosk-server's asr_server.py (no Vosk model is installed here): one connection's
 * messages are decoded one after another, each audio message taking `rtf` times its audio's length (a real-time
 * factor: 0.1 is a fast model on a free core, 0.5 a big model or a busy server), the eof the final decode (`--final`
 * ms); it answers a partial per message and a result at the eof. It runs on a worker thread, so the main thread's
 * event-loop utilisation is the client's own cost (lib/speech: cutting, sending, reading the answers). Its cores are
 * unlimited (each connection decodes as if on its own core), so the figures show the protocol, not a server's capacity.
 *
 * Each of `--callers` callers (started within the first second) says `--utterances` utterances of `--speech` seconds
 * followed by the 800 ms end silence, in 20 ms frames pushed in real time; the wait is from the end of the speech's
 * decision (the last frame) to the text. Usage: node dist/bench/speech-vosk.js [--callers 1,50,200] [--rtf 0.1,0.5]
 * [--speech 3] [--utterances 2] [--final 30]
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { WebSocketServer } from 'ws';
import { VOSK_EOF, VoskRecogniser } from '../lib/speech/vosk';
import { flag, ms, summary } from './support';

const RATE = 16000;
const FRAME_MS = 20;
const END_SILENCE_MS = 800;
const PRE_ROLL_MS = 200;

interface ServerOptions {
  rtf: number;
  finalMs: number;
}

/** The stand-in server (worker thread): posts its port. */
async function serve(options: ServerOptions): Promise<void> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  server.on('connection', (socket) => {
    let chain = Promise.resolve();
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      chain = chain.then(async () => {
        const text = isBinary ? undefined : data.toString('utf8');
        if (text?.includes('config')) return;
        const decodeMs = text === VOSK_EOF ? options.finalMs : ((data.length / 2 / RATE) * 1000 * options.rtf);
        await new Promise((resolve) => setTimeout(resolve, decodeMs));
        if (socket.readyState !== socket.OPEN) return;
        if (text === VOSK_EOF) {
          socket.send(JSON.stringify({ result: [{ word: 'sales', conf: 0.9 }], text: 'sales' }));
          socket.close(1000);
        } else socket.send('{"partial":"sales"}');
      });
    });
  });
  await once(server, 'listening');
  parentPort?.postMessage((server.address() as AddressInfo).port);
}

const tone = (samples: number): Int16Array => new Int16Array(samples).map((_, i) => Math.round(6000 * Math.sin(i / 5)));
/** One 20 ms frame, made once (a media path hands frames over; making them is not the client's cost). */
const FRAME = tone((RATE * FRAME_MS) / 1000);
const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** One caller's utterance, its frames pushed in real time; returns the wait after the end of speech. */
async function utterance(recogniser: VoskRecogniser, speechMs: number, streamed: boolean): Promise<number> {
  const frames = Math.round((PRE_ROLL_MS + speechMs + END_SILENCE_MS) / FRAME_MS);
  const stream = streamed ? recogniser.stream({ language: 'en', rate: RATE }) : undefined;
  const start = performance.now();
  for (let i = 0; i < frames; i++) {
    stream?.push(FRAME);
    await wait(start + (i + 1) * FRAME_MS - performance.now());
  }
  const ended = performance.now();
  if (stream) await stream.end();
  else await recogniser.recognise({ audio: { rate: RATE, samples: tone(((PRE_ROLL_MS + speechMs) * RATE) / 1000) }, language: 'en' });
  return performance.now() - ended;
}

async function run(port: number, callers: number, utterances: number, speechMs: number, streamed: boolean): Promise<{ waits: number[]; elu: number; failures: number }> {
  // At once as large as the callers: the whole-utterance figure is the decode, not a queue for a slot.
  const recogniser = new VoskRecogniser({ url: `ws://127.0.0.1:${port}`, apiKey: '', timeoutMs: 60_000, maxAudioMs: 120_000, concurrency: Math.min(64, callers) });
  const waits: number[] = [];
  let failures = 0;
  const elu0 = performance.eventLoopUtilization();
  await Promise.all(
    Array.from({ length: callers }, async (_, c) => {
      await wait((c * 1000) / callers);
      for (let u = 0; u < utterances; u++) {
        try {
          waits.push(await utterance(recogniser, speechMs, streamed));
        } catch (err) {
          failures += 1;
          console.error(`  caller ${c}: ${(err as Error).message}`);
        }
      }
    }),
  );
  return { waits, elu: performance.eventLoopUtilization(elu0).utilization, failures };
}

async function main(): Promise<void> {
  const callerCounts = (flag('--callers') ?? '1,50,200').split(',').map(Number);
  const rtfs = (flag('--rtf') ?? '0.1,0.5').split(',').map(Number);
  const speechMs = (Number(flag('--speech')) || 3) * 1000;
  const utterances = Number(flag('--utterances')) || 2;
  const finalMs = Number(flag('--final')) || 30;
  console.log(`bench/speech-vosk: ${speechMs / 1000} s utterances, ${utterances} per caller, final decode ${finalMs} ms; stand-in server on a worker thread`);
  console.log('rtf   callers  mode      wait after speech p50 / p99 / max       main-thread ELU  failures');
  for (const rtf of rtfs) {
    const worker = new Worker(__filename, { workerData: { rtf, finalMs } satisfies ServerOptions });
    const [port] = (await once(worker, 'message')) as [number];
    for (const callers of callerCounts) {
      for (const streamed of [true, false]) {
        const r = await run(port, callers, utterances, speechMs, streamed);
        const s = summary(r.waits);
        console.log(`${rtf.toFixed(2)}  ${String(callers).padStart(7)}  ${(streamed ? 'streamed' : 'whole').padEnd(8)}  ${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.max)}`.padEnd(72) + `${(r.elu * 100).toFixed(1)}%`.padStart(6) + `  ${r.failures}`);
      }
    }
    await worker.terminate();
  }
}

if (isMainThread) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
} else void serve(workerData as ServerOptions);
