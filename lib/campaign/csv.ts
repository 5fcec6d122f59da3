/**
 * CSV in and out for campaigns: the contacts a user imports (RFC 4180 text
 * with a header row) and the attempts export. The export is written for
 * spreadsheets: a cell that a spreadsheet would run as a formula gets a
 * leading ' (OWASP "CSV injection"), and phone numbers can be masked.
 */
import type { AttemptRow } from '../store/port';
import { show, textProblem } from './field-text';

/** One data record of a CSV text. */
export interface CsvRecord {
  /** 1-based data row (the header is not counted; blank rows are skipped but counted). */
  row: number;
  /** The cells by header name (a missing cell is ''). */
  record: Record<string, string>;
  /** Non-empty cells beyond the header's columns (a value with an unquoted comma shifts the row), if any. */
  extra?: string[];
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const CR = 0x0d;
const LF = 0x0a;

/** The error for a quoted value that is never closed, at `where` ("header", "row 3"). */
export function unclosedQuote(where: string): Error {
  return new Error(`CSV ${where}: a quoted value is not closed (it starts with " and no closing " follows; write a " inside a quoted value as "")`);
}

/** The index of the next comma or line end from `i` (or the end of the text). */
function fieldEnd(text: string, i: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === COMMA || c === LF || c === CR) return i;
    i += 1;
  }
  return n;
}

/** One record from `start`: its cells and where the next one starts. */
function parseRecord(text: string, start: number, where: () => string): { cells: string[]; end: number } {
  const cells: string[] = [];
  const n = text.length;
  let i = start;
  for (;;) {
    if (i < n && text.charCodeAt(i) === QUOTE) {
      let value = '';
      let from = i + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q === -1) throw unclosedQuote(where());
        value += text.slice(from, q);
        if (text.charCodeAt(q + 1) === QUOTE) {
          value += '"';
          from = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      // Text between the closing quote and the comma is not RFC 4180; keep it rather than lose it.
      const stop = fieldEnd(text, i);
      cells.push(value + text.slice(i, stop));
      i = stop;
    } else {
      const stop = fieldEnd(text, i);
      cells.push(text.slice(i, stop));
      i = stop;
    }
    if (i >= n) return { cells, end: n };
    const c = text.charCodeAt(i);
    if (c === COMMA) {
      i += 1;
      continue;
    }
    if (c === CR && text.charCodeAt(i + 1) === LF) return { cells, end: i + 2 };
    return { cells, end: i + 1 };
  }
}

/** The header of CSV text (after a BOM): its column names ('' for a column without a name) and where the data starts. */
export function csvHeader(text: string): { names: string[]; end: number } {
  const pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const head = parseRecord(text, pos, () => 'header');
  const names = head.cells.map((c) => c.trim());
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (name === '') return;
    const problem = textProblem(name, 'name');
    if (problem !== undefined) throw new Error(`CSV header: column ${i + 1} ${show(name)} ${problem}`);
    if (seen.has(name)) throw new Error(`CSV header: the column ${show(name)} appears twice`);
    seen.add(name);
  });
  return { names, end: head.end };
}

/**
 * The data records of CSV text from `pos` (a record's start), keyed by
 * `names`; the first record there is data row `firstRow`. Blank rows are
 * skipped and counted.
 */
export function* csvDataRecords(text: string, pos: number, names: readonly string[], firstRow: number): Generator<CsvRecord> {
  const n = text.length;
  let row = firstRow - 1;
  while (pos < n) {
    row += 1;
    const current = row;
    const { cells, end } = parseRecord(text, pos, () => `row ${current}`);
    pos = end;
    if (cells.every((c) => c === '')) continue;
    const entries: [string, string][] = [];
    names.forEach((name, j) => {
      if (name !== '') entries.push([name, cells[j] ?? '']);
    });
    // fromEntries defines own properties, so a column named __proto__ stays a column.
    const out: CsvRecord = { row: current, record: Object.fromEntries(entries) };
    const extra = cells.slice(names.length);
    if (extra.some((c) => c !== '')) out.extra = extra;
    yield out;
  }
}

/**
 * Parses CSV text (RFC 4180: quotes, "" escapes, CRLF/LF, a header row, BOM
 * stripped) into records keyed by header, one at a time, with the 1-based
 * data row number (header excluded). Blank rows are skipped (and counted,
 * so row numbers match a spreadsheet's). Throws a clear Error for an
 * unterminated quote naming the row, and for a header naming a column
 * twice or holding what no name may hold (field-text.ts: a control
 * character, U+FFFD from text that was not UTF-8).
 */
export function* csvRecords(text: string): Generator<CsvRecord> {
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  if (start >= text.length) return;
  const { names, end } = csvHeader(text);
  yield* csvDataRecords(text, end, names, 1);
}

/** Characters a spreadsheet reads as the start of a formula (or that hide one). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV cell: quoted when needed; a cell starting with = + - @ (or
 * tab/CR) is prefixed with a single quote ' so spreadsheets do not run it as
 * a formula (OWASP CSV injection). Numbers and booleans are written as they
 * are (they cannot hold a formula); undefined and null are empty; a Date is
 * its ISO text; an object is its JSON.
 */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  let text: string;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') text = String(value);
  else {
    if (typeof value === 'string') text = value;
    else if (value instanceof Date) text = Number.isNaN(value.getTime()) ? '' : value.toISOString();
    else if (typeof value === 'object') text = JSON.stringify(value);
    else text = typeof value === 'symbol' ? (value.description ?? '') : '';
    if (FORMULA_START.test(text)) text = `'${text}`;
  }
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A phone number masked for export: all but the last 4 digits replaced by * (keeps a leading +). */
export function maskNumber(n: string): string {
  let digits = 0;
  for (let i = 0; i < n.length; i += 1) if (n.charCodeAt(i) >= 0x30 && n.charCodeAt(i) <= 0x39) digits += 1;
  let seen = 0;
  let out = '';
  for (const ch of n) {
    if (ch >= '0' && ch <= '9') {
      seen += 1;
      out += seen <= digits - 4 ? '*' : ch;
    } else {
      out += ch;
    }
  }
  return out;
}

export const ATTEMPT_COLUMNS = ['customerId', 'attempt', 'number', 'startedAt', 'endedAt', 'outcome', 'cause', 'dialStatus', 'result', 'subResult', 'talkSec', 'callId', 'why', 'remarkedBy', 'remarkedAt', 'previousResult', 'previousSubResult', 'recording', 'recordingError', 'connection'] as const;

function iso(ms: number | undefined): string {
  return ms === undefined || !Number.isFinite(ms) || Math.abs(ms) > 8.64e15 ? '' : new Date(ms).toISOString();
}

/**
 * Lines of the attempts export (header first), one per attempt,
 * CRLF-terminated. Columns: customerId, attempt (n), number, startedAt and
 * endedAt (ISO 8601, UTC), outcome, cause, dialStatus, result, subResult,
 * talkSec, callId, why (for an attempt a fault decided: which), and for a
 * result remarked after the call who, when, and the result and sub-result it
 * replaced (remarkedBy, remarkedAt, previousResult, previousSubResult), the
 * call's recording (its name on Asterisk) or why it went unrecorded
 * (recording, recordingError: a task that records calls), the connection
 * that carried it (connection: its callflow-asterisk id); when the
 * first row names its campaign (an export of
 * several), a campaign column comes first. `mask` masks the numbers.
 */
export function* attemptLines(rows: Iterable<AttemptRow & { campaign?: string }>, options: { mask: boolean }): Generator<string> {
  const it = rows[Symbol.iterator]();
  const first = it.next();
  const withCampaign = !first.done && first.value.campaign !== undefined;
  yield `${(withCampaign ? ['campaign', ...ATTEMPT_COLUMNS] : ATTEMPT_COLUMNS).join(',')}\r\n`;
  if (first.done) return;
  const line = (r: AttemptRow & { campaign?: string }): string => {
    const cells: unknown[] = [
      r.customerId,
      r.n,
      options.mask ? maskNumber(r.number) : r.number,
      iso(r.startedAt),
      iso(r.endedAt),
      r.outcome,
      r.cause,
      r.dialStatus,
      r.result,
      r.subResult,
      r.talkSec,
      r.callId,
      r.why,
      r.remarked?.by,
      iso(r.remarked?.at),
      r.remarked?.previous,
      r.remarked?.previousSub,
      r.recording,
      r.recordingError,
      r.connection,
    ];
    if (withCampaign) cells.unshift(r.campaign);
    return `${cells.map(csvCell).join(',')}\r\n`;
  };
  yield line(first.value);
  for (let next = it.next(); !next.done; next = it.next()) yield line(next.value);
}
