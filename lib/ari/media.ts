/**
 * Media URIs as ARI's play operation takes them. Users may write an
 * http(s) URL directly; Asterisk wants it as sound:http(s)://..., which
 * normalizeMedia() produces.
 */

export const MEDIA_SCHEMES = ['sound', 'recording', 'number', 'digits', 'characters', 'tone'] as const;
export type MediaScheme = (typeof MEDIA_SCHEMES)[number];

/** Returns the URI ARI expects, or throws a RangeError that says what is wrong with it. */
export function normalizeMedia(uri: string): string {
  const trimmed = uri.trim();
  if (/^https?:\/\/\S+$/i.test(trimmed)) return `sound:${trimmed}`;
  const colon = trimmed.indexOf(':');
  const scheme = colon > 0 ? trimmed.slice(0, colon) : '';
  const rest = trimmed.slice(colon + 1);
  if (!(MEDIA_SCHEMES as readonly string[]).includes(scheme)) {
    throw new RangeError(
      `media "${uri}": expected ${MEDIA_SCHEMES.map((s) => `${s}:`).join(', ')} or an http(s) URL`,
    );
  }
  if (rest.length === 0) throw new RangeError(`media "${uri}": nothing after "${scheme}:"`);
  if (rest.includes(',')) throw new RangeError(`media "${uri}": a media URI cannot contain a comma (ARI separates a list with commas)`);
  switch (scheme as MediaScheme) {
    case 'sound':
      if (/^https?:\/\//i.test(rest)) return trimmed;
      if (rest.startsWith('/') || rest.split('/').includes('..')) {
        throw new RangeError(`media "${uri}": a sound name is relative to Asterisk's sounds directory (no leading / or ..)`);
      }
      return trimmed;
    case 'number':
      if (!/^-?\d+$/.test(rest)) throw new RangeError(`media "${uri}": number: takes an integer`);
      return trimmed;
    case 'digits':
      if (!/^[0-9*#]+$/.test(rest)) throw new RangeError(`media "${uri}": digits: takes 0-9, * and #`);
      return trimmed;
    case 'recording':
    case 'characters':
    case 'tone':
      return trimmed;
  }
}
