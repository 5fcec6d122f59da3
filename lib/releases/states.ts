/**
 * The life cycle of an IVR flow version (../shared/reference/ivr-flow-lifecycle.txt):
 *
 *   New         edit, delete
 *   Editing     unlock
 *   Unreleased  release, edit, delete
 *   Official    clone, test, cancel (release), info
 *   Gray        clone, test, release (to official), cancel (release), details, info
 *
 * Editing a New or Unreleased version locks it for one editor; editing ends
 * (the editor says so, the version is deployed, or 5 minutes pass with no
 * request from that editor) or an unlock moves it to Unreleased. Cancelling
 * a release moves it to Unreleased. This module is the table and nothing
 * else: what each state allows, and the message a refusal carries.
 */
import type { FlowType, ReleaseState } from '../schemas/releases';

export const OPERATIONS = ['edit', 'delete', 'unlock', 'release', 'clone', 'test', 'cancel', 'info', 'details'] as const;
export type Operation = (typeof OPERATIONS)[number];

export const ALLOWED: Readonly<Record<ReleaseState, readonly Operation[]>> = {
  new: ['edit', 'delete'],
  editing: ['unlock'],
  unreleased: ['release', 'edit', 'delete'],
  official: ['clone', 'test', 'cancel', 'info'],
  gray: ['clone', 'test', 'release', 'cancel', 'details', 'info'],
};

/** How the documentation names states and operations (messages and the editor use these). */
export const STATE_NAMES: Readonly<Record<ReleaseState, string>> = {
  new: 'New',
  editing: 'Editing',
  unreleased: 'Unreleased',
  official: 'Official Release',
  gray: 'Gray Release',
};

/** How the documentation names a version's Type (attributes.ts). */
export const TYPE_NAMES: Readonly<Record<FlowType, string>> = {
  main: 'Main flow',
  exception: 'Exception handling flow',
  other: 'Other flow',
};

export const OPERATION_NAMES: Readonly<Record<Operation, string>> = {
  edit: 'Edit',
  delete: 'Delete',
  unlock: 'Unlock',
  release: 'Release',
  clone: 'Clone',
  test: 'Test',
  cancel: 'Cancel Release',
  info: 'Query Info',
  details: 'Details',
};

/** How long an edit lock lasts after the last request from its editor (the documented timeout). */
export const LOCK_TIMEOUT_MS = 5 * 60 * 1000;

export function isOperation(value: string): value is Operation {
  return (OPERATIONS as readonly string[]).includes(value);
}

export function allows(state: ReleaseState, op: Operation): boolean {
  return ALLOWED[state].includes(op);
}

/** Why an operation was refused: the HTTP status, and a message naming the state and what it allows. */
export class ReleaseError extends Error {
  override readonly name = 'ReleaseError';
  constructor(
    /** 400 bad request, 404 unknown, 409 not allowed now, 422 validation failed, 503 store not ready. */
    readonly status: 400 | 404 | 409 | 422 | 503,
    message: string,
    readonly details: { state?: ReleaseState; allowed?: Operation[]; problems?: string[]; holder?: string } = {},
  ) {
    super(message);
  }
}

/** The refusal of an operation the state does not allow. */
export function refusal(flow: string, version: string, state: ReleaseState, op: Operation, extra = ''): ReleaseError {
  const allowed = [...ALLOWED[state]];
  const list = allowed.map((o) => OPERATION_NAMES[o]).join(', ');
  return new ReleaseError(
    409,
    `${OPERATION_NAMES[op]} is not allowed: version ${version} of flow ${flow} is ${STATE_NAMES[state]}${extra}, which allows ${list}`,
    { state, allowed },
  );
}

/** Throws the refusal when `state` does not allow `op`. */
export function mustAllow(flow: string, version: string, state: ReleaseState, op: Operation): void {
  if (!allows(state, op)) throw refusal(flow, version, state, op);
}
