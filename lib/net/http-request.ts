/**
 * One HTTP request to a URL a user typed (a campaign callback, an HTTP IVR
 * application), guarded against server-side request forgery:
 * - the host must be on the allowlist (exact name, *.domain, IP address or
 *   CIDR range); every address a name resolves to is checked, and an
 *   internal address (loopback, private, link-local, ...) needs an IP or
 *   CIDR entry that covers it, a name entry alone is not enough;
 * - the socket connects to the address that was checked (a `lookup` that
 *   returns it), so the name cannot be re-resolved elsewhere in between
 *   (DNS rebinding); Host and SNI stay the name;
 * - redirects are followed by hand, each new URL checked the same way; a
 *   redirect from https to http is refused; Authorization goes only to the
 *   first URL's origin; `within` keeps every URL under one origin and path;
 * - the response body is read up to maxBytes and not a byte more: over it,
 *   the socket is destroyed at once;
 * - one deadline (timeoutMs) covers DNS, connection, redirects and body; an
 *   AbortSignal stops it at once. Nothing (timer, listener, socket) is left
 *   behind when it settles.
 * Errors are HttpRequestError with a `reason`; what they show of a URL is
 * its origin and path, never the query string nor user:password.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { bareHost, isInternalIp, parseIp, type HostAllowlist } from './addresses';

export type Lookup = (host: string) => Promise<{ address: string; family: number }[]>;

/** All addresses of a name, as the system resolver gives them. */
export const defaultLookup: Lookup = (host) => dns.promises.lookup(host, { all: true, verbatim: true });

/**
 * Why a request failed:
 * - invalid-url: not a URL, or a redirect to something that is not one;
 * - refused: not http(s), not on the allowlist, an internal address, outside `within`, https to http;
 * - timeout: no whole answer within timeoutMs;
 * - unreachable: DNS failure, connection refused or reset, a response cut short;
 * - too-large: a body over maxBytes;
 * - redirects: too many, or a redirect without a Location;
 * - aborted: the signal fired.
 */
export type HttpFailure = 'invalid-url' | 'refused' | 'timeout' | 'unreachable' | 'too-large' | 'redirects' | 'aborted';

export class HttpRequestError extends Error {
  constructor(
    readonly reason: HttpFailure,
    /** The sentence without the URL (e.g. "timed out after 5000 ms"). */
    readonly why: string,
    /** Origin and path of the URL requested first. */
    readonly url: string,
    /** The status of the response that led to the failure, if one came. */
    readonly status?: number,
  ) {
    super(`${url}: ${why}`);
    this.name = 'HttpRequestError';
  }
}

export interface GuardedRequestOptions {
  url: string | URL;
  /** Default GET. */
  method?: string;
  /** Sent with every hop; an `authorization` among them only to the first URL's origin. */
  headers?: Readonly<Record<string, string>>;
  /** Sent only to the first URL's origin (secrets). */
  originHeaders?: Readonly<Record<string, string>>;
  body?: string;
  allowlist: HostAllowlist;
  lookup?: Lookup;
  timeoutMs: number;
  /** Default 3. */
  maxRedirects?: number;
  /** Read the body up to this many bytes; without it the body is not read (body ''). */
  maxBytes?: number;
  signal?: AbortSignal;
  /** Origin and path prefix every URL, redirects included, must stay under. */
  within?: string;
  /** Whose URL, in messages: "the callback URL", "the callback allowlist". Default 'request'. */
  label?: string;
  /** Redirect statuses after which a POST becomes a GET without body. Default [303] (RFC 9110 15.4.4). */
  postAsGet?: readonly number[];
}

export interface GuardedResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** UTF-8 text, '' when maxBytes was not given. */
  body: string;
  /** The URL that answered, after redirects (whole, for resolving relative URLs; never log it). */
  url: string;
  method: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Origin and path: what logs and errors may show of a URL. */
export function shownUrl(url: URL): string {
  return url.protocol === 'http:' || url.protocol === 'https:' ? `${url.origin}${url.pathname}` : `${url.protocol}//${url.host}${url.pathname}`;
}

/** Origin and path of a URL text, or "(an invalid URL)". */
export function shownText(url: string): string {
  try {
    return shownUrl(new URL(url));
  } catch {
    return '(an invalid URL)';
  }
}

export function errorText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    return code && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}

/** Why a parsed URL may not be called, before any DNS lookup. */
export function urlRefusal(url: URL, allow: HostAllowlist, label = 'request'): string | undefined {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `the ${label} URL must be http:// or https:// (got ${url.protocol}//)`;
  const host = bareHost(url);
  if (!host) return `the ${label} URL has no host`;
  const ip = parseIp(host);
  if (ip) {
    if (allow.covers(ip)) return undefined;
    if (isInternalIp(ip)) return `the host ${host} is an internal address (loopback, private, link-local, multicast or unspecified) and no IP or CIDR entry of the ${label} allowlist covers it`;
    return `the host ${host} is not on the ${label} allowlist`;
  }
  return allow.hasName(host) ? undefined : `the host ${host} is not on the ${label} allowlist`;
}

/**
 * Why a URL is not under `within` (origin and path prefix), or undefined.
 * Both are compared as the URL parser normalised them (dot segments
 * resolved, host lower case, default port dropped); an encoded / or \ in
 * the path is refused, as a server may decode it into a separator.
 */
export function withinRefusal(url: URL, within: string): string | undefined {
  let base: URL;
  try {
    base = new URL(within);
  } catch {
    return 'the allowed prefix is not a valid URL';
  }
  const prefix = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
  const under = url.origin === base.origin && (url.pathname === base.pathname || url.pathname.startsWith(prefix));
  if (!under) return `${shownUrl(url)} is not under ${shownUrl(base)}`;
  if (/%(2f|5c)/i.test(url.pathname)) return `${shownUrl(url)} holds an encoded / or \\ in its path`;
  return undefined;
}

/** The checked address to connect to, or why the host is refused. */
async function resolve(url: URL, allow: HostAllowlist, lookup: Lookup, label: string): Promise<{ address: string; family: number } | { refused: string }> {
  const host = bareHost(url);
  const literal = parseIp(host);
  if (literal) return { address: host, family: literal.v };
  const found = await lookup(host);
  if (!Array.isArray(found) || found.length === 0) throw new Error(`${host} resolves to no address`);
  for (const { address } of found) {
    const ip = parseIp(String(address));
    if (!ip) return { refused: `${host} resolves to ${String(address)}, which is not an IP address` };
    if (isInternalIp(ip) && !allow.covers(ip)) {
      return { refused: `${host} resolves to ${address}, an internal address (loopback, private, link-local, multicast or unspecified) that no IP or CIDR entry of the ${label} allowlist covers` };
    }
  }
  const first = found[0];
  if (!first) throw new Error(`${host} resolves to no address`);
  return { address: first.address, family: parseIp(first.address)?.v ?? 4 };
}

type Hop = { status: number; headers: http.IncomingHttpHeaders; res: http.IncomingMessage };

interface Attempt {
  /** Rejects with a Failure when the deadline passes or the signal fires. */
  stop: Promise<never>;
  /** Whatever is open now (request or response), destroyed when the attempt ends. */
  open: Set<{ destroy(): unknown }>;
}

/** A failure inside one request, before it is told with the URL. */
class Failure extends Error {
  constructor(
    readonly reason: HttpFailure,
    readonly why: string,
    readonly status?: number,
  ) {
    super(why);
  }
}

/**
 * Sends the request, follows redirects, reads the body; resolves with the
 * first response that is not a redirect, whatever its status. Rejects with
 * HttpRequestError.
 */
export async function guardedRequest(options: GuardedRequestOptions): Promise<GuardedResponse> {
  const label = options.label ?? 'request';
  let first: URL;
  try {
    first = new URL(String(options.url));
  } catch {
    throw new HttpRequestError('invalid-url', `the ${label} URL is not a valid URL`, '(an invalid URL)');
  }
  const where = shownUrl(first);
  const open = new Set<{ destroy(): unknown }>();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_resolve, reject) => {
    // Not unref'd: it is always cleared when the request settles, and a test can see that none is left.
    timer = setTimeout(() => reject(new Failure('timeout', `timed out after ${options.timeoutMs} ms`)), options.timeoutMs);
    const signal = options.signal;
    if (signal) {
      onAbort = () => reject(new Failure('aborted', 'aborted'));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  stop.catch(() => {});
  try {
    return await follow(first, options, label, { stop, open });
  } catch (e) {
    if (e instanceof Failure) throw new HttpRequestError(e.reason, e.why, where, e.status);
    throw new HttpRequestError('unreachable', errorText(e), where);
  } finally {
    clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
    for (const thing of open) thing.destroy();
  }
}

async function follow(first: URL, options: GuardedRequestOptions, label: string, attempt: Attempt): Promise<GuardedResponse> {
  const maxRedirects = options.maxRedirects ?? 3;
  const postAsGet = options.postAsGet ?? [303];
  let url = first;
  let method = (options.method ?? 'GET').toUpperCase();
  let body = options.body;
  for (let redirects = 0; ; redirects += 1) {
    const refused = (why: string): Failure => new Failure('refused', redirects === 0 ? why : `refused redirect to ${shownUrl(url)}: ${why}`);
    const why = urlRefusal(url, options.allowlist, label) ?? (options.within === undefined ? undefined : withinRefusal(url, options.within));
    if (why) throw refused(why);
    // The deadline or the signal first: when both are settled, they win.
    const target = await Promise.race([
      attempt.stop,
      resolve(url, options.allowlist, options.lookup ?? defaultLookup, label).catch((e: unknown) => {
        throw new Failure('unreachable', `DNS lookup of ${bareHost(url)} failed: ${errorText(e)}`);
      }),
    ]);
    if ('refused' in target) throw refused(target.refused);

    const headers: Record<string, string | number> = {};
    const sameOrigin = url.origin === first.origin;
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (name.toLowerCase() === 'authorization' && !sameOrigin) continue;
      headers[name] = value;
    }
    if (sameOrigin) Object.assign(headers, options.originHeaders ?? {});
    if (body === undefined) {
      for (const name of Object.keys(headers)) if (/^content-(type|length)$/i.test(name)) delete headers[name];
    } else {
      headers['content-length'] = Buffer.byteLength(body);
    }
    const hop = await Promise.race([attempt.stop, send(url, method, headers, body, target, attempt)]);
    if (!REDIRECTS.has(hop.status)) {
      const text = options.maxBytes === undefined ? '' : await Promise.race([attempt.stop, readBody(hop, options.maxBytes)]);
      hop.res.destroy();
      return { status: hop.status, headers: hop.headers, body: text, url: url.href, method };
    }
    hop.res.destroy();
    const location = hop.headers.location;
    if (!location) throw new Failure('redirects', `HTTP ${hop.status} redirect without a Location header`, hop.status);
    if (redirects >= maxRedirects) throw new Failure('redirects', `more than ${maxRedirects} redirect(s)`, hop.status);
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new Failure('invalid-url', `HTTP ${hop.status} redirect to an invalid URL`, hop.status);
    }
    if (url.protocol === 'https:' && next.protocol === 'http:') throw new Failure('refused', `refused redirect to ${shownUrl(next)}: it leaves https for http`, hop.status);
    if (method === 'POST' && postAsGet.includes(hop.status)) {
      method = 'GET';
      body = undefined;
    }
    url = next;
  }
}

/** One HTTP exchange up to the response head, to the address checked. */
function send(url: URL, method: string, headers: Record<string, string | number>, body: string | undefined, target: { address: string; family: number }, attempt: Attempt): Promise<Hop> {
  return new Promise<Hop>((resolve, reject) => {
    // The socket connects to the address just checked, whatever DNS says now.
    const pinned: net.LookupFunction = (_hostname, options, callback) => {
      if (options.all) callback(null, [{ address: target.address, family: target.family }]);
      else callback(null, target.address, target.family);
    };
    const auth = url.username ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined;
    const request = url.protocol === 'https:' ? https.request : http.request;
    let req: http.ClientRequest;
    try {
      req = request(
        {
          protocol: url.protocol,
          hostname: bareHost(url),
          port: url.port || undefined,
          path: `${url.pathname}${url.search}`,
          method,
          agent: false,
          lookup: pinned,
          ...(auth === undefined ? {} : { auth }),
          headers,
        },
        (res) => {
          attempt.open.add(res);
          res.on('error', () => {});
          resolve({ status: res.statusCode ?? 0, headers: res.headers, res });
        },
      );
    } catch (e) {
      reject(new Failure('unreachable', errorText(e)));
      return;
    }
    attempt.open.add(req);
    req.on('error', (e) => reject(new Failure('unreachable', errorText(e))));
    req.end(body);
  });
}

/** The body as UTF-8 text; over maxBytes (declared or arriving) the response is destroyed at once. */
function readBody(hop: Hop, maxBytes: number): Promise<string> {
  const { res } = hop;
  return new Promise<string>((resolve, reject) => {
    const tooLarge = (): void => {
      res.destroy();
      reject(new Failure('too-large', `the response is over ${maxBytes} bytes`, hop.status));
    };
    const declared = Number(hop.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      tooLarge();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        tooLarge();
        return;
      }
      chunks.push(chunk);
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('close', () => {
      if (!res.complete) reject(new Failure('unreachable', 'the connection closed before the whole response arrived', hop.status));
    });
  });
}
