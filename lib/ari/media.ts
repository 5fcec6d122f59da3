/**
 * Media URIs as ARI's play operation takes them. Users may write an
 * http(s) URL directly; Asterisk wants it as sound:http(s)://..., which
 * normalizeMedia() produces.
 *
 * What Asterisk does with each scheme (res/res_stasis_playback.c):
 * - sound:<name> streams a file (main/file.c): a relative name is looked up
 *   under <datadir>/sounds/, an absolute one (leading /) is used as it is,
 *   so ../ or / would read any sound-format file on the Asterisk host; a
 *   name with "://" anywhere goes to the media cache, which fetches http(s)
 *   URLs with curl (res/res_http_media_cache.c; it follows up to 8 redirects
 *   unless follow_location is turned off).
 * - recording:<name> plays a stored recording (res/stasis_recording/stored.c):
 *   the path is resolved and must start with the recordings directory, by
 *   string prefix, so ../recording-other/x passes a sibling directory.
 * - number:, digits:, characters: say the text; tone:<indication>[;tonezone=<zone>]
 *   (main/app.c, ast_control_tone) plays an indication from indications.conf
 *   or, when there is none of that name, the text as tone data
 *   (main/indications.c: parts "[!][M]f1[+|*[M]f2][/ms]" separated by "|" or ",").
 * - A list is one parameter separated by commas: a comma inside a URI would
 *   start another media. Asterisk splits it with __ast_app_separate_args
 *   (main/app.c): double quotes and backslashes are removed, and no comma
 *   splits while a ( or [ is open, counting across items: so " and \ are
 *   refused, and ( ) [ ] only where they do not close (characters:(a,sound:beep
 *   would be one item).
 * - number: is read as a C int (sscanf %30d) and said by ast_say_number,
 *   which says nothing for INT_MAX ("too big") and only "minus" for INT_MIN:
 *   numbers from -2147483647 to 2147483646 are said.
 */
import dns from 'node:dns';
import { HostAllowlist, bareHost, isInternalIp, parseIp } from '../net/addresses';
import { codePoint, controlCharacter } from './variables';
import { quoted } from './dialstring';

export const MEDIA_SCHEMES = ['sound', 'recording', 'number', 'digits', 'characters', 'tone'] as const;
export type MediaScheme = (typeof MEDIA_SCHEMES)[number];

/** One part of a sound or recording name: no ".", "..", hidden file or empty part. */
const NAME_PART = '[A-Za-z0-9_+-][A-Za-z0-9_.+-]{0,63}';
const MEDIA_NAME = `${NAME_PART}(?:/${NAME_PART}){0,15}`;
const TONE_PART = '!?M?[0-9]{1,5}(?:[+*]M?[0-9]{1,5})?(?:/[0-9]{1,6})?';
/** An indication name (indications.conf) or tone data, with an optional tone zone. */
const TONE = `(?:[A-Za-z][A-Za-z0-9_-]{0,31}|${TONE_PART}(?:\\|${TONE_PART}){0,31})(?:;tonezone=[A-Za-z0-9_-]{1,32})?`;
const URL_TEXT = 'https?://[^\\s,"\\\\\\u0000-\\u001f\\u007f]{1,2000}';

/** One media URI as ARI plays it, or an http(s) URL (played as sound:<url>): the schemas' pattern. */
export const MEDIA_PATTERN = `^(sound:${MEDIA_NAME}|sound:${URL_TEXT}|recording:${MEDIA_NAME}|number:-?\\d{1,10}|digits:[0-9*#]{1,64}|characters:[^,"\\\\\\u0000-\\u001f\\u007f]{1,64}|tone:${TONE}|${URL_TEXT})$`;

const NAME_RE = new RegExp(`^${MEDIA_NAME}$`);
const TONE_RE = new RegExp(`^${TONE}$`);

/**
 * Whether `name` is a stored recording's name we send to Asterisk (GET /recordings/stored/{name}/file): relative to
 * its recordings directory, parts of letters, digits, _ . + - (no ".", ".." or hidden part), as recording: media.
 */
export function isRecordingName(name: string): boolean {
  return name.length <= 1040 && NAME_RE.test(name);
}

/** Returns the URI ARI expects, or throws a RangeError that says what is wrong with it. */
export function normalizeMedia(uri: string): string {
  const trimmed = uri.trim();
  if (/^https?:\/\//i.test(trimmed)) return `sound:${checkUrl(uri, trimmed)}`;
  const colon = trimmed.indexOf(':');
  const scheme = colon > 0 ? trimmed.slice(0, colon) : '';
  const rest = trimmed.slice(colon + 1);
  if (!(MEDIA_SCHEMES as readonly string[]).includes(scheme)) {
    throw new RangeError(
      `media ${quoted(uri)}: expected ${MEDIA_SCHEMES.map((s) => `${s}:`).join(', ')} or an http(s) URL`,
    );
  }
  if (rest.length === 0) throw new RangeError(`media ${quoted(uri)}: nothing after "${scheme}:"`);
  if (rest.includes(',')) throw new RangeError(`media ${quoted(uri)}: a media URI cannot contain a comma (ARI separates a list with commas)`);
  const splitter = listSplitting(rest);
  if (splitter) throw new RangeError(`media ${quoted(uri)}: ${splitter} (Asterisk's list splitting would change it)`);
  const control = controlCharacter(rest);
  if (control !== undefined) throw new RangeError(`media ${quoted(uri)}: contains a control character (${codePoint(control)})`);
  switch (scheme as MediaScheme) {
    case 'sound':
      if (/^https?:\/\//i.test(rest)) return `sound:${checkUrl(uri, rest)}`;
      checkName(uri, rest, 'a sound name is relative to Asterisk\'s sounds directory');
      return trimmed;
    case 'recording':
      checkName(uri, rest, 'a recording name is relative to Asterisk\'s recordings directory');
      return trimmed;
    case 'number':
      if (!/^-?\d+$/.test(rest)) throw new RangeError(`media ${quoted(uri)}: number: takes an integer`);
      if (Math.abs(Number(rest)) > 2147483646 && rest !== '-2147483647') throw new RangeError(`media ${quoted(uri)}: Asterisk says numbers from -2147483647 to 2147483646`);
      return trimmed;
    case 'digits':
      if (!/^[0-9*#]+$/.test(rest)) throw new RangeError(`media ${quoted(uri)}: digits: takes 0-9, * and #`);
      return trimmed;
    case 'tone':
      if (!TONE_RE.test(rest)) {
        throw new RangeError(`media ${quoted(uri)}: tone: takes an indication name (ring, busy...) or tone data such as 440+480/2000|0/4000, then optionally ;tonezone=<zone>`);
      }
      return trimmed;
    case 'characters':
      return trimmed;
  }
}

/**
 * What in one media URI Asterisk's list splitting (main/app.c, __ast_app_separate_args) would change: a double
 * quote or a backslash (removed), or a ( or [ left open (no comma splits the list until it closes, so the next media
 * would join this one). Counted as Asterisk counts: a ) or ] with nothing open is ignored.
 */
function listSplitting(text: string): string | undefined {
  let paren = 0;
  let bracket = 0;
  for (const ch of text) {
    if (ch === '"' || ch === '\\') return `a media URI cannot contain ${ch}`;
    if (ch === '(') paren += 1;
    else if (ch === ')' && paren > 0) paren -= 1;
    else if (ch === '[') bracket += 1;
    else if (ch === ']' && bracket > 0) bracket -= 1;
  }
  if (paren > 0) return 'a ( is not closed';
  if (bracket > 0) return 'a [ is not closed';
  return undefined;
}

function checkName(uri: string, name: string, what: string): void {
  if (name.startsWith('/') || name.split('/').some((part) => part === '..' || part === '.')) {
    throw new RangeError(`media ${quoted(uri)}: ${what} (no leading /, no . or .. parts)`);
  }
  if (!NAME_RE.test(name)) {
    throw new RangeError(`media ${quoted(uri)}: ${what}: parts of letters, digits, _ . + - separated by / (at most 64 characters each)`);
  }
}

function checkUrl(uri: string, url: string): string {
  if (/[\s,]/.test(url) || controlCharacter(url) !== undefined) throw new RangeError(`media ${quoted(uri)}: a URL cannot contain whitespace, commas or control characters`);
  const splitter = listSplitting(url);
  if (splitter) throw new RangeError(`media ${quoted(uri)}: ${splitter} (Asterisk's list splitting would change it): percent-encode it`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RangeError(`media ${quoted(uri)}: not a valid URL`);
  }
  if (!bareHost(parsed)) throw new RangeError(`media ${quoted(uri)}: the URL has no host`);
  return url;
}

export type Lookup = (host: string) => Promise<{ address: string; family: number }[]>;

const defaultLookup: Lookup = (host) => dns.promises.lookup(host, { all: true, verbatim: true });

/**
 * Keeps Asterisk from fetching media from internal addresses on a user's
 * behalf (server-side request forgery through the media cache): an http(s)
 * media URL whose host is, or resolves to, a loopback, private, link-local
 * (cloud metadata), multicast or unspecified address is refused, unless
 * the connection's media allowlist names the host or has an IP or CIDR
 * entry that covers every such address. Asterisk resolves the name again
 * when it fetches (DNS rebinding can give it another address) and follows
 * redirects: see docs/architecture.md.
 */
export class MediaGuard {
  private allow = new HostAllowlist([]);

  constructor(
    private readonly lookup: Lookup = defaultLookup,
    private readonly timeoutMs = 5000,
  ) {}

  /** Replaces the allowlist (entries separated by spaces, commas or new lines); returns the entries that are not a host, *.domain, IP or CIDR range. */
  setAllowlist(text: string): string[] {
    this.allow = new HostAllowlist(text.split(/[\s,]+/).filter((e) => e !== ''));
    return this.allow.invalid;
  }

  /** Whether the URI is one this guard looks at: an http(s) URL (as written or as sound:). */
  static remote(uri: string): boolean {
    return /^(sound:)?https?:\/\//i.test(uri.trim());
  }

  /** Resolves when the media may be played; rejects with a RangeError naming the media and the address otherwise. */
  async check(uri: string, signal?: AbortSignal): Promise<void> {
    if (!MediaGuard.remote(uri)) return;
    const url = new URL(uri.trim().replace(/^sound:/i, ''));
    const host = bareHost(url);
    if (this.allow.hasName(host)) return;
    const refused = (address: string): RangeError =>
      new RangeError(
        `media ${quoted(uri)}: the host ${host}${address === host ? '' : ` resolves to ${address}, which`} is an internal address (loopback, private, link-local, multicast or unspecified) and the connection's media allowlist does not cover it`,
      );
    const literal = parseIp(host);
    if (literal) {
      if (isInternalIp(literal) && !this.allow.covers(literal)) throw refused(host);
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const found = await Promise.race([
      this.lookup(host),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new RangeError(`media ${quoted(uri)}: looking up ${host} took longer than ${this.timeoutMs} ms`)), this.timeoutMs);
        timer.unref();
        onAbort = () => reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
        if (signal?.aborted) onAbort();
        else signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ])
      .catch((err: unknown) => {
        if (err instanceof RangeError || signal?.aborted) throw err;
        throw new RangeError(`media ${quoted(uri)}: the host ${host} could not be looked up (${(err as Error).message})`);
      })
      .finally(() => {
        clearTimeout(timer);
        if (onAbort) signal?.removeEventListener('abort', onAbort);
      });
    if (!Array.isArray(found) || found.length === 0) throw new RangeError(`media ${quoted(uri)}: the host ${host} resolves to no address`);
    for (const { address } of found) {
      const ip = parseIp(String(address));
      if (!ip || (isInternalIp(ip) && !this.allow.covers(ip))) throw refused(String(address));
    }
  }
}
