/**
 * callflow-transfer over the wire: callees that answer, are busy, do not
 * answer, do not exist; who hangs up a bridged call; the caller hanging up
 * while the callee rings; transfers into the dialplan, a queue and another
 * flow.
 */
import assert from 'node:assert/strict';
import type { NumberBehaviour } from '../../lib/sim';
import { CREDS, TRANSFER, connected, ivrFlow, received, useSimulator, type CallEndMsg, type CallMsg } from '../support/ivr';
import { NODES, helper, hasText, loggedText, nextMessage, node, useNodeRed, waitForStatus } from '../support/node-red';


describe('callflow-transfer', function () {
  useNodeRed();
  const simulator = useSimulator(100);

  /** entry -> answer -> [set] -> transfer -> connected / failed (-> play), with a call-end node. */
  async function deploy(settings: object, options: { answer?: boolean; set?: object[]; dialAllowlist?: string } = {}): Promise<void> {
    const first = options.set ? 'st' : options.answer === false ? 'tr' : 'an';
    await helper.load(
      NODES,
      ivrFlow(
        simulator(),
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [[first]] },
          ...(options.set ? [{ id: 'st', type: 'callflow-set', assignments: options.set, onError: 'hangup', wires: [['an']] }] : []),
          { id: 'an', type: 'callflow-answer', onError: 'hangup', wires: [['tr']] },
          { id: 'tr', ...TRANSFER, ...settings, wires: [['connected'], ['failed', 'sorry']] },
          { id: 'connected', type: 'helper' },
          { id: 'failed', type: 'helper' },
          { id: 'sorry', type: 'callflow-play', prompts: ['sound:vm-goodbye'], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'hangup', wires: [['hu']] },
          { id: 'hu', type: 'callflow-hangup', reason: 'normal', wires: [] },
          { id: 'sales', type: 'callflow-entry', connection: 'a1', flow: 'sales', wires: [['insales']] },
          { id: 'insales', type: 'helper' },
          { id: 'end', type: 'callflow-call-end', connection: 'a1', flow: '', wires: [['ended']] },
          { id: 'ended', type: 'helper' },
        ],
        ['tr'],
        options.dialAllowlist === undefined ? {} : { dialAllowlist: options.dialAllowlist },
      ),
      CREDS,
    );
    await connected();
  }

  /** A call into flow "main" (two flows are deployed, so the dialplan names the flow). */
  function place(options: Parameters<ReturnType<typeof simulator>['placeCall']>[0]): ReturnType<ReturnType<typeof simulator>['placeCall']> {
    return simulator().placeCall({ args: ['main'], ...options });
  }

  function callee(number: string): ReturnType<ReturnType<typeof simulator>['asterisk']['reportList']>[number] {
    const leg = simulator()
      .asterisk.reportList()
      .find((r) => r.direction === 'outbound' && r.to === number);
    if (!leg) throw new Error(`nobody called ${number}`);
    return leg;
  }

  it('connects to an endpoint that answers: ringback, a bridge, and when the callee hangs up the call-end node says so', async function () {
    simulator().setNumber('100', { outcome: 'answer', ringMs: 2000, script: [{ wait: 3000 }, { hangup: true }] });
    await deploy({});
    const connectedMsg = nextMessage<CallMsg>(node('connected'));
    const ended = nextMessage<CallEndMsg>(node('ended'));
    const completed = nextMessage(node('completed'));
    const call = place({ from: '+15550100', to: '7000' });
    const msg = await connectedMsg;
    assert.equal(msg.payload.outcome, 'connected');
    assert.equal(msg.payload.endpoint, 'PJSIP/100');
    assert.equal(msg.call.trace.at(-1)?.outcome, 'connected');
    await completed;
    const report = (await ended).payload;
    assert.equal(report.by, 'callee');
    assert.equal(report.peer, msg.payload.peer);
    const sim = await call.ended();
    assert.deepEqual(sim.heard.map((h) => [h.media, h.outcome]), [['tone:ring', 'stopped']]);
    assert.deepEqual(sim.transfers.map((t) => t.kind), ['bridge']);
    assert.equal(sim.ended?.by, 'application');
    assert.equal(callee('100').ended?.by, 'callee');
  });

  it('calls a number from a call variable through the dial string; when the caller hangs up, the callee is hung up too', async function () {
    simulator().setNumber('+15550123', { outcome: 'answer', ringMs: 500 });
    await deploy({ kind: 'number', number: '{vars.agent}', dialString: 'PJSIP/{number}@trunk', callerId: '+15550999' }, { set: [{ target: 'var', name: 'agent', type: 'str', value: '+15550123' }] });
    const connectedMsg = nextMessage<CallMsg>(node('connected'));
    const ended = nextMessage<CallEndMsg>(node('ended'));
    const call = place({ from: '+15550100', to: '7000', script: [{ waitFor: 'bridged' }, { wait: 2000 }, { hangup: true }] });
    assert.equal((await connectedMsg).payload.endpoint, 'PJSIP/+15550123@trunk');
    const report = (await ended).payload;
    assert.equal(report.by, 'caller');
    assert.equal(report.cause, 16);
    await call.ended();
    const leg = await simulator().call(callee('+15550123').id).ended();
    assert.equal(leg.ended?.by, 'application', 'the callee was hung up by the application');
    assert.equal(leg.from, '+15550999', 'the callee sees the configured caller id');
  });

  it('calls through a Local channel: its dialplan half dials the number; connected, and the callee hanging up ends the call', async function () {
    simulator().setNumber('+15550124', { outcome: 'answer', ringMs: 500, script: [{ wait: 2000 }, { hangup: true }] });
    await deploy({ kind: 'number', number: '{vars.agent}', dialString: 'Local/{number}@outbound' }, { set: [{ target: 'var', name: 'agent', type: 'str', value: '+15550124' }], dialAllowlist: 'Local/*@outbound' });
    const connectedMsg = nextMessage<CallMsg>(node('connected'));
    const ended = nextMessage<CallEndMsg>(node('ended'));
    const call = place({ from: '+15550100', to: '7000' });
    const msg = await connectedMsg;
    assert.equal(msg.payload.endpoint, 'Local/+15550124@outbound');
    const report = (await ended).payload;
    assert.deepEqual([report.by, report.peer], ['callee', msg.payload.peer]);
    await call.ended();
    const leg = callee('+15550124');
    assert.match(leg.channelName, /^Local\/\+15550124@outbound-[0-9a-f]{8};1$/);
    assert.deepEqual(leg.transfers.map((t) => t.kind), ['dialplan', 'bridge'], 'the ;2 half ran the dialplan; ;1 was bridged with the caller');
    assert.equal(leg.transfers[0]?.target, 'outbound,+15550124,1');
    assert.equal(leg.ended?.by, 'callee');
  });

  // A created channel is dialed in Asterisk's dial bridge, which reports a status only for a BUSY or CONGESTION
  // frame (main/bridge_channel.c bridge_handle_trip); chan_pjsip queues none for a failure response, so a PJSIP
  // callee's failure has a cause and no dial status (and the ringing before it is no outcome).
  const failures: [string, NumberBehaviour | null, string, number, string | undefined][] = [
    ['busy', { outcome: 'busy', ringMs: 500 }, 'busy', 17, undefined],
    ['does not answer within the ring time', { outcome: 'no-answer' }, 'no-answer', 19, undefined],
    ['is an unallocated number (404)', { outcome: 'unallocated', ringMs: 500 }, 'unallocated', 1, undefined],
    ['declines (603)', { outcome: 'rejected', ringMs: 500 }, 'rejected', 21, undefined],
    ['is congested (503)', { outcome: 'congestion', ringMs: 500 }, 'congestion', 34, undefined],
    ['is out of order (502)', { outcome: 'unavailable', ringMs: 500, sipCode: 502 }, 'unavailable', 27, undefined],
  ];
  for (const [what, behaviour, reason, cause, dialStatus] of failures) {
    it(`when the callee ${what}: the failed output with reason "${reason}" and cause ${cause}; the caller stays in the flow`, async function () {
      if (behaviour) simulator().setNumber('100', behaviour);
      await deploy({});
      const failed = nextMessage<CallMsg>(node('failed'));
      const call = place({ from: '1', to: '2' });
      const msg = await failed;
      assert.deepEqual([msg.payload.outcome, msg.payload.reason, msg.payload.cause, msg.payload.dialStatus], ['failed', reason, cause, dialStatus]);
      assert.equal(msg.call.trace.at(-1)?.outcome, `failed: ${reason}`);
      const sim = await call.ended();
      assert.deepEqual(sim.heard.map((h) => h.media), ['tone:ring', 'sound:vm-goodbye'], 'the caller heard ringing, then the goodbye the flow played');
    });
  }

  it('when Asterisk cannot call the endpoint at all (no such channel technology): failed, unavailable', async function () {
    await deploy({ endpoint: 'SIP/100' }, { dialAllowlist: 'PJSIP/* SIP/*' });
    const failed = nextMessage<CallMsg>(node('failed'));
    place({ from: '1', to: '2' });
    const msg = await failed;
    assert.deepEqual([msg.payload.reason, msg.payload.cause], ['unavailable', 3]);
    assert.match(String(msg.payload.causeText), /Asterisk could not call SIP\/100/);
  });

  it('when the caller hangs up while the callee rings: the callee is cancelled, no output, the input completes', async function () {
    simulator().setNumber('100', { outcome: 'no-answer' });
    await deploy({ ringTimeoutSec: 60 });
    const outputs = [...received('connected'), ...received('failed')];
    const completed = nextMessage(node('completed'));
    const ended = nextMessage<CallEndMsg>(node('ended'));
    place({ from: '1', to: '2', script: [{ waitFor: 'playback-start', media: 'ring' }, { wait: 1000 }, { hangup: true }] });
    await completed;
    assert.equal((await ended).payload.by, 'caller');
    const leg = await simulator().call(callee('100').id).ended();
    assert.equal(leg.ended?.by, 'application');
    assert.equal(leg.answeredAt, undefined);
    assert.equal(outputs.length, 0);
  });

  it('rings an unanswered caller instead of playing ringback', async function () {
    simulator().setNumber('100', { outcome: 'busy', ringMs: 500 });
    await deploy({}, { answer: false });
    const failed = nextMessage<CallMsg>(node('failed'));
    const call = place({ from: '1', to: '2' });
    await failed;
    assert.equal(call.report().heard.length, 0);
  });

  it('sends the call into the dialplan and to a queue: it leaves the application', async function () {
    await deploy({ kind: 'dialplan', context: 'default', extension: '200', priority: 2 });
    let connectedMsg = nextMessage<CallMsg>(node('connected'));
    let ended = nextMessage<CallEndMsg>(node('ended'));
    const toDialplan = place({ from: '1', to: '2' });
    assert.deepEqual((await connectedMsg).payload, { outcome: 'left', target: 'default,200,2' });
    assert.deepEqual([(await ended).payload.reason, (await ended).payload.by], ['left-application', 'flow']);
    assert.deepEqual(toDialplan.report().transfers.map((t) => [t.kind, t.target]), [['dialplan', 'default,200,2']]);

    await helper.unload();
    await deploy({ kind: 'queue', queue: 'support', queueContext: 'callflow-queues' });
    connectedMsg = nextMessage<CallMsg>(node('connected'));
    ended = nextMessage<CallEndMsg>(node('ended'));
    const toQueue = place({ from: '1', to: '2' });
    assert.deepEqual((await connectedMsg).payload, { outcome: 'left', target: 'callflow-queues,support,1' });
    await ended;
    assert.deepEqual(toQueue.report().transfers.map((t) => [t.kind, t.target]), [['dialplan', 'callflow-queues,support,1']]);
  });

  it('continues the call in another IVR flow with its variables and trace; an unknown flow fails', async function () {
    await deploy({ kind: 'flow', flow: 'sales' }, { set: [{ target: 'var', name: 'tier', type: 'str', value: 'gold' }] });
    const inSales = nextMessage<CallMsg>(node('insales'));
    place({ from: '1', to: '2' });
    const msg = await inSales;
    assert.equal(msg.call.flow, 'sales');
    assert.equal(msg.call.vars.tier, 'gold');
    assert.deepEqual(msg.call.trace.map((t) => t.element), ['entry', 'set', 'answer', 'transfer', 'entry']);
    assert.equal(msg.call.trace[3]?.outcome, 'to flow sales');

    await helper.unload();
    await deploy({ kind: 'flow', flow: 'billing' });
    const failed = nextMessage<CallMsg>(node('failed'));
    place({ from: '1', to: '2' });
    assert.match(String((await failed).payload.causeText), /flow "billing" is not deployed on this connection/);
  });

  it('refuses settings that do not fit the kind of transfer, at deploy time', async function () {
    await helper.load(NODES, [
      { id: 'tab', type: 'tab', label: 'test' },
      { ...TRANSFER, id: 'noendpoint', z: 'tab', endpoint: '', wires: [[], []] },
      { ...TRANSFER, id: 'nonumber', z: 'tab', kind: 'number', wires: [[], []] },
      { ...TRANSFER, id: 'nodialstring', z: 'tab', kind: 'number', number: '123', dialString: 'PJSIP/trunk', wires: [[], []] },
      { ...TRANSFER, id: 'shortring', z: 'tab', ringTimeoutSec: 1, wires: [[], []] },
    ]);
    for (const id of ['noendpoint', 'nonumber', 'nodialstring', 'shortring']) await waitForStatus(node(id), hasText('callflow.status.invalid-config'));
    const log = loggedText();
    assert.match(log, /endpoint: the endpoint to call, e\.g\. PJSIP\/100/);
    assert.match(log, /number: the number to call/);
    assert.match(log, /dialString: a dial string with \{number\} in it/);
    assert.match(log, /ringTimeoutSec: whole seconds from 5 to 300 .*\(got 1\)/);
  });
});
