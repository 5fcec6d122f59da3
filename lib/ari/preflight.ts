/**
 * What is checked before a connect attempt puts the server to use: the ARI
 * URL as the user typed it, normalised (scheme, host, port, path; no /ari,
 * no credentials), and the API documents, fetched with our credentials
 * before ari-client loads them, so that a wrong password is "auth failed"
 * and a server that is not ARI says so, instead of ari-client's uncaught
 * exception (docs/architecture.md, "The ARI adapter"). AttemptError is how
 * an attempt failed, as the connection's supervisor reports it.
 *
 * Apart from connection.ts because none of it needs a live connection: it
 * is the ground a connection is built on, and a test or bench can call it
 * alone.
 */
import { basicAuthorization, type BasicCredentials } from '../net/basic-auth';
import { CancelledError } from './errors';
import type { ConnectionState } from './port';

/** How one connect attempt failed: the state the connection reports, and why. */
export class AttemptError extends Error {
  constructor(
    readonly state: Extract<ConnectionState, 'auth-failed' | 'unreachable' | 'failed'>,
    message: string,
  ) {
    super(message);
  }
}

/** Error codes that mean the server did not answer (unreachable), not that it refused. */
export const NETWORK_CODES = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|EPIPE|UND_ERR_CONNECT_TIMEOUT|UND_ERR_SOCKET)$/;

/** Normalises what a user types as the ARI URL: scheme, host, port; no /ari, no trailing slash. */
export function normalizeAriUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new RangeError(`ARI URL "${url}" is not a URL; expected e.g. http://127.0.0.1:8088`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new RangeError(`ARI URL "${url}" must start with http:// or https://`);
  if (parsed.username || parsed.password) throw new RangeError('put the ARI username and password in their own fields, not in the URL');
  // Trailing slashes dropped by hand: /\/+$/ backtracks quadratically on a long run of slashes.
  let end = parsed.pathname.length;
  while (end > 0 && parsed.pathname.charCodeAt(end - 1) === 0x2f) end -= 1;
  const path = parsed.pathname.slice(0, end).replace(/\/ari$/, '');
  return `${parsed.protocol}//${parsed.host}${path}`;
}

/** Checks the API documents with our credentials before ari-client loads them. */
export async function preflight(server: BasicCredentials & { baseUrl: string }, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const { baseUrl } = server;
  const headers = { Authorization: basicAuthorization(server), Accept: 'application/json' };
  const get = async (path: string): Promise<unknown> => {
    let res: Response;
    try {
      res = await fetch(`${baseUrl}/ari/${path}`, { headers, signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
    } catch (err) {
      if (signal.aborted) throw new CancelledError('closing');
      const cause = (err as { cause?: { code?: string } }).cause;
      const code = cause?.code ?? ((err as Error).name === 'TimeoutError' ? 'ETIMEDOUT' : undefined);
      throw new AttemptError('unreachable', `no answer from ${baseUrl}${code ? ` (${code})` : ''}`);
    }
    if (res.status === 401) throw new AttemptError('auth-failed', 'Asterisk refused the username or password (HTTP 401)');
    // res_ari.c ast_ari_get_docs: 500 "Cannot find rest-api directory" without the folder, 404 "Resource not found"
    // without the file. Seen on an Asterisk 22.11 built from source whose `make install` stopped before its data files.
    if ((res.status === 404 || res.status === 500) && (await ariAnswers(baseUrl, headers, signal, timeoutMs))) {
      throw new AttemptError(
        'failed',
        `${baseUrl}/ari/${path} answered HTTP ${res.status} though ARI answers: this Asterisk lacks its API documents, the rest-api JSON files of its data directory (astdatadir, e.g. /var/lib/asterisk/rest-api), which "make install" puts there and the ARI client needs`,
      );
    }
    if (!res.ok) {
      throw new AttemptError(
        'failed',
        `${baseUrl}/ari/${path} answered HTTP ${res.status}; is ARI enabled (ari.conf [general] enabled = yes, http.conf enabled = yes)?`,
      );
    }
    try {
      return (await res.json());
    } catch {
      throw new AttemptError('failed', `${baseUrl}/ari/${path} did not answer with JSON; is this the Asterisk HTTP server?`);
    }
  };
  const listing = (await get('api-docs/resources.json')) as { apis?: { path?: string }[] };
  if (!Array.isArray(listing.apis)) throw new AttemptError('failed', `${baseUrl}/ari/api-docs/resources.json is not an ARI resource listing`);
  await Promise.all(
    listing.apis.map((api) => {
      const path = (api.path ?? '').replace('{format}', 'json').replace(/^\//, '');
      return path ? get(path) : Promise.resolve(undefined);
    }),
  );
}

/** Whether ARI itself answers (GET /ari/asterisk/info), when its documents were not found. */
async function ariAnswers(baseUrl: string, headers: Record<string, string>, signal: AbortSignal, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(`${baseUrl}/ari/asterisk/info`, { headers, signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}
