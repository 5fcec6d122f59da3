/**
 * One flow test run (docs/releases.md, "Flow test"): a test call through the deployed nodes of a version whose
 * elements take their results from the tester (step by step) or from a test case (all at once). The run keeps the
 * path (each element reached, the result it took, the output the call left through, the call's variables after
 * it) and the final outcome, and bounds the call: at most `maxSteps` elements and `timeLimitMs` of time, so a
 * loop in a flow cannot hold Node-RED. It knows nothing of Node-RED: nodes/deployed/flow-test.ts drives it.
 */
import type { CallException } from '../call/handle';
import type { CallSession } from '../call/session';
import { COMMON_RESULTS, type TestResult } from './results';

/** A node as the run names it. */
export interface TestNode {
  id: string;
  /** The node's name ('' when it has none). */
  name: string;
  /** The element, e.g. "menu", or "entry". */
  type: string;
}

/** One result a test case gives: for which node (id or name), which result, with which value. */
export interface GivenResult {
  node: string;
  result: string;
  value?: string;
}

export interface RunStep extends TestNode {
  /** The result the element took (absent for the entry and for elements that run by themselves, e.g. set). */
  result?: string;
  value?: string;
  /** Who gave it: the tester, the case, the element's usual result, or nobody (the element ran itself). */
  given: 'tester' | 'case' | 'default' | 'runs itself' | 'entry';
  /** The output the call left through, from 1; null: none. */
  output: number | null;
  /** The element's outcome, as its trace says. */
  outcome: string;
  /** msg.call.vars after the step. */
  vars: Record<string, unknown>;
  /** Milliseconds since the run started. */
  atMs: number;
}

/** How the test call ended. */
export interface RunOutcome {
  /**
   * flow: an element ended it (hangup, SIP response, an output that ends the call); caller: the tester hung up;
   * transferred: handed to someone (a transfer connected, the dialplan, a queue); unwired: it left through an output
   * nothing is wired to; error: an element's error ended it; dropped: no node took the msg in time (a function or
   * switch node dropped it); limit: the run's step or time limit; case: the test case had no result for an element;
   * stopped: the run was stopped (expired, or Node-RED stopped the nodes).
   */
  ended: 'flow' | 'caller' | 'transferred' | 'unwired' | 'error' | 'dropped' | 'limit' | 'case' | 'stopped';
  /** The node where it ended, when one did. */
  node?: TestNode;
  /** What happened, in English. */
  message: string;
  /** When the call went on to the exception-handling flow: why (msg.call.exception). */
  exception?: CallException;
}

/** What an element waits for in a step-by-step run. */
export interface Waiting extends TestNode {
  results: { result: string; output: number | null; outcome: string; value?: TestResult['value'] }[];
}

export interface Choice {
  result: TestResult;
  value?: string;
  /** msg.payload, as the element makes it. */
  payload?: unknown;
  given: RunStep['given'];
}

export interface RunOptions {
  id: string;
  flow: string;
  version?: string;
  caller: string;
  called: string;
  /** The case's results, in order; absent: step by step (the tester gives each). */
  results?: readonly GivenResult[];
  maxSteps: number;
  timeLimitMs: number;
  now?: () => number;
}

/** The most steps kept in a run's path, and the most any run may take. */
export const MAX_STEPS = 1000;
/** The longest time any run may take (a step-by-step run waits for a person). */
export const MAX_TIME_MS = 30 * 60_000;

/** Elements whose usual result a test case need not give: it is taken when the case's next result is for another node. */
const USUAL: Readonly<Record<string, string>> = { answer: 'answered', play: 'done', hangup: 'hung up', response: 'sent' };

export class RunProblem extends Error {}

/** What a problem says about a node: its name and id. */
export function nodeLabel(node: TestNode): string {
  return node.name ? `${node.type} "${node.name}" (${node.id})` : `${node.type} ${node.id}`;
}

export class FlowTestRun {
  readonly id: string;
  readonly flow: string;
  readonly version: string | undefined;
  readonly caller: string;
  readonly called: string;
  readonly steps: RunStep[] = [];
  readonly startedAt: number;
  waiting: Waiting | undefined;
  outcome: RunOutcome | undefined;
  private readonly results: readonly GivenResult[] | undefined;
  private nextResult = 0;
  private readonly now: () => number;
  private readonly listeners = new Set<() => void>();
  private pending: { resolve: (c: Choice) => void; reject: (e: Error) => void; results: TestResult[]; session: CallSession } | undefined;
  private readonly timer: NodeJS.Timeout;
  private elementSteps = 0;
  /** Ends the test call (the runner hangs it up): set by the runner. */
  stop: (why: string) => void = () => undefined;

  constructor(private readonly options: RunOptions) {
    this.id = options.id;
    this.flow = options.flow;
    this.version = options.version;
    this.caller = options.caller;
    this.called = options.called;
    this.results = options.results;
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    const limit = Math.min(options.timeLimitMs, MAX_TIME_MS);
    this.timer = setTimeout(() => this.limit(`the run took longer than its time limit (${Math.round(limit / 1000)} s)`), limit);
    this.timer.unref();
  }

  get mode(): 'steps' | 'case' {
    return this.results ? 'case' : 'steps';
  }

  /** The case's results the call did not reach. */
  get unused(): readonly GivenResult[] {
    return this.results ? this.results.slice(this.nextResult) : [];
  }

  get ended(): boolean {
    return this.outcome !== undefined;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once the run has ended. */
  finished(): Promise<RunOutcome> {
    if (this.outcome) return Promise.resolve(this.outcome);
    return new Promise((resolve) => {
      const off = this.onChange(() => {
        if (!this.outcome) return;
        off();
        resolve(this.outcome);
      });
    });
  }

  private changed(): void {
    for (const l of [...this.listeners]) l();
  }

  /** The entry took the test call. */
  entered(node: TestNode, vars: Record<string, unknown>): void {
    this.record({ ...node, given: 'entry', output: 1, outcome: 'routed', vars });
  }

  /**
   * An element reached: false when the run's step limit is reached (the runner ends the call). Each element counts,
   * those that run by themselves too, so a loop of set nodes ends as one of menus does.
   */
  reached(node: TestNode): boolean {
    if (this.outcome) return false;
    this.elementSteps += 1;
    if (this.elementSteps > Math.min(this.options.maxSteps, MAX_STEPS)) {
      this.limit(`the call reached more than ${Math.min(this.options.maxSteps, MAX_STEPS)} elements (the run's step limit): is there a loop? It was at ${nodeLabel(node)}`, node);
      return false;
    }
    return true;
  }

  /**
   * The result of an element the call is at: the case's next one, its usual one, or (step by step) the one the
   * tester gives. Rejects with a RunProblem when a case has none for it (the run then ends: `case`).
   */
  choose(node: TestNode, own: readonly TestResult[], session: CallSession): Promise<Choice> {
    const results = [...own, ...COMMON_RESULTS];
    if (this.outcome) return Promise.reject(new RunProblem('the run has ended'));
    if (this.results) {
      const given = this.results[this.nextResult];
      if (given && (given.node === node.id || (node.name !== '' && given.node === node.name))) {
        this.nextResult += 1;
        const picked = pick(node, results, given.result, given.value, session);
        if (typeof picked === 'string') return Promise.reject(this.caseProblem(node, picked));
        return Promise.resolve({ ...picked, given: 'case' });
      }
      const usual = USUAL[node.type];
      const result = usual === undefined ? undefined : results.find((r) => r.result === usual);
      if (result) return Promise.resolve({ result, given: 'default' });
      const why = given
        ? `the call reached ${nodeLabel(node)}, but the case's next result (${this.nextResult + 1}) is for ${JSON.stringify(given.node)}`
        : `the call reached ${nodeLabel(node)}, but the case has no more results (it gives ${this.results.length})`;
      return Promise.reject(this.caseProblem(node, `${why}; ${nodeLabel(node)} can take: ${results.map((r) => r.result).join(', ')}`));
    }
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject, results, session };
      this.waiting = { ...node, results: results.map((r) => ({ result: r.result, output: r.output === null ? null : r.output + 1, outcome: r.outcome, ...(r.value ? { value: r.value } : {}) })) };
      this.changed();
    });
  }

  private caseProblem(node: TestNode, message: string): RunProblem {
    this.finish({ ended: 'case', node, message });
    return new RunProblem(message);
  }

  /** The tester's result for the element the call waits at; a problem (an unknown result, a bad value) when refused. */
  give(result: string, value?: string): string | undefined {
    const pending = this.pending;
    const at = this.waiting;
    if (!pending || !at) return this.outcome ? 'the run has ended' : 'the call is not waiting at an element now';
    const picked = pick(at, pending.results, result, value, pending.session);
    if (typeof picked === 'string') return picked;
    this.pending = undefined;
    this.waiting = undefined;
    pending.resolve({ ...picked, given: 'tester' });
    return undefined;
  }

  /** An element is done with the call: the step joins the path. */
  stepped(step: Omit<RunStep, 'atMs'>): void {
    this.record(step);
  }

  private record(step: Omit<RunStep, 'atMs'>): void {
    if (this.steps.length >= MAX_STEPS + 10) return;
    this.steps.push({ ...step, atMs: this.now() - this.startedAt });
    this.changed();
  }

  private limit(message: string, node?: TestNode): void {
    if (this.outcome) return;
    this.finish({ ended: 'limit', message, ...(node ? { node } : {}) });
  }

  /** The run is over (the call ended, a limit, a case problem): the first word stays. */
  finish(outcome: RunOutcome): void {
    if (this.outcome) return;
    this.outcome = outcome;
    clearTimeout(this.timer);
    const pending = this.pending;
    this.pending = undefined;
    this.waiting = undefined;
    pending?.reject(new RunProblem(outcome.message));
    this.stop(outcome.message);
    this.changed();
  }

  /** What the API and the sidebar show. */
  view(): RunView {
    const view: RunView = {
      id: this.id,
      flow: this.flow,
      caller: this.caller,
      called: this.called,
      mode: this.mode,
      state: this.outcome ? 'ended' : this.waiting ? 'waiting' : 'running',
      startedAt: this.startedAt,
      steps: this.steps,
    };
    if (this.version !== undefined) view.version = this.version;
    if (this.waiting) view.waiting = this.waiting;
    if (this.outcome) view.outcome = this.outcome;
    return view;
  }
}

export interface RunView {
  id: string;
  flow: string;
  version?: string;
  caller: string;
  called: string;
  mode: 'steps' | 'case';
  state: 'running' | 'waiting' | 'ended';
  startedAt: number;
  steps: RunStep[];
  waiting?: Waiting;
  outcome?: RunOutcome;
}

/** The result named `name` among an element's, with its value applied; a problem naming the node when there is none or the value is wrong. */
function pick(node: TestNode, results: readonly TestResult[], name: string, value: string | undefined, session: CallSession): Omit<Choice, 'given'> | string {
  const result = results.find((r) => r.result === name);
  if (!result) return `${nodeLabel(node)} has no result ${JSON.stringify(name)}: it can take ${results.map((r) => r.result).join(', ')}`;
  if (result.value?.required && value === undefined) return `${nodeLabel(node)}: the result "${name}" needs a value (${result.value.name})`;
  if (!result.value && value !== undefined) return `${nodeLabel(node)}: the result "${name}" takes no value (got ${JSON.stringify(value)})`;
  if (!result.apply) return value === undefined ? { result } : { result, value };
  const applied = result.apply(session, value);
  if (typeof applied === 'string') return `${nodeLabel(node)}: the result "${name}" ${applied}`;
  const choice: Omit<Choice, 'given'> = { result };
  if (value !== undefined) choice.value = value;
  if ('payload' in applied) choice.payload = applied.payload;
  return choice;
}
