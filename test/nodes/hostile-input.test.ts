/**
 * Values a caller controls (a SIP header, msg.call.vars a flow filled from
 * one, msg.prompts) driven through the real element nodes against the
 * simulated Asterisk: transfers refuse them before anything is dialed
 * (toll fraud), the set node refuses control characters for channel
 * variables, and play refuses media that would read outside Asterisk's
 * directories or make Asterisk fetch from an internal address. Each refusal
 * names the node, the field and the value, and nothing reaches Asterisk.
 */
import assert from 'node:assert/strict';
import { quoted } from '../../lib/ari/dialstring';
import type { CallReport } from '../../lib/sim/script';
import { CREDS, TRANSFER, connected, ivrFlow, useSimulator, type CallMsg, type FlowOptions } from '../support/ivr';
import { INJECTIONS } from '../support/injections';
import { NODES, helper, nextMessage, node, useNodeRed, waitForStatus } from '../support/node-red';

// A core change node copies what the flow received into msg.call.vars, as a flow author might.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const changeNode = require(require.resolve('@node-red/nodes/core/function/15-change.js', { paths: [require.resolve('node-red')] })) as unknown;

interface ErrorMsg extends CallMsg {
  error: { message: string; source: { id: string; type: string; name: string } };
}

describe('hostile values from a call (toll fraud, channel variables, media)', function () {
  useNodeRed();
  const simulator = useSimulator(100);

  async function deploy(nodes: object[], watched: string[], options: FlowOptions = {}): Promise<void> {
    await helper.load([...NODES, changeNode], ivrFlow(simulator(), nodes, watched, options), CREDS);
    await connected();
  }

  /** Every outbound channel the simulator was asked for. */
  const outbound = (): CallReport[] =>
    simulator()
      .asterisk.reportList()
      .filter((r) => r.direction === 'outbound');

  const AGENT_TRANSFER = {
    ...TRANSFER,
    id: 'tr',
    name: 'agent transfer',
    endpoint: 'PJSIP/{vars.dest}',
    onError: 'output',
    wires: [['connected'], ['failed'], ['errors']],
  };
  const OUTPUTS = [
    { id: 'connected', type: 'helper' },
    { id: 'failed', type: 'helper' },
    { id: 'errors', type: 'helper' },
  ];

  /** The error msg of the transfer node for one call, checked to name the node; the Catch node hears it too. */
  async function refused(call: () => void): Promise<ErrorMsg> {
    const error = nextMessage<ErrorMsg>(node('errors'));
    const caught = nextMessage<ErrorMsg>(node('caught'));
    call();
    const [msg, heard] = await Promise.all([error, caught]);
    assert.deepEqual(msg.error.source, { id: 'tr', type: 'callflow-transfer', name: 'agent transfer' });
    assert.ok(heard.error.message.endsWith(msg.error.message), 'a Catch node hears it');
    return msg;
  }

  describe('transfer', function () {
    it('refuses an endpoint from a SIP header that would dial a SIP URI or a second destination', async function () {
      await deploy(
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['hdr']] },
          { id: 'hdr', type: 'callflow-set', assignments: [{ target: 'var', name: 'dest', type: 'chanvar', value: 'PJSIP_HEADER(read,X-Dest)' }], onError: 'hangup', wires: [['an']] },
          { id: 'an', type: 'callflow-answer', onError: 'hangup', wires: [['tr']] },
          AGENT_TRANSFER,
          ...OUTPUTS,
        ],
        ['tr'],
      );
      for (const [value, why] of [
        ['trunk/sip:+19005550100@evil.example.com', /contains "\/", which separates the parts of a dial string/],
        ['100&PJSIP/200', /contains "&", which Dial\(\) reads as a second destination/],
        ['+19005550100@trunk', /contains "@"/],
        ['sip:+19005550100@evil.example.com', /is a URI \(sip:, sips: or tel:\)/],
      ] as const) {
        const msg = await refused(() => simulator().placeCall({ from: '+15550100', to: '100', args: ['main'], headers: { 'X-Dest': value } }));
        assert.ok(msg.error.message.startsWith(`endpoint: the value ${quoted(value)} of {vars.dest} cannot be used as a PJSIP endpoint name: it `), msg.error.message);
        assert.match(msg.error.message, why);
      }
      assert.deepEqual(outbound(), [], 'no channel was created');
      // The node's status shows the refusal (a Catch node took the error, so Node-RED does not log it).
      await waitForStatus(node('tr'), (st) => st.fill === 'red' && (st.text ?? '').startsWith('endpoint: the value "sip:+19005550100@evil.example.com"'.slice(0, 57)));
    });

    it('a placeholder naming a variable the call does not have, called as an Object.prototype member, says so (not "function")', async function () {
      for (const [settings, name] of [
        [{ endpoint: 'PJSIP/{vars.constructor}' }, 'vars.constructor'],
        [{ kind: 'number', number: '{vars.toString}', dialString: 'PJSIP/{number}@trunk' }, 'vars.toString'],
        [{ endpoint: 'PJSIP/{vars.__proto__}' }, 'vars.__proto__'],
      ] as const) {
        await deploy(
          [
            { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['an']] },
            { id: 'an', type: 'callflow-answer', onError: 'hangup', wires: [['tr']] },
            { ...AGENT_TRANSFER, ...settings },
            ...OUTPUTS,
          ],
          ['tr'],
        );
        const msg = await refused(() => simulator().placeCall({ from: '+15550100', to: '100', args: ['main'] }));
        assert.ok(msg.error.message.includes(`needs ${name}, which this call does not have`), msg.error.message);
        await helper.unload();
      }
      assert.deepEqual(outbound(), [], 'no channel was created');
    });

    it('refuses every classic injection string put into msg.call.vars, and dials a plain one', async function () {
      await deploy(
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['an']] },
          { id: 'an', type: 'callflow-answer', onError: 'hangup', wires: [['hold']] },
          { id: 'hold', type: 'helper' },
          // The test sends each answered call on with msg.dest set: a flow that copies caller input into the call's variables.
          { id: 'copy', type: 'change', rules: [{ t: 'set', p: 'call.vars.dest', pt: 'msg', to: 'dest', tot: 'msg' }], wires: [['tr']] },
          AGENT_TRANSFER,
          ...OUTPUTS,
        ],
        ['tr'],
      );
      for (const [value, why] of INJECTIONS) {
        const held = nextMessage<CallMsg & { dest?: string }>(node('hold'));
        const call = simulator().placeCall({ from: '+15550100', to: '100', args: ['main'] });
        const msg = await held;
        const error = await refused(() => node('copy').receive({ ...msg, dest: value }));
        assert.equal(error.error.message.startsWith(`endpoint: the value ${quoted(value)} of {vars.dest}`), true, error.error.message);
        assert.match(error.error.message, why);
        call.hangup();
      }
      assert.deepEqual(outbound(), [], 'no channel was created');

      simulator().setNumber('100', { outcome: 'answer', ringMs: 200 });
      const held = nextMessage<CallMsg>(node('hold'));
      simulator().placeCall({ from: '+15550100', to: '100', args: ['main'] });
      const connectedMsg = nextMessage<CallMsg>(node('connected'));
      node('copy').receive({ ...(await held), dest: '100' });
      assert.equal((await connectedMsg).payload.endpoint, 'PJSIP/100');
      assert.deepEqual(outbound().map((r) => r.to), ['100']);
    });

    it('dials only what the connection\'s dial allowlist allows: an endpoint, a number through another trunk', async function () {
      await deploy(
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['vars']] },
          { id: 'vars', type: 'callflow-set', assignments: [{ target: 'var', name: 'dest', type: 'chanvar', value: 'PJSIP_HEADER(read,X-Dest)' }], onError: 'hangup', wires: [['an']] },
          { id: 'an', type: 'callflow-answer', onError: 'hangup', wires: [['tr']] },
          AGENT_TRANSFER,
          { id: 'e2', type: 'callflow-entry', connection: 'a1', flow: 'numbers', wires: [['vars2']] },
          { id: 'vars2', type: 'callflow-set', assignments: [{ target: 'var', name: 'dest', type: 'chanvar', value: 'PJSIP_HEADER(read,X-Dest)' }], onError: 'hangup', wires: [['an2']] },
          { id: 'an2', type: 'callflow-answer', onError: 'hangup', wires: [['num']] },
          { id: 'num', type: 'callflow-transfer', name: 'carrier', kind: 'number', endpoint: '', number: '{vars.dest}', dialString: 'PJSIP/{number}@carrier', context: '', extension: '', priority: 1, queue: '', queueContext: 'callflow-queues', flow: '', callerId: '', onError: 'output', wires: [[], [], ['numErrors']] },
          ...OUTPUTS,
          { id: 'numErrors', type: 'helper' },
        ],
        ['tr', 'num'],
        { dialAllowlist: 'PJSIP/100 PJSIP/101 PJSIP/*@trunk' },
      );
      const msg = await refused(() => simulator().placeCall({ from: '+15550100', to: '100', args: ['main'], headers: { 'X-Dest': '102' } }));
      assert.equal(msg.error.message, "endpoint: PJSIP/102 is not on this connection's dial allowlist (PJSIP/100 PJSIP/101 PJSIP/*@trunk)");

      // A number transfer whose dial string names another trunk than the list allows.
      const numError = nextMessage<ErrorMsg>(node('numErrors'));
      simulator().placeCall({ from: '+15550100', to: '100', args: ['numbers'], headers: { 'X-Dest': '+19005550100' } });
      const err = await numError;
      assert.equal(err.error.message, "dialString: PJSIP/+19005550100@carrier is not on this connection's dial allowlist (PJSIP/100 PJSIP/101 PJSIP/*@trunk)");
      assert.deepEqual(err.error.source, { id: 'num', type: 'callflow-transfer', name: 'carrier' });
      assert.deepEqual(outbound(), [], 'no channel was created');
    });

    it('refuses a caller number with a control character as the caller id shown to the callee', async function () {
      await deploy(
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['an']] },
          { id: 'an', type: 'callflow-answer', onError: 'hangup', wires: [['tr']] },
          { ...AGENT_TRANSFER, endpoint: 'PJSIP/100' },
          ...OUTPUTS,
        ],
        ['tr'],
      );
      const msg = await refused(() => simulator().placeCall({ from: '100\r\nX-Evil: 1', to: '100', args: ['main'] }));
      assert.equal(msg.error.message, 'callerId: the number shown to the callee, "100\\r\\nX-Evil: 1", contains a control character (U+000D)');
      assert.deepEqual(outbound(), []);
    });
  });

  describe('channel variables (set node)', function () {
    it('refuses a value with a control character or longer than Asterisk takes, naming the variable; nothing is set', async function () {
      await deploy(
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['st']] },
          { id: 'st', type: 'callflow-set', name: 'tag call', assignments: [{ target: 'channel', name: 'ACCOUNT', type: 'chanvar', value: 'PJSIP_HEADER(read,X-Account)' }], onError: 'output', outputs: 2, wires: [['out'], ['failed']] },
          { id: 'out', type: 'helper' },
          { id: 'failed', type: 'helper' },
        ],
        ['st'],
      );
      for (const [value, why] of [
        ['c-42\r\nX-Evil: 1', 'contains a control character (U+000D)'],
        ['x'.repeat(1025), 'is longer than 1024 characters'],
      ] as const) {
        const failed = nextMessage<ErrorMsg>(node('failed'));
        const call = simulator().placeCall({ from: '+15550100', to: '100', args: ['main'], headers: { 'X-Account': value } });
        const msg = await failed;
        assert.deepEqual(msg.error.source, { id: 'st', type: 'callflow-set', name: 'tag call' });
        assert.ok(msg.error.message.startsWith('ACCOUNT: the value "'), msg.error.message);
        assert.ok(msg.error.message.endsWith(`${why}, so it is not set on the channel`), msg.error.message);
        const { CALLFLOW_INSTANCE: _mark, ...set } = call.report().variables;
        assert.deepEqual(set, {}, 'nothing was set on the channel (but the connection\'s instance mark)');
        call.hangup();
      }
    });
  });

  describe('media (play node, msg.prompts)', function () {
    it('refuses names outside Asterisk\'s directories and URLs on internal addresses; the caller hears nothing', async function () {
      await deploy(
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['an']] },
          { id: 'an', type: 'callflow-answer', onError: 'hangup', wires: [['hold']] },
          { id: 'hold', type: 'helper' },
          { id: 'pl', type: 'callflow-play', name: 'greeting', prompts: ['sound:hello-world'], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'output', outputs: 1, wires: [['played'], ['failed']] },
          { id: 'played', type: 'helper' },
          { id: 'failed', type: 'helper' },
        ],
        ['pl'],
      );
      for (const [prompt, why] of [
        ['recording:../../../etc/asterisk/manager', /^msg\.prompts\.0: a media URI: .* \(got "recording:\.\.\/\.\.\/\.\.\/etc\/asterisk\/manager"\)$/],
        ['tone:ring;x=../../y', /^msg\.prompts\.0: a media URI: .* \(got "tone:ring;x=\.\.\/\.\.\/y"\)$/],
        ['http://169.254.169.254/latest/meta-data/iam/security-credentials/', /media "http:\/\/169\.254\.169\.254\/latest\/meta-data\/iam\/security-credentials\/": the host 169\.254\.169\.254 is an internal address/],
        ['https://127.0.0.1:8088/ari/asterisk/info', /the host 127\.0\.0\.1 is an internal address/],
      ] as const) {
        const held = nextMessage<CallMsg>(node('hold'));
        const call = simulator().placeCall({ from: '+15550100', to: '100', args: ['main'] });
        const failed = nextMessage<ErrorMsg>(node('failed'));
        node('pl').receive({ ...(await held), prompts: [prompt] });
        const msg = await failed;
        assert.deepEqual(msg.error.source, { id: 'pl', type: 'callflow-play', name: 'greeting' });
        assert.match(msg.error.message, why);
        assert.deepEqual(call.report().heard, [], 'nothing was played');
        call.hangup();
      }
    });
  });
});
