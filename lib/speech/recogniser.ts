/**
 * What a speech recogniser is: a caller's audio (16-bit mono PCM) in, text and a
 * confidence out, or a SpeechError that says which recogniser failed and why.
 * What a recogniser answers is hostile: the text is one line without control
 * characters, bounded (recognisedText), and the confidence a number in [0, 1] or null.
 */
import type { Pcm } from './wav';

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
}

/** The longest recognised text kept, in characters. */
export const MAX_RECOGNISED_CHARS = 1000;

/** A recogniser's text as callflow keeps it: one line, no control or bidirectional formatting characters, runs of white space as one space, at most MAX_RECOGNISED_CHARS. */
export function recognisedText(text: string): string {
  // eslint-disable-next-line no-control-regex
  const line = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\s]+/g, ' ').trim();
  return line.length > MAX_RECOGNISED_CHARS ? line.slice(0, MAX_RECOGNISED_CHARS) : line;
}
