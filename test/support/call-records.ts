/**
 * Waiting for a call's record (lib/call-records) on the events that make it visible, not by asking the store or the
 * admin API again: a connection's engine tells its listeners a call ended after it handed the call's record to the
 * store (nodes/deployed/engine.ts), and its keeper says when no write waits for the store (CallRecordKeeper.idle).
 */
import type { EndedCall } from '../../lib/call/registry';
import { findEngine } from '../../nodes/deployed/engine';

/**
 * Resolves once the next call that ends on connection `connection` (a callflow-asterisk node's id) has its record
 * written (or dropped: the keeper's counts say which). Call it before that call can end.
 */
export function nextCallRecord(connection: string): Promise<EndedCall> {
  const engine = findEngine(connection);
  if (!engine) return Promise.reject(new Error(`connection ${connection} has no engine`));
  return new Promise<EndedCall>((resolve) => {
    const off = engine.onCallEnded((ended) => {
      off();
      resolve(ended);
    });
  }).then(async (ended) => {
    await engine.records?.idle();
    return ended;
  });
}
