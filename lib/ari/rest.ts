/**
 * ARI's REST half. ari-client loads the server's Swagger documents, which
 * keeps us honest about the API: the operations, their methods, paths and
 * parameters are the ones this Asterisk declares, and a server that is not
 * ARI (or refuses the password) fails here. Requests themselves go out
 * through Node's own HTTP client with a keep-alive agent per connection,
 * built from those declarations, instead of through swagger-client and
 * shred, because their request path:
 *
 * - keeps ONE process-wide Basic-auth setting (two connections with
 *   different credentials would send each other's passwords);
 * - drops the HTTP status of errors, throws uncaught exceptions from HTTP
 *   callbacks, and never settles a request cut by a lost connection;
 * - allocates several times what the request needs: under a thousand calls
 *   it was most of the garbage the process made, and its collections were
 *   the slowest replies (bench/ivr, docs/performance.md).
 *
 * Loading the documents still goes through ari-client (with the workarounds
 * below, serialised so each load carries its own credentials).
 */
import http from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import type * as AriNS from 'ari-client';
import type { AriClient } from 'ari-client';
import type * as SwaggerNS from 'swagger-client';
import { basicAuthorization } from '../net/basic-auth';
import { unwatchAbort, watchAbort, type AbortTarget } from './abort-listeners';
import { DeadlineSweep, type Expiring } from './deadlines';
import { AriError, abortReason, asError, kindForStatus, type AriErrorKind } from './errors';

type SwaggerModule = typeof SwaggerNS;
type AriModule = typeof AriNS;

const ariRequire = createRequire(require.resolve('ari-client'));
const ari = ariRequire('ari-client') as AriModule;
const swagger = ariRequire('swagger-client') as SwaggerModule;

// swagger-client's fail() reports the failure and then throws from inside an
// HTTP callback, where nothing can catch it. Reporting is enough: ari-client
// rejects its connect promise from the failure callback.
swagger.SwaggerApi.prototype.fail = function fail(this: InstanceType<SwaggerModule['SwaggerApi']>, message: unknown): void {
  this.failure(message);
};

// swagger-client listens for shred's "error" (an HTTP error status) but not
// for "request_error" (the connection failed or was cut mid-request), so a
// request in flight when Asterisk goes away never settles. Report those as
// errors too.
interface ShredOptions {
  url?: string;
  method?: string;
  on?: Record<string, ((arg: unknown) => unknown) | undefined>;
}
type ShredRequest = (this: unknown, options: ShredOptions) => unknown;
const shred = createRequire(ariRequire.resolve('swagger-client'))('shred') as { prototype: { request: ShredRequest } };
const shredRequest = shred.prototype.request;
shred.prototype.request = function request(this: unknown, options: ShredOptions): unknown {
  const onError = options.on?.error;
  if (options.on && onError && !options.on.request_error) {
    options.on.request_error = (err: unknown): unknown => {
      const code = (err as { code?: string } | undefined)?.code ?? (err as Error | undefined)?.message ?? 'unknown error';
      return onError({
        _headers: {},
        request: { url: options.url, method: options.method },
        status: 0,
        content: { data: JSON.stringify({ message: `connection to Asterisk failed (${code})` }) },
      });
    };
  }
  return shredRequest.call(this, options);
};

// swagger-client logs through a global `log` that prints a "deprecated
// Swagger version" notice on every connect (Asterisk serves Swagger 1.1) and
// keeps every line it ever logged in memory. Route it to nothing.
const globals = globalThis as { log?: unknown };
if (typeof globals.log === 'function') globals.log = function quietSwaggerLog(): void {};

/** The messages Asterisk answers with, and what each means, for errors whose status ari-client drops. */
const KNOWN_MESSAGES: [RegExp, AriErrorKind, number | undefined][] = [
  [/connection to Asterisk failed/i, 'not-connected', undefined],
  [/authentication required/i, 'unauthorized', 401],
  [/write access denied/i, 'forbidden', 403],
  [/not in (a )?stasis application/i, 'conflict', 409],
  [/in invalid state/i, 'conflict', 412],
  [/already exists|can ?not be overwritten|currently recording|cannot be dialed|not in the 'Down' state|not in session|can only \w+ while/i, 'conflict', 409],
  [/not found|cannot be found|does not exist/i, 'not-found', 404],
  [/unknown on this system|does not contain tech|not the same type|does not match channel technology|no resource provided|not in this bridge/i, 'unprocessable', 422],
  [/invalid|missing|required|must be specified|can't both|cannot be negative|illegal|not provided/i, 'bad-request', 400],
  [/allocation failed|failed to|internal server error|unable to/i, 'server', 500],
];

export function classifyAriMessage(message: string): { kind: AriErrorKind; status?: number } {
  for (const [re, kind, status] of KNOWN_MESSAGES) if (re.test(message)) return status === undefined ? { kind } : { kind, status };
  return { kind: 'unknown' };
}

/** Turns whatever ari-client rejected with into an AriError. */
export function toAriError(operation: string, err: unknown): AriError {
  if (err instanceof AriError) return err;
  let text = typeof err === 'string' ? err : err instanceof Error ? err.message : JSON.stringify(err);
  const status = /^(\d{3}) : /.exec(text)?.[1];
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: unknown };
    if (typeof body.message === 'string') text = body.message;
    else if (typeof body.error === 'string') text = body.error;
  } catch {
    // not a JSON body
  }
  if (/is a required path param/.test(text)) return new AriError(operation, 'bad-request', text, 400);
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|EPIPE|EAI_AGAIN)$/.test(code)) {
    return new AriError(operation, 'not-connected', `${code}: Asterisk did not answer`);
  }
  if (status) return new AriError(operation, kindForStatus(Number(status)), text, Number(status));
  const c = classifyAriMessage(text);
  return new AriError(operation, c.kind, text, c.status);
}

let connectQueue: Promise<unknown> = Promise.resolve();

/** Runs connects one at a time: the API documents load with the global credentials of the connect in progress. */
function serialised<T>(fn: () => Promise<T>): Promise<T> {
  const run = connectQueue.then(fn, fn);
  connectQueue = run.catch(() => undefined);
  return run;
}

export interface RestOptions {
  /** Base URL without /ari, e.g. http://127.0.0.1:8088 */
  baseUrl: string;
  username: string;
  password: string;
  requestTimeoutMs: number;
}

/** One ARI operation as the server's documents declare it, prepared once so a request only fills it in. */
interface OperationSpec {
  /** "resource.operation", as errors name it. */
  name: string;
  method: string;
  /** The path (e.g. /channels/{channelId}/play) cut around its parameters: text, parameter, text, ..., text. */
  pathParts: string[];
  /** The path parameters, as declared (each is required). */
  pathParams: string[];
  /** The other parameters, as declared: `key` is a query parameter's encoded "name=". */
  others: { name: string; where: string; key: string }[];
}

/** An operation's declaration, prepared (see OperationSpec). */
function prepare(name: string, method: string, path: string, params: { name: string; where: string }[]): OperationSpec {
  const pathParams = params.filter((p) => p.where === 'path').map((p) => p.name);
  // split() with a group: text, name, text, name, ..., text. A {name} that is not a declared parameter stays text.
  const pieces = path.split(/\{([^}]+)\}/);
  const pathParts = [pieces[0] as string];
  for (let i = 1; i < pieces.length; i += 2) {
    const param = pieces[i] as string;
    const after = pieces[i + 1] as string;
    if (pathParams.includes(param)) pathParts.push(param, after);
    else pathParts[pathParts.length - 1] += `{${param}}${after}`;
  }
  const others = params.filter((p) => p.where !== 'path').map((p) => ({ name: p.name, where: p.where, key: `${encodeURIComponent(p.name)}=` }));
  return { name, method, pathParts, pathParams, others };
}

interface SwaggerOperationLike {
  method?: string;
  path?: string;
  parameters?: { name?: string; paramType?: string; required?: boolean }[];
}

/** The operations of a loaded ari-client, by resource, then operation. */
function operationsOf(client: AriClient): Map<string, Map<string, OperationSpec>> {
  const out = new Map<string, Map<string, OperationSpec>>();
  const apis = (client as unknown as { _swagger?: { apis?: Record<string, { operations?: Record<string, SwaggerOperationLike> }> } })._swagger?.apis ?? {};
  for (const [resource, api] of Object.entries(apis)) {
    for (const [name, op] of Object.entries(api.operations ?? {})) {
      if (!op.method || !op.path) continue;
      const params = (op.parameters ?? []).map((p) => ({ name: p.name ?? '', where: p.paramType ?? 'query' }));
      let ops = out.get(resource);
      if (!ops) out.set(resource, (ops = new Map<string, OperationSpec>()));
      ops.set(name, prepare(`${resource}.${name}`, op.method.toUpperCase(), op.path, params));
    }
  }
  return out;
}

/** What a request does with a 2xx answer's body: parse it as JSON, not read it, or hand it over unread. */
type AnswerMode = 'json' | 'discard' | 'stream';

/** A file ARI answered with (stream()): its body is unread. */
export interface AriFile {
  contentType: string;
  /** Content-Length, when the answer gave one. */
  length?: number;
  body: http.IncomingMessage;
}

/** Asterisk's HTTP server serves 100 sessions at once by default (http.conf sessionlimit): stay well under, with the event socket. */
const MAX_SOCKETS = 32;
/** Idle keep-alive sockets close before a server would close them (Node's own server: 5 s; Asterisk: 15 s). */
const IDLE_SOCKET_MS = 4000;

export class AriRest {
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;
  private readonly authorization: string;
  /** Where requests go, parsed once (a URL string would be parsed again for every request). */
  private readonly target: { protocol: string; hostname: string; port: number; prefix: string };
  /** The deadlines of the requests in flight, one timer for all (deadlines.ts). */
  private readonly deadlines: DeadlineSweep;
  /** Takes no new request (closed, or retired and closing with its last request). */
  private closed = false;
  private retiring = false;

  private constructor(
    base: URL,
    private readonly operations: Map<string, Map<string, OperationSpec>>,
    username: string,
    password: string,
    readonly requestTimeoutMs: number,
  ) {
    this.deadlines = new DeadlineSweep(requestTimeoutMs);
    const secure = base.protocol === 'https:';
    this.agent = secure
      ? new https.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS, timeout: IDLE_SOCKET_MS })
      : new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS, timeout: IDLE_SOCKET_MS });
    this.request = secure ? https.request : http.request;
    this.authorization = basicAuthorization({ username, password });
    this.target = {
      protocol: base.protocol,
      hostname: base.hostname.replace(/^\[|\]$/g, ''),
      port: base.port ? Number(base.port) : secure ? 443 : 80,
      prefix: `${base.pathname.replace(/\/$/, '')}/ari`,
    };
  }

  static connect(options: RestOptions): Promise<AriRest> {
    const auth = new swagger.PasswordAuthorization(new URL(options.baseUrl).hostname, options.username, options.password);
    return serialised(async () => {
      swagger.authorizations.add('basic-auth', auth);
      const client = await withTimeout(ari.connect(options.baseUrl, options.username, options.password), options.requestTimeoutMs * 3, 'loading the ARI API documents');
      const operations = operationsOf(client);
      if (operations.size === 0) throw new AriError('connect', 'unknown', 'the ARI API documents declare no operations');
      return new AriRest(new URL(options.baseUrl), operations, options.username, options.password, options.requestTimeoutMs);
    });
  }

  /**
   * Calls resource.operation(params) as the server declares it; resolves with the JSON answer (undefined for none).
   * An abort rejects with the signal's reason (so does any failure once the signal aborted). `gone` hears of a 404
   * about a channel (params.channelId), before the request rejects.
   */
  call<T>(resource: string, operation: string, params: Record<string, unknown>, signal?: AbortSignal, gone?: (channelId: string) => void): Promise<T> {
    return this.start<T>(resource, operation, params, signal, 'json', gone);
  }

  /**
   * Calls resource.operation(params) for its effect: resolves (with nothing) on a 2xx answer without reading its body,
   * which the caller would throw away (a playback's or a recording's first state: their end comes as an event). An
   * error's body is still read: its message names what went wrong.
   */
  command(resource: string, operation: string, params: Record<string, unknown>, signal?: AbortSignal, gone?: (channelId: string) => void): Promise<void> {
    return this.start<void>(resource, operation, params, signal, 'discard', gone);
  }

  /**
   * Calls resource.operation(params) for a file (a stored recording's): resolves on a 2xx answer with its content
   * type, its length when Asterisk gives one, and its body unread, for the caller to stream (and bound). The
   * connection's deadline covers the answer's head only; the body is the caller's to time and to destroy. An error's
   * body is read as for call().
   */
  stream(resource: string, operation: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<AriFile> {
    return this.start<AriFile>(resource, operation, params, signal, 'stream', undefined);
  }

  /** Requests in flight (for checks that closing leaves none behind, nor their timer). */
  get inFlight(): { requests: number; timer: boolean } {
    return { requests: this.deadlines.size, timer: this.deadlines.armed };
  }

  private start<T>(resource: string, operation: string, params: Record<string, unknown>, signal: AbortSignal | undefined, answer: AnswerMode, gone: ((channelId: string) => void) | undefined): Promise<T> {
    const op = this.operations.get(resource)?.get(operation);
    if (!op) return Promise.reject(new AriError(`${resource}.${operation}`, 'unknown', 'this Asterisk does not offer the operation'));
    const { name } = op;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.closed) return Promise.reject(new AriError(name, 'not-connected', 'this connection to Asterisk is closed'));
    for (const p of op.pathParams) {
      const value = params[p];
      if (value === undefined || value === null) return Promise.reject(new AriError(name, 'bad-request', `${p} is a required path param`, 400));
    }
    let path = this.target.prefix;
    const parts = op.pathParts;
    for (let i = 0; i < parts.length; i += 1) path += i % 2 === 0 ? parts[i] : encodeURIComponent(text(params[parts[i] as string]));
    let separator = '?';
    let body: string | undefined;
    for (const p of op.others) {
      const value = params[p.name];
      if (value === undefined || value === null) continue;
      if (p.where === 'body') body = JSON.stringify(p.name === 'variables' || p.name === 'fields' ? { [p.name]: value } : value);
      else {
        path += `${separator}${p.key}${encodeURIComponent(Array.isArray(value) ? value.map(text).join(',') : text(value))}`;
        separator = '&';
      }
    }
    return new Promise<T>((resolve, reject) => {
      const request = new InFlight(name, op.method, path, body, signal, answer, this, resolve as (v: unknown) => void, reject);
      if (gone && resource === 'channels' && typeof params.channelId === 'string') request.watchGone(params.channelId, gone);
      if (signal) watchAbort(signal, request);
      this.send(request);
    });
  }

  /** Sends (or sends again) a request: it goes into the deadline sweep until it settles. */
  send(request: InFlight): void {
    const headers: Record<string, string | number> = { Authorization: this.authorization, Accept: 'application/json' };
    if (request.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = Buffer.byteLength(request.body);
    }
    const { protocol, hostname, port } = this.target;
    const req = this.request({ protocol, hostname, port, path: request.path, method: request.method, headers, agent: this.agent });
    request.req = req;
    // Sent again: a new deadline, as a new request.
    this.deadlines.remove(request);
    this.deadlines.add(request);
    req.on('error', (err: NodeJS.ErrnoException) => request.failed(req, err));
    req.on('response', (res) => request.answered(res));
    if (request.body !== undefined) req.write(request.body);
    req.end();
  }

  /** A request settled: it leaves the sweep; a retired connection closes with its last request. */
  settled(request: InFlight): void {
    this.deadlines.remove(request);
    if (this.retiring && this.deadlines.size === 0) this.close();
  }

  /**
   * Closes the kept-alive sockets (the connection is closed, or an attempt that failed is dropped). Every request in
   * flight fails at once as not connected: its answer can no longer come, and it is not sent again.
   */
  close(): void {
    this.closed = true;
    this.retiring = false;
    for (const request of this.deadlines.clear()) (request as InFlight).fail(new AriError((request as InFlight).name, 'not-connected', 'the connection to Asterisk closed before it answered'));
    this.agent.destroy();
  }

  /**
   * Closes once the requests in flight are answered (or expire): a newer connection to the same Asterisk has taken
   * over, and what this one already sent still gets its answer. It takes no new request.
   */
  retire(): void {
    this.closed = true;
    this.retiring = true;
    if (this.deadlines.size === 0) this.close();
  }
}

/**
 * One request in flight. It settles once: with its answer, an error, its deadline (the connection's sweep), its
 * call's abort (one listener per signal: abort-listeners.ts) or the connection closing; whichever comes first.
 */
class InFlight implements Expiring, AbortTarget {
  deadline = 0;
  prev: Expiring | undefined = undefined;
  next: Expiring | undefined = undefined;
  queued = false;
  req: http.ClientRequest | undefined = undefined;
  private done = false;
  private retried = false;
  private goneId: string | undefined = undefined;
  private gone: ((channelId: string) => void) | undefined = undefined;

  constructor(
    readonly name: string,
    readonly method: string,
    readonly path: string,
    readonly body: string | undefined,
    private readonly signal: AbortSignal | undefined,
    /** What becomes of a 2xx answer's body: parsed (call()), not read (command()), handed over unread (stream()). */
    private readonly answer: AnswerMode,
    private readonly rest: AriRest,
    private readonly resolve: (value: unknown) => void,
    private readonly reject: (err: Error) => void,
  ) {}

  /** A 404 answer means the channel may be gone: `gone` hears of it. */
  watchGone(channelId: string, gone: (channelId: string) => void): void {
    this.goneId = channelId;
    this.gone = gone;
  }

  private settle(): boolean {
    if (this.done) return false;
    this.done = true;
    if (this.signal) unwatchAbort(this.signal, this);
    this.rest.settled(this);
    return true;
  }

  /** Fails it (the connection closed) and drops its request. */
  fail(err: Error): void {
    if (this.settle()) this.rejectWith(err);
    this.req?.destroy();
  }

  /** Rejects (once settled): with the abort's reason if the signal aborted meanwhile. */
  private rejectWith(err: Error): void {
    if (this.signal?.aborted) {
      this.reject(abortReason(this.signal));
      return;
    }
    if (this.goneId !== undefined && err instanceof AriError && err.kind === 'not-found') this.gone?.(this.goneId);
    this.reject(err);
  }

  expire(): void {
    this.fail(new AriError(this.name, 'not-connected', `no answer from Asterisk within ${this.rest.requestTimeoutMs} ms`));
  }

  aborted(signal: AbortSignal): void {
    this.fail(abortReason(signal));
  }

  failed(req: http.ClientRequest, err: NodeJS.ErrnoException): void {
    if (this.done || req !== this.req) return;
    // A kept-alive socket the server had just closed: the request never reached it; send it once more.
    if (!this.retried && req.reusedSocket && err.code === 'ECONNRESET') {
      this.retried = true;
      this.rest.send(this);
      return;
    }
    if (this.settle()) this.rejectWith(toAriError(this.name, err));
  }

  answered(res: http.IncomingMessage): void {
    if (this.done) {
      res.resume();
      return;
    }
    const status = res.statusCode ?? 0;
    res.on('error', (err) => {
      if (this.settle()) this.rejectWith(toAriError(this.name, err));
    });
    if (status >= 200 && status < 300 && this.answer === 'stream') {
      if (this.settle()) {
        const type = res.headers['content-type'];
        const length = Number(res.headers['content-length']);
        this.resolve({ contentType: typeof type === 'string' ? type : '', ...(Number.isSafeInteger(length) && length >= 0 ? { length } : {}), body: res });
      } else res.resume();
      return;
    }
    if (status >= 200 && status < 300 && this.answer === 'discard') {
      res.on('end', () => {
        if (this.settle()) this.resolve(undefined);
      });
      res.resume();
      return;
    }
    let first: Buffer | undefined;
    let chunks: Buffer[] | undefined;
    res.on('data', (chunk: Buffer) => {
      if (first === undefined) first = chunk;
      else (chunks ??= [first]).push(chunk);
    });
    res.on('end', () => {
      if (this.done) return;
      const raw = chunks ? Buffer.concat(chunks).toString('utf8') : first ? first.toString('utf8') : '';
      let parsed: unknown;
      try {
        parsed = raw === '' ? undefined : (JSON.parse(raw) as unknown);
      } catch {
        parsed = raw;
      }
      if (status >= 200 && status < 300) {
        if (this.settle()) this.resolve(parsed);
        return;
      }
      // Asterisk answers errors with {"message": "..."} (and "Allocation failed" as {"error": "..."}).
      const answer = parsed as { message?: unknown; error?: unknown } | string | undefined;
      let message = `HTTP ${status}`;
      if (typeof answer === 'string' && answer) message = answer;
      else if (typeof answer === 'object' && answer !== null) {
        if (typeof answer.message === 'string') message = answer.message;
        else if (typeof answer.error === 'string') message = answer.error;
      }
      if (this.settle()) this.rejectWith(new AriError(this.name, kindForStatus(status), message, status));
    });
  }
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new AriError(what, 'not-connected', `no answer from Asterisk within ${ms} ms`));
    }, ms);
    const onAbort = (): void => {
      cleanup();
      reject(signal?.reason as Error);
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        cleanup();
        resolve(v);
      },
      (e: unknown) => {
        cleanup();
        reject(asError(e));
      },
    );
  });
}
