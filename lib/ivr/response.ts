/**
 * Ends an unanswered call with a SIP response (486 Busy Here, 404 Not
 * Found, ...), optionally after media played as early media (the caller
 * hears it before the call is refused, usually free of charge). ARI sends
 * a response through the hangup cause chan_pjsip maps to it; a call that
 * was already answered can only be hung up (a BYE), with the same cause.
 */
import { SIP_RESPONSES } from '../ari/causes';
import type { Telephony } from '../ari/port';
import type { CallRegistry } from '../call/registry';
import type { CallSession } from '../call/session';
import { playThrough } from './play';

export interface ResponseRequest {
  code: number;
  /** Words for the trace and the call-end report (Asterisk cannot send a custom reason phrase). */
  reason: string;
  media: string[];
  language: string;
}

export interface ResponseResult {
  code: number;
  cause: number;
  /** false when the call had been answered: it was hung up instead (no SIP response can be sent then). */
  sent: boolean;
}

/** `ending` hears the result just before the call is ended (whoever reports the end sees it). */
export async function respond(
  telephony: Telephony,
  registry: CallRegistry,
  session: CallSession,
  req: ResponseRequest,
  signal: AbortSignal,
  ending?: (result: ResponseResult) => void,
): Promise<ResponseResult> {
  const mapping = SIP_RESPONSES[req.code];
  if (!mapping) throw new RangeError(`SIP ${req.code} cannot be sent through ARI; use one of ${Object.keys(SIP_RESPONSES).join(', ')}`);
  // Played without answering: early media.
  if (req.media.length > 0) await playThrough(telephony, session, req.media, req.language, signal);
  const result: ResponseResult = { code: req.code, cause: mapping.cause, sent: session.state !== 'up' };
  ending?.(result);
  await registry.hangup(session, { code: mapping.cause });
  return result;
}
