/**
 * callflow-conference with announceNames over the wire (issue 15): a caller says their name before entering, as
 * ConfBridge's announce_join_leave asks for one (vm-rec-name, a beep); the others hear the name and conf-hasjoin /
 * conf-hasleft; the stored recording of the name is gone once the caller has left; a caller who hangs up while
 * saying it enters nothing and leaves no recording on Asterisk.
 */
import assert from 'node:assert/strict';
import { CREDS, connected, ivrFlow, useSimulator, type CallMsg } from '../support/ivr';
import { NODES, helper, nextMessage, node, untilLogged, useNodeRed } from '../support/node-red';
import { answered } from '../support/ari-requests';
import { findEngine } from '../../nodes/deployed/engine';
import { NAME_PREFIX } from '../../lib/conference/names';
import type { ScriptStep } from '../../lib/sim';
import { ROOMS, meetingBridges, meetingEvents, type ConferencePayload } from '../support/conference';

describe('callflow-conference: callers announced by a recorded name', function () {
  useNodeRed();
  const simulator = useSimulator(100);

  async function deploy(settings: object): Promise<void> {
    const flow = ivrFlow(
      simulator(),
      [
        { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['cf']] },
        { id: 'cf', type: 'callflow-conference', meetings: 'mt', callFlow: 'direct_host', room: '', properties: {}, onError: 'hangup', ...settings, wires: [['left'], ['ended'], ['refused']] },
        { id: 'left', type: 'helper' },
        { id: 'ended', type: 'helper' },
        { id: 'refused', type: 'helper' },
      ],
      ['cf'],
      { configs: [{ id: 'mt', type: 'callflow-meetings', rooms: ROOMS, store: '' }] },
    );
    await helper.load(NODES, flow, CREDS);
    await connected();
  }

  /** Says a name when asked: after vm-rec-name and the beep, a second of voice, then # (as ConfBridge's # ends it). */
  const sayName: ScriptStep[] = [{ waitFor: 'playback-start', media: 'vm-rec-name' }, { waitFor: 'recording' }, { talk: 1000 }, { dtmf: '#' }];
  const names = (): string[] => simulator().asterisk.storedRecordings().map((r) => r.name).filter((n) => n.startsWith(NAME_PREFIX));

  it('asks each caller for their name, announces them by it as they join and leave, and deletes it once they have left', async function () {
    await deploy({ properties: { announceNames: true, entryExitTones: false } });
    const first = simulator().placeCall({ from: '101', to: '500', script: [...sayName, { waitFor: 'bridged' }] });
    await first.until('bridged');
    const firstName = first.report().recordings[0]?.name ?? '';
    assert.ok(firstName.startsWith(NAME_PREFIX), `the first caller's name is recorded: ${firstName}`);
    assert.deepEqual(names(), [firstName], 'kept while they are in the meeting');
    const joinedHeard = first.until('playback-end', 'conf-hasjoin');
    const left = nextMessage<CallMsg>(node('left'));
    const second = simulator().placeCall({ from: '102', to: '500', script: [...sayName, { waitFor: 'bridged' }, { waitFor: 'playback-end', media: 'conf-hasjoin' }, { dtmf: '#' }] });
    await joinedHeard;
    const secondName = second.report().recordings[0]?.name ?? '';
    assert.ok(secondName.startsWith(NAME_PREFIX) && secondName !== firstName);
    const deleted = answered('DELETE', `/recordings/stored/${secondName}`);
    assert.equal(((await left).payload as unknown as ConferencePayload).reason, 'key');
    // After their leave announcement, the second caller's name is deleted (DELETE /recordings/stored/{name}).
    assert.equal(await deleted, `DELETE /ari/recordings/stored/${secondName} 204`);
    assert.deepEqual(names(), [firstName], "the second caller's name is gone, the first one's is kept");
    const heard = first.report().heard.filter((h) => h.target === 'bridge').map((h) => h.media);
    assert.deepEqual(heard, [`recording:${secondName}`, 'sound:conf-hasjoin', `recording:${secondName}`, 'sound:conf-hasleft'], 'the first heard the name, not digits');
    const asked = second.report().heard.filter((h) => h.target === 'channel').map((h) => h.media);
    assert.equal(asked[0], 'sound:vm-rec-name', "asked for their name with ConfBridge's prompt");
    const firstGone = answered('DELETE', `/recordings/stored/${firstName}`);
    first.hangup();
    assert.equal(await firstGone, `DELETE /ari/recordings/stored/${firstName} 204`);
    assert.deepEqual(names(), [], 'nothing of the names is left on Asterisk');
    assert.equal(meetingBridges(simulator()).length, 0);
  });

  it('lets nobody in and keeps no recording when the caller hangs up while saying their name', async function () {
    await deploy({ properties: { announceNames: true } });
    const events: string[] = [];
    findEngine('a1')?.meetings.onEvent((e) => events.push(e.type));
    const completed = nextMessage(node('completed'));
    const deleted = answered('DELETE', `/recordings/stored/${NAME_PREFIX}`);
    const call = simulator().placeCall({ from: '101', to: '500', script: [{ waitFor: 'playback-start', media: 'vm-rec-name' }, { waitFor: 'recording' }, { talk: 500 }, { hangup: true }] });
    await completed;
    // Asterisk kept what was recorded until the hangup; it is deleted once the recording is over.
    assert.match(await deleted, new RegExp(`^DELETE /ari/recordings/stored/${NAME_PREFIX}\\S+ 204$`));
    assert.deepEqual(names(), []);
    assert.deepEqual(events, [], 'no meeting started, nobody joined');
    assert.equal(meetingBridges(simulator()).length, 0, 'no bridge was made');
    assert.deepEqual(findEngine('a1')?.meetings.list(), [], 'no meeting is left waiting');
    assert.deepEqual(call.report().transfers.filter((t) => t.kind === 'bridge'), []);
  });

  it('does not ask a caller for their name when the meeting would refuse them', async function () {
    await deploy({ callFlow: 'secured', properties: { announceNames: true } });
    const code = (digits: string): ScriptStep[] => [{ waitFor: 'playback-start', media: 'conf-getpin' }, { dtmf: `${digits}#` }];
    const locked = meetingEvents('meeting-locked');
    simulator().placeCall({ from: '101', to: '500', script: [...code('7001'), ...sayName, { waitFor: 'bridged' }, { dtmf: '3' }] });
    await locked;
    const refused = nextMessage<CallMsg>(node('refused'));
    const late = simulator().placeCall({ from: '102', to: '500', script: code('7002') });
    assert.equal(((await refused).payload as unknown as ConferencePayload).reason, 'locked');
    assert.deepEqual(late.report().heard.map((h) => h.media), ['sound:conf-getpin', 'sound:conf-locked']);
    assert.deepEqual(late.report().recordings, []);
  });

  it("deletes the names an earlier run of this instance left once connected again; a caller's name in use and another instance's stay", async function () {
    await deploy({ properties: { announceNames: true } });
    const prefix = findEngine('a1')?.meetings.names.prefix ?? '';
    assert.match(prefix, /^callflow-name-\S+-$/);
    const caller = simulator().placeCall({ from: '101', to: '500', script: [...sayName, { waitFor: 'bridged' }] });
    await caller.until('bridged');
    const inUse = caller.report().recordings[0]?.name ?? '';
    assert.ok(inUse.startsWith(prefix));
    simulator().asterisk.defineRecording(`${prefix}left-by-a-crash`, 1000);
    simulator().asterisk.defineRecording('callflow-name-of-another-instance-1', 1000);
    simulator().asterisk.defineRecording('voicemail-1', 1000);
    const swept = untilLogged(new RegExp(`deleted 1 recorded name\\(s\\) left by an earlier run: ${prefix}left-by-a-crash`));
    simulator().dropWebSockets();
    await swept;
    assert.deepEqual(simulator().asterisk.storedRecordings().map((r) => r.name).sort(), ['callflow-name-of-another-instance-1', inUse, 'voicemail-1'].sort());
  });
});
