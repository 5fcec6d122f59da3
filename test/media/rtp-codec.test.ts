/**
 * The media path's building blocks (lib/media): G.711 mu-law and L16 (big-endian) conversion, 8/16 kHz, RTP packets
 * from hostile bytes, the jitter buffer's order, and the pacer's timing on a fake clock (no wall clock).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeSlinBE, decodeUlaw, downsample16to8, encodeSlinBE, encodeUlaw, linearToUlaw, resample, ulawToLinear, upsample8to16 } from '../../lib/media/codec';
import { JitterBuffer } from '../../lib/media/jitter';
import { Pacer } from '../../lib/media/pacer';
import { buildRtp, parseRtp, RtpSequence, sequenceDelta, type RtpPacket } from '../../lib/media/rtp';

function packet(sequence: number): RtpPacket {
  return { payloadType: 0, marker: false, sequence, timestamp: sequence * 160, ssrc: 7, payload: Buffer.from([sequence & 0xff]) };
}

describe('media: codecs', function () {
  it('mu-law: the G.711 reference points, and every byte decodes and encodes back to itself (but 0x7f, negative zero)', function () {
    assert.equal(linearToUlaw(0), 0xff);
    assert.equal(linearToUlaw(-1), 0x7f);
    assert.equal(linearToUlaw(32767), 0x80);
    assert.equal(linearToUlaw(-32768), 0x00);
    assert.equal(ulawToLinear(0x80), 32124);
    assert.equal(ulawToLinear(0x00), -32124);
    for (let b = 0; b < 256; b++) {
      if (b === 0x7f) continue;
      assert.equal(linearToUlaw(ulawToLinear(b)), b, `byte ${b}`);
    }
  });

  it('mu-law keeps a sample within its segment step (relative error under 1/16 above 256)', function () {
    fc.assert(
      fc.property(fc.integer({ min: -32000, max: 32000 }), (s) => {
        const back = ulawToLinear(linearToUlaw(s));
        return Math.abs(back - s) <= Math.max(16, Math.abs(s) / 16);
      }),
    );
  });

  it('L16 travels big-endian and comes back as it was', function () {
    const samples = Int16Array.from([0, 1, -1, 0x1234, -32768, 32767]);
    const wire = encodeSlinBE(samples);
    assert.deepEqual([...wire.subarray(6, 8)], [0x12, 0x34]);
    assert.deepEqual(decodeSlinBE(wire), samples);
    assert.equal(decodeSlinBE(Buffer.from([1, 2, 3])).length, 1, 'an odd last byte is dropped');
    // A whole 20 ms slin16 frame (swapped natively), taken from the middle of a larger array and of a larger buffer.
    const frame = Int16Array.from({ length: 330 }, (_, i) => i * 197 - 32000).subarray(5, 325);
    const bytes = encodeSlinBE(frame);
    assert.equal(bytes.length, 640);
    assert.deepEqual(Array.from({ length: 320 }, (_, i) => bytes.readInt16BE(i * 2)), [...frame]);
    const inside = Buffer.concat([Buffer.from([9]), bytes, Buffer.from([9])]).subarray(1, 641);
    assert.deepEqual(decodeSlinBE(inside), frame);
    assert.deepEqual(frame[0], 5 * 197 - 32000, 'the samples given are left as they were');
    assert.deepEqual(decodeUlaw(encodeUlaw(Int16Array.from([0]))), Int16Array.from([0]));
  });

  it('8 <-> 16 kHz: twice the samples and back, a constant stays constant; other rates are refused', function () {
    const flat = new Int16Array(160).fill(1000);
    const up = upsample8to16(flat);
    assert.equal(up.length, 320);
    assert.ok(up.every((s) => s === 1000));
    assert.deepEqual(downsample16to8(up), flat);
    assert.equal(resample(flat, 8000, 8000), flat);
    assert.throws(() => resample(flat, 8000, 44100), /8000 and 16000 only/);
  });
});

describe('media: RTP', function () {
  it('builds and parses the fixed header; a sender runs its sequence and timestamp and marks the first packet', function () {
    const seq = new RtpSequence(118, () => 0.5);
    const a = parseRtp(seq.next(Buffer.alloc(640), 320));
    const b = parseRtp(seq.next(Buffer.alloc(640), 320));
    assert.ok(a.ok && b.ok);
    assert.equal(a.packet.payloadType, 118);
    assert.equal(a.packet.marker, true);
    assert.equal(b.packet.marker, false);
    assert.equal(b.packet.sequence, (a.packet.sequence + 1) & 0xffff);
    assert.equal(b.packet.timestamp, (a.packet.timestamp + 320) >>> 0);
    seq.skip(3200);
    const c = parseRtp(seq.next(Buffer.alloc(640), 320));
    assert.ok(c.ok && c.packet.marker && c.packet.timestamp === (b.packet.timestamp + 320 + 3200) >>> 0, 'after a pause: a new talkspurt, the timestamp moved on');
  });

  it('reads CSRCs, a header extension and padding; refuses what is not RTP without throwing', function () {
    const base = buildRtp({ payloadType: 0, marker: false, sequence: 1, timestamp: 2, ssrc: 3, payload: Buffer.from([9, 9]) });
    const withCsrcExtPad = Buffer.concat([Buffer.from([0xb1, 0x00]), base.subarray(2, 12), Buffer.alloc(4), Buffer.from([0, 0, 0, 1]), Buffer.alloc(4), Buffer.from([9, 9, 0, 2])]);
    const parsed = parseRtp(withCsrcExtPad);
    assert.ok(parsed.ok);
    assert.deepEqual([...parsed.packet.payload], [9, 9]);
    assert.match((parseRtp(Buffer.alloc(5)) as { error: string }).error, /shorter than an RTP header/);
    assert.match((parseRtp(Buffer.alloc(12)) as { error: string }).error, /version 0/);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const r = parseRtp(Buffer.from(bytes));
        return !r.ok || r.packet.payload.length <= bytes.length;
      }),
    );
  });

  it('sequence numbers compare across the wrap', function () {
    assert.equal(sequenceDelta(2, 65534), 4);
    assert.equal(sequenceDelta(65534, 2), -4);
  });
});

describe('media: jitter buffer', function () {
  it('puts overtaken packets back in order, drops late ones and duplicates, counts a gap as lost', function () {
    const jb = new JitterBuffer(2);
    const out: number[] = [];
    for (const s of [10, 12, 12, 11, 13, 16, 9, 17, 18]) out.push(...jb.push(packet(s)).map((p) => p.sequence));
    out.push(...jb.flush().map((p) => p.sequence));
    assert.deepEqual(out, [10, 11, 12, 13, 16, 17, 18]);
    assert.deepEqual(jb.stats, { released: 7, late: 1, duplicates: 1, lost: 2 });
  });

  it('orders across the 65535 -> 0 wrap', function () {
    const jb = new JitterBuffer(3);
    const out: number[] = [];
    for (const s of [65534, 0, 65535, 1, 2, 3, 4]) out.push(...jb.push(packet(s)).map((p) => p.sequence));
    out.push(...jb.flush().map((p) => p.sequence));
    assert.deepEqual(out, [65534, 65535, 0, 1, 2, 3, 4]);
  });
});

describe('media: pacer', function () {
  /** A fake clock: timers run when the test moves time on. */
  function fakeClock(): { now: () => number; setTimer: (fn: () => void, ms: number) => unknown; clearTimer: (t: unknown) => void; advance: (ms: number) => void } {
    let t = 0;
    let timers: { at: number; fn: () => void }[] = [];
    return {
      now: () => t,
      setTimer: (fn, ms) => {
        const timer = { at: t + ms, fn };
        timers.push(timer);
        return timer;
      },
      clearTimer: (timer) => {
        timers = timers.filter((x) => x !== timer);
      },
      advance: (ms) => {
        const end = t + ms;
        for (;;) {
          timers.sort((a, b) => a.at - b.at);
          const next = timers[0];
          if (!next || next.at > end) break;
          timers.shift();
          t = next.at;
          next.fn();
        }
        t = end;
      },
    };
  }

  it('sends one frame per 20 ms counted from the start, so late timers do not add up (drift correction)', function () {
    const clock = fakeClock();
    const sent: [number, number][] = [];
    // Every timer fires 7 ms late.
    const pacer = new Pacer<number>((f) => sent.push([f, clock.now()]), { now: clock.now, setTimer: (fn, ms) => clock.setTimer(fn, ms + 7), clearTimer: clock.clearTimer });
    pacer.enqueue([0, 1, 2, 3, 4, 5]);
    clock.advance(200);
    assert.deepEqual(
      sent.map(([f]) => f),
      [0, 1, 2, 3, 4, 5],
    );
    // Frame n goes out at 20n + 7, never 27n: lateness does not grow.
    assert.deepEqual(
      sent.map(([, at]) => at),
      [0, 27, 47, 67, 87, 107],
    );
    assert.deepEqual(pacer.stats.lateness, [0, 7, 7, 7, 7, 7]);
  });

  it('after the loop was held, sends what is due at once up to maxBurst and drops older frames', function () {
    const clock = fakeClock();
    const sent: number[] = [];
    const pacer = new Pacer<number>((f) => sent.push(f), { now: clock.now, setTimer: (fn, ms) => clock.setTimer(fn, ms + 200), clearTimer: clock.clearTimer, maxBurst: 3 });
    pacer.enqueue([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    clock.advance(220);
    // The timer meant for 20 ms fires at 220 ms, when frames 1-11 are due: 1-8 are dropped, 9, 10, 11 go out.
    assert.deepEqual(sent, [0, 9, 10, 11]);
    assert.equal(pacer.stats.dropped, 8);
  });

  it('drained() resolves when the queue is empty; clear() drops what is queued', async function () {
    const clock = fakeClock();
    const sent: number[] = [];
    const pacer = new Pacer<number>((f) => sent.push(f), { now: clock.now, setTimer: clock.setTimer, clearTimer: clock.clearTimer });
    pacer.enqueue([1, 2, 3]);
    const drained = pacer.drained();
    pacer.clear();
    await drained;
    assert.deepEqual(sent, [1]);
    assert.equal(pacer.pending, 0);
  });
});
