/**
 * One call driven by an application server (docs/http-ivr.md): request the
 * application, run the program it answers, request again where the program
 * says (a jump, a collect's or record's action), until the program gives
 * the call back to the flow, ends it, hands it off, or runs out of steps
 * (then the call is hung up, as the seed platform does).
 *
 * The caller hanging up aborts the signal: a request in flight is
 * abandoned, the command running is cancelled, and the promise rejects as
 * every element's operation does when its call ends.
 */
import diagnostics from 'node:diagnostics_channel';
import { setTimeout as wait } from 'node:timers/promises';
import type { Telephony } from '../ari/port';
import type { CallRegistry } from '../call/registry';
import type { CallSession } from '../call/session';
import type { ConferenceResult } from '../conference/conference';
import { answer } from '../ivr/answer';
import { collect } from '../ivr/collect';
import { play, playThrough } from '../ivr/play';
import { record } from '../ivr/record';
import { respond } from '../ivr/response';
import type { TransferResult } from '../ivr/transfer';
import { put } from '../own';
import type {
  CallEvent,
  CallFacts,
  CollectCommand,
  Command,
  ConferenceCommand,
  Jump,
  PauseCommand,
  Program,
  PromptCommand,
  RecordCommand,
  Step,
  TransferCommand,
} from './commands';

/** Each request and response of a conversation ({ call, phase }); benchmarks measure the time around them. No cost without a subscriber. */
const requests = diagnostics.channel('callflow:http-ivr');

/** What the application answered: the document and where it came from (relative jumps resolve against it). */
export interface Document {
  url: string;
  contentType: string;
  body: string;
}

/** What a conversation needs from the node that runs it; each is checked there (dial strings, meeting rooms). */
export interface ConversationPorts {
  telephony: Telephony;
  registry: CallRegistry;
  /** One request (retries and fallback included): `target` relative to `current`, the base URL when both are undefined. */
  fetch(target: Jump | undefined, current: string | undefined, facts: CallFacts, event: CallEvent, signal: AbortSignal): Promise<Document>;
  parse(doc: Document): Program;
  /** Dials what the command names, after the node's checks (dial allowlist, dial string template). */
  transfer(session: CallSession, command: TransferCommand, signal: AbortSignal): Promise<TransferResult | { outcome: 'flow'; flow: string }>;
  /** Undefined: no meeting rooms on the node, a conference command is an error. */
  conference?: (session: CallSession, command: ConferenceCommand, signal: AbortSignal) => Promise<ConferenceResult>;
  /** The node's return outputs, by name. */
  outputs: readonly string[];
  language: string;
  /** Requests per call at most (a loop that never ends is stopped). */
  maxRequests: number;
  /** Requests in a row whose program took none of the caller's time (nothing played, asked, dialed) at most. */
  maxIdleRounds: number;
  /** Hears how the program ends the call just before it does (the call-end report is made as the call ends). */
  ending?: (how: 'hangup' | 'response' | 'end-of-commands') => void;
}

export type ConversationResult =
  /** The program gave the call back to the flow through a named output. */
  | { outcome: 'return'; output: number; name: string; payload?: unknown; requests: number }
  /** The program ended the call (hangup, SIP response, no steps left). */
  | { outcome: 'ended'; how: 'hangup' | 'response' | 'end-of-commands'; requests: number }
  /** The call is with someone else: bridged to who it was transferred to, or gone to the dialplan or a queue. */
  | { outcome: 'handed-off'; transfer: TransferResult; requests: number }
  /** The program sent the call to another flow of this connection. */
  | { outcome: 'flow'; flow: string; requests: number };

/** Why a conversation could not go on; the node reports it (error output, or hang up). */
export class ConversationError extends Error {
  constructor(
    message: string,
    readonly reason: 'no-speech-engine' | 'no-meeting-rooms' | 'unknown-output' | 'loop' | 'too-many-requests' | 'media' | 'vars-too-large',
  ) {
    super(message);
    this.name = 'ConversationError';
  }
}

/** Steps that take the caller's time: a program of none of them, repeated, is a loop. */
const TAKES_TIME = new Set(['play', 'say', 'pause', 'collect', 'record', 'transfer', 'conference']);

/**
 * The most a call's variables may weigh, as JSON, after a `set`: they travel in every request's body and in every
 * msg.call, and without a bound an application setting new names at each request (50 a set, 2000 characters each)
 * would make them grow by up to a whole answer per request.
 */
export const MAX_VARS_BYTES = 64 * 1024;

/** Whether a step takes the caller's time; a pause of 0 seconds takes none. */
function takesTime(step: Step): boolean {
  return TAKES_TIME.has(step.command) && !(step.command === 'pause' && step.seconds <= 0);
}

/** The longest pause, in whole seconds of Asterisk's core silence files (silence/1 ... silence/10). */
const SILENCE_FILES = 10;

/** Silence files for a pause among prompts: whole seconds, rounded up, as many files as needed. */
function silence(seconds: number): string[] {
  let left = Math.ceil(seconds);
  const out: string[] = [];
  while (left > 0) {
    const n = Math.min(left, SILENCE_FILES);
    out.push(`sound:silence/${n}`);
    left -= n;
  }
  return out;
}

/** The media of nested prompts, in order (a pause is silence); say needs a speech engine. */
function promptMedia(sub: readonly PromptCommand[] | undefined): string[] {
  const media: string[] = [];
  for (const p of sub ?? []) {
    if (p.command === 'say') throw noSpeech();
    if (p.command === 'pause') media.push(...silence(p.seconds));
    else for (let i = 0; i < (p.loop ?? 1); i += 1) media.push(...p.media);
  }
  return media;
}

function noSpeech(): ConversationError {
  return new ConversationError('say needs a speech engine, and none is configured: play recorded prompts (sound:..., an http(s) URL) instead', 'no-speech-engine');
}

export class Conversation {
  private requests = 0;
  private idleRounds = 0;
  /** The result of the last input-taking step, for the next request. */
  private last: CallEvent | undefined;

  constructor(
    private readonly ports: ConversationPorts,
    private readonly session: CallSession,
    private readonly signal: AbortSignal,
  ) {}

  private facts(): CallFacts {
    const s = this.session;
    return { callId: s.id, caller: s.caller.number, called: s.dialed, flow: s.flow ?? '', vars: s.vars, step: this.requests };
  }

  private async request(target: Jump | undefined, current: string | undefined, event: CallEvent): Promise<{ doc: Document; program: Program }> {
    if (this.requests >= this.ports.maxRequests) {
      throw new ConversationError(`the application was asked ${this.requests} times for this call, the most the node allows (max requests)`, 'too-many-requests');
    }
    this.requests += 1;
    if (requests.hasSubscribers) requests.publish({ call: this.session.id, phase: 'request', step: this.requests });
    // While the application is asked, the caller is between steps, as between elements: keys pressed now are kept for
    // the next collect (type-ahead, lib/call/registry.ts keeps them while `between`), not dropped.
    const session = this.session;
    session.between = true;
    let doc: Document;
    try {
      doc = await this.ports.fetch(target, current, this.facts(), event, this.signal);
    } finally {
      session.between = false;
    }
    if (requests.hasSubscribers) requests.publish({ call: this.session.id, phase: 'response', step: this.requests });
    return { doc, program: this.ports.parse(doc) };
  }

  async run(): Promise<ConversationResult> {
    let { doc, program } = await this.request(undefined, undefined, { event: 'call' });
    for (;;) {
      const next = await this.runProgram(program);
      if ('outcome' in next) return next;
      // A program that took none of the caller's time and asked again: counted, so a jump to itself forever stops.
      this.idleRounds = next.tookTime ? 0 : this.idleRounds + 1;
      if (this.idleRounds >= this.ports.maxIdleRounds) {
        throw new ConversationError(
          `the application answered ${this.idleRounds} times in a row with commands that play nothing and ask nothing before the next request (a loop?)`,
          'loop',
        );
      }
      const event = this.last ?? { event: 'jump' };
      this.last = undefined;
      ({ doc, program } = await this.request(next.jump, doc.url, event));
    }
  }

  /** Runs the steps; a result ends the conversation, a jump asks the application again. */
  private async runProgram(program: Program): Promise<ConversationResult | { jump: Jump; tookTime: boolean }> {
    let tookTime = false;
    for (const step of program.steps) {
      if (takesTime(step)) tookTime = true;
      if (step.command === 'jump') return { jump: step.jump, tookTime };
      const done = await this.runStep(step);
      if (done) return done;
      // TwiML's actions: the input's result goes to the action URL at once.
      const action = 'action' in step ? step.action : undefined;
      if (action && this.last && (step.command !== 'collect' || this.last.event !== 'collect' || this.last.outcome === 'digits' || step.actionOnEmpty)) {
        return { jump: action, tookTime };
      }
    }
    this.ports.ending?.('end-of-commands');
    await this.ports.registry.hangup(this.session, 'normal');
    return { outcome: 'ended', how: 'end-of-commands', requests: this.requests };
  }

  private async runStep(step: Exclude<Step, { command: 'jump' }>): Promise<ConversationResult | undefined> {
    const { telephony, registry } = this.ports;
    const { session, signal } = this;
    const language = this.ports.language;
    switch (step.command) {
      case 'play': {
        if (step.bargeIn) {
          const result = await play(telephony, session, { prompts: step.media, language, bargeIn: true, repeat: step.loop ?? 1, answer: true }, signal);
          // The key stays in the call's buffer for a collect that follows; a jump reports it.
          if (result.outcome === 'interrupted') this.last = { event: 'collect', outcome: 'digits', digits: result.digit ?? '' };
        } else {
          await answer(telephony, session, signal);
          for (let i = 0; i < (step.loop ?? 1); i += 1) await playThrough(telephony, session, step.media, language, signal);
        }
        return undefined;
      }
      case 'say':
        throw noSpeech();
      case 'pause':
        await this.pause(step);
        return undefined;
      case 'collect':
        await this.collect(step);
        return undefined;
      case 'record':
        await this.record(step);
        return undefined;
      case 'transfer': {
        const prompts = promptMedia(step.sub);
        if (prompts.length > 0) {
          await answer(telephony, session, signal);
          await playThrough(telephony, session, prompts, language, signal);
        }
        const result = await this.ports.transfer(session, step, signal);
        if (result.outcome === 'flow') return { outcome: 'flow', flow: result.flow, requests: this.requests };
        if (result.outcome === 'failed') {
          this.last = { event: 'transfer', outcome: 'failed', reason: result.reason, cause: result.cause, ...(result.dialStatus ? { dialStatus: result.dialStatus } : {}) };
          return undefined;
        }
        return { outcome: 'handed-off', transfer: result, requests: this.requests };
      }
      case 'conference': {
        if (!this.ports.conference) throw new ConversationError('conference needs meeting rooms: choose a meeting rooms node in the HTTP IVR node', 'no-meeting-rooms');
        const result = await this.ports.conference(session, step, signal);
        this.last = { event: 'conference', outcome: result.outcome, reason: result.reason };
        return undefined;
      }
      case 'response': {
        const media = promptMedia(step.sub);
        await respond(telephony, registry, session, { code: step.code, reason: step.reason ?? '', media, language }, signal, () => this.ports.ending?.('response'));
        return { outcome: 'ended', how: 'response', requests: this.requests };
      }
      case 'hangup':
        this.ports.ending?.('hangup');
        await registry.hangup(session, 'normal', 'flow', step.reason ? `http-ivr: ${step.reason}` : undefined);
        return { outcome: 'ended', how: 'hangup', requests: this.requests };
      case 'set':
        this.set(step.vars);
        return undefined;
      case 'return': {
        const output = this.ports.outputs.indexOf(step.output);
        if (output < 0) {
          const known = this.ports.outputs.length > 0 ? this.ports.outputs.map((o) => JSON.stringify(o)).join(', ') : 'none';
          throw new ConversationError(`return names the output ${JSON.stringify(step.output.slice(0, 64))}, which the node does not have (its outputs: ${known})`, 'unknown-output');
        }
        return { outcome: 'return', output, name: step.output, ...(step.payload === undefined ? {} : { payload: step.payload }), requests: this.requests };
      }
      default:
        return assertNever(step);
    }
  }

  /** Sets the call's variables, all or none: a set that would make them weigh more than MAX_VARS_BYTES is refused, and none of its values kept. */
  private set(vars: Readonly<Record<string, string | number | boolean | null>>): void {
    const next: Record<string, unknown> = { ...this.session.vars };
    for (const [name, value] of Object.entries(vars)) {
      if (value === null) delete next[name];
      else put(next, name, value);
    }
    let size: number;
    try {
      size = Buffer.byteLength(JSON.stringify(next));
    } catch {
      size = Infinity;
    }
    if (size > MAX_VARS_BYTES) {
      throw new ConversationError(
        `set would make the call's variables ${Number.isFinite(size) ? `${size} bytes` : 'impossible to write'} as JSON, more than the ${MAX_VARS_BYTES} a call keeps (they go with every request and every msg.call): none of this set's values was kept`,
        'vars-too-large',
      );
    }
    this.session.vars = next;
  }

  private async pause(step: PauseCommand): Promise<void> {
    await answer(this.ports.telephony, this.session, this.signal);
    if (step.seconds > 0) await wait(step.seconds * 1000, undefined, { signal: this.signal });
  }

  private async collect(step: CollectCommand): Promise<void> {
    const prompts = promptMedia(step.sub);
    const terminator = step.terminator ?? '#';
    const result = await collect(
      this.ports.telephony,
      this.session,
      {
        prompts,
        minDigits: step.minDigits ?? 1,
        maxDigits: step.maxDigits ?? step.minDigits ?? 1,
        firstDigitTimeoutSec: step.timeoutSec ?? 5,
        interDigitTimeoutSec: step.interDigitTimeoutSec ?? 3,
        terminator,
        retries: step.retries ?? 0,
        invalidPrompts: [],
        // A retry asks again with the same prompts.
        timeoutPrompts: prompts,
        language: this.ports.language,
      },
      this.signal,
    );
    this.last =
      result.outcome === 'timeout'
        ? { event: 'collect', outcome: 'timeout', digits: '' }
        : { event: 'collect', outcome: 'digits', digits: result.digits };
  }

  private async record(step: RecordCommand): Promise<void> {
    const prompts = promptMedia(step.sub);
    const outcome = await record(
      this.ports.telephony,
      this.session,
      {
        prefix: 'http-ivr',
        format: step.format ?? 'wav',
        maxDurationSec: step.maxDurationSec ?? 60,
        maxSilenceSec: step.maxSilenceSec ?? 5,
        beep: step.beep ?? true,
        terminateOn: step.terminator ?? '#',
        prompts,
        language: this.ports.language,
      },
      this.signal,
    );
    const durationSec = outcome.durationSec ?? 0;
    this.last = { event: 'record', outcome: durationSec > 0 ? 'recorded' : 'empty', recording: outcome.name, durationSec };
  }
}

function assertNever(value: never): never {
  throw new Error(`unknown command ${JSON.stringify((value as Command).command)}`);
}
