/**
 * callflow-http-ivr over the wire: a simulated caller, the node, and an application server in the test that answers
 * each request with a command set (JSON, XML or TwiML) and records what it was asked.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '../../lib/http-ivr/signature';
import { CREDS, connected, ivrFlow, received, useSimulator, type CallEndMsg, type CallMsg } from '../support/ivr';
import { NODES, hasText, helper, loggedText, nextMessage, node, redeploy, useNodeRed, waitForStatus } from '../support/node-red';

interface Asked {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The body, parsed (JSON or form). */
  params: Record<string, unknown>;
  url: string;
}

type Answer = { status?: number; type?: string; body: string | object; headers?: Record<string, string> } | 'hang';

/** An application server: `answer` decides each response; every request is kept in `asked`. */
class Application {
  readonly asked: Asked[] = [];
  /** A promise: the answer when it settles (a test holds the application mid-request). */
  answer: (req: Asked) => Answer | Promise<Answer> = () => ({ body: { main: { command: 'hangup' } } });
  /** Requests the server left unanswered ('hang'), closed when their client gave up. */
  readonly hung: Promise<void>[] = [];
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
      const type = String(req.headers['content-type'] ?? '');
      const params = body === '' ? {} : type.startsWith('application/json') ? (JSON.parse(body) as Record<string, unknown>) : Object.fromEntries(new URLSearchParams(body));
      const asked: Asked = { method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, body, params, url: `http://${req.headers.host}${req.url}` };
      this.asked.push(asked);
      void Promise.resolve(this.answer(asked)).then((answer) => {
        if (answer === 'hang') {
          this.hung.push(new Promise((resolve) => res.on('close', () => resolve())));
          return;
        }
        const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
        res.writeHead(answer.status ?? 200, { 'content-type': answer.type ?? 'application/json', ...answer.headers });
        res.end(text);
      });
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The answers, in order, one per request (the last repeats). */
  script(...answers: Answer[]): void {
    let n = 0;
    this.answer = () => answers[Math.min(n++, answers.length - 1)] as Answer;
  }
}

const HTTP_IVR = {
  type: 'callflow-http-ivr',
  method: 'POST',
  encoding: 'json',
  mode: 'callflow',
  headers: [],
  timeoutSec: 5,
  retries: 0,
  fallbackUrl: '',
  allowlist: ['127.0.0.1'],
  returns: ['agent', 'survey'],
  dialString: 'PJSIP/{number}@trunk',
  queueContext: 'callflow-queues',
  sipEndpoint: '',
  meetings: '',
  callFlow: '',
  language: '',
  maxRequests: 100,
  onError: 'output',
};

describe('callflow-http-ivr', function () {
  useNodeRed();
  const simulator = useSimulator(100);
  const app = new Application();
  let base = '';
  before(async function () {
    base = `${await app.start()}/app`;
  });
  after(async function () {
    await app.close();
  });
  beforeEach(function () {
    app.asked.length = 0;
    app.hung.length = 0;
  });

  async function deploy(settings: object = {}, credentials: object = {}, options: { dialAllowlist?: string; configs?: object[] } = {}): Promise<void> {
    await helper.load(
      NODES,
      ivrFlow(
        simulator(),
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['hi']] },
          { id: 'hi', ...HTTP_IVR, url: base, outputs: 3, ...settings, wires: [['agent', 'hu'], ['survey', 'hu'], ['failed', 'hu']] },
          { id: 'hu', type: 'callflow-hangup', reason: 'normal', wires: [] },
          { id: 'agent', type: 'helper' },
          { id: 'survey', type: 'helper' },
          { id: 'failed', type: 'helper' },
          { id: 'end', type: 'callflow-call-end', connection: 'a1', flow: '', wires: [['ended']] },
          { id: 'ended', type: 'helper' },
          { id: 'sales', type: 'callflow-entry', connection: 'a1', flow: 'sales', wires: [['insales']] },
          { id: 'insales', type: 'helper' },
        ],
        ['hi'],
        { ...(options.dialAllowlist === undefined ? {} : { dialAllowlist: options.dialAllowlist }), ...(options.configs ? { configs: options.configs } : {}) },
      ),
      { ...CREDS, hi: credentials },
    );
    await connected();
  }

  /** A call into flow "main" (two flows are deployed, so the dialplan names the flow). */
  function place(options: Partial<Parameters<ReturnType<typeof simulator>['placeCall']>[0]> = {}): ReturnType<ReturnType<typeof simulator>['placeCall']> {
    return simulator().placeCall({ from: '+15550100', to: '500', args: ['main'], ...options });
  }

  it('asks the application on a new call, runs a collect with nested prompts, reports the digits to the jump, and returns the call through a named output', async function () {
    app.script(
      { body: { main: { command: 'collect', maxDigits: 4, terminator: '#', sub: [{ command: 'play', media: ['sound:hello-world'] }, { command: 'pause', seconds: 1 }] }, jump: { url: 'account' } } },
      { body: { main: { command: 'set', vars: { account: '1234', tier: 2 } }, secondary: [{ command: 'play', media: ['digits:1234'] }, { command: 'return', output: 'survey', payload: { why: 'done' } }] } },
    );
    await deploy();
    const out = nextMessage<CallMsg>(node('survey'));
    const call = place({ script: [{ waitFor: 'playback-start', media: 'silence/1' }, { dtmf: '1234#' }] });
    const msg = await out;
    assert.deepEqual(msg.payload, { why: 'done' });
    assert.equal(msg.call.vars.account, '1234');
    assert.equal(msg.call.vars.tier, 2);
    assert.equal(app.asked.length, 2);
    const [first, second] = app.asked as [Asked, Asked];
    assert.equal(first.method, 'POST');
    assert.equal(first.path, '/app');
    assert.equal(first.query.get('event'), 'call');
    assert.equal(first.query.get('caller'), '+15550100');
    assert.equal(first.query.get('called'), '500');
    assert.equal(first.query.get('callId'), msg.call.id);
    assert.equal(first.params.event, 'call');
    assert.equal(second.path, '/app/account', 'a jump names a function path under the application address');
    assert.equal(second.params.event, 'collect');
    assert.equal(second.params.digits, '1234');
    assert.equal(second.params.outcome, 'digits');
    const sim = await call.ended();
    assert.deepEqual(sim.heard.map((h) => h.media), ['sound:hello-world', 'sound:silence/1', 'digits:1234']);
  });

  it('hangs up when a command set ends without a transfer or a jump, as the seed platform does', async function () {
    app.script({ body: { main: { command: 'play', media: ['sound:vm-goodbye'] } } });
    await deploy();
    const ended = nextMessage<CallEndMsg>(node('ended'));
    const sim = await place().ended();
    assert.deepEqual(sim.heard.map((h) => h.media), ['sound:vm-goodbye']);
    const report = (await ended).payload;
    assert.equal(report.by, 'flow');
    assert.equal(report.trace.at(-1)?.outcome, 'end-of-commands');
  });

  it('refuses an unanswered call with a SIP response after early media', async function () {
    app.script({ body: { main: { command: 'response', code: 486, reason: 'closed', sub: [{ command: 'play', media: ['sound:all-circuits-busy-now'] }] } } });
    await deploy();
    const sim = await place().ended();
    assert.deepEqual([sim.answeredAt, sim.ended?.sipResponse], [undefined, 486]);
    assert.deepEqual(sim.heard.map((h) => h.media), ['sound:all-circuits-busy-now']);
  });

  it('records the caller and reports the recording to the next request', async function () {
    app.script(
      { body: { main: { command: 'record', maxDurationSec: 30, maxSilenceSec: 0, beep: true, terminator: '#', sub: [{ command: 'play', media: ['sound:vm-intro'] }] }, jump: { url: 'saved' } } },
      { body: { main: { command: 'play', media: ['sound:vm-msgsaved'] }, secondary: [{ command: 'hangup', reason: 'saved' }] } },
    );
    await deploy();
    const sim = await place({ script: [{ waitFor: 'recording' }, { talk: 3000 }, { dtmf: '#' }] }).ended();
    const saved = app.asked[1];
    assert.equal(saved?.params.event, 'record');
    assert.equal(saved?.params.outcome, 'recorded');
    assert.deepEqual(sim.recordings.map((r) => r.name), [saved?.params.recording]);
    assert.ok(Number(saved?.params.durationSec) >= 3, `recorded ${String(saved?.params.durationSec)} s`);
    assert.deepEqual(sim.heard.map((h) => h.media).at(-1), 'sound:vm-msgsaved');
  });

  it('transfers to a number through the dial string; a busy callee is reported to the jump, which may try elsewhere', async function () {
    simulator().setNumber('+15550199', { outcome: 'busy', ringMs: 300 });
    app.script(
      { body: { main: { command: 'transfer', number: '+15550199', ringTimeoutSec: 10 }, jump: { url: 'after' } } },
      { body: { main: { command: 'play', media: ['sound:vm-nobodyavail'] } } },
    );
    await deploy();
    const sim = await place().ended();
    const after = app.asked[1];
    assert.equal(after?.params.event, 'transfer');
    assert.equal(after?.params.reason, 'busy');
    assert.equal(Number(after?.params.cause), 17);
    assert.ok(simulator().asterisk.reportList().some((r) => r.direction === 'outbound' && r.to === '+15550199'), 'the number was dialed');
    assert.equal(sim.heard.at(-1)?.media, 'sound:vm-nobodyavail');
  });

  it('sends the call to a queue (an extension of the node\'s queue context): it leaves the application', async function () {
    app.script({ body: { main: { command: 'transfer', queue: 'support' } } });
    await deploy();
    const ended = nextMessage<CallEndMsg>(node('ended'));
    const call = place();
    const report = (await ended).payload;
    assert.deepEqual([report.reason, report.by], ['left-application', 'flow']);
    assert.deepEqual(call.report().transfers.map((t) => [t.kind, t.target]), [['dialplan', 'callflow-queues,support,1']]);
  });

  it('continues the call in another flow with its variables; a flow that is not deployed is an error', async function () {
    app.script({ body: { main: { command: 'set', vars: { tier: 'gold' } }, jump: { url: 'next' } } }, { body: { main: { command: 'transfer', flow: 'sales' } } });
    await deploy();
    const inSales = nextMessage<CallMsg>(node('insales'));
    place();
    const msg = await inSales;
    assert.deepEqual([msg.call.flow, msg.call.vars.tier], ['sales', 'gold']);
    assert.deepEqual(msg.call.trace.map((t) => [t.element, t.outcome]).slice(1), [['http-ivr', 'to flow sales'], ['entry', 'routed']]);

    app.script({ body: { main: { command: 'transfer', flow: 'billing' } } });
    const failed = nextMessage<CallMsg & { payload: { reason: string } }>(node('failed'));
    place();
    assert.equal((await failed).payload.reason, 'no-such-flow');
  });

  it('pauses, then plays: the caller hears the prompt after the silence', async function () {
    app.script({ body: { main: { command: 'pause', seconds: 0.2 }, secondary: [{ command: 'play', media: ['sound:beep'] }] } });
    await deploy();
    const ended = nextMessage<CallEndMsg>(node('ended'));
    const sim = await place().ended();
    assert.deepEqual(sim.heard.map((h) => h.media), ['sound:beep']);
    assert.ok(sim.answeredAt, 'a pause answers the call first');
    assert.equal((await ended).payload.trace.at(-1)?.outcome, 'end-of-commands');
  });

  it('refuses an endpoint the connection may not dial: nothing is dialed, the error output says why', async function () {
    app.script({ body: { main: { command: 'transfer', endpoint: 'SIP/evil' } } });
    await deploy({}, {}, { dialAllowlist: 'PJSIP/*' });
    const failed = nextMessage<CallMsg & { payload: { reason: string; message: string } }>(node('failed'));
    place();
    const msg = await failed;
    assert.equal(msg.payload.reason, 'dial-string');
    assert.ok(!simulator().asterisk.reportList().some((r) => r.direction === 'outbound'), 'nothing was dialed');
  });

  it('reads the XML form of a command set', async function () {
    app.script(
      {
        type: 'application/xml',
        body: '<?xml version="1.0"?><Response><Collect maxDigits="1" timeoutSec="5"><Play>sound:vm-reachoper</Play></Collect><Jump url="menu"/></Response>',
      },
      { type: 'text/xml', body: '<Response><Return output="agent"/></Response>' },
    );
    await deploy();
    const out = nextMessage<CallMsg>(node('agent'));
    place({ script: [{ waitFor: 'playback-start', media: 'vm-reachoper' }, { dtmf: '0' }] });
    await out;
    assert.equal(app.asked[1]?.params.digits, '0');
  });

  it('runs a TwiML application: Gather with a nested Play, its action gets Digits; Redirect; form-encoded Twilio parameters', async function () {
    app.answer = (req) => {
      if (req.path === '/app') return { type: 'text/xml', body: '<Response><Gather numDigits="1" action="/app/choice" timeout="5"><Play>sound:vm-reachoper</Play></Gather><Redirect>/app</Redirect></Response>' };
      if (req.path === '/app/choice') return { type: 'text/xml', body: `<Response><Play>digits:${String(req.params.Digits).replace(/[^0-9]/g, '')}</Play><Hangup/></Response>` };
      return { status: 404, body: '' };
    };
    await deploy({ mode: 'twiml', encoding: 'form' });
    const sim = await place({ script: [{ waitFor: 'playback-start', media: 'vm-reachoper' }, { dtmf: '7' }] }).ended();
    const [first, choice] = app.asked as [Asked, Asked];
    assert.equal(first.headers['content-type']?.startsWith('application/x-www-form-urlencoded'), true);
    assert.equal(first.params.From, '+15550100');
    assert.equal(first.params.To, '500');
    assert.ok(first.params.CallSid);
    assert.equal(choice.params.Digits, '7');
    assert.equal(sim.heard.at(-1)?.media, 'digits:7');
  });

  it('TwiML <Dial><Sip>: dialed through the node\'s SIP endpoint when the dial allowlist allows that host, refused otherwise', async function () {
    app.answer = (req) => {
      if (req.path === '/app') return { type: 'text/xml', body: '<Response><Dial action="/app/after" timeout="10"><Sip>sip:alice@sip.example.com</Sip></Dial></Response>' };
      return { type: 'text/xml', body: '<Response><Dial><Sip>sip:bob@evil.example.net</Sip></Dial></Response>' };
    };
    simulator().setNumber('alice', { outcome: 'busy', ringMs: 300 });
    await deploy({ mode: 'twiml', encoding: 'form', sipEndpoint: 'trunk' }, {}, { dialAllowlist: 'PJSIP/* PJSIP/trunk/sip:*@sip.example.com' });
    const failed = nextMessage<CallMsg & { payload: { reason: string; message: string } }>(node('failed'));
    place();
    const payload = (await failed).payload;
    const after = app.asked[1] as Asked;
    assert.equal(after.path, '/app/after');
    assert.equal(after.params.DialCallStatus, 'busy', 'the action hears how the dial went');
    const dialed = simulator()
      .asterisk.reportList()
      .filter((r) => r.direction === 'outbound')
      .map((r) => r.to);
    assert.deepEqual(dialed, ['alice'], 'bob at the other host was not dialed');
    assert.equal(payload.reason, 'dial-string');
    assert.match(payload.message, /evil\.example\.net/);
  });

  it('puts the caller into a meeting of the node\'s meeting rooms; when they leave it, the jump hears why', async function () {
    app.script(
      { body: { main: { command: 'conference', callflow: 'direct_participant', room: 'board' }, jump: { url: 'left' } } },
      { body: { main: { command: 'play', media: ['sound:auth-thankyou'] } } },
    );
    const rooms = [{ id: 'board', name: 'Board', hostCode: '7001', participantCode: '7002' }];
    await deploy({ meetings: 'mt' }, {}, { configs: [{ id: 'mt', type: 'callflow-meetings', rooms, store: '' }] });
    const sim = await place({ script: [{ waitFor: 'bridged' }, { dtmf: '#' }] }).ended();
    assert.deepEqual(sim.transfers.map((t) => t.kind), ['bridge']);
    const left = app.asked[1] as Asked;
    assert.deepEqual([left.path, left.params.event, left.params.outcome, left.params.reason], ['/app/left', 'conference', 'left', 'key']);
    assert.equal(sim.heard.at(-1)?.media, 'sound:auth-thankyou');
  });

  it('a conference command without meeting rooms on the node is a clear error', async function () {
    app.script({ body: { main: { command: 'conference', callflow: 'direct_participant' } } });
    await deploy();
    const failed = nextMessage<CallMsg & { payload: { reason: string } }>(node('failed'));
    place();
    assert.equal((await failed).payload.reason, 'no-meeting-rooms');
  });

  it('sends the headers with their values from the credentials (kept out of the flow), or from the settings of a flow saved before', async function () {
    app.script({ body: { main: { command: 'return', output: 'agent' } } });
    await deploy({ headers: [{ name: 'X-Api-Key' }, { name: 'X-Legacy', value: 'in-the-flow' }, { name: 'X-Empty' }] }, { headerValues: JSON.stringify(['from-the-credentials']) });
    const out = nextMessage<CallMsg>(node('agent'));
    place();
    await out;
    const sent = app.asked[0]?.headers;
    assert.deepEqual([sent?.['x-api-key'], sent?.['x-legacy'], sent?.['x-empty']], ['from-the-credentials', 'in-the-flow', '']);
  });

  it('header values in the credentials that are not a list of one-line texts: an error naming the credential, never a value', async function () {
    await deploy({ headers: [{ name: 'X-Api-Key' }] }, { headerValues: JSON.stringify(['line\r\nX-Evil: 1']) });
    const out = nextMessage<CallMsg>(node('failed'));
    place();
    const msg = await out;
    assert.match(msg.error?.message ?? '', /header values kept in the credentials are not a list of one-line texts/);
    assert.doesNotMatch(JSON.stringify(msg.error), /Evil/);
    assert.equal(app.asked.length, 0);
  });

  it('signs each request so the application can check it came from this Node-RED', async function () {
    app.script({ body: { main: { command: 'hangup' } } });
    await deploy({}, { secret: 's3cret' });
    await place().ended();
    const asked = app.asked[0] as Asked;
    const header = String(asked.headers['x-callflow-signature']);
    assert.ok(verifySignature('s3cret', header, 'POST', asked.url, asked.body), header);
    assert.ok(!verifySignature('other', header, 'POST', asked.url, asked.body));
  });

  describe('bad answers', function () {
    async function failure(settings: object = {}): Promise<{ reason: string; message: string }> {
      await deploy(settings);
      const failed = nextMessage<CallMsg & { payload: { reason: string; message: string } }>(node('failed'));
      place();
      return (await failed).payload;
    }

    it('an HTTP 404: the error output, reason http-status, not retried', async function () {
      app.script({ status: 404, body: 'no such page', type: 'text/plain' });
      const payload = await failure({ retries: 2 });
      assert.equal(payload.reason, 'http-status');
      assert.match(payload.message, /404/);
      assert.equal(app.asked.length, 1);
    });

    it('a 503 is retried, then the fallback URL answers', async function () {
      app.answer = (req) => (req.path === '/fallback' ? { body: { main: { command: 'return', output: 'agent' } } } : { status: 503, body: '' });
      await deploy({ retries: 1, fallbackUrl: `${base.replace(/\/app$/, '')}/fallback` });
      const out = nextMessage<CallMsg>(node('agent'));
      place();
      await out;
      assert.deepEqual(app.asked.map((a) => a.path), ['/app', '/app', '/fallback']);
    });

    it('an application that does not answer within the timeout: reason timeout', async function () {
      app.script('hang');
      const payload = await failure({ timeoutSec: 1, retries: 0 });
      assert.equal(payload.reason, 'timeout');
    });

    it('an answer over 64 KiB: reason too-large, the rest not read', async function () {
      app.script({ body: { main: { command: 'play', media: ['sound:beep'] }, padding: 'x'.repeat(70_000) } });
      const payload = await failure();
      assert.equal(payload.reason, 'too-large');
    });

    it('an unknown command names it and the known ones', async function () {
      app.script({ body: { main: { command: 'dance' } } });
      const payload = await failure();
      assert.equal(payload.reason, 'command-set: unknown-command');
      assert.match(payload.message, /dance/);
    });

    it('a body that is not a command set', async function () {
      app.script({ type: 'text/html', body: '<html>oops</html>' });
      const payload = await failure();
      assert.match(payload.reason, /^command-set|content-type/);
    });

    it('a nesting the document forbids names the command and the rule', async function () {
      app.script({ body: { main: { command: 'play', media: ['sound:hello-world'], sub: [{ command: 'play', media: ['sound:hello-world'] }] } } });
      const payload = await failure();
      assert.match(payload.reason, /^command-set: /);
      assert.match(payload.message, /play/);
    });

    it('an unknown output in return', async function () {
      app.script({ body: { main: { command: 'return', output: 'nowhere' } } });
      const payload = await failure();
      assert.equal(payload.reason, 'unknown-output');
    });

    it('a jump to itself forever, with nothing for the caller in between, is stopped as a loop', async function () {
      app.script({ body: { main: { command: 'set', vars: { n: 1 } }, jump: { url: '' } } });
      const payload = await failure();
      assert.equal(payload.reason, 'loop');
      assert.equal(app.asked.length, 10);
    });

    it('say without a speech engine is a clear error', async function () {
      app.script({ body: { main: { command: 'say', text: 'hello' } } });
      const payload = await failure();
      assert.equal(payload.reason, 'no-speech-engine');
    });

    it('with "on error: hang up", the call is hung up', async function () {
      app.script({ status: 500, body: '' });
      await deploy({ onError: 'hangup', outputs: 2 });
      const ended = nextMessage<CallEndMsg>(node('ended'));
      await place().ended();
      assert.equal((await ended).payload.trace.at(-1)?.outcome, 'error');
    });

    it('variables set at each request cannot grow without bound: a set past 64 KiB is refused whole, the ones set before are kept', async function () {
      // 40 new names of 1,500 characters a request: each answer is under 64 KiB, but the call's variables would add one a request.
      const many = (prefix: string): Record<string, string> => Object.fromEntries(Array.from({ length: 40 }, (_v, i) => [`${prefix}${i}`, prefix.repeat(1500)]));
      app.script(
        { body: { main: { command: 'set', vars: many('a') }, jump: { url: 'more' } } },
        { body: { main: { command: 'set', vars: many('b') }, jump: { url: 'more' } } },
        { body: { main: { command: 'return', output: 'agent' } } },
      );
      await deploy();
      const failed = nextMessage<CallMsg & { payload: { reason: string; message: string } }>(node('failed'));
      place();
      const msg = await failed;
      assert.equal(msg.payload.reason, 'vars-too-large');
      assert.match(msg.payload.message, /more than the 65536/);
      assert.deepEqual(Object.keys(msg.call.vars).sort(), Object.keys(many('a')).sort());
      assert.equal(app.asked.length, 2);
    });

    it('a jump to itself with a pause of 0 seconds in between is a loop too (it takes none of the caller\'s time)', async function () {
      app.script({ body: { main: { command: 'pause', seconds: 0 }, jump: { url: '' } } });
      const payload = await failure();
      assert.equal(payload.reason, 'loop');
      assert.equal(app.asked.length, 10);
    });
  });

  it('an application in this Node-RED (/path) cannot send the call anywhere else on it, such as the admin API', async function () {
    // The test helper's own server stands for this Node-RED: an application under /selfapp, and a spy on /flows.
    const reached: string[] = [];
    const served = (helper as unknown as { _app: { use(path: string, h: (req: http.IncomingMessage, res: http.ServerResponse) => void): void } })._app;
    served.use('/selfapp', (req, res) => {
      reached.push(`/selfapp${req.url ?? ''}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ main: { command: 'play', media: ['sound:beep'] }, jump: { url: '../flows' } }));
    });
    served.use('/flows', (req, res) => {
      reached.push('/flows');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    await deploy({ url: '/selfapp', allowlist: [] });
    const failed = nextMessage<CallMsg & { payload: { reason: string; message: string } }>(node('failed'));
    place();
    const payload = (await failed).payload;
    assert.equal(payload.reason, 'refused');
    assert.match(payload.message, /not under/);
    assert.deepEqual(reached.map((r) => r.split('?')[0]), ['/selfapp/']);
  });

  it('refuses at deploy an application whose host is not allowed, an empty allowlist, and a header it writes itself', async function () {
    await helper.load(NODES, [
      { id: 'tab', type: 'tab', label: 'test' },
      { ...HTTP_IVR, id: 'elsewhere', z: 'tab', url: 'https://app.example.com/ivr', allowlist: ['other.example.com'], outputs: 3, wires: [[], [], []] },
      { ...HTTP_IVR, id: 'noallow', z: 'tab', url: 'https://app.example.com/ivr', allowlist: [], outputs: 3, wires: [[], [], []] },
      { ...HTTP_IVR, id: 'internal', z: 'tab', url: 'http://10.0.0.5/ivr', allowlist: ['app.example.com'], outputs: 3, wires: [[], [], []] },
      { ...HTTP_IVR, id: 'header', z: 'tab', url: 'https://app.example.com/ivr', allowlist: ['app.example.com'], headers: [{ name: 'Host', value: 'x' }], outputs: 3, wires: [[], [], []] },
    ]);
    for (const id of ['elsewhere', 'noallow', 'internal', 'header']) await waitForStatus(node(id), hasText('callflow.status.invalid-config'));
    const log = loggedText();
    assert.match(log, /url https:\/\/app\.example\.com\/ivr: the host app\.example\.com is not on the/);
    assert.match(log, /allowlist is empty/);
    assert.match(log, /10\.0\.0\.5 is an internal address/);
    assert.match(log, /Host.{0,4} may not be set: the request sets it itself/);
  });

  it('refuses at deploy an address of this Node-RED that is its root or its admin API: the application could reach all of it', async function () {
    const lines = async (settings: Record<string, unknown>, nodes: { id: string; url: string; fallbackUrl?: string }[]): Promise<Record<string, unknown>> => {
      helper.settings(settings);
      try {
        await helper.load(NODES, [{ id: 'tab', type: 'tab', label: 'test' }, ...nodes.map((n) => ({ ...HTTP_IVR, allowlist: [], z: 'tab', outputs: 3, wires: [[], [], []], ...n }))]);
        for (const n of nodes) await waitForStatus(node(n.id), (st) => st.text === 'callflow.status.invalid-config');
        const logged = (helper.log().args as [{ id?: string; msg?: unknown }][]).map(([e]) => e);
        return Object.fromEntries(nodes.map((n) => [n.id, logged.find((e) => e.id === n.id)?.msg]));
      } finally {
        await helper.unload();
        helper.settings({});
      }
    };
    const root = await lines({}, [
      { id: 'slash', url: '/' },
      { id: 'dots', url: '/ivr/..' },
      { id: 'fallback', url: '/ivr', fallbackUrl: '/x/%2e%2e/' },
    ]);
    assert.match(String(root.slash), /^invalid settings: url: .*not \/ alone/);
    assert.equal(root.dots, 'invalid settings: url "/ivr/.." is the root of this Node-RED: the application could reach every path of it; give it a path of its own, such as /ivr-app');
    assert.match(String(root.fallback), /^invalid settings: fallbackUrl "\/x\/%2e%2e\/" is the root of this Node-RED/);
    const admin = await lines({ httpAdminRoot: '/admin' }, [
      { id: 'holds', url: '/admin' },
      { id: 'in', url: '/admin/flows' },
    ]);
    assert.equal(admin.holds, 'invalid settings: url "/admin" holds or sits in this Node-RED\'s admin API (/admin/): give the application a path of its own');
    assert.match(String(admin.in), /url "\/admin\/flows" holds or sits in this Node-RED's admin API/);
  });

  it('keys the caller presses while the node waits for the application are kept for the next collect (type-ahead), not lost', async function () {
    let pressed: () => void = () => undefined;
    const keysIn = new Promise<void>((resolve) => (pressed = resolve));
    app.answer = (req) => {
      if (req.path === '/app') return { body: { main: { command: 'play', media: ['sound:beep'] }, jump: { url: 'menu' } } };
      if (req.path === '/app/menu') return keysIn.then(() => ({ body: { main: { command: 'collect', maxDigits: 3, timeoutSec: 1 }, jump: { url: 'done' } } }));
      return { body: { main: { command: 'return', output: 'agent' } } };
    };
    await deploy();
    const out = nextMessage<CallMsg>(node('agent'));
    const call = place();
    await call.until('playback-end');
    // While the request for /app/menu is held: the application answers once the keys are in.
    await call.press('12#');
    pressed();
    await out;
    const done = app.asked.find((a) => a.path === '/app/done');
    assert.deepEqual([done?.params.event, done?.params.outcome, done?.params.digits], ['collect', 'digits', '12']);
  });

  describe('a deploy while a call waits for the application', function () {
    /** The deployed flow, with the node's settings; `ivr: false` leaves the node out (a deploy that removes it). */
    const flowWith = (settings: object, ivr = true): object[] =>
      ivrFlow(
        simulator(),
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [[ivr ? 'hi' : 'hu']] },
          ...(ivr ? [{ id: 'hi', ...HTTP_IVR, url: base, outputs: 3, ...settings, wires: [['agent', 'hu'], ['survey', 'hu'], ['failed', 'hu']] }] : []),
          { id: 'hu', type: 'callflow-hangup', reason: 'normal', wires: [] },
          { id: 'agent', type: 'helper' },
          { id: 'survey', type: 'helper' },
          { id: 'failed', type: 'helper' },
        ],
        ['hi'],
      );

    /** Deploys, places a call and resolves once its first request is with the application, which answers when told. */
    async function midRequest(): Promise<{ call: ReturnType<typeof place>; release: (a: Answer) => void }> {
      let arrived: () => void = () => undefined;
      const asked = new Promise<void>((resolve) => (arrived = resolve));
      let release: (a: Answer) => void = () => undefined;
      const held = new Promise<Answer>((resolve) => (release = resolve));
      app.answer = () => {
        arrived();
        return held;
      };
      await helper.load(NODES, flowWith({}), { ...CREDS, hi: {} });
      await connected();
      const call = place();
      await asked;
      return { call, release };
    }

    it('removed: the request is abandoned at once (its connection closed) and the call hung up', async function () {
      const { call, release } = await midRequest();
      // The application never answers; app.hung resolves when its client closes the connection.
      release('hang');
      await new Promise<void>((resolve) => setImmediate(resolve));
      assert.equal(app.hung.length, 1);
      await redeploy(flowWith({}, false), CREDS);
      const report = await call.ended();
      assert.equal(report.ended?.by, 'application');
      await Promise.all(app.hung);
      assert.equal(app.asked.length, 1);
    });

    it('restarted unchanged: the request goes on, and the call leaves through the new instance of the node', async function () {
      const { call, release } = await midRequest();
      await redeploy(flowWith({}), CREDS);
      const out = nextMessage<CallMsg>(node('agent'));
      release({ body: { main: { command: 'return', output: 'agent', payload: { via: 'the new instance' } } } });
      const msg = await out;
      assert.deepEqual(msg.payload, { via: 'the new instance' });
      assert.equal(call.report().ended, undefined, 'the call is still up');
    });

    it('changed: the request goes on as the node was, then the call is hung up, with a warning (it cannot take the new settings)', async function () {
      const { call, release } = await midRequest();
      await redeploy(flowWith({ maxRequests: 5 }), CREDS);
      const out = received('agent');
      release({ body: { main: { command: 'return', output: 'agent' } } });
      const report = await call.ended();
      assert.equal(report.ended?.by, 'application');
      assert.match(loggedText(), /this node was stopped \(redeploy or shutdown\) while handling it/);
      assert.equal(out.length, 0);
    });
  });

  it('the caller hanging up mid-request abandons the request: nothing leaves the node, the connection is closed', async function () {
    let arrived: () => void = () => undefined;
    const asked = new Promise<void>((resolve) => (arrived = resolve));
    app.answer = () => {
      arrived();
      return 'hang';
    };
    await deploy();
    const ended = nextMessage<CallEndMsg>(node('ended'));
    const completed = nextMessage(node('completed'));
    const out = ['agent', 'survey', 'failed'].map((id) => received(id));
    const call = place();
    await asked;
    call.hangup();
    await call.ended();
    await ended;
    await completed;
    await Promise.all(app.hung);
    assert.equal(app.asked.length, 1);
    assert.deepEqual(out.map((o) => o.length), [0, 0, 0]);
  });
});
