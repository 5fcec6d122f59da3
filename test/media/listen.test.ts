/**
 * Hearing a caller on the simulated Asterisk (lib/media/listen.ts, lib/ivr/hear.ts): a scripted caller says something
 * (the simulator's speech-like audio), the end of speech is found on the media path, the speech goes to a stand-in
 * Whisper-compatible server on localhost which answers a fixed text; a silent caller, a caller hanging up while
 * speaking, a recogniser refusing the key. Nothing the listening made is left behind.
 */
import assert from 'node:assert/strict';
import { hear } from '../../lib/ivr/hear';
import type { MediaSettings, MediaTelephony } from '../../lib/media/path';
import { SpeechError } from '../../lib/speech/provider';
import { WhisperRecogniser } from '../../lib/speech/whisper';
import { useAppServer } from '../support/app-server';
import { useHearing } from '../support/hearing';

const media: MediaSettings = { bindHost: '127.0.0.1', advertiseHost: '127.0.0.1', portMin: 44000, portMax: 44999, format: 'slin16' };

describe('hearing a caller (simulated Asterisk, stand-in recogniser)', function () {
  const app = useAppServer();
  const hearing = useHearing();
  const { answeredCall, onlyTheCall } = hearing;
  const recogniser = (): WhisperRecogniser => new WhisperRecogniser({ baseUrl: app.url(''), model: 'whisper-1', apiKey: 'k' });

  it('a caller says something: the end of speech is found and the speech recognised (text, confidence)', async function () {
    app.handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"Sales, please.","segments":[{"avg_logprob":-0.05}]}');
    const id = await answeredCall([{ wait: 500 }, { say: 1500 }, { wait: 60_000 }]);
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
    const c = hearing.r.conn;
    const telephony: MediaTelephony = {
      externalMedia: c.externalMedia.bind(c),
      snoop: c.snoop.bind(c),
      createBridge: c.createBridge.bind(c),
      addToBridge: c.addToBridge.bind(c),
      destroyBridge: (id) => gate.then(() => c.destroyBridge(id)),
      hangup: c.hangup.bind(c),
      watchChannel: c.watchChannel.bind(c),
      listBridges: c.listBridges.bind(c),
    };
    let resolved = false;
    app.handler = (_req, res) => {
      assert.equal(hearing.r.sim.asterisk.bridgeList().length, 1, 'the bridge is still there when the speech arrives');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"Yes."}');
    };
    const id = await answeredCall([{ wait: 200 }, { say: 800 }, { wait: 60_000 }]);
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
    const id = await answeredCall([{ wait: 200 }, { say: 30_000 }]);
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
    const id = await answeredCall([{ wait: 200 }, { say: 800 }, { wait: 60_000 }]);
    await assert.rejects(hear(hearing.r.conn, id, { recogniser: recogniser(), media, language: 'en', signal: new AbortController().signal, log: hearing.r.log }), (e: unknown) => {
      assert.ok(e instanceof SpeechError);
      assert.equal(e.reason, 'auth');
      assert.match(e.message, /whisper recogniser \(http:\/\/127\.0\.0\.1:\d+\) refused the API key \(HTTP 401\): bad key/);
      return true;
    });
    onlyTheCall(id);
  });
});
