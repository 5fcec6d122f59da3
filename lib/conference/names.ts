/**
 * A caller's recorded name, as ConfBridge's announce_join_leave records one (apps/app_confbridge.c conf_rec_name):
 * the caller hears vm-rec-name and a beep, says their name (10 s at most, # ends it), and is then announced by it
 * as they join and leave. The recording is the meeting's to delete once its leave announcement is over; a caller
 * who hangs up while recording it leaves nothing behind: the recording is deleted once Asterisk has closed it.
 */
import { randomUUID } from 'node:crypto';
import type { Telephony } from '../ari/port';
import type { CallSession } from '../call/session';
import { playThrough } from '../ivr/play';
import type { ResolvedProperties } from './callflows';

/** ConfBridge's limit (conf_rec_name: ast_play_and_record with a maximum of 10 s). */
export const NAME_MAX_SEC = 10;
/**
 * Silence that ends the name early. ConfBridge has none (it passes 0, and # ends the recording); a caller who says
 * their name and waits should not wait the whole 10 s.
 */
export const NAME_MAX_SILENCE_SEC = 3;
/** Stored recordings of names are named so (below Asterisk's recordings directory). */
export const NAME_PREFIX = 'callflow-name-';

/** How long a name recording may take to end once its call is gone, before it is deleted anyway. */
const SETTLE_MS = (NAME_MAX_SEC + 5) * 1000;

/**
 * Asks the caller for their name and records it; resolves with the recording's name, or undefined when Asterisk
 * could not record (the caller is then announced as without a name). Rejects when the call ends meanwhile, after
 * arranging the deletion of whatever Asterisk kept of the name.
 */
export async function recordName(
  telephony: Telephony,
  session: CallSession,
  properties: ResolvedProperties,
  signal: AbortSignal,
  log: { warn(message: string): void },
): Promise<string | undefined> {
  if (properties.prompts.askName.length > 0) await playThrough(telephony, session, properties.prompts.askName, properties.language, signal);
  const name = `${NAME_PREFIX}${randomUUID()}`;
  // The recording's own end, even once nobody waits for it (a hangup rejects the wait at once).
  let ended = (): void => undefined;
  const over = new Promise<void>((resolve) => {
    ended = resolve;
  });
  const off = telephony.onEvent((event) => {
    if ((event.type === 'RecordingFinished' || event.type === 'RecordingFailed') && event.recording.name === name) ended();
  });
  try {
    const outcome = await telephony.record(
      { channelId: session.channelId },
      { name, format: 'wav', maxDurationSec: NAME_MAX_SEC, maxSilenceSec: NAME_MAX_SILENCE_SEC, beep: true, terminateOn: '#', ifExists: 'overwrite', signal },
    );
    off();
    if (outcome.state === 'done') return name;
    log.warn(`call ${session.id}: the caller's name was not recorded (${outcome.cause ?? outcome.state}): they are not announced by name`);
    discardName(telephony, name, log);
    return undefined;
  } catch (err) {
    // Asterisk keeps what was recorded when the call ends: deleted once the recording is over (or after a bound).
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, SETTLE_MS);
      timer.unref();
    });
    void Promise.race([over, bound]).then(() => {
      clearTimeout(timer);
      off();
      discardName(telephony, name, log);
    });
    throw err;
  }
}

/** Deletes a name's recording (one already gone is not an error); a failure is logged. */
export function discardName(telephony: Telephony, name: string, log: { warn(message: string): void }): void {
  telephony.deleteStoredRecording(name).catch((err: unknown) => log.warn(`the recorded name ${name} was not deleted: ${(err as Error).message}`));
}
