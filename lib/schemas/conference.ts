/**
 * Conferences (issue 15; ../shared/reference/conference-call-flows.txt): the four call flows, the properties a call
 * flow has at each level (account, number group, number, meeting room), meeting rooms with their access codes, and
 * the callflow-conference node's settings. One schema per thing: the node forms, the routing table, msg overrides and
 * stored documents are checked with these.
 */
import { MEDIA_PATTERN } from '../ari/media';
import { onError, type OnError } from './elements';
import { Validator } from './validator';

/** open: a room's code, or any other code makes a meeting on the fly; secured: only rooms' codes; direct_*: no code asked. */
export const CALL_FLOWS = ['open', 'secured', 'direct_host', 'direct_participant'] as const;
export type CallFlowName = (typeof CALL_FLOWS)[number];

/** The prompts a call flow plays; each a list of media (empty: nothing is played). */
export interface ConferencePrompts {
  /** Asking for the access code. */
  askCode?: string[];
  /** Asking the caller to say their name (with announce names), before the beep. */
  askName?: string[];
  /** The code is not a meeting room's (secured), or not digits enough. */
  invalidCode?: string[];
  /** The meeting is locked. */
  locked?: string[];
  /** The meeting has its maximum of participants. */
  full?: string[];
  /** A participant waits for a host (with wait for host). */
  waitForHost?: string[];
  /** The caller is the first in the meeting. */
  onlyPerson?: string[];
  /** The last host left and the meeting ends (with end when the last host leaves). */
  hostLeft?: string[];
  /** Into the meeting when someone joins or leaves (with announce joins and leaves), after the caller's name or number. */
  hasJoined?: string[];
  hasLeft?: string[];
  /** The caller's mute key: now muted, now unmuted. */
  muted?: string[];
  unmuted?: string[];
  /** A host's lock key: now locked, now unlocked. */
  lockedNow?: string[];
  unlockedNow?: string[];
}

/** The keys a caller presses in a meeting. */
export interface MeetingKeys {
  /** Mute or unmute yourself. */
  mute?: string;
  /** Hear how many others are in. */
  count?: string;
  /** Leave the meeting (the flow goes on). */
  leave?: string;
  /** Hosts: lock or unlock the meeting. */
  lock?: string;
  /** Hosts: mute or unmute every participant. */
  muteAll?: string;
}

/** A call flow's properties; every one may be set at every level, the more specific level winning. */
export interface ConferenceProperties {
  /** Callers in a meeting at most (hosts count). */
  maxParticipants?: number;
  /** Tries to enter a valid code. */
  codeAttempts?: number;
  /** Seconds to wait for the code's first key, then between keys. */
  firstDigitTimeoutSec?: number;
  interDigitTimeoutSec?: number;
  /** Participants wait, hearing music on hold, until a host is in the meeting. */
  waitForHost?: boolean;
  /** When the last host leaves, the meeting ends for everyone. */
  endWhenLastHostLeaves?: boolean;
  /** Participants (not hosts) enter muted. */
  mutedOnEntry?: boolean;
  /** A tone into the meeting as someone joins and leaves. */
  entryExitTones?: boolean;
  /** The number of others in the meeting is said to a caller who joins. */
  announceCount?: boolean;
  /** Into the meeting as a caller joins or leaves: their number's digits, then hasJoined / hasLeft. */
  announceJoinLeave?: boolean;
  /**
   * A caller says their name before entering (a short recording); they are announced by it as they join and leave
   * (hasJoined / hasLeft after it), and it is deleted once they have left.
   */
  announceNames?: boolean;
  /** The keys in a meeting ('' turns one off); each a different key. */
  keys?: MeetingKeys;
  /** The meeting is recorded (a bridge recording, from the first caller in to the end). */
  record?: boolean;
  /** The music on hold class of a meeting waiting for its host ('' Asterisk's default). */
  musicOnHoldClass?: string;
  /** Prompt language ('' the call's). */
  language?: string;
  prompts?: ConferencePrompts;
}

const media = {
  type: 'array',
  maxItems: 20,
  items: {
    type: 'string',
    maxLength: 2000,
    pattern: MEDIA_PATTERN,
    description: 'a media URI: sound:<file>, recording:<name>, number:<integer>, digits:<0-9*#>, tone:<name> or an http(s):// URL',
  },
  description: 'a list of at most 20 media URIs (may be empty)',
} as const;

export const PROMPT_NAMES = ['askCode', 'askName', 'invalidCode', 'locked', 'full', 'waitForHost', 'onlyPerson', 'hostLeft', 'hasJoined', 'hasLeft', 'muted', 'unmuted', 'lockedNow', 'unlockedNow'] as const;

export const conferencePropertiesSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    maxParticipants: { type: 'integer', minimum: 2, maximum: 1000, description: 'a whole number of callers from 2 to 1000' },
    codeAttempts: { type: 'integer', minimum: 1, maximum: 10, description: 'a whole number of tries from 1 to 10' },
    firstDigitTimeoutSec: { type: 'number', minimum: 1, maximum: 60, description: 'seconds from 1 to 60' },
    interDigitTimeoutSec: { type: 'number', minimum: 1, maximum: 30, description: 'seconds from 1 to 30' },
    waitForHost: { type: 'boolean', description: 'true or false' },
    endWhenLastHostLeaves: { type: 'boolean', description: 'true or false' },
    mutedOnEntry: { type: 'boolean', description: 'true or false' },
    entryExitTones: { type: 'boolean', description: 'true or false' },
    announceCount: { type: 'boolean', description: 'true or false' },
    announceJoinLeave: { type: 'boolean', description: 'true or false' },
    announceNames: { type: 'boolean', description: 'true or false' },
    keys: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(
        ['mute', 'count', 'leave', 'lock', 'muteAll'].map((k) => [k, { type: 'string', pattern: '^[0-9*#]?$', description: 'one key: 0-9, * or # (empty: none)' }]),
      ),
    },
    record: { type: 'boolean', description: 'true or false' },
    musicOnHoldClass: { type: 'string', pattern: '^[A-Za-z0-9_-]{0,80}$', description: 'a music on hold class: letters, digits, _ or - (empty: the default class)' },
    language: { type: 'string', pattern: '^([a-z]{2,3}([_-][A-Za-z0-9]{2,8})?)?$', description: "a language code such as en, fr or pt_BR (empty: the call's language)" },
    prompts: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(PROMPT_NAMES.map((n) => [n, media])),
    },
  },
} as const;

/** A call flow and its properties at one level of the routing table (account, number group, number). */
export interface ConferenceRoute {
  callFlow?: CallFlowName;
  properties?: ConferenceProperties;
}

export const conferenceRouteSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    callFlow: { type: 'string', enum: [...CALL_FLOWS], description: 'open, secured, direct_host or direct_participant' },
    properties: conferencePropertiesSchema,
  },
} as const;

/** A meeting room: the codes that lead into it, and properties over the levels above. */
export interface MeetingRoom {
  /** Stable id (the meeting of a room is found by it). */
  id: string;
  name: string;
  /** Digits a host enters ('' none: nobody enters as host by code). */
  hostCode: string;
  /** Digits a participant enters. */
  participantCode: string;
  properties?: ConferenceProperties;
}

const CODE = { type: 'string', pattern: '^([0-9]{3,16})?$', description: 'an access code of 3 to 16 digits (empty: none)' } as const;

export const meetingRoomSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'a room id: 1 to 64 letters, digits, _ or -' },
    name: { type: 'string', maxLength: 100, description: 'a name of at most 100 characters' },
    hostCode: CODE,
    participantCode: { ...CODE, pattern: '^[0-9]{3,16}$', description: 'an access code of 3 to 16 digits' },
    properties: conferencePropertiesSchema,
  },
  required: ['id', 'name', 'hostCode', 'participantCode'],
} as const;

export const meetingRoom = new Validator<MeetingRoom>('meeting room', meetingRoomSchema);

/** The callflow-meetings config node: meeting rooms (the levels above them are the routing table's). */
export interface MeetingsConfig {
  name?: string;
  rooms: MeetingRoom[];
  /** A callflow-store config node that keeps a record of every meeting ('' or absent: none). */
  store?: string;
}

export const meetingsConfig = new Validator<MeetingsConfig>('callflow-meetings', {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 100, description: 'a name of at most 100 characters' },
    rooms: { type: 'array', maxItems: 10000, default: [], items: meetingRoomSchema, description: 'at most 10,000 meeting rooms' },
    store: { type: 'string', maxLength: 100, default: '', description: 'a store config node (callflow-store), or empty' },
  },
  required: ['rooms'],
});

/** The callflow-conference node's settings. */
export interface ConferenceConfig {
  name?: string;
  /** The callflow-meetings config node with the rooms. */
  meetings: string;
  /** '' the routing table's (number, group, account), else this call flow. */
  callFlow: '' | CallFlowName;
  /** For direct call flows: the room callers go into ('' a meeting of the dialed number). */
  room: string;
  properties: ConferenceProperties;
  onError: OnError;
}

export const conferenceConfig = new Validator<ConferenceConfig>('callflow-conference', {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 100, description: 'a name of at most 100 characters' },
    meetings: { type: 'string', minLength: 1, description: 'a meetings config node (callflow-meetings)' },
    callFlow: { type: 'string', enum: ['', ...CALL_FLOWS], default: '', description: '"" (the routing table decides), open, secured, direct_host or direct_participant' },
    room: { type: 'string', pattern: '^([A-Za-z0-9_-]{1,64})?$', default: '', description: 'a room id, or empty' },
    properties: { ...conferencePropertiesSchema, default: {} },
    onError,
    outputs: { type: 'integer', minimum: 0, maximum: 20, description: 'the number of outputs' },
  },
  required: ['meetings', 'callFlow', 'room', 'properties', 'onError'],
});

/** What a msg may set for a conference node: msg.conference = { callFlow, room, properties }. */
export interface ConferenceOverride {
  callFlow?: CallFlowName;
  room?: string;
  properties?: ConferenceProperties;
}

export const conferenceOverride = new Validator<ConferenceOverride>('callflow-conference msg.conference', {
  type: 'object',
  additionalProperties: false,
  properties: {
    callFlow: conferenceRouteSchema.properties.callFlow,
    room: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'a room id' },
    properties: conferencePropertiesSchema,
  },
});

export const MEETING_COMMANDS = ['list', 'mute', 'unmute', 'kick', 'lock', 'unlock', 'end', 'announce'] as const;
export type MeetingCommandName = (typeof MEETING_COMMANDS)[number];

/**
 * A command to meetings in progress (the callflow-meeting-control node's msg.topic and msg.payload, the admin API):
 * which meeting (its id, or the room whose meeting it is), which participant (their call's id or channel id; none:
 * every participant, for mute and unmute), what to announce.
 */
export interface MeetingCommand {
  command: MeetingCommandName;
  meeting?: string;
  room?: string;
  participant?: string;
  prompts?: string[];
}

export const meetingCommand = new Validator<MeetingCommand>('meeting command', {
  type: 'object',
  additionalProperties: false,
  properties: {
    command: { type: 'string', enum: [...MEETING_COMMANDS], description: `one of ${MEETING_COMMANDS.join(', ')}` },
    meeting: { type: 'string', pattern: '^[0-9a-f-]{36}$', description: 'a meeting id (a UUID)' },
    room: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'a room id' },
    participant: { type: 'string', pattern: '^[A-Za-z0-9_.;:-]{1,128}$', description: "a participant's call id or channel id" },
    prompts: { ...media, minItems: 1, description: 'a list of 1 to 20 media URIs' },
  },
  required: ['command'],
  allOf: [
    {
      if: { properties: { command: { const: 'kick' } } },
      then: { properties: { participant: { type: 'string', description: "a participant's call id or channel id (kick needs one)" } }, required: ['participant'] },
    },
    {
      if: { properties: { command: { const: 'announce' } } },
      then: { properties: { prompts: { type: 'array', description: 'a list of media URIs (announce needs them)' } }, required: ['prompts'] },
    },
  ],
});

/** The callflow-meeting-control node's settings. */
export interface MeetingControlConfig {
  name?: string;
  connection: string;
}

export const meetingControlConfig = new Validator<MeetingControlConfig>('callflow-meeting-control', {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 100, description: 'a name of at most 100 characters' },
    connection: { type: 'string', minLength: 1, description: 'an Asterisk connection (a callflow-asterisk config node)' },
  },
  required: ['connection'],
});
