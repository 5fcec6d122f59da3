/**
 * One row of a contact import (an object from msg.payload, or a CSV
 * record) made a contact, or the reason it cannot be: a sentence naming the
 * field and the value.
 *
 * Row format (objects): { customerId, numbers, priority?, attrs?, custom? }
 * where numbers is [{ number, type?, seq? }] (or numbers as text) or the
 * text "mobile:+15550100;home:+15550101"; `number` (and `type`) give a
 * single number. CSV columns: customerId, priority, number1, type1, seq1,
 * number2, ... (up to 20) or number and type; attr.<name> columns become
 * attributes (a plain number as a number, true/false as a boolean) and
 * custom.<name> columns custom fields. Both forms may be mixed in one row.
 *
 * Every text field is checked for what text may not hold (control
 * characters, U+FFFD from text that was not UTF-8, lone surrogates; see
 * field-text.ts), and the contact is checked against the store's schema.
 */
import { put } from '../own';
import type { CallOrder } from '../schemas/campaign';
import { contactInput, type AttrValue, type ContactInput, type ContactNumber } from '../schemas/store';
import { escaped, show, textProblem, UNSHOWABLE, type FieldKind } from './field-text';

export { show } from './field-text';
import { rankOf } from './order';

export interface ContactRules {
  /** The number types a contact may use (empty: any). */
  numberTypes: string[];
  order: CallOrder;
}

const MAX_NUMBERS = 20;
const MAX_ATTRS = 100;
const MAX_CUSTOM = 100;
const ID_MAX = 128;
const PHONE = /^\+?[0-9]{2,32}$/;
const PHONE_HINT = '2 to 32 digits with an optional leading +';
const TYPE = /^[A-Za-z0-9_-]{1,32}$/;
const ATTR_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const PLAIN_NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;
/** How deep custom fields may nest, and how many values they may hold in all (a walk over them stays short). */
const CUSTOM_DEPTH = 16;
const CUSTOM_VALUES = 1000;


/** Longest key a reason names whole; a longer one is cut (the reason quotes it shortened where it is the value). */
const KEY_SHOWN = 60;

/** A key of the row as a reason names its field: control characters and the like escaped as \uXXXX, a long key cut. */
function keyName(key: string): string {
  const cut = key.length > KEY_SHOWN ? `${key.slice(0, KEY_SHOWN)}...` : key;
  UNSHOWABLE.lastIndex = 0;
  return UNSHOWABLE.test(cut) ? cut.replace(UNSHOWABLE, escaped) : cut;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Text cells (CSV) and form values: trimmed, '' as not given. */
function given(value: unknown): unknown {
  if (typeof value === 'string') {
    const t = value.trim();
    return t === '' ? undefined : t;
  }
  return value === null ? undefined : value;
}

/** A phone number with spaces, dashes, dots and parentheses removed and a leading 00 made +, or undefined. */
export function normaliseNumber(value: unknown): string | undefined {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) text = String(value);
  else return undefined;
  text = text.replace(/[\s\-.()]/g, '');
  if (text.startsWith('00')) text = `+${text.slice(2)}`;
  return PHONE.test(text) ? text : undefined;
}

/** A whole number from a number or its text, within bounds, or undefined. */
function wholeNumber(value: unknown, min: number, max: number): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?[0-9]+$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

/** A CSV attribute cell: a plain number as a number, true/false as a boolean, else the text. */
function attrFromText(text: string): AttrValue {
  if (PLAIN_NUMBER.test(text)) {
    const n = Number(text);
    if (Number.isFinite(n)) return n;
  }
  if (text === 'true') return true;
  if (text === 'false') return false;
  return text;
}

/** A row's problem, thrown from deep in the checks and caught by contactFromRow. */
class Rejection extends Error {
  constructor(readonly reason: string) {
    // No stack trace: nobody reads it (contactFromRow turns it into the reason), and capturing one for each rejected row
    // of a large import was a tenth of the import's time.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(reason);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}

function reject(reason: string): never {
  throw new Rejection(reason);
}

/** Rejects text holding what a field of `kind` may not hold (lib/campaign/field-text.ts), naming the field, the character and where it is. */
function checkText(field: string, value: string, kind: FieldKind): void {
  const problem = textProblem(value, kind);
  if (problem !== undefined) reject(`${field}: ${show(value)} ${problem}`);
}

/** Checks text anywhere in a custom field's value (keys as names, strings as text), within CUSTOM_DEPTH and CUSTOM_VALUES. */
function checkCustomValue(field: string, value: unknown, budget: { values: number }, depth = 0): void {
  budget.values += 1;
  if (budget.values > CUSTOM_VALUES) reject(`custom: more than ${CUSTOM_VALUES} values in all (nested ones counted)`);
  if (typeof value === 'string') {
    checkText(field, value, 'text');
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  if (depth >= CUSTOM_DEPTH) reject(`${field}: nested more than ${CUSTOM_DEPTH} levels deep`);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) checkCustomValue(`${field}.${i}`, value[i], budget, depth + 1);
    return;
  }
  for (const [key, inner] of Object.entries(value)) {
    checkText(`${field}.${keyName(key)}`, key, 'name');
    checkCustomValue(`${field}.${keyName(key)}`, inner, budget, depth + 1);
  }
}

/** A number as written, before it is checked, with the field names its reasons use. */
interface RawNumber {
  number: unknown;
  type?: unknown;
  seq?: unknown;
  field: { number: string; type: string; seq: string };
}

function fields(prefix: string): RawNumber['field'] {
  return { number: `${prefix}number`, type: `${prefix}type`, seq: `${prefix}seq` };
}

/** The columns number1, type1, seq1 ... number20, type20, seq20 (made once: a row is read through them all). */
const NUMBERED: readonly RawNumber['field'][] = Array.from({ length: MAX_NUMBERS }, (_, i) => ({ number: `number${i + 1}`, type: `type${i + 1}`, seq: `seq${i + 1}` }));

/** The numbers of a row in the order written: numbers, then number, then number1 ... number20. */
function rawNumbers(row: Record<string, unknown>): RawNumber[] {
  const out: RawNumber[] = [];
  const list = given(row.numbers);
  if (Array.isArray(list)) {
    list.forEach((entry: unknown, i) => {
      if (typeof entry === 'string' || typeof entry === 'number') out.push({ number: entry, field: fields(`numbers.${i}.`) });
      else if (isObject(entry)) out.push({ number: given(entry.number), type: given(entry.type), seq: given(entry.seq), field: fields(`numbers.${i}.`) });
      else reject(`numbers.${i}: ${show(entry)} is not a number entry ({ number, type, seq } or the number as text)`);
    });
  } else if (typeof list === 'string') {
    list
      .split(/[;,]/)
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .forEach((item, i) => {
        const at = item.indexOf(':');
        const field = fields(`numbers.${i}.`);
        if (at === -1) out.push({ number: item, field });
        else out.push({ number: given(item.slice(at + 1)), type: given(item.slice(0, at)), field });
      });
  } else if (list !== undefined) {
    reject(`numbers: ${show(list)} is neither a list of numbers nor text like "mobile:+15550100;home:+15550101"`);
  }
  const single = given(row.number);
  if (single !== undefined) out.push({ number: single, type: given(row.type), field: fields('') });
  else if (given(row.type) !== undefined) reject(`type: ${show(given(row.type))} is given without a number`);
  for (const field of NUMBERED) {
    const number = given(row[field.number]);
    const type = given(row[field.type]);
    const seq = given(row[field.seq]);
    if (number === undefined) {
      if (type !== undefined) reject(`${field.type}: ${show(type)} is given without ${field.number}`);
      if (seq !== undefined) reject(`${field.seq}: ${show(seq)} is given without ${field.number}`);
      continue;
    }
    out.push({ number, type, seq, field });
  }
  for (const key of Object.keys(row)) {
    const m = /^number([0-9]+)$/.exec(key);
    if (m && Number(m[1]) > MAX_NUMBERS && given(row[key]) !== undefined) reject(`${key}: a contact has at most ${MAX_NUMBERS} numbers (number1 to number${MAX_NUMBERS})`);
  }
  return out;
}

function checkNumbers(raw: RawNumber[], rules: ContactRules): ContactNumber[] {
  if (raw.length === 0) reject('numbers: the contact has no phone number (give numbers, number, or number1 to number20)');
  if (raw.length > MAX_NUMBERS) reject(`numbers: ${raw.length} numbers given; a contact has at most ${MAX_NUMBERS}`);
  const types = new Map(rules.numberTypes.map((t) => [t.toLowerCase(), t]));
  const seen = new Set<string>();
  return raw.map((r) => {
    if (typeof r.number === 'string') checkText(r.field.number, r.number, 'name');
    if (typeof r.type === 'string') checkText(r.field.type, r.type, 'name');
    if (typeof r.seq === 'string') checkText(r.field.seq, r.seq, 'name');
    const number = normaliseNumber(r.number);
    if (number === undefined) reject(`${r.field.number}: ${show(r.number)} is not a phone number (${PHONE_HINT})`);
    if (seen.has(number)) reject(`numbers: ${number} is listed twice`);
    seen.add(number);
    const out: ContactNumber = { number };
    if (r.type !== undefined) {
      const text = typeof r.type === 'string' ? r.type : undefined;
      if (text === undefined || !TYPE.test(text)) reject(`${r.field.type}: ${show(r.type)} is not a number type (1 to 32 letters, digits, _ or -)`);
      if (types.size > 0) {
        const known = types.get(text.toLowerCase());
        if (known === undefined) reject(`${r.field.type}: ${show(r.type)} is not a number type of this campaign (${rules.numberTypes.join(', ')})`);
        out.type = known;
      } else {
        out.type = text;
      }
    }
    if (r.seq !== undefined) {
      const seq = wholeNumber(r.seq, 0, 1000);
      if (seq === undefined) reject(`${r.field.seq}: ${show(r.seq)} is not a sequence number (a whole number from 0 to 1000)`);
      out.seq = seq;
    }
    return out;
  });
}

/** A row's customer id as text, for a rejected row's report. */
export function idOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function checkAttr(attrs: Record<string, AttrValue>, field: string, name: string, value: unknown): void {
  checkText(field, name, 'name');
  if (!ATTR_NAME.test(name)) reject(`${field}: ${show(name)} is not an attribute name (a letter or _, then up to 63 letters, digits or _)`);
  if (typeof value !== 'string' && typeof value !== 'boolean' && !(typeof value === 'number' && Number.isFinite(value))) {
    reject(`${field}: ${show(value)} is not a text, number or true/false`);
  }
  if (typeof value === 'string') checkText(field, value, 'text');
  put(attrs, name, value);
}

/**
 * Compiles the checks a row goes through (the store's contact schema, about
 * a tenth of a second once per process), so that the first import does not
 * pay for it: the contacts node calls it when it starts.
 */
export function prepareContactChecks(): void {
  contactInput.check(null);
}

/** Turns one input row (an object from msg.payload or a CSV record) into a ContactInput, or a reason. */
export function contactFromRow(row: unknown, rules: ContactRules): ContactInput | string {
  try {
    return buildContact(row, rules);
  } catch (err) {
    if (err instanceof Rejection) return err.reason;
    throw err;
  }
}

function buildContact(row: unknown, rules: ContactRules): ContactInput {
  if (!isObject(row)) reject(`row: ${show(row)} is not a contact (an object with a customerId and numbers)`);
  let id = given(row.customerId);
  if (typeof id === 'number' && Number.isSafeInteger(id)) id = String(id);
  if (id === undefined) reject('customerId: is missing (every contact needs a customer id)');
  if (typeof id !== 'string') reject(`customerId: ${show(id)} is not a customer id (a text of 1 to ${ID_MAX} characters)`);
  checkText('customerId', id, 'name');
  if (id.length > ID_MAX) reject(`customerId: ${show(id)} is longer than ${ID_MAX} characters`);
  const contact: ContactInput = { customerId: id, numbers: checkNumbers(rawNumbers(row), rules) };

  const priority = given(row.priority);
  if (priority !== undefined) {
    if (typeof priority === 'string') checkText('priority', priority, 'name');
    const p = wholeNumber(priority, 1, 5);
    if (p === undefined) reject(`priority: ${show(priority)} is not a priority (a whole number from 1, the highest, to 5)`);
    contact.priority = p;
  }

  const attrs: Record<string, AttrValue> = {};
  const attrsIn = given(row.attrs);
  if (attrsIn !== undefined) {
    if (!isObject(attrsIn)) reject(`attrs: ${show(attrsIn)} is not an object of attributes`);
    for (const [name, value] of Object.entries(attrsIn)) if (value !== undefined) checkAttr(attrs, `attrs.${keyName(name)}`, name, value);
  }
  const custom: Record<string, unknown> = {};
  const customIn = given(row.custom);
  if (customIn !== undefined) {
    if (!isObject(customIn)) reject(`custom: ${show(customIn)} is not an object of custom fields`);
    // Own entries, one by one: Object.assign would take a "__proto__" field as the prototype (lib/own.ts).
    for (const [name, value] of Object.entries(customIn)) put(custom, name, value);
  }
  for (const key of Object.keys(row)) {
    if (key.startsWith('attr.')) {
      const value = given(row[key]);
      if (value !== undefined) checkAttr(attrs, keyName(key), key.slice(5), typeof value === 'string' ? attrFromText(value) : value);
    } else if (key.startsWith('custom.')) {
      const value = given(row[key]);
      const name = key.slice(7);
      if (name === '') reject(`${key}: a custom field needs a name after "custom."`);
      if (value !== undefined) put(custom, name, value);
    }
  }
  const attrCount = Object.keys(attrs).length;
  if (attrCount > MAX_ATTRS) reject(`attrs: ${attrCount} attributes given; a contact has at most ${MAX_ATTRS}`);
  const customCount = Object.keys(custom).length;
  if (customCount > MAX_CUSTOM) reject(`custom: ${customCount} custom fields given; a contact has at most ${MAX_CUSTOM}`);
  const budget = { values: 0 };
  for (const [name, value] of Object.entries(custom)) {
    checkText(`custom.${keyName(name)}`, name, 'name');
    checkCustomValue(`custom.${keyName(name)}`, value, budget);
  }
  if (attrCount > 0) contact.attrs = attrs;
  if (customCount > 0) contact.custom = custom;

  contact.rank = rankOf(contact, rules.order);
  const check = contactInput.check(contact);
  if (!check.ok) reject(check.problems.join('; '));
  return contact;
}
