/**
 * The rules of an outbound call task that span nodes, in Node-RED against
 * the simulated Asterisk (docs/campaigns.md): a task whose IVR flow is not
 * there does not start, and one whose flow disappears while it runs
 * records each answered customer as `flow-missing`, calls them again
 * under the result policy, and suspends itself; calls at a time above the
 * connection's channel limit are refused at deploy, naming the limit.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { rankOf } from '../../lib/campaign/order';
import { readExamples } from '../../lib/playground/home';
import type { ContactInput } from '../../lib/schemas/store';
import type { CallReport } from '../../lib/sim/script';
import { EmbeddedStore } from '../../lib/store/embedded';
import type { StoredContact } from '../../lib/store/port';
import { CREDS, messages, useSimulator } from '../support/ivr';
import { NODES, coreNode, helper, node, redeploy, untilLogged, useNodeRed, waitForStatus } from '../support/node-red';
import { useTempDir } from '../support/temp-dir';

const CORE_NODES = ['common/20-inject.js', 'common/21-debug.js', 'common/90-comment.js'].map(coreNode);


describe('campaign rules in Node-RED (simulated Asterisk)', function () {
  this.timeout(60_000);
  useNodeRed();
  const simulator = useSimulator(100);
  const temp = useTempDir('callflow-rules-');
  let since = '';
  beforeEach(function () {
    since = new Date().toISOString();
  });
  const outbound = (): CallReport[] =>
    simulator()
      .asterisk.reportList()
      .filter((r) => r.direction === 'outbound' && r.startedAt >= since);

  /** The Survey campaign example on the test's simulator and store, with helper nodes on the stage nodes' outputs; `change` edits the campaign. */
  function survey(change: (campaign: Record<string, unknown>) => void = () => undefined): Record<string, unknown>[] {
    const found = readExamples().find((e) => e.name === 'Survey campaign');
    if (!found) throw new Error('no Survey campaign example');
    const nodes = structuredClone(found.nodes).map((n) => {
      if (n.type === 'callflow-asterisk') return { ...n, id: 'a1', useSimulator: false, url: simulator().url };
      if (n.type === 'callflow-store') return { ...n, file: path.join(temp.path, 'callflow.db') };
      const moved: Record<string, unknown> = { ...n };
      if (n.connection) moved.connection = 'a1';
      if (n.type === 'callflow-campaign') {
        moved.id = 'task';
        change(moved);
      }
      if (n.campaign) moved.campaign = 'task';
      if (n.type === 'callflow-dialer') moved.wires = [[], ['failures'], ['finished']];
      if (n.type === 'callflow-contacts') moved.wires = [['loaded'], []];
      if (n.type === 'callflow-dialer') moved.id = 'dialer';
      if (n.type === 'callflow-contacts') moved.id = 'contacts';
      return moved;
    });
    const tab = nodes.find((n) => n.type === 'tab')?.id;
    for (const id of ['failures', 'finished', 'loaded']) nodes.push({ id, type: 'helper', z: tab, x: 0, y: 0, wires: [] });
    return nodes;
  }

  /** The example's flow without its IVR (the `survey` entry and what it leads to). */
  const withoutIvr = (nodes: Record<string, unknown>[]): Record<string, unknown>[] => {
    const ivr = new Set(['callflow-entry', 'callflow-answer', 'callflow-menu', 'callflow-result', 'callflow-play', 'callflow-hangup']);
    return nodes.filter((n) => !ivr.has(String(n.type)));
  };

  async function loadContacts(): Promise<void> {
    await waitForStatus(node('dialer'), (s) => /^draft/.test(s.text ?? ''), 10_000);
    const loaded = messages<unknown>('loaded', 1, 10_000);
    const inject = readExamples().find((e) => e.name === 'Survey campaign')?.nodes.find((n) => n.type === 'inject' && n.name === 'load 6 customers');
    node('contacts').receive({ topic: inject?.topic, payload: JSON.parse(String(inject?.payload)) as unknown });
    await loaded;
  }

  async function contactsInStore(): Promise<StoredContact[]> {
    const store = new EmbeddedStore({ file: path.join(temp.path, 'callflow.db') });
    await store.open();
    try {
      return (await store.pageContacts('task', { limit: 1000 })).items;
    } finally {
      await store.close();
    }
  }

  /** The six customers of the example, answering at once. */
  function everyoneAnswers(): string[] {
    const inject = readExamples().find((e) => e.name === 'Survey campaign')?.nodes.find((n) => n.type === 'inject' && n.name === 'load 6 customers');
    const rows = JSON.parse(String(inject?.payload)) as ContactInput[];
    const numbers = rows.flatMap((r) => r.numbers.map((n) => n.number));
    for (const n of numbers) simulator().setNumber(n, { outcome: 'answer', ringMs: 200 });
    return numbers;
  }

  /** The task's counters once `dialed` attempts are recorded (the admin API lists them; no event says so, so it is asked every 50 ms). */
  function settled(dialed: number): Promise<Record<string, number> | undefined> {
    const deadline = Date.now() + 20_000;
    return new Promise((resolve, reject) => {
      const check = (): void => {
        Promise.resolve(helper.request().get('/callflow/campaigns'))
          .then((res) => {
            const counters = (res.body as { counters?: Record<string, number> }[])[0]?.counters;
            if (counters && counters.dialed === dialed && (counters.answered ?? 0) + (counters.failed ?? 0) === dialed && counters.answered === 0) resolve(counters);
            else if (Date.now() > deadline) reject(new Error(`not settled: ${JSON.stringify(res.body)}`));
            else setTimeout(check, 50);
          })
          .catch(reject);
      };
      check();
    });
  }

  it('refuses to start a task whose IVR flow is not deployed: the dialer says why, done(err) and the admin API too, and nobody is called', async function () {
    everyoneAnswers();
    await helper.load([...NODES, ...CORE_NODES], withoutIvr(survey()), CREDS);
    await loadContacts();
    const refusal = 'start is not allowed: the task\'s IVR flow "survey" cannot take calls: flow "survey" is not deployed on this connection (deployed: none)';
    node('dialer').receive({ topic: 'start' });
    await waitForStatus(node('dialer'), (s) => s.fill === 'red' && s.text === 'Start refused: the task\'s IVR flow survey cannot take calls: flow "survey" is not deployed on this connection (deployed: none)');
    // done(err): Node-RED logs it (the log is JSON here, its quotes escaped).
    await untilLogged(/start is not allowed: the task's IVR flow \W+survey\W+ cannot take calls: flow \W+survey\W+ is not deployed on this connection \(deployed: none\)/);
    const answer = await helper.request().post('/callflow/campaigns/task/start').expect(409);
    assert.equal((answer.body as { message: string }).message, refusal);
    const listed = (await helper.request().get('/callflow/campaigns').expect(200)).body as { state: string }[];
    assert.equal(listed[0]?.state, 'draft', 'still a draft');
    assert.deepEqual(outbound(), [], 'nobody was called');
  });

  it('a running task whose IVR flow is gone: each answered customer is flow-missing (not answered) and kept for a retry, the dialer suspends the task saying why, and once the flow is back they are called again', async function () {
    everyoneAnswers();
    // The task ran before the flow went: its document says running, so it resumes at deploy (no start to refuse).
    const store = new EmbeddedStore({ file: path.join(temp.path, 'callflow.db') });
    await store.open();
    await store.putDocument('campaign', 'task', { state: 'running', changedAt: Date.now(), reason: 'start by test', name: 'Delivery survey', counters: { dialed: 0, answered: 0, failed: 0, finished: 0 } }, 0, Date.now());
    const inject = readExamples().find((e) => e.name === 'Survey campaign')?.nodes.find((n) => n.type === 'inject' && n.name === 'load 6 customers');
    const rows = JSON.parse(String(inject?.payload)) as ContactInput[];
    await store.importContacts('task', rows.map((r) => ({ ...r, rank: rankOf(r, { by: 'priority', attrs: [] }) })), Date.now());
    await store.close();
    // Retries a second apart (the example waits two minutes), so that the test sees them.
    const hurried = (c: Record<string, unknown>): void => {
      c.callsAtATime = 2;
      (c.policy as { rule: { intervalSec: number } }).rule.intervalSec = 1;
    };
    await helper.load([...NODES, ...CORE_NODES], withoutIvr(survey(hurried)), CREDS);
    const suspended = await waitForStatus(node('dialer'), (s) => /^suspended/.test(s.text ?? '') && (s.text ?? '').includes('IVR flow survey missing'), 30_000);
    assert.equal(suspended.fill, 'red');
    assert.match(suspended.text ?? '', /IVR flow survey missing: flow "survey" is not deployed on this connection \(deployed: none\); deploy or release it, then resume/);
    await untilLogged(/campaign Delivery survey suspended: its IVR flow \W+survey\W+ cannot take calls/);
    // The calls placed before the task was suspended end the same way; once each is recorded, none counts as answered.
    const placed = outbound();
    assert.ok(placed.length >= 1);
    const counters = await settled(placed.length);
    assert.deepEqual(counters, { dialed: placed.length, answered: 0, failed: placed.length, finished: 0 });
    await waitForStatus(node('dialer'), (s) => (s.text ?? '').endsWith(`dialed ${placed.length}, answered 0, failed ${placed.length}, left 6`), 5000);
    const contacts = await contactsInStore();
    const tried = contacts.filter((c) => c.attempts.length > 0);
    assert.equal(tried.length, placed.length);
    for (const c of tried) {
      assert.deepEqual(c.attempts.map((a) => a.outcome), ['flow-missing'], `${c.customerId}: the flow was not there to take the answered call`);
      assert.notEqual(c.state, 'done', `${c.customerId} is kept for a retry, not finished as answered`);
    }
    // Resuming while the flow is still missing is refused the same way.
    const answer = await helper.request().post('/callflow/campaigns/task/resume').expect(409);
    assert.match((answer.body as { message: string }).message, /^resume is not allowed: the task's IVR flow "survey" cannot take calls/);

    // The flow is deployed again: the task resumes, and the customers it left are called again, into the flow.
    await redeploy(survey(hurried), CREDS);
    const finished = messages<{ payload: { customerId: string; attempts: { outcome: string }[] } }>('finished', 6, 45_000);
    await helper.request().post('/callflow/campaigns/task/resume').expect(200);
    for (const m of await finished) {
      const before = tried.some((c) => c.customerId === m.payload.customerId) ? ['flow-missing'] : [];
      assert.deepEqual(m.payload.attempts.map((a) => a.outcome), [...before, 'answered'], m.payload.customerId);
    }
  });

  it('an intelligent robot task whose IVR flow holds no callflow-bot does not start, saying why; the list and the dialer show its type', async function () {
    everyoneAnswers();
    await helper.load([...NODES, ...CORE_NODES], survey((c) => (c.taskType = 'robot')), CREDS);
    await loadContacts();
    await waitForStatus(node('dialer'), (s) => /^draft · intelligent robot task · /.test(s.text ?? ''));
    const listed = (await helper.request().get('/callflow/campaigns').expect(200)).body as { taskType: string }[];
    assert.equal(listed[0]?.taskType, 'robot');
    const answer = await helper.request().post('/callflow/campaigns/task/start').expect(409);
    assert.match(
      (answer.body as { message: string }).message,
      /^start is not allowed: the task's IVR flow "survey" cannot take calls: an intelligent robot task needs a callflow-bot element in the flow its calls enter: its flow "survey" has none \(tab ".+"\)$/,
    );
    node('dialer').receive({ topic: 'start' });
    await waitForStatus(node('dialer'), (s) => s.fill === 'red' && /^Start refused: the task's IVR flow survey cannot take calls: an intelligent robot task needs a callflow-bot/.test(s.text ?? ''));
    assert.deepEqual(outbound(), [], 'nobody was called');
  });

  it('an intelligent robot task whose IVR flow holds a callflow-bot starts; a common IVR task (the default) needs none', async function () {
    everyoneAnswers();
    const nodes = survey((c) => (c.taskType = 'robot'));
    const entry = nodes.find((n) => n.type === 'callflow-entry');
    nodes.push({ id: 'robot', type: 'callflow-bot', z: entry?.z, x: 0, y: 0, wires: [] });
    await helper.load([...NODES, ...CORE_NODES], nodes, CREDS);
    await loadContacts();
    await helper.request().post('/callflow/campaigns/task/start').expect(200);
    const listed = (await helper.request().get('/callflow/campaigns').expect(200)).body as { taskType: string; state: string }[];
    assert.deepEqual([listed[0]?.taskType, listed[0]?.state], ['robot', 'running']);
    await helper.request().post('/callflow/campaigns/task/stop').expect(200);
  });

  it('refuses calls at a time above the connection\'s channel limit at deploy, naming the limit', async function () {
    const nodes = survey((c) => (c.callsAtATime = 101));
    await helper.load([...NODES, ...CORE_NODES], nodes, CREDS);
    await untilLogged(/invalid settings: .*callsAtATime: 101 calls at a time exceed the channel limit of the Asterisk connection, 100 channels/);
    await waitForStatus(node('dialer'), (s) => s.text === 'callflow.status.invalid-config');
    const listed = (await helper.request().get('/callflow/campaigns').expect(200)).body as unknown[];
    assert.deepEqual(listed, [], 'the campaign is not deployed');
  });
});
