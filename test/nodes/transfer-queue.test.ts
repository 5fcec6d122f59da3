/**
 * callflow-transfer to a queue named by the call (a call variable, the campaign's skill queue) with associated data,
 * over the wire with the simulated Asterisk: the queue a variable names is checked before the call leaves, and the
 * data reaches the dialplan as the channel variable __TRANSIN_DATA, which the simulator's report shows the call
 * carried when it moved. The campaign's side (msg.call.campaign.skillQueue): test/examples.test.ts, "Skill queue
 * campaign".
 */
import assert from 'node:assert/strict';
import { quoted } from '../../lib/ari/dialstring';
import { CREDS, TRANSFER, connected, ivrFlow, useSimulator, type CallEndMsg, type CallMsg } from '../support/ivr';
import { NODES, helper, nextMessage, node, useNodeRed } from '../support/node-red';

// A core change node puts the test's variables into msg.call.vars, as a flow that copies caller input would.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const changeNode = require(require.resolve('@node-red/nodes/core/function/15-change.js', { paths: [require.resolve('node-red')] })) as unknown;

interface ErrorMsg extends CallMsg {
  error: { message: string; source: { id: string; type: string; name: string } };
}

describe('callflow-transfer to a queue from the call, with associated data', function () {
  useNodeRed();
  const simulator = useSimulator(100);

  /** entry -> answer -> hold (the test takes the msg) ... copy (msg.vars into msg.call.vars) -> transfer. */
  async function deploy(settings: object): Promise<void> {
    await helper.load(
      [...NODES, changeNode],
      ivrFlow(
        simulator(),
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['an']] },
          { id: 'an', type: 'callflow-answer', onError: 'hangup', wires: [['hold']] },
          { id: 'hold', type: 'helper' },
          { id: 'copy', type: 'change', rules: [{ t: 'set', p: 'call.vars', pt: 'msg', to: 'vars', tot: 'msg' }], wires: [['tr']] },
          { ...TRANSFER, id: 'tr', name: 'to sales', kind: 'queue', queue: '{vars.queue}', queueContext: 'agents', data: [], onError: 'output', ...settings, wires: [['connected'], ['failed'], ['errors']] },
          { id: 'connected', type: 'helper' },
          { id: 'failed', type: 'helper' },
          { id: 'errors', type: 'helper' },
          { id: 'end', type: 'callflow-call-end', connection: 'a1', flow: '', wires: [['ended']] },
          { id: 'ended', type: 'helper' },
        ],
        ['tr'],
      ),
      CREDS,
    );
    await connected();
  }

  /** Places a call and sends it on to the transfer with these call variables; the call's handle in the simulator. */
  async function transferWith(vars: Record<string, unknown>): Promise<ReturnType<ReturnType<typeof simulator>['placeCall']>> {
    const held = nextMessage<CallMsg>(node('hold'));
    const call = simulator().placeCall({ from: '+15550100', to: '100', args: ['main'] });
    node('copy').receive({ ...(await held), vars });
    return call;
  }

  it('takes the queue from a call variable and carries the listed variables as __TRANSIN_DATA into the queue context', async function () {
    await deploy({ data: ['customer', 'order', 'missing'] });
    const left = nextMessage<CallMsg>(node('connected'));
    const ended = nextMessage<CallEndMsg>(node('ended'));
    const call = await transferWith({ queue: 'sales', customer: 'Li Wei, ${SHELL(id)}', order: 'A-1001' });
    assert.deepEqual((await left).payload, { outcome: 'left', target: 'agents,sales,1' });
    // The session ends when the channel leaves the application (StasisEnd), after the simulator recorded the move.
    assert.equal((await ended).payload.reason, 'left-application');
    const data = 'customer=Li%20Wei%2C%20%24%7BSHELL%28id%29%7D&order=A-1001&missing=';
    // Set on the caller's channel before the move, and carried by it into the dialplan (what Queue()'s member channel inherits).
    assert.deepEqual(
      call.report().transfers.map((t) => [t.kind, t.target, t.variables]),
      [['dialplan', 'agents,sales,1', { __TRANSIN_DATA: data }]],
    );
    assert.equal(call.report().variables.__TRANSIN_DATA, data);
    call.hangup();
  });

  it('carries associated data on a transfer into the dialplan too; without data it sets nothing', async function () {
    await deploy({ kind: 'dialplan', context: 'agents', extension: 'vip', priority: 1, data: ['customer'] });
    let ended = nextMessage<CallEndMsg>(node('ended'));
    let call = await transferWith({ customer: 'C001' });
    await ended;
    assert.deepEqual(call.report().transfers.map((t) => [t.target, t.variables]), [['agents,vip,1', { __TRANSIN_DATA: 'customer=C001' }]]);
    call.hangup();

    await helper.unload();
    await deploy({ queue: 'sales' });
    ended = nextMessage<CallEndMsg>(node('ended'));
    call = await transferWith({ customer: 'C001' });
    await ended;
    assert.deepEqual(call.report().transfers.map((t) => [t.target, t.variables]), [['agents,sales,1', undefined]]);
    assert.equal(call.report().variables.__TRANSIN_DATA, undefined);
    call.hangup();
  });

  it('refuses a queue name from a variable that is not one, naming the node and the value; the call does not leave and nothing is set', async function () {
    await deploy({ data: ['customer'] });
    for (const value of ['support,,,', 'Local/', '../', 'sales\nexten => 1', 'q'.repeat(200), 'sales&PJSIP/200', '$[1+1]']) {
      const error = nextMessage<ErrorMsg>(node('errors'));
      const call = await transferWith({ queue: value, customer: 'C001' });
      const msg = await error;
      assert.deepEqual(msg.error.source, { id: 'tr', type: 'callflow-transfer', name: 'to sales' });
      assert.equal(
        msg.error.message,
        `queue: the queue name from the call variable queue ({vars.queue}), ${quoted(value)}, is not a queue name: 1 to 80 letters, digits, _ . or - expected`,
      );
      assert.deepEqual(call.report().transfers, [], 'the call stayed in the application');
      assert.equal(call.report().variables.__TRANSIN_DATA, undefined, 'no associated data was set');
      call.hangup();
    }
    const error = nextMessage<ErrorMsg>(node('errors'));
    const call = await transferWith({ customer: 'C001' });
    assert.equal((await error).error.message, 'queue: {vars.queue}: the call variable queue is empty or not set, so there is no queue to transfer to');
    call.hangup();
  });

  it("refuses {campaign.skillQueue} on a call no campaign placed, and associated data longer than a channel variable holds", async function () {
    await deploy({ queue: '{campaign.skillQueue}' });
    let error = nextMessage<ErrorMsg>(node('errors'));
    let call = await transferWith({});
    assert.equal((await error).error.message, 'queue: {campaign.skillQueue}: this call has no skill queue to transfer to (it is not a call a campaign placed)');
    call.hangup();

    await helper.unload();
    await deploy({ data: ['note'] });
    error = nextMessage<ErrorMsg>(node('errors'));
    call = await transferWith({ queue: 'sales', note: '中'.repeat(120) });
    assert.equal(
      (await error).error.message,
      'data: the associated data of note is 1085 characters once encoded, more than the 1024 a channel variable may hold; carry fewer or shorter variables',
    );
    assert.deepEqual([call.report().transfers, call.report().variables.__TRANSIN_DATA], [[], undefined]);
    call.hangup();
  });
});
