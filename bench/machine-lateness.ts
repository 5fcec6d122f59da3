/**
 * What the machine alone does to a 20 ms timer: a process of its own with nothing else to do sends itself a tick
 * every 20 ms, each due at start + 20 n ms (as lib/media's pacer counts), and keeps how late each fired. Run beside
 * a bench (fork, then send it "start" and "stop"), it tells how much of a figure is the operating system scheduling
 * busy cores rather than the code measured: on an idle machine it is a fraction of a millisecond. runQueueSecondsOf
 * tells how long a process waited for a core.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import { summary } from './support';

/**
 * Seconds a process's main thread (a Node process's event loop) has spent runnable but waiting for a core, from
 * /proc/<pid>/schedstat (its second field, in nanoseconds; Linux with schedstats). NaN where it cannot be read.
 */
export function runQueueSecondsOf(pid: number): number {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
  } catch {
    return Number.NaN;
  }
}

/**
 * Seconds run and waited for a core (/proc/<pid>/task/<tid>/schedstat) by the process's main thread and by all its
 * other threads together (the RTP worker thread, libuv's pool, V8's helpers); zeros where they cannot be read.
 */
export function threadSecondsOf(pid: number): { main: { ran: number; waited: number }; others: { ran: number; waited: number } } {
  const out = { main: { ran: 0, waited: 0 }, others: { ran: 0, waited: 0 } };
  let tasks: string[] = [];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      const [ran, waited] = fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      const into = tid === String(pid) ? out.main : out.others;
      into.ran += (ran ?? 0) / 1e9;
      into.waited += (waited ?? 0) / 1e9;
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

/** How late the probe's ticks fired (ms): the figures bench/support.ts summary gives. */
export type Lateness = ReturnType<typeof summary>;

/** Starts the probe in its own process; `stop()` ends it and resolves with how late its ticks were (ms). */
export async function startLatenessProbe(): Promise<{ stop: () => Promise<Lateness> }> {
  const child = fork(__filename, ['--probe'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`the lateness probe exited (${code})`)));
  });
  return {
    stop: () =>
      new Promise<Lateness>((resolve) => {
        child.once('message', (m) => {
          child.kill();
          resolve(m as Lateness);
        });
        child.send('stop');
      }),
  };
}

function probe(): void {
  const late: number[] = [];
  const start = performance.now();
  let n = 0;
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    const now = performance.now();
    late.push(now - (start + n * 20));
    n = Math.floor((now - start) / 20) + 1;
    timer = setTimeout(tick, start + n * 20 - performance.now());
  };
  timer = setTimeout(tick, 20);
  n = 1;
  process.on('message', () => {
    clearTimeout(timer);
    process.send?.(summary(late));
  });
  process.send?.('ready');
}

if (process.argv.includes('--probe')) probe();
