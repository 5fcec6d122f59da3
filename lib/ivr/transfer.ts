/**
 * Transfers: the caller is connected to someone else.
 *
 * - To an endpoint (PJSIP/100) or a number through a dial string: a second
 *   channel is created in the application and dialed, with ringback to the
 *   caller; when it answers, both are put in a bridge. From then on the call
 *   is "handed off": when either party hangs up, the other is hung up too,
 *   and the call's end says who hung up first.
 * - Into the dialplan (context, extension, priority) or to a queue (a
 *   dialplan context whose extensions run Queue()): the call leaves the
 *   application.
 * - A failed attempt (busy, no answer, unallocated...) comes back with
 *   Asterisk's cause, and the caller stays in the flow.
 */
import { randomUUID } from 'node:crypto';
import { causeText, isProgressDialStatus } from '../ari/causes';
import { campaignDialString, checkDialplanTarget, DialStringError, quoted, type DialAllowlist } from '../ari/dialstring';
import { abortReason, AriError } from '../ari/errors';
import { channelValueProblem } from '../ari/variables';
import type { Telephony, TelephonyEvent } from '../ari/port';
import { asText } from '../call/handle';
import type { CallRegistry } from '../call/registry';
import type { CallSession } from '../call/session';
import { own } from '../own';
import { QUEUE_NAME_PATTERN } from '../schemas/elements';
import { answer } from './answer';
import { TRANSIN_VARIABLE } from './associated-data';

export type FailureReason = 'busy' | 'no-answer' | 'unallocated' | 'rejected' | 'congestion' | 'unavailable' | 'failed';

/** What a dial failure's Q.850 cause means for the person who placed the call. */
export function failureReason(cause: number): FailureReason {
  switch (cause) {
    case 17:
      return 'busy';
    case 0:
    case 18:
    case 19:
      return 'no-answer';
    case 1:
    case 22:
    case 28:
      return 'unallocated';
    case 21:
      return 'rejected';
    case 34:
    case 42:
    case 44:
      return 'congestion';
    case 3:
    case 20:
    case 27:
    case 38:
    case 41:
      return 'unavailable';
    default:
      return 'failed';
  }
}

export type TransferResult =
  | { outcome: 'connected'; peer: string; endpoint: string }
  | { outcome: 'left'; target: string }
  | { outcome: 'failed'; reason: FailureReason; cause: number; causeText: string; dialStatus?: string; endpoint: string };

/** Replaces {name} and {vars.name} in a dial string template with the call's values. */
export function fillTemplate(template: string, values: Record<string, unknown>, vars: Record<string, unknown>): string {
  return template.replace(/\{([A-Za-z0-9_.]+)\}/g, (whole, key: string) => {
    const source = key.startsWith('vars.') ? own(vars, key.slice(5)) : own(values, key);
    if (source === undefined || source === null) throw new RangeError(`the dial string ${template} needs ${key}, which this call does not have`);
    return asText(source);
  });
}

/**
 * The dial string for a transfer to a number: a phone number only (digits, * and #, an optional +), put into the
 * dial string template, which must then be one destination the connection's dial allowlist allows. A refusal is a
 * DialStringError naming the field and the value; nothing reaches Asterisk.
 */
export function numberEndpoint(dialString: string, number: string, destinations: DialAllowlist): string {
  if (!/^\+?[0-9*#]{1,32}$/.test(number)) throw new DialStringError('number', number, `the number to transfer to is not a phone number: ${quoted(number)}`);
  return campaignDialString(dialString, number, destinations);
}

export async function transferToEndpoint(
  telephony: Telephony,
  registry: CallRegistry,
  session: CallSession,
  req: { endpoint: string; ringTimeoutSec: number; /** The number the callee sees (default: the caller's). */ callerId?: string },
  signal: AbortSignal,
): Promise<TransferResult> {
  // What the callee's phone shows goes into channel variables (CALLERID, CONNECTEDLINE): the caller's number is the caller's to choose.
  const shown = req.callerId || session.caller.number;
  const badShown = shown ? channelValueProblem(shown) : undefined;
  if (badShown) throw new RangeError(`callerId: the number shown to the callee, ${JSON.stringify(shown)}, ${badShown}`);
  const peerId = `${session.id}-t${randomUUID().slice(0, 8)}`;
  registry.claim(peerId);
  let dialStatus: string | undefined;
  let settle: ((r: { answered: true } | { answered: false; cause: number; causeText: string }) => void) | undefined;
  const outcome = new Promise<{ answered: true } | { answered: false; cause: number; causeText: string }>((resolve) => (settle = resolve));
  let hangupCause: number | undefined;
  const unwatch = telephony.watchChannel(peerId, (event: TelephonyEvent) => {
    if (event.type === 'Dial' && event.peer.id === peerId && !isProgressDialStatus(event.dialstatus)) {
      dialStatus = event.dialstatus;
      if (event.dialstatus === 'ANSWER') settle?.({ answered: true });
    } else if (event.type === 'ChannelHangupRequest' && !event.soft && event.cause !== undefined) {
      hangupCause = event.cause;
    } else if (event.type === 'ChannelDestroyed') {
      settle?.({ answered: false, cause: event.cause, causeText: event.cause_txt });
    } else if (event.type === 'ChannelLost') {
      settle?.({ answered: false, cause: hangupCause ?? 0, causeText: causeText(hangupCause ?? 0) });
    }
  });
  const ringback = session.state === 'up' ? `${peerId}-ringback` : undefined;
  const stopRingback = (): void => {
    if (ringback) telephony.stopPlayback(ringback).catch(() => undefined);
  };
  const onAbort = (): void => {
    // The caller hung up (or the node closed) while the callee rang: the callee goes too.
    stopRingback();
    telephony.hangup(peerId, 'normal').catch(() => undefined);
    settle?.({ answered: false, cause: 16, causeText: causeText(16) });
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const create: { channelId: string; endpoint: string; appArgs: string[]; variables?: Record<string, string> } = {
      channelId: peerId,
      endpoint: req.endpoint,
      appArgs: ['transfer', session.id],
    };
    // What the callee's phone shows: chan_pjsip builds the From of an outgoing call from the channel's
    // connected line, and a created channel has none of the caller's until we set it.
    if (shown) create.variables = { 'CALLERID(num)': shown, 'CONNECTEDLINE(num)': shown };
    try {
      await telephony.createChannel(create, signal);
    } catch (err) {
      if (signal.aborted) throw abortReason(signal);
      // Asterisk answers 500 when it cannot request the endpoint (chan_pjsip: no such endpoint, cause 3):
      // the callee is unavailable. Anything else (no connection, a refused request) is an error.
      if (!(err instanceof AriError && err.kind === 'server')) throw err;
      return { outcome: 'failed', reason: 'unavailable', cause: 3, causeText: `Asterisk could not call ${req.endpoint} (${err.message})`, endpoint: req.endpoint };
    }
    if (ringback) {
      telephony.play({ channelId: session.channelId }, ['tone:ring'], { playbackId: ringback, signal }).catch(() => undefined);
    } else {
      await telephony.ring(session.channelId, signal).catch(() => undefined);
    }
    // No `caller`: ARI's dial would copy the caller's caller id over the connected line set above
    // (ast_ari_channels_dial, ast_connected_line_copy_from_caller), and the callee would see the caller's number.
    await telephony.dial(peerId, { timeoutSec: req.ringTimeoutSec }, signal);
    const result = await outcome;
    stopRingback();
    if (signal.aborted) throw abortReason(signal);
    if (!result.answered) {
      const failed: TransferResult = { outcome: 'failed', reason: failureReason(result.cause), cause: result.cause, causeText: result.causeText, endpoint: req.endpoint };
      if (dialStatus) failed.dialStatus = dialStatus;
      return failed;
    }
    await answer(telephony, session, signal);
    const bridge = await telephony.createBridge({ bridgeId: `${peerId}-bridge`, type: 'mixing' }, signal);
    await telephony.addToBridge(bridge.id, [session.channelId, peerId], signal);
    handOff(telephony, registry, session, peerId, bridge.id);
    return { outcome: 'connected', peer: peerId, endpoint: req.endpoint };
  } catch (err) {
    telephony.hangup(peerId, 'normal').catch(() => undefined);
    throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
    unwatch();
  }
}

/**
 * The caller and the peer are talking: whoever hangs up first ends the
 * call for both, and the caller's call end says who it was.
 */
function handOff(telephony: Telephony, registry: CallRegistry, session: CallSession, peerId: string, bridgeId: string): void {
  session.handedOff = true;
  session.busy();
  session.peer = peerId;
  const unwatch = telephony.watchChannel(peerId, (event) => {
    const gone = event.type === 'StasisEnd' || event.type === 'ChannelDestroyed' || event.type === 'ChannelLost';
    if (!gone || session.signal.aborted) return;
    unwatch();
    registry.hangup(session, 'normal', 'callee').catch(() => undefined);
    telephony.destroyBridge(bridgeId).catch(() => undefined);
  });
  session.signal.addEventListener(
    'abort',
    () => {
      unwatch();
      telephony.hangup(peerId, 'normal').catch(() => undefined);
      telephony.destroyBridge(bridgeId).catch(() => undefined);
    },
    { once: true },
  );
}

/**
 * Sends the call into Asterisk's dialplan; it leaves the application. With associated data (`data`, see
 * associated-data.ts), the channel variable TRANSIN_DATA is set on the caller's channel first, so the dialplan and
 * the channels Queue() or Dial() make from it can read it.
 */
export async function transferToDialplan(
  telephony: Telephony,
  session: CallSession,
  target: { context: string; extension: string; priority: number },
  signal: AbortSignal,
  data?: string,
): Promise<TransferResult> {
  if (data !== undefined) await telephony.setVariable(session.channelId, TRANSIN_VARIABLE, data, signal);
  session.leaving = 'dialplan';
  session.handedOff = true;
  const left: TransferResult = { outcome: 'left', target: `${target.context},${target.extension},${target.priority}` };
  try {
    await telephony.continueInDialplan(session.channelId, target, signal);
  } catch (err) {
    // The channel's StasisEnd can overtake the answer to the request: the call left, as asked.
    if (session.ended?.reason === 'left-application') return left;
    session.leaving = undefined;
    session.handedOff = false;
    throw err;
  }
  return left;
}

/**
 * The queue a transfer goes to: a queue name as written, or the value of {vars.name} (a call variable) or
 * {campaign.skillQueue} (the skill queue of the campaign that placed the call). A value from the call is held to
 * the queue-name rule of the node's form (1 to 80 letters, digits, _ . or -) before it goes anywhere near the
 * dialplan; a refusal is a DialStringError naming the field `queue`, where the value came from and the value.
 */
export function queueName(queue: string, session: Pick<CallSession, 'vars' | 'campaign'>): string {
  const variable = /^\{vars\.([^}]*)\}$/.exec(queue)?.[1];
  let from: string;
  let value: unknown;
  if (variable !== undefined) {
    from = `the call variable ${variable}`;
    value = own(session.vars, variable);
  } else if (queue === '{campaign.skillQueue}') {
    from = "the campaign's skill queue";
    value = session.campaign?.skillQueue;
    if (value === undefined) {
      const why = session.campaign ? `its campaign ${quoted(session.campaign.name)} sets no skill queue` : 'it is not a call a campaign placed';
      throw new DialStringError('queue', queue, `{campaign.skillQueue}: this call has no skill queue to transfer to (${why})`);
    }
  } else {
    return queue;
  }
  if (value === undefined || value === null || value === '') throw new DialStringError('queue', '', `${queue}: ${from} is empty or not set, so there is no queue to transfer to`);
  const text = typeof value === 'string' || typeof value === 'number' ? String(value) : asText(value);
  if (!QUEUE_NAME.test(text)) {
    throw new DialStringError('queue', text, `the queue name from ${from} (${queue}), ${quoted(text)}, is not a queue name: 1 to 80 letters, digits, _ . or - expected`);
  }
  // A value the call carries (a caller may have keyed it in) must not name one of the dialplan's special extensions
  // of the queue context: those run on start, hangup, bad input or timeouts, not Queue().
  if (SPECIAL_EXTENSIONS.has(text)) {
    throw new DialStringError('queue', text, `the queue name from ${from} (${queue}), ${quoted(text)}, is one of Asterisk's special extensions (${[...SPECIAL_EXTENSIONS].join(', ')}), not a queue`);
  }
  return text;
}

const QUEUE_NAME = new RegExp(QUEUE_NAME_PATTERN);

/**
 * The extensions Asterisk's own code jumps to by name: s (start), i (invalid), t and T (timeouts), e (exception) in
 * main/pbx.c (__ast_pbx_run, lines 2922-3127 at f0c1c1a7); h after a bridge or a hangup (main/bridge_after.c 464);
 * a and o in apps/app_voicemail.c; failed for call files (main/pbx.c 6231); fax (res/res_fax.c 3958); talk
 * (apps/app_talkdetect.c 213).
 */
const SPECIAL_EXTENSIONS = new Set(['s', 'i', 't', 'T', 'e', 'h', 'a', 'o', 'failed', 'fax', 'talk']);

/** To a queue: the queue's extension in the dialplan context whose extensions run Queue(), from priority 1. */
export function transferToQueue(
  telephony: Telephony,
  session: CallSession,
  req: { queue: string; queueContext: string; /** Associated data for TRANSIN_DATA (associated-data.ts). */ data?: string },
  signal: AbortSignal,
): Promise<TransferResult> {
  checkDialplanTarget({ context: req.queueContext, extension: req.queue }, { context: 'queueContext', extension: 'queue' });
  return transferToDialplan(telephony, session, { context: req.queueContext, extension: req.queue, priority: 1 }, signal, req.data);
}
