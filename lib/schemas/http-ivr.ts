/**
 * The HTTP IVR command set an application answers (lib/http-ivr/commands.ts): the callflow form
 * `{ main, secondary?, jump? }`, published as docs/http-ivr.schema.json (test/http-ivr/schema.test.ts keeps
 * the file equal to this object). The JSON form is checked with it as it comes; the XML form is turned into
 * the JSON form first (lib/http-ivr/xml.ts) and checked with it too, and each step of a TwiML document
 * (lib/http-ivr/twiml.ts) with its command's definition.
 *
 * The nesting rules of the seed platform (one level, never itself, only what NESTS allows, MAIN_ONLY,
 * nothing after ENDS_SET) are lib/http-ivr/rules.ts's: they run before this schema, so a `sub` where it
 * may not be gets the rule's message, and a sub-command here is one of the commands its parent nests.
 */
import { SIP_RESPONSES } from '../ari/causes';
import { dialValueSchema } from '../ari/dialstring';
import { MEDIA_PATTERN } from '../ari/media';
import { CALL_FLOWS } from './conference';
import { COMMANDS, NESTS, type CommandName, type CommandSet, type Command, type Jump } from '../http-ivr/commands';
import { Validator } from './validator';

type Schema = Record<string, unknown>;

/** Characters a URL may not hold as they are (whitespace, controls, and what RFC 3986 never allows unescaped). */
const URL_CHARS = '[^\\s"<>\\\\^`{|}\\u0000-\\u001f\\u007f]';
/** An absolute http(s) URL, or a relative reference (no scheme of its own; "" is the current URL). */
export const JUMP_URL_PATTERN = `^(?:[Hh][Tt][Tt][Pp][Ss]?://${URL_CHARS}+|(?![A-Za-z][A-Za-z0-9+.-]*:)${URL_CHARS}*)$`;
/** Call variable names, as the callflow-set node takes them (lib/schemas/elements.ts). */
export const VARIABLE_PATTERN = '^[A-Za-z_][A-Za-z0-9_]{0,63}$';
/** The outputs of the HTTP IVR node a `return` names. */
export const OUTPUT_PATTERN = '^[A-Za-z0-9_.-]{1,64}$';
/** At most this many secondary commands, sub-commands of one command, variables of one `set`. */
export const MAX_SECONDARY = 20;
export const MAX_SUB = 20;
export const MAX_VARS = 50;

/** A transfer has exactly one of these. */
export const TRANSFER_TARGETS = ['endpoint', 'number', 'queue', 'flow'] as const;

const ref = (name: string, description: string): Schema => ({ $ref: `#/definitions/${name}`, description });
const int = (min: number, max: number, what: string): Schema => ({ type: 'integer', minimum: min, maximum: max, description: `${what}: a whole number from ${min} to ${max}` });
const seconds = (min: number, max: number, what: string): Schema => ({ type: 'number', minimum: min, maximum: max, description: `${what}: seconds from ${min} to ${max} (decimals allowed)` });
const bool = (what: string): Schema => ({ type: 'boolean', description: `${what}: true or false` });
/** Text that goes into traces and reports: no control characters. */
const words = (max: number, what: string): Schema => ({ type: 'string', maxLength: max, pattern: '^[^\\u0000-\\u001f\\u007f]*$', description: `${what}: at most ${max} characters, no control characters` });

/** One command of `names`, told apart by its `command` (each branch's own properties apply). */
function oneOf(names: readonly CommandName[], description: string): Schema {
  return {
    type: 'object',
    description,
    required: ['command'],
    properties: { command: { type: 'string', enum: [...names], description: `the command: ${names.join(', ')}` } },
    allOf: names.map((name) => ({ if: { properties: { command: { const: name, description: `the command is ${name}` } }, required: ['command'] }, then: { $ref: `#/definitions/${name}` } })),
  };
}

/** A command's definition: its name and its attributes, nothing else. */
function command(name: CommandName, description: string, properties: Record<string, Schema>, required: string[] = []): Schema {
  return {
    type: 'object',
    additionalProperties: false,
    description,
    properties: { command: { const: name, description: `"${name}"` }, ...properties },
    required: ['command', ...required],
  };
}

function sub(parent: CommandName, description: string): Schema {
  const nested = NESTS[parent];
  return { type: 'array', minItems: 1, maxItems: MAX_SUB, items: oneOf(nested, `a command ${parent} nests: ${nested.join(', ')}`), description: `${description}: 1 to ${MAX_SUB} of ${nested.join(', ')}` };
}

const action = (what: string): Schema => ref('jump', `${what}: the URL to request then, and its method`);

/** Each command's definition (and the jump's), by name: the XML forms read attribute types from them. */
export const commandDefinitions: Readonly<Record<string, Schema>> = {
  jump: {
    type: 'object',
    additionalProperties: false,
    description: 'a request for the next command set',
    properties: {
      url: { type: 'string', maxLength: 2000, pattern: JUMP_URL_PATTERN, description: 'a URL of at most 2000 characters: http(s)://..., or relative to the current one ("" is the current one)' },
      method: { type: 'string', enum: ['GET', 'POST'], description: 'GET or POST (default: the node\'s)' },
    },
    required: ['url'],
  },
  play: command('play', 'play media', {
    media: {
      type: 'array',
      minItems: 1,
      maxItems: 50,
      items: { type: 'string', maxLength: 2000, pattern: MEDIA_PATTERN, description: 'a media URI: sound:<file>, recording:<name> (relative names), number:<integer>, digits:<0-9*#>, characters:<text>, tone:<name or tone data> or an http(s):// URL' },
      description: '1 to 50 media URIs, played in order',
    },
    loop: int(1, 100, 'times to play the list (default 1)'),
    bargeIn: bool('a key stops it, and is kept for a collect that follows (default false)'),
  }, ['media']),
  say: command('say', 'text to speech (needs a speech engine)', {
    text: { type: 'string', minLength: 1, maxLength: 4000, description: 'the text: 1 to 4000 characters' },
    language: { type: 'string', pattern: '^([a-z]{2,3}([_-][A-Za-z0-9]{2,8})?)?$', description: 'a language code such as en, fr or pt_BR (empty: the call\'s language)' },
    voice: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'a voice name: 1 to 64 letters, digits, _ . or -' },
    loop: int(1, 100, 'times to say it (default 1)'),
  }, ['text']),
  pause: command('pause', 'silence', { seconds: seconds(0, 600, 'how long') }, ['seconds']),
  collect: command('collect', 'collect digits, with prompts that a key stops', {
    minDigits: int(1, 64, 'digits at least (default 1)'),
    maxDigits: int(1, 64, 'digits at most, no fewer than minDigits (default: minDigits)'),
    timeoutSec: seconds(0.1, 60, 'the wait for the first key (default 5)'),
    interDigitTimeoutSec: seconds(0.1, 30, 'the wait between keys (default 3)'),
    terminator: { type: 'string', enum: ['', '#', '*'], description: 'the key that ends the entry: "#", "*" or "" (none) (default "#")' },
    retries: int(0, 10, 'times the prompts play again after a timeout (default 0)'),
    sub: sub('collect', 'the prompts, played while waiting for keys'),
    action: action('where to report the digits at once (TwiML\'s Gather action)'),
    actionOnEmpty: bool('without digits, request the action too rather than go on (default false)'),
  }),
  record: command('record', 'record the caller', {
    maxDurationSec: int(1, 3600, 'seconds at most (default 60)'),
    maxSilenceSec: int(0, 60, 'seconds of silence that end it, 0 for none (default 5)'),
    beep: bool('a beep before recording (default true)'),
    terminator: { type: 'string', enum: ['none', 'any', '*', '#'], description: 'the key that ends it: none, any, * or # (default #)' },
    format: { type: 'string', enum: ['wav', 'gsm', 'ulaw', 'alaw', 'sln', 'g722'], description: 'wav, gsm, ulaw, alaw, sln or g722 (default wav)' },
    sub: sub('record', 'the prompts, played before the beep'),
    action: action('where to report the recording'),
  }),
  transfer: {
    ...command('transfer', 'transfer the call to exactly one of endpoint, number, queue or flow', {
      endpoint: dialValueSchema('one endpoint such as PJSIP/100 or Local/100@agents'),
      number: { type: 'string', pattern: '^\\+?[0-9*#]{1,32}$', description: 'a number to call through the node\'s dial string: 1 to 32 digits, * or #, optionally after +' },
      queue: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,80}$', description: 'a queue name: 1 to 80 letters, digits, _ . or -' },
      flow: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'a flow name: 1 to 64 letters, digits, _ . or -' },
      ringTimeoutSec: int(5, 300, 'seconds to ring (default: the routing table\'s, else 30)'),
      callerId: { type: 'string', pattern: '^\\+?[0-9]{1,32}$', description: 'the number the callee sees: 1 to 32 digits, optionally after +' },
      sub: sub('transfer', 'played to the caller before dialing'),
      action: action('where to report a transfer that failed'),
    }),
    oneOf: TRANSFER_TARGETS.map((target) => ({ properties: { [target]: { description: `the target is the ${target}` } }, required: [target] })),
  },
  conference: command('conference', 'into a meeting of the node\'s meeting rooms', {
    callflow: { type: 'string', enum: [...CALL_FLOWS], description: `the conference call flow: ${CALL_FLOWS.join(', ')} (default: the node's, else the routing table's)` },
    room: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'a meeting room id, for the direct call flows: 1 to 64 letters, digits, _ or -' },
    action: action('where to report the caller leaving the meeting'),
  }),
  response: command('response', 'a SIP response to an unanswered call, after optional early media; ends the call', {
    code: { type: 'integer', enum: Object.keys(SIP_RESPONSES).map(Number), description: `a SIP response ARI can send: ${Object.keys(SIP_RESPONSES).join(', ')}` },
    reason: words(100, 'words for the trace and the call-end report'),
    sub: sub('response', 'early media'),
  }, ['code']),
  hangup: command('hangup', 'hang up', { reason: words(100, 'words for the trace and the call-end report') }),
  set: command('set', 'set call variables (msg.call.vars)', {
    vars: {
      type: 'object',
      minProperties: 1,
      maxProperties: MAX_VARS,
      propertyNames: { type: 'string', pattern: VARIABLE_PATTERN, description: 'a variable name: a letter or _, then letters, digits or _ (at most 64)' },
      additionalProperties: { type: ['string', 'number', 'boolean', 'null'], maxLength: 2000, description: 'a value: a string of at most 2000 characters, a number, true or false, or null to remove the variable' },
      description: `1 to ${MAX_VARS} variables by name`,
    },
  }, ['vars']),
  return: command('return', 'give the call back to the Node-RED flow, through the node\'s output of that name', {
    output: { type: 'string', pattern: OUTPUT_PATTERN, description: 'an output name: 1 to 64 letters, digits, _ . or -' },
    payload: { description: 'msg.payload on the way out: any JSON value' },
  }, ['output']),
  command: oneOf(COMMANDS, `a command: ${COMMANDS.join(', ')}`),
};

/** The JSON schema of the callflow form, as docs/http-ivr.schema.json publishes it. */
export const commandSetSchema: Schema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'callflow HTTP IVR command set',
  description:
    'What an application answers to a callflow-http-ivr request (docs/http-ivr.md): a main command, which may nest sub-commands one level deep, secondary commands run after it, and a jump to the next URL. The nesting rules are checked besides this schema.',
  type: 'object',
  additionalProperties: false,
  properties: {
    main: ref('command', 'the main command'),
    secondary: { type: 'array', maxItems: MAX_SECONDARY, items: ref('command', 'a secondary command'), description: `0 to ${MAX_SECONDARY} commands run after the main one` },
    jump: ref('jump', 'the next request, once the commands are done'),
  },
  required: ['main'],
  definitions: commandDefinitions,
};

export const commandSet = new Validator<CommandSet>('HTTP IVR command set', commandSetSchema);

/** One command, as a TwiML verb becomes (the same definitions). */
export const commandValidator = new Validator<Command>('HTTP IVR command', { definitions: commandDefinitions, $ref: '#/definitions/command' });

/** One jump, as TwiML's Redirect becomes. */
export const jumpValidator = new Validator<Jump>('HTTP IVR jump', { definitions: commandDefinitions, $ref: '#/definitions/jump' });
