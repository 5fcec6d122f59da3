/**
 * Reading the caller's keys for a menu or a digit collection: keys already
 * kept from an interrupted prompt come first, keys pressed while a prompt
 * plays stop it (barge-in) and count, and whatever is left unread when the
 * element is done is kept for the next one. A flood of keys is bounded.
 */
import { randomUUID } from 'node:crypto';
import { abortReason } from '../ari/errors';
import type { ChannelWatcher, PlaybackOutcome, Telephony, TelephonyEvent } from '../ari/port';
import type { CallSession } from '../call/session';
import { DTMF_BUFFER_LIMIT } from '../call/session';
import { DeadlineSweep, type Expiring } from '../ari/deadlines';
import { MediaError } from './media-error';
import { promptMedia, type Speaker } from './say';
import { turnStage } from '../turn-stages';

export { MediaError };

/**
 * The waits for keys of one length (a menu's 5 s, a collection's first and
 * next key): one sweep and one timer for all of them, as for the ARI
 * requests' timeouts (lib/ari/deadlines.ts), not a timer per waiting call (a
 * Timeout, its boxed times and its arguments' array: about 230 bytes each
 * waiting call kept; issue 14). Waits of one length end in the order they
 * started, so each sweep is a queue.
 */
const keyWaits = new Map<number, DeadlineSweep>();

/**
 * Lengths of key waits whose sweeps are kept while no call waits in them (a
 * form's few lengths keep their sweep and its one timer from one wait to
 * the next, so a key costs no timer). An HTTP IVR application server's
 * answer or a msg may ask for any length (fractions of a second included):
 * past this many, asking a new length drops the sweeps nobody waits in, so
 * they never grow without end.
 */
export const KEY_WAIT_LENGTHS = 64;

/** The sweep of waits `ms` long (whole ms). */
function keyWaitsOf(ms: number): DeadlineSweep {
  let sweep = keyWaits.get(ms);
  if (!sweep) {
    if (keyWaits.size >= KEY_WAIT_LENGTHS) {
      for (const [length, idle] of keyWaits) {
        if (idle.size > 0) continue;
        idle.clear();
        keyWaits.delete(length);
      }
    }
    sweep = new DeadlineSweep(ms);
    keyWaits.set(ms, sweep);
  }
  return sweep;
}

/** How many lengths of key waits have a sweep now: for checks that they stay bounded. */
export function keyWaitLengths(): number {
  return keyWaits.size;
}

export class KeyReader implements Expiring, ChannelWatcher {
  private readonly queue: string[];
  /** The wait for a key in progress (nextKey()): how to settle its promise. */
  private resolveKey: ((digit: string | undefined) => void) | undefined;
  private rejectKey: ((reason: unknown) => void) | undefined;
  /** The sweep of the wait in progress (keyWaits), and the reader's place in its queue (Expiring). */
  private sweep: DeadlineSweep | undefined;
  deadline = 0;
  prev: Expiring | undefined = undefined;
  next: Expiring | undefined = undefined;
  queued = false;
  /** The signal the reader listens to for aborts, from its first wait until close(). */
  private abortSignal: AbortSignal | undefined;
  /** The wait's deadline passed (its sweep took it out of the queue): it ends with no key. */
  expire(): void {
    this.sweep = undefined;
    this.timedOut();
  }

  /** The wait in progress, if any, ends with no key (its deadline passed, or speech answered instead). */
  timedOut(): void {
    this.endWait();
    const resolve = this.resolveKey;
    if (!resolve) return;
    this.resolveKey = undefined;
    this.rejectKey = undefined;
    resolve(undefined);
  }

  /**
   * The signal aborted: the wait in progress, if any, rejects. The reader is
   * its own abort listener (an EventListener object), as it is what its
   * wait's sweep expires: no closure per reader (issue 14).
   */
  handleEvent(): void {
    const reject = this.rejectKey;
    if (!reject || !this.abortSignal) return;
    this.endWait();
    this.resolveKey = undefined;
    this.rejectKey = undefined;
    reject(abortReason(this.abortSignal));
  }
  private playing: string | undefined;

  constructor(
    private readonly telephony: Telephony,
    private readonly session: CallSession,
  ) {
    this.queue = session.takeKeys();
    telephony.addChannelWatcher(session.channelId, this);
  }

  /**
   * The call's events: the reader is its own watcher (ChannelWatcher), not
   * a closure the connection keeps with another to remove it (issue 14).
   */
  onChannelEvent(event: TelephonyEvent): void {
    if (event.type === 'ChannelDtmfReceived') this.push(event.digit);
    // A key that came before the prompt started could not stop it: stop it now that it has.
    else if (event.type === 'PlaybackStarted' && event.playback.id === this.stopWanted) this.stop(event.playback.id);
  }

  /** A playback to stop as soon as it exists (a key arrived while it was being requested). */
  private stopWanted: string | undefined;

  private stop(id: string): void {
    this.telephony.stopPlayback(id).catch(() => undefined);
  }

  /** A key or the caller's speech cuts what is being said with barge-in: the playback, or the audio streamed. */
  private bargeIn(): void {
    if (this.playing) {
      const id = this.playing;
      this.playing = undefined;
      this.stopWanted = id;
      this.stop(id);
    }
    this.streaming?.abort();
  }

  private push(digit: string): void {
    this.bargeIn();
    const resolve = this.resolveKey;
    if (resolve) {
      this.endWait();
      this.resolveKey = undefined;
      this.rejectKey = undefined;
      resolve(digit);
      return;
    }
    this.queue.push(digit);
    if (this.queue.length > DTMF_BUFFER_LIMIT) this.queue.splice(0, this.queue.length - DTMF_BUFFER_LIMIT);
  }

  /** Speech started (barge-in by voice): the prompt playing stops as for a key, and the rest of this attempt's prompts are skipped; no key is read. */
  interrupt(): void {
    this.interrupted = true;
    this.bargeIn();
  }

  /** Stops the audio being streamed to the caller with barge-in (streamed()). */
  private streaming: AbortController | undefined;

  /** The caller spoke over this attempt's prompts (interrupt()). */
  private interrupted = false;

  get pending(): number {
    return this.queue.length;
  }

  /** Throws away keys pressed so far (a retry starts clean). */
  clear(): void {
    this.queue.length = 0;
    this.interrupted = false;
  }

  /** The next key, waiting up to timeoutMs; undefined when none came. */
  nextKey(timeoutMs: number, signal: AbortSignal): Promise<string | undefined> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (signal.aborted) return Promise.reject(abortReason(signal));
    if (signal !== this.abortSignal) {
      this.abortSignal?.removeEventListener('abort', this);
      this.abortSignal = signal;
      signal.addEventListener('abort', this);
    }
    this.endWait();
    this.sweep = keyWaitsOf(Math.max(1, Math.round(timeoutMs)));
    this.sweep.add(this);
    return new Promise((resolve, reject) => {
      this.resolveKey = resolve;
      this.rejectKey = reject;
    });
  }

  /**
   * Plays prompts; with barge-in a key stops them at once (the key is read
   * next). Nothing is played when a key is already waiting. Resolves when
   * the prompts are over either way. With `listening` (the caller's answer
   * is listened for) they start only once it settles: the prompts' speech is
   * made meanwhile.
   */
  async prompt(prompts: string[], language: string, bargeIn: boolean, signal: AbortSignal, speaker?: Speaker, listening?: Promise<void>): Promise<void> {
    if (prompts.length === 0 || (bargeIn && (this.queue.length > 0 || this.interrupted))) return;
    // say: prompts are synthesised first: a key pressed meanwhile skips the prompt, as one pressed before it.
    const { media, own } = await promptMedia(prompts, this.session, language, speaker, signal);
    turnStage('media-ready', this.session.channelId);
    await listening;
    turnStage('listening-ready', this.session.channelId);
    if (media.length === 0 || (bargeIn && (this.queue.length > 0 || this.interrupted))) return;
    const playbackId = randomUUID();
    if (bargeIn) this.playing = playbackId;
    let outcome: PlaybackOutcome;
    try {
      const options: { playbackId: string; signal: AbortSignal; lang?: string; ownMedia?: string[] } = { playbackId, signal };
      if (language) options.lang = language;
      if (own.length > 0) options.ownMedia = own;
      turnStage('play-asked', this.session.channelId);
      outcome = await this.telephony.play({ channelId: this.session.channelId }, media, options);
    } finally {
      if (this.playing === playbackId) this.playing = undefined;
      if (this.stopWanted === playbackId) this.stopWanted = undefined;
    }
    if (outcome.state === 'failed' && !signal.aborted) {
      throw new MediaError(`Asterisk could not play ${prompts.join(', ')} (a missing sound file or an unreachable URL?)`);
    }
  }

  /**
   * Audio the caller hears from this process rather than from an Asterisk playback (the robot's voice streamed on its
   * media path): `send` sends it and resolves when it has gone out or its signal aborted. With barge-in a key or the
   * caller's speech aborts that signal, as they stop a prompt; nothing is sent when a key is waiting or the caller
   * spoke already.
   */
  async streamed(send: (stopped: AbortSignal) => Promise<void>, bargeIn: boolean): Promise<void> {
    if (bargeIn && (this.queue.length > 0 || this.interrupted)) return;
    const stopping = new AbortController();
    if (bargeIn) this.streaming = stopping;
    try {
      await send(stopping.signal);
    } finally {
      if (this.streaming === stopping) this.streaming = undefined;
    }
  }

  /** The wait in progress, if any, no longer needs its deadline. */
  private endWait(): void {
    this.sweep?.remove(this);
    this.sweep = undefined;
  }

  /** Stops listening; unread keys are kept for the next element. */
  close(): void {
    this.telephony.removeChannelWatcher(this.session.channelId, this);
    this.endWait();
    this.abortSignal?.removeEventListener('abort', this);
    if (this.playing) this.telephony.stopPlayback(this.playing).catch(() => undefined);
    this.streaming?.abort();
    for (const digit of this.queue) this.session.keepKey(digit);
    this.queue.length = 0;
  }
}
