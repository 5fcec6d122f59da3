/**
 * callflow-entry: where an IVR flow starts. It names the flow and sends one
 * msg per call routed to it, carrying msg.call (the call's serialisable
 * handle) into the flow.
 */
import type { CallSession } from '../../lib/call/session';
import { entryConfig } from '../../lib/schemas/elements';
import type { AsteriskConfigNode } from '../asterisk/config';
import { translator } from '../shared/i18n';
import type { Node, NodeAPI, NodeDef, NodeMessage } from '../shared/red';
import { INVALID_CONFIG, NO_CONNECTION } from '../shared/status';

export = function register(RED: NodeAPI): void {
  const t = translator(RED, __dirname, 'entry');
  function EntryNode(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const check = entryConfig.checkForm(def);
    const cleanup: (() => void)[] = [];
    node.on('close', (_removed: boolean, done: () => void) => {
      for (const off of cleanup.splice(0)) off();
      done();
    });
    if (!check.ok) {
      node.error(t('callflow.errors.invalid-config', { problems: check.problems.join('; ') }));
      node.status(INVALID_CONFIG);
      return;
    }
    const { flow } = check.value;
    const connection = RED.nodes.getNode(check.value.connection) as AsteriskConfigNode | null;
    if (!connection?.engine) {
      node.error(t('callflow-entry.errors.no-connection'));
      node.status(NO_CONNECTION);
      return;
    }
    const engine = connection.engine;
    let unregister: () => void;
    try {
      unregister = engine.registerFlow(flow, (session: CallSession, args: string[]) => {
        session.enter(node.id, 'entry').outcome = 'routed';
        const wires = (node as Node & { wires?: string[][] }).wires ?? [];
        if ((wires[0]?.length ?? 0) === 0) {
          node.warn(t('callflow.errors.unwired', { call: session.id, output: 1, outcome: 'call' }));
          engine.calls.hangup(session, 'normal').catch(() => undefined);
          return;
        }
        const msg: NodeMessage = {
          topic: flow,
          call: session.handle(),
          payload: { caller: { ...session.caller }, dialed: session.dialed, args, flow },
        };
        session.idle(engine.idleTimeoutMs, () => {
          node.warn(t('callflow.errors.idle', { call: session.id, seconds: engine.idleTimeoutMs / 1000 }));
          engine.calls.hangup(session, 'normal').catch(() => undefined);
        });
        node.send(msg);
      });
    } catch (err) {
      node.error(t('callflow-entry.errors.duplicate', { flow, message: (err as Error).message }));
      node.status({ fill: 'red', shape: 'ring', text: 'callflow.status.duplicate-flow' });
      return;
    }
    cleanup.push(unregister);
    connection.register(node);
    cleanup.push(() => connection.deregister(node));
  }
  RED.nodes.registerType('callflow-entry', EntryNode);
};
