/**
 * Dial strings as Asterisk parses them (lib/ari/dialstring.ts): templates
 * and where their placeholders go, per technology; the values a caller or a
 * contact list may put there; the dial allowlist; and the JSON-schema
 * patterns the forms use, which must say what the parser says.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DialAllowlist,
  DialStringError,
  campaignDialString,
  checkDialplanTarget,
  dialDestination,
  dialStringProblem,
  dialTemplateSchema,
  parseDialTemplate,
  quoted,
  type TemplateKind,
} from '../../lib/ari/dialstring';
import { Validator } from '../../lib/schemas/validator';
import { asteriskConfig } from '../../lib/schemas/asterisk';
import { INJECTIONS } from '../support/injections';


function destination(template: string, value: unknown, allowlist = new DialAllowlist('PJSIP/* PJSIP/*@trunk Local/*@outbound SIP/*')): string {
  return dialDestination(template, 'endpoint', (name) => (name === 'vars.dest' ? value : undefined), allowlist, 'endpoint');
}

describe('dial strings (lib/ari/dialstring)', function () {
  describe('templates: where each placeholder goes, per technology', function () {
    const cases: [string, TemplateKind, string | [string, string][]][] = [
      ['PJSIP/{vars.dest}', 'endpoint', [['vars.dest', 'endpoint']]],
      ['PJSIP/{caller}@trunk', 'endpoint', [['caller', 'user']]],
      ['PJSIP/{number}@trunk', 'dial-string', [['number', 'user']]],
      ['PJSIP/9{number}@trunk', 'dial-string', [['number', 'user']]],
      ['PJSIP/trunk/sip:{number}@sip.example.com:5061;transport=tls', 'dial-string', [['number', 'uri-user']]],
      ['PJSIP/trunk/{vars.aor}', 'endpoint', [['vars.aor', 'aor']]],
      ['Local/{vars.dest}@outbound/n', 'endpoint', [['vars.dest', 'exten']]],
      ['Local/100@{vars.ctx}', 'endpoint', [['vars.ctx', 'context']]],
      ['DAHDI/g1/{number}', 'dial-string', [['number', 'resource']]],
      ['PJSIP/100', 'endpoint', []],
      // Refused: each says why.
      ['PJSIP/{number}&Local/x', 'dial-string', 'contains "&", which Dial() reads as a second destination'],
      ['{number}/trunk', 'dial-string', 'has a placeholder in the technology name'],
      ['PJ{number}SIP/trunk', 'dial-string', 'has a placeholder in the technology name'],
      ['PJSIP/trunk/sip:{number}@{number}', 'dial-string', 'has a placeholder in the host, port or parameters of a SIP URI'],
      ['PJSIP/trunk/sip:100@evil.example.com;x={vars.p}', 'endpoint', 'has a placeholder in the host, port or parameters of a SIP URI'],
      ['PJSIP/trunk/tel:{number}', 'dial-string', 'dials a tel: URI; chan_pjsip dials only sip: and sips: URIs'],
      ['PJSIP/{number}@trunk@evil', 'dial-string', 'has two "@" before the endpoint'],
      ['PJSIP/{number}@', 'dial-string', 'has an empty PJSIP endpoint name'],
      ['PJSIP/trunk/', 'endpoint', 'ends with "/": no location after the endpoint'],
      ['Local/{vars.dest}', 'endpoint', 'names no context: write Local/<extension>@<context>'],
      ['Local/{vars.dest}@outbound/{vars.o}', 'endpoint', 'has a placeholder in the Local channel options'],
      ['Local/1@outbound/x', 'endpoint', 'has "/x" where Local channel options (n, j, m) go'],
      ['PJSIP/trunk', 'dial-string', 'has no {number} in it'],
      ['PJSIP/{vars.dest}', 'dial-string', '{vars.dest} is not a placeholder of a dial string (it takes {number})'],
      ['PJSIP/{number}', 'endpoint', '{number} is not a placeholder of an endpoint (use {vars.name}, {caller}, {dialed} or {callId})'],
      ['PJSIP/{vars.dest', 'endpoint', 'has a "{" or "}" that is not part of a placeholder'],
      ['100', 'endpoint', 'has no technology: write Technology/resource, e.g. PJSIP/100'],
      ['SIP//{vars.dest}', 'endpoint', 'has an empty part between two "/"'],
      ['PJSIP/{vars.dest}\n', 'endpoint', 'contains a control character (U+000A)'],
    ];
    for (const [template, kind, expected] of cases) {
      it(`${JSON.stringify(template)} (${kind}): ${typeof expected === 'string' ? `refused: ${expected}` : expected.map(([n, p]) => `${n} is ${p}`).join(', ') || 'no placeholder'}`, function () {
        const parsed = parseDialTemplate(template, kind);
        if (typeof expected === 'string') assert.equal(parsed, expected);
        else {
          assert.notEqual(typeof parsed, 'string', JSON.stringify(parsed));
          assert.deepEqual(typeof parsed === 'string' ? [] : parsed.placeholders.map((p) => [p.name, p.part]), expected);
        }
      });
    }
  });

  it('quotes a value in an error as JSON, cut after 80 characters with its length, so a huge value makes a readable message', function () {
    assert.equal(quoted('100&PJSIP/200'), '"100&PJSIP/200"');
    assert.equal(quoted('a\nb'), '"a\\nb"');
    const long = quoted('1'.repeat(2000));
    assert.ok(long.length < 120, long);
    assert.match(long, /^"1{75}\.\.\." \(2000 characters\)$/);
  });

  describe('values: checked against their place before they are put in', function () {
    for (const [value, why] of INJECTIONS) {
      it(`refuses ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)} from a call variable, naming the field, the placeholder and the value`, function () {
        assert.throws(
          () => destination('PJSIP/{vars.dest}', value),
          (err: DialStringError) => {
            assert.ok(err instanceof DialStringError);
            assert.equal(err.field, 'endpoint');
            assert.equal(err.value, value);
            assert.ok(err.message.startsWith(`endpoint: the value ${quoted(value)} of {vars.dest} cannot be used as a PJSIP endpoint name: it `), err.message);
            assert.match(err.message, why);
            return true;
          },
        );
      });
    }

    it('puts a plain name or number where the template says, once checked', function () {
      assert.equal(destination('PJSIP/{vars.dest}', '100'), 'PJSIP/100');
      assert.equal(destination('PJSIP/{vars.dest}', 'agent-7.b'), 'PJSIP/agent-7.b');
      assert.equal(destination('PJSIP/{vars.dest}@trunk', '+15550100'), 'PJSIP/+15550100@trunk');
      assert.equal(destination('PJSIP/{vars.dest}', 100), 'PJSIP/100', 'a number is its digits');
      assert.equal(destination('Local/{vars.dest}@outbound', '*21#'), 'Local/*21#@outbound');
    });

    it('refuses what is not text or a number, a missing variable, and an extension that would be a pattern', function () {
      assert.throws(() => destination('PJSIP/{vars.dest}', { a: 1 }), /endpoint: the value of \{vars\.dest\} is a object, not text or a number/);
      assert.throws(() => destination('PJSIP/{vars.dest}', undefined), /endpoint: PJSIP\/\{vars\.dest\} needs vars\.dest, which this call does not have/);
      assert.throws(() => destination('Local/{vars.dest}@outbound', '_X.'), /cannot be used as a dialplan extension: it starts with "_"/);
    });

    it('refuses a contact number that is not a phone number for {number}, whatever the place', function () {
      for (const number of ['+1900@evil', '1&2', '1\n', 'abc', '', '1'.repeat(33)]) {
        assert.throws(() => campaignDialString('PJSIP/{number}@trunk', number), (err: DialStringError) => err.field === 'dialString' && /is not a phone number/.test(err.message), number);
      }
      assert.equal(campaignDialString('PJSIP/{number}@trunk', '+8613800000001'), 'PJSIP/+8613800000001@trunk');
    });

    it('refuses a template that is not one destination before any value is put in', function () {
      assert.throws(() => campaignDialString('PJSIP/{number}&Local/x', '+15550100'), (err: DialStringError) => {
        assert.equal(err.message, 'dialString: "PJSIP/{number}&Local/x" contains "&", which Dial() reads as a second destination');
        return true;
      });
    });
  });

  it('checks a dialplan target (context, extension) again where it reaches Asterisk', function () {
    checkDialplanTarget({ context: 'callflow-queues', extension: 'support' }, { context: 'queueContext', extension: 'queue' });
    assert.throws(() => checkDialplanTarget({ context: 'default,s,1', extension: '100' }, { context: 'context', extension: 'extension' }), /^DialStringError: context: "default,s,1" cannot be used as a dialplan context: it contains ","/);
    assert.throws(() => checkDialplanTarget({ context: 'queues', extension: 'x@y' }, { context: 'queueContext', extension: 'queue' }), /^DialStringError: queue: "x@y" cannot be used as a dialplan extension: it contains "@"/);
  });

  describe('finished dial strings: one destination of a known shape', function () {
    for (const [text, why] of [
      ['PJSIP/100', undefined],
      ['PJSIP/+15550100@trunk', undefined],
      ['PJSIP/trunk/sip:+15550100@[2001:db8::1]:5060', undefined],
      ['Local/100@outbound/nj', undefined],
      ['IAX2/user@peer/100', undefined],
      ['PJSIP/100&PJSIP/200', 'contains "&", which Dial() reads as a second destination'],
      ['PJSIP/trunk/tel:+1900', 'dials a tel: URI; chan_pjsip dials only sip: and sips: URIs'],
      ['PJSIP/trunk/sip:+1900@evil.example.com,other', 'contains ",", which separates arguments and AOR lists'],
      ['Local/100', 'names no context: write Local/<extension>@<context>'],
      ['PJSIP/\uE000', 'contains "\uE000"'],
      [`PJSIP/${'1'.repeat(200)}`, 'is longer than 200 characters'],
    ] as const) {
      it(`${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text)}: ${why ?? 'one destination'}`, function () {
        assert.equal(dialStringProblem(text), why);
      });
    }
  });

  describe('the dial allowlist', function () {
    it('allows by the default PJSIP endpoints by name and numbers through the endpoint trunk, nothing else', function () {
      const list = new DialAllowlist();
      assert.equal(list.toString(), 'PJSIP/* PJSIP/*@trunk');
      for (const ok of ['PJSIP/100', 'pjsip/agent', 'PJSIP/+15550100@trunk', 'PJSIP/*21#@trunk']) assert.ok(list.allows(ok), ok);
      for (const no of ['PJSIP/+19005550100@carrier', 'PJSIP/trunk/sip:+19005550100@evil.example.com', 'Local/100@default', 'SIP/100', 'PJSIP/100&PJSIP/200', 'PJSIP/trunk/100']) assert.ok(!list.allows(no), no);
    });

    it('takes prefixes, Local contexts, SIP URIs through an endpoint and other technologies; * never crosses a separator', function () {
      const list = new DialAllowlist('PJSIP/+44*@trunk,\nLocal/*@outbound  PJSIP/trunk/sip:*@sip.example.com DAHDI/g1/*');
      assert.deepEqual(list.invalid, []);
      assert.ok(list.allows('PJSIP/+442071234567@trunk'));
      assert.ok(!list.allows('PJSIP/+19005550100@trunk'), 'another prefix');
      assert.ok(!list.allows('PJSIP/+44@trunk'), '* is at least one character');
      assert.ok(list.allows('Local/100@outbound'));
      assert.ok(!list.allows('Local/100@outbound/n'), 'options are written out');
      assert.ok(!list.allows('Local/100@default'));
      assert.ok(list.allows('PJSIP/trunk/sip:+15550100@sip.example.com'));
      assert.ok(!list.allows('PJSIP/trunk/sip:+15550100@evil.example.com'));
      assert.ok(list.allows('dahdi/g1/5550100'));
    });

    it('names entries that are not a dial string', function () {
      const list = new DialAllowlist('PJSIP/* trunk PJSIP/*/sip:*@* */100 Local/*');
      assert.equal(list.toString(), 'PJSIP/*');
      assert.deepEqual(list.invalid, [
        '"trunk" has no technology: write Technology/resource, e.g. PJSIP/100',
        '"PJSIP/*/sip:*@*" has a wildcard in the host, port or parameters of a SIP URI',
        '"*/100" has a wildcard in the technology name',
        '"Local/*" names no context: write Local/<extension>@<context>',
      ]);
    });

    it('says whether some number could pass: a template no entry could ever allow is refused up front', function () {
      const list = new DialAllowlist();
      const template = (t: string) => {
        const parsed = parseDialTemplate(t, 'dial-string');
        if (typeof parsed === 'string') throw new Error(parsed);
        return parsed;
      };
      assert.ok(list.mayAllow(template('PJSIP/{number}@trunk')));
      assert.ok(list.mayAllow(template('PJSIP/{number}')));
      assert.ok(!list.mayAllow(template('PJSIP/{number}@carrier')));
      assert.ok(!list.mayAllow(template('Local/{number}@outbound')));
      assert.ok(new DialAllowlist('PJSIP/+44*@trunk').mayAllow(template('PJSIP/+44{number}@trunk')));
      assert.ok(!new DialAllowlist('PJSIP/abc*@trunk').mayAllow(template('PJSIP/{number}@trunk')), 'a number never starts with letters');
    });

    it('refuses a destination it does not allow, naming the field and the list', function () {
      assert.throws(() => campaignDialString('PJSIP/{number}@carrier', '+15550100'), (err: DialStringError) => {
        assert.equal(err.message, "dialString: PJSIP/+15550100@carrier is not on this connection's dial allowlist (PJSIP/* PJSIP/*@trunk)");
        return true;
      });
    });

    it('the form pattern for the list says what the list says', function () {
      const pattern = new RegExp(String((asteriskConfig.schema as { properties: { dialAllowlist: { pattern: string } } }).properties.dialAllowlist.pattern), 'u');
      for (const text of ['', 'PJSIP/* PJSIP/*@trunk', ' Local/*@outbound,\nSIP/*', 'PJSIP/trunk/sip:*@sip.example.com']) {
        assert.ok(pattern.test(text), text);
        assert.deepEqual(new DialAllowlist(text).invalid, [], text);
      }
      for (const text of ['PJSIP/*&Local/x', 'trunk', '*/100', 'PJSIP/*@trunk\u0000']) assert.ok(!pattern.test(text), text);
      // A PJSIP or Local entry is read as one only (not also as Technology/<resource>): the form refuses what the list refuses.
      assert.ok(!pattern.test('PJSIP/*/sip:*@*'));
      assert.equal(new DialAllowlist('PJSIP/*/sip:*@*').invalid.length, 1);
    });
  });

  describe('the form schemas say what the parser says', function () {
    const schemas = {
      endpoint: new Validator<string>('endpoint', dialTemplateSchema('endpoint', { default: '', description: 'an endpoint' })),
      'dial-string': new Validator<string>('dialString', dialTemplateSchema('dial-string', { default: '', description: 'a dial string' })),
    };
    const pieces = fc.constantFrom(
      'PJSIP', 'pjsip', 'Local', 'SIP', 'DAHDI', 'IAX2', '/', '/', '/', '@', '@', ':', ';', '=', '.', '-', '_', '+', '*', '#', ',', '&', '(', ')', '[', ']', ' ', '\n', '$', '{', '}',
      'trunk', 'sip:', 'sips:', 'tel:', 'example.com', '5060', 'transport=tls', 'n', 'x', '100', '+1555',
      '{number}', '{vars.dest}', '{caller}', '{callId}', '{vars.}', '{other}', '\uE000',
    );
    const templates = fc.array(pieces, { minLength: 1, maxLength: 12 }).map((p) => p.join(''));
    for (const kind of ['endpoint', 'dial-string'] as const) {
      it(`${kind}: for random templates, the schema accepts exactly what parseDialTemplate accepts`, function () {
        fc.assert(
          fc.property(templates, (t) => {
            const byParser = typeof parseDialTemplate(t, kind) !== 'string';
            const bySchema = schemas[kind].check(t).ok;
            assert.equal(bySchema, byParser, `${JSON.stringify(t)}: schema ${bySchema}, parser ${JSON.stringify(parseDialTemplate(t, kind))}`);
          }),
          { numRuns: 3000, seed: 12 },
        );
      });
    }

    it('a refusal names the shape the field takes', function () {
      const r = schemas['dial-string'].check('PJSIP/{number}&Local/x');
      assert.deepEqual(r.ok ? [] : r.problems, ['value: a dial string (PJSIP/[<user>@]<endpoint>[/<AOR or sip: URI>]) (got "PJSIP/{number}&Local/x")']);
    });
  });
});
