/**
 * callflow-call-end: one msg per ended call of its flow (or of every flow),
 * whoever or whatever ended it, with the times, the trace and the keys.
 */
import assert from 'node:assert/strict';
import { CREDS, connected, ivrFlow, messages, received, useSimulator, type CallEndMsg } from '../support/ivr';
import { NODES, helper, nextMessage, node, useNodeRed, waitForStatus } from '../support/node-red';

describe('callflow-call-end', function () {
  useNodeRed();
  const simulator = useSimulator(100);

  async function deploy(): Promise<void> {
    await helper.load(
      NODES,
      ivrFlow(
        simulator(),
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['mn']] },
          { id: 'mn', type: 'callflow-menu', prompts: ['sound:demo-congrats'], options: ['1'], labels: [''], repeatKey: '', timeoutSec: 5, retries: 0, invalidPrompts: [], timeoutPrompts: [], language: '', onError: 'hangup', wires: [['bye'], [], []] },
          { id: 'bye', type: 'callflow-play', prompts: ['sound:vm-goodbye'], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'hangup', wires: [['hu']] },
          { id: 'hu', type: 'callflow-hangup', reason: 'normal', wires: [] },
          { id: 'e2', type: 'callflow-entry', connection: 'a1', flow: 'other', wires: [['hu2']] },
          { id: 'hu2', type: 'callflow-hangup', reason: 'normal', wires: [] },
          { id: 'e3', type: 'callflow-entry', connection: 'a1', flow: 'broken', wires: [['bad']] },
          { id: 'bad', type: 'callflow-play', prompts: ['sound:no-such-sound'], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'hangup', wires: [['hu2']] },
          { id: 'endMain', type: 'callflow-call-end', connection: 'a1', flow: 'main', wires: [['main']] },
          { id: 'main', type: 'helper' },
          { id: 'endAll', type: 'callflow-call-end', connection: 'a1', flow: '', wires: [['all']] },
          { id: 'all', type: 'helper' },
        ],
        [],
      ),
      CREDS,
    );
    await connected();
  }

  it('reports a call the flow ended: by, cause, times, the trace with timestamps, the keys', async function () {
    await deploy();
    const ended = nextMessage<CallEndMsg>(node('main'));
    simulator().placeCall({ from: '+15550100', to: '7000', args: ['main'], script: [{ waitFor: 'playback-start' }, { wait: 1000 }, { dtmf: '1' }] });
    const msg = await ended;
    const r = msg.payload;
    assert.equal(msg.topic, 'main');
    assert.equal(msg.call.caller.number, '+15550100');
    assert.deepEqual([r.flow, r.by, r.reason, r.cause, r.causeText], ['main', 'flow', 'hangup', 16, 'Normal Clearing']);
    assert.ok(r.answeredAt && Date.parse(r.answeredAt) >= Date.parse(r.startedAt));
    assert.ok(Date.parse(r.endedAt) >= Date.parse(r.answeredAt));
    assert.equal(typeof r.durationSec, 'number');
    assert.ok(r.talkSec <= (r.durationSec ?? 0));
    assert.deepEqual(r.trace.map((t) => [t.element, t.outcome]), [['entry', 'routed'], ['menu', 'option 1'], ['play', 'done'], ['hangup', 'hangup']]);
    for (const t of r.trace) assert.ok(!Number.isNaN(Date.parse(t.at)), 'each element has its time');
    assert.deepEqual(r.pressed.map((p) => p.digit), ['1']);
  });

  it('hears only its own flow; an empty flow hears every call, including one no flow took', async function () {
    await deploy();
    const mine = received<CallEndMsg>('main');
    const all = messages<CallEndMsg>('all', 3);
    await simulator().placeCall({ from: '1', to: '2', args: ['other'] }).ended();
    await simulator().placeCall({ from: '1', to: '2', args: ['nowhere'] }).ended();
    await simulator().placeCall({ from: '1', to: '2', args: ['main'], script: [{ hangup: true }] }).ended();
    const reports = (await all).map((m) => [m.payload.flow, m.payload.by, m.payload.cause]);
    assert.deepEqual(reports.sort(), [['', 'flow', 1], ['main', 'caller', 16], ['other', 'flow', 16]]);
    assert.deepEqual(mine.map((m) => m.payload.by), ['caller'], 'the node for flow main heard only its call');
  });

  it('reports the calls Asterisk lost in a restart, by the system', async function () {
    await deploy();
    const ended = nextMessage<CallEndMsg>(node('main'), 10000);
    const call = simulator().placeCall({ from: '1', to: '2', args: ['main'] });
    // The menu is waiting for the prompt to end (no request in flight).
    await call.until('playback-start');
    await simulator().restart(100);
    const r = (await ended).payload;
    assert.deepEqual([r.by, r.reason], ['system', 'asterisk-restarted']);
    assert.equal(r.trace.at(-1)?.outcome, 'hangup');
  });

  it("reports a call an element's error hung up as ended by the system, not by the flow", async function () {
    await deploy();
    const ended = nextMessage<CallEndMsg>(node('all'), 10000);
    await simulator().placeCall({ from: '1', to: '2', args: ['broken'] }).ended();
    const r = (await ended).payload;
    assert.deepEqual([r.flow, r.by, r.reason], ['broken', 'system', 'hangup']);
    assert.deepEqual(r.trace.map((t) => [t.element, t.outcome]), [['entry', 'routed'], ['play', 'error']]);
  });

  it('shows a red status without a connection', async function () {
    await helper.load(NODES, [
      { id: 'tab', type: 'tab', label: 'test' },
      { id: 'lonely', type: 'callflow-call-end', z: 'tab', connection: 'missing', flow: '', wires: [[]] },
    ]);
    await waitForStatus(node('lonely'), (s) => s.fill === 'red');
  });
});
