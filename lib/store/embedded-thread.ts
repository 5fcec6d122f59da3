/**
 * The embedded store on a thread of its own: the Store port, each call
 * posted to a worker thread (embedded-worker.ts) that owns the SQLite
 * connection, its reply resolving the call's promise.
 *
 * Why: better-sqlite3 is synchronous, and with durability full every commit
 * waits for the disk to sync the write-ahead log. On Node's thread, a disk
 * that stalls a sync stalls every call in progress and the editor: bench/
 * campaign measured a 725 ms block in a 1,000,000-row import whose commits
 * took 8 ms of CPU. Here the thread that waits is the store's.
 *
 * Calls run in the order they are made (one connection, one thread, its
 * messages in order), as they did on Node's thread. A call costs a message
 * each way (structured clone of its arguments and value). Errors keep their
 * kind (StoreError) or their class (RangeError, TypeError). If the thread
 * dies, the calls waiting fail with StoreError 'failed' and the next call
 * starts a new one (open() again: the file and its data are on disk).
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { EmbeddedOptions } from './embedded';
import { StoreError, type Store, type StoreErrorKind } from './port';

/** What the main thread posts: a method of EmbeddedStore and its arguments. */
export interface StoreCall {
  id: number;
  method: string;
  args: unknown[];
}

/** What the worker replies: the value, or the error (a StoreError's kind, or a built-in error's class). */
export type StoreReply = { id: number; value: unknown; error?: undefined } | { id: number; error: { kind?: StoreErrorKind; name?: string; message: string } };

interface Waiting {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

const BUILT_IN: Record<string, new (message: string) => Error> = { RangeError, TypeError, SyntaxError };

function errorOf(error: { kind?: StoreErrorKind; name?: string; message: string }): Error {
  if (error.kind) return new StoreError(error.kind, error.message);
  const Class = (error.name && BUILT_IN[error.name]) || Error;
  return new Class(error.message);
}

type Method<K extends keyof Store> = Store[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => Promise<R> : never;

export class EmbeddedThreadStore implements Store {
  readonly backend = 'embedded' as const;
  private worker: Worker | undefined;
  /**
   * Set by close() until the next open(): a call on a closed store is refused, instead of starting a thread that
   * nobody would close (a late call of a campaign after its store node closed left such threads behind).
   */
  private closed = false;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;

  constructor(private readonly options: EmbeddedOptions) {
    if (options.migrations) throw new TypeError('EmbeddedThreadStore: custom migrations run only with EmbeddedStore (they are functions, which a thread cannot be sent)');
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(path.join(__dirname, 'embedded-worker.js'), { workerData: { ...this.options } });
    worker.unref();
    worker.on('message', (reply: StoreReply) => {
      const w = this.waiting.get(reply.id);
      if (!w) return;
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) worker.unref();
      if (reply.error) w.reject(errorOf(reply.error));
      else w.resolve(reply.value);
    });
    const fail = (why: string): void => {
      if (this.worker === worker) this.worker = undefined;
      const waiting = [...this.waiting.values()];
      this.waiting.clear();
      // Nothing waits on it any more: it must not keep the process alive (terminate() refs a worker until it exits).
      worker.unref();
      for (const w of waiting) w.reject(new StoreError('failed', `the embedded store's thread ${why}`));
    };
    worker.on('error', (err) => fail(`failed: ${err.message}`));
    worker.on('exit', (code) => fail(`exited (code ${code})`));
    this.worker = worker;
    return worker;
  }

  private call<R>(method: string, args: unknown[]): Promise<R> {
    if (this.closed) return Promise.reject(new StoreError('failed', `${method}: the embedded store is closed`));
    const worker = this.thread();
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve, reject });
      // While a call waits, the thread keeps the process alive (its reply is still to come).
      worker.ref();
      try {
        worker.postMessage({ id, method, args } satisfies StoreCall);
      } catch (err) {
        // An argument a thread cannot be sent (a function, a symbol): refused like any other bad argument.
        this.waiting.delete(id);
        if (this.waiting.size === 0) worker.unref();
        reject(new StoreError('invalid', `${method}: ${(err as Error).message}`));
      }
    });
  }

  open(): Promise<void> {
    this.closed = false;
    return this.call('open', []);
  }

  /** Closes the connection, then ends the thread. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) {
      this.closed = true;
      return;
    }
    try {
      await this.call('close', []);
    } finally {
      this.closed = true;
      this.worker = undefined;
      await worker.terminate();
    }
  }

  /** The schema version of each table (tests). */
  versions(): Promise<Record<string, number>> {
    return this.call('versions', []);
  }

  importContacts: Method<'importContacts'> = (...a) => this.call('importContacts', a);
  claimDue: Method<'claimDue'> = (...a) => this.call('claimDue', a);
  renewLeases: Method<'renewLeases'> = (...a) => this.call('renewLeases', a);
  recordAttempt: Method<'recordAttempt'> = (...a) => this.call('recordAttempt', a);
  markProgress: Method<'markProgress'> = (...a) => this.call('markProgress', a);
  markProgressBatch: Method<'markProgressBatch'> = (...a) => this.call('markProgressBatch', a);
  reclaimLeases: Method<'reclaimLeases'> = (...a) => this.call('reclaimLeases', a);
  getContact: Method<'getContact'> = (...a) => this.call('getContact', a);
  pageContacts: Method<'pageContacts'> = (...a) => this.call('pageContacts', a);
  pageAttempts: Method<'pageAttempts'> = (...a) => this.call('pageAttempts', a);
  remarkResult: Method<'remarkResult'> = (...a) => this.call('remarkResult', a);
  countContacts: Method<'countContacts'> = (...a) => this.call('countContacts', a);
  tallyAttempts: Method<'tallyAttempts'> = (...a) => this.call('tallyAttempts', a);
  hasDue: Method<'hasDue'> = (...a) => this.call('hasDue', a);
  deleteContacts: Method<'deleteContacts'> = (...a) => this.call('deleteContacts', a);
  closeContacts: Method<'closeContacts'> = (...a) => this.call('closeContacts', a);
  addBlocked: Method<'addBlocked'> = (...a) => this.call('addBlocked', a);
  removeBlocked: Method<'removeBlocked'> = (...a) => this.call('removeBlocked', a);
  findBlock: Method<'findBlock'> = (...a) => this.call('findBlock', a);
  pageBlocked: Method<'pageBlocked'> = (...a) => this.call('pageBlocked', a);
  saveSnapshot: Method<'saveSnapshot'> = (...a) => this.call('saveSnapshot', a);
  listSnapshots: Method<'listSnapshots'> = (...a) => this.call('listSnapshots', a);
  getSnapshot: Method<'getSnapshot'> = (...a) => this.call('getSnapshot', a);
  getDocument: Store['getDocument'] = (...a) => this.call('getDocument', a);
  putDocument: Method<'putDocument'> = (...a) => this.call('putDocument', a);
  listDocuments: Store['listDocuments'] = (...a) => this.call('listDocuments', a);
  deleteDocument: Method<'deleteDocument'> = (...a) => this.call('deleteDocument', a);
  saveCallRecord: Method<'saveCallRecord'> = (...a) => this.call('saveCallRecord', a);
  getCallRecord: Method<'getCallRecord'> = (...a) => this.call('getCallRecord', a);
  pageCallRecords: Method<'pageCallRecords'> = (...a) => this.call('pageCallRecords', a);
  pruneCallRecords: Method<'pruneCallRecords'> = (...a) => this.call('pruneCallRecords', a);
  saveMeetingRecord: Method<'saveMeetingRecord'> = (...a) => this.call('saveMeetingRecord', a);
  pageMeetingRecords: Method<'pageMeetingRecords'> = (...a) => this.call('pageMeetingRecords', a);
  saveAnswers: Method<'saveAnswers'> = (...a) => this.call('saveAnswers', a);
  pageAnswers: Method<'pageAnswers'> = (...a) => this.call('pageAnswers', a);
}
