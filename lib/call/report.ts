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
  /** A robot conversation's transcript (callflow-bot's call.vars.botTranscript), bounded: TRANSCRIPT_MAX_LINES lines of at most TRANSCRIPT_MAX_CHARS. */
  transcript?: TranscriptEntry[];
}

/** One line of a robot conversation: who said it, what, and when (ISO 8601; lines kept before times were, have none). */
export interface TranscriptEntry {
  role: 'caller' | 'bot';
  text: string;
  at?: string;
}

export const TRANSCRIPT_MAX_LINES = 100;
export const TRANSCRIPT_MAX_CHARS = 1003;

/** An ISO 8601 time as isoTime writes it (a flow may have put anything in the variable). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/**
 * The transcript a call variable holds (a flow may have changed it), when it is one: lines of caller or bot text,
 * bounded, each with its time when that is one; anything else is left out. Also the executions view's (stored records
 * are read through it again: a record is data from a store).
 */
export function transcriptOf(value: unknown): TranscriptEntry[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const lines: TranscriptEntry[] = [];
  for (const line of value.slice(0, TRANSCRIPT_MAX_LINES) as unknown[]) {
    const l = line as { role?: unknown; text?: unknown; at?: unknown } | null;
    if ((l?.role !== 'caller' && l?.role !== 'bot') || typeof l.text !== 'string') continue;
    const entry: TranscriptEntry = { role: l.role, text: l.text.slice(0, TRANSCRIPT_MAX_CHARS) };
    if (typeof l.at === 'string' && ISO_TIME.test(l.at)) entry.at = l.at;
    lines.push(entry);
  }
  return lines.length > 0 ? lines : undefined;
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
  const transcript = transcriptOf(session.vars.botTranscript);
  if (transcript) out.transcript = transcript;
  return out;
}

