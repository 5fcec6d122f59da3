/**
 * TwiML voice documents as a Program: the common verbs and attributes, so an existing TwiML application
 * runs on Asterisk unchanged, and a clear `twiml-unsupported` error naming what is not (never silence, never
 * an attribute quietly dropped that changes what the caller gets). Each step is checked with its command's
 * schema (lib/schemas/http-ivr.ts), so values get the callflow form's limits, with errors naming the TwiML
 * element and attribute (Response/Gather/Say[2]/@loop).
 *
 * Twilio's documentation, each verb's page (attributes, allowed values, defaults):
 *   https://www.twilio.com/docs/voice/twiml/say      https://www.twilio.com/docs/voice/twiml/play
 *   https://www.twilio.com/docs/voice/twiml/pause    https://www.twilio.com/docs/voice/twiml/gather
 *   https://www.twilio.com/docs/voice/twiml/record   https://www.twilio.com/docs/voice/twiml/dial
 *   https://www.twilio.com/docs/voice/twiml/number   https://www.twilio.com/docs/voice/twiml/redirect
 *   https://www.twilio.com/docs/voice/twiml/reject   https://www.twilio.com/docs/voice/twiml/hangup
 *
 * What is supported (for docs/http-ivr.md):
 *
 * | TwiML | becomes | supported | ignored | refused (twiml-unsupported) |
 * |---|---|---|---|---|
 * | `<Say>` text | say | loop (0: 100 times; Twilio's 0 is "until hangup, at most 1000"), voice, language | | SSML elements inside |
 * | `<Play>` URL | play | loop (as Say), the URL (http(s), or this platform's sound:, recording:... URIs) | | digits (Twilio plays DTMF tones; ARI's digits: media would say the digits instead) |
 * | `<Pause>` | pause | length (default 1) | | |
 * | `<Gather>` | collect | input="dtmf", action (default: the current URL), method (default POST), timeout (first key and between keys, default 5), finishOnKey (#, * or "", default #), numDigits (default: up to 64), actionOnEmptyResult; nested Say, Play, Pause | language, hints, speechTimeout, speechModel, profanityFilter, enhanced, partialResultCallback(Method): speech recognition only | input with speech, finishOnKey a digit |
 * | `<Record>` | record | action (default: the current URL), method (default POST), timeout (silence, default 5), maxLength (default 3600), finishOnKey (all keys, one of # *, or "", default all keys), playBeep (default true), transcribe="false" | trim | transcribe="true", transcribeCallback, recordingStatusCallback(Method, Event), other finishOnKey sets |
 * | `<Dial>` | transfer | action, method (default POST), timeout (5 to 300), callerId; one target: a number as text or `<Number>`, or `<Sip>` through the node's SIP endpoint | trim | a second target, `<Client>`, `<Conference>`, `<Queue>`, `<Sim>`, `<Application>`; record, hangupOnStar, answerOnBridge other than false; timeLimit, ringTone and the rest; any attribute of `<Number>`/`<Sip>` |
 * | `<Hangup>` | hangup | | | |
 * | `<Redirect>` URL | jump | method (default POST) | | |
 * | `<Reject>` | response | reason: rejected (603, the default), busy (486) | | |
 * | other verbs | | | | Enqueue, Leave, Connect, Stream, Start, Stop, Refer, Pay, Prompt, Sms, Message, Echo... |
 *
 * How they run (conversation.ts): verbs after Hangup, Redirect and Reject are never reached, and are not
 * read (Twilio: "unreachable and ignored"). Gather with digits requests its action; without, the next verb
 * runs (or the action, with actionOnEmptyResult="true"). Record requests its action unless the recording is
 * empty. Dial: a connected call is handed over and ends there (Twilio would run the action or the next
 * verb after the callee hangs up); a failed one requests the action if there is one, else the next verb.
 * Numbers are dialled as written, less the formatting characters (spaces, - . ( )), through the node's dial
 * string: there is no notion of a country here.
 */
import { shownValue } from '../schemas/validator';
import { CommandSetError, type Command, type Program, type Step } from './commands';
import { checkStep, type Segment } from './rules';
import { XmlPlaces, noChildren, noText, readXml, textOf, type XmlElement } from './xml-tree';

export interface TwimlOptions {
  /** The PJSIP endpoint that <Sip> URIs are dialled through (PJSIP/<endpoint>/<sip: URI>); none: <Sip> is refused. */
  sipEndpoint?: string;
}

const VERBS = ['Say', 'Play', 'Pause', 'Gather', 'Record', 'Dial', 'Hangup', 'Redirect', 'Reject'];
/** Twilio's other voice verbs and nouns: named as TwiML this platform does not run, rather than as unknown elements. */
const OTHER_TWIML = new Set(['Enqueue', 'Leave', 'Connect', 'Stream', 'Start', 'Stop', 'Refer', 'Pay', 'Prompt', 'Sms', 'Message', 'Echo', 'Queue', 'Client', 'Conference', 'Sim', 'Application', 'Siprec', 'Transcription', 'VirtualAgent', 'ConversationRelay', 'Assistant', 'Autopilot']);
/** Gather's attributes that tune speech recognition, which input="dtmf" does not use. */
const SPEECH_ONLY = ['language', 'hints', 'speechTimeout', 'speechModel', 'profanityFilter', 'enhanced', 'partialResultCallback', 'partialResultCallbackMethod'];
const ALL_KEYS = '0123456789*#';
/** A phone number as people write it: digits, + * #, and spaces - . ( ) that are dropped. */
const WRITTEN_NUMBER = /^[0-9+*#\s().-]+$/;
const dialled = (text: string): string => (WRITTEN_NUMBER.test(text) ? text.replace(/[\s().-]/g, '') : text);

function unsupported(place: string, text: string): never {
  throw new CommandSetError(`${place}: ${text}`, 'twiml-unsupported', place);
}

function invalid(place: string, text: string): never {
  throw new CommandSetError(`${place}: ${text}`, 'schema', place);
}

/** One verb being read: its attributes, each used once, and where the step's parts came from. */
class Verb {
  private readonly used = new Set<string>();

  constructor(
    readonly el: XmlElement,
    readonly at: Segment[],
    readonly places: XmlPlaces,
  ) {
    places.set(at, el.path);
    places.set([...at, 'command'], el.path);
  }

  /** The attribute's text, and that the step's `field` comes from it. */
  text(name: string, field = name): string | undefined {
    this.used.add(name);
    const value = this.el.attributes.get(name);
    if (value !== undefined) this.places.set([...this.at, ...field.split('.')], `${this.el.path}/@${name}`);
    return value;
  }

  /** A number as TwiML writes it; other text goes on as text, for the schema to say what it expected. */
  number(name: string, field = name): number | string | undefined {
    const value = this.text(name, field);
    if (value === undefined) return undefined;
    return /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
  }

  /** Twilio's loop: 0 repeats until the call ends (at most 1000 times); here at most 100. */
  loop(): number | string | undefined {
    const loop = this.number('loop');
    return loop === 0 ? 100 : loop;
  }

  bool(name: string, field = name): boolean | string | undefined {
    const value = this.text(name, field);
    return value === 'true' ? true : value === 'false' ? false : value;
  }

  /** Attributes Twilio has that change nothing here (see the table). */
  ignore(...names: string[]): void {
    for (const n of names) this.used.add(n);
  }

  /** An attribute taken only with the value that changes nothing: record="false" and the like. */
  onlyAs(name: string, ...allowed: string[]): void {
    const value = this.text(name);
    if (value !== undefined && !allowed.includes(value)) unsupported(`${this.el.path}/@${name}`, `<${this.el.name} ${name}=${shownValue(value)}> is not supported (only ${allowed.map((a) => `"${a}"`).join(' or ')})`);
  }

  /** Refuses the attributes no reader used. */
  done(): void {
    for (const name of this.el.attributes.keys()) {
      if (this.used.has(name)) continue;
      const supported = [...this.used].filter((u) => !SPEECH_ONLY.includes(u) || this.el.name !== 'Gather');
      unsupported(`${this.el.path}/@${name}`, `the ${name} attribute of <${this.el.name}> is not supported${supported.length ? ` (supported: ${supported.join(', ')})` : ''}`);
    }
  }
}

/** A step without the attributes nobody gave (undefined ones). */
function step<T extends Record<string, unknown>>(fields: T): T {
  for (const key of Object.keys(fields)) if (fields[key] === undefined) delete fields[key];
  return fields;
}

function say(v: Verb): Command {
  const ssml = v.el.children[0];
  if (ssml) unsupported(ssml.path, `SSML (<${ssml.name}>) in <Say> is not supported: <Say> takes plain text`);
  v.places.set([...v.at, 'text'], v.el.path);
  const text = textOf(v.el);
  if (text === '') invalid(v.el.path, 'needs the text to say as its text');
  return step({ command: 'say', text, loop: v.loop(), voice: v.text('voice'), language: v.text('language') }) as Command;
}

function play(v: Verb): Command {
  noChildren(v.el, '<Play>', 'twiml-unsupported');
  if (v.el.attributes.has('digits')) {
    unsupported(`${v.el.path}/@digits`, '<Play digits> plays DTMF tones into the call, which this platform does not do (ARI\'s digits: media would say the digits instead)');
  }
  const url = textOf(v.el);
  if (url === '') invalid(v.el.path, 'needs the URL to play as its text');
  v.places.set([...v.at, 'media'], v.el.path);
  v.places.set([...v.at, 'media', 0], v.el.path);
  return step({ command: 'play', media: [url], loop: v.loop() }) as Command;
}

function pause(v: Verb): Command {
  noText(v.el, '<Pause>');
  noChildren(v.el, '<Pause>');
  return { command: 'pause', seconds: v.number('length', 'seconds') ?? 1 } as Command;
}

function action(v: Verb, defaultUrl: string | undefined): { url: string; method: string } | undefined {
  const url = v.text('action', 'action.url') ?? defaultUrl;
  const method = v.text('method', 'action.method') ?? 'POST';
  if (url === undefined) return undefined;
  v.places.set([...v.at, 'action'], `${v.el.path}/@action`);
  return { url, method };
}

function gather(v: Verb): Command {
  const input = v.text('input');
  if (input !== undefined && input.trim() !== 'dtmf') unsupported(`${v.el.path}/@input`, `<Gather input=${shownValue(input)}>: only "dtmf" is supported (there is no speech recognition)`);
  v.ignore(...SPEECH_ONLY);
  const timeout = v.number('timeout', 'timeoutSec') ?? 5;
  if (v.el.attributes.has('timeout')) v.places.set([...v.at, 'interDigitTimeoutSec'], `${v.el.path}/@timeout`);
  const finishOnKey = v.text('finishOnKey', 'terminator') ?? '#';
  if (!['', '#', '*'].includes(finishOnKey)) unsupported(`${v.el.path}/@finishOnKey`, `<Gather finishOnKey=${shownValue(finishOnKey)}>: only #, * or "" (none) end an entry here`);
  noText(v.el, '<Gather>');
  v.places.set([...v.at, 'sub'], v.el.path);
  const sub = v.el.children.map((child, i) => {
    if (!['Say', 'Play', 'Pause'].includes(child.name)) throw new CommandSetError(`${child.path}: <${child.name}> may not be nested in <Gather>; <Gather> nests only <Say>, <Play> or <Pause>`, 'not-nestable', child.path);
    return verb(child, [...v.at, 'sub', i], v.places);
  });
  return step({
    command: 'collect',
    minDigits: 1,
    maxDigits: v.number('numDigits', 'maxDigits') ?? 64,
    timeoutSec: timeout,
    interDigitTimeoutSec: timeout,
    terminator: finishOnKey,
    sub: sub.length > 0 ? sub : undefined,
    action: action(v, ''),
    actionOnEmpty: v.bool('actionOnEmptyResult', 'actionOnEmpty'),
  }) as Command;
}

function recordTerminator(v: Verb): string {
  const keys = v.text('finishOnKey', 'terminator');
  if (keys === undefined) return 'any';
  const set = new Set(keys);
  if (keys === '') return 'none';
  if (set.size === ALL_KEYS.length && [...set].every((k) => ALL_KEYS.includes(k))) return 'any';
  if (keys === '#' || keys === '*') return keys;
  return unsupported(`${v.el.path}/@finishOnKey`, `<Record finishOnKey=${shownValue(keys)}>: only all keys, # alone, * alone or "" (none) end a recording here`);
}

function record(v: Verb): Command {
  noText(v.el, '<Record>');
  noChildren(v.el, '<Record>');
  v.onlyAs('transcribe', 'false');
  v.ignore('trim');
  return step({
    command: 'record',
    maxDurationSec: v.number('maxLength', 'maxDurationSec') ?? 3600,
    maxSilenceSec: v.number('timeout', 'maxSilenceSec') ?? 5,
    terminator: recordTerminator(v),
    beep: v.bool('playBeep', 'beep') ?? true,
    action: action(v, ''),
  }) as Command;
}

function dialTarget(v: Verb, options: TwimlOptions): Record<string, string> {
  const text = textOf(v.el);
  const nouns = v.el.children;
  if (text !== '' && nouns.length > 0) invalid(v.el.path, 'takes a number as its text, or nouns (<Number>, <Sip>), not both');
  if (nouns.length > 1) unsupported((nouns[1] as XmlElement).path, '<Dial> with more than one target is not supported (it would ring them all at once)');
  const noun = nouns[0];
  if (!noun) {
    v.places.set([...v.at, 'number'], v.el.path);
    return text === '' ? {} : { number: dialled(text) };
  }
  noChildren(noun, `<${noun.name}>`);
  const extra = [...noun.attributes.keys()][0];
  if (extra !== undefined && (noun.name === 'Number' || noun.name === 'Sip')) unsupported(`${noun.path}/@${extra}`, `the ${extra} attribute of <${noun.name}> is not supported (<${noun.name}> takes none here)`);
  const value = textOf(noun);
  if (noun.name === 'Number') {
    v.places.set([...v.at, 'number'], noun.path);
    return { number: dialled(value) };
  }
  if (noun.name === 'Sip') {
    if (!options.sipEndpoint) unsupported(noun.path, '<Sip> needs the node\'s SIP endpoint to send the call through, and none is set');
    if (!/^sips?:/i.test(value)) invalid(noun.path, `is not a sip: or sips: URI (got ${shownValue(value)})`);
    v.places.set([...v.at, 'endpoint'], noun.path);
    return { endpoint: `PJSIP/${options.sipEndpoint}/${value}` };
  }
  return unsupported(noun.path, `<Dial> to <${noun.name}> is not supported (only a number, <Number> or <Sip>)`);
}

function dial(v: Verb, options: TwimlOptions): Command {
  v.onlyAs('record', 'false', 'do-not-record');
  v.onlyAs('hangupOnStar', 'false');
  v.onlyAs('answerOnBridge', 'false');
  v.ignore('trim');
  const callerId = v.text('callerId');
  return step({
    command: 'transfer',
    ...dialTarget(v, options),
    ringTimeoutSec: v.number('timeout', 'ringTimeoutSec') ?? 30,
    callerId: callerId === undefined ? undefined : dialled(callerId),
    action: action(v, undefined),
  }) as Command;
}

function verb(el: XmlElement, at: Segment[], places: XmlPlaces, options: TwimlOptions = {}): Step {
  const v = new Verb(el, at, places);
  let out: Step;
  switch (el.name) {
    case 'Say':
      out = say(v);
      break;
    case 'Play':
      out = play(v);
      break;
    case 'Pause':
      out = pause(v);
      break;
    case 'Gather':
      out = gather(v);
      break;
    case 'Record':
      out = record(v);
      break;
    case 'Dial':
      out = dial(v, options);
      break;
    case 'Hangup':
      noText(el, '<Hangup>');
      noChildren(el, '<Hangup>');
      out = { command: 'hangup', reason: 'TwiML Hangup' };
      break;
    case 'Redirect': {
      noChildren(el, '<Redirect>');
      places.set([...at, 'jump'], el.path);
      places.set([...at, 'jump', 'url'], el.path);
      const url = textOf(el);
      if (url === '') invalid(el.path, 'needs a URL as its text');
      out = { command: 'jump', jump: { url, method: v.text('method', 'jump.method') ?? 'POST' } as { url: string; method: 'GET' | 'POST' } };
      break;
    }
    case 'Reject': {
      noText(el, '<Reject>');
      noChildren(el, '<Reject>');
      const reason = v.text('reason') ?? 'rejected';
      if (reason !== 'rejected' && reason !== 'busy') invalid(`${el.path}/@reason`, `is rejected or busy (got ${shownValue(reason)})`);
      out = { command: 'response', code: reason === 'busy' ? 486 : 603, reason: `TwiML Reject (${reason})` };
      break;
    }
    default:
      if (OTHER_TWIML.has(el.name)) unsupported(el.path, `<${el.name}> is a TwiML verb this platform does not run (it runs ${VERBS.map((n) => `<${n}>`).join(', ')})`);
      unsupported(el.path, `<${el.name}> is not a TwiML voice verb (the verbs run here are ${VERBS.map((n) => `<${n}>`).join(', ')})`);
  }
  v.done();
  return checkStep(out, at, places);
}

/** A TwiML document's <Response>, as a Program (each step checked). */
export function twimlProgram(root: XmlElement, options: TwimlOptions = {}): Program {
  if (root.name !== 'Response') invalid(root.path, `the root element is <${root.name}>; TwiML is a <Response>`);
  noText(root, '<Response>');
  const places = new XmlPlaces((name) => name);
  places.set([], root.path);
  const steps: Step[] = [];
  for (const el of root.children) {
    const s = verb(el, ['steps', steps.length], places, options);
    steps.push(s);
    // Twilio: verbs after these are unreachable and ignored.
    if (s.command === 'hangup' || s.command === 'jump' || s.command === 'response') break;
  }
  return { steps, form: 'twiml' };
}

/** A TwiML document, read (xml-tree.ts) and turned into a Program. */
export function parseTwiml(source: string, options: TwimlOptions = {}): Program {
  return twimlProgram(readXml(source), options);
}
