/** The simulator's command line (lib/sim/cli.ts) as the tests run it: a child process, its URL and what it printed. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const SIM_CLI = path.resolve(__dirname, '../../lib/sim/cli.js');

/** Starts the command line with `args` and resolves once it has said where ARI answers and how to place a call. */
export async function startSimCli(args: string[]): Promise<{ child: ChildProcess; url: string; out: string }> {
  const child = spawn(process.execPath, [SIM_CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ARI at (http:\/\/[^/\s]+)\/ari/.exec(out);
      if (m?.[1] && out.includes('Read it back')) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  return { child, url, out };
}

/** Stops it with SIGINT; resolves with its exit code. */
export async function stopSimCli(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  return exited;
}
