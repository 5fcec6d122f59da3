/**
 * What a speech provider is: text, a voice and a language in, 16-bit mono PCM
 * out (wav.ts), or a SpeechError that says which provider failed and why.
 */
import type { Pcm } from './wav';

export interface SpeechRequest {
  text: string;
  /** The provider's voice name ('' : the provider picks one from the language). */
  voice: string;
  /** A language code such as en, en-us or pt_BR ('' : the provider's default). */
  language: string;
  signal?: AbortSignal;
}

export interface SpeechProvider {
  /** What the provider is, for messages and the cache key: "local", "openai https://api.example.com tts-1". */
  readonly identity: string;
  synthesize(request: SpeechRequest): Promise<Pcm>;
}

/**
 * Why a synthesis failed:
 * - timeout: no whole answer in time;
 * - auth: the provider refused the key (401, 403);
 * - not-audio: the answer is not audio this module reads;
 * - bad-answer: a recogniser's answer is not a transcription;
 * - too-large: more audio than the limit;
 * - unavailable: the engine is not installed, the server is unreachable, or it answered an error;
 * - refused: the request itself is wrong (a voice that does not exist, a text too long);
 * - aborted: the call ended meanwhile.
 */
export type SpeechFailure = 'timeout' | 'auth' | 'not-audio' | 'bad-answer' | 'too-large' | 'unavailable' | 'refused' | 'aborted';

export class SpeechError extends Error {
  override readonly name = 'SpeechError';
  constructor(
    readonly reason: SpeechFailure,
    message: string,
  ) {
    super(message);
  }
}

/** A message's text from outside (a provider's error body, stderr): one line, no control characters, at most `max` characters. */
export function outsideText(text: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const line = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}...` : line;
}
