/**
 * Temporary folders for tests, removed whether the test passed or failed.
 *
 * `useTempDir(prefix)` in a describe block: `path` is a folder of the test that is running, made on first use;
 * `another()` makes one more. They are removed after the test, once every afterEach hook of the test has run (the
 * root hook in hooks.ts calls removeTestFolders), so a store or a process the test's own hooks close is closed
 * before its folder goes.
 *
 * `useTempDir(prefix, 'suite')`: the same for the whole describe block (a Node-RED home a `before` hook starts),
 * removed after the block's own `after` hooks have run. A folder a `before` hook uses needs this scope: in 'test'
 * scope it would be gone after the first test.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TempDir {
  /** The folder (the test's or the block's), made on first use. */
  readonly path: string;
  /** One more folder (named with `prefix`, or the one given to useTempDir), removed with the others. */
  another(prefix?: string): string;
}

/** What a folder set needs to be emptied: every set in 'test' scope is emptied after each test. */
const perTest = new Set<() => void>();

export function useTempDir(prefix: string, scope: 'test' | 'suite' = 'test'): TempDir {
  const made: string[] = [];
  const another = (named = prefix): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), named));
    made.push(dir);
    return dir;
  };
  const remove = (): void => {
    for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  };
  if (scope === 'test') {
    before(() => perTest.add(remove));
    // Also at the block's end, in case a run was started without the root hooks.
    after(() => {
      perTest.delete(remove);
      remove();
    });
  } else {
    // Added once the block runs, so that it comes after every `after` hook the block declares.
    before(function () {
      this.test?.parent?.afterAll('remove the temporary folders', remove);
    });
  }
  return {
    get path(): string {
      return made[0] ?? another();
    },
    another,
  };
}

/** Removes the folders of the test that just ended (the root afterEach hook, after the test's own hooks). */
export function removeTestFolders(): void {
  for (const remove of perTest) remove();
}
