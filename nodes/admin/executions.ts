/**
 * Executions of a flow version, for the "Call flows" sidebar to draw on the canvas (docs/releases.md, Executions):
 *   GET callflow/releases/:set/flows/:flow/versions/:version/calls?limit=
 * answers `{ live: [...], recent: [...], records }`:
 * - live: the calls in progress on the version, on its connection: id, caller, start, the element each is at
 *   and the elements it passed (node ids, element, time, outcome), and the keys pressed;
 * - recent: the version's ended calls on its connection, newest first, from the call records of the store it names
 *   (at most `limit`, 1 to 100, default 20): the same, with the end (who, reason, duration);
 * - records: "kept", or why there are none to show ("off": the connection keeps no records; "unavailable": its store
 *   cannot be reached; "not-deployed": the version is not deployed).
 * A call a robot talked with (callflow-bot) has its transcript: the lines said, who said each and when (`transcript`,
 * bounded as the call-end report bounds it; a live call's as far as it went).
 * A recorded call has `recording`: the admin path of its recording (call-recordings.ts): a campaign call's when its
 * attempt names one, another call's (a robot's Record the call) when its call record names one.
 * Guarded by callflow.read. A call's token and variables are never in it (records do not keep them): the transcript
 * is the one variable shown, read through the same checks as the report's.
 */
import type { CallSession } from '../../lib/call/session';
import type { TraceEntry } from '../../lib/call/handle';
import { isoTime } from '../../lib/call/iso-time';
import { transcriptOf, type TranscriptEntry } from '../../lib/call/report';
import type { CallRecord } from '../../lib/schemas/store';
import { enginesWithCalls, findEngine } from '../deployed/engine';
import { callRecordingPath, recordingLinks } from './call-recordings';
import { FLOW, SET, VERSION, versionRecords } from './version-records';
import { findBook } from '../deployed/releases';
import type { NodeAPI, RequestLike, ResponseLike } from '../red/api';

const registered = new WeakSet<object>();


export interface Execution {
  id: string;
  caller: string;
  dialed: string;
  startedAt: string;
  /** The element the call is at (live), or was at when it ended. */
  node?: string;
  trace: TraceEntry[];
  pressed: { digit: string; at: string }[];
  /** Ended calls: when, who ended it, why, and how long it lasted. */
  endedAt?: string;
  by?: string;
  reason?: string;
  durationSec?: number;
  /** A robot conversation's lines (callflow-bot), when the call had one. */
  transcript?: TranscriptEntry[];
  /** A recorded call: where the editor gets its recording (an admin path, call-recordings.ts). */
  recording?: string;
}

function liveExecution(s: CallSession): Execution {
  const trace = s.trace.map((t) => t.entry());
  const out: Execution = {
    id: s.id,
    caller: s.caller.number,
    dialed: s.dialed,
    startedAt: isoTime(s.startedAtMs),
    trace,
    pressed: s.pressed.map((p) => ({ digit: p.digit, at: isoTime(p.at) })),
  };
  const at = trace.at(-1)?.node;
  if (at !== undefined) out.node = at;
  const transcript = transcriptOf(s.vars.botTranscript);
  if (transcript) out.transcript = transcript;
  return out;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function recordExecution(r: CallRecord): Execution {
  const report = r.report;
  const trace = Array.isArray(report.trace) ? (report.trace as TraceEntry[]) : [];
  const out: Execution = {
    id: r.id,
    caller: r.caller.number,
    dialed: r.dialed,
    startedAt: isoTime(r.startedAt),
    trace,
    pressed: Array.isArray(report.pressed) ? (report.pressed as Execution['pressed']) : [],
    endedAt: isoTime(r.endedAt),
    by: text(report.by),
    reason: text(report.reason),
  };
  if (typeof report.durationSec === 'number') out.durationSec = report.durationSec;
  const at = trace.at(-1)?.node;
  if (at !== undefined) out.node = at;
  // What a store gives back is checked again (bounded, lines of the report's shape only).
  const transcript = transcriptOf(report.transcript);
  if (transcript) out.transcript = transcript;
  return out;
}

export function registerExecutionsApi(RED: NodeAPI): void {
  if (registered.has(RED.httpAdmin)) return;
  registered.add(RED.httpAdmin);

  RED.httpAdmin.get('/callflow/releases/:set/flows/:flow/versions/:version/calls', RED.auth.needsPermission('callflow.read'), (req: RequestLike, res: ResponseLike) => {
    const { set = '', flow = '', version = '' } = req.params;
    if (!SET.test(set) || !FLOW.test(flow) || !VERSION.test(version)) {
      res.status(404).json({ message: 'no such release set, flow or version' });
      return;
    }
    const book = findBook(set);
    if (!book) {
      res.status(404).json({ message: `no release set ${set} is deployed` });
      return;
    }
    const limitText: unknown = req.query.limit;
    const limit = limitText === undefined ? 20 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      res.status(400).json({ message: 'limit: a whole number from 1 to 100' });
      return;
    }
    // Only the version's own connection: another release set (or connection) may have a flow and version of the same names.
    const deployed = book.deployedVersion(flow, version);
    const live: Execution[] = [];
    for (const engine of enginesWithCalls()) {
      if (engine.callCount === 0 || engine.id !== deployed?.connection) continue;
      for (const s of engine.calls.list()) if (s.flow === flow && s.version === version && !s.ended) live.push(liveExecution(s));
    }
    live.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
    const engine = deployed ? findEngine(deployed.connection) : undefined;
    const answer = (recent: Execution[], records: string): void => {
      // A call whose record is saved is over, whatever the registry still holds of it while Asterisk's last events come.
      const ended = new Set(recent.map((r) => r.id));
      res.json({ live: live.filter((l) => !ended.has(l.id)), recent, records });
    };
    if (!deployed) return answer([], 'not-deployed');
    if (!engine?.records || !engine.recordStore) return answer([], 'off');
    engine.recordStore
      .available(5000)
      .then(async (store) => {
        const recent = await versionRecords(store, { flow, version, connection: deployed.connection }, limit);
        const recordings = await recordingLinks(recent);
        return recent.map((r) => {
          const out = recordExecution(r);
          // A campaign call's through its attempt; another recorded call's (a robot's Record the call) through its record.
          const recording = recordings.get(r.id) ?? (r.recording ? callRecordingPath(set, flow, version, r.id) : undefined);
          if (recording) out.recording = recording;
          return out;
        });
      })
      .then(
        (recent) => answer(recent, 'kept'),
        () => answer([], 'unavailable'),
      );
  });
}
