/**
 * The embedded store's call records: written once (a repeat is a no-op), read one by its id (the primary key), listed
 * newest first (of every call, or of one flow, campaign or connection, each along an index of its own), and pruned a
 * batch at a time by the retention sweep (lib/call-records/retention.ts).
 */
/* eslint-disable @typescript-eslint/require-await -- better-sqlite3 is synchronous; the methods are async so that every
   failure, validation included, reaches the caller as a rejected promise, as the port promises. */
import type { CallRecord } from '../../schemas/store';
import { callRecord } from '../../schemas/store';
import { pageLimit, type CallRecordPageOptions, type CallRecordPrune, type Page } from '../port';
import { checked, checkId, checkPrune, checkRecordFilter, decodeCursor, pageOf } from '../rules';
import { failed, type Connection, type Db } from './database';

export type CallRecordStatements = ReturnType<typeof prepareCallRecords>;

/** Before the first page: a key above every record's (newest first: the next record is below the cursor). */
const TOP: [number, string] = [Number.MAX_SAFE_INTEGER, ''];
const BELOW = '(ended_at < ? OR (ended_at = ? AND id < ?))';

export function prepareCallRecords(db: Db) {
  const page = (where: string) => db.prepare<unknown[], { doc: string }>(`SELECT doc FROM call_records WHERE ${where}${BELOW} ORDER BY ended_at DESC, id DESC LIMIT ?`);
  type Key = { at: number; id: string };
  return {
    insertRecord: db.prepare('INSERT OR IGNORE INTO call_records (id, flow, connection, campaign, ended_at, doc) VALUES (?, ?, ?, ?, ?, ?)'),
    getRecord: db.prepare<[string], { doc: string }>('SELECT doc FROM call_records WHERE id = ?'),
    pageRecords: page(''),
    pageFlowRecords: page('flow = ? AND '),
    pageCampaignRecords: page('campaign = ? AND '),
    pageConnectionRecords: page('connection = ? AND '),
    /** The `keep`-th newest record (OFFSET keep - 1), of every connection or of one. */
    keptLast: db.prepare<[number], Key>('SELECT ended_at AS at, id FROM call_records ORDER BY ended_at DESC, id DESC LIMIT 1 OFFSET ?'),
    keptLastOf: db.prepare<[string, number], Key>('SELECT ended_at AS at, id FROM call_records WHERE connection = ? ORDER BY ended_at DESC, id DESC LIMIT 1 OFFSET ?'),
    pruneRecords: db.prepare(`DELETE FROM call_records WHERE id IN (SELECT id FROM call_records WHERE ${BELOW} ORDER BY ended_at, id LIMIT ?)`),
    pruneRecordsOf: db.prepare(`DELETE FROM call_records WHERE id IN (SELECT id FROM call_records WHERE connection = ? AND ${BELOW} ORDER BY ended_at, id LIMIT ?)`),
  };
}

/** A stored record's document, as it was written (checked against callRecord then). */
function recordOf(row: { doc: string }): CallRecord {
  return JSON.parse(row.doc) as CallRecord;
}

/** Whether key a comes after key b in the records' order (endedAt, then id byte by byte, as SQLite compares TEXT). */
function after(a: [number, string], b: [number, string]): boolean {
  return a[0] !== b[0] ? a[0] > b[0] : Buffer.compare(Buffer.from(a[1]), Buffer.from(b[1])) > 0;
}

export class EmbeddedCallRecords {
  constructor(private readonly c: Connection<CallRecordStatements>) {}

  private get st(): CallRecordStatements {
    return this.c.st;
  }

  async saveCallRecord(record: CallRecord): Promise<void> {
    checked(callRecord, record, 'call record');
    try {
      this.st.insertRecord.run(record.id, record.flow ?? null, record.connection, record.campaign?.id ?? null, record.endedAt, JSON.stringify(record));
      return;
    } catch (err) {
      failed(err, 'saving a call record');
    }
  }

  async getCallRecord(id: string): Promise<CallRecord | undefined> {
    checkId(id, 'id');
    try {
      const row = this.st.getRecord.get(id);
      return row ? recordOf(row) : undefined;
    } catch (err) {
      failed(err, 'reading a call record');
    }
  }

  async pageCallRecords(options: CallRecordPageOptions = {}): Promise<Page<CallRecord>> {
    const limit = pageLimit(options);
    const filter = checkRecordFilter(options);
    const [at, id] = (decodeCursor(options.after, ['number', 'string']) as [number, string] | undefined) ?? TOP;
    const st = this.st;
    const rows =
      filter === undefined
        ? st.pageRecords.all(at, at, id, limit + 1)
        : { flow: st.pageFlowRecords, campaign: st.pageCampaignRecords, connection: st.pageConnectionRecords }[filter.field].all(filter.value, at, at, id, limit + 1);
    return pageOf(rows, limit, recordOf, (r) => [r.endedAt, r.id]);
  }

  async pruneCallRecords(prune: CallRecordPrune): Promise<number> {
    checkPrune(prune);
    const st = this.st;
    try {
      // Everything below one key goes: the older of the two bounds' keys is the one that keeps more.
      let cut: [number, string] | undefined = prune.before === undefined ? undefined : [prune.before, ''];
      if (prune.keep !== undefined) {
        const last = prune.connection === undefined ? st.keptLast.get(prune.keep - 1) : st.keptLastOf.get(prune.connection, prune.keep - 1);
        if (last && (cut === undefined || after([last.at, last.id], cut))) cut = [last.at, last.id];
      }
      if (cut === undefined) return 0;
      const done = prune.connection === undefined ? st.pruneRecords.run(cut[0], cut[0], cut[1], prune.limit) : st.pruneRecordsOf.run(prune.connection, cut[0], cut[0], cut[1], prune.limit);
      return done.changes;
    } catch (err) {
      failed(err, 'pruning call records');
    }
  }
}
