/**
 * bench/http-ivr's application server, in a process of its own (so its CPU is not counted as the plugin's): plain
 * `http`, keep-alive on its side. Each call's steps: the first request (event=call) and the next `--steps` - 1 are
 * answered with a collect of one key with a nested play, and a jump to `menu`; the request after the last collect
 * with a hangup. The step is the `step` query parameter the node sends (the request's number for the call, from 1).
 *
 * `GET /stats` answers what it was asked: requests, collects answered with digits or timed out, hangups, and
 * requests it did not expect (a bench whose calls time out or go wrong says so instead of printing figures of
 * something else).
 *
 *   node dist/bench/http-ivr-app.js [--steps 5] [--port 0]   (prints "application at http://127.0.0.1:<port>")
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the application answered, by kind; `unexpected` counts requests the bench's calls should never make. */
export interface ApplicationStats {
  requests: number;
  collects: number;
  digits: number;
  timeouts: number;
  hangups: number;
  unexpected: number;
}

/** The prompt of step `step`'s collect: the step's number said (digits/N), so a caller's report tells the steps apart. */
export const promptOf = (step: number): string => `number:${step}`;

/**
 * The command set for request `step` of a call (1 for the first) of a call of `steps` collects: a collect of one key
 * (its prompt nested) and a jump to `menu`, then, after the last collect, a hangup.
 */
export function commandSetFor(step: number, steps: number): object {
  if (step > steps) return { main: { command: 'hangup' } };
  return {
    main: { command: 'collect', maxDigits: 1, timeoutSec: 10, sub: [{ command: 'play', media: [promptOf(step)] }] },
    jump: { url: 'menu' },
  };
}

/** Starts the application on `port` (0: any); resolves with its base URL (`/ivr` is the node's address). */
export function startApplication(steps: number, port = 0): Promise<{ server: http.Server; url: string; stats: ApplicationStats }> {
  const stats: ApplicationStats = { requests: 0, collects: 0, digits: 0, timeouts: 0, hangups: 0, unexpected: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://application');
      if (req.method === 'GET' && url.pathname === '/stats') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
        return;
      }
      stats.requests += 1;
      const step = Number(url.searchParams.get('step'));
      const event = url.searchParams.get('event');
      const first = url.pathname === '/ivr' && event === 'call' && step === 1;
      const next = url.pathname === '/ivr/menu' && event === 'collect' && Number.isInteger(step) && step > 1 && step <= steps + 1;
      if (!first && !next) {
        stats.unexpected += 1;
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not a request of the bench\n');
        return;
      }
      if (event === 'collect') {
        if (url.searchParams.get('outcome') === 'digits') stats.digits += 1;
        else stats.timeouts += 1;
      }
      const set = commandSetFor(step, steps);
      if (step > steps) stats.hangups += 1;
      else stats.collects += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(set));
    });
  });
  // Keep-alive on this side: a client that keeps its connections open reuses them.
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as AddressInfo;
      resolve({ server, url: `http://127.0.0.1:${bound}`, stats });
    });
  });
}

/** The application in a process of its own (this file run by node); resolves with its base URL once it listens. */
export function startApplicationProcess(steps: number): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [__filename, '--steps', String(steps)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /application at (http:\/\/\S+)/.exec(out);
      if (m?.[1]) resolve({ child, url: m[1] });
    });
    child.once('exit', (code) => reject(new Error(`the application exited (${code}): ${out}`)));
  });
}

/** What the application process was asked so far. */
export async function applicationStats(url: string): Promise<ApplicationStats> {
  const res = await fetch(`${url}/stats`);
  if (!res.ok) throw new Error(`GET ${url}/stats: ${res.status}`);
  return (await res.json()) as ApplicationStats;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const value = (name: string, fallback: number, min: number): number => {
    const i = args.indexOf(name);
    const v = Number(i >= 0 ? args[i + 1] : fallback);
    if (!Number.isInteger(v) || v < min) throw new Error(`${name} is a whole number from ${min}, not ${args[i + 1]}`);
    return v;
  };
  startApplication(value('--steps', 5, 1), value('--port', 0, 0)).then(
    ({ url }) => console.log(`application at ${url}`),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
