/**
 * A stand-in vosk-server for the tests of lib/speech/vosk.ts: a WebSocket server on localhost that records each
 * connection's headers and messages (text, or the size of binary ones) and answers each message as the test's
 * `answer` says (undefined: nothing; an answer to the eof is followed by a close, as asr_server.py does); `status`
 * refuses the handshake with that HTTP status.
 */
import { EventEmitter, once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { VOSK_EOF } from '../../lib/speech/vosk';

export interface VoskSession {
  headers: IncomingMessage['headers'];
  messages: { text?: string; bytes?: number }[];
  socket: WebSocket;
}

/** A stand-in vosk-server: `answer` says what each message gets back (undefined: nothing); sessions are recorded. */
export class VoskStandIn {
  readonly sessions: VoskSession[] = [];
  answer: (message: { text?: string; bytes?: number }, session: VoskSession) => string | Buffer | undefined = () => undefined;
  status = 0;
  /** 'message' after each message is recorded (and answered). */
  readonly events = new EventEmitter();
  private server: WebSocketServer | undefined;

  async start(): Promise<void> {
    this.server = new WebSocketServer({
      port: 0,
      host: '127.0.0.1',
      verifyClient: (_info, done) => (this.status ? done(false, this.status) : done(true)),
    });
    this.server.on('connection', (socket, req) => {
      const session: VoskSession = { headers: req.headers, messages: [], socket };
      this.sessions.push(session);
      socket.on('message', (data: Buffer, isBinary: boolean) => {
        const message = isBinary ? { bytes: data.length } : { text: data.toString('utf8') };
        session.messages.push(message);
        const reply = this.answer(message, session);
        if (reply !== undefined) socket.send(reply);
        if (message.text === VOSK_EOF && reply !== undefined) socket.close(1000);
        this.events.emit('message', session);
      });
    });
    await once(this.server, 'listening');
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  /** Resolves once `n` sessions have begun. */
  async session(n: number): Promise<VoskSession> {
    while (this.sessions.length < n) await once(this.server as WebSocketServer, 'connection');
    return this.sessions[n - 1] as VoskSession;
  }

  /** Resolves once the session has `n` audio (binary) messages. */
  async audio(session: VoskSession, n: number): Promise<void> {
    while (session.messages.filter((m) => m.bytes !== undefined).length < n) await once(this.events, 'message');
  }

  async stop(): Promise<void> {
    for (const client of this.server?.clients ?? []) client.terminate();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

/** The config a session began with (its first message), as the tests read it. */
export function configOf(session: VoskSession | undefined): { sample_rate?: number; phrase_list?: string[] } {
  return (JSON.parse(session?.messages[0]?.text ?? '{}') as { config?: { sample_rate?: number; phrase_list?: string[] } }).config ?? {};
}

/** A stand-in for the describe block around it: started before, stopped after, its sessions and refusal cleared before each test. */
export function useVoskStandIn(): VoskStandIn {
  const server = new VoskStandIn();
  before(async function () {
    await server.start();
  });
  after(async function () {
    await server.stop();
  });
  beforeEach(function () {
    server.sessions.length = 0;
    server.status = 0;
    server.answer = () => undefined;
  });
  return server;
}
