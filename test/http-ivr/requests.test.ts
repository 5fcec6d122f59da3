/**
 * lib/http-ivr/requests.ts: what the application server receives about a
 * call (parameters in the callflow names and in Twilio's, the signature),
 * and what happens when it fails (retries, fallback, abort). Against a
 * local server; nothing sleeps: tests await arrivals, log lines and closed
 * sockets.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { CallEvent, CallFacts } from '../../lib/http-ivr/commands';
import { Application, ApplicationError, applicationProblems, type ApplicationOptions } from '../../lib/http-ivr/requests';
import { callflowSignature, twilioSignature, verifySignature, verifyTwilioSignature } from '../../lib/http-ivr/signature';
import type { Logger } from '../../lib/log';
import { useAppServer, activeTimers } from '../support/app-server';

const facts: CallFacts = { callId: '1700000000.42', caller: '+8613800000001', called: '4001', flow: 'hotline', vars: { lang: 'zh', tries: 2 }, step: 3 };
const call: CallEvent = { event: 'call' };
const digits: CallEvent = { event: 'collect', outcome: 'digits', digits: '123', terminator: '#' };

function recordingLogger(): Logger & { lines: string[]; events: EventEmitter } {
  const lines: string[] = [];
  const events = new EventEmitter();
  const log = (level: string) => (message: string) => {
    lines.push(`${level} ${message}`);
    events.emit('line', `${level} ${message}`);
  };
  return { lines, events, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

function queryOf(url: string): Record<string, string> {
  return Object.fromEntries(new URL(url, 'http://x').searchParams);
}

describe('HTTP IVR application requests', function () {
  const app = useAppServer();

  function application(options: Partial<ApplicationOptions> = {}): Application {
    return new Application({ baseUrl: app.url('/ivr/start'), allowlist: ['127.0.0.1'], backoffMs: 1, random: () => 0.5, now: () => 1_700_000_000, ...options });
  }

  async function failure(promise: Promise<unknown>): Promise<ApplicationError> {
    try {
      await promise;
    } catch (e) {
      assert.ok(e instanceof ApplicationError, String(e));
      return e;
    }
    assert.fail('the request succeeded');
  }

  describe('parameters, callflow names', function () {
    it('POST JSON: the flat fields in the query and the body, vars as an object in the body', async function () {
      const answer = await application().request(undefined, undefined, facts, digits, new AbortController().signal);
      assert.deepEqual([answer.url.split('?')[0], answer.contentType, answer.body, answer.fallback], [app.url('/ivr/start'), 'application/json', '{}', false]);
      const r = app.received[0];
      assert.ok(r);
      assert.equal(r.method, 'POST');
      const flat = { callId: '1700000000.42', caller: '+8613800000001', called: '4001', flow: 'hotline', step: '3', event: 'collect', outcome: 'digits', digits: '123', terminator: '#' };
      assert.deepEqual(queryOf(r.url), flat);
      assert.match(r.headers['content-type'] ?? '', /^application\/json/);
      assert.deepEqual(JSON.parse(r.body), { ...flat, step: 3, vars: { lang: 'zh', tries: 2 } });
    });

    it('POST form: the flat fields, and vars as JSON text', async function () {
      await application({ encoding: 'form' }).request(undefined, undefined, facts, { event: 'record', outcome: 'recorded', recording: 'msg-1', durationSec: 7 }, new AbortController().signal);
      const r = app.received[0];
      assert.match(r?.headers['content-type'] ?? '', /^application\/x-www-form-urlencoded/);
      const body: Record<string, string> = Object.fromEntries(new URLSearchParams(r?.body));
      assert.deepEqual([body.event, body.recording, body.durationSec], ['record', 'msg-1', '7']);
      assert.deepEqual(body, { ...queryOf(r?.url ?? ''), vars: '{"lang":"zh","tries":2}' });
    });

    it('GET: everything in the query, vars as JSON text only when there are some', async function () {
      const get = application({ method: 'GET' });
      await get.request(undefined, undefined, facts, { event: 'transfer', outcome: 'failed', reason: 'busy', cause: 17, dialStatus: 'BUSY' }, new AbortController().signal);
      await get.request(undefined, undefined, { ...facts, vars: {} }, call, new AbortController().signal);
      const [first, second] = app.received;
      assert.deepEqual([first?.method, first?.body], ['GET', '']);
      assert.deepEqual(queryOf(first?.url ?? ''), { callId: '1700000000.42', caller: '+8613800000001', called: '4001', flow: 'hotline', step: '3', event: 'transfer', outcome: 'failed', reason: 'busy', cause: '17', dialStatus: 'BUSY', vars: '{"lang":"zh","tries":2}' });
      assert.equal(queryOf(second?.url ?? '').vars, undefined);
    });

    it('resolves a jump against the document that named it, and keeps its own query', async function () {
      const answer = await application().request({ url: 'menu?level=2', method: 'GET' }, app.url('/ivr/start?old=1'), facts, digits, new AbortController().signal);
      const r = app.received[0];
      assert.equal(r?.method, 'GET');
      assert.ok(r?.url.startsWith('/ivr/menu?level=2&callId='), r?.url);
      assert.ok(answer.url.startsWith(app.url('/ivr/menu?level=2')));
    });
  });

  describe('parameters, Twilio names', function () {
    it('POST: a form of Twilio parameters, none in the query', async function () {
      const twiml = application({ mode: 'twiml', accountSid: 'AC0123' });
      await twiml.request(undefined, undefined, facts, digits, new AbortController().signal);
      await twiml.request(undefined, undefined, facts, { event: 'record', outcome: 'recorded', recording: 'msg-1', durationSec: 7, terminator: '#' }, new AbortController().signal);
      await twiml.request(undefined, undefined, facts, { event: 'transfer', outcome: 'failed', reason: 'no-answer', cause: 19, dialStatus: 'NOANSWER' }, new AbortController().signal);
      const [gather, record, dial] = app.received;
      assert.equal(gather?.url, '/ivr/start');
      assert.match(gather?.headers['content-type'] ?? '', /^application\/x-www-form-urlencoded/);
      const common = { CallSid: '1700000000.42', AccountSid: 'AC0123', From: '+8613800000001', To: '4001', Caller: '+8613800000001', Called: '4001', CallStatus: 'in-progress', ApiVersion: '2010-04-01', Direction: 'inbound' };
      assert.deepEqual(Object.fromEntries(new URLSearchParams(gather?.body)), { ...common, Digits: '123', FinishedOnKey: '#' });
      assert.deepEqual(Object.fromEntries(new URLSearchParams(record?.body)), { ...common, RecordingUrl: 'recording:msg-1', RecordingDuration: '7', Digits: '#' });
      assert.deepEqual(Object.fromEntries(new URLSearchParams(dial?.body)), { ...common, DialCallStatus: 'no-answer' });
    });

    it('GET: the Twilio parameters in the query', async function () {
      await application({ mode: 'twiml', method: 'GET' }).request(undefined, undefined, facts, digits, new AbortController().signal);
      const r = app.received[0];
      assert.deepEqual([r?.method, r?.body], ['GET', '']);
      assert.deepEqual(queryOf(r?.url ?? ''), { CallSid: '1700000000.42', From: '+8613800000001', To: '4001', Caller: '+8613800000001', Called: '4001', CallStatus: 'in-progress', ApiVersion: '2010-04-01', Direction: 'inbound', Digits: '123', FinishedOnKey: '#' });
    });
  });

  describe('signature', function () {
    it('callflow: X-Callflow-Signature verifies with verifySignature over the method, the full URL and the body', async function () {
      await application({ secret: 'shh' }).request(undefined, undefined, facts, digits, new AbortController().signal);
      const r = app.received[0];
      assert.ok(r);
      const header = String(r.headers['x-callflow-signature']);
      assert.match(header, /^t=1700000000,v1=[0-9a-f]{64}$/);
      const full = `http://127.0.0.1:${app.port}${r.url}`;
      assert.equal(verifySignature('shh', header, 'POST', full, r.body, { now: 1_700_000_010 }), true);
      assert.equal(verifySignature('other', header, 'POST', full, r.body, { now: 1_700_000_010 }), false);
      assert.equal(verifySignature('shh', header, 'POST', full, `${r.body} `, { now: 1_700_000_010 }), false);
      assert.equal(verifySignature('shh', header, 'GET', full, r.body, { now: 1_700_000_010 }), false);
      assert.equal(verifySignature('shh', header, 'POST', full, r.body, { now: 1_700_000_000 + 301 }), false, 'too old');
      assert.equal(verifySignature('shh', undefined, 'POST', full, r.body), false);
      assert.equal(header, callflowSignature('shh', 1_700_000_000, 'POST', full, r.body));
    });

    it('twiml: X-Twilio-Signature is Twilio\'s, checked against its published example', async function () {
      // TwilioDevEd/api-snippets security/signature_validation/signature_validation.3.x.js
      const example = { CallSid: 'CA1234567890ABCDE', Caller: '+14158675310', Digits: '1234', From: '+14158675310', To: '+18005551212' };
      assert.equal(twilioSignature('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', example), 'GvWf1cFY/Q7PnoempGyD5oXAezc=');
      const reversed = Object.fromEntries(Object.entries(example).reverse());
      assert.equal(twilioSignature('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', reversed), 'GvWf1cFY/Q7PnoempGyD5oXAezc=', 'sorted by name, whatever the order given');

      const twiml = application({ mode: 'twiml', secret: 'token' });
      await twiml.request({ url: 'next?a=1' }, app.url('/ivr/start'), facts, digits, new AbortController().signal);
      await twiml.request({ url: 'next?a=1', method: 'GET' }, app.url('/ivr/start'), facts, digits, new AbortController().signal);
      const [post, get] = app.received;
      assert.ok(post && get);
      const params = Object.fromEntries(new URLSearchParams(post.body));
      assert.equal(verifyTwilioSignature('token', String(post.headers['x-twilio-signature']), app.url(post.url), params), true);
      assert.equal(verifyTwilioSignature('token', String(get.headers['x-twilio-signature']), app.url(get.url), {}), true);
      assert.equal(verifyTwilioSignature('other', String(post.headers['x-twilio-signature']), app.url(post.url), params), false);
    });

    it('no secret, no signature header', async function () {
      await application().request(undefined, undefined, facts, call, new AbortController().signal);
      await application({ mode: 'twiml' }).request(undefined, undefined, facts, call, new AbortController().signal);
      assert.deepEqual(
        app.received.map((r) => [r.headers['x-callflow-signature'], r.headers['x-twilio-signature']]),
        [
          [undefined, undefined],
          [undefined, undefined],
        ],
      );
    });
  });

  describe('failures', function () {
    it('does not retry a 4xx other than 429', async function () {
      app.handler = (_req, res) => {
        res.writeHead(404).end();
      };
      const e = await failure(application({ retries: 3 }).request(undefined, undefined, facts, call, new AbortController().signal));
      assert.deepEqual([e.reason, e.status, e.message], ['http-status', 404, `POST ${app.url('/ivr/start')}: HTTP 404`]);
      assert.equal(app.received.length, 1);
    });

    it('retries a 5xx, then asks the fallback URL with the error, once', async function () {
      app.handler = (req, res) => {
        if (req.url?.startsWith('/ivr/fallback')) res.writeHead(200, { 'content-type': 'text/xml' }).end('<Response/>');
        else res.writeHead(503).end();
      };
      const answer = await application({ retries: 2, fallbackUrl: app.url('/ivr/fallback') }).request(undefined, undefined, facts, call, new AbortController().signal);
      assert.deepEqual([answer.fallback, answer.contentType, answer.body], [true, 'text/xml', '<Response/>']);
      assert.deepEqual(
        app.received.map((r) => r.url.split('?')[0]),
        ['/ivr/start', '/ivr/start', '/ivr/start', '/ivr/fallback'],
      );
      const last = JSON.parse(app.received[3]?.body ?? '{}') as Record<string, unknown>;
      assert.deepEqual([last.errorReason, last.errorUrl, last.event], ['http-status', app.url('/ivr/start'), 'call']);
    });

    it('retries 429, then gives up with the count of attempts when no fallback is set', async function () {
      app.handler = (_req, res) => {
        res.writeHead(429).end();
      };
      const e = await failure(application({ retries: 1 }).request(undefined, undefined, facts, call, new AbortController().signal));
      assert.deepEqual([e.reason, e.status, e.message], ['http-status', 429, `POST ${app.url('/ivr/start')}: HTTP 429 (2 attempts)`]);
    });

    it('twiml: the fallback gets ErrorCode and ErrorUrl, as Twilio sends them', async function () {
      app.handler = (req, res) => {
        if (req.url?.startsWith('/ivr/fallback')) res.writeHead(200, { 'content-type': 'text/xml' }).end('<Response/>');
        else res.writeHead(500).end();
      };
      await application({ mode: 'twiml', retries: 0, fallbackUrl: app.url('/ivr/fallback') }).request(undefined, app.url('/ivr/start?token=s3cr3t'), facts, call, new AbortController().signal);
      const body = Object.fromEntries(new URLSearchParams(app.received[1]?.body));
      assert.deepEqual([body.ErrorCode, body.ErrorUrl], ['11217', app.url('/ivr/start')]);
    });

    it('a jump that is no URL goes to the fallback (ErrorCode 11100 in twiml mode), showing no query', async function () {
      app.handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/xml' }).end('<Response/>');
      };
      const answer = await application({ mode: 'twiml', fallbackUrl: app.url('/ivr/fallback') }).request({ url: 'http://[bad/x?token=s3cr3t' }, app.url('/ivr/start'), facts, call, new AbortController().signal);
      assert.equal(answer.fallback, true);
      const body = Object.fromEntries(new URLSearchParams(app.received[0]?.body));
      assert.deepEqual([app.received.length, body.ErrorCode, body.ErrorUrl], [1, '11100', '(an invalid URL)']);
      const e = await failure(application().request({ url: 'http://[bad/x?token=s3cr3t' }, app.url('/ivr/start'), facts, call, new AbortController().signal));
      assert.deepEqual([e.reason, e.message], ['invalid-url', 'the jump URL "http://[bad/x" is not a valid URL']);
    });

    it('reports both failures when the fallback fails too', async function () {
      app.handler = (req, res) => {
        res.writeHead(req.url?.startsWith('/ivr/fallback') ? 502 : 404).end();
      };
      const e = await failure(application({ fallbackUrl: app.url('/ivr/fallback') }).request(undefined, undefined, facts, call, new AbortController().signal));
      assert.equal(e.reason, 'http-status');
      assert.equal(e.message, `POST ${app.url('/ivr/start')}: HTTP 404; the fallback failed too: POST ${app.url('/ivr/fallback')}: HTTP 502`);
    });

    it('times out on a server that never answers, retries, and says so', async function () {
      app.handler = () => {};
      const pending = failure(application({ timeoutMs: 50, retries: 1 }).request(undefined, undefined, facts, call, new AbortController().signal));
      const second = await app.arrival(2);
      const e = await pending;
      assert.deepEqual([e.reason, e.message], ['timeout', `POST ${app.url('/ivr/start')}: timed out after 50 ms (2 attempts)`]);
      await app.closed(second.socket);
      await app.closed((await app.arrival(1)).socket);
    });

    it('does not retry a body over the limit', async function () {
      app.handler = (_req, res) => {
        res.writeHead(200).end('x'.repeat(2000));
      };
      const e = await failure(application({ maxBytes: 1000, retries: 3 }).request(undefined, undefined, facts, call, new AbortController().signal));
      assert.deepEqual([e.reason, app.received.length], ['too-large', 1]);
    });

    it('refuses a jump out of `within`, without a request', async function () {
      const e = await failure(application({ within: app.url('/ivr/') }).request({ url: '../admin/../../admin' }, app.url('/ivr/start'), facts, call, new AbortController().signal));
      assert.equal(e.reason, 'refused');
      assert.equal(app.received.length, 0);
    });
  });

  describe('the caller hangs up', function () {
    it('mid-request: stops at once, closes the socket, leaves no timer', async function () {
      app.handler = () => {};
      const timers = await activeTimers();
      const abort = new AbortController();
      const pending = failure(application({ fallbackUrl: app.url('/ivr/fallback') }).request(undefined, undefined, facts, call, abort.signal));
      const arrived = await app.arrival(1);
      abort.abort();
      const e = await pending;
      assert.equal(e.reason, 'aborted');
      await app.closed(arrived.socket);
      assert.equal(await activeTimers(), timers);
      assert.equal(app.received.length, 1, 'no retry, no fallback');
    });

    it('mid-backoff: stops at once, leaves no timer (the first socket already closed)', async function () {
      app.handler = (_req, res) => {
        res.writeHead(503).end();
      };
      const logger = recordingLogger();
      const waiting = new Promise<void>((resolve) => {
        logger.events.on('line', (line: string) => {
          if (/attempt 2 in/.test(line)) resolve();
        });
      });
      const timers = await activeTimers();
      const abort = new AbortController();
      const pending = failure(application({ backoffMs: 60_000, maxBackoffMs: 60_000, logger }).request(undefined, undefined, facts, call, abort.signal));
      await waiting;
      await app.closed((await app.arrival(1)).socket);
      assert.equal(await activeTimers(), timers + 1, 'the backoff timer');
      abort.abort();
      const e = await pending;
      assert.equal(e.reason, 'aborted');
      assert.equal(await activeTimers(), timers);
      assert.equal(app.received.length, 1);
    });
  });

  describe('settings', function () {
    it('refuses header injection and reserved headers, naming the header and never its value', function () {
      const problems = applicationProblems({ baseUrl: app.url('/'), allowlist: ['127.0.0.1'], headers: { 'X-Key': 'a\r\nX-Evil: 1', 'Bad Name': 'v', Host: 'evil', 'X-Twilio-Signature': 'x', 'Content-Length': '1', 'X-Ok': 'fine' } });
      assert.deepEqual(problems, [
        'header "X-Key" has a value with a line break or another control character',
        'header name "Bad Name" is not an HTTP token (letters, digits and !#$%&\'*+.^_`|~-)',
        'header "Host" may not be set: the request sets it itself',
        'header "X-Twilio-Signature" may not be set: the request sets it itself',
        'header "Content-Length" may not be set: the request sets it itself',
      ]);
      assert.throws(() => application({ headers: { 'X-Key': 'v\n' } }), (e: Error) => e instanceof RangeError && /header "X-Key"/.test(e.message) && !e.message.includes('v\n'));
    });

    it('refuses a base URL off the allowlist or outside `within`, and bad numbers', function () {
      assert.deepEqual(applicationProblems({ baseUrl: 'http://10.1.1.1/app?key=s3cr3t', allowlist: ['app.example.com'], retries: -1, method: 'PUT' as 'GET' }), [
        'baseUrl http://10.1.1.1/app: the host 10.1.1.1 is an internal address (loopback, private, link-local, multicast or unspecified) and no IP or CIDR entry of the application allowlist covers it',
        'method must be GET or POST (got "PUT")',
        'retries must be a whole number from 0 to 10 (got -1)',
      ]);
      assert.deepEqual(applicationProblems({ baseUrl: app.url('/admin'), allowlist: ['127.0.0.1'], within: app.url('/ivr/') }), [`baseUrl ${app.url('/admin')}: ${app.url('/admin')} is not under ${app.url('/ivr/')}`]);
    });

    it('logs neither the query string, nor header values, nor the secret', async function () {
      app.handler = (_req, res) => {
        res.writeHead(500).end();
      };
      const logger = recordingLogger();
      const pending = failure(application({ secret: 'sekrit', headers: { 'X-Api-Key': 'k3y' }, logger, retries: 1, fallbackUrl: app.url('/ivr/fallback?fb=t0ken') }).request({ url: 'next?token=s3cr3t' }, app.url('/ivr/start'), facts, call, new AbortController().signal));
      const e = await pending;
      assert.equal(app.received[0]?.headers['x-api-key'], 'k3y');
      assert.ok(logger.lines.length >= 2);
      for (const line of [...logger.lines, e.message]) assert.doesNotMatch(line, /sekrit|k3y|s3cr3t|t0ken|callId=|\?/, line);
    });
  });

  it('answers relative to the URL that answered after a redirect', async function () {
    app.handler = (req, res) => {
      if (req.url?.startsWith('/ivr/start')) res.writeHead(302, { location: '/ivr/v2/start' }).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"main":{"command":"hangup"}}');
    };
    const answer = await application().request(undefined, undefined, facts, call, new AbortController().signal);
    assert.equal(new URL(answer.url).pathname, '/ivr/v2/start');
    // 302 after a POST: a GET, as browsers do (the Fetch standard); the parameters are in the query anyway.
    assert.deepEqual(
      app.received.map((r) => [r.method, r.url.split('?')[0], queryOf(r.url).callId]),
      [
        ['POST', '/ivr/start', '1700000000.42'],
        ['GET', '/ivr/v2/start', undefined],
      ],
    );
  });
});
