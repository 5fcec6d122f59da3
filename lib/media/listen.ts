/**
 * Listening for what a caller says: the call's media path (path.ts, through a snoop, so prompts can play meanwhile)
 * feeds the end-of-speech detector (speech-end.ts) 20 ms frames. `onSpeechStart` fires once when speech starts (to
 * stop a prompt: barge-in). A real-time limit applies as well, as AMD() has one: when frames stall or never come, no
 * speech within startTimeoutMs (plus a second) is no speech, and speech going on past maxSpeechMs + endSilenceMs (plus a
 * second) ends with what was heard. The call hanging up is `hangup`. The path is always closed before this resolves;
 * listenThen lets the next step (the recogniser) start while it closes.
 */
import type { Logger } from '../log';
import { openMediaPath, type MediaSettings, type MediaTelephony } from './path';
import { SpeechEndDetector, type SpeechEnd, type SpeechEndParameters } from './speech-end';

export interface ListenOptions {
  parameters?: Partial<SpeechEndParameters>;
  /** The audio's rate (default 16000: what recognisers prefer). */
  rate?: 8000 | 16000;
  /** The wait for speech to start counts from when this settles (a prompt plays until then); absent: from the start. */
  armed?: Promise<void>;
  /** Once, when speech starts. */
  onSpeechStart?: () => void;
  /**
   * The speech's audio as it comes (for a recogniser that takes it while the caller speaks): when speech starts, the
   * audio kept with it (the pre-roll and the voice so far), then each frame, up to the one that ends it.
   */
  onSpeechAudio?: (samples: Int16Array) => void;
  /** The call's signal (it ended). */
  signal: AbortSignal;
  log: Logger;
}

export type Heard = SpeechEnd | { outcome: 'hangup' };

/** Slack given to the audio's own clock before the real-time limit decides. */
const REAL_TIME_SLACK_MS = 1000;

export function listenForSpeech(telephony: MediaTelephony, callChannelId: string, settings: MediaSettings, options: ListenOptions): Promise<Heard> {
  return listenThen(telephony, callChannelId, settings, options, (heard) => Promise.resolve(heard));
}

/**
 * listenForSpeech, then `next` with what was heard while the path closes: what comes next (the recogniser) does not
 * wait for Asterisk to hang up the two channels and destroy the bridge, two round trips on the way from the end of
 * the caller's speech to the reply. Resolves (or rejects) once both are done: the path is closed before it does.
 */
export async function listenThen<T>(telephony: MediaTelephony, callChannelId: string, settings: MediaSettings, options: ListenOptions, next: (heard: Heard) => Promise<T>): Promise<T> {
  const { heard, closed } = await listenUntilHeard(telephony, callChannelId, settings, options);
  try {
    return await next(heard);
  } finally {
    await closed;
  }
}

/** What was heard, as soon as it is decided, and the path's closing (it never rejects: failures are logged). */
async function listenUntilHeard(telephony: MediaTelephony, callChannelId: string, settings: MediaSettings, options: ListenOptions): Promise<{ heard: Heard; closed: Promise<void> }> {
  const rate = options.rate ?? 16000;
  const detector = new SpeechEndDetector(rate, options.parameters, options.armed === undefined);
  const p = detector.parameters;
  let settle!: (h: Heard) => void;
  const done = new Promise<Heard>((resolve) => (settle = resolve));
  let finished = false;
  let timer: NodeJS.Timeout | undefined;
  const finish = (h: Heard): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    settle(h);
  };
  const onAudio = (frame: Int16Array): void => {
    if (finished) return;
    const wasStarted = detector.started;
    // The frames kept before this one (the array itself: a decision on this frame replaces it).
    const kept = detector.kept;
    const r = detector.feed(frame);
    const starting = !wasStarted && detector.started;
    if (starting) {
      clearTimeout(timer);
      timer = setTimeout(() => finish(detector.timeUp()), p.maxSpeechMs + p.endSilenceMs + REAL_TIME_SLACK_MS);
    }
    try {
      if (options.onSpeechAudio && starting) for (const f of kept) options.onSpeechAudio(f);
      else if (options.onSpeechAudio && wasStarted) options.onSpeechAudio(frame);
      if (starting) options.onSpeechStart?.();
    } catch (err) {
      options.log.warn(`speech on call ${callChannelId}: ${(err as Error).message}`);
    }
    if (r) finish(r);
  };
  const onAbort = (): void => finish({ outcome: 'hangup' });
  options.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const path = await openMediaPath(telephony, callChannelId, settings, { mode: 'listen', rate, onAudio, signal: options.signal, log: options.log });
    const armStart = (): void => {
      if (finished || detector.started) return;
      detector.waitFrom();
      timer = setTimeout(() => finish(detector.timeUp()), p.startTimeoutMs + REAL_TIME_SLACK_MS);
    };
    if (options.armed) void options.armed.then(armStart);
    else armStart();
    path.onEnded((why) => {
      if (options.signal.aborted) return;
      // The path ended under us (its channel was hung up elsewhere): what was heard decides.
      finish(detector.timeUp());
      options.log.debug(`listening on call ${callChannelId}: media path ended (${why})`);
    });
    const heard = await done;
    return { heard, closed: path.close(heard.outcome === 'hangup' ? 'the call ended' : 'listening done') };
  } catch (err) {
    // openMediaPath closed what it had made before it threw.
    if (options.signal.aborted) return { heard: { outcome: 'hangup' }, closed: Promise.resolve() };
    throw err;
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener('abort', onAbort);
  }
}
