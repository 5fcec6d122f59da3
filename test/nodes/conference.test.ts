/**
 * callflow-conference over the wire (issue 15): the four call flows with several callers per meeting, codes good and
 * bad, a full and a locked meeting, the last host leaving, the routing table's levels and the drop rule, in-meeting
 * keys, and that every meeting bridge is gone from Asterisk when its callers are.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { StoreConfigNode } from '../../nodes/store/config';
import { CREDS, connected, ivrFlow, messages, received, useSimulator, type CallMsg } from '../support/ivr';
import { NODES, helper, nextMessage, node, redeploy, untilLogged, useNodeRed } from '../support/node-red';
import { requestsNaming } from '../support/ari-requests';
import { closeAllEngines, findEngine } from '../../nodes/deployed/engine';

import { CHANGE, ROOMS, meetingBridges, meetingEvents, type ConferencePayload } from '../support/conference';
import { useTempDir } from '../support/temp-dir';

describe('callflow-conference', function () {
  useNodeRed();
  const simulator = useSimulator(100);
  const temp = useTempDir('callflow-meetings-');

  /** `before`: msg.conference, set by a core change node between the entry and the conference node. */
  async function deploy(settings: object = {}, options: { routing?: object; rooms?: object[]; before?: object; storeFile?: string } = {}): Promise<void> {
    const configs: object[] = [{ id: 'mt', type: 'callflow-meetings', rooms: options.rooms ?? ROOMS, store: options.storeFile ? 'st' : '' }];
    if (options.storeFile) configs.push({ id: 'st', type: 'callflow-store', backend: 'embedded', file: options.storeFile, durability: 'normal' });
    if (options.routing) configs.push({ id: 'rt', type: 'callflow-routing', groups: [], numbers: [], account: {}, ...options.routing });
    deployed = ivrFlow(
        simulator(),
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [[options.before ? 'ch' : 'cf']] },
          ...(options.before ? [{ id: 'ch', type: 'change', rules: [{ t: 'set', p: 'conference', pt: 'msg', to: JSON.stringify(options.before), tot: 'json' }], wires: [['cf']] }] : []),
          { id: 'cf', type: 'callflow-conference', meetings: 'mt', callFlow: 'direct_participant', room: '', properties: {}, onError: 'hangup', ...settings, wires: [['left'], ['ended'], ['refused']] },
          { id: 'left', type: 'helper' },
          { id: 'ended', type: 'helper' },
          { id: 'refused', type: 'helper' },
          { id: 'mc', type: 'callflow-meeting-control', connection: 'a1', wires: [['events'], ['answers']] },
          { id: 'events', type: 'helper' },
          { id: 'answers', type: 'helper' },
        ],
        ['cf', 'mc'],
        { configs, ...(options.routing ? { routing: 'rt' } : {}) },
      );
    await helper.load([...NODES, CHANGE], deployed, CREDS);
    await connected();
  }
  /** The flow of the last deploy (a test may deploy it again, changed or not). */
  let deployed: object[] = [];

  const bridges = (): { id: string; channels: string[] }[] => meetingBridges(simulator());

  it('direct: callers to one number meet in one bridge; one leaves with #, the last one out takes the bridge with them', async function () {
    await deploy({ callFlow: 'direct_host' });
    const left = nextMessage<CallMsg>(node('left'));
    const first = simulator().placeCall({ from: '101', to: '500', script: [{ waitFor: 'bridged' }, { waitFor: 'playback-start', media: 'confbridge-join' }, { dtmf: '#' }] });
    await first.until('bridged');
    const second = simulator().placeCall({ from: '102', to: '500', script: [{ waitFor: 'bridged' }] });
    const msg = await left;
    const payload = msg.payload as unknown as ConferencePayload;
    assert.equal(msg.call.caller.number, '101');
    assert.deepEqual([payload.outcome, payload.reason, payload.role, payload.callFlow, payload.level], ['left', 'key', 'host', 'direct_host', 'node']);
    assert.equal(msg.call.trace.at(-1)?.outcome, 'left key');
    // The first caller was alone when they came in; both heard the tone of the second one joining.
    assert.ok(first.report().heard.some((h) => h.media === 'sound:conf-onlyperson'));
    assert.ok(second.report().heard.some((h) => h.media === 'sound:confbridge-join' && h.target === 'bridge'));
    assert.equal(bridges().length, 1);
    assert.deepEqual(bridges()[0]?.channels, [second.id]);
    const outputs = ['left', 'ended', 'refused'].flatMap((id) => received(id));
    const completed = nextMessage(node('completed'));
    const over = meetingEvents('meeting-ended');
    second.hangup();
    await completed;
    await over;
    assert.equal(bridges().length, 0);
    assert.equal(outputs.length, 0, 'a caller who hangs up leaves through no output');
  });

  it('plays the join tone once, to those already in the bridge, when a caller arrives while the first is still being greeted', async function () {
    await deploy({ callFlow: 'direct_host' });
    const two = meetingEvents('participant-joined', 2);
    const first = simulator().placeCall({ from: '101', to: '500' });
    await first.until('playback-start', 'conf-onlyperson');
    const second = simulator().placeCall({ from: '102', to: '500' });
    await two;
    await first.until('playback-end', 'confbridge-join');
    const tones = new Set([first, second].flatMap((c) => c.report().heard.filter((h) => h.media === 'sound:confbridge-join').map((h) => h.playbackId)));
    assert.equal(tones.size, 1, 'one join tone, for the one who came second into the bridge');
  });

  it('open: two callers who enter the same new code at the same instant are in one meeting made on the fly', async function () {
    await deploy({ callFlow: 'open' });
    const script = [{ waitFor: 'playback-start' as const, media: 'conf-getpin' }, { dtmf: '555123#' }, { waitFor: 'bridged' as const }, { waitFor: 'bridged' as const }, { dtmf: '#' }];
    const both = messages('left', 2, 15_000);
    simulator().placeCall({ from: '101', to: '500', script });
    simulator().placeCall({ from: '102', to: '500', script });
    const msgs = await both;
    const payloads = msgs.map((m) => m.payload as unknown as ConferencePayload);
    assert.equal(payloads[0]?.meeting, payloads[1]?.meeting, 'one meeting for the code');
    assert.deepEqual(payloads.map((p) => p.role), ['participant', 'participant']);
    assert.equal(payloads[0]?.room, undefined);
  });

  it('open and secured: a room\'s code leads into its room with its role', async function () {
    await deploy({ callFlow: 'secured' });
    const left = nextMessage<CallMsg>(node('left'));
    simulator().placeCall({ from: '101', to: '500', script: [{ waitFor: 'playback-start', media: 'conf-getpin' }, { dtmf: '7001#' }, { waitFor: 'bridged' }, { dtmf: '#' }] });
    const payload = (await left).payload as unknown as ConferencePayload;
    assert.deepEqual([payload.room, payload.role, payload.callFlow], ['board', 'host', 'secured']);
  });

  it('secured: a code no room has, on every attempt, is refused after saying so', async function () {
    await deploy({ callFlow: 'secured', properties: { codeAttempts: 2 } });
    const refused = nextMessage<CallMsg>(node('refused'));
    const call = simulator().placeCall({
      from: '101',
      to: '500',
      script: [{ waitFor: 'playback-start', media: 'conf-getpin' }, { dtmf: '1234#' }, { waitFor: 'playback-start', media: 'conf-getpin' }, { dtmf: '4321#' }],
    });
    const payload = (await refused).payload as unknown as ConferencePayload;
    assert.deepEqual([payload.outcome, payload.reason, payload.attempts], ['refused', 'invalid-code', 2]);
    assert.deepEqual(
      call.report().heard.map((h) => h.media),
      ['sound:conf-getpin', 'sound:conf-invalidpin', 'sound:conf-getpin', 'sound:conf-invalidpin'],
    );
    assert.equal(bridges().length, 0, 'no meeting is made for a refused caller');
  });

  it('refuses a caller who enters no code, after the attempts and timeouts the properties give; prompts in their language', async function () {
    await deploy({ callFlow: 'open', properties: { codeAttempts: 2, firstDigitTimeoutSec: 1, language: 'fr', prompts: { askCode: ['sound:conf-getconfno'] } } });
    const log = requestsNaming('/play');
    try {
      const refused = nextMessage<CallMsg>(node('refused'));
      const call = simulator().placeCall({ from: '101', to: '500' });
      const payload = (await refused).payload as unknown as ConferencePayload;
      assert.deepEqual([payload.reason, payload.attempts], ['no-code', 2]);
      assert.deepEqual(call.report().heard.map((h) => h.media), ['sound:conf-getconfno', 'sound:conf-getconfno']);
      const plays = log.list().filter((l) => l.includes(call.id));
      assert.equal(plays.length, 2);
      assert.ok(plays.every((l) => l.includes('lang=fr')), plays.join('\n'));
    } finally {
      log.stop();
    }
  });

  it('refuses a caller over the room\'s maximum, who hears that the meeting is full', async function () {
    await deploy({ callFlow: 'secured' });
    const refused = nextMessage<CallMsg>(node('refused'));
    const code = [{ waitFor: 'playback-start' as const, media: 'conf-getpin' }, { dtmf: '8002#' }];
    const two = meetingEvents('participant-joined', 2);
    const a = simulator().placeCall({ from: '101', to: '500', script: [...code, { waitFor: 'bridged' }] });
    const b = simulator().placeCall({ from: '102', to: '500', script: [...code, { waitFor: 'bridged' }] });
    await two;
    const third = simulator().placeCall({ from: '103', to: '500', script: code });
    const payload = (await refused).payload as unknown as ConferencePayload;
    assert.deepEqual([payload.reason, payload.room], ['full', 'small']);
    assert.ok(third.report().heard.some((h) => h.media === 'sound:conf-full'));
    assert.deepEqual(new Set(bridges()[0]?.channels), new Set([a.id, b.id]));
  });

  it('a host locks the meeting with 3: a participant is refused, a host still gets in', async function () {
    await deploy({ callFlow: 'secured' });
    const refused = nextMessage<CallMsg>(node('refused'));
    const locked = meetingEvents('meeting-locked');
    const host = simulator().placeCall({ from: '101', to: '500', script: [{ waitFor: 'playback-start', media: 'conf-getpin' }, { dtmf: '7001#' }, { waitFor: 'bridged' }, { dtmf: '3' }] });
    await locked;
    const participant = simulator().placeCall({ from: '102', to: '500', script: [{ waitFor: 'playback-start', media: 'conf-getpin' }, { dtmf: '7002#' }] });
    assert.equal(((await refused).payload as unknown as ConferencePayload).reason, 'locked');
    assert.ok(participant.report().heard.some((h) => h.media === 'sound:conf-locked'));
    const joined = meetingEvents('participant-joined');
    const cohost = simulator().placeCall({ from: '103', to: '500', script: [{ waitFor: 'playback-start', media: 'conf-getpin' }, { dtmf: '7001#' }] });
    assert.equal((await joined)[0]?.participant?.channel, cohost.id);
    assert.ok(bridges()[0]?.channels.includes(cohost.id));
    assert.ok(host.report().heard.some((h) => h.media === 'sound:conf-lockednow'));
  });

  it('a participant waits for the host with music on hold; the meeting starts and the music stops when the host comes', async function () {
    await deploy({ callFlow: 'secured', properties: { waitForHost: true, musicOnHoldClass: 'jazz' } });
    const events: string[] = [];
    findEngine('a1')?.meetings.onEvent((e) => events.push(e.type));
    const joined = meetingEvents('participant-joined');
    const participant = simulator().placeCall({ from: '102', to: '500', script: [{ waitFor: 'playback-start', media: 'conf-getpin' }, { dtmf: '7002#' }, { waitFor: 'playback-start', media: 'moh:' }] });
    await joined;
    await participant.until('playback-start', 'moh:');
    assert.ok(participant.report().heard.some((h) => h.media === 'sound:conf-waitforleader'), 'told to wait for the host');
    assert.deepEqual(events, ['participant-joined'], 'the meeting has not started');
    const started = meetingEvents('meeting-started');
    const musicOver = participant.until('playback-end', 'moh:');
    const host = simulator().placeCall({ from: '101', to: '500', script: [{ waitFor: 'playback-start', media: 'conf-getpin' }, { dtmf: '7001#' }, { waitFor: 'bridged' }] });
    await started;
    await musicOver;
    const music = participant.report().heard.filter((h) => h.target === 'moh');
    assert.deepEqual(music.map((h) => h.media), ['moh:jazz']);
    assert.equal(music[0]?.outcome, 'stopped', 'the music stopped when the host came');
    assert.ok(!host.report().heard.some((h) => h.target === 'moh'), 'the host heard no music');
  });

  it('ends the meeting for everyone when the last host leaves a room that says so', async function () {
    await deploy({ callFlow: 'secured' });
    const ended = nextMessage<CallMsg>(node('ended'));
    const two = meetingEvents('participant-joined', 2);
    const host = simulator().placeCall({ from: '101', to: '500', script: [{ waitFor: 'playback-start', media: 'conf-getpin' }, { dtmf: '9001#' }, { waitFor: 'bridged' }] });
    const participant = simulator().placeCall({ from: '102', to: '500', script: [{ waitFor: 'playback-start', media: 'conf-getpin' }, { dtmf: '9002#' }, { waitFor: 'bridged' }] });
    await two;
    const over = meetingEvents('meeting-ended');
    host.hangup();
    const msg = await ended;
    assert.equal(msg.call.caller.number, '102');
    assert.deepEqual([(msg.payload as unknown as ConferencePayload).reason, (msg.payload as unknown as ConferencePayload).room], ['last-host-left', 'strict']);
    assert.ok(participant.report().heard.some((h) => h.media === 'sound:conf-leaderhasleft'));
    assert.equal((await over)[0]?.reason, 'last-host-left');
    assert.equal(bridges().length, 0);
  });

  it('mutes participants on entry (not hosts) and takes the mute back when they leave; 1 toggles it', async function () {
    await deploy({ callFlow: 'secured', properties: { mutedOnEntry: true } });
    const log = requestsNaming('/mute');
    try {
      const left = nextMessage<CallMsg>(node('left'));
      simulator().placeCall({ from: '101', to: '500', script: [{ waitFor: 'playback-start', media: 'conf-getpin' }, { dtmf: '7001#' }, { waitFor: 'bridged' }] });
      const participant = simulator().placeCall({
        from: '102',
        to: '500',
        script: [{ waitFor: 'playback-start', media: 'conf-getpin' }, { dtmf: '7002#' }, { waitFor: 'bridged' }, { wait: 300 }, { dtmf: '1' }, { waitFor: 'playback-start', media: 'conf-unmuted' }, { dtmf: '#' }],
      });
      await left;
      const mine = log.list().filter((l) => l.includes(participant.id));
      assert.deepEqual(
        mine.map((l) => l.split(' ')[0]),
        ['POST', 'DELETE'],
        `the participant is muted on entry and unmuted by key 1 (and not again on leaving): ${mine.join(', ')}`,
      );
      assert.ok(mine.every((l) => l.includes('direction=in')));
      assert.equal(log.list().length, 2, 'the host is never muted');
      assert.equal(participant.report().muted, undefined, 'not muted once out of the meeting');
    } finally {
      log.stop();
    }
  });

  it('takes the call flow from the routing table: number over group over account, with each level\'s properties', async function () {
    await deploy(
      { callFlow: '' },
      {
        routing: {
          account: { flow: 'main', conference: { callFlow: 'secured', properties: { codeAttempts: 1 } } },
          groups: [{ name: 'meetings', numbers: ['60*'], conference: { callFlow: 'direct_host' } }],
          numbers: [{ number: '601', conference: { callFlow: 'direct_participant' } }],
        },
      },
    );
    const left = messages('left', 2, 15_000);
    const refused = nextMessage<CallMsg>(node('refused'));
    simulator().placeCall({ from: '101', to: '601', script: [{ waitFor: 'bridged' }, { dtmf: '#' }] });
    simulator().placeCall({ from: '102', to: '602', script: [{ waitFor: 'bridged' }, { dtmf: '#' }] });
    simulator().placeCall({ from: '103', to: '700', script: [{ waitFor: 'playback-start', media: 'conf-getpin' }, { dtmf: '1111#' }] });
    const byNumber = new Map((await left).map((m) => [m.call.dialed, m.payload as unknown as ConferencePayload]));
    assert.deepEqual([byNumber.get('601')?.callFlow, byNumber.get('601')?.level, byNumber.get('601')?.role], ['direct_participant', 'number', 'participant']);
    assert.deepEqual([byNumber.get('602')?.callFlow, byNumber.get('602')?.level, byNumber.get('602')?.role], ['direct_host', 'group', 'host']);
    const account = (await refused).payload as unknown as ConferencePayload;
    assert.deepEqual([account.callFlow, account.level, account.reason, account.attempts], ['secured', 'account', 'invalid-code', 1]);
  });

  it('drops a call no level gives a call flow: cause 1, one warning, no meeting', async function () {
    await deploy({ callFlow: '' });
    const completed = nextMessage(node('completed'));
    const call = simulator().placeCall({ from: '101', to: '500' });
    await completed;
    const report = await call.ended();
    assert.equal(report.ended?.cause, 1);
    assert.equal(report.answeredAt, undefined, 'the caller was never answered');
    assert.equal(bridges().length, 0);
    const warnings = (node('cf') as unknown as { warn: { getCalls(): { args: unknown[] }[] } }).warn.getCalls().map((c) => String(c.args[0]));
    assert.equal(warnings.filter((w) => w.includes('no conference call flow for 500')).length, 1, warnings.join('\n'));
  });

  it('says how many others are in to a caller who joins, and records the meeting from its start to its end', async function () {
    await deploy({ callFlow: 'direct_host', properties: { announceCount: true, record: true } });
    const started = meetingEvents('meeting-started');
    const three = meetingEvents('participant-joined', 3);
    const a = simulator().placeCall({ from: '101', to: '500', script: [{ waitFor: 'bridged' }, { talk: 1000 }] });
    await a.until('bridged');
    const b = simulator().placeCall({ from: '102', to: '500' });
    await b.until('bridged');
    const c = simulator().placeCall({ from: '103', to: '500' });
    await three;
    const meeting = (await started)[0]?.meeting ?? '';
    assert.ok(a.report().heard.some((h) => h.media === 'sound:conf-onlyperson'), 'the first hears they are alone');
    assert.ok(b.report().heard.some((h) => h.media === 'sound:conf-onlyone'), 'the second, that one other is in');
    assert.deepEqual(
      c.report().heard.filter((h) => h.target === 'channel').map((h) => h.media),
      ['sound:conf-thereare', 'number:2', 'sound:conf-otherinparty'],
      'the third, how many',
    );
    const over = meetingEvents('meeting-ended');
    for (const call of [a, b, c]) call.hangup();
    await over;
    const stored = simulator().asterisk.storedRecordings().map((r) => r.name);
    assert.ok(stored.includes(`meeting-${meeting}`), `the meeting's recording is stored: ${stored.join(', ')}`);
  });

  it('keeps a record of each meeting in the meeting rooms\' store: room, call flow, times, who was in it and why they left', async function () {
    const dir = temp.path;
    try {
      await deploy({ callFlow: 'secured', properties: { record: true } }, { storeFile: path.join(dir, 'callflow.db') });
      const two = meetingEvents('participant-joined', 2);
      const host = simulator().placeCall({ from: '101', to: '500', script: [{ waitFor: 'playback-start', media: 'conf-getpin' }, { dtmf: '7001#' }, { waitFor: 'bridged' }] });
      await host.until('bridged');
      const participant = simulator().placeCall({ from: '102', to: '500', script: [{ waitFor: 'playback-start', media: 'conf-getpin' }, { dtmf: '7002#' }, { waitFor: 'bridged' }, { dtmf: '#' }] });
      await two;
      const left = nextMessage<CallMsg>(node('left'));
      await left;
      const over = meetingEvents('meeting-ended');
      host.hangup();
      const meeting = (await over)[0]?.meeting ?? '';
      const store = await (helper.getNode('st') as StoreConfigNode).connection?.ready();
      let page = await store?.pageMeetingRecords({ room: 'board' });
      // The record is written as the meeting ends; wait for it through the store's own answer, not a sleep.
      for (let i = 0; i < 50 && page?.items.length === 0; i += 1) page = await store?.pageMeetingRecords({ room: 'board' });
      const record = page?.items[0];
      assert.equal(record?.id, meeting);
      assert.deepEqual([record?.room, record?.key, record?.callFlow, record?.reason, record?.recording], ['board', 'room:board', 'secured', 'ended', `meeting-${meeting}`]);
      assert.deepEqual(record?.participants.map((p) => [p.caller, p.role, p.reason]), [['102', 'participant', 'left'], ['101', 'host', 'hangup']]);
      assert.ok((record?.endedAt ?? 0) >= (record?.startedAt ?? Infinity));
      // Listed through the admin API, as a dashboard or an export would read them.
      const listed = (await helper.request().get('/callflow/meetings/records/mt?room=board&limit=10').expect(200)).body as { items: { id: string }[] };
      assert.deepEqual(listed.items.map((r) => r.id), [meeting]);
      await helper.request().get('/callflow/meetings/records/mt?room=../x').expect(400);
      await helper.request().get('/callflow/meetings/records/mt?limit=0').expect(400);
      await helper.request().get('/callflow/meetings/records/nowhere').expect(404);
      participant.hangup();
    } finally {
      await helper.unload();
      await closeAllEngines();
    }
  });

  it('takes the keys the properties give: another leave key, and a key turned off does nothing', async function () {
    await deploy({ callFlow: 'direct_host', properties: { keys: { leave: '*', mute: '' } } });
    const log = requestsNaming('/mute');
    try {
      const left = nextMessage<CallMsg>(node('left'));
      simulator().placeCall({ from: '101', to: '500', script: [{ waitFor: 'bridged' }, { dtmf: '1' }, { dtmf: '#' }, { dtmf: '*' }] });
      assert.deepEqual([((await left).payload as unknown as ConferencePayload).reason], ['key']);
      assert.deepEqual(log.list(), [], '1 mutes nobody: the mute key is off');
    } finally {
      log.stop();
    }
  });

  it('refuses at deploy a node whose keys put two actions on one key', async function () {
    await deploy({ callFlow: 'direct_host', properties: { keys: { mute: '#' } } });
    const caught = nextMessage<{ error: { message: string } }>(node('caught'));
    simulator().placeCall({ from: '101', to: '500' });
    assert.match((await caught).error.message, /keys: mute and leave are both on #/);
  });

  it('announces who joins and leaves by the digits of their number, when asked', async function () {
    await deploy({ callFlow: 'direct_host', properties: { announceJoinLeave: true, entryExitTones: false } });
    const first = simulator().placeCall({ from: '+1 (555) 0100', to: '500', script: [{ waitFor: 'bridged' }] });
    await first.until('bridged');
    const joinedHeard = first.until('playback-start', 'conf-hasjoin');
    const leftHeard = first.until('playback-start', 'conf-hasleft');
    const second = simulator().placeCall({ from: '<b>102</b>', to: '500', script: [{ waitFor: 'bridged' }, { waitFor: 'playback-end', media: 'conf-hasjoin' }, { dtmf: '#' }] });
    await joinedHeard;
    // The second leaves with # once the announcement is over; the first hears them go.
    await leftHeard;
    assert.ok(second.report().heard.some((h) => h.media === 'digits:102'), 'the second heard their own arrival too');
    const heard = first.report().heard.filter((h) => h.target === 'bridge').map((h) => h.media);
    assert.deepEqual(heard, ['digits:102', 'sound:conf-hasjoin', 'digits:102', 'sound:conf-hasleft'], 'only the digits of a number reach the media URI');
  });

  it('plays music again to participants who wait for a host when the last host leaves', async function () {
    await deploy({ callFlow: 'secured', properties: { waitForHost: true } });
    const host = simulator().placeCall({ from: '101', to: '500', script: [{ waitFor: 'playback-start', media: 'conf-getpin' }, { dtmf: '7001#' }, { waitFor: 'bridged' }] });
    await host.until('bridged');
    const participant = simulator().placeCall({ from: '102', to: '500', script: [{ waitFor: 'playback-start', media: 'conf-getpin' }, { dtmf: '7002#' }, { waitFor: 'bridged' }] });
    await participant.until('bridged');
    assert.ok(!participant.report().heard.some((h) => h.target === 'moh'), 'no music while the host is in');
    const music = participant.until('playback-start', 'moh:');
    host.hangup();
    await music;
    assert.deepEqual(participant.report().heard.filter((h) => h.target === 'moh').map((h) => h.media), ['moh:default']);
  });

  it('sends a caller who is still hearing their greeting when the meeting ends through "meeting ended", never into its bridge', async function () {
    await deploy({ callFlow: 'direct_host', properties: { announceCount: true } });
    const first = simulator().placeCall({ from: '101', to: '500', script: [{ waitFor: 'bridged' }] });
    await first.until('bridged');
    const ended = messages('ended', 2, 15_000);
    const late = simulator().placeCall({ from: '102', to: '500' });
    await late.until('playback-start', 'conf-onlyone');
    findEngine('a1')?.meetings.list()[0]?.end();
    const msgs = await ended;
    assert.deepEqual(msgs.map((m) => [m.call.caller.number, (m.payload as unknown as ConferencePayload).reason]).sort(), [['101', 'ended'], ['102', 'ended']]);
    assert.deepEqual(late.report().transfers.filter((t) => t.kind === 'bridge'), [], 'the late caller never entered the bridge');
    assert.equal(bridges().length, 0);
  });

  it('goes on when a caller hangs up in the middle of an announcement into the meeting', async function () {
    await deploy({ callFlow: 'direct_host' });
    const two = meetingEvents('participant-joined', 2);
    const a = simulator().placeCall({ from: '101', to: '500', script: [{ waitFor: 'bridged' }] });
    await a.until('bridged');
    const b = simulator().placeCall({ from: '102', to: '500', script: [{ waitFor: 'bridged' }, { waitFor: 'playback-start', media: 'tt-monkeys' }, { hangup: true }] });
    await two;
    const meeting = findEngine('a1')?.meetings.list()[0];
    const left = meetingEvents('participant-left');
    const announcing = meeting?.announce(['sound:tt-monkeys']);
    assert.equal((await left)[0]?.participant?.caller, '102');
    await announcing;
    assert.equal(meeting?.count, 1, 'the other caller is still in the meeting');
    assert.equal(bridges()[0]?.channels.includes(a.id), true);
    assert.ok(b.report().ended);
  });

  it('keeps callers in their meeting through a full deploy that changes nothing of it, and through a reconnect to Asterisk', async function () {
    await deploy({ callFlow: 'secured' });
    const two = meetingEvents('participant-joined', 2);
    const host = simulator().placeCall({ from: '101', to: '500', script: [{ waitFor: 'playback-start', media: 'conf-getpin' }, { dtmf: '7001#' }, { waitFor: 'bridged' }] });
    const participant = simulator().placeCall({ from: '102', to: '500', script: [{ waitFor: 'playback-start', media: 'conf-getpin' }, { dtmf: '7002#' }, { waitFor: 'bridged' }] });
    await two;
    const bridge = bridges()[0]?.id;
    await redeploy(deployed, CREDS);
    await connected();
    assert.deepEqual(bridges().map((b) => [b.id, b.channels.length]), [[bridge, 2]], 'the same meeting, both callers in it');
    // The connection drops and comes back: both calls are still on Asterisk, so the meeting and its bridge stay.
    const reconciled = new Promise<{ kept: string[]; lost: string[] }>((resolve) => {
      const off = findEngine('a1')?.telephony.onReconciled((r) => {
        off?.();
        resolve(r);
      });
    });
    simulator().dropWebSockets();
    const r = await reconciled;
    assert.deepEqual([r.kept.length, r.lost], [2, []], 'both calls are still on Asterisk');
    assert.deepEqual(bridges().map((b) => [b.id, b.channels.length]), [[bridge, 2]]);
    assert.equal(findEngine('a1')?.meetings.list()[0]?.count, 2);
    // The participant leaves with #: through the new instance of the node.
    const left = nextMessage<CallMsg>(node('left'));
    await participant.press('#');
    assert.deepEqual([(await left).call.caller.number, ((await left).payload as unknown as ConferencePayload).reason], ['102', 'key']);
    assert.deepEqual(bridges().map((b) => b.channels), [[host.id]]);
  });

  it('keeps a meeting going when its room is deleted; the room\'s codes lead nowhere from then on', async function () {
    await deploy({ callFlow: 'secured' });
    const joined = meetingEvents('participant-joined');
    const host = simulator().placeCall({ from: '101', to: '500', script: [{ waitFor: 'playback-start', media: 'conf-getpin' }, { dtmf: '7001#' }, { waitFor: 'bridged' }] });
    await joined;
    const withoutBoard = deployed.map((n) => ((n as { id: string }).id === 'mt' ? { ...n, rooms: ROOMS.filter((r) => r.id !== 'board') } : n));
    await redeploy(withoutBoard, CREDS);
    await connected();
    assert.equal(findEngine('a1')?.meetings.list()[0]?.count, 1, 'the meeting in progress goes on');
    assert.deepEqual(bridges()[0]?.channels, [host.id]);
    const refused = nextMessage<CallMsg>(node('refused'));
    simulator().placeCall({ from: '102', to: '500', script: [...[1, 2, 3].flatMap(() => [{ waitFor: 'playback-start' as const, media: 'conf-getpin' }, { dtmf: '7002#' }])] });
    assert.equal(((await refused).payload as unknown as ConferencePayload).reason, 'invalid-code');
  });

  it('leaves no meeting bridge on Asterisk when the flow is removed with callers in a meeting', async function () {
    await deploy({ callFlow: 'direct_host' });
    const two = meetingEvents('participant-joined', 2);
    const a = simulator().placeCall({ from: '101', to: '500' });
    const b = simulator().placeCall({ from: '102', to: '500' });
    await two;
    assert.equal(bridges().length, 1);
    await helper.unload();
    await closeAllEngines();
    assert.deepEqual(bridges(), [], 'the meeting bridge is destroyed');
    assert.ok((await a.ended()).ended && (await b.ended()).ended, 'and its callers are hung up');
  });

  it('destroys the meeting bridges an earlier run of this instance left, once connected again; another instance\'s stay', async function () {
    await deploy({ callFlow: 'direct_host' });
    const name = findEngine('a1')?.meetings.bridgeName ?? '';
    assert.match(name, /^callflow-meetings \S+$/);
    simulator().asterisk.createBridge({ bridgeId: 'callflow-meeting-left-by-a-crash', type: 'mixing', name });
    simulator().asterisk.createBridge({ bridgeId: 'callflow-meeting-of-another-instance', type: 'mixing', name: 'callflow-meetings someone-else' });
    simulator().asterisk.createBridge({ bridgeId: 'a-bridge-of-the-dialplan', type: 'mixing', name });
    const log = requestsNaming('/bridges/');
    try {
      const swept = untilLogged(/destroyed 1 meeting bridge\(s\) left by an earlier run: callflow-meeting-left-by-a-crash/);
      simulator().dropWebSockets();
      await swept;
      assert.deepEqual(bridges().map((b) => b.id), ['callflow-meeting-of-another-instance']);
      assert.ok(simulator().asterisk.bridgeList().some((b) => b.id === 'a-bridge-of-the-dialplan'));
      assert.deepEqual(log.list().filter((l) => l.startsWith('DELETE')), ['DELETE /ari/bridges/callflow-meeting-left-by-a-crash']);
    } finally {
      log.stop();
    }
  });

  it('takes msg.conference for one call, and refuses a bad one naming the field', async function () {
    await deploy({ callFlow: 'secured' }, { before: { callFlow: 'direct_host', properties: { maxParticipants: 5 } } });
    const left = nextMessage<CallMsg>(node('left'));
    simulator().placeCall({ from: '101', to: '500', script: [{ waitFor: 'bridged' }, { dtmf: '#' }] });
    const payload = (await left).payload as unknown as ConferencePayload;
    assert.deepEqual([payload.callFlow, payload.level, payload.role], ['direct_host', 'msg', 'host']);
    await helper.unload();
    await closeAllEngines();
    await deploy({ callFlow: 'secured' }, { before: { callFlow: 'everyone', room: '../x' } });
    const caught = nextMessage<{ error: { message: string } }>(node('caught'));
    simulator().placeCall({ from: '101', to: '500' });
    const message = (await caught).error.message;
    assert.match(message, /msg\.conference\.callFlow: open, secured, direct_host or direct_participant \(got "everyone"\)/);
    assert.match(message, /msg\.conference\.room: a room id \(got "\.\.\/x"\)/);
    assert.equal(bridges().length, 0);
  });
});
