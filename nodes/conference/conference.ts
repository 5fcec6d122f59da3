/**
 * callflow-conference: puts the caller into a meeting (lib/conference). The call flow comes from msg.conference,
 * else the node, else the routing table (number, group, account); a call no level gives one is dropped (cause 1,
 * one warning) and no meeting is made. Outputs: left the meeting (leave key, kicked), meeting ended (the last host
 * left, or it was ended), refused (a bad or no code, an unknown room, locked, full), with the reason in msg.payload.
 */
import { chooseCallFlow, keyClashes, mergeProperties } from '../../lib/conference/callflows';
import { joinConference } from '../../lib/conference/conference';
import { conferenceConfig, conferenceOverride } from '../../lib/schemas/conference';
import type { MeetingRecord } from '../../lib/schemas/store';
import { ValidationError } from '../../lib/schemas/validator';
import { registerMeetingsApi } from '../admin/meetings';
import { conferenceResults } from '../../lib/flow-test/results';
import { defineElement } from '../element/element';
import type { MeetingsConfigNode } from '../meetings/config';
import type { NodeAPI } from '../red/api';

const OUTPUT = { left: 0, ended: 1, refused: 2 } as const;

export = function register(RED: NodeAPI): void {
  registerMeetingsApi(RED);
  defineElement(RED, {
    type: 'callflow-conference',
    element: 'conference',
    dir: __dirname,
    validator: conferenceConfig,
    outputs: () => 3,
    results: () => conferenceResults(),
    check: (config) => keyClashes(mergeProperties([config.properties]).keys),
    async run({ config, t, engine, session, msg, signal, node, traceOutcome }) {
      const override = msg.conference === undefined ? undefined : conferenceOverride.check(msg.conference);
      if (override && !override.ok) throw new ValidationError('', override.problems.map((p) => `msg.conference${p.startsWith('value') ? p.slice(5) : `.${p}`}`));
      // An override is for this node only.
      delete msg.conference;
      const meetings = RED.nodes.getNode(config.meetings) as MeetingsConfigNode | null;
      if (!meetings) throw new Error(t('callflow-conference.errors.no-meetings', { id: config.meetings }));
      if (!meetings.rooms) throw new Error(t('callflow-conference.errors.invalid-meetings', { problems: meetings.problems.join('; ') }));
      const wanted = override?.ok ? override.value : undefined;
      const choice = chooseCallFlow(engine.router.conference(session.dialed), config, wanted, session.dialed);
      if ('dropped' in choice) {
        node.warn(t('callflow-conference.errors.dropped', { call: session.id, why: choice.dropped }));
        traceOutcome('dropped');
        await engine.calls.hangup(session, 'unallocated', 'system', `no-conference-call-flow: ${session.dialed}`.slice(0, 120));
        return { output: null, outcome: 'dropped' };
      }
      const room = wanted?.room ?? config.room;
      const store = meetings.store;
      const save = store ? (record: MeetingRecord) => store.ready().then((s) => s.saveMeetingRecord(record)) : undefined;
      const result = await joinConference(engine.telephony, engine.meetings, meetings.rooms, session, { callFlow: choice.callFlow, levels: choice.levels, room, ...(save ? { save } : {}) }, signal);
      return { output: OUTPUT[result.outcome], outcome: `${result.outcome} ${result.reason}`, payload: { ...result, callFlow: choice.callFlow, level: choice.level } };
    },
  });
};
