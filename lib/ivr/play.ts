/**
 * Plays a list of prompts to the caller, `repeat` times. With barge-in, a
 * key the caller presses stops the prompt at once and is kept (in the
 * session's DTMF buffer) for the next element, as IVR callers expect when
 * they already know their choice; a key pressed before the prompt even
 * started skips it.
 */
import { randomUUID } from 'node:crypto';
import type { Telephony } from '../ari/port';
import type { CallSession } from '../call/session';
import { answer } from './answer';

export interface PlayRequest {
  prompts: string[];
  /** Empty: the call's own language. */
  language: string;
  bargeIn: boolean;
  repeat: number;
  /** Answer first when the call is still ringing (otherwise the prompts play as early media). */
  answer: boolean;
}

export interface PlayResult {
  /** done: every repetition played; interrupted: a key stopped it (barge-in). */
  outcome: 'done' | 'interrupted';
  /** The key that interrupted. */
  digit?: string;
}

/** Asterisk could not play the prompts (a missing file, an unreachable URL). */
export class MediaError extends Error {
  override readonly name = 'MediaError';
}

export async function play(telephony: Telephony, session: CallSession, req: PlayRequest, signal: AbortSignal): Promise<PlayResult> {
  if (req.answer) await answer(telephony, session, signal);
  if (req.bargeIn && session.dtmf.length > 0) return { outcome: 'interrupted', digit: session.dtmf[0] as string };
  let current: string | undefined;
  let interruptedBy: string | undefined;
  const unwatch = req.bargeIn
    ? telephony.watchChannel(session.channelId, (event) => {
        if (event.type !== 'ChannelDtmfReceived' || interruptedBy !== undefined) return;
        interruptedBy = event.digit;
        session.dtmf.push(event.digit);
        if (current) telephony.stopPlayback(current).catch(() => undefined);
      })
    : undefined;
  try {
    for (let i = 0; i < req.repeat && interruptedBy === undefined; i += 1) {
      current = randomUUID();
      const options: { playbackId: string; signal: AbortSignal; lang?: string } = { playbackId: current, signal };
      if (req.language) options.lang = req.language;
      const outcome = await telephony.play({ channelId: session.channelId }, req.prompts, options);
      if (outcome.state === 'failed' && !signal.aborted) {
        throw new MediaError(`Asterisk could not play ${req.prompts.join(', ')} (a missing sound file or an unreachable URL?)`);
      }
    }
  } finally {
    unwatch?.();
  }
  return interruptedBy === undefined ? { outcome: 'done' } : { outcome: 'interrupted', digit: interruptedBy };
}
