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
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Logger } from '../log';
import { silentLogger } from '../log';
import { withSecretQuery, type CallbackSecrets } from './callback-secrets';

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
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const PAYLOAD_FIELDS = ['dataId', 'taskId', 'sessionId', 'calledNo', 'beginTime', 'vdnId', 'failCode', 'callId', 'filePath', 'customFiled'] as const;

// ---------------------------------------------------------------------------
// Addresses

interface Ip {
  v: 4 | 6;
  /** 4 or 16 bytes. */
  b: number[];
}

function parseIp(text: string): Ip | undefined {
  let s = text.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (net.isIPv4(s)) return { v: 4, b: s.split('.').map(Number) };
  if (!net.isIPv6(s)) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const words = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const token of part.split(':')) {
      if (token.includes('.')) {
        if (!net.isIPv4(token)) return undefined;
        const [a = 0, b = 0, c = 0, d = 0] = token.split('.').map(Number);
        out.push(a * 256 + b, c * 256 + d);
      } else {
        if (!/^[0-9a-f]{1,4}$/i.test(token)) return undefined;
        out.push(parseInt(token, 16));
      }
    }
    return out;
  };
  const head = words(halves[0] ?? '');
  const tail = halves.length === 2 ? words(halves[1] ?? '') : [];
  if (!head || !tail) return undefined;
  const fill = 8 - head.length - tail.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) return undefined;
  const all = [...head, ...new Array<number>(fill).fill(0), ...tail];
  return { v: 6, b: all.flatMap((w) => [w >> 8, w & 0xff]) };
}

/** IPv4-mapped IPv6 (::ffff:a.b.c.d) is the IPv4 address it carries. */
function normalize(ip: Ip): Ip {
  if (ip.v === 6 && ip.b.slice(0, 10).every((x) => x === 0) && ip.b[10] === 0xff && ip.b[11] === 0xff) return { v: 4, b: ip.b.slice(12) };
  return ip;
}

function inRange(ip: Ip, base: Ip, prefix: number): boolean {
  if (ip.v !== base.v) return false;
  for (let bit = 0; bit < prefix; bit += 8) {
    const bits = Math.min(8, prefix - bit);
    const mask = (0xff << (8 - bits)) & 0xff;
    const i = bit / 8;
    if (((ip.b[i] ?? 0) & mask) !== ((base.b[i] ?? 0) & mask)) return false;
  }
  return true;
}

function range(cidr: string): [Ip, number] {
  const [addr = '', prefix = ''] = cidr.split('/');
  const ip = parseIp(addr);
  if (!ip) throw new Error(`bad range ${cidr}`);
  return [ip, Number(prefix)];
}

const V4_INTERNAL = [
  '0.0.0.0/8', // unspecified, "this network"
  '10.0.0.0/8',
  '100.64.0.0/10', // carrier-grade NAT
  '127.0.0.0/8',
  '169.254.0.0/16', // link-local (cloud metadata services)
  '172.16.0.0/12',
  '192.0.0.0/24', // IETF protocol assignments
  '192.168.0.0/16',
  '198.18.0.0/15', // benchmarking networks
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, broadcast
].map(range);

const V6_INTERNAL = [
  '::/96', // unspecified, loopback, deprecated IPv4-compatible forms
  'fc00::/7', // unique local
  'fe80::/10', // link-local
  'fec0::/10', // deprecated site-local
  'ff00::/8', // multicast
].map(range);

/** Ranges that carry an IPv4 address in their last 32 bits. */
const V6_EMBEDDING = [
  '::ffff:0:0:0/96', // IPv4-translated
  '64:ff9b::/96', // NAT64
].map(range);

function internal(address: Ip): boolean {
  const ip = normalize(address);
  if (ip.v === 4) return V4_INTERNAL.some(([base, prefix]) => inRange(ip, base, prefix));
  if (V6_INTERNAL.some(([base, prefix]) => inRange(ip, base, prefix))) return true;
  if (V6_EMBEDDING.some(([base, prefix]) => inRange(ip, base, prefix))) return internal({ v: 4, b: ip.b.slice(12) });
  return false;
}

/**
 * Whether an address is loopback, private (10/8, 172.16/12, 192.168/16,
 * 100.64/10, fc00::/7), link-local (169.254/16, fe80::/10), unspecified,
 * multicast or IPv4-mapped forms of these. Also refused: 0/8, 240/4
 * (reserved and broadcast), fec0::/10, the whole deprecated ::/96 and
 * internal IPv4 addresses inside ::ffff:0:0:0/96 and 64:ff9b::/96.
 * Not an IP address: false.
 */
export function isInternalAddress(address: string): boolean {
  const ip = parseIp(address);
  return ip !== undefined && internal(ip);
}

// ---------------------------------------------------------------------------
// Allowlist

type Entry = { kind: 'name'; name: string } | { kind: 'suffix'; suffix: string } | { kind: 'ip'; ip: Ip; prefix: number };

const NAME = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/;

function hostName(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

function parseEntry(raw: string): Entry | undefined {
  const text = raw.trim();
  const slash = text.lastIndexOf('/');
  if (slash >= 0) {
    const addr = parseIp(text.slice(0, slash));
    const bits = text.slice(slash + 1);
    if (!addr || !/^[0-9]{1,3}$/.test(bits)) return undefined;
    let prefix = Number(bits);
    if (prefix > (addr.v === 4 ? 32 : 128)) return undefined;
    let ip = addr;
    const mapped = normalize(addr);
    if (mapped.v === 4 && addr.v === 6 && prefix >= 96) {
      ip = mapped;
      prefix -= 96;
    }
    return { kind: 'ip', ip, prefix };
  }
  const ip = parseIp(text);
  if (ip) {
    const n = normalize(ip);
    return { kind: 'ip', ip: n, prefix: n.v === 4 ? 32 : 128 };
  }
  const name = hostName(text);
  if (name.length > 253) return undefined;
  if (name.startsWith('*.')) return NAME.test(name.slice(2)) ? { kind: 'suffix', suffix: name.slice(1) } : undefined;
  return NAME.test(name) ? { kind: 'name', name } : undefined;
}

class Allowlist {
  readonly entries: Entry[] = [];
  readonly invalid: string[] = [];

  constructor(list: readonly string[]) {
    for (const raw of list) {
      const entry = typeof raw === 'string' ? parseEntry(raw) : undefined;
      if (entry) this.entries.push(entry);
      else this.invalid.push(String(raw));
    }
  }

  /** An IP or CIDR entry covers the address (a name entry never does). */
  covers(address: Ip): boolean {
    const ip = normalize(address);
    return this.entries.some((e) => e.kind === 'ip' && inRange(ip, e.ip, e.prefix));
  }

  hasName(host: string): boolean {
    const name = hostName(host);
    return this.entries.some((e) => (e.kind === 'name' ? e.name === name : e.kind === 'suffix' && name.endsWith(e.suffix)));
  }
}

/** Origin and path: what logs and errors may show of a URL. */
function shown(url: URL): string {
  return url.protocol === 'http:' || url.protocol === 'https:' ? `${url.origin}${url.pathname}` : `${url.protocol}//${url.host}${url.pathname}`;
}

function bareHost(url: URL): string {
  const h = url.hostname;
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/** Why a parsed URL may not be called, before any DNS lookup. */
function urlRefusal(url: URL, allow: Allowlist): string | undefined {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `the callback URL must be http:// or https:// (got ${url.protocol}//)`;
  const host = bareHost(url);
  if (!host) return 'the callback URL has no host';
  const ip = parseIp(host);
  if (ip) {
    if (allow.covers(ip)) return undefined;
    if (internal(ip)) return `the host ${host} is an internal address (loopback, private, link-local, multicast or unspecified) and no IP or CIDR entry of the callback allowlist covers it`;
    return `the host ${host} is not on the callback allowlist`;
  }
  return allow.hasName(host) ? undefined : `the host ${host} is not on the callback allowlist`;
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
type Hop = { kind: 'response'; status: number; location?: string } | { kind: 'refused'; error: string } | { kind: 'error'; error: string };

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

function errorText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    return code && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}

const defaultLookup = (host: string): Promise<{ address: string; family: number }[]> => dns.promises.lookup(host, { all: true, verbatim: true });

export class CallbackSender {
  private readonly url: string;
  private readonly secrets: CallbackSecrets;
  private readonly allow: Allowlist;
  private readonly logger: Logger;
  private readonly lookup: (host: string) => Promise<{ address: string; family: number }[]>;
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
    try {
      return shown(new URL(this.url));
    } catch {
      return '(an invalid URL)';
    }
  }

  /** One attempt: the URL and the redirects it leads to. */
  private async deliver(job: Job, signal: AbortSignal): Promise<Outcome> {
    let url: URL;
    try {
      url = withSecretQuery(new URL(this.url), this.secrets.query);
    } catch {
      return { kind: 'final', error: 'the callback URL is not a valid URL' };
    }
    const origin = url.origin;
    for (let redirects = 0; ; redirects += 1) {
      const refused = (why: string): Outcome => ({ kind: 'final', error: redirects === 0 ? why : `refused redirect to ${shown(url)}: ${why}` });
      const why = urlRefusal(url, this.allow);
      if (why) return refused(why);
      // The Authorization secret is for the receiver, not for whoever it redirects to.
      const hop = await this.hop(url, job.body, signal, url.origin === origin ? this.secrets.authorization : undefined);
      if (hop.kind === 'refused') return refused(hop.error);
      if (hop.kind === 'error') return { kind: 'retry', error: hop.error };
      const status = hop.status;
      if (status >= 200 && status < 300) return { kind: 'ok', status };
      if (REDIRECTS.has(status)) {
        if (!hop.location) return { kind: 'final', status, error: `HTTP ${status} redirect without a Location header` };
        if (redirects >= this.maxRedirects) return { kind: 'final', status, error: `more than ${this.maxRedirects} redirect(s)` };
        let next: URL;
        try {
          next = new URL(hop.location, url);
        } catch {
          return { kind: 'final', status, error: `HTTP ${status} redirect to an invalid URL` };
        }
        if (url.protocol === 'https:' && next.protocol === 'http:') return { kind: 'final', status, error: `refused redirect to ${shown(next)}: it leaves https for http` };
        url = next;
        continue;
      }
      if (status >= 500 || status === 429) return { kind: 'retry', status, error: `HTTP ${status}` };
      return { kind: 'final', status, error: `HTTP ${status}` };
    }
  }

  /** The checked address to connect to, or why the host is refused. */
  private async resolve(url: URL): Promise<{ address: string; family: number } | { refused: string }> {
    const host = bareHost(url);
    const literal = parseIp(host);
    if (literal) return { address: host, family: literal.v };
    const found = await this.lookup(host);
    if (!Array.isArray(found) || found.length === 0) throw new Error(`${host} resolves to no address`);
    for (const { address } of found) {
      const ip = parseIp(String(address));
      if (!ip) return { refused: `${host} resolves to ${String(address)}, which is not an IP address` };
      if (internal(ip) && !this.allow.covers(ip)) {
        return { refused: `${host} resolves to ${address}, an internal address (loopback, private, link-local, multicast or unspecified) that no IP or CIDR entry of the callback allowlist covers` };
      }
    }
    const first = found[0];
    if (!first) throw new Error(`${host} resolves to no address`);
    const ip = parseIp(first.address);
    return { address: first.address, family: ip?.v ?? 4 };
  }

  /** One HTTP request, DNS lookup included, bounded by timeoutMs. */
  private hop(url: URL, body: string, signal: AbortSignal, authorization: string | undefined): Promise<Hop> {
    return new Promise<Hop>((resolve) => {
      let settled = false;
      let req: http.ClientRequest | undefined;
      const done = (hop: Hop): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        req?.destroy();
        resolve(hop);
      };
      const onAbort = (): void => done({ kind: 'error', error: 'closed' });
      const timer = setTimeout(() => done({ kind: 'error', error: `timed out after ${this.timeoutMs} ms` }), this.timeoutMs);
      timer.unref();
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });

      const host = bareHost(url);
      this.resolve(url).then(
        (target) => {
          if (settled) return;
          if ('refused' in target) {
            done({ kind: 'refused', error: target.refused });
            return;
          }
          // The socket connects to the address just checked, whatever DNS says now.
          const pinned: net.LookupFunction = (_hostname, options, callback) => {
            if (options.all) callback(null, [{ address: target.address, family: target.family }]);
            else callback(null, target.address, target.family);
          };
          const auth = url.username ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined;
          const request = url.protocol === 'https:' ? https.request : http.request;
          try {
            req = request(
              {
                protocol: url.protocol,
                hostname: host,
                port: url.port || undefined,
                path: `${url.pathname}${url.search}`,
                method: 'POST',
                agent: false,
                lookup: pinned,
                ...(auth === undefined ? {} : { auth }),
                headers: {
                  'content-type': 'application/json; charset=utf-8',
                  'content-length': Buffer.byteLength(body),
                  'user-agent': 'node-red-contrib-callflow campaign callback',
                  ...(authorization === undefined ? {} : { authorization }),
                },
              },
              (res) => {
                const location = res.headers.location;
                res.on('error', () => {});
                res.destroy();
                done({ kind: 'response', status: res.statusCode ?? 0, ...(location === undefined ? {} : { location }) });
              },
            );
          } catch (e) {
            done({ kind: 'error', error: errorText(e) });
            return;
          }
          req.on('error', (e) => done({ kind: 'error', error: errorText(e) }));
          req.end(body);
        },
        (e: unknown) => done({ kind: 'error', error: `DNS lookup of ${host} failed: ${errorText(e)}` }),
      );
    });
  }
}
