/**
 * One bounded HTTP POST for the speech and bot providers: one deadline covers connecting, the answer and its body; the
 * body is read up to maxBytes and the socket destroyed past it; no redirect is followed (a key must not travel to
 * another host); the call's signal cancels it. Errors are SpeechErrors naming the provider as `shown`.
 *
 * Connections are kept alive between requests (one agent per protocol, idle sockets closed after IDLE_SOCKET_MS, below
 * the 5 s Node's own servers keep them): a robot turn makes three requests in a row, and a new connection for each put
 * a connect on the way from the caller's speech to the reply. A request on a kept-alive socket that the server had
 * just closed (ECONNRESET before any answer) is sent once more on a new one, as the ARI client does (lib/ari/rest.ts).
 * That reset cannot tell a request the server never read from one it read and then dropped the connection on without
 * answering (a crash, a proxy's limit): the second is sent twice. A bot webhook with side effects sees the turn twice
 * then (test/speech/bot.test.ts, the kept-alive connection closed as the next turn went out).
 */
import http from 'node:http';
import https from 'node:https';
import { SpeechError, outsideText } from './provider';

/** How long a kept-alive connection to a provider may stay idle (ms). */
export const IDLE_SOCKET_MS = 4000;

const agents = {
  http: new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
  https: new https.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
};

export interface PostAnswer {
  status: number;
  contentType: string;
  body: Buffer;
}

export function postBounded(url: URL, headers: Record<string, string>, body: Buffer, options: { timeoutMs: number; maxBytes: number; shown: string; signal?: AbortSignal }): Promise<PostAnswer> {
  const { shown, signal } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new SpeechError('aborted', `${shown}: cancelled`));
      return;
    }
    const secure = url.protocol === 'https:';
    let settled = false;
    let req: http.ClientRequest | undefined;
    let retried = false;
    let answered = false;
    const finish = (err: SpeechError | undefined, value?: PostAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (err) {
        req?.destroy();
        reject(err);
      } else resolve(value as PostAnswer);
    };
    const send = (): void => {
      const requestOptions = { method: 'POST', headers: { ...headers, 'content-length': String(body.length) }, agent: secure ? agents.https : agents.http };
      const sent = (secure ? https : http).request(url, requestOptions, (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > options.maxBytes) finish(new SpeechError('too-large', `${shown} sent more than ${options.maxBytes} bytes`));
          else chunks.push(chunk);
        });
        res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks) }));
        res.on('error', (err) => finish(new SpeechError('unavailable', `${shown}: the answer was cut short (${err.message})`)));
        res.on('aborted', () => finish(new SpeechError('unavailable', `${shown}: the answer was cut short`)));
      });
      req = sent;
      sent.on('error', (err: NodeJS.ErrnoException) => {
        if (settled || sent !== req) return;
        // A kept-alive socket the server had just closed (or one it dropped after reading the request: see above).
        if (!retried && !answered && sent.reusedSocket && err.code === 'ECONNRESET') {
          retried = true;
          send();
          return;
        }
        finish(new SpeechError('unavailable', `${shown} could not be reached (${err.message})`));
      });
      sent.end(body);
    };
    const timer = setTimeout(() => finish(new SpeechError('timeout', `${shown} did not answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    const onAbort = (): void => finish(new SpeechError('aborted', `${shown}: cancelled`));
    signal?.addEventListener('abort', onAbort, { once: true });
    send();
  });
}

/** ": <message>" from an error answer ({"error":{"message":...}} as OpenAI sends it, else its text), or ''. */
export function errorMessage(body: Buffer): string {
  const text = body.subarray(0, 4000).toString('utf8');
  let message = text;
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const m = typeof parsed.error === 'object' ? parsed.error?.message : (parsed.error ?? parsed.message);
    if (typeof m === 'string') message = m;
  } catch {
    // not JSON: its text
  }
  const shown = outsideText(message, 200);
  return shown ? `: ${shown}` : '';
}
