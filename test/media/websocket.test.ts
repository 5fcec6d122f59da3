/**
 * The WebSocket transport of the media path (lib/media/websocket-endpoint.ts) on the simulated Asterisk, which serves
 * /media/<connection_id> as chan_websocket does: listening and bridging, speech end found (its frames handed on as
 * they come), an answering machine and its beep detected, audio sent back kept in the call's report, clean-up on
 * hangup, close, a network failure and a restart, an Asterisk without chan_websocket; then
 * hostile peers: a stand-in "Asterisk" sending bad control messages and oversized frames, and the simulator's own
 * queue limits (MEDIA_XOFF / MEDIA_XON).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import type { AnalysisEvent } from '../../lib/media/analysis';
import { encodeUlaw } from '../../lib/media/codec';
import { detectMachine } from '../../lib/media/detect';
import { listenForSpeech } from '../../lib/media/listen';
import { mediaSettingsFrom, type MediaSettings } from '../../lib/media/path';
import { WebSocketEndpoint } from '../../lib/media/websocket-endpoint';
import { parseControlMessage } from '../../lib/media/websocket-protocol';
import { assertLeft, hangUpCaller, playHalfSecond, restartSweeps, useMediaRig } from '../support/media-path';
import { MemoryLogger } from '../support/telephony';

// worker: true (the default) does not apply to the WebSocket transport: its endpoint is in this thread all the same.
const settings: MediaSettings = { bindHost: '127.0.0.1', advertiseHost: '127.0.0.1', portMin: 45000, portMax: 45999, format: 'slin16', transport: 'websocket', worker: true };

/** The names of the control messages `ep` handles from now on, until one `last` accepts (included). */
function controlsUntil(ep: WebSocketEndpoint, last: (name: string | undefined) => boolean): Promise<Array<string | undefined>> {
  const seen: Array<string | undefined> = [];
  return new Promise((resolve) => {
    const on = (name: string | undefined): void => {
      seen.push(name);
      if (!last(name)) return;
      ep.off('control', on);
      resolve(seen);
    };
    ep.on('control', on);
  });
}

/** Resolves once `done()` holds, asked again as each message reaches the peer's socket. */
function peerUntil(ws: WebSocket, done: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (done()) return resolve();
    const on = (): void => {
      if (!done()) return;
      ws.off('message', on);
      resolve();
    };
    ws.on('message', on);
  });
}

describe('media path over a WebSocket (simulated Asterisk, chan_websocket)', function () {
  const m = useMediaRig(settings);
  const { answeredCall, open } = m;
  const onlyTheCall = (id: string): void => assertLeft(m.r, [id]);

  it("settings: callflowMedia.transport is 'rtp' or 'websocket', anything else is refused naming the field", function () {
    const ws = mediaSettingsFrom({ transport: 'websocket' });
    assert.equal(ws.ok && ws.settings.transport, 'websocket');
    const none = mediaSettingsFrom(undefined);
    assert.equal(none.ok && none.settings.transport, undefined, 'absent: rtp');
    const rtp = mediaSettingsFrom({ transport: 'rtp' });
    assert.equal(rtp.ok && rtp.settings.transport, 'rtp');
    const bad = mediaSettingsFrom({ transport: 'tcp' });
    assert.equal(bad.ok, false);
    assert.match(!bad.ok ? bad.error : '', /^callflowMedia\.transport must be "rtp" or "websocket", got "tcp"$/);
  });

  it("listens to the caller through a snoop and a WebSocket channel; the caller's voice arrives; all goes when the call hangs up", async function () {
    const id = await answeredCall([{ wait: 300 }, { say: 30_000 }, { wait: 60_000 }]);
    const { path, voice } = await open(id, 'listen');
    const names = m.r.sim.asterisk.channelList().map((c) => c.name);
    assert.ok(names.some((n) => n.startsWith('WebSocket/INCOMING/')), names.join());
    assert.ok(!names.some((n) => n.startsWith('UnicastRTP/')), 'no RTP channel');
    assert.ok(path.endpoint instanceof WebSocketEndpoint);
    assert.equal(path.endpoint.start?.fields.format, 'slin16');
    assert.equal(path.endpoint.start?.fields.optimal_frame_size, '640');
    assert.ok((await voice) > 1000, "the caller's voice arrives");
    const report = m.r.sim.asterisk.report(id)?.externalMedia?.[0];
    assert.equal(report?.transport, 'websocket');
    assert.ok((report?.sent.packets ?? 0) > 0, 'the simulator counted what it sent');
    assert.match(await hangUpCaller(m.r, id, path), /the snoop channel ended|the media WebSocket closed|the external media channel ended/);
    assertLeft(m.r, []);
  });

  it('bridged with the call: audio sent back arrives at the simulator in 20 ms frames, kept in the call report (500 ms)', async function () {
    const id = await answeredCall();
    const { path } = await open(id, 'bridge');
    const got = await playHalfSecond(m.r, id, path);
    assert.equal(got.transport, 'websocket');
    assert.equal(got.received.durationMs, 500);
    assert.equal(got.received.bytes, 25 * 640, '25 frames of 640 bytes (slin16, 20 ms)');
    assert.ok(path.endpoint instanceof WebSocketEndpoint);
    assert.equal(path.endpoint.stats.sent.packets, 23, 'the three lead frames in one message, 22 paced');
    await path.close();
    onlyTheCall(id);
  });

  it("finds the end of what a caller says (listenForSpeech over the WebSocket transport), handing on the speech's frames as they come", async function () {
    const id = await answeredCall([{ wait: 400 }, { say: 1200 }, { wait: 60_000 }]);
    const streamed: Int16Array[] = [];
    const heard = await listenForSpeech(m.r.conn, id, settings, { onSpeechAudio: (f) => streamed.push(f), signal: new AbortController().signal, log: m.r.log });
    assert.equal(heard.outcome, 'speech');
    const ms = heard.outcome === 'speech' ? (heard.audio.samples.length / heard.audio.rate) * 1000 : 0;
    assert.ok(ms >= 1000, `${ms} ms of audio kept`);
    // What a streaming recogniser got: the speech from its pre-roll on, the utterance's samples first.
    const samples = heard.outcome === 'speech' ? heard.audio.samples : new Int16Array(0);
    const total = streamed.reduce((n, f) => n + f.length, 0);
    assert.ok(total >= samples.length, `${total} samples streamed for an utterance of ${samples.length}`);
    const head = new Int16Array(total);
    streamed.reduce((at, f) => (head.set(f, at), at + f.length), 0);
    assert.deepEqual(head.subarray(0, samples.length), samples);
    onlyTheCall(id);
  });

  it("detects an answering machine over the WebSocket transport (the analysis runs in its endpoint), waiting for the machine's beep", async function () {
    const id = await answeredCall([{ waitFor: 'listened' }, { wait: 300 }, { machine: { greeting: 4, beep: true } }, { wait: 60_000 }]);
    const detection = await detectMachine(m.r.conn, id, settings, { waitForBeep: true, beepTimeoutMs: 15_000, signal: new AbortController().signal, log: m.r.log });
    assert.equal(detection.status, 'MACHINE');
    assert.equal(detection.beep?.frequencyHz, 1000);
    onlyTheCall(id);
  });

  it("closes when the call's signal aborts (a node closing): the WebSocket channel is hung up, nothing left", async function () {
    const id = await answeredCall();
    const ac = new AbortController();
    const { path } = await open(id, 'listen', ac.signal);
    ac.abort();
    const ended = new Promise<string>((resolve) => path.onEnded(resolve));
    assert.equal(await ended, 'the call ended');
    await path.close();
    onlyTheCall(id);
    assert.ok(!m.r.log.lines.some((l) => /failed/.test(l)), m.r.log.lines.filter((l) => /failed/.test(l)).join('\n'));
  });

  it('a network failure cuts the media WebSocket: Asterisk hangs the channel up, the path ends and cleans up after the reconnect', async function () {
    const id = await answeredCall();
    const { path } = await open(id, 'bridge');
    const ended = new Promise<string>((resolve) => path.onEnded(resolve));
    m.r.sim.dropWebSockets();
    assert.match(await ended, /the media WebSocket closed|the external media channel ended/);
    await m.r.conn.whenConnected(AbortSignal.timeout(5000));
    await path.close();
    onlyTheCall(id);
  });

  it('after a crash of Node-RED (its sockets gone): Asterisk hangs up the WebSocket channel, the registry the snoop, sweepMediaBridges the bridge', async function () {
    const id = await answeredCall();
    const { path } = await open(id, 'listen');
    const { bridge, snoop } = path.ids;
    // The crash: the connection goes first, so nothing the path would do once its socket closes reaches Asterisk (its
    // own teardown, which hangs up the snoop, must not stand in for the registry's); then the media WebSocket.
    await m.r.conn.close();
    await path.endpoint.close();
    await restartSweeps(m.r, [snoop!], bridge);
  });

  it('an Asterisk without chan_websocket: a clear error naming the versions and the RTP fallback, nothing left behind', async function () {
    await m.replace({ websocketMedia: false });
    const id = await answeredCall();
    await assert.rejects(open(id, 'listen'), (err: Error) => {
      assert.match(err.message, new RegExp(`^media path of call ${id} did not open: .*chan_websocket.*set callflowMedia\\.transport to "rtp"`));
      return true;
    });
    onlyTheCall(id);
  });

  it('the simulator refuses an unknown connection id (404) and a second client (409)', async function () {
    const ep = new WebSocketEndpoint({ format: 'slin16', rate: 16000, log: m.r.log });
    const url = `${m.r.sim.url.replace(/^http/, 'ws')}/media/no-such-id`;
    await assert.rejects(ep.connect({ connectionId: 'no-such-id', url, headers: {} }, new AbortController().signal), /HTTP 404 \(no such connection id\)/);
    const id = await answeredCall();
    const { path } = await open(id, 'listen');
    const made = m.r.sim.asterisk.channel(path.ids.channel);
    const connectionId = made.vars.get('MEDIA_WEBSOCKET_CONNECTION_ID') ?? '';
    const second = new WebSocketEndpoint({ format: 'slin16', rate: 16000, log: m.r.log });
    await assert.rejects(second.connect({ connectionId, url: `${m.r.sim.url.replace(/^http/, 'ws')}/media/${connectionId}`, headers: {} }, new AbortController().signal), /HTTP 409 \(already connected\)/);
    await path.close();
  });

  it('the simulator queues at most 1000 frames: MEDIA_XOFF at 900, MEDIA_XON once its 20 ms reads bring it under 800; GET_STATUS answers', async function () {
    const id = await answeredCall();
    const channelId = `ws-raw-${id}`;
    const made = await m.r.conn.externalMedia({ channelId, transport: 'websocket', format: 'ulaw' });
    assert.ok(made.websocket, 'a connection id');
    const ws = new WebSocket(made.websocket.url, ['media'], { headers: made.websocket.headers });
    const texts: string[] = [];
    const waitFor = (name: string): Promise<void> =>
      new Promise((resolve) => {
        const check = (data: WebSocket.RawData, isBinary: boolean): void => {
          if (isBinary) return;
          const text = Buffer.isBuffer(data) ? data.toString('utf8') : '';
          texts.push(text);
          if (text.split(' ')[0] === name) {
            ws.off('message', check);
            resolve();
          }
        };
        ws.on('message', check);
      });
    const started = waitFor('MEDIA_START');
    await started;
    assert.match(texts[0] ?? '', new RegExp(`^MEDIA_START connection_id:${made.websocket.connectionId} channel:WebSocket/INCOMING/0x[0-9a-f]+ channel_id:${channelId} format:ulaw optimal_frame_size:160 ptime:20$`));
    const xoff = waitFor('MEDIA_XOFF');
    // Ten messages of 95 frames (a message over 64 KiB would close the socket: res_http_websocket's 1009).
    for (let i = 0; i < 10; i++) ws.send(Buffer.alloc(160 * 95, 0xff));
    await xoff;
    const status = waitFor('STATUS');
    ws.send('GET_STATUS');
    await status;
    assert.match(texts.at(-1) ?? '', new RegExp(`^STATUS channel_id:${channelId} queue_length:\\d+ xon_level:800 xoff_level:900 queue_full:true bulk_media:false media_paused:false$`));
    await waitFor('MEDIA_XON');
    ws.send('x'.repeat(200)); // over chan_websocket's 128-character limit: ignored
    ws.send('HANGUP');
    const [code] = (await once(ws, 'close')) as [number];
    assert.equal(code, 1000);
    assert.ok(m.r.sim.asterisk.channelList().every((c) => c.id !== channelId), 'HANGUP hung the channel up');
  });

  it('in JSON control format (chan_websocket.conf control_message_format = json): MEDIA_START carries the channel variables, an unreadable command gets ERROR', async function () {
    await m.replace({ websocketControlFormat: 'json' });
    const id = await answeredCall();
    const { path } = await open(id, 'listen');
    assert.ok(path.endpoint instanceof WebSocketEndpoint);
    assert.equal(path.endpoint.controlFormat, 'json');
    const vars = path.endpoint.start?.fields.channel_variables as Record<string, string> | undefined;
    assert.equal(vars?.MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE, '640');
    assert.equal(vars?.MEDIA_WEBSOCKET_CONNECTION_ID, path.endpoint.start?.fields.connection_id);
    const answered = controlsUntil(path.endpoint, (name) => name === 'STATUS');
    path.endpoint.command('{oops');
    path.endpoint.command('GET_STATUS');
    assert.deepEqual(await answered, ['ERROR', 'STATUS'], 'ERROR for the unreadable command, then the status asked for');
    assert.equal(path.endpoint.stats.control.errors, 1);
    assert.ok(m.r.log.lines.some((l) => /Asterisk says "Unable to parse JSON command"/.test(l)));
    await path.close();
    onlyTheCall(id);
  });
});

describe('WebSocket media endpoint against a hostile peer', function () {
  let server: WebSocketServer;
  let url: string;
  let peer: Promise<WebSocket>;
  beforeEach(async function () {
    server = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => 'media' });
    await once(server, 'listening');
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/media/abc`;
    peer = once(server, 'connection').then(([ws]) => ws as WebSocket);
  });
  afterEach(async function () {
    for (const c of server.clients) c.terminate();
    await new Promise((resolve) => server.close(resolve));
  });
  const target = (): { connectionId: string; url: string; headers: Record<string, string> } => ({ connectionId: 'abc', url, headers: { Authorization: 'Basic eDp5' } });
  const START = 'MEDIA_START connection_id:abc channel:WebSocket/INCOMING/0x1 channel_id:1.1 format:slin16 optimal_frame_size:640 ptime:20';
  /** Connects `ep` to the peer, which records what it gets (binary messages, texts) and then says `start`. */
  const opened = async (ep: WebSocketEndpoint, start: string): Promise<{ ws: WebSocket; binary: Buffer[]; texts: string[] }> => {
    const connecting = ep.connect(target(), new AbortController().signal);
    const ws = await peer;
    const binary: Buffer[] = [];
    const texts: string[] = [];
    ws.on('message', (d, isBinary) => (isBinary ? binary.push(d as Buffer) : texts.push((d as Buffer).toString('utf8'))));
    ws.send(start);
    await connecting;
    return { ws, binary, texts };
  };

  it('refuses a first message that is not MEDIA_START, and a format other than the one asked for, with a sentence', async function () {
    const ep = new WebSocketEndpoint({ format: 'slin16', rate: 16000, log: new MemoryLogger() });
    const connecting = ep.connect(target(), new AbortController().signal);
    (await peer).send('\u0000\u0001 garbage');
    await assert.rejects(connecting, /first message on .* was not MEDIA_START/);
    peer = once(server, 'connection').then(([ws]) => ws as WebSocket);
    const ep2 = new WebSocketEndpoint({ format: 'ulaw', rate: 8000, log: new MemoryLogger() });
    const c2 = ep2.connect(target(), new AbortController().signal);
    (await peer).send(START);
    await assert.rejects(c2, /Asterisk sends "slin16" .*, ulaw was asked for/);
  });

  it('counts and logs bad control messages, never throws; ERROR is logged; frames of any length are cut into 20 ms', async function () {
    const log = new MemoryLogger();
    const frames: Int16Array[] = [];
    let gotTwo!: () => void;
    const twoFrames = new Promise<void>((resolve) => (gotTwo = resolve));
    const ep = new WebSocketEndpoint({ format: 'slin16', rate: 16000, log, onAudio: (s) => frames.push(s) === 2 && gotTwo() });
    const connecting = ep.connect(target(), new AbortController().signal);
    const ws = await peer;
    ws.send(START);
    await connecting;
    const handled = controlsUntil(ep, (name) => name === 'MEDIA_XON');
    for (const bad of ['{not json', '{"event":42}', '[1,2]', 'lowercase words', '', '{"event":"NO_SUCH_EVENT"}', 'ERROR channel_id:1.1 error_text:Unable to parse JSON command', 'x'.repeat(20_000)]) ws.send(bad);
    // 641 + 639 bytes: one odd byte carried over, two 640-byte frames of 320 samples.
    const pcm = Buffer.alloc(1280);
    for (let i = 0; i < 640; i++) pcm.writeInt16LE(1000 + i, i * 2);
    ws.send('MEDIA_XON');
    ws.send(pcm.subarray(0, 641));
    ws.send(pcm.subarray(641));
    await handled;
    await twoFrames;
    assert.deepEqual(ep.stats.control, { events: 3, unknown: 1, malformed: 6, errors: 1, xoff: 0 });
    assert.equal(frames.length, 2);
    assert.equal(frames[0]?.[0], 1000);
    assert.equal(frames[1]?.[319], 1639, 'samples little-endian, in order across the split');
    assert.equal(log.lines.filter((l) => /could not be read/.test(l)).length, 1, 'malformed messages logged once');
    assert.ok(log.lines.some((l) => /Asterisk says "Unable to parse JSON command"/.test(l)));
    await ep.close();
  });

  it('a message over the size limit closes the socket with a clear reason', async function () {
    let closedWith!: (why: string) => void;
    const closed = new Promise<string>((resolve) => (closedWith = resolve));
    const ep = new WebSocketEndpoint({ format: 'slin16', rate: 16000, log: new MemoryLogger(), maxMessageBytes: 4096, onClosed: (w) => closedWith(w) });
    const connecting = ep.connect(target(), new AbortController().signal);
    const ws = await peer;
    ws.send(START);
    await connecting;
    ws.send(Buffer.alloc(5000));
    assert.equal(await closed, 'Asterisk sent a media message over 4096 bytes');
  });

  it("sends the first three frames of a stream at once (a 60 ms cushion in Asterisk's queue), then paces the rest", async function () {
    const ep = new WebSocketEndpoint({ format: 'ulaw', rate: 8000, log: new MemoryLogger() });
    const connecting = ep.connect(target(), new AbortController().signal);
    (await peer).send(START.replace('format:slin16', 'format:ulaw').replace('optimal_frame_size:640', 'optimal_frame_size:160'));
    await connecting;
    const done = ep.play(new Int16Array(8000 * 0.2));
    assert.equal(ep.stats.sent.packets, 2, 'three lead frames in one message and the first paced one, before any timer');
    assert.equal(ep.stats.sent.bytes, 4 * 160);
    await done;
    assert.equal(ep.stats.sent.packets, 8);
    assert.equal(ep.stats.sent.bytes, 10 * 160);
    await ep.close();
  });

  it("on MEDIA_XON sends at most 100 held frames (Asterisk's XOFF level less its XON level), the newest; the older are counted dropped", async function () {
    // chan_websocket says XON below 800 frames queued and ignores a whole message once 1000 are: every held frame sent
    // at once would be lost past the 200th or so without a word, and counted as sent.
    const ep = new WebSocketEndpoint({ format: 'ulaw', rate: 8000, log: new MemoryLogger() });
    const { ws, binary, texts } = await opened(ep, START.replace('format:slin16', 'format:ulaw').replace('optimal_frame_size:640', 'optimal_frame_size:160'));
    const xoff = controlsUntil(ep, (name) => name === 'MEDIA_XOFF');
    ws.send('MEDIA_XOFF');
    await xoff;
    // 4 s held: the lead message of 3 frames, then up to 197 of one frame (fewer if a late timer made the pacer drop some).
    await ep.play(new Int16Array(8000 * 4));
    const held = ep.stats.sent.held;
    assert.ok(held > 100, `${held} messages held`);
    const xon = controlsUntil(ep, (name) => name === 'MEDIA_XON');
    ws.send('MEDIA_XON');
    await xon;
    // A command after them: once the peer has it, it has every message sent before.
    ep.command('GET_STATUS');
    await peerUntil(ws, () => texts.length === 1);
    assert.equal(binary.length, 100);
    assert.ok(binary.every((b) => b.length === 160), 'the newest 100 frames, each its own message');
    assert.equal(ep.stats.sent.packets, 100);
    assert.equal(ep.stats.sent.dropped, held - 100);
    await ep.close();
  });

  it("waits for Asterisk's queue to drain after a play (REPORT_QUEUE_DRAINED, QUEUE_DRAINED), so the frames sent ahead are heard; a stop ends the wait", async function () {
    const ep = new WebSocketEndpoint({ format: 'ulaw', rate: 8000, log: new MemoryLogger(), drainWaitMs: 600_000 });
    const { ws, texts } = await opened(ep, START.replace('format:slin16', 'format:ulaw').replace('optimal_frame_size:640', 'optimal_frame_size:160'));
    await ep.play(new Int16Array(1600));
    let drained = false;
    const waiting = ep.queueDrained().then(() => (drained = true));
    await peerUntil(ws, () => texts.includes('REPORT_QUEUE_DRAINED'));
    assert.equal(drained, false, 'not before Asterisk says so');
    ws.send('QUEUE_DRAINED');
    await waiting;
    // A barge-in (FLUSH_MEDIA) empties Asterisk's queue: nothing more to wait for.
    const stopped = ep.queueDrained();
    ep.stopPlaying();
    await stopped;
    await peerUntil(ws, () => texts.length === 3);
    assert.deepEqual(texts, ['REPORT_QUEUE_DRAINED', 'REPORT_QUEUE_DRAINED', 'FLUSH_MEDIA']);
    await ep.close();
    assert.equal(await ep.queueDrained(), undefined, 'closed: at once');
  });

  it('bridged (fillGaps): the end of speech is decided when Asterisk stops sending frames after the voice', async function () {
    let ended!: (e: AnalysisEvent) => void;
    const decision = new Promise<AnalysisEvent>((resolve) => (ended = resolve));
    const ep = new WebSocketEndpoint({
      format: 'ulaw',
      rate: 8000,
      log: new MemoryLogger(),
      fillGaps: true,
      analysis: { kind: 'speech-end', parameters: { endSilenceMs: 400, minSpeechMs: 100, preRollMs: 0, startTimeoutMs: 60_000, maxSpeechMs: 60_000 }, counting: true },
      onEvent: (e) => e.type === 'speech-ended' && ended(e),
    });
    const { ws } = await opened(ep, START.replace('format:slin16', 'format:ulaw').replace('optimal_frame_size:640', 'optimal_frame_size:160'));
    // 600 ms of voice in one message, then nothing (as chan_websocket sends nothing while the bridge gives it none).
    const voice = new Int16Array(8 * 600).map((_, i) => (i % 2 === 0 ? 3000 : -3000));
    ws.send(encodeUlaw(voice), { binary: true });
    const end = await decision;
    assert.ok(end.type === 'speech-ended' && end.result.outcome === 'speech');
    assert.equal(end.result.audio.samples.length, 8 * 600);
    await ep.close();
  });

  it('holds frames on MEDIA_XOFF and sends them on MEDIA_XON; FLUSH_MEDIA on barge-in, in the control format Asterisk speaks', async function () {
    const ep = new WebSocketEndpoint({ format: 'slin16', rate: 16000, log: new MemoryLogger() });
    const { ws, binary, texts } = await opened(ep, JSON.stringify({ event: 'MEDIA_START', connection_id: 'abc', channel: 'WebSocket/INCOMING/0x1', channel_id: '1.1', format: 'slin16', optimal_frame_size: 640, ptime: 20, channel_variables: {} }));
    assert.equal(ep.controlFormat, 'json');
    const xoff = controlsUntil(ep, (name) => name === 'MEDIA_XOFF');
    ws.send('{"event":"MEDIA_XOFF","channel_id":"1.1"}');
    await xoff;
    assert.equal(ep.stats.control.xoff, 1);
    await ep.play(new Int16Array(16000 * 0.1));
    assert.equal(ep.stats.sent.held, 3, '100 ms held: the lead message of 3 frames and 2 frames');
    assert.equal(ep.stats.sent.packets, 0);
    ws.send('{"event":"MEDIA_XON","channel_id":"1.1"}');
    await peerUntil(ws, () => binary.length === 3);
    assert.deepEqual(binary.map((b) => b.length), [3 * 640, 640, 640]);
    ep.stopPlaying();
    await peerUntil(ws, () => texts.length === 1);
    const flush = parseControlMessage(texts[0] ?? '', 'command');
    assert.ok(flush.ok && flush.message.name === 'FLUSH_MEDIA' && flush.message.format === 'json');
    await ep.close();
  });
});
