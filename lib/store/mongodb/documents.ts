/** The MongoDB store's named documents (campaign settings and state, release states, routing tables), written compare-and-set on their revision. */
import type { Collection as MongoCollection, Db } from 'mongodb';
import type { DocumentKind } from '../../schemas/store';
import { StoreError, type StoredDocument } from '../port';
import { checkDocument } from '../rules';
import { isDuplicateKey, mongoError, run, type Connection } from './database';

interface DocumentDoc {
  kind: DocumentKind;
  id: string;
  rev: number;
  updatedAt: number;
  value: Record<string, unknown>;
}

export class MongoDocuments {
  constructor(private readonly c: Connection) {}

  private get handle(): Db {
    return this.c.handle;
  }

  private get documents(): MongoCollection<DocumentDoc> {
    return this.handle.collection<DocumentDoc>('documents');
  }

  async getDocument<T = Record<string, unknown>>(kind: DocumentKind, id: string): Promise<StoredDocument<T> | undefined> {
    return run(`reading ${kind} ${id}`, async () => {
      const d = await this.documents.findOne({ kind, id });
      return d ? { kind, id, rev: d.rev, updatedAt: d.updatedAt, value: d.value as T } : undefined;
    });
  }

  async putDocument(kind: DocumentKind, id: string, value: Record<string, unknown>, expectedRev: number, now: number): Promise<number> {
    checkDocument(kind, id, value, now);
    if (expectedRev === 0) {
      try {
        await this.documents.insertOne({ kind, id, rev: 1, updatedAt: now, value });
        return 1;
      } catch (err) {
        if (isDuplicateKey(err)) throw new StoreError('conflict', `${kind} ${id} already exists`);
        throw mongoError(err, `writing ${kind} ${id}`);
      }
    }
    return run(`writing ${kind} ${id}`, async () => {
      const r = await this.documents.updateOne({ kind, id, rev: expectedRev }, { $set: { value, updatedAt: now }, $inc: { rev: 1 } });
      if (r.matchedCount === 0) {
        const current = await this.documents.findOne({ kind, id }, { projection: { rev: 1 } });
        throw new StoreError('conflict', current ? `${kind} ${id} is at revision ${current.rev}, not ${expectedRev}: someone else changed it` : `${kind} ${id} does not exist`);
      }
      return expectedRev + 1;
    });
  }

  async listDocuments<T = Record<string, unknown>>(kind: DocumentKind): Promise<StoredDocument<T>[]> {
    return run(`listing ${kind} documents`, async () => {
      const docs = await this.documents.find({ kind }).sort({ id: 1 }).toArray();
      return docs.map((d) => ({ kind, id: d.id, rev: d.rev, updatedAt: d.updatedAt, value: d.value as T }));
    });
  }

  async deleteDocument(kind: DocumentKind, id: string): Promise<boolean> {
    return run(`deleting ${kind} ${id}`, async () => (await this.documents.deleteOne({ kind, id })).deletedCount > 0);
  }
}
