/** Answers the call (nothing to do when it is already up). */
import type { Telephony } from '../ari/port';
import type { CallSession } from '../call/session';

export async function answer(telephony: Telephony, session: CallSession, signal: AbortSignal): Promise<void> {
  if (session.state === 'up') return;
  await telephony.answer(session.channelId, signal);
  if (session.state === 'ringing') {
    session.state = 'up';
    session.answered();
  }
}
