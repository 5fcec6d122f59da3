/**
 * bench/speech-asterisk's callers, in a process of their own (as phones are, and as bench/speech's callers are the
 * simulator's): each places a Local channel from ARI, its ;1 half in the application `callflow-bench-caller`, and
 * talks: waits until the plugin listens (told by the parent, which sees the plugin's 'path-open' turn stage), then
 * `turns` times: a pause, its speech (played on ;1), the reply to its end. It records what Asterisk said of both
 * halves with Asterisk's timestamps (speech-asterisk.ts explains the talk detection) and sends the logs back.
 *
 * Parent -> child: { type: 'start', options }, { type: 'go' } to place the calls, { type: 'path-open', call } per
 * call; child -> parent: { type: 'ready' } once its events socket is open, { type: 'done', logs } at the end.
 * ARI_PASSWORD in the environment.
 */
import { EventSocket } from '../lib/ari/events-socket';
import { AriRest } from '../lib/ari/rest';
import { seededRandom } from '../lib/seeded-random';

const CALLER_APP = 'callflow-bench-caller';

export interface CallerOptions {
  ariUrl: string;
  user: string;
  calls: number;
  turns: number;
  rampSec: number;
  /** The dial string of each call, e.g. Local/robot@to-nodered. */
  endpoint: string;
  /** The Local channel's format (a phone's: ulaw). */
  callFormat: string;
  /** The callers' speech (WAV URLs Asterisk fetches): each turn says one of them. */
  speechUrls: string[];
  /** How the replies' media URIs start (`sound:http://.../callflow/speech/` or `sound:<prefix>/`). */
  replyPrefix: string;
  /** TALK_DETECT's silence threshold (ms). */
  talkSilenceMs: number;
  /** The caller's pause before speaking (ms): from the first to the second, drawn per turn. */
  pauseMs: [number, number];
  /**
   * How the robot speaks: `playback` (a reply ends with its PlaybackFinished on ;2) or `stream` (on its media path:
   * no playback; a reply ends when the parent says the plugin has sent it, its 'voice-sent' turn stage).
   */
  voicePath: 'playback' | 'stream';
}

export type ToCallers = { type: 'start'; options: CallerOptions } | { type: 'go' } | { type: 'path-open'; call: string } | { type: 'reply-sent'; call: string };
export type FromCallers = { type: 'ready' } | { type: 'done'; logs: CallLog[] };

interface AriEvent {
  type: string;
  timestamp?: string;
  channel?: { id: string };
  playback?: { id: string; target_uri: string; media_uri: string };
}

/**
 * ARI for the bench's callers: the plugin's own REST client (lib/ari/rest.ts: the operations as the server declares
 * them, at most 32 sockets, which keeps the bench under Asterisk's 100 HTTP sessions with the plugin's beside it) and
 * events socket (lib/ari/events-socket.ts: the events as Asterisk sent them, their timestamps kept), dispatched by
 * channel id.
 */
class CallerAri {
  private constructor(
    readonly rest: AriRest,
    private readonly socket: EventSocket,
    /** By channel id: one caller's handler for the events of its two halves. */
    private readonly listeners: Map<string, (e: AriEvent) => void>,
  ) {}

  static async connect(baseUrl: string, username: string, password: string): Promise<CallerAri> {
    const rest = await AriRest.connect({ baseUrl, username, password, requestTimeoutMs: 10_000 });
    const listeners = new Map<string, (e: AriEvent) => void>();
    const socket = new EventSocket({
      baseUrl,
      app: CALLER_APP,
      username,
      password,
      heartbeatMs: 15_000,
      openTimeoutMs: 10_000,
      onEvent: (event) => {
        const e = event as unknown as AriEvent;
        const id = e.channel?.id ?? e.playback?.target_uri.replace(/^channel:/, '');
        if (id !== undefined) listeners.get(id)?.(e);
      },
      onMalformed: (why) => console.error(`bench callers: ARI sent ${why}`),
    });
    try {
      await socket.opened;
    } catch (err) {
      rest.close();
      throw err;
    }
    return new CallerAri(rest, socket, listeners);
  }

  /** Events of the channels `ids` to `listener`, until the returned function is called. */
  on(ids: string[], listener: (e: AriEvent) => void): () => void {
    for (const id of ids) this.listeners.set(id, listener);
    return () => ids.forEach((id) => this.listeners.delete(id));
  }

  async close(): Promise<void> {
    await this.socket.close();
    this.rest.close();
  }
}

/** Per call: what Asterisk said about its two halves, with Asterisk's timestamps (ms). */
export interface CallLog {
  caller: string;
  call: string;
  /** ;2's ChannelTalkingFinished minus the silence threshold: the ends of the caller's speech. */
  speechEnds: number[];
  /** ;1's ChannelTalkingStarted: the first audio of each reply. */
  audioStarts: number[];
  /** ;2's PlaybackStarted of a synthesised reply. */
  replies: { at: number; media: string }[];
  problems: string[];
}

/** One caller: placed, then TURNS times: waits to be heard (or for the reply's end), pauses, speaks; to its hangup. */
async function caller(ari: CallerAri, n: number, o: CallerOptions & { pathOpen: (call: string) => Promise<void>; replies: Map<string, () => void> }): Promise<CallLog> {
  const stamp = `${process.pid}-${n}`;
  const log: CallLog = { caller: `cfbc-${stamp}`, call: `cfbp-${stamp}`, speechEnds: [], audioStarts: [], replies: [], problems: [] };
  let replyEnded: (() => void) | undefined;
  let playing: string | undefined;
  let started: () => void = () => undefined;
  let ended: () => void = () => undefined;
  let hungUp = false;
  const inStasis = new Promise<void>((resolve) => (started = resolve));
  const gone = new Promise<void>((resolve) => (ended = resolve)).then(() => void (hungUp = true));
  const off = ari.on([log.caller, log.call], (e) => {
    const at = e.timestamp ? Date.parse(e.timestamp) : Number.NaN;
    const channel = e.channel?.id;
    const ofReply = e.playback?.target_uri === `channel:${log.call}` && e.playback.media_uri.startsWith(o.replyPrefix);
    if (e.type === 'StasisStart' && channel === log.caller) started();
    else if ((e.type === 'StasisEnd' || e.type === 'ChannelDestroyed') && channel === log.caller) ended();
    else if (e.type === 'ChannelTalkingFinished' && channel === log.call) log.speechEnds.push(at - o.talkSilenceMs);
    else if (e.type === 'ChannelTalkingStarted' && channel === log.caller) log.audioStarts.push(at);
    else if (e.type === 'PlaybackStarted' && ofReply) log.replies.push({ at, media: e.playback?.media_uri ?? '' });
    else if (e.type === 'PlaybackFinished' && ofReply) replyEnded?.();
  });
  // A streamed reply has no playback: the parent tells when the plugin has sent it.
  if (o.voicePath === 'stream') o.replies.set(log.call, () => replyEnded?.());
  const pause = (msToWait: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, msToWait));
  // The same draws for the same call in every run (a caller's n and turn), so runs can be compared.
  const draw = seededRandom(n + 1);
  try {
    const heard = o.pathOpen(log.call);
    await ari.rest.call('channels', 'originate', { endpoint: o.endpoint, app: CALLER_APP, channelId: log.caller, otherChannelId: log.call, callerId: `+1555${String(n).padStart(7, '0')}`, timeout: 30, formats: o.callFormat });
    await Promise.race([inStasis, gone]);
    if (!hungUp) {
      await ari.rest.call('applications', 'subscribe', { applicationName: CALLER_APP, eventSource: `channel:${log.call}` });
      await ari.rest.command('channels', 'setChannelVar', { channelId: log.call, variable: 'TALK_DETECT(set)', value: String(o.talkSilenceMs) });
    }
    for (let t = 0; t < o.turns && !hungUp; t++) {
      // The caller's behaviour (bench/speech's callerScript): heard first, then after each reply, a pause, speech.
      await Promise.race([t === 0 ? heard : new Promise<void>((resolve) => (replyEnded = resolve)), gone]);
      const [least, most] = o.pauseMs;
      await Promise.race([pause(least + Math.floor(draw() * (most - least + 1))), gone]);
      if (hungUp) break;
      // The last utterance's silence plays on (a phone's RTP while its user is silent) until these words. Stopped first:
      // Asterisk carries out a channel's commands one after the other, so the next ones would wait for its end.
      if (playing) await ari.rest.command('playbacks', 'stop', { playbackId: playing }).catch(() => undefined);
      // A new detection on ;1 for this turn's reply: the last one is still "talking" (no frame came after it).
      await ari.rest.command('channels', 'setChannelVar', { channelId: log.caller, variable: 'TALK_DETECT(remove)', value: '' });
      await ari.rest.command('channels', 'setChannelVar', { channelId: log.caller, variable: 'TALK_DETECT(set)', value: String(o.talkSilenceMs) });
      const speech = o.speechUrls[Math.floor(draw() * o.speechUrls.length)] ?? '';
      playing = `cfbs-${stamp}-${t}`;
      await ari.rest.command('channels', 'play', { channelId: log.caller, media: `sound:${speech}`, playbackId: playing });
    }
    // The bot ends the call on its last turn.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, 60_000)));
    await Promise.race([gone, late]);
    clearTimeout(timer);
    if (!hungUp) log.problems.push(`call ${log.call}: not ended 60 s after its last turn`);
  } catch (err) {
    log.problems.push(`call ${log.call}: ${(err as Error).message}`);
  } finally {
    off();
    o.replies.delete(log.call);
    await ari.rest.command('channels', 'hangup', { channelId: log.caller }).catch(() => undefined);
  }
  return log;
}

function send(message: FromCallers): void {
  process.send?.(message);
}

async function run(options: CallerOptions): Promise<void> {
  const password = process.env.ARI_PASSWORD ?? '';
  const ari = await CallerAri.connect(options.ariUrl, options.user, password);
  // The plugin may open a call's listening before its caller asks: each call's first 'path-open' is kept.
  const opened = new Set<string>();
  const waiting = new Map<string, () => void>();
  let go: () => void = () => undefined;
  const going = new Promise<void>((resolve) => (go = resolve));
  const replies = new Map<string, () => void>();
  process.on('message', (m: ToCallers) => {
    if (m.type === 'go') go();
    if (m.type === 'reply-sent') replies.get(m.call)?.();
    if (m.type !== 'path-open' || opened.has(m.call)) return;
    opened.add(m.call);
    waiting.get(m.call)?.();
  });
  const pathOpen = (call: string): Promise<void> => (opened.has(call) ? Promise.resolve() : new Promise((resolve) => waiting.set(call, resolve)));
  send({ type: 'ready' });
  await going;
  const logs = await Promise.all(
    Array.from({ length: options.calls }, async (_, n) => {
      await new Promise((resolve) => setTimeout(resolve, (options.rampSec * 1000 * n) / options.calls));
      return caller(ari, n, { ...options, pathOpen, replies });
    }),
  );
  await ari.close();
  // The logs go before the channel closes; the process then has nothing left to do and ends.
  process.send?.({ type: 'done', logs } satisfies FromCallers, undefined, {}, () => process.disconnect());
}

process.once('message', (m: ToCallers) => {
  if (m.type !== 'start') return;
  run(m.options).catch((err: unknown) => {
    console.error(`bench callers: ${(err as Error).message}`);
    process.exit(1);
  });
});
