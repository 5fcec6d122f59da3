/**
 * External media (POST /channels/externalMedia) as res/ari/resource_channels.c ast_ari_channels_external_media and
 * channels/chan_rtp.c unicast_rtp_request do it, over the wire with the raw client and a real UDP socket on the
 * application's side: the channel's name and variables, its StasisStart, RTP with the caller's voice in 20 ms
 * packets with running sequence numbers and timestamps (ulaw and slin16), RTP back counted in the call's report,
 * the channel's end (hangup, not with the call), and the errors in the order the source checks them.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import WebSocket from 'ws';
import type { Simulator } from '../../lib/sim';
import { decodeSlinBE, decodeUlaw, encodeSlinBE, encodeUlaw } from '../../lib/media/codec';
import { parseRtp, RtpSequence, type RtpPacket } from '../../lib/media/rtp';
import { is, useRawSimulator, type EventLog, type RawAri } from '../support/raw-ari';

type Json = Record<string, unknown>;

/** The application's side: a UDP socket that keeps the RTP packets it gets and resolves waits on arrival. */
class RtpSink {
  readonly packets: RtpPacket[] = [];
  private waiters: { n: number; resolve: () => void }[] = [];
  constructor(readonly socket: Socket) {
    socket.on('message', (data) => {
      const parsed = parseRtp(data);
      if (!parsed.ok) throw new Error(parsed.error);
      this.packets.push(parsed.packet);
      this.waiters = this.waiters.filter((w) => (this.packets.length >= w.n ? (w.resolve(), false) : true));
    });
  }
  static async open(): Promise<RtpSink> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new RtpSink(socket);
  }
  get port(): number {
    return this.socket.address().port;
  }
  until(n: number): Promise<void> {
    if (this.packets.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
  close(): void {
    this.socket.close();
  }
}

function meanAbs(samples: Int16Array): number {
  let sum = 0;
  for (const s of samples) sum += Math.abs(s);
  return sum / Math.max(1, samples.length);
}

describe('simulator: external media', function () {
  let sim: Simulator;
  let ari: RawAri;
  let events: EventLog;
  let sink: RtpSink;

  useRawSimulator((raw) => ({ sim, ari, events } = raw), { speed: 20 });

  beforeEach(async function () {
    sink = await RtpSink.open();
  });
  afterEach(function () {
    sink.close();
  });

  async function answered(script: NonNullable<Parameters<Simulator['placeCall']>[0]['script']>): Promise<string> {
    const call = sim.placeCall({ from: '1001', to: '500', app: 'app1', script });
    await events.next(is('StasisStart', call.id));
    await ari.ok('POST', `/channels/${call.id}/answer`);
    return call.id;
  }

  it('makes a UnicastRTP channel with its local address and port, Up, in the application with data as arguments', async function () {
    const em = await ari.ok('POST', '/channels/externalMedia', { app: 'app1', external_host: `127.0.0.1:${sink.port}`, format: 'ulaw', channelId: 'em-1', data: 'a,b' });
    assert.equal(em.id, 'em-1');
    assert.match(String(em.name), new RegExp(`^UnicastRTP/127\\.0\\.0\\.1:${sink.port}-0x[0-9a-f]+$`));
    const vars = em.channelvars as Record<string, string>;
    // Newest first, as ast_json_channel_vars walks the variable list (seen on Asterisk 22.11 built from releases/22).
    assert.deepEqual(Object.keys(vars), ['UNICASTRTP_LOCAL_PORT', 'UNICASTRTP_LOCAL_ADDRESS']);
    assert.equal(vars.UNICASTRTP_LOCAL_ADDRESS, '127.0.0.1');
    const port = Number(vars.UNICASTRTP_LOCAL_PORT);
    assert.ok(port >= 5000 && port <= 31000 && port % 2 === 0, `an even port of 5000-31000, got ${port}`);
    const start = await events.next(is('StasisStart', 'em-1'));
    assert.deepEqual(start.args, ['a', 'b']);
    assert.equal((start.channel as Json).state, 'Up');
    assert.equal((await ari.ok('GET', '/channels/em-1/variable', { variable: 'UNICASTRTP_LOCAL_PORT' })).value, String(port));
  });

  it('sends the caller voice bridged with it as 20 ms ulaw packets with running sequence numbers and timestamps', async function () {
    const caller = await answered([{ waitFor: 'bridged' }, { wait: 200 }, { say: 600 }, { wait: 60_000 }]);
    await ari.ok('POST', '/channels/externalMedia', { app: 'app1', external_host: `127.0.0.1:${sink.port}`, format: 'ulaw', channelId: 'em-2' });
    await events.next(is('StasisStart', 'em-2'));
    assert.equal(sink.packets.length, 0, 'nothing is sent before the channel is in a bridge');
    await ari.ok('POST', '/bridges/b-2', { type: 'mixing' });
    await ari.ok('POST', '/bridges/b-2/addChannel', { channel: `${caller},em-2` });
    await sink.until(100);
    const packets = sink.packets.slice(0, 100);
    assert.ok(packets.every((p) => p.payloadType === 0 && p.payload.length === 160), 'ulaw: payload type 0, 160 bytes (20 ms at 8 kHz)');
    // Seen on Asterisk 22.11 built from releases/22: a UnicastRTP channel never sets the marker bit, and its timestamps
    // start from 0 plus the first frame's samples (res_rtp_asterisk.c ast_rtp_new, rtp_raw_write; chan_rtp.c has no
    // indicate callback, so no AST_CONTROL_SRCUPDATE reaches FLAG_NEED_MARKER_BIT).
    assert.ok(packets.every((p) => !p.marker), 'no marker bit, not even on the first packet');
    assert.equal(packets[0]?.timestamp, 160, 'the first timestamp is one frame of samples');
    assert.ok(packets.every((p) => p.ssrc === packets[0]?.ssrc));
    for (let i = 1; i < packets.length; i++) {
      assert.equal(packets[i]!.sequence, (packets[0].sequence + i) & 0xffff, 'sequence numbers go up by one');
      assert.equal(packets[i]!.timestamp, (packets[0].timestamp + 160 * i) >>> 0, 'timestamps go up by 160 samples');
    }
    const levels = packets.map((p) => meanAbs(decodeUlaw(p.payload)));
    assert.ok(levels.slice(0, 5).every((l) => l < 50), `silence before the caller speaks: ${levels.slice(0, 5).join(',')}`);
    // Then the caller's voice (packets follow the simulated clock from when they were due, so a busy machine's first
    // packets may come late: 100 packets, 2 s, hold the 600 ms said after 200 ms).
    assert.ok(levels.some((l) => l > 1000), `then the caller's voice: ${levels.map(Math.round).join(',')}`);
    // RTP back, from the address the channel sends to, to its local port: counted in the caller's report.
    const vars = await ari.ok('GET', '/channels/em-2/variable', { variable: 'UNICASTRTP_LOCAL_PORT' });
    const back = new RtpSequence(0);
    for (let i = 0; i < 25; i++) sink.socket.send(back.next(encodeUlaw(new Int16Array(160).fill(1000)), 160), Number(vars.value), '127.0.0.1');
    const got = await sim.call(caller).mediaReceived(25);
    const { firstAt, gapsMs, ...counted } = got.received;
    assert.deepEqual(counted, { packets: 25, bytes: 25 * 172, durationMs: 500 });
    assert.ok(firstAt !== undefined && Date.parse(firstAt) <= Date.now(), 'when the first packet came');
    assert.equal(gapsMs?.length, 24, 'a gap between each packet and the one before it');
    assert.ok(gapsMs.every((g) => g >= 0));
    // A pause of the sender's: the next packet carries the marker bit and starts a new talkspurt, without a gap.
    back.skip(1600);
    for (let i = 0; i < 5; i++) sink.socket.send(back.next(encodeUlaw(new Int16Array(160).fill(1000)), 160), Number(vars.value), '127.0.0.1');
    const more = await sim.call(caller).mediaReceived(30);
    assert.equal(more.received.gapsMs?.length, 28, 'no gap across the pause');
    assert.equal(more.received.firstAt, firstAt);
    assert.equal(got.channelId, 'em-2');
    assert.ok(got.sent.packets >= 50);
    // How late each packet left, on the simulator's clock: one figure per packet sent, none negative.
    const late = got.sent.lateMs ?? [];
    assert.equal(late.length, got.sent.packets, 'a lateness for every packet sent');
    assert.ok(late.every((l) => l >= 0 && Number.isFinite(l)), late.join(','));
    // The caller's speech, as the report says it: 600 ms of simulated time, 30 ms of wall time at speed 20.
    const said = sim.call(caller).report().said ?? [];
    assert.equal(said.length, 1);
    assert.equal(said[0]?.ms, 600);
    assert.ok(Math.abs(Date.parse(said[0].endedAt) - Date.parse(said[0].startedAt) - 30) <= 2, `${said[0]?.startedAt} to ${said[0]?.endedAt}`);
  });

  it('sends slin16 as payload type 118, 640 bytes of big-endian samples, timestamps by 320', async function () {
    const caller = await answered([{ waitFor: 'bridged' }, { say: 400 }, { wait: 60_000 }]);
    await ari.ok('POST', '/channels/externalMedia', { app: 'app1', external_host: `127.0.0.1:${sink.port}`, format: 'slin16', channelId: 'em-3' });
    await events.next(is('StasisStart', 'em-3'));
    await ari.ok('POST', '/bridges/b-3', { type: 'mixing' });
    await ari.ok('POST', '/bridges/b-3/addChannel', { channel: `${caller},em-3` });
    // Packets follow the simulated clock from when they were due: a busy machine may send the first ones late, before
    // the voice that was placed at the moment the caller was bridged; 60 packets (1.2 s) hold the 400 ms said.
    await sink.until(60);
    const packets = sink.packets.slice(0, 60);
    assert.ok(packets.every((p) => p.payloadType === 118 && p.payload.length === 640));
    // Seen on Asterisk 22.11 built from releases/22 (slin16, 16 kHz): timestamps 320, 640, 960..., no marker bit.
    assert.deepEqual(packets.slice(0, 3).map((p) => [p.timestamp, p.marker]), [[320, false], [640, false], [960, false]]);
    const levels = packets.map((p) => Math.round(meanAbs(decodeSlinBE(p.payload))));
    assert.ok(levels.some((l) => l > 1000), `the voice, read big-endian: ${levels.join(',')}`);
    // RTP back in slin16 (118, not a static payload type): Asterisk drops it without a word (ast_rtp_codecs_get_payload
    // maps only static types for a channel with no SDP), so the call hears none of it; the report counts it apart.
    const vars = await ari.ok('GET', '/channels/em-3/variable', { variable: 'UNICASTRTP_LOCAL_PORT' });
    const back = new RtpSequence(118);
    const ignored = new Promise<void>((resolve) => {
      const check = (): void => {
        if ((sim.call(caller).report().externalMedia?.[0]?.received.ignored ?? 0) < 10) return;
        sim.asterisk.off('external-media-received', check);
        resolve();
      };
      sim.asterisk.on('external-media-received', check);
    });
    for (let i = 0; i < 10; i++) sink.socket.send(back.next(encodeSlinBE(new Int16Array(320).fill(1000)), 320), Number(vars.value), '127.0.0.1');
    await ignored;
    const received = sim.call(caller).report().externalMedia?.[0]?.received;
    assert.deepEqual([received?.packets, received?.durationMs, received?.ignored], [0, 0, 10]);
    // ulaw (0, a static type) into the same slin16 channel is taken: Asterisk makes a read translation path for it.
    const ulaw = new RtpSequence(0);
    for (let i = 0; i < 5; i++) sink.socket.send(ulaw.next(encodeUlaw(new Int16Array(160).fill(1000)), 160), Number(vars.value), '127.0.0.1');
    const got = await sim.call(caller).mediaReceived(5);
    assert.deepEqual([got.received.packets, got.received.durationMs, got.received.ignored], [5, 100, 10]);
  });

  it('hears the spied caller through a snoop (spy in) in its bridge', async function () {
    const caller = await answered([{ wait: 1000 }, { machine: { greeting: 1, beep: true } }, { wait: 60_000 }]);
    await ari.ok('POST', `/channels/${caller}/snoop/snoop-4`, { spy: 'in', app: 'app1' });
    await ari.ok('POST', '/channels/externalMedia', { app: 'app1', external_host: `127.0.0.1:${sink.port}`, format: 'ulaw', channelId: 'em-4' });
    await events.next(is('StasisStart', 'em-4'));
    await ari.ok('POST', '/bridges/b-4', { type: 'mixing' });
    await ari.ok('POST', '/bridges/b-4/addChannel', { channel: 'snoop-4,em-4' });
    await sink.until(150);
    assert.ok(sink.packets.slice(0, 150).some((p) => meanAbs(decodeUlaw(p.payload)) > 1000), 'the greeting reaches external media');
  });

  it('lasts after the call it served hangs up, and ends (socket closed) when hung up', async function () {
    const caller = await answered([{ wait: 60_000 }]);
    const em = await ari.ok('POST', '/channels/externalMedia', { app: 'app1', external_host: `127.0.0.1:${sink.port}`, format: 'ulaw', channelId: 'em-5' });
    await events.next(is('StasisStart', 'em-5'));
    await ari.ok('POST', '/bridges/b-5', { type: 'mixing' });
    await ari.ok('POST', '/bridges/b-5/addChannel', { channel: `${caller},em-5` });
    sim.call(caller).hangup(16);
    await events.next(is('StasisEnd', caller));
    assert.equal((await ari.ok('GET', '/channels/em-5')).state, 'Up', 'Asterisk does not end it with the call');
    await ari.ok('DELETE', '/channels/em-5');
    await events.next(is('ChannelDestroyed', 'em-5'));
    // Its port is free again: the socket closed with the channel.
    const port = Number((em.channelvars as Record<string, string>).UNICASTRTP_LOCAL_PORT);
    const probe = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.bind(port, '127.0.0.1', resolve);
    });
    probe.close();
  });

  it('over a WebSocket: the connection id first in channelvars; once a client connects, Up, then Dial ANSWER, then StasisStart', async function () {
    // Seen on Asterisk 22.11 built from releases/22 (chan_websocket): channelvars MEDIA_WEBSOCKET_CONNECTION_ID then
    // MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE; ChannelStateChange Up before Dial ANSWER; STASISSTATUS before StasisStart.
    const em = await ari.ok('POST', '/channels/externalMedia', { app: 'app1', format: 'slin16', encapsulation: 'none', transport: 'websocket', connection_type: 'server', channelId: 'wem-1' });
    const vars = em.channelvars as Record<string, string>;
    assert.deepEqual(Object.keys(vars), ['MEDIA_WEBSOCKET_CONNECTION_ID', 'MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE']);
    const ws = new WebSocket(`${sim.url.replace(/^http/, 'ws').replace(/\/$/, '')}/media/${vars.MEDIA_WEBSOCKET_CONNECTION_ID}`, 'media');
    try {
      await events.next(is('StasisStart', 'wem-1'));
      assert.deepEqual(events.typesFor('wem-1'), ['Dial', 'ChannelStateChange', 'Dial', 'ChannelVarset', 'StasisStart']);
    } finally {
      ws.close();
    }
  });

  it('refuses bad requests with the status and message ast_ari_channels_external_media gives', async function () {
    const host = `127.0.0.1:${sink.port}`;
    const cases: [Record<string, string>, number, string][] = [
      [{ external_host: host, format: 'ulaw' }, 400, 'app cannot be empty'],
      [{ app: 'app1', external_host: host, format: 'ulaw', transport: 'websocket' }, 400, "encapsulation must be 'none' for websocket transport"],
      [{ app: 'app1', external_host: host, format: 'ulaw', transport: 'tcp' }, 400, "transport must be 'udp' for rtp encapsulation"],
      [{ app: 'app1', external_host: host, format: 'ulaw', encapsulation: 'audiosocket' }, 400, "transport must be 'tcp' for audiosocket encapsulation"],
      [{ app: 'app1', external_host: host, format: 'ulaw', connection_type: 'server' }, 400, "'server' connection_type can only be used with the websocket transport"],
      [{ app: 'app1', format: 'ulaw' }, 400, 'external_host is required for all but websocket server connections'],
      [{ app: 'app1', external_host: '127.0.0.1', format: 'ulaw' }, 400, 'external_host must be <host>:<port> for all transports other than websocket'],
      [{ app: 'app1', external_host: host }, 400, 'format cannot be empty'],
      [{ app: 'app1', external_host: host, format: 'ulaw', direction: 'sideways' }, 400, 'Invalid direction specified'],
      // Seen on Asterisk 22.11 built from releases/22: the originate's 400 for an unknown format becomes 500.
      [{ app: 'app1', external_host: host, format: 'mp3' }, 500, 'An internal error prevented this request from being handled'],
      [{ app: 'app1', external_host: host, format: 'ulaw', encapsulation: 'audiosocket', transport: 'tcp' }, 400, 'data can not be empty'],
    ];
    for (const [query, status, message] of cases) {
      const r = await ari.req('POST', '/channels/externalMedia', query);
      assert.equal(r.status, status, JSON.stringify(query));
      assert.deepEqual(r.body, { message }, JSON.stringify(query));
    }
    await ari.ok('POST', '/channels/externalMedia', { app: 'app1', external_host: host, format: 'ulaw', channelId: 'em-6' });
    const again = await ari.req('POST', '/channels/externalMedia', { app: 'app1', external_host: host, format: 'ulaw', channelId: 'em-6' });
    // Seen on Asterisk 22.11 built from releases/22: the originate's 409 for an id in use becomes 500 as well.
    assert.equal(again.status, 500);
    assert.deepEqual(again.body, { message: 'An internal error prevented this request from being handled' });
  });
});
