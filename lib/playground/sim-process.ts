/**
 * The simulated Asterisk in a process of its own, as a real Asterisk would
 * be: its work is not counted as the caller's, and it outlives a Node-RED
 * process that is killed. Used by the benchmarks and by the runtime tests
 * that run several Node-RED processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const cli = path.resolve(__dirname, '..', 'sim', 'cli.js');

/** Starts `callflow-asterisk-sim` on a free port (extra arguments after the defaults); resolves with its base URL once ARI answers. */
export async function startSimulatorProcess(args: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--max-old-space-size=8192', cli, '--port', '0', '--speed', '1', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ARI at (http:\/\/[^/\s]+)\/ari/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`simulator exited (${code}): ${out}`)));
  });
  return { child, url };
}

/** Stops a simulator process (SIGINT, as Ctrl-C) and waits for it to exit. */
export async function stopSimulatorProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  await exited;
}
