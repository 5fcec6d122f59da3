/**
 * Commands to the meetings in progress on one connection (a callflow-meeting-control node, the admin API): list
 * them, mute or unmute a participant (or every participant), kick one, lock, unlock, end a meeting, announce
 * prompts into it. A command that names no meeting in progress, or a participant who is not in it, is refused
 * with what was named.
 */
import type { MeetingCommand } from '../schemas/conference';
import type { Meeting, MeetingEvent, Participant } from './meeting';
import type { LiveMeetings } from './meetings';

export class MeetingCommandError extends Error {
  override readonly name = 'MeetingCommandError';
}

/** A participant as answers and event msgs show them (times in ISO 8601). */
export type ParticipantView = Omit<Participant, 'joinedAtMs'> & { joinedAt: string };

/** A meeting in progress as a command's answer shows it (times in ISO 8601). */
export interface MeetingView {
  meeting: string;
  key: string;
  room?: string;
  startedAt?: string;
  locked: boolean;
  count: number;
  participants: ParticipantView[];
}

function participantView({ joinedAtMs, ...p }: Participant): ParticipantView {
  return { ...p, joinedAt: new Date(joinedAtMs).toISOString() };
}

/** A meeting event as a msg carries it (times in ISO 8601). */
export type MeetingEventView = Omit<MeetingEvent, 'atMs' | 'participant'> & { at: string; participant?: ParticipantView };

export function eventView({ atMs, participant, ...rest }: MeetingEvent): MeetingEventView {
  const view: MeetingEventView = { ...rest, at: new Date(atMs).toISOString() };
  if (participant) view.participant = participantView(participant);
  return view;
}

export function viewOf(m: Meeting): MeetingView {
  const view: MeetingView = {
    meeting: m.id,
    key: m.key,
    locked: m.isLocked,
    count: m.count,
    participants: m.participants().map(participantView),
  };
  if (m.room) view.room = m.room.id;
  if (m.startedAtMs !== undefined) view.startedAt = new Date(m.startedAtMs).toISOString();
  return view;
}

function meetingOf(meetings: LiveMeetings, cmd: MeetingCommand): Meeting {
  if (cmd.meeting === undefined && cmd.room === undefined) throw new MeetingCommandError(`${cmd.command} needs the meeting (its id) or the room whose meeting it is`);
  const found = cmd.meeting !== undefined ? meetings.byId(cmd.meeting) : meetings.get(`room:${cmd.room ?? ''}`);
  if (!found || found.isEnded) {
    throw new MeetingCommandError(cmd.meeting !== undefined ? `no meeting ${cmd.meeting} is in progress` : `room ${cmd.room ?? ''} has no meeting in progress`);
  }
  return found;
}

function channelOf(meeting: Meeting, participant: string): string {
  const p = meeting.participants().find((x) => x.call === participant || x.channel === participant);
  if (!p) throw new MeetingCommandError(`${participant} is not in meeting ${meeting.id}`);
  return p.channel;
}

/** Runs a checked command; resolves with what it did (the meetings for list, the meeting after the others). */
export async function runMeetingCommand(meetings: LiveMeetings, cmd: MeetingCommand): Promise<MeetingView[] | MeetingView> {
  if (cmd.command === 'list') return meetings.list().filter((m) => !m.isEnded).map(viewOf);
  const meeting = meetingOf(meetings, cmd);
  switch (cmd.command) {
    case 'mute':
    case 'unmute': {
      const muted = cmd.command === 'mute';
      if (cmd.participant === undefined) await meeting.muteParticipants(muted);
      else await meeting.mute(channelOf(meeting, cmd.participant), muted);
      break;
    }
    case 'kick':
      meeting.kick(channelOf(meeting, cmd.participant ?? ''));
      break;
    case 'lock':
    case 'unlock':
      meeting.setLocked(cmd.command === 'lock');
      break;
    case 'end':
      meeting.end('ended');
      break;
    case 'announce':
      await meeting.announce(cmd.prompts ?? []);
      break;
  }
  return viewOf(meeting);
}
