/**
 * bench/ivr-heap: what a call in progress keeps on the plugin's heap. The
 * "IVR menu" example in an embedded Node-RED (bench/ivr-plugin.ts), the
 * simulator in a process of its own (prompts of zero length), the callers of
 * bench/ivr-callers.ts. After a warm-up it writes a heap snapshot with no
 * call in progress, then one with `--calls` calls in progress (each after
 * forced GCs), then one after those calls ended; compare them with
 * bench/heap-diff. `--app anchor` does the same on the hand-written ARI
 * application (bench/anchor-ivr-menu.ts), so the two keep what they keep
 * under the same measurement.
 *
 *   node --expose-gc dist/bench/ivr-heap.js --dir DIR [--calls 1000] [--warmup 200] [--app plugin|anchor]
 */
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import { startApp, type AppName } from './ivr-apps';
import { CALL_MS, Driver } from './ivr-callers';
import { heapMb, settled } from './ivr-probe';
import { flag, startSimulatorProcess } from './support';

async function main(): Promise<void> {
  const dir = flag('--dir');
  if (!dir) throw new Error('--dir is missing');
  const calls = Number(flag('--calls') ?? 1000);
  const warmup = Number(flag('--warmup') ?? 200);
  const name = (flag('--app') ?? 'plugin') as AppName;
  if (name !== 'plugin' && name !== 'anchor') throw new Error(`--app is plugin or anchor, not ${String(name)}`);
  fs.mkdirSync(dir, { recursive: true });
  const { child, url } = await startSimulatorProcess(['--media-ms', '0', '--app', 'callflow']);
  try {
    const app = await startApp(name, url, 'callflow');
    const driver = new Driver(url, (listener) => app.onEnded(listener));
    await driver.ramp(100, CALL_MS / 4);
    await driver.until(warmup);
    driver.target = 0;
    await driver.drained();
    let idle = 0;
    let busy = { mb: 0, calls: 0 };
    const snap = (what: string): void => {
      const mb = heapMb();
      const calls = app.callCount();
      const file = v8.writeHeapSnapshot(path.join(dir, `${what}.heapsnapshot`));
      const per = calls > 0 ? `, ${(((mb - idle) * 1024) / calls).toFixed(2)} KB per call in progress against idle` : '';
      console.log(`${what}: ${calls} calls in progress, heap ${mb.toFixed(2)} MB${per}, ${file}`);
      if (what === 'idle') idle = mb;
      if (what === 'busy') busy = { mb, calls };
      // As bench/ivr-compare measures it: against the same process once the calls ended.
      if (what === 'after' && busy.calls > 0) console.log(`  ${(((busy.mb - mb) * 1024) / busy.calls).toFixed(2)} KB per call in progress against after`);
    };
    snap('idle');
    await driver.ramp(calls, CALL_MS / 2);
    // Let the calls reach their steady mix of menu, digits and goodbyes.
    await driver.until(driver.ended + calls / 2);
    const left = await settled(Math.ceil(calls / 100));
    console.log(`(${left} requests in flight at the busy snapshot)`);
    snap('busy');
    driver.target = 0;
    await driver.drained();
    snap('after');
    console.log(app.leftovers());
    await app.stop();
  } finally {
    child.kill('SIGINT');
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
