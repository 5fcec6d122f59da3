/**
 * callflow-record over the wire: a message ended by a key, by silence, by
 * the maximum length, and by the caller hanging up (the recording is kept
 * and named in the call-end report).
 */
import assert from 'node:assert/strict';
import { CREDS, connected, ivrFlow, useSimulator, type CallEndMsg, type CallMsg } from '../support/ivr';
import { NODES, helper, nextMessage, node, useNodeRed } from '../support/node-red';

const RECORD = {
  type: 'callflow-record',
  prefix: 'voicemail',
  format: 'wav',
  maxDurationSec: 60,
  maxSilenceSec: 0,
  beep: true,
  terminateOn: '#',
  prompts: ['sound:vm-intro'],
  variable: 'message',
  language: '',
  onError: 'hangup',
};

describe('callflow-record', function () {
  useNodeRed();
  const simulator = useSimulator(100);

  async function deploy(settings: object): Promise<void> {
    await helper.load(
      NODES,
      ivrFlow(
        simulator(),
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['rc']] },
          { id: 'rc', ...RECORD, ...settings, wires: [['out']] },
          { id: 'out', type: 'helper' },
          { id: 'end', type: 'callflow-call-end', connection: 'a1', flow: 'main', wires: [['ended']] },
          { id: 'ended', type: 'helper' },
        ],
        ['rc'],
      ),
      CREDS,
    );
    await connected();
  }

  it('records after the prompt until the caller presses #, and names the recording in msg.call.vars and msg.payload', async function () {
    await deploy({});
    const out = nextMessage<CallMsg>(node('out'));
    const call = simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'recording' }, { talk: 3000 }, { dtmf: '#' }] });
    const msg = await out;
    const payload = msg.payload as { outcome: string; name: string; format: string; durationSec: number; state: string };
    assert.equal(payload.outcome, 'recorded');
    assert.match(payload.name, new RegExp(`^voicemail-${msg.call.id.replace('.', '\\.')}-[0-9a-f]{8}$`));
    assert.deepEqual([payload.format, payload.state], ['wav', 'done']);
    // 3 s of talk from the recording's start, then #: at least 3 s (a busy machine may add simulated time, never remove it).
    assert.ok(payload.durationSec >= 3, `${payload.durationSec} s`);
    assert.deepEqual(msg.call.vars.message, { name: payload.name, format: 'wav', durationSec: payload.durationSec, state: 'done' });
    const report = call.report();
    assert.deepEqual(report.heard.map((h) => h.media), ['sound:vm-intro']);
    assert.deepEqual(report.recordings.map((r) => r.name), [payload.name]);
  });

  it('names the recording under a variable called __proto__ as the call\'s own variable, not as the prototype of msg.call.vars', async function () {
    await deploy({ variable: '__proto__' });
    const out = nextMessage<CallMsg>(node('out'));
    simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'recording' }, { talk: 500 }, { dtmf: '#' }] });
    const msg = await out;
    const payload = msg.payload as { name: string };
    const vars: Record<string, unknown> = msg.call.vars;
    assert.equal((Object.getOwnPropertyDescriptor(vars, '__proto__')?.value as { name?: string } | undefined)?.name, payload.name);
    assert.equal(vars.name, undefined, 'the recording\'s fields are not inherited by the variables');
  });

  it('stops after the caller falls silent, and at the maximum length', async function () {
    await deploy({ maxSilenceSec: 2, prompts: [] });
    let out = nextMessage<CallMsg>(node('out'));
    simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'recording' }, { wait: 500 }, { talk: 4000 }] });
    let payload = (await out).payload as { durationSec: number };
    // 0.5 s of silence, 4 s of talk, then 2 s of silence end it: about 6.5 s, of which Asterisk reports the whole
    // seconds less the silence it ended in, but 200 ms (main/app.c __ast_play_and_record): 6 - 1 = 5. Simulated time
    // runs on while a busy machine delays a timer, so only the lower bound is the caller's; the stop itself is the
    // silence (no maximum set).
    assert.ok(payload.durationSec >= 5, `silence: ${payload.durationSec} s`);

    await helper.unload();
    await deploy({ maxDurationSec: 5, prompts: [], beep: false });
    out = nextMessage<CallMsg>(node('out'));
    simulator().placeCall({ from: '1', to: '2', script: [{ talk: 60000 }] });
    payload = (await out).payload as { durationSec: number };
    assert.equal(payload.durationSec, 5, 'the maximum length');
  });

  it('when the caller hangs up mid-message: no output, the recording is kept and the call-end report names it', async function () {
    await deploy({ prompts: [] });
    const completed = nextMessage(node('completed'));
    const ended = nextMessage<CallEndMsg>(node('ended'));
    const call = simulator().placeCall({ from: '1', to: '2', script: [{ wait: 1000 }, { talk: 2000 }, { hangup: true }] });
    await completed;
    const msg = await ended;
    const recording = msg.call.vars.message as { name: string; state: string };
    assert.equal(recording.state, 'call ended');
    assert.equal(msg.payload.by, 'caller');
    const sim = await call.ended();
    assert.deepEqual(sim.recordings.map((r) => r.name), [recording.name], 'Asterisk kept what was recorded');
  });
});
