/**
 * What is worked out from a media path's audio where the packets arrive (in the endpoint, so on the RTP worker
 * thread when there is one: media-thread.ts), so that only its events reach the consumer, not every 20 ms frame:
 *
 * - `speech-end`: the end-of-speech detector (speech-end.ts). Events: `speech-started` once (barge-in), then
 *   `speech-ended` with what was heard (the utterance's audio). With `audio` (a recogniser that takes the speech while
 *   the caller speaks: listen.ts onSpeechAudio), `speech-audio` too: at the start of speech the frames kept with it
 *   (the pre-roll and the voice so far), then each frame up to the one that ends it; without it no frame crosses.
 * - `amd`: the answering-machine classifier (amd.ts) and the beep detector (tone.ts) over 8 kHz frames. Events:
 *   `amd-decided` once, `beep` once a beep has ended.
 *
 * The consumer's real-time limits are its own timers; it asks (`command`) for the decision they call for: `time-up`
 * (frames stalled: what was heard decides), `hangup` (AMD: the caller hung up), `wait-from` (speech: the wait for
 * speech to start counts from now). Pure: no timers, no I/O; its events and answers are plain data that cross a
 * thread (structured clone).
 */
import { AmdClassifier, type AmdParameters, type AmdResult } from './amd';
import { SpeechEndDetector, type SpeechEnd, type SpeechEndParameters } from './speech-end';
import { ToneDetector, type Beep } from './tone';

export type AnalysisSpec =
  /**
   * counting false: the wait for speech to start counts only from `wait-from` (a prompt plays until then). audio: the
   * speech's frames are events too (`speech-audio`).
   */
  | { kind: 'speech-end'; parameters?: Partial<SpeechEndParameters>; counting: boolean; audio?: boolean }
  | { kind: 'amd'; parameters?: Partial<AmdParameters> };

export type AnalysisEvent =
  | { type: 'speech-started' }
  /** Frames of the speech, in order: before speech-started, those kept with its start; then one per frame. */
  | { type: 'speech-audio'; frames: Int16Array[] }
  /** decidedAt: wall-clock ms when the RTP worker thread decided it (media-thread.ts; absent in the event loop). */
  | { type: 'speech-ended'; result: SpeechEnd; decidedAt?: number }
  | { type: 'amd-decided'; result: AmdResult }
  | { type: 'beep'; beep: Beep };

export type AnalysisCommand = 'wait-from' | 'time-up' | 'hangup';

export class Analyser {
  private readonly speech: SpeechEndDetector | undefined;
  private readonly speechAudio: boolean;
  private readonly amd: AmdClassifier | undefined;
  private readonly tones: ToneDetector | undefined;
  private decided = false;
  private beeped = false;

  constructor(
    spec: AnalysisSpec,
    private readonly rate: number,
    private readonly emit: (event: AnalysisEvent) => void,
  ) {
    this.speechAudio = spec.kind === 'speech-end' && spec.audio === true;
    if (spec.kind === 'speech-end') {
      this.speech = new SpeechEndDetector(rate, spec.parameters, spec.counting);
    } else {
      this.amd = new AmdClassifier(spec.parameters);
      this.tones = new ToneDetector({ level: this.amd.parameters.silenceThreshold });
    }
  }

  /** One frame of audio at the endpoint's rate, in order. */
  feed(frame: Int16Array): void {
    if (this.speech) {
      if (this.decided) return;
      const wasStarted = this.speech.started;
      // The frames kept before this one (the array itself: a decision on this frame replaces it).
      const kept = this.speech.kept;
      const result = this.speech.feed(frame);
      const starting = !wasStarted && this.speech.started;
      if (this.speechAudio && starting) this.emit({ type: 'speech-audio', frames: [...kept] });
      else if (this.speechAudio && wasStarted) this.emit({ type: 'speech-audio', frames: [frame] });
      if (starting) this.emit({ type: 'speech-started' });
      if (result) {
        this.decided = true;
        this.emit({ type: 'speech-ended', result });
      }
      return;
    }
    const amd = this.amd as AmdClassifier;
    const tones = this.tones as ToneDetector;
    if (!this.beeped) {
      const beep = tones.feed(frame, this.rate);
      if (beep) {
        this.beeped = true;
        // The decision first when this frame makes both: the consumer waits for a beep only after a MACHINE.
        this.feedAmd(amd, frame);
        this.emit({ type: 'beep', beep });
        return;
      }
    }
    this.feedAmd(amd, frame);
  }

  /** What a consumer's timer calls for; the decision it makes, if any (the same one every time once decided). */
  command(command: AnalysisCommand): AnalysisEvent | undefined {
    if (this.speech) {
      if (command === 'wait-from') {
        this.speech.waitFrom();
        return undefined;
      }
      this.decided = true;
      return { type: 'speech-ended', result: this.speech.timeUp() };
    }
    const amd = this.amd as AmdClassifier;
    if (command === 'wait-from') return undefined;
    this.decided = true;
    return { type: 'amd-decided', result: command === 'hangup' ? amd.hangup() : amd.timeUp() };
  }

  private feedAmd(amd: AmdClassifier, frame: Int16Array): void {
    if (this.decided) return;
    const result = amd.feed(frame, this.rate);
    if (result) {
      this.decided = true;
      this.emit({ type: 'amd-decided', result });
    }
  }
}
