/**
 * The signature header of a request to the application, so that it can
 * tell a request from this Node-RED from a forged one (docs/http-ivr.md).
 *
 * Callflow form: `X-Callflow-Signature: t=<unix seconds>,v1=<hex>` where
 * hex is HMAC-SHA256(secret, "<t>.<METHOD>.<full URL>.<body>"); the body
 * is '' for a GET. The time lets the application refuse a replayed request
 * (verifySignature allows 5 minutes either way by default).
 *
 * TwiML form: `X-Twilio-Signature`, as Twilio documents it
 * (https://www.twilio.com/docs/usage/webhooks/webhooks-security, "Validating
 * signatures from Twilio"): the full URL of the request, then each POST
 * parameter sorted by name, name and value run together with nothing in
 * between, HMAC-SHA1 with the account's auth token as the key, base64.
 * Twilio's published example (TwilioDevEd/api-snippets,
 * security/signature_validation/signature_validation.3.x.js: token 12345,
 * https://mycompany.com/myapp.php?foo=1&bar=2, CallSid, Caller, Digits,
 * From, To) gives GvWf1cFY/Q7PnoempGyD5oXAezc=, and so does this code
 * (test/http-ivr/requests.test.ts).
 */
import crypto from 'node:crypto';

export const CALLFLOW_SIGNATURE_HEADER = 'x-callflow-signature';
export const TWILIO_SIGNATURE_HEADER = 'x-twilio-signature';

/** The hex HMAC-SHA256 of the callflow form. */
function callflowDigest(secret: string, t: number, method: string, url: string, body: string): string {
  return crypto.createHmac('sha256', secret).update(`${t}.${method.toUpperCase()}.${url}.${body}`, 'utf8').digest('hex');
}

/** The X-Callflow-Signature value for a request sent at `t` (unix seconds). */
export function callflowSignature(secret: string, t: number, method: string, url: string, body: string): string {
  return `t=${t},v1=${callflowDigest(secret, t, method, url, body)}`;
}

/** The X-Twilio-Signature value: url + sorted POST parameters (name+value), HMAC-SHA1, base64. */
export function twilioSignature(secret: string, url: string, postParams: Readonly<Record<string, string>>): string {
  let data = url;
  for (const name of Object.keys(postParams).sort()) data += `${name}${postParams[name] ?? ''}`;
  return crypto.createHmac('sha1', secret).update(data, 'utf8').digest('base64');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

export interface VerifyOptions {
  /** Seconds a signature stays good either side of now, default 300. */
  toleranceSec?: number;
  /** Unix seconds, default the clock's. */
  now?: number;
}

/**
 * What an application does with X-Callflow-Signature: true when the header
 * is well formed, its time is within the tolerance and its v1 is the HMAC
 * of this request (method, full URL as received, raw body; '' for a GET).
 */
export function verifySignature(secret: string, header: string | undefined, method: string, url: string, body: string, options: VerifyOptions = {}): boolean {
  if (typeof header !== 'string' || secret === '') return false;
  const parts = new Map<string, string>();
  for (const piece of header.split(',')) {
    const eq = piece.indexOf('=');
    if (eq > 0) parts.set(piece.slice(0, eq).trim(), piece.slice(eq + 1).trim());
  }
  const tText = parts.get('t') ?? '';
  const v1 = parts.get('v1') ?? '';
  if (!/^[0-9]{1,12}$/.test(tText) || !/^[0-9a-f]{64}$/.test(v1)) return false;
  const t = Number(tText);
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (options.toleranceSec ?? 300)) return false;
  return sameText(v1, callflowDigest(secret, t, method, url, body));
}

/** Checks X-Twilio-Signature as Twilio's helper libraries do (validateRequest). */
export function verifyTwilioSignature(secret: string, header: string | undefined, url: string, postParams: Readonly<Record<string, string>>): boolean {
  return typeof header === 'string' && secret !== '' && sameText(header, twilioSignature(secret, url, postParams));
}
