/**
 * Recording campaign calls (issue 17), in Node-RED against the simulated
 * Asterisk: with recordCalls on, every answered call is recorded through a
 * snoop channel from the answer to the customer's hangup, also after the
 * flow sent the call to a queue; the recording's name is in the attempt, the
 * report node's msg and export, and the release callback's filePath. A
 * recording Asterisk refuses leaves the call unrecorded with a warning, and
 * the attempt says why. Off (the default), nothing is recorded. Closing the
 * flows while a recorded call is in the flow hangs it up, and its snoop
 * channel and recording end with it.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { StoredContact } from '../../lib/store/port';
import { useAppServer } from '../support/app-server';
import { CREDS, useSimulator } from '../support/ivr';
import { NODES, helper, nextMessage, node, useNodeRed } from '../support/node-red';
import { RawAri, type EventLog } from '../support/raw-ari';
import { firstStoredContact, seedRunningTask } from '../support/campaign-store';
import { useTempDir } from '../support/temp-dir';

const NUMBER = '+8613900000002';
type Json = Record<string, unknown>;

interface Callback {
  event: string;
  filePath: string;
  callId: string;
}

describe('recording campaign calls (Node-RED, simulated Asterisk)', function () {
  this.timeout(60_000);
  useNodeRed();
  // Slow enough that a test hears of a dialed channel before its 3 s of ringing end.
  const simulator = useSimulator(10);
  const temp = useTempDir('callflow-recording-');
  const app = useAppServer();
  let observer: EventLog | undefined;

  beforeEach(async function () {
    // Another application that hears every event of the simulated Asterisk (subscribeAll), as a test's eyes.
    observer = await new RawAri(simulator().url, simulator().username, simulator().password).events('observer', { subscribeAll: true });
  });
  afterEach(async function () {
    await observer?.close();
  });

  /** The first `count` callbacks, their JSON bodies, once they have arrived. */
  async function callbacksArrived(count: number): Promise<Callback[]> {
    return (await app.arrivals(count)).map((r) => JSON.parse(r.body || '{}') as Callback);
  }

  /** After answering, the flow sends the call to a queue (`queue`) or plays 10 s of silence to it (`play`). */
  function flows(storeFile: string, recordCalls: boolean | undefined, then: 'queue' | 'play'): object[] {
    const z = 'rec-tab';
    return [
      { id: z, type: 'tab', label: 'recording' },
      { id: 'a1', type: 'callflow-asterisk', name: 'sim', useSimulator: false, url: simulator().url, app: 'callflow', idleTimeoutSec: 60, maxChannels: 10 },
      { id: 'st1', type: 'callflow-store', name: 'embedded', backend: 'embedded', file: storeFile, durability: 'normal' },
      {
        id: 'task',
        type: 'callflow-campaign',
        name: 'recorded',
        connection: 'a1',
        store: 'st1',
        callerNumbers: ['+861058000000'],
        callbackUrl: app.url('/hook'),
        callbackAllowlist: ['127.0.0.1'],
        timezone: 'UTC',
        hours: { regular: [{ start: '00:00', end: '24:00' }], special: [], allocated: [] },
        intervalSec: 1,
        callsAtATime: 1,
        maxResponseSec: 20,
        policy: { mode: 'global', rule: { byCause: false, maxDays: 1, maxPerDay: 1, intervalSec: 1, causes: [] }, types: [], nonRetry: [] },
        ...(recordCalls === undefined ? {} : { recordCalls }),
      },
      { id: 'dialer', type: 'callflow-dialer', z, campaign: 'task', wires: [[then === 'queue' ? 'tr' : 'quiet'], [], ['finished']] },
      { id: 'tr', type: 'callflow-transfer', z, kind: 'queue', queue: 'sales', queueContext: 'callflow-queues', ringTimeoutSec: '', onError: 'output', outputs: 3, wires: [['transferred'], [], []] },
      { id: 'transferred', type: 'helper', z },
      { id: 'quiet', type: 'callflow-play', z, prompts: ['sound:silence/10'], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'hangup', wires: [[]] },
      { id: 'finished', type: 'helper', z },
      { id: 'report', type: 'callflow-report', z, campaign: 'task', mask: false, wires: [['reported']] },
      { id: 'reported', type: 'helper', z },
    ];
  }

  /** One customer due in a running task, in a store file of its own; loads the flows. */
  async function load(recordCalls: boolean | undefined, then: 'queue' | 'play'): Promise<string> {
    const storeFile = path.join(temp.path, 'campaign.db');
    await seedRunningTask(storeFile, { id: 'task', name: 'recorded' }, [{ customerId: 'c1', number: NUMBER }]);
    await helper.load(NODES, flows(storeFile, recordCalls, then), CREDS);
    return storeFile;
  }

  /** The contact as stored, once the flows are unloaded (the store file is Node-RED's until then). */
  async function storedContact(storeFile: string): Promise<StoredContact> {
    await helper.unload();
    return firstStoredContact(storeFile);
  }

  const recordingEvent = (type: string, name: string) => (e: Json): boolean => e.type === type && (e.recording as Json | undefined)?.name === name;

  it('records the whole call, on after a transfer to a queue until the customer hangs up; the name is in the attempt, the report, the export and the callback', async function () {
    simulator().setNumber(NUMBER, { outcome: 'answer', ringMs: 200 });
    const storeFile = await load(true, 'queue');
    const moved = await nextMessage<{ call: { id: string } }>(node('transferred'), 30_000);
    const callId = moved.call.id;
    const name = `campaign-${callId}`;
    assert.match(callId, /^cfc-/);
    await nextMessage(node('finished'), 30_000);
    // The call is in the queue now, out of the flow: still recorded, through the snoop channel.
    const live = await observer!.next(recordingEvent('RecordingStarted', name));
    assert.equal((live.recording as Json).target_uri, `channel:cfs-${callId}`);
    const ari = new RawAri(simulator().url, simulator().username, simulator().password);
    assert.equal((await ari.ok('GET', `/recordings/live/${name}`)).state, 'recording', 'recording after the transfer');
    assert.equal(simulator().call(callId).report().transfers[0]?.target, 'callflow-queues,sales,1');
    // The report and the export, while the call is still in the queue.
    node('report').receive({});
    const report = await nextMessage<{ payload: { customers: { customerId: string; recording?: string }[] } }>(node('reported'));
    assert.deepEqual(report.payload.customers.map((c) => [c.customerId, c.recording]), [['c1', name]]);
    node('report').receive({ topic: 'export' });
    const csv = (await nextMessage<{ payload: string }>(node('reported'))).payload.split('\r\n');
    const header = (csv[0] ?? '').split(',');
    const cells = (csv[1] ?? '').split(',');
    assert.equal(cells[header.indexOf('recording')], name);
    assert.equal(cells[header.indexOf('recordingError')], '');
    // The release callback names the file, relative to Asterisk's recordings directory; the connect one has none yet.
    const [connect, release] = await callbacksArrived(2);
    assert.deepEqual([connect?.event, connect?.filePath], ['connect', '']);
    assert.deepEqual([release?.event, release?.filePath, release?.callId], ['release', `${name}.wav`, callId]);
    // The customer hangs up: the recording ends and is stored; the snoop channel is gone with the call.
    const finished = observer!.next(recordingEvent('RecordingFinished', name));
    simulator().call(callId).hangup(16);
    assert.equal(((await finished).recording as Json).state, 'done');
    assert.deepEqual(await ari.ok('GET', `/recordings/stored/${name}`), { name, format: 'wav' });
    assert.deepEqual(simulator().asterisk.channelList(), [], 'no snoop channel left');
    const contact = await storedContact(storeFile);
    assert.deepEqual(contact.attempts.map((a) => [a.outcome, a.recording, a.recordingError]), [['answered', name, undefined]]);
  });

  it('a recording Asterisk refuses (409: the name is in use): the call goes on unrecorded with a warning, and the attempt says why', async function () {
    simulator().setNumber(NUMBER, { outcome: 'answer', ringMs: 3000 });
    // While the call rings, a stored recording takes the name its recording will ask for.
    void observer!.next((e) => e.type === 'ChannelCreated' && String((e.channel as Json).id).startsWith('cfc-')).then((e) => {
      simulator().asterisk.defineRecording(`campaign-${String((e.channel as Json).id)}`, 1000);
    });
    const storeFile = await load(true, 'queue');
    const moved = await nextMessage<{ call: { id: string } }>(node('transferred'), 30_000);
    const callId = moved.call.id;
    await nextMessage(node('finished'), 30_000);
    const [, release] = await callbacksArrived(2);
    assert.deepEqual([release?.event, release?.filePath], ['release', '']);
    const warned = (helper.log().args).map((a) => JSON.stringify(a[0])).filter((line) => line.includes('did not start, the call goes on unrecorded'));
    assert.equal(warned.length, 1, 'one warning');
    assert.match(warned[0] ?? '', /already exists/);
    // The call went on to the queue; its snoop channel, which recorded nothing, was hung up.
    await observer!.next((e) => e.type === 'ChannelDestroyed' && (e.channel as Json).id === `cfs-${callId}`, 20_000);
    assert.deepEqual(simulator().asterisk.channelList().map((c) => c.id), [callId]);
    simulator().call(callId).hangup(16);
    const contact = await storedContact(storeFile);
    const attempt = contact.attempts[0];
    assert.equal(attempt?.outcome, 'answered');
    assert.equal(attempt?.recording, undefined);
    assert.match(attempt?.recordingError ?? '', /^Asterisk refused the recording: .*already exists/);
  });

  it('records nothing when the task does not record calls (the default)', async function () {
    simulator().setNumber(NUMBER, { outcome: 'answer', ringMs: 200 });
    const storeFile = await load(undefined, 'queue');
    const moved = await nextMessage<{ call: { id: string } }>(node('transferred'), 30_000);
    await nextMessage(node('finished'), 30_000);
    const [connect, release] = await callbacksArrived(2);
    assert.deepEqual([connect?.filePath, release?.filePath], ['', '']);
    assert.deepEqual(simulator().asterisk.channelList().map((c) => c.id), [moved.call.id], 'no snoop channel');
    assert.equal(observer!.all.some((e) => String(e.type).startsWith('Recording')), false);
    simulator().call(moved.call.id).hangup(16);
    const contact = await storedContact(storeFile);
    assert.deepEqual(contact.attempts.map((a) => [a.outcome, 'recording' in a, 'recordingError' in a]), [['answered', false, false]]);
  });

  it('closing the flows while a recorded call is in the flow hangs it up; its snoop channel and recording end with it', async function () {
    simulator().setNumber(NUMBER, { outcome: 'answer', ringMs: 200 });
    await load(true, 'play');
    const started = await observer!.next((e) => e.type === 'RecordingStarted' && String((e.recording as Json).name).startsWith('campaign-cfc-'), 30_000);
    const name = String((started.recording as Json).name);
    const finished = observer!.next(recordingEvent('RecordingFinished', name), 20_000);
    await helper.unload();
    assert.equal(((await finished).recording as Json).state, 'done');
    // The call's own end and its snoop's come from the same hangup; the snoop's is the later one.
    await observer!.next((e) => e.type === 'ChannelDestroyed' && String((e.channel as Json).id).startsWith('cfs-'), 20_000);
    assert.deepEqual(simulator().asterisk.channelList(), [], 'no channel left');
    const ari = new RawAri(simulator().url, simulator().username, simulator().password);
    assert.equal((await ari.req('GET', `/recordings/live/${name}`)).status, 404);
    assert.deepEqual(await ari.ok('GET', `/recordings/stored/${name}`), { name, format: 'wav' });
  });
});
