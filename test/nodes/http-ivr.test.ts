/**
 * callflow-http-ivr over the wire: a simulated caller, the node, and an application server in the test that answers
 * each request with a command set (JSON, XML or TwiML) and records what it was asked (http-ivr-application.ts): the
 * commands on a call, a deploy or a hang-up while the call waits for the application. What the error output and the
 * deploy check say: http-ivr-faults.test.ts.
 */
import assert from 'node:assert/strict';
import { verifySignature } from '../../lib/http-ivr/signature';
import { CREDS, connected, ivrFlow, received, type CallEndMsg, type CallMsg } from '../support/ivr';
import { NODES, helper, loggedText, nextMessage, node, redeploy } from '../support/node-red';
import { HTTP_IVR, useHttpIvr, type Answer, type Asked } from './http-ivr-application';

describe('callflow-http-ivr', function () {
  const application = useHttpIvr();
  const { app, simulator, deploy, place } = application;

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
          ...(ivr ? [{ id: 'hi', ...HTTP_IVR, url: application.base, outputs: 3, ...settings, wires: [['agent', 'hu'], ['survey', 'hu'], ['failed', 'hu']] }] : []),
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
