/**
 * parseCommandSet (lib/http-ivr/parse.ts): the form by content type and mode, every command in both forms
 * to the same program, what comes back for a body that is not what it says, and, on random input, that
 * nothing but a CommandSetError ever leaves it.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { COMMANDS, CommandSetError, type Rule } from '../../lib/http-ivr/commands';
import { MAX_BODY_BYTES, mediaType, parseCommandSet, type Mode } from '../../lib/http-ivr/parse';
import { EVERY_COMMAND } from './command-examples';
import { assertRefused } from './refused';

function refused(contentType: string | undefined, body: string | Uint8Array, mode: Mode, rule: Rule, path: string, message: string | RegExp): void {
  assertRefused(() => parseCommandSet(contentType, body, mode), rule, path, message);
}

describe('HTTP IVR answers (lib/http-ivr/parse)', function () {
  it('reads every command the same in JSON and in XML', function () {
    for (const name of COMMANDS) {
      const { json, xml } = EVERY_COMMAND[name];
      const fromJson = parseCommandSet('application/json', JSON.stringify({ main: json }), 'callflow');
      const fromXml = parseCommandSet('text/xml', `<Response>${xml}</Response>`, 'callflow');
      assert.deepEqual(fromJson, { form: 'json', steps: [json] }, name);
      assert.deepEqual(fromXml.steps, fromJson.steps, name);
      assert.equal(fromXml.form, 'xml');
    }
  });

  it('takes the content types of each mode, with parameters and in any case', function () {
    const json = JSON.stringify({ main: { command: 'hangup' } });
    assert.equal(parseCommandSet('application/json', json, 'callflow').form, 'json');
    assert.equal(parseCommandSet('Application/JSON; charset=UTF-8', json, 'callflow').form, 'json');
    assert.equal(parseCommandSet('application/xml', '<Response><Hangup/></Response>', 'callflow').form, 'xml');
    assert.equal(parseCommandSet('text/xml;charset="utf-8"', '<Response><Hangup/></Response>', 'twiml').form, 'twiml');
    assert.equal(parseCommandSet('application/xml', Buffer.from('\uFEFF<Response><Hangup/></Response>'), 'twiml').form, 'twiml');
    assert.deepEqual(mediaType(' text/XML ; foo=bar; Charset=UTF-8'), { type: 'text/xml', charset: 'utf-8' });
    assert.deepEqual(mediaType(undefined), { type: '' });
  });

  it('refuses a content type the mode does not take, saying which came', function () {
    refused('text/html', '<html/>', 'callflow', 'content-type', 'Content-Type', 'Content-Type: is "text/html"; a command set comes as application/json or application/xml or text/xml');
    refused('application/json', '{}', 'twiml', 'content-type', 'Content-Type', 'Content-Type: is "application/json"; TwiML comes as application/xml or text/xml');
    refused(undefined, '<Response/>', 'twiml', 'content-type', 'Content-Type', 'Content-Type: is missing; TwiML comes as application/xml or text/xml');
    refused('text/plain\u202e<b>', 'x', 'callflow', 'content-type', 'Content-Type', /^Content-Type: is "text\/plain\\u202e\\u003cb\\u003e"; /);
    refused('text/xml; charset=iso-8859-1', '<Response/>', 'twiml', 'content-type', 'Content-Type', 'Content-Type: names the charset "iso-8859-1"; only UTF-8 is read');
  });

  it('refuses a body that is not what its content type says, quoting at most 80 characters of it, escaped', function () {
    const html = `<html>\u2028<body>"Service Unavailable"\n${'x'.repeat(500)}</body></html>`;
    assert.throws(
      () => parseCommandSet('application/json', html, 'callflow'),
      (err: unknown) => {
        assert.ok(err instanceof CommandSetError);
        assert.equal(err.rule, 'syntax');
        assert.equal(err.path, 'body');
        const quoted = err.message.slice('body: is not JSON: '.length);
        assert.ok(err.message.startsWith('body: is not JSON: "\\u003chtml\\u003e\\u2028'), err.message);
        assert.ok(quoted.length <= 80, quoted);
        assert.match(quoted, /\.\.\. \(\d+ characters\)$/);
        assert.doesNotMatch(err.message, /[\n\u2028<>]/);
        return true;
      },
    );
    refused('text/xml', 'Service Unavailable', 'twiml', 'syntax', 'body', 'body: is not XML: "Service Unavailable"');
    refused('application/json', '{"main": ', 'callflow', 'syntax', 'body', 'body: is not JSON: "{\\"main\\": "');
    refused('application/json', '  ', 'callflow', 'syntax', 'body', 'body: is empty');
    refused('application/json', Buffer.from([0x7b, 0xff, 0x7d]), 'callflow', 'syntax', 'body', 'body: is not UTF-8 text');
    refused('application/json', ' '.repeat(MAX_BODY_BYTES + 1), 'callflow', 'syntax', 'body', `body: has ${MAX_BODY_BYTES + 1} bytes, more than ${MAX_BODY_BYTES}`);
    refused('text/xml', '<Response><Hangup>', 'callflow', 'syntax', '(the XML)', /^\(the XML\): is not well-formed XML/);
  });

  it('gives the rules\' errors through JSON and XML alike, each naming its place its own way', function () {
    const json = JSON.stringify({ main: { command: 'collect', sub: [{ command: 'record' }] } });
    refused('application/json', json, 'callflow', 'not-nestable', 'main.sub[0]', 'main.sub[0]: record may not be nested in collect; collect nests only play, say or pause');
    refused('text/xml', '<Response><Collect><Record/></Collect></Response>', 'callflow', 'not-nestable', 'Response/Collect/Record', /^Response\/Collect\/Record: <Record> may not be nested in <Collect>/);
    refused('text/xml', '<Response><Gather><Record/></Gather></Response>', 'twiml', 'not-nestable', 'Response/Gather/Record', /^Response\/Gather\/Record: <Record> may not be nested in <Gather>/);
  });

  it('refuses JSON nested deeper than 32 levels, which would overflow the stack of whoever serialises it', function () {
    const deep = `{"main":{"command":"return","output":"x","payload":${'['.repeat(30_000)}${']'.repeat(30_000)}}}`;
    refused('application/json', deep, 'callflow', 'schema', `main.payload${'[0]'.repeat(30)}`, /nests deeper than 32 levels$/);
  });

  describe('on random input, throws nothing but CommandSetError', function () {
    const TYPES = ['application/json', 'text/xml', 'application/xml', 'text/plain', 'application/json; charset=latin1', undefined];
    const contentType = fc.constantFrom(...TYPES);
    const mode = fc.constantFrom<Mode>('callflow', 'twiml');
    const NAMES = [...COMMANDS, 'jump', 'dance', 'constructor', '__proto__', 'toString', ''];
    const ATTRS = ['command', 'sub', 'media', 'loop', 'text', 'seconds', 'vars', 'output', 'payload', 'action', 'url', 'method', 'code', 'number', 'endpoint', 'maxDigits', '__proto__', 'constructor'];
    const leaf = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(...NAMES), fc.constant('sound:x'));
    const command = fc.letrec((tie) => ({
      cmd: fc.dictionary(fc.constantFrom(...ATTRS), fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('cmd'), { maxLength: 3 })), { maxKeys: 5 }),
    })).cmd;
    const set = fc.record({ main: command, secondary: fc.array(command, { maxLength: 3 }), jump: fc.oneof(fc.record({ url: fc.string(), method: fc.string() }), leaf) }, { requiredKeys: [] });

    const VERBS = ['Response', 'Play', 'Say', 'Pause', 'Collect', 'Record', 'Transfer', 'Conference', 'Hangup', 'Set', 'Var', 'Return', 'Jump', 'Media', 'Gather', 'Dial', 'Number', 'Sip', 'Redirect', 'Reject', 'Enqueue', 'x'];
    const XML_ATTRS = ['loop', 'url', 'method', 'action', 'timeout', 'numDigits', 'finishOnKey', 'name', 'type', 'output', 'code', 'reason', 'digits', 'input', 'seconds', 'media', 'command'];
    const attrValue = fc.oneof(fc.constantFrom('1', '0', '-1', 'true', 'x', '', '#', '/next', 'sound:a', 'busy', 'number', 'null'), fc.string({ maxLength: 8 }).map((s) => s.replace(/[<&"]/g, '')));
    const element: fc.Arbitrary<string> = fc.letrec((tie) => ({
      el: fc
        .tuple(fc.constantFrom(...VERBS), fc.dictionary(fc.constantFrom(...XML_ATTRS), attrValue, { maxKeys: 3 }), fc.oneof({ depthSize: 'small' }, fc.constantFrom('', 'sound:a', '{"a":1}', 'hi', '&amp;', '&x;', '<![CDATA[x]]>'), fc.array(tie('el'), { maxLength: 3 }).map((els) => els.join(''))))
        .map(([name, attrs, inner]) => `<${name}${Object.entries(attrs).map(([k, v]) => ` ${k}="${v}"`).join('')}>${inner}</${name}>`),
    })).el;
    // Whole commands, with one attribute or text of theirs replaced: the random elements above rarely build one.
    const whole = fc
      .tuple(fc.constantFrom(...Object.values(EVERY_COMMAND).map((c) => c.xml), '<Set><Var name="a" type="number">1</Var></Set>', '<Gather numDigits="1"><Say>x</Say></Gather>', '<Dial action="/a"><Number>1</Number></Dial>', '<Record finishOnKey="#"/>'), fc.nat(), fc.string({ maxLength: 6 }))
      .map(([xml, at, value]) => {
        const spots = [...xml.matchAll(/="[^"]*"|>[^<]+</g)];
        const spot = spots.length > 0 ? spots[at % spots.length] : undefined;
        if (!spot || spot.index === undefined) return xml;
        const clean = value.replace(/[<&"]/g, '');
        const replaced = spot[0].startsWith('=') ? `="${clean}"` : `>${clean}<`;
        return xml.slice(0, spot.index) + replaced + xml.slice(spot.index + spot[0].length);
      });
    const xmlDoc = fc
      .tuple(fc.constantFrom('', '<?xml version="1.0"?>', '<!DOCTYPE x>', '<?pi?>'), fc.array(fc.oneof(element, whole), { maxLength: 4 }))
      .map(([head, els]) => `${head}<Response>${els.join('')}</Response>`);

    function onlyCommandSetErrors(type: string | undefined, body: string | Uint8Array, m: Mode): void {
      try {
        const program = parseCommandSet(type, body, m);
        assert.ok(Array.isArray(program.steps));
      } catch (err) {
        if (!(err instanceof CommandSetError)) throw err;
        assert.ok(err.message.length > 0 && err.path.length > 0, err.message);
        assert.ok(err.message.length < 2000, err.message);
      }
    }

    it('on command-set-like JSON', function () {
      fc.assert(fc.property(set, mode, (value, m) => onlyCommandSetErrors('application/json', JSON.stringify(value), m)), { numRuns: 400 });
    });

    it('on command-set-like XML and TwiML', function () {
      fc.assert(fc.property(xmlDoc, fc.constantFrom('text/xml', 'application/xml'), mode, (body, type, m) => onlyCommandSetErrors(type, body, m)), { numRuns: 400 });
    });

    it('on any text and bytes, with any content type', function () {
      fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.uint8Array({ maxLength: 200 })), contentType, mode, (body, type, m) => onlyCommandSetErrors(type, body, m)), { numRuns: 400 });
    });
  });
});
