/**
 * Errors the telephony port raises. Call logic tells them apart by class and
 * `kind`, never by parsing message text.
 */

/** What an ARI error status means for the caller of the port. */
export type AriErrorKind =
  | 'bad-request' // 400: a parameter is missing or malformed
  | 'unauthorized' // 401: wrong credentials
  | 'forbidden' // 403: read-only ARI user
  | 'not-found' // 404: the channel, bridge, playback, recording or variable does not exist
  | 'conflict' // 409: e.g. the channel is not in this Stasis application
  | 'unprocessable' // 422: e.g. an endpoint or media that Asterisk cannot use
  | 'server' // 5xx
  | 'not-connected' // no connection to Asterisk at the moment
  | 'unknown';

export class AriError extends Error {
  override readonly name = 'AriError';
  constructor(
    readonly operation: string,
    readonly kind: AriErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(`${operation}: ${message}`);
  }
}

/** Why a call stopped being ours. */
/**
 * `application-replaced`: another client took the Stasis application over (ApplicationReplaced), so this one hears
 * nothing more of the call; `channel-gone`: a request about the call answered 404 and Asterisk has no such channel,
 * though no event said it ended.
 */
export type CallEndReason = 'hangup' | 'left-application' | 'connection-lost' | 'asterisk-restarted' | 'application-replaced' | 'channel-gone';

/**
 * Raised into every pending operation of a call when the call ends (the
 * caller hung up, the call left the Stasis application, or it was lost while
 * the connection to Asterisk was down). The operation must not touch the
 * channel any more.
 */
export class CallEndedError extends Error {
  override readonly name = 'CallEndedError';
  constructor(
    readonly channelId: string,
    readonly reason: CallEndReason,
    readonly hangupCause?: number,
    readonly causeText?: string,
  ) {
    super(
      `call ${channelId} ended (${reason}${hangupCause !== undefined ? `, cause ${hangupCause}${causeText ? ` ${causeText}` : ''}` : ''})`,
    );
  }
}

/** Raised when an operation is cancelled for a reason other than the call ending (a node closing, a timeout). */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
  constructor(readonly why: string) {
    super(`cancelled: ${why}`);
  }
}

/** Maps an HTTP status to the port's error kind. */
export function kindForStatus(status: number): AriErrorKind {
  switch (status) {
    case 400:
      return 'bad-request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not-found';
    case 409:
      return 'conflict';
    case 422:
      return 'unprocessable';
    default:
      return status >= 500 ? 'server' : 'unknown';
  }
}

/** The reason an AbortSignal was aborted with, as an Error the port can throw. */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return new CancelledError(typeof reason === 'string' ? reason : 'aborted');
}

/** Whatever was thrown, as an Error (a string thrown by a library becomes its message). */
export function asError(err: unknown): Error {
  if (err instanceof Error) return err;
  return new Error(typeof err === 'string' ? err : JSON.stringify(err));
}
