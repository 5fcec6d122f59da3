/**
 * Dial strings as Asterisk parses them, and the checks that keep a value
 * from a caller (a SIP header, keys pressed, a contact list) from choosing
 * where Asterisk calls.
 *
 * What Asterisk does with the endpoint of POST /channels and
 * /channels/create (res/ari/resource_channels.c): the text before the first
 * "/" is the channel technology (found without regard to case,
 * main/channel.c), the rest goes to the technology's requester as it is.
 * ARI does not split on "&"; the Dial() application does (apps/app_dial.c),
 * so a value that reaches Dial() through the dialplan (a Local channel) is
 * split there.
 *
 * - PJSIP (channels/chan_pjsip.c, request()): "<endpoint>[/<location>]",
 *   split at the first "/" by Asterisk's argument parser (which also reads
 *   quotes, backslashes, parentheses and brackets); "<user>@<endpoint>"
 *   dials the user through the endpoint. The location is an AOR list
 *   (commas) or, when no AOR has a contact, any URI, used as the request URI
 *   (res/res_pjsip_session.c, ast_sip_session_create_outgoing): so
 *   "trunk/sip:+19005550100@evil.example.com" calls that host through the
 *   trunk's account. Only sip: and sips: URIs make a dialog (res/res_pjsip.c,
 *   ast_sip_create_dialog_uac).
 * - Local (main/core_local.c, local_alloc): "<exten>@<context>[/<options>]",
 *   the options after the last "/", the context after the first "@"
 *   ("default" when there is none): the call runs that dialplan extension.
 * - Other technologies have syntaxes this module does not know: a value put
 *   into one may only be a single token.
 *
 * A template (written by the flow author) says where each value goes; a
 * value is checked against what its place allows BEFORE it is put in, the
 * dial string made is parsed again and must be one destination of a known
 * shape, and a connection's allowlist says which destinations it may dial.
 */

import { codePoint, controlCharacter } from './variables';

/** The longest value a placeholder may put into a dial string (Asterisk's extensions and contexts hold 80). */
export const MAX_VALUE_LENGTH = 80;
export const MAX_DIAL_STRING_LENGTH = 200;
/** What a connection may dial when its settings say nothing: any PJSIP endpoint by name, and numbers through the endpoint "trunk". */
export const DEFAULT_DIAL_ALLOWLIST = 'PJSIP/* PJSIP/*@trunk';

/** Where in a dial string a value sits. */
export type Part = 'endpoint' | 'user' | 'aor' | 'uri-user' | 'exten' | 'context' | 'resource';

const PART_NAMES: Record<Part, string> = {
  endpoint: 'a PJSIP endpoint name',
  user: 'the number (user) dialed through a PJSIP endpoint',
  aor: 'a PJSIP AOR name',
  'uri-user': 'the user part of a SIP URI',
  exten: 'a dialplan extension',
  context: 'a dialplan context',
  resource: 'a part of a dial string',
};

/** Which placeholders a template takes: an endpoint's ({vars.name}, {caller}, {dialed}, {callId}) or a dial string's ({number}). */
export type TemplateKind = 'endpoint' | 'dial-string';

/**
 * A value as an error quotes it: JSON (escapes keep a log line one line),
 * cut after 80 characters with its length, so a value of thousands of
 * characters makes a message one can read.
 */
export function quoted(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 76)}..." (${typeof value === 'string' ? value.length : text.length} characters)` : text;
}

export class DialStringError extends RangeError {
  override readonly name = 'DialStringError';
  constructor(
    /** The setting the text came from (endpoint, number, dialString). */
    readonly field: string,
    /** The value or dial string refused. */
    readonly value: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

// ---------------------------------------------------------------------------
// Characters

/** Letters, digits and _ . + * # -: what a name, a number or an extension is made of. */
function isToken(c: string): boolean {
  return /^[A-Za-z0-9_.+*#-]$/.test(c);
}

const NUMBER = /^\+?[0-9*#]{1,32}$/;

/** Stands for one placeholder (or one allowlist wildcard) while a shape is parsed. */
const HOLE = '\uE000';

/** A character, named so a user sees what is wrong with it and why. */
function describeChar(c: string): string {
  if (controlCharacter(c) !== undefined) return `a control character (${codePoint(c)})`;
  if (/\s/.test(c)) return 'whitespace';
  switch (c) {
    case '&':
      return '"&", which Dial() reads as a second destination';
    case '/':
      return '"/", which separates the parts of a dial string';
    case '@':
      return '"@", which separates a number or extension from the endpoint or context';
    case ',':
      return '",", which separates arguments and AOR lists';
    case '$':
      return '"$", which starts an Asterisk expression';
    case ':':
      return '":", which starts a URI';
    case '(':
    case ')':
    case '[':
    case ']':
    case '"':
    case '\\':
      return `${quoted(c)}, which Asterisk's argument parser reads`;
    default:
      return quoted(c);
  }
}

/** Why a value may not stand in a dial string at `part`, or undefined. */
function valueProblem(value: string, part: Part): string | undefined {
  if (value.length === 0) return 'is empty';
  if (value.length > MAX_VALUE_LENGTH) return `is longer than ${MAX_VALUE_LENGTH} characters`;
  const control = controlCharacter(value);
  if (control !== undefined) return `contains ${describeChar(control)}`;
  if (/\$[{[]/.test(value)) return 'contains an Asterisk expression (${...} or $[...])';
  if (/^(sips?|tel):/i.test(value)) return 'is a URI (sip:, sips: or tel:), which only the dial string itself may write';
  for (const c of value) if (!isToken(c)) return `contains ${describeChar(c)}`;
  if (part === 'exten' && value.startsWith('_')) return 'starts with "_", which makes a dialplan extension a pattern';
  return undefined;
}

// ---------------------------------------------------------------------------
// Shapes

interface Span {
  part: Part;
  from: number;
  to: number;
}

/** A dial string's technology and where its values are (or, for a template, its placeholders). */
interface Shape {
  tech: string;
  /** Where the resource (after "Technology/") starts. */
  rest: number;
  spans: Span[];
}

/** The shape of `s` (with `hole`, what a HOLE stands for: holes allowed where values go), or why it is not one destination. */
function shapeOf(s: string, hole?: string): Shape | string {
  if (s.length === 0) return 'is empty';
  if (s.length > MAX_DIAL_STRING_LENGTH) return `is longer than ${MAX_DIAL_STRING_LENGTH} characters`;
  for (const c of s) {
    if ((c !== HOLE || hole === undefined) && !isToken(c) && !'/@:;=[]'.includes(c)) return `contains ${describeChar(c)}`;
  }
  const slash = s.indexOf('/');
  if (slash <= 0) return 'has no technology: write Technology/resource, e.g. PJSIP/100';
  const tech = s.slice(0, slash);
  if (tech.includes(HOLE)) return `has ${hole} in the technology name`;
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(tech)) return `has no valid technology name before "/" (got ${quoted(tech)})`;
  if (slash === s.length - 1) return 'has nothing after the technology';
  const spans: Span[] = [];
  const shape: Shape = { tech, rest: slash + 1, spans };
  const value = (from: number, to: number, part: Part): string | undefined => {
    if (from >= to) return `has an empty ${part === 'user' || part === 'uri-user' ? 'user before "@"' : PART_NAMES[part].replace(/^an? /, '')}`;
    for (let i = from; i < to; i += 1) {
      const c = s[i] ?? '';
      if (c !== HOLE && !isToken(c)) return `has ${describeChar(c)} in ${PART_NAMES[part]}`;
    }
    spans.push({ part, from, to });
    return undefined;
  };
  const why = tech.toLowerCase() === 'pjsip' ? pjsipShape(s, slash + 1, value, hole) : tech.toLowerCase() === 'local' ? localShape(s, slash + 1, value, hole) : otherShape(s, slash + 1, spans);
  return why ?? shape;
}

type ValueAt = (from: number, to: number, part: Part) => string | undefined;

function pjsipShape(s: string, base: number, value: ValueAt, hole = 'a placeholder'): string | undefined {
  const second = s.indexOf('/', base);
  const firstEnd = second < 0 ? s.length : second;
  const at = s.indexOf('@', base);
  let why: string | undefined;
  if (at >= 0 && at < firstEnd) {
    if (s.indexOf('@', at + 1) >= 0 && s.indexOf('@', at + 1) < firstEnd) return 'has two "@" before the endpoint';
    why = value(base, at, 'user') ?? value(at + 1, firstEnd, 'endpoint');
  } else {
    why = value(base, firstEnd, 'endpoint');
  }
  if (why || second < 0) return why;
  const location = s.slice(second + 1);
  if (location.length === 0) return 'ends with "/": no location after the endpoint';
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(location);
  if (!scheme) return value(second + 1, s.length, 'aor');
  if (!/^sips?$/i.test(scheme[1] ?? '')) return `dials a ${scheme[1] ?? ''}: URI; chan_pjsip dials only sip: and sips: URIs`;
  const from = second + 1 + scheme[0].length;
  const uri = s.slice(from);
  const uriAt = uri.indexOf('@');
  if (uriAt >= 0) {
    const bad = value(from, from + uriAt, 'uri-user');
    if (bad) return bad;
  }
  const hostPort = uri.slice(uriAt + 1);
  if (hostPort.includes(HOLE)) return `has ${hole} in the host, port or parameters of a SIP URI`;
  if (!/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*)(:[0-9]{1,5})?(;[A-Za-z0-9_.-]+(=[A-Za-z0-9_.-]+)?)*$/.test(hostPort)) {
    return `has ${quoted(hostPort)} where a SIP URI's host[:port][;parameters] go`;
  }
  return undefined;
}

function localShape(s: string, base: number, value: ValueAt, hole = 'a placeholder'): string | undefined {
  let end = s.length;
  const lastSlash = s.lastIndexOf('/');
  if (lastSlash >= base) {
    const options = s.slice(lastSlash + 1);
    if (options.includes(HOLE)) return `has ${hole} in the Local channel options`;
    if (!/^[njm]{1,3}$/.test(options)) return `has "/${options}" where Local channel options (n, j, m) go`;
    end = lastSlash;
  }
  const at = s.indexOf('@', base);
  if (at < 0 || at >= end) return 'names no context: write Local/<extension>@<context>';
  return value(base, at, 'exten') ?? value(at + 1, end, 'context');
}

function otherShape(s: string, base: number, spans: Span[]): string | undefined {
  let from = base;
  for (let i = base; i < s.length; i += 1) {
    const c = s[i] ?? '';
    if (c === ';' || c === '[' || c === ']') return `has ${describeChar(c)}, which this technology's dial strings do not take`;
    if (c === '/' && (i === base || s[i - 1] === '/')) return 'has an empty part between two "/"';
    if (c === '/' || c === '@' || c === ':' || c === '=') {
      if (i > from) spans.push({ part: 'resource', from, to: i });
      from = i + 1;
    }
  }
  if (s.endsWith('/')) return 'ends with "/"';
  if (s.length > from) spans.push({ part: 'resource', from, to: s.length });
  return undefined;
}

// ---------------------------------------------------------------------------
// Templates

export interface Placeholder {
  /** number, caller, dialed, callId or vars.<name>. */
  name: string;
  part: Part;
}

export interface DialTemplate {
  readonly text: string;
  readonly kind: TemplateKind;
  /** In the order they appear. */
  readonly placeholders: readonly Placeholder[];
}

const ENDPOINT_PLACEHOLDER = /^(vars\.[A-Za-z_][A-Za-z0-9_]*|caller|dialed|callId)$/;

/** The template's placeholders and where each goes, or why it is not a template of one destination. */
export function parseDialTemplate(text: string, kind: TemplateKind): DialTemplate | string {
  if (text.includes(HOLE)) return `contains ${describeChar(HOLE)}`;
  const names: string[] = [];
  let bad: string | undefined;
  const shapeText = text.replace(/\{([^{}]*)\}/g, (_whole, name: string) => {
    const known = kind === 'dial-string' ? name === 'number' : ENDPOINT_PLACEHOLDER.test(name);
    if (!known && bad === undefined) {
      bad = kind === 'dial-string' ? `{${name}} is not a placeholder of a dial string (it takes {number})` : `{${name}} is not a placeholder of an endpoint (use {vars.name}, {caller}, {dialed} or {callId})`;
    }
    names.push(name);
    return HOLE;
  });
  if (bad) return bad;
  if (/[{}]/.test(shapeText)) return 'has a "{" or "}" that is not part of a placeholder';
  if (kind === 'dial-string' && names.length === 0) return 'has no {number} in it';
  const shape = shapeOf(shapeText, 'a placeholder');
  if (typeof shape === 'string') return shape;
  const placeholders: Placeholder[] = [];
  let n = 0;
  for (let i = 0; i < shapeText.length; i += 1) {
    if (shapeText[i] !== HOLE) continue;
    const span = shape.spans.find((sp) => sp.from <= i && i < sp.to);
    // shapeOf places every hole in a span or refuses the text; this only keeps the compiler sure.
    if (!span) return 'has a placeholder where no value can go';
    placeholders.push({ name: names[n] ?? '', part: span.part });
    n += 1;
  }
  return { text, kind, placeholders };
}

/** Why a template is refused (for the forms and deploy checks), or undefined. */
export function dialTemplateProblem(text: string, kind: TemplateKind): string | undefined {
  const t = parseDialTemplate(text, kind);
  return typeof t === 'string' ? `${quoted(text)} ${t}` : undefined;
}

/** Why a finished dial string is not one destination of a known shape, or undefined. */
export function dialStringProblem(text: string): string | undefined {
  const shape = shapeOf(text);
  return typeof shape === 'string' ? shape : undefined;
}

function asValue(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'bigint') return v.toString();
  return undefined;
}

/**
 * The dial string the template makes with these values. Each value is
 * checked against what its place allows before it is put in, and the result
 * is parsed again: a DialStringError names the field, the value and why.
 */
export function fillDialTemplate(template: DialTemplate, valueOf: (name: string) => unknown, field: string): string {
  const values = template.placeholders.map(({ name, part }) => {
    const raw = valueOf(name);
    if (raw === undefined || raw === null) throw new DialStringError(field, template.text, `${template.text} needs ${name}, which this call does not have`);
    const value = asValue(raw);
    if (value === undefined) throw new DialStringError(field, JSON.stringify(raw) ?? typeof raw, `the value of {${name}} is a ${typeof raw}, not text or a number`);
    if (name === 'number' && !NUMBER.test(value)) {
      throw new DialStringError(field, value, `the number ${quoted(value)} is not a phone number (1 to 32 digits, * or #, with an optional leading +)`);
    }
    const problem = valueProblem(value, part);
    if (problem) throw new DialStringError(field, value, `the value ${quoted(value)} of {${name}} cannot be used as ${PART_NAMES[part]}: it ${problem}`);
    return value;
  });
  let i = 0;
  const made = template.text.replace(/\{[^{}]*\}/g, () => values[i++] ?? '');
  const why = dialStringProblem(made);
  if (why) throw new DialStringError(field, made, `${quoted(made)} is not one destination: it ${why}`);
  return made;
}

/**
 * Refuses a dialplan target (ARI continue: context, extension) that is not
 * a plain name: what the transfer's settings give, checked again where it
 * reaches Asterisk.
 */
export function checkDialplanTarget(target: { context: string; extension: string }, fields: { context: string; extension: string }): void {
  const context = valueProblem(target.context, 'context');
  if (context) throw new DialStringError(fields.context, target.context, `${quoted(target.context)} cannot be used as ${PART_NAMES.context}: it ${context}`);
  const extension = valueProblem(target.extension, 'resource');
  if (extension) throw new DialStringError(fields.extension, target.extension, `${quoted(target.extension)} cannot be used as ${PART_NAMES.exten}: it ${extension}`);
}

// ---------------------------------------------------------------------------
// Allowlist

type Atom = { k: 'lit'; c: string } | { k: 'one'; number: boolean } | { k: 'many'; number: boolean };

function charFits(c: string, number: boolean): boolean {
  return number ? /^[0-9+*#]$/.test(c) : isToken(c);
}

/** One character both atoms accept (neither is "many"). */
function meet(a: Atom, b: Atom): boolean {
  if (a.k === 'lit' && b.k === 'lit') return a.c === b.c;
  if (a.k === 'lit' && b.k !== 'lit') return charFits(a.c, b.number);
  if (b.k === 'lit' && a.k !== 'lit') return charFits(b.c, a.number);
  return true; // numbers are tokens: two classes always share a character
}

/** Whether some text matches both patterns (literals; "one": one character of a class; "many": any number of them). */
function intersect(a: readonly Atom[], b: readonly Atom[]): boolean {
  const seen = new Set<number>();
  const stack: [number, number][] = [[0, 0]];
  const width = b.length + 1;
  while (stack.length > 0) {
    const [i, j] = stack.pop() as [number, number];
    const key = i * width + j;
    if (seen.has(key)) continue;
    seen.add(key);
    if (i === a.length && j === b.length) return true;
    const x = a[i];
    const y = b[j];
    if (x?.k === 'many') {
      stack.push([i + 1, j]);
      if (y && y.k !== 'many' && meet({ k: 'one', number: x.number }, y)) stack.push([i, j + 1]);
    }
    if (y?.k === 'many') {
      stack.push([i, j + 1]);
      if (x && x.k !== 'many' && meet(x, { k: 'one', number: y.number })) stack.push([i + 1, j]);
    }
    if (x && y && x.k !== 'many' && y.k !== 'many' && meet(x, y)) stack.push([i + 1, j + 1]);
  }
  return false;
}

function literalAtoms(text: string): Atom[] {
  return [...text].map((c) => ({ k: 'lit', c }));
}

interface Entry {
  text: string;
  tech: string;
  atoms: Atom[];
}

/**
 * Where a connection may dial: entries separated by spaces, commas or new
 * lines, each a dial string in which "*" stands for one name or number
 * (letters, digits, _ . + * # -; never "/", "@", ":" or anything else):
 * PJSIP/* (any endpoint by name), PJSIP/*@trunk (any number through the
 * endpoint trunk), PJSIP/+1555*@trunk (numbers starting +1555),
 * Local/*@outbound, PJSIP/trunk/sip:*@sip.example.com. The technology is
 * matched without regard to case, the rest exactly.
 */
export class DialAllowlist {
  private entries: Entry[] = [];
  /** Entries that are not a dial string (with why). */
  invalid: string[] = [];
  private source = '';

  constructor(text: string = DEFAULT_DIAL_ALLOWLIST) {
    this.set(text);
  }

  /** Replaces the entries (a redeploy of the connection with a new list). */
  set(text: string): void {
    const entries: Entry[] = [];
    const invalid: string[] = [];
    for (const raw of text.split(/[\s,]+/).filter((e) => e !== '')) {
      const shapeText = raw.replace(/\*+/g, HOLE);
      const shape = raw.includes(HOLE) ? `contains ${describeChar(HOLE)}` : shapeOf(shapeText, 'a wildcard');
      if (typeof shape === 'string') {
        invalid.push(`${quoted(raw)} ${shape}`);
        continue;
      }
      const atoms: Atom[] = [];
      for (const c of shapeText.slice(shape.rest)) atoms.push(...(c === HOLE ? [{ k: 'one', number: false } as const, { k: 'many', number: false } as const] : literalAtoms(c)));
      entries.push({ text: raw, tech: shape.tech.toLowerCase(), atoms });
    }
    this.entries = entries;
    this.invalid = invalid;
    this.source = entries.map((e) => e.text).join(' ');
  }

  /** The valid entries, separated by spaces. */
  toString(): string {
    return this.source;
  }

  get empty(): boolean {
    return this.entries.length === 0;
  }

  /** Whether a finished dial string is one the list allows. */
  allows(dialString: string): boolean {
    const slash = dialString.indexOf('/');
    if (slash <= 0 || dialStringProblem(dialString)) return false;
    const tech = dialString.slice(0, slash).toLowerCase();
    const atoms = literalAtoms(dialString.slice(slash + 1));
    return this.entries.some((e) => e.tech === tech && intersect(e.atoms, atoms));
  }

  /** Whether some values of the template's placeholders make a dial string the list allows. */
  mayAllow(template: DialTemplate): boolean {
    const slash = template.text.indexOf('/');
    const tech = template.text.slice(0, slash).toLowerCase();
    const atoms: Atom[] = [];
    const rest = template.text.slice(slash + 1).replace(/\{([^{}]*)\}/g, HOLE);
    let n = 0;
    for (const c of rest) {
      if (c !== HOLE) {
        atoms.push({ k: 'lit', c });
        continue;
      }
      const number = template.placeholders[n]?.name === 'number';
      n += 1;
      atoms.push({ k: 'one', number }, { k: 'many', number });
    }
    return this.entries.some((e) => e.tech === tech && intersect(e.atoms, atoms));
  }

  /** Refuses a dial string the list does not allow, naming the field and the list. */
  check(dialString: string, field: string): void {
    if (this.allows(dialString)) return;
    throw new DialStringError(field, dialString, `${dialString} is not on this connection's dial allowlist (${this.source || 'empty'})`);
  }
}

/** The template's dial string with these values, checked and allowed: see fillDialTemplate and DialAllowlist. */
export function dialDestination(template: string, kind: TemplateKind, valueOf: (name: string) => unknown, allowlist: DialAllowlist, field: string): string {
  const parsed = parseDialTemplate(template, kind);
  if (typeof parsed === 'string') throw new DialStringError(field, template, `${quoted(template)} ${parsed}`);
  const made = fillDialTemplate(parsed, valueOf, field);
  allowlist.check(made, field);
  return made;
}

/** The dial string a campaign calls a contact's number with (dialString with {number} filled in), checked and allowed. */
export function campaignDialString(template: string, number: string, allowlist: DialAllowlist = new DialAllowlist()): string {
  return dialDestination(template, 'dial-string', (name) => (name === 'number' ? number : undefined), allowlist, 'dialString');
}

// ---------------------------------------------------------------------------
// Schemas: the same shapes as JSON-schema patterns, for forms and msg overrides

const TOK = '[A-Za-z0-9_.+*#-]';
const HOST_PORT = '(?:\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*)(?::[0-9]{1,5})?(?:;[A-Za-z0-9_.-]+(?:=[A-Za-z0-9_.-]+)?)*';
const PLACEHOLDER: Record<TemplateKind, string> = {
  endpoint: '\\{(?:vars\\.[A-Za-z_][A-Za-z0-9_]*|caller|dialed|callId)\\}',
  'dial-string': '\\{number\\}',
};

function shapePatterns(placeholder?: string): { pjsip: string; local: string; other: string } {
  // Without placeholders (an allowlist), plain classes: an alternative that can never match (such as [^\s\S])
  // would make test generators that build strings from the pattern loop forever.
  const v = placeholder ? `(?:${TOK}|${placeholder})+` : `${TOK}+`;
  const uri = `[Ss][Ii][Pp][Ss]?:(?:${v}@)?${HOST_PORT}`;
  const otherChar = placeholder ? `(?:[A-Za-z0-9_.+*#@:=-]|${placeholder})` : '[A-Za-z0-9_.+*#@:=-]';
  return {
    pjsip: `^[Pp][Jj][Ss][Ii][Pp]/(?:${v}@)?${v}(?:/(?:${uri}|${v}))?$`,
    local: `^[Ll][Oo][Cc][Aa][Ll]/${v}@${v}(?:/[njm]{1,3})?$`,
    other: `^[A-Za-z][A-Za-z0-9_]*/${otherChar}+(?:/${otherChar}+)*$`,
  };
}

/**
 * A JSON schema for a template of one destination: PJSIP/<[user@]endpoint>[/<aor or sip: URI>],
 * Local/<exten>@<context>[/n|j|m], or Technology/<parts>, placeholders only where a name or number goes.
 */
export function dialTemplateSchema(kind: TemplateKind, options: { description: string; optional?: boolean; default: string }): Record<string, unknown> {
  const p = shapePatterns(PLACEHOLDER[kind]);
  const schema = destinationSchema({ ...p, other: options.optional ? `^$|${p.other}` : p.other }, options.description, { default: options.default });
  if (kind === 'dial-string') schema.allOf = [{ type: 'string', pattern: '\\{number\\}', description: `${options.description} ({number} is missing)` }];
  return schema;
}

/**
 * A JSON schema for one destination given as a value, without placeholders: what an HTTP IVR application
 * answers (lib/schemas/http-ivr.ts), the same shapes as dialTemplateSchema's.
 */
export function dialValueSchema(description: string): Record<string, unknown> {
  return destinationSchema(shapePatterns(), description);
}

/**
 * The schema of one destination, by its technology: PJSIP/..., Local/..., or another (each branch its own pattern,
 * and says the shape it expects). `extra` goes beside the type (a default).
 */
function destinationSchema(p: { pjsip: string; local: string; other: string }, description: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const branch = (pattern: string, what: string): Record<string, unknown> => ({ type: 'string', maxLength: MAX_DIAL_STRING_LENGTH, pattern, description: `${description} (${what})` });
  return {
    type: 'string',
    maxLength: MAX_DIAL_STRING_LENGTH,
    ...extra,
    description,
    if: { type: 'string', pattern: '^[Pp][Jj][Ss][Ii][Pp]/' },
    then: branch(p.pjsip, 'PJSIP/[<user>@]<endpoint>[/<AOR or sip: URI>]'),
    else: {
      type: 'string',
      if: { type: 'string', pattern: '^[Ll][Oo][Cc][Aa][Ll]/' },
      then: branch(p.local, 'Local/<extension>@<context>[/n]'),
      else: branch(p.other, 'Technology/<resource>'),
    },
  };
}

/** The pattern of one allowlist entry (no anchors): a dial string with * wildcards. lib/schemas/asterisk.ts makes it a list. */
export function dialAllowlistEntryPattern(): string {
  const p = shapePatterns();
  // The branches must not overlap: "PJSIP/a" also has the shape Technology/<resource>, and an entry that two
  // branches take makes a list of n entries that fails at its end cost 2^n tries (bench/patterns).
  const other = `(?![Pp][Jj][Ss][Ii][Pp]/|[Ll][Oo][Cc][Aa][Ll]/)${p.other.slice(1, -1)}`;
  const entry = `(?:${[p.pjsip.slice(1, -1), p.local.slice(1, -1), other].join('|')})`;
  return entry;
}
