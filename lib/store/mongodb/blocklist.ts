/** The MongoDB store's blocklists: numbers not to call, by group, each with an optional time window. */
import type { Db } from 'mongodb';
import type { BlockEntry } from '../../schemas/store';
import { blockEntry } from '../../schemas/store';
import { pageLimit, type Page, type PageOptions } from '../port';
import { checked, decodeCursor, pageOf } from '../rules';
import { run, withoutMongoId, type Connection } from './database';

interface BlockDoc extends BlockEntry {
  _id?: unknown;
}

export class MongoBlocklist {
  constructor(private readonly c: Connection) {}

  private get handle(): Db {
    return this.c.handle;
  }

  async addBlocked(entries: BlockEntry[]): Promise<number> {
    entries.forEach((e, i) => checked(blockEntry, e, `blocklist entry ${i}`));
    if (entries.length === 0) return 0;
    return run('adding to a blocklist', async () => {
      await this.handle.collection<BlockDoc>('blocklist').bulkWrite(
        entries.map((e) => ({ replaceOne: { filter: { group: e.group, number: e.number }, replacement: { ...e }, upsert: true } })),
        { ordered: true },
      );
      return entries.length;
    });
  }

  async removeBlocked(group: string, number: string): Promise<boolean> {
    return run('removing from a blocklist', async () => (await this.handle.collection<BlockDoc>('blocklist').deleteOne({ group, number })).deletedCount > 0);
  }

  async findBlock(groups: string[], number: string, at: number): Promise<BlockEntry | undefined> {
    if (groups.length === 0) return undefined;
    return run('reading a blocklist', async () => {
      const d = await this.handle.collection<BlockDoc>('blocklist').findOne(
        {
          number,
          group: { $in: groups },
          $and: [{ $or: [{ from: { $exists: false } }, { from: { $lte: at } }] }, { $or: [{ until: { $exists: false } }, { until: { $gt: at } }] }],
        },
        { sort: { group: 1 }, projection: { _id: 0 } },
      );
      return d ? withoutMongoId(d) : undefined;
    });
  }

  async pageBlocked(group: string, options: PageOptions = {}): Promise<Page<BlockEntry>> {
    const limit = pageLimit(options);
    const after = (decodeCursor(options.after, ['string'])?.[0] as string | undefined) ?? '';
    return run('listing a blocklist', async () => {
      const docs = await this.handle
        .collection<BlockDoc>('blocklist')
        .find({ group, number: { $gt: after } }, { projection: { _id: 0 } })
        .sort({ number: 1 })
        .limit(limit + 1)
        .toArray();
      return pageOf(docs, limit, (d) => withoutMongoId(d), (e) => [e.number]);
    });
  }
}
