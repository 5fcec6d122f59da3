/**
 * The MongoDB store's call records: written once (a repeat is a no-op), read one by its id (_id), listed newest first
 * (of every call, or of one flow, campaign or connection, each along an index of its own), and pruned a batch at a time
 * by the retention sweep (lib/call-records/retention.ts).
 */
import type { Db, Filter } from 'mongodb';
import type { CallRecord } from '../../schemas/store';
import { callRecord } from '../../schemas/store';
import { pageLimit, type CallRecordPageOptions, type CallRecordPrune, type Page } from '../port';
import { checked, checkId, checkPrune, checkRecordFilter, decodeCursor, pageOf } from '../rules';
import { isDuplicateKey, mongoError, run, type Connection } from './database';

interface RecordDoc extends Omit<CallRecord, 'id'> {
  _id: string;
}

/** The field each listing filter reads (a campaign's id is inside its link). */
const FILTER_FIELD = { flow: 'flow', campaign: 'campaign.id', connection: 'connection' } as const;

/** A stored document as the port's record (its _id is the call's id). */
function recordOf({ _id, ...rest }: RecordDoc): CallRecord {
  return { id: _id, ...rest };
}

/** Records whose key is below [at, id] in (endedAt, _id) order. */
function below(at: number, id: string): Filter<RecordDoc> {
  return { $or: [{ endedAt: { $lt: at } }, { endedAt: at, _id: { $lt: id } }] };
}

export class MongoCallRecords {
  constructor(private readonly c: Connection) {}

  private get handle(): Db {
    return this.c.handle;
  }

  async saveCallRecord(record: CallRecord): Promise<void> {
    checked(callRecord, record, 'call record');
    const { id, ...rest } = record;
    try {
      await this.handle.collection<RecordDoc>('call_records').insertOne({ _id: id, ...rest });
    } catch (err) {
      if (isDuplicateKey(err)) return;
      throw mongoError(err, 'saving a call record');
    }
  }

  async getCallRecord(id: string): Promise<CallRecord | undefined> {
    checkId(id, 'id');
    return run('reading a call record', async () => {
      const doc = await this.handle.collection<RecordDoc>('call_records').findOne({ _id: id });
      return doc ? recordOf(doc) : undefined;
    });
  }

  async pageCallRecords(options: CallRecordPageOptions = {}): Promise<Page<CallRecord>> {
    const limit = pageLimit(options);
    const filter = checkRecordFilter(options);
    const key = decodeCursor(options.after, ['number', 'string']) as [number, string] | undefined;
    return run('listing call records', async () => {
      const query: Filter<RecordDoc> = key ? below(key[0], key[1]) : {};
      if (filter) (query as Record<string, unknown>)[FILTER_FIELD[filter.field]] = filter.value;
      const docs = await this.handle.collection<RecordDoc>('call_records').find(query).sort({ endedAt: -1, _id: -1 }).limit(limit + 1).toArray();
      return pageOf(docs, limit, recordOf, (r) => [r.endedAt, r.id]);
    });
  }

  async pruneCallRecords(prune: CallRecordPrune): Promise<number> {
    checkPrune(prune);
    return run('pruning call records', async () => {
      const records = this.handle.collection<RecordDoc>('call_records');
      const of: Filter<RecordDoc> = prune.connection === undefined ? {} : { connection: prune.connection };
      let cut: [number, string] | undefined = prune.before === undefined ? undefined : [prune.before, ''];
      if (prune.keep !== undefined) {
        const [last] = await records.find(of, { projection: { endedAt: 1 } }).sort({ endedAt: -1, _id: -1 }).skip(prune.keep - 1).limit(1).toArray();
        // MongoDB compares strings by their UTF-8 bytes, as the embedded store does.
        if (last && (cut === undefined || last.endedAt > cut[0] || (last.endedAt === cut[0] && Buffer.compare(Buffer.from(last._id), Buffer.from(cut[1])) > 0))) cut = [last.endedAt, last._id];
      }
      if (cut === undefined) return 0;
      const old = await records.find({ ...of, ...below(cut[0], cut[1]) }, { projection: { _id: 1 } }).sort({ endedAt: 1, _id: 1 }).limit(prune.limit).toArray();
      if (old.length === 0) return 0;
      const done = await records.deleteMany({ _id: { $in: old.map((d) => d._id) } });
      return done.deletedCount;
    });
  }
}
