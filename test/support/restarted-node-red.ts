/**
 * A real Node-RED process on a test's simulated Asterisk, to be killed (SIGKILL) and started again on the same user
 * directory (test/runtime/*-restart.test.ts). Registers its mocha hooks: the simulator starts before the block; the
 * last 60-80 lines of output are printed after a failed test (or with DEBUG_RESTART); the process is stopped and the
 * simulator closed after the block.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { OutputLines, prepareHome, startNodeRed, waitForOutput } from '../../lib/playground/home';
import { startSimulator, type Simulator } from '../../lib/sim';
import type { SimulatorServerOptions } from '../../lib/sim/server';
import { useTempDir } from './temp-dir';

export interface RestartedNodeRed {
  /** The simulator (after the block's `before`). */
  readonly sim: Simulator;
  /** The user directory. */
  readonly home: string;
  /** Everything the processes printed. */
  readonly lines: OutputLines;
  /** The process running now, if any. */
  readonly child: ChildProcess | undefined;
  /** Starts Node-RED on `port` with `flows` (the connection node `ast` gets the simulator's credentials); resolves once its flows started. */
  start(port: number, flows: Record<string, unknown>[]): Promise<ChildProcess>;
  /** Kills the running process as a crash would (SIGKILL, no clean-up) and waits for it to be gone. */
  kill(): Promise<void>;
  /** A line printed from line `from` on: one printed already, or the next (within 30 s by default). */
  seen(pattern: RegExp, from?: number, timeoutMs?: number): Promise<string>;
}

export function useRestartedNodeRed(prefix: string, simulator: SimulatorServerOptions = {}, printLines = 80): RestartedNodeRed {
  const home = useTempDir(prefix, 'suite');
  const lines = new OutputLines();
  let sim: Simulator | undefined;
  let child: ChildProcess | undefined;

  before(async function () {
    sim = await startSimulator(simulator);
  });

  afterEach(function () {
    if (process.env.DEBUG_RESTART || this.currentTest?.state === 'failed') console.log(lines.all.slice(-printLines).join('\n'));
  });

  after(async function () {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
    }
    await sim?.close();
  });

  const running = (): ChildProcess => {
    if (!child) throw new Error('no Node-RED is running');
    return child;
  };

  return {
    get sim() {
      if (!sim) throw new Error('the simulator starts in the block\'s before hook');
      return sim;
    },
    get home() {
      return home.path;
    },
    lines,
    get child() {
      return child;
    },
    async start(port, flows) {
      const { settings } = prepareHome({ dir: home.path, port, flows, replaceFlows: true });
      fs.writeFileSync(path.join(home.path, 'flows_cred.json'), JSON.stringify({ ast: { username: 'asterisk', password: 'asterisk' } }));
      const started = startNodeRed({ dir: home.path, settings, onOutput: (l) => lines.push(l) });
      child = started;
      await waitForOutput(started, lines, /Started flows/, 45_000);
      return started;
    },
    async kill() {
      const process = running();
      const exited = new Promise((resolve) => process.once('exit', resolve));
      process.kill('SIGKILL');
      await exited;
    },
    seen(pattern, from = 0, timeoutMs = 30_000) {
      const line = lines.all.slice(from).find((l) => pattern.test(l));
      return line !== undefined ? Promise.resolve(line) : waitForOutput(running(), lines, pattern, timeoutMs);
    },
  };
}
