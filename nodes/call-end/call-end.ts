/**
 * callflow-call-end: one msg for every call of its flow (or of every flow
 * of its connection) that ends: who hung up, the cause, the times, the
 * elements it passed and the keys it pressed.
 */
import { callEndReport } from '../../lib/call/report';
import { callEndConfig } from '../../lib/schemas/elements';
import type { AsteriskConfigNode } from '../asterisk/config';
import { translator } from '../red/i18n';
import type { Node, NodeAPI, NodeDef, NodeMessage } from '../red/api';
import { INVALID_CONFIG, NO_CONNECTION } from '../red/status';

export = function register(RED: NodeAPI): void {
  const t = translator(RED, __dirname, 'call-end');
  function CallEndNode(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const cleanup: (() => void)[] = [];
    node.on('close', (_removed: boolean, done: () => void) => {
      for (const off of cleanup.splice(0)) off();
      done();
    });
    const check = callEndConfig.checkForm(def);
    if (!check.ok) {
      node.error(t('callflow.errors.invalid-config', { problems: check.problems.join('; ') }));
      node.status(INVALID_CONFIG);
      return;
    }
    const connection = RED.nodes.getNode(check.value.connection) as AsteriskConfigNode | null;
    const engine = connection?.engine;
    if (!connection || !engine) {
      node.error(t('callflow-call-end.errors.no-connection'));
      node.status(NO_CONNECTION);
      return;
    }
    const flow = check.value.flow;
    let closed = false;
    cleanup.push(() => (closed = true));
    connection.register(node);
    cleanup.push(() => connection.deregister(node));
    engine.start().then(
      () => {
        if (closed) return;
        cleanup.push(
          engine.calls.onEnded((ended) => {
            if (flow && ended.session.flow !== flow) return;
            // The call is over: its msg.call has no token (nothing can act on it any more).
            const msg: NodeMessage = { topic: ended.session.flow ?? '', call: ended.session.snapshot(), payload: callEndReport(ended) };
            node.send(msg);
          }),
        );
      },
      (err: unknown) => node.error((err as Error).message),
    );
  }
  RED.nodes.registerType('callflow-call-end', CallEndNode);
};
