/**
 * What the dialers of one process share: the channels of each Asterisk
 * connection (calls at a time never exceed its channel limit, counting
 * every call on the connection, inbound ones too, and the calls a tick
 * counted room for that wait for their moment in it: placing.ts), and task
 * priority.
 *
 * Priority, as the specification says it ("If tasks are started at the
 * same time, the task with a higher priority is called preferentially. If
 * a task with a higher priority is not complete, the task with a lower
 * priority is not executed"): a task is not dialed while a task of higher
 * priority (1 being the highest) kept in the same store, started no later
 * than it, is not complete: running or suspended with customers not final
 * (those waiting for a retry too) or calls in progress. A task started
 * later does not stop one already running; a draft, completed or stopped
 * task holds nobody back. See docs/campaigns.md#task-priority.
 */

export interface ChannelPool {
  /** The connection's channel limit. */
  readonly limit: number;
  /** Calls on the connection now (sessions in the application). */
  inUse(): number;
}

export interface PriorityMember {
  readonly id: string;
  /** The task's name, for the status of the tasks it holds back. */
  readonly name: string;
  readonly priority: number;
  /** The store the task is kept in (its callflow-store): priority is kept among the tasks of one store. */
  readonly scope: string;
  /** When the task started (its start operation, or its start time when that is later); undefined: not started. */
  startedAt(): number | undefined;
  /** Started, and not complete: running or suspended, with customers not final (retries pending too) or calls in progress. */
  incomplete(): boolean;
}

/** A count per connection id (calls ringing, channels held, a task's calls); a count back at 0 is no entry. */
export class CountsByConnection {
  private readonly counts = new Map<string, number>();

  get(connection: string): number {
    return this.counts.get(connection) ?? 0;
  }

  add(connection: string, n: number): void {
    const count = this.get(connection) + n;
    if (count > 0) this.counts.set(connection, count);
    else this.counts.delete(connection);
  }
}

export class Coordinator {
  private readonly ringing = new CountsByConnection();
  /** Channels kept for calls a tick counted room for and sends later in it (placing.ts spreads a tick's calls). */
  private readonly held = new CountsByConnection();
  private readonly members = new Set<PriorityMember>();

  /** Channels free on a connection: its limit less its calls, the originates still ringing and the channels held. */
  free(connection: string, pool: ChannelPool): number {
    return Math.max(0, pool.limit - pool.inUse() - this.ringing.get(connection) - this.held.get(connection));
  }

  /**
   * A channel of the connection is kept for a call waiting for its moment in
   * its tick (until release()): no other task, nor a later tick, counts it free.
   */
  hold(connection: string): void {
    this.held.add(connection, 1);
  }

  release(connection: string): void {
    this.held.add(connection, -1);
  }

  /** An originate starts ringing on a connection (until it is answered and becomes a call, or fails). */
  ringingStarted(connection: string): void {
    this.ringing.add(connection, 1);
  }

  ringingEnded(connection: string): void {
    this.ringing.add(connection, -1);
  }

  join(member: PriorityMember): () => void {
    this.members.add(member);
    return () => this.members.delete(member);
  }

  /** The task of higher priority that holds this one back, if any (of several, the highest, then the earliest started). */
  blockedBy(member: PriorityMember): PriorityMember | undefined {
    const mine = member.startedAt() ?? Infinity;
    let holder: PriorityMember | undefined;
    let holderStart = Infinity;
    for (const other of this.members) {
      if (other === member || other.scope !== member.scope || other.priority >= member.priority) continue;
      const started = other.startedAt();
      if (started === undefined || started > mine || !other.incomplete()) continue;
      if (!holder || other.priority < holder.priority || (other.priority === holder.priority && started < holderStart)) {
        holder = other;
        holderStart = started;
      }
    }
    return holder;
  }
}

/** The one coordinator of this process (dialers of every campaign node share it). */
export const coordinator = new Coordinator();
