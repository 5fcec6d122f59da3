/**
 * A deliberately small ARI client for testing the simulator itself: plain
 * fetch for REST and a plain WebSocket for events, so the simulator's
 * behaviour is checked independently of the adapter under test elsewhere.
 */
import WebSocket from 'ws';
import { startSimulator, type Simulator } from '../../lib/sim';
import type { SimulatorServerOptions } from '../../lib/sim/server';

export interface RawResponse {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

type Json = Record<string, unknown>;

export class RawAri {
  constructor(
    readonly baseUrl: string,
    readonly username = 'asterisk',
    readonly password = 'asterisk',
  ) {}

  get auth(): string {
    return `Basic ${Buffer.from(`${this.username}:${this.password}`).toString('base64')}`;
  }

  async req(method: string, path: string, query: Record<string, string | number | boolean> = {}, body?: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
    const url = new URL(`/ari${path}`, this.baseUrl);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, String(v));
    const init: RequestInit = { method, headers: { Authorization: this.auth, ...headers } };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
    }
    const res = await fetch(url, init);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      // not JSON
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  }

  /** Shorthand: the JSON body of a request that must succeed (2xx). */
  async ok<T = Json>(method: string, path: string, query: Record<string, string | number | boolean> = {}, body?: unknown): Promise<T> {
    const r = await this.req(method, path, query, body);
    if (r.status < 200 || r.status > 299) throw new Error(`${method} ${path} -> ${r.status} ${r.text}`);
    return r.body as T;
  }

  async events(app: string, options: { subscribeAll?: boolean } = {}): Promise<EventLog> {
    const url = new URL('/ari/events', this.baseUrl.replace(/^http/, 'ws'));
    url.searchParams.set('app', app);
    if (options.subscribeAll) url.searchParams.set('subscribeAll', 'true');
    const ws = new WebSocket(url, { headers: { Authorization: this.auth } });
    const log = new EventLog(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return log;
  }
}

/** Every event a socket received, in order, with waits that resolve on arrival (no sleeping). */
export class EventLog {
  readonly all: Json[] = [];
  private waiters: { match: (e: Json) => boolean; resolve: (e: Json) => void }[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: WebSocket.RawData) => {
      const text = Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8');
      const event = JSON.parse(text) as Json;
      this.all.push(event);
      for (const w of [...this.waiters]) {
        if (w.match(event)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(event);
        }
      }
    });
  }

  /** Resolves with the first event (already received or future) matching; fails after timeoutMs. */
  next(match: (e: Json) => boolean, timeoutMs = 5000, from = 0): Promise<Json> {
    const seen = this.all.slice(from).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`no matching event within ${timeoutMs} ms; received: ${this.all.map((e) => String(e.type)).join(', ')}`));
      }, timeoutMs);
      const done = (e: Json): void => {
        clearTimeout(timer);
        resolve(e);
      };
      this.waiters.push({ match, resolve: done });
    });
  }

  /** The types of the events about one channel, in order. */
  typesFor(channelId: string): string[] {
    return this.all.filter((e) => aboutChannel(e, channelId)).map((e) => String(e.type));
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

export function aboutChannel(e: Json, channelId: string): boolean {
  const ids = ['channel', 'peer', 'caller'].map((k) => (e[k] as { id?: string } | undefined)?.id);
  const targets = ['playback', 'recording'].map((k) => (e[k] as { target_uri?: string } | undefined)?.target_uri);
  return ids.includes(channelId) || targets.includes(`channel:${channelId}`);
}

export const is = (type: string, channelId?: string) => (e: Json): boolean => e.type === type && (channelId === undefined || aboutChannel(e, channelId));

/** What useRawSimulator hands each test: a simulator, a RawAri on it, and the events of one application. */
export interface RawSimulator {
  sim: Simulator;
  ari: RawAri;
  events: EventLog;
}

/**
 * Before each test of the block: a simulator (at speed 500 unless told), a
 * RawAri on it and the events of `app`, given to `use`; after each, the
 * socket and the simulator closed.
 */
export function useRawSimulator(use: (raw: RawSimulator) => void, options: SimulatorServerOptions = {}, app = 'app1'): void {
  let raw: RawSimulator | undefined;
  beforeEach(async function () {
    const sim = await startSimulator({ speed: 500, ...options });
    const ari = new RawAri(sim.url);
    try {
      raw = { sim, ari, events: await ari.events(app) };
    } catch (err) {
      await sim.close();
      throw err;
    }
    use(raw);
  });
  afterEach(async function () {
    if (!raw) return;
    const { sim, events } = raw;
    raw = undefined;
    await events.close();
    await sim.close();
  });
}
