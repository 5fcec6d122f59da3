/**
 * What the conference tests share (test/nodes/conference.test.ts, meeting-control.test.ts): meeting rooms, the shape
 * of a conference node's msg.payload, the meeting bridges on the simulator, and waiting for meeting events.
 */
import { findEngine } from '../../nodes/deployed/engine';
import { MEETING_BRIDGE_PREFIX, type MeetingEvent, type MeetingEventType } from '../../lib/conference/meeting';
import type { Simulator } from '../../lib/sim';
import type { NODES } from './node-red';

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

/** The meeting bridges on the simulator (ids callflow-meeting-...), with the channels in each. */
export function meetingBridges(sim: Simulator): { id: string; channels: string[] }[] {
  return sim.asterisk.bridgeList().filter((b) => b.id.startsWith(MEETING_BRIDGE_PREFIX));
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
