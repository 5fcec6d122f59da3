/**
 * What the dialers of one process share: the channels of each Asterisk
 * connection (calls at a time never exceed its channel limit, counting
 * every call on the connection, inbound ones too), and task priority (a
 * running task is not dialed while a task of higher priority, 1 being the
 * highest, still has contacts due).
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
  /** Running, in its calling hours, with contacts due at its last look. */
  wantsToDial(): boolean;
}

export class Coordinator {
  private readonly ringing = new Map<string, number>();
  private readonly members = new Set<PriorityMember>();

  /** Channels free on a connection: its limit less its calls and the originates still ringing. */
  free(connection: string, pool: ChannelPool): number {
    return Math.max(0, pool.limit - pool.inUse() - (this.ringing.get(connection) ?? 0));
  }

  /** An originate starts ringing on a connection (until it is answered and becomes a call, or fails). */
  ringingStarted(connection: string): void {
    this.ringing.set(connection, (this.ringing.get(connection) ?? 0) + 1);
  }

  ringingEnded(connection: string): void {
    const n = (this.ringing.get(connection) ?? 0) - 1;
    if (n > 0) this.ringing.set(connection, n);
    else this.ringing.delete(connection);
  }

  join(member: PriorityMember): () => void {
    this.members.add(member);
    return () => this.members.delete(member);
  }

  /** The task of higher priority that holds this one back, if any. */
  blockedBy(member: PriorityMember): PriorityMember | undefined {
    for (const other of this.members) {
      if (other !== member && other.priority < member.priority && other.wantsToDial()) return other;
    }
    return undefined;
  }
}

/** The one coordinator of this process (dialers of every campaign node share it). */
export const coordinator = new Coordinator();
