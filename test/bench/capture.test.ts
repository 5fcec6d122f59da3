import assert from 'node:assert/strict';
import { arrivalGaps, PcapReader, type CapturedPacket } from '../../bench/capture';

/** A pcap stream as tcpdump writes it: file header, then per packet its header and bytes. */
function pcap(options: { little: boolean; nano: boolean; linkType: number }, frames: { at: number; bytes: Buffer }[]): Buffer {
  const u32 = (v: number): Buffer => {
    const b = Buffer.alloc(4);
    if (options.little) b.writeUInt32LE(v >>> 0);
    else b.writeUInt32BE(v >>> 0);
    return b;
  };
  const u16 = (v: number): Buffer => {
    const b = Buffer.alloc(2);
    if (options.little) b.writeUInt16LE(v);
    else b.writeUInt16BE(v);
    return b;
  };
  const parts = [u32(options.nano ? 0xa1b23c4d : 0xa1b2c3d4), u16(2), u16(4), u32(0), u32(0), u32(65535), u32(options.linkType)];
  for (const f of frames) {
    const seconds = Math.floor(f.at / 1000);
    const fraction = options.nano ? Math.round((f.at - seconds * 1000) * 1e6) : Math.round((f.at - seconds * 1000) * 1e3);
    parts.push(u32(seconds), u32(fraction), u32(f.bytes.length), u32(f.bytes.length), f.bytes);
  }
  return Buffer.concat(parts);
}

/** Ethernet, IPv4 and UDP headers around an RTP header (or other bytes). */
function ethernetUdp(src: number, dst: number, payload: Buffer, protocol = 17): Buffer {
  const eth = Buffer.alloc(14);
  eth.writeUInt16BE(0x0800, 12);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip[9] = protocol;
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(src, 0);
  udp.writeUInt16BE(dst, 2);
  return Buffer.concat([eth, ip, udp, payload]);
}

function rtp(marker: boolean): Buffer {
  const b = Buffer.alloc(12 + 160);
  b[0] = 0x80;
  b[1] = (marker ? 0x80 : 0) | 11;
  return b;
}

describe('bench/capture: RTP timing from a tcpdump pcap stream', () => {
  const start = 1_765_000_000_000;

  it('reads every RTP packet across chunks of any size, with its time, ports and marker bit', () => {
    const stream = pcap({ little: true, nano: false, linkType: 1 }, [
      { at: start, bytes: ethernetUdp(20000, 10000, rtp(true)) },
      { at: start + 20.5, bytes: ethernetUdp(20000, 10000, rtp(false)) },
      { at: start + 21, bytes: ethernetUdp(20002, 10008, rtp(true)) },
      { at: start + 39.25, bytes: ethernetUdp(20000, 10000, rtp(false)) },
    ]);
    const packets: CapturedPacket[] = [];
    const reader = new PcapReader((p) => packets.push(p));
    for (let at = 0; at < stream.length; at += 7) reader.push(stream.subarray(at, at + 7));
    assert.deepEqual(
      packets.map((p) => [p.at - start, p.srcPort, p.dstPort, p.marker]),
      [
        [0, 20000, 10000, true],
        [20.5, 20000, 10000, false],
        [21, 20002, 10008, true],
        [39.25, 20000, 10000, false],
      ],
    );
    assert.equal(reader.skipped, 0);
  });

  it('reads a big-endian capture with nanosecond timestamps and Linux cooked headers', () => {
    const cooked = (frame: Buffer): Buffer => {
      const sll = Buffer.alloc(16);
      sll.writeUInt16BE(0x0800, 14);
      return Buffer.concat([sll, frame.subarray(14)]);
    };
    const stream = pcap({ little: false, nano: true, linkType: 113 }, [
      { at: start + 0.000123, bytes: cooked(ethernetUdp(20010, 10010, rtp(true))) },
      { at: start + 20.000456, bytes: cooked(ethernetUdp(20010, 10010, rtp(false))) },
    ]);
    const packets: CapturedPacket[] = [];
    new PcapReader((p) => packets.push(p)).push(stream);
    assert.equal(packets.length, 2);
    assert.ok(Math.abs((packets[1] as CapturedPacket).at - (packets[0] as CapturedPacket).at - 20.000333) < 1e-3);
  });

  it('reads Linux cooked v2 headers and IPv6', () => {
    const sll2Ipv6 = (src: number, dst: number, marker: boolean): Buffer => {
      const sll2 = Buffer.alloc(20);
      sll2.writeUInt16BE(0x86dd, 0);
      const ip = Buffer.alloc(40);
      ip[0] = 0x60;
      ip[6] = 17;
      const udp = Buffer.alloc(8);
      udp.writeUInt16BE(src, 0);
      udp.writeUInt16BE(dst, 2);
      return Buffer.concat([sll2, ip, udp, rtp(marker)]);
    };
    const stream = pcap({ little: true, nano: false, linkType: 276 }, [
      { at: start, bytes: sll2Ipv6(30000, 12000, true) },
      { at: start + 20, bytes: sll2Ipv6(30000, 12000, false) },
    ]);
    const packets: CapturedPacket[] = [];
    new PcapReader((p) => packets.push(p)).push(stream);
    assert.deepEqual(
      packets.map((p) => [p.at - start, p.srcPort, p.dstPort, p.marker]),
      [
        [0, 30000, 12000, true],
        [20, 30000, 12000, false],
      ],
    );
  });

  it('refuses a record longer than any capture holds (a corrupt stream), instead of waiting for its bytes', () => {
    const stream = pcap({ little: true, nano: false, linkType: 1 }, [{ at: start, bytes: ethernetUdp(30000, 12000, rtp(true)) }]);
    stream.writeUInt32LE(1 << 30, 24 + 8);
    assert.throws(() => new PcapReader(() => undefined).push(stream), /a pcap record of 1073741824 bytes/);
  });

  it('skips what is not UDP carrying RTP version 2, and says so', () => {
    const notRtp = Buffer.alloc(12);
    const stream = pcap({ little: true, nano: false, linkType: 1 }, [
      { at: start, bytes: ethernetUdp(20000, 10000, rtp(true), 6) },
      { at: start + 1, bytes: ethernetUdp(20000, 10000, notRtp) },
      { at: start + 2, bytes: ethernetUdp(20000, 10000, rtp(true)) },
    ]);
    const packets: CapturedPacket[] = [];
    const reader = new PcapReader((p) => packets.push(p));
    reader.push(stream);
    assert.equal(packets.length, 1);
    assert.equal(reader.skipped, 2);
  });

  it('refuses a stream that is not pcap, or of a link type it does not read', () => {
    assert.throws(() => new PcapReader(() => undefined).push(Buffer.alloc(24, 7)), /not a pcap stream/);
    assert.throws(() => new PcapReader(() => undefined).push(pcap({ little: true, nano: false, linkType: 105 }, [])), /link type 105/);
  });

  it('gaps are per stream and restart at each marker bit (a new talkspurt)', () => {
    const p = (at: number, srcPort: number, marker = false): CapturedPacket => ({ at, srcPort, dstPort: 10000, marker });
    const { streams, gapsMs } = arrivalGaps([p(0, 20000, true), p(5, 20002, true), p(20, 20000), p(26, 20002), p(41, 20000), p(500, 20000, true), p(520, 20000)]);
    assert.equal(streams, 2);
    assert.deepEqual(gapsMs, [20, 21, 21, 20]);
  });
});
