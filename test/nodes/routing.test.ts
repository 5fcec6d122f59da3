/**
 * Inbound routing with a callflow-routing table: by dialed number, number
 * group and account default, with each level's settings; the call that
 * matches nothing; a table that is broken.
 */
import assert from 'node:assert/strict';
import { CREDS, connected, ivrFlow, useSimulator, type CallMsg } from '../support/ivr';
import { NODES, helper, loggedText, nextMessage, node, useNodeRed } from '../support/node-red';

const TABLE = {
  account: { flow: 'main', settings: { language: 'en', firstDigitTimeoutSec: 5 } },
  groups: [{ name: 'support lines', numbers: ['71*', '+15550200'], flow: 'support', settings: { language: 'fr' } }],
  numbers: [
    { number: '7000', flow: 'sales', settings: { ringTimeoutSec: 20 } },
    { number: '7100', settings: { language: 'de' } },
  ],
};

describe('inbound routing (callflow-routing)', function () {
  useNodeRed();
  const simulator = useSimulator(100);

  async function deploy(table: object): Promise<void> {
    await helper.load(
      NODES,
      ivrFlow(
        simulator(),
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['main']] },
          { id: 'main', type: 'helper' },
          { id: 'e2', type: 'callflow-entry', connection: 'a1', flow: 'sales', wires: [['sales']] },
          { id: 'sales', type: 'helper' },
          { id: 'e3', type: 'callflow-entry', connection: 'a1', flow: 'support', wires: [['support']] },
          { id: 'support', type: 'helper' },
        ],
        [],
        { routing: 'rt', configs: [{ id: 'rt', type: 'callflow-routing', name: 'DIDs', ...table }] },
      ),
      CREDS,
    );
    await connected();
  }

  async function route(to: string, where: string): Promise<CallMsg> {
    const seen = nextMessage<CallMsg>(node(where));
    simulator().placeCall({ from: '+15550100', to });
    return seen;
  }

  it('routes by the number, then its group (exact or longest prefix), then the account default, merging each level\'s settings', async function () {
    await deploy(TABLE);
    let msg = await route('7000', 'sales');
    assert.deepEqual([msg.call.flow, msg.call.route, msg.call.settings], ['sales', { level: 'number' }, { language: 'en', firstDigitTimeoutSec: 5, ringTimeoutSec: 20 }]);
    msg = await route('7123', 'support');
    assert.deepEqual([msg.call.flow, msg.call.route, msg.call.settings, msg.call.language], ['support', { level: 'group', group: 'support lines' }, { language: 'fr', firstDigitTimeoutSec: 5 }, 'fr']);
    msg = await route('+15550200', 'support');
    assert.equal(msg.call.route?.level, 'group');
    msg = await route('7100', 'support');
    assert.deepEqual([msg.call.route, msg.call.settings], [{ level: 'group', group: 'support lines' }, { language: 'de', firstDigitTimeoutSec: 5 }], 'a number entry without a flow still gives its settings');
    msg = await route('9999', 'main');
    assert.deepEqual([msg.call.route, msg.call.settings], [{ level: 'account' }, { language: 'en', firstDigitTimeoutSec: 5 }]);
  });

  it('the dialplan\'s flow name wins over the table, and still gets the table\'s settings', async function () {
    await deploy(TABLE);
    const seen = nextMessage<CallMsg>(node('support'));
    simulator().placeCall({ from: '1', to: '7000', args: ['support'] });
    const msg = await seen;
    assert.deepEqual([msg.call.flow, msg.call.route, msg.call.settings?.ringTimeoutSec], ['support', { level: 'dialplan' }, 20]);
  });

  it('ends a call that matches nothing with cause 1 (404 to the caller) and one log line', async function () {
    await deploy({ ...TABLE, account: {} });
    const report = await simulator().placeCall({ from: '+15550100', to: '5555' }).ended();
    assert.deepEqual([report.ended?.cause, report.ended?.sipResponse, report.answeredAt], [1, 404, undefined]);
    const lines = loggedText().match(/dropped: the routing table has no flow for 5555/g) ?? [];
    assert.equal(lines.length, 1);
  });

  it('a table with a number twice is refused at deploy, naming it; calls that need it are refused, not guessed', async function () {
    await deploy({ ...TABLE, numbers: [...TABLE.numbers, { number: '7000', flow: 'main' }] });
    assert.match(loggedText(), /the routing table is invalid: .*7000/);
    const report = await simulator().placeCall({ from: '1', to: '7000' }).ended();
    assert.equal(report.ended?.sipResponse, 404);
    assert.match(loggedText(), /dropped: the routing table of this connection is invalid/);
  });

  it('a table that breaks the schema is refused at deploy with the field and the rule', async function () {
    await deploy({ account: { flow: 'main' }, groups: [{ name: 'x', numbers: ['12a'], flow: 'support' }], numbers: [{ number: '7000', flow: 'no spaces' }] });
    const log = loggedText();
    assert.match(log, /groups\.0\.numbers\.0: a number \(\+15550100\) or a prefix ending in \*/);
    assert.match(log, /numbers\.0\.flow: a flow name/);
  });
});
