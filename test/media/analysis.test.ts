/**
 * What an endpoint works out from the audio where the packets arrive (lib/media/analysis.ts): the same decisions as
 * the detectors fed directly (speech-end.ts, amd.ts, tone.ts), as events, each once; the consumer's timers ask for
 * time-up, hangup and wait-from.
 */
import assert from 'node:assert/strict';
import { AmdClassifier } from '../../lib/media/amd';
import { Analyser, type AnalysisEvent } from '../../lib/media/analysis';
import { SpeechEndDetector } from '../../lib/media/speech-end';
import { concat, machineAnswer, speechLike, VOICE_RATE } from '../../lib/sim/voice';

const FRAME = 160;

function run(analyser: Analyser, audio: Int16Array): void {
  for (let at = 0; at + FRAME <= audio.length; at += FRAME) analyser.feed(audio.subarray(at, at + FRAME));
}

describe('media: analysis where the packets arrive', function () {
  it('speech-end: speech-started once, then speech-ended with what the detector decides, once', function () {
    const audio = concat(new Int16Array(2400), speechLike(1200, 3), new Int16Array(8000));
    const events: AnalysisEvent[] = [];
    run(new Analyser({ kind: 'speech-end', counting: true }, VOICE_RATE, (e) => events.push(e)), audio);
    const detector = new SpeechEndDetector(VOICE_RATE);
    let expected;
    for (let at = 0; at + FRAME <= audio.length && !expected; at += FRAME) expected = detector.feed(audio.subarray(at, at + FRAME));
    assert.deepEqual(events, [{ type: 'speech-started' }, { type: 'speech-ended', result: expected }]);
  });

  it('speech-end: time-up decides from what was heard; wait-from restarts the wait for speech', function () {
    const events: AnalysisEvent[] = [];
    const analyser = new Analyser({ kind: 'speech-end', parameters: { startTimeoutMs: 1000 }, counting: false }, VOICE_RATE, (e) => events.push(e));
    run(analyser, new Int16Array(8000 * 2));
    assert.deepEqual(events, [], 'not counting before wait-from: 2 s of silence decide nothing');
    assert.equal(analyser.command('wait-from'), undefined);
    run(analyser, new Int16Array(8000));
    const [decided, ...more] = events as AnalysisEvent[];
    assert.deepEqual(more, []);
    assert.ok(decided?.type === 'speech-ended' && decided.result.outcome === 'no-speech');
    assert.deepEqual(analyser.command('time-up'), decided, 'the same decision after');
  });

  it('amd: amd-decided as the classifier decides, then the beep once it ends; hangup and time-up when asked', function () {
    const audio = concat(machineAnswer(4, 5, true), new Int16Array(1600));
    const events: AnalysisEvent[] = [];
    run(new Analyser({ kind: 'amd' }, VOICE_RATE, (e) => events.push(e)), audio);
    const amd = new AmdClassifier();
    let expected;
    for (let at = 0; at + FRAME <= audio.length && !expected; at += FRAME) expected = amd.feed(audio.subarray(at, at + FRAME), VOICE_RATE);
    assert.equal(events.length, 2);
    assert.deepEqual(events[0], { type: 'amd-decided', result: expected });
    assert.ok(events[1]?.type === 'beep' && events[1].beep.frequencyHz === 1000);

    const hungUp = new Analyser({ kind: 'amd' }, VOICE_RATE, () => undefined);
    run(hungUp, new Int16Array(1600));
    assert.deepEqual(hungUp.command('hangup'), { type: 'amd-decided', result: { status: 'HANGUP', cause: '', atMs: 200 } });
    const silent = new Analyser({ kind: 'amd' }, VOICE_RATE, () => undefined);
    assert.deepEqual(silent.command('time-up'), { type: 'amd-decided', result: { status: 'NOTSURE', cause: 'NOAUDIODATA-0', atMs: 0 } });
  });
});
