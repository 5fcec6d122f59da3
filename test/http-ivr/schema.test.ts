/**
 * The command set's JSON schema (lib/schemas/http-ivr.ts): the published docs/http-ivr.schema.json is the
 * schema the code compiles, every property says what it takes, every command with every attribute passes,
 * and a value of the wrong type in any attribute is refused, naming the attribute.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { COMMANDS, CommandSetError } from '../../lib/http-ivr/commands';
import { checkCommandSet } from '../../lib/http-ivr/rules';
import { commandDefinitions, commandSetSchema } from '../../lib/schemas/http-ivr';
import { EVERY_COMMAND, WRONG_TYPE } from './command-examples';

const ROOT = path.join(__dirname, '..', '..', '..');

/** Property schemas (and definitions) without a description, by path. */
function undescribed(node: unknown, at: string, out: string[]): void {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return;
  const s = node as Record<string, unknown>;
  for (const key of ['properties', 'definitions']) {
    const props = s[key] as Record<string, Record<string, unknown>> | undefined;
    for (const [name, prop] of Object.entries(props ?? {})) {
      if (typeof prop.description !== 'string' || prop.description === '') out.push(`${at}/${key}/${name}`);
    }
  }
  for (const [key, value] of Object.entries(s)) {
    if (Array.isArray(value)) value.forEach((v, i) => undescribed(v, `${at}/${key}/${i}`, out));
    else undescribed(value, `${at}/${key}`, out);
  }
}

function refusal(value: unknown): CommandSetError {
  try {
    checkCommandSet(value);
  } catch (err) {
    assert.ok(err instanceof CommandSetError, String(err));
    return err;
  }
  assert.fail(`${JSON.stringify(value)} was taken`);
}

describe('HTTP IVR command set schema (lib/schemas/http-ivr)', function () {
  it('is published as docs/http-ivr.schema.json, equal to the schema the code compiles', function () {
    const published = JSON.parse(fs.readFileSync(path.join(ROOT, 'docs', 'http-ivr.schema.json'), 'utf8')) as unknown;
    assert.deepEqual(
      published,
      JSON.parse(JSON.stringify(commandSetSchema)),
      'docs/http-ivr.schema.json is stale: after npm run build, write it with node -e "process.stdout.write(JSON.stringify(require(\'./dist/lib/schemas/http-ivr\').commandSetSchema, null, 2) + \'\\n\')" > docs/http-ivr.schema.json',
    );
  });

  it('describes every property and definition', function () {
    const out: string[] = [];
    undescribed(commandSetSchema, '#', out);
    assert.deepEqual(out, []);
  });

  it('has a definition for every command, and an example of each with every attribute passes', function () {
    for (const name of COMMANDS) {
      assert.ok(commandDefinitions[name], name);
      const props = Object.keys((commandDefinitions[name] as { properties: object }).properties);
      // A transfer has one target of the four.
      const expected = name === 'transfer' ? props.filter((p) => !['number', 'queue', 'flow'].includes(p)) : props;
      assert.deepEqual(Object.keys(EVERY_COMMAND[name].json).sort(), expected.sort(), `the ${name} example sets every attribute`);
      assert.doesNotThrow(() => checkCommandSet({ main: EVERY_COMMAND[name].json }), name);
    }
  });

  it('refuses a value of another type in every attribute of every command, naming the attribute', function () {
    let checked = 0;
    for (const name of COMMANDS) {
      const props = (commandDefinitions[name] as { properties: Record<string, { type?: string | string[] }> }).properties;
      for (const [attr, prop] of Object.entries(props)) {
        const type = Array.isArray(prop.type) ? undefined : prop.type;
        if (attr === 'command' || type === undefined) continue;
        const wrong = WRONG_TYPE[type];
        assert.ok(wrong, `${name}.${attr}: ${type}`);
        const base = { ...EVERY_COMMAND[name].json };
        if (name === 'transfer' && ['number', 'queue', 'flow'].includes(attr)) delete base.endpoint;
        const err = refusal({ main: { ...base, [attr]: wrong.json } });
        assert.equal(err.rule, 'schema', err.message);
        assert.equal(err.path, `main.${attr}`, err.message);
        assert.ok(err.message.startsWith(`main.${attr}: `), err.message);
        assert.ok(err.message.includes(`(got ${JSON.stringify(wrong.json)})`), err.message);
        checked += 1;
      }
    }
    assert.ok(checked >= 30, `${checked} attributes`);
  });

  it('refuses out-of-range values with the range in the message', function () {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ command: 'play', media: ['sound:x'], loop: 0 }, 'main.loop', /from 1 to 100 \(got 0\)/],
      [{ command: 'play', media: [] }, 'main.media', /1 to 50 media URIs/],
      [{ command: 'play', media: ['/etc/passwd'] }, 'main.media[0]', /a media URI/],
      [{ command: 'play', media: ['sound:../../etc/x'] }, 'main.media[0]', /a media URI/],
      [{ command: 'pause', seconds: 601 }, 'main.seconds', /from 0 to 600/],
      [{ command: 'collect', maxDigits: 65 }, 'main.maxDigits', /from 1 to 64/],
      [{ command: 'collect', terminator: '1' }, 'main.terminator', /"#", "\*" or ""/],
      [{ command: 'record', format: 'mp3' }, 'main.format', /wav, gsm/],
      [{ command: 'transfer', endpoint: 'PJSIP/{vars.x}' }, 'main.endpoint', /one endpoint/],
      [{ command: 'transfer', endpoint: 'PJSIP/100&PJSIP/200' }, 'main.endpoint', /one endpoint/],
      [{ command: 'transfer', number: '{caller}' }, 'main.number', /1 to 32 digits/],
      [{ command: 'transfer', queue: 'q', ringTimeoutSec: 301 }, 'main.ringTimeoutSec', /from 5 to 300/],
      [{ command: 'conference', callflow: 'party' }, 'main.callflow', /open, secured/],
      [{ command: 'response', code: 200 }, 'main.code', /a SIP response ARI can send: 403, .*603 \(got 200\)/],
      [{ command: 'hangup', reason: 'line\nbreak' }, 'main.reason', /no control characters/],
      [{ command: 'set', vars: {} }, 'main.vars', /1 to 50 variables/],
      [{ command: 'set', vars: { 'a-b': 1 } }, 'main.vars.a-b', /is not a variable name/],
      [{ command: 'set', vars: { a: 'x'.repeat(2001) } }, 'main.vars.a', /at most 2000 characters/],
      [{ command: 'return', output: 'a b' }, 'main.output', /an output name/],
      [{ command: 'say', text: 'x'.repeat(4001) }, 'main.text', /1 to 4000 characters/],
    ];
    for (const [main, at, message] of cases) {
      const err = refusal({ main });
      assert.equal(err.path, at, err.message);
      assert.match(err.message, message);
    }
  });

  it('takes transfer with exactly one of endpoint, number, queue or flow', function () {
    const targets = [
      { endpoint: 'PJSIP/alice' },
      { endpoint: 'PJSIP/trunk/sip:alice@pbx.example.com:5061;transport=tls' },
      { endpoint: 'Local/100@agents/n' },
      { endpoint: 'IAX2/peer/100' },
      { number: '+4930123' },
      { queue: 'support' },
      { flow: 'after-hours' },
    ];
    for (const target of targets) {
      assert.doesNotThrow(() => checkCommandSet({ main: { command: 'transfer', ...target } }));
    }
    // Values only: a template's placeholders are not filled in from an application's answer.
    for (const endpoint of ['PJSIP/{caller}', 'Local/100', 'PJSIP/a,b', 'PJSIP/100/sip:a@b.example.com?x=1', 'pjsip']) {
      assert.equal(refusal({ main: { command: 'transfer', endpoint } }).path, 'main.endpoint', endpoint);
    }
    assert.equal(refusal({ main: { command: 'transfer' } }).message, 'main: needs exactly one of endpoint, number, queue, flow (it has none)');
    assert.equal(refusal({ main: { command: 'transfer', number: '1', flow: 'x' } }).message, 'main: needs exactly one of endpoint, number, queue, flow (it has number and flow)');
  });

  it('takes jump URLs that are http(s) or relative, of at most 2000 characters', function () {
    for (const url of ['https://app.example.com/ivr/next?step=2', 'HTTP://app:8080/x', '/next', 'next', '../menu', '?step=2', '', '//app.example.com/x']) {
      assert.doesNotThrow(() => checkCommandSet({ main: { command: 'pause', seconds: 1 }, jump: { url, method: 'GET' } }), url);
    }
    for (const url of ['javascript:alert(1)', 'file:///etc/passwd', 'ftp://x/y', 'next step', 'a\nb', `/${'x'.repeat(2000)}`, 'mailto:a@b']) {
      const err = refusal({ main: { command: 'pause', seconds: 1 }, jump: { url } });
      assert.equal(err.path, 'jump.url', url);
    }
    assert.equal(refusal({ main: { command: 'pause', seconds: 1 }, jump: { url: '/x', method: 'PUT' } }).path, 'jump.method');
  });

  it('refuses what is not a command set, naming what is wrong', function () {
    assert.equal(refusal([]).message, '(the command set): is an object with main, and optionally secondary and jump (got [])');
    assert.equal(refusal('hangup').message, '(the command set): is an object with main, and optionally secondary and jump (got "hangup")');
    assert.equal(refusal({}).path, 'main');
    assert.match(refusal({ main: { command: 'play', media: ['sound:x'] }, extra: 1 }).message, /^extra: is not known here \(known: main, secondary, jump\)/);
    assert.match(refusal({ main: { command: 'play', media: ['sound:x'], volume: 3 } }).message, /^main\.volume: is not known here \(known: command, media, loop, bargeIn\)/);
    assert.match(refusal({ main: { media: ['sound:x'] } }).message, /^main\.command: is required/);
    const many = refusal({ main: { command: 'play', media: ['sound:x'] }, secondary: Array.from({ length: 21 }, () => ({ command: 'pause', seconds: 'x' })) });
    assert.match(many.message, /; and \d+ more$/);
  });
});
