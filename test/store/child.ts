/**
 * A second process on an embedded store file, driven by the store tests:
 *   node child.js import <file> <firstBatch> <batchSize>  imports batches b<first>, b<first+1>, ... until killed,
 *                                                          printing "acked <n>" after each one is committed
 *   node child.js claim <file> <campaign> <worker>        prints "ready", waits for a line on stdin, then claims
 *                                                          (limit 5) until nothing is due, printing each claimed
 *                                                          customer id, then "done"
 */
import { EmbeddedStore } from '../../lib/store/embedded';

async function main(): Promise<void> {
  const [mode, file, a, b] = process.argv.slice(2);
  if (!file) throw new Error('usage: child.js import|claim <file> ...');
  const store = new EmbeddedStore({ file, busyTimeoutMs: 30_000 });
  await store.open();
  if (mode === 'import') {
    const size = Number(b);
    for (let batch = Number(a); ; batch += 1) {
      const rows = Array.from({ length: size }, (_, i) => ({ customerId: `b${batch}-${i}`, numbers: [{ number: `+1555${String(batch).padStart(3, '0')}${String(i).padStart(4, '0')}` }] }));
      await store.importContacts('crash', rows, 1000);
      process.stdout.write(`acked ${batch}\n`);
    }
  }
  if (mode === 'claim') {
    // Start together with the test's own claims.
    process.stdout.write('ready\n');
    await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
    process.stdin.destroy();
    for (;;) {
      const claims = await store.claimDue(a ?? 'c', 1000, 5, b ?? 'child', 60_000);
      if (claims.length === 0) break;
      process.stdout.write(claims.map((c) => `${c.contact.customerId}\n`).join(''));
    }
    process.stdout.write('done\n');
    await store.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
