/**
 * callflow-set over the wire: call variables from every kind of value,
 * channel variables on Asterisk, rows that read earlier rows, and values
 * that cannot be read.
 */
import assert from 'node:assert/strict';
import { CREDS, connected, ivrFlow, useSimulator, type CallMsg } from '../support/ivr';
import { NODES, helper, hasText, loggedText, nextMessage, node, useNodeRed, waitForStatus } from '../support/node-red';

// Node-RED's change node puts a value in flow and global context first.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const changeNode = require(require.resolve('@node-red/nodes/core/function/15-change.js', { paths: [require.resolve('node-red')] })) as unknown;

describe('callflow-set', function () {
  useNodeRed();
  const simulator = useSimulator(100);

  async function deploy(assignments: object[], onError = 'hangup'): Promise<void> {
    await helper.load(
      [...NODES, changeNode],
      ivrFlow(
        simulator(),
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['ctx']] },
          {
            id: 'ctx',
            type: 'change',
            rules: [
              { t: 'set', p: 'tier', pt: 'flow', to: 'gold', tot: 'str' },
              { t: 'set', p: 'hotline', pt: 'global', to: '+15550111', tot: 'str' },
              { t: 'set', p: 'customer', pt: 'msg', to: '{"id":"c-42"}', tot: 'json' },
            ],
            wires: [['st']],
          },
          { id: 'st', type: 'callflow-set', assignments, onError, outputs: onError === 'output' ? 2 : 1, wires: [['out'], ['failed']] },
          { id: 'out', type: 'helper' },
          { id: 'failed', type: 'helper' },
        ],
        ['st'],
      ),
      CREDS,
    );
    await connected();
  }

  it('sets call variables from literals, the msg, flow and global context, JSONata, env, the call and Asterisk; later rows read earlier ones', async function () {
    process.env.CALLFLOW_TEST_REGION = 'emea';
    await deploy([
      { target: 'var', name: 'greeting', type: 'str', value: 'welcome' },
      { target: 'var', name: 'attempts', type: 'num', value: '3' },
      { target: 'var', name: 'vip', type: 'bool', value: 'true' },
      { target: 'var', name: 'limits', type: 'json', value: '{"max":5}' },
      { target: 'var', name: 'customer', type: 'msg', value: 'customer.id' },
      { target: 'var', name: 'tier', type: 'flow', value: 'tier' },
      { target: 'var', name: 'hotline', type: 'global', value: 'hotline' },
      { target: 'var', name: 'tag', type: 'jsonata', value: "call.caller.number & '/' & call.vars.tier" },
      { target: 'var', name: 'region', type: 'env', value: 'CALLFLOW_TEST_REGION' },
      { target: 'var', name: 'dialed', type: 'call', value: 'dialed' },
      { target: 'var', name: 'account', type: 'chanvar', value: 'ACCOUNT' },
      { target: 'var', name: 'crm', type: 'chanvar', value: 'PJSIP_HEADER(read,X-Customer)' },
      { target: 'var', name: 'missing', type: 'chanvar', value: 'PJSIP_HEADER(read,X-Nothing)' },
    ]);
    const out = nextMessage<CallMsg>(node('out'));
    simulator().placeCall({ from: '+15550100', to: '7000', variables: { ACCOUNT: 'a-7' }, headers: { 'X-Customer': 'c-99' } });
    const msg = await out;
    assert.deepEqual(msg.call.vars, {
      greeting: 'welcome',
      attempts: 3,
      vip: true,
      limits: { max: 5 },
      customer: 'c-42',
      tier: 'gold',
      hotline: '+15550111',
      tag: '+15550100/gold',
      region: 'emea',
      dialed: '7000',
      account: 'a-7',
      crm: 'c-99',
      missing: undefined,
    });
    assert.equal(msg.call.trace.at(-1)?.outcome, 'set');
  });

  it('sets variables named as Object.prototype members (__proto__, constructor, toString) as the call\'s own variables', async function () {
    // Valid names a user may pick: "__proto__" assigned plainly would replace the prototype of msg.call.vars (an
    // object) or be dropped without a word (text), and the others must hold the value set, not a function.
    await deploy([
      { target: 'var', name: '__proto__', type: 'json', value: '{"polluted":true}' },
      { target: 'var', name: 'constructor', type: 'str', value: 'first' },
      { target: 'var', name: 'toString', type: 'num', value: '7' },
      { target: 'var', name: 'valueOf', type: 'jsonata', value: 'call.vars.toString + 1' },
      { target: 'var', name: 'fromCall', type: 'call', value: 'vars.hasOwnProperty' },
      { target: 'var', name: 'ownOne', type: 'call', value: 'vars.toString' },
    ]);
    const out = nextMessage<CallMsg>(node('out'));
    simulator().placeCall({ from: '+15550100', to: '7000' });
    const msg = await out;
    const vars: Record<string, unknown> = msg.call.vars;
    assert.equal(Object.getPrototypeOf(vars), Object.prototype, 'msg.call.vars keeps its prototype');
    assert.deepEqual(Object.entries(vars), [['__proto__', { polluted: true }], ['constructor', 'first'], ['toString', 7], ['valueOf', 8], ['fromCall', undefined], ['ownOne', 7]]);
    assert.equal(vars.polluted, undefined);
    const values = (msg.payload as { values: Record<string, unknown> }).values;
    assert.deepEqual(Object.getOwnPropertyDescriptor(values, '__proto__')?.value, { polluted: true });
    assert.equal(Object.getPrototypeOf(values), Object.prototype);
  });

  it('sets channel variables and functions on Asterisk (objects as JSON)', async function () {
    await deploy([
      { target: 'channel', name: 'ACCOUNT', type: 'num', value: '42' },
      { target: 'channel', name: 'CUSTOMER', type: 'msg', value: 'customer' },
      { target: 'channel', name: 'CALLERID(name)', type: 'str', value: 'Gold customer' },
    ]);
    const out = nextMessage<CallMsg>(node('out'));
    const call = simulator().placeCall({ from: '1', to: '2' });
    await out;
    // The connection marks every call as its instance's (CALLFLOW_INSTANCE, docs/instances.md); the rest is the node's.
    const { CALLFLOW_INSTANCE: mark, ...set } = call.report().variables;
    assert.match(mark ?? '', /^[0-9a-f]{24}$/);
    assert.deepEqual(set, { ACCOUNT: '42', CUSTOMER: '{"id":"c-42"}', 'CALLERID(name)': 'Gold customer' });
  });

  it('a value that cannot be read: done(err) naming the variable, and the error output when chosen', async function () {
    await deploy([{ target: 'var', name: 'broken', type: 'jsonata', value: '$number("x") +' }], 'output');
    const failed = nextMessage<CallMsg>(node('failed'));
    const caught = nextMessage<CallMsg>(node('caught'));
    const call = simulator().placeCall({ from: '1', to: '2' });
    const msg = await failed;
    assert.match(msg.error?.message ?? '', /^broken: could not read the jsonata value/);
    assert.match((await caught).error?.message ?? '', /^Error: broken: could not read/);
    assert.equal(call.report().ended, undefined, 'the call goes on through the error output');
  });

  it('refuses a variable name that is not one, and a channel function Asterisk would not take, at deploy time', async function () {
    await helper.load(NODES, [
      { id: 'tab', type: 'tab', label: 'test' },
      { id: 's1', type: 'callflow-set', z: 'tab', assignments: [{ target: 'var', name: '1st place', type: 'str', value: 'x' }], onError: 'hangup', wires: [[]] },
      { id: 's2', type: 'callflow-set', z: 'tab', assignments: [{ target: 'channel', name: 'CALLERID(name', type: 'str', value: 'x' }], onError: 'hangup', wires: [[]] },
      { id: 's3', type: 'callflow-set', z: 'tab', assignments: [], onError: 'hangup', wires: [[]] },
    ]);
    for (const id of ['s1', 's2', 's3']) await waitForStatus(node(id), hasText('callflow.status.invalid-config'));
    const log = loggedText();
    assert.match(log, /assignments\.0\.name: a variable name: a letter or _/);
    assert.match(log, /assignments\.0\.name: a channel variable or function, e\.g\. ACCOUNT or CALLERID\(name\)/);
    assert.match(log, /assignments: 1 to 50 assignments/);
  });
});
