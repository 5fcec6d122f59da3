/**
 * Hearing a caller on the simulated Asterisk (lib/media/listen.ts, lib/ivr/hear.ts): a scripted caller says something
 * (the simulator's speech-like audio), the end of speech is found on the media path, the speech goes to a stand-in
 * Whisper-compatible server on localhost which answers a fixed text; a silent caller, a caller hanging up while
 * speaking, a recogniser refusing the key, the RTP worker thread stopping (and during AMD, lib/media/detect.ts). Nothing the listening made is left behind.
 * Each with the packet path on the RTP worker thread and in the event loop. A caller speaks once it is listened to
 * (the simulator runs faster than real time, 4 times here (test/support/hearing.ts): its speech could otherwise be
 * over before a cold worker thread is ready).
 */
import assert from 'node:assert/strict';
import { hear } from '../../lib/ivr/hear';
import type { MediaSettings, MediaTelephony } from '../../lib/media/path';
import { detectMachine } from '../../lib/media/detect';
import { mediaThread } from '../../lib/media/remote-endpoint';
import { SpeechError } from '../../lib/speech/provider';
import { WhisperRecogniser } from '../../lib/speech/whisper';
import { useAppServer } from '../support/app-server';
import { useHearing } from '../support/hearing';

for (const worker of [true, false]) {
const media: MediaSettings = { bindHost: '127.0.0.1', advertiseHost: '127.0.0.1', portMin: 44000, portMax: 44999, format: 'slin16', worker };

describe(`hearing a caller (simulated Asterisk, stand-in recogniser; the packet path ${worker ? 'on the RTP worker thread' : 'in the event loop'})`, function () {
  const app = useAppServer();
  const hearing = useHearing();
  const { answeredCall, onlyTheCall, connectionWith } = hearing;
  const recogniser = (): WhisperRecogniser => new WhisperRecogniser({ baseUrl: app.url(''), model: 'whisper-1', apiKey: 'k' });

  it('a caller says something: the end of speech is found and the speech recognised (text, confidence)', async function () {
    app.handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"Sales, please.","segments":[{"avg_logprob":-0.05}]}');
    const id = await answeredCall([{ waitFor: 'listened' }, { wait: 500 }, { say: 1500 }, { wait: 60_000 }]);
    let started = 0;
    const result = await hear(hearing.r.conn, id, { recogniser: recogniser(), media, language: 'en', phrases: ['sales'], onSpeechStart: () => (started += 1), signal: new AbortController().signal, log: hearing.r.log });
    assert.equal(result.outcome, 'recognised');
    assert.equal(result.text, 'Sales, please.');
    assert.equal(result.confidence, 0.951);
    assert.equal(started, 1, 'speech start announced once (barge-in)');
    const req = await app.arrival(1);
    assert.match(req.body, /filename="speech.wav"/);
    // The speech sent: 1.5 s said, with the pre-roll and without the silence after it (within a word's tolerance).
    assert.ok(result.speechMs >= 1200 && result.speechMs <= 1800, `${result.speechMs} ms of speech`);
    onlyTheCall(id);
  });

  it('the speech goes to the recogniser while the path closes; hear resolves once both are done', async function () {
    // Asterisk is slow to destroy the bridge: the speech must not wait for it.
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const telephony = connectionWith({ destroyBridge: (id) => gate.then(() => hearing.r.conn.destroyBridge(id)) });
    let resolved = false;
    app.handler = (_req, res) => {
      assert.equal(hearing.r.sim.asterisk.bridgeList().length, 1, 'the bridge is still there when the speech arrives');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"Yes."}');
    };
    const id = await answeredCall([{ waitFor: 'listened' }, { wait: 200 }, { say: 800 }, { wait: 60_000 }]);
    const heard = hear(telephony, id, { recogniser: recogniser(), media, language: 'en', signal: new AbortController().signal, log: hearing.r.log }).finally(() => (resolved = true));
    await app.arrival(1);
    assert.equal(resolved, false, 'not before the path has closed');
    openGate();
    const result = await heard;
    assert.equal(result.outcome === 'recognised' && result.text, 'Yes.');
    onlyTheCall(id);
  });

  it('a silent caller: no speech after the start timeout, and nothing is sent to the recogniser', async function () {
    const id = await answeredCall([{ wait: 60_000 }]);
    const result = await hear(hearing.r.conn, id, { recogniser: recogniser(), media, language: 'en', parameters: { startTimeoutMs: 2000 }, signal: new AbortController().signal, log: hearing.r.log });
    assert.deepEqual(result, { outcome: 'no-speech' });
    assert.equal(app.received.length, 0);
    onlyTheCall(id);
  });

  it('the caller hangs up while speaking: hangup, nothing recognised, nothing left behind', async function () {
    const id = await answeredCall([{ waitFor: 'listened' }, { wait: 200 }, { say: 30_000 }]);
    const call = new AbortController();
    const result = await hear(hearing.r.conn, id, {
      recogniser: recogniser(),
      media,
      language: 'en',
      onSpeechStart: () => {
        hearing.r.sim.call(id).hangup(16);
        call.abort();
      },
      signal: call.signal,
      log: hearing.r.log,
    });
    assert.deepEqual(result, { outcome: 'hangup' });
    assert.equal(app.received.length, 0);
    assert.deepEqual(hearing.r.sim.asterisk.channelList(), []);
    assert.deepEqual(hearing.r.sim.asterisk.bridgeList(), []);
  });

  it('the recogniser refuses the key: the failure names the recogniser and the status', async function () {
    app.handler = (_req, res) => res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"bad key"}}');
    const id = await answeredCall([{ waitFor: 'listened' }, { wait: 200 }, { say: 800 }, { wait: 60_000 }]);
    await assert.rejects(hear(hearing.r.conn, id, { recogniser: recogniser(), media, language: 'en', signal: new AbortController().signal, log: hearing.r.log }), (e: unknown) => {
      assert.ok(e instanceof SpeechError);
      assert.equal(e.reason, 'auth');
      assert.match(e.message, /whisper recogniser \(http:\/\/127\.0\.0\.1:\d+\) refused the API key \(HTTP 401\): bad key/);
      return true;
    });
    onlyTheCall(id);
  });
  /** Skipped in the event loop (no thread to stop); else a silent answered call and a connection saying when its path is open. */
  async function callToStopOn(test: Mocha.Context): Promise<{ id: string; telephony: MediaTelephony; open: Promise<void> }> {
    if (!worker) {
      console.log('      (no worker thread in this mode: nothing to stop)');
      test.skip();
    }
    const id = await answeredCall([{ wait: 60_000 }]);
    let opened!: () => void;
    const open = new Promise<void>((resolve) => (opened = resolve));
    // The path is open once both channels are in its bridge.
    const telephony = connectionWith({ addToBridge: (bridge, channels, signal) => hearing.r.conn.addToBridge(bridge, channels, signal).finally(opened) });
    return { id, telephony, open };
  }

  it('the RTP worker thread stops while listening: the listening fails saying so, and nothing is left behind', async function () {
    const { id, telephony, open } = await callToStopOn(this);
    const heard = hear(telephony, id, { recogniser: recogniser(), media, language: 'en', parameters: { startTimeoutMs: 60_000 }, signal: new AbortController().signal, log: hearing.r.log });
    await open;
    await mediaThread().stop();
    await assert.rejects(heard, /^Error: listening on call .+ failed: the RTP worker thread stopped \(it exited \(code 1\)\)$/);
    assert.equal(app.received.length, 0);
    onlyTheCall(id);
  });
  it('the RTP worker thread stops during answering-machine detection: it fails saying so, and nothing is left behind', async function () {
    const { id, telephony, open } = await callToStopOn(this);
    const detecting = detectMachine(telephony, id, media, { parameters: { totalAnalysisTime: 60_000, initialSilence: 60_000 }, signal: new AbortController().signal, log: hearing.r.log });
    await open;
    await mediaThread().stop();
    await assert.rejects(detecting, /^Error: AMD on call .+ failed: the RTP worker thread stopped \(it exited \(code 1\)\)$/);
    onlyTheCall(id);
  });
});
}
