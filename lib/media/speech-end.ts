/**
 * End-of-speech detection on a caller's audio: an energy voice-activity detector over frames of 16-bit linear audio,
 * the same silence test as AMD (amd.ts: a frame whose mean absolute sample is below the threshold is silence). Speech
 * starts once voice has lasted `minSpeechMs` (shorter blips of noise are not speech), and ends after `endSilenceMs` of
 * silence; no speech within `startTimeoutMs` is no speech; speech longer than `maxSpeechMs` is cut there. Pure: no
 * timers, no I/O; the caller feeds frames (and, for a real-time limit when frames stall, calls `timeUp()`).
 *
 * The audio kept is the speech with `preRollMs` before its start (the first syllable's onset is quieter than the
 * threshold) and without the end silence: bounded by preRollMs + maxSpeechMs.
 */
import type { Pcm } from '../speech/wav';

export interface SpeechEndParameters {
  /** Longest wait for speech to start (ms of audio); then `no-speech`. */
  startTimeoutMs: number;
  /** Longest speech (ms); then `max-length`, with the audio so far. */
  maxSpeechMs: number;
  /** Silence after speech (ms) that ends it. */
  endSilenceMs: number;
  /** Voice (ms) needed before it counts as speech. */
  minSpeechMs: number;
  /** Mean absolute level (0-32767) below which a frame is silence (AMD()'s default, 256). */
  silenceThreshold: number;
  /** Audio kept before the start of speech (ms). */
  preRollMs: number;
}

export const SPEECH_END_DEFAULTS: Readonly<SpeechEndParameters> = {
  startTimeoutMs: 5000,
  maxSpeechMs: 15000,
  endSilenceMs: 800,
  minSpeechMs: 100,
  silenceThreshold: 256,
  preRollMs: 200,
};

/** speech: it ended with silence; max-length: cut at maxSpeechMs; no-speech: none within startTimeoutMs. */
export type SpeechEndOutcome = 'speech' | 'max-length' | 'no-speech';

export interface SpeechEnd {
  outcome: SpeechEndOutcome;
  /** The speech (empty for no-speech). */
  audio: Pcm;
  /** Milliseconds of audio heard from the start of listening to the decision. */
  atMs: number;
  /** Milliseconds from the start of listening to the start of speech (null: none). */
  startedAtMs: number | null;
}

export class SpeechEndDetector {
  readonly parameters: SpeechEndParameters;
  private heardMs = 0;
  private voiceMs = 0;
  private silenceMs = 0;
  private startedAtMs: number | null = null;
  /** Frames kept: before the start, the last preRollMs; after it, everything up to the decision. */
  private frames: Int16Array[] = [];
  private keptMs = 0;
  private frameMs: number[] = [];
  /** Kept audio that is trailing silence (dropped from the result). */
  private trailingSamples = 0;
  result: SpeechEnd | undefined;

  constructor(
    private readonly rate: number,
    parameters: Partial<SpeechEndParameters> = {},
    /** false: the start timeout counts only from waitFrom(). */
    counting = true,
  ) {
    this.parameters = { ...SPEECH_END_DEFAULTS, ...parameters };
    this.startDeadlineMs = counting ? this.parameters.startTimeoutMs : Infinity;
  }

  /** The wait for speech to start counts from now: startTimeoutMs more of audio (a prompt was playing until now). */
  waitFrom(): void {
    this.startDeadlineMs = this.heardMs + this.parameters.startTimeoutMs;
  }

  /** No speech by this much audio heard is no speech (Infinity: not counting yet). */
  private startDeadlineMs: number;

  /** Whether speech has started (for barge-in over a prompt). */
  get started(): boolean {
    return this.startedAtMs !== null;
  }

  /** The audio kept so far: at the start of speech, its pre-roll and the voice that started it (the frames are copies). */
  get kept(): readonly Int16Array[] {
    return this.frames;
  }

  /** One frame. Returns the result once decided (the same for every frame after). */
  feed(samples: Int16Array): SpeechEnd | undefined {
    if (this.result) return this.result;
    if (samples.length === 0) return undefined;
    const p = this.parameters;
    const ms = (samples.length * 1000) / this.rate;
    this.heardMs += ms;
    let accum = 0;
    for (let i = 0; i < samples.length; i++) accum += Math.abs(samples[i] ?? 0);
    const silent = accum / samples.length < p.silenceThreshold;
    if (silent) {
      this.silenceMs += ms;
      this.voiceMs = 0;
      if (this.startedAtMs !== null) this.trailingSamples += samples.length;
    } else {
      this.voiceMs += ms;
      this.silenceMs = 0;
      this.trailingSamples = 0;
      if (this.startedAtMs === null && this.voiceMs >= p.minSpeechMs) this.startedAtMs = this.heardMs - this.voiceMs;
    }
    this.keep(samples, ms);
    if (this.startedAtMs === null) {
      if (this.heardMs >= this.startDeadlineMs) return this.decide('no-speech');
      return undefined;
    }
    if (this.silenceMs >= p.endSilenceMs) return this.decide('speech');
    if (this.heardMs - this.startedAtMs >= p.maxSpeechMs) return this.decide('max-length');
    return undefined;
  }

  /** Frames stopped coming (the real-time limit passed): what was heard decides. */
  timeUp(): SpeechEnd {
    if (this.result) return this.result;
    return this.decide(this.startedAtMs === null ? 'no-speech' : 'speech');
  }

  private keep(samples: Int16Array, ms: number): void {
    this.frames.push(samples.slice());
    this.frameMs.push(ms);
    this.keptMs += ms;
    if (this.startedAtMs !== null) return;
    // Before speech: only the pre-roll and the voice that may become speech.
    const limit = this.parameters.preRollMs + this.voiceMs;
    while (this.frames.length > 1 && this.keptMs - (this.frameMs[0] ?? 0) >= limit) {
      this.frames.shift();
      this.keptMs -= this.frameMs.shift() ?? 0;
    }
  }

  private decide(outcome: SpeechEndOutcome): SpeechEnd {
    let samples = new Int16Array(0);
    if (outcome !== 'no-speech') {
      const total = this.frames.reduce((n, f) => n + f.length, 0) - this.trailingSamples;
      samples = new Int16Array(Math.max(0, total));
      let at = 0;
      for (const f of this.frames) {
        if (at >= samples.length) break;
        const part = f.subarray(0, samples.length - at);
        samples.set(part, at);
        at += part.length;
      }
    }
    this.frames = [];
    this.frameMs = [];
    this.result = { outcome, audio: { rate: this.rate, samples }, atMs: Math.round(this.heardMs), startedAtMs: this.startedAtMs === null ? null : Math.round(this.startedAtMs) };
    return this.result;
  }
}
