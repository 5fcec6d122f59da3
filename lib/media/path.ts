/**
 * A call's media path: its audio reaches an endpoint of this process through an ARI external media channel, and audio
 * can go back. The endpoint is RTP (endpoint.ts: Asterisk sends UDP to a port here; on the RTP worker thread,
 * remote-endpoint.ts, unless `callflowMedia.worker` is false) or, with `callflowMedia.transport` `websocket`, a
 * WebSocket this process opens to Asterisk's /media/<connection_id> (websocket-endpoint.ts: no port here open to
 * Asterisk; always in this thread). Either way what the consumer asks to work out (`analysis`) runs where the audio
 * arrives and only its events come to `onEvent`. Two ways in:
 *
 * - `listen`: a snoop channel on the call (spy in: what the caller says, not what they hear) and the external media
 *   channel in a bridge of their own. The call itself is not touched: it can be in any bridge (a transfer, a
 *   meeting) or play prompts meanwhile. Audio sent back reaches nobody (the snoop whispers nothing).
 * - `bridge`: the call and the external media channel in a bridge: both ways (a robot that talks).
 *
 * Every channel and bridge it makes is named after the call (`cfm-`, `cfms-`, `cfmb-` + call id + a number; see
 * MEDIA_CHANNEL_PREFIX in lib/call/registry.ts), marked as this instance's, and torn down when the path closes: when
 * the call ends (its signal), when either channel ends, when the node that opened it closes. After a restart the
 * channels an earlier run left are hung up by the registry's reconciliation (marked, nobody here handles them), and
 * `sweepMediaBridges` destroys the bridges left with them.
 */
import { AriError } from '../ari/errors';
import type { Reconciliation, Telephony, TelephonyEvent } from '../ari/port';
import { MEDIA_CHANNEL_PREFIX } from '../call/registry';
import type { Logger } from '../log';
import type { AnalysisEvent, AnalysisSpec } from './analysis';
import type { MediaFormat } from './codec';
import { RtpEndpoint, type RtpMediaEndpoint } from './endpoint';
import { RemoteEndpoint } from './remote-endpoint';
import { WebSocketEndpoint } from './websocket-endpoint';

/** What a path's audio goes through: RTP (in this thread or on the RTP worker) or the WebSocket. */
export type PathEndpoint = RtpMediaEndpoint | WebSocketEndpoint;

export type MediaTelephony = Pick<Telephony, 'externalMedia' | 'snoop' | 'createBridge' | 'addToBridge' | 'destroyBridge' | 'hangup' | 'watchChannel' | 'listBridges'>;

/** Where this process takes RTP: settings.js `callflowMedia` (docs/speech.md). */
export interface MediaSettings {
  /** The address the RTP socket binds. */
  bindHost: string;
  /** The address Asterisk sends RTP to (external_host); the bind address unless it is a wildcard. */
  advertiseHost: string;
  portMin: number;
  portMax: number;
  format: MediaFormat;
  /** rtp (absent: rtp) or websocket (Asterisk 20.16 / 21.11 / 22.6 / 23.0+ with chan_websocket loaded). */
  transport?: 'rtp' | 'websocket';
  /**
   * Whether the RTP packet path runs on the RTP worker thread (remote-endpoint.ts; default) or in the event loop. The
   * WebSocket transport always runs in the event loop (its socket is the ws client's there): this does not apply to it.
   */
  worker: boolean;
}

export const DEFAULT_MEDIA_SETTINGS: Readonly<MediaSettings> = { bindHost: '127.0.0.1', advertiseHost: '127.0.0.1', portMin: 20000, portMax: 20999, format: 'slin16', worker: true };

/**
 * `callflowMedia` from settings.js, checked: { transport, bindHost, advertiseHost, portMin, portMax, format, worker },
 * each optional.
 * A bad value is refused with the field and the value named.
 */
export function mediaSettingsFrom(value: unknown): { ok: true; settings: MediaSettings } | { ok: false; error: string } {
  if (value === undefined) return { ok: true, settings: { ...DEFAULT_MEDIA_SETTINGS } };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: 'callflowMedia in settings.js must be an object' };
  const v = value as Record<string, unknown>;
  const out: MediaSettings = { ...DEFAULT_MEDIA_SETTINGS };
  const shown = (x: unknown): string => (typeof x === 'string' ? JSON.stringify(x.slice(0, 60)) : typeof x === 'number' ? String(x) : typeof x);
  for (const key of ['bindHost', 'advertiseHost'] as const) {
    const x = v[key];
    if (x === undefined) continue;
    if (typeof x !== 'string' || !/^[A-Za-z0-9.:-]{1,253}$/.test(x)) return { ok: false, error: `callflowMedia.${key} must be an address or host name, got ${shown(x)}` };
    out[key] = x;
  }
  if (v.advertiseHost === undefined && v.bindHost !== undefined) out.advertiseHost = out.bindHost;
  if (out.advertiseHost === '0.0.0.0' || out.advertiseHost === '::') return { ok: false, error: 'callflowMedia.advertiseHost must be an address Asterisk can reach, not a wildcard' };
  for (const key of ['portMin', 'portMax'] as const) {
    const x = v[key];
    if (x === undefined) continue;
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 1024 || x > 65535) return { ok: false, error: `callflowMedia.${key} must be a port from 1024 to 65535, got ${shown(x)}` };
    out[key] = x;
  }
  if (out.portMin > out.portMax) return { ok: false, error: `callflowMedia.portMin (${out.portMin}) is above portMax (${out.portMax})` };
  if (v.format !== undefined) {
    if (v.format !== 'ulaw' && v.format !== 'slin16') return { ok: false, error: `callflowMedia.format must be "ulaw" or "slin16", got ${shown(v.format)}` };
    out.format = v.format;
  }
  if (v.transport !== undefined) {
    if (v.transport !== 'rtp' && v.transport !== 'websocket') return { ok: false, error: `callflowMedia.transport must be "rtp" or "websocket", got ${shown(v.transport)}` };
    out.transport = v.transport;
  }
  if (v.worker !== undefined) {
    if (typeof v.worker !== 'boolean') return { ok: false, error: `callflowMedia.worker must be true or false, got ${shown(v.worker)}` };
    out.worker = v.worker;
  }
  return { ok: true, settings: out };
}

export interface OpenOptions {
  mode: 'listen' | 'bridge';
  /** The rate of the samples analysed, handed to onAudio and taken by play. */
  rate: 8000 | 16000;
  /** Every frame received (costly on the worker: each one crosses to this thread); prefer `analysis`. */
  onAudio?: (samples: Int16Array) => void;
  /** What to work out from the audio where it arrives (analysis.ts); its events go to onEvent. */
  analysis?: AnalysisSpec;
  onEvent?: (event: AnalysisEvent) => void;
  /** The call's signal: the path closes when it aborts. */
  signal: AbortSignal;
  log: Logger;
  /** How long to wait for Asterisk to put the new channels into the application (default 5000 ms). */
  startTimeoutMs?: number;
}

/**
 * The format a path's external media channel carries: `settings.format`, except for a path bridged with the call over
 * RTP, which is ulaw. Asterisk takes RTP into an external media channel only with a static payload type (0 to 34: a
 * chan_rtp channel has no SDP, and `ast_rtp_codecs_get_payload` in main/rtp_engine.c maps no dynamic one on receive;
 * res_rtp_asterisk drops slin16's 118 without a word), so audio sent back in slin16 would reach nobody. The WebSocket
 * transport has no payload types: its format is kept.
 */
export function pathFormat(settings: Pick<MediaSettings, 'format' | 'transport'>, mode: OpenOptions['mode']): MediaFormat {
  return mode === 'bridge' && settings.transport !== 'websocket' ? 'ulaw' : settings.format;
}

/** Said with an error of an external media request with transport=websocket. */
const WEBSOCKET_MISSING =
  ' (callflowMedia.transport "websocket" needs Asterisk 20.16, 21.11, 22.6, 23.0 or later with chan_websocket loaded; set callflowMedia.transport to "rtp" for an older Asterisk)';

let counter = 0;

/** The ids of a path's resources: the call's id, then a number of this process. */
export function mediaIds(callChannelId: string): { channel: string; snoop: string; bridge: string } {
  counter = (counter + 1) % 0x7fffffff;
  const tail = `${callChannelId}-${counter.toString(36)}`;
  return { channel: `${MEDIA_CHANNEL_PREFIX}-${tail}`, snoop: `${MEDIA_CHANNEL_PREFIX}s-${tail}`, bridge: `${MEDIA_CHANNEL_PREFIX}b-${tail}` };
}

/** The call a media path's bridge (mediaIds' `bridge`) was made for; '' for an id not made so. */
function callOfBridge(bridgeId: string): string {
  const tail = bridgeId.slice(`${MEDIA_CHANNEL_PREFIX}b-`.length);
  return tail.slice(0, Math.max(0, tail.lastIndexOf('-')));
}

/** The bridges of the paths open in this process (from the moment their ids are made to the end of their teardown). */
const openBridges = new Set<string>();

export class MediaPath {
  private closing: Promise<void> | undefined;
  private readonly unwatch: (() => void)[] = [];
  private endedBy: string | undefined;
  private readonly endedListeners: ((why: string) => void)[] = [];
  /** The requests making its channels and bridge that Asterisk has not answered yet (settled: they never reject). */
  private readonly asked = new Set<Promise<void>>();

  constructor(
    private readonly telephony: MediaTelephony,
    readonly callChannelId: string,
    readonly ids: { channel: string; snoop: string | undefined; bridge: string },
    readonly endpoint: PathEndpoint,
    private readonly log: Logger,
  ) {
    openBridges.add(ids.bridge);
    endpoint.onFailure((err) => void this.close(err.message));
  }

  /** Sends audio (at the rate asked for, or at `rate`) back in real time; resolves when it has gone out. */
  play(samples: Int16Array, rate?: 8000 | 16000): Promise<void> {
    return this.endpoint.play(samples, rate);
  }

  /** Why the path ended (undefined while open). */
  get ended(): string | undefined {
    return this.endedBy;
  }

  /** Hears once why the path ended (at once if it has); the function returned stops listening. */
  onEnded(listener: (why: string) => void): () => void {
    if (this.endedBy !== undefined) {
      listener(this.endedBy);
      return () => undefined;
    }
    this.endedListeners.push(listener);
    return () => {
      const at = this.endedListeners.indexOf(listener);
      if (at >= 0) this.endedListeners.splice(at, 1);
    };
  }

  /** @internal */
  watch(unwatch: () => void): void {
    this.unwatch.push(unwatch);
  }

  /**
   * @internal A request that makes one of its channels or its bridge. Asterisk makes it whatever becomes of the
   * request here (a call hanging up meanwhile), so the teardown waits for its answer before it hangs up and destroys:
   * asked before, a hangup finds nothing and what is made after is left for the whole call (a snoop), or for ever (an
   * external media channel, a bridge).
   */
  asking<T>(request: Promise<T>): Promise<T> {
    const settled = request.then(
      () => undefined,
      () => undefined,
    );
    this.asked.add(settled);
    void settled.then(() => this.asked.delete(settled));
    return request;
  }

  /** Tears everything down (idempotent): the socket, the external media channel, the snoop, the bridge. */
  close(why = 'closed'): Promise<void> {
    this.closing ??= this.teardown(why).finally(() => openBridges.delete(this.ids.bridge));
    return this.closing;
  }

  private async teardown(why: string): Promise<void> {
    this.endedBy ??= why;
    for (const u of this.unwatch.splice(0)) u();
    const closed = this.endpoint.close();
    for (const l of this.endedListeners.splice(0)) l(this.endedBy);
    await Promise.all(this.asked);
    const { channel, snoop, bridge } = this.ids;
    const warn = (what: string) => (err: unknown) => this.log.warn(`media path of call ${this.callChannelId}: ${what} failed: ${(err as Error).message}`);
    // A WebSocket channel may be gone already: Asterisk hangs it up when its socket closes (chan_websocket.c lines 1130-1134).
    const gone = (what: string) => (err: unknown) => (/not found/i.test((err as Error).message) ? undefined : warn(what)(err));
    await Promise.all([
      closed,
      this.telephony.hangup(channel, 'normal').catch(gone(`hanging up external media channel ${channel}`)),
      snoop ? this.telephony.hangup(snoop, 'normal').catch(warn(`hanging up snoop channel ${snoop}`)) : undefined,
    ]);
    await this.telephony.destroyBridge(bridge).catch((err: unknown) => {
      if (!/not found/i.test((err as Error).message)) warn(`destroying bridge ${bridge}`)(err);
    });
  }
}

/**
 * Opens the media path of the call on `callChannelId` (answered, in our application). Resolves once audio flows
 * (both channels in the bridge); rejects with a sentence naming what failed, having torn down what it made.
 */
export async function openMediaPath(telephony: MediaTelephony, callChannelId: string, settings: MediaSettings, options: OpenOptions): Promise<MediaPath> {
  if (options.signal.aborted) throw new Error(`call ${callChannelId} has ended`);
  const ids = mediaIds(callChannelId);
  const websocket = settings.transport === 'websocket';
  const format = pathFormat(settings, options.mode);
  let onClosed = (_why: string): void => undefined;
  const { onAudio, analysis, onEvent } = options;
  // A path bridged with the call gets only the frames the call's channel reads: none while a caller with silence
  // suppression is silent (gap-fill.ts). A snoop's come every 20 ms.
  const fillGaps = options.mode === 'bridge';
  const rtpOptions = { host: settings.bindHost, min: settings.portMin, max: settings.portMax, format, rate: options.rate, onAudio, analysis, onEvent, fillGaps };
  // The WebSocket endpoint runs in this thread whatever `worker` says; RTP on the worker thread unless told otherwise.
  const endpoint: PathEndpoint = websocket
    ? new WebSocketEndpoint({ format, rate: options.rate, onAudio, analysis, onEvent, fillGaps, onClosed: (why) => onClosed(why), log: options.log })
    : settings.worker
      ? new RemoteEndpoint(rtpOptions)
      : new RtpEndpoint(rtpOptions);
  const path = new MediaPath(telephony, callChannelId, { channel: ids.channel, snoop: options.mode === 'listen' ? ids.snoop : undefined, bridge: ids.bridge }, endpoint, options.log);
  const started = new Set<string>();
  const waiting = new Map<string, () => void>();
  const inApplication = (id: string): Promise<void> =>
    started.has(id) ? Promise.resolve() : new Promise<void>((resolve) => waiting.set(id, resolve));
  const watch = (id: string): void => {
    path.watch(
      telephony.watchChannel(id, (event: TelephonyEvent) => {
        if (event.type === 'StasisStart') {
          started.add(id);
          waiting.get(id)?.();
        } else if (event.type === 'StasisEnd' || event.type === 'ChannelDestroyed' || event.type === 'ChannelLost') {
          void path.close(`${id === ids.channel ? 'the external media channel' : 'the snoop channel'} ended`);
        }
      }),
    );
  };
  const onAbort = (): void => void path.close('the call ended');
  options.signal.addEventListener('abort', onAbort, { once: true });
  path.watch(() => options.signal.removeEventListener('abort', onAbort));
  onClosed = (why) => void path.close(why);
  try {
    watch(ids.channel);
    if (options.mode === 'listen') watch(ids.snoop);
    const timeoutMs = options.startTimeoutMs ?? 5000;
    const externalMedia = async (): Promise<void> => {
      if (endpoint instanceof WebSocketEndpoint) {
        const made = await path.asking(telephony.externalMedia({ channelId: ids.channel, transport: 'websocket', format })).catch((err: unknown) => {
          throw new Error(`${(err as Error).message}${WEBSOCKET_MISSING}`);
        });
        if (!made.websocket) throw new Error(`Asterisk did not give external media channel ${ids.channel} a WebSocket connection id (no MEDIA_WEBSOCKET_CONNECTION_ID)${WEBSOCKET_MISSING}`);
        await endpoint.connect(made.websocket, options.signal, timeoutMs);
      } else {
        const local = await endpoint.listen();
        // Closed meanwhile (the teardown has begun): nothing more is asked of Asterisk.
        if (path.ended !== undefined) throw new Error(path.ended);
        const host = settings.advertiseHost.includes(':') ? `[${settings.advertiseHost}]` : settings.advertiseHost;
        const made = await path.asking(telephony.externalMedia({ channelId: ids.channel, externalHost: `${host}:${local.port}`, format }));
        if (!made.local) throw new Error(`Asterisk did not say where external media channel ${ids.channel} takes RTP (no UNICASTRTP_LOCAL_ADDRESS/PORT)`);
        endpoint.setRemote(made.local.address, made.local.port);
      }
    };
    // The bridge, the snoop and the external media channel do not depend on one another: asked at once, they cost one
    // round trip to Asterisk on the way to the reply, not three. All are settled before a failure is thrown, so the
    // teardown (close, below) finds everything that was made. They are not cancelled by the call's signal: an
    // abandoned request may still be carried out by Asterisk, and the teardown waits for their answers (asking).
    const made = await Promise.allSettled([
      path.asking(telephony.createBridge({ bridgeId: ids.bridge, type: 'mixing', name: `media ${callChannelId}` })),
      options.mode === 'listen' ? path.asking(telephony.snoop(callChannelId, { snoopId: ids.snoop, spy: 'in' })) : undefined,
      externalMedia(),
    ]);
    for (const m of made) if (m.status === 'rejected') throw m.reason;
    if (path.ended !== undefined) throw new Error(path.ended);
    const members = options.mode === 'listen' ? [ids.snoop, ids.channel] : [callChannelId, ids.channel];
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Asterisk did not put ${members.join(' and ')} into the application within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([Promise.all(members.filter((m) => m !== callChannelId).map(inApplication)), timedOut]);
    } finally {
      clearTimeout(timer);
    }
    if (path.ended !== undefined) throw new Error(path.ended);
    await telephony.addToBridge(ids.bridge, members, options.signal);
    if (path.ended !== undefined) throw new Error(path.ended);
    return path;
  } catch (err) {
    await path.close('it could not open');
    throw new Error(`media path of call ${callChannelId} did not open: ${(err as Error).message}`);
  }
}

/**
 * After a reconnect: the bridges of media paths an earlier run left (their channels are hung up by the registry as
 * channels nobody here handles). A `cfmb-` bridge is destroyed when every channel in it is one of ours that nobody
 * here handles; an empty one when its call (the id in its own, `cfmb-<call>-<n>`) is one of those too, or is gone.
 * Left alone: a bridge holding another instance's channels, an empty one whose call is up and not ours to end
 * (another instance may be opening its path), and every bridge of a path open in this process (`open`).
 */
export async function sweepMediaBridges(
  telephony: Pick<Telephony, 'listBridges' | 'destroyBridge' | 'getChannel'>,
  r: Reconciliation,
  log: Logger,
  open: (bridgeId: string) => boolean = (id) => openBridges.has(id),
): Promise<string[]> {
  if (r.restarted) return [];
  const unclaimed = new Set(r.unclaimed);
  const bridges = await telephony.listBridges();
  const swept: string[] = [];
  for (const b of bridges) {
    if (!b.id.startsWith(`${MEDIA_CHANNEL_PREFIX}b-`) || open(b.id)) continue;
    if (!b.channels.every((c) => unclaimed.has(c))) continue;
    if (b.channels.length === 0) {
      const call = callOfBridge(b.id);
      if (!unclaimed.has(call) && (await callIsUp(telephony, call))) continue;
    }
    await telephony.destroyBridge(b.id).then(
      () => swept.push(b.id),
      (err: unknown) => log.warn(`destroying bridge ${b.id} (a media path left by an earlier run) failed: ${(err as Error).message}`),
    );
  }
  return swept;
}

/** Whether Asterisk has the channel (a failure to ask counts as yes: the bridge is left for the next reconnect). */
async function callIsUp(telephony: Pick<Telephony, 'getChannel'>, id: string): Promise<boolean> {
  if (id === '') return false;
  try {
    await telephony.getChannel(id);
    return true;
  } catch (err) {
    return !(err instanceof AriError && err.kind === 'not-found');
  }
}
