/**
 * The retention of a connection's call records: a sweep that deletes the records of this connection that ended more
 * than `days` ago, or that are older than its `max` newest, run when the connection starts and then every
 * `everyMs`. The work is bounded: each store call deletes at most `batch` records (the oldest first), one call at a
 * time, and a sweep makes at most `maxBatches` of them; a backlog larger than that goes at the next sweeps. The
 * embedded store runs each batch on its own thread; MongoDB on the server.
 */
import type { Logger } from '../log';
import type { StoreConnection } from '../store/connection';

export interface Retention {
  /** Records that ended more than this many days ago go (0: no age limit). */
  days: number;
  /** Only this many of the newest records stay (0: no count limit). */
  max: number;
}

export interface RecordRetentionOptions {
  connection: string;
  store: () => StoreConnection | undefined;
  log: Logger;
  retention: Retention;
  now?: () => number;
  /** Between two sweeps (ms, default one hour). */
  everyMs?: number;
  /** Records deleted per store call (default 1000, at most 10,000). */
  batch?: number;
  /** Store calls per sweep (default 100). */
  maxBatches?: number;
}

const DAY_MS = 86_400_000;

export class RecordRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private closed = false;
  private retention: Retention;

  constructor(private readonly options: RecordRetentionOptions) {
    this.retention = { ...options.retention };
  }

  /** A redeploy may change the retention without the connection changing: the next sweep uses the new one. */
  set(retention: Retention): void {
    this.retention = { ...retention };
  }

  /** Sweeps now, then every `everyMs` (the timer does not keep the process alive). */
  start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => void this.sweep(), this.options.everyMs ?? 3_600_000);
    this.timer.unref();
    void this.sweep();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * One sweep: how many records it deleted. A sweep already running is joined, not doubled. A store that cannot
   * be reached is left for the next sweep (the record keeper already says the store is down).
   */
  sweep(): Promise<number> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(): Promise<number> {
    const { days, max } = this.retention;
    if (days <= 0 && max <= 0) return 0;
    const connection = this.options.store();
    if (!connection) return 0;
    const batch = this.options.batch ?? 1000;
    const maxBatches = this.options.maxBatches ?? 100;
    let deleted = 0;
    try {
      const store = await connection.available(5000);
      const now = (this.options.now ?? Date.now)();
      const prune = {
        connection: this.options.connection,
        ...(days > 0 ? { before: Math.max(0, now - days * DAY_MS) } : {}),
        ...(max > 0 ? { keep: max } : {}),
        limit: batch,
      };
      for (let i = 0; i < maxBatches && !this.closed; i += 1) {
        const n = await store.pruneCallRecords(prune);
        deleted += n;
        if (n < batch) break;
      }
    } catch (err) {
      this.options.log.debug(`call records retention: the sweep stopped: ${(err as Error).message}`);
    }
    if (deleted > 0) this.options.log.debug(`call records retention: ${deleted} record(s) past ${days > 0 ? `${days} day(s)` : ''}${days > 0 && max > 0 ? ' or ' : ''}${max > 0 ? `the newest ${max}` : ''} deleted`);
    return deleted;
  }
}
