/**
 * The collect node's patterns (lib/ivr/pattern.ts): RE2 syntax, checked
 * against the whole input, refused with RE2's reason when RE2 cannot run
 * them, bounded in size and input; and a pattern a user wrote for V8's
 * RegExp ("^(?:p)$") means the same on digit strings.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DigitPattern, MAX_INPUT, MAX_PATTERN, PatternError, patternProblem } from '../../lib/ivr/pattern';

/** What the collect node did before: V8's RegExp, anchored. */
const v8 = (pattern: string, input: string): boolean => new RegExp(`^(?:${pattern})$`).test(input);

describe('collect patterns (RE2)', function () {
  it('accepts what digit patterns are written with', function () {
    for (const p of ['4[0-9]{3}', '[0-9]{6,10}', '\\d{4}', '(\\d{3})+', '(?:00|\\+)?\\d+', '[1-9][0-9]*', '\\*\\d{2}#?', '1|2|3', '(?<area>\\d{3})\\d{7}', '[^0]\\d*', '.{4}', '(\\d+)+']) {
      assert.equal(patternProblem(p), undefined, p);
    }
  });

  it('refuses backreferences, lookahead and lookbehind with the reason, and what does not parse', function () {
    const refused: [string, RegExp][] = [
      ['(\\d)\\1', /invalid escape sequence: `\\1` \(backreferences are not supported\)/],
      ['(?=1)\\d+', /unsupported Perl syntax: `\(\?=` \(lookahead and lookbehind are not supported\)/],
      ['(?!0)\\d+', /`\(\?!` \(lookahead and lookbehind are not supported\)/],
      ['(?<=1)2', /lookahead and lookbehind are not supported/],
      ['(?<!1)2', /lookahead and lookbehind are not supported/],
      ['([0-9]', /missing closing \)/],
      ['\\d**', /invalid nested repetition operator/],
      ['\\d{1001}', /invalid repeat count/],
    ];
    for (const [p, reason] of refused) {
      assert.match(patternProblem(p) ?? 'accepted', reason, p);
      assert.throws(() => DigitPattern.compile(p), (err: unknown) => err instanceof PatternError && err.pattern === p && err.message.startsWith(`${JSON.stringify(p)} is not accepted: `));
    }
  });

  it('refuses a pattern longer than 200 characters, and one whose program is too large to run cheaply', function () {
    assert.match(patternProblem('1'.repeat(MAX_PATTERN + 1)) ?? '', /longer than 200 characters \(201\)/);
    assert.equal(patternProblem('1'.repeat(MAX_PATTERN)), undefined);
    assert.match(patternProblem('\\d{1000}\\d{1000}\\d{1000}') ?? '', /too complex \(its program has \d+ steps, at most 2000\)/);
  });

  it('checks the whole input', function () {
    const p = DigitPattern.compile('1|23');
    assert.deepEqual(['1', '23', '123', '12', '230', ''].map((s) => p.matches(s)), [true, true, false, false, false, false]);
    const q = DigitPattern.compile('4[0-9]{3}');
    assert.deepEqual(['4242', '42424', '14242', '424'].map((s) => q.matches(s)), [true, false, false, false]);
  });

  it('never runs on more than 64 keys', function () {
    const p = DigitPattern.compile('\\d+');
    assert.equal(p.matches('1'.repeat(MAX_INPUT)), true);
    assert.throws(() => p.matches('1'.repeat(MAX_INPUT + 1)), /the input to match is 65 characters long; at most 64/);
  });

  it('answers "(\\d+)+" on 31 and 63 digits then * (V8 would backtrack for minutes to centuries)', function () {
    // RE2 runs in time linear in the input: these return at once; in V8 the first takes about 95 s.
    const p = DigitPattern.compile('(\\d+)+');
    assert.equal(p.matches(`${'1'.repeat(31)}*`), false);
    assert.equal(p.matches(`${'1'.repeat(63)}*`), false);
    assert.equal(p.matches('1'.repeat(64)), true);
  });

  it('means what V8 meant on digit strings, for the patterns users write', function () {
    const common = ['4[0-9]{3}', '[0-9]{6,10}', '\\d{4}', '(\\d{3})+', '(?:00|\\*)?\\d+#?', '[1-9][0-9]*', '1|2|3', '(\\d)?(\\d\\d)*', '[^0]\\d{0,3}', '.{2,4}', '(?:1|12)(?:2|)3?'];
    const compiled = new Map(common.map((p) => [p, DigitPattern.compile(p)]));
    const inputs = fc.array(fc.constantFrom(...'0123456789*#'), { maxLength: 12 }).map((keys) => keys.join(''));
    fc.assert(
      fc.property(fc.constantFrom(...common), inputs, (p, s) => compiled.get(p)?.matches(s) === v8(p, s)),
      { numRuns: 2000 },
    );
  });

  it('means what V8 meant on digit strings, for random patterns of classes, groups, alternation and quantifiers', function () {
    // Nested three deep at most and run on at most 8 keys, from a fixed seed: V8's backtracking on these stays small
    // and the test takes the same time on every run (a random seed once drew a pattern V8 took seconds on).
    const atom = fc.constantFrom('\\d', '[0-9]', '[1-5]', '[^5]', '.', '0', '1', '7', '\\*', '#', '[*#]', '[0-9*]');
    const quantifier = fc.constantFrom('', '', '*', '+', '?', '{2}', '{1,3}', '{0,2}', '{2,}', '*?', '+?', '??');
    const expr = (inner: fc.Arbitrary<string>): fc.Arbitrary<string> => {
      const item = fc.tuple(inner, quantifier).map(([a, q]) => a + q);
      const sequence = fc.array(item, { minLength: 1, maxLength: 3 }).map((items) => items.join(''));
      return fc.array(sequence, { minLength: 1, maxLength: 2 }).map((alternatives) => alternatives.join('|'));
    };
    const group = (e: fc.Arbitrary<string>): fc.Arbitrary<string> => fc.tuple(fc.constantFrom('(', '(?:'), e).map(([open, body]) => `${open}${body})`);
    const level1 = expr(atom);
    const level2 = expr(fc.oneof(atom, group(level1)));
    const level3 = expr(fc.oneof(atom, group(level2)));
    const inputs = fc.array(fc.constantFrom(...'0123456789*#'), { maxLength: 8 }).map((keys) => keys.join(''));
    fc.assert(
      fc.property(level3, fc.array(inputs, { minLength: 1, maxLength: 8 }), (p, list) => {
        fc.pre(p.length <= MAX_PATTERN);
        const re2 = DigitPattern.compile(p);
        for (const s of list) if (re2.matches(s) !== v8(p, s)) return false;
        return true;
      }),
      { numRuns: 200, seed: 20_250_412 },
    );
  });
});
