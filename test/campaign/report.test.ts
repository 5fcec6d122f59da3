/**
 * A campaign's figures (lib/campaign/report.ts): results counted by their code, a name the flow chooses.
 */
import assert from 'node:assert/strict';
import { campaignReport } from '../../lib/campaign/report';
import type { Store, StoredContact } from '../../lib/store/port';

/** A store that holds finished contacts with these result codes (only what the report reads). */
function storeWith(codes: string[]): Store {
  const items = codes.map((code, i) => ({ customerId: `C${i}`, state: 'done', attempts: [{ outcome: 'answered' }], result: { code, at: 0 } }) as unknown as StoredContact);
  return { pageContacts: () => Promise.resolve({ items }) } as unknown as Store;
}

describe('campaign report', function () {
  it('counts results whose codes are named as Object.prototype members (constructor, __proto__, toString) as their own entries', async function () {
    const { figures } = await campaignReport(storeWith(['constructor', 'constructor', '__proto__', 'toString', 'valueOf', 'sale']), 'c1');
    assert.deepEqual(Object.entries(figures.results), [['constructor', 2], ['__proto__', 1], ['toString', 1], ['valueOf', 1], ['sale', 1]]);
    assert.equal(Object.getPrototypeOf(figures.results), Object.prototype);
    assert.deepEqual(figures.outcomes, { answered: 6 });
    assert.equal(figures.finished, 6);
  });
});
