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
