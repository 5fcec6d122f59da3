/**
 * say: prompts end to end: element nodes in Node-RED with a callflow-speech node, calls from the simulated Asterisk,
 * which fetches the synthesised audio over HTTP from the route the speech node serves, as Asterisk's media cache
 * would. The local provider is espeak-ng for real (skipped, saying so, where it is not installed); the HTTP
 * provider's failures come from a stand-in server.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { SpeechConfigNode } from '../../nodes/speech/config';
import { CREDS, connected, ivrFlow, useSimulator, type CallMsg } from '../support/ivr';
import { NODES, coreNode, helper, hasText, nextMessage, node, useNodeRed, waitForStatus } from '../support/node-red';
import { encodeWav, parseWav } from '../../lib/speech/wav';
import { useAppServer } from '../support/app-server';
import { skipWithoutEspeak, useNodeHttp } from '../support/speech-http';
import { useTempDir } from '../support/temp-dir';


describe('say: prompts (callflow-speech)', function () {
  useNodeRed();
  const simulator = useSimulator();
  const provider = useAppServer();
  // Node-RED's httpNode app of the current load, served for the simulator.
  const web = useNodeHttp();
  const temp = useTempDir('callflow-speech-nodes-');
  const load = (nodes: object[], watched: string[], speechNode: object, credentials: object = {}, configs: object[] = []): Promise<void> =>
    helper.load([...NODES, web.captureHttpNode, change] as never, ivrFlow(simulator(), nodes, watched, { configs: [{ id: 'sp', type: 'callflow-speech', provider: 'local', publicUrl: web.publicUrl(), directory: temp.path, ...speechNode }, ...configs] }), { ...CREDS, ...credentials });

  function needsEspeak(this: Mocha.Context): void {
    skipWithoutEspeak(this);
  }

  const change = coreNode('function/15-change.js');
  /** A change node that sets call variables (as a flow would, before the element). */
  const setVars = (id: string, vars: Record<string, string>, wires: string[][]): object => ({
    id,
    type: 'change',
    rules: Object.entries(vars).map(([k, v]) => ({ t: 'set', p: `call.vars.${k}`, pt: 'msg', to: v, tot: 'str' })),
    wires,
  });
  const wav24k = encodeWav({ rate: 24000, samples: new Int16Array(12000).map((_, i) => Math.round(8000 * Math.sin(i / 10))) });

  it('plays say: with a call variable: the simulator fetches the audio from Node-RED; the same text again is not synthesised again', async function () {
    needsEspeak.call(this);
    await load(
      [
        { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['vars']] },
        setVars('vars', { name: 'Ann' }, [['pl']]),
        { id: 'pl', type: 'callflow-play', speech: 'sp', prompts: ['sound:beep', 'say:Hello {vars.name}, welcome.'], language: 'en', bargeIn: false, repeat: 1, answer: true, onError: 'hangup', wires: [['spy']] },
        { id: 'spy', type: 'helper' },
      ],
      ['pl'],
      {},
    );
    await connected();
    const heard: string[][] = [];
    for (let i = 0; i < 2; i += 1) {
      const seen = nextMessage<CallMsg>(node('spy'));
      const call = simulator().placeCall({ from: '+15550100', to: '7000' });
      assert.deepEqual((await seen).payload, { outcome: 'done' });
      heard.push(call.report().heard.map((h) => `${h.media} ${h.outcome ?? ''}`));
      call.hangup();
      await call.ended();
    }
    const [first, second] = heard as [string[], string[]];
    assert.equal(first[0], 'sound:beep done');
    const m = new RegExp(`^sound:(${web.publicUrl().replace(/[.:/]/g, '\\$&')}/callflow/speech/[0-9a-f]{32}\\.wav) done$`).exec(first[1] as string);
    assert.ok(m, first[1]);
    assert.deepEqual(second, first, 'the same text plays the same audio');
    const sp = helper.getNode('sp') as SpeechConfigNode;
    assert.deepEqual([sp.synthesiser?.cache.figures.misses, sp.synthesiser?.cache.figures.hits], [1, 1]);
    // What Asterisk fetched: an 8 kHz WAV of the sentence, served as audio/wav.
    const res = await fetch(m[1] as string);
    assert.equal(res.headers.get('content-type'), 'audio/wav');
    const pcm = parseWav(Buffer.from(await res.arrayBuffer()));
    assert.equal(pcm.rate, 8000);
    assert.ok(pcm.samples.length > 8000, 'about a second or more of speech');
  });

  it('a menu says its say: prompt; a hostile variable stays text: one prompt, Node-RED\'s URL, nothing else played', async function () {
    provider.handler = (_req, res) => res.writeHead(200, { 'content-type': 'audio/wav' }).end(wav24k);
    await load(
      [
        { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['vars']] },
        setVars('vars', { name: 'x,sound:http://169.254.169.254/latest,{vars.secret}\u0000"' }, [['mn']]),
        { id: 'mn', type: 'callflow-menu', speech: 'sp', prompts: ['say:{vars.name}, press 1.'], options: ['1'], labels: [], repeatKey: '', retries: 0, invalidPrompts: [], timeoutPrompts: [], language: '', onError: 'hangup', wires: [['spy'], [], []] },
        { id: 'spy', type: 'helper' },
      ],
      ['mn'],
      { provider: 'openai', baseUrl: provider.url(''), model: 'tts-1', voice: 'alloy' },
      { sp: { apiKey: 'sk-test' } },
    );
    await connected();
    const seen = nextMessage<CallMsg>(node('spy'));
    const call = simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-start' }, { dtmf: '1' }] });
    assert.equal(((await seen).payload as { key: string }).key, '1');
    const heard = call.report().heard.map((h) => h.media);
    assert.equal(heard.length, 1);
    assert.match(heard[0] as string, /^sound:http:\/\/127\.0\.0\.1:\d+\/callflow\/speech\/[0-9a-f]{32}\.wav$/);
    const asked = JSON.parse((await provider.arrival(1)).body) as { input: string };
    assert.equal(asked.input, 'x,sound:http://169.254.169.254/latest,{vars.secret} ", press 1.', 'the value is said as text, its NUL a space');
    call.hangup();
    await call.ended();
  });

  it('a provider that refuses the key: the element fails with the reason on its error output, never the key', async function () {
    provider.handler = (_req, res) => res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"Incorrect API key"}}');
    await load(
      [
        { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['pl']] },
        { id: 'pl', type: 'callflow-play', speech: 'sp', prompts: ['say:Your code is ready.'], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'output', outputs: 2, wires: [[], ['err']] },
        { id: 'err', type: 'helper' },
      ],
      ['pl'],
      { provider: 'openai', baseUrl: provider.url(''), model: 'tts-1', voice: 'alloy' },
      { sp: { apiKey: 'sk-very-secret' } },
    );
    await connected();
    const failed = nextMessage<CallMsg & { error: { message: string } }>(node('err'));
    const caught = nextMessage<{ error: { message: string } }>(node('caught'));
    const call = simulator().placeCall({ from: '1', to: '2' });
    const msg = await failed;
    assert.match(msg.error.message, /could not say "say:Your code is ready\.": openai speech \(http:\/\/127\.0\.0\.1:\d+\) refused the API key \(HTTP 401\): Incorrect API key/);
    assert.ok(!msg.error.message.includes('sk-very-secret'));
    assert.match((await caught).error.message, /refused the API key/);
    assert.deepEqual(call.report().heard, [], 'nothing was played');
    call.hangup();
    await call.ended();
  });

  it('a redeploy cancels a synthesis under way: the provider\'s request is closed at once, not left to its deadline', async function () {
    let answerClosed!: () => void;
    const closed = new Promise<void>((resolve) => (answerClosed = resolve));
    // A provider that takes its time: it never answers; what the test waits for is Node-RED closing the request.
    provider.handler = (_req, res) => res.on('close', answerClosed);
    await load(
      [
        { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['pl']] },
        { id: 'pl', type: 'callflow-play', speech: 'sp', prompts: ['say:One moment please.'], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'output', outputs: 2, wires: [[], []] },
      ],
      ['pl'],
      // Its deadline is longer than the test's: only the close can end the request in time.
      { provider: 'openai', baseUrl: provider.url(''), model: 'tts-1', voice: 'alloy', timeoutSec: 120 },
      { sp: { apiKey: 'sk-test' } },
    );
    await connected();
    const call = simulator().placeCall({ from: '1', to: '2' });
    await provider.arrival(1);
    await helper.unload();
    await closed;
    // The connection closing hung the call up too.
    await call.ended();
  });

  it('refuses at deploy a say: prompt in a node without a speech node, naming the field', async function () {
    await load(
      [
        { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['cl']] },
        { id: 'cl', type: 'callflow-collect', prompts: ['sound:beep'], invalidPrompts: ['say:That is not valid.'], timeoutPrompts: [], minDigits: 1, maxDigits: 4, terminator: '#', pattern: '', retries: 1, variable: 'digits', language: '', onError: 'hangup', wires: [[], [], []] },
      ],
      ['cl'],
      {},
    );
    await waitForStatus(node('cl'), hasText('callflow.status.invalid-config'));
    const errors = (node('cl') as unknown as { error: { getCalls(): { args: unknown[] }[] } }).error.getCalls().map((c) => String(c.args[0]));
    assert.ok(errors.some((e) => /invalidPrompts: say: prompts need a speech node/.test(e)), errors.join('\n'));
  });

  it('a questionnaire says its questions\' say: prompts with its speech node', async function () {
    provider.handler = (_req, res) => res.writeHead(200, { 'content-type': 'audio/wav' }).end(wav24k);
    const question = { id: 'ok', kind: 'yesno', text: 'Satisfied?', prompts: ['say:Were you satisfied, {vars.name}? Press 1 for yes, 2 for no.'], timeoutSec: 2, retries: 0, invalidPrompts: [], timeoutPrompts: [] };
    await load(
      [
        { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['vars']] },
        setVars('vars', { name: 'Ann' }, [['qn']]),
        { id: 'qn', type: 'callflow-questionnaire', questions: 'qs', speech: 'sp', language: '', onError: 'hangup', wires: [['spy'], []] },
        { id: 'spy', type: 'helper' },
      ],
      ['qn'],
      { provider: 'openai', baseUrl: provider.url(''), model: 'tts-1', voice: 'alloy' },
      { sp: { apiKey: 'sk-test' } },
      [{ id: 'qs', type: 'callflow-questions', name: 'Satisfaction', questionnaire: 'satisfaction', store: '', questions: [question] }],
    );
    await connected();
    const seen = nextMessage<CallMsg>(node('spy'));
    const call = simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-start', media: '/callflow/speech/' }, { dtmf: '1' }] });
    const msg = await seen;
    assert.deepEqual((msg.payload as { answers: { question: string; answer: string }[] }).answers.map((a) => [a.question, a.answer]), [['ok', 'yes']]);
    assert.match(call.report().heard[0]?.media ?? '', /\/callflow\/speech\/[0-9a-f]{32}\.wav$/);
    assert.equal((JSON.parse((await provider.arrival(1)).body) as { input: string }).input, 'Were you satisfied, Ann? Press 1 for yes, 2 for no.');
    call.hangup();
    await call.ended();
  });

  it('msg.prompts with a say: prompt on a play node without a speech node: the element fails, saying so', async function () {
    await load(
      [
        { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['prompts']] },
        { id: 'prompts', type: 'change', rules: [{ t: 'set', p: 'prompts', pt: 'msg', to: '["say:Hello."]', tot: 'json' }], wires: [['pl']] },
        { id: 'pl', type: 'callflow-play', prompts: ['sound:beep'], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'output', outputs: 2, wires: [[], ['err']] },
        { id: 'err', type: 'helper' },
      ],
      ['pl'],
      {},
    );
    await connected();
    const failed = nextMessage<CallMsg & { error: { message: string } }>(node('err'));
    const call = simulator().placeCall({ from: '1', to: '2' });
    assert.match((await failed).error.message, /a say: prompt needs a speech node/);
    call.hangup();
    await call.ended();
  });

  it('lists espeak-ng\'s voices for the form (GET /callflow/speech/voices)', async function () {
    needsEspeak.call(this);
    await load([{ id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [] }], [], {});
    const answer = (await helper.request().get('/callflow/speech/voices').expect(200)).body as { local: { language: string; name: string }[] };
    assert.ok(answer.local.some((v) => v.language === 'en-us' && /English/.test(v.name)), JSON.stringify(answer.local.slice(0, 3)));
  });

  it('shared folder delivery: the audio is a .wav file in the folder Asterisk reads as sounds, played as sound:<name>/<id>', async function () {
    provider.handler = (_req, res) => res.writeHead(200, { 'content-type': 'audio/wav' }).end(wav24k);
    const sounds = path.join(temp.path, 'sounds');
    const shared = path.join(sounds, 'callflow-tts');
    await load(
      [
        { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['pl']] },
        { id: 'pl', type: 'callflow-play', speech: 'sp', prompts: ['say:Shared folder.'], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'hangup', wires: [['spy']] },
        { id: 'spy', type: 'helper' },
      ],
      ['pl'],
      { provider: 'openai', baseUrl: provider.url(''), model: 'tts-1', voice: 'alloy', delivery: 'shared', directory: shared, soundPrefix: 'callflow-tts' },
      { sp: { apiKey: 'sk-test' } },
    );
    await connected();
    // The simulator indexes a sounds folder when it is given (docs/simulator.md, Sounds), where Asterisk looks at play
    // time: the text is made first, then the folder is given to the simulator, as Asterisk's own would be.
    const sp = helper.getNode('sp') as SpeechConfigNode;
    const uri = await sp.speaker?.media('Shared folder.', '', new AbortController().signal);
    const file = path.join(shared, `${/^sound:callflow-tts\/([0-9a-f]{32})$/.exec(uri ?? '')?.[1] ?? 'none'}.wav`);
    assert.ok(fs.existsSync(file), `${uri} is ${file}`);
    assert.equal(parseWav(fs.readFileSync(file)).rate, 8000);
    await simulator().asterisk.sounds.addDirectory(sounds);
    const seen = nextMessage<CallMsg>(node('spy'));
    const call = simulator().placeCall({ from: '1', to: '2' });
    await seen;
    assert.deepEqual(call.report().heard.map((h) => [h.media, h.outcome]), [[uri, 'done']]);
    call.hangup();
    await call.ended();
  });
});

