/**
 * The example flows (Import > Examples in the editor), walked by simulated
 * callers through each of their paths, as a team adapting them would try
 * them. The examples' connection is pointed at the test's simulator.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { readExamples } from '../lib/playground/home';
import { CORE_SOUNDS_EN } from '../lib/sim/core-sounds-en';
import { CREDS, connected, messages, useSimulator, type CallEndMsg } from './support/ivr';
import type { ScriptStep } from '../lib/sim/script';
import { NODES, coreNode, hasText, helper, nextMessage, node, useNodeRed, waitForStatus } from './support/node-red';
import { useTempDir } from './support/temp-dir';

const CORE_NODES = ['common/20-inject.js', 'common/21-debug.js', 'common/90-comment.js', 'function/10-switch.js', 'function/15-change.js', 'function/10-function.js', 'network/21-httpin.js'].map(coreNode);

type Handler = (req: unknown, res: unknown, next: () => void) => void;
/** The http in nodes of the flows loaded last (RED.httpNode, a new one per load), served by the test helper's server. */
let httpNode: Handler | undefined;
const captureHttpNode = (RED: { httpNode: Handler }): void => {
  httpNode = RED.httpNode;
};
let served = false;
function serveHttpNodes(): void {
  if (served) return;
  served = true;
  (helper as unknown as { _app: { use(h: Handler): void } })._app.use((req, res, next) => (httpNode ? httpNode(req, res, next) : next()));
}

function example(name: string): Record<string, unknown>[] {
  const found = readExamples().find((e) => e.name === name);
  if (!found) throw new Error(`no example "${name}"`);
  return found.nodes;
}

describe('examples', function () {
  useNodeRed();
  const simulator = useSimulator(100);
  const temp = useTempDir('callflow-examples-');

  /** Deploys an example on the test simulator, with a helper node on the call-end node's output. */
  async function deploy(name: string, adapt: (n: Record<string, unknown>) => Record<string, unknown> = (n) => n): Promise<void> {
    const nodes = example(name).map(adapt).map((n) => {
      if (n.type === 'callflow-asterisk') return { ...n, id: 'a1', useSimulator: false, url: simulator().url };
      // The example's store file goes to a directory of the test's own.
      if (n.type === 'callflow-store') return { ...n, file: path.join(temp.path, 'callflow.db') };
      const moved = { ...n };
      if (n.connection) moved.connection = 'a1';
      if (n.type === 'callflow-call-end') moved.wires = [[...((n.wires as string[][])[0] ?? []), 'ended']];
      return moved;
    });
    const tab = nodes.find((n) => n.type === 'tab');
    serveHttpNodes();
    await helper.load([...NODES, ...CORE_NODES, captureHttpNode], [...nodes, { id: 'ended', type: 'helper', z: tab?.id, x: 0, y: 0 }], CREDS);
    const entry = nodes.find((n) => n.type === 'callflow-entry');
    if (!entry?.releases) await connected(String(entry?.id));
  }

  describe('IVR menu', function () {
    it('1, a card number: the caller hears the balance (from a change node), then goodbye', async function () {
      await deploy('IVR menu');
      const ended = nextMessage<CallEndMsg>(node('ended'));
      const call = simulator().placeCall({ from: '+15550100', to: '200', args: ['ivr-menu'], script: [{ waitFor: 'playback-start', media: 'vm-reachoper' }, { dtmf: '1' }, { waitFor: 'playback-start', media: 'astcc-followed-by-the-pound-key' }, { dtmf: '123456#' }] });
      const report = (await ended).payload;
      const sim = await call.ended();
      assert.deepEqual(sim.heard.map((h) => h.media), [
        'sound:hello-world',
        'sound:vm-toenternumber',
        'sound:vm-reachoper',
        'sound:vm-enter-num-to-call',
        'sound:astcc-followed-by-the-pound-key',
        'sound:vm-youhave',
        'number:456',
        'sound:digits/dollars',
        'sound:vm-goodbye',
      ]);
      assert.deepEqual(report.trace.map((t) => [t.element, t.outcome]), [
        ['entry', 'routed'],
        ['answer', 'answered'],
        ['play', 'done'],
        ['menu', 'option 1'],
        ['collect', 'collected'],
        ['set', 'set'],
        ['play', 'done'],
        ['play', 'done'],
        ['hangup', 'hangup'],
      ]);
      assert.deepEqual([report.by, (await ended).call.vars.account, (await ended).call.vars.balance], ['flow', '123456', 456]);
      assert.equal(sim.variables.ACCOUNT, '123456', 'the set node put the account on the channel');
    });

    it('a priority card number (9...) goes to an agent: the switch on msg.call.vars sends it to the transfer', async function () {
      simulator().setNumber('agent', { outcome: 'answer', ringMs: 1000, script: [{ wait: 2000 }, { hangup: true }] });
      await deploy('IVR menu');
      const ended = nextMessage<CallEndMsg>(node('ended'));
      const call = simulator().placeCall({ from: '+15550100', to: '200', args: ['ivr-menu'], script: [{ waitFor: 'playback-start' }, { dtmf: '1' }, { waitFor: 'playback-start', media: 'astcc-followed-by-the-pound-key' }, { dtmf: '912345#' }] });
      const report = (await ended).payload;
      assert.equal(report.by, 'callee', 'the agent hung up');
      assert.equal(report.trace.at(-1)?.outcome, 'connected');
      assert.deepEqual((await call.ended()).transfers.map((t) => t.kind), ['bridge']);
    });

    it('0 for an agent who is busy: the caller hears that all are busy and leaves a voicemail', async function () {
      simulator().setNumber('agent', { outcome: 'busy', ringMs: 500 });
      await deploy('IVR menu');
      const ended = nextMessage<CallEndMsg>(node('ended'));
      const call = simulator().placeCall({
        from: '+15550100',
        to: '200',
        args: ['ivr-menu'],
        script: [{ waitFor: 'playback-start' }, { dtmf: '0' }, { waitFor: 'recording' }, { talk: 5000 }, { dtmf: '#' }],
      });
      const msg = await ended;
      assert.equal(msg.payload.trace.find((t) => t.element === 'transfer')?.outcome, 'failed: busy');
      const sim = await call.ended();
      assert.deepEqual(sim.heard.map((h) => h.media).slice(-5), ['tone:ring', 'sound:vm-nobodyavail', 'sound:vm-intro', 'sound:vm-msgsaved', 'sound:vm-goodbye']);
      const voicemail = msg.call.vars.voicemail as { name: string; durationSec: number };
      assert.deepEqual(sim.recordings.map((r) => r.name), [voicemail.name]);
      // The caller talks for 5 s once the recording has begun (after its beep), then presses #: at least 5 whole seconds,
      // however late Node-RED asked for the recording (a busy machine delays the request, not what the caller says).
      assert.ok(voicemail.durationSec >= 5, `recorded ${voicemail.durationSec} s`);
    });

    it('a key that is no option, three times: invalid, then goodbye', async function () {
      await deploy('IVR menu');
      const ended = nextMessage<CallEndMsg>(node('ended'));
      simulator().placeCall({
        from: '1',
        to: '200',
        args: ['ivr-menu'],
        script: [{ waitFor: 'playback-start', media: 'vm-toenternumber' }, { dtmf: '5' }, { waitFor: 'playback-start', media: 'vm-toenternumber' }, { dtmf: '5' }, { waitFor: 'playback-start', media: 'vm-toenternumber' }, { dtmf: '5' }],
      });
      const report = (await ended).payload;
      assert.deepEqual(report.trace.slice(3).map((t) => [t.element, t.outcome]), [['menu', 'invalid'], ['play', 'done'], ['hangup', 'hangup']]);
      assert.deepEqual(report.pressed.map((p) => p.digit), ['5', '5', '5']);
    });
  });

  describe('Text to speech', function () {
    it('greets the caller by name with speech this Node-RED serves, repeats it on 1, says goodbye on 2', async function () {
      if (spawnSync('espeak-ng', ['--version'], { stdio: 'ignore' }).status !== 0) {
        console.log('      skipped: espeak-ng is not installed (on Debian: apt-get install espeak-ng; CI installs it)');
        this.skip();
      }
      await deploy('Text to speech', (n) => (n.type === 'callflow-speech' ? { ...n, directory: path.join(temp.path, 'speech') } : n));
      const speech = { waitFor: 'playback-start', media: '/callflow/speech/' } as const;
      const end = { waitFor: 'playback-end' } as const;
      const call = simulator().placeCall({ from: '+15550100', callerName: 'Ann', to: '300', args: ['speech'], script: [speech, end, speech, end, { dtmf: '1' }, speech, end, speech, end, { dtmf: '2' }] });
      const report = await call.ended();
      const heard = report.heard.map((h) => `${/\/callflow\/speech\/[0-9a-f]{32}\.wav$/.test(h.media) ? 'speech' : h.media} ${h.outcome ?? ''}`);
      // greeting, menu, 1: greeting, menu, 2: goodbye, vm-goodbye.
      assert.deepEqual(heard, ['speech done', 'speech done', 'speech done', 'speech done', 'speech done', 'sound:vm-goodbye done']);
      const urls = report.heard.map((h) => h.media);
      assert.equal(urls[0], urls[2], 'the greeting again is the same audio');
      assert.notEqual(urls[0], urls[1]);
      assert.deepEqual([report.ended?.by, report.ended?.cause], ['application', 16]);
    });
  });

  describe('SIP response', function () {
    it('plays the message as early media, then refuses the call with 486 Busy Here', async function () {
      await deploy('SIP response');
      const ended = nextMessage<CallEndMsg>(node('ended'));
      const sim = await simulator().placeCall({ from: '+15550100', to: '300', args: ['closed'] }).ended();
      assert.deepEqual(sim.heard.map((h) => [h.media, h.outcome]), [['sound:all-circuits-busy-now', 'done']]);
      assert.deepEqual([sim.answeredAt, sim.ended?.sipResponse], [undefined, 486]);
      const report = (await ended).payload;
      assert.deepEqual([report.by, report.cause, report.trace.at(-1)?.outcome], ['flow', 17, 'SIP 486 closed for the holidays']);
    });
  });

  describe('Conference', function () {
    const code = (digits: string): ScriptStep[] => [{ waitFor: 'playback-start', media: 'conf-getpin' }, { dtmf: `${digits}#` }];
    const bridged = (): string[][] => simulator().asterisk.bridgeList().filter((b) => b.id.startsWith('callflow-meeting-')).map((b) => b.channels);

    it('400 (open): the Board host and a participant meet; the host leaving with # ends it for the participant', async function () {
      await deploy('Conference');
      const ended = messages<CallEndMsg>('ended', 2);
      // The host leaves once they hear the participant come in (the join tone into the meeting).
      const host = simulator().placeCall({ from: '+15550100', to: '400', args: ['conference'], script: [...code('7001'), { waitFor: 'bridged' }, { waitFor: 'playback-start', media: 'confbridge-join' }, { dtmf: '#' }] });
      await host.until('bridged');
      const participant = simulator().placeCall({ from: '+15550101', to: '400', args: ['conference'], script: [...code('7002'), { waitFor: 'bridged' }] });
      const [first, second] = await Promise.all([host.ended(), participant.ended()]);
      assert.ok(first.heard.some((h) => h.media === 'sound:vm-goodbye'), 'the host left with # and heard goodbye');
      assert.ok(second.heard.some((h) => h.media === 'sound:conf-leaderhasleft'), 'the participant heard that the host left');
      assert.ok(second.heard.some((h) => h.media === 'sound:vm-goodbye'));
      const reports = await ended;
      assert.deepEqual(reports.map((r) => r.payload.trace.find((t) => t.element === 'conference')?.outcome).sort(), ['ended last-host-left', 'left key']);
      assert.deepEqual(bridged(), []);
    });

    it('400 (open): any other code makes a meeting on the fly; 401 (secured) refuses that code', async function () {
      await deploy('Conference');
      const open = simulator().placeCall({ from: '+15550100', to: '400', args: ['conference'], script: [...code('123456'), { waitFor: 'bridged' }, { dtmf: '#' }] });
      assert.ok((await open.ended()).heard.some((h) => h.media === 'sound:conf-onlyperson'));
      const secured = simulator().placeCall({ from: '+15550100', to: '401', args: ['conference'], script: [...code('123456'), ...code('123456'), ...code('123456')] });
      const report = await secured.ended();
      assert.equal(report.heard.filter((h) => h.media === 'sound:conf-invalidpin').length, 3);
      assert.deepEqual(bridged(), []);
    });

    it('402 and 403 (direct): hosts and participants go straight into the number\'s meeting, no code asked', async function () {
      await deploy('Conference');
      const host = simulator().placeCall({ from: '+15550100', to: '402', args: ['conference'], script: [{ waitFor: 'bridged' }, { dtmf: '#' }] });
      const participant = simulator().placeCall({ from: '+15550101', to: '403', args: ['conference'], script: [{ waitFor: 'bridged' }, { dtmf: '#' }] });
      const reports = await Promise.all([host.ended(), participant.ended()]);
      for (const r of reports) {
        assert.ok(!r.heard.some((h) => h.media === 'sound:conf-getpin'), 'no code asked');
        assert.ok(r.heard.some((h) => h.media === 'sound:vm-goodbye'));
        assert.equal(r.transfers.filter((t) => t.kind === 'bridge').length, 1);
      }
      assert.notEqual(reports[0]?.transfers[0]?.target, reports[1]?.transfers[0]?.target, 'each number has its own meeting');
    });
  });

  describe('HTTP IVR', function () {
    it('1 and a card number: the application (http in nodes of this Node-RED) answers each step; the caller hears the balance', async function () {
      await deploy('HTTP IVR');
      const ended = nextMessage<CallEndMsg>(node('ended'));
      const call = simulator().placeCall({
        from: '+15550100',
        to: '500',
        args: ['http-ivr'],
        script: [{ waitFor: 'playback-start', media: 'vm-reachoper' }, { dtmf: '1' }, { waitFor: 'playback-start', media: 'astcc-followed-by-the-pound-key' }, { dtmf: '123456#' }],
      });
      const sim = await call.ended();
      assert.deepEqual(sim.heard.map((h) => h.media), [
        'sound:hello-world',
        'sound:vm-toenternumber',
        'sound:vm-reachoper',
        'sound:vm-enter-num-to-call',
        'sound:astcc-followed-by-the-pound-key',
        'sound:vm-youhave',
        'number:456',
        'sound:digits/dollars',
        'sound:vm-goodbye',
      ]);
      const msg = await ended;
      assert.deepEqual([msg.payload.by, msg.payload.trace.at(-1)?.outcome, msg.call.vars.balance], ['flow', 'hangup', 456]);
    });

    it('0: the application returns the call to the flow, whose transfer node puts it through to an agent', async function () {
      simulator().setNumber('agent', { outcome: 'answer', ringMs: 500, script: [{ wait: 1000 }, { hangup: true }] });
      await deploy('HTTP IVR');
      const ended = nextMessage<CallEndMsg>(node('ended'));
      const call = simulator().placeCall({ from: '+15550100', to: '500', args: ['http-ivr'], script: [{ waitFor: 'playback-start', media: 'vm-reachoper' }, { dtmf: '0' }] });
      assert.deepEqual((await call.ended()).transfers.map((t) => t.kind), ['bridge']);
      const report = (await ended).payload;
      assert.deepEqual(report.trace.map((t) => [t.element, t.outcome]).slice(1), [['http-ivr', 'return agent'], ['transfer', 'connected']]);
    });
  });

  it("every example plays only Asterisk's core English sounds, which a stock Asterisk has", function () {
    let checked = 0;
    for (const e of readExamples()) {
      // Prompts sit in node settings and in expressions (a change node's JSONata): look at every string.
      const text = JSON.stringify(e.nodes);
      const ids = [...text.matchAll(/sound:([A-Za-z0-9_\-/.]+)/g)].map((m) => m[1] ?? '');
      const missing = ids.filter((id) => !Object.hasOwn(CORE_SOUNDS_EN, id));
      assert.deepEqual(missing, [], `${e.name} plays sounds that are not core sounds`);
      checked += ids.length;
    }
    assert.ok(checked >= 20, `only ${checked} prompts found in the examples`);
  });

  it("every node's default prompts are core sounds: a node dragged onto the canvas plays on a stock Asterisk", function () {
    const nodesDir = path.resolve(__dirname, '../../nodes');
    const defaults: string[] = [];
    for (const name of fs.readdirSync(nodesDir)) {
      const file = path.join(nodesDir, name, `${name}.html`);
      if (!fs.existsSync(file)) continue;
      for (const m of fs.readFileSync(file, 'utf8').matchAll(/"sound:([A-Za-z0-9_\-/.]+)"/g)) defaults.push(`${name}: ${m[1] ?? ''}`);
    }
    assert.ok(defaults.length >= 6, defaults.join(', '));
    assert.deepEqual(defaults.filter((d) => !Object.hasOwn(CORE_SOUNDS_EN, d.slice(d.indexOf(': ') + 2))), []);
  });

  it('every example keeps to the shared connection id, so importing several does not duplicate it', function () {
    for (const e of readExamples()) {
      const connections = e.nodes.filter((n) => n.type === 'callflow-asterisk').map((n) => n.id);
      assert.deepEqual(connections, ['c0ffee0000000001'], e.name);
    }
  });

  describe('Skill queue campaign', function () {
    it("each answered customer's call takes the task's skill queue into a variable and is transferred to that queue with the associated data", async function () {
      this.timeout(60_000);
      await deploy('Skill queue campaign');
      const nodes = example('Skill queue campaign');
      const idOf = (type: string, name = ''): string => String(nodes.find((n) => n.type === type && (name === '' || n.name === name))?.id);
      // The customers answer and stay on the line (in the queue) until the test ends.
      for (const k of [1, 2, 3]) simulator().setNumber(`+861370000000${k}`, { outcome: 'answer', ringMs: 300 });
      await waitForStatus(node(idOf('callflow-dialer')), (s) => /^draft/.test(s.text ?? ''), 10_000);
      const loaded = nextMessage<{ payload: { inserted: number } }>(node(idOf('debug', 'contacts')));
      const load = nodes.find((n) => n.name === 'load 3 customers');
      node(idOf('callflow-contacts')).receive({ payload: JSON.parse(String(load?.payload)) as unknown });
      assert.equal((await loaded).payload.inserted, 3);

      const transferred = messages<{ call: { vars: Record<string, unknown>; campaign?: { customerId: string; skillQueue?: string } } }>(idOf('debug', 'transferred'), 3, 30_000);
      const finished = messages<{ payload: { customerId: string; result: { code: string } } }>(idOf('debug', 'customers'), 3, 30_000);
      node(idOf('callflow-dialer')).receive({ topic: 'start' });
      // The specification's variable assignment: the call's associated data (msg.call.campaign.skillQueue) into a variable.
      const calls = (await transferred).map((m) => [m.call.campaign?.customerId, m.call.campaign?.skillQueue, m.call.vars.queue, m.call.vars.name]).sort();
      assert.deepEqual(calls, [
        ['K001', 'sales', 'sales', 'Li Wei'],
        ['K002', 'sales', 'sales', 'Wang Fang'],
        ['K003', 'sales', 'sales', 'Zhang Min'],
      ]);
      // Each customer is finished once the call has left for the queue (the attempt is written when the call leaves the application).
      assert.deepEqual((await finished).map((m) => `${m.payload.customerId}:${m.payload.result.code}`).sort(), ['K001:answered', 'K002:answered', 'K003:answered']);
      // The simulator's report: where each call went and the variables it carried into the dialplan.
      const reports = simulator()
        .asterisk.reportList()
        .filter((r) => r.direction === 'outbound')
        .sort((a, b) => a.to.localeCompare(b.to));
      assert.deepEqual(
        reports.map((r) => [r.to, r.heard.map((h) => h.media), r.transfers.map((t) => [t.kind, t.target, t.variables])]),
        [
          ['+8613700000001', ['sound:pls-hold-while-try'], [['dialplan', 'callflow-queues,sales,1', { __TRANSIN_DATA: 'customer=K001&name=Li%20Wei' }]]],
          ['+8613700000002', ['sound:pls-hold-while-try'], [['dialplan', 'callflow-queues,sales,1', { __TRANSIN_DATA: 'customer=K002&name=Wang%20Fang' }]]],
          ['+8613700000003', ['sound:pls-hold-while-try'], [['dialplan', 'callflow-queues,sales,1', { __TRANSIN_DATA: 'customer=K003&name=Zhang%20Min' }]]],
        ],
      );
    });
  });

  describe('Gray release', function () {
    const V1 = '9b1c0000000011';
    const V2 = '9b1c0000000021';
    const released = async (): Promise<void> => {
      await waitForStatus(node(V1), hasText('v1: Official Release'));
      await waitForStatus(node(V2), hasText('v2: Gray Release 20% + 1 caller(s)'));
    };

    it('deploying it releases v1 as official and v2 as gray; the listed caller always reaches v2', async function () {
      await deploy('Gray release');
      await released();
      for (let i = 0; i < 3; i += 1) {
        const report = await simulator().placeCall({ from: '+15550199', to: '300', args: ['support'] }).ended();
        assert.deepEqual(report.heard.map((h) => h.media), ['sound:hello-world', 'sound:demo-congrats', 'sound:demo-thanks'], 'v2 greets with demo-congrats');
      }
    });

    it('other callers reach one of the two versions and hear that version to the end', async function () {
      await deploy('Gray release');
      await released();
      for (let i = 0; i < 5; i += 1) {
        const report = await simulator().placeCall({ from: `+1555020${i}`, to: '300', args: ['support'] }).ended();
        const media = report.heard.map((h) => h.media).join(' ');
        assert.ok(
          media === 'sound:hello-world sound:demo-thanks' || media === 'sound:hello-world sound:demo-congrats sound:demo-thanks',
          `a call heard one version's greeting whole: ${media}`,
        );
        assert.equal(report.ended?.by, 'application');
      }
    });
  });
});
