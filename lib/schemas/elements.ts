/**
 * Config (and msg override) schemas of the IVR element nodes. Each node's
 * form, its deploy-time check and its msg overrides use these.
 */
import { HANGUP_REASONS } from '../ari/causes';
import { Validator } from './validator';

/** One media URI as ARI plays it, or an http(s) URL (played as sound:<url>). */
export const MEDIA_PATTERN =
  '^(sound:[A-Za-z0-9_][^,\\s]*|sound:https?://[^\\s,]+|recording:[^,\\s]+|number:-?\\d{1,15}|digits:[0-9*#]{1,64}|characters:[^,]{1,64}|tone:[A-Za-z0-9!/*+.,;=_-][^,\\s]*|https?://[^\\s,]+)$';
const MEDIA_DESCRIPTION =
  'a media URI: sound:<file>, recording:<name>, number:<integer>, digits:<0-9*#>, characters:<text>, tone:<name> or an http(s):// URL';

const name = { type: 'string', maxLength: 100, description: 'a name of at most 100 characters' } as const;
const onError = {
  type: 'string',
  enum: ['hangup', 'output'],
  default: 'hangup',
  description: '"hangup" (end the call) or "output" (continue on the error output)',
} as const;
const outputs = { type: 'integer', minimum: 0, maximum: 10, description: 'the number of outputs' } as const;
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
}
export const entryConfig = new Validator<EntryConfig>('callflow-entry', {
  type: 'object',
  properties: {
    name,
    connection: { type: 'string', minLength: 1, description: 'an Asterisk connection (a callflow-asterisk config node)' },
    flow: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$', default: 'main', description: 'a flow name: 1 to 64 letters, digits, _ . or -' },
  },
  required: ['connection', 'flow'],
});

export interface AnswerConfig {
  name?: string;
  onError: 'hangup' | 'output';
}
export const answerConfig = new Validator<AnswerConfig>('callflow-answer', {
  type: 'object',
  properties: { name, onError, outputs },
  required: ['onError'],
});

export interface PlayConfig {
  name?: string;
  prompts: string[];
  language: string;
  bargeIn: boolean;
  repeat: number;
  answer: boolean;
  onError: 'hangup' | 'output';
}
const prompts = {
  type: 'array',
  default: [],
  items: { type: 'string', pattern: MEDIA_PATTERN, description: MEDIA_DESCRIPTION },
  maxItems: 50,
  description: 'a list of at most 50 media URIs',
} as const;
export const playConfig = new Validator<PlayConfig>('callflow-play', {
  type: 'object',
  properties: {
    name,
    prompts,
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
