/**
 * callflow-bot's Record the call (lib/call/recording.ts), end to end on the simulated Asterisk: an inbound robot call
 * recorded through a snoop channel from the robot's first turn to the caller's hangup (the caller's speech is in the
 * file), its name in the call record, linked in the Call flows sidebar's calls of the version and served by the admin
 * route byte for byte, still when the flow has more newer records than the sidebar reads (not for another version's); the snoop channel gone with the call; on after a transfer to a queue until the caller hangs
 * up; a recording Asterisk refuses leaves the call going on, with a warning and the reason in the call record; off,
 * nothing is recorded. (A campaign robot call with Record calls, recorded once: test/nodes/bot.test.ts, the example.)
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { CallRecord } from '../../lib/schemas/store';
import fs from 'node:fs';
import { encodeWav, parseWav, resample } from '../../lib/speech/wav';
import { registerCallRecordingsApi } from '../../nodes/admin/call-recordings';
import { SCAN } from '../../nodes/admin/version-records';
import type { StoreConfigNode } from '../../nodes/store/config';
import { useAppServer } from '../support/app-server';
import { nextCallRecord } from '../support/call-records';
import { CREDS, ivrFlow, useSimulator } from '../support/ivr';
import { NODES, hasText, helper, nextMessage, node, useNodeRed, waitForStatus } from '../support/node-red';
import { RawAri, type EventLog } from '../support/raw-ari';
import { robotNode, useSpeakingTests } from '../support/speech-http';

type Json = Record<string, unknown>;
const VERSION_CALLS = '/callflow/releases/r1/flows/main/versions/v1/calls';

/** Where `part` occurs in `whole`, sample for sample (-1: nowhere). */
function indexOf(whole: Int16Array, part: Int16Array): number {
  outer: for (let i = 0; i + part.length <= whole.length; i++) {
    for (let j = 0; j < part.length; j++) if (whole[i + j] !== part[j]) continue outer;
    return i;
  }
  return -1;
}

/** `ms` of a 440 Hz tone at 8 kHz: what the caller says in the recording test, easy to find in the recording. */
function tone(ms: number): Int16Array {
  return Int16Array.from({ length: (ms * 8000) / 1000 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
}

describe('callflow-bot: Record the call (Node-RED, simulated Asterisk)', function () {
  this.timeout(60_000);
  useNodeRed();
  const simulator = useSimulator(20);
  const app = useAppServer();
  const web = useSpeakingTests('callflow-bot-recording-');
  let observer: EventLog | undefined;

  beforeEach(async function () {
    observer = await new RawAri(simulator().url, simulator().username, simulator().password).events('observer', { subscribeAll: true });
  });
  afterEach(async function () {
    await observer?.close();
  });

  /** The bot answers `reply` with `action` (transfer: to queue sales); the recogniser hears "hello". */
  function bot(action: 'end' | 'transfer'): void {
    app.handler = (req, res) => {
      if (req.url === '/v1/audio/transcriptions') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"hello"}');
      const answer = action === 'end' ? { reply: 'Goodbye.', action: 'end' } : { reply: 'Connecting you.', action: 'transfer', queue: 'sales' };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    };
  }

  /** Version v1 of flow "main": the robot (record as given), its transfer to a queue; the connection keeps call records. */
  async function deploy(record: boolean | undefined): Promise<void> {
    await helper.load(
      [...NODES, web.captureHttpNode] as never,
      ivrFlow(
        simulator(),
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', releases: 'r1', version: 'v1', release: 'official', grayShare: 0, grayCallers: '', wires: [['bot']] },
          { ...robotNode('bot', app.url('/bot'), record === undefined ? {} : { record }), wires: [['ended'], ['tr'], ['limit'], ['error']] },
          { id: 'tr', type: 'callflow-transfer', kind: 'queue', queue: 'sales', queueContext: 'callflow-queues', ringTimeoutSec: '', onError: 'output', outputs: 3, wires: [['transferred'], ['error'], ['error']] },
          { id: 'ended', type: 'helper' },
          { id: 'transferred', type: 'helper' },
          { id: 'limit', type: 'helper' },
          { id: 'error', type: 'helper' },
        ],
        ['bot'],
        {
          configs: [
            { id: 'sp', type: 'callflow-speech', provider: 'local', publicUrl: web.publicUrl(), directory: web.dir(), recognizer: 'whisper', sttBaseUrl: app.url(''), sttModel: 'w', sttFormat: 'json', sttMaxSec: 20 },
            { id: 's1', type: 'callflow-store', backend: 'embedded', file: path.join(web.dir(), 'callflow.db'), durability: 'normal' },
            { id: 'r1', type: 'callflow-releases', name: 'versions', store: 's1' },
          ],
          connection: { recordStore: 's1' },
        },
      ),
      { ...CREDS, bot: { apiKey: '' } },
    );
    await waitForStatus(node('e1'), hasText('v1: Official Release'));
  }

  /** The call as the Call flows sidebar lists it among v1's ended calls. */
  async function listed(id: string): Promise<{ id: string; recording?: string }> {
    const res = await helper.request().get(VERSION_CALLS).expect(200);
    const call = (res.body as { recent: { id: string; recording?: string }[] }).recent.find((c) => c.id === id);
    assert.ok(call, `call ${id} is listed: ${JSON.stringify(res.body)}`);
    return call;
  }

  /** The call's record as the store keeps it (GET callflow/records/a1). */
  async function stored(id: string): Promise<CallRecord> {
    const res = await helper.request().get('/callflow/records/a1').expect(200);
    const record = (res.body as { items: CallRecord[] }).items.find((r) => r.id === id);
    assert.ok(record, `call ${id} has a record`);
    return record;
  }

  const storedNames = async (): Promise<string[]> => {
    const ari = new RawAri(simulator().url, simulator().username, simulator().password);
    return (await ari.ok<{ name: string }[]>('GET', '/recordings/stored')).map((r) => r.name);
  };

  /** The admin app's answer (in-process, supertest), its body as bytes. */
  async function fetched(url: string): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    type Binary = { status: number; headers: Record<string, string>; body: Buffer };
    type BinaryTest = Promise<Binary> & { buffer(on: boolean): BinaryTest; parse(fn: (res: NodeJS.ReadableStream, cb: (err: Error | null, body: Buffer) => void) => void): BinaryTest };
    return (helper.request().get(url) as unknown as BinaryTest).buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });
  }

  it('records an inbound robot call both ways from its first turn to the hangup: the greeting and the caller are in the file, the name in the call record, played through the admin route; the snoop channel ends with the call', async function () {
    bot('end');
    await deploy(true);
    const said = tone(900);
    const wav = path.join(web.dir(), 'caller.wav');
    fs.writeFileSync(wav, encodeWav({ rate: 8000, samples: said }));
    const recordWritten = nextCallRecord('a1');
    const ended = nextMessage(node('ended'), 30_000);
    const call = simulator().placeCall({ from: '+15550100', to: '2', script: [{ waitFor: 'playback-end' }, { say: { wav } }, { waitFor: 'playback-end' }, { hangup: true }] });
    const name = `call-${call.id}`;
    const snoopMade = observer!.next((e) => e.type === 'ChannelCreated' && (e.channel as Json).id === `cfs-${call.id}`, 20_000);
    await ended;
    await snoopMade;
    const report = await call.ended();
    await recordWritten;
    // The snoop channel ended with the call; the recording is stored, once, and the call's report lists it.
    await observer!.next((e) => e.type === 'RecordingFinished' && (e.recording as Json).name === name, 20_000);
    assert.equal(simulator().asterisk.channelList().filter((c) => c.id.startsWith('cfs-')).length, 0, 'no snoop channel left');
    assert.deepEqual(simulator().call(call.id).report().recordings.map((r) => r.name), [name]);
    assert.deepEqual((await storedNames()).filter((n) => n.startsWith('call-')), [name]);
    // Both ways: the greeting played to the caller (recorded from the robot's first turn, before it), then the caller.
    assert.equal(report.heard.length, 2, 'the greeting and the goodbye were played to the caller');
    const ari = new RawAri(simulator().url, simulator().username, simulator().password);
    const direct = await fetch(`${simulator().url}/ari/recordings/stored/${name}/file`, { headers: { Authorization: `Basic ${Buffer.from(`${simulator().username}:${simulator().password}`).toString('base64')}` } });
    const bytes = Buffer.from(await direct.arrayBuffer());
    const recorded = parseWav(bytes).samples;
    const greetingUrl = (report.heard[0]?.media ?? '').replace(/^sound:/, '');
    const greeting = resample(parseWav(Buffer.from(await (await fetch(greetingUrl)).arrayBuffer())), 8000).samples;
    const voicedAt = greeting.findIndex((v) => v !== 0);
    const greetingAt = indexOf(recorded, greeting.subarray(voicedAt, voicedAt + 800));
    const callerAt = indexOf(recorded, said.subarray(0, 800));
    assert.ok(greetingAt >= 0, 'the greeting (out to the caller) is in the recording');
    assert.ok(callerAt > greetingAt, `the caller (in) is in the recording, after the greeting (${greetingAt}, ${callerAt})`);
    // The call record names it; the sidebar links it; the admin route serves it byte for byte.
    const record = await stored(call.id);
    assert.deepEqual([record.recording, record.recordingError], [name, undefined]);
    const listedCall = await listed(call.id);
    assert.equal(listedCall.recording, `callflow/releases/r1/flows/main/versions/v1/calls/${encodeURIComponent(call.id)}/recording`);
    const served = await fetched(`/${listedCall.recording ?? ''}`);
    assert.equal(served.status, 200, served.body.toString('utf8').slice(0, 200));
    assert.equal(served.headers['content-type'], 'audio/wav');
    assert.equal(served.headers['content-disposition'], `inline; filename="${name}.wav"`);
    assert.deepEqual(served.body, bytes, 'byte for byte');
    // Refusals, each with why.
    const refusal = async (url: string, status: number): Promise<string> => ((await helper.request().get(url).expect(status)).body as { message: string }).message;
    assert.match(await refusal(`${VERSION_CALLS}/no-such-call/recording`, 404), /^version v1 of flow main has no call "no-such-call" \(or its record is no longer kept\)$/);
    assert.match(await refusal(`/callflow/releases/r1/flows/main/versions/v9/calls/${call.id}/recording`, 404), /is not deployed/);
    assert.match(await refusal(`/callflow/releases/r1/flows/main/versions/v1/calls/${'x'.repeat(300)}/recording`, 404), /has no call/);
    // Older than the flow's SCAN newest records (no longer listed), the call's recording is still found: by its id.
    const store = await (helper.getNode('s1') as StoreConfigNode).connection?.ready();
    assert.ok(store, 'the store is open');
    const { recording: _, ...unrecorded } = record;
    for (let i = 1; i <= SCAN + 1; i += 1) await store.saveCallRecord({ ...unrecorded, id: `newer-${i}`, endedAt: record.endedAt + i });
    const recent = ((await helper.request().get(VERSION_CALLS).expect(200)).body as { recent: { id: string }[] }).recent;
    assert.ok(recent.length > 0 && !recent.some((c) => c.id === call.id), 'the call is no longer among the recent calls listed');
    const old = await fetched(`/${listedCall.recording ?? ''}`);
    assert.equal(old.status, 200, old.body.toString('utf8').slice(0, 200));
    assert.deepEqual(old.body, bytes, 'byte for byte, beyond the newest records');
    // A record of another version, flow or connection is not v1's on a1, though it names a recording Asterisk has.
    const elsewhere: [string, Partial<CallRecord>][] = [['of-v2', { version: 'v2' }], ['of-other', { flow: 'other' }], ['of-a2', { connection: 'a2' }]];
    for (const [id, differs] of elsewhere) await store.saveCallRecord({ ...record, id, ...differs });
    for (const [id] of elsewhere) assert.match(await refusal(`${VERSION_CALLS}/${id}/recording`, 404), new RegExp(`^version v1 of flow main has no call "${id}"`), id);
    await ari.ok('DELETE', `/recordings/stored/${name}`);
    assert.match(await refusal(`/${listedCall.recording ?? ''}`, 404), new RegExp(`Asterisk has no recording ${name.replace(/\./g, '\\.')} \\(any more\\)`));
  });

  it('goes on recording after the robot transfers the call to a queue, until the caller hangs up', async function () {
    bot('transfer');
    await deploy(true);
    const recordWritten = nextCallRecord('a1');
    const transferred = nextMessage<{ call: { id: string } }>(node('transferred'), 30_000);
    const call = simulator().placeCall({ from: '+15550100', to: '2', script: [{ waitFor: 'playback-end' }, { say: 900 }, { wait: 600_000 }] });
    const name = `call-${call.id}`;
    await transferred;
    assert.deepEqual(call.report().transfers.map((t) => [t.kind, t.target]), [['dialplan', 'callflow-queues,sales,1']]);
    // Out of the application, in the queue: its snoop channel is up and the recording live.
    const ari = new RawAri(simulator().url, simulator().username, simulator().password);
    assert.equal((await ari.ok('GET', `/channels/cfs-${call.id}`)).state, 'Up');
    assert.equal((await ari.ok('GET', `/recordings/live/${name}`)).state, 'recording');
    assert.ok(!(await storedNames()).includes(name), 'not stored before the hangup');
    const finished = observer!.next((e) => e.type === 'RecordingFinished' && (e.recording as Json).name === name, 20_000);
    call.hangup();
    await finished;
    await recordWritten;
    assert.ok((await storedNames()).includes(name));
    assert.equal(simulator().asterisk.channelList().length, 0, 'the snoop channel ended with the call');
    assert.equal((await stored(call.id)).recording, name);
  });

  it('a recording Asterisk refuses (the name in use): the call goes on with the robot, a warning says why, the call record keeps it', async function () {
    bot('end');
    await deploy(true);
    const recordWritten = nextCallRecord('a1');
    const ended = nextMessage(node('ended'), 30_000);
    const call = simulator().placeCall({ from: '+15550100', to: '2', script: [{ waitFor: 'playback-end' }, { say: 900 }, { waitFor: 'playback-end' }, { hangup: true }] });
    // Before the call reaches the robot, a stored recording takes the name its recording will ask for.
    simulator().asterisk.defineRecording(`call-${call.id}`, 1000);
    const snoopGone = observer!.next((e) => e.type === 'ChannelDestroyed' && (e.channel as Json).id === `cfs-${call.id}`, 20_000);
    await ended;
    await snoopGone;
    const report = await call.ended();
    await recordWritten;
    assert.equal(report.heard.length, 2, 'the robot talked on');
    assert.deepEqual(report.recordings, []);
    const warned = helper.log().args.map((a) => JSON.stringify(a[0])).filter((line) => line.includes('did not start, the call goes on unrecorded'));
    assert.equal(warned.length, 1, 'one warning');
    assert.match(warned[0] ?? '', /already exists/);
    const record = await stored(call.id);
    assert.equal(record.recording, undefined);
    assert.match(record.recordingError ?? '', /^Asterisk refused the recording: .*already exists/);
    assert.equal((await listed(call.id)).recording, undefined, 'nothing to play');
    const res = await helper.request().get(`${VERSION_CALLS}/${call.id}/recording`).expect(404);
    assert.match((res.body as { message: string }).message, /has no recording: Asterisk refused the recording/);
  });

  for (const record of [false, undefined]) {
    it(`records nothing with the option ${record === undefined ? 'absent (a flow from before it)' : 'off'}`, async function () {
      bot('end');
      await deploy(record);
      const recordWritten = nextCallRecord('a1');
      const call = simulator().placeCall({ from: '+15550100', to: '2', script: [{ waitFor: 'playback-end' }, { say: 900 }, { waitFor: 'playback-end' }, { hangup: true }] });
      const report = await call.ended();
      await recordWritten;
      assert.equal(report.heard.length, 2);
      assert.deepEqual(report.recordings, []);
      assert.deepEqual(await storedNames(), []);
      assert.ok(!observer!.all.some((e) => e.type === 'ChannelCreated' && String((e.channel as Json).id).startsWith('cfs-')), 'no snoop channel was made');
      const record_ = await stored(call.id);
      assert.deepEqual([record_.recording, record_.recordingError], [undefined, undefined]);
      assert.equal((await listed(call.id)).recording, undefined);
    });
  }
});

describe('recordings admin API permission', function () {
  it('guards both recording routes with callflow.read, as the calls of a version are', function () {
    const routes: { path: string; permission: unknown }[] = [];
    const RED = {
      httpAdmin: { get: (routePath: string, guard: { permission: unknown }) => routes.push({ path: routePath, permission: guard.permission }) },
      auth: { needsPermission: (permission: string) => Object.assign(() => undefined, { permission }) },
    };
    registerCallRecordingsApi(RED as unknown as Parameters<typeof registerCallRecordingsApi>[0]);
    assert.deepEqual(routes, [
      { path: '/callflow/campaigns/:id/attempts/:customer/:n/recording', permission: 'callflow.read' },
      { path: '/callflow/releases/:set/flows/:flow/versions/:version/calls/:call/recording', permission: 'callflow.read' },
    ]);
  });
});
