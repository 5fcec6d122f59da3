/**
 * A concurrency limit: at most `size` tasks run at once, the others wait in
 * order. A waiting task whose signal fires leaves the queue at once.
 */
import { SpeechError } from './provider';

export class Slots {
  private running = 0;
  private readonly queue: { start: () => void; cancel: () => void }[] = [];

  constructor(private readonly size: number) {
    if (!(size >= 1)) throw new RangeError('at least one slot');
  }

  get waiting(): number {
    return this.queue.length;
  }

  get busy(): number {
    return this.running;
  }

  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await task();
    } finally {
      this.running -= 1;
      this.queue.shift()?.start();
    }
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new SpeechError('aborted', 'speech: cancelled'));
    if (this.running < this.size) {
      this.running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const entry = {
        start: () => {
          signal?.removeEventListener('abort', entry.cancel);
          this.running += 1;
          resolve();
        },
        cancel: () => {
          const i = this.queue.indexOf(entry);
          if (i >= 0) this.queue.splice(i, 1);
          reject(new SpeechError('aborted', 'speech: cancelled'));
        },
      };
      signal?.addEventListener('abort', entry.cancel, { once: true });
      this.queue.push(entry);
    });
  }
}
