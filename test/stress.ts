/**
 * The suite on a busy machine: runs the whole mocha suite `--runs` times in
 * a row (default 10) while `--busy` other processes (default 1) each keep a
 * core saturated with a busy loop, and says which runs and which tests
 * failed. A test that depends on the machine's speed fails here first.
 *
 *   npm run test:stress                      (after npm run build; or: node dist/test/stress.js [--runs 10] [--busy 1])
 *
 * Exits 1 when any run failed. docs/architecture.md (Tests) says how it is used.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name}: a whole number (got ${process.argv[i + 1]})`);
  return value;
}

/** A process that keeps one core busy until killed. */
function busyLoop(): ChildProcess {
  return spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
}

/** One run of the suite: its exit code and the titles of the tests that failed. */
function runSuite(root: string): Promise<{ code: number; failed: string[]; summary: string; out: string }> {
  return new Promise((resolve) => {
    const mocha = path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
    const child = spawn(process.execPath, [mocha, '--reporter', 'dot'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      // The dot reporter lists failures as "  1) suite\n       test:".
      const failed = [...out.matchAll(/^\s+\d+\) (.+)\n\s+(.+):$/gm)].map((m) => `${m[1]} > ${m[2]}`);
      const summary = [...out.matchAll(/^\s+(\d+ (?:passing|pending|failing).*)$/gm)].map((m) => m[1]).join(', ');
      resolve({ code: code ?? 1, failed, summary, out });
    });
  });
}

async function main(): Promise<void> {
  const runs = flag('--runs', 10);
  const busy = flag('--busy', 1);
  const root = path.resolve(__dirname, '..', '..');
  const loops = Array.from({ length: busy }, busyLoop);
  const stop = (): void => {
    for (const l of loops) l.kill('SIGKILL');
  };
  process.once('SIGINT', () => {
    stop();
    process.exit(130);
  });
  let bad = 0;
  try {
    console.log(`the suite ${runs} time(s), with ${busy} busy loop(s) beside it`);
    for (let i = 1; i <= runs; i += 1) {
      const started = Date.now();
      const r = await runSuite(root);
      const took = ((Date.now() - started) / 1000).toFixed(0);
      console.log(`run ${i}: ${r.code === 0 ? 'passed' : 'FAILED'} in ${took} s (${r.summary})`);
      for (const f of r.failed) console.log(`   failed: ${f}`);
      if (r.code !== 0) {
        bad += 1;
        // The whole output of a failed run (stack traces, fast-check's seed and counterexample) for whoever reads the failure.
        const file = path.join(os.tmpdir(), `callflow-stress-run-${process.pid}-${i}.log`);
        fs.writeFileSync(file, r.out);
        console.log(`   its output: ${file}`);
      }
    }
  } finally {
    stop();
  }
  console.log(bad === 0 ? `every run passed` : `${bad} of ${runs} run(s) failed`);
  process.exitCode = bad === 0 ? 0 : 1;
}

void main();
