/**
 * The status codes and messages the simulated Asterisk answers, per ARI
 * resource, in the order Asterisk checks them (res/ari/resource_*.c at
 * commit f0c1c1a7; docs/simulator.md, "How faithful it is"). A client that
 * branches on a status (lib/ari: 404 ends a call, 409/412/422 name a refusal)
 * sees here what a stock Asterisk would send.
 */
import assert from 'node:assert/strict';
import type { Simulator } from '../../lib/sim';
import { recordedDurations } from '../../lib/sim/resources/recordings';
import { useRawSimulator, type RawAri, is, type EventLog } from '../support/raw-ari';

type Json = Record<string, unknown>;

describe('simulator: REST answers as res/ari/resource_*.c sends them', function () {
  let sim: Simulator;
  let ari: RawAri;
  let events: EventLog;

  useRawSimulator((raw) => ({ sim, ari, events } = raw));

  async function answered(): Promise<string> {
    const call = sim.placeCall({ from: '1', to: '2', app: 'app1' });
    await events.next(is('StasisStart', call.id));
    await ari.ok('POST', `/channels/${call.id}/answer`);
    return call.id;
  }

  async function answer(method: string, path: string, query: Record<string, string | number | boolean> = {}): Promise<[number, unknown]> {
    const r = await ari.req(method, path, query);
    return [r.status, r.body];
  }

  describe('channels', function () {
    it('looks the channel up before checking sendDTMF, redirect and play parameters (find_control first)', async function () {
      assert.deepEqual(await answer('POST', '/channels/nope/dtmf'), [404, { message: 'Channel not found' }]);
      assert.deepEqual(await answer('POST', '/channels/nope/redirect'), [404, { message: 'Channel not found' }]);
      assert.deepEqual(await answer('POST', '/channels/nope/play', { media: 'sound:beep', skipms: -1 }), [404, { message: 'Channel not found' }]);
      const id = await answered();
      assert.deepEqual(await answer('POST', `/channels/${id}/dtmf`), [400, { message: 'DTMF is required' }]);
      assert.deepEqual(await answer('POST', `/channels/${id}/redirect`), [400, { message: "Required parameter 'endpoint' not provided." }]);
    });

    it('answers play parameter errors with ari_channels_handle_play\'s texts', async function () {
      const id = await answered();
      assert.deepEqual(await answer('POST', `/channels/${id}/play`, { media: 'sound:beep', skipms: -1 }), [400, { message: 'skipms cannot be negative' }]);
      assert.deepEqual(await answer('POST', `/channels/${id}/play`, { media: 'sound:beep', offsetms: -1 }), [400, { message: 'offsetms cannot be negative' }]);
      // ast_app_separate_args keeps an empty element, and stasis_app_control_play_uri refuses it.
      assert.deepEqual(await answer('POST', `/channels/${id}/play`, { media: 'sound:beep,,sound:beep' }), [500, { message: 'Failed to queue media for playback' }]);
      assert.deepEqual(await answer('POST', `/channels/${id}/play`, { media: Array(128).fill('sound:beep').join(',') }), [400, { message: 'Too many values for media' }]);
      const created = await ari.req('POST', `/channels/${id}/play/pb1`, { media: 'sound:beep' });
      assert.equal(created.status, 201);
      // ast_ari_response_created prefixes the root segment.
      assert.equal(created.headers.get('location'), '/ari/playbacks/pb1');
    });

    it('redirect: "/x" has no technology; the technology is compared as a case-insensitive prefix', async function () {
      const id = await answered();
      assert.deepEqual(await answer('POST', `/channels/${id}/redirect`, { endpoint: '/100' }), [422, { message: "Endpoint parameter '/100' does not contain tech/resource" }]);
      assert.deepEqual(await answer('POST', `/channels/${id}/redirect`, { endpoint: 'SIP/100' }), [422, { message: "Endpoint technology 'SIP' does not match channel technology 'PJSIP'" }]);
      assert.deepEqual(await answer('POST', `/channels/${id}/redirect`, { endpoint: 'pj/100' }), [204, undefined]);
    });

    it('continue: priority 0 is no priority (only a label reading 0 is illegal)', async function () {
      const id = await answered();
      assert.deepEqual(await answer('POST', `/channels/${id}/continue`, { label: '0' }), [400, { message: 'Requested priority is illegal' }]);
      assert.deepEqual(await answer('POST', `/channels/${id}/continue`, { context: 'default', extension: '100', priority: 0 }), [204, undefined]);
      await events.next(is('StasisEnd', id));
      assert.deepEqual(sim.call(id).report().transfers.map((t) => t.target), ['default,100,1']);
    });

    it('mute needs a direction: the documented default "both" is not applied by Asterisk', async function () {
      const id = await answered();
      assert.deepEqual(await answer('POST', `/channels/${id}/mute`), [400, { message: 'Direction is required' }]);
      assert.deepEqual(await answer('DELETE', `/channels/${id}/mute`, { direction: 'sideways' }), [400, { message: 'Invalid direction specified' }]);
      assert.deepEqual(await answer('POST', `/channels/${id}/mute`, { direction: 'in' }), [204, undefined]);
    });

    it('hangup reads reason_code as sscanf("%30d") does', async function () {
      const id = await answered();
      assert.deepEqual(await answer('DELETE', `/channels/${id}`, { reason_code: 'x17' }), [400, { message: 'Invalid reason for hangup reason code provided' }]);
      assert.deepEqual(await answer('DELETE', `/channels/${id}`, { reason_code: ' 17 busy' }), [204, undefined]);
      await events.next(is('StasisEnd', id));
      assert.equal(sim.call(id).report().ended?.cause, 17);
    });

    it('record: negative limits first, then the channel, then terminateOn, ifExists, format, name', async function () {
      assert.deepEqual(await answer('POST', '/channels/nope/record', { name: 'r', format: 'wav', maxDurationSeconds: -1 }), [400, { message: 'max_duration_seconds cannot be negative' }]);
      assert.deepEqual(await answer('POST', '/channels/nope/record', { name: 'r', format: 'wav', maxSilenceSeconds: -1 }), [400, { message: 'max_silence_seconds cannot be negative' }]);
      assert.deepEqual(await answer('POST', '/channels/nope/record', { format: 'wav' }), [404, { message: 'Channel not found' }]);
      const id = await answered();
      assert.deepEqual(await answer('POST', `/channels/${id}/record`, { name: 'r', format: 'wav', terminateOn: 'star' }), [400, { message: 'terminateOn invalid' }]);
      assert.deepEqual(await answer('POST', `/channels/${id}/record`, { name: 'r', format: 'wav', ifExists: 'replace' }), [400, { message: 'ifExists invalid' }]);
      assert.deepEqual(await answer('POST', `/channels/${id}/record`, { name: 'r' }), [422, { message: 'specified format is unknown on this system' }]);
      assert.deepEqual(await answer('POST', `/channels/${id}/record`, { name: 'r', format: 'Wav' }), [422, { message: 'specified format is unknown on this system' }]);
      // stasis_app_control_record: an empty name is EINVAL.
      assert.deepEqual(await answer('POST', `/channels/${id}/record`, { format: 'wav' }), [500, { message: 'Error parsing request' }]);
      // A name whose folder does not exist outside the recordings directory: ast_safe_mkdir refuses it (EPERM).
      assert.deepEqual(await answer('POST', `/channels/${id}/record`, { name: '../nonexistent/x', format: 'wav' }), [400, { message: 'Recording name invalid' }]);
      // Seen on Asterisk 22.11 built from releases/22: "../x" and "../../x", whose folders (the recordings directory's
      // parents) exist, answer 500 "Error parsing request" (safe_mkdir returns EPERM without setting errno).
      assert.deepEqual(await answer('POST', `/channels/${id}/record`, { name: '../x', format: 'wav' }), [500, { message: 'Error parsing request' }]);
      assert.deepEqual(await answer('POST', `/channels/${id}/record`, { name: '../../x', format: 'wav' }), [500, { message: 'Error parsing request' }]);
      // strcasecmp: case does not matter for terminateOn and ifExists.
      const r = await ari.req('POST', `/channels/${id}/record`, { name: 'voice mail/1', format: 'wav16', terminateOn: 'NONE', ifExists: 'Overwrite' });
      assert.equal(r.status, 201);
      assert.equal(r.headers.get('location'), '/ari/recordings/live/voice%20mail%2F1');
    });
  });

  describe('bridges', function () {
    it('play without media: 500 Allocation failed; record with a negative limit: 500 Error parsing request', async function () {
      await ari.ok('POST', '/bridges/b1');
      assert.deepEqual(await answer('POST', '/bridges/b1/play', { media: '' }), [500, { error: 'Allocation failed' }]);
      assert.deepEqual(await answer('POST', '/bridges/nope/record', { name: 'r', format: 'wav', maxDurationSeconds: -1 }), [404, { message: 'Bridge not found' }]);
      assert.deepEqual(await answer('POST', '/bridges/b1/record', { name: 'r', format: 'wav', maxDurationSeconds: -1 }), [500, { message: 'Error parsing request' }]);
    });
  });

  describe('playbacks', function () {
    it('checks the operation before looking the playback up', async function () {
      assert.deepEqual(await answer('POST', '/playbacks/nope/control'), [400, { message: 'Missing operation' }]);
      assert.deepEqual(await answer('POST', '/playbacks/nope/control', { operation: 'jump' }), [400, { message: 'Invalid operation jump' }]);
      assert.deepEqual(await answer('POST', '/playbacks/nope/control', { operation: 'pause' }), [404, { message: 'Playback not found' }]);
    });

    it('takes unpause while playing, pause while paused and restart while queued as no-ops (204)', async function () {
      const id = await answered();
      sim.asterisk.defineRecording('an-hour', 3_600_000);
      await ari.ok('POST', `/channels/${id}/play/first`, { media: 'recording:an-hour' });
      await ari.ok('POST', `/channels/${id}/play/second`, { media: 'sound:beep' });
      await events.next((e) => e.type === 'PlaybackStarted' && (e.playback as Json).id === 'first');
      assert.deepEqual(await answer('POST', '/playbacks/second/control', { operation: 'restart' }), [204, undefined]);
      assert.deepEqual(await answer('POST', '/playbacks/second/control', { operation: 'pause' }), [409, { message: 'Can only pause while media is playing' }]);
      assert.deepEqual(await answer('POST', '/playbacks/first/control', { operation: 'unpause' }), [204, undefined]);
      assert.deepEqual(await answer('POST', '/playbacks/first/control', { operation: 'pause' }), [204, undefined]);
      assert.deepEqual(await answer('POST', '/playbacks/first/control', { operation: 'pause' }), [204, undefined]);
      assert.deepEqual(await answer('POST', '/playbacks/first/control', { operation: 'forward' }), [409, { message: 'Can only forward while media is playing' }]);
      assert.equal((await ari.ok('GET', '/playbacks/first')).state, 'paused');
      await ari.ok('DELETE', '/playbacks/second');
      await ari.ok('DELETE', '/playbacks/first');
    });

    it('cannot stop or pause what only says numbers, digits or characters (500), until a sound has played in the list', async function () {
      const id = await answered();
      // "one" lasts an hour here (7 s at 500x): the number is still being said while it is stopped, however busy the machine.
      sim.asterisk.sounds.define('digits/1', 3_600_000);
      await ari.ok('POST', `/channels/${id}/play/said`, { media: 'number:1' });
      await events.next((e) => e.type === 'PlaybackStarted' && (e.playback as Json).id === 'said');
      assert.deepEqual(await answer('DELETE', '/playbacks/said'), [500, { message: 'Could not stop playback' }]);
      assert.deepEqual(await answer('POST', '/playbacks/said/control', { operation: 'pause' }), [500, { message: 'Could not pause playback' }]);
      assert.deepEqual(await answer('POST', '/playbacks/said/control', { operation: 'unpause' }), [204, undefined]);
      assert.equal((await ari.ok('GET', '/playbacks/said')).state, 'playing', 'it plays on');
      assert.deepEqual(sim.call(id).report().heard.map((h) => h.outcome), [undefined]);
      // A sound earlier in the list makes the playback controllable (the flag is never cleared).
      const other = await answered();
      await ari.ok('POST', `/channels/${other}/play/mixed3`, { media: 'sound:beep,number:1' });
      await events.next((e) => e.type === 'PlaybackStarted' && (e.playback as Json).media_uri === 'number:1');
      assert.deepEqual(await answer('DELETE', '/playbacks/mixed3'), [204, undefined]);
      assert.equal(((await events.next((e) => e.type === 'PlaybackFinished' && (e.playback as Json).id === 'mixed3')).playback as Json).state, 'done');
    });
  });

  describe('recordings', function () {
    async function recording(id: string, name: string, format = 'wav'): Promise<void> {
      await ari.ok('POST', `/channels/${id}/record`, { name, format });
      await events.next((e) => e.type === 'RecordingStarted' && (e.recording as Json).name === name);
    }

    it('takes pause while paused and unpause while recording as no-ops; queued or gone: 409 or 404', async function () {
      const id = await answered();
      await recording(id, 'r1');
      assert.deepEqual(await answer('DELETE', '/recordings/live/r1/pause'), [204, undefined]);
      assert.deepEqual(await answer('POST', '/recordings/live/r1/pause'), [204, undefined]);
      assert.deepEqual(await answer('POST', '/recordings/live/r1/pause'), [204, undefined]);
      assert.equal((await ari.ok('GET', '/recordings/live/r1')).state, 'paused');
      await ari.ok('POST', '/recordings/live/r1/stop');
      assert.deepEqual(await answer('POST', '/recordings/live/r1/pause'), [404, { message: 'Recording not found' }]);
    });

    it('a canceled recording finishes as "done" (record_file sets COMPLETE after it returns) and is not stored', async function () {
      const id = await answered();
      await recording(id, 'gone');
      await ari.ok('DELETE', '/recordings/live/gone');
      const finished = await events.next((e) => e.type === 'RecordingFinished' && (e.recording as Json).name === 'gone');
      assert.equal((finished.recording as Json).state, 'done');
      assert.deepEqual(await answer('GET', '/recordings/stored/gone'), [404, { message: 'Recording not found' }]);
    });

    it('reports durations in whole seconds as __ast_play_and_record does: the silence it ended in, but 200 ms, is not counted', function () {
      // No silence limit: no silence detector, the seconds written.
      assert.deepEqual(recordedDurations(6500), { duration: 6 });
      // 0.5 s of silence, 4 s of talk, 2 s of silence: 6 s less 1 (1.8 s), talk 6 s less 2 (2.3 s).
      assert.deepEqual(recordedDurations(6500, { silenceMs: 2500, trailingMs: 2000 }), { duration: 5, talking: 4 });
      // Ended while talking, or after less than 1.2 s of silence: nothing is taken off.
      assert.deepEqual(recordedDurations(3100, { silenceMs: 1100, trailingMs: 0 }), { duration: 3, talking: 3 });
      assert.deepEqual(recordedDurations(3100, { silenceMs: 1100, trailingMs: 1100 }), { duration: 3, talking: 3 });
      assert.deepEqual(recordedDurations(900, { silenceMs: 900, trailingMs: 900 }), { duration: 0, talking: 0 });
    });

    it('stored: sorted by name, Content-Type from the extension, names resolved as paths', async function () {
      sim.asterisk.defineRecording('zeta', 1000);
      sim.asterisk.defineRecording('alpha', 1000, 'gsm');
      sim.asterisk.defineRecording('mid/beta', 1000);
      assert.deepEqual(await ari.ok('GET', '/recordings/stored'), [
        { name: 'alpha', format: 'gsm' },
        { name: 'mid/beta', format: 'wav' },
        { name: 'zeta', format: 'wav' },
      ]);
      const file = await ari.req('GET', '/recordings/stored/alpha/file');
      assert.equal(file.status, 200);
      assert.equal(file.headers.get('content-type'), 'audio/gsm');
      assert.equal(file.headers.get('cache-control'), 'no-cache, no-store');
      // One second of GSM: fifty 33-byte frames, its length given.
      assert.equal(file.headers.get('content-length'), '1650');
      assert.deepEqual(await answer('GET', '/recordings/stored/nope/file'), [404, { message: 'Recording not found' }]);
      assert.deepEqual(await ari.ok('GET', `/recordings/stored/${encodeURIComponent('mid/./beta')}`), { name: 'mid/beta', format: 'wav' });
      assert.deepEqual(await answer('GET', `/recordings/stored/${encodeURIComponent('../zeta')}`), [404, { message: 'Recording not found' }]);
    });

    it('copy: 404, 409, 400 without a destination, 403 outside the directory, an extension dropped', async function () {
      sim.asterisk.defineRecording('src', 1000);
      sim.asterisk.defineRecording('taken', 1000);
      assert.deepEqual(await answer('POST', '/recordings/stored/nope/copy', { destinationRecordingName: 'x' }), [404, { message: 'Recording not found' }]);
      assert.deepEqual(await answer('POST', '/recordings/stored/src/copy', { destinationRecordingName: 'taken' }), [409, { message: 'A recording with the same name already exists on the system' }]);
      assert.deepEqual(await answer('POST', '/recordings/stored/src/copy'), [400, { message: 'Invalid destination recording name' }]);
      assert.deepEqual(await answer('POST', '/recordings/stored/src/copy', { destinationRecordingName: '../x' }), [403, { message: 'Destination file path is forbidden' }]);
      assert.deepEqual(await answer('POST', '/recordings/stored/src/copy', { destinationRecordingName: 'copies/one.wav' }), [200, { name: 'copies/one', format: 'wav' }]);
    });
  });

  describe('sounds', function () {
    it('answers 404 when no sound matches the filters', async function () {
      assert.deepEqual(await answer('GET', '/sounds', { lang: 'xx' }), [404, { message: 'No sounds found that matched the query' }]);
      assert.deepEqual(await answer('GET', '/sounds', { format: 'gsm' }), [404, { message: 'No sounds found that matched the query' }]);
      assert.deepEqual(await answer('GET', `/sounds/${encodeURIComponent('no/such')}`), [404, { message: 'Sound not found' }]);
      assert.ok(((await ari.ok<Json[]>('GET', '/sounds', { lang: 'en', format: 'slin' })).length) > 500);
    });
  });
});
