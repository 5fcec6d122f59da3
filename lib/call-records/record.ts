/**
 * What the store keeps of an ended call (lib/schemas/store.ts CallRecord): the call-end report callflow-call-end
 * sends, with the ids it sends beside it in msg.call (connection, direction, caller, dialed number, flow, version,
 * campaign attempt, business result), and the call's recording (its name, or why it did not start). Never the call's
 * token, nor its variables: a flow may keep anything there.
 * Texts a caller or a network chose are cut to what the record's schema takes, so that a record is never refused
 * for them.
 */
import type { EndedCall } from '../call/registry';
import { callEndReport } from '../call/report';
import { CALL_RECORD_TEXT_MAX, type CallRecord } from '../schemas/store';

const FLOW = /^[A-Za-z0-9_.-]{1,64}$/;

function text(value: string): string {
  return value.length > CALL_RECORD_TEXT_MAX ? value.slice(0, CALL_RECORD_TEXT_MAX) : value;
}

export function callRecordOf(ended: EndedCall): CallRecord {
  const { session, end } = ended;
  const record: CallRecord = {
    id: session.id,
    connection: session.connection,
    direction: session.direction,
    caller: { number: text(session.caller.number), name: text(session.caller.name) },
    dialed: text(session.dialed),
    startedAt: session.startedAtMs,
    endedAt: end.at,
    report: callEndReport(ended) as unknown as Record<string, unknown>,
  };
  if (session.flow !== undefined && FLOW.test(session.flow)) record.flow = session.flow;
  if (session.version !== undefined && session.version.length <= 32) record.version = session.version;
  const c = session.campaign;
  if (c) record.campaign = { id: c.id, name: text(c.name), customerId: c.customerId, attempt: c.attempt, number: text(c.number) };
  const result = session.result;
  if (result && result.code.length > 0 && result.code.length <= 64) {
    record.result = { code: result.code, ...(result.subCode && result.subCode.length <= 64 ? { subCode: result.subCode } : {}) };
  }
  // Its recording as far as it went: a start still pending when the call ended made none (the snoop ended with the call).
  const recording = session.recording;
  if (recording) {
    const outcome = recording.outcome ?? { error: 'the recording had not started when the call ended' };
    if ('name' in outcome) record.recording = outcome.name;
    else record.recordingError = text(outcome.error);
  }
  return record;
}
