/**
 * The script step `waitFor: 'voice-end'` (lib/sim/resources/scripts.ts, external-media.ts voiceReaches): a simulated
 * party waits for the audio the application streams to it over external media to end, as a robot's reply sent over
 * its external media channel in a bridge with the call, instead of a playback. Over the wire: the call placed through
 * the HTTP control endpoint, the application talking raw ARI, RTP from a real UDP socket and frames over the media
 * WebSocket. Times are read on the simulator's clock (simulated ms), not against the machine's speed.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import WebSocket from 'ws';
import type { CallReport, Simulator } from '../../lib/sim';
import { encodeUlaw } from '../../lib/media/codec';
import { RtpSequence } from '../../lib/media/rtp';
import { VOICE_END_GAP_MS } from '../../lib/sim/script';
import { is, useRawSimulator, type EventLog, type RawAri } from '../support/raw-ari';

type Json = Record<string, unknown>;

/** 20 ms of ulaw at a speaking level. */
const FRAME = encodeUlaw(new Int16Array(160).fill(1000));

describe('simulator: waitFor voice-end', function () {
  let sim: Simulator;
  let ari: RawAri;
  let events: EventLog;
  let app: Socket;

  // Slower than real time: the 200 ms gap that ends a reply is 400 ms of the machine's, far beyond what a busy
  // machine delays one packet of the test's by.
  useRawSimulator((raw) => ({ sim, ari, events } = raw), { speed: 0.5 });

  beforeEach(async function () {
    app = createSocket('udp4');
    await new Promise<void>((resolve) => app.bind(0, '127.0.0.1', resolve));
    app.on('message', () => undefined);
  });
  afterEach(function () {
    app.close();
  });

  const now = (): number => sim.asterisk.clock.now();

  /** Resolves once the call's report counts `packets` received by external media channel `channelId`. */
  function counted(call: string, channelId: string, packets: number): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if ((sim.call(call).report().externalMedia?.find((m) => m.channelId === channelId)?.received.packets ?? 0) < packets) return;
        sim.asterisk.off('external-media-received', check);
        resolve();
      };
      sim.asterisk.on('external-media-received', check);
      check();
    });
  }

  /** A call placed through POST /sim/calls with the script, answered, in the application. */
  async function answered(script: unknown[]): Promise<string> {
    const res = await fetch(`${sim.url}/sim/calls`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ from: '1001', to: '500', app: 'app1', script }) });
    assert.equal(res.status, 201, await res.clone().text());
    const id = ((await res.json()) as CallReport).id;
    await events.next(is('StasisStart', id));
    await ari.ok('POST', `/channels/${id}/answer`);
    return id;
  }

  /** An RTP external media channel sending to the application's socket, in a new bridge with `member`; its local port. */
  async function rtpMedia(id: string, member: string): Promise<number> {
    const em = await ari.ok('POST', '/channels/externalMedia', { app: 'app1', external_host: `127.0.0.1:${app.address().port}`, format: 'ulaw', channelId: id });
    await events.next(is('StasisStart', id));
    await ari.ok('POST', `/bridges/b-${id}`, { type: 'mixing' });
    await ari.ok('POST', `/bridges/b-${id}/addChannel`, { channel: `${member},${id}` });
    return Number((em.channelvars as Record<string, string>).UNICASTRTP_LOCAL_PORT);
  }

  it('ends after the last packet of a reply streamed in its bridge; the next step starts at its end', async function () {
    const caller = await answered([{ waitFor: 'voice-end' }, { say: 300 }, { dtmf: '1' }]);
    const port = await rtpMedia('em-1', caller);
    // Bridged, nothing sent: longer than the gap passes and the caller still waits (no audio, no end).
    await sim.asterisk.clock.sleep(VOICE_END_GAP_MS + 40);
    assert.deepEqual([sim.call(caller).report().said, sim.call(caller).report().pressed], [undefined, []]);
    const end = sim.call(caller).until('voice-end');
    // The application's reply: 10 packets, one every 20 ms of simulated time, as the plugin streams one.
    const rtp = new RtpSequence(0);
    let due = now();
    let beforeLast = 0;
    let wallBeforeLast = 0;
    for (let i = 0; i < 10; i++) {
      if (i === 9) [beforeLast, wallBeforeLast] = [now(), Date.now()];
      app.send(rtp.next(FRAME, 160), port, '127.0.0.1');
      due = await sim.asterisk.clock.sleep(20, undefined, due);
    }
    await sim.call(caller).mediaReceived(10);
    const received = now();
    // The end is noticed after the gap: at least VOICE_END_GAP_MS after the last packet was sent, and after it came.
    const ended = await end;
    assert.ok(ended >= beforeLast + VOICE_END_GAP_MS && ended >= received, `ended at ${ended}, last packet sent at ${beforeLast}, counted by ${received}`);
    // The script went on: its say began at that end (after the last packet left the application), then the key.
    await events.next(is('ChannelDtmfReceived', caller));
    const report = sim.call(caller).report();
    assert.equal(report.said?.length, 1);
    assert.ok(Date.parse(report.said[0]!.startedAt) >= wallBeforeLast, `said from ${report.said[0]?.startedAt}, last packet sent at ${new Date(wallBeforeLast).toISOString()}`);
    assert.deepEqual(report.pressed.map((p) => p.digit), ['1']);
    assert.equal(report.externalMedia?.[0]?.received.packets, 10);
  });

  it('ends when a reply is cut short (barge-in: FLUSH_MEDIA on the media WebSocket), at the last frame written', async function () {
    const caller = await answered([{ waitFor: 'voice-end' }, { dtmf: '1' }]);
    const em = await ari.ok('POST', '/channels/externalMedia', { app: 'app1', format: 'slin16', encapsulation: 'none', transport: 'websocket', connection_type: 'server', channelId: 'wem-2' });
    const connection = (em.channelvars as Record<string, string>).MEDIA_WEBSOCKET_CONNECTION_ID;
    const ws = new WebSocket(`${sim.url.replace(/^http/, 'ws').replace(/\/$/, '')}/media/${connection}`, 'media');
    try {
      const texts: string[] = [];
      const status = new Promise<void>((resolve) => {
        ws.on('message', (data: Buffer, isBinary) => {
          if (isBinary) return;
          const text = data.toString('utf8');
          texts.push(text);
          if (text.startsWith('STATUS')) resolve();
        });
      });
      await events.next(is('StasisStart', 'wem-2'));
      await ari.ok('POST', '/bridges/b-2', { type: 'mixing' });
      await ari.ok('POST', '/bridges/b-2/addChannel', { channel: `${caller},wem-2` });
      const end = sim.call(caller).until('voice-end');
      // A whole second of reply in one message: chan_websocket queues 50 frames and writes one every 20 ms.
      const sent = now();
      ws.send(Buffer.alloc(50 * 640, 0x10), { binary: true });
      // The caller speaks over it: the application stops its reply 200 ms in.
      await sim.asterisk.clock.sleep(200, undefined, sent);
      ws.send('FLUSH_MEDIA');
      ws.send('GET_STATUS');
      await status;
      const ended = await end;
      assert.match(texts.find((t) => t.startsWith('STATUS')) ?? '', /queue_length:0\b|"queue_length":0\b/);
      assert.ok(ended > sent + VOICE_END_GAP_MS, `ended at ${ended}: the gap after the reply that began at ${sent}`);
      assert.ok(ended < sent + 1000 + VOICE_END_GAP_MS, `ended at ${ended}, before the second sent from ${sent} would have`);
      await events.next(is('ChannelDtmfReceived', caller));
    } finally {
      ws.close();
    }
  });

  it('does not count audio sent to external media bridged with a snoop of the party: it reaches nobody', async function () {
    // The plugin's listen mode: external media in a bridge with a snoop channel (spy in) of the call. A snoop spying
    // in whispers nothing, so what the application sends there is not heard: the step runs to its timeout.
    const started = now();
    const caller = await answered([{ waitFor: 'voice-end', timeout: 1000 }, { dtmf: '1' }]);
    await ari.ok('POST', `/channels/${caller}/snoop/snoop-3`, { spy: 'in', app: 'app1' });
    await events.next(is('StasisStart', 'snoop-3'));
    const port = await rtpMedia('em-3', 'snoop-3');
    const rtp = new RtpSequence(0);
    for (let i = 0; i < 10; i++) app.send(rtp.next(FRAME, 160), port, '127.0.0.1');
    // Counted for the call (the channel serves it), and received well within the wait.
    assert.equal((await sim.call(caller).mediaReceived(10)).channelId, 'em-3');
    const received = now();
    assert.ok(received < started + 600, `the packets came at ${received}, within the wait that began after ${started}`);
    await events.next(is('ChannelDtmfReceived', caller));
    // The key (100 ms long) followed the timeout, not the packets' end plus the gap.
    const pressed = now();
    assert.ok(pressed >= started + 1000 + 100, `pressed by ${pressed}: the wait began after ${started} and timed out after 1000 ms`);
  });

  it('is not met by audio to a party muted for what it hears, nor from a channel its bridge reads nothing from', async function () {
    const caller = await answered([{ wait: 60_000 }]);
    const port = await rtpMedia('em-4', caller);
    let ended: number | undefined;
    const end = sim.call(caller).until('voice-end').then((at) => (ended = at));
    const rtp = new RtpSequence(0);
    /** 10 packets to a port, counted for the call, then longer than the gap: the wait must still be on. */
    const unheard = async (to: number, channelId: string, seq: RtpSequence): Promise<void> => {
      for (let i = 0; i < 10; i++) app.send(seq.next(FRAME, 160), to, '127.0.0.1');
      await counted(caller, channelId, 10);
      await sim.asterisk.clock.sleep(VOICE_END_GAP_MS + 40);
      assert.equal(ended, undefined, `${channelId}: the wait ended on audio the party does not hear`);
    };
    // POST /channels/{id}/mute direction out: the party hears nothing.
    await ari.ok('POST', `/channels/${caller}/mute`, { direction: 'out' });
    await unheard(port, 'em-4', rtp);
    await ari.ok('DELETE', `/channels/${caller}/mute`, { direction: 'out' });
    // Another external media channel added with mute=true: the bridge reads no audio from it.
    const muted = await ari.ok('POST', '/channels/externalMedia', { app: 'app1', external_host: `127.0.0.1:${app.address().port}`, format: 'ulaw', channelId: 'em-5' });
    await events.next(is('StasisStart', 'em-5'));
    await ari.ok('POST', '/bridges/b-em-4/addChannel', { channel: 'em-5', mute: true });
    await unheard(Number((muted.channelvars as Record<string, string>).UNICASTRTP_LOCAL_PORT), 'em-5', new RtpSequence(0));
    // Heard again: the wait ends after these packets.
    const heard = now();
    for (let i = 0; i < 5; i++) app.send(rtp.next(FRAME, 160), port, '127.0.0.1');
    await end;
    assert.ok(ended !== undefined && ended >= heard + VOICE_END_GAP_MS, `ended at ${ended}, from packets sent after ${heard}`);
  });

  it('is refused over HTTP with the conditions listed when the kind is unknown', async function () {
    const res = await fetch(`${sim.url}/sim/calls`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ from: '1', to: '2', script: [{ waitFor: 'voice-start' }] }) });
    assert.equal(res.status, 400);
    assert.match(String(((await res.json()) as Json).message), /script step 0 .*"waitFor" must be answer, playback-start, playback-end, silence, bridged, recording, listened or voice-end/);
  });

  it("SimCall.until('voice-end') rejects when the call ends first, rather than waiting for ever", async function () {
    const caller = await answered([{ wait: 60_000 }]);
    const waiting = sim.call(caller).until('voice-end');
    sim.call(caller).hangup(16);
    await assert.rejects(waiting, new RegExp(`call ${caller} ended`));
  });
});
