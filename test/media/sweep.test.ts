/**
 * sweepMediaBridges (lib/media/path.ts): which `cfmb-` bridges a restarted or reconnected Node-RED destroys, on a
 * stand-in for Asterisk's bridge list. The whole run (a real Node-RED killed and started again) is
 * test/runtime/media-restart.test.ts.
 */
import assert from 'node:assert/strict';
import { AriError } from '../../lib/ari/errors';
import type { Reconciliation } from '../../lib/ari/port';
import type { Bridge, Channel } from '../../lib/ari/types';
import { sweepMediaBridges } from '../../lib/media/path';
import { MemoryLogger } from '../support/telephony';

function bridge(id: string, channels: string[]): Bridge {
  return { id, technology: 'simple_bridge', bridge_type: 'mixing', bridge_class: 'stasis', creator: 'Stasis', name: '', channels, creationtime: new Date(0).toISOString(), video_mode: 'talker' } as unknown as Bridge;
}

/** Asterisk with these bridges and these channels up; what was destroyed. */
function asterisk(bridges: Bridge[], up: string[], failing: string[] = []) {
  const destroyed: string[] = [];
  return {
    destroyed,
    listBridges: () => Promise.resolve(bridges),
    destroyBridge: (id: string) => {
      destroyed.push(id);
      return Promise.resolve();
    },
    getChannel: (id: string): Promise<Channel> => {
      if (failing.includes(id)) return Promise.reject(new AriError('channels.get', 'not-connected', 'no connection'));
      return up.includes(id) ? Promise.resolve({ id } as Channel) : Promise.reject(new AriError('channels.get', 'not-found', 'Channel not found'));
    },
  };
}

const reconciled = (unclaimed: string[], restarted = false): Reconciliation => ({ restarted, lost: [], kept: [], unclaimed, foreign: [] });

describe('sweepMediaBridges: the media path bridges an earlier run left', function () {
  it('destroys a bridge holding only our channels nobody handles, and an empty one whose call is ours or gone', async function () {
    const a = asterisk(
      [
        bridge('cfmb-111.1-1', ['cfms-111.1-1', 'cfm-111.1-1']),
        bridge('cfmb-222.2-4', []),
        bridge('cfmb-cfc-0e6f-7a1b-3', []),
        bridge('cfmb-333.3-2', []),
        bridge('cfmb-444.4-1', ['cfms-444.4-1', 'other-instance-channel']),
        bridge('cfmb-555.5-1', []),
        bridge('callflow-meeting-x', []),
        bridge('cfmb-777.7-1', []),
      ],
      ['333.3', '777.7'],
      ['555.5'],
    );
    const swept = await sweepMediaBridges(a, reconciled(['cfms-111.1-1', 'cfm-111.1-1', 'cfms-444.4-1', '222.2']), new MemoryLogger(), (id) => id === 'cfmb-777.7-1');
    assert.deepEqual(swept, ['cfmb-111.1-1', 'cfmb-222.2-4', 'cfmb-cfc-0e6f-7a1b-3']);
    assert.deepEqual(a.destroyed, swept);
    // Left: cfmb-333.3-2 (its call is up and not ours to end: another instance may be opening it), cfmb-444.4-1 (another
    // instance's channel in it), cfmb-555.5-1 (Asterisk could not say), a meeting's bridge, and cfmb-777.7-1 (open here).
  });

  it('after a restart of Asterisk there is nothing of an earlier run to sweep', async function () {
    const a = asterisk([bridge('cfmb-111.1-1', [])], []);
    assert.deepEqual(await sweepMediaBridges(a, reconciled([], true), new MemoryLogger()), []);
    assert.deepEqual(a.destroyed, []);
  });
});
