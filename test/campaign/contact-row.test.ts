/**
 * One contact row checked (lib/campaign/contact-row.ts, contactFromRow): a
 * reason naming the field and the value, CSV records and objects read the
 * same, ranks under the call order, and the bounds on what a row holds
 * (control characters, text that was not UTF-8, depth, lengths). Apart from
 * contacts.test.ts (the import into a store) because a row is checked
 * alone, with no store.
 */
import assert from 'node:assert/strict';
import { contactFromRow, type ContactRules } from '../../lib/campaign/contacts';
import { rankOf } from '../../lib/campaign/order';
import { contactInput, type ContactInput } from '../../lib/schemas/store';
import { RULES } from './contact-rules';

function reasonOf(row: unknown, rules: ContactRules = RULES): string {
  const r = contactFromRow(row, rules);
  assert.equal(typeof r, 'string', `expected a rejection, got ${JSON.stringify(r)}`);
  return r as string;
}

function contactOf(row: unknown, rules: ContactRules = RULES): ContactInput {
  const r = contactFromRow(row, rules);
  assert.equal(typeof r, 'object', `expected a contact, got ${JSON.stringify(r)}`);
  return r as ContactInput;
}

describe('campaign contacts', function () {
  describe('contactFromRow', function () {
    it('reads an object row with numbers, priority, attributes and custom fields', function () {
      const c = contactOf({
        customerId: ' C-1 ',
        numbers: [{ number: '+1 (555) 010-0100', type: 'mobile', seq: 2 }, { number: '0044.20.7946.0958', type: 'Home' }, '555-0102'],
        priority: 2,
        attrs: { region: 'north', score: 7, vip: true },
        custom: { note: 'call after 5', nested: { a: 1 } },
      });
      assert.deepEqual(c, {
        customerId: 'C-1',
        numbers: [{ number: '+15550100100', type: 'mobile', seq: 2 }, { number: '+442079460958', type: 'home' }, { number: '5550102' }],
        priority: 2,
        attrs: { region: 'north', score: 7, vip: true },
        custom: { note: 'call after 5', nested: { a: 1 } },
        rank: '',
      });
    });

    it('keeps attributes and custom fields named __proto__, constructor or toString as the contact\'s own fields', function () {
      // As JSON.parse gives them (own "__proto__" keys), and as CSV columns.
      const row = JSON.parse('{"customerId":"C","number":"+15550100","attrs":{"__proto__":"north","constructor":3},"custom":{"__proto__":{"polluted":true},"toString":"x"}}') as unknown;
      const c = contactOf(row);
      assert.deepEqual(Object.entries(c.attrs ?? {}), [['__proto__', 'north'], ['constructor', 3]]);
      assert.deepEqual(Object.entries(c.custom ?? {}), [['__proto__', { polluted: true }], ['toString', 'x']]);
      assert.equal(Object.getPrototypeOf(c.custom), Object.prototype);
      const csv = contactOf({ customerId: 'C', number1: '+15550100', 'attr.__proto__': '7', 'custom.__proto__': 'note', 'custom.valueOf': 'v' });
      assert.deepEqual(Object.entries(csv.attrs ?? {}), [['__proto__', 7]]);
      assert.deepEqual(Object.entries(csv.custom ?? {}), [['__proto__', 'note'], ['valueOf', 'v']]);
    });

    it('names a field whose key is very long by its first characters (the fuzz found 3,000-character reasons)', function () {
      const key = '1'.repeat(3000);
      for (const row of [{ custom: { [key]: 'v' } }, { custom: { note: { [key]: 'v' } } }, { attrs: { [key]: 'v' } }]) {
        const reason = reasonOf({ customerId: 'C', number: '+15550100', ...row });
        assert.ok(reason.length < 400, `${reason.length} characters: ${reason.slice(0, 200)}`);
        assert.match(reason, /^(custom|custom\.note|attrs)\.1{60}\.\.\.: "1+\.\.\. is 3000 characters long \(a name has at most 256\)$/);
      }
    });

    it('reads numbers as text and a single number with its type', function () {
      assert.deepEqual(contactOf({ customerId: 'C', numbers: 'mobile:+15550100; home:+15550101;+15550102' }).numbers, [
        { number: '+15550100', type: 'mobile' },
        { number: '+15550101', type: 'home' },
        { number: '+15550102' },
      ]);
      assert.deepEqual(contactOf({ customerId: 'C', number: '00 1 555 0100', type: 'work' }).numbers, [{ number: '+15550100', type: 'work' }]);
      assert.deepEqual(contactOf({ customerId: 42, number: 15550100 }), { customerId: '42', numbers: [{ number: '15550100' }], rank: '' });
    });

    it('reads a CSV record: numbered columns, attr. and custom. columns, text values', function () {
      const c = contactOf({
        customerId: 'C-2',
        priority: '1',
        number1: '+15550100',
        type1: 'mobile',
        seq1: '3',
        number2: '',
        type2: '',
        number3: '(555) 0102',
        'attr.score': '42.5',
        'attr.code': '007',
        'attr.neg': '-3',
        'attr.vip': 'true',
        'attr.old': 'false',
        'attr.region': 'north',
        'attr.empty': '',
        'custom.note': 'hello, world',
        other: 'ignored',
      });
      assert.deepEqual(c, {
        customerId: 'C-2',
        numbers: [{ number: '+15550100', type: 'mobile', seq: 3 }, { number: '5550102' }],
        priority: 1,
        attrs: { score: 42.5, code: '007', neg: -3, vip: true, old: false, region: 'north' },
        custom: { note: 'hello, world' },
        rank: '',
      });
    });

    it('gives each contact its rank under the call order', function () {
      const order = { by: 'attributes' as const, attrs: [{ attr: 'score', direction: 'desc' as const }] };
      const c = contactOf({ customerId: 'C', number: '+15550100', 'attr.score': '9' }, { ...RULES, order });
      assert.equal(c.rank, rankOf(c, order));
      assert.equal(contactOf({ customerId: 'C', number: '+15550100', priority: 2 }, { ...RULES, order: { by: 'priority', attrs: [] } }).rank, '2');
      assert.equal(contactOf({ customerId: 'C', number: '+15550100' }, { ...RULES, order: { by: 'number', attrs: [] } }).rank, rankOf({ numbers: [{ number: '+15550100' }] }, { by: 'number', attrs: [] }));
    });

    it('names the field and the value of each problem', function () {
      const cases: [unknown, string][] = [
        [42, 'row: 42 is not a contact (an object with a customerId and numbers)'],
        [{ number: '+15550100' }, 'customerId: is missing (every contact needs a customer id)'],
        [{ customerId: '  ', number: '+15550100' }, 'customerId: is missing (every contact needs a customer id)'],
        [{ customerId: { id: 1 }, number: '+15550100' }, 'customerId: {"id":1} is not a customer id (a text of 1 to 128 characters)'],
        [{ customerId: 'x'.repeat(129), number: '+15550100' }, `customerId: "${'x'.repeat(76)}... is longer than 128 characters`],
        [{ customerId: 'C' }, 'numbers: the contact has no phone number (give numbers, number, or number1 to number20)'],
        [{ customerId: 'C', numbers: [] }, 'numbers: the contact has no phone number (give numbers, number, or number1 to number20)'],
        [{ customerId: 'C', numbers: 5 }, 'numbers: 5 is neither a list of numbers nor text like "mobile:+15550100;home:+15550101"'],
        [{ customerId: 'C', numbers: [{ number: '+15550100' }, { number: '12ab' }] }, 'numbers.1.number: "12ab" is not a phone number (2 to 32 digits with an optional leading +)'],
        [{ customerId: 'C', numbers: [{ number: '1' }] }, 'numbers.0.number: "1" is not a phone number (2 to 32 digits with an optional leading +)'],
        [{ customerId: 'C', numbers: [{ number: '1'.repeat(33) }] }, `numbers.0.number: "${'1'.repeat(33)}" is not a phone number (2 to 32 digits with an optional leading +)`],
        [{ customerId: 'C', numbers: [{ type: 'mobile' }] }, 'numbers.0.number: nothing is not a phone number (2 to 32 digits with an optional leading +)'],
        [{ customerId: 'C', numbers: [true] }, 'numbers.0: true is not a number entry ({ number, type, seq } or the number as text)'],
        [{ customerId: 'C', numbers: [{ number: '+15550100', type: 'fax' }] }, 'numbers.0.type: "fax" is not a number type of this campaign (mobile, home, work, other)'],
        [{ customerId: 'C', numbers: 'fax:+15550100' }, 'numbers.0.type: "fax" is not a number type of this campaign (mobile, home, work, other)'],
        [{ customerId: 'C', numbers: [{ number: '+15550100', type: 'mo bile' }] }, 'numbers.0.type: "mo bile" is not a number type (1 to 32 letters, digits, _ or -)'],
        [{ customerId: 'C', numbers: [{ number: '+15550100', seq: 1001 }] }, 'numbers.0.seq: 1001 is not a sequence number (a whole number from 0 to 1000)'],
        [{ customerId: 'C', number1: '+15550100', seq1: 'x' }, 'seq1: "x" is not a sequence number (a whole number from 0 to 1000)'],
        [{ customerId: 'C', number1: '+15550100', number2: '12ab' }, 'number2: "12ab" is not a phone number (2 to 32 digits with an optional leading +)'],
        [{ customerId: 'C', number1: '+15550100', type1: 'fax' }, 'type1: "fax" is not a number type of this campaign (mobile, home, work, other)'],
        [{ customerId: 'C', number1: '+15550100', type2: 'home' }, 'type2: "home" is given without number2'],
        [{ customerId: 'C', type: 'home', number1: '+15550100' }, 'type: "home" is given without a number'],
        [{ customerId: 'C', number: 'abc' }, 'number: "abc" is not a phone number (2 to 32 digits with an optional leading +)'],
        [{ customerId: 'C', numbers: ['+15550100', '0015550100'] }, 'numbers: +15550100 is listed twice'],
        [{ customerId: 'C', numbers: ['+1 555 0100'], number1: '+1-555-0100' }, 'numbers: +15550100 is listed twice'],
        [{ customerId: 'C', numbers: Array.from({ length: 21 }, (_, i) => `+1555${1000 + i}`) }, 'numbers: 21 numbers given; a contact has at most 20'],
        [{ customerId: 'C', number1: '+15550100', number21: '+15550101' }, 'number21: a contact has at most 20 numbers (number1 to number20)'],
        [{ customerId: 'C', number: '+15550100', priority: 0 }, 'priority: 0 is not a priority (a whole number from 1, the highest, to 5)'],
        [{ customerId: 'C', number: '+15550100', priority: '6' }, 'priority: "6" is not a priority (a whole number from 1, the highest, to 5)'],
        [{ customerId: 'C', number: '+15550100', priority: 2.5 }, 'priority: 2.5 is not a priority (a whole number from 1, the highest, to 5)'],
        [{ customerId: 'C', number: '+15550100', attrs: 'x' }, 'attrs: "x" is not an object of attributes'],
        [{ customerId: 'C', number: '+15550100', attrs: { tags: ['a'] } }, 'attrs.tags: ["a"] is not a text, number or true/false'],
        [{ customerId: 'C', number: '+15550100', 'attr.first-name': 'Ann' }, 'attr.first-name: "first-name" is not an attribute name (a letter or _, then up to 63 letters, digits or _)'],
        [
          { customerId: 'C', number: '+15550100', attrs: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`a${i}`, i])) },
          'attrs: 101 attributes given; a contact has at most 100',
        ],
        [{ customerId: 'C', number: '+15550100', custom: [1] }, 'custom: [1] is not an object of custom fields'],
        [{ customerId: 'C', number: '+15550100', 'custom.': 'x' }, 'custom.: a custom field needs a name after "custom."'],
      ];
      for (const [row, reason] of cases) assert.equal(reasonOf(row), reason, JSON.stringify(row).slice(0, 200));
    });

    it('accepts any well-formed number type when the campaign lists none', function () {
      assert.deepEqual(contactOf({ customerId: 'C', number: '+15550100', type: 'fax' }, { ...RULES, numberTypes: [] }).numbers, [{ number: '+15550100', type: 'fax' }]);
    });

    it('allows at most 100 custom fields', function () {
      const custom = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`f${i}`, i]));
      assert.equal(reasonOf({ customerId: 'C', number: '+15550100', custom }), 'custom: 101 custom fields given; a contact has at most 100');
    });

    it('refuses control characters in ids, numbers, types and names (tab and line breaks too), naming the field, the character and where', function () {
      const rule = '(ids, numbers, types and names hold no control characters, not even a tab or a line break)';
      const cases: [unknown, string][] = [
        [{ customerId: 'C\u00001', number: '+15550100' }, `customerId: "C\\u00001" holds the control character U+0000 at character 2 ${rule}`],
        [{ customerId: 'C\t1', number: '+15550100' }, `customerId: "C\\t1" holds the control character U+0009 at character 2 ${rule}`],
        [{ customerId: 'C\n1', number: '+15550100' }, `customerId: "C\\n1" holds the control character U+000A at character 2 ${rule}`],
        [{ customerId: 'C\u007f', number: '+15550100' }, `customerId: "C\\u007f" holds the control character U+007F at character 2 ${rule}`],
        [{ customerId: 'C\u009b1', number: '+15550100' }, `customerId: "C\\u009b1" holds the control character U+009B at character 2 ${rule}`],
        [{ customerId: 'C', number: '+1555\u00000100' }, `number: "+1555\\u00000100" holds the control character U+0000 at character 6 ${rule}`],
        [{ customerId: 'C', number1: '+1555\t0100' }, `number1: "+1555\\t0100" holds the control character U+0009 at character 6 ${rule}`],
        [{ customerId: 'C', numbers: [{ number: '+15550100', type: 'mob\u0000ile' }] }, `numbers.0.type: "mob\\u0000ile" holds the control character U+0000 at character 4 ${rule}`],
        [{ customerId: 'C', numbers: 'mobile:+15550100;home:+1555\u00010101' }, `numbers.1.number: "+1555\\u00010101" holds the control character U+0001 at character 6 ${rule}`],
        [{ customerId: 'C', number1: '+15550100', seq1: '1\u0000' }, `seq1: "1\\u0000" holds the control character U+0000 at character 2 ${rule}`],
        [{ customerId: 'C', number: '+15550100', priority: '1\u0000' }, `priority: "1\\u0000" holds the control character U+0000 at character 2 ${rule}`],
        [{ customerId: 'C', number: '+15550100', custom: { 'no\u0000te': 'x' } }, `custom.no\\u0000te: "no\\u0000te" holds the control character U+0000 at character 3 ${rule}`],
        [{ customerId: 'C', number: '+15550100', 'custom.no\tte': 'x' }, `custom.no\\u0009te: "no\\tte" holds the control character U+0009 at character 3 ${rule}`],
        [{ customerId: 'C', number: '+15550100', custom: { a: { 'b\nc': 1 } } }, `custom.a.b\\u000ac: "b\\nc" holds the control character U+000A at character 2 ${rule}`],
      ];
      for (const [row, reason] of cases) assert.equal(reasonOf(row), reason, JSON.stringify(row));
    });

    it('allows tab, LF and CR in text values (attributes, custom fields at any depth), no other control character', function () {
      const c = contactOf({ customerId: '\tC-1 ', number: '+15550100', attrs: { note: 'a\tb' }, custom: { address: '1 Main St\r\nSpringfield', cells: ['a\tb', { line: 'x\ny' }] } });
      assert.equal(c.customerId, 'C-1', 'whitespace around an id is trimmed, as before');
      assert.deepEqual(c.custom, { address: '1 Main St\r\nSpringfield', cells: ['a\tb', { line: 'x\ny' }] });
      const rule = '(a text value may hold tabs and line breaks, no other control character)';
      const cases: [unknown, string][] = [
        [{ customerId: 'C', number: '+15550100', custom: { note: 'a\u0000b' } }, `custom.note: "a\\u0000b" holds the control character U+0000 at character 2 ${rule}`],
        [{ customerId: 'C', number: '+15550100', 'custom.note': 'bell\u0007' }, `custom.note: "bell\\u0007" holds the control character U+0007 at character 5 ${rule}`],
        [{ customerId: 'C', number: '+15550100', custom: { deep: { list: ['ok', 'a\u001bb'] } } }, `custom.deep.list.1: "a\\u001bb" holds the control character U+001B at character 2 ${rule}`],
        [{ customerId: 'C', number: '+15550100', attrs: { city: 'K\u0085ln' } }, `attrs.city: "K\\u0085ln" holds the control character U+0085 at character 2 ${rule}`],
        [{ customerId: 'C', number: '+15550100', 'attr.city': 'K\u000bln' }, `attr.city: "K\\u000bln" holds the control character U+000B at character 2 ${rule}`],
      ];
      for (const [row, reason] of cases) assert.equal(reasonOf(row), reason, JSON.stringify(row));
    });

    it('refuses U+FFFD (text that was not UTF-8 when it was read) and lone surrogates in every text field, saying so', function () {
      const utf8 = /holds U\+FFFD \(\ufffd\) at character \d+: the text was not UTF-8 when it was read \(a file saved as ISO-8859-1\/Windows-1252, GBK or another legacy encoding, read as UTF-8\): save the file as UTF-8/;
      const cases: [unknown, string][] = [
        [{ customerId: 'Jos\ufffd', number: '+15550100' }, 'customerId: "Jos\ufffd" '],
        [{ customerId: 'C', number: '+1555\ufffd0100' }, 'number: "+1555\ufffd0100" '],
        [{ customerId: 'C', number: '+15550100', type: 'mobil\ufffd' }, 'type: "mobil\ufffd" '],
        [{ customerId: 'C', number: '+15550100', 'custom.name': 'Zo\ufffd' }, 'custom.name: "Zo\ufffd" '],
        [{ customerId: 'C', number: '+15550100', custom: { 'stra\ufffde': 'x' } }, 'custom.stra\ufffde: "stra\ufffde" '],
        [{ customerId: 'C', number: '+15550100', attrs: { city: 'K\ufffdln' } }, 'attrs.city: "K\ufffdln" '],
      ];
      for (const [row, start] of cases) {
        const reason = reasonOf(row);
        assert.ok(reason.startsWith(start), reason);
        assert.match(reason, utf8);
      }
      assert.equal(reasonOf({ customerId: 'C\ud800', number: '+15550100' }), 'customerId: "C\\ud800" is not valid Unicode text (a lone UTF-16 surrogate at character 2)');
      assert.equal(reasonOf({ customerId: 'C', number: '+15550100', custom: { note: 'x\udc00' } }), 'custom.note: "x\\udc00" is not valid Unicode text (a lone UTF-16 surrogate at character 2)');
      // Characters beyond the BMP are text: a surrogate pair is one character.
      assert.equal(contactOf({ customerId: 'C😀', number: '+15550100', custom: { note: '中文 😀' } }).customerId, 'C😀');
    });

    it('bounds what custom fields hold: 16 levels deep, 1000 values in all (a cyclic object is refused, not followed)', function () {
      let deep: unknown = 'x';
      for (let i = 0; i < 17; i += 1) deep = { d: deep };
      assert.match(reasonOf({ customerId: 'C', number: '+15550100', custom: { deep } }), /^custom\.deep(\.d)+: nested more than 16 levels deep$/);
      assert.equal(reasonOf({ customerId: 'C', number: '+15550100', custom: { list: Array.from({ length: 1000 }, (_, i) => i) } }), 'custom: more than 1000 values in all (nested ones counted)');
      const cyclic: Record<string, unknown> = { a: 1 };
      cyclic.self = cyclic;
      assert.match(reasonOf({ customerId: 'C', number: '+15550100', custom: { cyclic } }), /^custom\.cyclic(\.self)+: nested more than 16 levels deep$/);
    });

    it('bounds the length of text values (10,000 characters) and names (256), as the store\'s schema does', function () {
      const row = { customerId: 'C', number: '+15550100' };
      const long = 'n'.repeat(10_000);
      assert.ok(typeof contactFromRow({ ...row, custom: { note: long }, attrs: { city: long } }, RULES) !== 'string', 'a value of 10,000 characters is taken');
      assert.match(reasonOf({ ...row, custom: { note: `${long}!` } }), /^custom\.note: "n+\.\.\. is 10001 characters long \(a text value has at most 10000\)$/);
      assert.match(reasonOf({ ...row, attrs: { city: `${long}!` } }), /^attrs\.city: .* is 10001 characters long/);
      assert.match(reasonOf({ ...row, custom: { n: { ['k'.repeat(257)]: 1 } } }), /^custom\.n\.k+(\.\.\.)?: "k+(\.\.\.)? is 257 characters long \(a name has at most 256\)$/);
      // The store refuses what the row check would: a document written by another path cannot bring them in.
      const stored = contactInput.check({ customerId: 'C', numbers: [{ number: '+15550100' }], custom: { note: `${long}!` } });
      assert.ok(!stored.ok && stored.problems.some((p) => /^custom\.note: .*up to 10,000 characters/.test(p)), JSON.stringify(stored.ok ? 'taken' : stored.problems));
    });
  });
});
