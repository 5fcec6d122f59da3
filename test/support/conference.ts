/**
 * What the conference tests share (test/nodes/conference.test.ts, meeting-control.test.ts): meeting rooms, the shape
 * of a conference node's msg.payload, and waiting for meeting events and msgs.
 */
import { findEngine } from '../../nodes/deployed/engine';
import type { MeetingEvent, MeetingEventType } from '../../lib/conference/meeting';
import type { CallMsg } from './ivr';
import type { NODES} from './node-red';
import { node } from './node-red';

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const CHANGE = require(require.resolve('@node-red/nodes/core/function/15-change.js', { paths: [require.resolve('node-red')] })) as (typeof NODES)[number];

export const ROOMS = [
  { id: 'board', name: 'Board', hostCode: '7001', participantCode: '7002' },
  { id: 'small', name: 'Small', hostCode: '', participantCode: '8002', properties: { maxParticipants: 2 } },
  { id: 'strict', name: 'Strict', hostCode: '9001', participantCode: '9002', properties: { endWhenLastHostLeaves: true } },
];

export interface ConferencePayload {
  outcome: string;
  reason: string;
  room?: string;
  role?: string;
  meeting?: string;
  callFlow?: string;
  level?: string;
  attempts?: number;
}

/** Resolves with the `count`-th meeting event of this type on connection a1 from now on (the plugin's own events). */
export function meetingEvents(type: MeetingEventType, count = 1): Promise<MeetingEvent[]> {
  const seen: MeetingEvent[] = [];
  return new Promise((resolve) => {
    const off = findEngine('a1')?.meetings.onEvent((e) => {
      if (e.type !== type) return;
      seen.push(e);
      if (seen.length < count) return;
      off?.();
      resolve(seen);
    });
  });
}

/** The first `count` msgs a node receives. */
export function collect(id: string, count: number): Promise<CallMsg[]> {
  const all: CallMsg[] = [];
  return new Promise((resolve) => {
    node(id).on('input', (msg: CallMsg) => {
      all.push(msg);
      if (all.length === count) resolve(all);
    });
  });
}
