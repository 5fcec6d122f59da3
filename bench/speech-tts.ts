/**
 * bench/speech-tts: what the local speech engine (espeak-ng, lib/speech) does on this machine. Prints:
 * - latency of one short sentence, not cached (espeak-ng, resampling to 8 kHz, the WAV written): p50, p99;
 * - syntheses per second sustained with 1, 2 and 4 at once, and seconds of audio made per second (real-time factor);
 * - the cost of a cache hit (the same text again), in microseconds;
 * - the longest the event loop was held during the syntheses (espeak-ng runs in its own process; its output is
 *   parsed and resampled on Node's thread, the resampling in slices), and the resampler's cost per second of audio.
 * Usage: node dist/bench/speech-tts.js [--count 60]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { AudioCache } from '../lib/speech/cache';
import { EspeakEngine } from '../lib/speech/espeak';
import { Synthesiser } from '../lib/speech/synthesiser';
import { resample, type Pcm } from '../lib/speech/wav';
import { ms, summary } from './support';

const count = Number(process.argv[process.argv.indexOf('--count') + 1] || 60) || 60;
const SENTENCE = 'Your appointment is tomorrow at ten.';

async function main(): Promise<void> {
  if (spawnSync('espeak-ng', ['--version'], { stdio: 'ignore' }).status !== 0) {
    console.log('speech-tts: espeak-ng is not installed (apt-get install espeak-ng): nothing to measure');
    return;
  }
  console.log(`speech-tts: espeak-ng ${spawnSync('espeak-ng', ['--version']).stdout.toString().split(/\s+/)[3] ?? '?'}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), node ${process.version}`);
  const loop = monitorEventLoopDelay({ resolution: 1 });
  // The machine's own lateness, with nothing to do: what a busy machine adds to every figure below.
  loop.enable();
  await new Promise((resolve) => setTimeout(resolve, 2000));
  console.log(`  idle 2 s (baseline): event loop late by at most ${ms(loop.max / 1e6)} (p99 ${ms(loop.percentile(99) / 1e6)}), load average ${os.loadavg()[0]?.toFixed(2) ?? '?'}`);
  const dirs: string[] = [];
  const synthesiser = (concurrency: number): Synthesiser => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callflow-bench-tts-'));
    dirs.push(dir);
    return new Synthesiser({ provider: new EspeakEngine({ concurrency }), cache: new AudioCache(dir, 1024 * 1024 * 1024), rate: 8000, delivery: { kind: 'http', urlPrefix: 'http://127.0.0.1:1880/callflow/speech/' }, voice: '', language: 'en' });
  };
  try {
    // Latency of a short sentence, not cached: each text differs by a number.
    const one = synthesiser(1);
    await one.media(`${SENTENCE} Warm up.`);
    loop.reset();
    const latencies: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const t0 = performance.now();
      await one.media(`${SENTENCE} Number ${i}.`);
      latencies.push(performance.now() - t0);
    }
    const l = summary(latencies);
    console.log(`  short sentence, not cached (${l.n} in a row): p50 ${ms(l.p50)}, p99 ${ms(l.p99)}, max ${ms(l.max)}`);

    // Throughput with several at once.
    for (const at of [1, 2, 4]) {
      const s = synthesiser(at);
      const texts = Array.from({ length: count }, (_, i) => `${SENTENCE} Caller ${i} of run ${at}.`);
      const t0 = performance.now();
      const made = await Promise.all(texts.map((t) => s.audio(t)));
      const seconds = (performance.now() - t0) / 1000;
      const audio = made.reduce((sum, a) => sum + (a.bytes - 44) / 16000, 0);
      console.log(`  ${at} at once: ${(count / seconds).toFixed(1)} syntheses/s, ${(audio / seconds).toFixed(1)} s of audio per s (${count} texts, ${(audio / count).toFixed(2)} s each)`);
    }

    // Held during the syntheses above (espeak-ng's output parsed, resampled in slices, written).
    console.log(`  event loop held at most ${ms(loop.max / 1e6)} during the syntheses (p99 ${ms(loop.percentile(99) / 1e6)})`);
    loop.disable();
    // Cache hits.
    const hits = 20000;
    const t0 = performance.now();
    for (let i = 0; i < hits; i += 1) await one.media(`${SENTENCE} Number 1.`);
    console.log(`  cache hit: ${(((performance.now() - t0) / hits) * 1000).toFixed(1)} µs (${hits} in a row)`);

    // The resampler alone, in one piece (resample(); syntheses use resampleSliced): 10 s of 22 050 Hz audio.
    const input: Pcm = { rate: 22050, samples: new Int16Array(220500).map((_, i) => Math.round(8000 * Math.sin(i / 7))) };
    for (const rate of [8000, 16000]) {
      const r0 = performance.now();
      for (let i = 0; i < 5; i += 1) resample(input, rate);
      console.log(`  resampling 22 050 -> ${rate} Hz: ${ms((performance.now() - r0) / 5 / 10)} per second of audio`);
    }
  } finally {
    loop.disable();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }
}

void main();
