/**
 * The main thread's side of the RTP worker thread (media-thread.ts): `RemoteEndpoint` is an RtpEndpoint that lives
 * on the worker (the same API, RtpMediaEndpoint), so the 50 packets a second of each media path are parsed, ordered,
 * decoded, analysed and paced there, and this event loop only hears the analysis's events and a play's end (the
 * speech's frames being events too when a streaming recogniser asked for them: analysis.ts).
 *
 * One worker for the process (`mediaThread()`), started with the first endpoint; it keeps Node alive only while it
 * holds endpoints. If it stops (an uncaught error, killed), every endpoint it held fails with a sentence saying so: what waits
 * on it (listen, play, analyse) rejects, and its failure listeners (the media path, which then closes: channels hung
 * up, bridge destroyed) hear it; its sockets went with the thread. The next endpoint starts a new worker.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { AnalysisCommand, AnalysisEvent, AnalysisSpec } from './analysis';
import { checkPortRange, emptyStats, NoPortError, type EndpointStats, type RtpEndpointOptions, type RtpMediaEndpoint } from './endpoint';
import type { Figures, FromThread, ToThread } from './media-thread';

/** The worker and the endpoints it holds. */
export class MediaThread {
  private worker: Worker | undefined;
  private readonly endpoints = new Map<number, RemoteEndpoint>();
  private nextId = 1;
  /** Messages heard from the worker (what crosses to this thread; tests and bench/ read it). */
  heard = 0;

  /** Endpoints open on the worker. */
  get size(): number {
    return this.endpoints.size;
  }

  /** @internal */
  attach(endpoint: RemoteEndpoint): number {
    const id = this.nextId++;
    this.endpoints.set(id, endpoint);
    this.keepAlive();
    return id;
  }

  /** @internal */
  detach(id: number): void {
    this.endpoints.delete(id);
    this.keepAlive();
  }

  /** @internal Posts to the worker, starting it when there is none. */
  post(message: ToThread): void {
    this.started().postMessage(message);
  }

  /** Ends the worker (node-red closing, a test); the endpoints it held fail. */
  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    await worker.terminate();
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(path.join(__dirname, 'media-thread.js'));
    let failure: Error | undefined;
    worker.on('message', (m: FromThread) => {
      this.heard++;
      this.endpoints.get(m.id)?.receive(m);
    });
    worker.on('error', (err) => (failure = err));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      const why = failure ? `it failed: ${failure.message}` : `it exited (code ${code})`;
      const error = new Error(`the RTP worker thread stopped (${why})`);
      const held = [...this.endpoints.values()];
      this.endpoints.clear();
      for (const e of held) e.fail(error);
    });
    this.worker = worker;
    this.keepAlive();
    return worker;
  }

  /** The worker keeps Node alive while it holds endpoints (as their sockets would in this thread), not otherwise. */
  private keepAlive(): void {
    // After the listeners are added: adding a 'message' listener refs the worker's port again.
    if (this.endpoints.size > 0) this.worker?.ref();
    else this.worker?.unref();
  }
}

let thread: MediaThread | undefined;

/** This process's RTP worker thread. */
export function mediaThread(): MediaThread {
  thread ??= new MediaThread();
  return thread;
}

interface Waiting<T> {
  resolve: (value: T) => void;
  reject: (err: Error) => void;
}

export class RemoteEndpoint implements RtpMediaEndpoint {
  readonly stats: EndpointStats = emptyStats();
  local: { address: string; port: number } | undefined;
  private lateness: number[] = [];
  private readonly id: number;
  private listening: Waiting<{ address: string; port: number }> | undefined;
  private readonly plays = new Map<number, Waiting<void>>();
  private readonly answers = new Map<number, Waiting<AnalysisEvent | undefined>>();
  private req = 0;
  /** The analysis's decision once made (what it answers every later command with). */
  private decision: AnalysisEvent | undefined;
  /** The analysis now running (one more at each reanalyse): what the worker says of an earlier one is dropped. */
  private gen = 0;
  /** What the running analysis works out (undefined: none). */
  private analysis: RtpEndpointOptions['analysis'];
  private closed = false;
  /** Settles with the analysis's decision at close, once the worker closed it. */
  private closing: Promise<AnalysisEvent | undefined> | undefined;
  private settleClosing: Waiting<AnalysisEvent | undefined> | undefined;
  private failure: Error | undefined;
  private readonly failureListeners: ((err: Error) => void)[] = [];

  constructor(
    private readonly options: RtpEndpointOptions,
    private readonly thread: MediaThread = mediaThread(),
  ) {
    checkPortRange(options);
    this.analysis = options.analysis;
    this.id = thread.attach(this);
  }

  get sendLateness(): readonly number[] {
    return this.lateness;
  }

  listen(): Promise<{ address: string; port: number }> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('endpoint closed'));
    const o = this.options;
    return new Promise((resolve, reject) => {
      this.listening = { resolve, reject };
      this.send({
        op: 'open',
        id: this.id,
        options: { host: o.host, min: o.min, max: o.max, format: o.format, rate: o.rate, jitterDepth: o.jitterDepth, ptimeMs: o.ptimeMs, analysis: o.analysis, fillGaps: o.fillGaps, frames: o.onAudio !== undefined },
      });
    });
  }

  setRemote(address: string, port: number): void {
    if (this.closed) return;
    this.send({ op: 'remote', id: this.id, address, port });
  }

  play(samples: Int16Array, rate?: 8000 | 16000): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.resolve();
    const req = ++this.req;
    return new Promise((resolve, reject) => {
      this.plays.set(req, { resolve, reject });
      this.send({ op: 'play', id: this.id, req, samples, rate });
    });
  }

  stopPlaying(): void {
    if (this.closed) return;
    this.send({ op: 'stop', id: this.id });
  }

  analyse(command: AnalysisCommand): Promise<AnalysisEvent | undefined> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.decision && command !== 'wait-from') return Promise.resolve(this.decision);
    if (this.closing) return this.closing;
    if (!this.analysis) return Promise.resolve(undefined);
    const req = ++this.req;
    return new Promise((resolve, reject) => {
      this.answers.set(req, { resolve, reject });
      this.send({ op: 'analyse', id: this.id, req, command });
    });
  }

  reanalyse(spec: AnalysisSpec): void {
    if (this.closed) return;
    this.gen += 1;
    this.decision = undefined;
    this.analysis = spec;
    // An answer still on its way is the earlier analysis's: its asker hears no decision (undefined), as after a close.
    for (const a of this.answers.values()) a.resolve(undefined);
    this.answers.clear();
    this.send({ op: 'reanalyse', id: this.id, gen: this.gen, spec });
  }

  onFailure(listener: (err: Error) => void): void {
    if (this.failure) listener(this.failure);
    else this.failureListeners.push(listener);
  }

  close(): Promise<void> {
    if (this.closing) return this.closing.then(() => undefined, () => undefined);
    this.closed = true;
    // The thread stopped: its sockets went with it.
    if (this.failure) return Promise.resolve();
    this.closing = new Promise((resolve, reject) => (this.settleClosing = { resolve, reject }));
    this.send({ op: 'close', id: this.id, final: this.analysis !== undefined && this.decision === undefined });
    return this.closing.then(() => undefined, () => undefined);
  }

  /** @internal A message of the worker for this endpoint. */
  receive(m: FromThread): void {
    switch (m.op) {
      case 'listening':
        this.local = m.local;
        this.listening?.resolve(m.local);
        this.listening = undefined;
        return;
      case 'not-listening': {
        const err = m.noPort ? new NoPortError(m.error) : new Error(m.error);
        this.listening?.reject(err);
        this.listening = undefined;
        return;
      }
      case 'event':
        if (m.gen !== this.gen) return;
        this.decided(m.event);
        this.options.onEvent?.(m.event);
        return;
      case 'audio':
        this.options.onAudio?.(m.samples);
        return;
      case 'played':
        this.figures(m.figures);
        this.plays.get(m.req)?.resolve();
        this.plays.delete(m.req);
        return;
      case 'answer':
        if (m.gen !== this.gen) return;
        if (m.event) this.decided(m.event);
        this.answers.get(m.req)?.resolve(m.event);
        this.answers.delete(m.req);
        return;
      case 'closed':
        this.figures(m.figures);
        this.listening?.reject(new Error('endpoint closed'));
        this.listening = undefined;
        if (m.final) this.decided(m.final);
        this.thread.detach(this.id);
        for (const p of this.plays.values()) p.resolve();
        this.plays.clear();
        for (const a of this.answers.values()) a.resolve(this.decision);
        this.answers.clear();
        this.settleClosing?.resolve(this.decision);
    }
  }

  /** @internal The worker stopped: everything waiting on this endpoint rejects with why, and its listeners hear it. */
  fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.closed = true;
    this.thread.detach(this.id);
    this.listening?.reject(err);
    this.listening = undefined;
    for (const p of this.plays.values()) p.reject(err);
    this.plays.clear();
    for (const a of this.answers.values()) a.reject(err);
    this.answers.clear();
    this.settleClosing?.reject(err);
    for (const l of this.failureListeners.splice(0)) l(err);
  }

  /** Posts to the worker; a worker that cannot start (out of memory or threads) fails this endpoint, saying so. */
  private send(message: ToThread): void {
    try {
      this.thread.post(message);
    } catch (err) {
      this.fail(new Error(`the RTP worker thread could not start: ${(err as Error).message}`));
    }
  }

  private decided(event: AnalysisEvent): void {
    if (event.type === 'speech-ended' || event.type === 'amd-decided') this.decision ??= event;
  }

  private figures(f: Figures): void {
    Object.assign(this.stats.received, f.stats.received);
    Object.assign(this.stats.sent, f.stats.sent);
    this.lateness = f.lateness;
  }
}
