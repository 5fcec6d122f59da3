/**
 * Speech input in Node-RED: the callflow-speech node's recogniser (its settings, its key as a credential), through a
 * stand-in Whisper-compatible server on localhost.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { recogniserFor, type SpeechConfigNode } from '../../nodes/speech/config';
import { NODES, helper, loggedText, untilLogged, useNodeRed } from '../support/node-red';
import { useAppServer } from '../support/app-server';

const audio = { rate: 8000, samples: new Int16Array(1600).fill(3000) };

describe('speech input (callflow-speech recogniser)', function () {
  useNodeRed();
  const app = useAppServer();
  let dir = '';
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callflow-speech-input-'));
  });
  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  /** What recogniserFor reads of Node-RED: its deployed nodes. */
  const RED = (): Parameters<typeof recogniserFor>[0] => ({ nodes: { getNode: (id: string) => helper.getNode(id) } }) as unknown as Parameters<typeof recogniserFor>[0];

  it('a whisper recogniser: its base URL, model and format from the form, its own key from the credentials', async function () {
    app.handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"two"}');
    await helper.load(NODES, [{ id: 'sp', type: 'callflow-speech', provider: 'local', directory: dir, recognizer: 'whisper', sttBaseUrl: app.url(''), sttModel: 'small.en', sttFormat: 'json', sttMaxSec: 5 }], {
      sp: { apiKey: 'tts-key', sttApiKey: 'stt-key' },
    });
    const sp = helper.getNode('sp') as SpeechConfigNode;
    assert.ok(sp.recogniser, sp.problems.join('; '));
    assert.deepEqual(await recogniserFor(RED(), 'sp').recognise({ audio, language: 'en' }), { text: 'two', confidence: null });
    const r = await app.arrival(1);
    assert.equal(r.url, '/v1/audio/transcriptions');
    assert.equal(r.headers.authorization, 'Bearer stt-key');
    assert.match(r.body, /name="model"\r\n\r\nsmall\.en\r\n/);
    assert.match(r.body, /name="response_format"\r\n\r\njson\r\n/);
    await assert.rejects(sp.recogniser.recognise({ audio: { rate: 8000, samples: new Int16Array(6 * 8000) }, language: 'en' }), /6000 ms of audio is more than the 5000 ms/);
    assert.ok(!loggedText().includes('stt-key'), 'the key is never logged');
  });

  it('no recogniser, an invalid one, or no speech node: a recognition fails saying why', async function () {
    await helper.load(NODES, [
      { id: 'none', type: 'callflow-speech', provider: 'local', directory: dir },
      { id: 'bad', type: 'callflow-speech', provider: 'local', directory: dir, recognizer: 'whisper', sttBaseUrl: 'ftp://example.com', sttMaxSec: 500 },
    ]);
    await untilLogged(/invalid speech settings: .*sttBaseUrl.*sttMaxSec|invalid speech settings: .*sttMaxSec.*sttBaseUrl/);
    await assert.rejects(recogniserFor(RED(), 'none').recognise({ audio, language: 'en' }), /the speech node none has no recogniser \(its Speech input setting is none\)/);
    await assert.rejects(recogniserFor(RED(), 'bad').recognise({ audio, language: 'en' }), /the speech node bad cannot recognise speech: its settings are invalid: .*sttMaxSec/);
    await assert.rejects(recogniserFor(RED(), 'gone').recognise({ audio, language: 'en' }), /the speech node gone is not deployed/);
    await assert.rejects(recogniserFor(RED(), '').recognise({ audio, language: 'en' }), /speech input needs a speech node/);
  });
});
