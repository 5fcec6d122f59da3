/**
 * The results each element can have in a flow test (docs/releases.md, "Flow test"): instead of acting on a
 * channel, an element of a test call takes the result the tester picks, and each result says which output the
 * call leaves through, the outcome the trace records and what msg.payload and msg.call.vars get, as the element
 * itself would have made them. Two results every element has are added by the runner: `hangup` (the caller hangs
 * up here) and `error` (the element fails, and its On error setting decides).
 */
import type { CallSession } from '../call/session';
import { put } from '../own';
import { QUEUE_NAME_PATTERN, type CollectConfig, type MenuConfig, type RecordConfig, type ResponseConfig, type TransferConfig } from '../schemas/elements';

/** One result an element may take in a test. */
export interface TestResult {
  /** What the tester picks, e.g. "option 1", "timeout", "busy". */
  result: string;
  /** The output (0-based) the call leaves through; null: none (the element ends the call, or hands it to someone). */
  output: number | null;
  /** The outcome the trace records (as the element's own). */
  outcome: string;
  /** The result needs a value (digits collected, a key): what it is, for the tester. */
  value?: { name: 'digits' | 'key' | 'seconds' | 'message'; required: boolean };
  /** How the call goes on: `ends` the flow ends it (hangup, SIP response); `handed-off` someone else has it (a transfer). */
  then?: 'ends' | 'handed-off';
  /** msg.payload and the call's variables, as the element makes them; returns a problem with `value` instead, if any. */
  apply?: (session: CallSession, value: string | undefined) => { payload?: unknown } | string;
}

/** The results every element has: the caller hangs up there, or the element fails. */
export const COMMON_RESULTS: readonly TestResult[] = [
  { result: 'hangup', output: null, outcome: 'hangup' },
  { result: 'error', output: null, outcome: 'error', value: { name: 'message', required: false } },
];

/** Keys a caller can press. */
const KEYS = /^[0-9*#]{1,64}$/;

function digitsProblem(value: string | undefined, min: number, max: number): string | undefined {
  if (value === undefined || !KEYS.test(value)) return `needs the digits collected (keys 0-9, * and #, 1 to 64), got ${JSON.stringify(value ?? null)}`;
  if (value.length < min || value.length > max) return `needs ${min} to ${max} digits (the node's settings), got ${value.length} (${JSON.stringify(value)})`;
  return undefined;
}

export function answerResults(): TestResult[] {
  return [{ result: 'answered', output: 0, outcome: 'answered', apply: (s) => (s.answered(), {}) }];
}

export function playResults(): TestResult[] {
  return [
    { result: 'done', output: 0, outcome: 'done' },
    {
      result: 'interrupted',
      output: 0,
      outcome: 'interrupted',
      value: { name: 'key', required: false },
      apply: (_s, key) => {
        if (key === undefined) return { payload: { outcome: 'interrupted' } };
        if (!/^[0-9*#]$/.test(key)) return `needs one key (0-9, * or #), got ${JSON.stringify(key)}`;
        return { payload: { outcome: 'interrupted', digit: key } };
      },
    },
  ];
}

export function collectResults(config: CollectConfig, matches: (digits: string) => boolean): TestResult[] {
  return [
    {
      result: 'collected',
      output: 0,
      outcome: 'collected',
      value: { name: 'digits', required: true },
      apply: (s, digits) => {
        const problem = digitsProblem(digits, config.minDigits, config.maxDigits);
        if (problem) return problem;
        if (!matches(digits as string)) return `the digits ${JSON.stringify(digits)} do not match the node's pattern ${JSON.stringify(config.pattern)}: pick "invalid"`;
        put(s.vars, config.variable, digits as string);
        return { payload: { outcome: 'collected', digits, attempts: 1 } };
      },
    },
    { result: 'timeout', output: 1, outcome: 'timeout', apply: () => ({ payload: { outcome: 'timeout', attempts: config.retries + 1 } }) },
    {
      result: 'invalid',
      output: 2,
      outcome: 'invalid',
      value: { name: 'digits', required: false },
      apply: (_s, digits) => {
        if (digits !== undefined && !KEYS.test(digits)) return `needs keys 0-9, * and # (1 to 64), got ${JSON.stringify(digits)}`;
        return { payload: { outcome: 'invalid', digits: digits ?? '', attempts: config.retries + 1 } };
      },
    },
  ];
}

export function menuResults(config: MenuConfig): TestResult[] {
  const n = config.options.length;
  const options = config.options.map((key, index): TestResult => {
    const label = config.labels[index];
    return { result: `option ${key}`, output: index, outcome: `option ${key}`, apply: () => ({ payload: { outcome: 'option', key, ...(label ? { label } : {}), attempts: 1 } }) };
  });
  return [
    ...options,
    { result: 'timeout', output: n, outcome: 'timeout', apply: () => ({ payload: { outcome: 'timeout', attempts: config.retries + 1 } }) },
    { result: 'invalid', output: n + 1, outcome: 'invalid', apply: () => ({ payload: { outcome: 'invalid', attempts: config.retries + 1 } }) },
  ];
}

/** Why a dial fails, as lib/ivr/transfer.ts tells them (failureReason), with a Q.850 cause it reads so (a test holds the two together). */
export const FAILURES: readonly [string, number][] = [
  ['busy', 17],
  ['no-answer', 19],
  ['unallocated', 1],
  ['rejected', 21],
  ['congestion', 34],
  ['unavailable', 3],
  ['failed', 127],
];

/** A transfer to a flow runs as it does on a call (the flow's entry takes the test call): it has no results of its own. */
export function transferResults(config: TransferConfig): TestResult[] | undefined {
  if (config.kind === 'flow') return undefined;
  const failed = FAILURES.map(([reason, cause]): TestResult => ({
    result: reason,
    output: 1,
    outcome: `failed: ${reason}`,
    apply: () => ({ payload: { outcome: 'failed', reason, cause, causeText: `flow test: ${reason}` } }),
  }));
  if (config.kind === 'endpoint' || config.kind === 'number') {
    return [{ result: 'connected', output: 0, outcome: 'connected', then: 'handed-off', apply: () => ({ payload: { outcome: 'connected' } }) }, ...failed];
  }
  return [{ result: 'left', output: 0, outcome: 'left', then: 'handed-off', apply: () => ({ payload: { outcome: 'left' } }) }, failed[failed.length - 1] as TestResult];
}

export function recordResults(config: RecordConfig): TestResult[] {
  return [
    {
      result: 'recorded',
      output: 0,
      outcome: 'recorded',
      value: { name: 'seconds', required: false },
      apply: (s, seconds) => {
        const durationSec = seconds === undefined ? 0 : Number(seconds);
        if (!Number.isFinite(durationSec) || durationSec < 0 || durationSec > 86_400) return `needs the recording's length in seconds (0 to 86400), got ${JSON.stringify(seconds)}`;
        const recording = { name: `flow-test-${s.id}`, format: config.format, durationSec, state: 'done' };
        put(s.vars, config.variable, recording);
        return { payload: { outcome: 'recorded', ...recording } };
      },
    },
  ];
}

export function responseResults(config: ResponseConfig): TestResult[] {
  const outcome = `SIP ${config.code}${config.reason ? ` ${config.reason}` : ''}`;
  return [{ result: 'sent', output: null, outcome, then: 'ends' }];
}

export function hangupResults(): TestResult[] {
  return [{ result: 'hung up', output: null, outcome: 'hangup', then: 'ends' }];
}

export function questionnaireResults(): TestResult[] {
  return [
    { result: 'completed', output: 0, outcome: 'completed', apply: () => ({ payload: { outcome: 'completed', answers: [] } }) },
    { result: 'partial', output: 1, outcome: 'partial', apply: () => ({ payload: { outcome: 'partial', answers: [] } }) },
  ];
}

export function conferenceResults(): TestResult[] {
  return [
    { result: 'left', output: 0, outcome: 'left', apply: () => ({ payload: { outcome: 'left', reason: 'flow test' } }) },
    { result: 'ended', output: 1, outcome: 'ended', apply: () => ({ payload: { outcome: 'ended', reason: 'flow test' } }) },
    { result: 'refused', output: 2, outcome: 'refused', apply: () => ({ payload: { outcome: 'refused', reason: 'flow test' } }) },
  ];
}

export function httpIvrResults(returns: readonly string[]): TestResult[] {
  return [
    ...returns.map((name, output): TestResult => ({ result: `return ${name}`, output, outcome: `return ${name}`, apply: () => ({ payload: { outcome: 'return', output: name } }) })),
    { result: 'ended', output: null, outcome: 'hangup', then: 'ends' },
    { result: 'transferred', output: null, outcome: 'connected', then: 'handed-off' },
  ];
}

/** Answering-machine detection: one result per status, on its output, with AMDSTATUS and AMDCAUSE as AMD() sets them. */
export function amdResults(): TestResult[] {
  return (['HUMAN', 'MACHINE', 'NOTSURE'] as const).map((status, output): TestResult => {
    const outcome = status === 'NOTSURE' ? 'notsure' : status.toLowerCase();
    return {
      result: outcome,
      output,
      outcome,
      apply: (s) => {
        s.vars.AMDSTATUS = status;
        s.vars.AMDCAUSE = 'FLOWTEST';
        return { payload: { outcome, status, cause: 'FLOWTEST' } };
      },
    };
  });
}

const QUEUE_NAME = new RegExp(QUEUE_NAME_PATTERN);

/** The robot: the bot ended the call, asked for a transfer (to the queue given, checked as a transfer checks it), or the turn limit came. */
export function botResults(): TestResult[] {
  return [
    { result: 'ended', output: 0, outcome: 'ended', apply: () => ({ payload: { outcome: 'ended', turns: 0 } }) },
    {
      result: 'transfer',
      output: 1,
      outcome: 'transfer',
      value: { name: 'message', required: true },
      apply: (s, queue) => {
        if (queue === undefined || !QUEUE_NAME.test(queue)) return `needs the queue the bot asks for (letters, digits, _ . -, 1 to 80), got ${JSON.stringify(queue ?? null)}`;
        s.vars.botQueue = queue;
        s.vars.botData = {};
        return { payload: { outcome: 'transfer', queue, data: {}, turns: 0 } };
      },
    },
    { result: 'turn-limit', output: 2, outcome: 'turn-limit', apply: () => ({ payload: { outcome: 'turn-limit', turns: 0 } }) },
    { result: 'silence', output: 2, outcome: 'silence', apply: () => ({ payload: { outcome: 'silence', turns: 0 } }) },
  ];
}
