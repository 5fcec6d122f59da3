/**
 * What every part of the MongoDB store (lib/store/mongodb.ts) works with:
 * the database handle, and the translation of the driver's errors into
 * StoreErrors a user can act on.
 */
import { MongoServerError, type Db } from 'mongodb';
import { StoreError } from '../port';

/** What a part of the store reaches: the open database (before open() or after close(), the store's own error). */
export interface Connection {
  readonly handle: Db;
}

/** Which MongoDB failures mean what to a user. */
export function mongoError(err: unknown, doing: string): StoreError {
  if (err instanceof StoreError) return err;
  const e = err as { name?: string; code?: number; codeName?: string; message?: string };
  const text = e.message ?? String(err);
  if (e.code === 18 || e.codeName === 'AuthenticationFailed' || /auth(entication)? failed/i.test(text)) {
    return new StoreError('auth', `${doing}: MongoDB refused the user name or password`, { cause: err });
  }
  if (e.name === 'MongoServerSelectionError' || e.name === 'MongoNetworkError' || e.name === 'MongoNetworkTimeoutError' || e.name === 'MongoTopologyClosedError') {
    return new StoreError('unreachable', `${doing}: MongoDB cannot be reached (${text})`, { cause: err });
  }
  if (e.code === 13 || e.codeName === 'Unauthorized') return new StoreError('auth', `${doing}: the MongoDB user may not do this (${text})`, { cause: err });
  return new StoreError('failed', `${doing}: ${text}`, { cause: err });
}

export function isDuplicateKey(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === 11000;
}

/** Runs one operation, its failure said as a StoreError. */
export async function run<T>(doing: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw mongoError(err, doing);
  }
}

export function withoutMongoId<T extends { _id?: unknown }>(d: T): Omit<T, '_id'> {
  const { _id, ...rest } = d;
  void _id;
  return rest;
}

/** A connection string's hosts, without user, password or options: safe to log. */
export function describeUri(uri: string): string {
  const m = /^(mongodb(?:\+srv)?):\/\/(?:[^@/]*@)?([^/?]*)/.exec(uri);
  return m ? `${m[1]}://${m[2]}` : 'a MongoDB connection string';
}
