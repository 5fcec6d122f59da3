/**
 * The documents the store keeps, as JSON schemas: both store backends check
 * every document with these before writing it, and the nodes that produce
 * them (contacts, blocklist, call end, releases, campaign) check their input
 * with the same ones. A document that fails is refused with the field and
 * the reason; nothing of it is written.
 *
 * Times are milliseconds since the epoch (numbers, so both backends compare
 * and index them the same way).
 */
import { Validator } from './validator';

const ID = { type: 'string', minLength: 1, maxLength: 128, description: 'an id of 1 to 128 characters' } as const;
const TIME = { type: 'number', minimum: 0, description: 'a time in milliseconds since 1970' } as const;
/** A dialable number: digits with an optional leading +, as the contacts node normalises it. */
const NUMBER = { type: 'string', pattern: '^\\+?[0-9]{2,32}$', description: 'a phone number: 2 to 32 digits with an optional leading +' } as const;
const FLOW = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'a flow name: 1 to 64 letters, digits, _ . or -' } as const;
/**
 * Characters a contact's id or a custom field's name never holds (a
 * character class, without its brackets): control characters (C0 with tab
 * and line breaks, DEL, C1), lone UTF-16 surrogates, and U+FFFD (what a
 * UTF-8 decoder leaves of bytes that were not UTF-8). Text values may hold
 * tab, LF and CR. lib/campaign/field-text.ts explains why and says it per
 * field; these keep the store from ever holding them, whoever writes.
 */
export const NOT_IN_NAME_CHARS = '\\x00-\\x1f\\x7f-\\x9f\\ud800-\\udfff\\ufffd';
/** The longest name a contact may hold (an attribute or custom field name, a key inside a custom value). */
export const CONTACT_NAME_MAX = 256;
/** The longest text value a contact may hold (an attribute, or a text anywhere in a custom field: a note, an address). */
export const CONTACT_TEXT_MAX = 10_000;
export const NOT_IN_TEXT_CHARS = '\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f\\ud800-\\udfff\\ufffd';
const NAME_TEXT = `^[^${NOT_IN_NAME_CHARS}]*$`;
const VALUE_TEXT = `^[^${NOT_IN_TEXT_CHARS}]*$`;
const CUSTOMER_ID = { type: 'string', minLength: 1, maxLength: 128, pattern: NAME_TEXT, description: 'a customer id: 1 to 128 characters, no control characters, no U+FFFD' } as const;
const ATTRS = {
  type: 'object',
  maxProperties: 100,
  propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' },
  additionalProperties: {
    type: ['string', 'number', 'boolean'],
    pattern: VALUE_TEXT,
    maxLength: CONTACT_TEXT_MAX,
    description: `a text of up to ${CONTACT_TEXT_MAX} characters (tab and line breaks allowed, no other control character, no U+FFFD), a number or true/false`,
  },
  description: 'attributes: up to 100 names (letters, digits, _) with a text, number or true/false value',
} as const;
/** A custom field's value, at any depth: text as VALUE_TEXT, names as NAME_TEXT. */
const CUSTOM_VALUE = {
  type: ['string', 'number', 'boolean', 'null', 'array', 'object'],
  pattern: VALUE_TEXT,
  maxLength: CONTACT_TEXT_MAX,
  items: { $ref: '#/$defs/customValue' },
  propertyNames: { pattern: NAME_TEXT, maxLength: CONTACT_NAME_MAX, description: `a name of up to ${CONTACT_NAME_MAX} characters without control characters or U+FFFD` },
  additionalProperties: { $ref: '#/$defs/customValue' },
  description: 'a custom value: text of up to 10,000 characters (tab and line breaks allowed, no other control character, no U+FFFD), a number, true/false, null, a list or an object of them',
} as const;

export type AttrValue = string | number | boolean;

export interface ContactNumber {
  number: string;
  /** The number type (mobile, home, work, ...), for "by number type" calling order and per-type policies. */
  type?: string;
  /** The number's sequence number, for "by sequence number" calling order. */
  seq?: number;
}

/** What an import brings for one customer. */
export interface ContactInput {
  customerId: string;
  numbers: ContactNumber[];
  /** 1 (highest) to 5. */
  priority?: number;
  /** Data attributes: filters and ordering use them. */
  attrs?: Record<string, AttrValue>;
  /** Custom fields, carried to the IVR and the callback (customFiled). */
  custom?: Record<string, unknown>;
  /** The calling order key (see lib/store/port.ts): printable ASCII, compared byte by byte. */
  rank?: string;
  /** When the contact is first due (default: at once). */
  dueAt?: number;
}

export type AttemptOutcome =
  | 'answered'
  | 'busy'
  | 'no-answer'
  | 'unallocated'
  | 'rejected'
  | 'congestion'
  | 'unreachable'
  | 'max-response-exceeded'
  | 'originate-failed'
  | 'flow-missing'
  | 'machine'
  | 'blocked'
  | 'cancelled'
  /**
   * A fault ended the attempt, not the callee nor the flow: Asterisk lost the channel (it restarted or crashed, the
   * connection came back without it, the dialer came back after a crash and the channel was gone) or, answered,
   * the system ended the call before its flow did. `why` says which (docs/campaigns.md, "Failure causes").
   */
  | 'lost';

/** One dial of one number of a contact, and how it ended. */
export interface Attempt {
  /** 1, 2, ... within the contact. */
  n: number;
  number: string;
  startedAt: number;
  endedAt?: number;
  outcome: AttemptOutcome;
  /** Asterisk's hangup cause code and dial status, as reported. */
  cause?: number;
  dialStatus?: string;
  callId?: string;
  /** The business result and sub-result the IVR set (callflow-result). */
  result?: string;
  subResult?: string;
  worker?: string;
  /** Duration of the answered part, in seconds. */
  talkSec?: number;
  /** For an attempt a fault decided (a lost one, or an answered one cut after its result): which fault. */
  why?: string;
  /** The last remark of its business result after the call (the admin API): who, when, and the result it replaced. */
  remarked?: AttemptRemark;
  /**
   * The call's recording (the task records calls): the stored recording's name on Asterisk (GET
   * /recordings/stored/{name}), or why the call went unrecorded (`recordingError`). Neither when it records none.
   */
  recording?: string;
  recordingError?: string;
  /** The connection (callflow-asterisk id) that carried it (a task with a trunk group: docs/scaling.md). */
  connection?: string;
}

export interface AttemptRemark {
  /** The admin user, or "anonymous" when the editor has no login. */
  by: string;
  at: number;
  /** The result and sub-result before the remark (absent: there was none). */
  previous?: string;
  previousSub?: string;
}

/** The final result of a contact. */
export interface ContactResult {
  code: string;
  subCode?: string;
  at: number;
  /** The number that reached it, if any. */
  number?: string;
}

export const contactInput = new Validator<ContactInput>('contact', {
  type: 'object',
  additionalProperties: false,
  required: ['customerId', 'numbers'],
  $defs: { customValue: CUSTOM_VALUE },
  properties: {
    customerId: CUSTOMER_ID,
    numbers: {
      type: 'array',
      minItems: 1,
      maxItems: 20,
      description: '1 to 20 numbers',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['number'],
        properties: {
          number: NUMBER,
          type: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,32}$', description: 'a number type: 1 to 32 letters, digits, _ or -' },
          seq: { type: 'integer', minimum: 0, maximum: 1000, description: 'a sequence number from 0 to 1000' },
        },
      },
    },
    priority: { type: 'integer', minimum: 1, maximum: 5, description: 'a priority from 1 (highest) to 5' },
    attrs: ATTRS,
    custom: {
      type: 'object',
      maxProperties: 100,
      propertyNames: { pattern: NAME_TEXT, maxLength: CONTACT_NAME_MAX, description: `a custom field name of up to ${CONTACT_NAME_MAX} characters without control characters or U+FFFD` },
      additionalProperties: { $ref: '#/$defs/customValue' },
      description: 'an object of at most 100 custom fields',
    },
    rank: { type: 'string', pattern: '^[\\x20-\\x7e]{0,256}$', description: 'a calling order key: up to 256 printable ASCII characters' },
    dueAt: TIME,
  },
});

const OUTCOMES = ['answered', 'busy', 'no-answer', 'unallocated', 'rejected', 'congestion', 'unreachable', 'max-response-exceeded', 'originate-failed', 'flow-missing', 'machine', 'blocked', 'cancelled', 'lost'];

export const attemptDocument = new Validator<Attempt>('attempt', {
  type: 'object',
  additionalProperties: false,
  required: ['n', 'number', 'startedAt', 'outcome'],
  properties: {
    n: { type: 'integer', minimum: 1, maximum: 1000, description: 'an attempt number from 1 to 1000' },
    number: NUMBER,
    startedAt: TIME,
    endedAt: TIME,
    outcome: { type: 'string', enum: OUTCOMES, description: `one of ${OUTCOMES.join(', ')}` },
    cause: { type: 'integer', minimum: 0, maximum: 127, description: 'a Q.850 cause code from 0 to 127' },
    dialStatus: { type: 'string', maxLength: 32, description: 'a dial status of at most 32 characters' },
    callId: { type: 'string', maxLength: 128, description: 'a call id of at most 128 characters' },
    result: { type: 'string', maxLength: 64, description: 'a result code of at most 64 characters' },
    subResult: { type: 'string', maxLength: 64, description: 'a sub-result code of at most 64 characters' },
    worker: { type: 'string', maxLength: 128, description: 'a worker id of at most 128 characters' },
    talkSec: { type: 'number', minimum: 0, description: 'seconds, 0 or more' },
    why: { type: 'string', maxLength: 200, description: 'a reason of at most 200 characters' },
    recording: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,200}$', description: 'a recording name: 1 to 200 letters, digits, _ . or -' },
    recordingError: { type: 'string', maxLength: 200, description: 'a reason of at most 200 characters' },
    connection: { type: 'string', minLength: 1, maxLength: 100, description: 'a connection id of 1 to 100 characters' },
    remarked: {
      type: 'object',
      additionalProperties: false,
      required: ['by', 'at'],
      properties: {
        by: { type: 'string', minLength: 1, maxLength: 128, description: 'a user name of 1 to 128 characters' },
        at: TIME,
        previous: { type: 'string', maxLength: 64, description: 'a result code of at most 64 characters' },
        previousSub: { type: 'string', maxLength: 64, description: 'a sub-result code of at most 64 characters' },
      },
    },
  },
});

export const contactResult = new Validator<ContactResult>('result', {
  type: 'object',
  additionalProperties: false,
  required: ['code', 'at'],
  properties: {
    code: { type: 'string', minLength: 1, maxLength: 64, description: 'a result code of 1 to 64 characters' },
    subCode: { type: 'string', maxLength: 64, description: 'a sub-result code of at most 64 characters' },
    at: TIME,
    number: NUMBER,
  },
});

/** Where the dialer is with a contact between attempts (lib/campaign writes it; the store keeps it). */
export const contactProgress = new Validator<Record<string, unknown>>('progress', {
  type: 'object',
  maxProperties: 50,
  description: 'an object of at most 50 fields',
});

export interface BlockEntry {
  group: string;
  number: string;
  /** Blocked from (inclusive) and until (exclusive); open when left out. */
  from?: number;
  until?: number;
  note?: string;
  addedAt?: number;
}

export const blockEntry = new Validator<BlockEntry>('blocklist entry', {
  type: 'object',
  additionalProperties: false,
  required: ['group', 'number'],
  properties: {
    group: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'a group name: 1 to 64 letters, digits, _ . or -' },
    number: NUMBER,
    from: TIME,
    until: TIME,
    note: { type: 'string', maxLength: 500, description: 'a note of at most 500 characters' },
    addedAt: TIME,
  },
});

/** A released version of an IVR flow: its nodes as deployed, who released it, when and why. */
export interface FlowSnapshot {
  id: string;
  flow: string;
  version: string;
  savedAt: number;
  savedBy: string;
  comment?: string;
  nodes: Record<string, unknown>[];
}

export const flowSnapshot = new Validator<FlowSnapshot>('flow snapshot', {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'flow', 'version', 'savedAt', 'savedBy', 'nodes'],
  properties: {
    id: ID,
    flow: FLOW,
    version: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,32}$', description: 'a version: 1 to 32 letters, digits, _ . or -' },
    savedAt: TIME,
    savedBy: { type: 'string', minLength: 1, maxLength: 128, description: 'a user name of 1 to 128 characters' },
    comment: { type: 'string', maxLength: 2000, description: 'a comment of at most 2000 characters' },
    nodes: {
      type: 'array',
      maxItems: 5000,
      items: { type: 'object', properties: { id: { type: 'string' }, type: { type: 'string' } }, required: ['id', 'type'] },
      description: 'at most 5000 nodes, each with an id and a type',
    },
  },
});

/**
 * An ended call as the store keeps it (lib/call-records/record.ts makes it from the call-end report): who called
 * whom on which connection, the flow and version it ran, the campaign attempt that placed it, the business result,
 * the times as numbers (for ordering and retention), and the call-end report itself (who hung up, the cause, the
 * trace, the keys pressed). Never the call's token or its variables (a flow may keep secrets there).
 */
export interface CallRecord {
  /** The call id (its channel id). */
  id: string;
  /** The callflow-asterisk config node the call came through; the retention sweep prunes per connection. */
  connection: string;
  direction: 'inbound' | 'outbound';
  caller: { number: string; name: string };
  /** The number the caller dialed (inbound) or the number called (outbound). */
  dialed: string;
  flow?: string;
  version?: string;
  /** For a call a campaign placed: the campaign, its name, the customer, the attempt number and the number called. */
  campaign?: { id: string; name: string; customerId: string; attempt: number; number: string };
  /** The business result the flow set (callflow-result). */
  result?: { code: string; subCode?: string };
  /** The call was recorded (lib/call/recording.ts): the stored recording's name on the call's Asterisk. */
  recording?: string;
  /** The call was to be recorded but its recording did not start: why. */
  recordingError?: string;
  startedAt: number;
  endedAt: number;
  /** The call-end report (lib/call/report.ts): by, reason, cause, times in ISO 8601, trace, keys pressed. */
  report: Record<string, unknown>;
}

/** A text a caller or a network chose (a caller name, a dialed number): at most this many characters are kept. */
export const CALL_RECORD_TEXT_MAX = 200;
const RECORD_TEXT = { type: 'string', maxLength: CALL_RECORD_TEXT_MAX, description: `a text of at most ${CALL_RECORD_TEXT_MAX} characters` } as const;

export const callRecord = new Validator<CallRecord>('call record', {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'connection', 'direction', 'caller', 'dialed', 'startedAt', 'endedAt', 'report'],
  properties: {
    id: ID,
    connection: ID,
    direction: { type: 'string', enum: ['inbound', 'outbound'], description: 'inbound or outbound' },
    caller: {
      type: 'object',
      additionalProperties: false,
      required: ['number', 'name'],
      properties: { number: RECORD_TEXT, name: RECORD_TEXT },
    },
    dialed: RECORD_TEXT,
    flow: FLOW,
    version: { type: 'string', maxLength: 32, description: 'a version of at most 32 characters' },
    campaign: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'name', 'customerId', 'attempt', 'number'],
      properties: {
        id: ID,
        name: RECORD_TEXT,
        customerId: CUSTOMER_ID,
        attempt: { type: 'integer', minimum: 1, description: 'an attempt number from 1' },
        number: RECORD_TEXT,
      },
    },
    result: {
      type: 'object',
      additionalProperties: false,
      required: ['code'],
      properties: { code: { type: 'string', minLength: 1, maxLength: 64, description: 'a result code' }, subCode: { type: 'string', maxLength: 64, description: 'a sub-result code' } },
    },
    recording: { type: 'string', minLength: 1, maxLength: 1040, description: 'a recording name of 1 to 1040 characters' },
    recordingError: RECORD_TEXT,
    startedAt: TIME,
    endedAt: TIME,
    report: { type: 'object' },
  },
});

/** One ended meeting (lib/conference): where, which call flow, when, who was in it and when, its recording. */
export interface MeetingRecord {
  /** The meeting's id. */
  id: string;
  /** The room, for a room's meeting; else the key of a meeting made on the fly (code:<digits>) or of a number. */
  room?: string;
  key: string;
  callFlow?: string;
  startedAt: number;
  endedAt: number;
  /** Why it ended: ended (its last caller left, or a command), last-host-left. */
  reason: string;
  recording?: string;
  participants: { call: string; caller: string; role: string; joinedAt: number; leftAt: number; reason: string }[];
}

export const meetingRecord = new Validator<MeetingRecord>('meeting record', {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'key', 'startedAt', 'endedAt', 'reason', 'participants'],
  properties: {
    id: ID,
    room: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'a room id' },
    key: { type: 'string', minLength: 1, maxLength: 200, description: 'a meeting key of at most 200 characters' },
    callFlow: { type: 'string', maxLength: 32, description: 'a call flow name' },
    startedAt: TIME,
    endedAt: TIME,
    reason: { type: 'string', maxLength: 32, description: 'a reason of at most 32 characters' },
    recording: { type: 'string', maxLength: 200, description: 'a recording name of at most 200 characters' },
    participants: {
      type: 'array',
      maxItems: 10000,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['call', 'caller', 'role', 'joinedAt', 'leftAt', 'reason'],
        properties: {
          call: ID,
          caller: { type: 'string', maxLength: 200, description: 'a caller number of at most 200 characters' },
          role: { type: 'string', enum: ['host', 'participant'], description: 'host or participant' },
          joinedAt: TIME,
          leftAt: TIME,
          reason: { type: 'string', maxLength: 32, description: 'a reason of at most 32 characters' },
        },
      },
      description: 'at most 10,000 participants',
    },
  },
});

/** The answers a caller gave to a questionnaire. */
export interface QuestionnaireAnswers {
  id: string;
  questionnaire: string;
  callId: string;
  campaignId?: string;
  customerId?: string;
  /** A campaign call's attempt number (the customer's attempt that reached them). */
  attempt?: number;
  /** The IVR flow the call was in. */
  flow?: string;
  at: number;
  /** false: the caller hung up or left a question without a valid answer (what they answered is kept). */
  complete?: boolean;
  /** For answers not complete: the question left unanswered and why. */
  stopped?: { question: string; reason: 'timeout' | 'invalid' | 'hangup' | 'error' };
  /** Answers an agent entered (the admin API): who, as Node-RED's admin user names them. Absent: the caller's own, on the call. */
  by?: string;
  answers: { question: string; answer: string; label?: string; at?: number }[];
}

export const questionnaireAnswers = new Validator<QuestionnaireAnswers>('questionnaire answers', {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'questionnaire', 'callId', 'at', 'answers'],
  properties: {
    id: ID,
    questionnaire: ID,
    callId: ID,
    campaignId: ID,
    customerId: ID,
    attempt: { type: 'integer', minimum: 1, maximum: 1000, description: 'an attempt number from 1' },
    flow: ID,
    at: TIME,
    complete: { type: 'boolean', description: 'true or false' },
    stopped: {
      type: 'object',
      additionalProperties: false,
      required: ['question', 'reason'],
      properties: {
        question: { type: 'string', minLength: 1, maxLength: 128, description: 'a question id of 1 to 128 characters' },
        reason: { type: 'string', enum: ['timeout', 'invalid', 'hangup', 'error'], description: 'timeout, invalid, hangup or error' },
      },
    },
    by: { type: 'string', minLength: 1, maxLength: 128, pattern: NAME_TEXT, description: 'a user name: 1 to 128 characters, no control characters' },
    answers: {
      type: 'array',
      maxItems: 200,
      description: 'at most 200 answers',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['question', 'answer'],
        properties: {
          question: { type: 'string', minLength: 1, maxLength: 128, description: 'a question id of 1 to 128 characters' },
          answer: { type: 'string', maxLength: 2000, description: 'an answer of at most 2000 characters' },
          label: { type: 'string', maxLength: 40, description: 'a label of at most 40 characters' },
          at: TIME,
        },
      },
    },
  },
});

/**
 * Named documents with a revision, written by compare-and-set: a
 * campaign's settings and state, a flow's release states, routing tables.
 * Each kind has its schema; the nodes that own the kind check it too.
 */
export const DOCUMENT_KINDS = ['campaign', 'releases', 'routing', 'dialing'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

export const documentValue = new Validator<Record<string, unknown>>('document', {
  type: 'object',
  maxProperties: 500,
  description: 'an object',
});
