/**
 * The recording of a whole call: a snoop channel on the call's channel (spy both ways) enters our application, and
 * that channel is recorded. The snoop hears the channel through an audiohook on the channel itself
 * (res/res_stasis_snoop.c), not through its Stasis application, so the recording goes on after the call leaves the
 * flow for the dialplan (a transfer to a queue) and ends when the call hangs up: Asterisk then ends the snoop channel,
 * and the recording is stored under its name.
 *
 * Two starters share this one mechanism: a campaign task with Record calls (lib/campaign/in-flight.ts, at the answer,
 * named `campaign-<channel id>`) and a callflow-bot element with Record the call (lib/ivr/bot.ts, at its first turn,
 * named `call-<channel id>`). A call is recorded once: the session keeps its recording (`session.recording`), and a
 * second starter finds it there. The name is made of the call's channel id only (never a caller's or contact's
 * value), and checked as a recording name (lib/ari/media.ts isRecordingName) before it reaches Asterisk. If the
 * recording cannot start (Asterisk refuses the snoop or the recording: a name in use, a format it lacks...), the call
 * goes on unrecorded, a warning says why, and what keeps the recording (the attempt, the call record) keeps the
 * reason instead of a name.
 */
import { isRecordingName } from '../ari/media';
import { shownValue } from '../schemas/validator';
import type { TelephonyEvent, Telephony } from '../ari/port';
import { snoopChannelId } from './registry';
import type { CallSession } from './session';

export type RecordingTelephony = Pick<Telephony, 'snoop' | 'record' | 'hangup' | 'watchChannel' | 'getChannel'>;

/** What is kept of a call's recording: the stored recording's name, or why there is none. */
export type RecordingStart = { name: string } | { error: string };

/** A call's recording as its session keeps it: the start asked, and its outcome once known. */
export interface SessionRecording {
  started: Promise<RecordingStart>;
  outcome: RecordingStart | undefined;
}

/** The recording format: wav (format_wav.c, 8 kHz 16-bit PCM), which every Asterisk has. */
export const CALL_RECORDING_FORMAT = 'wav';

/** The recording's name for the campaign call on channel `channelId` (an id we made: `cfc-<uuid>`). */
export function campaignRecordingName(channelId: string): string {
  return `campaign-${channelId}`;
}

/** The recording's name for another call (an inbound call a robot talked with): its channel id only. */
export function callRecordingName(channelId: string): string {
  return `call-${channelId}`;
}

/**
 * Starts recording the call on `channelId` (answered, in our application) as `name`.
 * Resolves once the recording started (its name) or could not (why); never
 * rejects, and never touches the call itself. `warn` hears why it could not.
 */
export function recordCall(telephony: RecordingTelephony, channelId: string, name: string, warn: (message: string) => void): Promise<RecordingStart> {
  if (!isRecordingName(name)) {
    const why = 'the call id does not make a recording name Asterisk could have';
    warn(`recording call ${shownValue(channelId.slice(0, 80))} did not start, the call goes on unrecorded: ${why}`);
    return Promise.resolve({ error: why });
  }
  const snoopId = snoopChannelId(channelId);
  let settle!: (start: RecordingStart) => void;
  const started = new Promise<RecordingStart>((resolve) => (settle = resolve));
  let done = false;
  let recording = false;
  // Watching before the request: the snoop's StasisStart may come before the answer does.
  const unwatch = telephony.watchChannel(snoopId, (event: TelephonyEvent) => {
    switch (event.type) {
      case 'StasisStart':
        startRecording();
        return;
      case 'RecordingStarted':
        if (event.recording.name === name) finish({ name });
        return;
      case 'RecordingFailed':
        if (event.recording.name === name) fail(`Asterisk could not record it: ${event.recording.cause ?? 'no cause given'}`, true);
        return;
      case 'StasisEnd':
      case 'ChannelDestroyed':
      case 'ChannelLost':
        fail('the call ended before its recording started', false, false);
        return;
      default:
    }
  });
  const finish = (start: RecordingStart): void => {
    if (done) return;
    done = true;
    unwatch();
    settle(start);
  };
  const fail = (why: string, hangUpSnoop: boolean, callGoesOn = true): void => {
    if (done) return;
    warn(`recording call ${channelId} did not start${callGoesOn ? ', the call goes on unrecorded' : ''}: ${why}`);
    finish({ error: why.slice(0, 200) });
    // A snoop channel that records nothing is hung up now (it would otherwise last as long as the call).
    if (hangUpSnoop) telephony.hangup(snoopId, 'normal').catch(() => undefined);
  };
  const startRecording = (): void => {
    if (done || recording) return;
    recording = true;
    // The outcome comes when the call ends (the snoop ends with it); only a refusal matters here.
    telephony.record({ channelId: snoopId }, { name, format: CALL_RECORDING_FORMAT, ifExists: 'fail', beep: false, terminateOn: 'none' }).then(
      (outcome) => {
        if (outcome.state === 'failed') fail(`Asterisk could not record it: ${outcome.cause ?? 'no cause given'}`, true);
        else finish({ name });
      },
      (err: unknown) => fail(`Asterisk refused the recording: ${(err as Error).message}`, true),
    );
  };
  // A request that failed may still have made the channel (a timeout, a lost answer): it is hung up too, at no cost
  // when there is none (Asterisk answers 404).
  telephony.snoop(channelId, { snoopId, spy: 'both', appArgs: ['recording'] }).catch((err: unknown) => fail(`Asterisk refused the snoop channel: ${(err as Error).message}`, true));
  return started;
}

/**
 * The recording of a call found still up after a restart: the dialer that placed it started it, and its snoop
 * channel (which an earlier run's reconciliation leaves alone while the call is up) still records it. No snoop
 * channel: there is no recording of it to name.
 */
export async function recordingOfResumedCall(telephony: Pick<Telephony, 'getChannel'>, channelId: string, name: string): Promise<RecordingStart> {
  try {
    await telephony.getChannel(snoopChannelId(channelId));
    return { name };
  } catch (err) {
    return { error: `no recording of the call was found after the restart: ${(err as Error).message}`.slice(0, 200) };
  }
}

/**
 * Records `session`'s call as `name` unless it is recorded already (a campaign's Record calls, an earlier robot):
 * the session keeps the recording, whose outcome the call record reads. `start` is how: recordCall by default, or
 * the recording a restarted dialer finds (recordingOfResumedCall).
 */
export function recordSession(
  telephony: RecordingTelephony,
  session: CallSession,
  name: string,
  warn: (message: string) => void,
  start: () => Promise<RecordingStart> = () => recordCall(telephony, session.channelId, name, warn),
): SessionRecording {
  if (session.recording) return session.recording;
  const recording: SessionRecording = { started: start(), outcome: undefined };
  session.recording = recording;
  void recording.started.then((outcome) => (recording.outcome = outcome));
  return recording;
}
