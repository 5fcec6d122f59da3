/**
 * Callers' recorded names, as ConfBridge's announce_join_leave records one (apps/app_confbridge.c conf_rec_name):
 * the caller hears vm-rec-name and a beep, says their name (10 s at most, # ends it), and is then announced by it
 * as they join and leave. A name is the meeting's to delete once its leave announcement is over; a caller who hangs
 * up while recording it leaves nothing behind: the recording is deleted once Asterisk has closed it. Names carry
 * this Node-RED instance's mark, so that those an earlier run left (a crash mid-meeting) are deleted once connected
 * again, as meeting bridges are, and another instance's are left alone.
 */
import { createHash, randomBytes } from 'node:crypto';
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
/** Stored recordings of names are named so (below Asterisk's recordings directory), then the instance's mark. */
export const NAME_PREFIX = 'callflow-name-';

/** How long a name recording may take to end once its call is gone, before it is deleted anyway. */
const SETTLE_MS = (NAME_MAX_SEC + 5) * 1000;

/** The recorded names of one connection's meetings: made, held while in use, deleted. */
export class RecordedNames {
  /** Names made and not yet deleted: a sweep leaves them alone. */
  private readonly held = new Set<string>();

  constructor(
    private readonly telephony: Telephony,
    private readonly log: { warn(message: string): void },
    /** This Node-RED instance's mark ('' none: then no sweep, as whose a name is could not be told). */
    private readonly instance = '',
  ) {}

  /**
   * Every name of this instance starts so. A name is one part of a recording: media.ts takes at most 64 characters
   * (the prefix, 24 for the instance's mark, and 16 hex digits of randomness fit).
   */
  get prefix(): string {
    if (!this.instance) return NAME_PREFIX;
    const mark = /^[A-Za-z0-9_-]{1,24}$/.test(this.instance) ? this.instance : createHash('sha256').update(this.instance).digest('hex').slice(0, 24);
    return `${NAME_PREFIX}${mark}-`;
  }

  /** A new name, held until discarded. */
  create(): string {
    const name = `${this.prefix}${randomBytes(8).toString('hex')}`;
    this.held.add(name);
    return name;
  }

  /** Deletes a name's recording (one already gone is not an error); a failure is logged. */
  discard(name: string): void {
    this.held.delete(name);
    this.telephony.deleteStoredRecording(name).catch((err: unknown) => this.log.warn(`the recorded name ${name} was not deleted: ${(err as Error).message}`));
  }

  /** This instance's stored names that nobody here holds (left by an earlier run): deleted. Returns them. */
  async sweep(): Promise<string[]> {
    if (!this.instance) return [];
    const stored = await this.telephony.listStoredRecordings();
    const stale = stored.map((r) => r.name).filter((n) => n.startsWith(this.prefix) && !this.held.has(n));
    await Promise.all(stale.map((n) => this.telephony.deleteStoredRecording(n).catch((err: unknown) => this.log.warn(`leftover recorded name ${n}: ${(err as Error).message}`))));
    return stale;
  }

  /**
   * Asks the caller for their name and records it; resolves with the recording's name, or undefined when Asterisk
   * could not record (the caller is then announced as without a name). Rejects when the call ends meanwhile, after
   * arranging the deletion of whatever Asterisk kept of the name.
   */
  async record(session: CallSession, properties: ResolvedProperties, signal: AbortSignal): Promise<string | undefined> {
    const telephony = this.telephony;
    if (properties.prompts.askName.length > 0) await playThrough(telephony, session, properties.prompts.askName, properties.language, signal);
    const name = this.create();
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
      this.log.warn(`call ${session.id}: the caller's name was not recorded (${outcome.cause ?? outcome.state}): they are not announced by name`);
      this.discard(name);
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
        this.discard(name);
      });
      throw err;
    }
  }
}
