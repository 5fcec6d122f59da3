/** The MongoDB store's flow snapshots: the releases of a flow, kept whole, listed newest first. */
import type { Db } from 'mongodb';
import type { FlowSnapshot } from '../../schemas/store';
import { flowSnapshot } from '../../schemas/store';
import { StoreError, type SnapshotSummary } from '../port';
import { checked } from '../rules';
import { isDuplicateKey, mongoError, run, type Connection } from './database';

interface SnapshotDoc extends Omit<FlowSnapshot, 'id'> {
  _id: string;
}

export class MongoSnapshots {
  constructor(private readonly c: Connection) {}

  private get handle(): Db {
    return this.c.handle;
  }

  async saveSnapshot(snapshot: FlowSnapshot): Promise<void> {
    checked(flowSnapshot, snapshot, 'flow snapshot');
    const { id, ...rest } = snapshot;
    try {
      await this.handle.collection<SnapshotDoc>('snapshots').insertOne({ _id: id, ...rest });
    } catch (err) {
      if (isDuplicateKey(err)) throw new StoreError('conflict', `flow snapshot ${id} is already stored`);
      throw mongoError(err, 'saving a flow snapshot');
    }
  }

  async listSnapshots(flow: string): Promise<SnapshotSummary[]> {
    return run('listing flow snapshots', async () => {
      const docs = await this.handle
        .collection<SnapshotDoc>('snapshots')
        .aggregate<SnapshotSummary & { _id: string }>([
          { $match: { flow } },
          { $sort: { savedAt: -1, _id: -1 } },
          { $project: { flow: 1, version: 1, savedAt: 1, savedBy: 1, comment: 1, nodeCount: { $size: '$nodes' } } },
        ])
        .toArray();
      return docs.map(({ _id, ...rest }) => ({ ...rest, id: _id }));
    });
  }

  async getSnapshot(id: string): Promise<FlowSnapshot | undefined> {
    return run('reading a flow snapshot', async () => {
      const d = await this.handle.collection<SnapshotDoc>('snapshots').findOne({ _id: id });
      if (!d) return undefined;
      const { _id, ...rest } = d;
      return { id: _id, ...rest };
    });
  }
}
