/**
 * The application server as a call's conversation sees it
 * (docs/http-ivr.md): `app.request(jump, currentUrl, facts, event, signal)`
 * asks it what to do next and answers with its document.
 *
 * - The URL: the jump's URL resolved against the URL of the document that
 *   named it; the first request of a call goes to the base URL.
 * - The parameters (parameters.ts): in the callflow names, in the query
 *   string always, and for a POST in the body too (JSON, or a form with
 *   `vars` as JSON text); in Twilio's names in twiml mode, a form-encoded
 *   POST or a GET with them in the query, as Twilio sends them.
 * - The signature header (signature.ts) when a secret is set.
 * - Retries: 5xx, 429, timeouts and network errors are tried again
 *   (`retries` times, default 1) after a backoff (250 ms doubled each time,
 *   ±20% jitter, at most 2 s) that the call's hang-up cuts short; other 4xx,
 *   refusals, a body over the limit and redirect loops are not. Then the
 *   fallback URL, once, with errorReason and errorUrl (ErrorCode and
 *   ErrorUrl in twiml mode, as Twilio sends them to a fallback URL); then an
 *   ApplicationError.
 * - The HTTP itself is lib/net/http-request.ts: allowlist after DNS,
 *   redirects checked, `within`, maxBytes (default 64 KiB, the figure our
 *   issue gives for Twilio's TwiML limit; we found no Twilio page stating
 *   it). After a 301, 302 or 303 a POST becomes a GET, as browsers do (the
 *   Fetch standard; Twilio's old "Responding to a Twilio Request" page says
 *   it follows redirects "just like a normal web browser"); the callflow
 *   parameters are in the query, so the application still gets them.
 * Logs show the method, origin and path, the status and the reason; never
 * the query string, a header value or the secret.
 */
import type { Logger } from '../log';
import { silentLogger } from '../log';
import { HostAllowlist } from '../net/addresses';
import { HttpRequestError, guardedRequest, shownUrl, urlRefusal, withinRefusal, type HttpFailure, type Lookup } from '../net/http-request';
import type { CallEvent, CallFacts, Jump } from './commands';
import { callflowParameters, twilioErrorCode, twilioParameters, type FlatParameters } from './parameters';
import { CALLFLOW_SIGNATURE_HEADER, TWILIO_SIGNATURE_HEADER, callflowSignature, twilioSignature } from './signature';

export type RequestMode = 'callflow' | 'twiml';
export type BodyEncoding = 'json' | 'form';
export type HttpMethod = 'GET' | 'POST';

export interface ApplicationOptions {
  /** Where the first request of a call goes. */
  baseUrl: string;
  /** For requests whose jump names none, default POST. */
  method?: HttpMethod;
  /** Extra headers (an API key...): names are tokens, values one line; never Host, Content-Length, Content-Type or a signature header. Sent to the base URL's origin only. */
  headers?: Readonly<Record<string, string>>;
  /** Body of a POST in callflow mode, default 'json' (twiml mode: always a form). */
  encoding?: BodyEncoding;
  /** Per attempt, redirects and body included, default 5000. */
  timeoutMs?: number;
  /** Attempts after the first, default 1. */
  retries?: number;
  /** First backoff, default 250 ms; doubled each retry, at most maxBackoffMs (default 2000). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Requested once when the retries are spent. */
  fallbackUrl?: string;
  /** HMAC key of the signature header; '' or none: no header. */
  secret?: string;
  /** Hosts the application may be on (lib/net/addresses.ts HostAllowlist). */
  allowlist: readonly string[];
  /** Largest document, default 65536 bytes. */
  maxBytes?: number;
  mode?: RequestMode;
  /** Origin and path prefix every URL (jumps, redirects, fallback) must stay under. */
  within?: string;
  /** twiml mode: the AccountSid parameter ('' or none: not sent). */
  accountSid?: string;
  maxRedirects?: number;
  lookup?: Lookup;
  logger?: Logger;
  /** A number in [0, 1) for the jitter; tests fix it. */
  random?: () => number;
  /** Unix seconds for the signature's t; tests fix it. */
  now?: () => number;
}

/** Why the application could not be asked: a failure of the HTTP request, an answer that is not 2xx, bad settings or a bad jump. */
export type ApplicationFailure = HttpFailure | 'http-status' | 'invalid-request';

export class ApplicationError extends Error {
  constructor(
    readonly reason: ApplicationFailure,
    message: string,
    /** Origin and path of the URL that failed. */
    readonly url: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ApplicationError';
  }
}

export interface ApplicationAnswer {
  /** The URL that answered, after redirects: the base for the relative URLs of its document. */
  url: string;
  /** The Content-Type header, '' when none. */
  contentType: string;
  body: string;
  status: number;
  /** The answer came from the fallback URL. */
  fallback: boolean;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers the request sets itself, or that would let a value rewrite the request. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'content-type', 'transfer-encoding', 'connection', 'upgrade', 'expect', 'te', 'trailer', 'keep-alive', 'proxy-connection', CALLFLOW_SIGNATURE_HEADER, TWILIO_SIGNATURE_HEADER]);
/** One line of visible text (tabs allowed): no CR, LF, NUL or other control. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const MAX_BYTES_LIMIT = 16 * 1024 * 1024;

function wholeIn(value: unknown, fallback: number, min: number, max: number, field: string, problems: string[]): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    problems.push(`${field} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`);
    return fallback;
  }
  return value;
}

function checkUrl(text: unknown, field: string, allow: HostAllowlist, within: string | undefined, problems: string[]): URL | undefined {
  if (typeof text !== 'string' || text.trim() === '') {
    problems.push(`${field} is missing`);
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    problems.push(`${field} is not a valid URL (got ${JSON.stringify(text.slice(0, 80))})`);
    return undefined;
  }
  const why = urlRefusal(url, allow, 'application') ?? (within === undefined ? undefined : withinRefusal(url, within));
  if (why) problems.push(`${field} ${shownUrl(url)}: ${why}`);
  return url;
}

/**
 * What is wrong with the settings, each naming the field (and the value,
 * but never a header's value or the secret); [] when nothing is.
 */
export function applicationProblems(options: ApplicationOptions): string[] {
  const problems: string[] = [];
  const allow = new HostAllowlist(Array.isArray(options.allowlist) ? options.allowlist : []);
  for (const bad of allow.invalid) problems.push(`allowlist entry ${JSON.stringify(bad)} is not a host name, *.domain, IP address or CIDR range`);
  if (allow.entries.length === 0 && allow.invalid.length === 0) problems.push('allowlist is empty: add the host of the application');
  if (options.within !== undefined) {
    try {
      new URL(options.within);
    } catch {
      problems.push(`within is not a valid URL (got ${JSON.stringify(String(options.within).slice(0, 80))})`);
    }
  }
  const within = problems.some((p) => p.startsWith('within')) ? undefined : options.within;
  checkUrl(options.baseUrl, 'baseUrl', allow, within, problems);
  if (options.fallbackUrl !== undefined && options.fallbackUrl !== '') checkUrl(options.fallbackUrl, 'fallbackUrl', allow, within, problems);
  if (options.method !== undefined && options.method !== 'GET' && options.method !== 'POST') problems.push(`method must be GET or POST (got ${JSON.stringify(options.method)})`);
  if (options.encoding !== undefined && options.encoding !== 'json' && options.encoding !== 'form') problems.push(`encoding must be json or form (got ${JSON.stringify(options.encoding)})`);
  if (options.mode !== undefined && options.mode !== 'callflow' && options.mode !== 'twiml') problems.push(`mode must be callflow or twiml (got ${JSON.stringify(options.mode)})`);
  if (options.secret !== undefined && typeof options.secret !== 'string') problems.push('secret must be text');
  if (options.accountSid !== undefined && (typeof options.accountSid !== 'string' || !HEADER_VALUE.test(options.accountSid))) problems.push('accountSid must be one line of text');
  wholeIn(options.timeoutMs, 5000, 1, 120_000, 'timeoutMs', problems);
  wholeIn(options.retries, 1, 0, 10, 'retries', problems);
  wholeIn(options.backoffMs, 250, 0, 60_000, 'backoffMs', problems);
  wholeIn(options.maxBackoffMs, 2000, 0, 60_000, 'maxBackoffMs', problems);
  wholeIn(options.maxBytes, 65536, 1, MAX_BYTES_LIMIT, 'maxBytes', problems);
  wholeIn(options.maxRedirects, 3, 0, 10, 'maxRedirects', problems);
  const headers: unknown = options.headers ?? {};
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) problems.push('headers must be an object of names and values');
  else {
    for (const [name, value] of Object.entries(headers)) {
      const shown = JSON.stringify(name.slice(0, 80));
      if (!TOKEN.test(name)) problems.push(`header name ${shown} is not an HTTP token (letters, digits and !#$%&'*+.^_\`|~-)`);
      else if (RESERVED_HEADERS.has(name.toLowerCase())) problems.push(`header ${shown} may not be set: the request sets it itself`);
      else if (typeof value !== 'string') problems.push(`header ${shown} must have a text value`);
      else if (!HEADER_VALUE.test(value)) problems.push(`header ${shown} has a value with a line break or another control character`);
    }
  }
  return problems;
}

export class Application {
  readonly mode: RequestMode;
  readonly baseUrl: string;
  private readonly method: HttpMethod;
  private readonly headers: Record<string, string>;
  private readonly encoding: BodyEncoding;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly fallbackUrl: string | undefined;
  private readonly secret: string;
  private readonly allow: HostAllowlist;
  private readonly maxBytes: number;
  private readonly within: string | undefined;
  private readonly accountSid: string;
  private readonly maxRedirects: number;
  private readonly lookup: Lookup | undefined;
  private readonly logger: Logger;
  private readonly random: () => number;
  private readonly now: () => number;

  /** Throws a RangeError naming every wrong setting (applicationProblems). */
  constructor(options: ApplicationOptions) {
    const problems = applicationProblems(options);
    if (problems.length > 0) throw new RangeError(`HTTP IVR application settings: ${problems.join('; ')}`);
    this.mode = options.mode ?? 'callflow';
    this.baseUrl = options.baseUrl;
    this.method = options.method ?? 'POST';
    this.headers = { ...options.headers };
    this.encoding = this.mode === 'twiml' ? 'form' : (options.encoding ?? 'json');
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.retries = options.retries ?? 1;
    this.backoffMs = options.backoffMs ?? 250;
    this.maxBackoffMs = options.maxBackoffMs ?? 2000;
    this.fallbackUrl = options.fallbackUrl === '' ? undefined : options.fallbackUrl;
    this.secret = options.secret ?? '';
    this.allow = new HostAllowlist(options.allowlist);
    this.maxBytes = options.maxBytes ?? 65536;
    this.within = options.within;
    this.accountSid = options.accountSid ?? '';
    this.maxRedirects = options.maxRedirects ?? 3;
    this.lookup = options.lookup;
    this.logger = options.logger ?? silentLogger;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
  }

  /**
   * Asks the application about the call: `target` resolved against
   * `current`; without a target, `current` again (TwiML's default action),
   * and the first request, with neither, the base URL. Retries, then the
   * fallback. Rejects with an ApplicationError; reason 'aborted' as soon as
   * the signal fires.
   */
  async request(target: Jump | undefined, current: string | undefined, facts: CallFacts, event: CallEvent, signal: AbortSignal): Promise<ApplicationAnswer> {
    const method = target?.method ?? this.method;
    let first: ApplicationError;
    try {
      return await this.withRetries(this.resolve(target, current), method, facts, event, signal);
    } catch (e) {
      first = e as ApplicationError;
    }
    if (first.reason === 'aborted' || this.fallbackUrl === undefined) throw first;
    const fallback = new URL(this.fallbackUrl);
    this.logger.warn(`HTTP IVR: ${first.message}; trying the fallback ${shownUrl(fallback)}`);
    try {
      const answer = await this.attempt(fallback, this.method, facts, event, { reason: first.reason, url: first.url, why: first.message }, signal);
      return { ...answer, fallback: true };
    } catch (e) {
      const second = e as ApplicationError;
      if (second.reason === 'aborted') throw second;
      throw new ApplicationError(first.reason, `${first.message}; the fallback failed too: ${second.message}`, first.url, first.status);
    }
  }

  /** The URL to request; a jump that is no URL is an error (reason invalid-url) that shows its text up to any query. */
  private resolve(target: Jump | undefined, current: string | undefined): URL {
    try {
      return target ? new URL(target.url, current ?? this.baseUrl) : new URL(current ?? this.baseUrl);
    } catch {
      const text = String(target?.url ?? current).split(/[?#]/)[0] ?? '';
      throw new ApplicationError('invalid-url', `the jump URL ${JSON.stringify(text.slice(0, 80))} is not a valid URL`, '(an invalid URL)');
    }
  }

  private async withRetries(url: URL, method: HttpMethod, facts: CallFacts, event: CallEvent, signal: AbortSignal): Promise<ApplicationAnswer> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.attempt(url, method, facts, event, undefined, signal);
      } catch (e) {
        const failure = e as ApplicationError & { retry?: boolean };
        if (!failure.retry || attempt >= this.retries) {
          if (failure.retry && attempt > 0) throw new ApplicationError(failure.reason, `${failure.message} (${attempt + 1} attempts)`, failure.url, failure.status);
          throw failure;
        }
        const delay = this.backoff(attempt);
        this.logger.debug(`HTTP IVR: ${failure.message}; attempt ${attempt + 2} in ${delay} ms`);
        await pause(delay, signal, shownUrl(url));
      }
    }
  }

  /** Before retry n (0 for the first retry): backoffMs·2ⁿ, ±20%, at most maxBackoffMs. */
  private backoff(n: number): number {
    const raw = Math.min(this.backoffMs * 2 ** n, this.maxBackoffMs);
    return Math.round(Math.min(raw * (0.8 + this.random() * 0.4), this.maxBackoffMs));
  }

  /** One request (redirects included); a failure says whether a retry may help (`retry`). */
  private async attempt(url: URL, method: HttpMethod, facts: CallFacts, event: CallEvent, error: { reason: ApplicationFailure; url: string; why: string } | undefined, signal: AbortSignal): Promise<ApplicationAnswer> {
    const built = this.build(url, method, facts, event, error);
    const where = shownUrl(url);
    try {
      const res = await guardedRequest({
        url: built.url,
        method,
        headers: built.headers,
        originHeaders: this.originHeaders(url, built.signature),
        ...(built.body === undefined ? {} : { body: built.body }),
        allowlist: this.allow,
        ...(this.lookup ? { lookup: this.lookup } : {}),
        timeoutMs: this.timeoutMs,
        maxRedirects: this.maxRedirects,
        maxBytes: this.maxBytes,
        signal,
        ...(this.within === undefined ? {} : { within: this.within }),
        label: 'application',
        postAsGet: [301, 302, 303],
      });
      this.logger.debug(`HTTP IVR: ${method} ${where}: HTTP ${res.status}`);
      if (res.status >= 200 && res.status < 300) {
        const type = res.headers['content-type'];
        return { url: res.url, contentType: typeof type === 'string' ? type : '', body: res.body, status: res.status, fallback: false };
      }
      const failure = new ApplicationError('http-status', `${method} ${where}: HTTP ${res.status}`, where, res.status);
      throw Object.assign(failure, { retry: res.status >= 500 || res.status === 429 });
    } catch (e) {
      if (e instanceof ApplicationError) throw e;
      if (e instanceof HttpRequestError) {
        const failure = new ApplicationError(e.reason, `${method} ${where}: ${e.why}`, where, e.status);
        throw Object.assign(failure, { retry: e.reason === 'timeout' || e.reason === 'unreachable' });
      }
      throw new ApplicationError('unreachable', `${method} ${where}: ${e instanceof Error ? e.message : String(e)}`, where);
    }
  }

  /** The extra headers and the signature go to the origin of the URL they were made for, never to a redirect elsewhere. */
  private originHeaders(url: URL, signature: Record<string, string>): Record<string, string> {
    const base = new URL(this.baseUrl);
    return { ...(url.origin === base.origin ? this.headers : {}), ...signature };
  }

  /** The signature header, none without a secret. */
  private sign(name: string, value: () => string): Record<string, string> {
    return this.secret === '' ? {} : { [name]: value() };
  }

  /** The URL with its query, the body and the headers of one request. */
  private build(target: URL, method: HttpMethod, facts: CallFacts, event: CallEvent, error: { reason: ApplicationFailure; url: string; why: string } | undefined): { url: string; body?: string; headers: Record<string, string>; signature: Record<string, string> } {
    const url = new URL(target.href);
    url.hash = '';
    const headers: Record<string, string> = { 'user-agent': 'node-red-contrib-callflow HTTP IVR', accept: this.mode === 'twiml' ? 'text/xml, application/xml' : 'application/json, application/xml, text/xml' };
    if (this.mode === 'twiml') {
      const params = twilioParameters(facts, event, { accountSid: this.accountSid });
      if (error) {
        params.ErrorCode = twilioErrorCode(error.reason, error.why);
        params.ErrorUrl = error.url;
      }
      if (method === 'GET') {
        for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
        const signature = this.sign(TWILIO_SIGNATURE_HEADER, () => twilioSignature(this.secret, url.href, {}));
        return { url: url.href, headers, signature };
      }
      const body = new URLSearchParams(params).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded; charset=utf-8';
      const signature = this.sign(TWILIO_SIGNATURE_HEADER, () => twilioSignature(this.secret, url.href, params));
      return { url: url.href, body, headers, signature };
    }

    const flat: FlatParameters = callflowParameters(facts, event);
    if (error) {
      flat.errorReason = error.reason;
      flat.errorUrl = error.url;
    }
    let varsText: string;
    try {
      varsText = JSON.stringify(facts.vars ?? {});
    } catch (e) {
      throw new ApplicationError('invalid-request', `the call's variables cannot be sent as JSON: ${e instanceof Error ? e.message : String(e)}`, shownUrl(url));
    }
    for (const [name, value] of Object.entries(flat)) url.searchParams.set(name, String(value));
    const hasVars = varsText !== '{}';
    let body: string | undefined;
    if (method === 'GET') {
      if (hasVars) url.searchParams.set('vars', varsText);
    } else if (this.encoding === 'json') {
      body = `${JSON.stringify(flat).slice(0, -1)},"vars":${varsText}}`;
      headers['content-type'] = 'application/json; charset=utf-8';
    } else {
      const form = new URLSearchParams();
      for (const [name, value] of Object.entries(flat)) form.set(name, String(value));
      form.set('vars', varsText);
      body = form.toString();
      headers['content-type'] = 'application/x-www-form-urlencoded; charset=utf-8';
    }
    const signature = this.sign(CALLFLOW_SIGNATURE_HEADER, () => callflowSignature(this.secret, this.now(), method, url.href, body ?? ''));
    return { url: url.href, ...(body === undefined ? {} : { body }), headers, signature };
  }
}

/** Waits `ms`, or rejects as soon as the signal fires; leaves no timer and no listener behind. */
function pause(ms: number, signal: AbortSignal, where: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const aborted = (): ApplicationError => new ApplicationError('aborted', `${where}: aborted while waiting to retry`, where);
    if (signal.aborted) {
      reject(aborted());
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(aborted());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
