/**
 * The results elements take in a flow test (lib/flow-test/results.ts) say what the element itself would: a
 * transfer's failure reasons come with a cause the transfer reads as that reason, a collect refuses digits its
 * settings would not take, a menu has one result per key on that key's output; and the test port refuses every
 * request that would reach Asterisk.
 */
import assert from 'node:assert/strict';
import { CallSession } from '../../lib/call/session';
import { failureReason } from '../../lib/ivr/transfer';
import { amdResults, botResults, collectResults, FAILURES, menuResults } from '../../lib/flow-test/results';
import { flowTestTelephony, FlowTestRefusal } from '../../lib/flow-test/telephony';
import { collectConfig, menuConfig } from '../../lib/schemas/elements';

const session = (): CallSession => new CallSession({ channelId: 'flowtest-x', connection: 'c', direction: 'inbound', caller: { number: '100', name: '' }, dialed: 'test', state: 'ringing' });

describe('flow test results', function () {
  it("gives each transfer failure a cause the transfer itself reads as that reason", function () {
    for (const [reason, cause] of FAILURES) assert.equal(failureReason(cause), reason, `${reason} (cause ${cause})`);
  });

  it('collects only digits the node would take, into its variable', function () {
    const config = collectConfig.checkForm({ prompts: ['sound:x'], minDigits: 4, maxDigits: 6, variable: 'pin', pattern: '' });
    assert.ok(config.ok);
    const collected = collectResults(config.value, (d) => d.startsWith('1')).find((r) => r.result === 'collected');
    const s = session();
    assert.match(collected?.apply?.(s, '12') as string, /^needs 4 to 6 digits/);
    assert.match(collected?.apply?.(s, '12a4') as string, /^needs the digits collected/);
    assert.match(collected?.apply?.(s, '2345') as string, /do not match the node's pattern/);
    assert.deepEqual(s.vars, {}, 'nothing set by a refused value');
    assert.deepEqual(collected?.apply?.(s, '1234'), { payload: { outcome: 'collected', digits: '1234', attempts: 1 } });
    assert.deepEqual(s.vars, { pin: '1234' });
  });

  it('gives a menu one result per key, on its output, then timeout and invalid', function () {
    const config = menuConfig.checkForm({ prompts: ['sound:x'], options: ['1', '#'], labels: ['sales', ''] });
    assert.ok(config.ok);
    assert.deepEqual(menuResults(config.value).map((r) => [r.result, r.output]), [['option 1', 0], ['option #', 1], ['timeout', 2], ['invalid', 3]]);
  });

  it('gives answering-machine detection one result per status, with AMDSTATUS in the variables, and the robot a transfer only to a valid queue', function () {
    assert.deepEqual(amdResults().map((r) => [r.result, r.output]), [['human', 0], ['machine', 1], ['notsure', 2]]);
    const s = session();
    amdResults()[1]?.apply?.(s, undefined);
    assert.equal(s.vars.AMDSTATUS, 'MACHINE');
    const transfer = botResults().find((r) => r.result === 'transfer');
    assert.match(transfer?.apply?.(s, 'sales;rm') as string, /^needs the queue/);
    assert.equal(s.vars.botQueue, undefined, 'nothing set by a refused queue');
    assert.deepEqual(transfer?.apply?.(s, 'sales'), { payload: { outcome: 'transfer', queue: 'sales', data: {}, turns: 0 } });
    assert.equal(s.vars.botQueue, 'sales');
  });

  it('refuses every request that would reach Asterisk, naming it', async function () {
    const port = flowTestTelephony();
    await assert.rejects(port.originate({ endpoint: 'PJSIP/100' }), (err: Error) => err instanceof FlowTestRefusal && err.message === 'a flow test does not reach Asterisk (originate was asked for)');
    await assert.rejects(port.play({ channelId: 'x' }, ['sound:hello']), FlowTestRefusal);
  });
});
