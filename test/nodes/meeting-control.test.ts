/**
 * callflow-meeting-control and the meetings admin API over the wire (issue 15): every meeting event as a msg, the
 * commands by msg (list, mute, kick, lock, announce, end), bad commands refused with what was wrong, and the admin API's
 * answers.
 */
import assert from 'node:assert/strict';
import { CREDS, connected, ivrFlow, messages, useSimulator, type CallMsg } from '../support/ivr';
import { NODES, helper, nextMessage, node, useNodeRed } from '../support/node-red';
import { ROOMS, meetingBridges, type ConferencePayload } from '../support/conference';

describe('callflow-meeting-control', function () {
  useNodeRed();
  const simulator = useSimulator(100);

  async function deploy(): Promise<void> {
    await helper.load(
      [...NODES],
      ivrFlow(
        simulator(),
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['cf']] },
          { id: 'cf', type: 'callflow-conference', meetings: 'mt', callFlow: 'secured', room: '', properties: {}, onError: 'hangup', wires: [['left'], ['ended'], ['refused']] },
          { id: 'left', type: 'helper' },
          { id: 'ended', type: 'helper' },
          { id: 'refused', type: 'helper' },
          { id: 'mc', type: 'callflow-meeting-control', connection: 'a1', wires: [['events'], ['answers']] },
          { id: 'events', type: 'helper' },
          { id: 'answers', type: 'helper' },
        ],
        ['cf', 'mc'],
        { configs: [{ id: 'mt', type: 'callflow-meetings', rooms: ROOMS }] },
      ),
      CREDS,
    );
    await connected();
  }

  const enter = (from: string, code: string): ReturnType<ReturnType<typeof simulator>['placeCall']> =>
    simulator().placeCall({ from, to: '500', script: [{ waitFor: 'playback-start', media: 'conf-getpin' }, { dtmf: `${code}#` }, { waitFor: 'bridged' }] });

  async function command(topic: string, payload: object): Promise<CallMsg> {
    const answer = nextMessage<CallMsg>(node('answers'));
    node('mc').receive({ topic, payload });
    return answer;
  }

  it('sends every meeting event with ISO times: started, joined, left, ended', async function () {
    await deploy();
    const first = messages('events', 3, 15_000);
    const host = enter('101', '7001');
    await host.until('bridged');
    const participant = enter('102', '7002');
    const events = await first;
    assert.deepEqual(events.map((e) => e.topic), ['participant-joined', 'meeting-started', 'participant-joined']);
    const joined = events[0]?.payload as unknown as { room: string; count: number; at: string; participant: { role: string; caller: string; joinedAt: string } };
    assert.deepEqual([joined.room, joined.count, joined.participant.role, joined.participant.caller], ['board', 1, 'host', '101']);
    assert.match(joined.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal((events[2]?.payload as unknown as { count: number }).count, 2);
    const rest = messages('events', 3, 15_000);
    participant.hangup();
    host.hangup();
    const after = await rest;
    assert.deepEqual(after.map((e) => e.topic), ['participant-left', 'participant-left', 'meeting-ended']);
    assert.deepEqual(after.map((e) => (e.payload as unknown as { reason: string }).reason), ['hangup', 'hangup', 'ended']);
  });

  it('lists meetings, mutes one participant, kicks one, locks, announces and ends, each answered with the meeting', async function () {
    await deploy();
    const host = enter('101', '7001');
    await host.until('bridged');
    const p1 = enter('102', '7002');
    await p1.until('bridged');
    const p2 = enter('103', '7002');
    await p2.until('bridged');
    const [listed] = (await command('list', {})).payload as unknown as { meeting: string; room: string; count: number; participants: { call: string; channel: string; role: string }[] }[];
    assert.deepEqual([listed?.room, listed?.count, listed?.participants.map((p) => p.role)], ['board', 3, ['host', 'participant', 'participant']]);
    const meeting = listed?.meeting ?? '';
    const p1Call = listed?.participants.find((p) => p.channel === p1.id)?.call ?? '';

    await command('mute', { meeting, participant: p1Call });
    assert.equal(p1.report().muted, 'in');
    assert.equal(p2.report().muted, undefined);

    const left = nextMessage<CallMsg>(node('left'));
    await command('kick', { room: 'board', participant: p2.id });
    const kicked = await left;
    assert.deepEqual([kicked.call.caller.number, (kicked.payload as unknown as ConferencePayload).reason], ['103', 'kicked']);

    const locked = (await command('lock', { meeting })).payload as unknown as { locked: boolean; count: number };
    assert.deepEqual([locked.locked, locked.count], [true, 2]);
    const refused = nextMessage<CallMsg>(node('refused'));
    simulator().placeCall({ from: '104', to: '500', script: [{ waitFor: 'playback-start', media: 'conf-getpin' }, { dtmf: '7002#' }] });
    assert.equal(((await refused).payload as unknown as ConferencePayload).reason, 'locked');

    await command('announce', { meeting, prompts: ['sound:conf-now-recording'] });
    assert.ok(host.report().heard.some((h) => h.media === 'sound:conf-now-recording' && h.target === 'bridge'));
    assert.ok(p1.report().heard.some((h) => h.media === 'sound:conf-now-recording'));

    const ended = messages('ended', 2, 15_000);
    await command('end', { meeting });
    assert.deepEqual((await ended).map((m) => (m.payload as unknown as ConferencePayload).reason), ['ended', 'ended']);
  });

  it('refuses a bad command, naming what was wrong, and changes nothing', async function () {
    await deploy();
    const host = enter('101', '7001');
    await host.until('bridged');
    const caught = (): Promise<{ error: { message: string } }> => nextMessage<{ error: { message: string } }>(node('caught'));
    let c = caught();
    node('mc').receive({ topic: 'explode', payload: { room: 'board' } });
    assert.match((await c).error.message, /msg\.topic: one of list, mute, unmute, kick, lock, unlock, end, announce \(got "explode"\)/);
    c = caught();
    node('mc').receive({ topic: 'kick', payload: { room: 'board' } });
    assert.match((await c).error.message, /msg\.payload\.participant: is required/);
    c = caught();
    node('mc').receive({ topic: 'announce', payload: { room: 'board', prompts: ['sound:../../../etc/shadow'] } });
    assert.match((await c).error.message, /msg\.payload\.prompts\.0: a media URI/);
    c = caught();
    node('mc').receive({ topic: 'lock', payload: {} });
    assert.match((await c).error.message, /lock needs the meeting \(its id\) or the room whose meeting it is/);
    c = caught();
    node('mc').receive({ topic: 'mute', payload: { room: 'nobody-here' } });
    assert.match((await c).error.message, /room nobody-here has no meeting in progress/);
    c = caught();
    node('mc').receive({ topic: 'kick', payload: { room: 'board', participant: 'someone-else' } });
    assert.match((await c).error.message, /someone-else is not in meeting/);
    assert.equal(host.report().muted, undefined);
    assert.equal(bridges().length, 1, 'the meeting goes on');
  });

  it('answers the admin API: the meetings, a command, and 400 or 404 with the reason for a bad one', async function () {
    await deploy();
    const participant = enter('102', '7002');
    await participant.until('bridged');
    const listed = (await helper.request().get('/callflow/meetings').expect(200)).body as { connection: string; meetings: { meeting: string; room: string; participants: { channel: string }[] }[] }[];
    const mine = listed.find((c) => c.connection === 'a1')?.meetings[0];
    assert.deepEqual([mine?.room, mine?.participants.map((p) => p.channel)], ['board', [participant.id]]);
    const meeting = mine?.meeting ?? '';
    const muted = (await helper.request().post(`/callflow/meetings/a1/${meeting}/mute`).send({ participant: participant.id }).expect(200)).body as { participants: { muted: boolean }[] };
    assert.equal(muted.participants[0]?.muted, true);
    assert.equal(participant.report().muted, 'in');
    const bad = (await helper.request().post(`/callflow/meetings/a1/${meeting}/explode`).send({}).expect(400)).body as { problems: string[] };
    assert.match(bad.problems.join(' '), /command: one of list, mute/);
    const extra = (await helper.request().post(`/callflow/meetings/a1/${meeting}/mute`).send({ participant: participant.id, dial: 'PJSIP/x' }).expect(400)).body as { problems: string[] };
    assert.deepEqual(extra.problems, ['dial: is not a known setting']);
    await helper.request().post(`/callflow/meetings/a1/${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}/end`).send({}).expect(404);
    await helper.request().post(`/callflow/meetings/nowhere/${meeting}/end`).send({}).expect(404);
    assert.equal(bridges().length, 1, 'nothing was ended');
  });

  const bridges = (): { id: string; channels: string[] }[] => meetingBridges(simulator());
});
