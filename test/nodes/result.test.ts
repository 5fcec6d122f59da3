/**
 * callflow-result on bad msg values: a code from the msg that is not a
 * result code completes the input with an error that quotes it briefly and
 * escaped, whatever its length (the element fuzz test found a 2,000-character
 * message).
 */
import assert from 'node:assert/strict';
import { NODES, helper, nextMessage, node, useNodeRed } from '../support/node-red';

describe('callflow-result on bad msg values', function () {
  useNodeRed();

  it('refuses a msg.result that is not a result code, quoting it shortened and escaped, however long', async function () {
    await helper.load(NODES, [
      { id: 't', type: 'tab' },
      { id: 'r', type: 'callflow-result', z: 't', result: '', subResult: '', wires: [[]] },
      { id: 'c', type: 'catch', z: 't', scope: ['r'], wires: [['sink']] },
      { id: 'sink', type: 'helper', z: 't' },
    ]);
    const call = { id: 'c1', connection: 'a1' };
    for (const [field, value] of [
      ['result', `<img src=x onerror=1>${'9'.repeat(2000)}`],
      ['subResult', '\u202ehidden\n'.repeat(300)],
    ] as const) {
      const caught = nextMessage<{ error: { message: string } }>(node('sink'));
      node('r').receive({ call, result: field === 'result' ? value : 'ok', subResult: field === 'subResult' ? value : '' });
      const message = (await caught).error.message;
      assert.ok(message.includes(`msg.${field}`), message);
      assert.ok(message.length < 300, `the error is ${message.length} characters long: ${message.slice(0, 120)}`);
      assert.doesNotMatch(message, /[<>\n\u202e]/, 'the value is escaped');
    }
  });
});
