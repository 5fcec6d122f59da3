/**
 * One outbound call task's document in the store (document type
 * `campaign`): its state, the settings it runs with, why it last changed,
 * and its counters. Writes go out one at a time (serial()), each against
 * the revision last read, and a conflict (another Node-RED instance
 * running the task wrote) is merged: a state change is written over the
 * fresh document, a counters update keeps the fresh state; either way the
 * fresh counters get this dialer's counts since its last write added
 * (increments, so that no instance overwrites another's counts).
 * adopt() takes over a newer document another instance wrote (its state
 * change).
 *
 * The counters are counted as the dialer writes attempts, and derived from
 * the attempts in the store (sync()) when the dialer starts and when the
 * task ends, so that they never drift from them; with other instances
 * alive, only by counting (their counts not yet written would be counted
 * twice).
 *
 * Apart from dialer.ts because it is the task's persistent record, with
 * its own rules of consistency; the dialer decides when to write, this
 * decides how.
 */
import type { Logger } from '../log';
import { campaignDocument, type CampaignCounters, type CampaignDocument, type CampaignState } from '../schemas/campaign';
import { StoreError, type Store } from '../store/port';
import { splitUrlSecrets, urlSecrets } from './callback-secrets';
import type { Clock } from './clock';
import { countersOf } from './report';

/**
 * What most pieces of a dialer need of it: the task, the clock, the store
 * and the log; getters, as a redeploy may hand the dialer a new store and log.
 */
export interface TaskContext {
  campaignId: string;
  clock: Clock;
  store(): Store;
  log(): Logger;
  /** The task's name, for messages. */
  name(): string;
}

/** What the task's document needs of its dialer. */
export interface TaskDocumentContext extends TaskContext {
  /** How many calls of the task are in flight (the counters are derived only when none is). */
  inFlight(): number;
  /** Whether no other instance's dialer runs the task (the counters are derived from the store only then). */
  alone(): boolean;
}

export function emptyCounters(): CampaignCounters {
  return { dialed: 0, answered: 0, failed: 0, finished: 0 };
}

function plus(a: CampaignCounters, b: CampaignCounters): CampaignCounters {
  return { dialed: Math.max(0, a.dialed + b.dialed), answered: Math.max(0, a.answered + b.answered), failed: Math.max(0, a.failed + b.failed), finished: Math.max(0, a.finished + b.finished) };
}

export class TaskDocument {
  /** The document as last read or written; undefined until loaded. */
  value: CampaignDocument | undefined;
  /** The counters changed since the last write. */
  dirty = false;
  private rev = 0;
  /** What this dialer counted since its last write: added to the stored counters, whoever wrote them meanwhile. */
  private delta = emptyCounters();
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
    this.delta = emptyCounters();
    return this.value;
  }

  /**
   * Takes over the stored document if another instance wrote it since this
   * one last read or wrote it (after the writes queued before); the counts
   * not written yet stay on top. Returns whether it did. (A counters write
   * that meets another instance's change keeps it too: save().)
   */
  async adopt(): Promise<boolean> {
    return this.serial(async () => {
      const stored = await this.ctx.store().getDocument<CampaignDocument>('campaign', this.ctx.campaignId);
      if (!stored || stored.rev <= this.rev || !this.value) return false;
      this.value = { ...stored.value, counters: plus(stored.value.counters, this.delta) };
      this.rev = stored.rev;
      return true;
    });
  }

  /**
   * Loads the task's document, or creates it as a draft named `name`. One
   * written before callback secrets moved to the node's credentials loses
   * the secret its callback URL may hold (callback-secrets.ts).
   */
  async open(name: string): Promise<CampaignDocument> {
    const stored = await this.load();
    if (!stored) {
      await this.create({ state: 'draft', changedAt: this.ctx.clock.now(), reason: 'created', name, counters: emptyCounters() });
      return this.require();
    }
    if (stored.settings && urlSecrets(stored.settings.callbackUrl).length > 0) {
      await this.save({ ...stored, settings: { ...stored.settings, callbackUrl: splitUrlSecrets(stored.settings.callbackUrl).url } }, false);
    }
    return this.require();
  }

  /**
   * Writes the task's first document. Another instance that found none at
   * the same moment (Node-RED processes started together) may have written
   * it first: that one is taken, as load() would have.
   */
  async create(doc: CampaignDocument): Promise<void> {
    this.value = doc;
    try {
      this.rev = await this.ctx.store().putDocument('campaign', this.ctx.campaignId, doc as unknown as Record<string, unknown>, 0, this.ctx.clock.now());
    } catch (err) {
      if (!(err instanceof StoreError && err.kind === 'conflict') || !(await this.load())) throw err;
    }
    this.delta = emptyCounters();
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
      // Another instance's counts stay; this one's since its last write are added to them.
      if (fresh) doc = stateChange ? { ...doc, counters: plus(fresh.value.counters, this.delta) } : { ...fresh.value, counters: plus(fresh.value.counters, this.delta) };
      campaignDocument.assert(doc);
      this.rev = await this.ctx.store().putDocument('campaign', campaignId, doc as unknown as Record<string, unknown>, this.rev, clock.now());
    }
    this.value = doc;
    this.delta = emptyCounters();
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
    this.delta[what] += by;
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
    if (!this.value || !this.ctx.alone()) return;
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
    // The correction is a count like the others: written on top of the stored counters.
    for (const k of keys) this.delta[k] += fresh[k] - doc.counters[k];
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
