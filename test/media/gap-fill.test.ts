/**
 * Frames that stop coming are silence to the analysis of a path bridged with the call (lib/media/gap-fill.ts): the
 * filler on its own with a clock of the test's, then an RTP endpoint (on the worker thread and in the event loop) whose
 * sender stops after the caller's speech, as a phone with silence suppression or a Local channel does: the end of
 * speech is still decided. Waits are on events, not time.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import type { AnalysisEvent } from '../../lib/media/analysis';
import { encodeUlaw } from '../../lib/media/codec';
import { RtpEndpoint } from '../../lib/media/endpoint';
import { GAP_STALL_MS, GapFill } from '../../lib/media/gap-fill';
import { MediaThread, RemoteEndpoint } from '../../lib/media/remote-endpoint';
import { RtpSequence } from '../../lib/media/rtp';

describe('media: frames that do not come are silence (bridged paths)', function () {
  function filler(off = false): { gaps: GapFill; fed: Int16Array[]; at: (ms: number) => void } {
    let now = 0;
    const fed: Int16Array[] = [];
    const gaps = new GapFill({ samplesPerFrame: 160, feed: (f) => fed.push(f), now: () => now, off });
    return { gaps, fed, at: (ms) => (now = ms) };
  }

  it('fills nothing before the first frame, nor while frames are less than GAP_STALL_MS late', function () {
    const { gaps, fed, at } = filler();
    at(5000);
    gaps.fill();
    assert.equal(fed.length, 0, 'no frame yet: nothing is known of the stream');
    gaps.heard();
    at(5000 + GAP_STALL_MS - 1);
    gaps.fill();
    assert.equal(fed.length, 0);
    gaps.stop();
  });

  it('past GAP_STALL_MS, a silent frame for each 20 ms missing, and on from there while none come', function () {
    const { gaps, fed, at } = filler();
    at(1000);
    gaps.heard();
    at(1000 + 300);
    gaps.fill();
    assert.equal(fed.length, 15, '300 ms missing');
    assert.ok(fed.every((f) => f.length === 160 && f.every((s) => s === 0)));
    at(1000 + 300 + 100);
    gaps.fill();
    assert.equal(fed.length, 15, 'the next 100 ms are not yet GAP_STALL_MS late');
    at(1000 + 300 + GAP_STALL_MS + 10);
    gaps.fill();
    assert.equal(fed.length, 15 + Math.floor((GAP_STALL_MS + 10) / 20));
    gaps.stop();
  });

  it('a new analysis is not fed the frames that were missing before it started', function () {
    const { gaps, fed, at } = filler();
    at(0);
    gaps.heard();
    at(10_000);
    gaps.restart();
    gaps.fill();
    assert.equal(fed.length, 0);
    at(10_000 + GAP_STALL_MS);
    gaps.fill();
    assert.equal(fed.length, Math.floor(GAP_STALL_MS / 20));
    gaps.stop();
  });

  it('off (a snoop: its frames always come), nothing is filled', function () {
    const { gaps, fed, at } = filler(true);
    at(0);
    gaps.heard();
    at(60_000);
    gaps.fill();
    assert.deepEqual(fed, []);
  });

  describe('an RTP endpoint whose sender stops after the speech', function () {
    let thread: MediaThread;
    const sockets: Socket[] = [];
    const endpoints: { close(): Promise<void> }[] = [];
    beforeEach(function () {
      thread = new MediaThread();
    });
    afterEach(async function () {
      for (const s of sockets.splice(0)) s.close();
      for (const e of endpoints.splice(0)) await e.close();
      await thread.stop();
    });

    for (const where of ['worker', 'event loop'] as const) {
      it(`decides the end of speech (${where}): 600 ms of voice, then no packet at all`, async function () {
        const asterisk = createSocket('udp4');
        sockets.push(asterisk);
        await new Promise<void>((resolve) => asterisk.bind(0, '127.0.0.1', resolve));
        const events: AnalysisEvent[] = [];
        let ended!: () => void;
        const done = new Promise<void>((resolve) => (ended = resolve));
        const options = {
          host: '127.0.0.1',
          min: 47000,
          max: 47999,
          format: 'ulaw' as const,
          rate: 8000 as const,
          analysis: { kind: 'speech-end' as const, parameters: { endSilenceMs: 400, minSpeechMs: 100, preRollMs: 0, startTimeoutMs: 60_000, maxSpeechMs: 60_000 }, counting: true },
          fillGaps: true,
          onEvent: (e: AnalysisEvent) => {
            events.push(e);
            if (e.type === 'speech-ended') ended();
          },
        };
        const ep = where === 'worker' ? new RemoteEndpoint(options, thread) : new RtpEndpoint(options);
        endpoints.push(ep);
        const local = await ep.listen();
        ep.setRemote('127.0.0.1', asterisk.address().port);
        const seq = new RtpSequence(0);
        for (const level of [...Array<number>(5).fill(0), ...Array<number>(30).fill(3000)]) {
          const frame = new Int16Array(160).map((_, i) => (i % 2 === 0 ? level : -level));
          await new Promise<void>((resolve) => asterisk.send(seq.next(encodeUlaw(frame), 160), local.port, '127.0.0.1', () => resolve()));
        }
        // Nothing more is sent: without the filler the detector would wait for frames until its real-time limit.
        await done;
        assert.deepEqual(
          events.map((e) => e.type),
          ['speech-started', 'speech-ended'],
        );
        const end = events[1];
        assert.ok(end?.type === 'speech-ended' && end.result.outcome === 'speech');
        assert.equal(end.result.audio.samples.length, 30 * 160, 'the utterance is the voice sent, the filled silence left out');
      });
    }
  });
});
