/** End-of-speech detection (lib/media/speech-end.ts) on synthetic 20 ms frames: each outcome, the audio kept, its bound. */
import assert from 'node:assert/strict';
import { SpeechEndDetector, type SpeechEnd } from '../../lib/media/speech-end';

const RATE = 8000;
const FRAME = 160;
const voice = (): Int16Array => new Int16Array(FRAME).map((_, i) => Math.round(2000 * Math.sin((2 * Math.PI * 300 * i) / RATE)));
const silence = (): Int16Array => new Int16Array(FRAME).map((_, i) => (i % 2 ? 30 : -30));

/** Feeds `ms` of voice or silence; returns the first result. */
function feed(d: SpeechEndDetector, kind: 'voice' | 'silence', ms: number): SpeechEnd | undefined {
  let result: SpeechEnd | undefined;
  for (let t = 0; t < ms; t += 20) result ??= d.feed(kind === 'voice' ? voice() : silence());
  return result;
}

describe('end-of-speech detection', function () {
  it('speech then silence: ends after the end silence, keeps the pre-roll and the speech, not the silence after', function () {
    const d = new SpeechEndDetector(RATE);
    assert.equal(feed(d, 'silence', 1000), undefined);
    assert.equal(feed(d, 'voice', 600), undefined);
    assert.ok(d.started, 'speech started: a prompt can be interrupted');
    assert.equal(feed(d, 'silence', 400), undefined, 'a pause shorter than the end silence goes on');
    assert.equal(feed(d, 'voice', 400), undefined);
    const r = feed(d, 'silence', 800);
    assert.ok(r);
    assert.equal(r.outcome, 'speech');
    assert.equal(r.startedAtMs, 1000);
    assert.equal(r.atMs, 3200);
    assert.equal(r.audio.rate, RATE);
    assert.equal(r.audio.samples.length, ((200 + 600 + 400 + 400) * RATE) / 1000, 'pre-roll 200 ms + 1400 ms of speech and pause');
  });

  it('no speech within the start timeout; noise blips shorter than a word are not speech', function () {
    const d = new SpeechEndDetector(RATE, { startTimeoutMs: 2000 });
    for (let i = 0; i < 20; i++) {
      if (d.result) break;
      feed(d, 'voice', 60);
      feed(d, 'silence', 40);
    }
    assert.equal(d.result?.outcome, 'no-speech');
    assert.equal(d.result.atMs, 2000);
    assert.equal(d.result.startedAtMs, null);
    assert.equal(d.result.audio.samples.length, 0);
  });

  it('speech past the longest length is cut there, and the audio kept is bounded by it', function () {
    const d = new SpeechEndDetector(RATE, { maxSpeechMs: 3000 });
    feed(d, 'silence', 4000);
    const r = feed(d, 'voice', 60_000);
    assert.equal(r?.outcome, 'max-length');
    assert.equal(r.startedAtMs, 4000);
    assert.equal(r.atMs, 7000);
    assert.equal(r.audio.samples.length, ((200 + 3000) * RATE) / 1000);
  });

  it('frames that stop coming: timeUp decides from what was heard; after a decision every frame gives the same result', function () {
    const before = new SpeechEndDetector(RATE);
    feed(before, 'silence', 500);
    assert.equal(before.timeUp().outcome, 'no-speech');
    const during = new SpeechEndDetector(RATE);
    feed(during, 'voice', 500);
    const r = during.timeUp();
    assert.equal(r.outcome, 'speech');
    assert.equal(r.audio.samples.length, (500 * RATE) / 1000);
    assert.equal(during.feed(voice()), r);
  });
});
