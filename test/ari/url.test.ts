/**
 * normalizeAriUrl drops trailing slashes and a final /ari by hand: the
 * regular expression it used (/\/+$/) backtracked quadratically on a long
 * run of slashes. It gives what it gave before.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { WebSocketServer } from 'ws';
import { mediaSocketOf } from '../../lib/ari/channel-operations';
import { EventSocket, webSocketUrl } from '../../lib/ari/events-socket';
import { normalizeAriUrl } from '../../lib/ari/preflight';

/** The path part as it was computed before. */
function before(url: string): string {
  const parsed = new URL(url.trim());
  const path = parsed.pathname.replace(/\/+$/, '').replace(/\/ari$/, '');
  return `${parsed.protocol}//${parsed.host}${path}`;
}

describe('ARI URL', function () {
  it('drops trailing slashes and /ari, as before', function () {
    assert.equal(normalizeAriUrl('http://pbx:8088/ari/'), 'http://pbx:8088');
    assert.equal(normalizeAriUrl('http://pbx:8088/asterisk/ari//'), 'http://pbx:8088/asterisk');
    assert.equal(normalizeAriUrl('https://pbx/'), 'https://pbx');
    const paths = fc.array(fc.constantFrom('/', 'ari', 'a', '/ari', '//', '%2F', '.'), { maxLength: 8 }).map((parts) => `http://pbx:8088/${parts.join('')}`);
    fc.assert(
      fc.property(paths, (url) => {
        assert.equal(normalizeAriUrl(url), before(url), url);
      }),
      { numRuns: 2000 },
    );
  });

  it('takes a path of 100,000 slashes in its stride', function () {
    assert.equal(normalizeAriUrl(`http://pbx:8088/a${'/'.repeat(100_000)}b/`), `http://pbx:8088/a${'/'.repeat(100_000)}b`);
  });
});

describe("ARI URL with http.conf's prefix (main/http.c handle_uri: every URI under it)", function () {
  it('keeps the prefix for the events socket and the media WebSocket, on ws or wss', function () {
    const base = normalizeAriUrl('http://pbx:8088/asterisk/ari/');
    assert.equal(webSocketUrl(base, '/ari/events').href, 'ws://pbx:8088/asterisk/ari/events');
    assert.equal(mediaSocketOf(base, { username: 'u', password: 'p' }, 'abc-1').url, 'ws://pbx:8088/asterisk/media/abc-1');
    assert.equal(mediaSocketOf(normalizeAriUrl('https://pbx/'), { username: 'u', password: 'p' }, 'abc-1').url, 'wss://pbx/media/abc-1');
  });

  it('opens the events socket under the prefix', async function () {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await once(server, 'listening');
    const asked = once(server, 'connection').then(([, req]) => (req as IncomingMessage).url);
    const socket = new EventSocket({
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/asterisk`,
      app: 'callflow',
      username: 'u',
      password: 'p',
      heartbeatMs: 60_000,
      openTimeoutMs: 5000,
      onEvent: () => undefined,
      onMalformed: () => undefined,
    });
    try {
      await socket.opened;
      assert.equal(await asked, '/asterisk/ari/events?app=callflow&subscribeAll=false');
    } finally {
      await socket.close();
      for (const c of server.clients) c.terminate();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
