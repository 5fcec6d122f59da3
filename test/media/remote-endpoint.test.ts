/**
 * The RTP packet path on its worker thread (lib/media/remote-endpoint.ts, media-thread.ts) over real UDP on
 * 127.0.0.1: the end-of-speech analysis runs there and only its events cross (not the frames, unless the speech's
 * audio was asked for: then the frames of the speech, and only those); audio sent back is
 * paced there and the play resolves with the figures; a full port range is the same NoPortError; when the thread
 * stops (killed, or an error in it), every endpoint it held fails with a sentence saying so, its ports are free, and
 * the next endpoint gets a new thread. Each test has a thread of its own. Waits are on arrivals and events, not time.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import type { AnalysisEvent } from '../../lib/media/analysis';
import { encodeUlaw } from '../../lib/media/codec';
import { NoPortError, RtpEndpoint } from '../../lib/media/endpoint';
import { mediaSettingsFrom } from '../../lib/media/path';
import { MediaThread, RemoteEndpoint } from '../../lib/media/remote-endpoint';
import { RtpSequence } from '../../lib/media/rtp';

async function udp(port = 0): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, '127.0.0.1', resolve);
  });
  return s;
}

function send(from: Socket, data: Buffer, port: number): Promise<void> {
  return new Promise((resolve) => from.send(data, port, '127.0.0.1', () => resolve()));
}

describe('media: the RTP packet path on its worker thread', function () {
  let thread: MediaThread;
  const sockets: Socket[] = [];
  beforeEach(function () {
    thread = new MediaThread();
  });
  afterEach(async function () {
    for (const s of sockets.splice(0)) s.close();
    await thread.stop();
  });

  /**
   * An endpoint on the thread analysing the speech of `analysis` (end silence 400 ms, no pre-roll) hears 200 ms of
   * silence, 600 ms of voice, 500 ms of silence (65 packets); resolves once speech-ended came, with what crossed.
   */
  async function speechThrough(audio: boolean): Promise<{ ep: RemoteEndpoint; events: AnalysisEvent[]; crossed: number }> {
    const asterisk = await udp();
    sockets.push(asterisk);
    const events: AnalysisEvent[] = [];
    let ended!: () => void;
    const done = new Promise<void>((resolve) => (ended = resolve));
    const ep = new RemoteEndpoint(
      {
        host: '127.0.0.1',
        min: 46000,
        max: 46999,
        format: 'ulaw',
        rate: 8000,
        jitterDepth: 0,
        analysis: { kind: 'speech-end', parameters: { endSilenceMs: 400, minSpeechMs: 100, preRollMs: 0 }, counting: true, audio },
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'speech-ended') ended();
        },
      },
      thread,
    );
    const local = await ep.listen();
    ep.setRemote('127.0.0.1', asterisk.address().port);
    const heardBefore = thread.heard;
    const seq = new RtpSequence(0);
    const levels = [...Array<number>(10).fill(0), ...Array<number>(30).fill(3000), ...Array<number>(25).fill(0)];
    for (const level of levels) {
      const frame = new Int16Array(160).map((_, i) => (i % 2 === 0 ? level : -level));
      await send(asterisk, seq.next(encodeUlaw(frame), 160), local.port);
    }
    await done;
    return { ep, events, crossed: thread.heard - heardBefore };
  }

  it('analyses the speech on the worker: speech-started, then speech-ended with the utterance; no frame crosses', async function () {
    const { ep, events, crossed } = await speechThrough(false);
    assert.deepEqual(
      events.map((e) => e.type),
      ['speech-started', 'speech-ended'],
    );
    const end = events[1];
    assert.ok(end?.type === 'speech-ended');
    assert.equal(end.result.outcome, 'speech');
    assert.equal(end.result.startedAtMs, 200);
    // The utterance: the 600 ms of voice (no pre-roll, the end silence left out).
    assert.equal(end.result.audio.samples.length, 30 * 160);
    assert.equal(crossed, 2, 'two events crossed for 65 packets');
    assert.deepEqual(await ep.analyse('time-up'), end, 'a later time-up answers the same decision');
    assert.equal(ep.stats.received.packets, 0, 'figures come back with a play or the close');
    await ep.close();
    assert.equal(ep.stats.received.packets, 65);
  });

  for (const where of ['worker', 'event loop'] as const) {
    it(`a new analysis on an open endpoint (a robot's next listening, ${where}): the next speech is worked out anew, from its first frame`, async function () {
      const asterisk = await udp();
      sockets.push(asterisk);
      const events: AnalysisEvent[] = [];
      let ended: () => void = () => undefined;
      const spec = { kind: 'speech-end' as const, parameters: { endSilenceMs: 400, minSpeechMs: 100, preRollMs: 0 }, counting: true };
      const options = {
        host: '127.0.0.1',
        min: 46000,
        max: 46999,
        format: 'ulaw' as const,
        rate: 8000 as const,
        jitterDepth: 0,
        analysis: spec,
        onEvent: (e: AnalysisEvent) => {
          events.push(e);
          if (e.type === 'speech-ended') ended();
        },
      };
      const ep = where === 'worker' ? new RemoteEndpoint(options, thread) : new RtpEndpoint(options);
      const local = await ep.listen();
      ep.setRemote('127.0.0.1', asterisk.address().port);
      const seq = new RtpSequence(0);
      /**
       * 200 ms of silence, `voice` frames of voice, then the 400 ms of silence that end it (no frame after the one
       * that decides, so none is left on its way to the next analysis); resolves at the speech-ended it makes.
       */
      const utterance = async (voice: number): Promise<void> => {
        const done = new Promise<void>((resolve) => (ended = resolve));
        for (const level of [...Array<number>(10).fill(0), ...Array<number>(voice).fill(3000), ...Array<number>(20).fill(0)]) {
          const frame = new Int16Array(160).map((_, i) => (i % 2 === 0 ? level : -level));
          await send(asterisk, seq.next(encodeUlaw(frame), 160), local.port);
        }
        await done;
      };
      await utterance(30);
      ep.reanalyse(spec);
      // A round trip to the worker behind the new analysis: it is in place before the next packets come (on a busy
      // machine the worker could read them before its message queue, and give them to the analysis before).
      assert.equal(await ep.analyse('wait-from'), undefined);
      if (ep instanceof RemoteEndpoint) {
        // What the earlier analysis said on its way from the worker after the new one began: dropped.
        ep.receive({ op: 'event', id: 0, gen: 0, event: { type: 'speech-started' } });
      }
      await utterance(15);
      assert.deepEqual(
        events.map((e) => e.type),
        ['speech-started', 'speech-ended', 'speech-started', 'speech-ended'],
      );
      const second = events[3];
      assert.ok(second?.type === 'speech-ended');
      // Counted from the new analysis's first frame (10 of silence), the utterance its own 15 frames.
      assert.equal(second.result.outcome, 'speech');
      assert.equal(second.result.startedAtMs, 200);
      assert.equal(second.result.audio.samples.length, 15 * 160);
      assert.deepEqual(await ep.analyse('time-up'), second, 'a time-up answers the new decision');
      await ep.close();
    });
  }

  it("asked for the speech's audio (a streaming recogniser): its frames cross, from the start of speech to its end, and no others", async function () {
    const { ep, events, crossed } = await speechThrough(true);
    const types = events.map((e) => e.type);
    // Speech starts on the 5th voice frame (100 ms): the 5 kept frames in one message, then the speech started; then
    // one message per frame: 25 more of voice and the 20 of silence up to the one that ends the speech.
    assert.deepEqual(types, ['speech-audio', 'speech-started', ...Array<string>(45).fill('speech-audio'), 'speech-ended']);
    assert.equal(crossed, 48);
    const frames = events.flatMap((e) => (e.type === 'speech-audio' ? e.frames : []));
    assert.equal(frames.length, 50);
    assert.ok(frames.every((f) => f.length === 160));
    const end = events.at(-1);
    assert.ok(end?.type === 'speech-ended');
    // The first 30 frames are the utterance the detector decided on, sample for sample.
    const streamed = new Int16Array(30 * 160);
    frames.slice(0, 30).forEach((f, i) => streamed.set(f, i * 160));
    assert.deepEqual(streamed, end.result.audio.samples);
    await ep.close();
  });

  it('sends audio back paced on the worker; the play resolves once it has gone out, with its figures', async function () {
    const asterisk = await udp();
    sockets.push(asterisk);
    let got = 0;
    let allThere!: () => void;
    const arrived = new Promise<void>((resolve) => (allThere = resolve));
    asterisk.on('message', () => ++got === 10 && allThere());
    const ep = new RemoteEndpoint({ host: '127.0.0.1', min: 46000, max: 46999, format: 'slin16', rate: 8000 }, thread);
    await ep.listen();
    ep.setRemote('127.0.0.1', asterisk.address().port);
    // 200 ms at 8 kHz: ten 20 ms packets of slin16.
    await ep.play(new Int16Array(1600).fill(2000));
    assert.equal(ep.stats.sent.packets, 10);
    assert.equal(ep.sendLateness.length, 10);
    await arrived;
    await ep.close();
  });

  it('a port range with no free port is a NoPortError, as in the event loop', async function () {
    const taken = await udp(46500);
    sockets.push(taken);
    const ep = new RemoteEndpoint({ host: '127.0.0.1', min: 46500, max: 46500, format: 'ulaw', rate: 8000 }, thread);
    await assert.rejects(ep.listen(), (e: unknown) => e instanceof NoPortError && /no UDP port free for RTP on 127\.0\.0\.1 in 46500-46500/.test(e.message));
    await ep.close();
    assert.equal(thread.size, 0, 'the endpoint is gone from the thread');
  });

  it('the thread stopping fails its endpoints with a sentence saying so; their ports are free; the next endpoint gets a new thread', async function () {
    const ep = new RemoteEndpoint({ host: '127.0.0.1', min: 46000, max: 46999, format: 'ulaw', rate: 8000, analysis: { kind: 'amd' } }, thread);
    const { port } = await ep.listen();
    ep.setRemote('127.0.0.1', 9);
    const failures: string[] = [];
    ep.onFailure((err) => failures.push(err.message));
    const playing = ep.play(new Int16Array(8000 * 30));
    await thread.stop();
    await assert.rejects(playing, /^Error: the RTP worker thread stopped \(it exited \(code 1\)\)$/);
    assert.deepEqual(failures, ['the RTP worker thread stopped (it exited (code 1))']);
    await assert.rejects(ep.analyse('time-up'), /the RTP worker thread stopped/);
    await ep.close();
    const probe = await udp(port);
    probe.close();
    const next = new RemoteEndpoint({ host: '127.0.0.1', min: port, max: port, format: 'ulaw', rate: 8000 }, thread);
    assert.equal((await next.listen()).port, port);
    await next.close();
  });

  it('an error in the thread fails its endpoints naming the error, and does not reach the main thread', async function () {
    const ep = new RemoteEndpoint({ host: '127.0.0.1', min: 46000, max: 46999, format: 'ulaw', rate: 8000 }, thread);
    await ep.listen();
    const failed = new Promise<Error>((resolve) => ep.onFailure(resolve));
    // A message the thread does not know: a bug on this side, which ends the thread.
    thread.post({ op: 'nonsense', id: 0 } as never);
    assert.match((await failed).message, /^the RTP worker thread stopped \(it failed: RTP worker thread: unknown operation "nonsense"\)$/);
  });

  it('a thread that cannot start fails the endpoint saying so; closing it still resolves', async function () {
    class Unstartable extends MediaThread {
      override post(): void {
        throw new Error('no threads left');
      }
    }
    const ep = new RemoteEndpoint({ host: '127.0.0.1', min: 46000, max: 46999, format: 'ulaw', rate: 8000 }, new Unstartable());
    await assert.rejects(ep.listen(), /^Error: the RTP worker thread could not start: no threads left$/);
    await ep.close();
  });

  it('callflowMedia.worker: on by default, false keeps the packet path in the event loop, anything else is refused', function () {
    assert.deepEqual(mediaSettingsFrom(undefined), { ok: true, settings: { bindHost: '127.0.0.1', advertiseHost: '127.0.0.1', portMin: 20000, portMax: 20999, format: 'slin16', worker: true } });
    const off = mediaSettingsFrom({ worker: false });
    assert.ok(off.ok && off.settings.worker === false);
    assert.deepEqual(mediaSettingsFrom({ worker: 'no' }), { ok: false, error: 'callflowMedia.worker must be true or false, got "no"' });
  });
});
