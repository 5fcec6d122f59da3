/** What the call-end node says about a call that ended. */
import type { EndedCall } from './registry';
import type { CallEnd } from './session';
import type { TraceEntry } from './handle';
import { isoTime } from './iso-time';

export interface CallEndReport {
  flow: string;
  /** caller, callee (the other party of a transfer), flow (a node hung up) or system. */
  by: CallEnd['by'];
  reason: CallEnd['reason'];
  /** Q.850 cause, when known. */
  cause: number | null;
  causeText: string;
  startedAt: string;
  answeredAt: string | null;
  endedAt: string;
  durationSec: number | undefined;
  talkSec: number;
  trace: TraceEntry[];
  pressed: { digit: string; at: string }[];
  /** The channel the caller was bridged with. */
  peer?: string;
}

function seconds(from: number | undefined, to: number): number | undefined {
  if (from === undefined) return undefined;
  return Math.max(0, Math.round((to - from) / 100) / 10);
}

export function callEndReport({ session, end }: EndedCall): CallEndReport {
  const out: CallEndReport = {
    flow: session.flow ?? '',
    by: end.by,
    reason: end.reason,
    cause: end.cause ?? null,
    causeText: end.causeText ?? '',
    startedAt: session.startedAt,
    answeredAt: session.answeredAtMs === undefined ? null : isoTime(session.answeredAtMs),
    endedAt: isoTime(end.at),
    durationSec: seconds(session.startedAtMs, end.at),
    talkSec: seconds(session.answeredAtMs, end.at) ?? 0,
    // The times are numbers in the session; the report, which may be stored, says them in ISO 8601.
    trace: session.trace.map((t) => t.entry()),
    pressed: session.pressed.map((p) => ({ digit: p.digit, at: isoTime(p.at) })),
  };
  if (session.peer) out.peer = session.peer;
  return out;
}

