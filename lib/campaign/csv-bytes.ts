/**
 * CSV given as bytes (a Buffer from a file-in node): strictly UTF-8. The
 * bytes are never decoded in one piece (a 50 MB file decoded and joined at
 * once holds the event loop for a tenth of a second): a scanner that knows
 * csv.ts's quoting rules finds record boundaries in the bytes, and each
 * segment of whole records (about 256 KB) is decoded on its own and parsed
 * by csv.ts. Record separators (`,` `"` CR LF) are ASCII, and ASCII bytes
 * never occur inside a UTF-8 sequence, so a boundary found in the bytes is
 * a boundary in the text.
 *
 * Bytes that are not UTF-8 (a file saved as ISO-8859-1/Windows-1252, GBK,
 * ...) refuse the whole file, with where (the row and the byte offset), what
 * (the bytes, and the text before them) and how to fix it (save as UTF-8).
 * A UTF-8 byte order mark is fine.
 */
import { isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';
import { csvDataRecords, csvHeader, unclosedQuote, type CsvRecord } from './csv';

const QUOTE = 0x22;
const COMMA = 0x2c;
const CR = 0x0d;
const LF = 0x0a;

/** Scanner states, as csv.ts's parseRecord moves through a record. */
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
/** A " inside a quoted value: closes it, unless another " follows (an escaped quote). */
const QUOTE_SEEN = 3;
/** A record ended with CR: an LF right after it belongs to the same line end. */
const AFTER_CR = 4;

/** How much text is decoded and parsed at once. */
const SEGMENT_BYTES = 256 * 1024;

/** Where the bytes of a UTF-8 byte order mark end (0 without one). */
function bomEnd(bytes: Uint8Array): number {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
}

/**
 * Follows csv.ts's parsing through bytes without decoding them: which
 * record a byte belongs to, where records end, which are blank. A resumable
 * state machine: run() over consecutive ranges.
 */
class RecordScanner {
  mode = FIELD_START;
  /** The current record has a cell that is not empty. */
  content = false;
  /** Records completed so far; the header is record 0, so this is also the data row of the current record. */
  records = 0;
  /** Data records with a non-empty cell (the ones csvRecords yields). */
  filled = 0;
  /** Where the last completed record ended: the start of the current one. */
  recordStart: number;
  /** Where the header ended (0 while it has not). */
  headerEnd = 0;
  /** How far the bytes have been scanned. */
  pos: number;

  constructor(start: number) {
    this.recordStart = start;
    this.pos = start;
  }

  copy(): RecordScanner {
    return Object.assign(new RecordScanner(0), this);
  }

  private endRecord(next: number): void {
    if (this.records > 0 && this.content) this.filled += 1;
    if (this.records === 0) this.headerEnd = next;
    this.records += 1;
    this.content = false;
    this.recordStart = next;
  }

  /** Scans bytes[pos, to). */
  run(bytes: Uint8Array, to: number): void {
    let mode = this.mode;
    for (let i = this.pos; i < to; i += 1) {
      const c = bytes[i] as number;
      if (mode === AFTER_CR) {
        mode = FIELD_START;
        if (c === LF) {
          this.recordStart = i + 1;
          if (this.records === 1) this.headerEnd = i + 1;
          continue;
        }
      }
      if (mode === QUOTED) {
        if (c === QUOTE) mode = QUOTE_SEEN;
        else this.content = true;
        continue;
      }
      if (mode === QUOTE_SEEN) {
        if (c === QUOTE) {
          this.content = true;
          mode = QUOTED;
          continue;
        }
        mode = UNQUOTED;
      } else if (mode === FIELD_START) {
        if (c === QUOTE) {
          mode = QUOTED;
          continue;
        }
        mode = UNQUOTED;
      }
      // An unquoted value, or what follows a closing quote up to the next comma (kept, as csv.ts does).
      if (c === COMMA) mode = FIELD_START;
      else if (c === LF || c === CR) {
        this.endRecord(i + 1);
        mode = c === CR ? AFTER_CR : FIELD_START;
      } else this.content = true;
    }
    this.mode = mode;
    this.pos = Math.max(this.pos, to);
  }

  /** At the end of the bytes: the last record without a line end counts; a quoted value still open is an error. */
  finish(length: number): void {
    if (this.mode === QUOTED) throw unclosedQuote(this.records === 0 ? 'header' : `row ${this.records}`);
    if (this.recordStart < length && this.mode !== AFTER_CR) this.endRecord(length);
  }
}

/**
 * The first ill-formed UTF-8 sequence in bytes[from, to) (the well-formed
 * byte sequences of the Unicode Standard, table 3-7: no overlong forms, no
 * surrogates, nothing above U+10FFFF): its offset and its length (the
 * maximal subpart, 1 to 3 bytes), or undefined.
 */
export function firstInvalidUtf8(bytes: Uint8Array, from = 0, to = bytes.length): { at: number; length: number } | undefined {
  let i = from;
  while (i < to) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i += 1;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      else if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      else if (b === 0xf4) hi = 0x8f;
    } else return { at: i, length: 1 };
    for (let k = 1; k <= need; k += 1) {
      const c = i + k < to ? (bytes[i + k] as number) : -1;
      const min = k === 1 ? lo : 0x80;
      const max = k === 1 ? hi : 0xbf;
      if (c < min || c > max) return { at: i, length: k };
    }
    i += need + 1;
  }
  return undefined;
}

/** The error for bytes that are not UTF-8 at `at`, in the record `row` (0: the header). */
function notUtf8(bytes: Uint8Array, at: number, length: number, row: number, lineStart: number): Error {
  const hex = Array.from(bytes.subarray(at, at + length), (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
  // Up to 40 bytes of the record before them, from the start of a character.
  let from = Math.max(lineStart, at - 40);
  while (from < at && ((bytes[from] as number) & 0xc0) === 0x80) from += 1;
  const before = Buffer.from(bytes.buffer, bytes.byteOffset + from, at - from).toString('utf8');
  const where = row === 0 ? 'header' : `row ${row}`;
  return new Error(
    `CSV ${where} (byte offset ${at}): the ${length === 1 ? 'byte' : 'bytes'} ${hex}${before ? ` after ${JSON.stringify(before)}` : ''} ${length === 1 ? 'is' : 'are'} not UTF-8. ` +
      'The file is not UTF-8 text: it was probably saved as ISO-8859-1/Windows-1252, GBK or another legacy encoding. ' +
      'Save it as UTF-8 (in Excel: Save As, "CSV UTF-8") and load it again.',
  );
}

/** The error for the first bytes in [from, to) that are not UTF-8; `scanner` is the state at `from`. */
function notUtf8In(bytes: Uint8Array, from: number, to: number, scanner: RecordScanner): Error {
  const bad = firstInvalidUtf8(bytes, from, to) ?? { at: from, length: 1 };
  const probe = scanner.copy();
  probe.run(bytes, bad.at);
  return notUtf8(bytes, bad.at, bad.length, probe.records, probe.recordStart);
}

const strictUtf8 = (): TextDecoder => new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Checks CSV bytes through once, a chunk of about `chunk` bytes per step
 * (the caller yields to the event loop between steps): that they are UTF-8,
 * that every quoted value is closed, that the header is valid. Returns the
 * number of data records (blank rows not counted, as csvRecords skips
 * them). Throws the errors csvRecords throws, and one naming the row and
 * byte offset of bytes that are not UTF-8.
 */
export function* checkCsvBytes(bytes: Uint8Array, chunk = SEGMENT_BYTES): Generator<void, number> {
  const scanner = new RecordScanner(bomEnd(bytes));
  let headerChecked = false;
  const checkHeader = (): void => {
    if (headerChecked || scanner.records === 0) return;
    headerChecked = true;
    csvHeader(strictUtf8().decode(bytes.subarray(0, scanner.headerEnd)));
  };
  while (scanner.pos < bytes.length) {
    const from = scanner.pos;
    let to = Math.min(bytes.length, from + chunk);
    // Never split a UTF-8 sequence: move the cut past continuation bytes (10xxxxxx).
    while (to < bytes.length && ((bytes[to] as number) & 0xc0) === 0x80 && to - from < chunk + 4) to += 1;
    if (!isUtf8(bytes.subarray(from, to))) throw notUtf8In(bytes, from, to, scanner);
    scanner.run(bytes, to);
    checkHeader();
    yield;
  }
  scanner.finish(bytes.length);
  checkHeader();
  return scanner.filled;
}

/**
 * The records of CSV bytes, as csvRecords gives them for the decoded text:
 * decoded strictly as UTF-8 a segment of whole records at a time (about
 * `segment` bytes). Bytes that are not UTF-8 throw the error that names
 * their row and offset.
 */
export function* csvRecordsFromBytes(bytes: Uint8Array, segment = SEGMENT_BYTES): Generator<CsvRecord> {
  const length = bytes.length;
  const scanner = new RecordScanner(bomEnd(bytes));
  if (scanner.pos >= length) return;
  const decoder = strictUtf8();
  let names: string[] | undefined;
  // The first segment starts at 0: csvHeader drops the mark (decoded as U+FEFF) itself.
  let start = 0;
  while (start < length) {
    /** The state at `start`, for the error that names a row. */
    const atStart = scanner.copy();
    const first = atStart.recordStart;
    scanner.run(bytes, Math.min(length, Math.max(scanner.pos, start + segment)));
    // Cut after the last whole record scanned; scan on to the next record end when none ended yet, and past an LF that follows a CR.
    while ((scanner.recordStart <= first || scanner.mode === AFTER_CR) && scanner.pos < length) scanner.run(bytes, scanner.pos + 1);
    const end = scanner.recordStart > first ? scanner.recordStart : length;
    const rowAtStart = atStart.records;
    let text: string;
    try {
      text = decoder.decode(bytes.subarray(start, end));
    } catch {
      throw notUtf8In(bytes, start, end, atStart);
    }
    if (names === undefined) {
      const head = csvHeader(text);
      names = head.names;
      yield* csvDataRecords(text, head.end, names, 1);
    } else {
      yield* csvDataRecords(text, 0, names, rowAtStart);
    }
    start = end;
  }
}
