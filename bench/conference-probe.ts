/**
 * What bench/conference measures of each join, from diagnostics channels only (as bench/ivr-probe does): the
 * plugin's `callflow:ari:event` (each ARI event as it arrives, with performance.now()) and Node's
 * `http.client.request.start` and `http.client.response.finish` (each ARI request as it leaves, each answer as it
 * has arrived).
 *
 * A join starts with the ChannelDtmfReceived of the code's last key (#) and ends, for the plugin, with the start of
 * its POST /bridges/{id}/addChannel for that channel; the channel is in the meeting when its ChannelEnteredBridge
 * for a meeting bridge arrives. Between the # and the addChannel, the first caller of a meeting waits for Asterisk
 * twice: the meeting's bridge is made (POST /bridges/{id}, from its start to its answer), and the caller hears that
 * they are alone (POST /channels/{id}/play, from its start to the PlaybackFinished). The plugin-added time is the
 * whole time less those waits; callers who join a meeting already made wait for nothing, and are kept apart
 * (`direct`) from those who heard a prompt (`greeted`).
 */
import diagnostics from 'node:diagnostics_channel';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { MEETING_BRIDGE_PREFIX } from '../lib/conference/meeting';

interface AriMessage {
  event: { type: string; digit?: string; channel?: { id: string }; bridge?: { id: string }; playback?: { media_uri?: string; target_uri?: string } };
  receivedAt: number;
}

export class JoinProbe {
  /** # to addChannel, for callers who heard no prompt in between (Asterisk was not waited for): the plugin's own time. */
  readonly direct: number[] = [];
  /** The same for callers who heard a prompt first (a meeting's first caller): the waits for Asterisk taken off. */
  readonly greeted: number[] = [];
  /** The same, the whole time from # to addChannel, waits for Asterisk included. */
  readonly greetedWhole: number[] = [];
  /** # to the ChannelEnteredBridge event (the plugin's time, the simulator's, and the trips between). */
  readonly toBridge: number[] = [];
  /** Plugin-added times ([#, addChannel] and the time) of all callers, to tell those a GC pause touched. */
  private readonly spans: [number, number, number][] = [];
  /** GC pauses: [start, end] (performance.now()). */
  private readonly pauses: [number, number][] = [];
  private readonly gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) this.pauses.push([e.startTime, e.startTime + e.duration]);
  });
  /** ChannelEnteredBridge events of meeting bridges, since the start. */
  entered = 0;
  private readonly hashAt = new Map<string, number>();
  /** This process's CPU time (process.cpuUsage, µs) when the # was handled. */
  private readonly hashCpu = new Map<string, number>();
  /**
   * For each join: the CPU time this process used between the # and the addChannel (its work for this caller and
   * whatever else it did meanwhile). Against the wall-clock time, it tells waiting for a core from work.
   */
  readonly cpuDuring: number[] = [];
  private readonly prompted = new Set<string>();
  /** For joining channels: the start of a prompt's play request, then the time waited for prompts so far. */
  private readonly playFrom = new Map<string, number>();
  private readonly waited = new Map<string, number>();
  /** Meeting bridges being made or made: [request start, answer]. */
  private readonly made = new Map<string, [number, number]>();
  private readonly inMeeting = new Set<string>();
  private readonly listeners = new Set<() => void>();
  private readonly onEvent = (message: unknown): void => this.event(message as AriMessage);
  private readonly onRequest = (message: unknown): void => this.request(message as { request: { path: string; method: string } });
  private readonly onResponse = (message: unknown): void => this.response(message as { request: { path: string; method: string } });

  constructor() {
    diagnostics.subscribe('callflow:ari:event', this.onEvent);
    diagnostics.subscribe('http.client.request.start', this.onRequest);
    diagnostics.subscribe('http.client.response.finish', this.onResponse);
    this.gcObserver.observe({ entryTypes: ['gc'] });
  }

  /**
   * The plugin-added times no GC pause overlapped, and the pauses since the last reset: how many, their share of
   * `seconds`, the longest. (Pauses are reported after they end: ask once the joins are over.)
   */
  gc(seconds: number): { quiet: number[]; pauses: number; share: number; longestMs: number } {
    const quiet = this.spans.filter(([since, at]) => !this.pauses.some(([from, to]) => from < at && to > since)).map(([, , v]) => v);
    const paused = this.pauses.reduce((sum, [from, to]) => sum + (to - from), 0);
    return { quiet, pauses: this.pauses.length, share: paused / (seconds * 1000), longestMs: Math.max(0, ...this.pauses.map(([a, b]) => b - a)) };
  }

  close(): void {
    diagnostics.unsubscribe('callflow:ari:event', this.onEvent);
    diagnostics.unsubscribe('http.client.request.start', this.onRequest);
    diagnostics.unsubscribe('http.client.response.finish', this.onResponse);
    this.gcObserver.disconnect();
  }

  reset(): void {
    this.direct.length = 0;
    this.greeted.length = 0;
    this.greetedWhole.length = 0;
    this.toBridge.length = 0;
    this.spans.length = 0;
    this.pauses.length = 0;
    this.cpuDuring.length = 0;
  }

  /** Calls `listener` after every event that changes a count. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private event({ event, receivedAt }: AriMessage): void {
    const channel = event.channel?.id;
    switch (event.type) {
      case 'ChannelDtmfReceived':
        if (channel && event.digit === '#' && !this.inMeeting.has(channel)) {
          this.forget(channel);
          this.hashAt.set(channel, receivedAt);
          this.hashCpu.set(channel, cpuMicros());
        }
        return;
      case 'PlaybackStarted': {
        const target = event.playback?.target_uri ?? '';
        if (target.startsWith('channel:') && this.hashAt.has(target.slice('channel:'.length))) this.prompted.add(target.slice('channel:'.length));
        return;
      }
      case 'PlaybackFinished': {
        const target = (event.playback?.target_uri ?? '').slice('channel:'.length);
        const from = this.playFrom.get(target);
        if (from !== undefined) {
          this.waited.set(target, (this.waited.get(target) ?? 0) + (receivedAt - from));
          this.playFrom.delete(target);
        }
        return;
      }
      case 'BridgeDestroyed':
        if (event.bridge) this.made.delete(event.bridge.id);
        return;
      case 'ChannelEnteredBridge':
        if (!channel || !event.bridge?.id.startsWith(MEETING_BRIDGE_PREFIX)) return;
        this.inMeeting.add(channel);
        this.entered += 1;
        {
          const since = this.hashAt.get(channel);
          if (since !== undefined) this.toBridge.push(receivedAt - since);
        }
        this.forget(channel);
        this.changed();
        return;
      case 'StasisEnd':
      case 'ChannelDestroyed':
        if (!channel) return;
        this.forget(channel);
        this.inMeeting.delete(channel);
        return;
      default:
    }
  }

  private forget(channel: string): void {
    this.hashAt.delete(channel);
    this.hashCpu.delete(channel);
    this.prompted.delete(channel);
    this.playFrom.delete(channel);
    this.waited.delete(channel);
  }

  private request({ request }: { request: { path: string; method: string } }): void {
    const at = performance.now();
    if (request.method !== 'POST') return;
    const made = /^\/ari\/bridges\/([^/?]+)(?:\?|$)/.exec(request.path);
    if (made?.[1]?.startsWith(MEETING_BRIDGE_PREFIX)) {
      this.made.set(decodeURIComponent(made[1]), [at, Number.POSITIVE_INFINITY]);
      return;
    }
    const play = /^\/ari\/channels\/([^/?]+)\/play/.exec(request.path);
    if (play?.[1]) {
      const channel = decodeURIComponent(play[1]);
      if (this.hashAt.has(channel) && !this.playFrom.has(channel)) this.playFrom.set(channel, at);
      return;
    }
    const m = /^\/ari\/bridges\/([^/?]+)\/addChannel\?(.*)$/.exec(request.path);
    if (!m?.[1]) return;
    const bridge = this.made.get(decodeURIComponent(m[1]));
    for (const channel of (new URLSearchParams(m[2]).get('channel') ?? '').split(',')) {
      const since = this.hashAt.get(channel);
      if (since === undefined) continue;
      // The time the bridge was being made while this caller waited for it, and the time its prompts played.
      const making = bridge ? Math.max(0, Math.min(bridge[1], at) - Math.max(bridge[0], since)) : 0;
      const own = at - since - making - (this.waited.get(channel) ?? 0);
      this.spans.push([since, at, own]);
      const cpu0 = this.hashCpu.get(channel);
      if (cpu0 !== undefined) this.cpuDuring.push((cpuMicros() - cpu0) / 1000);
      if (this.prompted.has(channel)) {
        this.greeted.push(own);
        this.greetedWhole.push(at - since);
      } else this.direct.push(own);
    }
  }

  private response({ request }: { request: { path: string; method: string } }): void {
    if (request.method !== 'POST') return;
    const made = /^\/ari\/bridges\/([^/?]+)(?:\?|$)/.exec(request.path);
    const bridge = made?.[1] ? this.made.get(decodeURIComponent(made[1])) : undefined;
    if (bridge) bridge[1] = performance.now();
  }

  private changed(): void {
    for (const l of [...this.listeners]) l();
  }
}

function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}
