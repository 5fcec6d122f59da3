/**
 * Audio as the speech engines give it and as Asterisk plays it: 16-bit signed
 * PCM, mono, at a sample rate. A WAV file is read (any PCM rate, 8/16/24/32-bit
 * or float, any number of channels: mixed down to mono) and written (the
 * 44-byte header Asterisk's format_wav reads: PCM, mono, 16 bits), and audio is
 * resampled with a windowed-sinc low-pass filter, so 22 050 Hz speech from
 * espeak-ng or 24 000 Hz from an HTTP provider becomes 8 000 or 16 000 Hz without
 * aliasing.
 *
 * A WAV file from a program writing to a pipe (espeak-ng --stdout) declares
 * sizes it could not know (0x7ffff000 and so on): the data chunk is read up to
 * the end of the buffer.
 */
import os from 'node:os';

const LITTLE_ENDIAN = os.endianness() === 'LE';

/** 16-bit mono PCM at `rate` samples per second. */
export interface Pcm {
  rate: number;
  samples: Int16Array;
}

/** Why a buffer is not audio this module reads. */
export class NotAudioError extends Error {
  override readonly name = 'NotAudioError';
}

/** The sample rates Asterisk's WAV formats play: format_wav.c registers "wav" at 8 kHz and "wav16" at 16 kHz. */
export const ASTERISK_RATES = [8000, 16000] as const;
export type AsteriskRate = (typeof ASTERISK_RATES)[number];

/** Reads a WAV file into mono 16-bit PCM; throws NotAudioError for anything else. */
export function parseWav(body: Buffer): Pcm {
  if (body.length < 12 || body.toString('ascii', 0, 4) !== 'RIFF' || body.toString('ascii', 8, 12) !== 'WAVE') {
    throw new NotAudioError('not a WAV file (no RIFF/WAVE header)');
  }
  let offset = 12;
  let format: { tag: number; channels: number; rate: number; bits: number } | undefined;
  while (offset + 8 <= body.length) {
    const id = body.toString('ascii', offset, offset + 4);
    const size = body.readUInt32LE(offset + 4);
    const start = offset + 8;
    if (id === 'fmt ') {
      if (size < 16 || start + 16 > body.length) throw new NotAudioError('WAV fmt chunk too short');
      let tag = body.readUInt16LE(start);
      const channels = body.readUInt16LE(start + 2);
      const rate = body.readUInt32LE(start + 4);
      const bits = body.readUInt16LE(start + 14);
      // WAVE_FORMAT_EXTENSIBLE: the sub-format's first two bytes are the real tag.
      if (tag === 0xfffe && size >= 26 && start + 26 <= body.length) tag = body.readUInt16LE(start + 24);
      format = { tag, channels, rate, bits };
    } else if (id === 'data') {
      if (!format) throw new NotAudioError('WAV data chunk before its fmt chunk');
      const end = Math.min(body.length, start + size);
      return { rate: format.rate, samples: decode(body.subarray(start, end), format) };
    }
    offset = start + size + (size % 2);
  }
  throw new NotAudioError(format ? 'WAV file without a data chunk' : 'WAV file without a fmt chunk');
}

function decode(data: Buffer, f: { tag: number; channels: number; rate: number; bits: number }): Int16Array {
  const pcm = f.tag === 1;
  const float = f.tag === 3;
  if (!(pcm && [8, 16, 24, 32].includes(f.bits)) && !(float && f.bits === 32)) throw new NotAudioError(`unsupported WAV encoding (format ${f.tag}, ${f.bits} bits)`);
  if (f.channels < 1 || f.channels > 8) throw new NotAudioError(`unsupported WAV channel count ${f.channels}`);
  if (f.rate < 4000 || f.rate > 192000) throw new NotAudioError(`unsupported WAV sample rate ${f.rate}`);
  const width = f.bits / 8;
  const frame = width * f.channels;
  const frames = Math.floor(data.length / frame);
  // 16-bit mono, the common case: the bytes are the samples (copied, so the result owns aligned memory).
  if (pcm && f.bits === 16 && f.channels === 1 && LITTLE_ENDIAN) return new Int16Array(Uint8Array.prototype.slice.call(data, 0, frames * 2).buffer);
  const out = new Int16Array(frames);
  for (let i = 0; i < frames; i += 1) {
    let sum = 0;
    for (let c = 0; c < f.channels; c += 1) {
      const at = i * frame + c * width;
      let v: number;
      if (float) v = Math.max(-1, Math.min(1, data.readFloatLE(at))) * 32767;
      else if (f.bits === 8) v = ((data[at] as number) - 128) * 256;
      else if (f.bits === 16) v = data.readInt16LE(at);
      else if (f.bits === 24) v = data.readIntLE(at, 3) >> 8;
      else v = data.readInt32LE(at) >> 16;
      sum += v;
    }
    out[i] = Math.round(sum / f.channels);
  }
  return out;
}

/** A WAV file of 16-bit mono PCM: the header format_wav.c checks (PCM, mono, 16 bits per sample). */
export function encodeWav(pcm: Pcm): Buffer {
  const dataBytes = pcm.samples.length * 2;
  const b = Buffer.alloc(44 + dataBytes);
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(36 + dataBytes, 4);
  b.write('WAVE', 8, 'ascii');
  b.write('fmt ', 12, 'ascii');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(pcm.rate, 24);
  b.writeUInt32LE(pcm.rate * 2, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36, 'ascii');
  b.writeUInt32LE(dataBytes, 40);
  if (LITTLE_ENDIAN) Buffer.from(pcm.samples.buffer, pcm.samples.byteOffset, dataBytes).copy(b, 44);
  else for (let i = 0; i < pcm.samples.length; i += 1) b.writeInt16LE(pcm.samples[i] as number, 44 + i * 2);
  return b;
}

/** Zero crossings of the sinc on each side of a sample: the filter's length and sharpness. */
const HALF_ZEROS = 12;

interface Filters {
  phases: number;
  step: number;
  taps: { first: number; weights: Float64Array }[];
}

/** The resampling filters from one rate to another, made once per pair of rates. */
const filterCache = new Map<string, Filters>();

function filtersFor(from: number, rate: number): Filters {
  const key = `${from}>${rate}`;
  const known = filterCache.get(key);
  if (known) return known;
  const g = gcd(from, rate);
  const phases = rate / g;
  if (phases > 8192) throw new RangeError(`cannot resample from ${from} to ${rate} Hz`);
  const cutoff = 0.95 * Math.min(1, rate / from);
  const half = Math.ceil(HALF_ZEROS / cutoff);
  const taps: Filters['taps'] = [];
  for (let p = 0; p < phases; p += 1) {
    const centre = (p * from) / rate;
    const first = Math.ceil(centre - half);
    const last = Math.floor(centre + half);
    const weights = new Float64Array(last - first + 1);
    let sum = 0;
    for (let k = first; k <= last; k += 1) {
      const x = k - centre;
      const w = windowedSinc(x * cutoff) * blackman(x / half);
      weights[k - first] = w;
      sum += w;
    }
    for (let i = 0; i < weights.length; i += 1) weights[i] = (weights[i] as number) / sum;
    // One phase (a whole ratio): centred on its output sample, so symmetric; made exactly so for decimateRange (the
    // window's cosines may differ by a last bit on the two sides).
    if (phases === 1) for (let i = 0; i < weights.length >> 1; i += 1) weights[weights.length - 1 - i] = weights[i] as number;
    taps.push({ first, weights });
  }
  const made = { phases, step: from / g, taps };
  if (filterCache.size < 16) filterCache.set(key, made);
  return made;
}

/**
 * Output samples [from, to) of a resampling into `out`. Where the whole filter lies inside the input (all but the
 * ends), four running sums instead of one let the processor overlap the multiplications (10-15% faster;
 * the same samples in every comparison made).
 */
function resampleRange(input: Int16Array, filters: Filters, out: Int16Array, from: number, to: number): void {
  const { phases, step, taps } = filters;
  const only = taps[0] as { first: number; weights: Float64Array };
  // The fold needs the one filter centred on its output sample: an odd length, from -half to half.
  if (phases === 1 && (only.weights.length & 1) === 1 && only.first === -(only.weights.length >> 1)) {
    decimateRange(input, step, only, out, from, to);
    return;
  }
  const length = input.length;
  let phase = from % phases;
  let block = Math.floor(from / phases) * step;
  for (let n = from; n < to; n += 1) {
    const filter = taps[phase] as { first: number; weights: Float64Array };
    const base = block + filter.first;
    const w = filter.weights;
    const taken = w.length;
    let acc = 0;
    if (base >= 0 && base + taken <= length) {
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let i = 0;
      for (; i < taken - 3; i += 4) {
        acc += (input[base + i] as number) * (w[i] as number);
        a1 += (input[base + i + 1] as number) * (w[i + 1] as number);
        a2 += (input[base + i + 2] as number) * (w[i + 2] as number);
        a3 += (input[base + i + 3] as number) * (w[i + 3] as number);
      }
      for (; i < taken; i += 1) acc += (input[base + i] as number) * (w[i] as number);
      acc += a1 + a2 + a3;
    } else {
      const hi = Math.min(taken, length - base);
      for (let i = Math.max(0, -base); i < hi; i += 1) acc += (input[base + i] as number) * (w[i] as number);
    }
    out[n] = acc > 32767 ? 32767 : acc < -32768 ? -32768 : Math.round(acc);
    phase += 1;
    if (phase === phases) {
      phase = 0;
      block += step;
    }
  }
}

/**
 * resampleRange where the input rate is a whole multiple of the output's (24 000 -> 8 000, 16 000 -> 8 000, 48 000 ->
 * 16 000: one phase, `step` input samples per output sample). The one filter is symmetric around its centre (centre 0,
 * taps -half..half), so each pair of input samples the same distance from it is added before the multiplication: half
 * the multiplications (24 000 -> 8 000: 39 instead of 77 per output sample).
 */
function decimateRange(input: Int16Array, step: number, filter: { first: number; weights: Float64Array }, out: Int16Array, from: number, to: number): void {
  const length = input.length;
  const w = filter.weights;
  const taken = w.length;
  const mid = (taken - 1) >> 1;
  for (let n = from; n < to; n += 1) {
    const base = n * step + filter.first;
    let acc = 0;
    if (base >= 0 && base + taken <= length) {
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      const end = base + taken - 1;
      let i = 0;
      for (; i < mid - 3; i += 4) {
        acc += ((input[base + i] as number) + (input[end - i] as number)) * (w[i] as number);
        a1 += ((input[base + i + 1] as number) + (input[end - i - 1] as number)) * (w[i + 1] as number);
        a2 += ((input[base + i + 2] as number) + (input[end - i - 2] as number)) * (w[i + 2] as number);
        a3 += ((input[base + i + 3] as number) + (input[end - i - 3] as number)) * (w[i + 3] as number);
      }
      for (; i < mid; i += 1) acc += ((input[base + i] as number) + (input[end - i] as number)) * (w[i] as number);
      acc += a1 + a2 + a3 + (input[base + mid] as number) * (w[mid] as number);
    } else {
      const hi = Math.min(taken, length - base);
      for (let i = Math.max(0, -base); i < hi; i += 1) acc += (input[base + i] as number) * (w[i] as number);
    }
    out[n] = acc > 32767 ? 32767 : acc < -32768 ? -32768 : Math.round(acc);
  }
}

/**
 * Resamples to `rate`: each output sample is the input convolved with a Blackman-windowed sinc whose cut-off is
 * 0.95 of the lower Nyquist frequency (so going down from 22 050 to 8 000 Hz removes what 8 000 Hz cannot hold
 * instead of folding it back as noise). The filter's taps repeat every rate/gcd output samples (160 phases from
 * 22 050 to 8 000 Hz), so they are computed once per phase. Linear in the input's length.
 */
export function resample(pcm: Pcm, rate: number): Pcm {
  if (pcm.rate === rate) return pcm;
  const out = new Int16Array(Math.floor(pcm.samples.length * (rate / pcm.rate)));
  resampleRange(pcm.samples, filtersFor(pcm.rate, rate), out, 0, out.length);
  return { rate, samples: out };
}

/** Longest a resampleSliced runs before it gives the event loop a turn (ms): a reply of a few seconds in one go. */
export const RESAMPLE_TURN_MS = 3;
/** Output samples computed between two looks at the clock (an eighth of a second at 8 kHz: some 0.1-0.3 ms). */
const RESAMPLE_STEP = 1000;

/**
 * resample() giving the event loop a turn whenever it has worked `turnMs` (RESAMPLE_TURN_MS) without one: a long text
 * (a minute of audio is some 60-300 ms of filtering) does not hold calls, timers and the editor meanwhile, while a
 * reply of a few seconds is done in one turn. A turn costs more than the work when the event loop is busy (each waits
 * for every callback already due), so the slices are measured in time, not in samples. `now` is for tests.
 */
export async function resampleSliced(pcm: Pcm, rate: number, options: { turnMs?: number; now?: () => number } = {}): Promise<Pcm> {
  if (pcm.rate === rate) return pcm;
  const turnMs = options.turnMs ?? RESAMPLE_TURN_MS;
  const now = options.now ?? (() => performance.now());
  const out = new Int16Array(Math.floor(pcm.samples.length * (rate / pcm.rate)));
  const filters = filtersFor(pcm.rate, rate);
  let turnStarted = now();
  for (let at = 0; at < out.length; at += RESAMPLE_STEP) {
    if (at > 0 && now() - turnStarted >= turnMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      turnStarted = now();
    }
    resampleRange(pcm.samples, filters, out, at, Math.min(out.length, at + RESAMPLE_STEP));
  }
  return { rate, samples: out };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function windowedSinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

/** The Blackman window over -1..1 (0 outside). */
function blackman(t: number): number {
  if (t <= -1 || t >= 1) return 0;
  const u = (t + 1) / 2;
  return 0.42 - 0.5 * Math.cos(2 * Math.PI * u) + 0.08 * Math.cos(4 * Math.PI * u);
}

/** Length of PCM audio in milliseconds. */
export function durationMs(pcm: Pcm): number {
  return Math.round((pcm.samples.length / pcm.rate) * 1000);
}
