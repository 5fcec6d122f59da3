/**
 * The life cycle of an outbound call task (lib/campaign/states.ts) against
 * the specification's rules (../shared/reference/outbound-call-tasks.txt):
 * "You can modify, start, or delete a task in draft state, and configure
 * outbound call data for the task"; "To modify an outbound call task, click
 * Suspend to suspend it. After the task is suspended, click Edit to modify
 * the outbound call task" (and resume it). Stop is the product's addition
 * for running and suspended tasks; a completed or stopped task allows
 * nothing. Then every state times every operation: allowed ones lead to
 * the documented state, the others throw a StateError naming the
 * operation, the state and what the state allows.
 */
import assert from 'node:assert/strict';
import { ALLOWED, OPERATIONS, StateError, isOperation, transition, type Operation } from '../../lib/campaign/states';
import { CAMPAIGN_STATES, type CampaignState } from '../../lib/schemas/campaign';

/** The specification's operations per state (load: configure outbound call data). */
const SPECIFICATION: Record<CampaignState, Operation[]> = {
  draft: ['edit', 'start', 'delete', 'load'],
  running: ['suspend'],
  suspended: ['edit', 'resume'],
  completed: [],
  stopped: [],
};

/** What this product adds to the specification. */
const ADDED: Record<CampaignState, Operation[]> = {
  draft: [],
  running: ['stop'],
  suspended: ['stop'],
  completed: [],
  stopped: [],
};

/** The state each allowed operation leads to. */
const NEXT: Record<CampaignState, Partial<Record<Operation, CampaignState>>> = {
  draft: { edit: 'draft', start: 'running', delete: 'draft', load: 'draft' },
  running: { suspend: 'suspended', stop: 'stopped' },
  suspended: { edit: 'suspended', resume: 'running', stop: 'stopped' },
  completed: {},
  stopped: {},
};

const sorted = (xs: readonly string[]): string[] => [...xs].sort();

describe('campaign task states', function () {
  it('knows the seven operations and tells them from other values', function () {
    assert.deepEqual(sorted(OPERATIONS), sorted(['edit', 'start', 'delete', 'load', 'suspend', 'resume', 'stop']));
    for (const op of OPERATIONS) assert.equal(isOperation(op), true, op);
    for (const other of ['', 'Start', 'complete', 'run', 'pause', 'unload', undefined, null, 1, {}]) assert.equal(isOperation(other), false, JSON.stringify(other));
  });

  it('has a row for every state', function () {
    assert.deepEqual(sorted(Object.keys(ALLOWED)), sorted(CAMPAIGN_STATES));
  });

  for (const state of CAMPAIGN_STATES) {
    it(`${state}: allows the specification's operations plus stop where the product adds it`, function () {
      assert.deepEqual(sorted(ALLOWED[state]), sorted([...SPECIFICATION[state], ...ADDED[state]]));
    });
  }

  it('only draft tasks take contacts, are deleted or started; only running ones are suspended; only suspended ones resumed', function () {
    const holders = (op: Operation): CampaignState[] => CAMPAIGN_STATES.filter((s) => ALLOWED[s].includes(op));
    assert.deepEqual(holders('load'), ['draft']);
    assert.deepEqual(holders('delete'), ['draft']);
    assert.deepEqual(holders('start'), ['draft']);
    assert.deepEqual(holders('suspend'), ['running']);
    assert.deepEqual(holders('resume'), ['suspended']);
    assert.deepEqual(holders('edit'), ['draft', 'suspended']);
    assert.deepEqual(holders('stop'), ['running', 'suspended']);
  });

  for (const state of CAMPAIGN_STATES) {
    for (const operation of OPERATIONS) {
      const next = NEXT[state][operation];
      if (next !== undefined) {
        it(`${state} + ${operation} -> ${next}`, function () {
          assert.equal(transition(state, operation), next);
        });
      } else {
        it(`${state} + ${operation} is refused`, function () {
          const allowed = ALLOWED[state];
          const says = `${operation} is not allowed: the task is ${state}, which allows ${allowed.length > 0 ? allowed.join(', ') : 'nothing (it is over; the report still works)'}`;
          assert.throws(
            () => transition(state, operation),
            (err: unknown) => {
              assert.ok(err instanceof StateError, String(err));
              assert.equal(err.name, 'StateError');
              assert.equal(err.message, says);
              assert.equal(err.state, state);
              assert.equal(err.operation, operation);
              return true;
            },
          );
        });
      }
    }
  }

  it('words a refusal as the documentation shows it', function () {
    assert.throws(() => transition('running', 'start'), { name: 'StateError', message: 'start is not allowed: the task is running, which allows suspend, stop' });
    assert.throws(() => transition('draft', 'resume'), { message: 'resume is not allowed: the task is draft, which allows edit, start, delete, load' });
    assert.throws(() => transition('suspended', 'load'), { message: 'load is not allowed: the task is suspended, which allows edit, resume, stop' });
    assert.throws(() => transition('completed', 'start'), { message: /^start is not allowed: the task is completed, which allows nothing/ });
    assert.throws(() => transition('stopped', 'resume'), { message: /^resume is not allowed: the task is stopped, which allows nothing/ });
  });

  it('runs a whole life: draft -> running -> suspended -> running -> stopped, with edits where allowed', function () {
    let s: CampaignState = 'draft';
    for (const op of ['load', 'edit', 'start', 'suspend', 'edit', 'resume', 'suspend', 'resume', 'stop'] as const) s = transition(s, op);
    assert.equal(s, 'stopped');
    assert.throws(() => transition(s, 'resume'), StateError);
  });
});
