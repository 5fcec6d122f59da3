/**
 * A call's media path (here answering-machine detection waiting for a beep) when its Node-RED is killed (SIGKILL, no
 * clean-up) and started again on the same user directory: the restarted Node-RED hangs up what the earlier run left
 * on the simulated Asterisk (which, like a real one, keeps channels and bridges when the application goes away) and
 * destroys the media path's bridge, so nothing is left. Found on a real Asterisk 22.11: before, the `cfmb-` bridge
 * stayed, empty, after every such restart.
 */
import assert from 'node:assert/strict';
import { freePort } from '../../lib/playground/home';
import { useRestartedNodeRed } from '../support/restarted-node-red';

function flows(simUrl: string): Record<string, unknown>[] {
  const z = 'media-restart-tab';
  return [
    { id: z, type: 'tab', label: 'media restart' },
    { id: 'ast', type: 'callflow-asterisk', name: 'sim', useSimulator: false, url: simUrl, app: 'callflow', idleTimeoutSec: 60, maxChannels: 100 },
    { id: 'entry', type: 'callflow-entry', z, connection: 'ast', flow: 'amd', x: 100, y: 100, wires: [['answer']] },
    { id: 'answer', type: 'callflow-answer', z, onError: 'hangup', outputs: 1, x: 200, y: 100, wires: [['amd']] },
    // A machine's greeting with no beep: the path stays open, waiting for the beep, until Node-RED is killed.
    { id: 'amd', type: 'callflow-amd', z, waitForBeep: true, beepTimeout: 60, onError: 'hangup', outputs: 3, x: 300, y: 100, wires: [['bye'], ['bye'], ['bye']] },
    { id: 'bye', type: 'callflow-hangup', z, reason: 'normal', x: 500, y: 100, wires: [] },
  ];
}

describe('a media path whose Node-RED is killed and started again', function () {
  this.timeout(120_000);
  const red = useRestartedNodeRed('callflow-media-restart-', {}, 60);

  it('leaves no channel and no bridge of the path once started again', async function () {
    const { sim } = red;
    const port = await freePort();
    await red.start(port, flows(sim.url));
    await red.seen(/app callflow: connected/);
    // The caller's greeting is long (a machine's) and no beep follows: detection listens on, its bridge open.
    const call = sim.placeCall({ from: '+15550100', to: '100', args: ['amd'], script: [{ say: 4000 }, { wait: 90_000 }] });
    await call.until('listened');
    const bridge = sim.asterisk.bridgeList().find((b) => b.id.startsWith('cfmb-'));
    assert.ok(bridge, `the media path's bridge is up: ${JSON.stringify(sim.asterisk.bridgeList().map((b) => b.id))}`);
    await red.kill();
    assert.ok(sim.asterisk.bridgeList().some((b) => b.id === bridge.id), 'Asterisk keeps the bridge when the application goes away');

    const swept = red.lines.all.length;
    await red.start(port, flows(sim.url));
    const line = await red.seen(/destroyed 1 media bridge\(s\) left by an earlier run: cfmb-/, swept);
    assert.ok(line.includes(`destroyed 1 media bridge(s) left by an earlier run: ${bridge.id}`), `the log names ${bridge.id}: ${line}`);
    assert.deepEqual(sim.asterisk.bridgeList().map((b) => b.id), [], 'no bridge is left');
    await call.ended();
    assert.deepEqual(sim.asterisk.channelList().map((c) => c.id), [], 'no channel is left');
  });
});
