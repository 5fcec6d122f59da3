/**
 * The admin HTTP API of flow versions and releases, on RED.httpAdmin,
 * for the editor's "Call flows" sidebar (and scripts): documented in
 * docs/releases.md. Reads need callflow.read, changes callflow.write
 * (RED.auth.needsPermission, so adminAuth's users and permissions apply).
 *
 * An operation the version's state does not allow answers 409 with the
 * state and the operations it allows; a release that fails validation 422
 * with the problems; a store that cannot be reached 503.
 *
 * Every request may carry the editor page's id in X-Callflow-Editor: it
 * names the holder of an edit lock, and any request from that editor keeps
 * its locks alive (they end 5 minutes after the last one).
 */
import { dialStringProblem } from '../../lib/ari/dialstring';
import { ReleaseError, STATE_NAMES } from '../../lib/releases/states';
import type { Actor, ReleaseBook } from '../../lib/releases/book';
import { attributesRequest, graySettings, newVersionRequest, releaseRequest, testRequest } from '../../lib/schemas/releases';
import { shownValue } from '../../lib/schemas/validator';
import { currentSimulator } from '../../lib/sim/embedded';
import { findEngine } from '../deployed/engine';
import type { NodeAPI, RequestLike, ResponseLike } from '../red/api';
import { bodyOf, sendUnexpected } from './json-body';
import { findBook, listBooks } from '../deployed/releases';

const registered = new WeakSet<object>();

/**
 * What each path parameter may be: the names the release book itself accepts. A request naming anything else
 * names nothing that exists (404), and its message quotes the name briefly and escaped (shownValue).
 */
const PATH_PARAMS: Record<string, { pattern: RegExp; what: string }> = {
  set: { pattern: /^[A-Za-z0-9._-]{1,128}$/, what: 'release set' },
  flow: { pattern: /^[A-Za-z0-9_.-]{1,64}$/, what: 'flow' },
  version: { pattern: /^[A-Za-z0-9_.-]{1,32}$/, what: 'version' },
  snapshot: { pattern: /^[A-Za-z0-9._:-]{1,128}$/, what: 'snapshot' },
};

/** The first path parameter that cannot name anything, as a refusal; undefined when all can. */
function badPathParam(params: Record<string, string | undefined>): string | undefined {
  for (const [name, value] of Object.entries(params)) {
    const rule = PATH_PARAMS[name];
    if (rule && (value === undefined || !rule.pattern.test(value))) return `no ${rule.what} ${shownValue(value ?? '')}: that is not a ${rule.what} name`;
  }
  return undefined;
}

function actorOf(req: RequestLike): Actor {
  const header = req.headers['x-callflow-editor'];
  const editor = typeof header === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(header) ? header : undefined;
  const actor: Actor = { user: req.user?.username || 'anonymous' };
  if (editor) actor.editor = editor;
  return actor;
}

function sendError(res: ResponseLike, err: unknown): void {
  if (err instanceof ReleaseError) {
    const body: Record<string, unknown> = { message: err.message, ...err.details };
    if (err.details.state) body.stateName = STATE_NAMES[err.details.state];
    res.status(err.status).json(body);
    return;
  }
  sendUnexpected(res, err);
}

export function registerReleasesApi(RED: NodeAPI): void {
  if (registered.has(RED.httpAdmin)) return;
  registered.add(RED.httpAdmin);
  const read = RED.auth.needsPermission('callflow.read');
  const write = RED.auth.needsPermission('callflow.write');

  /** Runs `fn` with the release set the path names; its result is the JSON answer. Any request keeps the editor's locks alive. */
  const handle =
    (fn: (book: ReleaseBook, req: RequestLike, actor: Actor) => unknown, status = 200) =>
    (req: RequestLike, res: ResponseLike): void => {
      const bad = badPathParam(req.params);
      if (bad) {
        res.status(404).json({ message: bad });
        return;
      }
      const book = findBook(req.params.set ?? '');
      if (!book) {
        res.status(404).json({ message: `no release set ${req.params.set ?? ''} is deployed` });
        return;
      }
      const actor = actorOf(req);
      Promise.resolve()
        .then(async () => {
          await book.touch(actor).catch(() => undefined);
          return fn(book, req, actor);
        })
        .then(
          (result) => res.status(status).json(result ?? {}),
          (err: unknown) => sendError(res, err),
        );
    };

  const base = '/callflow/releases/:set';
  const version = `${base}/flows/:flow/versions/:version`;
  const p = (req: RequestLike): [string, string] => [req.params.flow ?? '', req.params.version ?? ''];

  RED.httpAdmin.get('/callflow/releases', read, (req: RequestLike, res: ResponseLike) => {
    const actor = actorOf(req);
    Promise.all(listBooks().map((b) => b.touch(actor).catch(() => undefined))).then(
      () => res.json(listBooks().map((b) => ({ id: b.id, name: RED.nodes.getNode(b.id)?.name ?? '', ready: b.ready, flows: b.ready ? b.list() : [] }))),
      (err: unknown) => sendError(res, err),
    );
  });
  RED.httpAdmin.get(base, read, handle((book) => ({ id: book.id, ready: book.ready, flows: book.list() })));
  RED.httpAdmin.post(`${base}/heartbeat`, read, handle(() => ({ ok: true })));

  RED.httpAdmin.get(`${version}/validate`, read, handle((book, req) => book.validate(...p(req))));
  RED.httpAdmin.get(`${version}/info`, read, handle((book, req) => book.info(...p(req))));
  RED.httpAdmin.get(`${version}/details`, read, handle((book, req) => book.details(...p(req))));
  RED.httpAdmin.post(`${version}/edit`, write, handle((book, req, actor) => book.edit(...p(req), actor)));
  RED.httpAdmin.post(`${version}/done`, write, handle((book, req, actor) => book.finishEditing(...p(req), actor)));
  RED.httpAdmin.post(`${version}/unlock`, write, handle((book, req, actor) => book.unlock(...p(req), actor)));
  RED.httpAdmin.post(`${version}/cancel`, write, handle((book, req, actor) => book.cancel(...p(req), actor)));
  RED.httpAdmin.post(`${version}/release`, write, handle((book, req, actor) => book.release(...p(req), bodyOf(releaseRequest, req), actor)));
  RED.httpAdmin.delete(version, write, handle(async (book, req, actor) => {
    await book.remove(...p(req), actor);
    return { deleted: true };
  }));
  RED.httpAdmin.put(`${version}/attributes`, write, handle((book, req, actor) => book.setType(...p(req), bodyOf(attributesRequest, req).type, actor)));
  RED.httpAdmin.post(`${version}/clone`, write, handle((book, req, actor) => book.clone(...p(req), bodyOf(newVersionRequest, req).version, actor), 201));
  RED.httpAdmin.post(`${version}/test`, write, handle((book, req) => placeTestCall(book, ...p(req), bodyOf(testRequest, req)), 201));
  RED.httpAdmin.put(`${base}/flows/:flow/gray`, write, handle((book, req, actor) => book.setGray(req.params.flow ?? '', bodyOf(graySettings, req), actor)));
  RED.httpAdmin.get(`${base}/flows/:flow/snapshots`, read, handle((book, req) => book.snapshots(req.params.flow ?? '')));
  RED.httpAdmin.post(`${base}/snapshots/:snapshot/restore`, write, handle((book, req, actor) => book.restore(req.params.snapshot ?? '', bodyOf(newVersionRequest, req).version, actor), 201));
  RED.httpAdmin.get(
    `${base}/flows/:flow/diff`,
    read,
    handle((book, req) => {
      const side = (value: string | undefined, what: string): { version?: string; snapshot?: string } => {
        if (!value) throw new ReleaseError(400, `say what to compare: ?from=<version or snapshot:id>&to=<version or snapshot:id> (${what} is missing)`);
        const named = value.startsWith('snapshot:') ? { snapshot: value.slice('snapshot:'.length) } : { version: value };
        const bad = badPathParam(named);
        if (bad) throw new ReleaseError(404, `${what}: ${bad}`);
        return named;
      };
      return book.diff(req.params.flow ?? '', side(req.query.from, 'from'), side(req.query.to, 'to'));
    }),
  );
}

/**
 * Test: a call into one version. With the built-in simulator it is a
 * simulated call; on a real Asterisk the endpoint given is called and, once
 * it answers, enters the flow (Stasis arguments: flow, version).
 */
async function placeTestCall(book: ReleaseBook, flow: string, version: string, request: { endpoint?: string; caller?: string }): Promise<unknown> {
  const deployed = book.test(flow, version);
  const engine = findEngine(deployed.connection);
  if (!engine || engine.status.state !== 'connected') {
    throw new ReleaseError(409, `the connection of version ${version} is not up (${engine?.status.state ?? 'not deployed'}), so no test call can be placed`);
  }
  if (engine.usesSimulator && !request.endpoint) {
    const sim = await currentSimulator();
    if (!sim) throw new ReleaseError(409, 'the built-in simulated Asterisk is not running');
    const call = sim.placeCall({ from: request.caller || '100', to: 'test', app: engine.app, args: [flow, version] });
    return { placed: 'simulator', call: call.report() };
  }
  if (!request.endpoint) throw new ReleaseError(400, 'say which phone to call for the test: "endpoint", such as PJSIP/1001');
  // The same rules as a transfer's: one destination, on the connection's dial allowlist.
  const why = dialStringProblem(request.endpoint);
  if (why) throw new ReleaseError(400, `endpoint: ${shownValue(request.endpoint)} is not one destination: it ${why}`);
  if (!engine.destinations.allows(request.endpoint)) throw new ReleaseError(422, `endpoint: ${request.endpoint} is not on the connection's dial allowlist (${engine.destinations.toString() || 'empty'})`);
  const { channel } = await engine.telephony.originate({ endpoint: request.endpoint, callerId: request.caller || 'test', appArgs: [flow, version] });
  return { placed: 'asterisk', channel: channel.id };
}
