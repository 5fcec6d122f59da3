/**
 * ARI's REST half, through ari-client. ari-client builds its operations from
 * the server's Swagger documents, which keeps us honest about the API; this
 * module wraps it to fix what would hurt a long-running Node-RED:
 *
 * - swagger-client keeps ONE process-wide Basic-auth setting, so two
 *   connections with different credentials would send each other's
 *   passwords. Every request sets its own credentials synchronously just
 *   before swagger-client builds it and restores the previous ones after;
 *   connects are serialised so the API documents load with the right ones.
 * - swagger-client throws (an uncaught exception, which ends Node-RED) when
 *   it cannot load the API documents, e.g. on a wrong password. The
 *   connection checks the documents itself first (preflight), and the throw
 *   is turned into a rejected promise.
 * - A request cut by a lost connection never settles (swagger-client does
 *   not listen for shred's request_error); here it fails, and every request
 *   also has a timeout.
 * - Errors lose their HTTP status; here they become AriError with a kind,
 *   recognised from Asterisk's messages.
 */
import { createRequire } from 'node:module';
import type * as AriNS from 'ari-client';
import type { AriClient, AriOperation } from 'ari-client';
import type * as SwaggerNS from 'swagger-client';
import { AriError, asError, kindForStatus, type AriErrorKind } from './errors';

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

export class AriRest {
  private constructor(
    private readonly client: AriClient,
    private readonly auth: InstanceType<SwaggerModule['PasswordAuthorization']>,
    private readonly requestTimeoutMs: number,
  ) {}

  static connect(options: RestOptions): Promise<AriRest> {
    const auth = new swagger.PasswordAuthorization(new URL(options.baseUrl).hostname, options.username, options.password);
    return serialised(async () => {
      swagger.authorizations.add('basic-auth', auth);
      const client = await withTimeout(ari.connect(options.baseUrl, options.username, options.password), options.requestTimeoutMs * 3, 'loading the ARI API documents');
      return new AriRest(client, auth, options.requestTimeoutMs);
    });
  }

  /** Calls resource.operation(params); the request carries this connection's credentials. */
  call<T>(resource: string, operation: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
    const name = `${resource}.${operation}`;
    const res = this.client[resource] as Record<string, AriOperation | undefined> | undefined;
    const op = res?.[operation];
    if (!op) return Promise.reject(new AriError(name, 'unknown', 'this Asterisk does not offer the operation'));
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    const previous = swagger.authorizations.authz['basic-auth'];
    swagger.authorizations.add('basic-auth', this.auth);
    let request: Promise<unknown>;
    try {
      request = op(params);
    } catch (err) {
      return Promise.reject(toAriError(name, err));
    } finally {
      if (previous) swagger.authorizations.add('basic-auth', previous);
    }
    return withTimeout(request, this.requestTimeoutMs, name, signal).then(
      (value) => plain(value) as T,
      (err: unknown) => {
        throw err instanceof AriError || (signal?.aborted && err === signal.reason) ? err : toAriError(name, err);
      },
    );
  }
}

/** ari-client wraps results in resource objects holding the client; call logic gets plain data. */
function plain(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  if (Array.isArray(value)) return value.map(plain);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k.startsWith('_') || typeof v === 'function') continue;
    out[k] = v;
  }
  return out;
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
