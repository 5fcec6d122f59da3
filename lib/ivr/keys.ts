/**
 * Reading the caller's keys for a menu or a digit collection: keys already
 * kept from an interrupted prompt come first, keys pressed while a prompt
 * plays stop it (barge-in) and count, and whatever is left unread when the
 * element is done is kept for the next one. A flood of keys is bounded.
 */
import { randomUUID } from 'node:crypto';
import { abortReason } from '../ari/errors';
import type { PlaybackOutcome, Telephony } from '../ari/port';
import type { CallSession } from '../call/session';
import { DTMF_BUFFER_LIMIT } from '../call/session';

/** Asterisk could not play the prompts (a missing file, an unreachable URL). */
export class MediaError extends Error {
  override readonly name = 'MediaError';
}

export class KeyReader {
  private readonly queue: string[];
  private waiter: ((digit: string | undefined) => void) | undefined;
  private playing: string | undefined;
  private readonly unwatch: () => void;

  constructor(
    private readonly telephony: Telephony,
    private readonly session: CallSession,
  ) {
    this.queue = session.dtmf.splice(0);
    this.unwatch = telephony.watchChannel(session.channelId, (event) => {
      if (event.type === 'ChannelDtmfReceived') this.push(event.digit);
      // A key that came before the prompt started could not stop it: stop it now that it has.
      else if (event.type === 'PlaybackStarted' && event.playback.id === this.stopWanted) this.stop(event.playback.id);
    });
  }

  /** A playback to stop as soon as it exists (a key arrived while it was being requested). */
  private stopWanted: string | undefined;

  private stop(id: string): void {
    this.telephony.stopPlayback(id).catch(() => undefined);
  }

  private push(digit: string): void {
    if (this.playing) {
      const id = this.playing;
      this.playing = undefined;
      this.stopWanted = id;
      this.stop(id);
    }
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter(digit);
      return;
    }
    this.queue.push(digit);
    if (this.queue.length > DTMF_BUFFER_LIMIT) this.queue.splice(0, this.queue.length - DTMF_BUFFER_LIMIT);
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Throws away keys pressed so far (a retry starts clean). */
  clear(): void {
    this.queue.length = 0;
  }

  /** The next key, waiting up to timeoutMs; undefined when none came. */
  next(timeoutMs: number, signal: AbortSignal): Promise<string | undefined> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (signal.aborted) return Promise.reject(abortReason(signal));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(undefined), timeoutMs);
      const onAbort = (): void => {
        clearTimeout(timer);
        this.waiter = undefined;
        reject(abortReason(signal));
      };
      const done = (digit: string | undefined): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.waiter = undefined;
        resolve(digit);
      };
      this.waiter = done;
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Plays prompts; with barge-in a key stops them at once (the key is read
   * next). Nothing is played when a key is already waiting. Resolves when
   * the prompts are over either way.
   */
  async prompt(prompts: string[], language: string, bargeIn: boolean, signal: AbortSignal): Promise<void> {
    if (prompts.length === 0 || (bargeIn && this.queue.length > 0)) return;
    const playbackId = randomUUID();
    if (bargeIn) this.playing = playbackId;
    let outcome: PlaybackOutcome;
    try {
      const options: { playbackId: string; signal: AbortSignal; lang?: string } = { playbackId, signal };
      if (language) options.lang = language;
      outcome = await this.telephony.play({ channelId: this.session.channelId }, prompts, options);
    } finally {
      if (this.playing === playbackId) this.playing = undefined;
      if (this.stopWanted === playbackId) this.stopWanted = undefined;
    }
    if (outcome.state === 'failed' && !signal.aborted) {
      throw new MediaError(`Asterisk could not play ${prompts.join(', ')} (a missing sound file or an unreachable URL?)`);
    }
  }

  /** Stops listening; unread keys are kept for the next element. */
  close(): void {
    this.unwatch();
    if (this.playing) this.telephony.stopPlayback(this.playing).catch(() => undefined);
    for (const digit of this.queue) this.session.keepKey(digit);
    this.queue.length = 0;
  }
}
