/**
 * The Vosk server recogniser through a stand-in WebSocket server on localhost that speaks vosk-server's protocol
 * (websocket/asr_server.py: a config message, binary audio answered one message each, the `{"eof" : 1}` text answered
 * with the final result, then the close), and each failure: a refused key, garbage, an early close, a timeout, a
 * refused connection, a message too large, the call ending.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { VOSK_EOF, VoskRecogniser, voskUrl } from '../../lib/speech/vosk';
import type { Pcm } from '../../lib/speech/wav';
import { speechError } from '../support/speech';
import { VoskStandIn, type VoskSession } from '../support/vosk-server';

/** One second at 16 kHz: five messages of 0.2 s. */
const second: Pcm = { rate: 16000, samples: new Int16Array(16000).map((_, i) => Math.round(6000 * Math.sin(i / 5))) };

/** vosk-server's answers: a partial for each chunk, a result at the third, the final result at the eof. */
const voskLike = (message: { text?: string; bytes?: number }, session: VoskSession): string | undefined => {
  if (message.text?.includes('config')) return undefined;
  if (message.text === VOSK_EOF) return JSON.stringify({ result: [{ word: 'please', start: 0.9, end: 1.1, conf: 0.5 }], text: 'please' });
  const chunks = session.messages.filter((m) => m.bytes !== undefined).length;
  if (chunks === 3) return JSON.stringify({ result: [{ word: 'sales', start: 0.1, end: 0.5, conf: 1 }, { word: 'support', start: 0.5, end: 0.8, conf: 0.75 }], text: 'sales support' });
  return JSON.stringify({ partial: 'sales' });
};

describe('vosk recogniser (stand-in WebSocket server)', function () {
  const server = new VoskStandIn();
  before(async function () {
    await server.start();
  });
  after(async function () {
    await server.stop();
  });
  beforeEach(function () {
    server.sessions.length = 0;
    server.status = 0;
    server.answer = voskLike;
  });
  const recogniser = (extra: Partial<ConstructorParameters<typeof VoskRecogniser>[0]> = {}): VoskRecogniser => new VoskRecogniser({ url: server.url, apiKey: 'vosk-secret', ...extra });

  it('speaks the protocol: the config, the audio in 0.2 s messages, the eof; the results\' text and their words\' mean conf', async function () {
    const result = await recogniser().recognise({ audio: second, language: 'en', phrases: ['Sales', 'support'] });
    assert.deepEqual(result, { text: 'sales support please', confidence: Math.round(((1 + 0.75 + 0.5) / 3) * 1000) / 1000 });
    const s = await server.session(1);
    assert.equal(s.headers.authorization, 'Bearer vosk-secret');
    assert.deepEqual(JSON.parse(s.messages[0]?.text ?? ''), { config: { sample_rate: 16000, words: 1, max_alternatives: 0, phrase_list: ['sales', 'support', '[unk]'] } });
    assert.deepEqual(s.messages.slice(1, -1), Array.from({ length: 5 }, () => ({ bytes: 6400 })));
    assert.equal(s.messages.at(-1)?.text, '{"eof" : 1}', 'the eof byte for byte as asr_server.py compares it');
  });

  it('8 kHz audio says its rate; digits expected: the digit words; no key: no Authorization; no words: no confidence', async function () {
    server.answer = (m) => (m.text?.includes('config') ? undefined : m.text === VOSK_EOF ? '{"text":"one two"}' : '{"partial":""}');
    const eight: Pcm = { rate: 8000, samples: new Int16Array(4000) };
    assert.deepEqual(await recogniser({ apiKey: '' }).recognise({ audio: eight, language: '', digits: true }), { text: 'one two', confidence: null });
    const s = await server.session(1);
    assert.equal(s.headers.authorization, undefined);
    const config = JSON.parse(s.messages[0]?.text ?? '') as { config: { sample_rate: number; phrase_list: string[] } };
    assert.equal(config.config.sample_rate, 8000);
    assert.deepEqual(config.config.phrase_list.slice(0, 3), ['zero', 'oh', 'one']);
    assert.equal(config.config.phrase_list.at(-1), '[unk]');
    assert.deepEqual(s.messages.slice(1, -1), [{ bytes: 3200 }, { bytes: 3200 }, { bytes: 1600 }]);
  });

  it('a hostile answer: its text one bounded line, a conf outside 0-1 clamped, anything else ignored', async function () {
    server.answer = (m) => (m.text?.includes('config') ? undefined : m.text === VOSK_EOF ? JSON.stringify({ text: `a\u0000b\u202e${'x'.repeat(3000)}`, result: [{ conf: 7 }, { conf: 'x' }, null], extra: { deep: 1 } }) : '{"partial":"\\u0000"}');
    const r = await recogniser().recognise({ audio: second, language: 'en' });
    assert.equal(r.text.length, 1000);
    assert.match(r.text, /^a b x/);
    assert.equal(r.confidence, 1);
  });

  it('garbage: not JSON, not an object, no text, a binary message', async function () {
    for (const [reply, why] of [
      ['<html>', /not a recognition result \(not JSON, 6 bytes\)/],
      ['[1,2]', /not a recognition result \(not a JSON object, 5 bytes\)/],
      ['{"txt":"x"}', /not a recognition result \(no "partial" or "text" string, 11 bytes\)/],
      [Buffer.from([1, 2, 3]), /not a recognition result \(a binary message, 3 bytes\)/],
    ] as const) {
      server.answer = (m) => (m.text?.includes('config') ? undefined : reply);
      await assert.rejects(recogniser().recognise({ audio: second, language: 'en' }), speechError('bad-answer', why));
    }
  });

  it('a refused key at the handshake (never the key in the message), and a server that is not a WebSocket', async function () {
    server.status = 401;
    await assert.rejects(recogniser().recognise({ audio: second, language: 'en' }), (e: unknown) => {
      speechError('auth', /^vosk recogniser \(ws:\/\/127\.0\.0\.1:\d+\) refused the key \(HTTP 401\)$/)(e);
      assert.ok(!(e as Error).message.includes('vosk-secret'));
      return true;
    });
    server.status = 404;
    await assert.rejects(recogniser().recognise({ audio: second, language: 'en' }), speechError('unavailable', /answered HTTP 404, not a WebSocket/));
  });

  it('a close before the final result, a refused connection, a message too large', async function () {
    server.answer = (m, s) => {
      if (m.bytes !== undefined) s.socket.close(1011, 'model \u001b crashed');
      return undefined;
    };
    await assert.rejects(recogniser().recognise({ audio: second, language: 'en' }), speechError('unavailable', /closed the connection before its final result \(code 1011: model {3}crashed\)/));
    await assert.rejects(new VoskRecogniser({ url: 'ws://127.0.0.1:1', apiKey: '' }).recognise({ audio: second, language: '' }), speechError('unavailable', /^vosk recogniser \(ws:\/\/127\.0\.0\.1:1\) could not be reached \(connect ECONNREFUSED 127\.0\.0\.1:1\)$/));
    server.answer = (m) => (m.bytes !== undefined ? JSON.stringify({ partial: 'x'.repeat(5000) }) : undefined);
    await assert.rejects(recogniser({ maxMessageBytes: 1000 }).recognise({ audio: second, language: 'en' }), speechError('too-large', /sent a message of more than 1000 bytes/));
  });

  it('a server that does not answer in time, and a call that ends meanwhile (the connection is dropped)', async function () {
    server.answer = () => undefined;
    await assert.rejects(recogniser({ timeoutMs: 300 }).recognise({ audio: second, language: 'en' }), speechError('timeout', /did not answer within 300 ms/));
    const controller = new AbortController();
    const pending = recogniser().recognise({ audio: second, language: 'en', signal: controller.signal });
    const s = await server.session(2);
    const closed = once(s.socket, 'close');
    controller.abort();
    await assert.rejects(pending, speechError('aborted', /cancelled/));
    await closed;
  });

  it('audio past the limit is refused before connecting; a URL that is not ws(s) or carries credentials is refused', async function () {
    await assert.rejects(recogniser({ maxAudioMs: 500 }).recognise({ audio: second, language: 'en' }), speechError('too-large', /1000 ms of audio is more than the 500 ms/));
    assert.equal(server.sessions.length, 0);
    assert.throws(() => voskUrl('http://host:2700'), speechError('refused', /must be ws:\/\/ or wss:\/\/ \(got http:\)/));
    assert.throws(() => voskUrl('ws://user:pw@host'), speechError('refused', /not in the URL/));
    assert.throws(() => voskUrl('not a url'), speechError('refused', /is not a URL/));
  });
});
