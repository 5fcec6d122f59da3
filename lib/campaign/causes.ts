/**
 * Why an attempt did not reach the customer, derived the way Asterisk
 * reports it: the dialstatus of the Dial events of the originated channel
 * and the hangup cause (Q.850) of its ChannelDestroyed. The table is in
 * docs/campaigns.md#failure-causes.
 */
import type { OriginateOutcome } from '../ari/port';
import type { FailureCause } from '../schemas/campaign';

/**
 * The failure cause of an originate that was not answered.
 *
 * An originate that rings out its own timeout (the task's max response
 * duration) is hung up by Asterisk's dialing API with cause 19 and no
 * final dialstatus; a callee that answers "no answer" (480) or stops
 * ringing reports dialstatus NOANSWER first.
 */
export function failureCause(outcome: Extract<OriginateOutcome, { answered: false }>): FailureCause {
  if (outcome.lost) return 'unreachable';
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
