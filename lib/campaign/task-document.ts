/**
 * One outbound call task's document in the store (document type
 * `campaign`): its state, the settings it runs with, why it last changed,
 * and its counters. Writes go out one at a time (serial()), each against
 * the revision last read, and a conflict (a second process wrote) is
 * merged: a state change is written over the fresh document, a counters
 * update keeps the fresh state and adds only its counters.
 *
 * The counters are counted as the dialer writes attempts, and derived from
 * the attempts in the store (sync()) when the dialer starts and when the
 * task ends, so that they never drift from them.
 *
 * Apart from dialer.ts because it is the task's persistent record, with
 * its own rules of consistency; the dialer decides when to write, this
 * decides how.
 */
import type { Logger } from '../log';
import { campaignDocument, type CampaignCounters, type CampaignDocument, type CampaignState } from '../schemas/campaign';
import { StoreError, type Store } from '../store/port';
import type { Clock } from './clock';
import { countersOf } from './report';

/** What the task's document needs of its dialer; getters, as a redeploy may hand the dialer a new store and log. */
export interface TaskDocumentContext {
  campaignId: string;
  clock: Clock;
  store(): Store;
  log(): Logger;
  /** The task's name, for messages. */
  name(): string;
  /** How many calls of the task are in flight (the counters are derived only when none is). */
  inFlight(): number;
}

export function emptyCounters(): CampaignCounters {
  return { dialed: 0, answered: 0, failed: 0, finished: 0 };
}

export class TaskDocument {
  /** The document as last read or written; undefined until loaded. */
  value: CampaignDocument | undefined;
  /** The counters changed since the last write. */
  dirty = false;
  private rev = 0;
  /** Changes with every count: a tally of the store taken meanwhile is out of date. */
  private countEpoch = 0;
  /** The counters are derived from the store again once no call is in flight (the task ended with calls in progress). */
  private resyncWhenIdle = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly ctx: TaskDocumentContext) {}

  get state(): CampaignState {
    return this.value?.state ?? 'draft';
  }

  /** Reads the stored document; undefined when there is none yet. */
  async load(): Promise<CampaignDocument | undefined> {
    const stored = await this.ctx.store().getDocument<CampaignDocument>('campaign', this.ctx.campaignId);
    if (!stored) return undefined;
    this.value = stored.value;
    this.rev = stored.rev;
    return this.value;
  }

  /** Writes the task's first document. */
  async create(doc: CampaignDocument): Promise<void> {
    this.value = doc;
    this.rev = await this.ctx.store().putDocument('campaign', this.ctx.campaignId, doc as unknown as Record<string, unknown>, 0, this.ctx.clock.now());
  }

  require(): CampaignDocument {
    if (!this.value) throw new Error(`campaign ${this.ctx.name()} is not loaded yet`);
    return this.value;
  }

  /** Runs writes of the task document one at a time (operations, completion, counters). */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn, fn);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /**
   * Writes the task document. On a conflict (another writer: a second
   * process), a state change is written over the fresh document; a counters
   * update keeps the fresh document's state and adds only the counters.
   */
  async save(doc: CampaignDocument, stateChange: boolean): Promise<void> {
    const { campaignId, clock } = this.ctx;
    doc.changedAt = stateChange ? clock.now() : doc.changedAt;
    campaignDocument.assert(doc);
    try {
      this.rev = await this.ctx.store().putDocument('campaign', campaignId, doc as unknown as Record<string, unknown>, this.rev, clock.now());
    } catch (err) {
      if (!(err instanceof StoreError && err.kind === 'conflict')) throw err;
      const fresh = await this.ctx.store().getDocument<CampaignDocument>('campaign', campaignId);
      this.rev = fresh?.rev ?? 0;
      if (!stateChange && fresh) doc = { ...fresh.value, counters: doc.counters };
      this.rev = await this.ctx.store().putDocument('campaign', campaignId, doc as unknown as Record<string, unknown>, this.rev, clock.now());
    }
    this.value = doc;
    this.dirty = false;
  }

  /** Writes the counters if they changed, after the writes queued before. Returns whether they had changed. */
  async saveCounters(): Promise<boolean> {
    if (!this.dirty) return false;
    await this.serial(async () => {
      if (!this.dirty) return;
      await this.save({ ...this.require() }, false);
    });
    return true;
  }

  count(what: keyof CampaignCounters, by = 1): void {
    const doc = this.require();
    doc.counters[what] = Math.max(0, doc.counters[what] + by);
    this.countEpoch += 1;
    this.dirty = true;
  }

  /**
   * Derives the counters from the attempts and contacts in the store, so
   * that they never drift from them (a crash loses the counts of its last
   * seconds; a lease lost to another dialer its attempt). Exact only while
   * nothing is counted: with calls in flight, or a count made during the
   * tally, it is done again once the last call is written (resyncDue()).
   */
  async sync(): Promise<void> {
    if (!this.value) return;
    const epoch = this.countEpoch;
    if (this.ctx.inFlight() > 0) {
      this.resyncWhenIdle = true;
      return;
    }
    const tally = await this.ctx.store().tallyAttempts(this.ctx.campaignId);
    if (epoch !== this.countEpoch || this.ctx.inFlight() > 0) {
      this.resyncWhenIdle = true;
      return;
    }
    const doc = this.require();
    const fresh = countersOf(tally);
    const keys = Object.keys(fresh) as (keyof CampaignCounters)[];
    if (keys.every((k) => fresh[k] === doc.counters[k])) return;
    this.ctx.log().info(`campaign ${this.ctx.name()}: counters ${JSON.stringify(doc.counters)} corrected to what the attempts say, ${JSON.stringify(fresh)}`);
    doc.counters = fresh;
    this.dirty = true;
  }

  /** Whether a sync put off while calls were in flight is due now that none is (and no longer pending). */
  resyncDue(): boolean {
    if (!this.resyncWhenIdle || this.ctx.inFlight() !== 0) return false;
    this.resyncWhenIdle = false;
    return true;
  }
}
