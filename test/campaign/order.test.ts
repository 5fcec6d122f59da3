/**
 * Call strategy (lib/campaign/order.ts): the rank each call order gives a
 * contact, checked the way the store uses it (contacts sorted by rank,
 * compared byte by byte, ties in import order); the order of a customer's
 * numbers in each multi-number mode; and the data-attribute filter.
 */
import assert from 'node:assert/strict';
import { numberOrder, passesFilter, rankOf } from '../../lib/campaign/order';
import type { AttributeFilter, CallOrder, FilterOp, MultiNumber } from '../../lib/schemas/campaign';
import type { AttrValue, ContactInput, ContactNumber } from '../../lib/schemas/store';

type Contact = Pick<ContactInput, 'customerId' | 'numbers' | 'priority' | 'attrs'>;

const contact = (customerId: string, more: Partial<Contact> = {}): Contact => ({ customerId, numbers: [{ number: '+8613800000000' }], ...more });
const withAttrs = (customerId: string, attrs: Record<string, AttrValue>): Contact => contact(customerId, { attrs });

/** Customer ids in the order the store calls them: by rank, byte-wise, then by input index. */
function called(contacts: readonly Contact[], order: CallOrder): string[] {
  return contacts
    .map((c, i) => ({ id: c.customerId, rank: Buffer.from(rankOf(c, order), 'latin1'), i }))
    .sort((a, b) => Buffer.compare(a.rank, b.rank) || a.i - b.i)
    .map((x) => x.id);
}

const byAttrs = (...attrs: [string, 'asc' | 'desc'][]): CallOrder => ({ by: 'attributes', attrs: attrs.map(([attr, direction]) => ({ attr, direction })) });

describe('campaign call order', function () {
  describe('rank', function () {
    it('is printable ASCII of at most 256 characters', function () {
      const long = 'x'.repeat(500);
      const ranks = [
        rankOf(contact('a'), { by: 'number', attrs: [] }),
        rankOf(contact('a', { priority: 2 }), { by: 'priority', attrs: [] }),
        rankOf(withAttrs('a', { s: 'héllo wörld\t\n', n: -3.5, b: true }), byAttrs(['s', 'asc'], ['n', 'desc'], ['b', 'asc'], ['missing', 'desc'])),
        rankOf(withAttrs('a', Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`a${i}`, long]))), byAttrs(...Array.from({ length: 10 }, (_, i): [string, 'asc' | 'desc'] => [`a${i}`, i % 2 ? 'asc' : 'desc']))),
      ];
      for (const r of ranks) {
        assert.match(r, /^[\x20-\x7e]*$/, JSON.stringify(r));
        assert.ok(r.length <= 256, `${r.length} characters`);
      }
    });
  });

  describe('attributes named as Object.prototype members', function () {
    it('rank a contact without them as missing (last), and one with them by their value', function () {
      for (const name of ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__']) {
        const order = byAttrs([name, 'asc']);
        const set: Record<string, AttrValue> = { other: 1 };
        Object.defineProperty(set, name, { value: 'b', enumerable: true });
        assert.equal(rankOf(withAttrs('x', { other: 1 }), order), rankOf(contact('y'), order), `${name}: missing`);
        assert.deepEqual(called([withAttrs('none', { other: 1 }), withAttrs('set', set)], order), ['set', 'none'], name);
      }
    });
  });

  describe('none', function () {
    it('keeps the input order (every contact has the same rank)', function () {
      const list = [contact('c', { priority: 1, numbers: [{ number: '+3' }] }), contact('a', { priority: 5, numbers: [{ number: '+1' }] }), contact('b')];
      assert.deepEqual(called(list, { by: 'none', attrs: [] }), ['c', 'a', 'b']);
      assert.equal(rankOf(list[0] as Contact, { by: 'none', attrs: [] }), rankOf(list[1] as Contact, { by: 'none', attrs: [] }));
    });
  });

  describe('by number', function () {
    it('orders by the first number numerically: +99 before +100', function () {
      const list = [
        contact('100', { numbers: [{ number: '+100' }] }),
        contact('99', { numbers: [{ number: '+99' }] }),
        contact('8613900000000', { numbers: [{ number: '+8613900000000' }] }),
        contact('8613800000000', { numbers: [{ number: '8613800000000' }, { number: '+1' }] }),
        contact('1000', { numbers: [{ number: '1000' }] }),
      ];
      assert.deepEqual(called(list, { by: 'number', attrs: [] }), ['99', '100', '1000', '8613800000000', '8613900000000']);
    });

    it('ties the same number with or without a + in input order', function () {
      const list = [contact('plain', { numbers: [{ number: '5551234' }] }), contact('plus', { numbers: [{ number: '+5551234' }] })];
      assert.deepEqual(called(list, { by: 'number', attrs: [] }), ['plain', 'plus']);
      assert.deepEqual(called(list.slice().reverse(), { by: 'number', attrs: [] }), ['plus', 'plain']);
    });
  });

  describe('by priority', function () {
    it('calls 1 first, 5 last of the set ones, and contacts without a priority after them all', function () {
      const list = [
        contact('none-1'),
        contact('p5', { priority: 5 }),
        contact('p1', { priority: 1 }),
        contact('p3-a', { priority: 3 }),
        contact('none-2'),
        contact('p2', { priority: 2 }),
        contact('p3-b', { priority: 3 }),
        contact('p4', { priority: 4 }),
      ];
      assert.deepEqual(called(list, { by: 'priority', attrs: [] }), ['p1', 'p2', 'p3-a', 'p3-b', 'p4', 'p5', 'none-1', 'none-2']);
    });
  });

  describe('by data attributes', function () {
    it('orders integers and negative numbers ascending and descending', function () {
      const list = [withAttrs('10', { n: 10 }), withAttrs('-5', { n: -5 }), withAttrs('0', { n: 0 }), withAttrs('2', { n: 2 }), withAttrs('-40', { n: -40 }), withAttrs('100', { n: 100 })];
      assert.deepEqual(called(list, byAttrs(['n', 'asc'])), ['-40', '-5', '0', '2', '10', '100']);
      assert.deepEqual(called(list, byAttrs(['n', 'desc'])), ['100', '10', '2', '0', '-5', '-40']);
    });

    it('orders decimals by their value (to the thousandth)', function () {
      const list = [withAttrs('3.15', { n: 3.15 }), withAttrs('3.14', { n: 3.14 }), withAttrs('-0.5', { n: -0.5 }), withAttrs('-0.25', { n: -0.25 }), withAttrs('2.5', { n: 2.5 }), withAttrs('3.1', { n: 3.1 })];
      assert.deepEqual(called(list, byAttrs(['n', 'asc'])), ['-0.5', '-0.25', '2.5', '3.1', '3.14', '3.15']);
      assert.deepEqual(called(list, byAttrs(['n', 'desc'])), ['3.15', '3.14', '3.1', '2.5', '-0.25', '-0.5']);
    });

    it('tells decimals a hundredth or a thousandth apart, near zero and further out', function () {
      const pairs: [number, number][] = [
        [0.01, 0.02],
        [-0.01, 0],
        [1.001, 1.002],
        [100.25, 100.3],
        [99999.99, 100000],
      ];
      for (const [lo, hi] of pairs) {
        const list = [withAttrs('hi', { n: hi }), withAttrs('lo', { n: lo })];
        assert.deepEqual(called(list, byAttrs(['n', 'asc'])), ['lo', 'hi'], `${lo} before ${hi} ascending`);
        assert.deepEqual(called(list.slice().reverse(), byAttrs(['n', 'desc'])), ['hi', 'lo'], `${hi} before ${lo} descending`);
      }
    });

    it('orders strings byte-wise, a prefix first ascending and last descending', function () {
      const list = [withAttrs('beta', { s: 'beta' }), withAttrs('alpha', { s: 'alpha' }), withAttrs('al', { s: 'al' }), withAttrs('Zulu', { s: 'Zulu' }), withAttrs('alphabet', { s: 'alphabet' }), withAttrs('10', { s: '10' }), withAttrs('9', { s: '9' })];
      assert.deepEqual(called(list, byAttrs(['s', 'asc'])), ['10', '9', 'Zulu', 'al', 'alpha', 'alphabet', 'beta']);
      assert.deepEqual(called(list, byAttrs(['s', 'desc'])), ['beta', 'alphabet', 'alpha', 'al', 'Zulu', '9', '10']);
    });

    it('orders booleans false before true ascending, true first descending', function () {
      const list = [withAttrs('t1', { b: true }), withAttrs('f1', { b: false }), withAttrs('t2', { b: true }), withAttrs('f2', { b: false })];
      assert.deepEqual(called(list, byAttrs(['b', 'asc'])), ['f1', 'f2', 't1', 't2']);
      assert.deepEqual(called(list, byAttrs(['b', 'desc'])), ['t1', 't2', 'f1', 'f2']);
    });

    it('puts a contact without the attribute last in both directions', function () {
      const list = [withAttrs('none', { other: 1 }), withAttrs('5', { n: 5 }), contact('no-attrs'), withAttrs('-1', { n: -1 }), withAttrs('7', { n: 7 })];
      assert.deepEqual(called(list, byAttrs(['n', 'asc'])), ['-1', '5', '7', 'none', 'no-attrs']);
      assert.deepEqual(called(list, byAttrs(['n', 'desc'])), ['7', '5', '-1', 'none', 'no-attrs']);
      const words = [withAttrs('none', {}), withAttrs('zz', { s: 'zz' }), withAttrs('}}', { s: '}}}' }), withAttrs('a', { s: 'a' })];
      assert.deepEqual(called(words, byAttrs(['s', 'asc'])), ['a', 'zz', '}}', 'none']);
      assert.deepEqual(called(words, byAttrs(['s', 'desc'])), ['}}', 'zz', 'a', 'none']);
    });

    it('orders by the second attribute among contacts equal in the first', function () {
      const list = [
        withAttrs('vip-old', { tier: 1, age: 70 }),
        withAttrs('std-young', { tier: 2, age: 20 }),
        withAttrs('vip-young', { tier: 1, age: 30 }),
        withAttrs('std-old', { tier: 2, age: 65 }),
        withAttrs('vip-unknown', { tier: 1 }),
        withAttrs('no-tier', { age: 10 }),
      ];
      assert.deepEqual(called(list, byAttrs(['tier', 'asc'], ['age', 'desc'])), ['vip-old', 'vip-young', 'vip-unknown', 'std-old', 'std-young', 'no-tier']);
      assert.deepEqual(called(list, byAttrs(['tier', 'desc'], ['age', 'asc'])), ['std-young', 'std-old', 'vip-young', 'vip-old', 'vip-unknown', 'no-tier']);
    });

    it('does not let a longer first value spill into the second attribute', function () {
      const list = [withAttrs('ab-2', { a: 'ab', b: 2 }), withAttrs('a-9', { a: 'a', b: 9 }), withAttrs('ab-1', { a: 'ab', b: 1 })];
      assert.deepEqual(called(list, byAttrs(['a', 'asc'], ['b', 'asc'])), ['a-9', 'ab-1', 'ab-2']);
      assert.deepEqual(called(list, byAttrs(['a', 'desc'], ['b', 'asc'])), ['ab-1', 'ab-2', 'a-9']);
    });

    it('keeps input order among equal values', function () {
      const list = [withAttrs('x', { n: 1 }), withAttrs('y', { n: 1 }), withAttrs('z', { n: 1 })];
      assert.deepEqual(called(list, byAttrs(['n', 'desc'])), ['x', 'y', 'z']);
    });
  });

  describe('numbers of a customer', function () {
    const nums: ContactNumber[] = [
      { number: '+1', type: 'home', seq: 3 },
      { number: '+2', type: 'mobile' },
      { number: '+3', type: 'work', seq: 1 },
      { number: '+4', seq: 2 },
      { number: '+5', type: 'mobile', seq: 1 },
    ];
    const order = (multi: MultiNumber): string[] => numberOrder(nums, multi).map((n) => n.number);

    it('sequence: as the contact lists them', function () {
      assert.deepEqual(order({ mode: 'sequence', types: ['work'] }), ['+1', '+2', '+3', '+4', '+5']);
    });

    it('type: by the type order, unlisted types and numbers without a type after, in their order', function () {
      assert.deepEqual(order({ mode: 'type', types: ['work', 'mobile'] }), ['+3', '+2', '+5', '+1', '+4']);
      assert.deepEqual(order({ mode: 'type', types: ['mobile', 'home', 'work'] }), ['+2', '+5', '+1', '+3', '+4']);
    });

    it('seq: by sequence number, ties in their order, numbers without one last', function () {
      assert.deepEqual(order({ mode: 'seq', types: [] }), ['+3', '+5', '+4', '+1', '+2']);
    });

    it('does not reorder the array it is given', function () {
      const copy = structuredClone(nums);
      numberOrder(nums, { mode: 'seq', types: [] });
      numberOrder(nums, { mode: 'type', types: ['work'] });
      assert.deepEqual(nums, copy);
    });
  });

  describe('data-attribute filter', function () {
    const f = (join: 'and' | 'or', ...conditions: [string, FilterOp, (string | number | boolean)?][]): AttributeFilter => ({
      join,
      conditions: conditions.map(([attr, op, value]) => (value === undefined ? { attr, op } : { attr, op, value })),
    });
    const attrs: Record<string, AttrValue> = { age: 42, score: '7.5', city: 'Shanghai', vip: true, code: '010', empty: '' };

    it('lets every contact through when there are no conditions', function () {
      assert.equal(passesFilter(undefined, { join: 'and', conditions: [] }), true);
      assert.equal(passesFilter(attrs, { join: 'or', conditions: [] }), true);
    });

    const cases: [string, FilterOp, string | number | boolean | undefined, boolean][] = [
      ['age', 'eq', 42, true],
      ['age', 'eq', 41, false],
      ['age', 'eq', '42', true],
      ['age', 'ne', 42, false],
      ['age', 'ne', 43, true],
      ['age', 'lt', 100, true],
      ['age', 'lt', 42, false],
      ['age', 'le', 42, true],
      ['age', 'gt', 9, true],
      ['age', 'gt', 42, false],
      ['age', 'ge', 42, true],
      ['age', 'ge', 43, false],
      // Numeric text against a number: compared as numbers (as text, "7.5" > "10").
      ['score', 'lt', 10, true],
      ['score', 'gt', 10, false],
      ['score', 'eq', 7.5, true],
      ['score', 'ge', 7.5, true],
      ['score', 'le', 7, false],
      ['code', 'eq', 10, true],
      ['code', 'lt', 9, false],
      // Text against text: compared as text.
      ['code', 'eq', '10', false],
      ['code', 'eq', '010', true],
      ['city', 'eq', 'Shanghai', true],
      ['city', 'eq', 'shanghai', false],
      ['city', 'ne', 'Beijing', true],
      ['city', 'lt', 'Tokyo', true],
      ['city', 'gt', 'Beijing', true],
      ['city', 'contains', 'ngha', true],
      ['city', 'contains', 'NGHA', false],
      ['age', 'contains', 4, true],
      ['age', 'contains', '2', true],
      ['age', 'contains', 5, false],
      ['vip', 'eq', true, true],
      ['vip', 'eq', false, false],
      ['vip', 'ne', false, true],
      // Text that is not a number against a number: not equal.
      ['city', 'eq', 1, false],
      ['city', 'ne', 1, true],
      ['empty', 'eq', 0, false],
      // exists, and a missing attribute (only ne holds for it).
      ['age', 'exists', undefined, true],
      ['empty', 'exists', undefined, true],
      ['missing', 'exists', undefined, false],
      ['missing', 'eq', 1, false],
      ['missing', 'ne', 1, true],
      ['missing', 'lt', 1, false],
      ['missing', 'contains', 'a', false],
    ];
    for (const [attr, op, value, expected] of cases) {
      it(`${attr} ${op} ${JSON.stringify(value)} is ${expected}`, function () {
        assert.equal(passesFilter(attrs, f('and', value === undefined ? [attr, op] : [attr, op, value])), expected);
      });
    }

    it('and: every condition must hold', function () {
      assert.equal(passesFilter(attrs, f('and', ['age', 'ge', 18], ['city', 'eq', 'Shanghai'], ['vip', 'exists'])), true);
      assert.equal(passesFilter(attrs, f('and', ['age', 'ge', 18], ['city', 'eq', 'Beijing'])), false);
      assert.equal(passesFilter(attrs, f('and', ['age', 'ge', 18], ['missing', 'exists'])), false);
    });

    it('or: one condition is enough', function () {
      assert.equal(passesFilter(attrs, f('or', ['age', 'lt', 18], ['city', 'eq', 'Shanghai'])), true);
      assert.equal(passesFilter(attrs, f('or', ['age', 'lt', 18], ['city', 'eq', 'Beijing'], ['missing', 'exists'])), false);
    });

    it('treats a contact without attributes as missing every one', function () {
      assert.equal(passesFilter(undefined, f('and', ['age', 'exists'])), false);
      assert.equal(passesFilter(undefined, f('and', ['age', 'ne', 1])), true);
      assert.equal(passesFilter(undefined, f('or', ['age', 'gt', 1], ['city', 'eq', 'x'])), false);
    });

    it('an attribute named as an Object.prototype member is missing unless the contact has it (not Object\'s function)', function () {
      for (const name of ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__']) {
        assert.equal(passesFilter(attrs, f('and', [name, 'exists'])), false, `${name} exists`);
        assert.equal(passesFilter(attrs, f('and', [name, 'ne', 'x'])), true, `${name} ne x`);
        assert.equal(passesFilter(attrs, f('and', [name, 'contains', 'function'])), false, `${name} contains "function"`);
        const own: Record<string, AttrValue> = {};
        Object.defineProperty(own, name, { value: 'set', enumerable: true });
        assert.equal(passesFilter(own, f('and', [name, 'eq', 'set'])), true, `${name} eq its own value`);
      }
    });

    it('a condition other than exists without a value does not hold', function () {
      assert.equal(passesFilter(attrs, { join: 'and', conditions: [{ attr: 'age', op: 'eq' }] }), false);
    });
  });
});
