/**
 * The RTP endpoint over real UDP on 127.0.0.1: it binds a port of its range (the next when one is taken), decodes
 * what comes from the channel's address into samples at the consumer's rate in sequence order, drops what comes from
 * elsewhere or with another payload type, and sends audio back as 20 ms packets. Waits are on arrivals, not time.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { encodeSlinBE, encodeUlaw } from '../../lib/media/codec';
import { NoPortError, RtpEndpoint } from '../../lib/media/endpoint';
import { parseRtp, RtpSequence, buildRtp } from '../../lib/media/rtp';

async function udp(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  return s;
}

/** Resolves once `check` holds, checked on each datagram `socket` receives. */
function until(check: () => boolean, socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const test = (): void => {
      if (check()) resolve();
    };
    socket.on('message', test);
    test();
  });
}

describe('media: RTP endpoint', function () {
  const opened: { close(): void }[] = [];
  afterEach(function () {
    for (const o of opened.splice(0)) o.close();
  });

  it('receives ulaw from the channel, in order, as 16 kHz samples; drops foreign senders and other payload types', async function () {
    const asterisk = await udp();
    opened.push(asterisk);
    const frames: Int16Array[] = [];
    let notify = (): void => undefined;
    const ep = new RtpEndpoint({ host: '127.0.0.1', min: 40000, max: 40999, format: 'ulaw', rate: 16000, jitterDepth: 1, onAudio: (s) => (frames.push(s), notify()) });
    opened.push(ep);
    const local = await ep.listen();
    ep.setRemote('127.0.0.1', asterisk.address().port);
    const seq = new RtpSequence(0);
    const packets = [0, 1, 2, 3].map((i) => seq.next(encodeUlaw(new Int16Array(160).fill(1000 * (i + 1))), 160));
    const send = (from: Socket, data: Buffer): Promise<void> => new Promise((resolve) => from.send(data, local.port, '127.0.0.1', () => resolve()));
    // First what must be dropped (each sent before the good packets, so handled before them), then 1 overtaking 0.
    const stranger = await udp();
    opened.push(stranger);
    await send(stranger, packets[3]!);
    await send(asterisk, buildRtp({ payloadType: 8, marker: false, sequence: 999, timestamp: 0, ssrc: 1, payload: Buffer.alloc(160) }));
    await send(asterisk, Buffer.from('not rtp'));
    for (const p of [packets[1]!, packets[0]!, packets[2]!, packets[3]!]) await send(asterisk, p);
    await new Promise<void>((resolve) => {
      notify = () => {
        if (frames.length >= 4) resolve();
      };
      notify();
    });
    assert.ok(frames.every((f) => f.length === 320), '20 ms at 16 kHz');
    assert.deepEqual(
      frames.map((f) => Math.round(f[0]! / 1000)),
      [1, 2, 3, 4],
    );
    assert.equal(ep.stats.received.wrongPayload, 1);
    assert.equal(ep.stats.received.malformed, 1);
    assert.equal(ep.stats.received.foreign, 1);
    assert.equal(ep.stats.received.packets, 4);
  });

  it('sends audio back to the channel as 20 ms slin16 packets (payload type 118, big-endian)', async function () {
    const asterisk = await udp();
    opened.push(asterisk);
    const got: Buffer[] = [];
    const ep = new RtpEndpoint({ host: '127.0.0.1', min: 41000, max: 41999, format: 'slin16', rate: 8000 });
    opened.push(ep);
    await ep.listen();
    ep.setRemote('127.0.0.1', asterisk.address().port);
    asterisk.on('message', (d) => got.push(d));
    await ep.play(new Int16Array(800).fill(-2)); // 100 ms at 8 kHz
    await until(() => got.length >= 5, asterisk);
    const parsed = got.map((d) => parseRtp(d));
    assert.ok(parsed.every((p) => p.ok && p.packet.payloadType === 118 && p.packet.payload.length === 640));
    assert.deepEqual([...(parsed[0] as { ok: true; packet: { payload: Buffer } }).packet.payload.subarray(0, 4)], [...encodeSlinBE(Int16Array.from([-2, -2]))]);
    assert.equal(ep.stats.sent.packets, 5);
    assert.equal(ep.sendLateness.length, 5);
  });

  it('takes the next port when one is in use, and says so when the range is full', async function () {
    const taken = createSocket('udp4');
    opened.push(taken);
    await new Promise<void>((resolve) => taken.bind(42000, '127.0.0.1', resolve));
    const ep = new RtpEndpoint({ host: '127.0.0.1', min: 42000, max: 42001, format: 'ulaw', rate: 8000 });
    opened.push(ep);
    assert.equal((await ep.listen()).port, 42001);
    const full = new RtpEndpoint({ host: '127.0.0.1', min: 42000, max: 42001, format: 'ulaw', rate: 8000 });
    opened.push(full);
    await assert.rejects(full.listen(), (err: Error) => err instanceof NoPortError && /no UDP port free for RTP on 127\.0\.0\.1 in 42000-42001/.test(err.message));
    assert.throws(() => new RtpEndpoint({ host: '127.0.0.1', min: 0, max: 70000, format: 'ulaw', rate: 8000 }), /not within 1-65535/);
  });
});
