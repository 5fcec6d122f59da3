/**
 * The campaign's HTTP callback: when a call connects and when it is
 * released, the campaign POSTs a JSON body ({event, dataId, taskId, ...})
 * to the task's callback URL.
 *
 * The URL is typed by a user of the editor, so the sender guards against
 * server-side request forgery:
 * - the host must be on the task's allowlist (exact name, *.domain, IP
 *   address or CIDR range);
 * - every address a name resolves to is checked, and an internal address
 *   (loopback, private, link-local, ...) needs an IP or CIDR entry that
 *   covers it; a name entry alone is not enough;
 * - the socket connects to the address that was checked (a `lookup` that
 *   returns it), so the name cannot be re-resolved elsewhere in between
 *   (DNS rebinding); Host and SNI stay the name;
 * - redirects are followed by hand, each new URL checked the same way.
 *
 * Delivery never blocks the dialer: send() queues and returns, at most
 * MAX_IN_FLIGHT requests run at once, failures are retried with backoff,
 * and the queue is bounded. Logs show origin and path only, never the
 * query string (it may carry a token) nor user:password.
 *
 * The receiver's secret (callback-secrets.ts) is given apart from the URL:
 * its query parameters are appended at send time, its Authorization header
 * goes only to the URL's own origin.
 */
import type { Logger } from '../log';
import { silentLogger } from '../log';
import { HostAllowlist as Allowlist } from '../net/addresses';
import { HttpRequestError, defaultLookup, errorText, guardedRequest, shownText, urlRefusal as refusal, type Lookup } from '../net/http-request';
import { withSecretQuery, type CallbackSecrets } from './callback-secrets';

export { isInternalAddress } from '../net/addresses';

export interface CallbackPayload {
  dataId: string;
  taskId: string;
  sessionId: string;
  calledNo: string;
  beginTime: string;
  vdnId: string;
  failCode: string;
  callId: string;
  filePath: string;
  /** Spelt as in the specification. */
  customFiled: string;
}

export interface CallbackOptions {
  /** Without secrets: they come in `secrets`. */
  url: string;
  /** What the receiver checks (the campaign's credentials); never logged. */
  secrets?: CallbackSecrets;
  allowlist: string[];
  logger?: Logger;
  /** DNS lookup, injectable for tests: all addresses of a host. Default dns.promises.lookup(host, {all:true}). */
  lookup?: (host: string) => Promise<{ address: string; family: number }[]>;
  /** Attempts per callback, default 5. */
  maxAttempts?: number;
  /** Delay before the first retry, default 1000 ms, doubled each retry (with jitter ±20%), capped at 60 s. */
  baseDelayMs?: number;
  /** Per request (DNS lookup included), default 5000 ms. */
  timeoutMs?: number;
  /** Callbacks waiting beyond the MAX_IN_FLIGHT that run, default 10000; when full the oldest waiting one is dropped with a warning (reported with an error). */
  maxQueue?: number;
  /** Default 3. */
  maxRedirects?: number;
}

export type CallbackEvent = 'connect' | 'release';

export interface CallbackResult {
  event: CallbackEvent;
  payload: CallbackPayload;
  ok: boolean;
  attempts: number;
  status?: number;
  error?: string;
}

/** Requests on the wire at once, per sender. */
export const MAX_IN_FLIGHT = 4;
const MAX_DELAY_MS = 60_000;
const PAYLOAD_FIELDS = ['dataId', 'taskId', 'sessionId', 'calledNo', 'beginTime', 'vdnId', 'failCode', 'callId', 'filePath', 'customFiled'] as const;

/** Why a parsed URL may not be called, before any DNS lookup. */
function urlRefusal(url: URL, allow: Allowlist): string | undefined {
  return refusal(url, allow, 'callback');
}

/**
 * Static check at deploy: a sentence saying why the URL is refused (not
 * http/https, host not on the allowlist, an IP literal in a refused range,
 * a malformed allowlist entry), or undefined. Addresses a name resolves to
 * are checked at each send.
 */
export function checkCallbackUrl(url: string, allowlist: string[]): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'the callback URL is not a valid URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return urlRefusal(parsed, new Allowlist([]));
  const allow = new Allowlist(allowlist);
  const bad = allow.invalid[0];
  if (bad !== undefined) return `the callback allowlist entry ${JSON.stringify(bad)} is not a host name, *.domain, IP address or CIDR range`;
  if (allow.entries.length === 0) return 'the callback allowlist is empty: add the host of the callback URL';
  return urlRefusal(parsed, allow);
}

// ---------------------------------------------------------------------------
// Sender

type Outcome = { kind: 'ok'; status: number } | { kind: 'retry'; error: string; status?: number } | { kind: 'final'; error: string; status?: number };

interface Job {
  seq: number;
  event: CallbackEvent;
  payload: CallbackPayload;
  body: string;
  attempts: number;
  state: 'ready' | 'flight' | 'backoff';
  done: boolean;
  timer?: NodeJS.Timeout;
  abort?: AbortController;
}

function whole(value: number | undefined, fallback: number, min: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.max(min, Math.floor(value)) : fallback;
}

export class CallbackSender {
  private readonly url: string;
  private readonly secrets: CallbackSecrets;
  private readonly allow: Allowlist;
  private readonly logger: Logger;
  private readonly lookup: Lookup;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly timeoutMs: number;
  private readonly maxQueue: number;
  private readonly maxRedirects: number;

  /** Every callback not yet finished, in the order sent. */
  private readonly jobs = new Set<Job>();
  private readonly ready: Job[] = [];
  private readonly flights = new Set<Promise<void>>();
  private readonly listeners = new Set<(r: CallbackResult) => void>();
  private drainWaiters: (() => void)[] = [];
  private inFlight = 0;
  private pendingEmits = 0;
  private seq = 0;
  private pumpScheduled = false;
  private closed = false;

  constructor(options: CallbackOptions) {
    this.url = options.url;
    this.secrets = { ...options.secrets };
    this.allow = new Allowlist(Array.isArray(options.allowlist) ? options.allowlist : []);
    this.logger = options.logger ?? silentLogger;
    this.lookup = options.lookup ?? defaultLookup;
    this.maxAttempts = whole(options.maxAttempts, 5, 1);
    this.baseDelayMs = whole(options.baseDelayMs, 1000, 0);
    this.timeoutMs = whole(options.timeoutMs, 5000, 1);
    this.maxQueue = whole(options.maxQueue, 10000, 1);
    this.maxRedirects = whole(options.maxRedirects, 3, 0);
    for (const bad of this.allow.invalid) this.logger.warn(`callback allowlist entry ${JSON.stringify(bad)} ignored: not a host name, *.domain, IP address or CIDR range`);
  }

  /** Queues a POST (body: {event, ...payload}); returns at once, never throws, never waits for the network. */
  send(event: CallbackEvent, payload: CallbackPayload): void {
    try {
      if (this.closed) {
        this.report({ event, payload, ok: false, attempts: 0, error: 'closed' });
        return;
      }
      const body: Record<string, unknown> = { event };
      for (const f of PAYLOAD_FIELDS) body[f] = payload[f];
      const job: Job = { seq: ++this.seq, event, payload, body: JSON.stringify(body), attempts: 0, state: 'ready', done: false };
      this.jobs.add(job);
      this.ready.push(job);
      // Waiting = not in flight, counting the ones about to start as in flight (a burst of MAX_IN_FLIGHT never drops).
      if (this.jobs.size - MAX_IN_FLIGHT > this.maxQueue) this.dropOldest();
      this.schedulePump();
    } catch (e) {
      this.logger.error(`callback ${event} not queued: ${errorText(e)}`);
    }
  }

  onResult(listener: (r: CallbackResult) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Resolves when every queued callback has finished (success or given up). */
  drain(): Promise<void> {
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Stops retrying; pending ones are given up (reported with error 'closed'). */
  async close(): Promise<void> {
    this.closed = true;
    this.ready.length = 0;
    for (const job of [...this.jobs]) {
      if (job.timer) clearTimeout(job.timer);
      job.abort?.abort();
      this.finish(job, { event: job.event, payload: job.payload, ok: false, attempts: job.attempts, error: 'closed' });
    }
    await Promise.allSettled([...this.flights]);
    await this.drain();
  }

  private idle(): boolean {
    return this.jobs.size === 0 && this.pendingEmits === 0;
  }

  private dropOldest(): void {
    for (const job of this.jobs) {
      if (job.state === 'flight') continue;
      if (job.state === 'ready') this.ready.splice(this.ready.indexOf(job), 1);
      if (job.timer) clearTimeout(job.timer);
      this.logger.warn(`callback queue full (${this.maxQueue} waiting): dropped the oldest, ${job.event} of call ${job.payload.callId}`);
      this.finish(job, { event: job.event, payload: job.payload, ok: false, attempts: job.attempts, error: `dropped: the callback queue is full (${this.maxQueue} waiting)` });
      return;
    }
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (!this.closed && this.inFlight < MAX_IN_FLIGHT) {
      const job = this.ready.shift();
      if (!job) return;
      this.start(job);
    }
  }

  private start(job: Job): void {
    job.state = 'flight';
    job.attempts += 1;
    job.abort = new AbortController();
    this.inFlight += 1;
    const flight: Promise<void> = this.deliver(job, job.abort.signal)
      .catch((e: unknown): Outcome => ({ kind: 'retry', error: errorText(e) }))
      .then((outcome) => {
        this.inFlight -= 1;
        this.flights.delete(flight);
        job.abort = undefined;
        if (!job.done) this.settle(job, outcome);
        this.schedulePump();
      });
    this.flights.add(flight);
  }

  private settle(job: Job, outcome: Outcome): void {
    const where = this.shownUrl();
    const base = { event: job.event, payload: job.payload, attempts: job.attempts };
    if (outcome.kind === 'ok') {
      this.logger.debug(`callback ${job.event} delivered to ${where}: HTTP ${outcome.status} (attempt ${job.attempts})`);
      this.finish(job, { ...base, ok: true, status: outcome.status });
      return;
    }
    const status = outcome.status === undefined ? {} : { status: outcome.status };
    if (outcome.kind === 'final') {
      this.logger.warn(`callback ${job.event} to ${where} failed: ${outcome.error}`);
      this.finish(job, { ...base, ok: false, ...status, error: outcome.error });
      return;
    }
    if (job.attempts >= this.maxAttempts) {
      this.logger.warn(`callback ${job.event} to ${where} given up after ${job.attempts} attempt(s): ${outcome.error}`);
      this.finish(job, { ...base, ok: false, ...status, error: outcome.error });
      return;
    }
    const delay = this.backoff(job.attempts);
    this.logger.debug(`callback ${job.event} to ${where} failed (${outcome.error}); attempt ${job.attempts + 1} in ${delay} ms`);
    job.state = 'backoff';
    job.timer = setTimeout(() => {
      job.timer = undefined;
      if (job.done) return;
      job.state = 'ready';
      this.ready.push(job);
      this.pump();
    }, delay);
    job.timer.unref();
  }

  private backoff(attempts: number): number {
    const raw = Math.min(this.baseDelayMs * 2 ** (attempts - 1), MAX_DELAY_MS);
    return Math.round(Math.min(raw * (0.8 + Math.random() * 0.4), MAX_DELAY_MS));
  }

  private finish(job: Job, result: CallbackResult): void {
    if (job.done) return;
    job.done = true;
    this.jobs.delete(job);
    this.report(result);
  }

  /** Listeners hear a result in a microtask (never inside send()); drain() resolves after they did. */
  private report(result: CallbackResult): void {
    this.pendingEmits += 1;
    queueMicrotask(() => {
      this.pendingEmits -= 1;
      for (const listener of [...this.listeners]) {
        try {
          listener(result);
        } catch (e) {
          this.logger.error(`callback result listener failed: ${errorText(e)}`);
        }
      }
      if (this.idle()) {
        const waiters = this.drainWaiters;
        this.drainWaiters = [];
        for (const w of waiters) w();
      }
    });
  }

  private shownUrl(): string {
    return shownText(this.url);
  }

  /** One attempt: the URL and the redirects it leads to (lib/net/http-request.ts). */
  private async deliver(job: Job, signal: AbortSignal): Promise<Outcome> {
    let url: URL;
    try {
      url = withSecretQuery(new URL(this.url), this.secrets.query);
    } catch {
      return { kind: 'final', error: 'the callback URL is not a valid URL' };
    }
    try {
      const { status } = await guardedRequest({
        url,
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'node-red-contrib-callflow campaign callback' },
        // The Authorization secret is for the receiver, not for whoever it redirects to.
        ...(this.secrets.authorization === undefined ? {} : { originHeaders: { authorization: this.secrets.authorization } }),
        body: job.body,
        allowlist: this.allow,
        lookup: this.lookup,
        timeoutMs: this.timeoutMs,
        maxRedirects: this.maxRedirects,
        signal,
        label: 'callback',
      });
      if (status >= 200 && status < 300) return { kind: 'ok', status };
      if (status >= 500 || status === 429) return { kind: 'retry', status, error: `HTTP ${status}` };
      return { kind: 'final', status, error: `HTTP ${status}` };
    } catch (e) {
      if (!(e instanceof HttpRequestError)) return { kind: 'retry', error: errorText(e) };
      const status = e.status === undefined ? {} : { status: e.status };
      const final = e.reason === 'refused' || e.reason === 'invalid-url' || e.reason === 'redirects';
      return { kind: final ? 'final' : 'retry', ...status, error: e.why };
    }
  }
}
