/**
 * A dialer's status as its owner sees it (DialerStatus, dialer-port.ts; the
 * config node pushes it to the stage nodes): the task's state and counters,
 * the contacts not final, the calls in progress; while the task runs, why
 * the dialer is not dialing (idle: before its start, outside its hours, held
 * back by a task of higher priority, no connection, the channel limit,
 * waiting for retries); while it is suspended, the problem that made the
 * dialer suspend it; with a trunk group, each connection's state and the
 * task's calls on it. Why it is idle and how its calls are spread are kept
 * here, and a change of either is sent at once.
 *
 * Apart from dialer.ts because it is what the dialer says, not what it
 * does; the dialer sends the status when something in it changed.
 */
import type { CampaignCounters, CampaignState } from '../schemas/campaign';
import type { DialerProblem, DialerStatus, IdleReason } from './dialer-port';
import { emptyCounters } from './task-document';
import type { TrunkGroup } from './trunks';

export interface StatusContext {
  state(): CampaignState;
  /** The task's counters (none before its document is loaded). */
  counters(): CampaignCounters | undefined;
  /** Contacts not final yet (as last counted). */
  remaining(): number;
  /** Calls of the task ringing or in progress. */
  active(): number;
  /** Why the dialer suspended the task itself. */
  problem(): DialerProblem | undefined;
  trunks: TrunkGroup;
  /** Something shown changed: the dialer sends its status. */
  changed(): void;
}

export class StatusBuilder {
  private idleReason: IdleReason | undefined;
  private idleDetail: string | undefined;
  /** The trunk group's loads last shown. */
  private spread = '';

  constructor(private readonly ctx: StatusContext) {}

  build(): DialerStatus {
    const { ctx } = this;
    const state = ctx.state();
    const s: DialerStatus = {
      state,
      counters: { ...(ctx.counters() ?? emptyCounters()) },
      remaining: ctx.remaining(),
      active: ctx.active(),
    };
    if (this.idleReason && state === 'running') s.idle = this.idleReason;
    if (this.idleDetail && state === 'running') s.idleDetail = this.idleDetail;
    const problem = ctx.problem();
    if (problem && state === 'suspended') s.problem = { ...problem };
    if (ctx.trunks.trunks.length > 1) s.trunks = ctx.trunks.loads();
    return s;
  }

  /** Why the dialer is not dialing now (undefined: it dials), and the detail (for higher-priority: the task's name). */
  idle(reason: IdleReason | undefined, detail?: string): void {
    if (this.idleReason === reason && this.idleDetail === detail) return;
    this.idleReason = reason;
    this.idleDetail = detail;
    this.ctx.changed();
  }

  /** A task with a trunk group shows how its calls are spread when that changed (the status of each tick). */
  spreadChanged(): void {
    const { trunks } = this.ctx.trunks;
    if (trunks.length < 2) return;
    const now = JSON.stringify(this.ctx.trunks.loads());
    if (now === this.spread) return;
    this.spread = now;
    this.ctx.changed();
  }
}
