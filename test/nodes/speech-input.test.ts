/**
 * Speech input in Node-RED: the callflow-speech node's recogniser (its settings, its key as a credential), through a
 * stand-in Whisper-compatible server on localhost; menu and collect taking speech on the simulated Asterisk, whose
 * scripted callers say speech-like audio (the stand-in answers a fixed text per request): an option said, digits
 * said, barge-in over the prompt, keys still working, silence, a caller hanging up while speaking, a failing recogniser.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { recogniserFor, type SpeechConfigNode } from '../../nodes/speech/config';
import { CREDS, connected, ivrFlow, received, useSimulator, type CallEndMsg, type CallMsg } from '../support/ivr';
import { NODES, helper, loggedText, nextMessage, node, untilLogged, useNodeRed } from '../support/node-red';
import { useAppServer } from '../support/app-server';
import { needsEngines } from '../support/speech';
import { VoskStandIn, configOf, useVoskStandIn } from '../support/vosk-server';
import { EspeakEngine } from '../../lib/speech/espeak';
import { encodeWav, resample } from '../../lib/speech/wav';
import { useTempDir } from '../support/temp-dir';

const audio = { rate: 8000, samples: new Int16Array(1600).fill(3000) };

describe('speech input (callflow-speech recogniser)', function () {
  useNodeRed();
  const app = useAppServer();
  const temp = useTempDir('callflow-speech-input-');
  /** What recogniserFor reads of Node-RED: its deployed nodes. */
  const RED = (): Parameters<typeof recogniserFor>[0] => ({ nodes: { getNode: (id: string) => helper.getNode(id) } }) as unknown as Parameters<typeof recogniserFor>[0];

  it('a whisper recogniser: its base URL, model and format from the form, its own key from the credentials', async function () {
    app.handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"two"}');
    await helper.load(NODES, [{ id: 'sp', type: 'callflow-speech', provider: 'local', directory: temp.path, recognizer: 'whisper', sttBaseUrl: app.url(''), sttModel: 'small.en', sttFormat: 'json', sttMaxSec: 5 }], {
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
      { id: 'none', type: 'callflow-speech', provider: 'local', directory: temp.path },
      { id: 'bad', type: 'callflow-speech', provider: 'local', directory: temp.path, recognizer: 'whisper', sttBaseUrl: 'ftp://example.com', sttMaxSec: 500 },
    ]);
    await untilLogged(/invalid speech settings: .*sttBaseUrl.*sttMaxSec|invalid speech settings: .*sttMaxSec.*sttBaseUrl/);
    await assert.rejects(recogniserFor(RED(), 'none').recognise({ audio, language: 'en' }), /the speech node none has no recogniser \(its Speech input setting is none\)/);
    await assert.rejects(recogniserFor(RED(), 'bad').recognise({ audio, language: 'en' }), /the speech node bad cannot recognise speech: its settings are invalid: .*sttMaxSec/);
    await assert.rejects(recogniserFor(RED(), 'gone').recognise({ audio, language: 'en' }), /the speech node gone is not deployed/);
    await assert.rejects(recogniserFor(RED(), '').recognise({ audio, language: 'en' }), /speech input needs a speech node/);
  });

  it('pocketsphinx and vosk recognisers from the form: vosk\'s URL, its key from the credentials; a URL that is not ws(s) is refused', async function () {
    const vosk = new VoskStandIn();
    await vosk.start();
    try {
      vosk.answer = (m) => (m.text === '{"eof" : 1}' ? '{"text":"two","result":[{"word":"two","conf":0.8}]}' : m.bytes !== undefined ? '{"partial":""}' : undefined);
      await helper.load(
        NODES,
        [
          { id: 'vk', type: 'callflow-speech', provider: 'local', directory: temp.path, recognizer: 'vosk', voskUrl: vosk.url, sttMaxSec: 5 },
          { id: 'ps', type: 'callflow-speech', provider: 'local', directory: temp.path, recognizer: 'pocketsphinx', sttMaxSec: 5 },
          { id: 'bad', type: 'callflow-speech', provider: 'local', directory: temp.path, recognizer: 'vosk', voskUrl: 'http://127.0.0.1:2700' },
        ],
        { vk: { sttApiKey: 'vosk-key' } },
      );
      await untilLogged(/invalid speech settings: voskUrl: a ws:\/\/ or wss:\/\/ URL/);
      assert.deepEqual(await recogniserFor(RED(), 'vk').recognise({ audio, language: 'en' }), { text: 'two', confidence: 0.8 });
      assert.equal((await vosk.session(1)).headers.authorization, 'Bearer vosk-key');
      const ps = helper.getNode('ps') as SpeechConfigNode;
      assert.match(ps.recogniser?.identity ?? '', /^local pocketsphinx /);
      await assert.rejects(recogniserFor(RED(), 'ps').recognise({ audio, language: 'fr' }), /pocketsphinx has the US English model only \(en-US\); the language "fr" needs another recogniser/);
      await assert.rejects(recogniserFor(RED(), 'ps').recognise({ audio: { rate: 8000, samples: new Int16Array(6 * 8000) }, language: 'en' }), /6000 ms of audio is more than the 5000 ms/);
      assert.ok(!loggedText().includes('vosk-key'), 'the key is never logged');
    } finally {
      await vosk.stop();
    }
  });

  describe('menu and collect on the simulator', function () {
    const simulator = useSimulator(20);
    const MENU = {
      type: 'callflow-menu',
      speech: 'sp',
      prompts: ['sound:demo-congrats'],
      options: ['1', '2'],
      labels: ['sales', 'support'],
      repeatKey: '',
      timeoutSec: 2,
      retries: 0,
      invalidPrompts: [],
      timeoutPrompts: [],
      language: 'en',
      onError: 'output',
      input: 'speech',
      phrases: ['sales, buy something', 'support, help'],
      speechMaxSec: 10,
      endSilenceMs: 600,
    };
    const COLLECT = {
      type: 'callflow-collect',
      speech: 'sp',
      prompts: ['sound:demo-congrats'],
      minDigits: 4,
      maxDigits: 4,
      firstDigitTimeoutSec: 2,
      terminator: '#',
      pattern: '',
      retries: 0,
      invalidPrompts: [],
      timeoutPrompts: [],
      variable: 'pin',
      language: 'en',
      onError: 'output',
      input: 'speech',
      speechKind: 'digits',
      speechMaxSec: 10,
      endSilenceMs: 600,
    };

    const WHISPER = { id: 'sp', type: 'callflow-speech', provider: 'local', directory: temp.path, recognizer: 'whisper', sttBaseUrl: app.url(''), sttModel: 'whisper-1', sttFormat: 'verbose_json', sttMaxSec: 20 };
    async function deploy(element: object, outputs: number, speech: object = { ...WHISPER, directory: temp.path, sttBaseUrl: app.url('') }): Promise<void> {
      const outs = Array.from({ length: outputs }, (_, i) => `out${i}`);
      await helper.load(
        NODES,
        ivrFlow(
          simulator(),
          [
            { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['el']] },
            { id: 'el', ...element, wires: outs.map((o) => [o]) },
            ...outs.map((id) => ({ id, type: 'helper' })),
            { id: 'end', type: 'callflow-call-end', connection: 'a1', flow: 'main', wires: [['ended']] },
            { id: 'ended', type: 'helper' },
          ],
          ['el'],
          { configs: [speech] },
        ),
        { ...CREDS, sp: { sttApiKey: 'stt-key' } },
      );
      await connected();
    }
    const answers = (text: string): void => {
      app.handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ text, segments: [{ avg_logprob: -0.1 }] }));
    };
    /** What listening made (cfm-, cfms- channels, bridges) still there. */
    const leftovers = (): string[] => [...simulator().asterisk.channelList().map((c) => c.id).filter((id) => id.startsWith('cfm')), ...simulator().asterisk.bridgeList().map((b) => b.id)];

    it('menu: the caller says an option over the prompt: barge-in stops it, the option\'s output, text and confidence in vars and trace', async function () {
      answers('I need help, please.');
      await deploy(MENU, 4);
      const out = nextMessage<CallMsg>(node('out1'));
      const call = simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-start' }, { wait: 200 }, { say: 1200 }, { wait: 60_000 }] });
      const msg = await out;
      assert.deepEqual(msg.payload, { outcome: 'option', key: '2', label: 'support', attempts: 1, spoken: { text: 'I need help, please.', confidence: 0.905 } });
      assert.equal(msg.call.vars.speechText, 'I need help, please.');
      assert.equal(msg.call.vars.speechConfidence, 0.905);
      assert.equal(msg.call.trace.at(-1)?.outcome, 'option 2 said "I need help, please." (0.905)');
      assert.deepEqual(call.report().heard.map((h) => h.outcome), ['stopped'], 'the prompt was stopped by speech');
      const r = await app.arrival(1);
      assert.match(r.body, /name="prompt"\r\n\r\nsales, buy something, support, help\r\n/);
      assert.deepEqual(leftovers(), []);
    });

    it('menu: speech that matches no option is the invalid output; silence the timeout output', async function () {
      answers('What is the weather?');
      await deploy(MENU, 4);
      const invalid = nextMessage<CallMsg>(node('out3'));
      simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-end' }, { say: 800 }, { wait: 60_000 }] });
      const msg = await invalid;
      assert.deepEqual(msg.payload, { outcome: 'invalid', key: '', attempts: 1, spoken: { text: 'What is the weather?', confidence: 0.905 } });
      const timeout = nextMessage<CallMsg>(node('out2'));
      simulator().placeCall({ from: '1', to: '2', script: [{ wait: 60_000 }] });
      assert.deepEqual((await timeout).payload, { outcome: 'timeout', attempts: 1 });
      assert.deepEqual(leftovers(), []);
      assert.equal(app.received.length, 1, 'silence sends nothing to the recogniser');
    });

    it('keys or speech: a key still chooses, and listening stops', async function () {
      await deploy({ ...MENU, input: 'both' }, 4);
      const out = nextMessage<CallMsg>(node('out0'));
      simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-start' }, { dtmf: '1' }, { wait: 60_000 }] });
      assert.deepEqual((await out).payload, { outcome: 'option', key: '1', label: 'sales', attempts: 1 });
      assert.equal(app.received.length, 0);
      assert.deepEqual(leftovers(), []);
    });

    it('collect: digits said land in the variable; other words are invalid', async function () {
      answers('one two three four');
      await deploy(COLLECT, 3);
      const out = nextMessage<CallMsg>(node('out0'));
      simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-end' }, { say: 1500 }, { wait: 60_000 }] });
      const msg = await out;
      assert.equal(msg.call.vars.pin, '1234');
      assert.equal(msg.call.vars.speechText, 'one two three four');
      assert.equal(msg.call.trace.at(-1)?.outcome, 'collected said "one two three four" (0.905)');
      answers("I don't know");
      const invalid = nextMessage<CallMsg>(node('out2'));
      simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-end' }, { say: 800 }, { wait: 60_000 }] });
      assert.equal((await invalid).payload.outcome, 'invalid');
    });

    it('collect, free text: what is said is the value', async function () {
      answers('Please call me back tomorrow.');
      await deploy({ ...COLLECT, speechKind: 'text', variable: 'note' }, 3);
      const out = nextMessage<CallMsg>(node('out0'));
      simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-end' }, { say: 1500 }, { wait: 60_000 }] });
      assert.equal((await out).call.vars.note, 'Please call me back tomorrow.');
    });

    it('the caller hangs up while speaking: no output, nothing recognised, the call-end report, nothing left', async function () {
      await deploy(MENU, 4);
      const ended = nextMessage<CallEndMsg>(node('ended'));
      const completed = nextMessage(node('completed'));
      const outputs = [0, 1, 2, 3].flatMap((i) => received(`out${i}`));
      simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-end' }, { say: 600 }, { hangup: true, cause: 16 }] });
      await completed;
      const report = (await ended).payload;
      assert.equal(report.by, 'caller');
      assert.equal(report.trace.at(-1)?.outcome, 'hangup');
      assert.equal(app.received.length, 0);
      assert.deepEqual(simulator().asterisk.channelList(), []);
      assert.deepEqual(simulator().asterisk.bridgeList(), []);
      assert.equal(outputs.length, 0, 'no output');
    });

    it('a failing recogniser: the error output (onError output) with the reason, never the key', async function () {
      app.handler = (_req, res) => res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"bad key"}}');
      await deploy(MENU, 5);
      const caught = nextMessage<CallMsg & { error: { message: string } }>(node('out4'));
      simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-end' }, { say: 800 }, { wait: 60_000 }] });
      const msg = await caught;
      assert.match(msg.error.message, /whisper recogniser \(http:\/\/127\.0\.0\.1:\d+\) refused the API key \(HTTP 401\): bad key/);
      assert.ok(!JSON.stringify(msg).includes('stt-key'));
    });

    describe('with a Vosk server (stand-in): the speech streamed while the caller speaks', function () {
      const vosk = useVoskStandIn();
      const VOSK = (): object => ({ id: 'sp', type: 'callflow-speech', provider: 'local', directory: temp.path, recognizer: 'vosk', voskUrl: vosk.url, sttMaxSec: 20 });

      // When the audio reaches the server (while the caller speaks) is test/media/hear-streaming.test.ts's: here the
      // simulator runs 20 times real time, too fast to compare with on a busy machine.
      it('menu: a partial with words stops the prompt, the final result chooses', async function () {
        vosk.answer = (m, session) => {
          if (m.text?.includes('config')) return undefined;
          if (m.text === '{"eof" : 1}') return JSON.stringify({ result: [{ word: 'i', conf: 1 }, { word: 'need', conf: 0.8 }, { word: 'help', conf: 0.6 }], text: 'i need help' });
          return JSON.stringify({ partial: session.messages.filter((x) => x.bytes !== undefined).length >= 3 ? 'i need' : '' });
        };
        await deploy(MENU, 4, VOSK());
        const out = nextMessage<CallMsg>(node('out1'));
        const call = simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-start' }, { wait: 200 }, { say: 1500 }, { wait: 60_000 }] });
        const msg = await out;
        assert.deepEqual(msg.payload, { outcome: 'option', key: '2', label: 'support', attempts: 1, spoken: { text: 'i need help', confidence: 0.8 } });
        assert.equal(msg.call.vars.speechText, 'i need help');
        assert.deepEqual(call.report().heard.map((h) => h.outcome), ['stopped'], 'the prompt was stopped');
        assert.deepEqual(configOf(await vosk.session(1)).phrase_list, ['sales', 'buy something', 'support', 'help', '[unk]']);
        assert.deepEqual(leftovers(), []);
      });

      it('the element closing mid-speech (a deploy): the connection dropped without an eof, the listening torn down', async function () {
        let unloading: Promise<void> | undefined;
        let closed: Promise<unknown> | undefined;
        vosk.answer = (m, session) => {
          if (m.bytes !== undefined && !unloading) {
            closed = once(session.socket, 'close');
            unloading = helper.unload();
          }
          return m.bytes !== undefined ? '{"partial":""}' : undefined;
        };
        // 60 s of speech at most (3 s of the test's time): the speech goes on when the flow stops.
        await deploy({ ...MENU, speechMaxSec: 60 }, 4, VOSK());
        const call = simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-end' }, { say: 120_000 }] });
        const s = await vosk.session(1);
        await vosk.audio(s, 1);
        await unloading;
        await closed;
        assert.ok(!s.messages.some((m) => m.text === '{"eof" : 1}'), 'no eof');
        // The element hangs the call up once its listening is torn down (the call cannot go on through it).
        await call.ended();
        assert.deepEqual(leftovers(), []);
      });

      it('collect: the server failing mid-speech is the error output with its reason, nothing left', async function () {
        vosk.answer = (m, session) => {
          if (m.bytes !== undefined && session.messages.filter((x) => x.bytes !== undefined).length === 2) session.socket.close(1011, 'out of memory');
          return m.bytes !== undefined ? '{"partial":""}' : undefined;
        };
        await deploy(COLLECT, 4, VOSK());
        const caught = nextMessage<CallMsg & { error: { message: string } }>(node('out3'));
        simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-end' }, { say: 5000 }, { wait: 60_000 }] });
        const msg = await caught;
        assert.match(msg.error.message, /^vosk recogniser \(ws:\/\/127\.0\.0\.1:\d+\) closed the connection before its final result \(code 1011: out of memory\)$/);
        assert.deepEqual(leftovers(), []);
      });
    });

    describe('with the local recogniser (pocketsphinx) on espeak-ng\'s voice', function () {
      const LOCAL = { id: 'sp', type: 'callflow-speech', provider: 'local', recognizer: 'pocketsphinx', sttMaxSec: 20 };
      /** A WAV of what espeak-ng says, for the scripted caller (the simulator hears it at 8 kHz, as a telephone line). */
      async function spoken(text: string): Promise<string> {
        const file = path.join(temp.path, `${text}.wav`);
        fs.writeFileSync(file, encodeWav(resample(await new EspeakEngine().synthesize({ text, voice: 'en-us', language: 'en' }), 16000)));
        return file;
      }
      beforeEach(function () {
        needsEngines(this, { espeak: true, pocketsphinx: true });
      });

      it('menu: the caller says "no" among yes and no: the second option, with no confidence (a grammar)', async function () {
        await deploy({ ...MENU, labels: ['yes', 'no'], phrases: ['yes', 'no'] }, 4, { ...LOCAL, directory: temp.path });
        const out = nextMessage<CallMsg>(node('out1'));
        simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-end' }, { say: { wav: await spoken('no') } }, { wait: 60_000 }] });
        const msg = await out;
        assert.deepEqual(msg.payload, { outcome: 'option', key: '2', label: 'no', attempts: 1, spoken: { text: 'no', confidence: null } });
        assert.equal(msg.call.vars.speechConfidence, null);
        assert.equal(msg.call.trace.at(-1)?.outcome, 'option 2 said "no"');
      });

      it('collect: the caller says "two" for one digit', async function () {
        await deploy({ ...COLLECT, minDigits: 1, maxDigits: 1 }, 3, { ...LOCAL, directory: temp.path });
        const out = nextMessage<CallMsg>(node('out0'));
        simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-end' }, { say: { wav: await spoken('two') } }, { wait: 60_000 }] });
        const msg = await out;
        assert.equal(msg.call.vars.pin, '2');
        assert.equal(msg.call.vars.speechText, 'two');
      });
    });

    it('speech input without a speech node is refused at deploy time, naming the field', async function () {
      await deploy({ ...MENU, speech: '' }, 4);
      await untilLogged(/input: speech input needs a speech node/);
    });
  });
});
