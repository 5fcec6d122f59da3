/**
 * When the waits for the caller's keys end. Thousands of calls wait for a
 * key at any moment, each for as long as its element says (a menu's 5 s, a
 * collection's first and next key): a Node.js timer per waiting call is a
 * Timeout object, its boxed times and its arguments' array, about 230 bytes
 * each call keeps (issue 14). Here each wait length has one queue and one
 * timer: waits of one length end in the order they started, so the queue is
 * sorted by itself, and the timer is set for its first deadline only.
 *
 * A wait that ends early (a key came, the call ended) is cancelled: its
 * entry, found by its deadline (the queue is sorted), no longer holds the
 * reader, and is skipped when its time comes. The timer does not keep the
 * process up (unref): the calls' own sockets do.
 */

/** What a queue tells at a deadline: the reader whose wait started then. */
export interface DeadlineHolder {
  deadlinePassed(due: number): void;
}

/** Waits of one length. */
class Queue {
  private holders: (DeadlineHolder | undefined)[] = [];
  /** When each entry's wait ends (performance.now() ms), unboxed numbers in a list of their own. */
  private dues: number[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ms: number,
    private readonly emptied: (queue: Queue) => void,
  ) {}

  /** Adds a wait that starts now; returns its deadline, which deadlinePassed() will be told. */
  add(holder: DeadlineHolder): number {
    const due = performance.now() + this.ms;
    this.holders.push(holder);
    this.dues.push(due);
    if (!this.timer) this.arm(this.ms);
    return due;
  }

  /** Forgets the wait of `holder` that ends at `due`, if it is still here. */
  remove(holder: DeadlineHolder, due: number): void {
    const { holders, dues } = this;
    let low = this.head;
    let high = dues.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((dues[middle] as number) < due) low = middle + 1;
      else high = middle;
    }
    for (let i = low; i < dues.length && dues[i] === due; i++) {
      if (holders[i] === holder) {
        holders[i] = undefined;
        return;
      }
    }
  }

  private arm(ms: number): void {
    this.timer = setTimeout(fire, Math.max(0, Math.ceil(ms)), this);
    this.timer.unref();
  }

  /** The timer fired: every wait whose deadline passed is told, in order; the timer is set again for the next one. */
  fire(): void {
    this.timer = undefined;
    const now = performance.now();
    const { holders, dues } = this;
    while (this.head < dues.length && (dues[this.head] as number) <= now) {
      const holder = holders[this.head];
      const due = dues[this.head] as number;
      holders[this.head] = undefined;
      this.head += 1;
      holder?.deadlinePassed(due);
    }
    if (this.head >= dues.length) {
      this.holders = [];
      this.dues = [];
      this.head = 0;
      this.emptied(this);
      return;
    }
    // What has been told is dropped now and then, not on every firing.
    if (this.head > 1024 && this.head * 2 > dues.length) {
      this.holders = holders.slice(this.head);
      this.dues = dues.slice(this.head);
      this.head = 0;
    }
    this.arm((this.dues[this.head] as number) - now);
  }
}

function fire(queue: Queue): void {
  queue.fire();
}

const queues = new Map<number, Queue>();

function emptied(queue: Queue): void {
  for (const [ms, q] of queues) if (q === queue) queues.delete(ms);
}

/**
 * Starts a wait of `ms` for `holder`: its deadlinePassed(due) is called,
 * with the deadline this returns, once `ms` have passed (or a little later,
 * as a timer may fire late).
 */
export function waitUntilDeadline(holder: DeadlineHolder, ms: number): number {
  let queue = queues.get(ms);
  if (!queue) {
    queue = new Queue(ms, emptied);
    queues.set(ms, queue);
  }
  return queue.add(holder);
}

/** Cancels the wait of `ms` that waitUntilDeadline() gave `holder` with deadline `due`: it will not be told. */
export function cancelDeadline(holder: DeadlineHolder, ms: number, due: number): void {
  queues.get(ms)?.remove(holder, due);
}
