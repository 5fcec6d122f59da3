/**
 * The adapter's bridge music on hold and channel mute (what a conference needs) with real ari-client against the
 * simulated Asterisk: what the members hear and the mute state are read back from the simulator's call reports.
 */
import assert from 'node:assert/strict';
import { AriError } from '../../lib/ari/errors';
import { inbound, nextEvent, rig, type Rig } from '../support/telephony';

describe('ARI adapter: bridge music on hold and mute', function () {
  let r: Rig;
  beforeEach(async function () {
    r = await rig();
  });
  afterEach(async function () {
    await r.close();
  });

  async function bridged(bridgeId: string, ...callers: string[]): Promise<void> {
    for (const id of callers) {
      await r.conn.answer(id);
      const entered = nextEvent(r.conn, (e) => e.type === 'ChannelEnteredBridge' && e.channel?.id === id);
      await r.conn.addToBridge(bridgeId, [id]);
      await entered;
    }
  }

  it('starts and stops a bridge\'s music; a stop with none playing or on a bridge gone is no error', async function () {
    const a = await inbound(r, { from: '+15550101', to: '500' });
    const b = await inbound(r, { from: '+15550102', to: '500' });
    await r.conn.createBridge({ bridgeId: 'meeting-1' });
    await bridged('meeting-1', a, b);
    await r.conn.stopBridgeMoh('meeting-1'); // none playing: Asterisk answers 409, the adapter shrugs
    await r.conn.startBridgeMoh('meeting-1');
    await r.conn.startBridgeMoh('meeting-1', 'jazz');
    const heard = (id: string): [string, string, string | undefined][] => r.sim.call(id).report().heard.map((h) => [h.media, h.target, h.outcome]);
    assert.deepEqual(heard(a), [
      ['moh:default', 'moh', 'stopped'],
      ['moh:jazz', 'moh', undefined],
    ]);
    await r.conn.stopBridgeMoh('meeting-1');
    assert.deepEqual(heard(b), [
      ['moh:default', 'moh', 'stopped'],
      ['moh:jazz', 'moh', 'stopped'],
    ]);
    await r.conn.stopBridgeMoh('meeting-1'); // stopped already
    await r.conn.destroyBridge('meeting-1');
    await r.conn.stopBridgeMoh('meeting-1'); // gone: 404, no error either
    await assert.rejects(r.conn.startBridgeMoh('meeting-1'), (err: AriError) => {
      assert.ok(err instanceof AriError);
      assert.equal(err.kind, 'not-found');
      return true;
    });
  });

  it('mutes and unmutes a participant, direction by direction', async function () {
    const a = await inbound(r, { from: '+15550101', to: '500' });
    await r.conn.answer(a);
    await r.conn.mute(a, 'in');
    assert.equal(r.sim.call(a).report().muted, 'in');
    await r.conn.mute(a, 'out');
    assert.equal(r.sim.call(a).report().muted, 'both');
    await r.conn.unmute(a, 'in');
    assert.equal(r.sim.call(a).report().muted, 'out');
    await r.conn.unmute(a, 'both');
    assert.equal(r.sim.call(a).report().muted, undefined);
  });
});
