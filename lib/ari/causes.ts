/**
 * Hangup causes as Asterisk reports them (ITU-T Q.850 codes with Asterisk's
 * own texts), the hangup reasons ARI accepts, and how Asterisk's PJSIP
 * channel driver maps causes to SIP responses and back. Used by the client
 * adapter, the simulated Asterisk and the call logic, so they all speak the
 * same numbers.
 */

/** Q.850 cause code -> the text Asterisk puts in cause_txt. */
export const CAUSE_TEXT: Readonly<Record<number, string>> = {
  1: 'Unallocated (unassigned) number',
  2: 'No route to specified transmit network',
  3: 'No route to destination',
  6: 'Channel unacceptable',
  7: 'Call awarded and being delivered in an established channel',
  16: 'Normal Clearing',
  17: 'User busy',
  18: 'No user responding',
  19: 'User alerting, no answer',
  20: 'Subscriber absent',
  21: 'Call Rejected',
  22: 'Number changed',
  23: 'Redirected to new destination',
  26: 'Answered elsewhere',
  27: 'Destination out of order',
  28: 'Invalid number format',
  29: 'Facility rejected',
  30: 'Response to STATus ENQuiry',
  31: 'Normal, unspecified',
  34: 'Circuit/channel congestion',
  38: 'Network out of order',
  41: 'Temporary failure',
  42: 'Switching equipment congestion',
  43: 'Access information discarded',
  44: 'Requested channel not available',
  50: 'Facility not subscribed',
  52: 'Outgoing call barred',
  54: 'Incoming call barred',
  57: 'Bearer capability not authorized',
  58: 'Bearer capability not available',
  65: 'Bearer capability not implemented',
  66: 'Channel not implemented',
  69: 'Facility not implemented',
  81: 'Invalid call reference value',
  88: 'Incompatible destination',
  95: 'Invalid message unspecified',
  96: 'Mandatory information element is missing',
  97: 'Message type nonexist.',
  98: 'Wrong message',
  99: 'Info. element nonexist or not implemented',
  100: 'Invalid information element contents',
  101: 'Message not compatible with call state',
  102: 'Recover on timer expiry',
  103: 'Mandatory IE length error',
  111: 'Protocol error, unspecified',
  127: 'Interworking, unspecified',
};

export const Cause = {
  UNKNOWN: 0,
  UNALLOCATED: 1,
  NO_ROUTE_DESTINATION: 3,
  NORMAL_CLEARING: 16,
  USER_BUSY: 17,
  NO_USER_RESPONSE: 18,
  NO_ANSWER: 19,
  SUBSCRIBER_ABSENT: 20,
  CALL_REJECTED: 21,
  ANSWERED_ELSEWHERE: 26,
  DESTINATION_OUT_OF_ORDER: 27,
  INVALID_NUMBER_FORMAT: 28,
  NORMAL_UNSPECIFIED: 31,
  CONGESTION: 34,
  NETWORK_OUT_OF_ORDER: 38,
  TEMPORARY_FAILURE: 41,
  SWITCH_CONGESTION: 42,
  BEARERCAPABILITY_NOTAVAIL: 58,
  INTERWORKING: 127,
} as const;

/** Asterisk's cause text, "Unknown" for codes it has no text for (as ast_cause2str). */
export function causeText(cause: number): string {
  // Own entries only: a cause comes from Asterisk's JSON, and "constructor" there must not read Object.
  return Object.hasOwn(CAUSE_TEXT, cause) ? (CAUSE_TEXT[cause] ?? 'Unknown') : 'Unknown';
}

/** The `reason` values DELETE /channels/{id} accepts, and the cause each sets. */
export const HANGUP_REASONS = {
  normal: 16,
  busy: 17,
  congestion: 34,
  no_answer: 19,
  timeout: 18,
  rejected: 21,
  unallocated: 1,
  normal_unspecified: 31,
  number_incomplete: 28,
  codec_mismatch: 58,
  interworking: 127,
  failure: 38,
  answered_elsewhere: 26,
} as const satisfies Record<string, number>;

export type HangupReason = keyof typeof HANGUP_REASONS;

export function isHangupReason(value: string): value is HangupReason {
  return Object.prototype.hasOwnProperty.call(HANGUP_REASONS, value);
}

/**
 * Whether a Dial event's status says how dialing is going rather than how it
 * ended: "" as it starts, then RINGING, PROGRESS or PROCEEDING as the callee
 * sends them (main/dial.c handle_frame for an originate, main/bridge_channel.c
 * bridge_handle_trip for a created channel being dialed).
 */
export function isProgressDialStatus(status: string): boolean {
  return status === '' || status === 'RINGING' || status === 'PROGRESS' || status === 'PROCEEDING';
}

/** What the core dialing API reports in a Dial event when a callee's channel hangs up with a cause. */
export function dialStatusForCause(cause: number): 'BUSY' | 'CONGESTION' | 'CHANUNAVAIL' | 'NOANSWER' {
  switch (cause) {
    case 17:
      return 'BUSY';
    case 34:
      return 'CONGESTION';
    case 3:
    case 20:
      return 'CHANUNAVAIL';
    default:
      return 'NOANSWER';
  }
}

/**
 * The SIP response chan_pjsip sends when an unanswered inbound call is hung
 * up with a cause. Causes without a mapping make PJSIP answer 603 Decline.
 */
export function sipResponseForCause(cause: number): number {
  const table: Record<number, number> = {
    1: 404, 2: 404, 3: 404,
    17: 486,
    18: 408,
    19: 480, 20: 480,
    21: 403,
    22: 410,
    27: 502,
    28: 484,
    29: 501,
    31: 480,
    34: 503, 42: 503, 66: 503,
    38: 500, 127: 500,
    58: 488,
  };
  return Object.hasOwn(table, cause) ? (table[cause] ?? 603) : 603;
}

/**
 * chan_pjsip's hangup_cause2sip (channels/chan_pjsip.c): the SIP code it answers or ends a call with for a
 * cause, which it also records as the channel's tech_cause (ChannelHangupRequest, ChannelDestroyed); 0 for a
 * cause it has no code for, a normal clearing among them (no tech_cause then).
 */
export function techCauseForHangup(cause: number): number {
  if (cause === 23) return 302;
  const code = sipResponseForCause(cause);
  return code === 603 ? 0 : code;
}

/** The cause chan_pjsip sets when an outbound INVITE fails with a SIP response. */
export function causeForSipResponse(code: number): number {
  const table: Record<number, number> = {
    401: 21, 403: 21, 407: 21,
    404: 1, 485: 1, 604: 1,
    405: 127,
    408: 18,
    409: 41,
    410: 22,
    411: 127, 413: 127, 414: 127, 415: 127,
    420: 3,
    480: 19, 483: 19,
    481: 127, 482: 127, 487: 127, 491: 127, 493: 127, 505: 127,
    484: 28,
    486: 17, 600: 17,
    488: 58, 606: 58,
    500: 38,
    501: 29,
    502: 27,
    503: 34,
    504: 102,
    603: 21,
  };
  const mapped = Object.hasOwn(table, code) ? table[code] : undefined;
  if (mapped !== undefined) return mapped;
  if (code >= 400 && code < 500) return 127;
  if (code >= 500 && code < 600) return 34;
  if (code >= 600 && code < 700) return 127;
  return 16;
}

/**
 * The SIP responses a flow can send an unanswered caller, each with the
 * hangup cause that makes chan_pjsip send it (the inverse of
 * sipResponseForCause) and its standard reason phrase. ARI cannot send
 * any other code, nor set the reason phrase.
 */
export const SIP_RESPONSES: Readonly<Record<number, { cause: number; phrase: string }>> = {
  403: { cause: 21, phrase: 'Forbidden' },
  404: { cause: 1, phrase: 'Not Found' },
  408: { cause: 18, phrase: 'Request Timeout' },
  410: { cause: 22, phrase: 'Gone' },
  480: { cause: 19, phrase: 'Temporarily Unavailable' },
  484: { cause: 28, phrase: 'Address Incomplete' },
  486: { cause: 17, phrase: 'Busy Here' },
  488: { cause: 58, phrase: 'Not Acceptable Here' },
  500: { cause: 38, phrase: 'Server Internal Error' },
  501: { cause: 29, phrase: 'Not Implemented' },
  502: { cause: 27, phrase: 'Bad Gateway' },
  503: { cause: 34, phrase: 'Service Unavailable' },
  603: { cause: 16, phrase: 'Decline' },
};
