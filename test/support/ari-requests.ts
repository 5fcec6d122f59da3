/**
 * The HTTP requests an in-process server (the simulated Asterisk) receives,
 * seen through Node's own `http.server.request.start` diagnostics channel:
 * a test can say "no request named this channel" without touching the
 * simulator's code.
 */
import diagnostics from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';

export interface RequestLog {
  /** "METHOD /path?query" of each request whose URL contains the text, oldest first. */
  list(): string[];
  /** Stops recording (call it in a finally or afterEach). */
  stop(): void;
}

function decoded(url: string): string {
  try {
    return decodeURIComponent(url);
  } catch {
    return url;
  }
}

/** Records, from now on, the requests whose URL contains `text` (a channel id). */
export function requestsNaming(text: string): RequestLog {
  const seen: string[] = [];
  const onStart = (message: unknown): void => {
    const request = (message as { request?: IncomingMessage }).request;
    const url = request?.url ?? '';
    if (url.includes(text) || decoded(url).includes(text)) seen.push(`${request?.method ?? '?'} ${url}`);
  };
  diagnostics.subscribe('http.server.request.start', onStart);
  return {
    list: () => [...seen],
    stop: () => {
      diagnostics.unsubscribe('http.server.request.start', onStart);
    },
  };
}

/**
 * Resolves with "METHOD /path status" once the server has answered a request of this method whose URL contains
 * `text` (from now on), seen through `http.server.response.finish`; fails after timeoutMs.
 */
export function answered(method: string, text: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const onFinish = (message: unknown): void => {
      const { request, response } = message as { request?: IncomingMessage; response?: { statusCode: number } };
      const url = request?.url ?? '';
      if (request?.method !== method || (!url.includes(text) && !decoded(url).includes(text))) return;
      clearTimeout(timer);
      diagnostics.unsubscribe('http.server.response.finish', onFinish);
      resolve(`${request?.method ?? '?'} ${decoded(url)} ${response?.statusCode ?? '?'}`);
    };
    const timer = setTimeout(() => {
      diagnostics.unsubscribe('http.server.response.finish', onFinish);
      reject(new Error(`no ${method} naming ${text} was answered within ${timeoutMs} ms`));
    }, timeoutMs);
    diagnostics.subscribe('http.server.response.finish', onFinish);
  });
}
