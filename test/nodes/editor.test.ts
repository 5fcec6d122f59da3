/**
 * The editor plugin (dist/nodes/editor/editor.html) checks forms with the
 * validators the build compiled from lib/schemas: the same verdicts and the
 * same messages as the runtime, field by field.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { SCHEMAS } from '../../lib/schemas';

interface EditorApi {
  problems(type: string, values: Record<string, unknown>): string[];
  field(type: string, field: string): (this: Record<string, unknown>, value: unknown) => true | string;
  read(type: string, values: Record<string, unknown>): Record<string, unknown>;
}

function loadPlugin(): EditorApi {
  const html = fs.readFileSync(path.resolve(__dirname, '../../nodes/editor/editor.html'), 'utf8');
  const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html)?.[1];
  assert.ok(script, 'no script in the editor plugin');
  const defaults: Record<string, Record<string, unknown>> = {};
  for (const [type, validator] of Object.entries(SCHEMAS)) {
    defaults[type] = Object.fromEntries(Object.keys((validator.schema as { properties: object }).properties).map((k) => [k, {}]));
  }
  const RED = {
    plugins: { registerPlugin: (): void => undefined },
    nodes: { getType: (type: string) => ({ defaults: defaults[type] }) },
    callflow: undefined as unknown as EditorApi,
  };
  vm.runInNewContext(script, { RED, $: () => undefined });
  // Values made in the sandbox have the sandbox's prototypes: compare them as plain JSON.
  const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
  const api = RED.callflow;
  return {
    problems: (type, values) => plain(api.problems(type, values)),
    read: (type, values) => plain(api.read(type, values)),
    field: (type, field) => api.field(type, field),
  };
}

describe('editor plugin: form validation', function () {
  const editor = loadPlugin();

  const cases: [string, Record<string, unknown>][] = [
    ['callflow-asterisk', { url: 'ftp://pbx', app: 'bad name', useSimulator: 'false', idleTimeoutSec: 'soon' }],
    ['callflow-asterisk', { url: '', app: 'callflow', useSimulator: false, idleTimeoutSec: '60' }],
    ['callflow-asterisk', { url: '', app: 'callflow', useSimulator: true, idleTimeoutSec: '0' }],
    ['callflow-entry', { connection: '', flow: 'a b' }],
    ['callflow-entry', { connection: 'a1', flow: 'sales', releases: 'r1', version: '', release: 'gray', grayShare: '120', grayCallers: '+4930*, x' }],
    ['callflow-entry', { connection: 'a1', flow: 'sales', releases: 'r1', version: 'v2', release: 'official', grayShare: '0', grayCallers: '' }],
    ['callflow-releases', { store: '' }],
    ['callflow-releases', { name: 'versions', store: 's1' }],
    ['callflow-play', { prompts: ['sound:hello', 'video:cat', 'number:x'], language: 'english', repeat: '11', bargeIn: 'true' }],
    ['callflow-play', { prompts: ['sound:hello-world', 'https://example.com/a.wav'], language: 'fr', repeat: '2' }],
    ['callflow-hangup', { reason: 'angry' }],
    ['callflow-collect', { prompts: [], minDigits: '5', maxDigits: '3', firstDigitTimeoutSec: '0', terminator: 'x', variable: '1st', retries: '11' }],
    ['callflow-collect', { prompts: ['sound:please-enter-your'], minDigits: '4', maxDigits: '6', firstDigitTimeoutSec: '', interDigitTimeoutSec: '2.5', pattern: '4[0-9]+' }],
    ['callflow-menu', { prompts: [], options: ['1', '2', '1'], labels: ['sales'], repeatKey: '2', timeoutSec: '61', invalidPrompts: ['video:x'] }],
    ['callflow-menu', { prompts: ['sound:enter-ext-of-person'], options: ['1', '#'], labels: ['a', 'b'], repeatKey: '*', timeoutSec: '' }],
    ['callflow-transfer', { kind: 'number', number: '', dialString: 'PJSIP/trunk', ringTimeoutSec: '2' }],
    ['callflow-transfer', { kind: 'dialplan', context: '', extension: '' }],
    ['callflow-transfer', { kind: 'queue', queue: 'support', ringTimeoutSec: '' }],
    ['callflow-response', { code: '999', media: ['sound:x', 'bad media'] }],
    ['callflow-response', { code: '486', reason: 'closed', media: [] }],
    ['callflow-set', { assignments: [{ target: 'var', name: '1x', type: 'str', value: '' }, { target: 'channel', name: 'CALLERID(name', type: 'xml', value: '' }] }],
    ['callflow-set', { assignments: [] }],
    ['callflow-record', { maxDurationSec: '-1', maxSilenceSec: '61', format: 'mp3', terminateOn: 'x', prefix: 'a b' }],
    ['callflow-call-end', { connection: '', flow: 'a b' }],
    ['callflow-routing', { account: { flow: 'main' }, groups: [{ name: '', numbers: [] }], numbers: [{ number: '7000', flow: 'x y' }] }],
    ['callflow-routing/table', { account: { flow: 'main', settings: { language: 'english', ringTimeoutSec: 2 } }, groups: [], numbers: [{ number: 'abc' }], extra: true }],
    ['callflow-routing/table', { account: { flow: 'main' }, groups: [{ name: 'support', numbers: ['71*'], flow: 'support' }], numbers: [{ number: '7000', flow: 'sales' }] }],
    ['callflow-store', { backend: 'redis', file: '', durability: 'maybe', database: 'a.b', writeConcern: 'all', journal: 'true' }],
    ['callflow-store', { backend: 'mongodb', file: 'callflow.db', durability: 'full', database: 'callflow', tls: 'true', writeConcern: '2', journal: false }],
    ['callflow-store', { backend: 'embedded', file: 'data/callflow.db', durability: 'normal' }],
  ];

  it('reaches the runtime\'s verdict and words on every case', function () {
    for (const [type, values] of cases) {
      const validator = SCHEMAS[type];
      assert.ok(validator);
      const runtime = validator.checkForm(values);
      assert.deepEqual(editor.problems(type, values), runtime.ok ? [] : runtime.problems, `${type} ${JSON.stringify(values)}`);
    }
  });

  it('reads a form as the runtime does (numbers and booleans out of strings, defaults)', function () {
    assert.deepEqual(editor.read('callflow-play', { prompts: [' sound:beep '], repeat: '3', bargeIn: 'true' }), { prompts: ['sound:beep'], language: '', bargeIn: true, repeat: 3, answer: true, onError: 'hangup' });
  });

  it('gives each field its own message (for the red outline and its tooltip)', function () {
    const node = { url: '', app: 'callflow', useSimulator: false, idleTimeoutSec: 60 };
    assert.match(String(editor.field('callflow-asterisk', 'url').call(node, 'ftp://x')), /^url: an http:\/\/ or https:\/\/ URL/);
    assert.equal(editor.field('callflow-asterisk', 'app').call(node, 'callflow'), true);
    assert.match(String(editor.field('callflow-play', 'prompts').call({ repeat: 1 }, ['sound:a', 'bad'])), /^prompts\.1: a media URI/);
    assert.equal(editor.field('callflow-play', 'repeat').call({ prompts: ['bad'] }, '2'), true, 'another field\'s problem is not this field\'s');
  });
});
