/**
 * An HTTP proxy in front of the simulator that holds the requests a test
 * picks (Asterisk taking its time, or never answering) until the test
 * releases them, and passes everything else through, the events WebSocket
 * included. It says which held requests the client dropped.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface HeldRequest {
  method: string;
  url: string;
  /** Sends it on to the simulator now; its answer goes back to the client. */
  release(): void;
  /** Whether the client dropped it (closed its socket) before an answer. */
  readonly dropped: boolean;
  /** Resolves when the client dropped it or it was answered. */
  readonly closed: Promise<void>;
}

export interface HoldingProxy {
  url: string;
  /** Every request held so far, in arrival order. */
  held: HeldRequest[];
  /** Resolves once `count` requests have been held in all. */
  untilHeld(count: number): Promise<void>;
  close(): Promise<void>;
}

export async function holdingProxy(target: string, hold: (req: http.IncomingMessage) => boolean): Promise<HoldingProxy> {
  const t = new URL(target);
  const port = Number(t.port);
  const held: HeldRequest[] = [];
  let waiters: { count: number; resolve: () => void }[] = [];
  const forward = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const up = http.request({ host: t.hostname, port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  };
  const server = http.createServer((req, res) => {
    if (!hold(req)) {
      forward(req, res);
      return;
    }
    let answered = false;
    let dropped = false;
    const closed = new Promise<void>((resolve) =>
      res.on('close', () => {
        dropped = !answered && !res.writableFinished;
        resolve();
      }),
    );
    held.push({
      method: req.method ?? '',
      url: req.url ?? '',
      release: () => {
        answered = true;
        forward(req, res);
      },
      get dropped() {
        return dropped;
      },
      closed,
    });
    waiters = waiters.filter((w) => {
      if (held.length < w.count) return true;
      w.resolve();
      return false;
    });
  });
  // The events WebSocket: the upgrade goes through as raw bytes.
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const up = net.connect(port, t.hostname, () => {
      let lines = `${req.method} ${req.url} HTTP/1.1\r\n`;
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
      up.write(`${lines}\r\n`);
      if (head.length > 0) up.write(head);
      socket.pipe(up);
      up.pipe(socket);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
    socket.on('close', () => up.destroy());
    up.on('close', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held,
    untilHeld: (count) =>
      held.length >= count
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            waiters.push({ count, resolve });
          }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
