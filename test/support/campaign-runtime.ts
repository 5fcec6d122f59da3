/**
 * What the campaign tests read back after a run: every stored contact of a
 * task (page by page), and, for the tests that run Node-RED processes, the
 * task's counters once the runtime's admin API says it completed.
 */
import assert from 'node:assert/strict';
import type { Store, StoredContact } from '../../lib/store/port';

/** Every stored contact of a campaign, in the store's order. */
export async function allContacts(store: Pick<Store, 'pageContacts'>, campaign: string): Promise<StoredContact[]> {
  const out: StoredContact[] = [];
  let after: string | undefined;
  do {
    const page = await store.pageContacts(campaign, { limit: 1000, ...(after ? { after } : {}) });
    out.push(...page.items);
    after = page.next;
  } while (after);
  return out;
}

/** Polls a Node-RED's `GET /callflow/campaigns` until its first task is completed; resolves with its counters, fails after `withinMs`. */
export function completedCounters(port: number, withinMs: number, everyMs = 200): Promise<Record<string, number> | undefined> {
  return new Promise((resolve, reject) => {
    const until = Date.now() + withinMs;
    const check = (): void => {
      fetch(`http://127.0.0.1:${port}/callflow/campaigns`)
        .then(async (r) => (await r.json()) as { state?: string; counters?: Record<string, number> }[])
        .then((list) => {
          if (list[0]?.state === 'completed') resolve(list[0].counters);
          else if (Date.now() > until) reject(new Error(`not completed: ${JSON.stringify(list)}`));
          else setTimeout(check, everyMs);
        })
        .catch(reject);
    };
    check();
  });
}

/** Every contact of a finished task: `count` of them, each done with its one final result and its attempts numbered 1, 2, ... once. */
export function assertEveryContactFinal(contacts: readonly StoredContact[], count: number): void {
  assert.equal(contacts.length, count);
  for (const c of contacts) {
    assert.equal(c.state, 'done', `${c.customerId}: ${JSON.stringify(c.attempts)}`);
    assert.ok(c.result, `${c.customerId} has its one final result`);
    assert.deepEqual(
      c.attempts.map((x) => x.n),
      c.attempts.map((_, i) => i + 1),
      `${c.customerId}: attempts numbered once each`,
    );
  }
}
