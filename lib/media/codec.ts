/**
 * The audio formats external media carries (ARI's `format`, Asterisk's format names): ulaw (G.711 mu-law, 8 kHz, RTP
 * payload type 0) and slin16 (16-bit signed linear at 16 kHz, payload type 118 in Asterisk's static table, main/
 * rtp_engine.c ast_rtp_engine_init), and plain slin at 8 kHz for analysis. Signed linear travels in network byte order
 * (big-endian): res_rtp_asterisk.c swaps what it reads (ast_frame_byteswap_be in ast_rtp_interpret) and the smoother
 * swaps what it sends. Samples inside this package are Int16Array in host order.
 */
import os from 'node:os';

export type MediaFormat = 'ulaw' | 'slin16';

const LITTLE_ENDIAN = os.endianness() === 'LE';

export interface FormatInfo {
  /** Samples per second. */
  rate: number;
  /** The RTP payload type Asterisk uses for it without SDP. */
  payloadType: number;
  /** Bytes per sample on the wire. */
  bytesPerSample: number;
}

export const FORMATS: Readonly<Record<MediaFormat, FormatInfo>> = {
  ulaw: { rate: 8000, payloadType: 0, bytesPerSample: 1 },
  slin16: { rate: 16000, payloadType: 118, bytesPerSample: 2 },
};

export function isMediaFormat(value: unknown): value is MediaFormat {
  return value === 'ulaw' || value === 'slin16';
}

const BIAS = 0x84;
const CLIP = 32635;

/** G.711 mu-law encoding of one 16-bit sample (ITU-T G.711, the segment/quantisation table in its usual form). */
export function linearToUlaw(sample: number): number {
  let s = sample | 0;
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  if (s > CLIP) s = CLIP;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** G.711 mu-law decoding of one byte. */
export function ulawToLinear(byte: number): number {
  const u = ~byte & 0xff;
  const sign = u & 0x80;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
  return sign ? -magnitude : magnitude;
}

const ULAW_DECODE = Int16Array.from({ length: 256 }, (_, i) => ulawToLinear(i));

export function encodeUlaw(samples: Int16Array): Buffer {
  const out = Buffer.allocUnsafe(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = linearToUlaw(samples[i] ?? 0);
  return out;
}

export function decodeUlaw(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = ULAW_DECODE[bytes[i] ?? 0xff] ?? 0;
  return out;
}

/**
 * Host-order samples to big-endian bytes (L16 on the wire): a copy, byte-swapped at once (Buffer.swap16, native for a
 * 20 ms frame) on a little-endian host, not written a sample at a time (once per packet, on every stream).
 */
export function encodeSlinBE(samples: Int16Array): Buffer {
  const out = Buffer.allocUnsafe(samples.length * 2);
  out.set(new Uint8Array(samples.buffer, samples.byteOffset, samples.length * 2));
  return LITTLE_ENDIAN ? out.swap16() : out;
}

/** Big-endian bytes to host-order samples; an odd last byte is dropped. */
export function decodeSlinBE(bytes: Uint8Array): Int16Array {
  const n = bytes.length >> 1;
  const out = new Int16Array(n);
  const view = Buffer.from(out.buffer, out.byteOffset, n * 2);
  view.set(bytes.subarray(0, n * 2));
  if (LITTLE_ENDIAN) view.swap16();
  return out;
}

export function encode(format: MediaFormat, samples: Int16Array): Buffer {
  return format === 'ulaw' ? encodeUlaw(samples) : encodeSlinBE(samples);
}

export function decode(format: MediaFormat, payload: Uint8Array): Int16Array {
  return format === 'ulaw' ? decodeUlaw(payload) : decodeSlinBE(payload);
}

/** 8 kHz to 16 kHz: each sample, then the mean of it and the next (linear interpolation). */
export function upsample8to16(samples: Int16Array): Int16Array {
  const out = new Int16Array(samples.length * 2);
  for (let i = 0; i < samples.length; i++) {
    const a = samples[i] ?? 0;
    const b = samples[i + 1] ?? a;
    out[2 * i] = a;
    out[2 * i + 1] = (a + b) >> 1;
  }
  return out;
}

/** 16 kHz to 8 kHz: the mean of each pair (a two-tap low-pass before dropping every other sample). */
export function downsample16to8(samples: Int16Array): Int16Array {
  const out = new Int16Array(samples.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = ((samples[2 * i] ?? 0) + (samples[2 * i + 1] ?? 0)) >> 1;
  return out;
}

/** Samples at `from` Hz as samples at `to` Hz (8000 or 16000). */
export function resample(samples: Int16Array, from: number, to: number): Int16Array {
  if (from === to) return samples;
  if (from === 8000 && to === 16000) return upsample8to16(samples);
  if (from === 16000 && to === 8000) return downsample16to8(samples);
  throw new RangeError(`cannot convert ${from} Hz to ${to} Hz (8000 and 16000 only)`);
}
