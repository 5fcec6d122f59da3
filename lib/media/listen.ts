/**
 * Listening for what a caller says: the call's media path (path.ts, through a snoop, so prompts can play meanwhile)
 * feeds the end-of-speech detector (speech-end.ts, run by the endpoint: analysis.ts) 20 ms frames. `onListening` fires
 * once the path hears the caller (the prompt they answer should start only then), `onSpeechStart` once when speech
 * starts (to stop a prompt: barge-in); `onSpeechAudio` gets the speech's frames as they come (only then do frames
 * cross from the RTP worker thread). A real-time limit applies as well, as AMD() has one: when frames stall or never come, no
 * speech within startTimeoutMs (plus a second) is no speech, and speech going on past maxSpeechMs + endSilenceMs (plus a
 * second) ends with what was heard. The call hanging up is `hangup`. The path is always closed before this resolves;
 * listenThen lets the next step (the recogniser) start while it closes.
 */
import type { Logger } from '../log';
import { turnStage } from '../turn-stages';
import type { AnalysisEvent, AnalysisSpec } from './analysis';
import type { MediaFormat } from './codec';
import { openMediaPath, pathFormat, type MediaPath, type MediaSettings, type MediaTelephony } from './path';
import { SPEECH_END_DEFAULTS, type SpeechEnd, type SpeechEndParameters } from './speech-end';

export interface ListenOptions {
  parameters?: Partial<SpeechEndParameters>;
  /** The audio's rate (default 16000: what recognisers prefer). */
  rate?: 8000 | 16000;
  /** The wait for speech to start counts from when this settles (a prompt plays until then); absent: from the start. */
  armed?: Promise<void>;
  /** Once, when speech starts. */
  onSpeechStart?: () => void;
  /**
   * Once, when the media path is open and hears the caller: from then on what they say is heard. A prompt that the
   * caller may answer should start only then (however late a busy machine opens the path), or its answer is lost.
   */
  onListening?: () => void;
  /**
   * The speech's audio as it comes (for a recogniser that takes it while the caller speaks): when speech starts, the
   * audio kept with it (the pre-roll and the voice so far), then each frame, up to the one that ends it.
   */
  onSpeechAudio?: (samples: Int16Array) => void;
  /** The call's signal (it ended). */
  signal: AbortSignal;
  log: Logger;
  /** The path kept across listenings (a robot's conversation); absent: this listening opens and closes its own. */
  kept?: KeptPath;
}

export type Heard = SpeechEnd | { outcome: 'hangup' };

/**
 * One media path kept open across the listenings of a conversation (the robot's turns: lib/ivr/bot.ts), instead of a
 * path opened and closed for each: a listening takes it with a new analysis (the endpoint's reanalyse) and gives it
 * back when it has heard. What that saves on each turn: four requests to open it (bridge, snoop, external media, the
 * add to the bridge) and three to close it (two hangups, the bridge), with their events, in this process and in
 * Asterisk. Between two listenings the caller's audio still arrives and is not worked out. A path that ended (its
 * channels hung up elsewhere, the RTP worker stopped) or failed is dropped and the next listening opens a new one; a
 * listening that comes while another holds the path (or after the keeper closed) opens one of its own, closed after
 * it, as without a keeper. The path closes when the keeper does (the conversation ends) and, as any path, when the
 * call ends or a channel of it goes.
 *
 * A keeper that `speaks` bridges the call with its path (path.ts mode `bridge`, no snoop) so that audio sent on it
 * reaches the caller: the robot's voice streamed by this process (speak()), with no file for Asterisk to fetch or play.
 * The call is then in the path's bridge for the whole conversation, and leaves it when the path closes. Over RTP its
 * external media channel is ulaw whatever `callflowMedia.format` says (path.ts pathFormat: Asterisk drops slin16 sent
 * back); the WebSocket transport keeps its format.
 */
export class KeptPath {
  private path: MediaPath | undefined;
  /** The path being opened (by a listening or by speak()), which the other waits for. */
  private opening: Promise<MediaPath> | undefined;
  private held = false;
  private openRate: 8000 | 16000 | undefined;
  private handler: ((event: AnalysisEvent) => void) | undefined;
  /**
   * The kept path's signal: aborted by close and when the call's signal aborts (a listening that stops, a key came
   * first, leaves it). Not AbortSignal.any: an element's signal is a StepSignal (lib/call/step-signal.ts), which it
   * takes but never follows.
   */
  private readonly life = new AbortController();
  private readonly signal: AbortSignal = this.life.signal;
  private readonly callEnded = (): void => this.life.abort();

  constructor(
    private readonly telephony: MediaTelephony,
    private readonly callChannelId: string,
    private readonly settings: MediaSettings,
    private readonly callSignal: AbortSignal,
    private readonly log: Logger,
    /** Bridge the call with the path, so that what speak() sends reaches the caller. */
    readonly speaks = false,
  ) {
    if (callSignal.aborted) this.life.abort();
    else callSignal.addEventListener('abort', this.callEnded, { once: true });
  }

  /** The format its paths carry (path.ts pathFormat: ulaw over RTP for a keeper that speaks). */
  get format(): MediaFormat {
    return pathFormat(this.settings, this.speaks ? 'bridge' : 'listen');
  }

  /**
   * The rate to give speak() samples at: the rate of the format its paths carry (ulaw 8000, slin16 16000), what the
   * caller gets. They go to the wire as they are when it is the same (the endpoint's play with their rate).
   */
  get rate(): 8000 | 16000 {
    return this.format === 'ulaw' ? 8000 : 16000;
  }

  /**
   * A new kept path (the one before, if any, closed first). Called only when no opening is under way: whoever wants a
   * path while one opens waits for it and looks again (settled()), so nobody is handed a path opened for another.
   */
  private open(rate: 8000 | 16000, analysis: AnalysisSpec | undefined): Promise<MediaPath> {
    this.opening = (async () => {
      const before = this.path;
      this.path = undefined;
      if (before) await before.close('a new listening path');
      this.openRate = rate;
      const path = await openMediaPath(this.telephony, this.callChannelId, this.settings, {
        mode: this.speaks ? 'bridge' : 'listen',
        rate,
        analysis,
        onEvent: (event) => this.handler?.(event),
        signal: this.signal,
        log: this.log,
      });
      this.path = path;
      return path;
    })().finally(() => (this.opening = undefined));
    return this.opening;
  }

  /**
   * Once no opening is under way (one that failed is its opener's to report). The caller decides in the same turn of
   * the event loop as this returns (its continuation), and looks again if an opening began before it (the `opening`
   * check after each await).
   */
  private async settled(): Promise<void> {
    while (this.opening) await this.opening.catch(() => undefined);
  }

  /** The kept path, if it is open. */
  private get current(): MediaPath | undefined {
    const path = this.path;
    return path && path.ended === undefined ? path : undefined;
  }

  /**
   * @internal The path for one listening: the kept one with a new analysis, or a new one that is kept; undefined when
   * none can be (another listening holds it, the keeper is closed, or a reply goes out on the kept path at another
   * rate than this listening's): the listening opens one of its own.
   */
  async take(o: { rate: 8000 | 16000; analysis: AnalysisSpec; onEvent: (event: AnalysisEvent) => void }): Promise<MediaPath | undefined> {
    if (this.held || this.signal.aborted) return undefined;
    this.held = true;
    try {
      this.handler = o.onEvent;
      do await this.settled();
      while (this.opening);
      const current = this.current;
      if (current && this.openRate === o.rate) {
        current.endpoint.reanalyse(o.analysis);
        return current;
      }
      if ((current && this.speaking > 0) || this.signal.aborted) {
        this.held = false;
        this.handler = undefined;
        return undefined;
      }
      return await this.open(o.rate, o.analysis);
    } catch (err) {
      this.held = false;
      throw err;
    }
  }

  /** @internal The listening is done with it: open for the next one (its events go nowhere meanwhile). */
  give(path: MediaPath, broken: boolean): Promise<void> {
    if (path !== this.path) return path.close(broken ? 'listening failed' : 'listening done');
    this.held = false;
    this.handler = undefined;
    if (!broken) return Promise.resolve();
    this.path = undefined;
    return path.close('listening failed');
  }

  /** Replies going out on the kept path now: a listening for another rate does not close it under them. */
  private speaking = 0;

  /**
   * Sends `samples` (at `rate`) to the caller over the kept path, whatever rate its listening opened it at (opened,
   * without an analysis, when there is none), in real time; resolves once they have gone out, or at once when
   * `stopped` aborts (barge-in: what is queued is dropped), the keeper closes or the call ends. A listening may hold
   * the path meanwhile: it hears the caller, the caller hears this.
   */
  async speak(samples: Int16Array, rate: 8000 | 16000, stopped: AbortSignal): Promise<void> {
    if (!this.speaks) throw new Error(`the media path of call ${this.callChannelId} does not reach the caller (it only listens)`);
    do await this.settled();
    while (this.opening);
    if (stopped.aborted || this.signal.aborted) return;
    let path = this.current;
    try {
      path ??= await this.open(this.rate, undefined);
    } catch (err) {
      // The call ended (or the conversation did) while it opened: nothing to say, and nobody to say it to.
      if (this.signal.aborted) return;
      throw err;
    }
    if (stopped.aborted || path.ended !== undefined) return;
    const opened = path;
    const stop = (): void => opened.endpoint.stopPlaying();
    stopped.addEventListener('abort', stop, { once: true });
    this.speaking += 1;
    try {
      turnStage('play-asked', this.callChannelId);
      await opened.play(samples, rate);
      // What the far end queued is heard too before the next step (the conversation's end closes the path).
      if (!stopped.aborted) await opened.endpoint.queueDrained?.();
    } finally {
      this.speaking -= 1;
      stopped.removeEventListener('abort', stop);
    }
  }

  /** Closes the kept path (the conversation is over); resolves once it is torn down. */
  close(why = 'the conversation ended'): Promise<void> {
    this.callSignal.removeEventListener('abort', this.callEnded);
    this.life.abort();
    const path = this.path;
    this.path = undefined;
    const opening = this.opening;
    // One being opened closes itself (its signal, the keeper's, has aborted); the teardown is waited for all the same.
    return Promise.all([path?.close(why), opening?.then((p) => p.close(why), () => undefined)]).then(() => undefined);
  }
}

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
  // The detector runs where the packets arrive (the RTP worker thread by default): only its events come here.
  const p = { ...SPEECH_END_DEFAULTS, ...options.parameters };
  let settle!: (h: Heard) => void;
  let failed!: (err: Error) => void;
  const done = new Promise<Heard>((resolve, reject) => ((settle = resolve), (failed = reject)));
  let finished = false;
  let started = false;
  let timer: NodeJS.Timeout | undefined;
  let path: MediaPath | undefined;
  const finish = (h: Heard): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    settle(h);
  };
  const fail = (err: Error): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    failed(new Error(`listening on call ${callChannelId} failed: ${err.message}`));
  };
  // A real-time limit: the detector's decision on what it has heard so far.
  const timeUp = (): void => {
    if (finished || !path) return;
    path.endpoint.analyse('time-up').then((e) => e?.type === 'speech-ended' && finish(e.result), fail);
  };
  const onEvent = (event: AnalysisEvent): void => {
    if (finished) return;
    try {
      if (event.type === 'speech-audio') for (const f of event.frames) options.onSpeechAudio?.(f);
      else if (event.type === 'speech-started' && !started) {
        started = true;
        clearTimeout(timer);
        timer = setTimeout(timeUp, p.maxSpeechMs + p.endSilenceMs + REAL_TIME_SLACK_MS);
        options.onSpeechStart?.();
      }
    } catch (err) {
      options.log.warn(`speech on call ${callChannelId}: ${(err as Error).message}`);
    }
    if (event.type === 'speech-ended') {
      turnStage('decided-at-endpoint', callChannelId, event.decidedAt);
      turnStage('decided', callChannelId);
      finish(event.result);
    }
  };
  const onAbort = (): void => finish({ outcome: 'hangup' });
  options.signal.addEventListener('abort', onAbort, { once: true });
  try {
    // The speech's frames cross from the worker only for a consumer of them (a streaming recogniser).
    const analysis = { kind: 'speech-end' as const, parameters: options.parameters, counting: options.armed === undefined, audio: options.onSpeechAudio !== undefined };
    const keeper = options.kept;
    const kept = keeper ? await keeper.take({ rate, analysis, onEvent }) : undefined;
    path = kept ?? (await openMediaPath(telephony, callChannelId, settings, { mode: 'listen', rate, analysis, onEvent, signal: options.signal, log: options.log }));
    const opened = path;
    // A kept path is given back (open for the next listening), any other closed.
    const release = (broken: boolean, why: string): Promise<void> => (keeper && kept ? keeper.give(opened, broken) : opened.close(why));
    turnStage('path-open', callChannelId);
    options.onListening?.();
    const armStart = (): void => {
      if (finished || started) return;
      if (options.armed) opened.endpoint.analyse('wait-from').catch(fail);
      timer = setTimeout(timeUp, p.startTimeoutMs + REAL_TIME_SLACK_MS);
    };
    if (options.armed) void options.armed.then(armStart);
    else armStart();
    const offEnded = opened.onEnded((why) => {
      if (options.signal.aborted || finished) return;
      // The path ended under us (its channel was hung up elsewhere, or the RTP worker stopped): what was heard decides.
      timeUp();
      options.log.debug(`listening on call ${callChannelId}: media path ended (${why})`);
    });
    const heard = await done.catch(async (err: unknown) => {
      offEnded();
      await release(true, 'listening failed');
      throw err;
    });
    offEnded();
    const closed = release(heard.outcome === 'hangup', heard.outcome === 'hangup' ? 'the call ended' : 'listening done').then(() => turnStage('closed', callChannelId));
    return { heard, closed };
  } catch (err) {
    // openMediaPath closed what it had made before it threw.
    if (options.signal.aborted) return { heard: { outcome: 'hangup' }, closed: Promise.resolve() };
    throw err;
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener('abort', onAbort);
  }
}
