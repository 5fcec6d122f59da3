/**
 * What every part of the embedded store (lib/store/embedded.ts) works with:
 * the SQLite handle, the part's prepared statements, and the translation of
 * SQLite's errors into StoreErrors.
 */
import type Database from 'better-sqlite3';
import { StoreError } from '../port';

export type Db = Database.Database;

/**
 * What a part of the store reaches: the open database and the part's
 * prepared statements (made once at open). Before open() or after close(),
 * reading either throws the store's own error rather than a TypeError.
 */
export interface Connection<S> {
  readonly handle: Db;
  readonly st: S;
}

/** Turns SQLite's errors into StoreErrors a user can act on. */
export function failed(err: unknown, doing: string): never {
  if (err instanceof StoreError) throw err;
  const e = err as { code?: string; message?: string };
  if (e.code === 'SQLITE_BUSY') throw new StoreError('failed', `${doing}: the database file is locked by another process for too long (${e.message ?? ''})`, { cause: err });
  throw new StoreError('failed', `${doing}: ${e.message ?? String(err)}`, { cause: err });
}
