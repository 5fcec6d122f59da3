/**
 * Fuzz: the contacts CSV parser, the export's cells and the contact row
 * checks, fed random and hostile text. The parser reads every text or
 * refuses it with a clear error naming the row; what the export writes
 * reads back as written (formulas defused); a row is a contact or a clear
 * reason, never a crash.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { contactFromRow, type ContactRules } from '../../lib/campaign/contacts';
import { csvCell, csvRecords } from '../../lib/campaign/csv';
import { clearMessage, FRAGMENTS, hostileRecord, hostileString, hostileValue, protoName, runs } from './hostile';

/** CSV-ish text: the characters that matter to a CSV parser, mixed with hostile fragments. */
const csvText = fc
  .array(fc.oneof(fc.constantFrom('"', ',', '\r', '\n', '\r\n', '""', '\ufeff', 'customerId', 'number', 'a', '1', ' '), fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 4 })), { maxLength: 60 })
  .map((parts) => parts.join(''));

/** A row that would be accepted but for one hostile field: where a check that is missing shows. */
const nearlyValidRow = fc
  .record({
    customerId: fc.oneof(fc.stringMatching(/^[A-Za-z0-9-]{1,12}$/), hostileString.filter((s) => s.length < 60)),
    number: fc.oneof(fc.stringMatching(/^\+?[0-9]{4,15}$/), hostileString.filter((s) => s.length < 60)),
    type: fc.constantFrom('mobile', 'home', 'x', ''),
    priority: fc.oneof(fc.integer({ min: 1, max: 5 }), hostileValue),
    'attr.vip': fc.oneof(fc.constantFrom('true', '1', 'gold'), hostileString.filter((s) => s.length < 60)),
    'custom.note': hostileString.filter((s) => s.length < 200),
    'attr.__proto__': fc.oneof(fc.constantFrom('north', '7'), hostileString.filter((s) => s.length < 60)),
    'custom.constructor': hostileString.filter((s) => s.length < 200),
    attrs: fc.dictionary(protoName, fc.oneof(fc.constantFrom('a', 1, true), hostileValue), { maxKeys: 3 }),
    custom: fc.dictionary(protoName, hostileValue, { maxKeys: 3 }),
  }, { requiredKeys: ['customerId', 'number'] });

// Ordered by attributes, one of them named as an Object.prototype member (lib/own.ts).
const RULES: ContactRules = { numberTypes: ['mobile', 'home', 'work', 'other'], order: { by: 'attributes', attrs: [{ attr: 'vip', direction: 'desc' }, { attr: 'toString', direction: 'asc' }, { attr: '__proto__', direction: 'desc' }] } };

describe('fuzz: contacts CSV and rows', function () {
  it('parses any text into records, or refuses it with a clear error naming the header or row', function () {
    fc.assert(
      fc.property(fc.oneof(csvText, hostileString), (text) => {
        let last = 0;
        try {
          for (const r of csvRecords(text)) {
            assert.ok(r.row > last, 'data rows are numbered in order');
            last = r.row;
            for (const v of Object.values(r.record)) assert.equal(typeof v, 'string');
            assert.equal(Object.getPrototypeOf(r.record), Object.prototype, 'a column named __proto__ stays a column');
          }
        } catch (err) {
          assert.ok(err instanceof Error, 'the parser throws Errors');
          assert.match(err.message, /^CSV (header|row \d+)/, `the error names where: ${err.message.slice(0, 200)}`);
          assert.equal(clearMessage(err.message), undefined, err.message.slice(0, 200));
        }
      }),
      runs(400),
    );
  });

  it('reads back what the export writes: every cell as written, a formula defused with a leading quote', function () {
    const cell = fc.oneof(hostileString, fc.string({ maxLength: 10 }));
    fc.assert(
      fc.property(fc.array(fc.array(cell, { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 5 }), (rows) => {
        const text = ['a,b,c', ...rows.map((r) => r.map(csvCell).join(','))].join('\r\n');
        const expected = rows.map((r) => r.map((v) => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v)));
        const read = [...csvRecords(text)];
        // Rows whose cells are all empty are skipped, as a spreadsheet's blank lines are.
        const kept = expected.filter((r) => r.some((v) => v !== ''));
        assert.deepEqual(
          read.map((r) => [r.record.a, r.record.b, r.record.c]),
          kept,
        );
        for (const r of read) assert.equal(r.extra, undefined, 'no cell spills into another column');
      }),
      runs(300),
    );
  });

  it('turns any row into a contact or a clear reason naming the field, never a throw', function () {
    const keys = ['customerId', 'number', 'numbers', 'priority', 'attrs', 'custom', 'attr.vip', 'custom.note', 'number.mobile', 'type', 'attr.__proto__', 'custom.__proto__', 'attr.constructor'];
    fc.assert(
      fc.property(fc.oneof({ weight: 3, arbitrary: nearlyValidRow }, { weight: 3, arbitrary: hostileRecord(keys) }, { weight: 1, arbitrary: hostileValue }), (row) => {
        const out = contactFromRow(row, RULES);
        if (typeof out === 'string') {
          assert.equal(clearMessage(out), undefined, `${clearMessage(out)}: ${out.slice(0, 200)}`);
          assert.match(out, /^\S[^]*?: \S/, `the reason names the field: ${out.slice(0, 200)}`);
        } else {
          assert.equal(typeof out.customerId, 'string');
          assert.ok(out.customerId.length > 0);
          assert.ok(out.numbers.length > 0, 'an accepted contact has a number to call');
          for (const n of out.numbers) assert.match(n.number, /^\+?[0-9]{2,32}$/, 'only phone numbers reach a dial string');
          assert.doesNotMatch(JSON.stringify(out), /\\u000[0-8bcef]|\\u001[0-9a-f]|\ufffd/, 'no control character or undecodable text is stored');
          for (const dict of [out.attrs, out.custom]) if (dict) assert.equal(Object.getPrototypeOf(dict), Object.prototype, 'a field named __proto__ is an own field, not the prototype');
        }
      }),
      runs(400),
    );
  });
});
