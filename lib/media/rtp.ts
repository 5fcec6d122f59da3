/**
 * RTP packets (RFC 3550 section 5.1): the 12-byte fixed header, CSRCs, an optional header extension and padding.
 * What Asterisk's UnicastRTP channel sends and reads (res/res_rtp_asterisk.c): version 2, one SSRC, no CSRC.
 * Anything from the network is hostile: parseRtp never throws and never reads past the buffer.
 */

export interface RtpPacket {
  payloadType: number;
  marker: boolean;
  sequence: number;
  timestamp: number;
  ssrc: number;
  payload: Buffer;
}

export type RtpParse = { ok: true; packet: RtpPacket } | { ok: false; error: string };

const HEADER = 12;

export function parseRtp(data: Buffer): RtpParse {
  if (data.length < HEADER) return { ok: false, error: `${data.length} bytes, shorter than an RTP header` };
  const b0 = data[0] ?? 0;
  const b1 = data[1] ?? 0;
  if (b0 >> 6 !== 2) return { ok: false, error: `RTP version ${b0 >> 6}, not 2` };
  const padding = (b0 & 0x20) !== 0;
  const extension = (b0 & 0x10) !== 0;
  const csrcCount = b0 & 0x0f;
  let offset = HEADER + csrcCount * 4;
  if (extension) {
    if (data.length < offset + 4) return { ok: false, error: 'header extension cut short' };
    offset += 4 + data.readUInt16BE(offset + 2) * 4;
  }
  let end = data.length;
  if (padding) {
    const pad = data[data.length - 1] ?? 0;
    if (pad === 0) return { ok: false, error: 'padding of 0 bytes' };
    end -= pad;
  }
  if (offset > end) return { ok: false, error: 'header longer than the packet' };
  return {
    ok: true,
    packet: {
      payloadType: b1 & 0x7f,
      marker: (b1 & 0x80) !== 0,
      sequence: data.readUInt16BE(2),
      timestamp: data.readUInt32BE(4),
      ssrc: data.readUInt32BE(8),
      payload: data.subarray(offset, end),
    },
  };
}

export function buildRtp(packet: RtpPacket): Buffer {
  const out = Buffer.allocUnsafe(HEADER + packet.payload.length);
  out[0] = 0x80;
  out[1] = (packet.marker ? 0x80 : 0) | (packet.payloadType & 0x7f);
  out.writeUInt16BE(packet.sequence & 0xffff, 2);
  out.writeUInt32BE(packet.timestamp >>> 0, 4);
  out.writeUInt32BE(packet.ssrc >>> 0, 8);
  packet.payload.copy(out, HEADER);
  return out;
}

/** a - b for 16-bit sequence numbers, in -32768..32767 (wrap-around aware, RFC 3550 appendix A.1). */
export function sequenceDelta(a: number, b: number): number {
  return ((((a - b) & 0xffff) + 0x8000) & 0xffff) - 0x8000;
}

/**
 * What an RTP sender keeps: a random SSRC, a random first sequence number and timestamp (RFC 3550 5.1), the sequence
 * going up by one and the timestamp by the samples of each packet.
 */
export class RtpSequence {
  sequence: number;
  timestamp: number;
  readonly ssrc: number;
  private first = true;

  constructor(
    readonly payloadType: number,
    random: () => number = Math.random,
  ) {
    this.sequence = Math.floor(random() * 0x10000) & 0xffff;
    this.timestamp = Math.floor(random() * 0x100000000) >>> 0;
    this.ssrc = Math.floor(random() * 0x100000000) >>> 0;
  }

  /** Nothing was sent for `samples` samples: the timestamp moves on, and the next packet starts a talkspurt (marker). */
  skip(samples: number): void {
    this.timestamp = (this.timestamp + Math.max(0, Math.round(samples))) >>> 0;
    this.first = true;
  }

  /** The next packet for `payload` holding `samples` samples; the first carries the marker bit (a talkspurt). */
  next(payload: Buffer, samples: number): Buffer {
    const packet = buildRtp({ payloadType: this.payloadType, marker: this.first, sequence: this.sequence, timestamp: this.timestamp, ssrc: this.ssrc, payload });
    this.first = false;
    this.sequence = (this.sequence + 1) & 0xffff;
    this.timestamp = (this.timestamp + samples) >>> 0;
    return packet;
  }
}
