/** What the call-end node says about a call that ended. */
import type { EndedCall } from './registry';
import type { CallEnd } from './session';
import type { TraceEntry } from './handle';

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

function seconds(from: string | undefined, to: string): number | undefined {
  if (!from) return undefined;
  return Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 100) / 10);
}

export function callEndReport({ session, end }: EndedCall): CallEndReport {
  const out: CallEndReport = {
    flow: session.flow ?? '',
    by: end.by,
    reason: end.reason,
    cause: end.cause ?? null,
    causeText: end.causeText ?? '',
    startedAt: session.startedAt,
    answeredAt: session.answeredAt ?? null,
    endedAt: end.at,
    durationSec: seconds(session.startedAt, end.at),
    talkSec: seconds(session.answeredAt, end.at) ?? 0,
    trace: session.trace.map((t) => ({ ...t })),
    pressed: session.pressed.map((p) => ({ ...p })),
  };
  if (session.peer) out.peer = session.peer;
  return out;
}

