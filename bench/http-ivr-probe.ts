/**
 * What bench/http-ivr measures of each step, from diagnostics channels only (as bench/ivr-probe does): the plugin's
 * `callflow:ari:event` (each ARI event as it arrives, with performance.now()), `callflow:http-ivr` (lib/http-ivr/
 * conversation.ts: `request` just before a request to the application leaves, `response` as its answer is in), and
 * Node's `http.client.request.start` (each ARI request as it leaves).
 *
 * Node publishes `http.client.request.start` when the request gets a socket: a request made while the ARI
 * connection's sockets (32, lib/ari/rest.ts) are all waiting for Asterisk's answers starts only when one is free. So
 * the probe also notes when each request was made (http.Agent's addRequest, which ClientRequest calls as it is
 * constructed; the probe wraps it while it is open): (b) ends when the plugin made the request, and the wait for a
 * socket is printed apart. Only requests made after the answer count for (b) (the connection's mark on a new
 * channel, POST /channels/{id}/variable, is made at StasisStart and may start later).
 *
 * A step of a call is the plugin's part around one request to the application:
 *  (a) key -> request: from the ChannelDtmfReceived of the key that ended the collect to the `request` publish (the
 *      collect ends, its result becomes the next request's parameters, the jump's URL is resolved);
 *  (b) response -> ARI: from the `response` publish to the start of the next ARI request about the call (the answer is
 *      parsed and checked, the program run: the play of the next collect's prompt, the hang-up after the last step,
 *      the answer of the first).
 * The application's own time and the network (request -> response) are not in either and are printed apart, with
 * (c), the plugin's part of that: from the request publish to the HTTP request made (parameters, body, signature,
 * address checks; requests to the application's `/ivr` paths, matched by their callId parameter). A
 * sample (a) is set aside (`waited`) when an ARI request about the call left between the key and the request: then
 * the plugin waited for Asterisk in between, which the bench's callers (a key 1-3 s after a zero-length prompt) never
 * cause.
 */
import diagnostics from 'node:diagnostics_channel';
import http from 'node:http';
import { PerformanceObserver, performance } from 'node:perf_hooks';

interface AriMessage {
  event: { type: string; channel?: { id: string } };
  receivedAt: number;
}

type AddRequest = (this: http.Agent, req: object, ...rest: unknown[]) => unknown;

interface IvrMessage {
  call: string;
  phase: 'request' | 'response';
  step: number;
}

/** A sample: its time, and the spans it was taken over ([from, to], performance.now()), to tell those a GC pause touched. */
interface Sample {
  ms: number;
  spans: [number, number][];
}

interface CallState {
  /** The last key's arrival, and this process's CPU time (µs) then. */
  keyAt?: number;
  keyCpu?: number;
  /** An ARI request about the call left after the key. */
  ariSinceKey: boolean;
  /** The key -> request time of the request in flight, for its step's sum. */
  a?: Sample;
  /** The CPU time this process used over (a), in µs. */
  aCpu?: number;
  /** The application's answer arrived (performance.now(), CPU µs) and no ARI request has left since. */
  responseAt?: number;
  responseCpu?: number;
  requestAt?: number;
  /** The request in flight has been made (its first attempt). */
  requestMade?: boolean;
  step: number;
}

export class StepProbe {
  on = false;
  /** (a) key -> request. */
  readonly keyToRequest: Sample[] = [];
  /** (b) response -> the next ARI request, by what that request is ("POST play", "POST answer", "DELETE channel"). */
  readonly responseToAri = new Map<string, Sample[]>();
  /** (a) + (b) of the same step (requests after the first: the first is not led to by a key). */
  readonly perStep: Sample[] = [];
  /**
   * With `cpuDuring`: the CPU time this process used over (a) and (b) of a step (its work for that call and whatever
   * else it did meanwhile). process.cpuUsage() is a system call made four times a step: a CPU profile put it at about
   * 7% of the process's busy time at 1,000 calls, so it is off unless asked for (it would inflate the CPU per call).
   */
  readonly cpuDuring: number[] = [];
  /** (c) request -> the HTTP request to the application made (its parameters, body, address checks; a first attempt). */
  readonly making: number[] = [];
  /** request -> response: the network, the application's time, and the waits for a core of both processes. */
  readonly application: number[] = [];
  /** Requests to the application that left while on. */
  requests = 0;
  /**
   * Of (a): from the key's arrival to the end of the run of ARI events it came in (the first moment its collect can
   * go on): the key's own parsing and dispatch, and the events after it in the same read, which the WebSocket library
   * (ws, allowSynchronousEvents) hands over in one go; and the number of events in the key's run.
   */
  readonly behindRun: number[] = [];
  readonly runLength: number[] = [];
  private run: { keys: number[]; events: number } | undefined;
  /** Samples (a) set aside: an ARI request about the call was made between the key and the request. */
  waited = 0;
  /** For (b)'s requests: from when the plugin made the request to when it got a socket (all 32 busy). */
  readonly socketWait: number[] = [];
  /** GC pauses while on: [start, end] (performance.now()). */
  readonly pauses: [number, number][] = [];
  private readonly calls = new Map<string, CallState>();
  private readonly gcObserver = new PerformanceObserver((list) => {
    if (!this.on) return;
    for (const e of list.getEntries()) this.pauses.push([e.startTime, e.startTime + e.duration]);
  });
  private readonly onEvent = (message: unknown): void => this.event(message as AriMessage);
  private readonly onIvr = (message: unknown): void => this.ivr(message as IvrMessage);
  private readonly onRequest = (message: unknown): void => this.ari(message as { request: http.ClientRequest });
  /** When each request was made (performance.now()). */
  private readonly made = new WeakMap<object, number>();
  /** http.Agent's own method (not in its typings): ClientRequest's constructor hands it the request. */
  private readonly agent = http.Agent.prototype as unknown as { addRequest: AddRequest };
  private readonly addRequest = this.agent.addRequest;

  constructor(private readonly cpu = false) {
    const made = this.made;
    const addRequest = this.addRequest;
    this.agent.addRequest = function (this: http.Agent, req: object, ...rest: unknown[]) {
      made.set(req, performance.now());
      return addRequest.call(this, req, ...rest);
    };
    diagnostics.subscribe('callflow:ari:event', this.onEvent);
    diagnostics.subscribe('callflow:http-ivr', this.onIvr);
    diagnostics.subscribe('http.client.request.start', this.onRequest);
    this.gcObserver.observe({ entryTypes: ['gc'] });
  }

  close(): void {
    this.agent.addRequest = this.addRequest;
    diagnostics.unsubscribe('callflow:ari:event', this.onEvent);
    diagnostics.unsubscribe('callflow:http-ivr', this.onIvr);
    diagnostics.unsubscribe('http.client.request.start', this.onRequest);
    this.gcObserver.disconnect();
  }

  reset(): void {
    this.keyToRequest.length = 0;
    this.responseToAri.clear();
    this.perStep.length = 0;
    this.cpuDuring.length = 0;
    this.application.length = 0;
    this.making.length = 0;
    this.pauses.length = 0;
    this.requests = 0;
    this.waited = 0;
    this.socketWait.length = 0;
    this.behindRun.length = 0;
    this.runLength.length = 0;
  }

  /** Calls the probe follows now (a leak check: 0 once every call has ended). */
  get following(): number {
    return this.calls.size;
  }

  /** The times of `samples` that no GC pause overlapped (pauses are reported after they end: ask after the window). */
  quiet(samples: readonly Sample[]): number[] {
    return samples.filter((s) => !s.spans.some(([since, at]) => this.pauses.some(([from, to]) => from < at && to > since))).map((s) => s.ms);
  }

  private state(call: string): CallState {
    let s = this.calls.get(call);
    if (!s) this.calls.set(call, (s = { ariSinceKey: false, step: 0 }));
    return s;
  }

  private event({ event, receivedAt }: AriMessage): void {
    if (this.on) this.follow(event.type === 'ChannelDtmfReceived' ? receivedAt : undefined);
    const channel = event.channel?.id;
    if (!channel) return;
    if (event.type === 'ChannelDtmfReceived') {
      const s = this.state(channel);
      s.keyAt = receivedAt;
      s.keyCpu = this.cpu ? cpuMicros() : undefined;
      s.ariSinceKey = false;
    } else if (event.type === 'StasisEnd' || event.type === 'ChannelDestroyed') {
      this.calls.delete(channel);
    }
  }

  /** Counts the events of one synchronous run; a microtask queued at its first event marks its end. */
  private follow(keyAt: number | undefined): void {
    if (!this.run) {
      const run = (this.run = { keys: [], events: 0 });
      queueMicrotask(() => {
        this.run = undefined;
        if (!this.on) return;
        const end = performance.now();
        for (const at of run.keys) {
          this.behindRun.push(end - at);
          this.runLength.push(run.events);
        }
      });
    }
    this.run.events += 1;
    if (keyAt !== undefined) this.run.keys.push(keyAt);
  }

  private ivr({ call, phase, step }: IvrMessage): void {
    const at = performance.now();
    const s = this.state(call);
    s.step = step;
    if (phase === 'request') {
      s.requestAt = at;
      s.requestMade = false;
      s.a = undefined;
      s.aCpu = undefined;
      if (this.on) this.requests += 1;
      if (s.keyAt !== undefined && step > 1) {
        if (s.ariSinceKey) {
          if (this.on) this.waited += 1;
        } else {
          s.a = { ms: at - s.keyAt, spans: [[s.keyAt, at]] };
          s.aCpu = s.keyCpu === undefined ? undefined : cpuMicros() - s.keyCpu;
          if (this.on) this.keyToRequest.push(s.a);
        }
      }
      s.keyAt = undefined;
      return;
    }
    if (s.requestAt !== undefined && this.on) this.application.push(at - s.requestAt);
    s.requestAt = undefined;
    s.responseAt = at;
    s.responseCpu = this.cpu ? cpuMicros() : undefined;
  }

  private ari({ request }: { request: http.ClientRequest }): void {
    const at = performance.now();
    const madeAt = this.made.get(request) ?? at;
    if (request.path.startsWith('/ivr')) {
      const call = new URLSearchParams(request.path.split('?')[1] ?? '').get('callId');
      const s = call ? this.calls.get(call) : undefined;
      if (s?.requestAt !== undefined && !s.requestMade) {
        s.requestMade = true;
        if (this.on) this.making.push(madeAt - s.requestAt);
      }
      return;
    }
    const m = /^\/ari\/channels\/([^/?]+)(\/[a-zA-Z]+)?/.exec(request.path);
    if (!m?.[1]) return;
    const s = this.calls.get(decodeURIComponent(m[1]));
    if (!s) return;
    if (s.keyAt !== undefined && madeAt >= s.keyAt) s.ariSinceKey = true;
    if (s.responseAt === undefined || madeAt < s.responseAt) return;
    const b: Sample = { ms: madeAt - s.responseAt, spans: [[s.responseAt, madeAt]] };
    const what = `${request.method} ${m[2] ? m[2].slice(1) : 'channel'}`;
    if (this.on) {
      let list = this.responseToAri.get(what);
      if (!list) this.responseToAri.set(what, (list = []));
      list.push(b);
      this.socketWait.push(at - madeAt);
      if (s.a) {
        this.perStep.push({ ms: s.a.ms + b.ms, spans: [...s.a.spans, ...b.spans] });
        if (s.aCpu !== undefined && s.responseCpu !== undefined) this.cpuDuring.push((s.aCpu + cpuMicros() - s.responseCpu) / 1000);
      }
    }
    s.responseAt = undefined;
    s.a = undefined;
  }
}

function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}
