/**
 * The simulator reads an originate's caller id ("Name" <number>) by hand:
 * the regular expression it used backtracked in cubic time on a long run of
 * spaces. It reads every caller id as that expression did.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseCallerId } from '../../lib/sim/asterisk';

/** What the simulator did before (fine on the short strings of this test). */
function before(callerId: string | undefined): { name: string; number: string } {
  if (!callerId) return { name: '', number: '' };
  const m = /^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$/.exec(callerId);
  if (m) return { name: m[1]?.trim() ?? '', number: m[2]?.trim() ?? '' };
  return { name: '', number: callerId.trim() };
}

describe('simulator caller ids', function () {
  it('reads "Name" <number>, Name <number> and a bare number', function () {
    assert.deepEqual(parseCallerId('"Bob Smith" <+4930123>'), { name: 'Bob Smith', number: '+4930123' });
    assert.deepEqual(parseCallerId(' Bob <100> '), { name: 'Bob', number: '100' });
    assert.deepEqual(parseCallerId('100'), { name: '', number: '100' });
    assert.deepEqual(parseCallerId(undefined), { name: '', number: '' });
    assert.deepEqual(parseCallerId(`${' '.repeat(100_000)}x`), { name: '', number: 'x' });
  });

  it('reads every caller id as the regular expression it replaced', function () {
    const ids = fc.array(fc.constantFrom('"', '<', '>', ' ', '\t', 'a', 'B', '1', '+', '\u00a0'), { maxLength: 12 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(ids, (id) => {
        assert.deepEqual(parseCallerId(id), before(id), JSON.stringify(id));
      }),
      { numRuns: 5000 },
    );
  });
});
