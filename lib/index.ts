/**
 * node-red-contrib-callflow's engine, for use outside Node-RED too: the ARI
 * connection (telephony port), call sessions, and the simulated Asterisk.
 */
export { AriConnection, type AriConnectionOptions } from './ari/connection';
export { normalizeAriUrl } from './ari/preflight';
export type { Telephony, TelephonyEvent, Reconciliation, ConnectionStatus, ConnectionState, OriginateRequest, OriginateOutcome, PlaybackOutcome, RecordingOutcome } from './ari/port';
export { AriError, CallEndedError, CancelledError } from './ari/errors';
export { CAUSE_TEXT, HANGUP_REASONS, causeText, sipResponseForCause, causeForSipResponse, dialStatusForCause } from './ari/causes';
export { CallRegistry } from './call/registry';
export { CallSession } from './call/session';
export type { CallHandle } from './call/handle';
export { startSimulator, Simulator, SimCall, SimulatedAsterisk } from './sim';
export type { CallReport, InboundCallOptions, NumberBehaviour, ScriptStep } from './sim';
