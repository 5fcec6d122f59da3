/**
 * Hearing what a caller says: listen on the call's media path until the end of speech (lib/media/listen.ts), then
 * send the speech to the recogniser (lib/speech/recogniser.ts). The recogniser's failure (a refused key, a timeout, an
 * answer that is not a transcription) rejects with its SpeechError; the call hanging up is `hangup`.
 */
import type { Logger } from '../log';
import { listenForSpeech } from '../media/listen';
import type { MediaSettings, MediaTelephony } from '../media/path';
import type { SpeechEndParameters } from '../media/speech-end';
import type { Recogniser } from '../speech/recogniser';

export interface HearRequest {
  recogniser: Recogniser;
  media: MediaSettings;
  /** The language asked of the recogniser ('' : it guesses). */
  language: string;
  /** Phrases expected (a hint to the recogniser). */
  phrases?: readonly string[];
  /** Digits are expected (a hint to a recogniser that takes a grammar). */
  digits?: boolean;
  parameters?: Partial<SpeechEndParameters>;
  /** The wait for speech to start counts from when this settles (the prompt is over); absent: at once. */
  armed?: Promise<void>;
  /** Once, when speech starts (barge-in). */
  onSpeechStart?: () => void;
  signal: AbortSignal;
  log: Logger;
}

export type HearResult =
  | { outcome: 'recognised'; text: string; confidence: number | null; speechMs: number }
  | { outcome: 'no-speech' }
  | { outcome: 'hangup' };

export async function hear(telephony: MediaTelephony, callChannelId: string, req: HearRequest): Promise<HearResult> {
  const heard = await listenForSpeech(telephony, callChannelId, req.media, { parameters: req.parameters, armed: req.armed, onSpeechStart: req.onSpeechStart, signal: req.signal, log: req.log });
  if (heard.outcome === 'hangup' || heard.outcome === 'no-speech') return { outcome: heard.outcome };
  if (req.signal.aborted) return { outcome: 'hangup' };
  const speechMs = Math.round((heard.audio.samples.length * 1000) / heard.audio.rate);
  try {
    const r = await req.recogniser.recognise({ audio: heard.audio, language: req.language, phrases: req.phrases, digits: req.digits, signal: req.signal });
    return { outcome: 'recognised', text: r.text, confidence: r.confidence, speechMs };
  } catch (err) {
    if (req.signal.aborted) return { outcome: 'hangup' };
    throw err;
  }
}
