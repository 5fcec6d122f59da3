/** The embedded store's flow snapshots: the releases of a flow, kept whole, listed newest first. */
/* eslint-disable @typescript-eslint/require-await -- better-sqlite3 is synchronous; the methods are async so that every
   failure, validation included, reaches the caller as a rejected promise, as the port promises. */
import type { FlowSnapshot } from '../../schemas/store';
import { flowSnapshot } from '../../schemas/store';
import { StoreError, type SnapshotSummary } from '../port';
import { checked } from '../rules';
import { failed, type Connection, type Db } from './database';

export type SnapshotStatements = ReturnType<typeof prepareSnapshots>;

export function prepareSnapshots(db: Db) {
  return {
    insertSnapshot: db.prepare('INSERT INTO snapshots (id, flow, saved_at, doc) VALUES (?, ?, ?, ?)'),
    listSnapshots: db.prepare<[string], { doc: string }>('SELECT doc FROM snapshots WHERE flow = ? ORDER BY saved_at DESC, id DESC'),
    getSnapshot: db.prepare<[string], { doc: string }>('SELECT doc FROM snapshots WHERE id = ?'),
  };
}

export class EmbeddedSnapshots {
  constructor(private readonly c: Connection<SnapshotStatements>) {}

  private get st(): SnapshotStatements {
    return this.c.st;
  }

  async saveSnapshot(snapshot: FlowSnapshot): Promise<void> {
    checked(flowSnapshot, snapshot, 'flow snapshot');
    try {
      this.st.insertSnapshot.run(snapshot.id, snapshot.flow, snapshot.savedAt, JSON.stringify(snapshot));
      return;
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new StoreError('conflict', `flow snapshot ${snapshot.id} is already stored`);
      failed(err, 'saving a flow snapshot');
    }
  }

  async listSnapshots(flow: string): Promise<SnapshotSummary[]> {
    return this.st.listSnapshots.all(flow).map((r) => {
        const s = JSON.parse(r.doc) as FlowSnapshot;
        const summary: SnapshotSummary = { id: s.id, flow: s.flow, version: s.version, savedAt: s.savedAt, savedBy: s.savedBy, nodeCount: s.nodes.length };
        if (s.comment !== undefined) summary.comment = s.comment;
        return summary;
      });
  }

  async getSnapshot(id: string): Promise<FlowSnapshot | undefined> {
    const row = this.st.getSnapshot.get(id);
    return row ? (JSON.parse(row.doc) as FlowSnapshot) : undefined;
  }
}
