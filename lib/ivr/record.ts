/** Records the caller (a voicemail, a name): until a key, silence, the maximum length, or a hangup. */
import { randomUUID } from 'node:crypto';
import type { RecordingOutcome, Telephony } from '../ari/port';
import type { CallSession } from '../call/session';
import type { RecordConfig } from '../schemas/elements';
import { answer } from './answer';
import { playThrough } from './play';
import type { Speaker } from './say';

/** What to record: the settings of a record node, less its own (name, output variable, on error). */
export type RecordRequest = Pick<RecordConfig, 'prefix' | 'format' | 'maxDurationSec' | 'maxSilenceSec' | 'beep' | 'terminateOn' | 'prompts' | 'language'> & { speaker?: Speaker };

/**
 * `started` hears the recording's name before Asterisk starts it, so a
 * caller who hangs up mid-message (Asterisk keeps what was recorded) does
 * not take the name with them.
 */
export async function record(
  telephony: Telephony,
  session: CallSession,
  req: RecordRequest,
  signal: AbortSignal,
  started?: (name: string) => void,
): Promise<RecordingOutcome> {
  await answer(telephony, session, signal);
  if (req.prompts.length > 0) await playThrough(telephony, session, req.prompts, req.language, signal, req.speaker);
  const name = `${req.prefix}-${session.id}-${randomUUID().slice(0, 8)}`;
  started?.(name);
  const outcome = await telephony.record(
    { channelId: session.channelId },
    { name, format: req.format, maxDurationSec: req.maxDurationSec, maxSilenceSec: req.maxSilenceSec, beep: req.beep, terminateOn: req.terminateOn, ifExists: 'fail', signal },
  );
  if (outcome.state === 'failed') throw new Error(`Asterisk could not record: ${outcome.cause ?? 'no reason given'}`);
  return outcome;
}
