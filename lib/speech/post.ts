/**
 * One bounded HTTP POST for the speech and bot providers: one deadline covers connecting, the answer and its body; the
 * body is read up to maxBytes and the socket destroyed past it; no redirect is followed (a key must not travel to
 * another host); the call's signal cancels it. Errors are SpeechErrors naming the provider as `shown`.
 */
import http from 'node:http';
import https from 'node:https';
import { SpeechError, outsideText } from './provider';

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
    const client = url.protocol === 'https:' ? https : http;
    let settled = false;
    const finish = (err: SpeechError | undefined, value?: PostAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(value as PostAnswer);
    };
    const req = client.request(url, { method: 'POST', headers: { ...headers, 'content-length': String(body.length) }, agent: false }, (res) => {
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
    const timer = setTimeout(() => finish(new SpeechError('timeout', `${shown} did not answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    const onAbort = (): void => finish(new SpeechError('aborted', `${shown}: cancelled`));
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err) => finish(new SpeechError('unavailable', `${shown} could not be reached (${err.message})`)));
    req.end(body);
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
