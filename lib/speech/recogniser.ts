/**
 * What a speech recogniser is: a caller's audio (16-bit mono PCM) in, text and a
 * confidence out, or a SpeechError that says which recogniser failed and why.
 * What a recogniser answers is hostile: the text is one line without control
 * characters, bounded (recognisedText), and the confidence a number in [0, 1] or null.
 */
import { SpeechError } from './provider';
import { durationMs, type Pcm } from './wav';

export interface RecognitionRequest {
  audio: Pcm;
  /** A language code such as en, fr or pt_BR ('' : the recogniser guesses). */
  language: string;
  /** Phrases the caller is expected to say (a menu's options): a hint, never a constraint. */
  phrases?: readonly string[];
  /** Digits are expected (a collection of digits): a hint, for a recogniser that can use a grammar. */
  digits?: boolean;
  signal?: AbortSignal;
}

export interface Recognition {
  /** What the caller said ('' : nothing was recognised). */
  text: string;
  /** From 0 to 1, or null when the recogniser does not say. */
  confidence: number | null;
}

export interface Recogniser {
  /** What the recogniser is, for messages: "whisper https://api.example.com whisper-1". */
  readonly identity: string;
  recognise(request: RecognitionRequest): Promise<Recognition>;
  /**
   * A recognition of speech as it is said (a recogniser that can take audio while the caller speaks: Vosk). Absent:
   * the recogniser takes whole utterances only (recognise).
   */
  stream?(request: StreamRequest): RecognitionStream;
}

/** A recognition fed as the caller speaks. */
export interface StreamRequest extends Omit<RecognitionRequest, 'audio'> {
  /** The rate of the audio pushed. */
  rate: number;
  /** Words heard so far (a partial result with words in it), each time the recogniser says some: for barge-in. */
  onWords?: (text: string) => void;
  /** The recognition failed before end() (the server went away, refused the audio...): the reason, once. */
  onFailure?: (err: SpeechError) => void;
}

/**
 * One streamed recognition. push() never throws: a failure comes through onFailure and end(). The stream ends with
 * end() (the speech is over: the final result) or abort() (the call ended, the listening stopped); either frees
 * everything it holds (its connection, its audio).
 */
export interface RecognitionStream {
  /** 16-bit mono PCM at the request's rate; copied, the caller may reuse the array. */
  push(samples: Int16Array): void;
  end(): Promise<Recognition>;
  abort(): void;
}

/** The longest recognised text kept, in characters. */
export const MAX_RECOGNISED_CHARS = 1000;

/** A recogniser's text as callflow keeps it: one line, no control or bidirectional formatting characters, runs of white space as one space, at most MAX_RECOGNISED_CHARS. */
export function recognisedText(text: string): string {
  // eslint-disable-next-line no-control-regex
  const line = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\s]+/g, ' ').trim();
  return line.length > MAX_RECOGNISED_CHARS ? line.slice(0, MAX_RECOGNISED_CHARS) : line;
}

/**
 * What every recogniser checks first: audio longer than `maxAudioMs` is refused (a SpeechError naming `shown`), and
 * no audio at all is nothing recognised, without asking the engine. Returns that answer, or undefined to go on.
 */
export function beforeRecognition(audio: Pcm, maxAudioMs: number, shown: string): Recognition | undefined {
  const ms = durationMs(audio);
  if (ms > maxAudioMs) throw tooMuchAudio(ms, maxAudioMs, shown);
  return audio.samples.length === 0 ? { text: '', confidence: null } : undefined;
}

/** The refusal of `ms` of audio, more than the `maxAudioMs` a recognition by `shown` takes (whole or streamed). */
export function tooMuchAudio(ms: number, maxAudioMs: number, shown: string): SpeechError {
  return new SpeechError('too-large', `${shown}: ${ms} ms of audio is more than the ${maxAudioMs} ms a recognition takes`);
}
