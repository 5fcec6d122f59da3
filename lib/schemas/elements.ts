/**
 * Config (and msg override) schemas of the IVR element nodes. Each node's
 * form, its deploy-time check and its msg overrides use these.
 */
import { HANGUP_REASONS, SIP_RESPONSES } from '../ari/causes';
import { dialTemplateSchema } from '../ari/dialstring';
import { MEDIA_PATTERN } from '../ari/media';
import { SAY_PATTERN } from '../speech/say';
import { Validator } from './validator';

/** A prompt of an element: a media URI (lib/ari/media.ts) or a say: text (lib/speech/say.ts). */
export const PROMPT_PATTERN = `^(?:${MEDIA_PATTERN.slice(1, -1)}|${SAY_PATTERN})$`;
export const PROMPT_DESCRIPTION =
  'a media URI: sound:<file>, recording:<name> (relative names: no leading /, no . or .. parts), number:<integer>, digits:<0-9*#>, characters:<text>, tone:<name or tone data>[;tonezone=<zone>] or an http(s):// URL; or say:<text> (at most 1000 characters, {vars.NAME} for a call variable, {{ and }} for braces, no line breaks)';
/** The speech node that says an element's say: prompts. */
export const speech = { type: 'string', maxLength: 100, default: '', description: 'a callflow-speech config node, or empty' } as const;

const name = { type: 'string', maxLength: 100, description: 'a name of at most 100 characters' } as const;
/**
 * What an element does when it fails: hang up; continue on its error output; or continue in the release set's
 * exception-handling flow (docs/releases.md), hanging up when there is none. Every element's schema uses this one.
 */
export const ON_ERROR = ['hangup', 'output', 'exception'] as const;
export type OnError = (typeof ON_ERROR)[number];
export const onError = {
  type: 'string',
  enum: ON_ERROR,
  default: 'hangup',
  description: '"hangup" (end the call), "output" (continue on the error output) or "exception" (continue in the exception-handling flow)',
} as const;
const outputs = { type: 'integer', minimum: 0, maximum: 20, description: 'the number of outputs' } as const;
const languageRule = {
  type: 'string',
  pattern: '^([a-z]{2,3}([_-][A-Za-z0-9]{2,8})?)?$',
  description: 'a language code such as en, fr or pt_BR (empty: the call\'s language)',
} as const;
const language = { ...languageRule, default: '' } as const;

export interface EntryConfig {
  name?: string;
  connection: string;
  flow: string;
  /** A callflow-releases config node: this entry is one version of the flow, routed by its release state. Empty: the flow has one version. */
  releases: string;
  /** The version this tab is (with releases). */
  version: string;
  /** Deploying the tab with this tag set releases the version ("" none). */
  release: '' | 'official' | 'gray';
  /** With release "gray": the share of new calls, percent. */
  grayShare: number;
  /** With release "gray": caller numbers or prefixes ending in *, separated by commas or spaces. */
  grayCallers: string;
  /** More callflow-asterisk connections whose calls this entry takes too (several Asterisk servers: docs/scaling.md). */
  connections: string[];
}
export const entryConfig = new Validator<EntryConfig>('callflow-entry', {
  type: 'object',
  properties: {
    name,
    connection: { type: 'string', minLength: 1, description: 'an Asterisk connection (a callflow-asterisk config node)' },
    flow: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$', default: 'main', description: 'a flow name: 1 to 64 letters, digits, _ . or -' },
    releases: { type: 'string', default: '', description: 'a callflow-releases config node, or empty' },
    version: { type: 'string', pattern: '^([A-Za-z0-9_.-]{1,32})?$', default: '', description: 'a version: 1 to 32 letters, digits, _ . or -' },
    release: { type: 'string', enum: ['', 'official', 'gray'], default: '', description: '"" (none), "official" or "gray"' },
    grayShare: { type: 'number', minimum: 0, maximum: 100, default: 0, description: 'a percentage from 0 to 100' },
    grayCallers: { type: 'string', maxLength: 20000, pattern: '^[0-9+*,\\s]*$', default: '', description: 'caller numbers or prefixes ending in *, separated by commas' },
    connections: {
      type: 'array',
      maxItems: 32,
      uniqueItems: true,
      items: { type: 'string', minLength: 1, maxLength: 100, description: 'an Asterisk connection (a callflow-asterisk config node)' },
      default: [],
      description: 'at most 32 different Asterisk connections',
    },
  },
  required: ['connection', 'flow'],
  if: { properties: { releases: { type: 'string', minLength: 1 } }, required: ['releases'] },
  then: { properties: { version: { type: 'string', minLength: 1, description: 'a version is required when the entry belongs to a release set' } } },
});

export interface AnswerConfig {
  name?: string;
  onError: OnError;
}
export const answerConfig = new Validator<AnswerConfig>('callflow-answer', {
  type: 'object',
  properties: { name, onError, outputs },
  required: ['onError'],
});

export interface PlayConfig {
  name?: string;
  prompts: string[];
  /** The callflow-speech node that says say: prompts ('' : none). */
  speech: string;
  language: string;
  bargeIn: boolean;
  repeat: number;
  answer: boolean;
  onError: OnError;
}
const prompts = {
  type: 'array',
  default: [] as string[],
  items: { type: 'string', maxLength: 2000, pattern: PROMPT_PATTERN, description: PROMPT_DESCRIPTION },
  maxItems: 50,
  description: 'a list of at most 50 media URIs',
} as const;
export const playConfig = new Validator<PlayConfig>('callflow-play', {
  type: 'object',
  properties: {
    name,
    prompts,
    speech,
    language,
    bargeIn: { type: 'boolean', default: false, description: 'true or false' },
    repeat: { type: 'integer', minimum: 1, maximum: 10, default: 1, description: 'a whole number of times from 1 to 10' },
    answer: { type: 'boolean', default: true, description: 'true or false' },
    onError,
    outputs,
  },
  required: ['prompts', 'language', 'bargeIn', 'repeat', 'answer', 'onError'],
});

/** What a msg may set for a play node: the prompts (msg.prompts) and the language (msg.language). */
export interface PlayOverride {
  prompts?: string[];
  language?: string;
}
export const playOverride = new Validator<PlayOverride>('callflow-play msg', {
  type: 'object',
  properties: { prompts: { type: 'array', items: prompts.items, minItems: 1, maxItems: 50, description: 'a list of 1 to 50 media URIs' }, language: languageRule },
});

export interface HangupConfig {
  name?: string;
  reason: keyof typeof HANGUP_REASONS;
}
export const hangupConfig = new Validator<HangupConfig>('callflow-hangup', {
  type: 'object',
  properties: {
    name,
    reason: { type: 'string', enum: Object.keys(HANGUP_REASONS), default: 'normal', description: `one of ${Object.keys(HANGUP_REASONS).join(', ')}` },
  },
  required: ['reason'],
});

/** A list of media that may be empty (an optional prompt). */
const optionalPrompts = { ...prompts, description: 'a list of at most 50 media URIs (may be empty)' } as const;
const seconds = (min: number, max: number): { type: 'number'; minimum: number; maximum: number; description: string } => ({
  type: 'number',
  minimum: min,
  maximum: max,
  description: `seconds from ${min} to ${max} (decimals allowed; empty: the routing table's or the default)`,
});
const retries = { type: 'integer', minimum: 0, maximum: 10, default: 2, description: 'a whole number of retries from 0 to 10' } as const;
const variable = {
  type: 'string',
  pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$',
  description: 'a variable name: a letter or _, then letters, digits or _ (at most 64)',
} as const;

/** Speech input of collect and menu: keys only, speech only, or both (the element's speech node recognises). */
export type InputMode = 'keys' | 'speech' | 'both';
const input = { type: 'string', enum: ['keys', 'speech', 'both'], default: 'keys', description: 'keys, speech or both' } as const;
const speechMaxSec = { type: 'integer', minimum: 1, maximum: 60, default: 15, description: 'whole seconds of speech from 1 to 60' } as const;
const endSilenceMs = { type: 'integer', minimum: 200, maximum: 5000, default: 800, description: 'milliseconds of silence from 200 to 5000' } as const;

export interface CollectConfig {
  name?: string;
  prompts: string[];
  speech: string;
  minDigits: number;
  maxDigits: number;
  firstDigitTimeoutSec?: number;
  interDigitTimeoutSec?: number;
  terminator: '' | '#' | '*';
  pattern: string;
  retries: number;
  invalidPrompts: string[];
  timeoutPrompts: string[];
  variable: string;
  language: string;
  onError: OnError;
  /** Keys, speech or both. */
  input: InputMode;
  /** Speech: digits spoken, or free text (stored in the variable as said). */
  speechKind: 'digits' | 'text';
  /** The longest speech heard (s). */
  speechMaxSec: number;
  /** The silence that ends speech (ms). */
  endSilenceMs: number;
}
export const collectConfig = new Validator<CollectConfig>('callflow-collect', {
  type: 'object',
  properties: {
    name,
    prompts: optionalPrompts,
    speech,
    minDigits: { type: 'integer', minimum: 1, maximum: 64, default: 1, description: 'a whole number of digits from 1 to 64' },
    maxDigits: {
      type: 'integer',
      minimum: { $data: '1/minDigits' },
      maximum: 64,
      default: 10,
      description: 'a whole number of digits, at least the minimum and at most 64',
    },
    firstDigitTimeoutSec: seconds(0.1, 60),
    interDigitTimeoutSec: seconds(0.1, 30),
    terminator: { type: 'string', enum: ['', '#', '*'], default: '#', description: '"#", "*" or "" (none)' },
    pattern: { type: 'string', maxLength: 200, default: '', description: 'a regular expression of at most 200 characters (empty: any digits)' },
    retries,
    invalidPrompts: optionalPrompts,
    timeoutPrompts: optionalPrompts,
    variable: { ...variable, default: 'digits' },
    language,
    onError,
    outputs,
    input,
    speechKind: { type: 'string', enum: ['digits', 'text'], default: 'digits', description: 'digits (spoken digits, checked as keys are) or text (what is said)' },
    speechMaxSec,
    endSilenceMs,
  },
  required: ['prompts', 'minDigits', 'maxDigits', 'terminator', 'pattern', 'retries', 'invalidPrompts', 'timeoutPrompts', 'variable', 'language', 'onError', 'input', 'speechKind', 'speechMaxSec', 'endSilenceMs'],
});

const KEYS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#'];

export interface MenuConfig {
  name?: string;
  prompts: string[];
  speech: string;
  /** The key of each option, in output order. */
  options: string[];
  /** A label for each option (the output's name). */
  labels: string[];
  repeatKey: string;
  timeoutSec?: number;
  retries: number;
  invalidPrompts: string[];
  timeoutPrompts: string[];
  language: string;
  onError: OnError;
  input: InputMode;
  /** Each option's phrases, comma separated, in output order (speech). */
  phrases: string[];
  speechMaxSec: number;
  endSilenceMs: number;
}
export const menuConfig = new Validator<MenuConfig>('callflow-menu', {
  type: 'object',
  properties: {
    name,
    prompts: { ...prompts, minItems: 1, description: 'a list of 1 to 50 media URIs (the menu must say something)' },
    speech,
    options: {
      type: 'array',
      items: { type: 'string', enum: KEYS, description: 'a key: 0-9, * or #' },
      minItems: 1,
      maxItems: 12,
      uniqueItems: true,
      default: ['1'],
      description: '1 to 12 keys, each used once',
    },
    labels: { type: 'array', items: { type: 'string', maxLength: 40, description: 'a label of at most 40 characters' }, maxItems: 12, default: [] as string[], description: 'a label for each option' },
    repeatKey: {
      type: 'string',
      enum: ['', ...KEYS],
      not: { enum: { $data: '1/options' } },
      default: '',
      description: 'a key that replays the menu, not one of the options ("" for none)',
    },
    timeoutSec: seconds(0.1, 60),
    retries,
    invalidPrompts: optionalPrompts,
    timeoutPrompts: optionalPrompts,
    language,
    onError,
    outputs,
    input,
    phrases: {
      type: 'array',
      items: { type: 'string', pattern: '^[^\\u0000-\\u001f\\u007f]{0,200}$', description: 'phrases separated by commas, at most 200 characters, no control characters' },
      maxItems: 12,
      default: [] as string[],
      description: "each option's phrases",
    },
    speechMaxSec,
    endSilenceMs,
  },
  required: ['prompts', 'options', 'labels', 'repeatKey', 'retries', 'invalidPrompts', 'timeoutPrompts', 'language', 'onError', 'input', 'phrases', 'speechMaxSec', 'endSilenceMs'],
});

export type TransferKind = 'endpoint' | 'number' | 'dialplan' | 'queue' | 'flow';
/** A queue name: the extension of the queue context that runs Queue() (what a campaign's skill queue holds too). */
export const QUEUE_NAME_PATTERN = '^[A-Za-z0-9_.-]{1,80}$';
/** Where a transfer's queue name may come from besides a literal: a call variable, or the campaign's skill queue. */
export const QUEUE_SOURCE_PATTERN = '^([A-Za-z0-9_.-]{0,80}|\\{vars\\.[A-Za-z_][A-Za-z0-9_]{0,63}\\}|\\{campaign\\.skillQueue\\})$';
export interface TransferConfig {
  name?: string;
  kind: TransferKind;
  endpoint: string;
  number: string;
  dialString: string;
  context: string;
  extension: string;
  priority: number;
  /** A queue name, {vars.name} (a call variable holding one) or {campaign.skillQueue} (the campaign's skill queue). */
  queue: string;
  queueContext: string;
  /** Call variables carried to the agent's side as associated data (the channel variable TRANSIN_DATA), for a queue or dialplan transfer. */
  data: string[];
  flow: string;
  ringTimeoutSec?: number;
  callerId: string;
  onError: OnError;
}
export const transferConfig = new Validator<TransferConfig>('callflow-transfer', {
  type: 'object',
  properties: {
    name,
    kind: { type: 'string', enum: ['endpoint', 'number', 'dialplan', 'queue', 'flow'], default: 'endpoint', description: 'endpoint, number, dialplan, queue or flow' },
    endpoint: dialTemplateSchema('endpoint', {
      default: '',
      optional: true,
      description: 'one endpoint such as PJSIP/100 or Local/100@agents; {vars.name}, {caller}, {dialed} or {callId} may stand for a name or a number, never for a technology, a separator or a SIP URI\'s host',
    }),
    number: { type: 'string', maxLength: 100, pattern: '^(\\+?[0-9*#]{1,32}|\\{vars\\.[A-Za-z_][A-Za-z0-9_]*\\}|\\{caller\\})?$', default: '', description: 'a number (+15550100), {vars.name} or {caller}' },
    dialString: dialTemplateSchema('dial-string', { default: 'PJSIP/{number}@trunk', description: 'a dial string with {number} in it, of one destination, e.g. PJSIP/{number}@trunk' }),
    context: { type: 'string', pattern: '^[A-Za-z0-9_.-]{0,80}$', default: '', description: 'a dialplan context' },
    extension: { type: 'string', pattern: '^[A-Za-z0-9_+*#.-]{0,80}$', default: '', description: 'a dialplan extension' },
    priority: { type: 'integer', minimum: 1, maximum: 10000, default: 1, description: 'a dialplan priority from 1' },
    queue: {
      type: 'string',
      pattern: QUEUE_SOURCE_PATTERN,
      default: '',
      description: 'a queue name (1 to 80 letters, digits, _ . or -), {vars.name} or {campaign.skillQueue}',
    },
    queueContext: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,80}$', default: 'callflow-queues', description: 'the dialplan context whose extensions run Queue()' },
    data: {
      type: 'array',
      maxItems: 20,
      uniqueItems: true,
      items: variable,
      default: [] as string[],
      description: 'at most 20 different call variable names (the associated data)',
    },
    flow: { type: 'string', pattern: '^([A-Za-z0-9_.-]{1,64})?$', default: '', description: 'a flow name' },
    ringTimeoutSec: { type: 'integer', minimum: 5, maximum: 300, description: 'whole seconds from 5 to 300 (empty: the routing table\'s or 30)' },
    callerId: { type: 'string', pattern: '^(\\+?[0-9]{1,32})?$', default: '', description: 'a caller number to show the callee (empty: the caller\'s)' },
    onError,
    outputs,
  },
  required: ['kind', 'endpoint', 'number', 'dialString', 'context', 'extension', 'priority', 'queue', 'queueContext', 'data', 'flow', 'callerId', 'onError'],
  allOf: [
    { if: { properties: { kind: { const: 'endpoint' } } }, then: { properties: { endpoint: { type: 'string', minLength: 1, description: 'the endpoint to call, e.g. PJSIP/100' } } } },
    { if: { properties: { kind: { const: 'number' } } }, then: { properties: { number: { type: 'string', minLength: 1, description: 'the number to call' } } } },
    {
      if: { properties: { kind: { const: 'dialplan' } } },
      then: { properties: { context: { type: 'string', minLength: 1, description: 'the dialplan context' }, extension: { type: 'string', minLength: 1, description: 'the dialplan extension' } } },
    },
    { if: { properties: { kind: { const: 'queue' } } }, then: { properties: { queue: { type: 'string', minLength: 1, description: 'the queue name' } } } },
    { if: { properties: { kind: { const: 'flow' } } }, then: { properties: { flow: { type: 'string', minLength: 1, description: 'the flow to continue in' } } } },
  ],
});

export interface ResponseConfig {
  name?: string;
  code: number;
  reason: string;
  media: string[];
  language: string;
}
export const responseConfig = new Validator<ResponseConfig>('callflow-response', {
  type: 'object',
  properties: {
    name,
    code: {
      type: 'integer',
      enum: Object.keys(SIP_RESPONSES).map(Number),
      default: 486,
      description: `a SIP response ARI can send: ${Object.keys(SIP_RESPONSES).join(', ')}`,
    },
    reason: { type: 'string', maxLength: 100, default: '', description: 'a reason of at most 100 characters' },
    media: optionalPrompts,
    language,
  },
  required: ['code', 'reason', 'media', 'language'],
});

/** Where a value comes from: Node-RED's typed-input types, the call (msg.call) and an Asterisk channel variable of the call (chanvar). */
export type ValueType = 'str' | 'num' | 'bool' | 'json' | 'msg' | 'flow' | 'global' | 'jsonata' | 'env' | 'call' | 'chanvar';
export interface Assignment {
  target: 'var' | 'channel';
  name: string;
  type: ValueType;
  value: string;
}
export interface SetConfig {
  name?: string;
  assignments: Assignment[];
  onError: OnError;
}
export const setConfig = new Validator<SetConfig>('callflow-set', {
  type: 'object',
  properties: {
    name,
    assignments: {
      type: 'array',
      minItems: 1,
      maxItems: 50,
      default: [] as Assignment[],
      description: '1 to 50 assignments',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          target: { type: 'string', enum: ['var', 'channel'], description: '"var" (msg.call.vars) or "channel" (an Asterisk channel variable)' },
          name: { type: 'string', maxLength: 80, description: 'a variable name' },
          type: { type: 'string', enum: ['str', 'num', 'bool', 'json', 'msg', 'flow', 'global', 'jsonata', 'env', 'call', 'chanvar'], description: 'where the value comes from' },
          value: { type: 'string', maxLength: 2000, description: 'a value of at most 2000 characters' },
        },
        required: ['target', 'name', 'type', 'value'],
        allOf: [
          { if: { properties: { target: { const: 'var' } } }, then: { properties: { name: { ...variable } } } },
          {
            if: { properties: { target: { const: 'channel' } } },
            then: { properties: { name: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*(\\([^()]*\\))?$', description: 'a channel variable or function, e.g. ACCOUNT or CALLERID(name)' } } },
          },
        ],
      },
    },
    onError,
    outputs,
  },
  required: ['assignments', 'onError'],
});

export interface RecordConfig {
  name?: string;
  prefix: string;
  format: 'wav' | 'gsm' | 'ulaw' | 'alaw' | 'sln' | 'g722';
  maxDurationSec: number;
  maxSilenceSec: number;
  beep: boolean;
  terminateOn: 'none' | 'any' | '*' | '#';
  prompts: string[];
  speech: string;
  variable: string;
  language: string;
  onError: OnError;
}
export const recordConfig = new Validator<RecordConfig>('callflow-record', {
  type: 'object',
  properties: {
    name,
    prefix: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,40}$', default: 'callflow', description: '1 to 40 letters, digits, _ or -' },
    format: { type: 'string', enum: ['wav', 'gsm', 'ulaw', 'alaw', 'sln', 'g722'], default: 'wav', description: 'wav, gsm, ulaw, alaw, sln or g722' },
    maxDurationSec: { type: 'integer', minimum: 0, maximum: 3600, default: 60, description: 'whole seconds from 0 (no limit) to 3600' },
    maxSilenceSec: { type: 'integer', minimum: 0, maximum: 60, default: 5, description: 'whole seconds from 0 (off) to 60' },
    beep: { type: 'boolean', default: true, description: 'true or false' },
    terminateOn: { type: 'string', enum: ['none', 'any', '*', '#'], default: '#', description: 'none, any, * or #' },
    prompts: optionalPrompts,
    speech,
    variable: { ...variable, default: 'recording' },
    language,
    onError,
    outputs,
  },
  required: ['prefix', 'format', 'maxDurationSec', 'maxSilenceSec', 'beep', 'terminateOn', 'prompts', 'variable', 'language', 'onError'],
});

export interface CallEndConfig {
  name?: string;
  connection: string;
  flow: string;
}
export const callEndConfig = new Validator<CallEndConfig>('callflow-call-end', {
  type: 'object',
  properties: {
    name,
    connection: { type: 'string', minLength: 1, description: 'an Asterisk connection (a callflow-asterisk config node)' },
    flow: { type: 'string', pattern: '^([A-Za-z0-9_.-]{1,64})?$', default: '', description: 'a flow name (empty: every flow of the connection)' },
  },
  required: ['connection', 'flow'],
});

/** callflow-result: the business result of a campaign call. */
export interface ResultConfig {
  name?: string;
  /** The result code; empty: msg.result. */
  result: string;
  subResult: string;
}
const RESULT_CODE = { type: 'string', pattern: '^([A-Za-z0-9_.:-]{1,64})?$', default: '', description: 'a result code: 1 to 64 letters, digits, _ . : or - (empty: msg.result)' } as const;
export const resultConfig = new Validator<ResultConfig>('callflow-result', {
  type: 'object',
  properties: { name, result: RESULT_CODE, subResult: { ...RESULT_CODE, description: 'a sub-result code: 1 to 64 letters, digits, _ . : or - (empty: msg.subResult)' } },
  required: ['result', 'subResult'],
});
