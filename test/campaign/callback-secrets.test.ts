/**
 * The callback's secrets apart from its URL (lib/campaign/callback-secrets.ts):
 * which URLs hold one (user:password, parameters named like secrets), how an
 * old URL is split, how the credentials are checked without showing them,
 * and that the sender puts them on the wire (the Authorization header to the
 * URL's origin only, the secret parameters appended) and nowhere else (logs,
 * errors, templates).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CallbackSender, type CallbackOptions, type CallbackPayload, type CallbackResult } from '../../lib/campaign/callback';
import {
  callbackSetup,
  checkCallbackSecrets,
  isSecretParameter,
  mergeSecrets,
  readCallbackSecrets,
  redactUrlSecrets,
  splitUrlSecrets,
  urlSecrets,
  withSecretQuery,
} from '../../lib/campaign/callback-secrets';
import { toTemplate } from '../../lib/campaign/template';
import { checkCampaign } from '../../lib/schemas/campaign';
import type { Logger } from '../../lib/log';

const payload: CallbackPayload = {
  dataId: 'data-1',
  taskId: 'task-7',
  sessionId: 'session-42',
  calledNo: '+8613800000000',
  beginTime: '2024-05-01 09:30:00',
  vdnId: 'vdn-3',
  failCode: '0',
  callId: 'call-9',
  filePath: '',
  customFiled: '{}',
};

describe('callback secrets', function () {
  describe('which URLs hold a secret', function () {
    for (const name of ['token', 'key', 'secret', 'sig', 'signature', 'password', 'auth', 'access_token', 'api_key', 'apiKey', 'X-Api-Key', 'accessToken', 'client_secret', 'authToken', 'hmac', 'PASSWORD', 'apikey', 'accesstoken']) {
      it(`the parameter ${name} is a secret`, function () {
        assert.equal(isSecretParameter(name), true);
      });
    }
    for (const name of ['campaign', 'design', 'monkey', 'keyword', 'signal', 'page', 'authority', 'event', 'id', '']) {
      it(`the parameter ${JSON.stringify(name)} is not`, function () {
        assert.equal(isSecretParameter(name), false);
      });
    }

    it('names user:password and each secret parameter, never a value', function () {
      assert.deepEqual(urlSecrets('https://crm.example.com/hook?campaign=7'), []);
      assert.deepEqual(urlSecrets('https://crm.example.com/hook'), []);
      assert.deepEqual(urlSecrets('not a url ?token=x'), []);
      const found = urlSecrets('https://bob:hunter2@crm.example.com/hook?campaign=7&access_token=S1&sig=S2');
      assert.deepEqual(found, ['user:password', 'query parameter "access_token"', 'query parameter "sig"']);
      assert.ok(!found.join(' ').includes('hunter2') && !found.join(' ').includes('S1'));
      assert.deepEqual(urlSecrets('https://crm.example.com/hook?api%5Fkey=S'), ['query parameter "api_key"'], 'encoded names are read decoded');
    });

    it('splits an old URL: user:password becomes a Basic Authorization, secret parameters a query of their own, the rest stays', function () {
      const { url, secrets } = splitUrlSecrets('https://bob:p%40ss@crm.example.com/hook?campaign=7&token=a%2Bb&x=1#frag');
      assert.equal(url, 'https://crm.example.com/hook?campaign=7&x=1#frag');
      assert.deepEqual(secrets, { authorization: `Basic ${Buffer.from('bob:p@ss').toString('base64')}`, query: 'token=a%2Bb' });
      const plain = 'https://crm.example.com/hook?campaign=7';
      assert.deepEqual(splitUrlSecrets(plain), { url: plain, secrets: {} }, 'a URL without secrets is kept as written');
      assert.deepEqual(splitUrlSecrets('https://crm.example.com/hook?token=1'), { url: 'https://crm.example.com/hook', secrets: { query: 'token=1' } });
    });

    it('merges the credentials with what an old URL held: the credentials win', function () {
      assert.deepEqual(mergeSecrets({}, { authorization: 'Basic x', query: 'token=old' }), { authorization: 'Basic x', query: 'token=old' });
      assert.deepEqual(mergeSecrets({ authorization: 'Bearer new', query: 'token=new' }, { authorization: 'Basic x', query: 'token=old&sig=s' }), { authorization: 'Bearer new', query: 'token=new&sig=s' });
      assert.deepEqual(mergeSecrets({}, {}), {});
    });

    it('reads the credentials: strings only, trimmed, a leading ? or & dropped', function () {
      assert.deepEqual(readCallbackSecrets({ callbackAuthorization: '  Bearer t  ', callbackQuery: '?token=1' }), { authorization: 'Bearer t', query: 'token=1' });
      assert.deepEqual(readCallbackSecrets({ callbackAuthorization: 5, callbackQuery: '' }), {});
      assert.deepEqual(readCallbackSecrets(undefined), {});
    });

    it('refuses credentials that would break the request, naming the field and never the value', function () {
      assert.deepEqual(checkCallbackSecrets({ authorization: 'Bearer abc', query: 'token=abc&sig=d%20e' }), []);
      const problems = checkCallbackSecrets({ authorization: 'Bearer SECRET\r\nX-Evil: 1', query: 'token=SECRET value#x' });
      assert.equal(problems.length, 2);
      assert.match(problems[0] ?? '', /^callbackAuthorization: .*one line/);
      assert.match(problems[1] ?? '', /^callbackQuery: /);
      assert.ok(problems.every((p) => !p.includes('SECRET')), problems.join('\n'));
      assert.match(checkCallbackSecrets({ query: 'justavalue' })[0] ?? '', /^callbackQuery: each parameter needs a name and =/);
      assert.match(checkCallbackSecrets({ authorization: 'Bearer 令牌' })[0] ?? '', /^callbackAuthorization: .*Latin-1/);
      assert.match(checkCallbackSecrets({ authorization: 'x'.repeat(5000) })[0] ?? '', /at most 4096 characters \(got 5000\)/);
    });

    it('masks the secrets of URLs quoted in a text, parsable or not', function () {
      assert.equal(
        redactUrlSecrets('callbackUrl: an http:// or https:// URL (got "https://bob:pw@crm.example.com/a b?token=SECRET&campaign=7&api_key=K")'),
        'callbackUrl: an http:// or https:// URL (got "https://***@crm.example.com/a b?token=***&campaign=7&api_key=***")',
      );
      assert.equal(redactUrlSecrets('nothing here'), 'nothing here');
    });

    it('appends the secret query to the URL, after its own parameters', function () {
      assert.equal(withSecretQuery(new URL('https://h/p?a=1'), 'token=t').toString(), 'https://h/p?a=1&token=t');
      assert.equal(withSecretQuery(new URL('https://h/p'), 'token=t').toString(), 'https://h/p?token=t');
      assert.equal(withSecretQuery(new URL('https://h/p'), undefined).toString(), 'https://h/p');
    });

    it('sets up the deployed callback: the URL without secrets, the secrets to send, what the URL held by name', function () {
      assert.deepEqual(callbackSetup('https://u:p@crm.example.com/h?token=old', { query: 'sig=new' }), {
        url: 'https://crm.example.com/h',
        secrets: { authorization: `Basic ${Buffer.from('u:p').toString('base64')}`, query: 'sig=new&token=old' },
        inUrl: ['user:password', 'query parameter "token"'],
        problems: [],
      });
    });

    it('exports a template without the secrets an old callback URL holds', function () {
      const check = checkCampaign({ name: 'n', connection: 'a', store: 's', callerNumbers: ['+15550100'], callbackUrl: 'https://bob:pw@crm.example.com/hook?token=SECRET&campaign=7', callbackAllowlist: ['crm.example.com'] });
      assert.ok(check.ok, check.ok ? '' : check.problems.join('; '));
      const template = JSON.stringify(toTemplate(check.value));
      assert.ok(!template.includes('SECRET') && !template.includes('pw@'), template);
      assert.match(template, /"callbackUrl":"https:\/\/crm\.example\.com\/hook\?campaign=7"/);
    });
  });

  describe('the sender', function () {
    let server: http.Server;
    let port: number;
    let received: { url: string; headers: http.IncomingHttpHeaders }[];
    let handler: (req: http.IncomingMessage, res: http.ServerResponse) => void;
    const senders: CallbackSender[] = [];

    before(async function () {
      server = http.createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          received.push({ url: req.url ?? '', headers: req.headers });
          handler(req, res);
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
      received = [];
      handler = (_req, res) => res.writeHead(200).end();
    });
    afterEach(async function () {
      await Promise.all(senders.splice(0).map((s) => s.close()));
    });

    function logger(): Logger & { lines: string[] } {
      const lines: string[] = [];
      const log = (level: string) => (message: string) => lines.push(`${level} ${message}`);
      return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
    }

    function deliver(options: Partial<CallbackOptions> & { url: string }): Promise<CallbackResult> {
      const s = new CallbackSender({ allowlist: ['127.0.0.1', 'localhost'], baseDelayMs: 1, maxAttempts: 2, lookup: () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]), ...options });
      senders.push(s);
      const result = new Promise<CallbackResult>((resolve) => {
        const off = s.onResult((r) => {
          off();
          resolve(r);
        });
      });
      s.send('connect', payload);
      return result;
    }

    it('sends the Authorization secret as a header and appends the secret parameters; logs and errors show neither', async function () {
      handler = (_req, res) => res.writeHead(500).end();
      const log = logger();
      const result = await deliver({ url: `http://127.0.0.1:${port}/hook?campaign=7`, secrets: { authorization: 'Bearer AUTH-SECRET', query: 'token=QUERY-SECRET' }, logger: log });
      assert.equal(result.ok, false);
      assert.equal(received.length, 2);
      for (const r of received) {
        assert.equal(r.headers.authorization, 'Bearer AUTH-SECRET');
        assert.equal(r.url, '/hook?campaign=7&token=QUERY-SECRET');
      }
      assert.ok(log.lines.length > 0);
      for (const line of [...log.lines, result.error ?? '', JSON.stringify(result)]) assert.ok(!/AUTH-SECRET|QUERY-SECRET/.test(line), line);
    });

    it('sends the Authorization secret to a redirect on the same origin, not to another one', async function () {
      handler = (req, res) => {
        if (req.url?.startsWith('/hook')) res.writeHead(307, { location: '/moved' }).end();
        else if (req.url === '/moved') res.writeHead(307, { location: `http://localhost:${port}/elsewhere` }).end();
        else res.writeHead(200).end();
      };
      const result = await deliver({ url: `http://127.0.0.1:${port}/hook`, secrets: { authorization: 'Bearer AUTH-SECRET', query: 'token=Q' } });
      assert.equal(result.ok, true);
      assert.deepEqual(
        received.map((r) => [r.url, r.headers.authorization]),
        [
          ['/hook?token=Q', 'Bearer AUTH-SECRET'],
          ['/moved', 'Bearer AUTH-SECRET'],
          ['/elsewhere', undefined],
        ],
      );
    });
  });
});
