/**
 * What a request to the application says about the call and the event, in
 * the callflow names or in Twilio's (docs/http-ivr.md, "Requests").
 */
import type { CallEvent, CallFacts } from './commands';

/** Flat parameters of the callflow form: strings, or numbers kept as numbers in a JSON body. */
export type FlatParameters = Record<string, string | number>;

/** callId, caller, called, flow, step, event, and the event's own fields. */
export function callflowParameters(facts: CallFacts, event: CallEvent): FlatParameters {
  const out: FlatParameters = {
    callId: facts.callId,
    caller: facts.caller,
    called: facts.called,
    flow: facts.flow,
    step: facts.step,
    event: event.event,
  };
  switch (event.event) {
    case 'collect':
      out.outcome = event.outcome;
      out.digits = event.digits;
      if (event.terminator !== undefined) out.terminator = event.terminator;
      break;
    case 'record':
      out.outcome = event.outcome;
      out.recording = event.recording;
      out.durationSec = event.durationSec;
      if (event.terminator !== undefined) out.terminator = event.terminator;
      break;
    case 'transfer':
      out.outcome = event.outcome;
      out.reason = event.reason;
      out.cause = event.cause;
      if (event.dialStatus !== undefined) out.dialStatus = event.dialStatus;
      break;
    case 'conference':
      out.outcome = event.outcome;
      out.reason = event.reason;
      break;
    default:
      break;
  }
  return out;
}

/**
 * Twilio's DialCallStatus (completed, answered, busy, no-answer, failed,
 * canceled: the action parameters of https://www.twilio.com/docs/voice/twiml/dial;
 * the stored copy we could read showed the attribute table, not this list,
 * so the list is not checked against Twilio's text) for Asterisk's dial status (DIALSTATUS words: BUSY, NOANSWER,
 * CANCEL, CHANUNAVAIL, CONGESTION, as lib/ari/causes.ts
 * dialStatusForCause) or, without one, our failure reason
 * (lib/ivr/transfer.ts failureReason).
 */
export function twilioDialStatus(dialStatus: string | undefined, reason: string): string {
  switch ((dialStatus ?? '').toUpperCase()) {
    case 'BUSY':
      return 'busy';
    case 'NOANSWER':
      return 'no-answer';
    case 'CANCEL':
      return 'canceled';
    case 'ANSWER':
      return 'completed';
    case '':
      return reason === 'busy' ? 'busy' : reason === 'no-answer' ? 'no-answer' : 'failed';
    default:
      return 'failed';
  }
}

export interface TwilioAccount {
  /** Sent as AccountSid; '' leaves it out. */
  accountSid: string;
}

/**
 * The parameters of a TwiML voice request, with Twilio's names:
 * - every request (https://www.twilio.com/docs/api/twiml/twilio_request,
 *   "TwiML Voice Requests", "Request Parameters"): CallSid,
 *   AccountSid, From, To, CallStatus, ApiVersion, Direction; Caller and
 *   Called, the older names of From and To, which Twilio still sends (its
 *   signature example above signs Caller);
 *   CallStatus is 'in-progress' (a request is only made while the call is
 *   up) and Direction 'inbound' (the facts do not say otherwise);
 * - after <Gather> (https://www.twilio.com/docs/voice/twiml/gather, action
 *   parameters): Digits; FinishedOnKey, the key that ended the entry, is
 *   sent when one did (named in our brief; the stored copy of Twilio's
 *   Gather page did not show its parameter table, so this name is not
 *   checked against Twilio's text);
 * - after <Record> (https://www.twilio.com/docs/voice/twiml/record, "Request
 *   Parameters"): RecordingUrl (here `recording:<name>`, which our play
 *   accepts, not an https URL), RecordingDuration (seconds), Digits (the key
 *   that ended the recording, if any);
 * - after <Dial> (http://www.twilio.com/docs/api/twiml/dial, 'action': "Twilio
 *   will make a GET or POST request to this URL including the parameters
 *   below"): DialCallStatus; a conference left reports 'completed', one
 *   refused 'failed'.
 * No parameter carries the call's variables: TwiML has none.
 */
export function twilioParameters(facts: CallFacts, event: CallEvent, account: TwilioAccount): Record<string, string> {
  const out: Record<string, string> = {
    CallSid: facts.callId,
    ...(account.accountSid === '' ? {} : { AccountSid: account.accountSid }),
    From: facts.caller,
    To: facts.called,
    Caller: facts.caller,
    Called: facts.called,
    CallStatus: 'in-progress',
    ApiVersion: '2010-04-01',
    Direction: 'inbound',
  };
  switch (event.event) {
    case 'collect':
      out.Digits = event.digits;
      if (event.terminator) out.FinishedOnKey = event.terminator;
      break;
    case 'record':
      out.RecordingUrl = event.recording === '' ? '' : `recording:${event.recording}`;
      out.RecordingDuration = String(event.durationSec);
      if (event.terminator) out.Digits = event.terminator;
      break;
    case 'transfer':
      out.DialCallStatus = twilioDialStatus(event.dialStatus, event.reason);
      break;
    case 'conference':
      out.DialCallStatus = event.outcome === 'refused' ? 'failed' : 'completed';
      break;
    default:
      break;
  }
  return out;
}

/**
 * Twilio's ErrorCode for a failure, sent to the fallback URL
 * (https://www.twilio.com/docs/usage/security/availability-reliability:
 * "Twilio will submit the ErrorCode and ErrorUrl parameters"); the codes
 * from https://www.twilio.com/docs/api/errors: 11100 Invalid URL format,
 * 11200 HTTP retrieval failure (also for a body over the limit: Twilio's
 * dictionary has no code of its own for it that we could check), 11205 HTTP
 * connection failure (timeouts, and URLs of private addresses, as the 11205
 * page says), 11210 HTTP bad host name, 11215 HTTP too many redirects,
 * 11217 HTTP error response code (a 4xx or 5xx answer).
 */
export function twilioErrorCode(reason: string, why: string): string {
  switch (reason) {
    case 'invalid-url':
      return '11100';
    case 'http-status':
      return '11217';
    case 'redirects':
      return '11215';
    case 'timeout':
    case 'refused':
      return '11205';
    case 'unreachable':
      return /DNS lookup/.test(why) ? '11210' : '11205';
    default:
      return '11200';
  }
}
