/**
 * A local HTTP server for the tests of lib/net/http-request.ts,
 * lib/http-ivr/requests.ts and the campaigns' callbacks: it records every request (method, URL, headers,
 * body), hands it to the test's handler, and announces arrivals and closed
 * sockets as events, so tests await them instead of sleeping.
 */
import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  socket: Socket;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, received: Received) => void;

export class AppServer {
  readonly received: Received[] = [];
  /** 'request' (Received), 'socket-closed' (Socket). */
  readonly events = new EventEmitter();
  handler: Handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  };
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor() {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), socket: req.socket };
        this.received.push(r);
        this.handler(req, res, r);
        this.events.emit('request', r);
      });
    });
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => {
        this.sockets.delete(socket);
        this.events.emit('socket-closed', socket);
      });
    });
  }

  async start(): Promise<this> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Resolves with the nth request (1-based) once it has arrived. */
  async arrival(n: number): Promise<Received> {
    while (this.received.length < n) await once(this.events, 'request');
    const r = this.received[n - 1];
    if (!r) throw new Error(`request ${n} did not arrive`);
    return r;
  }

  /** Resolves with the first `count` requests once they have arrived; rejects, saying how many came, after `withinMs`. */
  arrivals(count: number, withinMs = 20_000): Promise<Received[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.events.off('request', look);
        reject(new Error(`${this.received.length} of ${count} requests arrived within ${withinMs} ms`));
      }, withinMs);
      const look = (): void => {
        if (this.received.length < count) return;
        clearTimeout(timer);
        this.events.off('request', look);
        resolve(this.received.slice(0, count));
      };
      this.events.on('request', look);
      look();
    });
  }

  /** Resolves when the socket is closed (at once if it already is). */
  async closed(socket: Socket): Promise<void> {
    if (socket.destroyed && !this.sockets.has(socket)) return;
    await new Promise<void>((resolve) => {
      const check = (s: Socket): void => {
        if (s !== socket) return;
        this.events.off('socket-closed', check);
        resolve();
      };
      this.events.on('socket-closed', check);
    });
  }

  reset(): void {
    this.received.length = 0;
    this.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    };
    for (const socket of this.sockets) socket.destroy();
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * Active timers (ref'd), as Node lists them, after one turn of the event
 * loop: mocha arms its own timer for an async test once the test's
 * synchronous part has run, so a count taken before the first await would
 * miss it.
 */
/** One application server for a describe block: started before its tests, stopped after them, reset after each. */
export function useAppServer(): AppServer {
  const app = new AppServer();
  before(async function () {
    await app.start();
  });
  after(async function () {
    await app.stop();
  });
  afterEach(function () {
    app.reset();
  });
  return app;
}

export async function activeTimers(): Promise<number> {
  await new Promise((resolve) => setImmediate(resolve));
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

/** A lookup that answers every name with the given addresses and records the names asked. */
export function fixedLookup(...addresses: string[]): ((host: string) => Promise<{ address: string; family: number }[]>) & { calls: string[] } {
  const calls: string[] = [];
  const fn = (host: string): Promise<{ address: string; family: number }[]> => {
    calls.push(host);
    return Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
  return Object.assign(fn, { calls });
}
