/**
 * lib/net/http-request.ts: the guarded request both campaign callbacks and
 * HTTP IVR applications use. Against a local server on 127.0.0.1 (an
 * allowlist IP entry covers it) and a fake lookup for names; nothing
 * sleeps: tests await arrivals and closed sockets.
 */
import assert from 'node:assert/strict';
import { HostAllowlist } from '../../lib/net/addresses';
import { HttpRequestError, guardedRequest, withinRefusal, type GuardedRequestOptions } from '../../lib/net/http-request';
import { useAppServer, activeTimers, fixedLookup } from '../support/app-server';

describe('guarded HTTP request', function () {
  const app = useAppServer();

  function request(options: Partial<GuardedRequestOptions> & { url: string }): ReturnType<typeof guardedRequest> {
    return guardedRequest({ allowlist: new HostAllowlist(['127.0.0.1']), timeoutMs: 5000, maxBytes: 1024, ...options });
  }

  async function failure(promise: Promise<unknown>): Promise<HttpRequestError> {
    try {
      await promise;
    } catch (e) {
      assert.ok(e instanceof HttpRequestError, String(e));
      return e;
    }
    assert.fail('the request succeeded');
  }

  describe('bodies', function () {
    it('reads a body sent with Content-Length, as UTF-8', async function () {
      app.handler = (_req, res) => {
        const body = Buffer.from('{"say":"你好"}', 'utf8');
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
      };
      const res = await request({ url: app.url('/doc?x=1') });
      assert.deepEqual([res.status, res.body, res.url, res.headers['content-type']], [200, '{"say":"你好"}', app.url('/doc?x=1'), 'application/json']);
    });

    it('reads a chunked body, a multi-byte character split between chunks', async function () {
      app.handler = (_req, res) => {
        const text = Buffer.from('<Response><Say>é</Say></Response>', 'utf8');
        const cut = text.indexOf(0xc3) + 1;
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.write(text.subarray(0, cut));
        res.write(text.subarray(cut));
        res.end();
      };
      const res = await request({ url: app.url('/doc') });
      assert.equal(res.body, '<Response><Say>é</Say></Response>');
      assert.equal(app.received[0]?.headers['transfer-encoding'], undefined);
    });

    it('refuses a body whose Content-Length is over the limit, closing the socket', async function () {
      app.handler = (_req, res) => {
        res.writeHead(200, { 'content-length': 5000 });
        res.write('x'.repeat(100));
      };
      const e = await failure(request({ url: app.url('/big'), maxBytes: 1000 }));
      assert.deepEqual([e.reason, e.why, e.status], ['too-large', 'the response is over 1000 bytes', 200]);
      await app.closed((await app.arrival(1)).socket);
    });

    it('stops reading a chunked body at once when it goes over the limit, closing the socket', async function () {
      let written = 0;
      app.handler = (_req, res, r) => {
        res.writeHead(200, { 'content-type': 'text/xml' });
        // Writes for as long as the socket is open: only the client closing it stops this.
        const more = (): void => {
          if (r.socket.destroyed) return;
          written += 512;
          res.write('y'.repeat(512), () => setImmediate(more));
        };
        more();
      };
      const e = await failure(request({ url: app.url('/endless'), maxBytes: 2048 }));
      assert.deepEqual([e.reason, e.why], ['too-large', 'the response is over 2048 bytes']);
      await app.closed((await app.arrival(1)).socket);
      assert.ok(written > 2048, `${written} bytes written`);
    });

    it('reports a response cut short as unreachable', async function () {
      app.handler = (_req, res, r) => {
        res.writeHead(200, { 'content-length': 100 });
        res.write('only part', () => r.socket.destroy());
      };
      const e = await failure(request({ url: app.url('/cut') }));
      assert.equal(e.reason, 'unreachable');
    });

    it('does not read the body without maxBytes', async function () {
      app.handler = (_req, res) => {
        res.writeHead(200).end('ignored');
      };
      const res = await request({ url: app.url('/x'), maxBytes: undefined });
      assert.deepEqual([res.status, res.body], [200, '']);
    });
  });

  describe('redirects', function () {
    it('stops a redirect loop after maxRedirects', async function () {
      app.handler = (_req, res) => {
        res.writeHead(302, { location: '/again' }).end();
      };
      const e = await failure(request({ url: app.url('/start'), maxRedirects: 2 }));
      assert.deepEqual([e.reason, e.why, e.status], ['redirects', 'more than 2 redirect(s)', 302]);
      assert.equal(app.received.length, 3);
    });

    it('turns a POST into a GET without body after 303', async function () {
      app.handler = (req, res) => {
        if (req.url === '/form') res.writeHead(303, { location: '/result' }).end();
        else res.writeHead(200).end('done');
      };
      const res = await request({ url: app.url('/form'), method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
      assert.deepEqual([res.status, res.body, res.method], [200, 'done', 'GET']);
      assert.deepEqual(
        app.received.map((r) => [r.method, r.url, r.body, r.headers['content-type'], r.headers['content-length']]),
        [
          ['POST', '/form', '{"a":1}', 'application/json', '7'],
          ['GET', '/result', '', undefined, undefined],
        ],
      );
    });

    it('keeps the method and the body after 307 and 308', async function () {
      app.handler = (req, res) => {
        if (req.url === '/a') res.writeHead(307, { location: '/b' }).end();
        else if (req.url === '/b') res.writeHead(308, { location: '/c' }).end();
        else res.writeHead(200).end();
      };
      await request({ url: app.url('/a'), method: 'POST', body: 'k=v' });
      assert.deepEqual(
        app.received.map((r) => [r.method, r.url, r.body]),
        [
          ['POST', '/a', 'k=v'],
          ['POST', '/b', 'k=v'],
          ['POST', '/c', 'k=v'],
        ],
      );
    });

    it('sends Authorization to the first origin only', async function () {
      app.handler = (req, res) => {
        if (req.url === '/start') res.writeHead(307, { location: `http://other.test:${app.port}/there` }).end();
        else res.writeHead(200).end();
      };
      const lookup = fixedLookup('127.0.0.1');
      await request({ url: app.url('/start'), allowlist: new HostAllowlist(['127.0.0.1', 'other.test']), lookup, headers: { authorization: 'Bearer one' }, originHeaders: { 'x-key': 'two' } });
      assert.deepEqual(
        app.received.map((r) => [r.url, r.headers.authorization, r.headers['x-key']]),
        [
          ['/start', 'Bearer one', 'two'],
          ['/there', undefined, undefined],
        ],
      );
    });
  });

  describe('within', function () {
    it('refuses a redirect out of the prefix', async function () {
      app.handler = (_req, res) => {
        res.writeHead(302, { location: '/admin/secret' }).end();
      };
      const e = await failure(request({ url: app.url('/app/start'), within: app.url('/app/') }));
      assert.equal(e.reason, 'refused');
      assert.equal(e.why, `refused redirect to ${app.url('/admin/secret')}: ${app.url('/admin/secret')} is not under ${app.url('/app/')}`);
      assert.equal(app.received.length, 1);
    });

    it('refuses /app/../admin and its encoded forms without a request', async function () {
      for (const path of ['/app/../admin', '/app/%2e%2e/admin', '/app/.%2E/admin', '/app%2F..%2Fadmin', '/app/..%5cadmin', '/application']) {
        const e = await failure(request({ url: app.url(path), within: app.url('/app') }));
        assert.equal(e.reason, 'refused', path);
      }
      assert.equal(app.received.length, 0);
    });

    it('allows the prefix itself and what is under it, on the same origin only', function () {
      const at = (url: string, within: string): string | undefined => withinRefusal(new URL(url), within);
      assert.equal(at('http://h.test/app', 'http://h.test/app'), undefined);
      assert.equal(at('http://H.test:80/app/./x/../y', 'http://h.test/app/'), undefined);
      assert.match(at('https://h.test/app/y', 'http://h.test/app/') ?? '', /is not under/);
      assert.match(at('http://h.test:8080/app/y', 'http://h.test/app/') ?? '', /is not under/);
      assert.match(at('http://h.test/app/a%2fb', 'http://h.test/app/') ?? '', /encoded/);
    });
  });

  describe('addresses', function () {
    for (const address of ['10.0.0.1', '::1']) {
      it(`refuses a name that resolves to ${address} without a request`, async function () {
        const lookup = fixedLookup(address);
        const e = await failure(request({ url: `http://app.test:${app.port}/x`, allowlist: new HostAllowlist(['app.test']), lookup }));
        assert.equal(e.reason, 'refused');
        assert.ok(e.why.startsWith(`app.test resolves to ${address}, an internal address`), e.why);
        assert.deepEqual(lookup.calls, ['app.test']);
        assert.equal(app.received.length, 0);
      });
    }

    it('connects to the address it checked, with the name as Host', async function () {
      const lookup = fixedLookup('127.0.0.1');
      const res = await request({ url: `http://app.test:${app.port}/x`, allowlist: new HostAllowlist(['app.test', '127.0.0.1']), lookup });
      assert.equal(res.status, 200);
      assert.equal(app.received[0]?.headers.host, `app.test:${app.port}`);
    });

    it('shows origin and path in errors, never the query string or user:password', async function () {
      const e = await failure(request({ url: 'http://user:pa55@evil.test/x?token=s3cr3t', allowlist: new HostAllowlist(['127.0.0.1']) }));
      assert.equal(e.message, 'http://evil.test/x: the host evil.test is not on the request allowlist');
      assert.doesNotMatch(e.message, /s3cr3t|pa55/);
    });
  });

  describe('time and abort', function () {
    it('times out on a server that never answers, and closes the socket', async function () {
      app.handler = () => {};
      const timers = await activeTimers();
      const e = await failure(request({ url: app.url('/slow'), timeoutMs: 100 }));
      assert.deepEqual([e.reason, e.why], ['timeout', 'timed out after 100 ms']);
      await app.closed((await app.arrival(1)).socket);
      assert.equal(await activeTimers(), timers);
    });

    it('stops at once when the signal fires mid-request, leaving no timer and no socket', async function () {
      app.handler = () => {};
      const timers = await activeTimers();
      const abort = new AbortController();
      const pending = failure(request({ url: app.url('/held'), timeoutMs: 60_000, signal: abort.signal }));
      const arrived = await app.arrival(1);
      abort.abort();
      const e = await pending;
      assert.equal(e.reason, 'aborted');
      await app.closed(arrived.socket);
      assert.equal(await activeTimers(), timers);
    });

    it('does not start when the signal has already fired', async function () {
      const abort = new AbortController();
      abort.abort();
      const e = await failure(request({ url: app.url('/x'), signal: abort.signal }));
      assert.equal(e.reason, 'aborted');
    });
  });
});
