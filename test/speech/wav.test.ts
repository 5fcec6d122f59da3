/**
 * lib/speech/wav.ts: WAV files in and out, and the resampler that turns the engines' rates into Asterisk's.
 */
import assert from 'node:assert/strict';
import { NotAudioError, RESAMPLE_TURN_MS, durationMs, encodeWav, parseWav, resample, resampleSliced, type Pcm } from '../../lib/speech/wav';

function tone(rate: number, hz: number, seconds: number, amplitude = 10000): Pcm {
  const samples = new Int16Array(Math.round(rate * seconds));
  for (let i = 0; i < samples.length; i += 1) samples[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / rate));
  return { rate, samples };
}

function rms(samples: Int16Array, from = 0, to = samples.length): number {
  let sum = 0;
  for (let i = from; i < to; i += 1) sum += (samples[i] as number) ** 2;
  return Math.sqrt(sum / Math.max(1, to - from));
}

describe('speech audio (lib/speech/wav)', function () {
  it('writes the WAV header format_wav reads and reads it back', function () {
    const pcm = tone(8000, 440, 0.5);
    const wav = encodeWav(pcm);
    assert.equal(wav.toString('ascii', 0, 4), 'RIFF');
    assert.equal(wav.readUInt16LE(20), 1, 'PCM');
    assert.equal(wav.readUInt16LE(22), 1, 'mono');
    assert.equal(wav.readUInt32LE(24), 8000);
    assert.equal(wav.readUInt16LE(34), 16);
    const back = parseWav(wav);
    assert.equal(back.rate, 8000);
    assert.deepEqual([...back.samples.subarray(0, 50)], [...pcm.samples.subarray(0, 50)]);
    assert.equal(durationMs(back), 500);
  });

  it('reads a WAV written to a pipe, whose sizes are made up, up to the end of the data', function () {
    const wav = encodeWav(tone(22050, 300, 0.1));
    wav.writeUInt32LE(0x7ffff024, 4);
    wav.writeUInt32LE(0x7ffff000, 40);
    assert.equal(parseWav(wav).samples.length, 2205);
  });

  it('mixes stereo down and reads float samples', function () {
    const stereo = Buffer.alloc(44 + 8);
    encodeWav({ rate: 8000, samples: new Int16Array(0) }).copy(stereo);
    stereo.writeUInt16LE(2, 22);
    stereo.writeUInt32LE(8, 40);
    stereo.writeInt16LE(1000, 44);
    stereo.writeInt16LE(3000, 46);
    stereo.writeInt16LE(-1000, 48);
    stereo.writeInt16LE(-3000, 50);
    assert.deepEqual([...parseWav(stereo).samples], [2000, -2000]);
    const float = Buffer.alloc(44 + 8);
    encodeWav({ rate: 8000, samples: new Int16Array(0) }).copy(float);
    float.writeUInt16LE(3, 20);
    float.writeUInt16LE(32, 34);
    float.writeUInt32LE(8, 40);
    float.writeFloatLE(0.5, 44);
    float.writeFloatLE(-2, 48);
    assert.deepEqual([...parseWav(float).samples], [16384, -32767]);
  });

  it('refuses what is not audio, saying why', function () {
    assert.throws(() => parseWav(Buffer.from('{"error":"nope"}')), (e: unknown) => e instanceof NotAudioError && /no RIFF/.test(e.message));
    const alaw = encodeWav(tone(8000, 300, 0.01));
    alaw.writeUInt16LE(6, 20);
    assert.throws(() => parseWav(alaw), /unsupported WAV encoding \(format 6/);
    assert.throws(() => parseWav(encodeWav(tone(8000, 300, 0.01)).subarray(0, 36)), /without a data chunk/);
  });

  it('resamples 22 050 Hz speech to 8 000 Hz: the length follows the rate, a tone below 4 kHz passes, one above is removed', function () {
    const low = resample(tone(22050, 1000, 1), 8000);
    assert.equal(low.rate, 8000);
    assert.equal(low.samples.length, 8000);
    const kept = rms(low.samples, 200, 7800);
    assert.ok(kept > 6500 && kept < 7600, `a 1 kHz tone keeps its level (rms ${kept.toFixed(0)}, 7071 expected)`);
    // 6 kHz cannot exist at 8 kHz: without the low-pass filter it would fold back to 2 kHz at full level.
    const high = resample(tone(22050, 6000, 1), 8000);
    const folded = rms(high.samples, 200, 7800);
    assert.ok(folded < 100, `a 6 kHz tone is filtered out (rms ${folded.toFixed(0)})`);
    const up = resample(tone(22050, 1000, 1), 16000);
    assert.equal(up.samples.length, 16000);
    assert.equal(resample(tone(24000, 1000, 0.5), 8000).samples.length, 4000);
  });

  it('resamples from a whole multiple of the rate (24 000, 16 000, 48 000 Hz) with its symmetric filter: tones kept or removed, the filter centred', function () {
    for (const [from, to] of [
      [24000, 8000],
      [16000, 8000],
      [48000, 16000],
    ] as const) {
      const kept = rms(resample(tone(from, 1000, 1), to).samples, 200, to - 200);
      assert.ok(kept > 6500 && kept < 7600, `${from} -> ${to}: a 1 kHz tone keeps its level (rms ${kept.toFixed(0)}, 7071 expected)`);
      // Above the new Nyquist frequency: it would fold back at full level without the filter.
      const removed = rms(resample(tone(from, to * 0.75, 1), to).samples, 200, to - 200);
      assert.ok(removed < 100, `${from} -> ${to}: a ${to * 0.75} Hz tone is filtered out (rms ${removed.toFixed(0)})`);
      // One impulse on an output sample's own input sample: the filter's weights, the same on both sides of it.
      const step = from / to;
      const impulse = new Int16Array(from / 10);
      const at = 200;
      impulse[at * step] = 30000;
      const out = resample({ rate: from, samples: impulse }, to).samples;
      assert.ok((out[at] as number) > 1000, `${from} -> ${to}: the impulse is at its output sample`);
      for (let d = 1; d < 40; d += 1) assert.equal(out[at + d], out[at - d], `${from} -> ${to}: ${d} samples either side`);
    }
  });

  it('resamples a long text in slices of a few ms, giving the event loop a turn between them, with the same samples', async function () {
    // A clock that moves 1 ms per look: one look per 1,000 output samples, so a turn every `turnMs` of them.
    let clock = 0;
    const now = (): number => (clock += 1);
    const input = tone(22050, 700, 2);
    let turns = 0;
    let ticking = true;
    const tick = (): void => {
      turns += 1;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const sliced = await resampleSliced(input, 8000, { turnMs: 4, now });
    ticking = false;
    // 16,000 samples: 16 steps, a turn after every 4 of them but the last.
    assert.ok(turns >= 3, `${turns} turns of the event loop during 4 slices`);
    assert.deepEqual(sliced.samples, resample(input, 8000).samples);
  });

  it('resamples a reply of a few seconds in one turn of the event loop when the work takes less than RESAMPLE_TURN_MS', async function () {
    let clock = 0;
    // Each look at the clock: 0.1 ms of work, as on this machine (some 0.1-0.3 ms per 1,000 samples).
    const now = (): number => (clock += 0.1);
    const input = tone(24000, 700, 2);
    let turns = 0;
    setImmediate(() => (turns += 1));
    const sliced = await resampleSliced(input, 8000, { now });
    assert.equal(turns, 0, 'no turn given: the 2 s reply took 1.5 ms of the clock, under RESAMPLE_TURN_MS');
    assert.ok(RESAMPLE_TURN_MS >= 2);
    assert.deepEqual(sliced.samples, resample(input, 8000).samples);
  });

  it('resamplings under way at once take turns: a short reply is not held until a long text is done', async function () {
    const long = tone(24000, 440, 3);
    const short = tone(24000, 880, 0.3);
    const other = tone(24000, 660, 0.3);
    const order: string[] = [];
    // Each look at the clock, 1 ms: the long one (24,000 samples) takes 8 turns of 3 ms, the short ones (2,400) one.
    let clock = 0;
    const options = { now: (): number => (clock += 1) };
    const first = resampleSliced(long, 8000, options).then((pcm) => (order.push('long'), pcm));
    const second = resampleSliced(short, 8000, options).then((pcm) => (order.push('short'), pcm));
    const third = resampleSliced(other, 8000, options).then((pcm) => (order.push('other'), pcm));
    const [a, b, c] = await Promise.all([first, second, third]);
    assert.deepEqual(order, ['short', 'other', 'long'], 'the short ones first, in the order asked; the long one after');
    assert.deepEqual(a.samples, resample(long, 8000).samples);
    assert.deepEqual(b.samples, resample(short, 8000).samples);
    assert.deepEqual(c.samples, resample(other, 8000).samples);
  });
});
