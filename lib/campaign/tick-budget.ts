/**
 * The calls a dialer's tick may place from the task's rate budget, which
 * every instance running the task shares (dialing-document.ts), so that
 * the pace is the total: at most the free channels, the pace's most for a
 * tick and the contacts claimed for it.
 *
 * Alone on the task, a dialer takes the next tick's calls at the tick
 * before, with its contacts (reserve()), so that the tick only writes and
 * dials. With other instances alive, each tick takes its calls when it
 * places them (take()): calls taken for a later tick would be lost with an
 * instance killed before it, a share of the task's pace the others could
 * not get back (one killed within a tick still loses that tick's calls
 * waiting for their moment in it: placing.ts spreads them over the tick). A reservation lapses whenever the next tick will not dial
 * what it was taken for (outside hours, held back, no connection, the task
 * not running, another instance's state change followed).
 *
 * Apart from dialer.ts because it is how much a tick may dial, not what a
 * tick does; the tick (tick.ts) and the dialer's operations say when to
 * take, reserve, drop or start over.
 */
import type { ClaimsAhead } from './claims-ahead';
import type { DialingShare } from './dialing-document';
import type { Pacer } from './pacing';

export interface TickBudgetContext {
  /** The task's rate budget, shared with the other instances (dialing-document.ts). */
  share: DialingShare;
  /** The pace (replaced when the task's settings change). */
  pacer(): Pacer;
  /** The contacts claimed for the next tick. */
  ahead: ClaimsAhead;
  /** Claims contacts at `now` until `count` are held for the tick (the dialer says it is alive first). */
  claim(count: number, now: number): Promise<void>;
}

export class TickBudget {
  /**
   * The calls the next tick may place, taken from the rate budget at the tick before (undefined: it takes its own).
   * Only while this dialer is alone on the task: with other instances, each tick takes its calls when it places them.
   */
  private reserved: number | undefined;

  constructor(private readonly ctx: TickBudgetContext) {}

  /**
   * The calls this tick (at `now`) may place with `room` free channels:
   * those reserved at the tick before, else its own take from the budget,
   * after claiming the contacts it lacks (the first tick, or one that needs
   * more, claims its own).
   */
  async take(now: number, room: number): Promise<number> {
    const { ctx } = this;
    const most = Math.min(room, ctx.pacer().most);
    let count: number;
    if (this.reserved !== undefined) count = Math.min(this.reserved, most, ctx.ahead.size);
    else {
      await ctx.claim(most, now);
      count = await ctx.share.take(now, Math.min(most, ctx.ahead.size), ctx.pacer());
    }
    this.reserved = undefined;
    return count;
  }

  /**
   * Takes the next tick's calls from the task's rate budget now, as the
   * budget will be then (the calls it accrues until the next tick): that
   * tick then only writes and dials. Only while no other dialer of the task
   * was alive at the last take or heartbeat: with others, what one killed before
   * its next tick had taken would be lost to the task's pace, so each tick
   * takes its own calls (one store write more between the tick and its
   * originate requests). Nor when the free channels now (`room`, this
   * tick's calls ringing in them) are fewer than the next tick's calls:
   * how many of those calls end by then is not known, so that tick takes
   * its own, for the room it finds (reserved for the room now, a task whose
   * calls at a time fill the connection would dial every other tick).
   */
  async reserve(now: number, room: number): Promise<void> {
    const { ctx } = this;
    if (!ctx.share.alone) return;
    const pacer = ctx.pacer();
    const want = Math.min(pacer.most, ctx.ahead.size);
    if (room < want) return;
    this.reserved = await ctx.share.take(now + pacer.tickMs, want, pacer);
  }

  /** The next tick will not dial what was reserved for it: it takes its own. */
  forget(): void {
    this.reserved = undefined;
  }

  /** Nothing to place (no free channel, nothing due): the whole calls the budget holds are not saved up for a burst. */
  async drop(now: number): Promise<void> {
    await this.ctx.share.drain(now, this.ctx.pacer());
  }

  /** The pace and the budget start over (the task starts or resumes, or is outside its hours): the next take gets one tick's worth. */
  async startOver(now: number): Promise<void> {
    const pacer = this.ctx.pacer();
    this.reserved = undefined;
    pacer.reset();
    await this.ctx.share.reset(now, pacer.tickMs);
  }

  /** The task no longer runs (suspended, stopped): the budget starts over now, nothing reserved. */
  async release(now: number): Promise<void> {
    this.reserved = undefined;
    await this.ctx.share.release(now);
  }
}
