/**
 * callflow-http-ivr when the application fails it: answers that are errors, late, too large or not a command set,
 * loops, variables without bound, an application that would reach the rest of this Node-RED, and settings refused
 * at deploy. Apart from http-ivr.test.ts (the commands on a call, a deploy or hang-up mid-request) because these are
 * what the error output and the deploy check say, not what a caller hears.
 */
import assert from 'node:assert/strict';
import type http from 'node:http';
import type { CallEndMsg, CallMsg } from '../support/ivr';
import { NODES, hasText, helper, loggedText, nextMessage, node, waitForStatus } from '../support/node-red';
import { HTTP_IVR, useHttpIvr } from './http-ivr-application';

describe('callflow-http-ivr', function () {
  const application = useHttpIvr();
  const { app, deploy, place } = application;

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
      await deploy({ retries: 1, fallbackUrl: `${application.base.replace(/\/app$/, '')}/fallback` });
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
});
