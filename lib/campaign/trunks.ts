/**
 * A task's trunk group: the Asterisk connections it dials through
 * (docs/scaling.md, "Several Asterisk servers"), and the rule that says
 * which one carries each call.
 *
 * The rule, deterministic: a call goes to the connection that is connected
 * and has a free channel, whose busy share, (limit - free) / (weight x
 * limit), is the lowest; on a tie, the one listed first. A connection's
 * limit is the task's maxCalls on it (0: the connection's channel limit,
 * never above it); free is what is left of that limit after this task's
 * calls on it, and never more than the connection's own free channels (its
 * calls of every kind, inbound ones too, and the originates still ringing:
 * coordinator.ts; with maxCalls 0, just those, as for a task of one
 * connection). So with equal weights the calls at a time are spread in
 * proportion to the limits, a weight of 2 doubles a connection's share, a
 * connection busy with other calls gets fewer, and none is ever asked for a
 * call beyond its limit. A connection that is not connected (connecting,
 * reconnecting, refused, taken over by another client: ApplicationReplaced)
 * gets no call; its calls in flight are resolved by its own connection
 * when it comes back (lib/ari/reconciliation.ts, resume.ts).
 *
 * Apart from dialer.ts because it is where a call goes, not when or whom
 * to dial.
 */
import type { DialAllowlist } from '../ari/dialstring';
import type { ConnectionState } from '../ari/port';
import { CountsByConnection, type ChannelPool, type Coordinator } from './coordinator';
import type { CallAdopter, DialerOptions, DialerTelephony } from './dialer-port';

/** One connection of the group, as the dialer uses it. */
export interface Trunk {
  /** The callflow-asterisk config node's id (recorded on each attempt it carries). */
  id: string;
  /** Its name, for the status. */
  name: string;
  telephony: DialerTelephony;
  calls: CallAdopter;
  /** The connection's own channels (every call on it). */
  pool: ChannelPool;
  /** The most calls of this task on it at once; 0: the connection's channel limit. */
  maxCalls: number;
  weight: number;
  /** Caller numbers bound to it; empty: the task's. */
  callerNumbers: string[];
  /** Where it may dial (its dial allowlist). */
  destinations?: DialAllowlist;
}

/** The connections a dialer is given: its trunk group, else its one connection (with no limit of its own: the connection's). */
export function trunksOf(options: DialerOptions): Trunk[] {
  const { connectionId: id, telephony, calls, pool, destinations } = options;
  return options.trunks ?? [{ id, name: id, telephony, calls, pool, maxCalls: 0, weight: 1, callerNumbers: [], ...(destinations ? { destinations } : {}) }];
}

/** How one connection of the group is doing, for the status ("12/30 ast-a, 5/20 ast-b, ast-c down"). */
export interface TrunkLoad {
  id: string;
  name: string;
  state: ConnectionState;
  /** Calls of this task on it (ringing or answered). */
  active: number;
  limit: number;
}

export class TrunkGroup {
  private readonly active = new CountsByConnection();
  /** Channels this task holds for its calls waiting for their moment in the tick (placing.ts). */
  private readonly held = new CountsByConnection();
  private readonly callerIndex = new Map<string, number>();
  private sharedIndex = 0;

  constructor(
    readonly trunks: readonly Trunk[],
    private readonly coordinator: Coordinator,
    /** The task's caller numbers (rotated for a connection that has none of its own). */
    private readonly callerNumbers: readonly string[],
  ) {
    if (trunks.length === 0) throw new RangeError('a trunk group needs at least one connection');
  }

  /** The task's own connection (the first): it carries attempts written before trunk groups. */
  get primary(): Trunk {
    return this.trunks[0] as Trunk;
  }

  /** The connection an attempt was placed on (`id` undefined: written before trunk groups, the primary), or undefined when the group no longer has it. */
  byId(id: string | undefined): Trunk | undefined {
    if (id === undefined) return this.primary;
    return this.trunks.find((t) => t.id === id);
  }

  limit(t: Trunk): number {
    return t.maxCalls > 0 ? Math.min(t.maxCalls, t.pool.limit) : t.pool.limit;
  }

  up(t: Trunk): boolean {
    return t.telephony.status.state === 'connected';
  }

  /** Calls of this task on the connection now. */
  activeOn(t: Trunk): number {
    return this.active.get(t.id);
  }

  /**
   * Channels this task may still use on the connection: none while it is not connected. Without a maxCalls of its
   * own, the connection's free channels (which count this task's calls too), as for a task of one connection. The
   * channels held for calls waiting for their moment in a tick (hold()) are not free, for any task.
   */
  free(t: Trunk): number {
    if (!this.up(t)) return 0;
    const free = this.coordinator.free(t.id, t.pool);
    return Math.max(0, t.maxCalls > 0 ? Math.min(this.limit(t) - this.activeOn(t) - this.held.get(t.id), free) : Math.min(this.limit(t), free));
  }

  /** Keeps a channel of `t` for a call of this task that waits for its moment in the tick; release() gives it back. */
  hold(t: Trunk): void {
    this.held.add(t.id, 1);
    this.coordinator.hold(t.id);
  }

  release(t: Trunk): void {
    this.held.add(t.id, -1);
    this.coordinator.release(t.id);
  }

  /** Whether no connection of the group is connected (the task waits). */
  allDown(): boolean {
    return this.trunks.every((t) => !this.up(t));
  }

  /** Why no connection carries calls (allDown()): the connection's status message, or each one's. */
  whyDown(): string | undefined {
    const { trunks } = this;
    return trunks.length === 1 ? trunks[0]?.telephony.status.message : trunks.map((t) => `${t.name}: ${t.telephony.status.message}`).join('; ');
  }

  /** Calls the group may take now. */
  room(): number {
    let sum = 0;
    for (const t of this.trunks) sum += this.free(t);
    return sum;
  }

  /**
   * The connections of `n` calls placed now, by the rule above; each pick
   * counts against the next. Fewer than `n` when the group has no room for
   * more.
   */
  assign(n: number): Trunk[] {
    const free = this.trunks.map((t) => this.free(t));
    const picks: Trunk[] = [];
    for (let k = 0; k < n; k += 1) {
      let best = -1;
      let bestShare = Infinity;
      this.trunks.forEach((t, i) => {
        const f = free[i] as number;
        if (f <= 0) return;
        const limit = this.limit(t);
        const share = (limit - f) / (t.weight * limit);
        if (share < bestShare - 1e-12) {
          best = i;
          bestShare = share;
        }
      });
      if (best < 0) break;
      free[best] = (free[best] as number) - 1;
      picks.push(this.trunks[best] as Trunk);
    }
    return picks;
  }

  /** The caller number of the next call on `t`: its own numbers in rotation, else the task's. */
  nextCaller(t: Trunk): string {
    if (t.callerNumbers.length > 0) {
      const i = this.callerIndex.get(t.id) ?? 0;
      this.callerIndex.set(t.id, (i + 1) % t.callerNumbers.length);
      return t.callerNumbers[i % t.callerNumbers.length] ?? '';
    }
    if (this.callerNumbers.length === 0) return '';
    const n = this.callerNumbers[this.sharedIndex % this.callerNumbers.length] ?? '';
    this.sharedIndex = (this.sharedIndex + 1) % this.callerNumbers.length;
    return n;
  }

  /** A call of this task starts on the connection (placed, or taken back after a restart). */
  started(id: string): void {
    this.active.add(id, 1);
  }

  ended(id: string): void {
    this.active.add(id, -1);
  }

  /** Each connection's state and calls. */
  loads(): TrunkLoad[] {
    return this.trunks.map((t) => ({ id: t.id, name: t.name, state: t.telephony.status.state, active: this.activeOn(t), limit: this.limit(t) }));
  }

  /** Whether every connection is the same as in `telephonies` (a redeploy with the same connections keeps the dialer). */
  sameAs(telephonies: readonly unknown[]): boolean {
    return telephonies.length === this.trunks.length && this.trunks.every((t, i) => t.telephony === telephonies[i]);
  }
}
