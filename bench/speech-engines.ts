/**
 * bench/speech-engines: how much the local speech engines do on this machine, in real time. Prints:
 * - pocketsphinx (lib/speech/pocketsphinx.ts): with 1, 2, 4 and 8 recognitions at once, recognitions per second,
 *   seconds of speech recognised per second (the real-time factor: how many callers speaking without a pause it keeps
 *   up with) and the time from the end of speech to the text (p50, p99), for a menu's phrases (a grammar) and for free
 *   text (the language model);
 * - espeak-ng (lib/speech/espeak.ts, with the resampling to 8 kHz a synthesis pays): the same with 1, 2, 4 and 8
 *   syntheses at once, seconds of audio made per second (how many callers it could speak to without a pause with
 *   text never said before: the cache makes a repeated text free);
 * - what pocketsphinx heard of a few words espeak-ng said, from 16 kHz audio and from 8 kHz audio (a telephone line),
 *   so the figures come with what they are worth.
 * The audio is espeak-ng's voice, made once before the measures. Usage: node dist/bench/speech-engines.js [--count 24]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { EspeakEngine } from '../lib/speech/espeak';
import { POCKETSPHINX_MODEL, PocketsphinxRecogniser } from '../lib/speech/pocketsphinx';
import type { RecognitionRequest } from '../lib/speech/recogniser';
import { resample, type Pcm } from '../lib/speech/wav';
import { flag, ms, summary } from './support';

const count = Number(flag('--count')) || 24;
const AT_ONCE = [1, 2, 4, 8];
const MENU = ['sales', 'technical support', 'billing', 'opening hours', 'speak to someone'];

const seconds = (pcm: Pcm): number => pcm.samples.length / pcm.rate;

async function say(text: string): Promise<Pcm> {
  return resample(await new EspeakEngine().synthesize({ text, voice: 'en-us', language: 'en' }), 16000);
}

/**
 * `n` runs of `task` by `atOnce` callers, each starting its next run when its last one is done (as many runs going on
 * as the engine's slots, none waiting in them): the time of each run is the engine's alone, at that load.
 */
async function timed(n: number, atOnce: number, task: (i: number) => Promise<number>): Promise<{ wall: number; latencies: number[]; audio: number }> {
  const latencies: number[] = [];
  let audio = 0;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: atOnce }, async () => {
      while (next < n) {
        const i = next++;
        const start = performance.now();
        const made = await task(i);
        audio += made;
        latencies.push(performance.now() - start);
      }
    }),
  );
  return { wall: (performance.now() - t0) / 1000, latencies, audio };
}

function line(label: string, n: number, r: { wall: number; latencies: number[]; audio: number }, what: string): string {
  const l = summary(r.latencies);
  return `  ${label}: ${(n / r.wall).toFixed(1)}/s, ${(r.audio / r.wall).toFixed(1)} s of ${what} per s (real time x${(r.audio / r.wall).toFixed(1)}), time to the result p50 ${ms(l.p50)}, p99 ${ms(l.p99)}`;
}

async function recognitions(): Promise<void> {
  const menuSpeech = await say('technical support');
  const freeSpeech = await say('I would like to pay my bill please');
  for (const [name, audio, extra] of [
    ['menu phrases (grammar)', menuSpeech, { phrases: MENU }],
    ['free text (language model)', freeSpeech, {}],
  ] as const) {
    console.log(`pocketsphinx, ${name}: ${seconds(audio).toFixed(2)} s of speech each, ${count} recognitions per row`);
    for (const atOnce of AT_ONCE) {
      const recogniser = new PocketsphinxRecogniser({ concurrency: atOnce, timeoutMs: 120_000 });
      const request: RecognitionRequest = { audio, language: 'en', ...extra };
      const r = await timed(count, atOnce, async () => {
        await recogniser.recognise(request);
        return seconds(audio);
      });
      console.log(line(`${atOnce} at once`, count, r, 'speech'));
    }
  }
}

async function syntheses(): Promise<void> {
  console.log(`espeak-ng (and resampling to 8 kHz), texts never said before, ${count} syntheses per row`);
  for (const atOnce of AT_ONCE) {
    const engine = new EspeakEngine({ concurrency: atOnce });
    const r = await timed(count, atOnce, async (i) => {
      const pcm = resample(await engine.synthesize({ text: `Your appointment number ${i + atOnce * 1000} is tomorrow at ten.`, voice: 'en-us', language: 'en' }), 8000);
      return seconds(pcm);
    });
    console.log(line(`${atOnce} at once`, count, r, 'audio'));
  }
}

/** What pocketsphinx hears of espeak-ng's words, from wide-band (16 kHz) and narrow-band (8 kHz) audio. */
async function heard(): Promise<void> {
  const recogniser = new PocketsphinxRecogniser({ concurrency: 2 });
  const cases: { said: string; request: Omit<RecognitionRequest, 'audio' | 'language'> }[] = [
    ...['yes', 'no'].map((said) => ({ said, request: { phrases: ['yes', 'no'] } })),
    ...['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'].map((said) => ({ said, request: { digits: true } })),
    ...MENU.map((said) => ({ said, request: { phrases: MENU } })),
  ];
  const right = { wide: 0, narrow: 0 };
  const wrong: string[] = [];
  for (const c of cases) {
    const wide = await say(c.said);
    const narrow = resample(resample(wide, 8000), 16000);
    const a = await recogniser.recognise({ audio: wide, language: 'en', ...c.request });
    const b = await recogniser.recognise({ audio: narrow, language: 'en', ...c.request });
    if (a.text === c.said) right.wide += 1;
    if (b.text === c.said) right.narrow += 1;
    else wrong.push(`"${c.said}" -> "${b.text}"`);
  }
  console.log(`what pocketsphinx heard of espeak-ng's voice (grammars: yes/no, one digit, ${MENU.length} menu phrases): ${right.wide} of ${cases.length} right from 16 kHz audio, ${right.narrow} of ${cases.length} from 8 kHz audio`);
  console.log(`  8 kHz misses: ${wrong.join(', ') || 'none'}`);
}

async function main(): Promise<void> {
  const espeak = spawnSync('espeak-ng', ['--version'], { stdio: 'ignore' }).status === 0;
  const pocketsphinx = spawnSync('pocketsphinx_continuous', [], { stdio: 'ignore' }).error === undefined && fs.existsSync(path.join(POCKETSPHINX_MODEL, 'cmudict-en-us.dict'));
  if (!espeak) {
    console.log('speech-engines: espeak-ng is not installed (apt-get install espeak-ng): nothing to measure');
    return;
  }
  console.log(`speech-engines: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const loop = monitorEventLoopDelay({ resolution: 1 });
  // The machine's own lateness, with nothing to do: what a busy machine adds to every figure below.
  loop.enable();
  await new Promise((resolve) => setTimeout(resolve, 2000));
  console.log(`idle 2 s (baseline): event loop late by at most ${ms(loop.max / 1e6)} (p99 ${ms(loop.percentile(99) / 1e6)})`);
  loop.reset();
  await syntheses();
  if (pocketsphinx) {
    await recognitions();
    await heard();
  } else console.log('pocketsphinx is not installed (apt-get install pocketsphinx pocketsphinx-en-us): no recognition figures');
  loop.disable();
  console.log(`event loop held at most ${ms(loop.max / 1e6)} meanwhile (p99 ${ms(loop.percentile(99) / 1e6)}); load average now ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

void main();
