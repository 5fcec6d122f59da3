/**
 * Channel mute (POST/DELETE /channels/{id}/mute: ast_channel_suppress / ast_channel_unsuppress), addChannel's
 * mute=true (the bridge reads no audio from the channel), and the keys a bridged caller presses, which reach the
 * application however the caller is muted (only voice frames are suppressed). Over the wire with the raw client;
 * the mute state is read from the call report, as a test reads it over the control API.
 */
import assert from 'node:assert/strict';
import type { Simulator } from '../../lib/sim';
import { is, useRawSimulator, type EventLog, type RawAri } from '../support/raw-ari';

type Json = Record<string, unknown>;
const channelOf = (e: Json): Json => e.channel as Json;

describe('simulator: mute, and keys from bridged callers', function () {
  let sim: Simulator;
  let ari: RawAri;
  let events: EventLog;

  useRawSimulator((raw) => ({ sim, ari, events } = raw));

  async function caller(from: string, script?: Parameters<Simulator['placeCall']>[0]['script']): Promise<string> {
    const call = sim.placeCall({ from, to: '500', app: 'app1', ...(script ? { script } : {}) });
    await events.next(is('StasisStart', call.id));
    await ari.ok('POST', `/channels/${call.id}/answer`);
    return call.id;
  }

  async function enter(bridgeId: string, channelId: string, query: Record<string, string> = {}): Promise<void> {
    const from = events.all.length;
    assert.equal((await ari.req('POST', `/bridges/${bridgeId}/addChannel`, { channel: channelId, ...query })).status, 204);
    await events.next((e) => e.type === 'ChannelEnteredBridge' && channelOf(e).id === channelId, 5000, from);
  }

  /** The control API's view of the call's mute state. */
  async function mutedOverControl(id: string): Promise<unknown> {
    const res = await fetch(`${sim.url}/sim/calls/${id}`);
    assert.equal(res.status, 200);
    return ((await res.json()) as Json).muted;
  }

  it('composes mute and unmute as ast_channel_suppress does: directions added and taken away, not counted', async function () {
    const id = await caller('1001');
    const steps: [string, string, string | undefined][] = [
      ['POST', 'in', 'in'],
      ['POST', 'in', 'in'], // muting twice is muting once
      ['POST', 'out', 'both'],
      ['DELETE', 'in', 'out'], // one unmute lifts "in" whatever muted it
      ['DELETE', 'in', 'out'], // unmuting what is not muted changes nothing
      ['POST', 'both', 'both'],
      ['DELETE', 'out', 'in'],
      ['DELETE', 'both', undefined],
      ['DELETE', 'both', undefined],
    ];
    for (const [method, direction, after] of steps) {
      assert.equal((await ari.req(method, `/channels/${id}/mute`, { direction })).status, 204, `${method} ${direction}`);
      assert.equal(sim.call(id).report().muted, after, `after ${method} ${direction}`);
    }
    assert.ok(!('muted' in sim.call(id).report()), 'absent, not undefined, when nothing is muted');
    await ari.ok('POST', `/channels/${id}/mute`, { direction: 'in' });
    assert.equal(await mutedOverControl(id), 'in');
  });

  it('refuses a mute without or with a wrong direction and changes nothing', async function () {
    const id = await caller('1001');
    await ari.ok('POST', `/channels/${id}/mute`, { direction: 'out' });
    for (const method of ['POST', 'DELETE']) {
      const bad = await ari.req(method, `/channels/${id}/mute`, { direction: 'sideways' });
      assert.deepEqual([bad.status, bad.body], [400, { message: 'Invalid direction specified' }]);
    }
    assert.equal(sim.call(id).report().muted, 'out');
  });

  it('addChannel mute=true: muted in that bridge only, apart from the channel\'s own mute', async function () {
    const a = await caller('1001');
    const b = await caller('1002');
    await ari.ok('POST', '/bridges', { bridgeId: 'br1' });
    await ari.ok('POST', '/bridges', { bridgeId: 'br2' });
    await enter('br1', a, { mute: 'true' });
    await enter('br1', b);
    assert.equal(sim.call(a).report().mutedInBridge, 'br1');
    assert.ok(!('mutedInBridge' in sim.call(b).report()), 'mute=false (the default) mutes nothing');
    assert.ok(!('muted' in sim.call(a).report()), 'the channel itself is not muted');
    // DELETE /channels/{id}/mute works on the channel's own suppression, not on the bridge's features.
    await ari.ok('DELETE', `/channels/${a}/mute`, { direction: 'both' });
    assert.equal(sim.call(a).report().mutedInBridge, 'br1');
    // Moved to another bridge without mute: the features of the first bridge stay behind.
    await enter('br2', a);
    assert.ok(!('mutedInBridge' in sim.call(a).report()));
    await enter('br1', a, { mute: 'true' });
    assert.equal(sim.call(a).report().mutedInBridge, 'br1');
    const from = events.all.length;
    await ari.ok('POST', '/bridges/br1/removeChannel', { channel: a });
    await events.next((e) => e.type === 'ChannelLeftBridge' && channelOf(e).id === a, 5000, from);
    assert.ok(!('mutedInBridge' in sim.call(a).report()), 'leaving the bridge ends it');
  });

  it('a scripted caller in a bridge presses keys and talks: the application gets ChannelDtmfReceived, muted or not', async function () {
    const a = await caller('1001', [{ waitFor: 'bridged' }, { dtmf: '*5', gap: 200 }, { talk: 500 }, { dtmf: '#' }]);
    const b = await caller('1002');
    await ari.ok('POST', '/bridges', { bridgeId: 'conf' });
    // Muted in both ways: mute suppresses voice frames only, so the keys still arrive.
    await ari.ok('POST', `/channels/${a}/mute`, { direction: 'both' });
    await enter('conf', b);
    await enter('conf', a, { mute: 'true' });
    const star = await events.next((e) => is('ChannelDtmfReceived', a)(e) && e.digit === '*');
    const five = await events.next((e) => is('ChannelDtmfReceived', a)(e) && e.digit === '5');
    const hash = await events.next((e) => is('ChannelDtmfReceived', a)(e) && e.digit === '#');
    assert.ok(events.all.indexOf(star) < events.all.indexOf(five) && events.all.indexOf(five) < events.all.indexOf(hash));
    assert.deepEqual(sim.call(a).report().pressed.map((p) => p.digit), ['*', '5', '#']);
    const pressedAt = events.all.indexOf(star);
    const enteredAt = events.all.findIndex((e) => e.type === 'ChannelEnteredBridge' && channelOf(e).id === a);
    assert.ok(enteredAt >= 0 && enteredAt < pressedAt, 'the keys come once the caller is in the bridge');
    assert.equal(sim.call(a).report().ended, undefined, 'the caller is still in the meeting');
  });
});
