/**
 * Answering-machine detection (lib/media/amd.ts) against apps/app_amd.c's rules, on frames made to hit each rule
 * exactly, and on the simulator's generated audio (lib/sim/voice.ts); the beep detector (lib/media/tone.ts) on
 * tones, speech and noise.
 */
import assert from 'node:assert/strict';
import { AMD_DEFAULTS, AmdClassifier, type AmdResult } from '../../lib/media/amd';
import { ToneDetector } from '../../lib/media/tone';
import { concat, machineAnswer, noise, speechLike, tone, VOICE_RATE } from '../../lib/sim/voice';

const FRAME = 160; // 20 ms at 8 kHz

/** Runs audio through a classifier in 20 ms frames, as RTP brings it. */
function classify(audio: Int16Array, amd = new AmdClassifier()): AmdResult | undefined {
  for (let at = 0; at + FRAME <= audio.length; at += FRAME) {
    const r = amd.feed(audio.subarray(at, at + FRAME), VOICE_RATE);
    if (r) return r;
  }
  return undefined;
}

const level = (ms: number, value: number): Int16Array => new Int16Array((ms * VOICE_RATE) / 1000).fill(value);
const silence = (ms: number): Int16Array => level(ms, 0);
const voice = (ms: number): Int16Array => level(ms, 2000);

describe('media: answering-machine detection (AMD() rules)', function () {
  it("has AMD()'s defaults", function () {
    assert.deepEqual(AMD_DEFAULTS, {
      initialSilence: 2500,
      greeting: 1500,
      afterGreetingSilence: 800,
      totalAnalysisTime: 5000,
      minimumWordLength: 100,
      betweenWordsSilence: 50,
      maximumNumberOfWords: 2,
      silenceThreshold: 256,
      maximumWordLength: 5000,
    });
  });

  it('HUMAN: a short greeting, then afterGreetingSilence of silence (cause HUMAN-<silence>-<afterGreetingSilence>)', function () {
    assert.deepEqual(classify(concat(silence(300), voice(400), silence(2000))), { status: 'HUMAN', cause: 'HUMAN-800-800', atMs: 1500 });
  });

  it('MACHINE: initial silence reaching initialSilence (INITIALSILENCE)', function () {
    assert.deepEqual(classify(silence(3000)), { status: 'MACHINE', cause: 'INITIALSILENCE-2500-2500', atMs: 2500 });
    // Below the threshold is silence: a mean level of 255 is, 256 is not.
    assert.equal(classify(level(3000, 255))?.cause, 'INITIALSILENCE-2500-2500');
    assert.notEqual(classify(level(3000, 256))?.cause, 'INITIALSILENCE-2500-2500');
  });

  it('MACHINE: a greeting longer than greeting (LONGGREETING) or a word longer than maximumWordLength (MAXWORDLENGTH)', function () {
    assert.deepEqual(classify(voice(3000)), { status: 'MACHINE', cause: 'LONGGREETING-1500-1500', atMs: 1500 });
    assert.deepEqual(classify(voice(3000), new AmdClassifier({ maximumWordLength: 1000, greeting: 4000 })), { status: 'MACHINE', cause: 'MAXWORDLENGTH-1000', atMs: 1000 });
  });

  it('MACHINE: more words than maximumNumberOfWords (MAXWORDS-<words>-<max>); a word needs minimumWordLength of voice', function () {
    const word = concat(voice(200), silence(100));
    // AMD() starts in the word state: the first word starts the greeting without being counted; the fourth is the third.
    assert.deepEqual(classify(concat(word, word, word, word, silence(1000))), { status: 'MACHINE', cause: 'MAXWORDS-3-2', atMs: 1000 });
    assert.equal(classify(concat(word, word, word, silence(1000)))?.cause, 'HUMAN-800-800');
    // Voice shorter than minimumWordLength after a silence is no word.
    const short = concat(voice(80), silence(100));
    assert.equal(classify(concat(word, short, short, short, short, silence(1000)))?.status, 'HUMAN');
  });

  it('NOTSURE: nothing decided within totalAnalysisTime of audio (TOOLONG), or no audio at all (NOAUDIODATA)', function () {
    // Bursts of 80 ms (shorter than a word) with 60 ms gaps never start a greeting nor reach the initial silence.
    const bursts: Int16Array[] = [];
    for (let i = 0; i < 50; i++) bursts.push(voice(80), silence(60));
    assert.deepEqual(classify(concat(...bursts)), { status: 'NOTSURE', cause: 'TOOLONG-5000', atMs: 5000 });
    assert.deepEqual(new AmdClassifier().timeUp(), { status: 'NOTSURE', cause: 'NOAUDIODATA-0', atMs: 0 });
    const some = new AmdClassifier();
    some.feed(voice(20), VOICE_RATE);
    assert.equal(some.timeUp().cause, 'TOOLONG-20');
    assert.deepEqual(new AmdClassifier().hangup(), { status: 'HANGUP', cause: '', atMs: 0 });
  });

  it('works on 16 kHz frames the same way (frame length from the rate)', function () {
    const amd = new AmdClassifier();
    let r: AmdResult | undefined;
    for (let i = 0; i < 200 && !r; i++) r = amd.feed(new Int16Array(320), 16000);
    assert.equal(r?.cause, 'INITIALSILENCE-2500-2500');
  });

  it("on the simulator's audio: a human's short greeting is HUMAN, a machine's long greeting MACHINE, silence MACHINE", function () {
    for (let seed = 1; seed <= 20; seed++) {
      assert.equal(classify(concat(silence(400), speechLike(500, seed), silence(3000)))?.status, 'HUMAN', `human seed ${seed}`);
      assert.equal(classify(concat(silence(300), machineAnswer(4, seed, true), silence(1000)))?.status, 'MACHINE', `machine seed ${seed}`);
    }
    assert.equal(classify(noise(4000, 1, 100))?.cause, 'INITIALSILENCE-2500-2500', 'quiet noise is silence');
  });
});

describe('media: beep detection (Goertzel)', function () {
  function beepIn(audio: Int16Array): ReturnType<ToneDetector['feed']> {
    const d = new ToneDetector();
    for (let at = 0; at + FRAME <= audio.length; at += FRAME) {
      const b = d.feed(audio.subarray(at, at + FRAME), VOICE_RATE);
      if (b) return b;
    }
    return undefined;
  }

  it("finds a machine's beep after its greeting, at its frequency, when it ends", function () {
    const b = beepIn(concat(machineAnswer(2, 5, true), silence(500)));
    assert.ok(b, 'a beep');
    assert.equal(b.frequencyHz, 1000);
    // Greeting 2000 ms, pause 300 ms, beep 500 ms: blocks of 20 ms.
    assert.equal(b.startMs, 2300);
    assert.equal(b.endMs, 2800);
  });

  it('finds beeps of other frequencies; not speech, noise, silence or a tone shorter than 150 ms', function () {
    // Candidates every 25 Hz from 350 Hz: the frequency found is the nearest.
    for (const hz of [440, 850, 1400, 2000]) {
      const found = beepIn(concat(silence(100), tone(400, hz), silence(100)))?.frequencyHz;
      assert.ok(found !== undefined && Math.abs(found - hz) <= 12.5, `${hz} Hz: found ${found}`);
    }
    for (let seed = 1; seed <= 20; seed++) assert.equal(beepIn(speechLike(5000, seed)), undefined, `speech seed ${seed}`);
    assert.equal(beepIn(noise(3000, 3, 2000)), undefined, 'noise');
    assert.equal(beepIn(silence(2000)), undefined, 'silence');
    assert.equal(beepIn(concat(tone(100, 1000), silence(200))), undefined, 'a 100 ms tone');
  });
});
