/**
 * Flow tests (docs/releases.md, "Flow test"): a test call through the deployed nodes of an Official version,
 * whose elements take their results from the tester (step by step through the admin API) or from a test case,
 * with core nodes (a switch) between elements working as on a call; never a request to Asterisk, never a count
 * in the version's counters. Bounded by a step and a time limit; hostile cases refused with clear messages.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { CaseReport } from '../../lib/flow-test/case';
import type { RunView } from '../../lib/flow-test/run';
import { findRun } from '../../nodes/deployed/flow-test';
import { requestsNaming, type RequestLog } from '../support/ari-requests';
import { CREDS, useSimulator } from '../support/ivr';
import { NODES, coreNode, hasText, helper, loggedText, node, redeploy, useNodeRed, waitForStatus } from '../support/node-red';
import { useTempDir } from '../support/temp-dir';

const switchNode = coreNode('function/10-switch.js');

describe('flow tests', function () {
  useNodeRed();
  const simulator = useSimulator(10);
  const temp = useTempDir('callflow-flowtest-');
  let ari: RequestLog;
  beforeEach(function () {
    ari = requestsNaming('flowtest');
  });
  afterEach(function () {
    ari.stop();
  });

  const menu = { type: 'callflow-menu', prompts: ['sound:demo-congrats'], options: ['1', '2'], labels: ['sales', 'account'], repeatKey: '', timeoutSec: 5, retries: 0, invalidPrompts: [], timeoutPrompts: [], language: '', onError: 'hangup' };
  const play = { type: 'callflow-play', prompts: ['sound:hello-world'], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'hangup' };

  /**
   * support v1 (Official by its release tag): answer, a menu; 1 sets a variable and transfers, 2 collects an
   * account number that a switch node checks: 1234 is welcomed, anything else refused. "plain" (no versions): a
   * play whose output is not wired. "loop" (no versions): a set node wired to itself.
   */
  const flows = (): object[] => [
    { id: 'a1', type: 'callflow-asterisk', name: '', useSimulator: false, url: simulator().url, app: 'callflow', idleTimeoutSec: 60 },
    { id: 's1', type: 'callflow-store', backend: 'embedded', file: path.join(temp.path, 'callflow.db'), durability: 'normal' },
    { id: 'r1', type: 'callflow-releases', name: 'versions', store: 's1' },
    { id: 't1', type: 'tab', label: 'support v1' },
    { id: 'e1', type: 'callflow-entry', z: 't1', x: 100, y: 100, connection: 'a1', flow: 'support', releases: 'r1', version: 'v1', release: 'official', grayShare: 0, grayCallers: '', wires: [['an']] },
    { id: 'an', type: 'callflow-answer', z: 't1', x: 200, y: 100, name: 'Answer', onError: 'hangup', wires: [['mn']] },
    { id: 'mn', ...menu, z: 't1', x: 300, y: 100, name: 'Main menu', wires: [['st'], ['co'], ['bye'], ['bye']] },
    { id: 'st', type: 'callflow-set', z: 't1', x: 400, y: 50, name: 'Remember', assignments: [{ target: 'var', name: 'choice', type: 'str', value: 'sales' }], onError: 'hangup', wires: [['tr']] },
    { id: 'tr', type: 'callflow-transfer', z: 't1', x: 500, y: 50, name: 'To sales', kind: 'endpoint', endpoint: 'PJSIP/100', onError: 'output', ends: [1], wires: [[], ['bye']] },
    { id: 'co', type: 'callflow-collect', z: 't1', x: 400, y: 150, name: 'Account', prompts: ['sound:vm-extension'], minDigits: 4, maxDigits: 6, terminator: '#', pattern: '', retries: 0, invalidPrompts: [], timeoutPrompts: [], variable: 'account', language: '', onError: 'hangup', wires: [['sw'], ['bye'], ['bye']] },
    {
      id: 'sw', type: 'switch', z: 't1', x: 500, y: 150, name: 'known?', property: 'call.vars.account', propertyType: 'msg',
      rules: [{ t: 'eq', v: '1234', vt: 'str' }, { t: 'else' }], checkall: 'false', repair: false, outputs: 2, wires: [['wl'], ['bye']],
    },
    { id: 'wl', ...play, z: 't1', x: 600, y: 150, name: 'Welcome', wires: [['bye']] },
    { id: 'bye', type: 'callflow-hangup', z: 't1', x: 700, y: 150, name: 'Bye', reason: 'normal', wires: [] },
    { id: 't3', type: 'tab', label: 'plain' },
    { id: 'e3', type: 'callflow-entry', z: 't3', x: 100, y: 100, connection: 'a1', flow: 'plain', wires: [['gr']] },
    { id: 'gr', ...play, z: 't3', x: 200, y: 100, name: 'Greeting', wires: [[]] },
    { id: 't2', type: 'tab', label: 'loop' },
    { id: 'e2', type: 'callflow-entry', z: 't2', x: 100, y: 100, connection: 'a1', flow: 'loop', wires: [['lp']] },
    { id: 'lp', type: 'callflow-set', z: 't2', x: 200, y: 100, name: 'Again', assignments: [{ target: 'var', name: 'n', type: 'jsonata', value: '$number(msg.call.vars.n) + 1' }], onError: 'hangup', wires: [['lp']] },
  ];

  /** "errors" v1 (New, no tag): the exception-handling flow once given its Type and released; "plain"'s play fails to it. */
  const exceptionFlow = (): object[] => [
    { id: 't4', type: 'tab', label: 'errors v1' },
    { id: 'e4', type: 'callflow-entry', z: 't4', x: 100, y: 100, connection: 'a1', flow: 'errors', releases: 'r1', version: 'v1', release: '', grayShare: 0, grayCallers: '', wires: [['sorry']] },
    { id: 'sorry', ...play, z: 't4', x: 200, y: 100, name: 'Sorry', prompts: ['sound:demo-thanks'], wires: [['bye4']] },
    { id: 'bye4', type: 'callflow-hangup', z: 't4', x: 300, y: 100, reason: 'normal', wires: [] },
  ];

  async function deploy(extra: object[] = []): Promise<void> {
    await helper.load([...NODES, switchNode] as never, [...flows(), ...extra], CREDS);
    await waitForStatus(node('e1'), hasText('v1: Official Release'), 10_000).catch((e: Error) => { throw new Error(e.message + loggedText()); });
  }

  const start = (body: object): Promise<{ status: number; body: RunView & { message?: string } }> =>
    helper.request().post('/callflow/flow-tests').send(body) as never;
  const give = (run: string, body: object): Promise<{ status: number; body: RunView & { message?: string } }> =>
    helper.request().post(`/callflow/flow-tests/${run}/result`).send(body) as never;
  const runCase = (body: object): Promise<{ status: number; body: { report: CaseReport; text: string; message?: string } }> =>
    helper.request().post('/callflow/flow-tests/cases').send(body) as never;

  it('runs the official version step by step: each element waits, listing its results, and the path, variables and outcome follow', async function () {
    await deploy();
    let res = await start({ flow: 'support', caller: '+15550100', vars: { lang: 'en' } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const id = res.body.id;
    assert.equal(res.body.version, 'v1', 'official picks v1');
    assert.equal(res.body.state, 'waiting');
    assert.equal(res.body.waiting?.id, 'an');
    assert.deepEqual(res.body.waiting?.results.map((r) => r.result), ['answered', 'hangup', 'error']);
    res = await give(id, { result: 'answered' });
    assert.equal(res.body.waiting?.id, 'mn');
    assert.deepEqual(res.body.waiting?.results.map((r) => [r.result, r.output]), [['option 1', 1], ['option 2', 2], ['timeout', 3], ['invalid', 4], ['hangup', null], ['error', null]]);
    res = await give(id, { result: 'option 2' });
    assert.equal(res.body.waiting?.id, 'co');
    // Digits the node would not take are refused, naming the node; the run still waits there.
    const refused = await give(id, { result: 'collected', value: '12' });
    assert.equal(refused.status, 409);
    assert.match(refused.body.message ?? '', /^collect "Account" \(co\): the result "collected" needs 4 to 6 digits/);
    res = await give(id, { result: 'collected', value: '1234' });
    // The switch node between the two elements read msg.call.vars.account as on a call.
    assert.equal(res.body.waiting?.id, 'wl');
    res = await give(id, { result: 'done' });
    assert.equal(res.body.state, 'waiting');
    assert.equal(res.body.waiting?.id, 'bye');
    res = await give(id, { result: 'hung up' });
    assert.equal(res.body.state, 'ended');
    assert.deepEqual(res.body.steps.map((s) => [s.id, s.result ?? null, s.output]), [
      ['e1', null, 1],
      ['an', 'answered', 1],
      ['mn', 'option 2', 2],
      ['co', 'collected', 1],
      ['wl', 'done', 1],
      ['bye', 'hung up', null],
    ]);
    assert.deepEqual(res.body.steps[3]?.vars, { lang: 'en', account: '1234' }, 'the variables after the collect');
    assert.equal(res.body.outcome?.ended, 'flow');
    assert.equal(res.body.outcome?.node?.id, 'bye');
    const read = await helper.request().get(`/callflow/flow-tests/${id}`).expect(200);
    assert.equal((read.body as RunView).state, 'ended');
    // Never Asterisk, never the version's counters.
    assert.deepEqual(ari.list(), []);
    const versions = await helper.request().get('/callflow/releases/r1').expect(200);
    const v1 = (versions.body as { flows: { flow: string; versions: { version: string; counters: { calls: number }; liveCalls: number }[] }[] }).flows[0]?.versions.find((v) => v.version === 'v1');
    assert.deepEqual([v1?.counters.calls, v1?.liveCalls], [0, 0]);
  });

  const passing = {
    name: 'account 1234 is welcomed',
    flow: 'support',
    results: [{ node: 'Main menu', result: 'option 2' }, { node: 'co', result: 'collected', value: '1234' }],
    expect: { path: ['e1', 'Answer', { node: 'Main menu', output: 2 }, 'Account', 'Welcome', 'Bye'], outcome: { ended: 'flow', node: 'Bye' }, vars: { account: '1234' } },
  };

  it('runs a whole test case: answer, play and hang up take their usual result, the others the case gives', async function () {
    await deploy();
    const res = await runCase(passing);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.report.passed, true, res.body.text);
    assert.deepEqual(res.body.report.run.steps.map((s) => s.given), ['entry', 'default', 'case', 'case', 'default', 'default']);
    assert.match(res.body.text, /^PASS account 1234 is welcomed/);
  });

  it('reports each step that differs from the expected path, naming the node by name and id', async function () {
    await deploy();
    const res = await runCase({ ...passing, name: 'wrong account', results: [passing.results[0], { node: 'co', result: 'collected', value: '9999' }] });
    assert.equal(res.status, 200);
    const { report } = res.body;
    assert.equal(report.passed, false);
    assert.deepEqual(report.differences.map((d) => [d.what, d.step ?? d.name ?? null, d.expected, d.got]), [
      ['path', 5, '"Welcome"', 'hangup "Bye" (bye), result "hung up", outcome "hangup", no output'],
      ['path', 6, '"Bye"', '(the call went no further)'],
      ['vars', 'account', '"1234"', '"9999"'],
    ]);
    assert.match(res.body.text, /^FAIL wrong account\n[\s\S]*differs at step 5:\n {4}expected: "Welcome"\n {4}got: {6}hangup "Bye" \(bye\)/);
  });

  it('ends with the element the call was at when the caller hangs up there, and hands a connected transfer over', async function () {
    await deploy();
    let res = await runCase({ flow: 'support', results: [{ node: 'mn', result: 'hangup' }] });
    assert.deepEqual([res.body.report.run.outcome?.ended, res.body.report.run.outcome?.node?.id], ['caller', 'mn']);
    res = await runCase({ flow: 'support', results: [{ node: 'mn', result: 'option 1' }, { node: 'To sales', result: 'connected' }], expect: { vars: { choice: 'sales' } } });
    assert.equal(res.body.report.passed, true, res.body.text);
    assert.deepEqual(res.body.report.run.steps.map((s) => [s.id, s.given]), [['e1', 'entry'], ['an', 'default'], ['mn', 'case'], ['st', 'runs itself'], ['tr', 'case']]);
    assert.deepEqual([res.body.report.run.outcome?.ended, res.body.report.run.outcome?.node?.id], ['transferred', 'tr']);
    res = await runCase({ flow: 'support', results: [{ node: 'mn', result: 'option 1' }, { node: 'To sales', result: 'busy' }] });
    assert.deepEqual(res.body.report.run.steps.map((s) => [s.id, s.outcome, s.output]).slice(-2), [['tr', 'failed: busy', 2], ['bye', 'hangup', null]]);
    assert.deepEqual(ari.list(), []);
  });

  it('says which output was not wired when the call leaves through one', async function () {
    await deploy();
    const res = await runCase({ flow: 'plain' });
    const outcome = res.body.report.run.outcome;
    assert.equal(outcome?.ended, 'unwired');
    assert.equal(outcome?.message, 'output 1 (done) of play "Greeting" (gr) is not wired');
  });

  it('refuses a result the element cannot take, or a case that has none for an element, naming the node', async function () {
    await deploy();
    let res = await runCase({ flow: 'support', results: [{ node: 'mn', result: 'option 9' }] });
    assert.equal(res.body.report.run.outcome?.ended, 'case');
    assert.equal(res.body.report.run.outcome?.message, 'menu "Main menu" (mn) has no result "option 9": it can take option 1, option 2, timeout, invalid, hangup, error');
    assert.equal(res.body.report.passed, false);
    res = await runCase({ flow: 'support', results: [] });
    assert.match(res.body.report.run.outcome?.message ?? '', /^the call reached menu "Main menu" \(mn\), but the case has no more results \(it gives 0\)/);
    res = await runCase({ flow: 'support', results: [{ node: 'Account', result: 'timeout' }] });
    assert.match(res.body.report.run.outcome?.message ?? '', /^the call reached menu "Main menu" \(mn\), but the case's next result \(1\) is for "Account"/);
  });

  it('refuses a case naming nodes that are not deployed, a version that is not released, and malformed cases, before any call', async function () {
    await deploy();
    let res = await runCase({ flow: 'support', results: [{ node: 'nosuch', result: 'x' }], expect: { path: ['e1', 'Ghost'] } });
    assert.equal(res.status, 400);
    assert.equal(res.body.message, 'the test case names nodes that are not deployed: results[0].node: no deployed node has the id or name "nosuch"; expect.path[1]: no deployed node has the id or name "Ghost"');
    res = await runCase({ flow: 'support', version: 'gray' });
    assert.equal(res.status, 409);
    assert.equal(res.body.message, 'version: flow support has no gray version now');
    res = await runCase({ flow: 'nosuch' });
    assert.equal(res.status, 404);
    res = await runCase({ flow: 'support', results: Array.from({ length: 1001 }, () => ({ node: 'mn', result: 'option 1' })) });
    assert.equal(res.status, 400);
    assert.match(res.body.message ?? '', /results/);
    res = await runCase({ flow: 'support', extra: true });
    assert.equal(res.status, 400);
    const bad = await give('nosuchrun', { result: 'x' });
    assert.equal(bad.status, 404);
    assert.deepEqual(ari.list(), []);
  });

  it('sends a test call whose element fails to the exception-handling flow, as a call would go', async function () {
    await deploy(exceptionFlow());
    await waitForStatus(node('e4'), hasText('v1: New'));
    const v = '/callflow/releases/r1/flows/errors/versions/v1';
    await helper.request().put(`${v}/attributes`).set('X-Callflow-Editor', 'ed').send({ type: 'exception' }).expect(200);
    await helper.request().post(`${v}/edit`).set('X-Callflow-Editor', 'ed').expect(200);
    await helper.request().post(`${v}/done`).set('X-Callflow-Editor', 'ed').expect(200);
    await helper.request().post(`${v}/release`).set('X-Callflow-Editor', 'ed').send({ target: 'official' }).expect(200);
    await redeploy([...flows().map((n) => ((n as { id: string }).id === 'gr' ? { ...n, onError: 'exception' } : n)), ...exceptionFlow()], CREDS);
    await waitForStatus(node('e4'), hasText('v1: Official Release'));
    const res = await runCase({ flow: 'plain', results: [{ node: 'Greeting', result: 'error', value: 'the sound is missing' }], expect: { outcome: { ended: 'flow', exception: 'element-error' } } });
    assert.equal(res.body.report.passed, true, res.body.text);
    assert.deepEqual(res.body.report.run.steps.map((s) => [s.id, s.outcome]), [['e3', 'routed'], ['gr', 'error'], ['e4', 'routed'], ['sorry', 'done'], ['bye4', 'hangup']]);
    assert.match(res.body.report.run.outcome?.exception?.message ?? '', /^callflow-play gr: the sound is missing$/);
    assert.deepEqual(ari.list(), []);
  });

  it('ends a run whose element a deploy removed while the test call waited there, without holding the deploy', async function () {
    await deploy();
    const started = await start({ flow: 'support' });
    assert.equal(started.body.waiting?.id, 'an');
    const run = findRun(started.body.id);
    assert.ok(run);
    await redeploy(flows().filter((n) => (n as { id: string }).id !== 'an'), CREDS);
    const outcome = await run.finished();
    assert.equal(outcome.ended, 'stopped');
    assert.equal(outcome.message, 'answer "Answer" (an) was stopped (a deploy removed it) while the test call waited there');
  });

  it('says the call was dropped when a core node between elements drops the msg (a switch without a matching rule)', async function () {
    const drop = [
      { id: 'a1', type: 'callflow-asterisk', name: '', useSimulator: false, url: simulator().url, app: 'callflow', idleTimeoutSec: 1 },
      { id: 't5', type: 'tab', label: 'drop' },
      { id: 'e5', type: 'callflow-entry', z: 't5', x: 100, y: 100, connection: 'a1', flow: 'drop', wires: [['sw5']] },
      { id: 'sw5', type: 'switch', z: 't5', x: 200, y: 100, name: 'never', property: 'call.vars.x', propertyType: 'msg', rules: [{ t: 'eq', v: 'never', vt: 'str' }], checkall: 'true', repair: false, outputs: 1, wires: [['gr5']] },
      { id: 'gr5', ...play, z: 't5', x: 300, y: 100, wires: [[]] },
    ];
    await helper.load([...NODES, switchNode] as never, drop, CREDS);
    await waitForStatus(node('e5'), hasText('callflow.status.connected'));
    const res = await runCase({ flow: 'drop' });
    const outcome = res.body.report.run.outcome;
    assert.equal(outcome?.ended, 'dropped');
    assert.equal(outcome?.message, 'no node took the call within 1 s (idle: after callflow-entry e5)');
    assert.equal(outcome?.node?.id, 'e5');
  });

  it('ends a loop at the step limit, and a run nobody answers at its time limit', async function () {
    await deploy();
    const res = await runCase({ flow: 'loop', vars: { n: 0 }, limits: { steps: 50 } });
    const run = res.body.report.run;
    assert.equal(run.outcome?.ended, 'limit');
    assert.match(run.outcome?.message ?? '', /more than 50 elements \(the run's step limit\): is there a loop\? It was at set "Again" \(lp\)/);
    assert.equal(run.steps.length, 51, 'the entry and 50 steps');
    assert.deepEqual(run.steps.at(-1)?.vars, { n: 50 }, 'the set node ran itself 50 times');
    const started = await start({ flow: 'support', limits: { seconds: 1 } });
    assert.equal(started.body.waiting?.id, 'an');
    // The run is in this process: its end is awaited, not polled.
    await findRun(started.body.id)?.finished();
    const read = await helper.request().get(`/callflow/flow-tests/${started.body.id}`).expect(200);
    assert.equal((read.body as RunView).outcome?.ended, 'limit');
    assert.match((read.body as RunView).outcome?.message ?? '', /time limit \(1 s\)/);
  });
});
