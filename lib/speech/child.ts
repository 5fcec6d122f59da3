/**
 * One run of a local speech engine (espeak-ng, pocketsphinx) as a child process, safely: an argument array and never
 * a shell; the input on stdin; a deadline and a bound on what it writes (killed at either); killed when the caller's
 * signal fires (the call hung up). stderr is read whole but only its last 4000 characters are kept. Failures are
 * SpeechErrors that name the engine; the exit code and stderr go back to the caller, who knows what they mean.
 */
import { spawn } from 'node:child_process';
import { SpeechError } from './provider';

export interface EngineRun {
  /** The program to start (on the PATH, or a path). */
  command: string;
  args: readonly string[];
  /** Written to stdin, which is then closed. */
  input: Buffer | string;
  timeoutMs: number;
  /** The most stdout may hold, in bytes. */
  maxBytes: number;
  signal?: AbortSignal;
  /** How messages start: "local speech". */
  shown: string;
  /** The engine's name in messages: "espeak-ng". */
  program: string;
  /** What installs it on Debian: "apt-get install espeak-ng". */
  install: string;
  /** What stdout holds, for the too-large message: " of audio". */
  output?: string;
}

export interface EngineExit {
  code: number | null;
  stdout: Buffer;
  /** The last 4000 characters stderr wrote. */
  stderr: string;
}

const STDERR_KEPT = 4000;

export function runEngine(run: EngineRun): Promise<EngineExit> {
  const { signal, shown, program } = run;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new SpeechError('aborted', `${shown}: cancelled`));
      return;
    }
    const child = spawn(run.command, run.args, { stdio: ['pipe', 'pipe', 'pipe'], shell: false, windowsHide: true });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let stderr = '';
    let failure: SpeechError | undefined;
    const stop = (error: SpeechError): void => {
      failure ??= error;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop(new SpeechError('timeout', `${shown}: ${program} took longer than ${run.timeoutMs} ms`)), run.timeoutMs);
    const onAbort = (): void => stop(new SpeechError('aborted', `${shown}: cancelled`));
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > run.maxBytes) stop(new SpeechError('too-large', `${shown}: ${program} wrote more than ${run.maxBytes} bytes${run.output ?? ''}`));
      else chunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      if (stderr.length > 2 * STDERR_KEPT) stderr = stderr.slice(-STDERR_KEPT);
    });
    // Input longer than the pipe's buffer while the child has died: the write fails with EPIPE, reported by 'close'.
    child.stdin.on('error', () => undefined);
    child.on('error', (err: NodeJS.ErrnoException) => {
      failure ??=
        err.code === 'ENOENT'
          ? new SpeechError('unavailable', `${shown}: ${run.command} is not installed (on Debian: ${run.install})`)
          : new SpeechError('unavailable', `${shown}: ${run.command} could not start (${err.message})`);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (failure) reject(failure);
      else resolve({ code, stdout: Buffer.concat(chunks), stderr: stderr.slice(-STDERR_KEPT) });
    });
    child.stdin.end(run.input);
  });
}
