/**
 * What simulated parties sound like on external media (the simulator's own audio, not Asterisk's): speech-like audio
 * (voiced words of 150-450 ms with pitch and vowel-like harmonics, and the short gaps between words), an answering
 * machine's greeting followed by its beep, background noise, and WAV files a script names. All at 8 kHz, 16-bit,
 * deterministic for a given seed so tests and bench/amd repeat exactly. There is no text to speech here (that is
 * lib/speech's); `say` makes audio of a given length, or plays a WAV file.
 */
import { readFileSync } from 'node:fs';
import { decodeUlaw, downsample16to8 } from '../media/codec';
import { seededRandom } from '../seeded-random';

export const VOICE_RATE = 8000;

/** A seed from a text (a channel id). */
export function seedOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** One voiced word: a pitch with a little glide, five harmonics shaped like a vowel, a smooth rise and fall. */
function word(out: Int16Array, start: number, length: number, random: () => number, level: number): void {
  const f0 = 95 + random() * 130;
  const glide = (random() - 0.5) * 40;
  const formant = 500 + random() * 900;
  let phase = 0;
  for (let i = 0; i < length && start + i < out.length; i++) {
    const t = i / length;
    const f = f0 + glide * t;
    phase += (2 * Math.PI * f) / VOICE_RATE;
    // sin(h x) for h = 1..5 from sin x and cos x (sin((h+1)x) = 2 cos x sin(hx) - sin((h-1)x)): two calls, not five.
    const twoCos = 2 * Math.cos(phase);
    let previous = 0;
    let current = Math.sin(phase);
    let s = 0;
    for (let h = 1; h <= 5; h++) {
      const weight = 1 / (1 + Math.abs(h * f - formant) / 300);
      s += weight * current;
      const next = twoCos * current - previous;
      previous = current;
      current = next;
    }
    const envelope = Math.sin(Math.PI * t) ** 0.6;
    out[start + i] = clamp(s * envelope * level * 0.55 + (random() - 0.5) * level * 0.05);
  }
}

function clamp(x: number): number {
  return Math.max(-32768, Math.min(32767, Math.round(x)));
}

/**
 * Speech-like audio of `ms` milliseconds: words of 150-450 ms, each followed by a gap of 70-220 ms (longer than AMD's
 * default between-words silence, 50 ms, so words count as words), ending in voice. `level` is the words' peak.
 */
export function speechLike(ms: number, seed: number, level = 9000): Int16Array {
  const total = Math.max(0, Math.round((ms * VOICE_RATE) / 1000));
  const out = new Int16Array(total);
  const random = seededRandom(seed);
  let at = 0;
  while (at < total) {
    const len = Math.round(((150 + random() * 300) * VOICE_RATE) / 1000);
    word(out, at, Math.min(len, total - at), random, level * (0.7 + random() * 0.3));
    at += len;
    at += Math.round(((70 + random() * 150) * VOICE_RATE) / 1000);
  }
  return out;
}

/** A pure tone (an answering machine's beep). */
export function tone(ms: number, hz: number, level = 8000): Int16Array {
  const out = new Int16Array(Math.round((ms * VOICE_RATE) / 1000));
  for (let i = 0; i < out.length; i++) out[i] = clamp(level * Math.sin((2 * Math.PI * hz * i) / VOICE_RATE));
  return out;
}

/** White noise whose mean absolute level is about `level`. */
export function noise(ms: number, seed: number, level = 400): Int16Array {
  const random = seededRandom(seed);
  const out = new Int16Array(Math.round((ms * VOICE_RATE) / 1000));
  // Uniform in [-2L, 2L] has a mean absolute value of L.
  for (let i = 0; i < out.length; i++) out[i] = clamp((random() * 2 - 1) * 2 * level);
  return out;
}

/** Joins pieces of audio. */
export function concat(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * An answering machine: `greetingSec` seconds of speech-like greeting, a short pause, and (with `beep`) a beep of
 * `beepMs` at `beepHz` (the simulator's choice: 1000 Hz, 500 ms; machines differ).
 */
export function machineAnswer(greetingSec: number, seed: number, beep: boolean, beepHz = 1000, beepMs = 500): Int16Array {
  const greeting = speechLike(greetingSec * 1000, seed);
  return beep ? concat(greeting, new Int16Array(VOICE_RATE * 0.3), tone(beepMs, beepHz)) : greeting;
}

/**
 * A WAV file as 8 kHz 16-bit samples: RIFF/WAVE with PCM 16-bit (format 1) or mu-law (format 7), mono, at 8 or
 * 16 kHz (16 kHz is halved). Anything else is refused with what it is; the file is a script's, so treated as hostile.
 */
export function readWav(path: string, maxBytes = 20 * 1024 * 1024): Int16Array {
  const data = readFileSync(path);
  if (data.length > maxBytes) throw new Error(`${path}: ${data.length} bytes, more than ${maxBytes}`);
  if (data.length < 12 || data.toString('latin1', 0, 4) !== 'RIFF' || data.toString('latin1', 8, 12) !== 'WAVE') throw new Error(`${path} is not a RIFF/WAVE file`);
  let at = 12;
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined;
  while (at + 8 <= data.length) {
    const id = data.toString('latin1', at, at + 4);
    const size = data.readUInt32LE(at + 4);
    const body = at + 8;
    if (body + size > data.length && id !== 'data') throw new Error(`${path}: chunk "${id}" runs past the end`);
    if (id === 'fmt ' && size >= 16) {
      fmt = { format: data.readUInt16LE(body), channels: data.readUInt16LE(body + 2), rate: data.readUInt32LE(body + 4), bits: data.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      if (!fmt) throw new Error(`${path}: data before fmt`);
      const bytes = data.subarray(body, Math.min(body + size, data.length));
      return wavSamples(path, fmt, bytes);
    }
    at = body + size + (size & 1);
  }
  throw new Error(`${path}: no data chunk`);
}

function wavSamples(path: string, fmt: { format: number; channels: number; rate: number; bits: number }, bytes: Buffer): Int16Array {
  if (fmt.channels !== 1) throw new Error(`${path}: ${fmt.channels} channels, mono only`);
  if (fmt.rate !== 8000 && fmt.rate !== 16000) throw new Error(`${path}: ${fmt.rate} Hz, 8000 or 16000 only`);
  let samples: Int16Array;
  if (fmt.format === 1 && fmt.bits === 16) {
    samples = new Int16Array(bytes.length >> 1);
    for (let i = 0; i < samples.length; i++) samples[i] = bytes.readInt16LE(i * 2);
  } else if (fmt.format === 7 && fmt.bits === 8) {
    samples = decodeUlaw(bytes);
  } else {
    throw new Error(`${path}: format ${fmt.format} with ${fmt.bits} bits, PCM 16-bit or mu-law only`);
  }
  return fmt.rate === 16000 ? downsample16to8(samples) : samples;
}
