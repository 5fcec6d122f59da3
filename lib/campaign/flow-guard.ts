/**
 * The rule about a task's IVR flow (docs/campaigns.md#its-ivr-flow): a
 * task whose flow could not take an answered call (not deployed on its
 * connection, or, with a release set, not released) does not start or
 * resume; one whose flow disappears while it runs is suspended by its
 * dialer, once, with the reason on its status (each answered customer is
 * recorded as flow-missing and retried: in-flight.ts, attempt-record.ts).
 *
 * A robot task's flow must also hold a robot (task-type.ts): the same
 * check refuses a start or resume when it does not.
 *
 * Apart from dialer.ts because it is a rule about what the task leads to,
 * not about dialing: the dialer asks it before an operation and tells it
 * when a call found no flow.
 */
import type { Logger } from '../log';
import type { DialerProblem } from './dialer-port';
import { RuleError, type Operation } from './states';

export interface FlowGuardContext {
  /** The flow of the settings a start or resume would apply, and of the settings the task runs with. */
  nextFlow(): string;
  flow(): string;
  /**
   * Why the flow could not take an answered call now, or does not fit the task's type (a robot task's flow without a
   * callflow-bot, task-type.ts), or undefined. None: nothing to check. Asked also when the task has no IVR flow (its
   * dialer node's output takes the calls): the task type's rule applies to that flow too.
   */
  check?: () => string | undefined;
  running(): boolean;
  name(): string;
  log(): Logger;
  /** Suspends the task on the dialer's own account. */
  suspend(by: string): Promise<unknown>;
  track(p: Promise<void>): void;
}

export class FlowGuard {
  /** Why the dialer suspended the task, until it runs again. */
  problem: DialerProblem | undefined;

  constructor(private readonly ctx: FlowGuardContext) {}

  /** Throws a RuleError when the flow a start or resume would use could not take a call now. */
  allow(operation: Operation): void {
    const flow = this.ctx.nextFlow();
    const why = this.ctx.check?.();
    if (why !== undefined) throw new RuleError(operation, 'flow-missing', flow, why);
  }

  /** An answered call found no flow to take it: the task is suspended (once), so no more customers answer into nothing. */
  missing(): void {
    if (!this.ctx.running() || this.problem) return;
    const flow = this.ctx.flow();
    const detail = this.ctx.check?.() ?? `flow "${flow}" did not take the answered call`;
    this.problem = { kind: 'flow-missing', flow, detail };
    const name = this.ctx.name();
    this.ctx.log().warn(`campaign ${name} suspended: its IVR flow "${flow}" cannot take calls (${detail}); the customers who answered are called again under the result policy. Deploy or release the flow, then resume the task`);
    this.ctx.track(
      this.ctx.suspend(`the dialer: IVR flow "${flow}" missing`).then(
        () => undefined,
        (err: unknown) => this.ctx.log().warn(`campaign ${name}: suspending failed: ${(err as Error).message}`),
      ),
    );
  }
}
