/**
 * A store kept open: opens it, retries when the database cannot be reached
 * (growing, randomised delays; a refused password is retried slowly), tells
 * its listeners the state (what the config node shows its users), and hands
 * the open store to whoever waits for it. Nothing here throws at a caller
 * that did not ask: a database that is down at deploy is a red status and a
 * retry, never a crash.
 */
import { Backoff } from '../ari/backoff';
import { redact, type Logger } from '../log';
import { StoreError, type Store } from './port';

export type StoreState = 'opening' | 'connected' | 'unreachable' | 'auth-failed' | 'failed' | 'closed';

export interface StoreStatus {
  state: StoreState;
  /** What happened, without secrets. */
  message: string;
  /** When the next attempt is due (ms since 1970), while retrying. */
  retryAt?: number;
}

export interface StoreConnectionOptions {
  /** Texts never to show (password, connection string): replaced by *** in messages. */
  secrets?: string[];
  /** Delays between attempts while the database is unreachable. */
  retry?: { initialMs: number; maxMs: number };
  /** Delays after a refused password. */
  authRetry?: { initialMs: number; maxMs: number };
}

export class StoreConnection {
  private current: StoreStatus = { state: 'opening', message: '' };
  private readonly listeners = new Set<(s: StoreStatus) => void>();
  private readonly waiters = new Set<{ resolve: (s: Store) => void; reject: (e: Error) => void }>();
  private readonly backoff: Backoff;
  private readonly authBackoff: Backoff;
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private closed = false;
  private opened: Store | undefined;
  private attempt: Promise<void> | undefined;

  constructor(
    readonly store: Store,
    /** Where the store is, safe to log ("embedded file /data/callflow.db", "mongodb://db1:27017 database callflow"). */
    readonly where: string,
    private readonly log: Logger,
    private readonly options: StoreConnectionOptions = {},
  ) {
    this.backoff = new Backoff({ initialMs: options.retry?.initialMs ?? 1000, maxMs: options.retry?.maxMs ?? 60_000, minMs: Math.min(250, options.retry?.initialMs ?? 250) });
    this.authBackoff = new Backoff({ initialMs: options.authRetry?.initialMs ?? 30_000, maxMs: options.authRetry?.maxMs ?? 300_000 });
  }

  get status(): StoreStatus {
    return this.current;
  }

  onStatus(listener: (s: StoreStatus) => void): () => void {
    this.listeners.add(listener);
    listener(this.current);
    return () => this.listeners.delete(listener);
  }

  /** Starts opening (once). */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.attempt = this.tryOpen();
  }

  /** The open store, once it is; rejects if the connection is closed first or cannot ever open (a newer schema). */
  ready(): Promise<Store> {
    if (this.opened) return Promise.resolve(this.opened);
    if (this.closed) return Promise.reject(new StoreError('failed', `the store at ${this.where} is closed`));
    this.start();
    return new Promise((resolve, reject) => this.waiters.add({ resolve, reject }));
  }

  /**
   * The open store for a request someone waits on (an editor's click): at
   * once when it is open; within `waitMs` while it is opening; refused at
   * once, naming the state, while it is unreachable or has failed (ready()
   * would wait for the next successful retry).
   */
  available(waitMs: number): Promise<Store> {
    if (this.opened) return Promise.resolve(this.opened);
    const { state, message } = this.current;
    if (state !== 'opening') return Promise.reject(new StoreError('unreachable', `the store is ${state}${message ? `: ${message}` : ''}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new StoreError('unreachable', `the store did not open within ${waitMs / 1000} s`)), waitMs);
      this.ready().then(
        (store) => {
          clearTimeout(timer);
          resolve(store);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    await this.attempt?.catch(() => undefined);
    for (const w of this.waiters) w.reject(new StoreError('failed', `the store at ${this.where} was closed`));
    this.waiters.clear();
    await this.store.close().catch(() => undefined);
    this.opened = undefined;
    this.set({ state: 'closed', message: '' });
  }

  private set(s: StoreStatus): void {
    this.current = s;
    for (const l of [...this.listeners]) l(s);
  }

  private clean(text: string): string {
    return redact(text, this.options.secrets ?? []);
  }

  private async tryOpen(): Promise<void> {
    if (this.closed) return;
    this.set({ state: 'opening', message: this.where });
    try {
      await this.store.open();
    } catch (err) {
      if (this.closed) return;
      this.failed(err);
      return;
    }
    if (this.closed) {
      await this.store.close().catch(() => undefined);
      return;
    }
    this.backoff.reset();
    this.authBackoff.reset();
    this.opened = this.store;
    this.log.info(`store connected: ${this.where}`);
    this.set({ state: 'connected', message: this.where });
    for (const w of this.waiters) w.resolve(this.store);
    this.waiters.clear();
  }

  private failed(err: unknown): void {
    const e = err instanceof StoreError ? err : new StoreError('failed', (err as Error).message ?? String(err));
    const message = this.clean(e.message);
    if (e.kind === 'newer-schema' || e.kind === 'invalid') {
      // Retrying cannot help: say so once, and fail whoever waits.
      this.log.error(`store not opened: ${message}`);
      this.set({ state: 'failed', message });
      for (const w of this.waiters) w.reject(new StoreError(e.kind, message));
      this.waiters.clear();
      return;
    }
    const auth = e.kind === 'auth';
    const delay = (auth ? this.authBackoff : this.backoff).next();
    const retryAt = Date.now() + delay;
    const state: StoreState = auth ? 'auth-failed' : e.kind === 'unreachable' ? 'unreachable' : 'failed';
    this.log.warn(`store not opened (${state}), retrying in ${Math.round(delay / 1000)} s: ${message}`);
    this.set({ state, message, retryAt });
    this.timer = setTimeout(() => {
      this.attempt = this.tryOpen();
    }, delay);
  }
}
