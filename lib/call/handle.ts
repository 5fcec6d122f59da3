import crypto from 'node:crypto';

/**
 * msg.call: the serialisable handle a call carries through a Node-RED flow.
 * Plain data only (ids, numbers, variables, the trace), so that core nodes
 * (change, switch, function, link call) and msg cloning work on it. The
 * live state stays in the CallSession that `id` names.
 *
 * Ids are not secret (channel ids can be guessed or read in logs), so a
 * handle also carries `token`, a random value made with the session: a node
 * acts on a call only when msg.call's token is that session's. A msg.call
 * made up from another call's id, or kept from an earlier call, is refused.
 * The token is the only part that must not be logged or stored; the
 * call-end report's msg.call (the call is over) has none.
 */
export interface CallHandle {
  /** The call id; equal to the Asterisk channel id of the call's own channel. */
  id: string;
  channelId: string;
  /** Id of the connection (the callflow-asterisk config node) that owns the call. */
  connection: string;
  /** Proves the handle was made by this package for this call (192 random bits); absent once the call is over. */
  token?: string;
  direction: 'inbound' | 'outbound';
  caller: { number: string; name: string };
  /** The number the caller dialed (inbound) or the number we called (outbound). */
  dialed: string;
  /** The IVR flow the call was routed to, once it is routed. */
  flow?: string;
  /** The version of the flow the call runs, when the flow has versions (a release set). */
  version?: string;
  language?: string;
  /** Settings from the routing table for the dialed number (account, then group, then number level). */
  settings?: { language?: string; firstDigitTimeoutSec?: number; interDigitTimeoutSec?: number; ringTimeoutSec?: number };
  /** How the call found its flow: dialplan (a Stasis argument), number, group, account, or only-flow. */
  route?: { level: string; group?: string };
  /**
   * For a call a campaign placed: campaign id and name, customer id, attempt number, the number called, the contact's
   * custom fields, and the campaign's skill queue (its SkillQueueName) when it sets one.
   */
  campaign?: { id: string; name: string; customerId: string; attempt: number; number: string; custom?: Record<string, unknown>; skillQueue?: string };
  /** The business result set by callflow-result. */
  result?: { code: string; subCode?: string };
  /** Set when the call continues in its release set's exception-handling flow: why (docs/releases.md). */
  exception?: CallException;
  /** Call variables: the flow's own data about this call. Change nodes may edit them. */
  vars: Record<string, unknown>;
  /** The elements the call has passed through, oldest first. */
  trace: TraceEntry[];
  /** ISO 8601 time the call reached the application. */
  startedAt: string;
}

/** Why a call was sent to the exception-handling flow, and from where. */
export interface CallException {
  /**
   * no-flow: no flow took the call (not deployed, not released, no route); element-error: an element failed with
   * "on error: exception flow"; unwired-output: an element sent the call on an output nothing is wired to.
   */
  cause: 'no-flow' | 'element-error' | 'unwired-output';
  /** What happened, in English (at most 300 characters). */
  message: string;
  /** The flow, version and node the call failed in; for no-flow, the flow it was sent to (absent: none was named). */
  flow?: string;
  version?: string;
  node?: string;
  /** ISO 8601 time it was sent there. */
  at: string;
}

export interface TraceEntry {
  /** Node id. */
  node: string;
  /** Element type, e.g. "play". */
  element: string;
  /** ISO 8601 time the element started on this call. */
  at: string;
  /** How the element ended for this call, e.g. "done", "timeout", "error". */
  outcome?: string;
}

/**
 * What a call id (an Asterisk channel id: a unique id such as 1733312345.42,
 * or one this application chose) and a connection id (a Node-RED node id)
 * look like. Anything else in a handle was not made by this product, and is
 * not repeated in a message (it could carry control characters or markup).
 */
const HANDLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Reads msg.call defensively: returns the handle or a sentence saying what is wrong with it. */
export function readHandle(value: unknown): CallHandle | string {
  if (value === undefined || value === null) return 'msg.call is missing: this node needs a msg that came from a call (a callflow-entry node or an earlier element)';
  if (typeof value !== 'object') return `msg.call must be an object, got ${typeof value}`;
  const h = value as Partial<CallHandle>;
  if (typeof h.id !== 'string' || h.id.length === 0) return 'msg.call.id is missing or not a string';
  if (!HANDLE_ID.test(h.id)) return 'msg.call.id is not a call id (1 to 128 letters, digits, . _ : or -)';
  if (typeof h.connection !== 'string' || h.connection.length === 0) return 'msg.call.connection is missing or not a string';
  if (!HANDLE_ID.test(h.connection)) return 'msg.call.connection is not a connection id (1 to 128 letters, digits, . _ : or -)';
  if (h.vars !== undefined && (typeof h.vars !== 'object' || h.vars === null || Array.isArray(h.vars))) {
    return 'msg.call.vars must be an object';
  }
  return h as CallHandle;
}

/** Random bytes in a call's token: 192 bits, beyond guessing. */
const TOKEN_BYTES = 24;
/** Tokens drawn from the system's random source at once: one read per TOKEN_BATCH calls, not one per call. */
const TOKEN_BATCH = 128;
let tokenPool = Buffer.alloc(0);
let tokenPoolAt = 0;

/** A new call token (base64url, 32 characters). */
export function newToken(): string {
  if (tokenPoolAt + TOKEN_BYTES > tokenPool.length) {
    tokenPool = crypto.randomBytes(TOKEN_BYTES * TOKEN_BATCH);
    tokenPoolAt = 0;
  }
  const token = tokenPool.toString('base64url', tokenPoolAt, tokenPoolAt + TOKEN_BYTES);
  // The bytes handed out are not kept in memory longer than needed.
  tokenPool.fill(0, tokenPoolAt, tokenPoolAt + TOKEN_BYTES);
  tokenPoolAt += TOKEN_BYTES;
  return token;
}

/**
 * Whether `given` (msg.call.token, anything) is the call's `token`, compared
 * in constant time on their UTF-16 code units (two bytes each, so no two
 * strings compare equal). Every token has the same length (32 characters),
 * so a value of another length is refused without looking at its content:
 * that says nothing a caller does not know. (Hashing both sides first would
 * hide the length too, at two SHA-256 per element step.)
 */
export function tokenMatches(token: string, given: unknown): boolean {
  if (typeof given !== 'string' || given.length !== token.length) return false;
  if (token.length * 2 !== tokenBuffers[0].length) return crypto.timingSafeEqual(Buffer.from(token, 'utf16le'), Buffer.from(given, 'utf16le'));
  // Written into two buffers kept for the purpose (JavaScript runs one comparison at a time): no allocation per step.
  tokenBuffers[0].write(token, 0, 'utf16le');
  tokenBuffers[1].write(given, 0, 'utf16le');
  return crypto.timingSafeEqual(tokenBuffers[0], tokenBuffers[1]);
}

/** Where tokenMatches puts the two tokens it compares: the size of the tokens newToken makes (32 UTF-16 code units). */
const tokenBuffers: readonly [Buffer, Buffer] = [Buffer.alloc(Math.ceil(TOKEN_BYTES / 3) * 4 * 2), Buffer.alloc(Math.ceil(TOKEN_BYTES / 3) * 4 * 2)];

/** msg.call without its token: what may be shown, stored or copied into variables. */
export function withoutToken<T extends { token?: unknown }>(handle: T): Omit<T, 'token'> {
  const { token: _token, ...rest } = handle;
  return rest;
}

/** A call variable as text, for Asterisk (a channel variable, a dial string): objects as JSON, nothing as "". */
export function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
      return value.toString();
    case 'object':
      return JSON.stringify(value);
    default:
      return '';
  }
}
