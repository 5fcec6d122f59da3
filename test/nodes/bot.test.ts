/**
 * callflow-bot end to end on the simulated Asterisk: espeak-ng says the greeting and the replies (skipped, saying so,
 * where it is not installed), a stand-in server on localhost is both the recogniser (a fixed text per request) and the
 * bot (a webhook); the caller's speech is the simulator's speech-like audio. Transfer with its queue and data,
 * the transcript in the call variables and the call-end report, a hostile bot answer on the error output.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { CREDS, connected, ivrFlow, messages, useSimulator, type CallEndMsg, type CallMsg } from '../support/ivr';
import { NODES, coreNode, hasText, helper, loggedText, nextMessage, node, useNodeRed, waitForStatus } from '../support/node-red';
import { EXAMPLES_STORE, readExamples } from '../../lib/playground/home';
import { useAppServer } from '../support/app-server';
import { RawAri } from '../support/raw-ari';
import { robotNode, useSpeakingTests } from '../support/speech-http';
import { DEMO_NUMBERS, ROBOT_CUSTOMERS } from '../../lib/playground/demo-numbers';
import * as robot from '../../lib/ivr/bot';


describe('callflow-bot', function () {
  useNodeRed();
  const simulator = useSimulator(20);
  const app = useAppServer();
  const web = useSpeakingTests('callflow-bot-');
  const captureHttpNode = web.captureHttpNode;
  async function deploy(settings: Record<string, unknown> = {}): Promise<void> {
    await helper.load(
      [...NODES, captureHttpNode] as never,
      ivrFlow(
        simulator(),
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['bot']] },
          { ...robotNode('bot', app.url('/bot'), settings), wires: [['ended'], ['transfer'], ['limit'], ['error']] },
          { id: 'ended', type: 'helper' },
          { id: 'transfer', type: 'helper' },
          { id: 'limit', type: 'helper' },
          { id: 'error', type: 'helper' },
          { id: 'end', type: 'callflow-call-end', connection: 'a1', flow: 'main', wires: [['report']] },
          { id: 'report', type: 'helper' },
        ],
        ['bot'],
        { configs: [{ id: 'sp', type: 'callflow-speech', provider: 'local', publicUrl: web.publicUrl(), directory: web.dir(), recognizer: 'whisper', sttBaseUrl: app.url(''), sttModel: 'w', sttFormat: 'json', sttMaxSec: 20 }] },
      ),
      { ...CREDS, bot: { apiKey: 'bot-key' } },
    );
    await connected();
  }

  /** The recogniser hears "I want to order.", then "Four two."; the bot asks for the order number, then transfers to sales with it. */
  function orderBot(): void {
    let turns = 0;
    app.handler = (req, res) => {
      if (req.url === '/v1/audio/transcriptions') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ text: turns === 0 ? 'I want to order.' : 'Four two.' }));
      turns += 1;
      const answer = turns === 1 ? { reply: 'What is your order number?', action: 'continue' } : { reply: 'Connecting you.', action: 'transfer', queue: 'sales', data: { order: '42' } };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    };
  }

  it('talks until the bot asks for a transfer: queue and data for a transfer node, the transcript in vars and the call-end report', async function () {
    orderBot();
    await deploy();
    const out = nextMessage<CallMsg>(node('transfer'), 30_000);
    const call = simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-end' }, { say: 700 }, { waitFor: 'playback-end' }, { say: 700 }, { wait: 60_000 }] });
    const msg = await out;
    assert.deepEqual(msg.payload, { outcome: 'transfer', queue: 'sales', data: { order: '42' }, turns: 2 });
    assert.equal(msg.call.vars.botQueue, 'sales');
    const lines = msg.call.vars.botTranscript as { role: string; text: string; at: string }[];
    assert.deepEqual(
      lines.map(({ role, text }) => ({ role, text })),
      [
        { role: 'caller', text: 'I want to order.' },
        { role: 'bot', text: 'What is your order number?' },
        { role: 'caller', text: 'Four two.' },
        { role: 'bot', text: 'Connecting you.' },
      ],
    );
    // Each line has its time, in the order they were said.
    assert.ok(lines.every((l) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(l.at)), JSON.stringify(lines));
    assert.deepEqual(lines.map((l) => l.at), lines.map((l) => l.at).sort());
    assert.equal(msg.call.trace.at(-1)?.outcome, 'transfer sales');
    const bot = app.received.filter((r) => r.url === '/bot');
    assert.equal(bot[0]?.headers.authorization, 'Bearer bot-key');
    assert.equal(call.report().heard.length, 3, 'greeting and two replies played');
    const report = nextMessage<CallEndMsg>(node('report'), 30_000);
    call.hangup();
    assert.deepEqual((await report).payload.transcript, msg.call.vars.botTranscript, 'the call-end report carries the transcript');
  });

  it('Voice path stream: espeak-ng\'s greeting and replies reach the caller as RTP on the media path bridged with the call, no playback', async function () {
    orderBot();
    // The simulator runs 20 times faster than the wall clock that paces the streamed voice: the wait for speech after a
    // reply (counted in the simulator's audio) is long enough for the caller's 200 ms (real) wait for the reply's end.
    await deploy({ voicePath: 'stream', startTimeoutSec: 60 });
    const out = nextMessage<CallMsg>(node('transfer'), 30_000);
    const call = simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'voice-end' }, { say: 700 }, { waitFor: 'voice-end' }, { say: 700 }, { wait: 60_000 }] });
    const msg = await out;
    assert.deepEqual(msg.payload, { outcome: 'transfer', queue: 'sales', data: { order: '42' }, turns: 2 });
    assert.deepEqual(
      (msg.call.vars.botTranscript as { text: string }[]).map((l) => l.text),
      ['I want to order.', 'What is your order number?', 'Four two.', 'Connecting you.'],
    );
    const report = call.report();
    assert.deepEqual(report.heard, [], 'nothing played by Asterisk');
    const media = report.externalMedia ?? [];
    assert.equal(media.length, 1, 'one external media channel for the conversation');
    // espeak-ng says each of the three in well over half a second.
    assert.ok((media[0]?.received.durationMs ?? 0) > 1500, `the caller got ${media[0]?.received.durationMs} ms of the robot's voice`);
    call.hangup();
  });

  it('a caller hanging up mid-conversation: the call-end report keeps what was said so far', async function () {
    let turns = 0;
    app.handler = (req, res) => {
      if (req.url === '/v1/audio/transcriptions') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"Is this the bank?"}');
      turns += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ reply: 'Yes, how can I help?', action: 'continue' }));
    };
    await deploy();
    const report = nextMessage<CallEndMsg>(node('report'), 30_000);
    // The caller speaks after the greeting, and hangs up as the bot's reply starts.
    simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-end' }, { say: 700 }, { waitFor: 'playback-start' }, { hangup: true }] });
    const transcript = (await report).payload.transcript as { role: string; text: string; at?: string }[];
    assert.equal(turns, 1);
    assert.deepEqual(transcript.map(({ role, text }) => ({ role, text })), [
      { role: 'caller', text: 'Is this the bank?' },
      { role: 'bot', text: 'Yes, how can I help?' },
    ]);
    assert.ok(transcript.every((l) => typeof l.at === 'string'));
  });

  it('a caller who says nothing leaves by the third output once Most silences is reached, the bot never asked about it', async function () {
    app.handler = (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(req.url === '/bot' ? '{"reply":"Are you there?"}' : '{"text":"?"}');
    };
    await deploy({ maxSilences: 1, startTimeoutSec: 1 });
    const out = nextMessage<CallMsg>(node('limit'), 30_000);
    simulator().placeCall({ from: '1', to: '2', script: [{ wait: 60_000 }] });
    const msg = await out;
    assert.deepEqual(msg.payload, { outcome: 'silence', turns: 1 });
    assert.equal(msg.call.trace.at(-1)?.outcome, 'silence');
    assert.deepEqual(app.received.map((r) => r.url), [], 'neither the recogniser nor the bot was asked');
  });

  it('a transfer that names no queue, on a call with no skill queue (not a campaign call), goes to the error output with the reason', async function () {
    app.handler = (req, res) => {
      if (req.url === '/v1/audio/transcriptions') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"an agent please"}');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"reply":"One moment.","action":"transfer"}');
    };
    await deploy();
    const out = nextMessage<CallMsg & { error: { message: string } }>(node('error'), 30_000);
    simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-end' }, { say: 700 }, { wait: 60_000 }] });
    const msg = await out;
    assert.match(msg.error.message, /a transfer without naming a queue, and the call has no skill queue/);
    assert.equal((msg.call.vars.botTranscript as unknown[]).length, 2, 'the transcript is kept');
  });

  it('a bot answer that is not allowed (an unknown action) goes to the error output with the reason', async function () {
    app.handler = (req, res) => {
      if (req.url === '/v1/audio/transcriptions') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"hello"}');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"reply":"ok","action":"dial","queue":"SIP/evil"}');
    };
    await deploy();
    const out = nextMessage<CallMsg & { error: { message: string } }>(node('error'), 30_000);
    simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-end' }, { say: 700 }, { wait: 60_000 }] });
    assert.match((await out).error.message, /answered an action that is not continue, end or transfer: "dial"/);
  });

  describe('its Voice path, given to the conversation', function () {
    // The conversation itself (lib/ivr/bot.ts converse) is stood in for: these tests are about what the node asks of
    // it; how each voice path sounds on a call is the engine's to test.
    const real = robot.converse;
    const module = robot as { converse: typeof robot.converse };
    let asked: robot.ConverseRequest[] = [];
    beforeEach(function () {
      asked = [];
      module.converse = (_telephony, _session, req) => {
        asked.push(req);
        return Promise.resolve({ outcome: 'ended', turns: 0, transcript: [] });
      };
    });
    afterEach(function () {
      module.converse = real;
    });

    async function voicePathOf(settings: Record<string, unknown>): Promise<unknown> {
      await deploy(settings);
      const out = nextMessage<CallMsg>(node('ended'), 30_000);
      simulator().placeCall({ from: '1', to: '2', script: [{ wait: 60_000 }] });
      assert.deepEqual((await out).payload, { outcome: 'ended', turns: 0 });
      assert.equal(asked.length, 1);
      return asked[0]?.voicePath;
    }

    it('stream, as set on the node', async function () {
      assert.equal(await voicePathOf({ voicePath: 'stream' }), 'stream');
    });

    it('playback, as set on the node', async function () {
      assert.equal(await voicePathOf({ voicePath: 'playback' }), 'playback');
    });

    it('playback for a node saved before the setting existed (no voicePath in the flow)', async function () {
      assert.equal(await voicePathOf({}), 'playback');
    });

    it('a flow with a Voice path that does not exist is refused at deploy, saying which values are', async function () {
      await deploy({ voicePath: 'loud' });
      await waitForStatus(node('bot'), hasText('callflow.status.invalid-config'));
      assert.match(loggedText(), /voicePath: playback \(.*\) or stream \(.*\) \(got \\"loud\\"\)/);
      assert.equal(asked.length, 0);
    });
  });

  describe('the "Intelligent robot" example', function () {
    const CORE = ['network/21-httpin.js', 'function/10-function.js', 'common/20-inject.js', 'common/21-debug.js', 'common/90-comment.js'].map(coreNode);
    /** The example on the test's simulator, its services on the test's Node-RED, its store in the test's directory. */
    async function deployExample(keepRecords = false): Promise<Record<string, unknown>[]> {
      const found = readExamples().find((e) => e.name === 'Intelligent robot');
      if (!found) throw new Error('no example "Intelligent robot"');
      const nodes = found.nodes.map((n) => {
        // With keepRecords, the step docs/speech.md asks for: the connection keeps call records in the example's store.
        if (n.type === 'callflow-asterisk') return { ...n, id: 'a1', useSimulator: false, url: simulator().url, ...(keepRecords ? { recordStore: EXAMPLES_STORE } : {}) };
        if (n.type === 'callflow-speech') return { ...n, publicUrl: web.publicUrl(), directory: web.dir(), sttBaseUrl: String(n.sttBaseUrl).replace('http://127.0.0.1:1880', web.publicUrl()) };
        if (n.type === 'callflow-bot') return { ...n, url: String(n.url).replace('http://127.0.0.1:1880', web.publicUrl()) };
        if (n.type === 'callflow-store') return { ...n, file: path.join(web.dir(), 'callflow.db') };
        return n.connection ? { ...n, connection: 'a1' } : n;
      });
      await helper.load([...NODES, captureHttpNode, ...CORE] as never, nodes, CREDS);
      // Its entry is version v1 of flow "robot", released at deploy (the Call flows sidebar lists its calls).
      await waitForStatus(node(String(nodes.find((n) => n.type === 'callflow-entry')?.id)), hasText('v1: Official Release'));
      return nodes;
    }

    it('runs with no network: the stand-in recogniser and bot are http in flows of the same Node-RED; the caller is put through to sales', async function () {
      await deployExample();
      const observer = await new RawAri(simulator().url, simulator().username, simulator().password).events('observer', { subscribeAll: true });
      const call = simulator().placeCall({ from: '+15550100', to: '500', args: ['robot'], script: [{ waitFor: 'playback-end' }, { say: 900 }, { waitFor: 'playback-end' }, { say: 900 }, { wait: 20_000 }] });
      const report = await call.ended();
      // greeting, "Shall I put you through...", "Connecting you to sales.", the transfer notice.
      assert.equal(report.heard.length, 4, report.heard.map((h) => h.media).join());
      assert.ok(report.heard.every((h) => h.outcome === 'done' && /\/callflow\/speech\/[0-9a-f]{32}\.wav$/.test(h.media)));
      // Its robot records the call (Record the call), once, under the call's id: stored once the snoop channel ended.
      try {
        await observer.next((e) => e.type === 'RecordingFinished' && (e.recording as { name?: string }).name === `call-${call.id}`, 20_000);
      } finally {
        await observer.close();
      }
      assert.deepEqual(simulator().call(call.id).report().recordings.map((r) => r.name), [`call-${call.id}`]);
    });

    it("its robot task calls the customers, who talk with the robot until it puts them through to sales; every call is recorded, and listed with its conversation and recording", async function () {
      this.timeout(90_000);
      const nodes = await deployExample(true);
      const idOf = (type: string, name = ''): string => String(nodes.find((n) => n.type === type && (name === '' || n.name === name))?.id);
      const task = nodes.find((n) => n.type === 'callflow-campaign');
      assert.deepEqual([task?.taskType, task?.recordCalls, task?.flow], ['robot', true, 'robot']);
      // The customers as npm start makes them behave, answering sooner.
      for (const number of ROBOT_CUSTOMERS) simulator().setNumber(number, { ...(DEMO_NUMBERS[number] as object), ringMs: 200 } as never);
      await waitForStatus(node(idOf('callflow-dialer')), (s) => /^draft/.test(s.text ?? ''), 10_000);
      const loaded = nextMessage<{ payload: { inserted: number } }>(node(idOf('debug', 'contacts')));
      node(idOf('callflow-contacts')).receive({ payload: JSON.parse(String(nodes.find((n) => n.name === 'load 3 customers')?.payload)) as unknown });
      assert.equal((await loaded).payload.inserted, 3);
      type Finished = { payload: { customerId: string; result: { code: string }; attempts: { callId?: string; recording?: string }[] } };
      const finished = messages<Finished>(idOf('debug', 'customers'), 3, 80_000);
      const observer = await new RawAri(simulator().url, simulator().username, simulator().password).events('observer', { subscribeAll: true });
      node(idOf('callflow-dialer')).receive({ topic: 'start' });
      const customers = await finished;
      // Each call's recording is stored once its snoop channel ended with the call.
      try {
        for (const m of customers) {
          const name = m.payload.attempts[0]?.recording;
          await observer.next((e) => e.type === 'RecordingFinished' && (e.recording as { name?: string }).name === name, 20_000);
        }
      } finally {
        await observer.close();
      }
      assert.deepEqual(customers.map((m) => `${m.payload.customerId}:${m.payload.result.code}`).sort(), ['R001:answered', 'R002:answered', 'R003:answered']);
      // Each customer spoke twice and heard the robot's greeting, its offer, "Connecting you to sales." and the transfer notice, all synthesised.
      const reports = simulator().asterisk.reportList().filter((r) => r.direction === 'outbound' && ROBOT_CUSTOMERS.includes(r.to));
      assert.equal(reports.length, 3);
      for (const r of reports) {
        assert.equal(r.said?.length, 2, r.to);
        assert.equal(r.heard.length, 4, `${r.to}: ${r.heard.map((h) => h.media).join()}`);
        assert.ok(r.heard.every((h) => h.outcome === 'done' && /\/callflow\/speech\/[0-9a-f]{32}\.wav$/.test(h.media)), r.to);
        // Recorded once: the task's Record calls, from the answer; the robot's Record the call finds it recorded.
        assert.deepEqual(r.recordings.map((rec) => rec.name.replace(/cfc-.*/, 'cfc-')), ['campaign-cfc-'], r.to);
      }
      assert.deepEqual(helper.log().args.map((a) => JSON.stringify(a[0])).filter((line) => line.includes('did not start')), [], 'no second recording was tried');
      // Each call was recorded (Record calls): its attempt names the recording of its channel.
      const recorded = customers.map((m) => m.payload.attempts.map((a) => [a.recording, a.callId === undefined ? undefined : `campaign-${a.callId}`]));
      for (const attempts of recorded) {
        assert.equal(attempts.length, 1);
        assert.match(String(attempts[0]?.[0]), /^campaign-cfc-/);
        assert.equal(attempts[0]?.[0], attempts[0]?.[1]);
      }
      // The Call flows sidebar's calls of version v1: each robot call with its conversation and its recording, which plays.
      type Listed = { id: string; transcript?: { role: string }[]; recording?: string };
      const listed = await new Promise<Listed[]>((resolve) => {
        const ask = (): void => {
          void helper
            .request()
            .get('/callflow/releases/c0ffee0000000003/flows/robot/versions/v1/calls')
            .then((res) => {
              const recent = (res.body as { recent: Listed[] }).recent.filter((c) => c.recording !== undefined);
              if (recent.length === 3) resolve(recent);
              else setImmediate(ask);
            });
        };
        ask();
      });
      for (const call of listed) {
        assert.deepEqual(call.transcript?.map((l) => l.role), ['caller', 'bot', 'caller', 'bot'], call.id);
        assert.match(call.recording ?? '', /^callflow\/campaigns\/b07a0000000000c1\/attempts\/R00[123]\/1\/recording$/);
      }
      const played = await helper.request().get(`/${listed[0]?.recording ?? ''}`).expect(200);
      assert.equal(played.headers['content-type'], 'audio/wav');
    });
  });
});
