/**
 * Audio sent back paced in real time: one frame every `ptimeMs` (20 ms). Each frame's time is counted from when the
 * stream started (start + n x ptime), not from when the previous timer fired, so timer lateness does not add up
 * (drift correction); a timer that fires late sends every frame that is due, up to `maxBurst` frames at once, and
 * drops older ones (counted) so the far end's delay stays bounded after the event loop was held.
 * `lateness` keeps how late each frame went out against its due time, for bench/ figures.
 */

export interface PacerStats {
  sent: number;
  /** Frames dropped because they were more than maxBurst frames late. */
  dropped: number;
  /** How late each frame went out (ms), the last `keep` of them. */
  lateness: number[];
}

export interface PacerOptions {
  ptimeMs?: number;
  maxBurst?: number;
  /** How many lateness figures to keep (default 3000: a minute). */
  keep?: number;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
}

export class Pacer<T> {
  private readonly queue: T[] = [];
  private startedAt = 0;
  /** Frames sent or dropped since startedAt. */
  private index = 0;
  private timer: unknown;
  private closed = false;
  private readonly ptimeMs: number;
  private readonly maxBurst: number;
  private readonly keep: number;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (timer: unknown) => void;
  private idle: (() => void)[] = [];
  readonly stats: PacerStats = { sent: 0, dropped: 0, lateness: [] };

  constructor(
    private readonly send: (frame: T) => void,
    options: PacerOptions = {},
  ) {
    this.ptimeMs = options.ptimeMs ?? 20;
    this.maxBurst = options.maxBurst ?? 5;
    this.keep = options.keep ?? 3000;
    this.now = options.now ?? (() => performance.now());
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((t) => clearTimeout(t as NodeJS.Timeout));
  }

  /** Frames waiting. */
  get pending(): number {
    return this.queue.length;
  }

  /** Queues frames; the first of a new stream goes out at once. */
  enqueue(frames: T[]): void {
    if (this.closed || frames.length === 0) return;
    const wasIdle = this.queue.length === 0 && this.timer === undefined;
    this.queue.push(...frames);
    if (wasIdle) {
      this.startedAt = this.now();
      this.index = 0;
      this.tick();
    }
  }

  /** Resolves once every queued frame went out (or was dropped, or the pacer was cleared or closed). */
  drained(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Drops what is queued (barge-in, hangup). */
  clear(): void {
    this.queue.length = 0;
    if (this.timer !== undefined) this.clearTimer(this.timer);
    this.timer = undefined;
    this.settleIdle();
  }

  close(): void {
    this.closed = true;
    this.clear();
  }

  private tick(): void {
    this.timer = undefined;
    const now = this.now();
    // Frames whose time has come: index..due.
    const due = Math.floor((now - this.startedAt) / this.ptimeMs);
    let behind = due - this.index + 1;
    while (behind > this.maxBurst && this.queue.length > 0) {
      this.queue.shift();
      this.stats.dropped++;
      this.index++;
      behind--;
    }
    while (this.index <= due && this.queue.length > 0) {
      const frame = this.queue.shift() as T;
      const lateness = now - (this.startedAt + this.index * this.ptimeMs);
      this.stats.lateness.push(lateness);
      if (this.stats.lateness.length > this.keep) this.stats.lateness.splice(0, this.stats.lateness.length - this.keep);
      this.index++;
      this.stats.sent++;
      this.send(frame);
    }
    if (this.queue.length === 0) {
      this.settleIdle();
      return;
    }
    const next = this.startedAt + this.index * this.ptimeMs;
    this.timer = this.setTimer(() => this.tick(), Math.max(0, next - this.now()));
  }

  private settleIdle(): void {
    const waiting = this.idle;
    this.idle = [];
    for (const resolve of waiting) resolve();
  }
}
