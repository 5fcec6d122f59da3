/**
 * Flow tests (docs/releases.md, "Flow test"): a test call through the deployed nodes of a version, with no
 * Asterisk. Each run has an engine of its own, a sandbox: its call registry hears only the test call, from a
 * telephony port that reaches nothing (lib/flow-test/telephony.ts), so the run never touches Asterisk, the live
 * calls of a connection, its call records or a version's counters. It shares the real connection's router, so
 * the version's entry, a transfer to another flow and the exception-handling flow take the test call as they
 * take a real one. The element runner (nodes/element/element.ts) asks the sandbox for each element's result
 * instead of running the element on a channel.
 */
import crypto from 'node:crypto';
import { CallEndedError } from '../../lib/ari/errors';
import { CallRegistry, type EndedCall } from '../../lib/call/registry';
import type { CallSession } from '../../lib/call/session';
import type { Telephony } from '../../lib/ari/port';
import type { AriConnection } from '../../lib/ari/connection';
import { FlowTestRun, nodeLabel, RunProblem, type GivenResult, type RunOutcome, type RunStep, type TestNode } from '../../lib/flow-test/run';
import type { TestResult } from '../../lib/flow-test/results';
import { flowTestTelephony, type FlowTestTelephony } from '../../lib/flow-test/telephony';
import type { FlowRouter } from '../../lib/routing/router';
import type { AsteriskConfig } from '../../lib/schemas/asterisk';
import { put } from '../../lib/own';
import { addSandbox, Engine } from './engine';
import type { ElementOutcome } from '../element/element';

/** How long an ended run can still be read. */
export const RUN_KEPT_MS = 10 * 60_000;
/** The most runs kept at once (ended ones go first). */
export const MAX_RUNS = 200;

/** What the element runner hands the sandbox for one element step. */
export interface ElementStep {
  node: TestNode;
  session: CallSession;
  /** The element's results in a test; undefined: it runs as on a call (set, a transfer to a flow). */
  results: readonly TestResult[] | undefined;
  /** Runs the element itself. */
  run: () => Promise<ElementOutcome>;
  /** Whether output `index` (0-based) is wired, or marked as ending the call. */
  wired: (index: number) => boolean;
  /** Writes the outcome into the trace now. */
  traceOutcome: (outcome: string) => void;
}

export class FlowTestEngine extends Engine {
  override readonly router: FlowRouter;
  readonly port: FlowTestTelephony;
  readonly testCalls: CallRegistry;
  private lastUnwired: { node: TestNode; output: number; outcome: string } | undefined;

  constructor(
    readonly real: Engine,
    readonly run: FlowTestRun,
  ) {
    super(`flowtest:${run.id}`, { config: { app: 'flow-test', idleTimeoutSec: real.idleTimeoutMs / 1000, dialAllowlist: '', mediaAllowlist: '' } as unknown as AsteriskConfig, username: '', password: '' }, real.log);
    this.router = real.router;
    this.port = flowTestTelephony();
    this.testCalls = new CallRegistry(this.port, { connectionId: this.id, logger: real.log });
  }

  override get telephony(): AriConnection {
    // The port refuses every request that would reach Asterisk; the elements' own code never runs here but for set.
    return this.port as Telephony as AriConnection;
  }

  override get calls(): CallRegistry {
    return this.testCalls;
  }

  override get idleTimeoutMs(): number {
    return this.real.idleTimeoutMs;
  }

  /** One element step of the test call: its result from the run, turned into the element's outcome. */
  element(step: ElementStep): Promise<ElementOutcome> {
    const { node, session } = step;
    if (!this.run.reached(node)) return Promise.reject(new CallEndedError(session.channelId, 'hangup'));
    const done = (outcome: ElementOutcome, given: RunStep['given'], result?: string, value?: string): ElementOutcome => {
      const unwired = outcome.output !== null && !step.wired(outcome.output);
      this.lastUnwired = unwired && outcome.output !== null ? { node, output: outcome.output, outcome: outcome.outcome } : undefined;
      this.run.stepped({
        ...node,
        ...(result !== undefined ? { result } : {}),
        ...(value !== undefined ? { value } : {}),
        given,
        output: outcome.output === null ? null : outcome.output + 1,
        outcome: outcome.outcome,
        vars: copyVars(session.vars),
      });
      return outcome;
    };
    const failed = (err: unknown, result?: string, given?: RunStep['given']): never => {
      const ended = err instanceof CallEndedError || err instanceof RunProblem || session.ended;
      this.lastUnwired = undefined;
      this.run.stepped({ ...node, ...(result !== undefined ? { result } : {}), given: given ?? 'runs itself', output: null, outcome: ended ? 'hangup' : 'error', vars: copyVars(session.vars) });
      if (err instanceof RunProblem) throw new CallEndedError(session.channelId, 'hangup');
      throw err;
    };
    if (!step.results) return step.run().then((o) => done(o, 'runs itself'), (err: unknown) => failed(err));
    // A deploy that removes the node the call waits at cancels the step (the session's stepSignal): the run ends there.
    const signal = session.stepSignal;
    const stopped = (): void => this.run.finish({ ended: 'stopped', node, message: `${nodeLabel(node)} was stopped (a deploy removed it) while the test call waited there` });
    signal.addEventListener('abort', stopped, { once: true });
    const chosen = this.run.choose(node, step.results, session);
    const settled = (): void => signal.removeEventListener('abort', stopped);
    chosen.then(settled, settled);
    return chosen.then(
      async (choice) => {
        const { result } = choice;
        if (result.result === 'hangup') {
          // The step is in the path before the call ends, so the outcome names this element.
          this.run.stepped({ ...node, result: 'hangup', given: choice.given, output: null, outcome: 'hangup', vars: copyVars(session.vars) });
          this.port.callerHangsUp(session.channelId);
          throw new CallEndedError(session.channelId, 'hangup', 16);
        }
        if (result.result === 'error') return failed(new Error(choice.value ?? `flow test: ${nodeLabel(node)} failed (the result "error")`), 'error', choice.given);
        const outcome: ElementOutcome = { output: result.output, outcome: result.outcome };
        if (choice.payload !== undefined) outcome.payload = choice.payload;
        if (result.then === 'ends') {
          step.traceOutcome(result.outcome);
          const ending = done(outcome, choice.given, result.result, choice.value);
          await this.testCalls.hangup(session, 'normal');
          return ending;
        }
        if (result.then === 'handed-off') {
          outcome.handedOff = true;
          session.handedOff = true;
          outcome.after = () => {
            this.run.finish({ ended: 'transferred', node, message: `${nodeLabel(node)} handed the call over (${result.outcome})` });
          };
        }
        return done(outcome, choice.given, result.result, choice.value);
      },
      (err: unknown) => failed(err),
    );
  }

  /** The test call ended: the run's final outcome. */
  ended({ session, end }: EndedCall): void {
    const last = this.run.steps.at(-1);
    const node: TestNode | undefined = last ? { id: last.id, name: last.name, type: last.type } : undefined;
    const at = node ? { node } : {};
    const exception = session.exception ? { exception: { ...session.exception } } : {};
    const why = session.hangupWhy ?? '';
    let outcome: RunOutcome;
    if (end.by === 'caller') outcome = { ended: 'caller', ...at, message: `the caller hung up${node ? ` at ${nodeLabel(node)}` : ''}` };
    else if (end.by === 'system' && why.startsWith('idle')) outcome = { ended: 'dropped', ...at, message: `no node took the call within ${this.idleTimeoutMs / 1000} s (${why})` };
    else if (end.by === 'system' && why.startsWith('element-error')) outcome = { ended: 'error', ...at, message: `an element's error ended the call (${why})` };
    else if (end.by === 'system') outcome = { ended: 'stopped', ...at, message: why || 'the system ended the call' };
    else if (this.lastUnwired && node) {
      outcome = { ended: 'unwired', node: this.lastUnwired.node, message: `output ${this.lastUnwired.output + 1} (${this.lastUnwired.outcome}) of ${nodeLabel(this.lastUnwired.node)} is not wired` };
    } else outcome = { ended: 'flow', ...at, message: node ? `${nodeLabel(node)} ended the call (${last?.outcome ?? ''})` : 'the flow ended the call' };
    this.run.finish({ ...outcome, ...exception });
  }
}

/** The call's variables as they are now, as plain data (what msg.call.vars shows). */
function copyVars(vars: Record<string, unknown>): Record<string, unknown> {
  try {
    return structuredClone(vars);
  } catch {
    // A function in a variable: its name, not the function.
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(vars)) put(out, k, typeof v === 'function' ? '[function]' : v);
    return out;
  }
}

export interface StartTest {
  /** The connection's engine the version's entry is on. */
  engine: Engine;
  flow: string;
  /** The version (a flow with a release set). */
  version?: string;
  caller: string;
  called: string;
  vars: Record<string, unknown>;
  results?: readonly GivenResult[];
  maxSteps: number;
  timeLimitMs: number;
}

interface Kept {
  run: FlowTestRun;
  sandbox: FlowTestEngine;
  expires: number;
}

const runs = new Map<string, Kept>();

/** A run by id (undefined: no such run, or it expired). */
export function findRun(id: string): FlowTestRun | undefined {
  sweep();
  return runs.get(id)?.run;
}

function sweep(): void {
  const now = Date.now();
  for (const [id, kept] of runs) {
    if (kept.run.ended && kept.expires <= now) runs.delete(id);
  }
}

/**
 * Starts a test call: it enters the version's entry as a call with that flow and version would. A refusal (the
 * flow or version does not take calls here) is a string.
 */
export function startTest(start: StartTest): FlowTestRun | string {
  sweep();
  if (runs.size >= MAX_RUNS) {
    const oldest = [...runs.entries()].find(([, k]) => k.run.ended);
    if (!oldest) return `${MAX_RUNS} flow test runs are in progress: wait for one to end`;
    runs.delete(oldest[0]);
  }
  const choice = start.engine.router.entryFor(start.flow, start.caller, start.version);
  if (!choice) return `flow ${JSON.stringify(start.flow)} is not deployed on connection ${start.engine.id}`;
  if ('refused' in choice) return choice.refused;
  const id = crypto.randomBytes(9).toString('base64url');
  const run = new FlowTestRun({
    id,
    flow: start.flow,
    ...(choice.version !== undefined ? { version: choice.version } : {}),
    caller: start.caller,
    called: start.called,
    ...(start.results ? { results: start.results } : {}),
    maxSteps: start.maxSteps,
    timeLimitMs: start.timeLimitMs,
  });
  const sandbox = new FlowTestEngine(start.engine, run);
  const off = addSandbox(sandbox);
  const kept: Kept = { run, sandbox, expires: Number.POSITIVE_INFINITY };
  runs.set(id, kept);
  let session: CallSession | undefined;
  run.stop = (why) => {
    if (session && !session.ended && !session.hangupRequested) void sandbox.testCalls.hangup(session, 'normal', 'system', `flow-test: ${why}`.slice(0, 200));
  };
  const offEnded = sandbox.testCalls.onEnded((e) => sandbox.ended(e));
  const offChange = run.onChange(() => {
    if (!run.ended) return;
    kept.expires = Date.now() + RUN_KEPT_MS;
    offChange();
    // The sandbox goes once its call is over (a transferred call is ended here: nobody else has it).
    const close = (): void => {
      offEnded();
      sandbox.testCalls.dispose();
      off();
    };
    if (session && !session.ended) {
      void sandbox.testCalls.hangup(session, 'normal', 'system', 'flow-test: ended').finally(() => queueMicrotask(close));
    } else close();
  });
  const offCall = sandbox.testCalls.onCall((s) => {
    offCall();
    session = s;
    for (const [name, value] of Object.entries(start.vars)) put(s.vars, name, value);
    s.flow = start.flow;
    s.version = choice.version;
    s.route = { level: 'dialplan' };
    choice.handler(s, []);
  });
  sandbox.port.call(`flowtest-${id}`, start.caller, start.called, choice.version ? [start.flow, choice.version] : [start.flow]);
  return run;
}
