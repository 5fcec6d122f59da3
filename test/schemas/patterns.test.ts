/**
 * Schema patterns rewritten so that V8 runs them in linear time (bench/patterns
 * measures that) still mean what they meant: the dial strings, whose
 * {number} between two unbounded repeats backtracked quadratically, now find
 * it with a lookahead; the same strings pass and fail.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { campaignSchema } from '../../lib/schemas/campaign';
import { transferConfig } from '../../lib/schemas/elements';

const TEMPLATED = '[A-Za-z0-9_.{}+*#@:;=/-]';
/** The patterns as they were. */
const BEFORE = {
  campaign: '^[^\\s]*\\{number\\}[^\\s]*$',
  transfer: `^[A-Za-z0-9]+/${TEMPLATED}*\\{number\\}${TEMPLATED}*$`,
};
const NOW = {
  campaign: (campaignSchema.properties.dialString as { pattern: string }).pattern,
  transfer: ((transferConfig.schema as { properties: Record<string, { pattern: string }> }).properties.dialString as { pattern: string }).pattern,
};

/** Short strings of the pieces dial strings are made of, so that both patterns are quick on them. */
const dialStrings = fc
  .array(fc.constantFrom('PJSIP', '/', '{number}', '{number', 'number}', '{', '}', '@', 'trunk', '&', ' ', '\t', 'é', 'a', '0', '.', ':', 'sip:', '\n'), { maxLength: 8 })
  .map((parts) => parts.join(''));

describe('schema patterns rewritten for linear time', function () {
  for (const which of ['campaign', 'transfer'] as const) {
    it(`the ${which} dial string pattern takes the same strings as before`, function () {
      const before = new RegExp(BEFORE[which], 'u');
      const now = new RegExp(NOW[which], 'u');
      assert.notEqual(NOW[which], BEFORE[which]);
      for (const s of ['PJSIP/{number}@trunk', 'PJSIP/trunk', 'Local/{number}@from-internal', 'PJSIP/{number}@trunk x', '/{number}', '{number}']) {
        assert.equal(now.test(s), before.test(s), s);
      }
      fc.assert(
        fc.property(dialStrings, (s) => now.test(s) === before.test(s)),
        { numRuns: 3000 },
      );
    });
  }
});
