/**
 * callflow-amd on the simulated Asterisk, end to end: a caller's audio reaches the node's RTP endpoint through an
 * external media channel snooping on the call, and the node sends the msg on human, machine or not sure with
 * AMDSTATUS/AMDCAUSE in msg.call.vars; with "wait for the beep" the machine's beep has ended first; nothing of the
 * media path is left afterwards; a caller hanging up mid-analysis sends nothing.
 */
import assert from 'node:assert/strict';
import { CREDS, connected, ivrFlow, useSimulator, type CallEndMsg, type CallMsg } from '../support/ivr';
import { NODES, coreNode, helper, nextMessage, node, useNodeRed } from '../support/node-red';
import { RawAri } from '../support/raw-ari';
import { readExamples } from '../../lib/playground/home';

const AMD = {
  type: 'callflow-amd',
  initialSilence: 2500,
  greeting: 1500,
  afterGreetingSilence: 800,
  totalAnalysisTime: 5000,
  minimumWordLength: 100,
  betweenWordsSilence: 50,
  maximumNumberOfWords: 2,
  silenceThreshold: 256,
  maximumWordLength: 5000,
  waitForBeep: false,
  beepTimeout: 30,
  onError: 'hangup',
};

describe('callflow-amd', function () {
  useNodeRed();
  const simulator = useSimulator(20);

  async function deploy(settings: object = {}): Promise<void> {
    await helper.load(
      NODES,
      ivrFlow(
        simulator(),
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['amd']] },
          { id: 'amd', ...AMD, ...settings, wires: [['human'], ['machine'], ['notsure']] },
          { id: 'human', type: 'helper' },
          { id: 'machine', type: 'helper' },
          { id: 'notsure', type: 'helper' },
          { id: 'end', type: 'callflow-call-end', connection: 'a1', flow: 'main', wires: [['ended']] },
          { id: 'ended', type: 'helper' },
        ],
        ['amd'],
      ),
      CREDS,
    );
    await connected();
  }

  /** The simulator's channels and bridges once the call is the only thing left. */
  function leftovers(callId: string): string[] {
    return [...simulator().asterisk.channelList().map((c) => c.id).filter((id) => id !== callId), ...simulator().asterisk.bridgeList().map((b) => b.id)];
  }

  it('a short greeting then silence: human, with AMDSTATUS and AMDCAUSE in msg.call.vars; the media path is gone', async function () {
    await deploy();
    const out = nextMessage<CallMsg>(node('human'));
    const call = simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'listened' }, { wait: 300 }, { say: 500 }, { wait: 60_000 }] });
    const msg = await out;
    assert.equal(msg.call.vars.AMDSTATUS, 'HUMAN');
    assert.equal(msg.call.vars.AMDCAUSE, 'HUMAN-800-800');
    assert.deepEqual((msg.payload as { outcome: string }).outcome, 'human');
    assert.deepEqual(leftovers(call.id), []);
  });

  it('a long greeting: machine (more words than the most words)', async function () {
    await deploy();
    const out = nextMessage<CallMsg>(node('machine'));
    simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'listened' }, { wait: 300 }, { machine: { greeting: 6, beep: true } }, { wait: 60_000 }] });
    const msg = await out;
    assert.equal(msg.call.vars.AMDSTATUS, 'MACHINE');
    assert.match(String(msg.call.vars.AMDCAUSE), /^(MAXWORDS-3-2|LONGGREETING-\d+-1500)$/);
  });

  it('nobody speaks: machine (initial silence)', async function () {
    await deploy();
    const out = nextMessage<CallMsg>(node('machine'));
    simulator().placeCall({ from: '1', to: '2', script: [{ wait: 60_000 }] });
    assert.equal((await out).call.vars.AMDCAUSE, 'INITIALSILENCE-2500-2500');
  });

  it('wait for the beep: the machine msg leaves once its beep has ended, with the beep in msg.payload', async function () {
    await deploy({ waitForBeep: true });
    const out = nextMessage<CallMsg>(node('machine'), 15_000);
    simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'listened' }, { wait: 300 }, { machine: { greeting: 4, beep: true } }, { wait: 60_000 }] });
    const msg = await out;
    const beep = (msg.payload as { beep: { frequencyHz: number; atMs: number } | null }).beep;
    assert.ok(beep, 'a beep');
    assert.ok(Math.abs(beep.frequencyHz - 1000) <= 25, `${beep.frequencyHz} Hz`);
  });

  it('wait for the beep after a line silent from the start (INITIALSILENCE): no wait, beep null', async function () {
    await deploy({ waitForBeep: true, beepTimeout: 120 });
    const out = nextMessage<CallMsg>(node('machine'));
    simulator().placeCall({ from: '1', to: '2', script: [{ wait: 60_000 }] });
    const msg = await out;
    assert.equal(msg.call.vars.AMDCAUSE, 'INITIALSILENCE-2500-2500');
    assert.equal((msg.payload as { beep?: unknown }).beep, undefined);
  });

  it('the analysis limit reached: not sure (TOOLONG)', async function () {
    await deploy({ totalAnalysisTime: 1000 });
    const out = nextMessage<CallMsg>(node('notsure'));
    simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'listened' }, { wait: 300 }, { say: 60_000 }] });
    assert.match(String((await out).call.vars.AMDCAUSE), /^TOOLONG-\d+$/);
  });

  it('the caller hangs up during the analysis: no output, the call-end report, the media path torn down', async function () {
    await deploy();
    const observer = await new RawAri(simulator().url, simulator().username, simulator().password).events('observer', { subscribeAll: true });
    try {
      const sent: string[] = [];
      for (const id of ['human', 'machine', 'notsure']) node(id).on('input', () => sent.push(id));
      const ended = nextMessage<CallEndMsg>(node('ended'));
      const bridgeGone = observer.next((e) => e.type === 'BridgeDestroyed' && String((e.bridge as { id: string }).id).startsWith('cfmb-'));
      simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'listened' }, { wait: 300 }, { say: 300 }, { hangup: true }] });
      assert.equal((await ended).payload.by, 'caller');
      await bridgeGone;
      assert.deepEqual(simulator().asterisk.channelList(), []);
      assert.deepEqual(sent, [], 'no output');
    } finally {
      await observer.close();
    }
  });

  describe('the "Answering machine detection" example', function () {
    async function deployExample(): Promise<void> {
      const found = readExamples().find((e) => e.name === 'Answering machine detection');
      if (!found) throw new Error('no example "Answering machine detection"');
      const nodes = found.nodes.map((n) => {
        if (n.type === 'callflow-asterisk') return { ...n, id: 'a1', useSimulator: false, url: simulator().url };
        return n.connection ? { ...n, connection: 'a1' } : n;
      });
      await helper.load([...NODES, coreNode('common/90-comment.js')], nodes, CREDS);
      await connected(String(nodes.find((n) => n.type === 'callflow-entry')?.id));
    }

    it('a person hears the greeting; a machine hears the notice after its beep', async function () {
      await deployExample();
      const person = simulator().placeCall({ from: '1', to: '100', args: ['amd'], script: [{ waitFor: 'listened' }, { wait: 300 }, { say: 600 }, { wait: 20_000 }] });
      const machine = simulator().placeCall({ from: '2', to: '100', args: ['amd'], script: [{ waitFor: 'listened' }, { wait: 300 }, { machine: { greeting: 5, beep: true } }, { wait: 20_000 }] });
      const [p, m] = await Promise.all([person.ended(), machine.ended()]);
      assert.deepEqual(p.heard.map((h) => h.media), ['sound:hello-world']);
      assert.deepEqual(m.heard.map((h) => h.media), ['sound:demo-thanks']);
      // The notice starts after the beep ended: greeting 5 s, pause 0.3 s, beep 0.5 s after the 0.3 s wait.
      assert.ok(m.heard[0] && m.answeredAt && Date.parse(m.heard[0].startedAt) >= Date.parse(m.answeredAt), 'after the answer');
    });
  });
});
