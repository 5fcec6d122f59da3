/**
 * A campaign's associated business result (the specification's "Associate
 * Business Result"), in Node-RED against the simulated Asterisk: only that
 * result, with any of its sub-results, may be set on the task's calls; a
 * callflow-result node setting another code completes with an error naming
 * the code and the allowed one, shows it in its status, and the attempt keeps
 * the result it had. A result remarked after the call through the admin API
 * follows the same rule, keeps the one it replaced, who and when, and shows
 * in the report and the export.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { EmbeddedStore } from '../../lib/store/embedded';
import type { StoredContact } from '../../lib/store/port';
import { campaignConfigs, seedRunningTask } from '../support/campaign-store';
import { CREDS, useSimulator } from '../support/ivr';
import { NODES, helper, nextMessage, node, useNodeRed } from '../support/node-red';
import { useTempDir } from '../support/temp-dir';

const NUMBER = '+8613900000001';

function flows(simUrl: string, storeFile: string, businessResult: string): Record<string, unknown>[] {
  const z = 'results-tab';
  return [
    { id: z, type: 'tab', label: 'results' },
    ...campaignConfigs(simUrl, storeFile, {
      name: 'renewals',
      businessResult,
      policy: { mode: 'global', rule: { byCause: false, maxDays: 1, maxPerDay: 1, intervalSec: 1, causes: [] }, types: [], nonRetry: [] },
    }),
    { id: 'dialer', type: 'callflow-dialer', z, campaign: 'task', wires: [['allowed'], [], ['finished']] },
    // The associated result with a sub-result of it, then a code outside it: the second is refused.
    { id: 'allowed', type: 'callflow-result', z, result: 'sale', subResult: 'plan-b', wires: [['outside']] },
    { id: 'outside', type: 'callflow-result', z, result: 'refused', subResult: '', wires: [['bye']] },
    { id: 'catcher', type: 'catch', z, scope: ['outside'], wires: [['caught', 'bye']] },
    { id: 'caught', type: 'helper', z },
    { id: 'bye', type: 'callflow-hangup', z, reason: 'normal', wires: [] },
    { id: 'finished', type: 'helper', z },
    { id: 'report', type: 'callflow-report', z, campaign: 'task', mask: true, wires: [['reported']] },
    { id: 'reported', type: 'helper', z },
  ];
}

describe("a campaign's associated business result (Node-RED, simulated Asterisk)", function () {
  this.timeout(60_000);
  useNodeRed();
  const simulator = useSimulator(100);
  const temp = useTempDir('callflow-results-');

  interface Run {
    contact: StoredContact;
    caught: { error: { message: string } }[];
    status: { fill?: string; text?: string } | undefined;
  }

  /** One customer called once through the flow above; what the catch node got, the refusing node's last status, the contact as stored. */
  async function run(businessResult: string, whileLoaded: () => Promise<void> = () => Promise.resolve(), outcome: 'answer' | 'busy' = 'answer'): Promise<Run> {
    const storeFile = path.join(temp.path, 'campaign.db');
    await seedRunningTask(storeFile, { id: 'task', name: 'renewals' }, [{ customerId: 'c1', number: NUMBER }]);
    simulator().setNumber(NUMBER, { outcome, ringMs: 200 });
    await helper.load(NODES, flows(simulator().url, storeFile, businessResult), CREDS);
    const caught: { error: { message: string } }[] = [];
    node('caught').on('input', (msg: { error: { message: string } }) => caught.push(msg));
    await nextMessage(node('finished'), 30_000);
    const calls = node('outside').status.getCalls().filter((c) => c.thisValue === node('outside'));
    const status = calls[calls.length - 1]?.args[0] as Run['status'];
    await whileLoaded();
    // The store file is Node-RED's until the flows stop.
    await helper.unload();
    const after = new EmbeddedStore({ file: storeFile });
    await after.open();
    try {
      const contact = (await after.pageContacts('task', { limit: 10 })).items[0];
      assert.ok(contact, 'the customer is in the store');
      return { contact, caught, status };
    } finally {
      await after.close();
    }
  }

  it('refuses a code outside the associated result with an error naming both, its status says so, and the attempt keeps the allowed result and sub-result', async function () {
    const { contact, caught, status } = await run('sale');
    assert.equal(caught.length, 1, 'one error to the Catch node');
    const message = caught[0]?.error.message ?? '';
    assert.match(message, /"refused"/);
    assert.match(message, /only "sale"/);
    assert.match(message, /"renewals"/);
    assert.equal(status?.fill, 'red');
    assert.equal(status?.text, 'refused: not the associated result');
    assert.deepEqual(
      contact.attempts.map((a) => [a.outcome, a.result, a.subResult]),
      [['answered', 'sale', 'plan-b']],
    );
    assert.deepEqual([contact.result?.code, contact.result?.subCode], ['sale', 'plan-b']);
  });

  it('without an associated result, any code may be set: the later one is the result', async function () {
    const { contact, caught, status } = await run('');
    assert.equal(caught.length, 0);
    assert.equal(status?.fill, 'green');
    assert.deepEqual(contact.attempts.map((a) => [a.outcome, a.result]), [['answered', 'refused']]);
    assert.equal(contact.result?.code, 'refused');
  });

  it("remarks the result after the call through the admin API, under the same rule: the attempt keeps the previous result, who and when; the report and the export show the remark", async function () {
    const api = (body: object, customer = 'c1', n = '1') => helper.request().post(`/callflow/campaigns/task/attempts/${customer}/${n}/result`).send(body);
    let report: { customers: { customerId: string; result?: { code: string; subCode?: string }; remarked?: { by: string; previous?: string } }[] } | undefined;
    let csv = '';
    const { contact } = await run('sale', async () => {
      const outside = await api({ result: 'refused' }).expect(422);
      assert.match((outside.body as { message: string }).message, /"refused" is not the associated business result of campaign "renewals": only "sale"/);
      await api({ result: 'sale', subResult: '=cmd()' }).expect(400);
      await api({ result: 'sale' }, 'nobody').expect(404);
      await api({ result: 'sale' }, 'c1', '2').expect(404);
      await api({ result: 'sale' }, 'c1', 'x').expect(400);
      const done = await api({ result: 'sale', subResult: 'plan-c' }).expect(200);
      const attempt = (done.body as { attempt: { result: string; subResult: string; remarked: { by: string; at: number; previous: string; previousSub: string } } }).attempt;
      assert.deepEqual([attempt.result, attempt.subResult, attempt.remarked.by, attempt.remarked.previous, attempt.remarked.previousSub], ['sale', 'plan-c', 'anonymous', 'sale', 'plan-b']);
      assert.ok(Math.abs(attempt.remarked.at - Date.now()) < 60_000, 'remarked now');
      const reported = nextMessage<{ payload: NonNullable<typeof report> }>(node('reported'), 10_000);
      node('report').receive({});
      report = (await reported).payload;
      const exported = nextMessage<{ payload: string }>(node('reported'), 10_000);
      node('report').receive({ topic: 'export' });
      csv = (await exported).payload;
    });
    assert.deepEqual([contact.attempts[0]?.result, contact.attempts[0]?.subResult, contact.attempts[0]?.remarked?.previousSub], ['sale', 'plan-c', 'plan-b']);
    assert.deepEqual([contact.result?.code, contact.result?.subCode], ['sale', 'plan-c']);
    const customer = report?.customers.find((c) => c.customerId === 'c1');
    assert.deepEqual([customer?.result?.code, customer?.result?.subCode, customer?.remarked?.by, customer?.remarked?.previous], ['sale', 'plan-c', 'anonymous', 'sale']);
    const [header, line] = csv.split('\r\n');
    const cells = Object.fromEntries((header ?? '').split(',').map((name, i) => [name, (line ?? '').split(',')[i]]));
    assert.deepEqual([cells.result, cells.subResult, cells.remarkedBy, cells.previousResult, cells.previousSubResult], ['sale', 'plan-c', 'anonymous', 'sale', 'plan-b']);
  });

  it('refuses to remark an attempt that was not answered, and writes nothing', async function () {
    const { contact } = await run(
      '',
      async () => {
        const refused = await helper.request().post('/callflow/campaigns/task/attempts/c1/1/result').send({ result: 'sale' }).expect(409);
        assert.match((refused.body as { message: string }).message, /attempt 1 of customer "c1" was not answered \(busy\)/);
      },
      'busy',
    );
    assert.deepEqual(contact.attempts.map((a) => [a.outcome, a.result, a.remarked]), [['busy', undefined, undefined]]);
  });
});
