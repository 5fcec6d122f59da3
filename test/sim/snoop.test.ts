/**
 * Snooping (POST /channels/{id}/snoop, /snoop/{snoopId}) as res/ari/resource_channels.c and res/res_stasis_snoop.c
 * do it: the snoop channel's name, its StasisStart with the arguments, recording it, its end when the spied channel
 * hangs up (also after the spied channel went on in the dialplan), and the errors. Over the wire with the raw client.
 */
import assert from 'node:assert/strict';
import type { Simulator } from '../../lib/sim';
import { is, useRawSimulator, type EventLog, type RawAri } from '../support/raw-ari';

type Json = Record<string, unknown>;

describe('simulator: snoop channels', function () {
  let sim: Simulator;
  let ari: RawAri;
  let events: EventLog;

  useRawSimulator((raw) => ({ sim, ari, events } = raw));

  async function answered(): Promise<string> {
    const call = sim.placeCall({ from: '1001', to: '500', app: 'app1' });
    await events.next(is('StasisStart', call.id));
    await ari.ok('POST', `/channels/${call.id}/answer`);
    return call.id;
  }

  it('makes Snoop/<spied id>-<8 hex digits>, Up, answers with it, then puts it into the application with the arguments', async function () {
    const spied = await answered();
    const snoop = await ari.ok('POST', `/channels/${spied}/snoop/snoop-1`, { spy: 'both', app: 'app1', appArgs: 'rec,x' });
    assert.equal(snoop.id, 'snoop-1');
    assert.match(String(snoop.name), new RegExp(`^Snoop/${spied.replace('.', '\\.')}-[0-9a-f]{8}$`));
    assert.equal(snoop.state, 'Up');
    assert.deepEqual(snoop.dialplan, { context: 'default', exten: 's', priority: 1, app_name: '', app_data: '' });
    const start = await events.next(is('StasisStart', 'snoop-1'));
    assert.deepEqual(start.args, ['rec', 'x']);
    // Without an id the channel gets one from the same sequence as every channel.
    const other = await ari.ok('POST', `/channels/${spied}/snoop`, { spy: 'in', app: 'app1' });
    assert.notEqual(other.id, 'snoop-1');
    assert.deepEqual((await events.next(is('StasisStart', String(other.id)))).args, []);
    const app = await ari.ok('GET', '/applications/app1');
    assert.ok((app.channel_ids as string[]).includes('snoop-1'), 'the snoop channel is in the application');
  });

  it('records the snoop channel; the recording ends and is stored when the spied channel hangs up, then the snoop ends', async function () {
    const spied = await answered();
    await ari.ok('POST', `/channels/${spied}/snoop/snoop-2`, { spy: 'both', app: 'app1' });
    await events.next(is('StasisStart', 'snoop-2'));
    const live = await ari.ok('POST', '/channels/snoop-2/record', { name: 'call-2', format: 'wav' });
    assert.equal(live.target_uri, 'channel:snoop-2');
    await events.next((e) => e.type === 'RecordingStarted' && (e.recording as Json).name === 'call-2');
    sim.call(spied).hangup(16);
    const finished = await events.next((e) => e.type === 'RecordingFinished' && (e.recording as Json).name === 'call-2');
    assert.equal((finished.recording as Json).state, 'done');
    await events.next(is('StasisEnd', 'snoop-2'));
    // No ChannelHangupRequest (__ast_read flags the soft hangup itself), and no ChannelDestroyed: the snoop channel
    // ran Stasis() as a dialplan application, so the application no longer follows it once Stasis ends.
    assert.deepEqual(events.typesFor('snoop-2'), ['StasisStart', 'RecordingStarted', 'RecordingFinished', 'StasisEnd']);
    const stored = await ari.ok('GET', '/recordings/stored/call-2');
    assert.deepEqual(stored, { name: 'call-2', format: 'wav' });
    assert.equal((await ari.req('GET', '/channels/snoop-2')).status, 404);
    assert.equal((await ari.req('GET', '/recordings/live/call-2')).status, 404);
  });

  it('goes on while the spied channel is in the dialplan, and ends with its hangup', async function () {
    const spied = await answered();
    await ari.ok('POST', `/channels/${spied}/snoop/snoop-3`, { spy: 'both', app: 'app1' });
    await events.next(is('StasisStart', 'snoop-3'));
    await ari.ok('POST', '/channels/snoop-3/record', { name: 'call-3', format: 'wav' });
    await ari.ok('POST', `/channels/${spied}/continue`, { context: 'queues', extension: 'sales' });
    await events.next(is('StasisEnd', spied));
    assert.equal((await ari.ok('GET', '/channels/snoop-3')).state, 'Up', 'still there after the spied channel left Stasis');
    assert.equal((await ari.ok('GET', '/recordings/live/call-3')).state, 'recording');
    sim.call(spied).hangup(16);
    await events.next(is('StasisEnd', 'snoop-3'));
    assert.deepEqual(await ari.ok('GET', '/recordings/stored/call-3'), { name: 'call-3', format: 'wav' });
  });

  it('hung up itself, leaves the spied channel up; it is no call of its own in the reports', async function () {
    const spied = await answered();
    await ari.ok('POST', `/channels/${spied}/snoop/snoop-4`, { spy: 'both', app: 'app1' });
    await events.next(is('StasisStart', 'snoop-4'));
    assert.equal((await ari.req('DELETE', '/channels/snoop-4')).status, 204);
    await events.next(is('StasisEnd', 'snoop-4'));
    assert.equal((await ari.req('GET', '/channels/snoop-4')).status, 404);
    assert.equal((await ari.ok('GET', `/channels/${spied}`)).state, 'Up');
    const listed = (await (await fetch(`${sim.url}/sim/calls`)).json()) as Json[];
    assert.deepEqual(listed.map((r) => r.id), [spied]);
  });

  it('refuses as ari_channels_handle_snoop_channel does: 400 for directions and the application, 404, 500 for an id in use', async function () {
    const spied = await answered();
    const cases: [Json, number, string][] = [
      [{ spy: 'sideways', app: 'app1' }, 400, 'Invalid direction specified for spy'],
      [{ spy: 'both', whisper: 'up', app: 'app1' }, 400, 'Invalid direction specified for whisper'],
      [{ app: 'app1' }, 400, 'Direction must be specified for at least spy or whisper'],
      [{ spy: 'none', whisper: 'none', app: 'app1' }, 400, 'Direction must be specified for at least spy or whisper'],
      [{ spy: 'both' }, 400, 'Application name is required'],
    ];
    for (const [query, status, message] of cases) {
      const res = await ari.req('POST', `/channels/${spied}/snoop`, query as Record<string, string>);
      assert.deepEqual([res.status, res.body], [status, { message }], JSON.stringify(query));
    }
    const missing = await ari.req('POST', '/channels/nope/snoop', { spy: 'both', app: 'app1' });
    assert.deepEqual([missing.status, missing.body], [404, { message: 'Provided channel was not found' }]);
    const taken = await ari.req('POST', `/channels/${spied}/snoop/${spied}`, { spy: 'both', app: 'app1' });
    assert.deepEqual([taken.status, taken.body], [500, { message: 'Snoop channel could not be created' }]);
    assert.deepEqual((await ari.ok<Json[]>('GET', '/channels')).map((c) => c.id), [spied], 'no snoop channel was made');
  });
});
