/**
 * Hearing a caller with a recogniser that streams (lib/ivr/hear.ts with lib/speech/vosk.ts) on the simulated Asterisk,
 * through the stand-in vosk-server: the speech reaches the server while the caller speaks, the final result is used,
 * barge-in over a prompt waits for words (a partial with words stops it; speech without words during the prompt is let
 * go), a server failing mid-speech stops the listening with its reason, a caller hanging up mid-speech closes the
 * socket, a ulaw call streams 8 kHz audio. Nothing the listening made is left behind.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { hear } from '../../lib/ivr/hear';
import type { MediaSettings } from '../../lib/media/path';
import { VOSK_EOF, VoskRecogniser } from '../../lib/speech/vosk';
import { speechError } from '../support/speech';
import { useHearing } from '../support/hearing';
import { configOf, useVoskStandIn, type VoskSession } from '../support/vosk-server';

const media: MediaSettings = { bindHost: '127.0.0.1', advertiseHost: '127.0.0.1', portMin: 46000, portMax: 46999, format: 'slin16' };

describe('hearing a caller with a streaming recogniser (simulated Asterisk, stand-in vosk-server)', function () {
  const server = useVoskStandIn();
  // What the server received is compared with when the caller stopped speaking: at 4 times real time a busy
  // machine's pause does not let the simulated caller finish before the audio said meanwhile has travelled.
  const hearing = useHearing();
  const { answeredCall, onlyTheCall } = hearing;
  const recogniser = (): VoskRecogniser => new VoskRecogniser({ url: server.url, apiKey: '' });
  const audioCount = (s: VoskSession): number => s.messages.filter((m) => m.bytes !== undefined).length;
  /** A prompt that never ends (the test decides). */
  const playing = (): Promise<void> => new Promise<void>(() => undefined);

  it('the speech reaches the server while the caller speaks; the eof after the end of speech; the final result is used', async function () {
    let id = '';
    /** For each audio message: whether the caller had finished saying it when it came. */
    const afterSpeech: boolean[] = [];
    server.answer = (m) => {
      if (m.text?.includes('config')) return undefined;
      if (m.text === VOSK_EOF) return JSON.stringify({ result: [{ word: 'sales', conf: 0.9 }, { word: 'please', conf: 0.7 }], text: 'sales please' });
      afterSpeech.push(hearing.r.sim.call(id).report().said !== undefined);
      return '{"partial":"sales"}';
    };
    id = await answeredCall([{ wait: 500 }, { say: 2000 }, { wait: 60_000 }]);
    let started = 0;
    const result = await hear(hearing.r.conn, id, { recogniser: recogniser(), media, language: 'en', phrases: ['sales'], onSpeechStart: () => (started += 1), signal: new AbortController().signal, log: hearing.r.log });
    assert.equal(result.outcome, 'recognised');
    assert.equal(result.text, 'sales please');
    assert.equal(result.confidence, 0.8);
    assert.equal(started, 1, 'barge-in announced once');
    const s = await server.session(1);
    assert.equal(afterSpeech[0], false, 'the first 0.2 s reached the server while the caller was still speaking');
    assert.ok(afterSpeech.filter((after) => !after).length >= 2, `audio messages during the speech: ${afterSpeech.join(',')}`);
    assert.equal(s.messages.at(-1)?.text, VOSK_EOF);
    assert.equal(configOf(s).sample_rate, 16000);
    assert.equal(server.sessions.length, 1);
    onlyTheCall(id);
  });

  it('barge-in over a prompt waits for words: a partial with words stops it', async function () {
    const session = { heardWords: false };
    server.answer = (m, s) => {
      if (m.text?.includes('config')) return undefined;
      if (m.text === VOSK_EOF) return '{"text":"support"}';
      session.heardWords = audioCount(s) >= 3;
      return JSON.stringify({ partial: session.heardWords ? 'support' : '' });
    };
    const id = await answeredCall([{ wait: 300 }, { say: 2000 }, { wait: 60_000 }]);
    const wordsAtBargeIn: boolean[] = [];
    const result = await hear(hearing.r.conn, id, { recogniser: recogniser(), media, language: 'en', armed: playing(), onSpeechStart: () => wordsAtBargeIn.push(session.heardWords), signal: new AbortController().signal, log: hearing.r.log });
    assert.equal(result.outcome === 'recognised' && result.text, 'support');
    assert.deepEqual(wordsAtBargeIn, [true], 'the prompt stopped once, at the first partial with words, not at the start of speech');
    onlyTheCall(id);
  });

  it('speech in which the server heard no word, during the prompt, is let go: listening goes on to the next', async function () {
    server.answer = (m) => {
      if (m.text?.includes('config')) return undefined;
      const first = server.sessions.length === 1;
      if (m.text === VOSK_EOF) return JSON.stringify({ text: first ? '' : 'yes' });
      return JSON.stringify({ partial: first ? '[unk]' : '' });
    };
    const id = await answeredCall([{ wait: 300 }, { say: 500 }, { wait: 2000 }, { say: 1200 }, { wait: 60_000 }]);
    let started = 0;
    const result = await hear(hearing.r.conn, id, { recogniser: recogniser(), media, language: 'en', armed: playing(), onSpeechStart: () => (started += 1), signal: new AbortController().signal, log: hearing.r.log });
    assert.equal(result.outcome === 'recognised' && result.text, 'yes');
    assert.equal(server.sessions.length, 2, 'one connection per utterance');
    assert.equal(started, 1, 'the noise did not stop the prompt; the answer did');
    onlyTheCall(id);
  });

  it('the server fails mid-speech: the listening stops at once with its reason, nothing left behind', async function () {
    server.answer = (m, s) => {
      if (m.bytes !== undefined && audioCount(s) === 2) s.socket.close(1011, 'model crashed');
      return m.bytes !== undefined ? '{"partial":""}' : undefined;
    };
    const id = await answeredCall([{ wait: 300 }, { say: 30_000 }]);
    await assert.rejects(
      hear(hearing.r.conn, id, { recogniser: recogniser(), media, language: 'en', signal: new AbortController().signal, log: hearing.r.log }),
      speechError('unavailable', /^vosk recogniser \(ws:\/\/127\.0\.0\.1:\d+\) closed the connection before its final result \(code 1011: model crashed\)$/),
    );
    assert.equal(hearing.r.sim.call(id).report().said, undefined, 'the caller is still speaking');
    onlyTheCall(id);
  });

  it('the caller hangs up mid-speech: hangup, the socket closed without an eof, nothing left behind', async function () {
    let id = '';
    const call = new AbortController();
    let closed: Promise<unknown> | undefined;
    server.answer = (m, s) => {
      if (m.bytes !== undefined && audioCount(s) === 3) {
        closed = once(s.socket, 'close');
        hearing.r.sim.call(id).hangup(16);
        call.abort();
      }
      return m.bytes !== undefined ? '{"partial":"sales"}' : undefined;
    };
    id = await answeredCall([{ wait: 300 }, { say: 30_000 }]);
    const result = await hear(hearing.r.conn, id, { recogniser: recogniser(), media, language: 'en', signal: call.signal, log: hearing.r.log });
    assert.deepEqual(result, { outcome: 'hangup' });
    await closed;
    const s = await server.session(1);
    assert.ok(!s.messages.some((m) => m.text === VOSK_EOF), 'no eof');
    assert.deepEqual(hearing.r.sim.asterisk.channelList(), []);
    assert.deepEqual(hearing.r.sim.asterisk.bridgeList(), []);
  });

  it('a ulaw call streams its 8 kHz audio as it comes and says so', async function () {
    server.answer = (m) => (m.text?.includes('config') ? undefined : m.text === VOSK_EOF ? '{"text":"two"}' : '{"partial":"two"}');
    const id = await answeredCall([{ wait: 300 }, { say: 800 }, { wait: 60_000 }]);
    const result = await hear(hearing.r.conn, id, { recogniser: recogniser(), media: { ...media, format: 'ulaw' }, language: 'en', digits: true, signal: new AbortController().signal, log: hearing.r.log });
    assert.equal(result.outcome === 'recognised' && result.text, 'two');
    const s = await server.session(1);
    assert.equal(configOf(s).sample_rate, 8000);
    assert.equal(s.messages[1]?.bytes, 3200, '0.2 s at 8 kHz');
    onlyTheCall(id);
  });
});
