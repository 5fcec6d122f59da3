/**
 * The contacts stage of a campaign: the rows a user brings (objects from
 * msg.payload, CSV text, or CSV bytes) become contacts in the store. Each
 * row is checked on its own (contact-row.ts); a bad row is handed over as
 * it is found, with its row number and the reason, and the others are
 * imported.
 *
 * Large imports stay responsive and bounded: the work runs in slices of a
 * few milliseconds with a turn of the event loop between them; each batch
 * written to the store is sized so that its synchronous part stays short
 * (the embedded store writes a batch in one synchronous transaction); and
 * rejected rows are handed over a bounded number per turn, none kept.
 */
import { performance } from 'node:perf_hooks';
import type { ContactInput } from '../schemas/store';
import type { Store } from '../store/port';
import { contactFromRow, idOf, isObject, show, type ContactRules } from './contact-row';
import { checkCsvBytes, csvRecordsFromBytes } from './csv-bytes';
import { csvRecords } from './csv';

export { contactFromRow, normaliseNumber, prepareContactChecks, type ContactRules } from './contact-row';

export interface RejectedRow {
  /** 1-based: the index in the array + 1, or the CSV data row (header excluded). */
  row: number;
  customerId?: string;
  reason: string;
  data: unknown;
}

/** What an import did: contacts stored, rows rejected (each was handed to onRejected as it was found). */
export interface ImportOutcome {
  inserted: number;
  rejected: number;
}

/** Where an import is. */
export interface ImportProgress {
  /** Rows handled (stored or rejected). */
  done: number;
  /** The rows of the input (blank CSV rows not counted). */
  total: number;
  inserted: number;
  rejected: number;
}

export interface ImportOptions {
  /** The most contacts written to the store at once (default 1000); smaller batches are used when a batch takes long. */
  batchSize?: number;
  /** Stops the import between batches: the batches written stay; ImportAborted is thrown. */
  signal?: AbortSignal;
  /** After each slice of the work. */
  onProgress?: (progress: ImportProgress) => void;
  /**
   * Each rejected row, as it is found, in row order. Called synchronously;
   * the import hands over a bounded number of rows per turn of the event
   * loop, fewer when the turns after them run long (Node-RED delivers a
   * sent msg in the next turn, so what the rows cost downstream shows
   * there), and keeps none of them.
   */
  onRejected?: (row: RejectedRow) => void;
  /** The most rejected rows handed over in one turn of the event loop (default REJECTS_PER_TURN.max). */
  rejectsPerTurn?: number;
}

/** The input an import reads: rows as objects, CSV text, or CSV bytes (UTF-8, e.g. a Buffer from a file-in node). */
export type ImportInput = unknown[] | string | Uint8Array;

/** An import stopped by its AbortSignal: what was done before it stopped. */
export class ImportAborted extends Error {
  override readonly name = 'ImportAborted';
  constructor(
    readonly inserted: number,
    readonly rejected: number,
    cause: unknown,
  ) {
    super(`contact import stopped after ${inserted} contacts were stored and ${rejected} rows rejected`, { cause });
  }
}

/** An import that failed part way (the store refused a batch, the input changed under it): what was done before. */
export class ImportFailed extends Error {
  override readonly name = 'ImportFailed';
  constructor(
    readonly inserted: number,
    readonly rejected: number,
    cause: unknown,
  ) {
    super(`contact import failed after ${inserted} contacts were stored and ${rejected} rows rejected: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** The synchronous work of one slice (parsing, checking rows), in ms: well under the ~20 ms a stretch may take. */
const SLICE_MS = 5;
/**
 * What one batch write should take of CPU in its synchronous part, in ms,
 * at the usual cost of a row. The cost is CPU time, not the time the write
 * took: the embedded store's commit waits for the disk (a sync with
 * durability full), a fixed cost per batch that smaller batches would only
 * pay more often. Some writes cost more than their rows (a checkpoint of
 * the write-ahead log); those are left out of the usual cost (a median)
 * and the target is kept low to leave room for them.
 */
const WRITE_MS = 5;
const FIRST_BATCH = 100;
const MIN_BATCH = 10;
/** How many recent batches the usual cost of a row is the median of. */
const COST_WINDOW = 9;
/**
 * Rejected rows handed over per turn of the event loop: at first, at most
 * and at least. The number adapts to what a turn costs: a row handed over
 * in one turn is usually handled downstream in the next (Node-RED delivers
 * each msg with setImmediate), so a long next turn means fewer per turn.
 */
export const REJECTS_PER_TURN = { first: 64, max: 1024, min: 1 } as const;
/** A turn that takes longer than this (handing rows over plus what ran before the import went on) halves the rows per turn. */
const TURN_MS = 10;

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
 * Reads CSV through once, in slices, only to count its rows and to find an
 * unclosed quote (and, for bytes, anything that is not UTF-8) before
 * anything is stored (the records are parsed again, one batch at a time,
 * by the import: so they die young instead of all living through the
 * import).
 */
async function countCsv(input: string | Uint8Array, stop: () => void): Promise<number> {
  let since = performance.now();
  const pause = async (): Promise<void> => {
    await nextTurn();
    stop();
    since = performance.now();
  };
  if (typeof input !== 'string') {
    const steps = checkCsvBytes(input);
    for (let step = steps.next(); ; step = steps.next()) {
      if (step.done) return step.value;
      if (performance.now() - since > SLICE_MS) await pause();
    }
  }
  let count = 0;
  for (const _record of csvRecords(input)) {
    count += 1;
    if ((count & 31) === 0 && performance.now() - since > SLICE_MS) await pause();
  }
  return count;
}

function* arraySource(rows: unknown[]): Generator<Source> {
  for (let i = 0; i < rows.length; i += 1) yield { row: i + 1, data: rows[i] };
}

function* csvSource(input: string | Uint8Array): Generator<Source> {
  const records = typeof input === 'string' ? csvRecords(input) : csvRecordsFromBytes(input);
  for (const r of records) yield { row: r.row, data: r.record, ...(r.extra ? { extra: r.extra } : {}) };
}

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[sorted.length >> 1] ?? 0;
}

/**
 * Imports rows (an array of objects, CSV text, or CSV bytes) into a
 * campaign: each row validated; valid rows stored in batches; each rejected
 * one handed to onRejected as it is found, with its row number (1-based)
 * and reason, and only counted here. Yields to the event loop between
 * slices (setImmediate) so that no stretch of synchronous work exceeds
 * ~20 ms even for a million rows, whatever share of them is rejected. A
 * customer id repeated in the import rejects the later row; a customer the
 * campaign already has is rejected too. Invalid CSV (an unclosed quote, a
 * column named twice, bytes that are not UTF-8) throws before anything is
 * stored. A failure part way (the store's own error) throws ImportFailed
 * with what was done before (the batches written stay).
 *
 * Memory: the batch being written and the rows rejected in the current
 * slice; nothing that grows with the input (the input itself is the
 * caller's).
 */
export async function importContacts(
  store: Store,
  campaignId: string,
  input: ImportInput,
  rules: ContactRules,
  now: number,
  options: ImportOptions = {},
): Promise<ImportOutcome> {
  const maxBatch = options.batchSize ?? 1000;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`batchSize: a whole number of 1 or more (got ${show(maxBatch)})`);
  const maxPerTurn = options.rejectsPerTurn ?? REJECTS_PER_TURN.max;
  if (!Number.isInteger(maxPerTurn) || maxPerTurn < 1) throw new RangeError(`rejectsPerTurn: a whole number of 1 or more (got ${show(maxPerTurn)})`);
  const { signal, onProgress, onRejected } = options;
  let inserted = 0;
  let rejected = 0;
  const stop = (): void => {
    if (signal?.aborted) throw new ImportAborted(inserted, rejected, signal.reason);
  };
  stop();

  let total: number;
  let source: Iterator<Source>;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    total = await countCsv(input, stop);
    source = csvSource(input);
  } else if (Array.isArray(input)) {
    total = input.length;
    source = arraySource(input);
  } else {
    throw new TypeError(`contacts: an array of contact objects, CSV text or CSV bytes (got ${show(input)})`);
  }

  /** Rejected rows handed over per turn; see REJECTS_PER_TURN. */
  let perTurn = Math.min(REJECTS_PER_TURN.first, maxPerTurn);
  /** Rows handed over since the last turn. */
  let handed = 0;
  /** Yields a turn; the turn's length (with the rows handed over before it) sets how many rows the next turns take. */
  const pause = async (): Promise<void> => {
    const t0 = performance.now();
    await nextTurn();
    const took = performance.now() - t0;
    if (took > TURN_MS && handed > 0) perTurn = Math.max(REJECTS_PER_TURN.min, perTurn >> 1);
    else if (handed >= perTurn && took < TURN_MS / 2) perTurn = Math.min(maxPerTurn, perTurn * 2);
    handed = 0;
    stop();
  };
  /** Hands over the rows rejected in a slice, a turn's share at a time. */
  const handOver = async (rows: RejectedRow[]): Promise<void> => {
    if (rows.length > 1) rows.sort((a, b) => a.row - b.row);
    for (const r of rows) {
      if (handed >= perTurn) await pause();
      rejected += 1;
      handed += 1;
      onRejected?.(r);
    }
  };

  /**
   * The seq the store gave the first contact this import stored: a customer
   * the store refuses as a duplicate whose stored seq is at least this came
   * from an earlier row of this import (the import keeps no index of the
   * ids it stored: that would grow with the input, and a Map of a million
   * keys holds the loop for a tenth of a second each time it grows).
   */
  let firstSeq: number | undefined;
  /** Why the store refused a row as a duplicate, asking it which import stored the customer. */
  const duplicateReason = async (customerId: string): Promise<string> => {
    const seq = firstSeq === undefined ? undefined : (await store.getContact(campaignId, customerId))?.seq;
    return seq !== undefined && firstSeq !== undefined && seq >= firstSeq
      ? `customerId: ${customerId} is repeated (an earlier row of this import has it)`
      : `customerId: the campaign already has customer ${customerId}`;
  };
  let batchSize = Math.min(FIRST_BATCH, maxBatch);
  /** The synchronous write cost of a row in recent batches, in ms. */
  const costs: number[] = [];
  let done = 0;
  let more = true;
  try {
    while (more) {
      const sliceStart = performance.now();
      const batch: ContactInput[] = [];
      const batchRows: { row: number; data: unknown }[] = [];
      /** This slice's rejected rows (a slice is a few milliseconds of checking), and the batch's that the store refuses. */
      const found: RejectedRow[] = [];
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
          found.push({ row, ...(id !== undefined ? { customerId: id } : {}), reason: result, data });
        } else {
          // A customer id repeated in the import is refused by the store, like one stored before (duplicateReason tells which).
          batch.push(result);
          batchRows.push({ row, data });
        }
        if ((done & 15) === 0 && performance.now() - sliceStart > SLICE_MS) break;
      }
      if (batch.length > 0) {
        // Checking the rows and writing them are two stretches: a turn of the event loop between them.
        await pause();
        const cpu0 = process.cpuUsage();
        const pending = store.importContacts(campaignId, batch, now);
        // The CPU of the part of the write that ran before the store awaited: the whole transaction for a store on Node's thread
        // (EmbeddedStore), the message for one on a thread of its own (EmbeddedThreadStore, which the store node makes).
        const cpu = process.cpuUsage(cpu0);
        const blocked = (cpu.user + cpu.system) / 1000;
        const report = await pending;
        inserted += report.inserted;
        if (firstSeq === undefined && report.inserted > 0) {
          const refused = new Set(report.duplicates.map((d) => d.index));
          const first = batch.find((_, i) => !refused.has(i));
          if (first) firstSeq = (await store.getContact(campaignId, first.customerId))?.seq;
        }
        let asked = performance.now();
        for (const d of report.duplicates) {
          const at = batchRows[d.index];
          found.push({ row: at?.row ?? 0, customerId: d.customerId, reason: await duplicateReason(d.customerId), data: at?.data });
          // Each answer is a lookup in the store: a batch of duplicates (a file loaded twice) takes turns too.
          if (performance.now() - asked > SLICE_MS) {
            await pause();
            asked = performance.now();
          }
        }
        costs.push(blocked / batch.length);
        if (costs.length > COST_WINDOW) costs.shift();
        const perRow = median(costs);
        const fits = perRow > 0 ? Math.floor(WRITE_MS / perRow) : maxBatch;
        batchSize = Math.max(MIN_BATCH, Math.min(maxBatch, fits, batchSize * 2));
      }
      await handOver(found);
      onProgress?.({ done, total, inserted, rejected });
      if (more) await pause();
    }
  } catch (err) {
    if (err instanceof ImportAborted) throw err;
    throw new ImportFailed(inserted, rejected, err);
  }
  return { inserted, rejected };
}
