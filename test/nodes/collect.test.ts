/**
 * callflow-collect over the wire: simulated callers press keys (or not)
 * while the prompt plays, between keys, after retries, in floods, and hang
 * up in the middle.
 */
import assert from 'node:assert/strict';
// Node-RED's own delay node: a msg may wait between elements.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const delayNode = require(require.resolve('@node-red/nodes/core/function/89-delay.js', { paths: [require.resolve('node-red')] })) as unknown;
import { CREDS, connected, ivrFlow, received, useSimulator, type CallEndMsg, type CallMsg } from '../support/ivr';
import { NODES, helper, nextMessage, node, useNodeRed, waitForStatus, hasText, loggedText } from '../support/node-red';

const COLLECT = {
  type: 'callflow-collect',
  prompts: ['sound:vm-enter-num-to-call'],
  minDigits: 4,
  maxDigits: 10,
  firstDigitTimeoutSec: 0.3,
  interDigitTimeoutSec: 0.3,
  terminator: '#',
  pattern: '',
  retries: 0,
  invalidPrompts: ['sound:pbx-invalid'],
  timeoutPrompts: ['sound:please-try-again'],
  variable: 'account',
  language: '',
  onError: 'hangup',
};

describe('callflow-collect', function () {
  useNodeRed();
  const simulator = useSimulator(100);

  /** entry -> collect (settings) -> collected / timeout / invalid helpers, and a call-end node. */
  async function deploy(settings: object, extra: object[] = [], wires?: string[][], first = 'co'): Promise<void> {
    await helper.load(
      [...NODES, delayNode],
      ivrFlow(
        simulator(),
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [[first]] },
          { id: 'co', ...COLLECT, ...settings, wires: wires ?? [['collected'], ['timeout'], ['invalid']] },
          { id: 'collected', type: 'helper' },
          { id: 'timeout', type: 'helper' },
          { id: 'invalid', type: 'helper' },
          { id: 'end', type: 'callflow-call-end', connection: 'a1', flow: '', wires: [['ended']] },
          { id: 'ended', type: 'helper' },
          ...extra,
        ],
        ['co'],
      ),
      CREDS,
    );
    await connected();
  }

  it('collects the digits up to the terminator, stops the prompt at the first key, and stores them under the chosen name', async function () {
    await deploy({ prompts: ['sound:demo-congrats'] });
    const collected = nextMessage<CallMsg>(node('collected'));
    const completed = nextMessage(node('completed'));
    const call = simulator().placeCall({ from: '+15550100', to: '100', script: [{ waitFor: 'playback-start' }, { dtmf: '4711#' }] });
    const msg = await collected;
    assert.deepEqual(msg.payload, { outcome: 'collected', digits: '4711', attempts: 1 });
    assert.equal(msg.call.vars.account, '4711');
    assert.equal(msg.call.trace.at(-1)?.outcome, 'collected');
    await completed;
    assert.deepEqual(call.report().heard.map((h) => [h.media, h.outcome]), [['sound:demo-congrats', 'stopped']]);
  });

  it('stores the digits under a variable named __proto__ as the call\'s own variable (a valid name; plain assignment dropped them)', async function () {
    await deploy({ variable: '__proto__' });
    const collected = nextMessage<CallMsg>(node('collected'));
    simulator().placeCall({ from: '+15550100', to: '100', script: [{ waitFor: 'playback-start' }, { dtmf: '4711#' }] });
    const msg = await collected;
    assert.equal(Object.getOwnPropertyDescriptor(msg.call.vars, '__proto__')?.value, '4711');
  });

  it('ends at the maximum length; keys pressed while the msg waits between elements go to the next one (type-ahead)', async function () {
    await deploy(
      { maxDigits: 4, terminator: '' },
      [
        // 200 ms in a delay node: the caller's fifth key arrives while no element handles the call.
        { id: 'wait', type: 'delay', pauseType: 'delay', timeout: '200', timeoutUnits: 'milliseconds', wires: [['mn']] },
        { id: 'mn', type: 'callflow-menu', prompts: ['sound:vm-extension'], options: ['5'], labels: ['five'], repeatKey: '', timeoutSec: 0.3, retries: 0, invalidPrompts: [], timeoutPrompts: [], language: '', onError: 'hangup', wires: [['five'], [], []] },
        { id: 'five', type: 'helper' },
      ],
      [['wait'], ['timeout'], ['invalid']],
    );
    const five = nextMessage<CallMsg>(node('five'));
    const call = simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-start' }, { dtmf: '12345', gap: 5, duration: 5 }] });
    const msg = await five;
    assert.equal(msg.call.vars.account, '1234');
    assert.deepEqual(msg.payload, { outcome: 'option', key: '5', label: 'five', attempts: 1 });
    assert.deepEqual(call.report().heard.map((h) => h.media), ['sound:vm-enter-num-to-call'], 'the menu prompt was skipped: its key was already pressed');
  });

  it('ignores keys pressed during a prompt without barge-in', async function () {
    await deploy({}, [{ id: 'pl', type: 'callflow-play', prompts: ['sound:demo-congrats'], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'hangup', wires: [['co']] }], undefined, 'pl');
    const timeout = nextMessage<CallMsg>(node('timeout'));
    const call = simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-start' }, { dtmf: '4711#' }] });
    assert.deepEqual((await timeout).payload, { outcome: 'timeout', attempts: 1 });
    assert.deepEqual(call.report().heard.map((h) => [h.media, h.outcome]), [['sound:demo-congrats', 'done'], ['sound:vm-enter-num-to-call', 'done']]);
  });

  it('gives up after the first-key timeout on every attempt, with the timeout prompt between attempts', async function () {
    await deploy({ retries: 1 });
    const timeout = nextMessage<CallMsg>(node('timeout'));
    const call = simulator().placeCall({ from: '1', to: '2' });
    const msg = await timeout;
    assert.deepEqual(msg.payload, { outcome: 'timeout', attempts: 2 });
    assert.equal(msg.call.vars.account, undefined);
    assert.deepEqual(call.report().heard.map((h) => [h.media, h.outcome]), [
      ['sound:vm-enter-num-to-call', 'done'],
      ['sound:please-try-again', 'done'],
      ['sound:vm-enter-num-to-call', 'done'],
    ]);
  });

  it('takes what was typed when the caller stops between keys: too short is invalid, long enough is collected', async function () {
    await deploy({ minDigits: 3 });
    const invalid = nextMessage<CallMsg>(node('invalid'));
    simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-end' }, { dtmf: '12' }] });
    assert.deepEqual((await invalid).payload, { outcome: 'invalid', digits: '12', attempts: 1 });
    const collected = nextMessage<CallMsg>(node('collected'));
    simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-end' }, { dtmf: '123' }] });
    assert.deepEqual((await collected).payload, { outcome: 'collected', digits: '123', attempts: 1 });
  });

  it('checks the pattern: a wrong input plays the invalid prompt and asks again; a right one on the retry is collected', async function () {
    await deploy({ minDigits: 1, pattern: '4[0-9]{3}', retries: 2 });
    const collected = nextMessage<CallMsg>(node('collected'));
    const call = simulator().placeCall({
      from: '1',
      to: '2',
      script: [{ waitFor: 'playback-start' }, { dtmf: '9999#' }, { waitFor: 'playback-start', media: 'vm-enter-num-to-call' }, { dtmf: '4242#' }],
    });
    const msg = await collected;
    assert.deepEqual(msg.payload, { outcome: 'collected', digits: '4242', attempts: 2 });
    assert.deepEqual(call.report().heard.map((h) => h.media), ['sound:vm-enter-num-to-call', 'sound:pbx-invalid', 'sound:vm-enter-num-to-call']);
  });

  it('sends an input that never matches to the invalid output after the retries', async function () {
    await deploy({ minDigits: 1, pattern: '4[0-9]{3}', retries: 1, invalidPrompts: [] });
    const invalid = nextMessage<CallMsg>(node('invalid'));
    simulator().placeCall({ from: '1', to: '2', script: [{ dtmf: '1#' }, { waitFor: 'playback-start' }, { dtmf: '2#' }] });
    assert.deepEqual((await invalid).payload, { outcome: 'invalid', digits: '2', attempts: 2 });
  });

  it('when the caller hangs up mid-collect: no output, the input completes, and the call-end node has the keys', async function () {
    await deploy({});
    const outputs = [...received('collected'), ...received('timeout'), ...received('invalid')];
    const ended = nextMessage<CallEndMsg>(node('ended'));
    const completed = nextMessage(node('completed'));
    let caught = false;
    node('caught').on('input', () => (caught = true));
    simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-start' }, { dtmf: '12' }, { hangup: true }] });
    await completed;
    const report = (await ended).payload;
    assert.equal(report.by, 'caller');
    assert.deepEqual(report.pressed.map((p) => p.digit), ['1', '2']);
    assert.deepEqual(report.trace.map((t) => [t.element, t.outcome]), [['entry', 'routed'], ['collect', 'hangup']]);
    assert.equal(outputs.length, 0);
    assert.equal(caught, false);
  });

  it('survives a flood of keys: the digits it needs, a bounded type-ahead, a bounded history', async function () {
    await deploy(
      { maxDigits: 10, terminator: '' },
      [
        { ...COLLECT, id: 'co2', minDigits: 1, maxDigits: 64, terminator: '', prompts: [], variable: 'rest', wires: [['rest'], [], []] },
        { id: 'rest', type: 'helper' },
      ],
      [['co2'], ['timeout'], ['invalid']],
    );
    const rest = nextMessage<CallMsg>(node('rest'));
    const ended = nextMessage<CallEndMsg>(node('ended'));
    const flood = '0123456789'.repeat(60);
    const call = simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-start' }, { dtmf: flood, gap: 5, duration: 5 }, { hangup: true }] });
    const msg = await rest;
    assert.equal(msg.call.vars.account, '0123456789');
    const typedAhead = String(msg.call.vars.rest);
    assert.ok(typedAhead.length >= 1 && typedAhead.length <= 64, `the next element got ${typedAhead.length} keys`);
    assert.ok(flood.includes(typedAhead), 'keys keep their order');
    const report = (await ended).payload;
    assert.equal(call.report().pressed.length, 600);
    assert.equal(report.pressed.length, 500, 'the call-end history keeps the latest 500 keys');
    assert.deepEqual(report.pressed.at(-1)?.digit, '9');
  });

  it('answers a caller who types 31 digits then *# against the pattern (\\d+)+ (V8 backtracked 95 s, freezing Node-RED)', async function () {
    // On V8's RegExp this input held the event loop for about 95 s: the test (and every call) would stall that long.
    await deploy({ minDigits: 1, maxDigits: 64, pattern: '(\\d+)+', retries: 0, invalidPrompts: [] });
    const invalid = nextMessage<CallMsg>(node('invalid'));
    simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-start' }, { dtmf: `${'1'.repeat(31)}*#`, gap: 5, duration: 5 }] });
    assert.deepEqual((await invalid).payload, { outcome: 'invalid', digits: `${'1'.repeat(31)}*`, attempts: 1 });
    // The pattern still means what it says: digits only.
    const collected = nextMessage<CallMsg>(node('collected'));
    simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-start' }, { dtmf: `${'7'.repeat(31)}#`, gap: 5, duration: 5 }] });
    assert.deepEqual((await collected).payload, { outcome: 'collected', digits: '7'.repeat(31), attempts: 1 });
  });

  it('answers a caller who types 63 digits then * against (\\d+)+: the 64 keys the node reads at most', async function () {
    await deploy({ minDigits: 1, maxDigits: 64, pattern: '(\\d+)+', terminator: '', retries: 0, invalidPrompts: [] });
    const invalid = nextMessage<CallMsg>(node('invalid'));
    // The keys past the 64th are left for the next element (type-ahead); the pattern sees 64 at most.
    simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-start' }, { dtmf: `${'1'.repeat(63)}*#123`, gap: 5, duration: 5 }] });
    assert.deepEqual((await invalid).payload, { outcome: 'invalid', digits: `${'1'.repeat(63)}*`, attempts: 1 });
  });

  it('refuses at deploy a pattern RE2 cannot run (a backreference), naming the field, the value and why', async function () {
    await helper.load(NODES, [
      { id: 'tab', type: 'tab', label: 'test' },
      { ...COLLECT, id: 'c3', name: 'pin', z: 'tab', pattern: '(\\d)\\1', wires: [[], [], []] },
      { ...COLLECT, id: 'c4', z: 'tab', pattern: '(?=1)\\d+', wires: [[], [], []] },
    ]);
    await waitForStatus(node('c3'), hasText('callflow.status.invalid-config'));
    await waitForStatus(node('c4'), hasText('callflow.status.invalid-config'));
    // Node-RED's log line names the node (type, id, name); the message names the field, the value and why.
    const lines = (helper.log().args as [{ id?: string; name?: string; type?: string; msg?: unknown }][]).map(([e]) => e);
    const c3 = lines.find((e) => e.id === 'c3');
    assert.deepEqual([c3?.type, c3?.name, c3?.msg], ['callflow-collect', 'pin', 'invalid settings: pattern: "(\\\\d)\\\\1" is not accepted: invalid escape sequence: `\\1` (backreferences are not supported)']);
    assert.equal(lines.find((e) => e.id === 'c4')?.msg, 'invalid settings: pattern: "(?=1)\\\\d+" is not accepted: invalid or unsupported Perl syntax: `(?=` (lookahead and lookbehind are not supported)');
  });

  it('checks a pattern for the editor as the deploy does (POST /callflow/patterns/check)', async function () {
    await helper.load(NODES, [{ id: 'tab', type: 'tab', label: 'test' }, { ...COLLECT, id: 'c5', z: 'tab', pattern: '4[0-9]{3}', wires: [[], [], []] }]);
    const check = async (pattern: unknown): Promise<unknown> => (await helper.request().post('/callflow/patterns/check').send({ pattern }).expect(200)).body;
    assert.deepEqual(await check('4[0-9]{3}'), { ok: true });
    assert.deepEqual(await check('(\\d+)+'), { ok: true });
    assert.deepEqual(await check(''), { ok: true });
    assert.deepEqual(await check(' (\\d)\\1 '), { ok: false, problem: 'pattern: "(\\\\d)\\\\1" is not accepted: invalid escape sequence: `\\1` (backreferences are not supported)' });
    assert.deepEqual(await check('\\d{1000}\\d{1000}'), { ok: false, problem: 'pattern: "\\\\d{1000}\\\\d{1000}" is not accepted: too complex (its program has 2002 steps, at most 2000); write smaller repetition counts' });
    await helper.request().post('/callflow/patterns/check').send({ pattern: 42 }).expect(400);
    await helper.request().post('/callflow/patterns/check').send(['x']).expect(400);
  });

  it('refuses invalid settings with a red status, a log line and done(err): min above max, a pattern that does not compile', async function () {
    await helper.load(
      NODES,
      [
        { id: 'tab', type: 'tab', label: 'test' },
        { ...COLLECT, id: 'c1', z: 'tab', minDigits: 5, maxDigits: 3, wires: [[], [], []] },
        { ...COLLECT, id: 'c2', z: 'tab', pattern: '([0-9]', wires: [[], [], []] },
        { id: 'catcher', type: 'catch', z: 'tab', scope: ['c1'], uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
      ],
    );
    await waitForStatus(node('c1'), hasText('callflow.status.invalid-config'));
    await waitForStatus(node('c2'), hasText('callflow.status.invalid-config'));
    assert.match(loggedText(), /maxDigits: a whole number of digits, at least the minimum and at most 64 \(got 3\)/);
    assert.match(loggedText(), /pattern: \\"\(\[0-9\]\\" is not accepted: missing closing \): `\(\[0-9\]`/);
    const caught = nextMessage<CallMsg>(node('caught'));
    node('c1').receive({ call: { id: 'x', connection: 'a1' } });
    assert.match((await caught).error?.message ?? '', /invalid settings: maxDigits/);
  });
});
