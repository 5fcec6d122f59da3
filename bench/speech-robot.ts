/**
 * What bench/speech (the simulated Asterisk) and bench/speech-asterisk (a real one) share: the robot flow they run,
 * the stand-in providers' process (bench/speech-providers.ts), the caller's timing, the targets, and the log of the
 * plugin's requests (to Asterisk and to the providers) that tells where a turn's time went.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import diagnostics from 'node:diagnostics_channel';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Lateness } from './machine-lateness';
import { flag, ms, summary } from './support';

export const END_SILENCE_MS = 800;
export const SAY_MS = 1200;
export const PAUSE_MS = 300;
export const TARGET_ADDED_P99_MS = 50;
export const TARGET_JITTER_P99_MS = 5;

export function positive(name: string, fallback: number): number {
  const v = Number(flag(name) ?? fallback);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number >= 0, got ${flag(name)}`);
  return v;
}

/** The stand-in providers in a process of their own; resolves with their base URL. */
export async function startProviders(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [path.join(__dirname, 'speech-providers.js'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /providers at (http:\/\/\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`the stand-in providers exited (${code}): ${out}`)));
  });
  return { child, url };
}

/**
 * The robot flow: callflow-entry -> callflow-bot -> callflow-hangup, its speech node on the stand-ins at `providers`,
 * its replies served from `publicUrl` (this process's HTTP server, as Asterisk fetches them). The connection (node
 * b0000000000000a1, its credentials given apart) is to ARI at `ariUrl`, application `app`. With `shared`, the replies
 * are written into a folder Asterisk reads (`dir`, its `<datadir>/sounds/<soundPrefix>`) instead.
 */
export function flows(ariUrl: string, providers: string, publicUrl: string, dir: string, turns: number, peer: { name: string; app: string; shared?: { dir: string; soundPrefix: string }; voicePath?: 'playback' | 'stream' } = { name: 'simulated Asterisk', app: 'callflow' }): Record<string, unknown>[] {
  const z = 'b0000000000000t1';
  return [
    { id: z, type: 'tab', label: 'speech bench' },
    { id: 'b0000000000000a1', type: 'callflow-asterisk', name: peer.name, useSimulator: false, url: ariUrl, app: peer.app, idleTimeoutSec: '120' },
    {
      id: 'b0000000000000s1',
      type: 'callflow-speech',
      provider: 'openai',
      voice: 'alloy',
      language: 'en',
      baseUrl: providers,
      model: 'tts-1',
      rate: 8000,
      delivery: peer.shared ? 'shared' : 'http',
      publicUrl,
      directory: peer.shared?.dir ?? dir,
      soundPrefix: peer.shared?.soundPrefix ?? 'callflow-tts',
      cacheMB: 1000,
      timeoutSec: 15,
      concurrency: 64,
      recognizer: 'whisper',
      sttBaseUrl: providers,
      sttModel: 'whisper-1',
      sttFormat: 'json',
      sttMaxSec: 30,
    },
    { id: 'b0000000000000e1', type: 'callflow-entry', z, connection: 'b0000000000000a1', flow: 'robot', x: 100, y: 100, wires: [['b0000000000000b1']] },
    {
      id: 'b0000000000000b1',
      type: 'callflow-bot',
      z,
      speech: 'b0000000000000s1',
      kind: 'chat',
      url: providers,
      model: 'bench',
      instructions: 'Answer the caller.',
      greeting: '',
      maxTurns: turns,
      timeoutSec: 10,
      startTimeoutSec: 10,
      speechMaxSec: 15,
      endSilenceMs: END_SILENCE_MS,
      language: 'en',
      voicePath: peer.voicePath ?? 'playback',
      onError: 'hangup',
      outputs: 3,
      x: 300,
      y: 100,
      wires: [['b0000000000000h1'], ['b0000000000000h1'], ['b0000000000000h1']],
    },
    { id: 'b0000000000000h1', type: 'callflow-hangup', z, reason: 'normal', x: 500, y: 100, wires: [] },
  ];
}


/** The line that says what the busy machine did meanwhile to a process with nothing to do. */
export function idleProcess(l: Lateness): string {
  return `  meanwhile, an idle process's 20 ms timer on this machine (bench/machine-lateness.ts) fired late by p50 ${ms(l.p50)}, p99 ${ms(l.p99)}, max ${ms(l.max)}: the machine's share of the figures above`;
}

/**
 * How long each request to the providers took as the plugin saw it (Node's `http.client.request.start` and
 * `http.client.response.finish` diagnostics channels), per path.
 */
export class RequestLog {
  /** Requests to the providers, per path: from the request made to its answer read (ms). */
  readonly providers = new Map<string, number[]>();
  private readonly started = new WeakMap<object, number>();
  private readonly finished = (message: unknown): void => {
    const { request } = message as { request: { path: string } };
    const at = this.started.get(request);
    if (at === undefined || !request.path.startsWith('/v1/')) return;
    const list = this.providers.get(request.path) ?? [];
    list.push(performance.now() - at);
    this.providers.set(request.path, list);
  };

  private readonly listener = (message: unknown): void => {
    const { request } = message as { request: object };
    this.started.set(request, performance.now());
  };

  start(): void {
    diagnostics.subscribe('http.client.request.start', this.listener);
    diagnostics.subscribe('http.client.response.finish', this.finished);
  }

  stop(): void {
    diagnostics.unsubscribe('http.client.request.start', this.listener);
    diagnostics.unsubscribe('http.client.response.finish', this.finished);
  }
}

/** The providers' requests as the plugin saw them and as the stand-ins did (their delay and their own lateness). */
export async function printProviderWaits(requests: RequestLog, providersUrl: string): Promise<void> {
  const theirs = (await (await fetch(`${providersUrl}/timings`)).json()) as Record<string, number[]>;
  for (const [path, seen] of requests.providers) {
    const ours = summary(seen);
    const stand = summary(theirs[path] ?? []);
    console.log(`    ${path}: the plugin waited p50 ${ms(ours.p50)}, p99 ${ms(ours.p99)}; the stand-in answered ${ms(stand.p50)}, p99 ${ms(stand.p99)} after the body came`);
  }
}

/**
 * --pin: this process (Node-RED and the plugin, every thread of it) on the upper half of the cores, `others` (the
 * simulator or Asterisk, the stand-in providers, the callers) on the lower half, as a real Asterisk and real providers
 * run on machines of their own.
 * Children forked later (the lateness probe) share this process's cores. Linux's `taskset` (util-linux).
 */
export function pinProcesses(others: number[], what = 'the simulator and the stand-in providers'): string {
  const cores = os.cpus().length;
  if (cores < 2) throw new Error('--pin needs at least 2 cores');
  const half = Math.floor(cores / 2);
  const range = (from: number, to: number): string => (from === to ? String(from) : `${from}-${to}`);
  for (const pid of others) execFileSync('taskset', ['-a', '-p', '-c', range(0, half - 1), String(pid)], { stdio: 'ignore' });
  execFileSync('taskset', ['-a', '-p', '-c', range(half, cores - 1), String(process.pid)], { stdio: 'ignore' });
  return `  pinned (--pin): Node-RED and the plugin on core ${range(half, cores - 1)}; ${what} on core ${range(0, half - 1)}`;
}

/** Asterisk's process on this machine, by --asterisk-pid or by name; 0 when not found. */
export function asteriskPid(): number {
  const given = flag('--asterisk-pid');
  if (given !== undefined) {
    if (!/^[1-9]\d*$/.test(given)) throw new Error(`--asterisk-pid ${given}: a process id is a positive whole number`);
    return Number(given);
  }
  const nameOf = (pid: string): string => {
    try {
      return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      return ''; // gone meanwhile
    }
  };
  const found = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d) && nameOf(d) === 'asterisk');
  return found.length === 1 ? Number(found[0]) : 0;
}

/** The options both Asterisk benches take (their headers say what each means), checked; ARI_PASSWORD from the environment. */
export function asteriskOptions(): { ariUrl: string; user: string; password: string; endpoint: string; app: string; host: string; format: string; callFormat: string; worker: boolean; voicePath: 'playback' | 'stream' } {
  const ariUrl = flag('--ari');
  if (!ariUrl || !/^http:\/\/[^/]+$/.test(ariUrl)) throw new Error("--ari http://host:port (Asterisk's HTTP server, without /ari) is required");
  const password = process.env.ARI_PASSWORD;
  if (!password) throw new Error("set ARI_PASSWORD to the ARI user's password (ari.conf)");
  const voicePath = flag('--voice-path') ?? 'playback';
  if (voicePath !== 'playback' && voicePath !== 'stream') throw new Error(`--voice-path must be playback or stream, got ${JSON.stringify(voicePath)}`);
  return {
    voicePath,
    ariUrl,
    user: flag('--user') ?? 'asterisk',
    password,
    endpoint: flag('--endpoint') ?? 'Local/robot@to-nodered',
    app: flag('--app') ?? 'callflow',
    host: flag('--host') ?? '127.0.0.1',
    format: flag('--format') ?? 'slin16',
    callFormat: flag('--call-format') ?? 'ulaw',
    worker: !process.argv.includes('--no-worker'),
  };
}
