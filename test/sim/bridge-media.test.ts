/**
 * What the members of a bridge hear. Music on hold (POST/DELETE /bridges/{id}/moh), as res/ari/resource_bridges.c
 * and res/res_stasis.c do it: an internal Announcer channel in the bridge that ARI never shows, heard by every
 * member while it plays, leaving with the last caller (it is LONELY) and with the bridge; and a bridge playback,
 * heard by who enters while it plays. Over the wire with the raw client.
 */
import assert from 'node:assert/strict';
import type { Simulator } from '../../lib/sim';
import type { HeardEntry } from '../../lib/sim/script';
import { is, useRawSimulator, type EventLog, type RawAri } from '../support/raw-ari';

type Json = Record<string, unknown>;
const channelOf = (e: Json): Json => e.channel as Json;

describe('simulator: what the members of a bridge hear', function () {
  let sim: Simulator;
  let ari: RawAri;
  let events: EventLog;

  useRawSimulator((raw) => ({ sim, ari, events } = raw));

  /** An answered inbound call in app1. */
  async function caller(from: string): Promise<string> {
    const call = sim.placeCall({ from, to: '500', app: 'app1' });
    await events.next(is('StasisStart', call.id));
    await ari.ok('POST', `/channels/${call.id}/answer`);
    return call.id;
  }

  /** Adds a channel to the bridge and resolves once it is in (ChannelEnteredBridge). */
  async function enter(bridgeId: string, channelId: string, query: Json = {}): Promise<void> {
    const from = events.all.length;
    const r = await ari.req('POST', `/bridges/${bridgeId}/addChannel`, { channel: channelId, ...(query as Record<string, string>) });
    assert.equal(r.status, 204, r.text);
    await events.next((e) => e.type === 'ChannelEnteredBridge' && channelOf(e).id === channelId, 5000, from);
  }

  async function leave(bridgeId: string, channelId: string): Promise<void> {
    const from = events.all.length;
    assert.equal((await ari.req('POST', `/bridges/${bridgeId}/removeChannel`, { channel: channelId })).status, 204);
    await events.next((e) => e.type === 'ChannelLeftBridge' && channelOf(e).id === channelId, 5000, from);
  }

  const music = (id: string): HeardEntry[] => sim.call(id).report().heard.filter((h) => h.target === 'moh');

  it('answers 404 for a bridge that does not exist and 409 "Bridge isn\'t playing music" to a stop without music', async function () {
    for (const method of ['POST', 'DELETE']) {
      const r = await ari.req(method, '/bridges/nope/moh');
      assert.deepEqual([r.status, r.body], [404, { message: 'Bridge not found' }], `${method} on a missing bridge`);
    }
    await ari.ok('POST', '/bridges', { bridgeId: 'br1' });
    const stop = await ari.req('DELETE', '/bridges/br1/moh');
    assert.deepEqual([stop.status, stop.body], [409, { message: "Bridge isn't playing music" }]);
    assert.equal((await ari.req('POST', '/bridges/br1/moh')).status, 204);
    assert.equal((await ari.req('DELETE', '/bridges/br1/moh')).status, 204);
    const again = await ari.req('DELETE', '/bridges/br1/moh');
    assert.deepEqual([again.status, again.body], [409, { message: "Bridge isn't playing music" }], 'a second stop finds no music');
  });

  it('keeps the Announcer out of sight: no channel listed, no event about it, but the bridge counts it as a member', async function () {
    const all = await ari.events('watcher', { subscribeAll: true });
    try {
      const a = await caller('1001');
      const b = await caller('1002');
      await ari.ok('POST', '/bridges', { bridgeId: 'br1' });
      await ari.ok('POST', '/applications/app1/subscription', { eventSource: 'bridge:br1' });
      await enter('br1', a);
      await enter('br1', b);
      await all.next((e) => e.type === 'ChannelEnteredBridge' && channelOf(e).id === b);
      const before = events.all.length;
      const beforeAll = all.all.length;
      assert.equal((await ari.req('POST', '/bridges/br1/moh', { mohClass: 'jazz' })).status, 204);
      const bridge = await ari.ok<Json>('GET', '/bridges/br1');
      assert.deepEqual(bridge.channels, [a, b], 'the bridge lists its callers only');
      assert.equal(bridge.technology, 'softmix', 'three members (two callers and the Announcer) mix in softmix');
      const channels = await ari.ok<Json[]>('GET', '/channels');
      assert.deepEqual(channels.map((c) => c.id).sort(), [a, b].sort(), 'GET /channels has no Announcer');
      assert.equal((await ari.req('DELETE', '/bridges/br1/moh')).status, 204);
      // Something after the music that both sockets see, so every event the music could have caused has arrived.
      await ari.ok('POST', `/channels/${a}/variable`, { variable: 'MARK', value: '1' });
      await events.next(is('ChannelVarset', a), 5000, before);
      await all.next(is('ChannelVarset', a), 5000, beforeAll);
      const seen = [...events.all.slice(before), ...all.all.slice(beforeAll)];
      // The Announcer is a member for set_bridge_peer_vars (main/bridge.c): the callers' BRIDGEPEER name it, as
      // Asterisk's would; no event is about the Announcer itself.
      const bridgeVar = (e: Json): boolean => e.variable === 'BRIDGEPEER' || e.variable === 'BRIDGEPVTCALLID';
      const peers = seen.filter((e) => e.variable === 'BRIDGEPEER');
      const others = seen.filter((e) => !bridgeVar(e));
      assert.deepEqual(others.map((e) => e.type), ['ChannelVarset', 'ChannelVarset'], 'no ChannelCreated, ChannelEnteredBridge, ChannelLeftBridge or ChannelDestroyed about the Announcer');
      assert.ok(!JSON.stringify(others).includes('Announcer'));
      assert.ok(peers.every((e) => [a, b].includes(String(channelOf(e).id))), 'BRIDGEPEER only on the callers');
      assert.ok(peers.some((e) => /^PJSIP\/trunk-[0-9a-f]+,Announcer\/ARI_MOH-[0-9a-f]{8};2$/.test(String(e.value))), JSON.stringify(peers.map((e) => e.value)));
    } finally {
      await all.close();
    }
  });

  it('every member hears it from when it starts or they enter until it stops or they leave', async function () {
    const a = await caller('1001');
    const b = await caller('1002');
    const c = await caller('1003');
    await ari.ok('POST', '/bridges', { bridgeId: 'br1' });
    await enter('br1', a);
    await enter('br1', b);
    assert.equal((await ari.req('POST', '/bridges/br1/moh')).status, 204);
    assert.deepEqual(music(a).map((h) => [h.media, h.playbackId, h.outcome]), [['moh:default', '', undefined]], 'a member hears the default class while it plays');
    await enter('br1', c); // enters during the music
    assert.deepEqual(music(c).map((h) => [h.media, h.outcome]), [['moh:default', undefined]]);
    await leave('br1', b); // leaves before it stops
    assert.deepEqual(music(b).map((h) => [h.media, h.outcome]), [['moh:default', 'stopped']]);
    const bEnded = music(b)[0]?.endedAt;
    assert.equal((await ari.req('DELETE', '/bridges/br1/moh')).status, 204);
    for (const id of [a, c]) assert.deepEqual(music(id).map((h) => [h.media, h.outcome]), [['moh:default', 'stopped']], `${id} hears it stop`);
    assert.equal(music(b)[0]?.endedAt, bEnded, 'who had left is not touched by the stop');
    const entryA = music(a)[0];
    const entryC = music(c)[0];
    assert.ok(entryA && entryC && entryA.startedAt <= entryC.startedAt && entryC.endedAt !== undefined);
    // Back in after the music: nothing more is heard.
    await enter('br1', b);
    assert.equal(music(b).length, 1);
  });

  it('a second start changes the class only; starting on an empty bridge plays to whoever enters', async function () {
    const a = await caller('1001');
    await ari.ok('POST', '/bridges', { bridgeId: 'br1' });
    assert.equal((await ari.req('POST', '/bridges/br1/moh', { mohClass: 'jazz' })).status, 204);
    await enter('br1', a);
    assert.equal((await ari.req('POST', '/bridges/br1/moh', { mohClass: 'jazz' })).status, 204);
    assert.deepEqual(music(a).map((h) => [h.media, h.outcome]), [['moh:jazz', undefined]], 'the same class again changes nothing');
    assert.equal((await ari.req('POST', '/bridges/br1/moh', { mohClass: 'rock' })).status, 204);
    assert.deepEqual(music(a).map((h) => [h.media, h.outcome]), [
      ['moh:jazz', 'stopped'],
      ['moh:rock', undefined],
    ]);
    assert.deepEqual((await ari.ok<Json>('GET', '/bridges/br1')).technology, 'simple_bridge', 'one Announcer, not two');
  });

  it('leaves with the last caller (the Announcer is LONELY) and with the bridge', async function () {
    const a = await caller('1001');
    const b = await caller('1002');
    await ari.ok('POST', '/bridges', { bridgeId: 'br1' });
    await enter('br1', a);
    await enter('br1', b);
    await ari.ok('POST', '/bridges/br1/moh');
    await leave('br1', a);
    assert.equal((await ari.req('DELETE', '/bridges/br1/moh')).status, 204, 'one caller left: the music still plays');
    await ari.ok('POST', '/bridges/br1/moh');
    // The last caller hangs up: the Announcer, alone, leaves too and the music is over.
    sim.call(b).hangup();
    await events.next(is('StasisEnd', b));
    assert.deepEqual(music(b).map((h) => h.outcome), ['stopped', 'stopped']);
    const stop = await ari.req('DELETE', '/bridges/br1/moh');
    assert.deepEqual([stop.status, stop.body], [409, { message: "Bridge isn't playing music" }]);
    // A new start makes a new Announcer; destroying the bridge ends it and what members heard.
    await ari.ok('POST', '/bridges/br1/moh');
    await enter('br1', a);
    await ari.ok('DELETE', '/bridges/br1');
    assert.deepEqual(music(a).map((h) => h.outcome), ['stopped', 'stopped']);
    await ari.ok('POST', '/bridges', { bridgeId: 'br1' });
    assert.equal((await ari.req('DELETE', '/bridges/br1/moh')).status, 409, 'a bridge made again with the same id has no music');
  });

  it('a member entering during a bridge announcement hears the rest of it and the items after it', async function () {
    const a = await caller('1001');
    const b = await caller('1002');
    await ari.ok('POST', '/bridges', { bridgeId: 'br1' });
    await enter('br1', a);
    // An hour-long first item, long enough for b to enter during it however slow the machine; forward ends it.
    sim.asterisk.defineRecording('an-hour', 3_600_000);
    await ari.ok('POST', '/bridges/br1/play/ann-1', { media: 'recording:an-hour,sound:beep', skipms: 3_600_000 });
    await events.next((e) => e.type === 'PlaybackStarted' && (e.playback as Json).id === 'ann-1');
    await enter('br1', b);
    const heardBy = (id: string): [string, string, string | undefined][] =>
      sim.call(id).report().heard.filter((h) => h.playbackId === 'ann-1').map((h) => [h.media, h.target, h.outcome]);
    assert.deepEqual(heardBy(b), [['recording:an-hour', 'bridge', undefined]], 'entering mid-announcement');
    await ari.ok('POST', '/playbacks/ann-1/control', { operation: 'forward' });
    await events.next((e) => e.type === 'PlaybackFinished' && (e.playback as Json).id === 'ann-1');
    for (const id of [a, b]) {
      assert.deepEqual(heardBy(id).map(([media, , outcome]) => [media, outcome]), [
        ['recording:an-hour', 'done'],
        ['sound:beep', 'done'],
      ], id);
    }
  });

  it('lets a script wait for the music and for silence after it', async function () {
    const call = sim.placeCall({
      from: '1001',
      to: '500',
      app: 'app1',
      script: [{ waitFor: 'bridged' }, { waitFor: 'playback-start', media: 'moh:' }, { dtmf: '1' }, { waitFor: 'silence' }, { dtmf: '2' }],
    });
    await events.next(is('StasisStart', call.id));
    await ari.ok('POST', `/channels/${call.id}/answer`);
    await ari.ok('POST', '/bridges', { bridgeId: 'br1' });
    await enter('br1', call.id);
    await ari.ok('POST', '/bridges/br1/moh');
    await events.next((e) => is('ChannelDtmfReceived', call.id)(e) && e.digit === '1');
    assert.equal(sim.call(call.id).report().pressed.length, 1, 'music is no silence: the script waits');
    await ari.ok('DELETE', '/bridges/br1/moh');
    await events.next((e) => is('ChannelDtmfReceived', call.id)(e) && e.digit === '2');
  });
});
