/**
 * The life cycle of an outbound call task, with the specification's rules:
 * a draft can be edited, started, deleted and given contacts; a running
 * task can only be suspended (or stopped); a suspended one edited, resumed
 * (or stopped). A task completes when every contact has its final result
 * or its end time passes. Stop is this product's addition: it ends a task
 * early for good (the contacts not final stay as they are, in the report).
 */
import type { CampaignState } from '../schemas/campaign';

export const OPERATIONS = ['edit', 'start', 'delete', 'load', 'suspend', 'resume', 'stop'] as const;
export type Operation = (typeof OPERATIONS)[number];

export const ALLOWED: Readonly<Record<CampaignState, readonly Operation[]>> = {
  draft: ['edit', 'start', 'delete', 'load'],
  running: ['suspend', 'stop'],
  suspended: ['edit', 'resume', 'stop'],
  completed: [],
  stopped: [],
};

/** The state an operation leads to (edit, delete and load keep the state; delete empties the task). */
const RESULT: Readonly<Partial<Record<Operation, CampaignState>>> = {
  start: 'running',
  suspend: 'suspended',
  resume: 'running',
  stop: 'stopped',
};

export class StateError extends Error {
  override readonly name = 'StateError';
  constructor(
    readonly state: CampaignState,
    readonly operation: Operation,
  ) {
    const allowed = ALLOWED[state];
    super(
      `${operation} is not allowed: the task is ${state}, which allows ${allowed.length > 0 ? allowed.join(', ') : 'nothing (it is over; the report still works)'}`,
    );
  }
}

export function isOperation(value: unknown): value is Operation {
  return typeof value === 'string' && (OPERATIONS as readonly string[]).includes(value);
}

/** Whether a task in `state` allows `operation`. */
export function allows(state: CampaignState, operation: Operation): boolean {
  return ALLOWED[state].includes(operation);
}

/** The state after `operation`, or a StateError saying why it is refused. */
export function transition(state: CampaignState, operation: Operation): CampaignState {
  if (!allows(state, operation)) throw new StateError(state, operation);
  return RESULT[operation] ?? state;
}

/**
 * An operation the task's state allows but one of its rules refuses now:
 * start or resume while the task's IVR flow cannot take calls (not
 * deployed on the connection, or, with a release set, not released), or
 * does not fit the task's type (a robot task's flow without a robot).
 * Answered like a StateError (409 in the admin API, done(err) and the
 * dialer's status).
 */
export class RuleError extends Error {
  override readonly name = 'RuleError';
  constructor(
    readonly operation: Operation,
    readonly rule: 'flow-missing',
    /** What the rule is about (the flow's name; empty: the flow wired to the task's dialer node). */
    readonly subject: string,
    /** Why, in the words of whoever checked it (the connection's router). */
    readonly detail: string,
  ) {
    // No IVR flow: the task's calls leave on its dialer node's output (a robot task's flow is checked there too).
    super(`${operation} is not allowed: ${subject ? `the task's IVR flow "${subject}"` : "the flow of the task's dialer node"} cannot take calls: ${detail}`);
  }
}
