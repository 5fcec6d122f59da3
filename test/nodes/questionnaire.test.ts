/**
 * callflow-questionnaire over the wire: every kind of question (single choice, yes/no, a rating of one key and one
 * of two, a number, a spoken answer), skip logic by answer, retries after an invalid key and no key, a question left
 * unanswered (partial), a caller hanging up midway (partial answers stored), the answers in the store, and questions
 * that are invalid at deploy.
 */
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import path from 'node:path';
import type { Question } from '../../lib/schemas/questionnaire';
import type { QuestionnaireAnswers } from '../../lib/schemas/store';
import type { Store } from '../../lib/store/port';
import type { StoreConfigNode } from '../../nodes/store/config';
import { CREDS, connected, ivrFlow, useSimulator, type CallEndMsg, type CallMsg } from '../support/ivr';
import { NODES, helper, loggedText, nextMessage, node, untilLogged, useNodeRed } from '../support/node-red';
import { useTempDir } from '../support/temp-dir';

/** Resolves with the next answers document saved (lib/questionnaire/run.ts publishes each). */
function nextSaved(): Promise<{ id: string; complete: boolean; answers: number }> {
  return new Promise((resolve) => {
    const listener = (message: unknown): void => {
      diagnostics.unsubscribe('callflow:answers', listener);
      resolve(message as { id: string; complete: boolean; answers: number });
    };
    diagnostics.subscribe('callflow:answers', listener);
  });
}

const retrying = { timeoutSec: 0.5, retries: 1, invalidPrompts: ['sound:pbx-invalid'], timeoutPrompts: ['sound:please-try-again'] };

/** Six questions, one of each kind (two ratings), each with its own prompt so the caller knows which is asked. */
const EVERY_KIND: Question[] = [
  { id: 'agree', kind: 'yesno', text: 'Can we ask you a few questions?', prompts: ['sound:hello-world'], ...retrying, branches: [{ answers: ['no'], goto: 'end' }] },
  { id: 'stars', kind: 'rating', min: 1, max: 5, prompts: ['sound:demo-congrats'], ...retrying, branches: [{ answers: ['1', '2'], goto: 'why' }], next: 'recommend' },
  { id: 'why', kind: 'spoken', prompts: ['sound:vm-intro'], maxDurationSec: 30, maxSilenceSec: 3, next: 'end' },
  { id: 'recommend', kind: 'rating', min: 0, max: 10, prompts: ['sound:tt-monkeys'], ...retrying },
  { id: 'channel', kind: 'choice', keys: ['1', '2', '3'], labels: ['web', 'phone', 'shop'], prompts: ['sound:tt-weasels'], ...retrying },
  { id: 'orders', kind: 'number', minDigits: 1, maxDigits: 3, prompts: ['sound:vm-enter-num-to-call'], ...retrying },
];

const at = (media: string): { waitFor: 'playback-start'; media: string } => ({ waitFor: 'playback-start', media });

describe('callflow-questionnaire', function () {
  useNodeRed();
  const simulator = useSimulator(100);
  const temp = useTempDir('callflow-questionnaire-');
  afterEach(async function () {
    await helper.unload();
  });

  async function deploy(questions: unknown[] = EVERY_KIND, store = 'st'): Promise<Store | undefined> {
    const flow = ivrFlow(
      simulator(),
      [
        { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'survey', wires: [['qn']] },
        { id: 'qn', type: 'callflow-questionnaire', questions: 'qs', language: '', onError: 'hangup', wires: [['done'], ['partial']] },
        { id: 'done', type: 'helper' },
        { id: 'partial', type: 'helper' },
        { id: 'end', type: 'callflow-call-end', connection: 'a1', flow: 'survey', wires: [['ended']] },
        { id: 'ended', type: 'helper' },
      ],
      ['qn'],
      {
        configs: [
          { id: 'st', type: 'callflow-store', backend: 'embedded', file: path.join(temp.path, 'callflow.db'), durability: 'normal' },
          { id: 'qs', type: 'callflow-questions', name: 'Delivery', questionnaire: 'delivery', store, questions },
        ],
      },
    );
    await helper.load(NODES, flow, CREDS);
    await connected();
    return (helper.getNode('st') as StoreConfigNode).connection?.ready();
  }

  async function stored(store: Store | undefined): Promise<QuestionnaireAnswers[]> {
    if (!store) throw new Error('the store did not open');
    return (await store.pageAnswers('delivery')).items;
  }

  it('asks every kind of question in turn: yes/no, ratings of one and two keys, a choice with its label, a number; stores the answers', async function () {
    const store = await deploy();
    const done = nextMessage<CallMsg>(node('done'));
    const saved = nextSaved();
    const call = simulator().placeCall({
      from: '+15550100',
      to: '700',
      args: ['survey'],
      script: [at('hello-world'), { dtmf: '1' }, at('demo-congrats'), { dtmf: '4' }, at('tt-monkeys'), { dtmf: '10' }, at('tt-weasels'), { dtmf: '2' }, at('vm-enter-num-to-call'), { dtmf: '12#' }],
    });
    const msg = await done;
    const answers = (msg.payload.answers as { question: string; answer: string; label?: string }[]).map((a) => [a.question, a.answer, a.label]);
    assert.deepEqual(answers, [
      ['agree', 'yes', undefined],
      ['stars', '4', undefined],
      ['recommend', '10', undefined],
      ['channel', '2', 'phone'],
      ['orders', '12', undefined],
    ]);
    assert.deepEqual([msg.payload.outcome, msg.payload.questionnaire, msg.call.trace.at(-1)?.outcome], ['completed', 'delivery', 'completed']);
    const note = await saved;
    assert.deepEqual([note.complete, note.answers], [true, 5]);
    const [doc] = await stored(store);
    assert.deepEqual([doc?.questionnaire, doc?.callId, doc?.flow, doc?.complete, doc?.campaignId], ['delivery', call.id, 'survey', true, undefined]);
    assert.deepEqual(doc?.answers.map((a) => [a.question, a.answer]), answers.map((a) => [a[0], a[1]]));
    assert.ok(doc?.answers.every((a) => typeof a.at === 'number'), 'each answer has its time');
  });

  it('follows the skip logic: a low rating goes to the spoken question (a recording, whose name is the answer), then to the end', async function () {
    const store = await deploy();
    const done = nextMessage<CallMsg>(node('done'));
    const call = simulator().placeCall({
      from: '+15550100',
      to: '700',
      args: ['survey'],
      script: [at('hello-world'), { dtmf: '1' }, at('demo-congrats'), { dtmf: '2' }, { waitFor: 'recording' }, { talk: 2000 }, { dtmf: '#' }],
    });
    const msg = await done;
    const answers = msg.payload.answers as { question: string; answer: string }[];
    assert.deepEqual(answers.map((a) => a.question), ['agree', 'stars', 'why']);
    const report = call.report();
    assert.deepEqual(report.recordings.map((r) => r.name), [answers[2]?.answer]);
    assert.ok(!report.heard.some((h) => h.media === 'sound:tt-monkeys'), 'the questions after "why" were skipped');
    // "no" to the first question ends it at once.
    const saved = nextSaved();
    const refused = nextMessage<CallMsg>(node('done'));
    simulator().placeCall({ from: '+15550101', to: '700', args: ['survey'], script: [at('hello-world'), { dtmf: '2' }] });
    assert.deepEqual(((await refused).payload.answers as { answer: string }[]).map((a) => a.answer), ['no']);
    await saved;
    assert.equal((await stored(store)).length, 2);
  });

  it('after an invalid key and after no key: the question\'s own prompt, the question again; then the answer counts', async function () {
    await deploy();
    const done = nextMessage<CallMsg>(node('done'));
    const call = simulator().placeCall({
      from: '+15550100',
      to: '700',
      args: ['survey'],
      script: [
        at('hello-world'),
        { dtmf: '7' },
        at('hello-world'),
        { dtmf: '1' },
        at('demo-congrats'),
        // Nothing pressed: the timeout prompt, then the question again.
        at('please-try-again'),
        at('demo-congrats'),
        { dtmf: '5' },
        at('tt-monkeys'),
        { dtmf: '07' },
        at('tt-monkeys'),
        { dtmf: '8#' },
        at('tt-weasels'),
        { dtmf: '3' },
        at('vm-enter-num-to-call'),
        { dtmf: '0#' },
      ],
    });
    const msg = await done;
    assert.deepEqual((msg.payload.answers as { answer: string }[]).map((a) => a.answer), ['yes', '5', '8', '3', '0']);
    const heard = call.report().heard.map((h) => h.media);
    assert.deepEqual(heard.filter((m) => m === 'sound:pbx-invalid').length, 2, 'a key that is no answer (7), a mark written 07');
    assert.deepEqual(heard.filter((m) => m === 'sound:please-try-again').length, 1);
  });

  it('a question without a valid answer after its retries: the partial output, with what was answered, stored as not complete', async function () {
    const store = await deploy();
    const partial = nextMessage<CallMsg>(node('partial'));
    const saved = nextSaved();
    simulator().placeCall({ from: '+15550100', to: '700', args: ['survey'], script: [at('hello-world'), { dtmf: '1' }, at('demo-congrats'), { dtmf: '9' }, at('demo-congrats'), { dtmf: '9' }] });
    const msg = await partial;
    assert.deepEqual(msg.payload.stopped, { question: 'stars', reason: 'invalid' });
    assert.deepEqual((msg.payload.answers as { question: string }[]).map((a) => a.question), ['agree']);
    assert.equal((await saved).complete, false);
    const [doc] = await stored(store);
    assert.deepEqual([doc?.complete, doc?.stopped, doc?.answers.length], [false, { question: 'stars', reason: 'invalid' }, 1]);
  });

  it('a caller who hangs up midway: no output, and the answers given are stored (a spoken answer being recorded too)', async function () {
    const store = await deploy();
    const ended = nextMessage<CallEndMsg>(node('ended'));
    let saved = nextSaved();
    simulator().placeCall({ from: '+15550100', to: '700', args: ['survey'], script: [at('hello-world'), { dtmf: '1' }, at('demo-congrats'), { dtmf: '4' }, at('tt-monkeys'), { hangup: true }] });
    await ended;
    await saved;
    let [doc] = await stored(store);
    assert.deepEqual([doc?.complete, doc?.stopped, doc?.answers.map((a) => a.answer)], [false, { question: 'recommend', reason: 'hangup' }, ['yes', '4']]);
    // Hanging up while the spoken answer is recorded: Asterisk keeps what was said; its name is the answer.
    saved = nextSaved();
    const call = simulator().placeCall({ from: '+15550101', to: '700', args: ['survey'], script: [at('hello-world'), { dtmf: '1' }, at('demo-congrats'), { dtmf: '1' }, { waitFor: 'recording' }, { talk: 1000 }, { hangup: true }] });
    const report = await call.ended();
    await saved;
    doc = (await stored(store)).find((d) => d.callId === call.id);
    assert.deepEqual(doc?.stopped, { question: 'why', reason: 'hangup' });
    assert.deepEqual(doc?.answers.map((a) => a.answer), ['yes', '1', report.recordings[0]?.name]);
    assert.doesNotMatch(loggedText(), /answers were not stored/);
  });

  it('refuses calls while its questions are invalid, naming every problem; says so at deploy', async function () {
    await deploy([
      { id: 'a', kind: 'yesno', prompts: ['sound:hello-world'], next: 'b' },
      { id: 'b', kind: 'yesno', prompts: ['sound:hello-world'], branches: [{ answers: ['yes'], goto: 'a' }, { answers: ['no'], goto: 'gone' }] },
    ]);
    const problems = 'questions.1.branches.1.goto: there is no question gone';
    await untilLogged(new RegExp(`the questionnaire is invalid: ${problems}`));
    const caught = nextMessage<{ error: { message: string } }>(node('caught'));
    const call = simulator().placeCall({ from: '+15550100', to: '700', args: ['survey'] });
    assert.match((await caught).error.message, new RegExp(problems));
    assert.deepEqual((await call.ended()).heard, [], 'nothing was asked');
  });
});
