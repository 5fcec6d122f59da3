/**
 * The speech providers: espeak-ng for real (skipped, saying so, where it is not installed: CI installs it), and the
 * OpenAI-compatible API through a stand-in server on localhost (no network), with each failure's message.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { EspeakEngine, espeakVoiceFor, listEspeakVoices, parseEspeakVoices } from '../../lib/speech/espeak';
import { OpenAiSpeech, speechUrl } from '../../lib/speech/openai';
import { synthesizeWav } from '../../lib/speech/synthesiser';
import { encodeWav, parseWav } from '../../lib/speech/wav';
import { useAppServer } from '../support/app-server';
import { hasEspeak, needsEngines, speechError } from '../support/speech';

describe('speech providers', function () {
  describe('local: espeak-ng', function () {
    it('says a sentence: 8 kHz mono WAV of plausible length', async function () {
      needsEngines(this, { espeak: true });
      const wav = await synthesizeWav(new EspeakEngine(), 'Hello, your appointment is tomorrow at ten.', { language: 'en', rate: 8000 });
      const pcm = parseWav(wav);
      assert.equal(pcm.rate, 8000);
      const seconds = pcm.samples.length / 8000;
      assert.ok(seconds > 1 && seconds < 8, `${seconds} s`);
      assert.ok(pcm.samples.some((s) => Math.abs(s) > 1000), 'not silence');
    });

    it('passes hostile text as data on stdin: options, shell syntax and markup are spoken, not run', async function () {
      needsEngines(this, { espeak: true });
      const engine = new EspeakEngine();
      for (const text of ['--version', '-w /tmp/owned.wav', '$(touch /tmp/callflow-owned) `id`; rm -rf /', '<speak><audio src="file:///etc/passwd"/></speak>']) {
        const pcm = await engine.synthesize({ text, voice: '', language: 'en' });
        assert.ok(pcm.samples.length > 1000, `${text} is spoken`);
      }
      assert.equal(spawnSync('test', ['-e', '/tmp/callflow-owned']).status, 1, 'nothing ran');
    });

    it('refuses a voice that is not a voice name before running anything, and names an unknown voice', async function () {
      needsEngines(this, { espeak: true });
      const engine = new EspeakEngine();
      await assert.rejects(engine.synthesize({ text: 'hi', voice: '--path=/tmp', language: '' }), speechError('refused', /is not an espeak-ng voice name/));
      await assert.rejects(engine.synthesize({ text: 'hi', voice: 'xx-nosuchvoice', language: '' }), speechError('refused', /espeak-ng ended with code 1: .*voice does not exist/));
    });

    it('kills a run past its deadline and past its output limit', async function () {
      needsEngines(this, { espeak: true });
      const long = 'This sentence is long enough to take a while. '.repeat(20);
      await assert.rejects(new EspeakEngine({ timeoutMs: 1 }).synthesize({ text: long, voice: 'en', language: '' }), speechError('timeout', /took longer than 1 ms/));
      await assert.rejects(new EspeakEngine({ maxBytes: 10_000 }).synthesize({ text: long, voice: 'en', language: '' }), speechError('too-large', /more than 10000 bytes/));
    });

    it('runs at most `concurrency` at once; a cancelled wait leaves the queue', async function () {
      needsEngines(this, { espeak: true });
      const engine = new EspeakEngine({ concurrency: 1 });
      const first = engine.synthesize({ text: 'one', voice: 'en', language: '' });
      const controller = new AbortController();
      const second = engine.synthesize({ text: 'two', voice: 'en', language: '', signal: controller.signal });
      assert.equal(engine.waiting, 1);
      controller.abort();
      await assert.rejects(second, speechError('aborted', /cancelled/));
      assert.equal(engine.waiting, 0);
      await first;
    });

    it('says clearly when espeak-ng is not installed', async function () {
      await assert.rejects(new EspeakEngine({ command: 'espeak-ng-not-here' }).synthesize({ text: 'hi', voice: 'en', language: '' }), speechError('unavailable', /espeak-ng-not-here is not installed \(on Debian: apt-get install espeak-ng\)/));
    });

    it('lists voices from espeak-ng --voices, and maps Asterisk language codes to them', async function () {
      const listed = parseEspeakVoices(' Pty Language       Age/Gender VoiceName          File                 Other Languages\n 2  en-us           --/M      English_(America)  gmw/en-US            (en 3)\n 5  cmn             --/M      Chinese_(Mandarin,_latin_as_English) sit/cmn              (zh-cmn 5)(zh 5)\n');
      assert.deepEqual(listed, [
        { language: 'en-us', name: 'English (America)', others: ['en'] },
        { language: 'cmn', name: 'Chinese (Mandarin, latin as English)', others: ['zh-cmn', 'zh'] },
      ]);
      assert.equal(espeakVoiceFor('pt_BR'), 'pt-br');
      assert.equal(espeakVoiceFor('--bad'), 'en');
      if (hasEspeak) assert.ok((await listEspeakVoices()).some((v) => v.language === 'en-us'));
      assert.deepEqual(await listEspeakVoices('espeak-ng-not-here'), []);
    });
  });

  describe('openai-compatible HTTP API (stand-in server)', function () {
    const app = useAppServer();
    const wav24k = encodeWav({ rate: 24000, samples: new Int16Array(24000).map((_, i) => Math.round(8000 * Math.sin(i / 10))) });
    const provider = (extra: Partial<ConstructorParameters<typeof OpenAiSpeech>[0]> = {}): OpenAiSpeech =>
      new OpenAiSpeech({ baseUrl: app.url('/v1'), model: 'tts-1', voice: 'alloy', apiKey: 'sk-secret-key', ...extra });

    it('posts model, input, voice and wav format with the key, and resamples the answer', async function () {
      app.handler = (_req, res) => res.writeHead(200, { 'content-type': 'audio/wav' }).end(wav24k);
      const wav = await synthesizeWav(provider(), 'Hello there', { rate: 8000 });
      const r = await app.arrival(1);
      assert.equal(r.method, 'POST');
      assert.equal(r.url, '/v1/audio/speech');
      assert.equal(r.headers.authorization, 'Bearer sk-secret-key');
      assert.deepEqual(JSON.parse(r.body), { model: 'tts-1', input: 'Hello there', voice: 'alloy', response_format: 'wav' });
      assert.equal(parseWav(wav).samples.length, 8000);
      assert.equal(speechUrl('https://api.openai.com').href, 'https://api.openai.com/v1/audio/speech');
    });

    it('401: the key was refused, with the provider\'s message and never the key', async function () {
      app.handler = (_req, res) => res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"Incorrect API key provided: sk-secr***"}}');
      await assert.rejects(provider().synthesize({ text: 'hi', voice: '', language: '' }), (e: unknown) => {
        speechError('auth', /refused the API key \(HTTP 401\): Incorrect API key provided/)(e);
        assert.ok(!(e as Error).message.includes('sk-secret-key'));
        return true;
      });
    });

    it('garbage: a 200 answer that is not WAV audio', async function () {
      app.handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>');
      await assert.rejects(provider().synthesize({ text: 'hi', voice: '', language: '' }), speechError('not-audio', /not WAV audio \(not a WAV file .*Content-Type text\/html, 18 bytes\)/));
    });

    it('an answer past the size limit: the socket is dropped', async function () {
      app.handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'audio/wav' });
        res.end(Buffer.alloc(300_000));
      };
      await assert.rejects(provider({ maxBytes: 100_000 }).synthesize({ text: 'hi', voice: '', language: '' }), speechError('too-large', /sent more than 100000 bytes/));
    });

    it('a provider that does not answer in time', async function () {
      app.handler = () => undefined;
      await assert.rejects(provider({ timeoutMs: 200 }).synthesize({ text: 'hi', voice: '', language: '' }), speechError('timeout', /did not answer within 200 ms/));
    });

    it('a server error and an unreachable server', async function () {
      app.handler = (_req, res) => res.writeHead(503).end('overloaded\n\u001b[31m');
      await assert.rejects(provider().synthesize({ text: 'hi', voice: '', language: '' }), speechError('unavailable', /answered HTTP 503: overloaded \[31m$/), 'the escape character is gone');
      await assert.rejects(new OpenAiSpeech({ baseUrl: 'http://127.0.0.1:1', model: 'm', voice: 'v', apiKey: '' }).synthesize({ text: 'hi', voice: '', language: '' }), speechError('unavailable', /could not be reached/));
    });

    it('refuses a base URL that is not http(s) or carries credentials', function () {
      assert.throws(() => speechUrl('file:///etc/passwd'), speechError('refused', /must be http\(s\)/));
      assert.throws(() => speechUrl('https://user:pw@host'), speechError('refused', /not in the base URL/));
    });
  });
});
