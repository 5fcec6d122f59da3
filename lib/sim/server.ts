/**
 * The simulated Asterisk's network front end: ARI over HTTP (/ari/...) and
 * the events WebSocket (/ari/events), answering like Asterisk's res_ari
 * (authentication, error bodies, status codes, Swagger documents with the
 * caller's Host as basePath), plus the scripting endpoints under /sim/.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { silentLogger, type Logger } from '../log';
import { Binary, Created, ariRoutes } from './routes';
import { messageBytes } from '../media/websocket-protocol';
import { SimulatedAsterisk, type SimulatorOptions } from './asterisk';
import { SIMULATED_VERSION } from './resources/asterisk';
import { controlRoutes, type ControlRoute } from './control';
import { AriHttpError, compilePath, parseArgs, Router } from './route';
import type { CallReport, ExternalMediaReport, InboundCallOptions, NumberBehaviour, WaitCondition } from './script';
import { apiDeclaration, resourceListing } from './swagger';

export interface SimulatorServerOptions extends SimulatorOptions {
  /** Loopback by default: the simulator is a development tool. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  username?: string;
  password?: string;
  /** Directories of sound files to add (lib/sim/sound-files.ts), each for a language (default en). */
  soundDirs?: { dir: string; language?: string }[];
  /** Extra read-only ARI users. */
  readOnlyUsers?: Record<string, string>;
  logger?: Logger;
}

const REALM = 'Asterisk REST Interface';
const MAX_BODY = 1024 * 1024;

/** A call placed through the scripting API. */
export class SimCall {
  constructor(
    readonly id: string,
    private readonly ast: SimulatedAsterisk,
  ) {}
  /** What the call heard, pressed, where it went, how it ended (a snapshot). */
  report(): CallReport {
    const r = this.ast.report(this.id);
    if (!r) throw new Error(`call ${this.id} is no longer known to the simulator`);
    return r;
  }
  /** Resolves with the final report when the call has ended. */
  ended(signal?: AbortSignal): Promise<CallReport> {
    return this.ast.waitForEnd(this.id, signal);
  }
  /**
   * Resolves when the call gets there (answered, a prompt whose URI contains `media` starts or ends, silence, bridged,
   * the application's audio ended...), with the simulated time it did (the simulator's clock, as a script step sees it).
   */
  until(what: WaitCondition, media?: string): Promise<number> {
    return this.ast.until(this.id, what, media);
  }
  /**
   * Resolves once external media serving this call has received at least `packets` RTP packets from the application
   * (audio sent back to the caller), with the counters.
   */
  mediaReceived(packets: number): Promise<ExternalMediaReport> {
    return new Promise((resolve) => {
      const check = (): void => {
        const entry = this.ast.report(this.id)?.externalMedia?.find((m) => m.received.packets >= packets);
        if (!entry) return;
        this.ast.off('external-media-received', check);
        resolve(structuredClone(entry));
      };
      this.ast.on('external-media-received', check);
      check();
    });
  }
  press(digits: string): Promise<void> {
    return this.ast.pressDigits(this.id, digits);
  }
  hangup(cause = 16): void {
    this.ast.remoteHangup(this.id, cause);
  }
}

export class Simulator {
  readonly asterisk: SimulatedAsterisk;
  readonly username: string;
  readonly password: string;
  private readonly users: Map<string, { password: string; readOnly: boolean }>;
  private readonly router: Router;
  private readonly control: { route: ControlRoute; regex: RegExp; names: string[] }[];
  private readonly server: http.Server;
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<Socket>();
  private readonly eventSockets = new Set<WebSocket>();
  /** chan_websocket's /media/<connection_id>: subprotocol "media", frames up to AST_WEBSOCKET_MAX_RX_PAYLOAD_SIZE. */
  private readonly mediaWss = new WebSocketServer({ noServer: true, maxPayload: 65535 - 8, perMessageDeflate: false, handleProtocols: (protocols) => (protocols.has('media') ? 'media' : false) });
  private readonly log: Logger;
  private boundPort = 0;
  private host: string;
  private listening = false;
  private closed = false;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SimulatorServerOptions = {}) {
    this.log = options.logger ?? silentLogger;
    this.asterisk = new SimulatedAsterisk({ ...options, logger: this.log });
    this.username = options.username ?? 'asterisk';
    this.password = options.password ?? 'asterisk';
    this.host = options.host ?? '127.0.0.1';
    this.users = new Map([[this.username, { password: this.password, readOnly: false }]]);
    for (const [u, p] of Object.entries(options.readOnlyUsers ?? {})) this.users.set(u, { password: p, readOnly: true });
    this.router = new Router(ariRoutes(this.asterisk));
    this.control = controlRoutes(this).map((route) => ({ route, ...compilePath(route.path) }));
    this.wss = new WebSocketServer({
      noServer: true,
      handleProtocols: (protocols) => (protocols.has('ari') ? 'ari' : false),
    });
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.log.error(`simulator: ${(err as Error).stack ?? String(err)}`);
        if (!res.headersSent) this.json(res, 500, { message: 'Internal Server Error' });
        else res.destroy();
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server.on('upgrade', (req, socket, head) => this.upgrade(req, socket as Socket, head));
  }

  /** Starts listening; resolves with the base URL (http://host:port). */
  async start(): Promise<string> {
    for (const { dir, language } of this.options.soundDirs ?? []) {
      const { added, skipped } = await this.asterisk.sounds.addDirectory(dir, language ?? 'en');
      this.log.info(`simulator: ${added} sounds (${language ?? 'en'}) from ${dir}`);
      for (const s of skipped) this.log.warn(`simulator: sound file ${s.file} skipped: ${s.why}`);
    }
    await this.listen(this.options.port ?? 0);
    return this.url;
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        this.server.off('listening', onListening);
        reject(err);
      };
      const onListening = (): void => {
        this.server.off('error', onError);
        this.boundPort = (this.server.address() as AddressInfo).port;
        this.listening = true;
        resolve();
      };
      this.server.once('error', onError);
      this.server.once('listening', onListening);
      this.server.listen(port, this.host);
    });
  }

  get port(): number {
    return this.boundPort;
  }

  /** The ARI base URL, as a client is configured with it (without /ari). */
  get url(): string {
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.boundPort}`;
  }

  get isListening(): boolean {
    return this.listening;
  }

  // ---- scripting API (the same operations as the /sim/ endpoints)

  placeCall(opts: InboundCallOptions): SimCall {
    return new SimCall(this.asterisk.placeCall(opts), this.asterisk);
  }

  call(id: string): SimCall {
    if (!this.asterisk.report(id)) throw new Error(`no call ${id}`);
    return new SimCall(id, this.asterisk);
  }

  setNumber(number: string, behaviour: NumberBehaviour): void {
    this.asterisk.numbers.set(number, behaviour);
  }

  /** Cuts every events WebSocket at once, as a network failure would (no close frame). */
  dropWebSockets(): void {
    for (const ws of this.eventSockets) ws.terminate();
  }

  /**
   * Event sockets stop reading (pings go unanswered) but stay open: a
   * half-open connection, as when a NAT or firewall silently drops state.
   */
  freezeWebSockets(): void {
    for (const ws of this.eventSockets) ws.pause();
  }

  /**
   * Asterisk restarts: connections are cut, calls are gone, nothing listens
   * for `downMs` (real ms), then a fresh Asterisk answers on the same port.
   */
  async restart(downMs = 0): Promise<void> {
    this.asterisk.crash();
    await this.stopListening();
    if (downMs > 0) await new Promise<void>((r) => (this.restartTimer = setTimeout(r, downMs)));
    if (!this.closed) await this.listen(this.boundPort);
  }

  /** Stops answering (connections refused) until resume(); calls stay up, as when a network path fails. */
  async suspend(): Promise<void> {
    await this.stopListening();
  }

  async resume(): Promise<void> {
    if (!this.listening && !this.closed) await this.listen(this.boundPort);
  }

  private stopListening(): Promise<void> {
    for (const ws of this.eventSockets) ws.terminate();
    for (const s of this.sockets) s.destroy();
    if (!this.listening) return Promise.resolve();
    this.listening = false;
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.restartTimer);
    this.asterisk.shutdown();
    await this.stopListening();
    this.wss.close();
    this.mediaWss.close();
  }

  // ---- HTTP

  private authenticate(req: http.IncomingMessage, query: URLSearchParams): { user: string; readOnly: boolean } | undefined {
    let user: string | undefined;
    let password: string | undefined;
    const header = req.headers.authorization;
    if (header?.startsWith('Basic ')) {
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i >= 0) {
        user = decoded.slice(0, i);
        password = decoded.slice(i + 1);
      }
    } else {
      let apiKey: string | null = null;
      for (const [k, v] of query) if (k.toLowerCase() === 'api_key') apiKey = v;
      if (apiKey !== null) {
        const i = apiKey.indexOf(':');
        if (i >= 0) {
          user = apiKey.slice(0, i);
          password = apiKey.slice(i + 1);
        }
      }
    }
    if (user === undefined) return undefined;
    const entry = this.users.get(user);
    if (!entry || entry.password !== password) return undefined;
    return { user, readOnly: entry.readOnly };
  }

  private json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  private async readBody(req: http.IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) throw new AriHttpError(413, 'Request body too large');
      chunks.push(chunk as Buffer);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (text.trim() === '') return undefined;
    const type = (req.headers['content-type'] ?? '').toLowerCase();
    if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new AriHttpError(400, 'Error parsing request body');
    }
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const method = (req.method ?? 'GET').toUpperCase();
    if (url.pathname.startsWith('/sim/') || url.pathname === '/sim') {
      await this.handleControl(method, url, req, res);
      return;
    }
    // main/http.c ast_http_send: what is not static content goes out with "Cache-Control: no-cache, no-store", and
    // every answer names the server (http.conf servername, "Asterisk/<version>" by default); seen on Asterisk 22.11
    // built from releases/22 on every ARI answer, 204 included.
    res.setHeader('Cache-Control', 'no-cache, no-store');
    res.setHeader('Server', `Asterisk/${SIMULATED_VERSION}`);
    if (!url.pathname.startsWith('/ari/')) {
      this.json(res, 404, { message: 'Resource not found' });
      return;
    }
    let body: unknown;
    try {
      body = await this.readBody(req);
    } catch (err) {
      const e = err as AriHttpError;
      this.json(res, e.status ?? 400, { message: e.message });
      return;
    }
    const auth = this.authenticate(req, url.searchParams);
    if (!auth) {
      this.json(res, 401, { message: 'Authentication required' }, { 'WWW-Authenticate': `Basic realm="${REALM}"` });
      return;
    }
    if (auth.readOnly && method !== 'GET' && method !== 'OPTIONS') {
      this.json(res, 403, { message: 'Write access denied' });
      return;
    }
    const path = url.pathname.slice('/ari'.length);
    if (path.endsWith('/') && path.length > 1) {
      // Trailing slashes dropped by hand: /\/+$/ backtracks quadratically on a long run of slashes.
      let end = path.length;
      while (end > 0 && path.charCodeAt(end - 1) === 0x2f) end -= 1;
      this.json(res, 404, { message: `ARI URLs do not end with a slash. Try /ari${path.slice(0, end)}` });
      return;
    }
    if (path.startsWith('/api-docs/')) {
      this.serveDocs(method, path.slice('/api-docs/'.length), req, res);
      return;
    }
    const match = this.router.match(method === 'OPTIONS' ? 'GET' : method, path);
    if (method === 'OPTIONS') {
      const allowed = ['GET', 'POST', 'PUT', 'DELETE'].filter((m) => this.router.match(m, path).kind === 'found');
      res.writeHead(204, { Allow: ['OPTIONS', ...allowed].join(',') });
      res.end();
      return;
    }
    if (match.kind === 'not-found') {
      this.json(res, 404, { message: 'Resource not found' });
      return;
    }
    if (match.kind === 'method-not-allowed') {
      this.json(res, 405, { message: 'Invalid method' }, { Allow: ['OPTIONS', ...match.allowed].join(',') });
      return;
    }
    if (match.spec.websocket) {
      this.json(res, 400, { message: 'This operation needs a WebSocket upgrade' });
      return;
    }
    try {
      const args = parseArgs(match.spec, match.pathParams, url.searchParams, body);
      const result = await match.spec.handle?.(args, { user: auth.user });
      if (result instanceof Created) this.json(res, 201, result.body, { Location: result.location });
      else if (result instanceof Binary) {
        // As ast_http_send sends a file (main/http.c): its length, and no caching of what is not static content.
        res.writeHead(200, { 'Content-Type': result.contentType, 'Content-Length': result.body.length, 'Cache-Control': 'no-cache, no-store' });
        res.end(result.body);
      } else if (result === undefined) {
        res.writeHead(204);
        res.end();
      } else this.json(res, 200, result);
    } catch (err) {
      if (err instanceof AriHttpError) {
        if (err.status === 500 && err.message === 'Allocation failed') this.json(res, 500, { error: 'Allocation failed' });
        else this.json(res, err.status, { message: err.message });
        return;
      }
      throw err;
    }
  }

  private serveDocs(method: string, file: string, req: http.IncomingMessage, res: http.ServerResponse): void {
    if (method !== 'GET') {
      this.json(res, 405, { message: 'Unsupported method' });
      return;
    }
    const host = req.headers.host;
    const basePath = host ? `http://${host}/ari` : '';
    const name = file.replace(/\.json$/, '');
    const doc = name === 'resources' ? resourceListing(basePath) : apiDeclaration(name, this.router.specs, basePath);
    if (!doc || !file.endsWith('.json')) {
      this.json(res, 404, { message: 'Resource not found' });
      return;
    }
    if (!host) delete (doc as { basePath?: string }).basePath;
    this.json(res, 200, doc);
  }

  private async handleControl(method: string, url: URL, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let body: unknown;
    try {
      body = await this.readBody(req);
    } catch (err) {
      this.json(res, 400, { message: (err as Error).message });
      return;
    }
    for (const c of this.control) {
      const m = c.regex.exec(url.pathname);
      if (!m || c.route.method !== method) continue;
      const params: Record<string, string> = {};
      c.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1] ?? '')));
      try {
        const out = await c.route.handle({ params, query: url.searchParams, body });
        if (out === undefined) {
          res.writeHead(204);
          res.end();
        } else this.json(res, c.route.status ?? 200, out);
      } catch (err) {
        const status = err instanceof AriHttpError ? err.status : 400;
        this.json(res, status, { message: (err as Error).message });
      }
      return;
    }
    this.json(res, 404, { message: `No simulator endpoint ${method} ${url.pathname}; see docs/simulator.md` });
  }

  // ---- events WebSocket

  private upgrade(req: http.IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const refuse = (status: number, text: string, json: boolean, headers: string[] = []): void => {
      const body = json ? JSON.stringify({ message: text }) : `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\r\n<html><head>\r\n<title>${status} ${http.STATUS_CODES[status]}</title>\r\n</head><body>\r\n<h1>${http.STATUS_CODES[status]}</h1>\r\n<p>${text}</p>\r\n<hr />\r\n<address>Asterisk Server</address>\r\n</body></html>\r\n`;
      socket.end(
        [`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}`, `Content-type: ${json ? 'application/json' : 'text/html'}`, `Content-Length: ${Buffer.byteLength(body)}`, ...headers, 'Connection: close', '', body].join('\r\n'),
      );
    };
    if (url.pathname.startsWith('/media/')) {
      this.upgradeMedia(req, socket, head, url.pathname.slice('/media/'.length), refuse);
      return;
    }
    if (url.pathname !== '/ari/events') {
      refuse(404, 'Resource not found', true);
      return;
    }
    const auth = this.authenticate(req, url.searchParams);
    if (!auth) {
      refuse(401, 'Authentication required', true, [`WWW-Authenticate: Basic realm="${REALM}"`]);
      return;
    }
    const apps = (url.searchParams.get('app') ?? '')
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean);
    if (apps.length === 0) {
      refuse(400, 'HTTP request is missing param: [app]', false);
      return;
    }
    const subscribeAll = ['true', 'yes', '1', 'on'].includes((url.searchParams.get('subscribeAll') ?? '').toLowerCase());
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.eventSockets.add(ws);
      const session = {
        send: (text: string): void => {
          if (ws.readyState === ws.OPEN) ws.send(text);
        },
      };
      this.asterisk.attachSession(session, apps, subscribeAll);
      ws.on('close', () => {
        this.eventSockets.delete(ws);
        this.asterisk.detachSession(session);
      });
      ws.on('error', () => ws.terminate());
    });
  }

  /**
   * /media/<connection_id> (chan_websocket.c incoming_ws_http_callback lines 1871-1944, res_http_websocket.c
   * ast_websocket_uri_cb): no credentials asked (the connection id is the key); a subprotocol other than "media" is
   * 400, an unknown id 404, an id already connected 409.
   */
  private upgradeMedia(req: http.IncomingMessage, socket: Socket, head: Buffer, connectionId: string, refuse: (status: number, text: string, json: boolean, headers?: string[]) => void): void {
    const asked = req.headers['sec-websocket-protocol'];
    if (asked !== undefined && !asked.split(',').some((p) => p.trim() === 'media')) {
      socket.end(['HTTP/1.1 400 Bad Request', 'Sec-WebSocket-Version: 7, 8, 13', 'Content-Length: 0', 'Connection: close', '', ''].join('\r\n'));
      return;
    }
    const media = this.asterisk.websocketMedia;
    const found = media.find(connectionId);
    if (found === 404) {
      refuse(404, 'WebSocket instance not found', false);
      return;
    }
    if (found === 409) {
      refuse(409, 'Another websocket connection exists for this connection id', false);
      return;
    }
    this.mediaWss.handleUpgrade(req, socket, head, (ws) => {
      this.eventSockets.add(ws);
      ws.on('message', (data, isBinary) => media.message(found, messageBytes(data), isBinary));
      ws.on('close', (code) => {
        this.eventSockets.delete(ws);
        // 1006: no close frame came (the connection dropped).
        media.closed(found, code !== 1006);
      });
      ws.on('error', () => ws.terminate());
      media.connected(found, {
        send: (data) => {
          if (ws.readyState === ws.OPEN) ws.send(data);
        },
        close: (code) => ws.close(code),
      });
    });
  }
}
