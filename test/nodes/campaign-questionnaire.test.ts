/**
 * A campaign's questionnaire setting (the specification's "Questionnaire": none, IVR questionnaire, manual and IVR
 * questionnaire), in Node-RED against the simulated Asterisk, from the Survey campaign example: the answers its IVR
 * asks are the campaign's, answers entered by hand through the admin API are taken for its attempts only when the
 * campaign allows them, the report carries the figures of this campaign's answers and exports them as CSV, a campaign
 * naming a questionnaire that is not deployed does not deploy, and a questionnaire the campaign does not name is asked
 * and stored with a warning.
 */
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import path from 'node:path';
import { readExamples } from '../../lib/playground/home';
import { DEMO_NUMBERS } from '../../lib/playground/demo-numbers';
import type { QuestionnaireFigures } from '../../lib/questionnaire/summary';
import type { NumberBehaviour } from '../../lib/sim/script';
import type { Store } from '../../lib/store/port';
import type { StoreConfigNode } from '../../nodes/store/config';
import { CREDS, messages, useSimulator } from '../support/ivr';
import { NODES, coreNode, helper, loggedText, node, untilLogged, useNodeRed, waitForStatus } from '../support/node-red';
import { useTempDir } from '../support/temp-dir';

const CORE_NODES = ['common/20-inject.js', 'common/21-debug.js', 'common/90-comment.js'].map(coreNode);
const QUESTIONS = '7c0b0000000000c2';

describe("a campaign's questionnaire (Node-RED, simulated Asterisk)", function () {
  this.timeout(60_000);
  useNodeRed();
  const simulator = useSimulator(100);
  const temp = useTempDir('callflow-campaign-questionnaire-');
  beforeEach(function () {
    for (const [n, b] of Object.entries(DEMO_NUMBERS)) simulator().setNumber(n, b as unknown as NumberBehaviour);
  });

  const inject = (name: string): Record<string, unknown> => {
    const found = readExamples()
      .find((e) => e.name === 'Survey campaign')
      ?.nodes.find((n) => n.type === 'inject' && n.name === name);
    if (!found) throw new Error(`no inject "${name}"`);
    return found;
  };

  /** The Survey campaign example on the test's simulator and store; `change` edits the campaign (id "task"). */
  async function deploy(change: (campaign: Record<string, unknown>) => void = () => undefined, extra: Record<string, unknown>[] = []): Promise<Store> {
    const found = readExamples().find((e) => e.name === 'Survey campaign');
    if (!found) throw new Error('no Survey campaign example');
    const nodes = structuredClone(found.nodes).map((n) => {
      if (n.type === 'callflow-asterisk') return { ...n, id: 'a1', useSimulator: false, url: simulator().url };
      if (n.type === 'callflow-store') return { ...n, id: 'st', file: path.join(temp.path, 'callflow.db') };
      const moved: Record<string, unknown> = { ...n };
      if (n.connection) moved.connection = 'a1';
      if (n.store) moved.store = 'st';
      if (n.campaign) moved.campaign = 'task';
      if (n.type === 'callflow-campaign') {
        moved.id = 'task';
        change(moved);
      }
      if (n.type === 'callflow-dialer') Object.assign(moved, { id: 'dialer', wires: [[], [], ['finished']] });
      if (n.type === 'callflow-contacts') Object.assign(moved, { id: 'contacts', wires: [['loaded'], []] });
      if (n.type === 'callflow-report') Object.assign(moved, { id: 'report', wires: [['reported']] });
      return moved;
    });
    const tab = nodes.find((n) => n.type === 'tab')?.id;
    for (const id of ['finished', 'loaded', 'reported']) nodes.push({ id, type: 'helper', z: tab, x: 0, y: 0, wires: [] });
    nodes.push(...extra);
    await helper.load([...NODES, ...CORE_NODES], nodes, CREDS);
    const store = await (helper.getNode('st') as StoreConfigNode).connection?.ready();
    if (!store) throw new Error('the store did not open');
    return store;
  }

  /** Loads the six customers and runs the task until each has finished and each questionnaire's answers are stored. */
  async function runSurvey(): Promise<void> {
    await waitForStatus(node('dialer'), (s) => /^draft/.test(s.text ?? ''), 10_000);
    const loaded = messages<unknown>('loaded', 1, 10_000);
    node('contacts').receive({ payload: JSON.parse(String(inject('load 6 customers').payload)) as unknown });
    await loaded;
    const finished = messages<unknown>('finished', 6, 45_000);
    const saved = new Promise<void>((resolve) => {
      let count = 0;
      const listener = (): void => {
        count += 1;
        if (count < 6) return;
        diagnostics.unsubscribe('callflow:answers', listener);
        resolve();
      };
      diagnostics.subscribe('callflow:answers', listener);
    });
    node('dialer').receive({ topic: 'start' });
    await finished;
    await saved;
  }

  const post = (body: unknown, expect: number) => helper.request().post(`/callflow/questionnaires/${QUESTIONS}/answers`).send(body).expect(expect);
  const message = (res: { body: unknown }): string => (res.body as { message: string }).message;

  it("manual and IVR: takes answers by hand for the campaign's attempts only; the report has this campaign's figures and exports its answers", async function () {
    const store = await deploy();
    await runSurvey();
    // An agent's answers for S002's attempt 1 (the attempt exists), and the refusals.
    const taken = await post({ campaignId: 'task', customerId: 'S002', attempt: 1, answers: [{ question: 'satisfied', answer: 'no' }, { question: 'problem', answer: '2' }] }, 201);
    assert.deepEqual([(taken.body as { campaignId: string }).campaignId, (taken.body as { by: string }).by], ['task', 'editor']);
    assert.equal(message(await post({ campaignId: 'task', customerId: 'S002', attempt: 7, answers: [{ question: 'satisfied', answer: 'no' }] }, 404)), 'campaign "Delivery survey" has no attempt 7 of customer "S002"; nothing was stored');
    assert.equal(message(await post({ campaignId: 'task', customerId: 'S999', attempt: 1, answers: [{ question: 'satisfied', answer: 'no' }] }, 404)), 'campaign "Delivery survey" has no attempt 1 of customer "S999"; nothing was stored');
    assert.match(message(await post({ campaignId: 'gone', customerId: 'S002', attempt: 1, answers: [{ question: 'satisfied', answer: 'no' }] }, 404)), /^no deployed campaign "gone"/);
    assert.deepEqual((await post({ campaignId: 'task', customerId: 'S002', answers: [{ question: 'satisfied', answer: 'no' }] }, 400)).body, {
      message: "answers for a campaign name the customer and the attempt (the agent's call)",
      problems: ['attempt: required with campaignId'],
    });
    assert.deepEqual((await post({ customerId: 'S002', attempt: 1, answers: [{ question: 'satisfied', answer: 'no' }] }, 400)).body, {
      message: 'campaignId: answers for an attempt name its campaign',
      problems: ['campaignId: required with attempt'],
    });
    // Another campaign's answers to the same questionnaire are not this campaign's figures.
    await store.saveAnswers({ id: 'elsewhere', questionnaire: 'delivery', callId: 'x', campaignId: 'other', customerId: 'S001', attempt: 1, at: Date.now(), complete: true, answers: [{ question: 'satisfied', answer: 'yes', at: Date.now() }] });
    const all = await store.pageAnswers('delivery', { limit: 100 });
    assert.equal(all.items.length, 8, 'six callers, the agent, the other campaign');

    const reported = messages<{ payload: { questionnaire?: QuestionnaireFigures } }>('reported', 1, 10_000);
    node('report').receive({ payload: '' });
    const figures = (await reported)[0]?.payload.questionnaire;
    assert.ok(figures, 'the report carries the questionnaire figures');
    assert.deepEqual([figures.questionnaire, figures.responses, figures.completed, figures.partial], ['delivery', 7, 6, 1]);
    const by = Object.fromEntries(figures.questions.map((q) => [q.question, q]));
    assert.deepEqual(by.satisfied?.counts, { no: 4, yes: 3 });
    assert.deepEqual([by.stars?.answered, by.stars?.counts, by.stars?.average], [2, { 4: 1, 5: 1 }, 4.5]);
    assert.deepEqual(by.problem?.counts, { 1: 1, 2: 2, 3: 1 });

    const exported = messages<{ payload: string; filename: string }>('reported', 1, 10_000);
    node('report').receive({ topic: inject('answers CSV').topic });
    const csv = (await exported)[0];
    assert.equal(csv?.filename, 'Delivery-survey-answers.csv');
    const lines = (csv?.payload ?? '').trim().split('\r\n');
    assert.equal(lines.length, 8, 'a header and the campaign\'s seven answers');
    assert.match(lines[0] ?? '', /,satisfied,stars,problem$/);
    assert.ok(!csv?.payload.includes('elsewhere'), "another campaign's answers are not exported");
  });

  it('IVR questionnaire only: refuses answers by hand for the campaign with 409 and the reason, storing nothing', async function () {
    const store = await deploy((c) => {
      c.questionnaire = 'ivr';
    });
    const refused = await post({ campaignId: 'task', customerId: 'S001', attempt: 1, answers: [{ question: 'satisfied', answer: 'yes' }] }, 409);
    assert.equal(
      message(refused),
      'campaign "Delivery survey" does not take answers entered by hand: its questionnaire setting is IVR questionnaire (set it to manual and IVR questionnaire to allow them); nothing was stored',
    );
    assert.deepEqual((await store.pageAnswers('delivery')).items, []);
  });

  it('does not deploy a campaign whose questionnaire is not deployed, naming the field and the node', async function () {
    await deploy((c) => {
      c.questions = 'missing-questions';
    });
    await waitForStatus(node('dialer'), (s) => s.text === 'callflow.status.invalid-config', 10_000);
    await untilLogged(/questions: no callflow-questions node missing-questions is deployed, but the questionnaire setting is manual-ivr/);
  });

  it('a questionnaire the campaign does not name is asked and stored with the campaign, with a warning naming the campaign and the questionnaire; the report has no questionnaire figures', async function () {
    const store = await deploy((c) => {
      c.questionnaire = 'none';
    });
    await runSurvey();
    await untilLogged(/campaign \\"Delivery survey\\" has no questionnaire \(its setting is none\), but this node asks delivery \(callflow-questions 7c0b0000000000c2\)/);
    const docs = (await store.pageAnswers('delivery', { limit: 100 })).items;
    assert.deepEqual(docs.map((d) => [d.campaignId, d.attempt]), Array.from({ length: 6 }, () => ['task', 1]));
    const reported = messages<{ payload: Record<string, unknown> }>('reported', 1, 10_000);
    node('report').receive({ payload: '' });
    assert.equal((await reported)[0]?.payload.questionnaire, undefined);
    const refused = await post({ campaignId: 'task', customerId: 'S001', attempt: 1, answers: [{ question: 'satisfied', answer: 'yes' }] }, 409);
    assert.match(message(refused), /its questionnaire setting is none/);
    assert.ok(!/names the questionnaire/.test(loggedText()), 'the other warning is for another questionnaire');
  });

  it('a campaign naming another questionnaire: the one its flow asks is stored with the campaign, with a warning naming both; the figures are the named one\'s', async function () {
    const other = { id: 'qs2', type: 'callflow-questions', name: 'Other', questionnaire: 'other', store: 'st', questions: [{ id: 'ok', kind: 'yesno', prompts: ['sound:hello-world'] }] };
    const store = await deploy((c) => {
      c.questionnaire = 'ivr';
      c.questions = 'qs2';
    }, [other]);
    await runSurvey();
    await untilLogged(/campaign \\"Delivery survey\\" names the questionnaire other \(callflow-questions qs2\), not delivery \(callflow-questions 7c0b0000000000c2\): the answers are stored with the campaign, customer and attempt/);
    assert.equal((await store.pageAnswers('delivery', { limit: 100 })).items.filter((d) => d.campaignId === 'task').length, 6);
    const reported = messages<{ payload: { questionnaire?: QuestionnaireFigures } }>('reported', 1, 10_000);
    node('report').receive({ payload: '' });
    const figures = (await reported)[0]?.payload.questionnaire;
    assert.deepEqual([figures?.questionnaire, figures?.responses], ['other', 0]);
  });
});
