/**
 * The contacts stage of a campaign: rows a user brings (objects from
 * msg.payload, or CSV text) become contacts in the store. Each row is
 * checked on its own; a bad row is reported with its row number and a
 * sentence naming the field and the value, and the others are imported.
 *
 * Row format (objects): { customerId, numbers, priority?, attrs?, custom? }
 * where numbers is [{ number, type?, seq? }] (or numbers as text) or the
 * text "mobile:+15550100;home:+15550101"; `number` (and `type`) give a
 * single number. CSV columns: customerId, priority, number1, type1, seq1,
 * number2, ... (up to 20) or number and type; attr.<name> columns become
 * attributes (a plain number as a number, true/false as a boolean) and
 * custom.<name> columns custom fields. Both forms may be mixed in one row.
 *
 * Large imports stay responsive: the work runs in slices of a few
 * milliseconds with a turn of the event loop between them, and each batch
 * written to the store is sized so that its synchronous part stays short
 * (the embedded store writes a batch in one synchronous transaction).
 */
import { performance } from 'node:perf_hooks';
import type { CallOrder } from '../schemas/campaign';
import { contactInput, type AttrValue, type ContactInput, type ContactNumber } from '../schemas/store';
import type { Store } from '../store/port';
import { csvRecords } from './csv';
import { rankOf } from './order';

export interface RejectedRow {
  /** 1-based: the index in the array + 1, or the CSV data row (header excluded). */
  row: number;
  customerId?: string;
  reason: string;
  data: unknown;
}

export interface ImportOutcome {
  inserted: number;
  rejected: RejectedRow[];
}

export interface ContactRules {
  /** The number types a contact may use (empty: any). */
  numberTypes: string[];
  order: CallOrder;
}

export interface ImportOptions {
  /** The most contacts written to the store at once (default 1000); smaller batches are used when a batch takes long. */
  batchSize?: number;
  /** Stops the import between batches: the batches written stay; ImportAborted is thrown. */
  signal?: AbortSignal;
  /** Rows handled so far (stored or rejected) and the number of rows. */
  onProgress?: (done: number, total?: number) => void;
}

/** An import stopped by its AbortSignal: what was done before it stopped. */
export class ImportAborted extends Error {
  override readonly name = 'ImportAborted';
  constructor(
    readonly inserted: number,
    readonly rejected: RejectedRow[],
    cause: unknown,
  ) {
    super(`contact import stopped after ${inserted} contacts were stored`, { cause });
  }
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

/** A value as a reason shows it: text in quotes, shortened. */
function show(value: unknown): string {
  let text: string;
  if (value === undefined) text = 'nothing';
  else if (typeof value === 'bigint') text = String(value);
  else if (typeof value === 'function' || typeof value === 'symbol') text = `a ${typeof value}`;
  else {
    try {
      const json: string | undefined = JSON.stringify(value);
      text = json ?? 'a value that cannot be shown';
    } catch {
      text = 'a value that cannot be shown';
    }
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
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
    super(reason);
  }
}

function reject(reason: string): never {
  throw new Rejection(reason);
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
  for (let k = 1; k <= MAX_NUMBERS; k += 1) {
    const number = given(row[`number${k}`]);
    const type = given(row[`type${k}`]);
    const seq = given(row[`seq${k}`]);
    if (number === undefined) {
      if (type !== undefined) reject(`type${k}: ${show(type)} is given without number${k}`);
      if (seq !== undefined) reject(`seq${k}: ${show(seq)} is given without number${k}`);
      continue;
    }
    out.push({ number, type, seq, field: { number: `number${k}`, type: `type${k}`, seq: `seq${k}` } });
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
function idOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function checkAttr(attrs: Record<string, AttrValue>, field: string, name: string, value: unknown): void {
  if (!ATTR_NAME.test(name)) reject(`${field}: ${show(name)} is not an attribute name (a letter or _, then up to 63 letters, digits or _)`);
  if (typeof value !== 'string' && typeof value !== 'boolean' && !(typeof value === 'number' && Number.isFinite(value))) {
    reject(`${field}: ${show(value)} is not a text, number or true/false`);
  }
  attrs[name] = value;
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
  if (id.length > ID_MAX) reject(`customerId: ${show(id)} is longer than ${ID_MAX} characters`);
  const contact: ContactInput = { customerId: id, numbers: checkNumbers(rawNumbers(row), rules) };

  const priority = given(row.priority);
  if (priority !== undefined) {
    const p = wholeNumber(priority, 1, 5);
    if (p === undefined) reject(`priority: ${show(priority)} is not a priority (a whole number from 1, the highest, to 5)`);
    contact.priority = p;
  }

  const attrs: Record<string, AttrValue> = {};
  const attrsIn = given(row.attrs);
  if (attrsIn !== undefined) {
    if (!isObject(attrsIn)) reject(`attrs: ${show(attrsIn)} is not an object of attributes`);
    for (const [name, value] of Object.entries(attrsIn)) if (value !== undefined) checkAttr(attrs, `attrs.${name}`, name, value);
  }
  const custom: Record<string, unknown> = {};
  const customIn = given(row.custom);
  if (customIn !== undefined) {
    if (!isObject(customIn)) reject(`custom: ${show(customIn)} is not an object of custom fields`);
    Object.assign(custom, customIn);
  }
  for (const key of Object.keys(row)) {
    if (key.startsWith('attr.')) {
      const value = given(row[key]);
      if (value !== undefined) checkAttr(attrs, key, key.slice(5), typeof value === 'string' ? attrFromText(value) : value);
    } else if (key.startsWith('custom.')) {
      const value = given(row[key]);
      const name = key.slice(7);
      if (name === '') reject(`${key}: a custom field needs a name after "custom."`);
      if (value !== undefined) custom[name] = value;
    }
  }
  const attrCount = Object.keys(attrs).length;
  if (attrCount > MAX_ATTRS) reject(`attrs: ${attrCount} attributes given; a contact has at most ${MAX_ATTRS}`);
  const customCount = Object.keys(custom).length;
  if (customCount > MAX_CUSTOM) reject(`custom: ${customCount} custom fields given; a contact has at most ${MAX_CUSTOM}`);
  if (attrCount > 0) contact.attrs = attrs;
  if (customCount > 0) contact.custom = custom;

  contact.rank = rankOf(contact, rules.order);
  const check = contactInput.check(contact);
  if (!check.ok) reject(check.problems.join('; '));
  return contact;
}

/** The synchronous work of one slice (parsing, checking rows), in ms: well under the ~20 ms a stretch may take. */
const SLICE_MS = 5;
/**
 * What one batch write should block for (its synchronous part), in ms, at
 * the usual cost of a row. Some writes cost more than their rows (the
 * embedded store's commit syncs the disk and now and then checkpoints its
 * write-ahead log); those are left out of the usual cost (a median) and
 * the target is kept low to leave room for them.
 */
const WRITE_MS = 5;
const FIRST_BATCH = 100;
const MIN_BATCH = 10;
/** How many recent batches the usual cost of a row is the median of. */
const COST_WINDOW = 9;

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** One input row, from either source. */
interface Source {
  row: number;
  data: unknown;
  extra?: string[];
}

/**
 * Reads CSV text through once, in slices, only to count its rows and to
 * find an unclosed quote before anything is stored (the records are parsed
 * again, one batch at a time, by the import: so they die young instead of
 * all living through the import).
 */
async function countCsv(text: string, stop: () => void): Promise<number> {
  let count = 0;
  let since = performance.now();
  for (const _record of csvRecords(text)) {
    count += 1;
    if ((count & 31) === 0 && performance.now() - since > SLICE_MS) {
      await nextTurn();
      stop();
      since = performance.now();
    }
  }
  return count;
}

function* arraySource(rows: unknown[]): Generator<Source> {
  for (let i = 0; i < rows.length; i += 1) yield { row: i + 1, data: rows[i] };
}

function* csvSource(text: string): Generator<Source> {
  for (const r of csvRecords(text)) yield { row: r.row, data: r.record, ...(r.extra ? { extra: r.extra } : {}) };
}

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[sorted.length >> 1] ?? 0;
}

/**
 * Imports rows (an array of objects, or CSV text) into a campaign: each row
 * validated; valid rows stored in batches; rejected ones returned with row
 * number (1-based) and reason. Yields to the event loop between batches
 * (setImmediate) so that no stretch of synchronous work exceeds ~20 ms even
 * for 100,000 rows. A customer id repeated in the import rejects the later
 * row; a customer the campaign already has is rejected too. Invalid CSV
 * (an unclosed quote, a column named twice) throws before anything is
 * stored. The store's own errors are thrown as they are (the batches
 * written before stay).
 */
export async function importContacts(
  store: Store,
  campaignId: string,
  input: unknown[] | string,
  rules: ContactRules,
  now: number,
  options: ImportOptions = {},
): Promise<ImportOutcome> {
  const maxBatch = options.batchSize ?? 1000;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`batchSize: a whole number of 1 or more (got ${show(maxBatch)})`);
  const { signal, onProgress } = options;
  let inserted = 0;
  const rejected: RejectedRow[] = [];
  const stop = (): void => {
    if (signal?.aborted) throw new ImportAborted(inserted, rejected, signal.reason);
  };
  stop();

  let total: number;
  let source: Iterator<Source>;
  if (typeof input === 'string') {
    total = await countCsv(input, stop);
    source = csvSource(input);
  } else if (Array.isArray(input)) {
    total = input.length;
    source = arraySource(input);
  } else {
    throw new TypeError(`contacts: an array of contact objects or CSV text (got ${show(input)})`);
  }

  /** Customer id -> the row that brings it (rows accepted so far). */
  const firstRow = new Map<string, number>();
  let batchSize = Math.min(FIRST_BATCH, maxBatch);
  /** The synchronous write cost of a row in recent batches, in ms. */
  const costs: number[] = [];
  let done = 0;
  let more = true;
  while (more) {
    const sliceStart = performance.now();
    const batch: ContactInput[] = [];
    const batchRows: { row: number; data: unknown }[] = [];
    while (batch.length < batchSize) {
      const next = source.next();
      if (next.done) {
        more = false;
        break;
      }
      const { row, data, extra } = next.value;
      done += 1;
      const id = isObject(data) ? idOf(data.customerId) : undefined;
      const result = extra
        ? `row: ${extra.length} cells more than the header has columns (a value with a comma must be in double quotes)`
        : contactFromRow(data, rules);
      if (typeof result === 'string') {
        rejected.push({ row, ...(id !== undefined ? { customerId: id } : {}), reason: result, data });
      } else {
        const first = firstRow.get(result.customerId);
        if (first !== undefined) {
          rejected.push({ row, customerId: result.customerId, reason: `customerId: ${result.customerId} is repeated (first in row ${first})`, data });
        } else {
          firstRow.set(result.customerId, row);
          batch.push(result);
          batchRows.push({ row, data });
        }
      }
      if ((done & 15) === 0 && performance.now() - sliceStart > SLICE_MS) break;
    }
    if (batch.length > 0) {
      // Checking the rows and writing them are two stretches: a turn of the event loop between them.
      await nextTurn();
      stop();
      const t0 = performance.now();
      const pending = store.importContacts(campaignId, batch, now);
      // The part of the write that ran before the store awaited: the embedded store's whole transaction.
      const blocked = performance.now() - t0;
      const report = await pending;
      inserted += report.inserted;
      for (const d of report.duplicates) {
        const at = batchRows[d.index];
        rejected.push({ row: at?.row ?? 0, customerId: d.customerId, reason: `customerId: the campaign already has customer ${d.customerId}`, data: at?.data });
      }
      costs.push(blocked / batch.length);
      if (costs.length > COST_WINDOW) costs.shift();
      const perRow = median(costs);
      const fits = perRow > 0 ? Math.floor(WRITE_MS / perRow) : maxBatch;
      batchSize = Math.max(MIN_BATCH, Math.min(maxBatch, fits, batchSize * 2));
    }
    onProgress?.(done, total);
    if (more) {
      await nextTurn();
      stop();
    }
  }
  if (rejected.length > 1) rejected.sort((a, b) => a.row - b.row);
  return { inserted, rejected };
}
