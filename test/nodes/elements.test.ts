/**
 * The call nodes in Node-RED, driven by calls from the simulated Asterisk:
 * what the caller hears, where the msg goes, and that each input completes
 * exactly once (Complete and Catch nodes watch them) on success, error,
 * hangup and node close.
 */
import assert from 'node:assert/strict';
import { CREDS, ivrFlow, connected, messages, useSimulator, type CallEndMsg, type CallMsg } from '../support/ivr';
import { listEngines } from '../../nodes/deployed/engine';
import { NODES, helper, loggedText, nextMessage, node, redeploy, useNodeRed, waitForStatus, hasText } from '../support/node-red';

// Node-RED's own change node, to show core nodes work on msg.call.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const changeNode = require(require.resolve('@node-red/nodes/core/function/15-change.js', { paths: [require.resolve('node-red')] })) as unknown;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const delayNode = require(require.resolve('@node-red/nodes/core/function/89-delay.js', { paths: [require.resolve('node-red')] })) as unknown;

describe('call nodes', function () {
  useNodeRed();
  const simulator = useSimulator();
  const flow = (nodes: object[], watched: string[], options?: { idleTimeoutSec?: number }): object[] => ivrFlow(simulator(), nodes, watched, options);
  const ready = (): Promise<void> => connected();
  let sim: ReturnType<typeof simulator>;
  beforeEach(function () {
    sim = simulator();
  });

  it('answers, plays and hangs up: the caller hears the prompts, msg.call is plain data with the trace', async function () {
    await helper.load(
      NODES,
      flow(
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['an']] },
          { id: 'an', type: 'callflow-answer', onError: 'hangup', wires: [['pl']] },
          { id: 'pl', type: 'callflow-play', prompts: ['sound:hello-world', 'digits:42'], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'hangup', wires: [['spy', 'hu']] },
          { id: 'spy', type: 'helper' },
          { id: 'hu', type: 'callflow-hangup', reason: 'normal', wires: [] },
        ],
        ['pl'],
      ),
      CREDS,
    );
    await ready();
    const completed = nextMessage(node('completed'));
    const seen = nextMessage<CallMsg>(node('spy'));
    const call = sim.placeCall({ from: '+15550100', to: '7000', callerName: 'Ann' });
    const msg = await seen;
    assert.deepEqual(JSON.parse(JSON.stringify(msg.call)), msg.call, 'msg.call is serialisable');
    assert.deepEqual([msg.call.caller.number, msg.call.dialed, msg.call.flow, msg.call.connection], ['+15550100', '7000', 'main', 'a1']);
    assert.deepEqual(msg.call.trace.map((t) => [t.element, t.outcome]), [['entry', 'routed'], ['answer', 'answered'], ['play', 'done']]);
    assert.deepEqual(msg.payload, { outcome: 'done' });
    await completed;
    const report = await call.ended();
    assert.deepEqual(report.heard.map((h) => [h.media, h.outcome]), [['sound:hello-world', 'done'], ['digits:42', 'done']]);
    assert.deepEqual([report.ended?.by, report.ended?.cause], ['application', 16]);
    assert.ok(report.answeredAt);
  });

  it('stops the prompts on a key press (barge-in) and keeps the key', async function () {
    await helper.load(
      NODES,
      flow(
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['pl']] },
          { id: 'pl', type: 'callflow-play', prompts: ['sound:demo-congrats'], language: '', bargeIn: true, repeat: 3, answer: true, onError: 'hangup', wires: [['spy']] },
          { id: 'spy', type: 'helper' },
        ],
        ['pl'],
      ),
      CREDS,
    );
    await ready();
    const seen = nextMessage<CallMsg>(node('spy'));
    const call = sim.placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-start' }, { dtmf: '3' }] });
    const msg = await seen;
    assert.deepEqual(msg.payload, { outcome: 'interrupted', digit: '3' });
    assert.deepEqual(call.report().heard.map((h) => h.outcome), ['stopped']);
  });

  it('when the caller hangs up mid-prompt: no output, the input completes, no error', async function () {
    await helper.load(
      NODES,
      flow(
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['pl']] },
          { id: 'pl', type: 'callflow-play', prompts: ['tone:ring'], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'hangup', wires: [['spy']] },
          { id: 'spy', type: 'helper' },
        ],
        ['pl'],
      ),
      CREDS,
    );
    await ready();
    let forwarded = false;
    node('spy').on('input', () => (forwarded = true));
    let caught = false;
    node('caught').on('input', () => (caught = true));
    const completed = nextMessage(node('completed'));
    const call = sim.placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-start' }, { hangup: true }] });
    await completed;
    await call.ended();
    assert.equal(forwarded, false);
    assert.equal(caught, false);
  });

  it('a missing prompt: done(err) for Catch, and the call is hung up (on error: hang up)', async function () {
    await helper.load(
      NODES,
      flow(
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['pl']] },
          { id: 'pl', type: 'callflow-play', prompts: ['sound:no-such-prompt'], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'hangup', wires: [['spy']] },
          { id: 'spy', type: 'helper' },
        ],
        ['pl'],
      ),
      CREDS,
    );
    await ready();
    const caught = nextMessage<CallMsg>(node('caught'));
    const call = sim.placeCall({ from: '1', to: '2' });
    const msg = await caught;
    assert.match(String((msg.error as { message: string }).message), /Asterisk could not play sound:no-such-prompt/);
    const report = await call.ended();
    assert.deepEqual([report.ended?.by, report.ended?.cause], ['application', 31]);
    await waitForStatus(node('pl'), (s) => s.fill === 'red' && /could not play/.test(s.text ?? ''));
  });

  it('a missing prompt with "continue on the error output": msg.error on output 2, the call goes on', async function () {
    await helper.load(
      NODES,
      flow(
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['pl']] },
          { id: 'pl', type: 'callflow-play', prompts: ['sound:no-such-prompt'], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'output', outputs: 2, wires: [['ok'], ['failed']] },
          { id: 'ok', type: 'helper' },
          { id: 'failed', type: 'helper' },
        ],
        ['pl'],
      ),
      CREDS,
    );
    await ready();
    const caught = nextMessage(node('caught'));
    const failed = nextMessage<CallMsg>(node('failed'));
    const call = sim.placeCall({ from: '1', to: '2' });
    const msg = await failed;
    assert.equal(msg.error?.source.type, 'callflow-play');
    assert.match(msg.error?.message ?? '', /could not play/);
    assert.equal(msg.call.trace.at(-1)?.outcome, 'error');
    await caught;
    assert.equal(call.report().ended, undefined, 'the call is still up');
  });

  it('takes prompts and language from the msg, and refuses malformed ones naming the field', async function () {
    await helper.load(
      [...NODES, changeNode],
      flow(
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['fn']] },
          // A core change node works on msg.call like on any msg.
          { id: 'fn', type: 'change', rules: [{ t: 'set', p: 'prompts', pt: 'msg', to: "call.caller.number = 'bad' ? ['video:cat.mp4'] : 'number:7'", tot: 'jsonata' }], wires: [['pl']] },
          { id: 'pl', type: 'callflow-play', prompts: ['sound:hello-world'], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'hangup', wires: [['spy']] },
          { id: 'spy', type: 'helper' },
        ],
        ['pl'],
      ),
      CREDS,
    );
    await ready();
    const seen = nextMessage(node('spy'));
    const good = sim.placeCall({ from: 'good', to: '2' });
    await seen;
    assert.deepEqual(good.report().heard.map((h) => h.media), ['number:7']);
    const caught = nextMessage<CallMsg>(node('caught'));
    sim.placeCall({ from: 'bad', to: '2' });
    const msg = await caught;
    assert.match((msg.error as { message: string }).message, /^ValidationError: msg\.prompts\.0: a media URI: sound:<file>.*\(got "video:cat\.mp4"\)/);
  });

  it('hangs up a call that leaves through an unwired output, and one nobody handles within the idle time', async function () {
    await helper.load(
      NODES,
      flow(
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['pl']] },
          { id: 'pl', type: 'callflow-play', prompts: ['sound:beep'], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'hangup', wires: [[]] },
          { id: 'e2', type: 'callflow-entry', connection: 'a1', flow: 'quiet', wires: [['nowhere']] },
          { id: 'nowhere', type: 'helper' },
        ],
        ['pl'],
        { idleTimeoutSec: 1 },
      ),
      CREDS,
    );
    await ready();
    const unwired = await sim.placeCall({ from: '1', to: '2', args: ['main'] }).ended();
    assert.equal(unwired.ended?.by, 'application');
    assert.match(loggedText(), /hung up: it left through output 1 \(done\), which is not wired to anything/);
    const idle = await sim.placeCall({ from: '3', to: '4', args: ['quiet'] }).ended();
    assert.equal(idle.ended?.by, 'application');
    assert.match(loggedText(), /hung up: no node handled it for 1 s/);
  });

  it('an unwired output the node marks as ending the call hangs up without a warning', async function () {
    await helper.load(
      NODES,
      flow(
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['pl']] },
          { id: 'pl', type: 'callflow-play', prompts: ['sound:beep'], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'hangup', ends: [1], wires: [[]] },
        ],
        ['pl'],
      ),
      CREDS,
    );
    await ready();
    const report = await sim.placeCall({ from: '1', to: '2', args: ['main'] }).ended();
    assert.deepEqual([report.ended?.by, report.heard.map((h) => h.media)], ['application', ['sound:beep']]);
    assert.doesNotMatch(loggedText(), /which is not wired to anything/);
  });

  it('routes by the Stasis argument, refuses an unknown flow with cause 1 (404), and a duplicate entry', async function () {
    await helper.load(
      NODES,
      flow(
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'sales', wires: [['s1']] },
          { id: 's1', type: 'helper' },
          { id: 'e2', type: 'callflow-entry', connection: 'a1', flow: 'support', wires: [['s2']] },
          { id: 's2', type: 'helper' },
          { id: 'e3', type: 'callflow-entry', connection: 'a1', flow: 'support', wires: [['s2']] },
        ],
        [],
      ),
      CREDS,
    );
    await ready();
    const dup = node('e3');
    await waitForStatus(dup, hasText('callflow.status.duplicate-flow'));
    const toSupport = nextMessage<CallMsg>(node('s2'));
    sim.placeCall({ from: '1', to: '2', args: ['support'] });
    assert.equal((await toSupport).call.flow, 'support');
    const lost = await sim.placeCall({ from: '5', to: '6', args: ['billing'] }).ended();
    assert.deepEqual([lost.ended?.cause, lost.ended?.sipResponse], [1, 404]);
    assert.match(loggedText(), /dropped: the dialplan asked for flow \\"billing\\", which is not deployed \(deployed: sales, support\)/);
  });

  it('refuses a msg without a call, and invalid settings, through Catch', async function () {
    await helper.load(
      NODES,
      [
        { id: 'tab', type: 'tab', label: 'test' },
        { id: 'pl', type: 'callflow-play', z: 'tab', prompts: ['video:x'], language: '', bargeIn: false, repeat: 0, answer: true, onError: 'hangup', wires: [[]] },
        { id: 'an', type: 'callflow-answer', z: 'tab', onError: 'hangup', wires: [[]] },
        { id: 'catcher', type: 'catch', z: 'tab', scope: ['pl', 'an'], uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
      ],
    );
    const pl = node('pl');
    await waitForStatus(pl, hasText('callflow.status.invalid-config'));
    let caught = nextMessage<CallMsg>(node('caught'));
    pl.receive({ payload: 1 });
    assert.match((await caught).error?.message ?? '', /invalid settings: prompts\.0: a media URI.*repeat: a whole number of times from 1 to 10 \(got 0\)/);
    caught = nextMessage<CallMsg>(node('caught'));
    node('an').receive({ payload: 1 });
    assert.match((await caught).error?.message ?? '', /msg\.call is missing/);
    caught = nextMessage<CallMsg>(node('caught'));
    node('an').receive({ call: { id: 'x', connection: 'nope' } });
    assert.match((await caught).error?.message ?? '', /Asterisk connection nope, which is not deployed/);
  });

  it('on a redeploy that does not change the node mid-prompt: the prompt goes on and the call leaves through the new instance', async function () {
    const nodes = [
      { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['pl']] },
      { id: 'pl', type: 'callflow-play', prompts: ['sound:demo-congrats'], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'hangup', wires: [['spy']] },
      { id: 'spy', type: 'helper' },
    ];
    await helper.load(NODES, flow(nodes, ['pl']), CREDS);
    await ready();
    const call = sim.placeCall({ from: '1', to: '2' });
    await waitForStatus(node('pl'), (s) => s.fill === 'blue');
    await redeploy(flow(nodes, ['pl']), CREDS);
    const msg = await nextMessage<CallMsg>(node('spy'));
    assert.deepEqual(msg.call.trace.map((t) => [t.element, t.outcome]), [['entry', 'routed'], ['play', 'done']]);
    const report = call.report();
    assert.deepEqual(report.heard.map((h) => [h.media, h.outcome]), [['sound:demo-congrats', 'done']]);
    assert.equal(report.ended, undefined, 'the call is still up');
    assert.doesNotMatch(loggedText(), /this node was stopped/);
  });

  it('on a redeploy that changes the node mid-prompt: the call is hung up, with a warning', async function () {
    const nodes = (prompt: string): object[] => [
      { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['pl']] },
      { id: 'pl', type: 'callflow-play', prompts: [prompt], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'hangup', wires: [['spy']] },
      { id: 'spy', type: 'helper' },
    ];
    await helper.load(NODES, flow(nodes('sound:demo-congrats'), ['pl']), CREDS);
    await ready();
    const call = sim.placeCall({ from: '1', to: '2' });
    await waitForStatus(node('pl'), (s) => s.fill === 'blue');
    await redeploy(flow(nodes('sound:beep'), ['pl']), CREDS);
    const report = await call.ended();
    assert.equal(report.ended?.by, 'application');
    assert.match(loggedText(), /hung up: this node was stopped \(redeploy or shutdown\) while handling it/);
  });

  it('removed by a deploy while a call waits in it for a key: the wait is cancelled and the call hung up, with a warning', async function () {
    const entry = { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['mn']] };
    const menu = { id: 'mn', type: 'callflow-menu', prompts: ['sound:beep'], options: ['1'], labels: [''], repeatKey: '', timeoutSec: 60, retries: 0, invalidPrompts: [], timeoutPrompts: [], language: '', onError: 'hangup', wires: [['spy'], ['spy'], ['spy']] };
    await helper.load(NODES, flow([entry, menu, { id: 'spy', type: 'helper' }], ['mn']), CREDS);
    await ready();
    const call = sim.placeCall({ from: '1', to: '2' });
    await call.until('playback-end');
    await waitForStatus(node('mn'), (s) => s.fill === 'blue');
    // The menu waits 60 s for a key: only its removal can end the wait within the test's time.
    await redeploy(flow([{ ...entry, wires: [[]] }], []), CREDS);
    const report = await call.ended();
    assert.equal(report.ended?.by, 'application');
    assert.match(loggedText(), /hung up: this node was stopped \(redeploy or shutdown\) while handling it/);
  });

  it('a msg that outlived its call by more than a second (held in a delay node) gets done(err) saying so', async function () {
    await helper.load(
      [...NODES, delayNode],
      flow(
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['hold']] },
          { id: 'hold', type: 'delay', pauseType: 'delay', timeout: '1200', timeoutUnits: 'milliseconds', wires: [['pl']] },
          { id: 'pl', type: 'callflow-play', prompts: ['sound:beep'], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'hangup', wires: [['spy']] },
          { id: 'spy', type: 'helper' },
        ],
        ['pl'],
      ),
      CREDS,
    );
    await ready();
    const caught = nextMessage<CallMsg>(node('caught'));
    const call = sim.placeCall({ from: '1', to: '2', script: [{ hangup: true }] });
    await call.ended();
    const msg = await caught;
    assert.match(msg.error?.message ?? '', new RegExp(`msg\\.call names call ${msg.call.id.replace('.', '\\.')}, which has already ended`));
  });

  it('a caller who hangs up as the call is answered: the input completes, nothing reaches Catch, nothing is left behind', async function () {
    await helper.load(
      NODES,
      flow(
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['an']] },
          { id: 'an', type: 'callflow-answer', onError: 'hangup', wires: [['pl']] },
          { id: 'pl', type: 'callflow-play', prompts: ['sound:demo-congrats'], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'hangup', wires: [['spy']] },
          { id: 'spy', type: 'helper' },
          { id: 'end', type: 'callflow-call-end', connection: 'a1', flow: '', wires: [['ended']] },
          { id: 'ended', type: 'helper' },
        ],
        ['an', 'pl'],
      ),
      CREDS,
    );
    await ready();
    let caught = 0;
    node('caught').on('input', () => (caught += 1));
    let inputs = 0;
    for (const id of ['an', 'pl']) node(id).on('input', () => (inputs += 1));
    let completions = 0;
    let settle: () => void = () => undefined;
    const allCompleted = new Promise<void>((resolve) => (settle = resolve));
    // Every input that started completes: wait until the Complete node has counted as many as there were inputs.
    node('completed').on('input', () => {
      completions += 1;
      if (completions >= 20 && completions === inputs) settle();
    });
    const ended = messages<CallEndMsg>('ended', 20);
    // Many callers, each hanging up at once: the hangup races the answer request.
    const calls = Array.from({ length: 20 }, (_, i) => sim.placeCall({ from: String(i), to: '2', script: [{ hangup: true }] }));
    const reports = await Promise.all(calls.map((c) => c.ended()));
    assert.ok(reports.every((r) => r.ended?.by === 'caller'));
    assert.ok((await ended).every((m) => m.payload.by === 'caller'));
    await allCompleted;
    assert.equal(caught, 0, 'no errors');
    assert.equal(completions, inputs, 'every input completed once');
    assert.equal(listEngines()[0]?.callCount, 0, 'no call left behind');
  });
});
