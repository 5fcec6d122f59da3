/**
 * The questionnaire admin API: answers entered by hand (as an agent's desktop would), checked as a caller's keys
 * are; the stored answers a page at a time; the figures (counts per answer, averages of ratings and numbers); the
 * CSV export, formula-safe and with number answers masked; and the refusals (no such node, no store, bad input).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { csvRecords } from '../../lib/campaign/csv';
import { ANSWERS_CSV_PAGE } from '../../lib/questionnaire/answers-csv';
import type { Question } from '../../lib/schemas/questionnaire';
import type { QuestionnaireAnswers } from '../../lib/schemas/store';
import type { Store } from '../../lib/store/port';
import type { StoreConfigNode } from '../../nodes/store/config';
import { CREDS, ivrFlow, useSimulator } from '../support/ivr';
import { NODES, helper, useNodeRed } from '../support/node-red';
import { useTempDir } from '../support/temp-dir';

const P = ['sound:hello-world'];
const QUESTIONS: Question[] = [
  { id: 'stars', kind: 'rating', min: 1, max: 5, prompts: P },
  { id: 'channel', kind: 'choice', keys: ['1', '2', '3'], labels: ['web', 'phone', 'shop'], prompts: P },
  { id: 'again', kind: 'yesno', prompts: P },
  { id: 'account', kind: 'number', minDigits: 4, maxDigits: 12, prompts: P },
  { id: 'why', kind: 'spoken', prompts: P },
];

describe('questionnaires through the admin API', function () {
  useNodeRed();
  const simulator = useSimulator(100);
  const temp = useTempDir('callflow-questionnaire-api-');
  afterEach(async function () {
    await helper.unload();
  });

  async function deploy(): Promise<Store> {
    const flow = ivrFlow(simulator(), [], [], {
      configs: [
        { id: 'st', type: 'callflow-store', backend: 'embedded', file: path.join(temp.path, 'callflow.db'), durability: 'normal' },
        { id: 'qs', type: 'callflow-questions', questionnaire: 'delivery', store: 'st', questions: QUESTIONS },
        { id: 'nostore', type: 'callflow-questions', questionnaire: 'other', store: '', questions: QUESTIONS },
        { id: 'badq', type: 'callflow-questions', questionnaire: 'bad', store: 'st', questions: [{ ...QUESTIONS[0], next: 'nowhere' }] },
      ],
    });
    await helper.load(NODES, flow, CREDS);
    const store = await (helper.getNode('st') as StoreConfigNode).connection?.ready();
    if (!store) throw new Error('the store did not open');
    return store;
  }

  const post = async (body: unknown, expect: number): Promise<Record<string, unknown>> => (await helper.request().post('/callflow/questionnaires/qs/answers').send(body).expect(expect)).body as Record<string, unknown>;

  it('takes answers entered by hand, checked as a caller\'s keys are, and stores them with who entered them', async function () {
    const store = await deploy();
    // Answers for a campaign's attempt are test/nodes/campaign-questionnaire.test.ts's: these name a customer only.
    const doc = await post({ customerId: 'S001', answers: [{ question: 'channel', answer: '2' }, { question: 'why', answer: 'late twice' }] }, 201);
    assert.deepEqual([doc.questionnaire, doc.campaignId, doc.customerId, doc.attempt, doc.complete, doc.by], ['delivery', undefined, 'S001', undefined, true, 'editor']);
    assert.deepEqual((doc.answers as { label?: string }[]).map((a) => a.label), ['phone', undefined], "a choice's label comes from the questionnaire");
    assert.deepEqual((await store.pageAnswers('delivery')).items, [doc]);
    const refused = await post(
      {
        answers: [
          { question: 'stars', answer: '6' },
          { question: 'channel', answer: '4' },
          { question: 'again', answer: '1' },
          { question: 'account', answer: '12ab' },
          { question: 'nope', answer: '1' },
          { question: 'stars', answer: '5' },
        ],
      },
      400,
    );
    assert.deepEqual(refused.problems, [
      'answers.0.answer: stars: one of 1, 2, 3, 4, 5 (got "6")',
      'answers.1.answer: channel: one of 1, 2, 3 (got "4")',
      'answers.2.answer: again: one of yes, no (got "1")',
      'answers.3.answer: account: 4 to 12 digits (got "12ab")',
      'answers.4.question: the questionnaire delivery has no question nope',
      'answers.5.question: stars is answered twice',
    ]);
    const hostile = await post({ answers: [], extra: '<script>' }, 400);
    assert.deepEqual(hostile.problems, ['extra: is not a known setting', 'answers: 1 to 100 answers (got [])']);
    assert.equal((await store.pageAnswers('delivery')).items.length, 1, 'nothing refused was stored');
  });

  it('gives the figures: responses, completed and partial, counts per answer and the averages of a rating and a number', async function () {
    const store = await deploy();
    const answers = (id: string, given: [string, string][], complete = true): QuestionnaireAnswers => ({ id, questionnaire: 'delivery', callId: `call-${id}`, at: 1_700_000_000_000, complete, answers: given.map(([question, answer]) => ({ question, answer })) });
    await store.saveAnswers(answers('a', [['stars', '5'], ['channel', '1'], ['again', 'yes'], ['account', '1000'], ['why', 'answer-why-1']]));
    await store.saveAnswers(answers('b', [['stars', '2'], ['channel', '1'], ['again', 'no']]));
    await store.saveAnswers(answers('c', [['stars', '5'], ['gone', 'x']], false));
    const figures = (await helper.request().get('/callflow/questionnaires/qs/figures').expect(200)).body as { responses: number; completed: number; partial: number; questions: Record<string, unknown>[] };
    assert.deepEqual([figures.responses, figures.completed, figures.partial], [3, 2, 1]);
    assert.deepEqual(
      figures.questions.map((q) => [q.question, q.answered, q.counts, q.average]),
      [
        ['stars', 3, { 2: 1, 5: 2 }, 4],
        ['channel', 2, { 1: 2 }, undefined],
        ['again', 2, { no: 1, yes: 1 }, undefined],
        ['account', 1, {}, 1000],
        ['why', 1, {}, undefined],
      ],
    );
  });

  it('exports the answers as CSV a page of the store at a time: a column per question, formulas defused, number answers masked', async function () {
    const store = await deploy();
    await post({ customerId: 'S002', answers: [{ question: 'account', answer: '13800001234' }, { question: 'why', answer: '=HYPERLINK("http://x","click")' }, { question: 'channel', answer: '3' }] }, 201);
    // More than a page of the store, so the export reads several.
    for (let i = 0; i < ANSWERS_CSV_PAGE + 5; i += 1) {
      await store.saveAnswers({ id: `bulk-${String(i).padStart(4, '0')}`, questionnaire: 'delivery', callId: `c${i}`, at: 1_700_000_000_000 + i, answers: [{ question: 'stars', answer: '4' }] });
    }
    const res = await helper.request().get('/callflow/questionnaires/qs/answers.csv').expect(200);
    assert.match(String(res.headers['content-type']), /^text\/csv/);
    assert.match(String(res.headers['content-disposition']), /filename="answers-delivery\.csv"/);
    const rows = [...csvRecords(res.text)].map((r) => r.record);
    assert.equal(rows.length, ANSWERS_CSV_PAGE + 6);
    const manual = rows.find((r) => r.customerId === 'S002');
    assert.deepEqual([manual?.account, manual?.why, manual?.channel, manual?.by, manual?.stars], ['*******1234', '\'=HYPERLINK("http://x","click")', '3 shop', 'editor', '']);
    const unmasked = [...csvRecords((await helper.request().get('/callflow/questionnaires/qs/answers.csv?mask=false').expect(200)).text)].map((r) => r.record);
    assert.equal(unmasked.find((r) => r.customerId === 'S002')?.account, '13800001234');
    // The JSON listing pages the same documents.
    const first = (await helper.request().get('/callflow/questionnaires/qs/answers?limit=2').expect(200)).body as { items: unknown[]; next?: string };
    assert.equal(first.items.length, 2);
    assert.ok(first.next);
    await helper.request().get('/callflow/questionnaires/qs/answers?limit=0').expect(400);
  });

  it('checks a form\'s questions as the node does at deploy: the schema, then references and loops', async function () {
    await deploy();
    const check = async (questions: unknown): Promise<unknown> => (await helper.request().post('/callflow/questionnaires/check').send({ questionnaire: 'delivery', store: '', questions }).expect(200)).body;
    assert.deepEqual(await check(QUESTIONS), { ok: true });
    assert.deepEqual(await check([{ ...QUESTIONS[0], next: 'again' }, { ...QUESTIONS[2], next: 'stars' }, QUESTIONS[2]]), {
      ok: false,
      problems: ['questions.2.id: again is used by question 2 too; each question needs its own id'],
    });
    assert.deepEqual(await check([{ ...QUESTIONS[0], next: 'again' }, { ...QUESTIONS[2], next: 'stars' }]), {
      ok: false,
      problems: ['questions: the skip logic goes round in a loop (stars -> again -> stars); a caller would be asked for ever'],
    });
    assert.deepEqual(((await check('x')) as { problems: string[] }).problems, ['questions: 1 to 100 questions (got "x")']);
  });

  it('refuses a node that is not deployed (404), keeps no answers or is invalid (409)', async function () {
    await deploy();
    await helper.request().get('/callflow/questionnaires/gone/figures').expect(404);
    await helper.request().get('/callflow/questionnaires/st/figures').expect(404);
    const none = (await helper.request().post('/callflow/questionnaires/nostore/answers').send({ answers: [{ question: 'again', answer: 'yes' }] }).expect(409)).body as { message: string };
    assert.match(none.message, /keeps no answers: choose a store/);
    const bad = (await helper.request().get('/callflow/questionnaires/badq/answers.csv').expect(409)).body as { problems: string[] };
    assert.deepEqual(bad.problems, ['questions.0.next: there is no question nowhere']);
  });
});
