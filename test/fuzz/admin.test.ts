/**
 * Fuzz: the admin HTTP API behind the editor's sidebar and forms (release
 * sets, campaign checks and operations, questionnaires, flow tests), given hostile path parameters,
 * query strings, headers and JSON bodies. Every answer is JSON with a
 * 2xx/4xx status (never a 500: a crash is not an answer), every refusal
 * a clear message, and Node-RED keeps answering.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import fc from 'fast-check';
import { CREDS, useSimulator } from '../support/ivr';
import { NODES, hasText, helper, node, useNodeRed, waitForStatus } from '../support/node-red';
import { clearMessage, hostileString, hostileValue, runs } from './hostile';
import { useTempDir } from '../support/temp-dir';

interface Route {
  method: 'get' | 'post' | 'put' | 'delete';
  path: (p: string[]) => string;
  params: number;
}

const v = (op: string): Route => ({ method: op === '' ? 'delete' : ['validate', 'info', 'details'].includes(op) ? 'get' : 'post', path: (p) => `/callflow/releases/${p[0]}/flows/${p[1]}/versions/${p[2]}${op ? `/${op}` : ''}`, params: 3 });

const ROUTES: Route[] = [
  { method: 'get', path: (p) => `/callflow/releases/${p[0]}`, params: 1 },
  { method: 'post', path: (p) => `/callflow/releases/${p[0]}/heartbeat`, params: 1 },
  ...['validate', 'info', 'details', 'edit', 'done', 'unlock', 'cancel', 'release', '', 'clone', 'test'].map(v),
  { method: 'put', path: (p) => `/callflow/releases/${p[0]}/flows/${p[1]}/gray`, params: 2 },
  { method: 'get', path: (p) => `/callflow/releases/${p[0]}/flows/${p[1]}/snapshots`, params: 2 },
  { method: 'post', path: (p) => `/callflow/releases/${p[0]}/snapshots/${p[1]}/restore`, params: 2 },
  { method: 'get', path: (p) => `/callflow/releases/${p[0]}/flows/${p[1]}/diff?from=${p[2]}&to=${p[0]}`, params: 3 },
  { method: 'post', path: () => '/callflow/campaigns/check', params: 0 },
  { method: 'post', path: () => '/callflow/campaigns/template/check', params: 0 },
  { method: 'get', path: (p) => `/callflow/campaigns/${p[0]}/template`, params: 1 },
  { method: 'post', path: (p) => `/callflow/campaigns/${p[0]}/${p[1]}`, params: 2 },
  { method: 'get', path: () => '/callflow/campaigns', params: 0 },
  { method: 'get', path: (p) => `/callflow/campaigns/${p[0]}/attempts/${p[1]}/${p[2]}/recording`, params: 3 },
  { method: 'get', path: () => '/callflow/connections', params: 0 },
  { method: 'get', path: (p) => `/callflow/simulator/calls/${p[0]}`, params: 1 },
  { method: 'get', path: (p) => `/callflow/questionnaires/${p[0]}/answers?limit=${p[1]}&after=${p[2]}`, params: 3 },
  { method: 'get', path: (p) => `/callflow/questionnaires/${p[0]}/figures`, params: 1 },
  { method: 'post', path: (p) => `/callflow/questionnaires/${p[0]}/answers`, params: 1 },
  { method: 'post', path: () => '/callflow/questionnaires/check', params: 0 },
  { method: 'post', path: () => '/callflow/flow-tests', params: 0 },
  { method: 'post', path: () => '/callflow/flow-tests/cases', params: 0 },
  { method: 'get', path: (p) => `/callflow/flow-tests/${p[0]}`, params: 1 },
  { method: 'post', path: (p) => `/callflow/flow-tests/${p[0]}/result`, params: 1 },
  { method: 'delete', path: (p) => `/callflow/flow-tests/${p[0]}`, params: 1 },
];

/** A path parameter: a real name sometimes (so deeper code runs), else hostile text, URL-encoded. */
const param = fc.oneof({ weight: 2, arbitrary: fc.constantFrom('r1', 'sales', 'v1', 'v2', 'start', 'c1', 'q1', 'toString', '__proto__', 'constructor') }, { weight: 3, arbitrary: hostileString.filter((s) => s.length > 0 && s.length < 3000) });

/**
 * A path segment as a client sends it: percent-encoded, a lone surrogate as U+FFFD. (Bytes that are not UTF-8
 * at all are refused by Express itself, 400, before any handler of ours runs.)
 */
function segment(text: string): string {
  return [...text].map((ch) => encodeURIComponent(/^[\ud800-\udfff]$/.test(ch) ? '\ufffd' : ch)).join('');
}

describe('fuzz: the admin HTTP API', function () {
  this.timeout(120_000);
  useNodeRed();
  const simulator = useSimulator(10);
  const temp = useTempDir('callflow-fuzz-admin-');

  it('answers any request with JSON and a 2xx or 4xx status, a clear message when it refuses, and keeps answering', async function () {
    const tab = (ver: string, release: string): object[] => [
      { id: `t-${ver}`, type: 'tab', label: `sales ${ver}` },
      { id: `e-${ver}`, type: 'callflow-entry', z: `t-${ver}`, connection: 'a1', flow: 'sales', releases: 'r1', version: ver, release, grayShare: 0, grayCallers: '', wires: [[`h-${ver}`]] },
      { id: `h-${ver}`, type: 'callflow-hangup', z: `t-${ver}`, reason: 'normal', wires: [] },
    ];
    await helper.load(
      NODES,
      [
        { id: 'a1', type: 'callflow-asterisk', name: '', useSimulator: false, url: simulator().url, app: 'callflow', idleTimeoutSec: 60 },
        { id: 's1', type: 'callflow-store', backend: 'embedded', file: path.join(temp.path, 'callflow.db'), durability: 'normal' },
        { id: 'r1', type: 'callflow-releases', name: 'versions', store: 's1' },
        { id: 'q1', type: 'callflow-questions', questionnaire: 'survey', store: 's1', questions: [{ id: 'stars', kind: 'rating', prompts: ['sound:hello-world'] }, { id: 'why', kind: 'spoken', prompts: ['sound:vm-intro'] }] },
        ...tab('v1', 'official'),
        ...tab('v2', ''),
      ],
      CREDS,
    );
    await waitForStatus(node('e-v1'), hasText('v1: Official Release'));

    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        fc.array(param, { minLength: 3, maxLength: 3 }),
        // Node-RED's JSON body parser (strict) answers anything but an object or array itself, before our code.
        fc.oneof(fc.array(hostileValue, { maxLength: 3 }), fc.dictionary(fc.oneof(fc.constantFrom('target', 'version', 'endpoint', 'caller', 'share', 'callers', 'name', 'settings', 'answers', 'customerId', 'attempt', 'questions', 'questionnaire', 'flow', 'releases', 'results', 'result', 'value', 'vars', 'expect'), hostileString), hostileValue)),
        fc.oneof(fc.constant(undefined), hostileString.filter((s) => s.length < 200)),
        async (route, params, body, editor) => {
          const url = route.path(params.map(segment));
          let req = helper.request()[route.method](url);
          if (editor !== undefined) req = req.set('X-Callflow-Editor', segment(editor));
          const json = JSON.stringify(body);
          const res = route.method === 'get' || route.method === 'delete' ? await req : await req.set('content-type', 'application/json').send(json);
          assert.ok(res.status < 500 || res.status === 503, `${route.method.toUpperCase()} ${url.slice(0, 200)} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
          assert.match(String(res.headers['content-type']), /^application\/json/, `${route.method.toUpperCase()} ${url.slice(0, 200)} answers JSON; it answered ${res.status} ${String(res.headers['content-type'])}: ${JSON.stringify(res.body).slice(0, 200)}`);
          if (res.status >= 400) {
            const message = (res.body as { message?: unknown }).message;
            assert.equal(typeof message, 'string', `a refusal says why: ${JSON.stringify(res.body).slice(0, 300)}`);
            const unclear = clearMessage(message as string);
            assert.equal(unclear, undefined, `${route.method.toUpperCase()} ${url.slice(0, 120)}: ${unclear}: ${JSON.stringify(message).slice(0, 300)}`);
          }
        },
      ),
      runs(150),
    );
    const res = await helper.request().get('/callflow/releases/r1').expect(200);
    assert.ok(Array.isArray((res.body as { flows: unknown[] }).flows), 'the release set still answers');
  });
});
