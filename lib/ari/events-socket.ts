/**
 * The ARI events WebSocket (/ari/events?app=...). The connection supervisor
 * owns it instead of ari-client's start(), whose reconnect has a fixed
 * backoff without jitter, gives up after ten attempts, has no liveness
 * check and throws on an event type it has no model for. Here: one socket
 * per attempt, ping/pong liveness, JSON parsing that never throws, and a
 * single `closed` promise that says why the socket ended.
 */
import diagnostics from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { basicAuthorization } from '../net/basic-auth';
import type { TelephonyEvent } from './port';

/** Every ARI event, as it arrives ({ event, receivedAt }: performance.now()); no cost without a subscriber. */
export const received = diagnostics.channel('callflow:ari:event');

export interface EventSocketOptions {
  /** Base URL without /ari, http(s)://host:port */
  baseUrl: string;
  app: string;
  username: string;
  password: string;
  /** Interval of pings; the socket is declared dead when a pong does not come back within it. */
  heartbeatMs: number;
  openTimeoutMs: number;
  onEvent: (event: TelephonyEvent) => void;
  /** A message that is not valid JSON or has no type; logged, never thrown. */
  onMalformed: (why: string) => void;
}

/**
 * A WebSocket URL on Asterisk's HTTP server: `path` under the normalised ARI URL (normalizeAriUrl), on ws(s). The ARI
 * URL's path is kept: it is http.conf's `prefix`, which Asterisk puts before every URI it serves (main/http.c,
 * handle_uri, lines 1555-1575), the events socket's and chan_websocket's /media as much as the REST resources.
 */
export function webSocketUrl(baseUrl: string, path: string): URL {
  return new URL(`${baseUrl.replace(/^http/i, 'ws')}${path}`);
}

export class EventSocketError extends Error {
  override readonly name = 'EventSocketError';
  constructor(
    message: string,
    /** HTTP status of a refused upgrade (401 wrong credentials, 400 no app...). */
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

export class EventSocket {
  private readonly ws: WebSocket;
  private heartbeat: NodeJS.Timeout | undefined;
  private awaitingPong = false;
  /** Resolves once the socket is open; rejects when it could not open. */
  readonly opened: Promise<void>;
  /** Resolves when an open socket ends, with the reason in words. */
  readonly closed: Promise<string>;

  constructor(private readonly options: EventSocketOptions) {
    const url = webSocketUrl(options.baseUrl, '/ari/events');
    url.searchParams.set('app', options.app);
    url.searchParams.set('subscribeAll', 'false');
    // Credentials go in the Authorization header, not in the URL (where ari-client puts them, and logs can see them).
    this.ws = new WebSocket(url, 'ari', {
      headers: { Authorization: basicAuthorization(options) },
      handshakeTimeout: options.openTimeoutMs,
      perMessageDeflate: false,
    });
    let openSettled = false;
    this.opened = new Promise<void>((resolve, reject) => {
      this.ws.once('open', () => {
        openSettled = true;
        this.startHeartbeat();
        resolve();
      });
      this.ws.once('unexpected-response', (_req, res) => {
        openSettled = true;
        const status = res.statusCode ?? 0;
        res.resume();
        reject(new EventSocketError(`events WebSocket refused with HTTP ${status}`, status));
        this.ws.terminate();
      });
      this.ws.once('error', (err: Error & { code?: string }) => {
        if (openSettled) return;
        openSettled = true;
        reject(new EventSocketError(`events WebSocket: ${err.message}`, undefined, err.code));
      });
    });
    this.opened.catch(() => undefined);
    this.closed = new Promise<string>((resolve) => {
      this.ws.on('close', (code, reason) => {
        this.stopHeartbeat();
        const text = reason.toString('utf8');
        resolve(code === 1006 ? 'the connection dropped' : `closed with code ${code}${text ? ` (${text})` : ''}`);
      });
      // After open, errors are followed by close; nothing else to do.
      this.ws.on('error', () => undefined);
    });
    this.ws.on('message', (data: WebSocket.RawData) => this.receive(data));
    this.ws.on('pong', () => {
      this.awaitingPong = false;
    });
  }

  private receive(data: WebSocket.RawData): void {
    const receivedAt = received.hasSubscribers ? performance.now() : 0;
    let event: unknown;
    try {
      event = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8'));
    } catch {
      this.options.onMalformed('a message that is not JSON');
      return;
    }
    if (!event || typeof event !== 'object' || typeof (event as { type?: unknown }).type !== 'string') {
      this.options.onMalformed('a message without a type');
      return;
    }
    // Benchmarks measure from here (the moment the event arrived) to the request it leads to.
    if (received.hasSubscribers) received.publish({ event, receivedAt });
    this.options.onEvent(event as TelephonyEvent);
  }

  private startHeartbeat(): void {
    this.heartbeat = setInterval(() => {
      if (this.awaitingPong) {
        // No pong for a whole interval: the peer or the path is gone (a half-open TCP connection).
        this.ws.terminate();
        return;
      }
      this.awaitingPong = true;
      this.ws.ping();
    }, this.options.heartbeatMs);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  /** Closes the socket; resolves when it is closed (terminating it if the peer does not answer in time). */
  async close(timeoutMs = 2000): Promise<void> {
    this.stopHeartbeat();
    if (this.ws.readyState === WebSocket.CLOSED) return;
    if (this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.terminate();
    } else {
      this.ws.close(1000, 'closing');
    }
    const timer = setTimeout(() => this.ws.terminate(), timeoutMs);
    await this.closed;
    clearTimeout(timer);
  }
}
