/**
 * Plays a list of prompts to the caller, `repeat` times. With barge-in, a
 * key the caller presses stops the prompt at once and is kept (in the
 * session's key buffer) for the next element, as IVR callers expect when
 * they already know their choice; a key pressed before the prompt even
 * started skips it. Without barge-in, keys are ignored.
 */
import type { Telephony } from '../ari/port';
import type { CallSession } from '../call/session';
import { answer } from './answer';
import { KeyReader, MediaError } from './keys';
import { promptMedia, type Speaker } from './say';

export { MediaError } from './keys';

export interface PlayRequest {
  prompts: string[];
  /** Empty: the language the routing table gives the call, else the channel's own. */
  language: string;
  bargeIn: boolean;
  repeat: number;
  /** Answer first when the call is still ringing (otherwise the prompts play as early media). */
  answer: boolean;
  /** Says the say: prompts (the element's speech node). */
  speaker?: Speaker;
}

export interface PlayResult {
  /** done: every repetition played; interrupted: a key stopped it (barge-in). */
  outcome: 'done' | 'interrupted';
  /** The key that interrupted. */
  digit?: string;
}

/** The language prompts play in: the element's, else the routing table's for the call (else Asterisk uses the channel's). */
export function promptLanguage(session: CallSession, language: string): string {
  return language || session.settings.language || '';
}

/** Plays prompts to the end, keys or not (answered or as early media); a prompt Asterisk cannot play is a MediaError. */
export async function playThrough(telephony: Telephony, session: CallSession, prompts: string[], language: string, signal: AbortSignal, speaker?: Speaker): Promise<void> {
  const lang = promptLanguage(session, language);
  const { media, own } = await promptMedia(prompts, session, lang, speaker, signal);
  if (media.length === 0) return;
  const outcome = await telephony.play({ channelId: session.channelId }, media, { signal, ...(lang ? { lang } : {}), ...(own.length > 0 ? { ownMedia: own } : {}) });
  if (outcome.state === 'failed' && !signal.aborted) {
    throw new MediaError(`Asterisk could not play ${prompts.join(', ')} (a missing sound file or an unreachable URL?)`);
  }
}

export async function play(telephony: Telephony, session: CallSession, req: PlayRequest, signal: AbortSignal): Promise<PlayResult> {
  if (!req.bargeIn) {
    if (req.answer) await answer(telephony, session, signal);
    for (let i = 0; i < req.repeat; i += 1) await playThrough(telephony, session, req.prompts, req.language, signal, req.speaker);
    return { outcome: 'done' };
  }
  // Listening starts before the answer: a key pressed as the call is answered counts.
  const keys = new KeyReader(telephony, session);
  try {
    if (req.answer) await answer(telephony, session, signal);
    const language = promptLanguage(session, req.language);
    for (let i = 0; i < req.repeat && keys.pending === 0; i += 1) await keys.prompt(req.prompts, language, true, signal, req.speaker);
  } finally {
    keys.close();
  }
  const digit = session.dtmf[0];
  return digit === undefined ? { outcome: 'done' } : { outcome: 'interrupted', digit };
}
