/**
 * bench/ivr-heap: what a call in progress keeps on the plugin's heap. The
 * "IVR menu" example in an embedded Node-RED (bench/ivr-plugin.ts), the
 * simulator in a process of its own (prompts of zero length), the callers of
 * bench/ivr-callers.ts. After a warm-up it writes a heap snapshot with no
 * call in progress, then one with `--calls` calls in progress (each after
 * forced GCs), then one after those calls ended; compare them with
 * bench/heap-diff.
 *
 *   node --expose-gc dist/bench/ivr-heap.js --dir DIR [--calls 1000] [--warmup 200]
 */
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import { startApp } from './ivr-apps';
import { CALL_MS, Driver } from './ivr-callers';
import { heapMb } from './ivr-probe';
import { flag, startSimulatorProcess } from './support';

async function main(): Promise<void> {
  const dir = flag('--dir');
  if (!dir) throw new Error('--dir is missing');
  const calls = Number(flag('--calls') ?? 1000);
  const warmup = Number(flag('--warmup') ?? 200);
  fs.mkdirSync(dir, { recursive: true });
  const { child, url } = await startSimulatorProcess(['--media-ms', '0', '--app', 'callflow']);
  try {
    const app = await startApp('plugin', url, 'anchor');
    const driver = new Driver(url, (listener) => app.onEnded(listener));
    await driver.ramp(100, CALL_MS / 4);
    await driver.until(warmup);
    driver.target = 0;
    await driver.drained();
    const snap = (name: string): void => {
      const mb = heapMb();
      const file = v8.writeHeapSnapshot(path.join(dir, `${name}.heapsnapshot`));
      console.log(`${name}: ${app.callCount()} calls in progress, heap ${mb.toFixed(2)} MB, ${file}`);
    };
    snap('idle');
    await driver.ramp(calls, CALL_MS / 2);
    // Let the calls reach their steady mix of menu, digits and goodbyes.
    await driver.until(driver.ended + calls / 2);
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
