/** Ends the call with a reason Asterisk turns into a Q.850 cause (and, before answer, a SIP response). */
import type { HangupReason } from '../ari/causes';
import type { CallRegistry } from '../call/registry';
import type { CallSession } from '../call/session';

export async function hangup(registry: CallRegistry, session: CallSession, reason: HangupReason): Promise<void> {
  await registry.hangup(session, reason);
}
