/**
 * HTTP IVR command sets (docs/http-ivr.md): what an application server
 * answers to each request about a call, and the rules a set obeys.
 *
 * The seed platform (../shared/reference/http-ivr-command-sets.zh.txt) has
 * a set made of three parts: a main command, which may nest sub-commands one
 * level deep; secondary commands, run after it; and a jump command naming
 * the next URL. Not every command may be nested, no command nests itself,
 * some may only be main commands, and a set with no transfer and no jump is
 * hung up once its commands are done.
 *
 * The JSON form is `{ main, secondary?, jump? }` (schema: lib/schemas/
 * http-ivr.ts, published as docs/http-ivr.schema.json); the XML form is
 * `<Response>` with the main command first, then the secondary ones, then
 * `<Jump>`. TwiML (twiml.ts) is a sequence of verbs instead. Both become a
 * Program: steps run in order by conversation.ts.
 */

/** Names of the commands of the callflow form (JSON and XML). */
export const COMMANDS = ['play', 'say', 'pause', 'collect', 'record', 'transfer', 'conference', 'response', 'hangup', 'set', 'return'] as const;
export type CommandName = (typeof COMMANDS)[number];

/** Media to play: sound:, recording:, number:, digits:, characters:, tone: URIs or an http(s) URL (lib/ari/media.ts MEDIA_PATTERN). */
export interface PlayCommand {
  command: 'play';
  media: string[];
  /** Times to play the list, 1 to 100 (default 1). */
  loop?: number;
  /** A key stops it; the key is kept for a collect that follows (default false; prompts nested in collect always stop on a key). */
  bargeIn?: boolean;
}

/** Text to speech: needs a speech engine; none exists yet, so running it is an error that says so. */
export interface SayCommand {
  command: 'say';
  text: string;
  language?: string;
  voice?: string;
  loop?: number;
}

export interface PauseCommand {
  command: 'pause';
  /** 0 to 600 seconds, fractions allowed. */
  seconds: number;
}

/** A prompt inside collect, record, transfer or response. */
export type PromptCommand = PlayCommand | SayCommand | PauseCommand;

export interface CollectCommand {
  command: 'collect';
  /** Default 1. */
  minDigits?: number;
  /** 1 to 64, at least minDigits (default: minDigits). */
  maxDigits?: number;
  /** Seconds to wait for the first key (default 5). */
  timeoutSec?: number;
  /** Seconds to wait between keys (default 3). */
  interDigitTimeoutSec?: number;
  /** The key that ends the entry early (default '#'; '' none). */
  terminator?: '' | '#' | '*';
  /** Prompts played again after a timeout, 0 to 10 more times (default 0). */
  retries?: number;
  /** Prompts played while waiting for keys; a key stops them. */
  sub?: PromptCommand[];
  /** TwiML's Gather action: request this URL with the digits at once (the callflow form reports them to the jump). */
  action?: Jump;
  /** TwiML: without digits, go on with the next step (default) rather than request the action. */
  actionOnEmpty?: boolean;
}

export interface RecordCommand {
  command: 'record';
  /** 1 to 3600 (default 60). */
  maxDurationSec?: number;
  /** 0 to 60, 0 for none (default 5). */
  maxSilenceSec?: number;
  /** Default true. */
  beep?: boolean;
  /** Default '#'. */
  terminator?: 'none' | 'any' | '*' | '#';
  /** Default 'wav'. */
  format?: 'wav' | 'gsm' | 'ulaw' | 'alaw' | 'sln' | 'g722';
  /** Played before the beep. */
  sub?: PromptCommand[];
  action?: Jump;
}

/** Exactly one target: an endpoint (PJSIP/100), a number (through the node's dial string), a queue, or a flow. */
export interface TransferCommand {
  command: 'transfer';
  endpoint?: string;
  number?: string;
  queue?: string;
  flow?: string;
  /** 5 to 300 (default: the routing table's, else 30). */
  ringTimeoutSec?: number;
  /** The number the callee sees (digits, optional +). */
  callerId?: string;
  /** Played to the caller before dialing. */
  sub?: (PlayCommand | SayCommand)[];
  /** Where to report a transfer that failed (busy, no answer...); a connected call is handed off and ends there. */
  action?: Jump;
}

/** Into a meeting of the node's meeting rooms (docs/conferences.md). */
export interface ConferenceCommand {
  command: 'conference';
  /** open, secured, direct_host, direct_participant (default: the node's, else the routing table's). */
  callflow?: 'open' | 'secured' | 'direct_host' | 'direct_participant';
  /** For the direct call flows: the meeting room's id (as the conference node's room setting). */
  room?: string;
  action?: Jump;
}

/** A SIP response (486 Busy Here...) to an unanswered call, after optional early media; ends the call. */
export interface ResponseCommand {
  command: 'response';
  code: number;
  reason?: string;
  sub?: PlayCommand[];
}

export interface HangupCommand {
  command: 'hangup';
  /** Words for the trace and the call-end report. */
  reason?: string;
}

/** Call variables (msg.call.vars): names as the set node takes them; a null value removes one. */
export interface SetCommand {
  command: 'set';
  vars: Record<string, string | number | boolean | null>;
}

/** Gives the call back to the Node-RED flow, through the node's output of that name. */
export interface ReturnCommand {
  command: 'return';
  output: string;
  /** msg.payload on the way out. */
  payload?: unknown;
}

export type Command =
  | PlayCommand
  | SayCommand
  | PauseCommand
  | CollectCommand
  | RecordCommand
  | TransferCommand
  | ConferenceCommand
  | ResponseCommand
  | HangupCommand
  | SetCommand
  | ReturnCommand;

/**
 * The next request: a URL relative to the current one (or absolute), and its method (default the node's).
 * "" is the current URL itself (a relative reference with nothing in it): TwiML's default action.
 */
export interface Jump {
  url: string;
  method?: 'GET' | 'POST';
}

/** The callflow form as the application writes it (JSON, or XML parsed into it). */
export interface CommandSet {
  main: Command;
  secondary?: Command[];
  jump?: Jump;
}

/** What may be nested in what (the document: one level, not every command, never itself). */
export const NESTS: Readonly<Record<CommandName, readonly CommandName[]>> = {
  collect: ['play', 'say', 'pause'],
  record: ['play', 'say', 'pause'],
  transfer: ['play', 'say'],
  response: ['play'],
  play: [],
  say: [],
  pause: [],
  conference: [],
  hangup: [],
  set: [],
  return: [],
};

/** Commands that may only be the main command of a set. */
export const MAIN_ONLY: ReadonlySet<CommandName> = new Set(['collect', 'record', 'transfer', 'conference', 'response']);

/** Commands after which nothing runs: nothing may follow them, not even a jump. */
export const ENDS_SET: ReadonlySet<CommandName> = new Set(['response', 'hangup', 'return']);

/** The rules a set can break; an error names the command, where it is, and the rule. */
export type Rule =
  /** The body is not what its content type says (not JSON, not well-formed XML, not UTF-8), or XML this parser refuses (DOCTYPE, processing instructions, too deep, too many elements). */
  | 'syntax'
  /** The response's content type is not one the mode takes. */
  | 'content-type'
  | 'schema'
  | 'unknown-command'
  | 'nesting-depth'
  | 'self-nesting'
  | 'not-nestable'
  | 'main-only'
  | 'unreachable'
  | 'twiml-unsupported';

export class CommandSetError extends Error {
  constructor(
    message: string,
    readonly rule: Rule,
    /** Where: e.g. "main.sub[1]", "secondary[0]", "Response/Gather[0]/Dial". */
    readonly path: string,
  ) {
    super(message);
    this.name = 'CommandSetError';
  }
}

/** One step of a program: a command; a `jump` step requests the next URL with the last input's result. */
export type Step = Command | { command: 'jump'; jump: Jump };

/** What conversation.ts runs: the steps in order; after the last one, the call is hung up. */
export interface Program {
  steps: Step[];
  /** Where it came from (for messages and the trace). */
  form: 'json' | 'xml' | 'twiml';
}

/**
 * What a request tells the application happened since the last one: the
 * first request of a call (`call`), the result of the last input-taking
 * command (collect, record, a failed transfer, a meeting left), or a jump
 * with no input in between. requests.ts writes it as parameters, in the
 * callflow names or in Twilio's.
 */
export type CallEvent =
  | { event: 'call' }
  | { event: 'jump' }
  | { event: 'collect'; outcome: 'digits' | 'timeout'; digits: string; /** The terminator key pressed, if any. */ terminator?: string }
  | { event: 'record'; outcome: 'recorded' | 'empty'; /** Play it back as recording:<name>. */ recording: string; durationSec: number; terminator?: string }
  | { event: 'transfer'; outcome: 'failed'; reason: string; cause: number; dialStatus?: string }
  | { event: 'conference'; outcome: 'left' | 'ended' | 'refused'; reason: string };

/** The call as a request describes it. */
export interface CallFacts {
  callId: string;
  /** The caller's number. */
  caller: string;
  /** The number dialed. */
  called: string;
  flow: string;
  vars: Record<string, unknown>;
  /** Requests made for this call so far, this one included (1 for the first). */
  step: number;
}
