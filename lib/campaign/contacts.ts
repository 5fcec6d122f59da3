/**
 * The contacts stage of a campaign: rows a user brings (objects from
 * msg.payload, or CSV text) become contacts in the store. Each row is
 * checked on its own (contact-row.ts); a bad row is reported with its row
 * number and a sentence naming the field and the value, and the others are
 * imported.
 *
 * Large imports stay responsive: the work runs in slices of a few
 * milliseconds with a turn of the event loop between them, and each batch
 * written to the store is sized so that its synchronous part stays short
 * (the embedded store writes a batch in one synchronous transaction).
 */
import { performance } from 'node:perf_hooks';
import type { ContactInput } from '../schemas/store';
import type { Store } from '../store/port';
import { contactFromRow, idOf, isObject, show, type ContactRules } from './contact-row';
import { csvRecords } from './csv';

export { contactFromRow, normaliseNumber, type ContactRules } from './contact-row';

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
