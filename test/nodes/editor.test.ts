/**
 * The editor plugin (dist/nodes/editor/editor.html) checks forms with the
 * validators the build compiled from lib/schemas: the same verdicts and the
 * same messages as the runtime, field by field.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { AMD_DEFAULTS } from '../../lib/media/amd';
import { SCHEMAS } from '../../lib/schemas';
import { fromForm } from '../../lib/schemas/validator';

interface EditorApi {
  problems(type: string, values: Record<string, unknown>): string[];
  field(type: string, field: string): (this: Record<string, unknown>, value: unknown) => true | string;
  read(type: string, values: Record<string, unknown>): Record<string, unknown>;
  escape(text: unknown): string;
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
    escape: (text) => api.escape(text),
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
    ['callflow-bot', { speech: 'sp', voicePath: 'loud' }],
    ['callflow-bot', { speech: 'sp', voicePath: 'stream' }],
    ['callflow-bot', { speech: 'sp' }],
    ['callflow-collect', { prompts: [], minDigits: '5', maxDigits: '3', firstDigitTimeoutSec: '0', terminator: 'x', variable: '1st', retries: '11' }],
    ['callflow-collect', { prompts: ['sound:vm-enter-num-to-call'], minDigits: '4', maxDigits: '6', firstDigitTimeoutSec: '', interDigitTimeoutSec: '2.5', pattern: '4[0-9]+' }],
    ['callflow-menu', { prompts: [], options: ['1', '2', '1'], labels: ['sales'], repeatKey: '2', timeoutSec: '61', invalidPrompts: ['video:x'] }],
    ['callflow-menu', { prompts: ['sound:vm-extension'], options: ['1', '#'], labels: ['a', 'b'], repeatKey: '*', timeoutSec: '' }],
    ['callflow-transfer', { kind: 'number', number: '', dialString: 'PJSIP/trunk', ringTimeoutSec: '2' }],
    ['callflow-transfer', { kind: 'dialplan', context: '', extension: '' }],
    ['callflow-transfer', { kind: 'endpoint', endpoint: 'PJSIP/trunk/sip:100@{vars.host}' }],
    ['callflow-transfer', { kind: 'number', number: '{vars.n}', dialString: 'Local/{number}@outbound/n' }],
    ['callflow-transfer', { kind: 'endpoint', endpoint: 'Local/{vars.ext}@agents' }],
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
    ['callflow-asterisk', { url: '', app: 'callflow', useSimulator: true, idleTimeoutSec: '0', maxChannels: '0' }],
    ['callflow-asterisk', { url: 'http://pbx:8088', app: 'callflow', useSimulator: false, idleTimeoutSec: '60', maxChannels: '250' }],
    ['callflow-asterisk', { url: 'http://pbx:8088', app: 'callflow', dialAllowlist: 'PJSIP/* PJSIP/*&Local/x', mediaAllowlist: 'media.lan 10.0.0.0/8 a b' }],
    ['callflow-asterisk', { url: 'http://pbx:8088', app: 'callflow', dialAllowlist: 'PJSIP/*@trunk\nLocal/*@outbound', mediaAllowlist: 'media lan;x' }],
    // The campaign form as the editor collects it: plain inputs as text, lists and nested settings as values.
    ['callflow-campaign', { name: 'renewals', connection: 'a1', store: 's1', callerNumbers: ['+15550100'] }],
    ['callflow-campaign', { name: 'renewals', connection: 'a1', store: 's1', callerNumbers: ['+15550100'], priority: '7', intervalSec: '0' }],
    ['callflow-campaign', { name: '', connection: '', store: '', callerNumbers: ['12ab', '+15550100', '+15550100'], maxResponseSec: '200', callsAtATime: 'many', startAt: '2025-13-01T09:00', endAt: '2025-12-01 18:00' }],
    [
      'callflow-campaign',
      {
        name: 'renewals',
        connection: 'a1',
        store: 's1',
        callerNumbers: [],
        callerGroup: 'outbound',
        routing: 'r1',
        startAt: '2025-03-01T08:00',
        endAt: '2025-03-31T20:00',
        flow: 'renewal-ivr',
        priority: '2',
        blocklistGroups: ['dnc', 'complaints'],
        callbackUrl: 'https://crm.example.com/events',
        callbackAllowlist: ['crm.example.com', '10.0.0.0/8'],
        dialString: 'PJSIP/{number}@carrier',
        timezone: 'Asia/Shanghai',
        hours: {
          regular: [{ start: '09:00', end: '12:00' }, { start: '14:00', end: '18:00' }],
          special: [{ name: 'weekend', dates: ['2025-03-08'], weekdays: ['sat', 'sun'], periods: [{ start: '00:00', end: '00:00' }] }],
          allocated: [{ dates: ['2025-03-15'], periods: [{ start: '10:00', end: '24:00' }] }],
        },
        maxResponseSec: '30',
        intervalSec: '10',
        callsAtATime: '100',
        filter: { join: 'or', conditions: [{ attr: 'region', op: 'eq', value: 'north' }, { attr: 'vip', op: 'exists' }] },
        order: { by: 'attributes', attrs: [{ attr: 'score', direction: 'desc' }] },
        multiNumber: { mode: 'type', types: ['mobile', 'home'] },
        numberTypes: ['mobile', 'home', 'work'],
        policy: {
          mode: 'contact',
          rule: { byCause: false, maxDays: 2, maxPerDay: 3, intervalSec: 600, causes: [] },
          types: [{ type: 'mobile', byCause: true, maxDays: 1, maxPerDay: 3, intervalSec: 60, causes: [{ cause: 'busy', retries: 2, intervalSec: 300 }] }],
          nonRetry: ['unallocated', 'refused'],
        },
      },
    ],
    [
      'callflow-campaign',
      {
        name: 'x'.repeat(101),
        connection: 'a1',
        store: 's1',
        callerNumbers: ['+15550100'],
        blocklistGroups: ['a b'],
        callbackUrl: 'ftp://crm',
        callbackAllowlist: ['crm example'],
        dialString: 'PJSIP/trunk',
        timezone: '',
        hours: { regular: [{ start: '9:00', end: '25:00' }], special: [{ dates: ['2025-02-30x'], weekdays: ['mon', 'xyz'], periods: [] }], allocated: [{ dates: [], periods: [{ start: '10:00' }] }] },
        filter: { join: 'xor', conditions: [{ attr: '1st', op: 'like', value: 'a' }] },
        order: { by: 'random', attrs: [{ attr: 'score', direction: 'up' }] },
        multiNumber: { mode: 'random', types: ['mobile', 'mobile'] },
        numberTypes: ['mobile phone'],
        policy: { mode: 'everyone', rule: { byCause: 'yes', maxDays: '0', maxPerDay: '101', intervalSec: '-1', causes: [{ cause: 'bogus', retries: '101', intervalSec: '60' }] }, types: [{ type: 'mobile' }], nonRetry: [''], extra: 1 },
      },
    ],
    ['callflow-result', { result: '', subResult: '' }],
    ['callflow-result', { name: 'agreed', result: 'agreed', subResult: 'plan-b' }],
    ['callflow-result', { result: 'a b', subResult: 'x'.repeat(65) }],
  ];

  it('reaches the runtime\'s verdict and words on every case', function () {
    for (const [type, values] of cases) {
      const validator = SCHEMAS[type];
      assert.ok(validator);
      const runtime = validator.checkForm(values);
      assert.deepEqual(editor.problems(type, values), runtime.ok ? [] : runtime.problems, `${type} ${JSON.stringify(values)}`);
    }
  });

  it('refuses a dial string template of more than one destination, or with a placeholder where no name or number goes', function () {
    const refused: [string, Record<string, unknown>, RegExp][] = [
      ['callflow-campaign', { name: 'n', connection: 'a1', store: 's1', callerNumbers: ['+15550100'], dialString: 'PJSIP/{number}&Local/x' }, /^dialString: a dial string with \{number\} in it, of one destination, e\.g\. PJSIP\/\{number\}@trunk \(PJSIP\/\[<user>@\]<endpoint>\[\/<AOR or sip: URI>\]\) \(got "PJSIP\/\{number\}&Local\/x"\)$/],
      ['callflow-campaign', { name: 'n', connection: 'a1', store: 's1', callerNumbers: ['+15550100'], dialString: 'PJSIP/trunk/sip:{number}@{number}' }, /^dialString: .*\(got "PJSIP\/trunk\/sip:\{number\}@\{number\}"\)$/],
      ['callflow-campaign', { name: 'n', connection: 'a1', store: 's1', callerNumbers: ['+15550100'], dialString: '{number}/trunk' }, /^dialString: .*Technology\/<resource>.*\(got "\{number\}\/trunk"\)$/],
      ['callflow-transfer', { kind: 'endpoint', endpoint: 'PJSIP/trunk/sip:100@{vars.host}' }, /^endpoint: one endpoint such as PJSIP\/100/],
      ['callflow-transfer', { kind: 'endpoint', endpoint: 'PJSIP/{vars.a}@{vars.b}@x' }, /^endpoint: /],
      ['callflow-transfer', { kind: 'endpoint', endpoint: 'Local/{vars.ext}' }, /^endpoint: .*Local\/<extension>@<context>/],
      ['callflow-transfer', { kind: 'number', number: '{vars.n}', dialString: 'PJSIP/{number}@trunk,PJSIP/x' }, /^dialString: /],
    ];
    for (const [type, values, expected] of refused) {
      const problems = editor.problems(type, values);
      assert.ok(problems.some((p) => expected.test(p)), `${type} ${JSON.stringify(values)}: ${JSON.stringify(problems)}`);
    }
    assert.deepEqual(editor.problems('callflow-transfer', { kind: 'endpoint', endpoint: 'PJSIP/{vars.agent}' }), []);
    assert.deepEqual(editor.problems('callflow-transfer', { kind: 'number', number: '{caller}', dialString: 'PJSIP/trunk/sip:{number}@sip.example.com' }), []);
  });

  it('refuses campaign dates that do not exist (2024-02-30, 2023-02-29) on their field, as the runtime does; takes 2024-02-29', function () {
    const campaign = { name: 'renewals', connection: 'a1', store: 's1', callerNumbers: ['+15550100'] };
    const hours = (dates: string[]): unknown => ({ regular: [], special: [{ dates, weekdays: [], periods: [] }], allocated: [{ dates, periods: [] }] });
    const special = (d: string, i: number): string => `hours.special.0.dates.${i}: a date that exists, YYYY-MM-DD (February 29 only in leap years) (got "${d}")`;
    const allocated = (d: string, i: number): string => `hours.allocated.0.dates.${i}: a date that exists, YYYY-MM-DD (February 29 only in leap years) (got "${d}")`;
    assert.equal(editor.field('callflow-campaign', 'hours').call(campaign, hours(['2024-02-29'])), true);
    assert.equal(editor.field('callflow-campaign', 'hours').call(campaign, hours(['2024-02-29', '2024-02-30', '2023-02-29'])), [special('2024-02-30', 1), special('2023-02-29', 2), allocated('2024-02-30', 1), allocated('2023-02-29', 2)].join('; '));
    assert.equal(editor.field('callflow-campaign', 'startAt').call(campaign, '2023-02-29T09:00'), 'startAt: a local date and time, YYYY-MM-DDTHH:MM, on a date that exists, or empty (got "2023-02-29T09:00")');
    assert.equal(editor.field('callflow-campaign', 'endAt').call(campaign, '2024-02-29T18:00'), true);
    const values = { ...campaign, startAt: '2024-02-30T09:00', hours: hours(['2023-02-29']) };
    const runtime = SCHEMAS['callflow-campaign']?.checkForm(values);
    assert.ok(runtime && !runtime.ok);
    assert.deepEqual(editor.problems('callflow-campaign', values), runtime.problems);
  });

  it('reads a form as the runtime does (numbers and booleans out of strings, defaults)', function () {
    assert.deepEqual(editor.read('callflow-play', { prompts: [' sound:beep '], repeat: '3', bargeIn: 'true' }), { prompts: ['sound:beep'], speech: '', language: '', bargeIn: true, repeat: 3, answer: true, onError: 'hangup' });
  });

  it('reads a campaign form as the runtime does (numbers in nested settings, the schema\'s defaults for the rest)', function () {
    const form = { name: ' renewals ', connection: 'a1', store: 's1', callerNumbers: [' +15550100 '], priority: '2', policy: { mode: 'global', rule: { byCause: 'false', maxDays: '2', maxPerDay: '3', intervalSec: '', causes: [{ cause: 'busy', retries: '1', intervalSec: '60' }] }, types: [], nonRetry: [] } };
    const read = editor.read('callflow-campaign', form);
    const campaign = SCHEMAS['callflow-campaign'];
    assert.ok(campaign);
    assert.deepEqual(read, fromForm(campaign.schema, form));
    assert.deepEqual((read.policy as { rule: unknown }).rule, { byCause: false, maxDays: 2, maxPerDay: 3, causes: [{ cause: 'busy', retries: 1, intervalSec: 60 }] });
    assert.equal(read.timezone, 'UTC');
    assert.deepEqual(read.hours, { regular: [{ start: '09:00', end: '18:00' }], special: [], allocated: [] });
  });

  it('gives each field its own message (for the red outline and its tooltip)', function () {
    const node = { url: '', app: 'callflow', useSimulator: false, idleTimeoutSec: 60 };
    assert.match(String(editor.field('callflow-asterisk', 'url').call(node, 'ftp://x')), /^url: an http:\/\/ or https:\/\/ URL/);
    assert.equal(editor.field('callflow-asterisk', 'app').call(node, 'callflow'), true);
    assert.match(String(editor.field('callflow-play', 'prompts').call({ repeat: 1 }, ['sound:a', 'bad'])), /^prompts\.1: a media URI/);
    assert.equal(editor.field('callflow-play', 'repeat').call({ prompts: ['bad'] }, '2'), true, 'another field\'s problem is not this field\'s');
    const campaign = { name: 'renewals', connection: 'a1', store: 's1', callerNumbers: ['+15550100'], priority: 3 };
    assert.match(String(editor.field('callflow-campaign', 'priority').call(campaign, '7')), /^priority: a priority from 1 \(highest\) to 5 \(got 7\)$/);
    assert.match(String(editor.field('callflow-campaign', 'hours').call(campaign, { regular: [{ start: '9:00', end: '18:00' }], special: [], allocated: [] })), /^hours\.regular\.0\.start: a time of day/);
    assert.equal(editor.field('callflow-campaign', 'policy').call({ ...campaign, priority: 9 }, { mode: 'global', rule: { byCause: false, maxDays: 1, maxPerDay: 3, intervalSec: 0, causes: [] }, types: [], nonRetry: [] }), true);
    assert.match(String(editor.field('callflow-result', 'result').call({ subResult: '' }, 'a b')), /^result: a result code/);
  });

  it("keeps values out of HTML in a field's message (Node-RED's config nodes sidebar shows it as HTML)", function () {
    const img = '<img src=x onerror=window.__xss=1>';
    const campaign = { name: 'renewals', connection: 'a1', store: 's1', callerNumbers: [], priority: 3 };
    const group = String(editor.field('callflow-campaign', 'callerGroup').call(campaign, img));
    assert.equal(group, 'callerGroup: a number group name: 1 to 64 letters, digits, _ . or -, or empty (got "\\u003cimg src=x onerror=window.__xss=1\\u003e")');
    // A field name a flow file made up, and a value deep in a list.
    const hours = String(editor.field('callflow-campaign', 'hours').call(campaign, { regular: [{ start: img, end: '18:00' }], special: [], allocated: [], [img]: 1 }));
    assert.doesNotMatch(hours, /[<>]/, hours);
    assert.match(hours, /hours\."\\u003cimg src=x onerror=window\.__xss=1\\u003e": is not a known setting/);
    assert.match(hours, /hours\.regular\.0\.start: a time of day.*\(got "\\u003cimg/);
    // The schema's own words are kept as written (the store's database name lists < and > it refuses).
    assert.match(String(editor.field('callflow-store', 'database').call({ backend: 'mongodb' }, 'a<b>')), /none of .* < > .*\(got "a\\u003cb\\u003e"\)$/);
    // The form's list of problems words the value exactly as the runtime does (the same code).
    const runtime = SCHEMAS['callflow-campaign']?.checkForm({ ...campaign, callerGroup: img });
    assert.ok(runtime && !runtime.ok);
    assert.deepEqual(editor.problems('callflow-campaign', { ...campaign, callerGroup: img }), runtime.problems);
    assert.ok(runtime.problems.some((p) => p.includes('(got "\\u003cimg src=x onerror=window.__xss=1\\u003e")')));
  });

  it('escapes text for HTML: & < > " and \' as entities, anything as a string', function () {
    assert.equal(editor.escape('<img src=x onerror="a(1)">\'&'), '&lt;img src=x onerror=&quot;a(1)&quot;&gt;&#39;&amp;');
    assert.equal(editor.escape('plain text: v2 released.'), 'plain text: v2 released.');
    assert.equal(editor.escape(undefined), '');
    assert.equal(editor.escape(42), '42');
  });
});

/** The registerType definitions of a node's editor template, run with a stand-in RED. */
function editorDefinitions(file: string): Record<string, { defaults: Record<string, { value: unknown; type?: string }> }> {
  const html = fs.readFileSync(path.resolve(__dirname, '../../nodes', file), 'utf8');
  const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html)?.[1];
  assert.ok(script, `no script in ${file}`);
  const defs: Record<string, { defaults: Record<string, { value: unknown; type?: string }> }> = {};
  const RED = { nodes: { registerType: (type: string, def: (typeof defs)[string]) => (defs[type] = def) }, validators: { number: () => () => true, regex: () => () => true } };
  vm.runInNewContext(script, { RED, $: () => undefined });
  return JSON.parse(JSON.stringify(defs, (_k, v: unknown) => (typeof v === 'function' ? undefined : v))) as typeof defs;
}

describe('editor templates: node properties and the schemas', function () {
  const plugin = loadPlugin();
  for (const [file, type] of [
    ['campaign/campaign.html', 'callflow-campaign'],
    ['result/result.html', 'callflow-result'],
    ['questions/questions.html', 'callflow-questions'],
  ] as const) {
    it(`${type}: a property for every setting, with the schema's default`, function () {
      const defaults = editorDefinitions(file)[type]?.defaults;
      assert.ok(defaults, `${file} registers no ${type}`);
      const properties = (SCHEMAS[type]?.schema as { properties: Record<string, { default?: unknown }> }).properties;
      assert.deepEqual(Object.keys(defaults).sort(), Object.keys(properties).sort());
      for (const [key, prop] of Object.entries(properties)) {
        if (prop.default !== undefined) assert.deepEqual(defaults[key]?.value, prop.default, `${type}.${key}`);
      }
      // The defaults of a new node pass the schema (but for what a user must choose: name and config nodes).
      const values = Object.fromEntries(Object.entries(defaults).map(([k, d]) => [k, d.value]));
      const required = new Set(['name', 'connection', 'store']);
      assert.deepEqual(plugin.problems(type, values).filter((p) => !required.has(p.split(':')[0] ?? '')), []);
    });
  }

  it('callflow-bot: a property for every setting (and ends, the outputs ending the call), with the schema\'s default: Voice path playback', function () {
    const defaults = editorDefinitions('bot/bot.html')['callflow-bot']?.defaults;
    assert.ok(defaults, 'bot/bot.html registers no callflow-bot');
    const properties = (SCHEMAS['callflow-bot']?.schema as { properties: Record<string, { default?: unknown }> }).properties;
    assert.deepEqual(Object.keys(defaults).sort(), [...Object.keys(properties), 'ends'].sort());
    for (const [key, prop] of Object.entries(properties)) {
      if (prop.default !== undefined) assert.deepEqual(defaults[key]?.value, prop.default, `callflow-bot.${key}`);
    }
    assert.equal(defaults.voicePath?.value, 'playback');
    const values = Object.fromEntries(Object.entries(defaults).map(([k, d]) => [k, d.value]));
    assert.deepEqual(plugin.problems('callflow-bot', values).filter((p) => !p.startsWith('speech:')), []);
  });

  it('callflow-asterisk: the maxChannels property, with the schema\'s default', function () {
    const defaults = editorDefinitions('asterisk/asterisk.html')['callflow-asterisk']?.defaults;
    const properties = (SCHEMAS['callflow-asterisk']?.schema as { properties: Record<string, { default?: unknown }> }).properties;
    assert.equal(defaults?.maxChannels?.value, properties.maxChannels?.default);
    for (const key of Object.keys(properties)) assert.ok(key in (defaults ?? {}), key);
  });
});

describe('editor templates: labels of nodes a flow file brings', function () {
  it('callflow-transfer: a kind named as an Object.prototype member names no destination (not Object\'s source text)', function () {
    const html = fs.readFileSync(path.resolve(__dirname, '../../nodes/transfer/transfer.html'), 'utf8');
    const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    const defs: Record<string, { label: (this: object) => string }> = {};
    const RED = { nodes: { registerType: (type: string, def: (typeof defs)[string]) => (defs[type] = def) }, validators: { number: () => () => true, regex: () => () => true } };
    vm.runInNewContext(script, { RED, $: () => undefined });
    const label = defs['callflow-transfer']?.label;
    assert.ok(label, 'transfer.html registers callflow-transfer with a label');
    const node = (kind: string): object => ({ kind, endpoint: 'PJSIP/100', number: '', context: 'c', extension: 'e', queue: '', flow: '', _: (key: string) => key });
    assert.equal(label.call(node('endpoint')), 'callflow-transfer.paletteLabel PJSIP/100');
    for (const kind of ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__']) {
      assert.equal(label.call(node(kind)), 'callflow-transfer.paletteLabel ', kind);
    }
  });
});

describe('the campaign form plugin (nodes/campaign-form)', function () {
  it("its AMD() parameters and their defaults are the runtime's (lib/media/amd.ts), field for field", function () {
    const html = fs.readFileSync(path.resolve(__dirname, '../../nodes/campaign-form/campaign-form.html'), 'utf8');
    const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html)?.[1];
    assert.ok(script, 'no script in the campaign form plugin');
    const RED = { plugins: { registerPlugin: (): void => undefined }, callflow: {} as { campaignForm?: { AMD_DEFAULTS: object } } };
    vm.runInNewContext(script, { RED, $: () => undefined });
    assert.deepEqual(JSON.parse(JSON.stringify(RED.callflow.campaignForm?.AMD_DEFAULTS)), AMD_DEFAULTS);
    const properties = (SCHEMAS['callflow-campaign']?.schema as { properties: Record<string, { properties?: object }> }).properties;
    assert.deepEqual(Object.keys(properties.amdParameters?.properties ?? {}).sort(), Object.keys(AMD_DEFAULTS).sort());
  });
});
