/**
 * bench/ivr compares the plugin with a hand-written ARI application doing
 * the same flow (bench/anchor-ivr-menu.ts). The comparison means something
 * only while both send Asterisk the same requests: for the same callers,
 * the "IVR menu" example in Node-RED and the anchor must make the same ARI
 * requests in the same order (method, path without its ids, query). This
 * fails when the example or the anchor changes what goes on the wire.
 */
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { IvrMenuAnchor } from '../../bench/anchor-ivr-menu';
import { benchFlows } from '../../bench/ivr-plugin';
import { startSimulator } from '../../lib/sim';
import type { ScriptStep } from '../../lib/sim/script';
import { CREDS, connected } from '../support/ivr';
import { NODES, coreNode, helper, useNodeRed } from '../support/node-red';

const CORE_NODES = ['common/21-debug.js', 'common/90-comment.js', 'function/10-switch.js', 'function/15-change.js'].map(coreNode);

/** The ARI requests of one call, as the simulator received them, ids left out: "POST /channels/{channel}/play/{playback}?media=...". */
function normalised(method: string, url: string): string {
  const [path = '', query = ''] = url.split('?');
  const params = new URLSearchParams(query);
  if (params.get('variable') === 'CALLFLOW_INSTANCE') params.set('value', '{instance}');
  const shape = path
    .replace(/^\/ari/, '')
    .replace(/^\/channels\/[^/]+/, '/channels/{channel}')
    .replace(/\/(play|playbacks)\/[0-9a-f-]{36}/, '/$1/{playback}');
  const q = [...params].map(([k, v]) => `${k}=${v}`).join('&');
  return `${method} ${shape}${q ? `?${q}` : ''}`;
}

/** Places one call with `script` on a simulator and returns the requests the application made about it. */
async function requestsOfOneCall(simOptions: { mediaMs?: number; speed?: number }, script: ScriptStep[], application: (url: string) => Promise<() => Promise<void>>): Promise<string[]> {
  const sim = await startSimulator({ speed: 1, ...simOptions });
  const seen: string[] = [];
  const onStart = (message: unknown): void => {
    const { method = '?', url = '' } = (message as { request: IncomingMessage }).request;
    // About the call: its channel and its playbacks (not the connection's own requests, such as its reconciliation).
    if (/^\/ari\/(channels|playbacks)\//.test(url)) seen.push(normalised(method, url));
  };
  let stop: (() => Promise<void>) | undefined;
  try {
    stop = await application(sim.url);
    diagnostics.subscribe('http.server.request.start', onStart);
    await sim.placeCall({ from: '+15550100', to: '200', args: ['ivr-menu'], script }).ended();
  } finally {
    diagnostics.unsubscribe('http.server.request.start', onStart);
    await stop?.();
    await sim.close();
  }
  return seen;
}

/** The example as bench/ivr deploys it (bench/ivr-plugin.ts: the collect waits 5 s between keys), in the test's Node-RED. */
async function plugin(url: string): Promise<() => Promise<void>> {
  const nodes = benchFlows(url).map((n) => {
    if (n.type === 'callflow-asterisk') return { ...n, id: 'a1' };
    return n.connection ? { ...n, connection: 'a1' } : n;
  });
  await helper.load([...NODES, ...CORE_NODES], nodes, CREDS);
  await connected(String(nodes.find((n) => n.type === 'callflow-entry')?.id));
  return () => helper.unload();
}

async function anchor(url: string): Promise<() => Promise<void>> {
  const app = new IvrMenuAnchor({ url, username: 'asterisk', password: 'asterisk', app: 'callflow' });
  await app.start();
  return () => app.stop();
}

/** Presses `keys` once the prompt whose name contains `media` has ended. */
const after = (media: string, keys: string): ScriptStep[] => [{ waitFor: 'playback-end', media }, { dtmf: keys }];

describe('bench/anchor-ivr-menu: the hand-written IVR menu makes the requests the example makes', function () {
  useNodeRed();

  const callers: { name: string; simOptions: { mediaMs?: number; speed?: number }; script: ScriptStep[]; includes: string[] }[] = [
    {
      name: "bench/ivr's caller (zero-length prompts): 1, a card number, #",
      simOptions: { mediaMs: 0 },
      script: [{ waitFor: 'answer' }, ...after('vm-reachoper', '1'), ...after('astcc-followed-by-the-pound-key', '123456#')],
      includes: ['POST /channels/{channel}/play/{playback}?media=sound:vm-youhave,number:456,sound:digits/dollars', 'DELETE /channels/{channel}?reason=normal'],
    },
    {
      // Prompts of their real length, 20 times faster: the key comes 5 ms after the welcome began, which lasts 70 ms;
      // the order of the simulator's events, not the machine's speed, decides what the applications see.
      name: 'a key during the welcome stops it and chooses the menu option (barge-in, type-ahead)',
      simOptions: { speed: 20 },
      script: [{ waitFor: 'playback-start', media: 'hello-world' }, { dtmf: '1' }, ...after('astcc-followed-by-the-pound-key', '0012345678')],
      includes: ['DELETE /playbacks/{playback}', 'POST /channels/{channel}/play/{playback}?media=sound:vm-youhave,number:678,sound:digits/dollars'],
    },
    {
      name: 'a key that is no option, * to hear the menu again, then a card number too short before a good one',
      simOptions: { mediaMs: 0 },
      script: [
        { waitFor: 'answer' },
        ...after('vm-reachoper', '5'),
        ...after('pm-invalid-option', '*'),
        { waitFor: 'playback-start', media: 'vm-toenternumber' },
        ...after('vm-reachoper', '1'),
        ...after('astcc-followed-by-the-pound-key', '12#'),
        ...after('privacy-incorrect', ''),
        ...after('astcc-followed-by-the-pound-key', '654321#'),
      ],
      includes: ['POST /channels/{channel}/play/{playback}?media=sound:pm-invalid-option', 'POST /channels/{channel}/play/{playback}?media=sound:privacy-incorrect'],
    },
  ];

  for (const caller of callers) {
    it(caller.name, async function () {
      const byPlugin = await requestsOfOneCall(caller.simOptions, caller.script, plugin);
      const byAnchor = await requestsOfOneCall(caller.simOptions, caller.script, anchor);
      for (const request of caller.includes) assert.ok(byPlugin.includes(request), `the example made ${request}:\n${byPlugin.join('\n')}`);
      assert.deepEqual(byAnchor, byPlugin);
    });
  }
});
