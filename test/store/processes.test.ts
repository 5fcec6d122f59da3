/**
 * The embedded store across processes: an import killed with SIGKILL in the
 * middle of its batches loses no acknowledged batch and leaves no batch half
 * written; two processes claiming from one file never get the same contact
 * and leave the file intact.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import Database from 'better-sqlite3';
import { EmbeddedStore } from '../../lib/store/embedded';
import { useTempDir } from '../support/temp-dir';

const CHILD = path.join(__dirname, 'child.js');

function start(args: string[]): { child: ChildProcess; lines: readline.Interface; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, lines: readline.createInterface({ input: child.stdout as NodeJS.ReadableStream }), exited };
}

function integrity(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return String(db.pragma('integrity_check', { simple: true }));
  } finally {
    db.close();
  }
}

describe('embedded store: processes', function () {
  this.timeout(60_000);
  const temp = useTempDir('callflow-store-proc-');

  it('keeps every acknowledged batch and no half batch when the importing process is killed with SIGKILL', async function () {
    const file = path.join(temp.path, 'crash.db');
    const size = 500;
    const acked = new Set<number>();
    let next = 0;
    // Three rounds: each kills the importer right after an acknowledgement, while it writes the next batch.
    for (const killAfter of [7, 3, 11]) {
      const { child, lines, exited } = start(['import', file, String(next), String(size)]);
      let seen = 0;
      await new Promise<void>((resolve) => {
        lines.on('line', (line) => {
          const m = /^acked (\d+)$/.exec(line);
          if (!m) return;
          acked.add(Number(m[1]));
          seen += 1;
          if (seen === killAfter) {
            child.kill('SIGKILL');
            resolve();
          }
        });
      });
      assert.equal(await exited, null, 'killed, not exited');
      next = Math.max(...acked) + 2; // skip the batch that was in flight: it may or may not be there

      const store = new EmbeddedStore({ file });
      await store.open();
      try {
        const perBatch = new Map<number, number>();
        for (let page = await store.pageContacts('crash', { limit: 1000 }); ; ) {
          for (const c of page.items) {
            const batch = Number(/^b(\d+)-/.exec(c.customerId)?.[1]);
            perBatch.set(batch, (perBatch.get(batch) ?? 0) + 1);
          }
          if (!page.next) break;
          page = await store.pageContacts('crash', { limit: 1000, after: page.next });
        }
        for (const b of acked) assert.equal(perBatch.get(b), size, `acknowledged batch ${b} is whole`);
        for (const [b, n] of perBatch) assert.ok(n === size, `batch ${b} is whole or absent (found ${n} of ${size})`);
      } finally {
        await store.close();
      }
      assert.equal(integrity(file), 'ok');
    }
    assert.ok(acked.size >= 21);
  });

  it('two processes claiming from one file never get the same contact, and lose none', async function () {
    const file = path.join(temp.path, 'shared.db');
    const store = new EmbeddedStore({ file });
    await store.open();
    const total = 3000;
    await store.importContacts(
      'c',
      Array.from({ length: total }, (_, i) => ({ customerId: `k${i}`, numbers: [{ number: `+1555${String(i).padStart(6, '0')}` }] })),
      1000,
    );
    const { child, lines, exited } = start(['claim', file, 'c', 'other-process']);
    const theirs: string[] = [];
    let childDone = false;
    let childClaimed: () => void = () => undefined;
    const firstOfTheirs = new Promise<void>((resolve) => (childClaimed = resolve));
    const ready = new Promise<void>((resolve) => {
      lines.on('line', (line) => {
        if (line === 'ready') resolve();
        else if (line === 'done') {
          childDone = true;
          childClaimed();
        } else {
          theirs.push(line);
          childClaimed();
        }
      });
    });
    await ready;
    child.stdin?.write('go\n');
    const mine: string[] = [];
    for (;;) {
      const claims = await store.claimDue('c', 1000, 5, 'this-process', 60_000);
      if (claims.length === 0) break;
      mine.push(...claims.map((c) => c.contact.customerId));
      // Both must be claiming at once: after our first claim, wait for the other process's first.
      if (mine.length === claims.length) await firstOfTheirs;
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(await exited, 0);
    assert.ok(childDone);
    await store.close();
    const all = [...mine, ...theirs];
    assert.equal(new Set(all).size, all.length, 'no contact claimed twice');
    assert.equal(all.length, total, 'every contact claimed');
    assert.ok(theirs.length > 0 && mine.length > 0, `both processes claimed (${mine.length} here, ${theirs.length} there)`);
    assert.equal(integrity(file), 'ok');
  });
});
