/**
 * callflow-menu over the wire: a key per output, timeouts, invalid keys,
 * retries, the repeat key, a key pressed before the menu, a hangup, and
 * the checks on its settings (keys used twice, a repeat key that is an
 * option) at deploy time.
 */
import assert from 'node:assert/strict';
import { CREDS, connected, ivrFlow, received, useSimulator, type CallEndMsg, type CallMsg } from '../support/ivr';
import { NODES, helper, hasText, loggedText, nextMessage, node, useNodeRed, waitForStatus } from '../support/node-red';

const MENU = {
  type: 'callflow-menu',
  prompts: ['sound:demo-congrats'],
  options: ['1', '2', '0'],
  labels: ['sales', 'support', ''],
  repeatKey: '*',
  timeoutSec: 0.3,
  retries: 1,
  invalidPrompts: ['sound:pbx-invalid'],
  timeoutPrompts: ['sound:please-try-again'],
  language: '',
  onError: 'hangup',
};

describe('callflow-menu', function () {
  useNodeRed();
  const simulator = useSimulator(100);

  async function deploy(settings: object = {}, before: object[] = []): Promise<void> {
    await helper.load(
      NODES,
      ivrFlow(
        simulator(),
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [[before.length > 0 ? 'pl' : 'mn']] },
          ...before,
          { id: 'mn', ...MENU, ...settings, wires: [['o1'], ['o2'], ['o0'], ['timeout'], ['invalid']] },
          { id: 'o1', type: 'helper' },
          { id: 'o2', type: 'helper' },
          { id: 'o0', type: 'helper' },
          { id: 'timeout', type: 'helper' },
          { id: 'invalid', type: 'helper' },
          { id: 'end', type: 'callflow-call-end', connection: 'a1', flow: 'main', wires: [['ended']] },
          { id: 'ended', type: 'helper' },
        ],
        ['mn'],
      ),
      CREDS,
    );
    await connected();
  }

  it('sends the call through the output of the key pressed, with its label, stopping the prompt', async function () {
    await deploy();
    const support = nextMessage<CallMsg>(node('o2'));
    const completed = nextMessage(node('completed'));
    const call = simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-start' }, { dtmf: '2' }] });
    const msg = await support;
    assert.deepEqual(msg.payload, { outcome: 'option', key: '2', label: 'support', attempts: 1 });
    assert.equal(msg.call.trace.at(-1)?.outcome, 'option 2');
    await completed;
    assert.deepEqual(call.report().heard.map((h) => h.outcome), ['stopped']);
    const zero = nextMessage<CallMsg>(node('o0'));
    simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-end' }, { dtmf: '0' }] });
    assert.deepEqual((await zero).payload, { outcome: 'option', key: '0', attempts: 1 }, 'an option without a label has none in the payload');
  });

  it('takes a key pressed during an earlier prompt with barge-in, without playing the menu', async function () {
    await deploy({}, [{ id: 'pl', type: 'callflow-play', prompts: ['sound:tt-monkeys'], language: '', bargeIn: true, repeat: 1, answer: true, onError: 'hangup', wires: [['mn']] }]);
    const sales = nextMessage<CallMsg>(node('o1'));
    const call = simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-start' }, { dtmf: '1' }] });
    assert.equal((await sales).payload.key, '1');
    assert.deepEqual(call.report().heard.map((h) => [h.media, h.outcome]), [['sound:tt-monkeys', 'stopped']]);
  });

  it('after no key on every attempt: the timeout prompt, the menu again, then the timeout output', async function () {
    await deploy();
    const timeout = nextMessage<CallMsg>(node('timeout'));
    const call = simulator().placeCall({ from: '1', to: '2' });
    assert.deepEqual((await timeout).payload, { outcome: 'timeout', attempts: 2 });
    assert.deepEqual(call.report().heard.map((h) => h.media), ['sound:demo-congrats', 'sound:please-try-again', 'sound:demo-congrats']);
  });

  it('after a key that is no option on every attempt: the invalid prompt, the menu again, then the invalid output', async function () {
    await deploy();
    const invalid = nextMessage<CallMsg>(node('invalid'));
    const call = simulator().placeCall({
      from: '1',
      to: '2',
      script: [{ waitFor: 'playback-start' }, { dtmf: '7' }, { waitFor: 'playback-start', media: 'demo-congrats' }, { dtmf: '#' }],
    });
    assert.deepEqual((await invalid).payload, { outcome: 'invalid', key: '#', attempts: 2 });
    assert.deepEqual(call.report().heard.map((h) => h.media), ['sound:demo-congrats', 'sound:pbx-invalid', 'sound:demo-congrats']);
  });

  it('recovers on the retry: an invalid key, then a valid one', async function () {
    await deploy();
    const sales = nextMessage<CallMsg>(node('o1'));
    simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-start' }, { dtmf: '9' }, { waitFor: 'playback-start', media: 'demo-congrats' }, { dtmf: '1' }] });
    assert.deepEqual((await sales).payload, { outcome: 'option', key: '1', label: 'sales', attempts: 2 });
  });

  it('plays the menu again on the repeat key without using up an attempt', async function () {
    await deploy({ retries: 0 });
    const sales = nextMessage<CallMsg>(node('o1'));
    const call = simulator().placeCall({
      from: '1',
      to: '2',
      script: [{ waitFor: 'playback-start' }, { dtmf: '*' }, { waitFor: 'playback-start' }, { dtmf: '*' }, { waitFor: 'playback-start' }, { dtmf: '1' }],
    });
    assert.deepEqual((await sales).payload, { outcome: 'option', key: '1', label: 'sales', attempts: 1 });
    assert.deepEqual(call.report().heard.map((h) => h.media), ['sound:demo-congrats', 'sound:demo-congrats', 'sound:demo-congrats']);
  });

  it('when the caller hangs up mid-menu: no output, the input completes, the call-end node reports the caller', async function () {
    await deploy();
    const outputs = ['o1', 'o2', 'o0', 'timeout', 'invalid'].flatMap((id) => received(id));
    const completed = nextMessage(node('completed'));
    const ended = nextMessage<CallEndMsg>(node('ended'));
    simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-start' }, { hangup: true }] });
    await completed;
    const report = (await ended).payload;
    assert.equal(report.by, 'caller');
    assert.equal(report.trace.at(-1)?.outcome, 'hangup');
    assert.equal(outputs.length, 0);
  });

  it('refuses a key used twice, a repeat key that is an option, and an empty prompt, at deploy time', async function () {
    await helper.load(NODES, [
      { id: 'tab', type: 'tab', label: 'test' },
      { ...MENU, id: 'twice', z: 'tab', options: ['1', '2', '1'], wires: [[], [], [], [], []] },
      { ...MENU, id: 'repeat', z: 'tab', repeatKey: '2', wires: [[], [], [], [], []] },
      { ...MENU, id: 'silent', z: 'tab', prompts: [], wires: [[], [], [], [], []] },
    ]);
    for (const id of ['twice', 'repeat', 'silent']) await waitForStatus(node(id), hasText('callflow.status.invalid-config'));
    const log = loggedText();
    assert.match(log, /options: 1 to 12 keys, each used once/);
    assert.match(log, /repeatKey: a key that replays the menu, not one of the options/);
    assert.match(log, /prompts: a list of 1 to 50 media URIs \(the menu must say something\)/);
  });
});
