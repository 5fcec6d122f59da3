/**
 * Hearing what a caller says: listen on the call's media path until the end of speech (lib/media/listen.ts), and have
 * the recogniser (lib/speech/recogniser.ts) recognise it. The recogniser's failure (a refused key, a timeout, an answer
 * that is not a transcription) rejects with its SpeechError; the call hanging up is `hangup`.
 *
 * A recogniser that streams (Vosk) gets the speech while the caller speaks: its stream opens when speech starts, each
 * frame goes to it as it comes, and the end of speech asks for the final result, so the wait after the speech is the
 * server's final decode only. Its failure mid-speech stops the listening at once. Barge-in then waits for words: while
 * the prompt plays, speech stops it only once the recogniser hears a word in it (a partial result with words, or the
 * final result), and speech in which it heard none (a cough, a door) is let go and listening goes on; once the prompt
 * is over, speech counts as soon as it starts. Other recognisers get the speech once it has ended (while the media
 * path closes), and any speech stops the prompt.
 */
import type { Logger } from '../log';
import { listenThen, type KeptPath, type ListenOptions } from '../media/listen';
import type { MediaSettings, MediaTelephony } from '../media/path';
import type { SpeechEndParameters } from '../media/speech-end';
import type { SpeechError } from '../speech/provider';
import type { Recogniser, Recognition, RecognitionStream } from '../speech/recogniser';
import type { Pcm } from '../speech/wav';
import { turnStage } from '../turn-stages';

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
  /** Once, when the caller's speech should stop the prompt (barge-in). */
  onSpeechStart?: () => void;
  /** Once, when the media path hears the caller (ListenOptions.onListening): the prompt may start. */
  onListening?: () => void;
  /**
   * Once, with the result as soon as it is known, while the media path may still be closing (hear() itself resolves
   * once it is closed): what comes next (the robot's bot request) need not wait for Asterisk's teardown.
   */
  onHeard?: (result: HearResult) => void;
  signal: AbortSignal;
  log: Logger;
  /** The media path kept across a conversation's listenings (ListenOptions.kept); absent: one of its own. */
  kept?: KeptPath;
}

export type HearResult =
  | { outcome: 'recognised'; text: string; confidence: number | null; speechMs: number }
  | { outcome: 'no-speech' }
  | { outcome: 'hangup' };

export function hear(telephony: MediaTelephony, callChannelId: string, req: HearRequest): Promise<HearResult> {
  return req.recogniser.stream ? hearStreaming(telephony, callChannelId, req) : hearAfter(telephony, callChannelId, req);
}

/** The result to req.onHeard at once (the path closes after), and as what `next` resolves with. */
function told(req: HearRequest, result: HearResult): HearResult {
  req.onHeard?.(result);
  return result;
}

/** The speech to the recogniser once it has ended, while the media path closes; both are done before this resolves. */
function hearAfter(telephony: MediaTelephony, callChannelId: string, req: HearRequest): Promise<HearResult> {
  const options = { parameters: req.parameters, armed: req.armed, onSpeechStart: req.onSpeechStart, onListening: req.onListening, signal: req.signal, log: req.log, kept: req.kept };
  return listenThen(telephony, callChannelId, req.media, options, async (heard): Promise<HearResult> => {
    if (heard.outcome === 'hangup' || heard.outcome === 'no-speech') return told(req, { outcome: heard.outcome });
    if (req.signal.aborted) return told(req, { outcome: 'hangup' });
    const result = await recognised(heard.audio, req.signal, async () => {
      turnStage('stt-sent', callChannelId);
      const r = await req.recogniser.recognise({ audio: heard.audio, language: req.language, phrases: req.phrases, digits: req.digits, signal: req.signal });
      turnStage('stt-answered', callChannelId);
      return r;
    });
    return told(req, result);
  });
}

/** The recognition of `speech` as the result; its failure once the call has ended is the hangup. */
async function recognised(speech: Pcm, signal: AbortSignal, recognition: () => Promise<Recognition>): Promise<HearResult> {
  const speechMs = Math.round((speech.samples.length * 1000) / speech.rate);
  try {
    const r = await recognition();
    return { outcome: 'recognised', text: r.text, confidence: r.confidence, speechMs };
  } catch (err) {
    if (signal.aborted) return { outcome: 'hangup' };
    throw err;
  }
}

/** The speech to a streaming recogniser while the caller speaks; speech without words during the prompt is let go. */
async function hearStreaming(telephony: MediaTelephony, callChannelId: string, req: HearRequest): Promise<HearResult> {
  let armed = req.armed === undefined;
  void req.armed?.then(() => (armed = true));
  const barge = { done: false };
  const bargeIn = (): void => {
    if (barge.done) return;
    barge.done = true;
    req.onSpeechStart?.();
  };
  for (;;) {
    const heard = await hearOnce(telephony, callChannelId, req, () => armed, bargeIn);
    // Speech in which the recogniser heard no word, while the prompt plays: not an answer, listen on.
    if (heard.outcome === 'recognised' && heard.text === '' && !barge.done && !armed && !req.signal.aborted) {
      req.log.debug(`listening on call ${callChannelId}: speech without words during the prompt, listening on`);
      continue;
    }
    if (heard.outcome === 'recognised') bargeIn();
    // Decided only once the utterance's path has closed (whether to listen on is decided here).
    return told(req, heard);
  }
}

/** One utterance, streamed: the stream opens at the start of speech and ends with it (or is aborted). */
async function hearOnce(telephony: MediaTelephony, callChannelId: string, req: HearRequest, isArmed: () => boolean, bargeIn: () => void): Promise<HearResult> {
  const recogniser = req.recogniser as Required<Recogniser>;
  // 8 kHz audio (ulaw: the media's, or a kept path's that speaks over RTP) goes as it comes: nothing above 4 kHz is in
  // it, and the server resamples what it gets.
  const rate = (req.kept?.format ?? req.media.format) === 'ulaw' ? 8000 : 16000;
  // The listening stops when the call ends or the stream fails.
  const listening = new AbortController();
  const onAbort = (): void => listening.abort();
  req.signal.addEventListener('abort', onAbort, { once: true });
  let stream: RecognitionStream | undefined;
  let failure: SpeechError | undefined;
  let speaking = false;
  const options: ListenOptions = {
    parameters: req.parameters,
    armed: req.armed?.then(() => {
      if (speaking) bargeIn();
    }),
    rate,
    kept: req.kept,
    onListening: req.onListening,
    onSpeechStart: () => {
      speaking = true;
      if (isArmed()) bargeIn();
    },
    onSpeechAudio: (samples) => {
      stream ??= recogniser.stream({
        rate,
        language: req.language,
        phrases: req.phrases,
        digits: req.digits,
        signal: listening.signal,
        onWords: bargeIn,
        onFailure: (err) => {
          failure = err;
          listening.abort();
        },
      });
      stream.push(samples);
    },
    signal: listening.signal,
    log: req.log,
  };
  try {
    return await listenThen(telephony, callChannelId, req.media, options, async (heard): Promise<HearResult> => {
      if (failure && !req.signal.aborted) throw failure;
      if (heard.outcome === 'hangup' || req.signal.aborted) return { outcome: 'hangup' };
      if (heard.outcome === 'no-speech' || !stream) return { outcome: 'no-speech' };
      const ending = stream;
      return recognised(heard.audio, req.signal, () => ending.end());
    });
  } finally {
    stream?.abort();
    req.signal.removeEventListener('abort', onAbort);
  }
}
