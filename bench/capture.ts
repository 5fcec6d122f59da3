/**
 * A packet capture of RTP for a bench: tcpdump (Debian's package of that name) writes what it captures on an
 * interface to its standard output in the pcap format, and this reads it as it comes, keeping of each RTP packet only
 * when the kernel saw it, its UDP ports and its marker bit. For measuring when packets reach a peer that reports
 * nothing per packet (a real Asterisk's external media channel: docs/performance.md, bench/speech-asterisk-rtp).
 *
 * On the loopback interface the capture's timestamp is taken as the sender's packet enters the kernel's network path
 * (the same call delivers it to the receiving socket's buffer); what the receiver does afterwards is its own.
 *
 * pcap: a 24-byte file header (magic 0xa1b2c3d4 for microseconds or 0xa1b23c4d for nanoseconds, in the writer's
 * byte order; the link type at byte 20), then per packet a 16-byte header (seconds, fraction, captured length,
 * length on the wire) and the captured bytes. Link types read here: Ethernet (1; Linux's loopback), Linux cooked
 * capture v1 (113) and v2 (276); IPv4 and IPv6 without extension headers.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** One captured RTP packet. */
export interface CapturedPacket {
  /** When the kernel saw it (ms since the epoch, to the microsecond or better). */
  at: number;
  srcPort: number;
  dstPort: number;
  /** RTP's marker bit: the first packet of a talkspurt (RFC 3551 4.1). */
  marker: boolean;
}

/** The most bytes of one packet a capture may hold (tcpdump's largest snapshot length). */
const MAX_CAPTURED = 262_144;

const LINK_HEADER: Record<number, { length: number; protocolAt: number }> = {
  1: { length: 14, protocolAt: 12 },
  113: { length: 16, protocolAt: 14 },
  276: { length: 20, protocolAt: 0 },
};

/** Reads a pcap stream chunk by chunk; `onPacket` gets each UDP packet that carries RTP version 2. */
export class PcapReader {
  private pending: Buffer = Buffer.alloc(0);
  private little = true;
  private nano = false;
  private link: { length: number; protocolAt: number } | undefined;
  private headerRead = false;
  /** Packets that were not UDP carrying RTP (other traffic the filter let through, or a link type not read). */
  skipped = 0;

  constructor(private readonly onPacket: (p: CapturedPacket) => void) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let at = 0;
    if (!this.headerRead) {
      if (this.pending.length < 24) return;
      const magic = this.pending.readUInt32LE(0);
      if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) this.little = true;
      else if (this.pending.readUInt32BE(0) === 0xa1b2c3d4 || this.pending.readUInt32BE(0) === 0xa1b23c4d) this.little = false;
      else throw new Error(`not a pcap stream (magic 0x${magic.toString(16)})`);
      this.nano = (this.little ? magic : this.pending.readUInt32BE(0)) === 0xa1b23c4d;
      const linkType = this.u32(20) & 0xffff;
      this.link = LINK_HEADER[linkType];
      if (!this.link) throw new Error(`pcap link type ${linkType} is not read here (Ethernet, Linux cooked v1 or v2)`);
      this.headerRead = true;
      at = 24;
    }
    while (this.pending.length - at >= 16) {
      const captured = this.u32(at + 8);
      if (captured > MAX_CAPTURED) throw new Error(`a pcap record of ${captured} bytes: not a capture this reads (at most ${MAX_CAPTURED})`);
      if (this.pending.length - at - 16 < captured) break;
      const seconds = this.u32(at);
      const fraction = this.u32(at + 4);
      const when = seconds * 1000 + (this.nano ? fraction / 1e6 : fraction / 1e3);
      this.packet(when, this.pending.subarray(at + 16, at + 16 + captured));
      at += 16 + captured;
    }
    this.pending = this.pending.subarray(at);
  }

  private u32(at: number): number {
    return this.little ? this.pending.readUInt32LE(at) : this.pending.readUInt32BE(at);
  }

  private packet(when: number, frame: Buffer): void {
    const link = this.link as { length: number; protocolAt: number };
    if (frame.length < link.length) return void this.skipped++;
    const protocol = frame.readUInt16BE(link.protocolAt);
    let udp: number;
    if (protocol === 0x0800) {
      const ip = link.length;
      // UDP, a header of 5 words or more, the first fragment (offset 0: the UDP header is in it).
      const words = (frame[ip] ?? 0) & 0x0f;
      if (frame.length < ip + 20 || frame[ip + 9] !== 17 || words < 5 || (frame.readUInt16BE(ip + 6) & 0x1fff) !== 0) return void this.skipped++;
      udp = ip + words * 4;
    } else if (protocol === 0x86dd) {
      const ip = link.length;
      if (frame.length < ip + 40 || frame[ip + 6] !== 17) return void this.skipped++;
      udp = ip + 40;
    } else return void this.skipped++;
    // UDP's 8 bytes, then at least RTP's first two (version, marker).
    if (frame.length < udp + 10 || (frame[udp + 8] ?? 0) >> 6 !== 2) return void this.skipped++;
    this.onPacket({ at: when, srcPort: frame.readUInt16BE(udp), dstPort: frame.readUInt16BE(udp + 2), marker: ((frame[udp + 9] ?? 0) & 0x80) !== 0 });
  }
}

/** A running capture; stop() ends tcpdump and tells what it said it dropped. */
export interface Capture {
  packets: CapturedPacket[];
  reader: PcapReader;
  stop(): Promise<{ kernelDropped: string }>;
}

/**
 * Captures UDP on `iface` matching the pcap filter `filter` with tcpdump, once it says it is listening. Rejects with
 * what went wrong when tcpdump is missing or may not capture (it needs root or CAP_NET_RAW).
 */
export async function startCapture(iface: string, filter: string): Promise<Capture> {
  const child: ChildProcess = spawn('tcpdump', ['-i', iface, '-n', '--immediate-mode', '-U', '-s', '128', '-B', '8192', '-w', '-', filter], { stdio: ['ignore', 'pipe', 'pipe'] });
  const packets: CapturedPacket[] = [];
  const reader = new PcapReader((p) => packets.push(p));
  let said = '';
  let readError: Error | undefined;
  child.stdout?.on('data', (chunk: Buffer) => {
    try {
      if (!readError) reader.push(chunk);
    } catch (err) {
      readError = err as Error;
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let failed: Error | undefined;
  child.on('error', (err) => (failed ??= err));
  await new Promise<void>((resolve, reject) => {
    child.once('error', (err) => reject(new Error(`tcpdump: ${err.message} (Debian's package tcpdump)`)));
    child.stderr?.on('data', (chunk: Buffer) => {
      said += chunk.toString();
      if (/listening on/.test(said)) resolve();
    });
    void exited.then((code) => reject(new Error(`tcpdump ended (${code}): ${said.trim()}`)));
  });
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  let stopping: Promise<{ kernelDropped: string }> | undefined;
  const stop = async (): Promise<{ kernelDropped: string }> => {
    // What the kernel holds for tcpdump and what the pipe holds for this process come first: until 300 ms pass
    // without a packet.
    for (let seen = -1; seen !== packets.length && running(); ) {
      seen = packets.length;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    child.kill('SIGINT');
    // tcpdump ends at SIGINT once it has written what it holds; one that does not within 5 s is killed.
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
    if (readError) throw readError;
    if (failed) throw new Error(`tcpdump: ${failed.message}`);
    return { kernelDropped: /(\d+) packets? dropped by kernel/.exec(said)?.[1] ?? '?' };
  };
  return {
    packets,
    reader,
    stop: () => (stopping ??= stop()),
  };
}

/**
 * Arrival gaps of each stream (one per source and destination port), within talkspurts: the marker bit starts a new
 * one, as the simulator counts them (lib/sim/resources/external-media.ts).
 */
export function arrivalGaps(packets: readonly CapturedPacket[]): { streams: number; gapsMs: number[] } {
  const last = new Map<string, number>();
  const gapsMs: number[] = [];
  for (const p of packets) {
    const key = `${p.srcPort}>${p.dstPort}`;
    const before = last.get(key);
    if (before !== undefined && !p.marker) gapsMs.push(p.at - before);
    last.set(key, p.at);
  }
  return { streams: last.size, gapsMs };
}
