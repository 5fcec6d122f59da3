/**
 * The campaign's HTTP callback (lib/campaign/callback.ts): delivery to a
 * local server, retries with backoff, the SSRF rules (allowlist, every
 * resolved address checked, the checked address is the one connected to,
 * redirects checked again) and a sender that never blocks its caller.
 * Names are resolved by an injected lookup; nothing sleeps: tests await
 * results, requests and drain().
 */
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../lib/log';
import { CallbackSender, checkCallbackUrl, isInternalAddress, type CallbackOptions, type CallbackPayload, type CallbackResult } from '../../lib/campaign/callback';

const payload: CallbackPayload = {
  dataId: 'data-1',
  taskId: 'task-7',
  sessionId: 'session-42',
  calledNo: '+8613800000000',
  beginTime: '2024-05-01 09:30:00',
  vdnId: 'vdn-3',
  failCode: '0',
  callId: 'call-9',
  filePath: '/recordings/call-9.wav',
  customFiled: '{"region":"north"}',
};

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, received: Received) => void;

const ok: Handler = (_req, res) => {
  res.writeHead(200).end('ok');
};

function nextResult(sender: CallbackSender): Promise<CallbackResult> {
  return new Promise((resolve) => {
    const off = sender.onResult((r) => {
      off();
      resolve(r);
    });
  });
}

function collectResults(sender: CallbackSender): CallbackResult[] {
  const results: CallbackResult[] = [];
  sender.onResult((r) => results.push(r));
  return results;
}

/** A logger that keeps every line and announces it. */
function recordingLogger(): Logger & { lines: string[]; events: EventEmitter } {
  const lines: string[] = [];
  const events = new EventEmitter();
  const log = (level: string) => (message: string) => {
    lines.push(`${level} ${message}`);
    events.emit('line', `${level} ${message}`);
  };
  return { lines, events, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/** A lookup that answers every name with the given addresses and counts its calls. */
function fixedLookup(...addresses: string[]): NonNullable<CallbackOptions['lookup']> & { calls: string[] } {
  const calls: string[] = [];
  const fn = (host: string) => {
    calls.push(host);
    return Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
  return Object.assign(fn, { calls });
}

describe('campaign callback', function () {
  let server: http.Server;
  let port: number;
  let handler: Handler;
  let received: Received[];
  const arrivals = new EventEmitter();
  let held: http.ServerResponse[];
  let senders: CallbackSender[];

  before(async function () {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        received.push(r);
        handler(req, res, r);
        arrivals.emit('request', r);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });

  after(async function () {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(function () {
    handler = ok;
    received = [];
    held = [];
    senders = [];
  });

  afterEach(async function () {
    await Promise.all(senders.map((s) => s.close()));
    for (const res of held) res.destroy();
    server.closeAllConnections();
  });

  function local(path = '/hook'): string {
    return `http://127.0.0.1:${port}${path}`;
  }

  function sender(options: Partial<CallbackOptions> & { url: string }): CallbackSender {
    const s = new CallbackSender({ allowlist: ['127.0.0.1'], baseDelayMs: 5, maxAttempts: 3, timeoutMs: 5000, ...options });
    senders.push(s);
    return s;
  }

  async function deliver(options: Partial<CallbackOptions> & { url: string }): Promise<CallbackResult> {
    const s = sender(options);
    const result = nextResult(s);
    s.send('connect', payload);
    return result;
  }

  describe('delivery', function () {
    it('POSTs the event and every field of the payload as JSON', async function () {
      const s = sender({ url: local('/hook?token=abc') });
      const results = collectResults(s);
      s.send('connect', payload);
      s.send('release', { ...payload, failCode: '17' });
      await s.drain();

      assert.deepEqual(
        results.map((r) => [r.event, r.ok, r.attempts, r.status]),
        [
          ['connect', true, 1, 200],
          ['release', true, 1, 200],
        ],
      );
      assert.equal(received.length, 2);
      const byEvent = new Map(received.map((r) => [(JSON.parse(r.body) as { event: string }).event, r]));
      const connect = byEvent.get('connect');
      assert.ok(connect);
      assert.equal(connect.method, 'POST');
      assert.equal(connect.url, '/hook?token=abc');
      assert.match(connect.headers['content-type'] ?? '', /^application\/json/);
      assert.deepEqual(JSON.parse(connect.body), {
        event: 'connect',
        dataId: 'data-1',
        taskId: 'task-7',
        sessionId: 'session-42',
        calledNo: '+8613800000000',
        beginTime: '2024-05-01 09:30:00',
        vdnId: 'vdn-3',
        failCode: '0',
        callId: 'call-9',
        filePath: '/recordings/call-9.wav',
        customFiled: '{"region":"north"}',
      });
      assert.deepEqual(JSON.parse(byEvent.get('release')?.body ?? '{}'), { event: 'release', ...payload, failCode: '17' });
    });

    it('sends only the specified fields, whatever else the payload object carries', async function () {
      const result = await deliver({ url: local() });
      assert.ok(result.ok);
      const s = sender({ url: local() });
      s.send('connect', { ...payload, secretExtra: 'x' } as CallbackPayload);
      await s.drain();
      assert.equal(received.length, 2);
      assert.deepEqual(Object.keys(JSON.parse(received[1]?.body ?? '{}') as object).sort(), ['event', ...Object.keys(payload)].sort());
    });

    it('retries a 500 with a growing delay, then succeeds', async function () {
      const times: number[] = [];
      handler = (_req, res) => {
        times.push(performance.now());
        res.writeHead(times.length < 3 ? 500 : 204).end();
      };
      const result = await deliver({ url: local(), baseDelayMs: 20, maxAttempts: 5 });
      assert.deepEqual([result.ok, result.attempts, result.status, result.error], [true, 3, 204, undefined]);
      assert.equal(received.length, 3);
      const [t0 = 0, t1 = 0, t2 = 0] = times;
      // 20 ms then 40 ms, each ±20%; timers may fire a millisecond early.
      assert.ok(t1 - t0 >= 15, `first retry after ${t1 - t0} ms`);
      assert.ok(t2 - t1 >= 31, `second retry after ${t2 - t1} ms`);
    });

    it('retries 429 too', async function () {
      let n = 0;
      handler = (_req, res) => {
        n += 1;
        res.writeHead(n === 1 ? 429 : 200).end();
      };
      const result = await deliver({ url: local() });
      assert.deepEqual([result.ok, result.attempts], [true, 2]);
    });

    it('gives up after maxAttempts and says why', async function () {
      handler = (_req, res) => {
        res.writeHead(503).end();
      };
      const logger = recordingLogger();
      const result = await deliver({ url: local(), maxAttempts: 3, logger });
      assert.deepEqual([result.ok, result.attempts, result.status, result.error], [false, 3, 503, 'HTTP 503']);
      assert.equal(received.length, 3);
      assert.ok(logger.lines.some((l) => /^warn .*given up after 3 attempt/.test(l)));
    });

    it('retries network errors (connection refused)', async function () {
      const closed = http.createServer();
      closed.listen(0, '127.0.0.1');
      await once(closed, 'listening');
      const deadPort = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const result = await deliver({ url: `http://127.0.0.1:${deadPort}/hook`, maxAttempts: 2 });
      assert.deepEqual([result.ok, result.attempts, result.status], [false, 2, undefined]);
      assert.match(result.error ?? '', /ECONNREFUSED/);
    });

    it('does not retry other 4xx answers', async function () {
      handler = (_req, res) => {
        res.writeHead(404).end();
      };
      const result = await deliver({ url: local(), maxAttempts: 5 });
      assert.deepEqual([result.ok, result.attempts, result.status], [false, 1, 404]);
      assert.equal(received.length, 1);
    });

    it('follows a redirect on an allowed host and POSTs the same body again', async function () {
      handler = (req, res) => {
        if (req.url === '/start') res.writeHead(307, { location: '/final' }).end();
        else res.writeHead(200).end();
      };
      const result = await deliver({ url: local('/start') });
      assert.deepEqual([result.ok, result.attempts, result.status], [true, 1, 200]);
      assert.deepEqual(
        received.map((r) => [r.method, r.url]),
        [
          ['POST', '/start'],
          ['POST', '/final'],
        ],
      );
      assert.equal(received[1]?.body, received[0]?.body);
    });

    it('stops after maxRedirects', async function () {
      handler = (_req, res) => {
        res.writeHead(302, { location: '/again' }).end();
      };
      const result = await deliver({ url: local('/start'), maxRedirects: 2, maxAttempts: 5 });
      assert.deepEqual([result.ok, result.attempts, result.status], [false, 1, 302]);
      assert.match(result.error ?? '', /more than 2 redirect/);
      assert.equal(received.length, 3);
    });

    it('sends user:password of the URL as basic auth and never logs it or the query string', async function () {
      handler = (_req, res) => {
        res.writeHead(500).end();
      };
      const logger = recordingLogger();
      const result = await deliver({ url: `http://hook-user:pa55word@127.0.0.1:${port}/hook?token=s3cr3t`, maxAttempts: 2, logger });
      assert.equal(result.ok, false);
      assert.equal(received[0]?.headers.authorization, `Basic ${Buffer.from('hook-user:pa55word').toString('base64')}`);
      assert.equal(received[0]?.url, '/hook?token=s3cr3t');
      assert.ok(logger.lines.length > 0);
      assert.ok(logger.lines.some((l) => l.includes(`http://127.0.0.1:${port}/hook`)));
      for (const line of [...logger.lines, result.error ?? '']) {
        assert.ok(!/s3cr3t|pa55word|token=/.test(line), line);
      }
    });
  });

  describe('refusals (SSRF)', function () {
    it('refuses a host that is not on the allowlist, without a request and without retrying', async function () {
      const logger = recordingLogger();
      const result = await deliver({ url: local(), allowlist: ['hooks.example.com'], maxAttempts: 5, logger });
      assert.deepEqual([result.ok, result.attempts], [false, 1]);
      assert.match(result.error ?? '', /127\.0\.0\.1 is an internal address .*no IP or CIDR entry/);
      assert.equal(received.length, 0);
      assert.ok(logger.lines.some((l) => l.startsWith('warn ')));

      const lookup = fixedLookup('93.184.216.34');
      const other = await deliver({ url: 'https://other.example.net/hook', allowlist: ['hooks.example.com'], lookup });
      assert.deepEqual([other.ok, other.attempts], [false, 1]);
      assert.match(other.error ?? '', /the host other\.example\.net is not on the callback allowlist/);
      assert.deepEqual(lookup.calls, []);
    });

    for (const address of ['10.0.0.5', '127.0.0.1', '169.254.169.254', '::1', '::ffff:127.0.0.1']) {
      it(`refuses an allowed name that resolves to ${address} (only a name entry)`, async function () {
        const lookup = fixedLookup(address);
        const result = await deliver({ url: `http://hooks.test:${port}/hook`, allowlist: ['hooks.test'], lookup, maxAttempts: 5 });
        assert.deepEqual([result.ok, result.attempts], [false, 1]);
        assert.ok(result.error?.includes(`hooks.test resolves to ${address}, an internal address`), result.error);
        assert.deepEqual(lookup.calls, ['hooks.test']);
        assert.equal(received.length, 0);
      });
    }

    it('checks every resolved address, not only the first', async function () {
      const lookup = fixedLookup('93.184.216.34', '10.0.0.5');
      const result = await deliver({ url: 'https://hooks.test/hook', allowlist: ['hooks.test'], lookup });
      assert.deepEqual([result.ok, result.attempts], [false, 1]);
      assert.match(result.error ?? '', /resolves to 10\.0\.0\.5/);
    });

    it('allows an internal address when a CIDR entry covers it, and connects to the checked address with the name as Host', async function () {
      // hooks.test exists only in the injected lookup: had the request resolved the name again, it would have failed.
      const lookup = fixedLookup('127.0.0.1');
      const result = await deliver({ url: `http://hooks.test:${port}/hook`, allowlist: ['hooks.test', '127.0.0.0/8'], lookup });
      assert.deepEqual([result.ok, result.attempts, result.status], [true, 1, 200]);
      assert.deepEqual(lookup.calls, ['hooks.test']);
      assert.equal(received[0]?.headers.host, `hooks.test:${port}`);
    });

    it('refuses a redirect to a host that is not on the allowlist, without retrying', async function () {
      handler = (_req, res) => {
        res.writeHead(302, { location: `http://evil.test:${port}/steal?token=s3cr3t` }).end();
      };
      const lookup = fixedLookup('127.0.0.1');
      const result = await deliver({ url: local('/start'), lookup, maxAttempts: 5 });
      assert.deepEqual([result.ok, result.attempts], [false, 1]);
      assert.equal(result.error, `refused redirect to http://evil.test:${port}/steal: the host evil.test is not on the callback allowlist`);
      assert.equal(received.length, 1);
      assert.deepEqual(lookup.calls, []);
    });

    it('checks the addresses of a redirect target too', async function () {
      handler = (_req, res) => {
        res.writeHead(301, { location: `http://hooks.test:${port}/final` }).end();
      };
      const calls: string[] = [];
      const lookup = (host: string) => {
        calls.push(host);
        return Promise.resolve([{ address: host === 'start.test' ? '127.0.0.1' : '10.0.0.5', family: 4 }]);
      };
      const result = await deliver({ url: `http://start.test:${port}/start`, allowlist: ['start.test', '127.0.0.1', 'hooks.test'], lookup });
      assert.deepEqual([result.ok, result.attempts], [false, 1]);
      assert.match(result.error ?? '', /^refused redirect to http:\/\/hooks\.test:\d+\/final: hooks\.test resolves to 10\.0\.0\.5, an internal address/);
      assert.deepEqual(calls, ['start.test', 'hooks.test']);
      assert.equal(received.length, 1);
    });

    it('refuses a redirect to another scheme', async function () {
      handler = (_req, res) => {
        res.writeHead(308, { location: 'file:///etc/passwd' }).end();
      };
      const result = await deliver({ url: local('/start') });
      assert.deepEqual([result.ok, result.attempts], [false, 1]);
      assert.match(result.error ?? '', /^refused redirect to .*http:\/\/ or https:\/\//);
    });

    it('refuses a URL that is not http or https', async function () {
      for (const url of [`ftp://127.0.0.1:${port}/hook`, 'file:///etc/passwd', 'gopher://127.0.0.1/']) {
        const result = await deliver({ url, maxAttempts: 5 });
        assert.deepEqual([result.ok, result.attempts], [false, 1], url);
        assert.match(result.error ?? '', /must be http:\/\/ or https:\/\//);
      }
      const invalid = await deliver({ url: 'not a url' });
      assert.deepEqual([invalid.ok, invalid.attempts, invalid.error], [false, 1, 'the callback URL is not a valid URL']);
      assert.equal(received.length, 0);
    });
  });

  describe('never blocking the caller', function () {
    it('returns from send() before the server answers; a server that never answers times out', async function () {
      handler = (_req, res) => {
        held.push(res);
      };
      const s = sender({ url: local(), timeoutMs: 150, maxAttempts: 1 });
      const result = nextResult(s);
      const arrived = once(arrivals, 'request');
      s.send('connect', payload);
      assert.equal(received.length, 0);
      await arrived;
      assert.equal(held.length, 1);
      const r = await result;
      assert.deepEqual([r.ok, r.attempts, r.error], [false, 1, 'timed out after 150 ms']);
    });

    it('has at most 4 requests in flight', async function () {
      const pending: ((addresses: { address: string; family: number }[]) => void)[] = [];
      const lookups = new EventEmitter();
      const lookup = (_host: string) =>
        new Promise<{ address: string; family: number }[]>((resolve) => {
          pending.push(resolve);
          lookups.emit('lookup');
        });
      const s = sender({ url: 'https://hooks.test/hook', allowlist: ['hooks.test'], lookup });
      const results = collectResults(s);
      for (let i = 0; i < 6; i += 1) s.send('connect', { ...payload, callId: `call-${i}` });
      while (pending.length < 4) await once(lookups, 'lookup');
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(pending.length, 4);

      pending[0]?.([{ address: '10.0.0.5', family: 4 }]);
      while (pending.length < 5) await once(lookups, 'lookup');
      assert.equal(results.length, 1);

      for (let i = 1; i < 6; i += 1) {
        while (pending.length <= i) await once(lookups, 'lookup');
        pending[i]?.([{ address: '10.0.0.5', family: 4 }]);
      }
      await s.drain();
      assert.equal(results.length, 6);
      assert.ok(results.every((r) => !r.ok && /internal address/.test(r.error ?? '')));
    });

    it('drops the oldest waiting callback when the queue is full; close() gives up the rest', async function () {
      const lookups = new EventEmitter();
      let calls = 0;
      const lookup = (_host: string) =>
        new Promise<{ address: string; family: number }[]>(() => {
          calls += 1;
          lookups.emit('lookup');
        });
      const logger = recordingLogger();
      const s = sender({ url: 'https://hooks.test/hook', allowlist: ['hooks.test'], lookup, maxQueue: 2, logger });
      const results = collectResults(s);
      for (let i = 0; i < 4; i += 1) s.send('connect', { ...payload, callId: `call-${i}` });
      while (calls < 4) await once(lookups, 'lookup');
      for (let i = 4; i < 7; i += 1) s.send('connect', { ...payload, callId: `call-${i}` });
      await new Promise((resolve) => setImmediate(resolve));

      assert.deepEqual(
        results.map((r) => [r.payload.callId, r.error]),
        [['call-4', 'dropped: the callback queue is full (2 waiting)']],
      );
      assert.ok(logger.lines.some((l) => /^warn callback queue full/.test(l)));

      await s.close();
      assert.equal(results.length, 7);
      assert.deepEqual(results.slice(1).map((r) => [r.payload.callId, r.ok, r.error]).sort(), [
        ['call-0', false, 'closed'],
        ['call-1', false, 'closed'],
        ['call-2', false, 'closed'],
        ['call-3', false, 'closed'],
        ['call-5', false, 'closed'],
        ['call-6', false, 'closed'],
      ]);
      assert.equal(calls, 4);
    });

    it('close() stops a callback waiting for its retry; send() after close reports closed', async function () {
      handler = (_req, res) => {
        res.writeHead(500).end();
      };
      const logger = recordingLogger();
      const s = sender({ url: local(), baseDelayMs: 60_000, maxAttempts: 5, logger });
      const result = nextResult(s);
      const retrying = new Promise<void>((resolve) => {
        logger.events.on('line', (line: string) => {
          if (/attempt 2 in/.test(line)) resolve();
        });
      });
      s.send('connect', payload);
      await retrying;
      await s.close();
      const r = await result;
      assert.deepEqual([r.ok, r.attempts, r.error, r.status], [false, 1, 'closed', undefined]);

      const late = nextResult(s);
      s.send('release', payload);
      assert.deepEqual(await late, { event: 'release', payload, ok: false, attempts: 0, error: 'closed' });
      assert.equal(received.length, 1);
    });

    it('drain() resolves at once when nothing is queued, and after every result otherwise', async function () {
      const s = sender({ url: local() });
      await s.drain();
      const results = collectResults(s);
      s.send('connect', payload);
      s.send('release', payload);
      await s.drain();
      assert.equal(results.length, 2);
    });

    it('a listener that throws does not stop the others', async function () {
      const logger = recordingLogger();
      const s = sender({ url: local(), logger });
      s.onResult(() => {
        throw new Error('listener bug');
      });
      const result = nextResult(s);
      s.send('connect', payload);
      assert.equal((await result).ok, true);
      assert.ok(logger.lines.some((l) => /^error .*listener bug/.test(l)));
    });
  });

  describe('checkCallbackUrl', function () {
    const cases: [string, string[], RegExp | undefined][] = [
      ['https://hooks.example.com/cb?token=x', ['hooks.example.com'], undefined],
      ['https://HOOKS.Example.COM./cb', ['hooks.example.com'], undefined],
      ['https://a.b.example.com/cb', ['*.example.com'], undefined],
      ['https://example.com/cb', ['*.example.com'], /example\.com is not on the callback allowlist/],
      ['https://evilexample.com/cb', ['*.example.com'], /not on the callback allowlist/],
      ['https://other.example.com/cb', ['hooks.example.com'], /the host other\.example\.com is not on the callback allowlist/],
      ['http://127.0.0.1:8080/cb', ['127.0.0.1'], undefined],
      ['http://10.1.2.3/cb', ['10.0.0.0/8'], undefined],
      ['http://11.1.2.3/cb', ['10.0.0.0/8'], /11\.1\.2\.3 is not on the callback allowlist/],
      ['http://[fd00::5]/cb', ['fd00::/8'], undefined],
      ['http://[::ffff:10.0.0.9]/cb', ['10.0.0.0/24'], undefined],
      ['http://203.0.113.7/cb', ['203.0.113.0/24'], undefined],
      ['http://127.0.0.1/cb', ['hooks.example.com'], /127\.0\.0\.1 is an internal address/],
      ['http://2130706433/cb', ['hooks.example.com'], /127\.0\.0\.1 is an internal address/],
      ['http://[::ffff:127.0.0.1]/cb', ['hooks.example.com'], /is an internal address/],
      ['http://169.254.169.254/latest/meta-data', ['*.example.com'], /169\.254\.169\.254 is an internal address/],
      ['http://[::1]:8080/', ['hooks.example.com'], /::1 is an internal address/],
      ['http://8.8.8.8/cb', ['hooks.example.com'], /8\.8\.8\.8 is not on the callback allowlist/],
      ['ftp://hooks.example.com/cb', ['hooks.example.com'], /must be http:\/\/ or https:\/\//],
      ['file:///etc/passwd', ['hooks.example.com'], /must be http:\/\/ or https:\/\//],
      ['javascript:alert(1)', ['hooks.example.com'], /must be http:\/\/ or https:\/\//],
      ['not a url', ['hooks.example.com'], /not a valid URL/],
      ['', ['hooks.example.com'], /not a valid URL/],
      ['https://hooks.example.com/cb', [], /allowlist is empty/],
      ['https://hooks.example.com/cb', ['hooks.example.com', '10.0.0.0/40'], /allowlist entry "10\.0\.0\.0\/40" is not/],
      ['https://hooks.example.com/cb', ['hooks.example.com:443'], /allowlist entry "hooks\.example\.com:443" is not/],
    ];
    for (const [url, allowlist, expected] of cases) {
      it(`${JSON.stringify(url)} with [${allowlist.join(', ')}]: ${expected ? 'refused' : 'allowed'}`, function () {
        const why = checkCallbackUrl(url, allowlist);
        if (expected === undefined) assert.equal(why, undefined);
        else assert.match(why ?? '(allowed)', expected);
      });
    }

    it('never repeats the query string of the URL', function () {
      const why = checkCallbackUrl('https://other.example.com/cb?token=s3cr3t', ['hooks.example.com']);
      assert.ok(why && !why.includes('s3cr3t'));
    });
  });

  describe('isInternalAddress', function () {
    const internal = [
      '127.0.0.1', '127.255.255.254', '10.0.0.5', '10.255.255.255', '172.16.0.1', '172.31.255.255', '192.168.1.1',
      '100.64.0.1', '100.127.255.255', '169.254.169.254', '0.0.0.0', '224.0.0.1', '239.255.255.250', '255.255.255.255', '198.18.0.1', '198.19.255.254', '192.0.0.8',
      '::1', '::', 'fc00::1', 'fd12:3456:789a::1', 'fe80::1', 'fe80::1%eth0', 'febf::1', 'ff02::1',
      '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.5', '::FFFF:A9FE:A9FE', '0:0:0:0:0:ffff:c0a8:0101', '::127.0.0.1', '64:ff9b::10.0.0.1',
    ];
    const external = [
      '8.8.8.8', '93.184.216.34', '11.0.0.1', '172.15.255.255', '172.32.0.1', '192.167.255.255', '192.169.0.1', '100.63.255.255',
      '100.128.0.1', '169.253.255.255', '223.255.255.255', '2001:4860:4860::8888', '2606:4700:4700::1111', 'fbff::1', 'fe00::1',
      '::ffff:8.8.8.8', '64:ff9b::8.8.8.8', 'example.com', '', '10.0.0.256',
    ];
    for (const address of internal) {
      it(`${address} is internal`, function () {
        assert.equal(isInternalAddress(address), true);
      });
    }
    for (const address of external) {
      it(`${JSON.stringify(address)} is not internal`, function () {
        assert.equal(isInternalAddress(address), false);
      });
    }
  });
});
