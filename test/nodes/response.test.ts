/**
 * callflow-response over the wire: each SIP code reaches the caller as
 * that response (through the cause chan_pjsip maps back to it), after
 * early media when asked; an answered call can only be hung up.
 */
import assert from 'node:assert/strict';
import { SIP_RESPONSES, sipResponseForCause } from '../../lib/ari/causes';
import { CREDS, connected, ivrFlow, useSimulator, type CallEndMsg } from '../support/ivr';
import { NODES, helper, hasText, loggedText, nextMessage, node, useNodeRed, waitForStatus } from '../support/node-red';

const RESPONSE = { type: 'callflow-response', code: 486, reason: '', media: [], language: '' };

describe('callflow-response', function () {
  useNodeRed();
  const simulator = useSimulator(100);

  async function deploy(settings: object, answerFirst = false): Promise<void> {
    await helper.load(
      NODES,
      ivrFlow(
        simulator(),
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [[answerFirst ? 'an' : 'rs']] },
          { id: 'an', type: 'callflow-answer', onError: 'hangup', wires: [['rs']] },
          { id: 'rs', ...RESPONSE, ...settings, wires: [] },
          { id: 'end', type: 'callflow-call-end', connection: 'a1', flow: 'main', wires: [['ended']] },
          { id: 'ended', type: 'helper' },
        ],
        ['rs'],
      ),
      CREDS,
    );
    await connected();
  }

  it('maps every code it offers to the cause chan_pjsip turns back into that code', function () {
    for (const [code, { cause }] of Object.entries(SIP_RESPONSES)) assert.equal(sipResponseForCause(cause), Number(code), `SIP ${code} via cause ${cause}`);
  });

  it('rejects with 486 Busy Here after a message played as early media; the call is never answered', async function () {
    await deploy({ code: 486, reason: 'all agents busy', media: ['sound:all-circuits-busy-now'] });
    const ended = nextMessage<CallEndMsg>(node('ended'));
    const completed = nextMessage(node('completed'));
    const call = simulator().placeCall({ from: '+15550100', to: '7000' });
    const sim = await call.ended();
    assert.deepEqual(sim.heard.map((h) => [h.media, h.outcome]), [['sound:all-circuits-busy-now', 'done']]);
    assert.equal(sim.answeredAt, undefined, 'early media: the call was not answered');
    assert.deepEqual([sim.ended?.sipResponse, sim.ended?.cause], [486, 17]);
    await completed;
    const report = (await ended).payload;
    assert.deepEqual([report.by, report.cause, report.answeredAt], ['flow', 17, null]);
    assert.equal(report.trace.at(-1)?.outcome, 'SIP 486 all agents busy');
  });

  it('sends each SIP code of the table as itself', async function () {
    for (const code of Object.keys(SIP_RESPONSES).map(Number)) {
      await helper.unload();
      await deploy({ code });
      const sim = await simulator().placeCall({ from: '1', to: '2' }).ended();
      assert.equal(sim.ended?.sipResponse, code, `SIP ${code}`);
    }
  });

  it('hangs up an answered call with the same cause (no SIP response is possible any more), and says so in the trace', async function () {
    await deploy({ code: 486 }, true);
    const ended = nextMessage<CallEndMsg>(node('ended'));
    const sim = await simulator().placeCall({ from: '1', to: '2' }).ended();
    assert.deepEqual([sim.ended?.cause, sim.ended?.sipResponse, sim.ended?.by], [17, undefined, 'application']);
    assert.equal((await ended).payload.trace.at(-1)?.outcome, 'hung up with cause 17 (already answered)');
  });

  it('when the caller hangs up during the early media: the input completes, nothing reaches Catch', async function () {
    await deploy({ media: ['sound:demo-congrats'] });
    let caught = false;
    node('caught').on('input', () => (caught = true));
    const completed = nextMessage(node('completed'));
    const ended = nextMessage<CallEndMsg>(node('ended'));
    simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-start' }, { hangup: true }] });
    await completed;
    assert.equal((await ended).payload.by, 'caller');
    assert.equal(caught, false);
  });

  it('refuses a code ARI cannot send, at deploy time', async function () {
    await helper.load(NODES, [
      { id: 'tab', type: 'tab', label: 'test' },
      { ...RESPONSE, id: 'bad', z: 'tab', code: 999, wires: [] },
    ]);
    await waitForStatus(node('bad'), hasText('callflow.status.invalid-config'));
    assert.match(loggedText(), /code: a SIP response ARI can send: 403, 404, .*603 \(got 999\)/);
  });
});
