/**
 * The Vosk server recogniser through a stand-in WebSocket server on localhost that speaks vosk-server's protocol
 * (websocket/asr_server.py: a config message, binary audio answered one message each, the `{"eof" : 1}` text answered
 * with the final result, then the close), and each failure: a refused key, garbage, an early close, a timeout, a
 * refused connection, a message too large, the call ending. Then the same protocol fed while the caller speaks
 * (stream()): audio sent as it is pushed, partial results with words told, the final result after the eof, the bounds
 * for a slow server, a failure mid-stream, an abort.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { SpeechError } from '../../lib/speech/provider';
import type { StreamRequest } from '../../lib/speech/recogniser';
import { VOSK_EOF, VoskRecogniser, voskUrl } from '../../lib/speech/vosk';
import { MAX_AHEAD } from '../../lib/speech/vosk-stream';
import type { Pcm } from '../../lib/speech/wav';
import { speechError } from '../support/speech';
import { configOf, useVoskStandIn, type VoskSession } from '../support/vosk-server';

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
  const server = useVoskStandIn();
  beforeEach(function () {
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

  describe('streamed while the caller speaks', function () {
    /** 20 ms frames of a tone at the rate, as lib/media gives them. */
    const frames = (ms: number, rate = 16000): Int16Array[] => Array.from({ length: ms / 20 }, () => new Int16Array((rate * 20) / 1000).map((_, i) => Math.round(6000 * Math.sin(i / 5))));
    const second400 = (): Pcm => ({ rate: 16000, samples: second.samples.slice(0, 6400) });
    /** What a stream tells: words, failures (`failed` settles at the first). */
    const events = (): { words: string[]; failures: SpeechError[]; failed: Promise<void>; request: Omit<StreamRequest, 'rate'> } => {
      const words: string[] = [];
      const failures: SpeechError[] = [];
      let told!: () => void;
      const failed = new Promise<void>((resolve) => (told = resolve));
      const onFailure = (e: SpeechError): void => {
        failures.push(e);
        told();
      };
      return { words, failures, failed, request: { language: 'en', onWords: (w) => words.push(w), onFailure } };
    };

    it('sends each 0.2 s as it is pushed, before the end; tells partials with words; the eof\'s answer is the result', async function () {
      server.answer = (m, session) => {
        if (m.text?.includes('config')) return undefined;
        if (m.text === VOSK_EOF) return JSON.stringify({ result: [{ word: 'support', conf: 0.8 }], text: 'support' });
        const n = session.messages.filter((x) => x.bytes !== undefined).length;
        return JSON.stringify({ partial: n === 1 ? '' : n === 2 ? '[unk]' : 'sup port' });
      };
      const e = events();
      const stream = recogniser().stream({ ...e.request, rate: 16000, phrases: ['support'] });
      for (const f of frames(600)) stream.push(f);
      const s = await server.session(1);
      await server.audio(s, 3);
      assert.deepEqual(s.messages.slice(1, 4), [{ bytes: 6400 }, { bytes: 6400 }, { bytes: 6400 }], 'three messages of 0.2 s sent before the end');
      assert.ok(!s.messages.some((m) => m.text === VOSK_EOF), 'no eof before the end');
      for (const f of frames(100)) stream.push(f);
      assert.deepEqual(await stream.end(), { text: 'support', confidence: 0.8 });
      assert.deepEqual(s.messages.slice(4), [{ bytes: 3200 }, { text: VOSK_EOF }], 'the rest, shorter, then the eof');
      assert.deepEqual(e.words, ['sup port', 'sup port'], 'the third and fourth partials: no words in an empty one or in [unk]');
      assert.deepEqual(configOf(s).phrase_list, ['support', '[unk]']);
      assert.deepEqual(e.failures, []);
    });

    it('8 kHz audio is sent at 8 kHz and says so', async function () {
      server.answer = (m) => (m.text?.includes('config') ? undefined : m.text === VOSK_EOF ? '{"text":"two"}' : '{"partial":"two"}');
      const stream = recogniser().stream({ language: '', digits: true, rate: 8000 });
      for (const f of frames(400, 8000)) stream.push(f);
      assert.deepEqual(await stream.end(), { text: 'two', confidence: null });
      const s = await server.session(1);
      assert.equal(configOf(s).sample_rate, 8000);
      assert.deepEqual(s.messages.slice(1), [{ bytes: 3200 }, { bytes: 3200 }, { text: VOSK_EOF }]);
    });

    it(`a server that falls behind: at most ${MAX_AHEAD} messages wait for its answers, the rest here; no answer within the timeout fails it at once and drops the connection`, async function () {
      server.answer = () => undefined;
      const e = events();
      const stream = recogniser({ timeoutMs: 400 }).stream({ ...e.request, rate: 16000 });
      for (const f of frames(3000)) stream.push(f);
      const s = await server.session(1);
      const closed = once(s.socket, 'close');
      await e.failed;
      await closed;
      speechError('timeout', /^vosk recogniser \(ws:\/\/127\.0\.0\.1:\d+\) did not answer within 400 ms$/)(e.failures[0]);
      assert.equal(s.messages.filter((m) => m.bytes !== undefined).length, MAX_AHEAD, 'only the messages ahead were sent');
      await assert.rejects(stream.end(), speechError('timeout', /did not answer within 400 ms/));
      assert.equal(e.failures.length, 1, 'told once');
    });

    it('audio past the longest a recognition takes fails the stream (nothing more is held) and drops the connection', async function () {
      server.answer = (m) => (m.bytes !== undefined ? '{"partial":""}' : undefined);
      const e = events();
      const stream = recogniser({ maxAudioMs: 1000 }).stream({ ...e.request, rate: 16000 });
      const s = await server.session(1);
      const closed = once(s.socket, 'close');
      for (const f of frames(1100)) stream.push(f);
      speechError('too-large', /: 1020 ms of audio is more than the 1000 ms a recognition takes$/)(e.failures[0]);
      await closed;
      await assert.rejects(stream.end(), speechError('too-large', /1020 ms/));
    });

    it('the server fails mid-stream: told at once with the reason, as a whole recognition says it', async function () {
      server.answer = (m, session) => {
        if (m.bytes === undefined) return undefined;
        if (session.messages.filter((x) => x.bytes !== undefined).length === 2) session.socket.close(1011, 'model crashed');
        return '{"partial":"sales"}';
      };
      const e = events();
      const stream = recogniser().stream({ ...e.request, rate: 16000 });
      for (const f of frames(1000)) stream.push(f);
      await e.failed;
      speechError('unavailable', /^vosk recogniser \(ws:\/\/127\.0\.0\.1:\d+\) closed the connection before its final result \(code 1011: model crashed\)$/)(e.failures[0]);
      await assert.rejects(stream.end(), speechError('unavailable', /code 1011/));
    });

    it('answers to nothing sent (two to one message, one to the config): a bad answer, not a result cut short nor a stream left without a deadline', async function () {
      // vosk-server answers each audio message and the eof once, and the config never (asr_server.py): a server that
      // sends more would otherwise match the eof's answer to an earlier message, or leave nothing awaited to time.
      for (const extra of ['twice', 'config'] as const) {
        server.answer = (m, session) => {
          if (m.text?.includes('config')) {
            if (extra === 'config') session.socket.send('{"partial":""}');
            return undefined;
          }
          if (m.text === VOSK_EOF) return '{"text":"the end"}';
          if (extra === 'twice') session.socket.send('{"text":"early"}');
          return '{"partial":""}';
        };
        const e = events();
        const stream = recogniser({ timeoutMs: 60_000 }).stream({ ...e.request, rate: 16000 });
        for (const f of frames(600)) stream.push(f);
        await e.failed;
        speechError('bad-answer', /answered a message it was not sent/)(e.failures[0]);
        await assert.rejects(stream.end(), speechError('bad-answer', /not sent/));
      }
    });

    it('abort (the call ended): the connection is dropped, end() says cancelled, no failure is told', async function () {
      server.answer = (m) => (m.bytes !== undefined ? '{"partial":"sales"}' : undefined);
      const e = events();
      const stream = recogniser().stream({ ...e.request, rate: 16000 });
      for (const f of frames(400)) stream.push(f);
      const s = await server.session(1);
      await server.audio(s, 2);
      const closed = once(s.socket, 'close');
      stream.abort();
      await closed;
      await assert.rejects(stream.end(), speechError('aborted', /cancelled/));
      assert.deepEqual(e.failures, []);
    });

    it('At once bounds whole utterances (the next waits for its turn, holding its audio), not streams (fed in real time)', async function () {
      server.answer = (m) => (m.text?.includes('config') ? undefined : m.text === VOSK_EOF ? '{"text":"yes"}' : '{"partial":""}');
      const r = recogniser({ concurrency: 1 });
      // Two callers speaking at once: both connected before either ends.
      const first = r.stream({ language: 'en', rate: 16000 });
      const second = r.stream({ language: 'en', rate: 16000 });
      for (const f of frames(200)) first.push(f);
      for (const f of frames(200)) second.push(f);
      await server.audio(await server.session(1), 1);
      await server.audio(await server.session(2), 1);
      assert.deepEqual(await Promise.all([first.end(), second.end()]), [{ text: 'yes', confidence: null }, { text: 'yes', confidence: null }]);
      // Two whole utterances: the second connects once the first is done.
      server.sessions.length = 0;
      let connectedBeforeFirstEof = 0;
      server.answer = (m) => {
        if (m.text?.includes('config')) return undefined;
        if (m.text === VOSK_EOF) {
          if (server.sessions.length === 1) connectedBeforeFirstEof = 1;
          return '{"text":"yes"}';
        }
        return '{"partial":""}';
      };
      const both = await Promise.all([r.recognise({ audio: second400(), language: 'en' }), r.recognise({ audio: second400(), language: 'en' })]);
      assert.deepEqual(both, [{ text: 'yes', confidence: null }, { text: 'yes', confidence: null }]);
      assert.equal(connectedBeforeFirstEof, 1, 'the second waited for the first');
      assert.deepEqual(server.sessions[1]?.messages.slice(1), [{ bytes: 6400 }, { bytes: 6400 }, { text: VOSK_EOF }], 'its audio, held, then sent');
    });
  });
});
