/**
 * A caller's way through a conference call flow (../shared/reference/conference-call-flows.txt):
 *
 * - open: the caller enters an access code; a meeting room's code leads into that room's meeting (as its host or a
 *   participant), any other code of 3 to 16 digits into a meeting made on the fly for that code, where everyone is a
 *   participant and nobody waits for a host (no one could be one);
 * - secured: only meeting rooms' codes; another code is refused after the attempts;
 * - direct_host, direct_participant: no code; the caller goes straight into the meeting of the room the node (or the
 *   msg) names, else the meeting of the dialed number, as a host or as a participant.
 *
 * The call is answered first. The caller then stays in the meeting until they leave it (the result), or hang up
 * (the promise rejects, as every element's operation does when its call ends).
 */
import type { Telephony } from '../ari/port';
import type { CallSession } from '../call/session';
import { answer } from '../ivr/answer';
import { collect } from '../ivr/collect';
import { playThrough } from '../ivr/play';
import type { CallFlowName, ConferenceProperties, MeetingRoom } from '../schemas/conference';
import type { MeetingRecord } from '../schemas/store';
import { keyClashes, mergeProperties, type ResolvedProperties } from './callflows';
import type { EndReason, LeaveReason, RefusedReason } from './meeting';
import type { LiveMeetings } from './meetings';
import type { MeetingRooms, Role } from './rooms';

export type ConferenceRefusal = 'invalid-code' | 'no-code' | 'unknown-room' | 'locked' | 'full';

export type ConferenceResult =
  | { outcome: 'left'; reason: LeaveReason; meeting: string; room?: string; role: Role }
  | { outcome: 'ended'; reason: EndReason; meeting: string; room?: string; role: Role }
  | { outcome: 'refused'; reason: ConferenceRefusal; room?: string; attempts?: number };

export interface ConferenceRequest {
  callFlow: CallFlowName;
  /** The levels' properties, least specific first (callflows.ts chooseCallFlow); the room's go on top. */
  levels: (ConferenceProperties | undefined)[];
  /** For direct call flows: the room ('' the dialed number's meeting). */
  room: string;
  /** Keeps the record of a meeting this caller starts, once it ends (the meeting rooms node's store). */
  save?: (record: MeetingRecord) => Promise<void>;
}

const MIN_CODE = 3;
const MAX_CODE = 16;

export async function joinConference(
  telephony: Telephony,
  meetings: LiveMeetings,
  rooms: MeetingRooms,
  session: CallSession,
  req: ConferenceRequest,
  signal: AbortSignal,
): Promise<ConferenceResult> {
  await answer(telephony, session, signal);
  const base = mergeProperties(req.levels);
  let room: MeetingRoom | undefined;
  let role: Role;
  let key: string;
  if (req.callFlow === 'direct_host' || req.callFlow === 'direct_participant') {
    role = req.callFlow === 'direct_host' ? 'host' : 'participant';
    if (req.room) {
      room = rooms.byId(req.room);
      if (!room) return { outcome: 'refused', reason: 'unknown-room', room: req.room };
      key = `room:${room.id}`;
    } else key = `number:${session.dialed}`;
  } else {
    const secured = req.callFlow === 'secured';
    const entered = await collect(
      telephony,
      session,
      {
        prompts: base.prompts.askCode,
        minDigits: MIN_CODE,
        maxDigits: MAX_CODE,
        firstDigitTimeoutSec: base.firstDigitTimeoutSec,
        interDigitTimeoutSec: base.interDigitTimeoutSec,
        terminator: '#',
        // secured: only a room's code is valid; open: any code of digits enough.
        ...(secured ? { pattern: { matches: (digits: string) => rooms.lookup(digits) !== undefined } } : {}),
        retries: base.codeAttempts - 1,
        // Each attempt asks again (askCode); an invalid code is said to be so first.
        invalidPrompts: base.prompts.invalidCode,
        timeoutPrompts: [],
        language: base.language,
      },
      signal,
    );
    if (entered.outcome === 'timeout') return { outcome: 'refused', reason: 'no-code', attempts: entered.attempts };
    if (entered.outcome === 'invalid') {
      await playThrough(telephony, session, base.prompts.invalidCode, base.language, signal);
      return { outcome: 'refused', reason: 'invalid-code', attempts: entered.attempts };
    }
    const found = rooms.lookup(entered.digits);
    if (found) {
      room = found.room;
      role = found.role;
      key = `room:${room.id}`;
    } else {
      role = 'participant';
      key = `code:${entered.digits}`;
    }
  }
  let properties: ResolvedProperties = room?.properties ? mergeProperties([...req.levels, room.properties]) : base;
  const clashes = keyClashes(properties.keys);
  if (clashes.length > 0) throw new RangeError(`the meeting's properties put two actions on one key: ${clashes.join('; ')}`);
  // A meeting made on the fly has no host: nobody may wait for one, and nobody's leaving ends it.
  if (key.startsWith('code:')) properties = { ...properties, waitForHost: false, endWhenLastHostLeaves: false };
  const where = room ? { room: room.id } : {};
  const refuse = async (reason: RefusedReason, heard: ResolvedProperties): Promise<ConferenceResult> => {
    await playThrough(telephony, session, reason === 'locked' ? heard.prompts.locked : heard.prompts.full, heard.language, signal);
    return { outcome: 'refused', reason, ...where };
  };
  // With announce names (the meeting's properties, or the caller's for a meeting they start), the caller says their
  // name first: not when they would be refused anyway. The meeting is made only after, so a caller who hangs up
  // while saying it leaves no meeting behind.
  let name: string | undefined;
  const current = meetings.get(key);
  const live = current && !current.isEnded ? current : undefined;
  if ((live?.properties ?? properties).announceNames) {
    const refused = live?.refusal(role);
    if (refused) return refuse(refused, live?.properties ?? properties);
    name = await meetings.names.record(session, live?.properties ?? properties, signal);
  }
  const meeting = meetings.meetingFor(key, room, properties, req.save ? { callFlow: req.callFlow, save: req.save } : { callFlow: req.callFlow });
  const stay = await meeting.join(session, role, signal, name);
  if (stay.outcome === 'refused') return refuse(stay.reason, meeting.properties);
  return { ...stay, meeting: meeting.id, ...where, role };
}
