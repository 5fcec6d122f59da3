/**
 * The end of a task, as one dialer sees it: it completes when every
 * contact has its final result and nothing is in flight, or when its end
 * time passes; a user stops it; or another instance ended it. The contacts
 * not final and not in a call then get a final result (`task-ended`,
 * `task-stopped`), and each dialer writes its last counts and leaves the
 * task's dialing document; the last one to leave derives the counters from
 * the attempts (task-document.ts), which then include the counts a dead
 * instance lost.
 *
 * Apart from dialer.ts because it is what the end of a task means for its
 * contacts and counters, not dialing; the dialer says when to look.
 */
import type { CampaignState } from '../schemas/campaign';
import type { ClaimsAhead } from './claims-ahead';
import type { DialingShare } from './dialing-document';
import type { TaskContext, TaskDocument } from './task-document';

export interface TaskEndContext extends TaskContext {
  task: TaskDocument;
  share: DialingShare;
  /** The contacts claimed for the next tick. */
  ahead: ClaimsAhead;
  /** Calls of this dialer in flight. */
  calls(): number;
  /** The contacts not final, as just counted. */
  remaining(count: number): void;
  /** Counts the contacts not final (and whether any is due now). */
  countRemaining(): Promise<void>;
  /** The task completes here: no more ticks. */
  unschedule(): void;
  /** The task's state this dialer acted on (other-instances.ts). */
  acted(state: CampaignState): void;
  /** The status shows the end. */
  changed(): void;
}

export class TaskEnd {
  constructor(private readonly ctx: TaskEndContext) {}

  /** Completes the task when every contact is final and nothing is in flight. */
  async checkDone(): Promise<void> {
    const { ctx } = this;
    if (ctx.calls() > 0 || ctx.ahead.size > 0) return;
    const counts = await ctx.store().countContacts(ctx.campaignId, ctx.clock.now());
    ctx.remaining(counts.total - counts.done);
    if (counts.total > 0 && counts.done === counts.total) await this.complete('every contact has its final result');
  }

  /** Completes the task; with `closeCode`, every contact not final yet gets it as its final result. */
  async complete(reason: string, closeCode?: string): Promise<void> {
    await this.ctx.task.serial(() => this.completeNow(reason, closeCode));
  }

  /** A user stopped the task (within the task document's serial writes): the contacts not in a call are closed. */
  async stopped(): Promise<void> {
    await this.closeOpenContacts('task-stopped');
    await this.finalCounters();
  }

  /**
   * Another instance suspended, stopped or completed the task (the
   * contacts this one held were handed back): a stop closes the contacts
   * not in a call; a stop or a completion writes the last counters.
   */
  async followed(state: CampaignState): Promise<void> {
    if (state === 'stopped') await this.closeOpenContacts('task-stopped');
    else await this.ctx.countRemaining();
    if (state === 'stopped' || state === 'completed') await this.ctx.task.serial(() => this.finalCounters());
  }

  private async completeNow(reason: string, closeCode?: string): Promise<void> {
    const { ctx } = this;
    const doc = ctx.task.require();
    if (doc.state !== 'running') return;
    ctx.unschedule();
    await ctx.ahead.handBack();
    await ctx.task.save({ ...doc, state: 'completed', reason }, true);
    ctx.acted('completed');
    if (closeCode) await this.closeOpenContacts(closeCode);
    await this.finalCounters();
    ctx.log().info(`campaign ${ctx.name()} completed: ${reason}`);
    ctx.changed();
  }

  /** Gives every contact that is not final and not in a call the final result `code` (the task is over). */
  private async closeOpenContacts(code: string): Promise<void> {
    const { ctx } = this;
    const now = ctx.clock.now();
    const closed = await ctx.store().closeContacts(ctx.campaignId, { code, at: now }, now);
    if (closed > 0) {
      ctx.log().info(`campaign ${ctx.name()}: ${closed} contact(s) not called any more get the result ${code}`);
      ctx.task.count('finished', closed);
    }
    await ctx.countRemaining();
  }

  /**
   * The task ended (completed or stopped, here or on another instance):
   * this dialer writes its last counts and leaves the task's dialing
   * document; the last one to leave (no other dialer alive) derives the
   * counters from the attempts. Run within the task document's serial writes.
   */
  private async finalCounters(): Promise<void> {
    const { task } = this.ctx;
    if (task.dirty) await task.save({ ...task.require() }, false);
    await this.ctx.share.leave(this.ctx.clock.now());
    await task.sync();
    if (task.dirty) await task.save({ ...task.require() }, false);
  }
}
