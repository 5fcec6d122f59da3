/**
 * Answering-machine detection as Asterisk's AMD() does it (apps/app_amd.c isAnsweringMachine): frames of signed
 * linear audio go through a silence detector (main/dsp.c __ast_dsp_silence_noise: a frame whose mean absolute sample
 * is below the threshold is silent, and silence adds up until a frame is not), and a state machine over silence,
 * words and the greeting decides HUMAN, MACHINE or NOTSURE with the cause AMD() sets in AMDCAUSE. Parameters and
 * defaults are AMD()'s (app_amd.c dflt*, configs/samples/amd.conf.sample). Pure: no timers, no I/O; the caller feeds
 * frames and, for AMD()'s wall-clock limit, calls `timeUp()` when totalAnalysisTime has passed without a decision.
 */

export interface AmdParameters {
  /** Longest silence before the greeting (ms); more is a MACHINE (INITIALSILENCE). */
  initialSilence: number;
  /** Longest greeting (ms of voice); more is a MACHINE (LONGGREETING). */
  greeting: number;
  /** Silence after the greeting (ms) that makes a HUMAN. */
  afterGreetingSilence: number;
  /** Longest analysis (ms); then NOTSURE (TOOLONG). */
  totalAnalysisTime: number;
  /** Shortest voice (ms) counted as a word. */
  minimumWordLength: number;
  /** Shortest silence (ms) after a word before what follows is a new word. */
  betweenWordsSilence: number;
  /** Most words in a greeting; more is a MACHINE (MAXWORDS). */
  maximumNumberOfWords: number;
  /** Mean absolute level (0-32767) below which a frame is silence. */
  silenceThreshold: number;
  /** Longest single word (ms); more is a MACHINE (MAXWORDLENGTH). */
  maximumWordLength: number;
}

/** AMD()'s defaults (app_amd.c dfltInitialSilence... dfltMaximumWordLength; amd.conf.sample says the same). */
export const AMD_DEFAULTS: Readonly<AmdParameters> = {
  initialSilence: 2500,
  greeting: 1500,
  afterGreetingSilence: 800,
  totalAnalysisTime: 5000,
  minimumWordLength: 100,
  betweenWordsSilence: 50,
  maximumNumberOfWords: 2,
  silenceThreshold: 256,
  maximumWordLength: 5000,
};

/** AMDSTATUS. HANGUP is the caller hanging up during the analysis. */
export type AmdStatus = 'HUMAN' | 'MACHINE' | 'NOTSURE' | 'HANGUP';

export interface AmdResult {
  status: AmdStatus;
  /** AMDCAUSE as AMD() writes it, e.g. "LONGGREETING-1500-1500", "HUMAN-800-800", "TOOLONG-5000". Empty for HANGUP. */
  cause: string;
  /** Milliseconds of audio analysed when it decided. */
  atMs: number;
}

const IN_WORD = 1;
const IN_SILENCE = 2;

export class AmdClassifier {
  readonly parameters: AmdParameters;
  private inInitialSilence = true;
  private inGreeting = false;
  private voiceDuration = 0;
  private silenceDuration = 0;
  private totalTime = 0;
  private words = 0;
  private state = IN_WORD;
  private consecutiveVoice = 0;
  /** The silence detector's running silence (dsp->totalsilence). */
  private dspSilence = 0;
  private frames = 0;
  result: AmdResult | undefined;

  constructor(parameters: Partial<AmdParameters> = {}) {
    this.parameters = { ...AMD_DEFAULTS, ...parameters };
  }

  /**
   * One frame of audio (20 ms from RTP, any length works) at `rate` Hz. Returns the result once decided (and the same
   * result for every frame after).
   */
  feed(samples: Int16Array, rate: number): AmdResult | undefined {
    if (this.result) return this.result;
    if (samples.length === 0) return undefined;
    const p = this.parameters;
    const frameMs = Math.round((samples.length * 1000) / rate);
    this.frames++;
    this.totalTime += frameMs;
    if (this.totalTime >= p.totalAnalysisTime) return this.decide('NOTSURE', `TOOLONG-${this.totalTime}`);
    // __ast_dsp_silence_noise: the mean absolute sample against the threshold.
    let accum = 0;
    for (let i = 0; i < samples.length; i++) accum += Math.abs(samples[i] ?? 0);
    accum = Math.floor(accum / samples.length);
    if (accum < p.silenceThreshold) this.dspSilence += frameMs;
    else this.dspSilence = 0;
    if (this.dspSilence > 0) {
      this.silenceDuration = this.dspSilence;
      if (this.silenceDuration >= p.betweenWordsSilence) {
        this.state = IN_SILENCE;
        this.consecutiveVoice = 0;
      }
      if (this.inInitialSilence && this.silenceDuration >= p.initialSilence) {
        return this.decide('MACHINE', `INITIALSILENCE-${this.silenceDuration}-${p.initialSilence}`);
      }
      if (this.silenceDuration >= p.afterGreetingSilence && this.inGreeting) {
        return this.decide('HUMAN', `HUMAN-${this.silenceDuration}-${p.afterGreetingSilence}`);
      }
      return undefined;
    }
    this.consecutiveVoice += frameMs;
    this.voiceDuration += frameMs;
    if (this.consecutiveVoice >= p.minimumWordLength && this.state === IN_SILENCE) {
      this.words++;
      this.state = IN_WORD;
    }
    if (this.consecutiveVoice >= p.maximumWordLength) return this.decide('MACHINE', `MAXWORDLENGTH-${this.consecutiveVoice}`);
    if (this.words > p.maximumNumberOfWords) return this.decide('MACHINE', `MAXWORDS-${this.words}-${p.maximumNumberOfWords}`);
    if (this.inGreeting && this.voiceDuration >= p.greeting) return this.decide('MACHINE', `LONGGREETING-${this.voiceDuration}-${p.greeting}`);
    if (this.voiceDuration >= p.minimumWordLength) this.silenceDuration = 0;
    if (this.consecutiveVoice >= p.minimumWordLength && !this.inGreeting) {
      this.inInitialSilence = false;
      this.inGreeting = true;
    }
    return undefined;
  }

  /**
   * AMD()'s wall-clock limit: totalAnalysisTime passed (audio stalled or never came). NOTSURE with
   * NOAUDIODATA-<ms> when no frame came at all, TOOLONG-<ms> otherwise.
   */
  timeUp(): AmdResult {
    if (this.result) return this.result;
    return this.decide('NOTSURE', this.frames === 0 ? `NOAUDIODATA-${this.totalTime}` : `TOOLONG-${this.totalTime}`);
  }

  /** The caller hung up during the analysis: AMDSTATUS HANGUP, AMDCAUSE empty. */
  hangup(): AmdResult {
    if (this.result) return this.result;
    return this.decide('HANGUP', '');
  }

  private decide(status: AmdStatus, cause: string): AmdResult {
    this.result = { status, cause, atMs: this.totalTime };
    return this.result;
  }
}
