/**
 * What every IVR element node does with a call, written once: find the
 * call from msg.call, run the element's behaviour (from lib/ivr) with an
 * AbortSignal that fires when the caller hangs up or the node closes, send
 * the msg on the output that matches the outcome, and complete each input
 * with done() exactly once, whatever happened.
 *
 * - The caller hung up: the msg leaves through no output; done().
 * - An error: done(err) so Catch nodes see it, and, as the node's "on
 *   error" setting says, the call is hung up or the msg continues on the
 *   error output (msg.error says what went wrong). Never silence.
 * - The msg leaves through an output that is not wired: the call would wait
 *   in silence forever, so it is hung up, with a warning naming the output
 *   (none when the node marks that output as ending the call: `ends`).
 * - The node is removed by a deploy while handling calls: their operations
 *   are cancelled and the calls hung up, each input done().
 * - The node is restarted by a deploy that did not change it (a full
 *   deploy, or another tab's version released): its calls are not touched.
 *   Each input is done() at once, the operation goes on, and its outcome
 *   leaves through the new instance of the node, with the same settings
 *   and wires. So calls in progress finish on the version they started on.
 *   A node whose settings changed cannot take them over: they are hung up,
 *   with a warning.
 */
import diagnostics from 'node:diagnostics_channel';
import { CallEndedError, CancelledError } from '../../lib/ari/errors';
import { readHandle } from '../../lib/call/handle';
import type { CallSession, TraceStep } from '../../lib/call/session';
import { hashNodes } from '../../lib/releases/nodes';
import type { OnError } from '../../lib/schemas/elements';
import type { Validator } from '../../lib/schemas/validator';
import { findEngine, type Engine } from '../deployed/engine';
import { FlowTestEngine } from '../deployed/flow-test';
import type { TestResult } from '../../lib/flow-test/results';
import { directHopsOn, hop, refuseHops, sentThroughNodeRed, takeHops } from './hop';
import { translator, type Translate } from '../red/i18n';
import type { DoneFunction, Node, NodeAPI, NodeDef, NodeMessage, NodeStatus, SendFunction } from '../red/api';
import { statusShower } from '../red/status';

/** How often, at most, a busy node's status changes. */
const STATUS_MS = 250;

/** Every call step an element node takes ({ type, call }); benchmarks count them. No cost without a subscriber. */
const steps = diagnostics.channel('callflow:element');

export interface ElementContext<C> {
  config: C;
  /** The node's strings (locales/<lang>/<node>.json). */
  t: Translate;
  session: CallSession;
  engine: Engine;
  msg: NodeMessage;
  /** Fires when the call ends or the node closes. */
  signal: AbortSignal;
  node: Node;
  /** Writes the element's outcome into the trace now: an element about to end the call does, so the call-end report has it. */
  traceOutcome: (outcome: string) => void;
}

export interface ElementOutcome {
  /** Index of the output the msg leaves through; null: none (the element ended the call or sent it elsewhere). */
  output: number | null;
  /** The call is with someone else now (bridged, or gone to the dialplan): no element needs to handle it next. */
  handedOff?: boolean;
  /** A word for the trace and msg.payload.outcome, e.g. "done", "interrupted". */
  outcome: string;
  /** msg.payload on the way out (default { outcome }). */
  payload?: unknown;
  /** Runs once this element is done with the call (its trace entry has the outcome): hands the call on elsewhere. */
  after?: () => void;
}

export interface ElementSpec<C extends object> {
  /** Node type, e.g. "callflow-play". */
  type: string;
  /** Element name for the trace, e.g. "play". */
  element: string;
  validator: Validator<C>;
  /** The node module's folder (__dirname), where its locales/ are. */
  dir: string;
  /** How many outputs the node has before its error output (default 1). */
  outputs?: (config: C) => number;
  /** Checks a schema cannot express (a regular expression that compiles); each problem makes the settings invalid. */
  check?: (config: C) => string[];
  run(ctx: ElementContext<C>): Promise<ElementOutcome>;
  /**
   * The results the element can have in a flow test (lib/flow-test/results.ts), taken instead of running it on a
   * channel; none (or undefined for these settings): it runs in a test as on a call (set, a transfer to a flow).
   */
  results?: (config: C) => readonly TestResult[] | undefined;
  /** The node's credentials, as RED.nodes.registerType takes them (kept out of flows.json). */
  credentials?: Record<string, { type: 'text' | 'password' }>;
}

/**
 * One input an element node handles, and all the runner keeps of it while
 * the element works: the call, the msg, Node-RED's send and done, the
 * trace entry and the signal the step started with (the session's
 * stepSignal, aborted when the call ends or when a node removed by a deploy
 * cancels its operation on the call; the call's direct hops in this turn are
 * counted on its session, ./hop.ts). It is
 * also what the element runs with (its ElementContext): one object per step,
 * not an operation and a context holding the same fields, and no
 * traceOutcome closure unless the element asks for it (issue 14: a call in
 * progress keeps its step).
 */
class Operation<C = unknown> implements ElementContext<C> {
  /** done() was called. */
  finished = false;
  /** This instance of the node closed (a restart) while the operation went on: its successor finishes it. */
  handedOver = false;
  /** The operation's work, to its end (what a removed node waits for). */
  work: Promise<void> | undefined = undefined;

  constructor(
    readonly config: C,
    readonly t: Translate,
    readonly node: Node,
    readonly session: CallSession,
    readonly engine: Engine,
    readonly msg: NodeMessage,
    readonly send: SendFunction,
    /** Node-RED's done() of the input: call it through complete(), once. */
    readonly done: DoneFunction,
    readonly entry: TraceStep,
    /** The session's stepSignal when the step started: the call ending aborts it, and so does this node's removal. */
    readonly signal: AbortSignal,
  ) {}

  /** ElementContext.traceOutcome, made when an element reads it (most never do). */
  get traceOutcome(): (outcome: string) => void {
    const entry = this.entry;
    return (outcome) => {
      entry.outcome = outcome;
    };
  }
}

/** Completes the operation's input, once. */
function complete(op: Operation, err?: Error): void {
  if (op.finished) return;
  op.finished = true;
  if (err) op.done(err);
  else op.done();
}

/** How long a restarted node's operations wait for the node's next instance. */
const HANDOVER_MS = 10_000;

/** What the next instance of a restarted node offers the operations of the previous one. */
interface Successor {
  /** The node's settings and wires, without its place on the canvas: equal means the same node. */
  readonly key: string;
  deliver(session: CallSession, engine: Engine, msg: NodeMessage, result: ElementOutcome): void;
}

const successors = new Map<string, Successor>();
const waitingFor = new Map<string, Set<(s: Successor) => void>>();

function offerSuccessor(id: string, successor: Successor): void {
  successors.set(id, successor);
  const waiters = waitingFor.get(id);
  waitingFor.delete(id);
  for (const w of waiters ?? []) w(successor);
}

/** The next instance of node `id`, once it exists (undefined when none comes within HANDOVER_MS). */
function successorOf(id: string, previous: Successor): Promise<Successor | undefined> {
  const now = successors.get(id);
  if (now && now !== previous) return Promise.resolve(now);
  return new Promise((resolve) => {
    const set = waitingFor.get(id) ?? new Set();
    waitingFor.set(id, set);
    const timer = setTimeout(() => {
      set.delete(found);
      resolve(undefined);
    }, HANDOVER_MS);
    timer.unref();
    function found(s: Successor): void {
      clearTimeout(timer);
      resolve(s);
    }
    set.add(found);
  });
}

/**
 * The error for a msg.call that does not carry its call's token (none, or
 * another's): it names the call, never the token. Every node that looks a
 * call up from msg.call (elements, callflow-result) answers it so.
 */
export function refusedHandle(t: Translate, call: string, missing: boolean): Error {
  // The id comes from the msg, whoever made it: a long one is cut short in the log.
  const shown = call.length > 100 ? `${call.slice(0, 100)}...` : call;
  return new Error(t(missing ? 'callflow.errors.handle-no-token' : 'callflow.errors.handle-wrong-token', { call: shown }));
}

/** A send() argument with msg on one output. */
function outputArray(node: Node, output: number, msg: NodeMessage): (NodeMessage | null)[] {
  const wires = (node as Node & { wires?: string[][] }).wires ?? [];
  const out: (NodeMessage | null)[] = Array.from({ length: Math.max(wires.length, output + 1) }, () => null);
  out[output] = msg;
  return out;
}

export function defineElement<C extends object>(RED: NodeAPI, spec: ElementSpec<C>): void {
  const t: Translate = translator(RED, spec.dir, spec.type.replace(/^callflow-/, ''));
  function ElementNode(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const checked = spec.validator.checkForm(def);
    const extra = checked.ok && spec.check ? spec.check(checked.value) : [];
    const check: typeof checked = extra.length > 0 ? { ok: false, problems: extra } : checked;
    /** The operations in progress: what the status counts, a restart completes at once and a removal cancels. */
    const inflight = new Set<Operation>();
    /** Other elements may hand msgs straight to this one (./hop.ts); Node-RED's send is used while they may not. */
    const direct = directHopsOn(RED);
    if (check.ok && direct) takeHops(node);
    let lastError: string | undefined;

    // Under load a node takes hundreds of calls a second: its status follows at most every STATUS_MS (the last state always shows).
    const statusOf = (): NodeStatus => {
      if (!check.ok) return { fill: 'red', shape: 'ring', text: 'callflow.status.invalid-config' };
      if (inflight.size > 0) return { fill: 'blue', shape: 'dot', text: t('callflow.status.active', { count: inflight.size }) };
      if (lastError) return { fill: 'red', shape: 'ring', text: lastError };
      return {};
    };
    const status = statusShower(node, statusOf, STATUS_MS);
    if (!check.ok) node.error(t('callflow.errors.invalid-config', { problems: check.problems.join('; ') }));
    status.now();

    node.on('input', (msg: NodeMessage, send: SendFunction, done: DoneFunction) => {
      if (!check.ok) {
        done(new Error(t('callflow.errors.invalid-config', { problems: check.problems.join('; ') })));
        return;
      }
      const handle = readHandle(msg.call);
      if (typeof handle === 'string') {
        done(new Error(handle));
        return;
      }
      const engine = findEngine(handle.connection);
      if (!engine) {
        done(new Error(t('callflow.errors.no-connection', { id: handle.connection })));
        return;
      }
      const found = engine.calls.find(handle);
      if (found.kind === 'refused') {
        // A msg.call made up from an id, or kept from another call: the call it names is not touched.
        const error = refusedHandle(t, handle.id, found.missing);
        lastError = 'callflow.status.refused-call';
        status.now();
        node.warn(error.message);
        done(error);
        return;
      }
      const session = found.kind === 'live' ? found : undefined;
      if (!session || session.ended) {
        // The caller hung up while the msg was on its way here: nothing to do, as when they hang up mid-element.
        if (session || (found.kind === 'ended' && found.justNow)) {
          done();
          return;
        }
        // The msg outlived its call (held in a delay or a function node, sent twice): say so, to Catch nodes too.
        done(new Error(t('callflow.errors.call-ended', { call: handle.id })));
        return;
      }
      session.adopt(msg.call as { vars: Record<string, unknown> });
      session.busy();
      const entry = session.enter(node.id, spec.element);
      const op = new Operation<C>(check.value, t, node, session, engine, msg, send, done, entry, session.stepSignal);
      inflight.add(op);
      status.update();
      op.work = handleCall(op);
    });

    /**
     * Runs the element on the call. Nothing here waits: the call waits in
     * the element's own work (spec.run), and what follows its outcome runs as
     * that promise's reaction, so a waiting call keeps no frame of the
     * runner, only the operation and two small closures.
     */
    function handleCall(op: Operation<C>): Promise<void> {
      const { session, config } = op;
      if (steps.hasSubscribers) steps.publish({ type: spec.type, call: session.id });
      let running: Promise<ElementOutcome>;
      // The operation is the element's context (ElementContext): the element sees only those fields.
      const ctx: ElementContext<C> = op;
      try {
        if (op.engine instanceof FlowTestEngine) {
          // A flow test's call: the element takes its result from the test instead of acting on a channel.
          const wires = (node as Node & { wires?: string[][] }).wires ?? [];
          running = op.engine.element({
            node: { id: node.id, name: node.name ?? '', type: spec.element },
            session,
            results: spec.results?.(config),
            run: () => spec.run(ctx),
            wired: (index) => (wires[index]?.length ?? 0) > 0 || ends.has(index + 1),
            traceOutcome: op.traceOutcome,
          });
        } else running = spec.run(ctx);
      } catch (err) {
        running = Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      return running.then(
        (result) => succeeded(op, result),
        (err: unknown) => failed(op, err),
      );
    }

    /** The operation is over: it leaves the node's count. */
    function ended(op: Operation): void {
      inflight.delete(op);
      status.update();
    }

    /** The element's work is done: the msg goes on through the output the outcome names. */
    async function succeeded(op: Operation, result: ElementOutcome): Promise<void> {
      const { session, engine, msg } = op;
      try {
        op.entry.outcome = result.outcome;
        if (op.handedOver) {
          // This instance closed meanwhile (a deploy restarted the node): its next instance sends the call on.
          const next = await successorOf(node.id, me);
          if (session.ended) return;
          if (next?.key === me.key) next.deliver(session, engine, msg, result);
          else {
            node.warn(t('callflow.errors.interrupted', { call: session.id }));
            await engine.calls.hangup(session, 'normal', 'system', `node-changed: ${spec.type} ${node.id}`).catch(() => undefined);
          }
          return;
        }
        lastError = undefined;
        deliver(node, session, engine, msg, result, op.send);
        complete(op);
        result.after?.();
      } catch (err) {
        await fail(op, err);
      } finally {
        ended(op);
      }
    }

    /** The element's work failed, or the call ended or the node closed under it. */
    async function failed(op: Operation, err: unknown): Promise<void> {
      try {
        await fail(op, err);
      } finally {
        ended(op);
      }
    }

    async function fail(op: Operation, err: unknown): Promise<void> {
      const { session, engine, msg, entry } = op;
      const config = (check as { ok: true; value: C }).value;
      if (op.handedOver) {
        // The instance that could report the error is gone; the call must not wait in silence.
        entry.outcome = session.ended ? 'hangup' : 'error';
        if (!session.ended) {
          node.warn(`${t('callflow.errors.interrupted', { call: session.id })}: ${(err as Error).message}`);
          await engine.calls.hangup(session, 'normal_unspecified', 'system', `element-error: ${spec.type} ${node.id}`).catch(() => undefined);
        }
        return;
      }
      if (err instanceof CallEndedError || session.ended) {
        entry.outcome = 'hangup';
        complete(op);
        return;
      }
      if (op.signal.aborted) {
        // The node closed mid-operation; the call cannot continue through it.
        entry.outcome = 'interrupted';
        node.warn(t('callflow.errors.interrupted', { call: session.id }));
        await engine.calls.hangup(session, 'normal', 'system', `node-closed: ${spec.type} ${node.id}`).catch(() => undefined);
        complete(op);
        return;
      }
      const error = err instanceof Error ? err : new Error(String(err));
      entry.outcome = 'error';
      lastError = error.message.length > 60 ? `${error.message.slice(0, 57)}...` : error.message;
      const onError = (config as { onError?: OnError }).onError;
      const errorOutput = onError === 'output' ? (spec.outputs?.(config) ?? 1) : undefined;
      if (errorOutput === undefined) {
        // "exception": the release set's exception-handling flow takes the call, when there is one; else it ends.
        const diverted = onError === 'exception' && engine.toExceptionFlow(session, 'element-error', `${spec.type} ${node.id}: ${error.message}`, node.id);
        if (!diverted) await engine.calls.hangup(session, 'normal_unspecified', 'system', `element-error: ${spec.type} ${node.id}`).catch(() => undefined);
      } else {
        msg.call = session.handle();
        msg.error = { message: error.message, source: { id: node.id, type: spec.type, name: node.name ?? '' } };
        // An element that says more than a message (a reason to switch on) puts it in msg.payload.
        if ('payload' in error) msg.payload = error.payload;
        forward(node, engine, session, msg, op.send, errorOutput, 'error');
      }
      complete(op, error);
    }

    /** Sends the msg on the output the outcome names (none: the element ended the call or sent it elsewhere). */
    function deliver(n: Node, session: CallSession, engine: Engine, msg: NodeMessage, result: ElementOutcome, send: SendFunction): void {
      if (result.output === null) return;
      msg.call = session.handle();
      msg.payload = result.payload ?? { outcome: result.outcome };
      if (result.handedOff) send(outputArray(n, result.output, msg));
      else forward(n, engine, session, msg, send, result.output, result.outcome);
    }

    const me: Successor = {
      key: hashNodes([def]),
      deliver: (session, engine, msg, result) => {
        deliver(node, session, engine, msg, result, (m) => node.send(m as NodeMessage | (NodeMessage | null)[] | null));
        result.after?.();
      },
    };
    offerSuccessor(node.id, me);

    /** Outputs (1-based) the node marks as ending the call when nothing is wired there. */
    const ends = new Set(Array.isArray(def.ends) ? (def.ends as unknown[]).map(Number) : []);

    /** Sends on an output, or hangs up when nothing is wired there (the call would wait in silence). */
    function forward(n: Node, engine: Engine, session: CallSession, msg: NodeMessage, send: SendFunction, output: number, outcome: string): void {
      const wires = (n as Node & { wires?: string[][] }).wires ?? [];
      if ((wires[output]?.length ?? 0) === 0) {
        // An output marked as ending the call does so on purpose: no warning.
        if (ends.has(output + 1)) n.debug(t('callflow.errors.ended-here', { call: session.id, output: output + 1, outcome }));
        else {
          n.warn(t('callflow.errors.unwired', { call: session.id, output: output + 1, outcome }));
          // An output left unwired by mistake: the exception-handling flow takes the call, when there is one.
          const cause = outcome === 'error' ? 'element-error' : 'unwired-output';
          if (engine.toExceptionFlow(session, cause, `output ${output + 1} (${outcome}) of ${spec.type} ${n.id} is not wired`, n.id)) return;
        }
        // An error with nowhere to go is a fault, not the flow's end.
        if (outcome === 'error') engine.calls.hangup(session, 'normal', 'system', `element-error: ${spec.type} ${n.id}`).catch(() => undefined);
        else engine.calls.hangup(session, 'normal').catch(() => undefined);
        return;
      }
      const onIdle = (): void => {
        n.warn(t('callflow.errors.idle', { call: session.id, seconds: engine.idleTimeoutMs / 1000 }));
        engine.calls.hangup(session, 'normal', 'system', `idle: after ${spec.type} ${n.id}`).catch(() => undefined);
      };
      if (direct && hop(RED, n, output, msg, session, () => session.idle(engine.idleTimeoutMs, onIdle))) {
        // The next element takes the call within this turn: it is between elements (keys are kept) but needs no idle timer.
        session.idle(0, onIdle);
        return;
      }
      session.idle(engine.idleTimeoutMs, onIdle);
      sentThroughNodeRed(n, output);
      send(outputArray(n, output, msg));
    }

    node.on('close', (removed: boolean, done: () => void) => {
      status.stop();
      refuseHops(node);
      if (successors.get(node.id) === me) successors.delete(node.id);
      if (!removed) {
        // A restart: the operations go on, for the next instance to finish; each input is done now.
        for (const op of inflight) {
          op.handedOver = true;
          complete(op);
        }
        node.status({});
        done();
        return;
      }
      // The call's steps: another element running on the same call (a fan-out) stops too, and the call is hung up.
      for (const op of inflight) if (!op.signal.aborted) op.session.interruptSteps(new CancelledError('node closed'));
      const pending = [...inflight].map((op) => op.work ?? Promise.resolve());
      const timer = setTimeout(done, 10_000);
      void Promise.allSettled(pending).then(() => {
        clearTimeout(timer);
        node.status({});
        done();
      });
    });
  }
  if (spec.credentials) RED.nodes.registerType(spec.type, ElementNode, { credentials: spec.credentials });
  else RED.nodes.registerType(spec.type, ElementNode);
}
