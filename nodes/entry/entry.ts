/**
 * callflow-entry: where an IVR flow starts. It names the flow and sends one
 * msg per call routed to it, carrying msg.call (the call's serialisable
 * handle) into the flow.
 *
 * With a release set (callflow-releases), the entry is one version of the
 * flow, and its tab is that version: the release set picks the version of
 * each new call (official, gray, or the one a test names), and the call
 * stays on this tab until it ends. The status shows the version's state.
 *
 * With more connections (several Asterisk servers, docs/scaling.md) it
 * takes the flow's calls from each of them: each connection routes its own
 * calls (its routing table), and a call's msg.call.connection names the
 * connection it came from, which every element acts on.
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
    // The other connections of the set: each must be there, else the entry says which is missing and takes nothing.
    const more: Engine[] = [];
    for (const id of check.value.connections.filter((c) => c !== check.value.connection)) {
      const other = (RED.nodes.getNode(id) as AsteriskConfigNode | null)?.engine;
      if (!other) {
        node.error(t('callflow-entry.errors.no-other-connection', { id }));
        node.status(NO_CONNECTION);
        return;
      }
      more.push(other);
    }
    const engines = [engine, ...more];
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
    // One handler per connection: a call is hung up and timed out by its own connection.
    const handlerOn = (engine: Engine) => (session: CallSession, args: string[]): void => {
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
      if (direct && hop(RED, node, 0, msg, { hopTurn: -1, hops: 0 })) return;
      node.send(msg);
    };

    try {
      for (const e of engines) cleanup.push(book ? e.registerVersion(flow, version, book, handlerOn(e)) : e.registerFlow(flow, handlerOn(e)));
    } catch (err) {
      for (const off of cleanup.splice(0)) off();
      node.error(t('callflow-entry.errors.duplicate', { flow: book ? `${flow} ${version}` : flow, message: (err as Error).message }));
      node.status({ fill: 'red', shape: 'ring', text: 'callflow.status.duplicate-flow' });
      return;
    }
    if (!book) {
      if (more.length === 0) {
        connection.register(node);
        cleanup.push(() => connection.deregister(node));
        return;
      }
      // Several connections: each is started here, and the status is the first one's trouble, else connected.
      for (const e of engines) e.start().catch((err: unknown) => node.error((err as Error).message));
      cleanup.push(setStatus(node, engines));
      return;
    }
    // The connection starts when a node uses it; a versioned entry shows its own status, so it starts it itself.
    for (const e of engines) e.start().catch((err: unknown) => node.error((err as Error).message));
    cleanup.push(versionStatus(node, engine, book, flow, version, t, more));
    for (const e of engines) cleanup.push(countEnds(e, book, flow, version));
  }
  RED.nodes.registerType('callflow-entry', EntryNode);
};

/** The status of an entry over several connections: the first one's trouble if any has one, else connected. */
function setStatus(node: Node, engines: Engine[]): () => void {
  const show = (): void => {
    const down = engines.find((e) => e.status.state !== 'connected');
    node.status(CONNECTION_STATUS[down ? down.status.state : 'connected']);
  };
  const offs = engines.map((e) => e.onStatus(show));
  return () => {
    for (const off of offs) off();
  };
}

/** The status of a versioned entry: a connection's trouble if it has any, else the version's state and calls. */
function versionStatus(node: Node, engine: Engine, book: ReleaseBook, flow: string, version: string, t: Translate, more: Engine[] = []): () => void {
  const engines = [engine, ...more];
  const status = statusShower(
    node,
    (): NodeStatus => {
      const down = engines.find((e) => e.status.state !== 'connected');
      return down ? CONNECTION_STATUS[down.status.state] : versionText(book.entryStatus(node.id, flow, version), t);
    },
    STATUS_MS,
  );
  status.now();
  const offBook = book.onChange(() => status.update());
  const offEngines = engines.map((e) => e.onStatus(() => status.now()));
  const offCalls = engines.map((e) =>
    e.onCallEnded(({ session }) => {
      if (session.flow === flow && session.version === version) status.update();
    }),
  );
  return () => {
    offBook();
    for (const off of [...offEngines, ...offCalls]) off();
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
