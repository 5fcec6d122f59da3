/**
 * normalizeAriUrl drops trailing slashes and a final /ari by hand: the
 * regular expression it used (/\/+$/) backtracked quadratically on a long
 * run of slashes. It gives what it gave before.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { normalizeAriUrl } from '../../lib/ari/preflight';

/** The path part as it was computed before. */
function before(url: string): string {
  const parsed = new URL(url.trim());
  const path = parsed.pathname.replace(/\/+$/, '').replace(/\/ari$/, '');
  return `${parsed.protocol}//${parsed.host}${path}`;
}

describe('ARI URL', function () {
  it('drops trailing slashes and /ari, as before', function () {
    assert.equal(normalizeAriUrl('http://pbx:8088/ari/'), 'http://pbx:8088');
    assert.equal(normalizeAriUrl('http://pbx:8088/asterisk/ari//'), 'http://pbx:8088/asterisk');
    assert.equal(normalizeAriUrl('https://pbx/'), 'https://pbx');
    const paths = fc.array(fc.constantFrom('/', 'ari', 'a', '/ari', '//', '%2F', '.'), { maxLength: 8 }).map((parts) => `http://pbx:8088/${parts.join('')}`);
    fc.assert(
      fc.property(paths, (url) => {
        assert.equal(normalizeAriUrl(url), before(url), url);
      }),
      { numRuns: 2000 },
    );
  });

  it('takes a path of 100,000 slashes in its stride', function () {
    assert.equal(normalizeAriUrl(`http://pbx:8088/a${'/'.repeat(100_000)}b/`), `http://pbx:8088/a${'/'.repeat(100_000)}b`);
  });
});
