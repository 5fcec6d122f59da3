/**
 * callflow-entry: where an IVR flow starts. It names the flow and sends one
 * msg per call routed to it, carrying msg.call (the call's serialisable
 * handle) into the flow.
 *
 * With a release set (callflow-releases), the entry is one version of the
 * flow, and its tab is that version: the release set picks the version of
 * each new call (official, gray, or the one a test names), and the call
 * stays on this tab until it ends. The status shows the version's state.
 */
import type { EntryStatus, ReleaseBook } from '../../lib/releases/book';
import type { CallSession } from '../../lib/call/session';
import { entryConfig } from '../../lib/schemas/elements';
import type { AsteriskConfigNode } from '../asterisk/config';
import { findEngine, type Engine } from '../deployed/engine';
import { FlowTestEngine } from '../deployed/flow-test';
import { registerFlowTestApi } from '../admin/flow-tests';
import { directHopsOn, hop } from '../element/hop';
import { translator, type Translate } from '../red/i18n';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeStatus } from '../red/api';
import { CONNECTION_STATUS, INVALID_CONFIG, NO_CONNECTION, statusShower } from '../red/status';
import type { ReleasesConfigNode } from '../releases/config';

/** How often, at most, a versioned entry's status changes (it follows every call). */
const STATUS_MS = 500;

export = function register(RED: NodeAPI): void {
  const t = translator(RED, __dirname, 'entry');
  registerFlowTestApi(RED);
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
    const { flow, version } = check.value;
    const connection = RED.nodes.getNode(check.value.connection) as AsteriskConfigNode | null;
    if (!connection?.engine) {
      node.error(t('callflow-entry.errors.no-connection'));
      node.status(NO_CONNECTION);
      return;
    }
    const engine = connection.engine;
    let book: ReleaseBook | undefined;
    if (check.value.releases) {
      book = (RED.nodes.getNode(check.value.releases) as ReleasesConfigNode | null)?.book;
      if (!book) {
        node.error(t('callflow-entry.errors.no-releases'));
        node.status({ fill: 'red', shape: 'ring', text: 'callflow-entry.status.no-releases' });
        return;
      }
    }

    const direct = directHopsOn(RED);
    const handler = (session: CallSession, args: string[]): void => {
      session.enter(node.id, 'entry').outcome = 'routed';
      // A flow test's call has an engine of its own (nodes/deployed/flow-test.ts): no counters, no Asterisk.
      const calls = session.connection === engine.id ? engine : (findEngine(session.connection) ?? engine);
      if (calls instanceof FlowTestEngine) calls.run.entered({ id: node.id, name: node.name ?? '', type: 'entry' }, { ...session.vars });
      else if (book) book.callStarted(flow, version);
      const wires = (node as Node & { wires?: string[][] }).wires ?? [];
      if ((wires[0]?.length ?? 0) === 0) {
        node.warn(t('callflow.errors.unwired', { call: session.id, output: 1, outcome: 'call' }));
        calls.calls.hangup(session, 'normal', 'system', `unwired: callflow-entry ${node.id}`).catch(() => undefined);
        return;
      }
      const payload: Record<string, unknown> = { caller: { ...session.caller }, dialed: session.dialed, args, flow };
      if (book) payload.version = version;
      const msg: NodeMessage = { topic: flow, call: session.handle(), payload };
      session.idle(engine.idleTimeoutMs, () => {
        node.warn(t('callflow.errors.idle', { call: session.id, seconds: engine.idleTimeoutMs / 1000 }));
        calls.calls.hangup(session, 'normal', 'system', `idle: after callflow-entry ${node.id}`).catch(() => undefined);
      });
      // Straight to the first element when it is one (nodes/element/hop.ts); through Node-RED otherwise.
      if (direct && hop(RED, node, 0, msg, { turn: -1, hops: 0 })) return;
      node.send(msg);
    };

    try {
      cleanup.push(book ? engine.registerVersion(flow, version, book, handler) : engine.registerFlow(flow, handler));
    } catch (err) {
      node.error(t('callflow-entry.errors.duplicate', { flow: book ? `${flow} ${version}` : flow, message: (err as Error).message }));
      node.status({ fill: 'red', shape: 'ring', text: 'callflow.status.duplicate-flow' });
      return;
    }
    if (!book) {
      connection.register(node);
      cleanup.push(() => connection.deregister(node));
      return;
    }
    // The connection starts when a node uses it; a versioned entry shows its own status, so it starts it itself.
    engine.start().catch((err: unknown) => node.error((err as Error).message));
    cleanup.push(versionStatus(node, engine, book, flow, version, t));
    cleanup.push(countEnds(engine, book, flow, version));
  }
  RED.nodes.registerType('callflow-entry', EntryNode);
};

/** The status of a versioned entry: the connection's trouble if it has any, else the version's state and calls. */
function versionStatus(node: Node, engine: Engine, book: ReleaseBook, flow: string, version: string, t: Translate): () => void {
  const status = statusShower(
    node,
    (): NodeStatus => (engine.status.state === 'connected' ? versionText(book.entryStatus(node.id, flow, version), t) : CONNECTION_STATUS[engine.status.state]),
    STATUS_MS,
  );
  status.now();
  const offBook = book.onChange(() => status.update());
  const offEngine = engine.onStatus(() => status.now());
  const offCalls = engine.onCallEnded(({ session }) => {
    if (session.flow === flow && session.version === version) status.update();
  });
  return () => {
    offBook();
    offEngine();
    offCalls();
    status.stop();
  };
}

/** The release book's status of a version, in the runtime's language (it carries numbers, so the editor cannot translate a key). */
function versionText(status: EntryStatus, t: Translate): NodeStatus {
  const calls = status.calls > 0 ? t(status.calls === 1 ? 'callflow-entry.status.call' : 'callflow-entry.status.calls', { count: status.calls }) : '';
  return { fill: status.fill, shape: status.shape, text: t(`callflow-entry.status.${status.says}`, status.values) + calls };
}

/** Counts how each call of this version ended (completed, hung up early, transferred) and how long it lasted. */
function countEnds(engine: Engine, book: ReleaseBook, flow: string, version: string): () => void {
  return engine.onCallEnded(({ session, end }) => {
    if (session.flow !== flow || session.version !== version) return;
    const kind = session.handedOff || session.peer || session.leaving ? 'transferred' : end.by === 'flow' ? 'completed' : end.by === 'caller' ? 'hung-up-early' : 'other';
    const seconds = (end.at - session.startedAtMs) / 1000;
    book.callEnded(flow, version, kind, Number.isFinite(seconds) ? seconds : 0);
  });
}
