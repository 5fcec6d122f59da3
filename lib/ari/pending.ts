/**
 * The operations of one connection that wait for Asterisk's final word:
 * playbacks (PlaybackFinished), recordings (RecordingFinished/Failed) and
 * originates (StasisStart when answered, ChannelDestroyed or ChannelLost
 * when not). Each waiter is registered before its request goes out, so the
 * event cannot be missed; the connection hands every event to settle().
 *
 * Apart from connection.ts because it is its own piece of state with its
 * own rules: what a missed final event means after a reconnect (settled
 * from Asterisk's current state, or from its restart), and what closing
 * does to each kind. The connection owns one and keeps the sockets, the
 * supervisor and the requests.
 */
import { unwatchAbort, watchAbort, type AbortTarget } from './abort-listeners';
import { causeText, isProgressDialStatus } from './causes';
import { AriError, CallEndedError, abortReason, asError, type CancelledError } from './errors';
import type { OriginateOutcome, PlaybackOutcome, RecordingOutcome, TelephonyEvent } from './port';
import type { AriRest } from './rest';
import type { Channel, LiveRecording, Playback } from './types';

interface Waiter<T> {
  resolve(outcome: T): void;
  reject(err: Error): void;
}
interface OriginateWaiter {
  dialStatus?: string;
  resolve(outcome: OriginateOutcome): void;
}

/** What was pending when a connection came back (taken before Asterisk is asked anything). */
export interface PendingSnapshot {
  originates: [string, OriginateWaiter][];
  playbacks: [string, Waiter<PlaybackOutcome>][];
  recordings: [string, Waiter<RecordingOutcome>][];
}

/** What settling missed final events needs of the connection that reconnected. */
export interface MissedEventContext {
  restarted: boolean;
  /** Channels Asterisk still has in the application. */
  present: Set<string>;
  rest: AriRest;
  /** False once a later connect took over: stop at once. */
  current(): boolean;
  getPlayback(playbackId: string): Promise<Playback | undefined>;
  /** An originate found answered: its channel is in the application now. */
  answered(channelId: string): void;
}

export class PendingOperations {
  private readonly playbackWaiters = new Map<string, Waiter<PlaybackOutcome>>();
  private readonly recordingWaiters = new Map<string, Waiter<RecordingOutcome>>();
  private readonly originateWaiters = new Map<string, OriginateWaiter>();
  private readonly stoppedPlaybacks = new Set<string>();

  /** Registers an originate's waiter (before the request); its outcome resolves on the channel's answer or end. */
  expectOriginate(channelId: string): Promise<OriginateOutcome> {
    let resolveOutcome!: (o: OriginateOutcome) => void;
    const outcome = new Promise<OriginateOutcome>((r) => (resolveOutcome = r));
    this.originateWaiters.set(channelId, { resolve: resolveOutcome });
    return outcome;
  }

  /** The originate request failed: nothing will come for that channel. */
  forgetOriginate(channelId: string): void {
    this.originateWaiters.delete(channelId);
  }

  /** Whether an originate of that channel waits for its answer. */
  originating(channelId: string): boolean {
    return this.originateWaiters.has(channelId);
  }

  /** A playback that ends with PlaybackFinished; `stop` is how an abort stops it. */
  untilPlaybackFinished(playbackId: string, signal: AbortSignal | undefined, stop: () => Promise<void>, request: () => Promise<unknown>): Promise<PlaybackOutcome> {
    return untilFinal(this.playbackWaiters, playbackId, signal, stop, request);
  }

  /** A recording that ends with RecordingFinished or RecordingFailed; `stop` is how an abort stops it. */
  untilRecordingFinished(name: string, signal: AbortSignal | undefined, stop: () => Promise<void>, request: () => Promise<unknown>): Promise<RecordingOutcome> {
    return untilFinal(this.recordingWaiters, name, signal, stop, request);
  }

  /**
   * Stops a playback through `stop` (the request), so that its
   * PlaybackFinished says `stopped`. A playback Asterisk no longer has is
   * already over.
   */
  async stopPlayback(playbackId: string, stop: () => Promise<void>): Promise<void> {
    this.stoppedPlaybacks.add(playbackId);
    try {
      await stop();
    } catch (err) {
      if (err instanceof AriError && err.kind === 'not-found') {
        this.stoppedPlaybacks.delete(playbackId);
        return;
      }
      throw err;
    } finally {
      if (!this.playbackWaiters.has(playbackId)) this.stoppedPlaybacks.delete(playbackId);
    }
  }

  /** Settles the waiter an event is the final word of (called for every event, before the listeners). */
  settle(event: TelephonyEvent): void {
    switch (event.type) {
      case 'PlaybackFinished': {
        const w = this.playbackWaiters.get(event.playback.id);
        if (w) {
          this.playbackWaiters.delete(event.playback.id);
          const stopped = this.stoppedPlaybacks.delete(event.playback.id);
          w.resolve({ playbackId: event.playback.id, state: event.playback.state === 'failed' ? 'failed' : 'done', stopped });
        }
        return;
      }
      case 'RecordingFinished':
      case 'RecordingFailed': {
        const w = this.recordingWaiters.get(event.recording.name);
        if (w) {
          this.recordingWaiters.delete(event.recording.name);
          w.resolve(recordingOutcome(event.recording, event.type === 'RecordingFailed'));
        }
        return;
      }
      case 'Dial': {
        const w = this.originateWaiters.get(event.peer.id);
        // Only an outcome: a callee that rang and then did not answer in time leaves no status (not RINGING).
        if (w && !isProgressDialStatus(event.dialstatus)) w.dialStatus = event.dialstatus;
        return;
      }
      case 'StasisStart': {
        const w = this.originateWaiters.get(event.channel.id);
        if (w) {
          this.originateWaiters.delete(event.channel.id);
          w.resolve({ answered: true, channel: event.channel });
        }
        return;
      }
      case 'ChannelDestroyed': {
        const w = this.originateWaiters.get(event.channel.id);
        if (w) {
          this.originateWaiters.delete(event.channel.id);
          const outcome: OriginateOutcome = { answered: false, cause: event.cause, causeText: event.cause_txt };
          if (w.dialStatus) outcome.dialStatus = w.dialStatus;
          w.resolve(outcome);
        }
        return;
      }
      case 'ChannelLost': {
        const w = this.originateWaiters.get(event.channelId);
        if (w) {
          this.originateWaiters.delete(event.channelId);
          w.resolve({ answered: false, cause: 0, causeText: causeText(0), lost: event.reason });
        }
        return;
      }
      default:
        return;
    }
  }

  /**
   * What is pending now. Reconciling settles only these: an operation
   * started since (a new call's prompt) has its own events coming, and its
   * playback may not exist yet.
   */
  snapshot(): PendingSnapshot {
    return { originates: [...this.originateWaiters], playbacks: [...this.playbackWaiters], recordings: [...this.recordingWaiters] };
  }

  /**
   * Settles the operations of `pending` whose final event was missed while
   * the connection was down, from Asterisk's current state. Returns false
   * when it stopped because a later connect took over.
   */
  async settleMissed(pending: PendingSnapshot, ctx: MissedEventContext): Promise<boolean> {
    const { restarted, present, rest } = ctx;
    const current = (): boolean => ctx.current();
    // Originates whose answer (StasisStart) was missed.
    for (const [id, w] of pending.originates) {
      if (!present.has(id)) continue;
      const channel = await rest.call<Channel>('channels', 'get', { channelId: id }).catch(() => undefined);
      if (!current()) return false;
      if (channel?.state === 'Up' && channel.dialplan.app_name === 'Stasis' && this.originateWaiters.get(id) === w) {
        this.originateWaiters.delete(id);
        ctx.answered(id);
        w.resolve({ answered: true, channel });
      }
    }
    // Playbacks and recordings whose final event was missed.
    for (const [id, w] of pending.playbacks) {
      const pb = restarted ? undefined : await ctx.getPlayback(id).catch(() => null);
      if (!current()) return false;
      if (pb === undefined && this.playbackWaiters.get(id) === w) {
        this.playbackWaiters.delete(id);
        w.resolve({ playbackId: id, state: restarted ? 'failed' : 'done', stopped: this.stoppedPlaybacks.delete(id), inferred: true });
      }
    }
    for (const [name, w] of pending.recordings) {
      const live = restarted
        ? undefined
        : await rest.call<LiveRecording>('recordings', 'getLive', { recordingName: name }).catch((err: unknown) => (err instanceof AriError && err.kind === 'not-found' ? undefined : null));
      if (!current()) return false;
      if (live !== undefined || this.recordingWaiters.get(name) !== w) continue;
      this.recordingWaiters.delete(name);
      const stored = await rest.call<{ name: string; format: string }>('recordings', 'getStored', { recordingName: name }).catch(() => undefined);
      w.resolve(stored ? { name, format: stored.format, state: 'done' } : { name, format: '', state: 'failed', cause: 'the recording ended while the connection was down' });
    }
    return true;
  }

  /** The connection closed for good: playbacks and recordings fail with `err`, originates end as lost (`closed`). */
  closeAll(err: CancelledError): void {
    for (const w of this.playbackWaiters.values()) w.reject(err);
    for (const w of this.recordingWaiters.values()) w.reject(err);
    this.playbackWaiters.clear();
    this.recordingWaiters.clear();
    for (const w of this.originateWaiters.values()) w.resolve({ answered: false, cause: 0, causeText: causeText(0), lost: 'closed' });
    this.originateWaiters.clear();
  }
}

/**
 * Starts an operation whose outcome arrives as an event (PlaybackFinished,
 * RecordingFinished): the waiter is registered before the request goes
 * out, so the event cannot be missed. An abort rejects with its reason and
 * stops the operation, unless the call ended (which ends the operation).
 */
function untilFinal<T>(
  waiters: Map<string, { resolve(v: T): void; reject(e: Error): void }>,
  key: string,
  signal: AbortSignal | undefined,
  stop: () => Promise<void>,
  request: () => Promise<unknown>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    // One abort listener per signal, shared with the signal's requests (abort-listeners.ts).
    const waiter: { resolve(v: T): void; reject(e: Error): void } & AbortTarget = {
      resolve(v) {
        if (signal) unwatchAbort(signal, waiter);
        resolve(v);
      },
      reject(e) {
        if (signal) unwatchAbort(signal, waiter);
        reject(e);
      },
      aborted(s) {
        const reason = abortReason(s);
        waiters.delete(key);
        if (!(reason instanceof CallEndedError)) stop().catch(() => undefined);
        reject(reason);
      },
    };
    waiters.set(key, waiter);
    if (signal) watchAbort(signal, waiter);
    request().catch((err: unknown) => {
      if (waiters.delete(key)) waiter.reject(asError(err));
    });
  });
}

function recordingOutcome(rec: LiveRecording, failed: boolean): RecordingOutcome {
  const out: RecordingOutcome = {
    name: rec.name,
    format: rec.format,
    state: failed ? 'failed' : rec.state === 'canceled' ? 'canceled' : 'done',
  };
  if (rec.duration !== undefined) out.durationSec = rec.duration;
  if (rec.talking_duration !== undefined) out.talkingSec = rec.talking_duration;
  if (rec.silence_duration !== undefined) out.silenceSec = rec.silence_duration;
  if (rec.cause !== undefined) out.cause = rec.cause;
  return out;
}
