/**
 * The simulated Asterisk in a process of its own, as a real Asterisk would
 * be: its work is not counted as the caller's, and it outlives a Node-RED
 * process that is killed. Used by the benchmarks, by the runtime tests
 * that run several Node-RED processes and by the tests of the command line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** The `callflow-asterisk-sim` command line (lib/sim/cli.ts, compiled). */
export const SIMULATOR_CLI = path.resolve(__dirname, '..', 'sim', 'cli.js');

/**
 * Starts `callflow-asterisk-sim` with `args` as given (`nodeArgs` go to Node before the script); resolves with its
 * base URL and what it printed once it has printed its whole banner (where ARI answers, down to how to read the
 * calls back). Its stderr is this process's.
 */
export async function startSimulatorCli(args: string[], nodeArgs: string[] = []): Promise<{ child: ChildProcess; url: string; out: string }> {
  const child = spawn(process.execPath, [...nodeArgs, SIMULATOR_CLI, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ARI at (http:\/\/[^/\s]+)\/ari/.exec(out);
      if (m?.[1] && out.includes('Read it back')) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`simulator exited (${code}): ${out}`)));
  });
  return { child, url, out };
}

/** Starts `callflow-asterisk-sim` on a free port at real time (extra arguments after those defaults); resolves with its base URL once ARI answers. */
export async function startSimulatorProcess(args: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const { child, url } = await startSimulatorCli(['--port', '0', '--speed', '1', ...args], ['--max-old-space-size=8192']);
  return { child, url };
}

/** Stops a simulator process (SIGINT, as Ctrl-C) and resolves with its exit code once it has exited. */
export async function stopSimulatorProcess(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  return exited;
}
