/**
 * The robot: bot endpoints through a stand-in server on localhost (webhook and OpenAI-compatible chat), their hostile
 * answers refused or bounded; and a conversation on the simulated Asterisk (lib/ivr/bot.ts): greeting, listening with
 * a stand-in recogniser, the bot's replies said, until a transfer, the bot ending, or the turn limit.
 */
import assert from 'node:assert/strict';
import type { CallRegistry } from '../../lib/call/registry';
import type { CallSession } from '../../lib/call/session';
import { converse, sayPrompt, type ConverseRequest } from '../../lib/ivr/bot';
import { hear, type HearResult } from '../../lib/ivr/hear';
import { KeptPath } from '../../lib/media/listen';
import type { MediaSettings, MediaTelephony } from '../../lib/media/path';
import { HttpBot, MAX_REPLY_CHARS, SILENCE_MESSAGE, readTurn } from '../../lib/speech/bot';
import { SpeechError } from '../../lib/speech/provider';
import { WhisperRecogniser } from '../../lib/speech/whisper';
import { useAppServer } from '../support/app-server';
import { mediaTelephonyOf } from '../support/hearing';
import { lateMediaPath } from '../support/late-media-path';
import { inbound, nextEvent, useCallRig, type Rig } from '../support/telephony';

const media: MediaSettings = { bindHost: '127.0.0.1', advertiseHost: '127.0.0.1', portMin: 45000, portMax: 45999, format: 'slin16', worker: true };

function badAnswer(message: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof SpeechError, String(e));
    assert.equal(e.reason, 'bad-answer', e.message);
    assert.match(e.message, message);
    return true;
  };
}

describe('the robot', function () {
  const app = useAppServer();

  describe('bot endpoints (stand-in server)', function () {
    it('webhook: posts call, turn, text and history with the key; reads reply, action, queue and data', async function () {
      app.handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ reply: 'Connecting you.', action: 'transfer', queue: 'sales', data: { order: '42', vip: true } }));
      const bot = new HttpBot({ kind: 'webhook', url: app.url('/bot'), apiKey: 'bot-key' });
      const turn = await bot.turn({ call: 'c1', turn: 2, text: 'my order', history: [{ role: 'caller', text: 'hi' }] });
      assert.deepEqual(turn, { reply: 'Connecting you.', action: 'transfer', queue: 'sales', data: { order: '42', vip: true } });
      const r = await app.arrival(1);
      assert.equal(r.url, '/bot');
      assert.equal(r.headers.authorization, 'Bearer bot-key');
      assert.deepEqual(JSON.parse(r.body), { call: 'c1', turn: 2, text: 'my order', input: 'speech', history: [{ role: 'caller', text: 'hi' }] });
    });

    it('a silent caller: the webhook gets no text and input "silence"; a chat bot gets "(silence)" for every empty line, never an empty message', async function () {
      app.handler = (req, res) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(req.url === '/bot' ? '{"reply":"Are you there?"}' : JSON.stringify({ choices: [{ message: { content: 'Are you there?' } }] }));
      const webhook = new HttpBot({ kind: 'webhook', url: app.url('/bot'), apiKey: '' });
      await webhook.turn({ call: 'c1', turn: 2, text: '', silence: true, history: [{ role: 'caller', text: '' }, { role: 'bot', text: 'Hello?' }] });
      assert.deepEqual(JSON.parse((await app.arrival(1)).body), { call: 'c1', turn: 2, text: '', input: 'silence', history: [{ role: 'caller', text: '' }, { role: 'bot', text: 'Hello?' }] });
      const chat = new HttpBot({ kind: 'chat', url: app.url(''), model: 'm', apiKey: '' });
      await chat.turn({ call: 'c1', turn: 3, text: '', silence: true, history: [{ role: 'caller', text: '' }, { role: 'bot', text: '' }, { role: 'caller', text: 'hi' }, { role: 'bot', text: 'Hello?' }] });
      assert.deepEqual((JSON.parse((await app.arrival(2)).body) as { messages: unknown }).messages, [
        { role: 'user', content: SILENCE_MESSAGE },
        { role: 'assistant', content: SILENCE_MESSAGE },
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'Hello?' },
        { role: 'user', content: SILENCE_MESSAGE },
      ]);
      assert.equal(SILENCE_MESSAGE, '(silence)');
    });

    it('chat: OpenAI-compatible messages; plain content is a reply that continues, JSON content is read as the webhook answer', async function () {
      let content = 'Sure, what is your order number?';
      app.handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ choices: [{ message: { role: 'assistant', content } }] }));
      const bot = new HttpBot({ kind: 'chat', url: app.url(''), model: 'gpt-x', instructions: 'Be brief.', apiKey: '' });
      assert.deepEqual(await bot.turn({ call: 'c1', turn: 1, text: 'hello', history: [{ role: 'bot', text: 'Hi!' }] }), { reply: 'Sure, what is your order number?', action: 'continue', data: {} });
      const r = await app.arrival(1);
      assert.equal(r.url, '/v1/chat/completions');
      assert.deepEqual(JSON.parse(r.body), {
        model: 'gpt-x',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'assistant', content: 'Hi!' },
          { role: 'user', content: 'hello' },
        ],
      });
      content = '{"reply":"Goodbye.","action":"end"}';
      assert.deepEqual(await bot.turn({ call: 'c1', turn: 2, text: 'bye', history: [] }), { reply: 'Goodbye.', action: 'end', data: {} });
    });

    it('hostile answers: unknown actions, queue names that are not names, bad data and garbage are refused, saying what; text is bounded', function () {
      const shown = 'bot (http://x)';
      assert.throws(() => readTurn({ reply: 'x', action: 'dial', queue: 'q' }, shown), badAnswer(/an action that is not continue, end or transfer: "dial"/));
      assert.throws(() => readTurn({ reply: 'x', action: 'transfer', queue: 'sales,1;rm' }, shown), badAnswer(/a queue that is not a queue name .*"sales,1;rm"/));
      assert.throws(() => readTurn({ reply: 'x', action: 'transfer', queue: 7 }, shown), badAnswer(/not a queue name/));
      // No queue (or an empty one): the element takes the campaign's skill queue.
      assert.deepEqual(readTurn({ reply: 'x', action: 'transfer' }, shown), { reply: 'x', action: 'transfer', data: {} });
      assert.deepEqual(readTurn({ reply: 'x', action: 'transfer', queue: '' }, shown), { reply: 'x', action: 'transfer', data: {} });
      assert.throws(() => readTurn({ reply: 'x', data: { 'a-b': 1 } }, shown), badAnswer(/a data name that is not a name: "a-b"/));
      assert.throws(() => readTurn({ reply: 'x', data: { a: { b: 1 } } }, shown), badAnswer(/data a that is not text, a number or true\/false/));
      assert.throws(() => readTurn({ reply: 'x', data: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, i])) }, shown), badAnswer(/data of 21 entries/));
      assert.throws(() => readTurn([1], shown), badAnswer(/not an object/));
      assert.throws(() => readTurn({ reply: 5 }, shown), badAnswer(/a reply that is not text/));
      const long = readTurn({ reply: `a\u0000b\u202e${'x'.repeat(5000)}`, data: { note: 'y'.repeat(500) } }, shown);
      assert.equal(long.action, 'continue');
      assert.ok(long.reply.startsWith('a b x'));
      assert.ok(long.reply.length <= MAX_REPLY_CHARS + 3, String(long.reply.length));
      assert.ok(String(long.data.note).length <= 203);
      assert.equal(sayPrompt('a {vars.pin} b'), 'say:a {{vars.pin}} b', "a reply's braces are said, not read as variables");
    });

    it('turns in a row share one connection to the endpoint (kept alive), not a new one each', async function () {
      app.handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"reply":"Yes."}');
      const bot = new HttpBot({ kind: 'webhook', url: app.url('/bot'), apiKey: '' });
      for (let turn = 1; turn <= 3; turn++) assert.equal((await bot.turn({ call: 'c', turn, text: 'hi', history: [] })).reply, 'Yes.');
      assert.equal(app.received.length, 3);
      assert.equal(new Set(app.received.map((r) => r.socket)).size, 1, 'one connection for the three turns');
    });

    it('a kept-alive connection the endpoint closed as the next turn went out: the turn is sent once more, on a new one', async function () {
      let n = 0;
      app.handler = (req, res) => {
        n += 1;
        // The second request finds its connection closed under it (a server's idle timeout running out at that moment).
        if (n === 2) req.socket.destroy();
        else res.writeHead(200, { 'content-type': 'application/json' }).end(`{"reply":"Answer ${n}."}`);
      };
      const bot = new HttpBot({ kind: 'webhook', url: app.url('/bot'), apiKey: '' });
      assert.equal((await bot.turn({ call: 'c', turn: 1, text: 'hi', history: [] })).reply, 'Answer 1.');
      assert.equal((await bot.turn({ call: 'c', turn: 2, text: 'hi', history: [] })).reply, 'Answer 3.');
      assert.equal(app.received.length, 3);
      const [first, second, third] = app.received.map((r) => r.socket);
      assert.equal(first, second, 'the second turn went on the kept-alive connection');
      assert.notEqual(third, second, 'and again on a new one');
    });

    it('garbage, refusals and silence from the endpoint fail the turn with the reason', async function () {
      const bot = new HttpBot({ kind: 'webhook', url: app.url('/bot'), apiKey: 'k', timeoutMs: 200 });
      app.handler = (_req, res) => res.writeHead(200).end('<html>');
      await assert.rejects(bot.turn({ call: 'c', turn: 1, text: '', history: [] }), badAnswer(/not JSON \(6 bytes\)/));
      app.handler = (_req, res) => res.writeHead(401).end('no');
      await assert.rejects(bot.turn({ call: 'c', turn: 1, text: '', history: [] }), /refused the API key \(HTTP 401\)/);
      app.handler = () => undefined;
      await assert.rejects(bot.turn({ call: 'c', turn: 1, text: '', history: [] }), /did not answer within 200 ms/);
      assert.throws(() => new HttpBot({ kind: 'webhook', url: 'file:///etc/passwd', apiKey: '' }), /must be http\(s\)/);
    });
  });

  describe('a conversation on the simulator', function () {
    const rigged = useCallRig({ sim: { speed: 20 } });
    let r: Rig;
    let registry: CallRegistry;
    beforeEach(function () {
      ({ r, registry } = rigged());
    });

    /** A call whose caller speaks after each prompt ends, `times` times; its session. */
    async function call(times: number): Promise<{ session: CallSession; id: string }> {
      const sessions = new Promise<CallSession>((resolve) => registry.onCall(resolve));
      const script = [...Array.from({ length: times }, () => [{ waitFor: 'playback-end' as const }, { say: 700 }]).flat(), { wait: 60_000 }];
      const id = await inbound(r, { from: '+15550100', to: '100', script });
      return { session: await sessions, id };
    }

    function request(said: string[], bot: HttpBot, maxTurns = 5, onSay: () => void = () => undefined, telephony?: MediaTelephony, keep = false): ConverseRequest {
      return {
        endpoint: bot,
        greeting: 'Hello, how can I help?',
        maxTurns,
        language: 'en',
        speaker: {
          media: (text) => {
            said.push(text);
            onSay();
            return Promise.resolve('sound:demo-congrats');
          },
        },
        speech: {
          mode: 'speech',
          hear: (onSpeechStart, armed, signal, onListening, onHeard, kept) =>
            hear(telephony ?? r.conn, activeCall, { recogniser: new WhisperRecogniser({ baseUrl: app.url(''), model: 'w', apiKey: '' }), media, language: 'en', armed, onSpeechStart, onListening, onHeard, signal, log: r.log, kept }),
          ...(keep ? { keptPath: (callSignal: AbortSignal) => new KeptPath(telephony ?? r.conn, activeCall, media, callSignal, r.log) } : {}),
        },
      };
    }
    let activeCall = '';

    it('greets, listens, sends the text, says the replies, until the bot asks for a transfer (queue and data)', async function () {
      let turns = 0;
      app.handler = (req, res, got) => {
        if (req.url === '/v1/audio/transcriptions') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ text: turns === 0 ? 'I want to order.' : '42' }));
        turns += 1;
        const answer = turns === 1 ? { reply: 'What is your order number?', action: 'continue' } : { reply: 'Connecting you.', action: 'transfer', queue: 'sales', data: { order: (JSON.parse(got.body) as { text: string }).text } };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      };
      const { session, id } = await call(2);
      activeCall = id;
      const said: string[] = [];
      const result = await converse(r.conn, session, request(said, new HttpBot({ kind: 'webhook', url: app.url('/bot'), apiKey: '' })), session.signal);
      const { transcript, ...rest } = result;
      assert.ok(transcript.every((l) => /^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(l.at)), 'each line has its time');
      assert.deepEqual({ ...rest, transcript: transcript.map(({ role, text }) => ({ role, text })) }, {
        outcome: 'transfer',
        turns: 2,
        queue: 'sales',
        data: { order: '42' },
        transcript: [
          { role: 'caller', text: 'I want to order.' },
          { role: 'bot', text: 'What is your order number?' },
          { role: 'caller', text: '42' },
          { role: 'bot', text: 'Connecting you.' },
        ],
      });
      assert.deepEqual(said, ['Hello, how can I help?', 'What is your order number?', 'Connecting you.']);
      assert.deepEqual(r.sim.asterisk.bridgeList(), [], 'nothing of the listening is left');
    });

    it("greets the caller when the call's recording does not start: the wait for it is bounded, and the log says so", async function () {
      // Asterisk answered the snoop request but its StasisStart never came (a lost event): the recording cannot start,
      // and nothing says it failed either. No snoop channel is made here, so the wait can only end by its bound.
      app.handler = (req, res) => {
        if (req.url === '/v1/audio/transcriptions') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"bye"}');
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"reply":"Goodbye.","action":"end"}');
      };
      const { session, id } = await call(1);
      activeCall = id;
      const conn = r.conn;
      const snoops: string[] = [];
      const telephony = new Proxy(conn, {
        get(target, key: keyof typeof conn) {
          if (key === 'snoop') {
            return (channelId: string): Promise<unknown> => {
              snoops.push(channelId);
              return Promise.resolve({ id: `cfs-${channelId}` });
            };
          }
          const value: unknown = Reflect.get(target, key);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      const warnings: string[] = [];
      const said: string[] = [];
      const req = { ...request(said, new HttpBot({ kind: 'webhook', url: app.url('/bot'), apiKey: '' }), 1), record: { warn: (m: string) => warnings.push(m), startWaitMs: 50 } };
      const result = await converse(telephony, session, req, session.signal);
      assert.equal(result.outcome, 'ended');
      assert.deepEqual(snoops, [id], 'the recording was asked for once');
      assert.deepEqual(said, ['Hello, how can I help?', 'Goodbye.'], 'the robot spoke without its recording');
      assert.equal(warnings.length, 1, warnings.join('\n'));
      assert.match(warnings[0] ?? '', new RegExp(`recording call ${id} had not started after 50 ms`));
    });

    it("a media path a busy machine opens late: the greeting waits for it, so the caller's answer right after it is heard", async function () {
      // If the greeting is played before the listening's external media channel is asked for, the channel is made
      // only once the caller has answered (the greeting played, the caller spoke 700 ms, then pressed #): what the
      // caller said is gone, as on the loaded machine where test/nodes/campaign-robot.test.ts saved an empty caller line.
      app.handler = (req, res) => {
        if (req.url === '/v1/audio/transcriptions') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"I would like to buy."}');
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"reply":"Connecting you.","action":"transfer"}');
      };
      const sessions = new Promise<CallSession>((resolve) => registry.onCall(resolve));
      const id = await inbound(r, { from: '+15550100', to: '100', script: [{ waitFor: 'playback-end' }, { say: 700 }, { dtmf: '#' }, { wait: 60_000 }] });
      const session = await sessions;
      activeCall = id;
      const answered = nextEvent(r.conn, (e) => e.type === 'ChannelDtmfReceived' && e.channel.id === id, 30_000);
      answered.catch(() => undefined);
      const { order, listening, playing } = lateMediaPath(r.conn, () => answered);
      const said: string[] = [];
      const req = request(said, new HttpBot({ kind: 'webhook', url: app.url('/bot'), apiKey: '' }), 1);
      req.speech = { mode: 'speech', hear: (onSpeechStart, armed, signal, onListening) => hear(listening, id, { recogniser: new WhisperRecogniser({ baseUrl: app.url(''), model: 'w', apiKey: '' }), media, language: 'en', armed, onSpeechStart, onListening, signal, log: r.log }) };
      const result = await converse(playing, session, req, session.signal);
      assert.deepEqual(result.transcript.map(({ role, text }) => ({ role, text })), [
        { role: 'caller', text: 'I would like to buy.' },
        { role: 'bot', text: 'Connecting you.' },
      ]);
      assert.deepEqual(order, ['media path asked', 'media path made', 'prompt played'], 'the greeting starts once the caller is heard');
      assert.deepEqual(r.sim.asterisk.bridgeList(), [], 'nothing of the listening is left');
    });

    it("asks the bot while the listening's media path closes, and ends the turn only once it has closed", async function () {
      // The path's last teardown step (its bridge) is held until the bot has been asked: a turn that waited for the
      // close before asking would only be let go by the bound below, after which the order shows it.
      const order: string[] = [];
      let botAsked!: () => void;
      const asked = new Promise<void>((resolve) => (botAsked = resolve));
      app.handler = (req, res) => {
        if (req.url === '/v1/audio/transcriptions') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"hello"}');
        order.push('bot asked');
        botAsked();
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"reply":"Goodbye.","action":"end"}');
      };
      const conn = r.conn;
      const telephony = mediaTelephonyOf(conn, {
        destroyBridge: async (id: string) => {
          let bound: NodeJS.Timeout | undefined;
          await Promise.race([asked, new Promise<void>((resolve) => (bound = setTimeout(resolve, 3000)))]);
          clearTimeout(bound);
          await conn.destroyBridge(id);
          order.push('path closed');
        },
      });
      const { session, id } = await call(1);
      activeCall = id;
      const result = await converse(r.conn, session, request([], new HttpBot({ kind: 'webhook', url: app.url('/bot'), apiKey: '' }), 5, undefined, telephony), session.signal);
      assert.equal(result.outcome, 'ended');
      assert.deepEqual(order, ['bot asked', 'path closed']);
      assert.deepEqual(r.sim.asterisk.bridgeList(), [], 'nothing of the listening is left');
    });

    /** The simulator's connection, counting the media path requests it is asked (bridges, snoops, external media). */
    function counted(): { telephony: MediaTelephony; made: { bridges: number; snoops: number; externalMedia: number } } {
      const conn = r.conn;
      const made = { bridges: 0, snoops: 0, externalMedia: 0 };
      const telephony = mediaTelephonyOf(conn, {
        createBridge: (...a) => ((made.bridges += 1), conn.createBridge(...a)),
        snoop: (...a) => ((made.snoops += 1), conn.snoop(...a)),
        externalMedia: (...a) => ((made.externalMedia += 1), conn.externalMedia(...a)),
      });
      return { telephony, made };
    }

    /** A bot that goes on with "Tell me more." `turns - 1` times, then ends with "Goodbye."; the recogniser hears "hello". */
    function talkative(turns: number): void {
      let asked = 0;
      app.handler = (req, res) => {
        if (req.url === '/v1/audio/transcriptions') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"hello"}');
        asked += 1;
        const answer = asked < turns ? { reply: 'Tell me more.', action: 'continue' } : { reply: 'Goodbye.', action: 'end' };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      };
    }

    it('keeps one media path for all its turns (Speech input kept): made once for three turns, torn down when the conversation ends', async function () {
      talkative(3);
      const { telephony, made } = counted();
      const { session, id } = await call(3);
      activeCall = id;
      const said: string[] = [];
      const result = await converse(r.conn, session, request(said, new HttpBot({ kind: 'webhook', url: app.url('/bot'), apiKey: '' }), 5, undefined, telephony, true), session.signal);
      assert.equal(result.outcome, 'ended');
      assert.deepEqual(
        result.transcript.map((l) => l.text),
        ['hello', 'Tell me more.', 'hello', 'Tell me more.', 'hello', 'Goodbye.'],
        'the caller was heard on each of the three turns',
      );
      assert.deepEqual(made, { bridges: 1, snoops: 1, externalMedia: 1 });
      assert.deepEqual(r.sim.asterisk.bridgeList(), [], 'the bridge is destroyed at the end');
      assert.deepEqual(r.sim.asterisk.channelList().filter((c) => c.id.startsWith('cfm')), [], 'no channel of the path is left');
    });

    it('a kept path that ends between two turns (its snoop hung up elsewhere): the next listening opens a new one and hears the caller', async function () {
      let asked = 0;
      app.handler = (req, res) => {
        if (req.url === '/v1/audio/transcriptions') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"hello"}');
        asked += 1;
        const answer = asked < 2 ? { reply: 'Tell me more.', action: 'continue' } : { reply: 'Goodbye.', action: 'end' };
        const reply = (): void => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
        if (asked !== 1) return reply();
        // While the bot is asked the first listening has given the path back: its snoop goes, and the bot answers
        // once the path has heard of it.
        const snoop = r.sim.asterisk.channelList().find((c) => c.id.startsWith('cfms-'));
        assert.ok(snoop, 'the kept path is open between the turns');
        // Watched as the path watches it: the path hears of it first.
        const off = r.conn.watchChannel(snoop.id, (e) => {
          if (e.type !== 'StasisEnd' && e.type !== 'ChannelDestroyed') return;
          off();
          reply();
        });
        void r.conn.hangup(snoop.id, 'normal');
      };
      const { telephony, made } = counted();
      const { session, id } = await call(2);
      activeCall = id;
      const result = await converse(r.conn, session, request([], new HttpBot({ kind: 'webhook', url: app.url('/bot'), apiKey: '' }), 5, undefined, telephony, true), session.signal);
      assert.equal(result.outcome, 'ended');
      assert.deepEqual(
        result.transcript.map((l) => l.text),
        ['hello', 'Tell me more.', 'hello', 'Goodbye.'],
      );
      assert.deepEqual(made, { bridges: 2, snoops: 2, externalMedia: 2 }, 'a second path for the second listening');
      assert.deepEqual(r.sim.asterisk.bridgeList(), [], 'nothing of either path is left');
      assert.deepEqual(r.sim.asterisk.channelList().filter((c) => c.id.startsWith('cfm')), []);
    });

    it('the caller hangs up while a kept path is open: the conversation ends, and nothing of the path is left', async function () {
      talkative(5);
      const { session, id } = await call(1);
      activeCall = id;
      let saying = 0;
      const onSay = (): void => {
        saying += 1;
        if (saying === 2) r.sim.call(id).hangup(16);
      };
      await assert.rejects(converse(r.conn, session, request([], new HttpBot({ kind: 'webhook', url: app.url('/bot'), apiKey: '' }), 5, onSay, undefined, true), session.signal));
      assert.deepEqual(r.sim.asterisk.bridgeList(), [], 'the bridge is destroyed');
      assert.deepEqual(r.sim.asterisk.channelList().filter((c) => c.id.startsWith('cfm')), [], 'no channel of the path is left');
    });

    it('the turn limit: the last reply is said and the conversation ends there', async function () {
      app.handler = (req, res) => {
        if (req.url === '/v1/audio/transcriptions') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"hmm"}');
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"reply":"Tell me more.","action":"continue"}');
      };
      const { session, id } = await call(1);
      activeCall = id;
      const said: string[] = [];
      const result = await converse(r.conn, session, request(said, new HttpBot({ kind: 'webhook', url: app.url('/bot'), apiKey: '' }), 1), session.signal);
      assert.equal(result.outcome, 'turn-limit');
      assert.deepEqual(said, ['Hello, how can I help?', 'Tell me more.']);
    });

    /**
     * A caller heard as `heard` says, one listening after another (no recogniser: each listening hears the caller at
     * once and ends with the next result as soon as the prompt before it is over).
     */
    function scripted(req: ConverseRequest, heard: HearResult[]): ConverseRequest {
      return {
        ...req,
        // What is said is still told to the request's speaker; the call hears a beep (short: many turns).
        speaker: { media: (text, language, signal) => req.speaker.media(text, language, signal).then(() => 'sound:beep') },
        speech: {
          mode: 'speech',
          hear: (_onStart, armed, _signal, onListening) => {
            onListening();
            return armed.then(() => heard.shift() ?? { outcome: 'no-speech' });
          },
        },
      };
    }

    /** The bot's requests (webhook bodies) so far. */
    const botBodies = (): { text: string; input: string; turn: number }[] => app.received.filter((x) => x.url === '/bot').map((x) => JSON.parse(x.body) as { text: string; input: string; turn: number });

    it('a caller silent Most silences times in a row ends the conversation (outcome silence), the bot asked about the silences before, not the last', async function () {
      app.handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"reply":"Are you still there?","action":"continue"}');
      const { session, id } = await call(0);
      activeCall = id;
      const said: string[] = [];
      const req = scripted({ ...request(said, new HttpBot({ kind: 'webhook', url: app.url('/bot'), apiKey: '' })), maxSilences: 2 }, []);
      const result = await converse(r.conn, session, req, session.signal);
      assert.deepEqual({ outcome: result.outcome, turns: result.turns }, { outcome: 'silence', turns: 2 });
      assert.deepEqual(botBodies().map((b) => [b.turn, b.text, b.input]), [[1, '', 'silence']], 'the first silence went to the bot, the second ended it');
      assert.deepEqual(said, ['Hello, how can I help?', 'Are you still there?'], 'nothing said after the last silence');
      assert.deepEqual(result.transcript.map(({ role, text }) => [role, text]), [['caller', ''], ['bot', 'Are you still there?'], ['caller', '']]);
      assert.deepEqual(r.sim.asterisk.bridgeList(), [], 'nothing of the listening is left');
    });

    it('a turn the caller speaks in starts the count of silences again; with no limit (0) silences go on to the turn limit', async function () {
      app.handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"reply":"Go on.","action":"continue"}');
      const { session, id } = await call(0);
      activeCall = id;
      const bot = new HttpBot({ kind: 'webhook', url: app.url('/bot'), apiKey: '' });
      const yes: HearResult = { outcome: 'recognised', text: 'yes', confidence: 0.9, speechMs: 500 };
      const silent: HearResult = { outcome: 'no-speech' };
      const first = await converse(r.conn, session, scripted({ ...request([], bot, 10), maxSilences: 2 }, [silent, yes, silent, silent]), session.signal);
      assert.deepEqual({ outcome: first.outcome, turns: first.turns }, { outcome: 'silence', turns: 4 });
      assert.deepEqual(botBodies().map((b) => b.input), ['silence', 'speech', 'silence']);
      const second = await converse(r.conn, session, scripted({ ...request([], bot, 3), maxSilences: 0 }, []), session.signal);
      assert.deepEqual({ outcome: second.outcome, turns: second.turns }, { outcome: 'turn-limit', turns: 3 });
      assert.deepEqual(botBodies().slice(3).map((b) => b.input), ['silence', 'silence', 'silence'], 'every silence went to the bot');
    });

    it('the caller hangs up while the bot is asked: it ends once, the listening closed, the caller\'s line kept and no reply', async function () {
      let botAsked!: () => void;
      const asked = new Promise<void>((resolve) => (botAsked = resolve));
      app.handler = (req, res) => {
        if (req.url === '/v1/audio/transcriptions') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"my order"}');
        // No answer: the caller hangs up meanwhile.
        botAsked();
      };
      const { session, id } = await call(1);
      activeCall = id;
      const running = converse(r.conn, session, request([], new HttpBot({ kind: 'webhook', url: app.url('/bot'), apiKey: '' })), session.signal);
      let settled = 0;
      running.then(
        () => (settled += 1),
        () => (settled += 1),
      );
      await asked;
      r.sim.call(id).hangup(16);
      await assert.rejects(running, (e: unknown) => e === session.signal.reason || /ended|hung up|cancel/i.test(String(e)));
      assert.equal(settled, 1);
      assert.deepEqual((session.vars.botTranscript as { role: string; text: string }[]).map(({ role, text }) => ({ role, text })), [{ role: 'caller', text: 'my order' }]);
      assert.deepEqual(r.sim.asterisk.bridgeList(), [], 'nothing of the listening is left');
      assert.deepEqual(r.sim.asterisk.channelList().filter((c) => c.id.startsWith('cfm')), [], 'no channel of the listening is left');
      assert.equal(r.conn.watchedChannels, 0, 'no watcher is left');
    });

    it('the caller hangs up mid-conversation: it ends as any wait does, and the bot is not asked', async function () {
      const { session, id } = await call(0);
      activeCall = id;
      const said: string[] = [];
      let greeted!: () => void;
      const greeting = new Promise<void>((resolve) => (greeted = resolve));
      const running = converse(r.conn, session, request(said, new HttpBot({ kind: 'webhook', url: app.url('/bot'), apiKey: '' }), 5, () => greeted()), session.signal);
      await greeting;
      r.sim.call(id).hangup(16);
      await assert.rejects(running);
      assert.equal(app.received.filter((x) => x.url === '/bot').length, 0);
    });
  });
});
