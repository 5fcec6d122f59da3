/**
 * The secrets of a campaign's callback, kept out of its URL.
 *
 * The callback URL is a setting: it is in flows.json, GET /flows serves it
 * to every editor user (read-only ones too), the task document in the store
 * and template exports carry it. So what the receiver checks to trust a
 * callback lives in the campaign node's credentials instead, as one of:
 * - `authorization`: the whole value of an Authorization header
 *   (`Bearer abc...`, `Basic dXNlcjpwYXNz`), sent with every callback to
 *   the URL's origin (not to a redirect target elsewhere);
 * - `query`: query parameters (`token=abc&sig=xyz`), appended to the URL
 *   at send time, for receivers that take their key in the URL.
 *
 * A URL that still holds a secret (user:password@, or a query parameter
 * named like a secret) is found by `urlSecrets`, so the editor and the
 * deploy can warn, naming the parts, never the values; `splitUrlSecrets`
 * takes them out: flows saved before the credentials existed keep working
 * with the secret moved aside at deploy (see docs/campaigns.md).
 */
import { basicAuthorization } from '../net/basic-auth';

export interface CallbackSecrets {
  /** The Authorization header's value. */
  authorization?: string;
  /** Query parameters, URL-encoded (`name=value&name=value`), appended to the callback URL. */
  query?: string;
}

/** Words that make a query parameter a secret: `token`, `api_key`, `X-Api-Key`, `accessToken`, `client_secret`, `sig`. */
const SECRET_WORDS = new Set(['token', 'key', 'secret', 'sig', 'signature', 'password', 'passwd', 'pwd', 'pass', 'auth', 'authorization', 'credential', 'credentials', 'apikey', 'hmac', 'jwt']);
/** The same words run together (`accesstoken`, `xapikey`, `clientsecret`). */
const SECRET_ENDINGS = /(token|secret|password|passwd|signature|apikey|accesskey|secretkey|privatekey|credentials?)$/;

/** Whether a query parameter's name says it holds a secret. */
export function isSecretParameter(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
  if (words.some((w) => SECRET_WORDS.has(w))) return true;
  return SECRET_ENDINGS.test(words.join(''));
}

function decoded(part: string): string {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    return part;
  }
}

/** The raw `name=value` pieces of a query string (without its `?`). */
function pieces(search: string): string[] {
  return search.replace(/^\?/, '').split('&').filter((p) => p !== '');
}

function nameOf(piece: string): string {
  const eq = piece.indexOf('=');
  return decoded(eq < 0 ? piece : piece.slice(0, eq));
}

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/**
 * Where a URL holds a secret, by name only: `user:password` and `query
 * parameter "token"`, in the URL's order. None for a URL that does not
 * parse (the URL's own check says what is wrong with it).
 */
export function urlSecrets(url: string): string[] {
  const u = parse(url);
  if (!u) return [];
  const found: string[] = [];
  if (u.username !== '' || u.password !== '') found.push('user:password');
  for (const piece of pieces(u.search)) {
    const name = nameOf(piece);
    if (isSecretParameter(name)) found.push(`query parameter ${JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}...` : name)}`);
  }
  return found;
}

/**
 * The URL without its secrets, and those secrets: user:password as a Basic
 * Authorization header (what an HTTP client makes of it), the secret query
 * parameters as they were written. A URL without secrets comes back as it
 * was given.
 */
export function splitUrlSecrets(url: string): { url: string; secrets: CallbackSecrets } {
  const u = parse(url);
  if (!u || urlSecrets(url).length === 0) return { url, secrets: {} };
  const secrets: CallbackSecrets = {};
  if (u.username !== '' || u.password !== '') {
    secrets.authorization = basicAuthorization({ username: decoded(u.username), password: decoded(u.password) });
    u.username = '';
    u.password = '';
  }
  const kept: string[] = [];
  const moved: string[] = [];
  for (const piece of pieces(u.search)) (isSecretParameter(nameOf(piece)) ? moved : kept).push(piece);
  if (moved.length > 0) secrets.query = moved.join('&');
  u.search = kept.length > 0 ? `?${kept.join('&')}` : '';
  return { url: u.toString(), secrets };
}

/**
 * The secrets to send: the credentials' first, then what an old URL still
 * held. A credential Authorization replaces the URL's user:password; a
 * query parameter named in the credentials replaces the URL's of that name.
 */
export function mergeSecrets(credentials: CallbackSecrets, fromUrl: CallbackSecrets): CallbackSecrets {
  const out: CallbackSecrets = {};
  const authorization = credentials.authorization || fromUrl.authorization;
  if (authorization) out.authorization = authorization;
  const given = pieces(credentials.query ?? '');
  const names = new Set(given.map(nameOf));
  const query = [...given, ...pieces(fromUrl.query ?? '').filter((p) => !names.has(nameOf(p)))];
  if (query.length > 0) out.query = query.join('&');
  return out;
}

/** Node-RED credential values (strings, or missing) as CallbackSecrets; anything else is left out and reported by checkCallbackSecrets. */
export function readCallbackSecrets(credentials: Record<string, unknown> | undefined): CallbackSecrets {
  const out: CallbackSecrets = {};
  const authorization = credentials?.callbackAuthorization;
  const query = credentials?.callbackQuery;
  if (typeof authorization === 'string' && authorization.trim() !== '') out.authorization = authorization.trim();
  if (typeof query === 'string' && query.trim() !== '') out.query = query.trim().replace(/^[?&]+/, '');
  return out;
}

/** Longest Authorization value and secret query accepted (a token of several kilobytes is a mistake). */
const MAX_SECRET = 4096;

/**
 * Problems with the credentials, each naming the field and what is wrong,
 * never the value (it is a secret): control characters (a header that
 * would be refused, or smuggle another), length, a query that does not
 * encode its parameters.
 */
export function checkCallbackSecrets(secrets: CallbackSecrets): string[] {
  const problems: string[] = [];
  const { authorization, query } = secrets;
  if (authorization !== undefined) {
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(authorization)) problems.push('callbackAuthorization: the Authorization value must be one line without control characters (its value is not shown: it is a secret)');
    else if (/[^\u0020-\u00ff]/.test(authorization)) problems.push('callbackAuthorization: the Authorization value may hold only Latin-1 characters (its value is not shown: it is a secret)');
    if (authorization.length > MAX_SECRET) problems.push(`callbackAuthorization: at most ${MAX_SECRET} characters (got ${authorization.length})`);
  }
  if (query !== undefined) {
    if (!/^[A-Za-z0-9\-._~%!$'()*+,;=:@/?&]*$/.test(query)) {
      problems.push('callbackQuery: query parameters as name=value&name=value, URL-encoded (no spaces, #, quotes or other characters a URL does not allow; its value is not shown: it is a secret)');
    } else if (pieces(query).some((p) => !p.includes('=') || nameOf(p) === '')) {
      problems.push('callbackQuery: each parameter needs a name and =, as name=value&name=value (its value is not shown: it is a secret)');
    }
    if (query.length > MAX_SECRET) problems.push(`callbackQuery: at most ${MAX_SECRET} characters (got ${query.length})`);
  }
  return problems;
}

/** The URL the callback goes to: the configured one with the secret query appended (a copy). */
export function withSecretQuery(url: URL, query: string | undefined): URL {
  const out = new URL(url.toString());
  if (!query) return out;
  const search = out.search.replace(/^\?/, '');
  out.search = search === '' ? `?${query}` : `?${search}&${query}`;
  return out;
}

/**
 * Text (a problem, a log line) with the secrets of any URL in it masked:
 * user:password@ and the values of parameters named like secrets become
 * `***`. Works on URLs that do not parse, too (a problem often quotes one).
 */
export function redactUrlSecrets(text: string): string {
  return text
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"]*@/gi, '$1***@')
    .replace(/([?&])([^=&#\s"?]+)=([^&#\s"]*)/g, (whole, sep: string, name: string) => (isSecretParameter(decoded(name)) ? `${sep}${name}=***` : whole));
}

/** What a campaign's callback settings and credentials come to at deploy. */
export interface CallbackSetup {
  /** The URL to configure the sender with: without secrets. */
  url: string;
  /** What the sender sends: the credentials, then what the URL still held. */
  secrets: CallbackSecrets;
  /** Secrets the configured URL holds, by name (urlSecrets): the flow should move them to the credentials. */
  inUrl: string[];
  /** Problems of the credentials (checkCallbackSecrets). */
  problems: string[];
}

export function callbackSetup(url: string, credentials: CallbackSecrets): CallbackSetup {
  const split = splitUrlSecrets(url);
  return { url: split.url, secrets: mergeSecrets(credentials, split.secrets), inUrl: urlSecrets(url), problems: checkCallbackSecrets(credentials) };
}
