/**
 * Speech recognisers: the Whisper-compatible transcription API through a stand-in server on localhost (no network),
 * with each failure's message, and how a recogniser's hostile text is kept.
 */
import assert from 'node:assert/strict';
import { MAX_RECOGNISED_CHARS, recognisedText } from '../../lib/speech/recogniser';
import { WhisperRecogniser, transcriptionUrl } from '../../lib/speech/whisper';
import type { Pcm } from '../../lib/speech/wav';
import { useAppServer } from '../support/app-server';
import { speechError } from '../support/speech';

const second: Pcm = { rate: 8000, samples: new Int16Array(8000).map((_, i) => Math.round(6000 * Math.sin(i / 5))) };

describe('speech recognisers', function () {
  describe('whisper-compatible HTTP API (stand-in server)', function () {
    const app = useAppServer();
    const recogniser = (extra: Partial<ConstructorParameters<typeof WhisperRecogniser>[0]> = {}): WhisperRecogniser =>
      new WhisperRecogniser({ baseUrl: app.url('/v1'), model: 'whisper-1', apiKey: 'sk-secret-key', ...extra });

    it('posts the audio as a multipart WAV with model, format, language and the phrases as a prompt; reads text and confidence', async function () {
      app.handler = (_req, res) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ text: ' Sales, please. ', segments: [{ avg_logprob: -0.1 }, { avg_logprob: -0.3 }] }));
      const result = await recogniser().recognise({ audio: second, language: 'en_GB', phrases: ['sales', 'support'] });
      assert.deepEqual(result, { text: 'Sales, please.', confidence: Math.round(Math.exp(-0.2) * 1000) / 1000 });
      const r = await app.arrival(1);
      assert.equal(r.method, 'POST');
      assert.equal(r.url, '/v1/audio/transcriptions');
      assert.equal(r.headers.authorization, 'Bearer sk-secret-key');
      const boundary = /^multipart\/form-data; boundary=(\S+)$/.exec(String(r.headers['content-type']))?.[1];
      assert.ok(boundary, String(r.headers['content-type']));
      const field = (name: string): string | undefined => new RegExp(`name="${name}"\\r\\n\\r\\n([^\\r]*)\\r\\n`).exec(r.body)?.[1];
      assert.equal(field('model'), 'whisper-1');
      assert.equal(field('response_format'), 'verbose_json');
      assert.equal(field('language'), 'en');
      assert.equal(field('prompt'), 'sales, support');
      assert.match(r.body, /name="file"; filename="speech\.wav"\r\nContent-Type: audio\/wav\r\n\r\nRIFF/);
      assert.ok(Number(r.headers['content-length']) > 16_044, 'one second of 8 kHz audio is sent whole');
      assert.ok(r.body.endsWith(`--${boundary}--\r\n`));
      assert.equal(transcriptionUrl('https://api.openai.com').href, 'https://api.openai.com/v1/audio/transcriptions');
    });

    it('json format: text without a confidence (null); nothing recognised is an empty text', async function () {
      app.handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":""}');
      assert.deepEqual(await recogniser({ format: 'json' }).recognise({ audio: second, language: '' }), { text: '', confidence: null });
      const r = await app.arrival(1);
      assert.match(r.body, /name="response_format"\r\n\r\njson\r\n/);
      assert.doesNotMatch(r.body, /name="language"|name="prompt"/, 'no language or prompt when there is none');
    });

    it('a hostile text is one bounded line: control and bidirectional characters gone, cut at the limit', async function () {
      const long = `${'a\u0000b\u202e\n'.repeat(10)}${'x'.repeat(3 * MAX_RECOGNISED_CHARS)}`;
      app.handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ text: long, segments: [{ avg_logprob: 5 }, { avg_logprob: 'x' }] }));
      const result = await recogniser().recognise({ audio: second, language: 'en' });
      assert.equal(result.text.length, MAX_RECOGNISED_CHARS);
      assert.match(result.text, /^a b a b /);
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(result.text, /[\u0000-\u001f\u202e]/);
      assert.equal(result.confidence, 1, 'a confidence past 1 is 1; a log-probability that is not a number is ignored');
      assert.equal(recognisedText('  two\t\twords \u2066 '), 'two words');
    });

    it('401: the key was refused, with the provider\'s message and never the key', async function () {
      app.handler = (_req, res) => res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"Incorrect API key provided: sk-secr***"}}');
      await assert.rejects(recogniser().recognise({ audio: second, language: 'en' }), (e: unknown) => {
        speechError('auth', /whisper recogniser \(http:\/\/127\.0\.0\.1:\d+\) refused the API key \(HTTP 401\): Incorrect API key provided/)(e);
        assert.ok(!(e as Error).message.includes('sk-secret-key'));
        return true;
      });
    });

    it('garbage: a 200 answer that is not a transcription', async function () {
      app.handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>');
      await assert.rejects(recogniser().recognise({ audio: second, language: 'en' }), speechError('bad-answer', /not a transcription \(not JSON, 18 bytes\)/));
      app.handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":42}');
      await assert.rejects(recogniser().recognise({ audio: second, language: 'en' }), speechError('bad-answer', /not a transcription \(no "text" string, 11 bytes\)/));
    });

    it('too large: audio past the limit is refused before anything is sent; an answer past its limit drops the socket', async function () {
      await assert.rejects(recogniser({ maxAudioMs: 500 }).recognise({ audio: second, language: 'en' }), speechError('too-large', /1000 ms of audio is more than the 500 ms/));
      assert.equal(app.received.length, 0, 'nothing was sent');
      app.handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(Buffer.alloc(300_000, 0x20));
      await assert.rejects(recogniser({ maxBytes: 100_000 }).recognise({ audio: second, language: 'en' }), speechError('too-large', /sent more than 100000 bytes/));
    });

    it('a recogniser that does not answer in time, and a call that ends meanwhile', async function () {
      app.handler = () => undefined;
      await assert.rejects(recogniser({ timeoutMs: 200 }).recognise({ audio: second, language: 'en' }), speechError('timeout', /did not answer within 200 ms/));
      const controller = new AbortController();
      const pending = recogniser().recognise({ audio: second, language: 'en', signal: controller.signal });
      const r = await app.arrival(2);
      controller.abort();
      await assert.rejects(pending, speechError('aborted', /cancelled/));
      await app.closed(r.socket);
    });

    it('a server error and an unreachable server', async function () {
      app.handler = (_req, res) => res.writeHead(503).end('overloaded\n\u001b[31m');
      await assert.rejects(recogniser().recognise({ audio: second, language: 'en' }), speechError('unavailable', /answered HTTP 503: overloaded \[31m$/));
      await assert.rejects(new WhisperRecogniser({ baseUrl: 'http://127.0.0.1:1', model: 'm', apiKey: '' }).recognise({ audio: second, language: '' }), speechError('unavailable', /could not be reached/));
    });

    it('refuses a base URL that is not http(s) or carries credentials', function () {
      assert.throws(() => transcriptionUrl('file:///etc/passwd'), speechError('refused', /must be http\(s\)/));
      assert.throws(() => transcriptionUrl('https://user:pw@host'), speechError('refused', /not in the base URL/));
    });
  });
});
