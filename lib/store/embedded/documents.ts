/** The embedded store's named documents (campaign settings and state, release states, routing tables), written compare-and-set on their revision. */
/* eslint-disable @typescript-eslint/require-await -- better-sqlite3 is synchronous; the methods are async so that every
   failure, validation included, reaches the caller as a rejected promise, as the port promises. */
import type { DocumentKind } from '../../schemas/store';
import { StoreError, type StoredDocument } from '../port';
import { checkDocument } from '../rules';
import { failed, type Connection, type Db } from './database';

export type DocumentStatements = ReturnType<typeof prepareDocuments>;

export function prepareDocuments(db: Db) {
  return {
    getDocument: db.prepare<[string, string], { rev: number; updated_at: number; doc: string }>('SELECT rev, updated_at, doc FROM documents WHERE kind = ? AND id = ?'),
    listDocuments: db.prepare<[string], { id: string; rev: number; updated_at: number; doc: string }>('SELECT id, rev, updated_at, doc FROM documents WHERE kind = ? ORDER BY id'),
    insertDocument: db.prepare('INSERT OR IGNORE INTO documents (kind, id, rev, updated_at, doc) VALUES (?, ?, 1, ?, ?)'),
    updateDocument: db.prepare('UPDATE documents SET rev = rev + 1, updated_at = ?, doc = ? WHERE kind = ? AND id = ? AND rev = ?'),
    deleteDocument: db.prepare('DELETE FROM documents WHERE kind = ? AND id = ?'),
  };
}

export class EmbeddedDocuments {
  constructor(private readonly c: Connection<DocumentStatements>) {}

  private get st(): DocumentStatements {
    return this.c.st;
  }

  private get handle(): Db {
    return this.c.handle;
  }

  async getDocument<T = Record<string, unknown>>(kind: DocumentKind, id: string): Promise<StoredDocument<T> | undefined> {
    const row = this.st.getDocument.get(kind, id);
    return row ? { kind, id, rev: row.rev, updatedAt: row.updated_at, value: JSON.parse(row.doc) as T } : undefined;
  }

  async putDocument(kind: DocumentKind, id: string, value: Record<string, unknown>, expectedRev: number, now: number): Promise<number> {
    checkDocument(kind, id, value, now);
    const st = this.st;
    const text = JSON.stringify(value);
    try {
      const rev = this.handle
        .transaction((): number => {
          if (expectedRev === 0) {
            if (st.insertDocument.run(kind, id, now, text).changes === 0) throw new StoreError('conflict', `${kind} ${id} already exists`);
            return 1;
          }
          if (st.updateDocument.run(now, text, kind, id, expectedRev).changes === 0) {
            const current = st.getDocument.get(kind, id);
            throw new StoreError('conflict', current ? `${kind} ${id} is at revision ${current.rev}, not ${expectedRev}: someone else changed it` : `${kind} ${id} does not exist`);
          }
          return expectedRev + 1;
        })
        .immediate();
      return rev;
    } catch (err) {
      failed(err, `writing ${kind} ${id}`);
    }
  }

  async listDocuments<T = Record<string, unknown>>(kind: DocumentKind): Promise<StoredDocument<T>[]> {
    return this.st.listDocuments.all(kind).map((r) => ({ kind, id: r.id, rev: r.rev, updatedAt: r.updated_at, value: JSON.parse(r.doc) as T }));
  }

  async deleteDocument(kind: DocumentKind, id: string): Promise<boolean> {
    return this.st.deleteDocument.run(kind, id).changes > 0;
  }
}
