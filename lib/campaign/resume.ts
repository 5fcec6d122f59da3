/**
 * What became of an attempt that was in flight when its dialer stopped (a
 * crash, a restart of Node-RED): the attempt was written with its channel
 * id before the originate, so Asterisk can be asked about that channel.
 * Still up (or answered meanwhile): the call resumes into the flow. Still
 * ringing: it is watched to its answer or its end, at most the ring time
 * left. Gone: how it ended is what Asterisk said of it, if this connection
 * heard it, else `lost` (a fault ended it while nobody listened).
 */
import { AriError } from '../ari/errors';
import type { Telephony, TelephonyEvent } from '../ari/port';
import type { Channel } from '../ari/types';
import { unansweredOutcome, type AttemptEndKind } from './causes';
import type { Clock } from './clock';

export type Fate =
  /** Up: the call goes on in the flow. */
  | { kind: 'answered'; channel: Channel }
  /** Ended unanswered, or gone: the attempt's outcome; `absent`: Asterisk did not know the channel, nor did an event name it. */
  | { kind: 'ended'; end: AttemptEndKind & { cause?: number }; absent?: true }
  /** Asterisk could not say (not connected, an error): ask again later. */
  | { kind: 'unknown'; error: Error };

/**
 * Asks Asterisk what became of channel `channelId`. Listens before asking,
 * so an answer or an end between the question and the answer is not
 * missed. A call still ringing after `ringLeftMs` is hung up as not
 * answered in time (max-response-exceeded). `ringing` hears, before the
 * wait, that Asterisk has the channel ringing.
 */
export async function fateOf(telephony: Pick<Telephony, 'getChannel' | 'hangup' | 'watchChannel'>, clock: Clock, channelId: string, ringLeftMs: number, ringing?: () => void): Promise<Fate> {
  let started: Channel | undefined;
  let destroyed: { cause: number; text: string } | undefined;
  let gone: string | undefined;
  let onEvent: ((e: TelephonyEvent) => void) | undefined;
  const off = telephony.watchChannel(channelId, (e: TelephonyEvent) => {
    if (e.type === 'StasisStart') started = e.channel;
    else if (e.type === 'ChannelDestroyed') destroyed = { cause: e.cause, text: e.cause_txt };
    else if (e.type === 'ChannelLost') gone = e.reason;
    else if (e.type === 'StasisEnd') gone ??= 'channel-gone';
    onEvent?.(e);
  });
  let channel: Channel | undefined;
  try {
    channel = await telephony.getChannel(channelId);
  } catch (err) {
    if (!(err instanceof AriError && err.kind === 'not-found')) {
      off();
      return { kind: 'unknown', error: err as Error };
    }
  }
  if (!channel || destroyed || gone) {
    off();
    // Destroyed unanswered while we listened: Asterisk said how. Otherwise it went while nobody listened.
    if (!channel && !destroyed && !gone && !started) return { kind: 'ended', end: { outcome: 'lost', why: 'channel-gone' }, absent: true };
    if (destroyed && !started && channel?.state !== 'Up') return { kind: 'ended', end: { ...unansweredOutcome({ answered: false, cause: destroyed.cause, causeText: destroyed.text }), cause: destroyed.cause } };
    return { kind: 'ended', end: { outcome: 'lost', why: gone ?? 'channel-gone' } };
  }
  if (channel.state === 'Up' || started) {
    off();
    return { kind: 'answered', channel: started ?? channel };
  }
  // Still ringing: wait for its answer or its end, at most the ring time left.
  ringing?.();
  return new Promise<Fate>((resolve) => {
    let done = false;
    const finish = (fate: Fate): void => {
      done = true;
      off();
      cancel();
      resolve(fate);
    };
    onEvent = (e: TelephonyEvent): void => {
      if (done) return;
      if (e.type === 'StasisStart') finish({ kind: 'answered', channel: e.channel });
      else if (e.type === 'ChannelDestroyed') finish({ kind: 'ended', end: { ...unansweredOutcome({ answered: false, cause: e.cause, causeText: e.cause_txt }), cause: e.cause } });
      else if (e.type === 'ChannelLost') finish({ kind: 'ended', end: { outcome: 'lost', why: e.reason } });
    };
    const cancel = clock.after(ringLeftMs, () => {
      if (done) return;
      void telephony.hangup(channelId, 'no_answer').catch(() => undefined);
      finish({ kind: 'ended', end: { outcome: 'max-response-exceeded' } });
    });
  });
}
