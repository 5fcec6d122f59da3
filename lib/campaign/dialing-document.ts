/**
 * What the dialers of one task share when several Node-RED instances run
 * it on one store: the task's dialing document (kind "dialing", one per
 * task), written compare-and-set on its revision like every document.
 *
 * - The rate budget. The configured pace is the task's total, whatever the
 *   number of instances: calls accrue in the document at the pace's rate
 *   (calls at a time / interval per second), up to two ticks' worth (a
 *   tick that comes late takes what accrued meanwhile: capOf), and a
 *   dialer's tick takes, in one write, the whole calls it may place (at
 *   most the contacts it holds and the free channels it has) and places
 *   them at once. A dialer alone on the task takes them at the tick before
 *   (so that a tick only writes and dials); with other dialers alive it
 *   takes them at the tick itself: calls taken and held until a later tick
 *   would be lost with an instance killed meanwhile (up to a tick's worth of
 *   the task's pace, never given back), where a take at the tick loses only
 *   what a process killed in the milliseconds between the take and its
 *   originate requests had taken. What one instance does not take is left for the
 *   others; what nobody could place (no free channel, nothing due) is
 *   dropped, not saved up for a burst (as pacing.ts drops whole calls a
 *   tick could not place). With one
 *   instance, each tick gets what the Pacer would give it. The time is each
 *   taker's clock; the budget's time never goes back, so a host whose clock
 *   is behind takes nothing more until the others' time is reached (keep
 *   the hosts' clocks in step with NTP).
 * - Who is alive. Each dialer writes when it last saw itself (every
 *   HEARTBEAT_MS while the task is running or suspended); one unseen for
 *   DEAD_MS is removed by the next dialer's heartbeat, which then takes over
 *   that worker's leases (Store.reclaimLeases) and resolves its calls in
 *   flight through Asterisk (resume.ts), instead of waiting for the leases
 *   to run out (LEASE_MS).
 *
 * Apart from dialer.ts because it is the task's shared state between
 * instances, with its own rules of consistency (retries on a conflict).
 */
import type { DialingDocument } from '../schemas/campaign';
import { StoreError, type Store } from '../store/port';

/** How often a dialer says it is alive. */
export const HEARTBEAT_MS = 5_000;
/** A dialer not seen for this long is taken for dead: the others take over its leases. */
export const DEAD_MS = 20_000;
/** Tries of one write against concurrent writers before it gives up (the next tick or heartbeat tries again). */
const TRIES = 8;

export interface DialingContext {
  campaignId: string;
  /** This dialer's worker id. */
  worker: string;
  store(): Store;
}

/** The budget's pace: its rate (calls per second) and the most one tick may take (whole calls, for the cap). */
export interface BudgetPace {
  rate: number;
  /** Calls one tick is worth (may be fractional): the first take of a new budget. */
  perTick: number;
  /** The most whole calls one tick may place: the budget never holds a whole call more. */
  most: number;
}

export class DialingShare {
  private cached: { rev: number; value: DialingDocument } | undefined;
  /** What this dialer took from the budget and has not placed yet: less than a call (or `want` allowed no more). */
  private credit = 0;
  /** Other dialers alive at the last heartbeat or take (a take reads the document too). */
  others = 0;

  constructor(private readonly ctx: DialingContext) {}

  /**
   * Takes up to `want` whole calls from the task's budget as it is at
   * `at`. What accrued since the last take (of any instance) is taken as it
   * is, fraction included, into this dialer's own credit, whose whole calls
   * are granted; the fraction stays for its next take (as the Pacer carries
   * it). So each instance's share is the time between its takes and the
   * ones before, even when that is less than a call. One write when the
   * cached revision is current, a read and a write more per conflict.
   */
  async take(at: number, want: number, pace: BudgetPace): Promise<number> {
    if (want < 1) return 0;
    let taken = 0;
    const { worker } = this.ctx;
    await this.update(at, (doc) => {
      const value = doc ?? fresh();
      // Another dialer that joined since the last heartbeat is seen here, at the first take after its own first write.
      this.others = othersIn(value, worker, at);
      const cap = capOf(pace);
      // A budget nobody took from yet starts with one tick's worth (the Pacer's first tick).
      const tokens = value.budget.at === 0 ? pace.perTick : Math.min(cap, value.budget.tokens + (pace.rate * Math.max(0, at - value.budget.at)) / 1000);
      taken = Math.max(0, Math.min(tokens, want - this.credit));
      // With other dialers on the task, this one says it wants calls (drain() leaves them for it), in the same write.
      const workers = this.others === 0 ? value.workers : { ...value.workers, [worker]: { seen: value.workers[worker]?.seen ?? at, wanted: at } };
      // Alone on the task, a take that grants no whole call leaves the fraction in the budget (no write): nobody else
      // would take it, and the next take finds it there.
      if (value.budget.at !== 0 && (taken <= 0 || (this.others === 0 && Math.floor(this.credit + taken + 1e-9) === 0))) {
        taken = 0;
        return this.others === 0 ? undefined : { ...value, workers };
      }
      const left = tokens - taken;
      return { budget: { tokens: left < 1e-9 ? 0 : left, at: Math.max(value.budget.at, at) }, workers };
    });
    this.credit += taken;
    // 1e-9: 0.3 x 10 must make 3 calls, not 2.9999999999999996 (pacing.ts).
    const granted = Math.max(0, Math.min(want, Math.floor(this.credit + 1e-9)));
    this.credit = Math.max(0, this.credit - granted);
    if (this.credit < 1e-9) this.credit = 0;
    return granted;
  }

  /**
   * Drops the whole calls the budget holds at `now`, keeping the fraction:
   * this dialer has nothing to place, and calls nobody could place are not
   * saved up for a burst later (pacing.ts). Not while another dialer wanted
   * calls within the last two ticks (the most the budget holds; a tick may
   * come late): it holds contacts, and its tick (at a phase of its own,
   * maybe this very instant) takes them. Writes only when
   * there is a whole call to drop.
   */
  async drain(now: number, pace: BudgetPace): Promise<void> {
    const tickMs = (pace.perTick * 1000) / pace.rate;
    // With other dialers, the cached revision is likely another's old one, and a drain that finds nothing to write
    // would not learn it: it reads first.
    if (this.others > 0) this.cached = await this.read();
    await this.update(now, (doc) => {
      if (!doc || doc.budget.at === 0) return undefined;
      for (const [worker, w] of Object.entries(doc.workers)) if (worker !== this.ctx.worker && w.wanted !== undefined && w.wanted > now - 2 * tickMs) return undefined;
      const cap = capOf(pace);
      const tokens = Math.min(cap, doc.budget.tokens + (pace.rate * Math.max(0, now - doc.budget.at)) / 1000);
      if (tokens < 1 - 1e-9) return undefined;
      return { ...doc, budget: { tokens: tokens - Math.floor(tokens + 1e-9) < 1e-9 ? 0 : tokens - Math.floor(tokens + 1e-9), at: Math.max(doc.budget.at, now) } };
    });
  }

  /**
   * Starts the budget over (the task starts or resumes, or is outside its
   * calling hours): its next take gets one tick's worth, as the Pacer's
   * first tick. Only a budget nobody took from for `idleMs` (a tick): while
   * another instance dials, a start made here again changes nothing. (A
   * suspend or stop releases it at once: release().)
   */
  async reset(now: number, idleMs: number): Promise<void> {
    this.credit = 0;
    await this.update(now, (doc) => (!doc || doc.budget.at === 0 || doc.budget.at > now - idleMs ? undefined : { ...doc, budget: { tokens: 0, at: 0 } }));
  }

  /** Starts the budget over now: the task was suspended or stopped (nobody dials it; a resume gets one tick's worth). */
  async release(now: number): Promise<void> {
    this.credit = 0;
    await this.update(now, (doc) => (!doc || doc.budget.at === 0 ? undefined : { ...doc, budget: { tokens: 0, at: 0 } }));
  }

  /**
   * Says this dialer is alive at `now` (`present`; else it only looks),
   * and removes the dialers not seen for DEAD_MS. Returns the workers it
   * removed: the caller takes over their leases (only the writer that
   * removed one does, so a lease is taken over once). Looking reads the
   * document and writes only to remove a dead dialer.
   */
  async beat(now: number, present = true): Promise<string[]> {
    let dead: string[] = [];
    let others = 0;
    if (!present) this.cached = await this.read();
    await this.update(now, (doc) => {
      if (!present && !doc) return undefined;
      const value = doc ?? fresh();
      const workers: DialingDocument['workers'] = {};
      dead = [];
      others = 0;
      for (const [worker, w] of Object.entries(value.workers)) {
        if (worker === this.ctx.worker) continue;
        if (now - w.seen > DEAD_MS) dead.push(worker);
        else {
          workers[worker] = w;
          others += 1;
        }
      }
      const mine = value.workers[this.ctx.worker];
      if (present) workers[this.ctx.worker] = mine?.wanted === undefined ? { seen: now } : { seen: now, wanted: mine.wanted };
      else if (dead.length === 0) return undefined;
      else if (mine) workers[this.ctx.worker] = mine;
      return { ...value, workers };
    });
    this.others = others;
    return dead;
  }

  /**
   * This dialer leaves the task (it ended): removed from the document, with
   * the dialers not seen for DEAD_MS. Afterwards `alone` says whether no
   * other dialer is alive on the task.
   */
  async leave(now: number): Promise<void> {
    let others = 0;
    await this.update(now, (doc) => {
      if (!doc) return undefined;
      const workers: DialingDocument['workers'] = {};
      others = 0;
      for (const [worker, w] of Object.entries(doc.workers)) {
        if (worker === this.ctx.worker || now - w.seen > DEAD_MS) continue;
        workers[worker] = w;
        others += 1;
      }
      return Object.keys(workers).length === Object.keys(doc.workers).length ? undefined : { ...doc, workers };
    });
    this.others = others;
  }

  /** Whether no other dialer of the task was alive at the last heartbeat or take. */
  get alone(): boolean {
    return this.others === 0;
  }

  /** Reads, changes and writes the document, again on a conflict; `change` returns undefined when there is nothing to write. */
  private async update(now: number, change: (doc: DialingDocument | undefined) => DialingDocument | undefined): Promise<void> {
    const { campaignId } = this.ctx;
    let known = this.cached ?? (await this.read());
    for (let i = 0; ; i += 1) {
      const next = change(known?.value);
      if (!next) return;
      try {
        const rev = await this.ctx.store().putDocument('dialing', campaignId, next as unknown as Record<string, unknown>, known?.rev ?? 0, now);
        this.cached = { rev, value: next };
        return;
      } catch (err) {
        this.cached = undefined;
        if (!(err instanceof StoreError && err.kind === 'conflict') || i + 1 >= TRIES) throw err;
        known = await this.read();
      }
    }
  }

  private async read(): Promise<{ rev: number; value: DialingDocument } | undefined> {
    const stored = await this.ctx.store().getDocument<DialingDocument>('dialing', this.ctx.campaignId);
    return stored ? { rev: stored.rev, value: stored.value } : undefined;
  }
}

/**
 * A delay from 0 to `tickMs` that depends only on the worker id: where in
 * the tick a dialer that follows another instance's start ticks, so that
 * the instances' takes are spread over the tick (each one's share of the
 * budget is the time since the take before it).
 */
export function phaseOf(worker: string, tickMs: number): number {
  let h = 0;
  for (let i = 0; i < worker.length; i += 1) h = (h * 31 + worker.charCodeAt(i)) >>> 0;
  return h % tickMs;
}

/**
 * The most the budget holds: two ticks' worth and the fraction of a call.
 * A tick that comes late (a busy process; the ticker runs it at once, still
 * on its schedule) then takes what accrued meanwhile instead of losing it;
 * a tick that cannot place its calls (no free channel, nothing due) drops
 * what the budget holds (drain()), so nothing is saved up for a burst.
 */
function capOf(pace: BudgetPace): number {
  return 2 * pace.most + 1 - 1e-6;
}

/** The dialers of the document other than `worker` seen within DEAD_MS of `now`. */
function othersIn(doc: DialingDocument, worker: string, now: number): number {
  let n = 0;
  for (const [w, entry] of Object.entries(doc.workers)) if (w !== worker && now - entry.seen <= DEAD_MS) n += 1;
  return n;
}

/** A new document: a budget nobody took from yet (at 0), no worker. */
function fresh(): DialingDocument {
  return { budget: { tokens: 0, at: 0 }, workers: {} };
}
