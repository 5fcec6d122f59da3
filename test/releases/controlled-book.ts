/**
 * A release book on a real embedded store that a test can hold or make fail
 * (ControlledStore), opened before each test and closed after it; the
 * editors who use it; v1 made official. The release book's test files
 * (book.test.ts, book-deploys.test.ts) share it.
 */
import assert from 'node:assert/strict';
import type { Actor } from '../../lib/releases/book';
import { ControlledStore, deployed, harness, type Harness } from './support';

export const alice: Actor = { user: 'alice', editor: 'ed-alice' };
export const bob: Actor = { user: 'bob', editor: 'ed-bob' };
export const carol: Actor = { user: 'carol', editor: 'ed-carol' };

export interface ControlledBook {
  /** The harness of the running test. */
  readonly h: Harness;
  /** The store between the book and the real one. */
  store: () => ControlledStore;
  /** v1 official, deployed with v2 (Unreleased). */
  officialV1: () => Promise<void>;
}

/** Opens the harness before each test of the calling describe block and closes it after (a failing store healed first). */
export function useControlledBook(): ControlledBook {
  let h: Harness | undefined;
  let controlled: ControlledStore | undefined;

  beforeEach(async function () {
    controlled = undefined;
    h = await harness({
      wrapStore: (real) => {
        controlled = new ControlledStore(real);
        return controlled;
      },
    });
  });

  afterEach(async function () {
    if (controlled) controlled.failing = undefined;
    await h?.close();
  });

  const book: ControlledBook = {
    get h(): Harness {
      assert.ok(h);
      return h;
    },
    store: () => {
      assert.ok(controlled);
      return controlled;
    },
    officialV1: async () => {
      const { h } = book;
      await h.deploy([deployed('v1'), deployed('v2')]);
      await h.book.release('sales', 'v1', { target: 'official', comment: 'launch' }, alice);
      h.advance(1000);
    },
  };
  return book;
}
