/**
 * How the store conformance suite opens its stores: a harness per backend
 * (a fresh store on empty data, a second one on the same data, clean-up),
 * one suite per backend whose parts read the stores of the running test,
 * and the assertions every part uses (a refused call, a listing paged to its end).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StoreError, type Page, type PageOptions, type Store, type StoreErrorKind } from '../../lib/store/port';

export interface StoreHarness {
  /** A fresh, opened store on empty data. */
  store: Store;
  /** Opens another store on the same data (same file, same database). */
  second: () => Promise<Store>;
  /** Closes every store the harness opened and removes the data. */
  cleanup: () => Promise<void>;
}

/** The stores of the running test, set before each test of a suite. */
export interface LiveStores {
  store: Store;
  second: () => Promise<Store>;
}

/**
 * A describe block over a backend: every test gets a fresh store from
 * `make` (in `live`), cleaned up after it, pass or fail; with `skip` the
 * whole block is pending and the output says why.
 */
export function conformanceSuite(title: string, make: () => Promise<StoreHarness>, skip: string | undefined, parts: (live: LiveStores) => void): void {
  describe(title, function () {
    before(function () {
      if (skip === undefined) return;
      // Say why, in the test output, then mark every test of the suite pending.
      console.log(`      SKIPPED: ${skip}`);
      this.skip();
    });
    const live = {} as LiveStores;
    let cleanup: (() => Promise<void>) | undefined;
    beforeEach(async function () {
      const h = await make();
      live.store = h.store;
      live.second = h.second;
      cleanup = h.cleanup;
    });
    afterEach(async function () {
      const c = cleanup;
      cleanup = undefined;
      if (c) await c();
    });
    parts(live);
  });
}

/** The promise rejects with a StoreError of this kind whose message matches each pattern. */
export async function refused(promise: Promise<unknown>, kind: StoreErrorKind, ...mentions: RegExp[]): Promise<StoreError> {
  let caught: unknown;
  let settled = false;
  try {
    await promise;
    settled = true;
  } catch (err) {
    caught = err;
  }
  assert.ok(!settled, `expected a StoreError '${kind}', but the call succeeded`);
  assert.ok(caught instanceof StoreError, `expected a StoreError '${kind}', got ${String(caught)}`);
  assert.equal(caught.kind, kind, `kind of "${caught.message}"`);
  for (const m of mentions) assert.match(caught.message, m);
  return caught;
}

/**
 * Every item of a listing, following `next` until it is absent. Checks the
 * paging rules on the way: no page above the limit, and no empty page
 * except an empty listing's only one (so `next` is absent on the last page).
 */
export async function pageAll<T>(limit: number, page: (options: PageOptions) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let after: string | undefined;
  for (let n = 0; n < 100_000; n += 1) {
    const p = await page(after === undefined ? { limit } : { limit, after });
    assert.ok(p.items.length <= limit, `a page of ${p.items.length} items for a limit of ${limit}`);
    if (n > 0 || p.next !== undefined) assert.ok(p.items.length > 0, 'an empty page was reached through a next cursor (next must be absent on the last page)');
    items.push(...p.items);
    if (p.next === undefined) return items;
    assert.equal(typeof p.next, 'string');
    after = p.next;
  }
  return assert.fail('paging did not end');
}

/**
 * A harness over `make` (each call a store on the same data): the first
 * store opened, `second` opening more, and clean-up closing them all before
 * `drop` removes the data.
 */
export async function harnessOf(make: () => Store, drop: () => Promise<void>): Promise<StoreHarness> {
  const opened: Store[] = [];
  const open = async (): Promise<Store> => {
    const s = make();
    opened.push(s);
    await s.open();
    return s;
  };
  const store = await open();
  return {
    store,
    second: open,
    cleanup: async () => {
      for (const s of opened) await s.close();
      await drop();
    },
  };
}

/**
 * A harness for a store kept in one file: a temporary folder per test,
 * `make(file)` for the store and each second one on the same file, all
 * closed and the folder removed at cleanup.
 */
export function fileStoreHarness(make: (file: string) => Store): () => Promise<StoreHarness> {
  return async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callflow-store-'));
    const file = path.join(dir, 'callflow.db');
    return harnessOf(
      () => make(file),
      () => fs.promises.rm(dir, { recursive: true, force: true }),
    );
  };
}
