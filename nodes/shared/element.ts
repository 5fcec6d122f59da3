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
 *   in silence forever, so it is hung up, with a warning naming the output.
 * - The node closes (redeploy, shutdown) while handling calls: their
 *   operations are cancelled and the calls hung up, each input done().
 */
import { CallEndedError, CancelledError } from '../../lib/ari/errors';
import { readHandle } from '../../lib/call/handle';
import type { CallSession } from '../../lib/call/session';
import type { Validator } from '../../lib/schemas/validator';
import { findEngine, type Engine } from './engine';
import { translator, type Translate } from './i18n';
import type { DoneFunction, Node, NodeAPI, NodeDef, NodeMessage, SendFunction } from './red';

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
}

export interface ElementOutcome {
  /** Index of the output the msg leaves through; null: none (the element ended the call). */
  output: number | null;
  /** A word for the trace and msg.payload.outcome, e.g. "done", "interrupted". */
  outcome: string;
  /** msg.payload on the way out (default { outcome }). */
  payload?: unknown;
}

export interface ElementSpec<C extends object> {
  /** Node type, e.g. "callflow-play". */
  type: string;
  /** Element name for the trace, e.g. "play". */
  element: string;
  validator: Validator<C>;
  /** The node module's folder (__dirname), where its locales/ are. */
  dir: string;
  run(ctx: ElementContext<C>): Promise<ElementOutcome>;
}

/** Config fields every element keeps outside its own schema. */
function errorOutputIndex(node: Node, onError: 'hangup' | 'output' | undefined): number | undefined {
  if (onError !== 'output') return undefined;
  const wires = (node as Node & { wires?: unknown[][] }).wires ?? [];
  return Math.max(0, wires.length - 1);
}

export function defineElement<C extends object>(RED: NodeAPI, spec: ElementSpec<C>): void {
  const t: Translate = translator(RED, spec.dir, spec.type.replace(/^callflow-/, ''));
  function ElementNode(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const check = spec.validator.checkForm(def);
    const inflight = new Map<AbortController, Promise<void>>();
    let lastError: string | undefined;

    const showStatus = (): void => {
      if (!check.ok) node.status({ fill: 'red', shape: 'ring', text: 'callflow.status.invalid-config' });
      else if (inflight.size > 0) node.status({ fill: 'blue', shape: 'dot', text: t('callflow.status.active', { count: inflight.size }) });
      else if (lastError) node.status({ fill: 'red', shape: 'ring', text: lastError });
      else node.status({});
    };
    if (!check.ok) node.error(t('callflow.errors.invalid-config', { problems: check.problems.join('; ') }));
    showStatus();

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
      const session = engine.calls.get(handle.id);
      if (!session || session.signal.aborted) {
        // The caller hung up before the msg got here: nothing to do, and no output.
        node.debug(`call ${handle.id} already ended; ${spec.element} skipped`);
        done();
        return;
      }
      const controller = new AbortController();
      const work = handleCall(node, engine, session, msg, send, done, controller);
      inflight.set(controller, work);
      showStatus();
      void work.finally(() => {
        inflight.delete(controller);
        showStatus();
      });
    });

    async function handleCall(n: Node, engine: Engine, session: CallSession, msg: NodeMessage, send: SendFunction, done: DoneFunction, controller: AbortController): Promise<void> {
      const config = (check as { ok: true; value: C }).value;
      session.adopt(msg.call as { vars: Record<string, unknown> });
      session.busy();
      const entry = session.enter(n.id, spec.element);
      const signal = AbortSignal.any([session.signal, controller.signal]);
      try {
        const result = await spec.run({ config, t, session, engine, msg, signal, node: n });
        entry.outcome = result.outcome;
        lastError = undefined;
        if (result.output !== null) {
          msg.call = session.handle();
          msg.payload = result.payload ?? { outcome: result.outcome };
          forward(n, engine, session, msg, send, result.output, result.outcome);
        }
        done();
      } catch (err) {
        if (err instanceof CallEndedError || session.signal.aborted) {
          entry.outcome = 'hangup';
          done();
          return;
        }
        if (controller.signal.aborted) {
          // The node closed mid-operation; the call cannot continue through it.
          entry.outcome = 'interrupted';
          n.warn(t('callflow.errors.interrupted', { call: session.id }));
          await engine.calls.hangup(session, 'normal').catch(() => undefined);
          done();
          return;
        }
        const error = err instanceof Error ? err : new Error(String(err));
        entry.outcome = 'error';
        lastError = error.message.length > 60 ? `${error.message.slice(0, 57)}...` : error.message;
        const errorOutput = errorOutputIndex(n, (config as { onError?: 'hangup' | 'output' }).onError);
        if (errorOutput === undefined) {
          await engine.calls.hangup(session, 'normal_unspecified').catch(() => undefined);
        } else {
          msg.call = session.handle();
          msg.error = { message: error.message, source: { id: n.id, type: spec.type, name: n.name ?? '' } };
          forward(n, engine, session, msg, send, errorOutput, 'error');
        }
        done(error);
      }
    }

    /** Sends on an output, or hangs up when nothing is wired there (the call would wait in silence). */
    function forward(n: Node, engine: Engine, session: CallSession, msg: NodeMessage, send: SendFunction, output: number, outcome: string): void {
      const wires = (n as Node & { wires?: string[][] }).wires ?? [];
      if ((wires[output]?.length ?? 0) === 0) {
        n.warn(t('callflow.errors.unwired', { call: session.id, output: output + 1, outcome }));
        engine.calls.hangup(session, 'normal').catch(() => undefined);
        return;
      }
      session.idle(engine.idleTimeoutMs, () => {
        n.warn(t('callflow.errors.idle', { call: session.id, seconds: engine.idleTimeoutMs / 1000 }));
        engine.calls.hangup(session, 'normal').catch(() => undefined);
      });
      const out: (NodeMessage | null)[] = wires.map(() => null);
      out[output] = msg;
      send(out);
    }

    node.on('close', (_removed: boolean, done: () => void) => {
      for (const controller of inflight.keys()) controller.abort(new CancelledError('node closed'));
      const pending = [...inflight.values()];
      const timer = setTimeout(done, 10_000);
      void Promise.allSettled(pending).then(() => {
        clearTimeout(timer);
        node.status({});
        done();
      });
    });
  }
  RED.nodes.registerType(spec.type, ElementNode);
}
