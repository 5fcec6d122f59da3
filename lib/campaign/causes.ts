/**
 * How an attempt ended, derived the way Asterisk reports it: the
 * dialstatus of the Dial events of the originated channel and the hangup
 * cause (Q.850) of its ChannelDestroyed give the failure cause; a channel
 * lost to a fault (Asterisk restarted or crashed, the connection came back
 * without it) or an answered call that a fault ended before its flow did
 * is `lost`, whatever cause it carries. The tables are in
 * docs/campaigns.md#failure-causes.
 */
import type { OriginateOutcome } from '../ari/port';
import type { CallEnd } from '../call/session';
import type { FailureCause } from '../schemas/campaign';
import type { AttemptOutcome } from '../schemas/store';

type Unanswered = Extract<OriginateOutcome, { answered: false }>;

/** An attempt's outcome, and for one a fault decided, why (stored as the attempt's `why`). */
export interface AttemptEndKind {
  outcome: AttemptOutcome;
  why?: string;
}

/**
 * Dial statuses that are Asterisk's own answer whatever the cause. Any
 * other (NOANSWER included) is what main/dial.c's
 * ast_hangup_cause_to_dial_status() derives from the hangup cause, so it
 * says nothing more than the cause does.
 */
const ANSWERS = new Set(['BUSY', 'CONGESTION', 'CHANUNAVAIL']);

/**
 * The outcome of an originate that was not answered: a failure cause when
 * Asterisk gave one, else `lost`:
 * - the channel was lost to a fault (the port's `lost`: Asterisk restarted,
 *   or the connection came back without it) - not an answer of the callee;
 * - it ended with cause 0 (AST_CAUSE_NOTDEFINED: no cause at all) and no
 *   dial status of its own, as a ringing channel does when Asterisk shuts
 *   down (a soft hangup: dial.c publishes NOANSWER, derived from cause 0).
 * A connection closed for good (`lost: 'closed'`) is the caller's to handle:
 * the channel may still ring.
 */
export function unansweredOutcome(outcome: Unanswered): AttemptEndKind {
  if (outcome.lost) return { outcome: 'lost', why: outcome.lost };
  if (outcome.cause === 0 && !ANSWERS.has(outcome.dialStatus ?? '')) return { outcome: 'lost', why: 'no-cause' };
  return { outcome: failureCause(outcome) };
}

/**
 * The outcome of an answered call when it ends. The customer, the callee
 * of a transfer or the flow ending it (a hangup node, the call sent to the
 * dialplan) is the end of the call: `answered`. The system ending it
 * (`by: 'system'`: Asterisk restarted or the connection came back without
 * the channel, Asterisk hung it up itself, or Node-RED ended it after a
 * fault: an element's error, a deploy that stopped the node the call was
 * in, the connection closing, a msg nobody took) means the flow did not
 * finish: `lost`, retried under the result policy. A flow that had already
 * set its business result (callflow-result) reached it: `answered`, with
 * why it ended noted. `why` names the fault: the end's reason, or what
 * Node-RED said when it hung up.
 */
export function answeredOutcome(end: Pick<CallEnd, 'reason' | 'by'> | undefined, hangupWhy: string | undefined, hasResult: boolean): AttemptEndKind {
  if (!end || end.by !== 'system') return { outcome: 'answered' };
  const why = hangupWhy ?? (end.reason === 'hangup' ? 'asterisk-hangup' : end.reason);
  return { outcome: hasResult ? 'answered' : 'lost', why };
}

/**
 * The failure cause of an originate that was not answered.
 *
 * An originate that rings out its own timeout (the task's max response
 * duration) is hung up by Asterisk's dialing API with cause 19 and no
 * final dialstatus; a callee that answers "no answer" (480) or stops
 * ringing reports dialstatus NOANSWER first. Faults are not failure
 * causes: unansweredOutcome() sorts them out first.
 */
export function failureCause(outcome: Unanswered): FailureCause {
  const status = outcome.dialStatus ?? '';
  switch (status) {
    case 'BUSY':
      return 'busy';
    case 'CONGESTION':
      return 'congestion';
    case 'CHANUNAVAIL':
      return outcome.cause === 1 || outcome.cause === 28 || outcome.cause === 22 ? 'unallocated' : 'unreachable';
    default:
      break;
  }
  switch (outcome.cause) {
    case 17:
      return 'busy';
    case 1: // Unallocated (unassigned) number
    case 22: // Number changed
    case 28: // Invalid number format
      return 'unallocated';
    case 21: // Call rejected (SIP 403, 603)
      return 'rejected';
    case 34: // Circuit/channel congestion (SIP 503)
    case 41: // Temporary failure
    case 42: // Switching equipment congestion
    case 44: // Requested channel not available
      return 'congestion';
    case 2: // No route to specified transit network
    case 3: // No route to destination
    case 18: // No user responding (SIP 408)
    case 20: // Subscriber absent
    case 27: // Destination out of order (SIP 502)
    case 38: // Network out of order (SIP 500)
      return 'unreachable';
    case 19:
      return status === 'NOANSWER' ? 'no-answer' : 'max-response-exceeded';
    default:
      return 'no-answer';
  }
}
