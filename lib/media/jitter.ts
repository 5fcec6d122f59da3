/**
 * A small jitter buffer: RTP packets in, the same packets out in sequence order. It holds up to `depth` packets
 * (`depth` x 20 ms of delay) so a packet overtaken by the next one on the network still goes out in its place; a
 * packet that comes after its turn (its sequence already released) or twice is dropped and counted, and a gap left
 * when the buffer has to release is counted as lost. Sequence numbers wrap at 65536 (rtp.ts sequenceDelta).
 */
import { sequenceDelta, type RtpPacket } from './rtp';

export interface JitterStats {
  /** Packets released in order. */
  released: number;
  /** Packets that came after their turn. */
  late: number;
  duplicates: number;
  /** Sequence numbers never seen when their turn came. */
  lost: number;
}

export class JitterBuffer {
  private readonly held: RtpPacket[] = [];
  /** The sequence number of the last packet released (undefined before the first). */
  private last: number | undefined;
  readonly stats: JitterStats = { released: 0, late: 0, duplicates: 0, lost: 0 };

  constructor(private readonly depth = 3) {
    if (!Number.isInteger(depth) || depth < 0 || depth > 50) throw new RangeError(`jitter buffer depth must be an integer 0-50, got ${depth}`);
  }

  /** Adds a packet; returns the packets now due, in order. */
  push(packet: RtpPacket): RtpPacket[] {
    if (this.last !== undefined && sequenceDelta(packet.sequence, this.last) <= 0) {
      this.stats.late++;
      return [];
    }
    // Insert in order (the buffer is a few packets long: a linear scan from the end is the cheapest).
    let i = this.held.length;
    while (i > 0) {
      const d = sequenceDelta(packet.sequence, this.held[i - 1]!.sequence);
      if (d === 0) {
        this.stats.duplicates++;
        return [];
      }
      if (d > 0) break;
      i--;
    }
    this.held.splice(i, 0, packet);
    const out: RtpPacket[] = [];
    while (this.held.length > this.depth) out.push(this.release());
    // Whatever follows the last released one without a gap need not wait.
    while (this.held.length > 0 && this.last !== undefined && sequenceDelta(this.held[0]!.sequence, this.last) === 1) out.push(this.release());
    return out;
  }

  /** Releases everything held, in order (the stream ended). */
  flush(): RtpPacket[] {
    const out: RtpPacket[] = [];
    while (this.held.length > 0) out.push(this.release());
    return out;
  }

  private release(): RtpPacket {
    const packet = this.held.shift()!;
    if (this.last !== undefined) this.stats.lost += Math.max(0, sequenceDelta(packet.sequence, this.last) - 1);
    this.last = packet.sequence;
    this.stats.released++;
    return packet;
  }
}
