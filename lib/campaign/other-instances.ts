/**
 * The task's dialers on other Node-RED instances, as one dialer sees them
 * through the store: it says it is alive while it holds leases, takes over
 * the leases of a dialer not seen for DEAD_MS (dialing-document.ts) and
 * resolves its calls in flight, and follows a state change another instance
 * made (start, suspend, resume, stop, complete, delete) within WATCH_MS:
 * the ticks look while the task runs (tick.ts, keepUp), a timer while it does
 * not.
 *
 * Apart from dialer.ts because it is what instances tell each other, not
 * dialing; the dialer says what following a state means for its ticks.
 */
import type { CampaignDocument, CampaignState } from '../schemas/campaign';
import type { Claim } from '../store/port';
import { LEASE_MS } from './claims-ahead';
import { DEAD_MS, HEARTBEAT_MS, type DialingShare } from './dialing-document';
import type { TaskContext, TaskDocument } from './task-document';

/** How often a dialer reads the task's document for a state change another instance made, and says it is alive. */
export const WATCH_MS = HEARTBEAT_MS;

export interface OtherInstancesContext extends TaskContext {
  task: TaskDocument;
  share: DialingShare;
  closed(): boolean;
  /** Calls of this dialer in flight. */
  calls(): number;
  /** Leases this dialer holds: its calls in flight and the contacts claimed for its next tick. */
  holding(): number;
  /** A lease taken over from a dead dialer: its attempt in flight is resolved, else it goes back to the queue. */
  takeBack(claim: Claim): void;
  /** The task's state changed on another instance from `before` (the state this dialer last acted on). */
  follow(before: CampaignState, doc: CampaignDocument): Promise<void>;
  /** The document changed, not its state (counters): the status shows it. */
  changed(): void;
}

export class OtherInstances {
  /** The task's state this dialer last acted on: another one in the document is another instance's change. */
  acted: CampaignState = 'draft';
  /** When it last looked. */
  lastLook = 0;
  private stopWatching: (() => void) | undefined;
  /** When this dialer last said it is alive (the others take a dialer not seen for DEAD_MS for dead). */
  private lastPresent = Number.NEGATIVE_INFINITY;

  constructor(private readonly ctx: OtherInstancesContext) {}

  /**
   * Every WATCH_MS while the task does not run (its ticks look while it
   * runs); completed and stopped are final, but their last calls are watched.
   */
  watch(): void {
    if (this.ctx.closed() || this.stopWatching || !this.watched()) return;
    this.stopWatching = this.ctx.clock.after(WATCH_MS, async () => {
      this.stopWatching = undefined;
      if (this.ctx.closed() || !this.watched()) return;
      await this.look(this.ctx.clock.now());
      this.watch();
    });
  }

  stop(): void {
    this.stopWatching?.();
    this.stopWatching = undefined;
  }

  private watched(): boolean {
    const state = this.ctx.task.state;
    if (state === 'running') return false;
    return this.ctx.calls() > 0 || (state !== 'completed' && state !== 'stopped');
  }

  /** Says this dialer is alive (while it holds leases) and follows another instance's state change. */
  async look(now: number): Promise<void> {
    this.lastLook = now;
    try {
      // Said while it holds leases: those are what the others would take over. A dialer that holds none only looks for
      // a dialer not seen for DEAD_MS.
      await this.heartbeat(this.ctx.holding() > 0);
      await this.follow();
    } catch (err) {
      this.ctx.log().warn(`campaign ${this.ctx.name()}: ${(err as Error).message}`);
    }
  }

  /**
   * Says this dialer is alive before it claims contacts, unless it did
   * within WATCH_MS: a dialer that held nothing for a while was not saying
   * so, and must not be taken for dead with the leases it is about to take.
   */
  async beforeClaim(now: number): Promise<void> {
    if (now - this.lastPresent >= WATCH_MS) await this.heartbeat(true);
  }

  /** Says this dialer is alive (`present`); takes over the leases of the dialers of other instances not seen for DEAD_MS. */
  async heartbeat(present = true): Promise<void> {
    const { ctx } = this;
    const now = ctx.clock.now();
    if (present) this.lastPresent = now;
    for (const worker of await ctx.share.beat(now, present)) {
      const taken = await ctx.store().reclaimLeases(ctx.campaignId, worker, now, LEASE_MS);
      ctx.log().warn(`campaign ${ctx.name()}: the dialer ${worker} of another Node-RED instance was not seen for ${DEAD_MS / 1000} s; its ${taken.length} contact(s) are taken over here`);
      for (const claim of taken) ctx.takeBack(claim);
    }
  }

  /** Takes over the stored document if another instance wrote it; a state change there is followed. */
  async follow(): Promise<void> {
    const { ctx } = this;
    const changed = await ctx.task.adopt();
    if (ctx.closed()) return;
    const doc = ctx.task.require();
    const before = this.acted;
    if (doc.state === before) {
      if (changed) ctx.changed();
      return;
    }
    this.acted = doc.state;
    ctx.log().info(`campaign ${ctx.name()}: ${doc.reason} on another Node-RED instance (${before} -> ${doc.state})`);
    await ctx.follow(before, doc);
  }
}
