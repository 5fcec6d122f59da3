/**
 * External media (POST /channels/externalMedia; rest-api/api-docs/channels.json "externalMedia",
 * res/ari/resource_channels.c ast_ari_channels_external_media and external_media_rtp_udp, channels/chan_rtp.c
 * unicast_rtp_request): a UnicastRTP channel whose audio goes out as RTP over UDP to `external_host` and whose RTP
 * coming back is what it says. The simulator implements the rtp/udp pair for real: a UDP socket on an even port of
 * res_rtp_asterisk's default range (5000-31000), 20 ms packets with sequence numbers and timestamps, ulaw (payload
 * type 0) or slin16 (118, big-endian). What the channel hears is what a bridge gives it: the voices (voice.ts) of the
 * other channels in its bridge, or of the channel a snoop member spies on. What comes back is counted in the report of
 * the call it serves (packets, bytes, duration), when Asterisk would take it: RTP with the channel's payload type, and
 * that a static one (0 to 34). A chan_rtp channel has no SDP, so its RTP instance maps no dynamic payload type on
 * receive: `ast_rtp_codecs_get_payload` (main/rtp_engine.c) looks in the static table only up to
 * AST_RTP_PT_LAST_STATIC (34, include/asterisk/rtp_engine.h), and ast_rtp_interpret (res/res_rtp_asterisk.c) returns
 * no frame for a payload it does not know, saying nothing. So slin16 (118) goes out to the application but nothing
 * sent back in it is heard: counted as `ignored`. Checked on Asterisk 22.11: a tone sent back in slin16 is not in a
 * recording of the bridged call, in ulaw it is.
 *
 * The WebSocket transport (encapsulation none, connection_type server) is websocket-media.ts's.
 *
 * Like any channel in Stasis it lasts until hung up: Asterisk does not end it when the call it was bridged with ends,
 * nor when the application's WebSocket goes away (the application's reconciliation has to).
 */
import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Channel } from '../../ari/types';
import { encode, FORMATS, resample, type MediaFormat } from '../../media/codec';
import { buildRtp, parseRtp } from '../../media/rtp';
import { SimChannel } from '../channel';
import { AriHttpError } from '../route';
import { MAX_ARRIVAL_GAPS, type CallReport, type ExternalMediaReport } from '../script';
import type { SimTimer } from '../clock';
import { VOICE_RATE } from '../voice';
import type { SimCore } from './core';
import type { WebSocketMediaState } from './websocket-media';

/** The last static RTP payload type (AST_RTP_PT_LAST_STATIC): the highest an external media channel takes back. */
const LAST_STATIC_PAYLOAD_TYPE = 34;

export interface ExternalMediaRequest {
  app?: string;
  channelId?: string;
  external_host?: string;
  encapsulation?: string;
  transport?: string;
  connection_type?: string;
  format?: string;
  direction?: string;
  data?: string;
  transport_data?: string;
  variables?: Record<string, unknown>;
}

/** Format names ast_format_cache_get knows (main/format_cache.c); the simulator carries ulaw and slin16. */
const KNOWN_FORMATS = new Set(['ulaw', 'alaw', 'gsm', 'g722', 'g729', 'g726', 'g726aal2', 'adpcm', 'ilbc', 'lpc10', 'speex', 'speex16', 'speex32', 'opus', 'slin', 'slin12', 'slin16', 'slin24', 'slin32', 'slin44', 'slin48', 'slin96', 'slin192', 'testlaw', 'siren7', 'siren14', 'g719', 'h261', 'h263', 'h263p', 'h264', 'h265', 'mp4', 'vp8', 'vp9', 'png', 'jpeg', 't140', 't140_red', 'codec2', 'none']);

/** res_rtp_asterisk.c DEFAULT_RTP_START / DEFAULT_RTP_END. */
const RTP_START = 5000;
const RTP_END = 31000;
const PTIME_MS = 20;

/**
 * What res_rtp_asterisk.c sends for a UnicastRTP channel (Asterisk 22 source; seen on Asterisk 22.11 built from
 * releases/22: slin16 packets with timestamps 320, 640, 960..., no marker bit): `ast_rtp_new` takes a random SSRC and
 * a random first sequence number (`ast_random() & 0xffff`) but leaves the timestamp at 0 (`ast_calloc`), and
 * `rtp_raw_write` adds each frame's samples before sending, so the first packet carries the samples of one frame. The
 * marker bit is set only on a source update or change (`FLAG_NEED_MARKER_BIT`, set by `ast_rtp_update_source` /
 * `ast_rtp_change_source` from an `AST_CONTROL_SRCUPDATE`/`SRCCHANGE` indication); chan_rtp has no `indicate`
 * callback, so a UnicastRTP channel never sends it, not on its first packet, not after a pause. A pause moves the
 * timestamp on by the time that passed (`calc_txstamp`).
 */
export class UnicastRtpSender {
  sequence = Math.floor(Math.random() * 0x10000) & 0xffff;
  readonly ssrc = Math.floor(Math.random() * 0x100000000) >>> 0;
  timestamp = 0;

  constructor(readonly payloadType: number) {}

  /** Nothing was written for `samples` samples: the timestamp moves on (no marker bit). */
  skip(samples: number): void {
    this.timestamp = (this.timestamp + Math.max(0, Math.round(samples))) >>> 0;
  }

  /** The next packet, `samples` samples of `payload`: the timestamp counts them before the packet goes. */
  next(payload: Buffer, samples: number): Buffer {
    this.timestamp = (this.timestamp + samples) >>> 0;
    const packet = buildRtp({ payloadType: this.payloadType, marker: false, sequence: this.sequence, timestamp: this.timestamp, ssrc: this.ssrc, payload });
    this.sequence = (this.sequence + 1) & 0xffff;
    return packet;
  }
}

export class ExternalMediaSession {
  socket: Socket | undefined;
  /** transport=websocket: the /media connection (websocket-media.ts); undefined for RTP. */
  websocket: WebSocketMediaState | undefined;
  /** transport=websocket: what happens once a client connected (the answer). */
  onConnected: (() => void) | undefined;
  timer: SimTimer | undefined;
  readonly sender: UnicastRtpSender;
  /** Simulated time the last packet was due. */
  lastSent: number | undefined;
  /** When the last packet came back (performance.now()). */
  lastArrival: number | undefined;
  /** The counters the reports show (one object, shared by the reports of the calls it served). */
  readonly stats: ExternalMediaReport;

  constructor(
    readonly channel: SimChannel,
    readonly format: MediaFormat,
    /** RTP: where packets go (external_host); unused for websocket. */
    readonly remote: { address: string; port: number },
    readonly local: { address: string; port: number },
  ) {
    this.sender = new UnicastRtpSender(FORMATS[format].payloadType);
    this.stats = { channelId: channel.id, format, sent: { packets: 0, bytes: 0 }, received: { packets: 0, bytes: 0, durationMs: 0 } };
  }
}

export class ExternalMedia {
  constructor(private readonly core: SimCore) {}

  /** Checks in the order ast_ari_channels_external_media makes them, then creates the channel as chan_rtp does. */
  async externalMedia(p: ExternalMediaRequest): Promise<Channel & { channelvars?: Record<string, string> }> {
    if (!p.app) throw new AriHttpError(400, 'app cannot be empty');
    const transport = p.transport || 'udp';
    const encapsulation = p.encapsulation || 'rtp';
    if (transport === 'websocket' && encapsulation !== 'none') throw new AriHttpError(400, "encapsulation must be 'none' for websocket transport");
    if (encapsulation === 'rtp' && transport !== 'udp') throw new AriHttpError(400, "transport must be 'udp' for rtp encapsulation");
    if (encapsulation === 'audiosocket' && transport !== 'tcp') throw new AriHttpError(400, "transport must be 'tcp' for audiosocket encapsulation");
    const connectionType = p.connection_type || 'client';
    if (transport !== 'websocket' && connectionType === 'server') throw new AriHttpError(400, "'server' connection_type can only be used with the websocket transport");
    let host = p.external_host ?? '';
    if (!host) {
      if (connectionType === 'client') throw new AriHttpError(400, 'external_host is required for all but websocket server connections');
      host = 'INCOMING';
    }
    let target: { host: string; port: number } | undefined;
    if (transport === 'websocket') {
      // The simulator has no websocket_client.conf connections.
      if (connectionType === 'client') throw new AriHttpError(400, 'external_host must be a valid websocket_client connection id.');
    } else {
      target = splitHostPort(host);
      if (!target) throw new AriHttpError(400, 'external_host must be <host>:<port> for all transports other than websocket');
    }
    if (!p.format) throw new AriHttpError(400, 'format cannot be empty');
    if (p.direction && !['both', 'in', 'out'].includes(p.direction)) throw new AriHttpError(400, 'Invalid direction specified');
    const internal = 'An internal error prevented this request from being handled';
    if (encapsulation.toLowerCase() === 'audiosocket' && transport.toLowerCase() === 'tcp') {
      if (!p.data) throw new AriHttpError(400, 'data can not be empty');
      // chan_audiosocket is not simulated: its request fails as without the module.
      throw new AriHttpError(500, internal);
    }
    const websocket = encapsulation.toLowerCase() === 'none' && transport.toLowerCase() === 'websocket';
    // Without chan_websocket the WebSocket channel technology is unknown: no channel (500).
    if (websocket && !this.core.websocketMedia.loaded) throw new AriHttpError(500, internal);
    if (!websocket && (!(encapsulation.toLowerCase() === 'rtp' && transport.toLowerCase() === 'udp') || !target)) {
      throw new AriHttpError(501, 'The encapsulation and/or transport is not supported');
    }
    // ari_channels_handle_originate_with_id: the format list first (ast_format_cache_get), then the channel. Its own
    // answers (400 "Provided format (<name>) was not found", 409 "Channel with given unique ID already exists", 400
    // for an id too long) do not reach the client: external_media_rtp_udp and external_media_websocket return 1 and
    // ast_ari_channels_external_media replaces the answer with 500 (resource_channels.c lines 2684-2703). Seen on
    // Asterisk 22.11 built from releases/22: format=foo and a channelId in use both answer 500 "An internal error
    // prevented this request from being handled".
    const format = p.format.trim();
    if (!KNOWN_FORMATS.has(format)) throw new AriHttpError(500, internal);
    if (format !== 'ulaw' && format !== 'slin16') throw new AriHttpError(500, internal);
    const variables = stringVariables(p.variables);
    if (p.channelId !== undefined && p.channelId.length > 127) throw new AriHttpError(500, internal);
    if (p.channelId !== undefined && this.core.channels.has(p.channelId)) throw new AriHttpError(500, internal);
    if (websocket || !target) return this.core.resources.websocketMedia.create({ app: p.app, channelId: p.channelId, format, variables, data: p.data });
    // unicast_rtp_request: an address, or a name resolved (ast_dns_resolve_ipv6_and_ipv4); failing that, no channel (500).
    const address = isIP(target.host) ? target.host : await lookup(target.host).then((r) => r.address, () => undefined);
    if (!address) throw new AriHttpError(500, internal);
    const remote = { address, port: target.port };
    const socket = await bindRtp(address);
    if (!socket) throw new AriHttpError(500, internal);
    if (p.channelId !== undefined && this.core.channels.has(p.channelId)) {
      socket.socket.close();
      throw new AriHttpError(500, internal);
    }
    const id = p.channelId ?? this.core.newChannelId();
    if (p.channelId !== undefined) this.core.sequence += 1;
    // "UnicastRTP/%s-%p": the destination as given and the RTP instance's address.
    const name = `UnicastRTP/${host}-0x${(0x7f0000000000 + this.core.sequence * 0x1000).toString(16)}`;
    const dialplan = { context: 'default', exten: 's', priority: 1, app_name: 'AppDial2', app_data: '(Outgoing Line)' };
    const ch = new SimChannel(id, name, '', 'outbound', 'originate', { state: 'Down', caller: { name: '', number: '' }, dialplan, language: 'en' }, unlistedReport(id, name));
    const session = new ExternalMediaSession(ch, format, remote, socket.local);
    session.socket = socket.socket;
    ch.externalMedia = session;
    this.core.channels.set(id, ch);
    this.core.channelEvent('ChannelCreated', ch);
    // chan_rtp sets these as it makes the channel (pbx_builtin_setvar_helper), before any application hears of it.
    ch.vars.set('UNICASTRTP_LOCAL_ADDRESS', socket.local.address);
    ch.vars.set('UNICASTRTP_LOCAL_PORT', String(socket.local.port));
    for (const [k, v] of Object.entries(variables)) this.core.resources.channels.writeVariable(ch, k, v);
    const app = this.core.app(p.app);
    app.add(app.channels, ch.id, 'originate');
    socket.socket.on('message', (data) => this.receive(session, data));
    const json: Channel & { channelvars?: Record<string, string> } = ch.json();
    // ast_json_channel_vars walks the channel's variable list, which pbx_builtin_setvar_helper fills at its head:
    // newest first (seen on Asterisk 22.11 built from releases/22: UNICASTRTP_LOCAL_PORT before _ADDRESS).
    json.channelvars = Object.fromEntries([...ch.vars].reverse());
    const appArgs = p.data ? p.data.split(',') : [];
    const appName = p.app;
    // ari_originate_dial: rtp_call queues the answer at once; the answered channel enters the application.
    this.core.after(ch, 0, () => {
      this.core.resources.dialing.dialEvent(ch, '', `${host}/c(${format})`);
      this.core.setState(ch, 'Up');
      this.core.resources.dialing.dialEvent(ch, 'ANSWER', `${host}/c(${format})`);
      this.core.resources.applications.enterStasis(ch, appName, appArgs);
      this.schedule(session, this.core.clock.now());
    });
    this.core.after(ch, this.core.maxCallMs, () => this.core.resources.channels.hangupChannel(ch, 16, 'system', 'maximum call length reached'));
    return json;
  }

  /** The channel is gone: its socket closes and its packets stop. */
  ended(ch: SimChannel): void {
    const session = ch.externalMedia;
    if (!session) return;
    session.timer?.cancel();
    session.timer = undefined;
    session.socket?.close();
    session.socket = undefined;
    this.core.resources.websocketMedia.ended(session);
  }

  private schedule(session: ExternalMediaSession, from: number): void {
    session.timer = this.core.clock.after(PTIME_MS, () => this.tick(session, from + PTIME_MS), from);
  }

  /** One 20 ms packet of what the channel hears, while it is in a bridge (nothing is written to it otherwise). */
  private tick(session: ExternalMediaSession, due: number): void {
    const ch = session.channel;
    if (ch.destroyed || !session.socket) return;
    this.schedule(session, due);
    const rate = FORMATS[session.format].rate;
    const samples = heardBy(this.core, ch, due - PTIME_MS, rate);
    if (!samples) return;
    // Timestamps follow the clock (calc_txstamp): a pause in what is written shows as a jump (no marker bit).
    if (session.lastSent !== undefined && due - session.lastSent > PTIME_MS) session.sender.skip(((due - session.lastSent - PTIME_MS) * rate) / 1000);
    session.lastSent = due;
    const packet = session.sender.next(encode(session.format, samples), samples.length);
    recordSendLateness(session.stats.sent, this.core.clock.now() - due);
    session.stats.sent.packets++;
    session.stats.sent.bytes += packet.length;
    for (const report of servedBy(this.core, ch)) attach(report, session.stats);
    session.socket.send(packet, session.remote.port, session.remote.address);
  }

  private receive(session: ExternalMediaSession, data: Buffer): void {
    const parsed = parseRtp(data);
    if (!parsed.ok) return;
    // The channel's own payload type, or ulaw's (0): Asterisk takes any static type and makes a translation path for
    // it (main/channel.c __ast_read, lines 4122-4140); other static types are not modelled (no codec for them here).
    const pt = parsed.packet.payloadType;
    const format: MediaFormat | undefined = pt === FORMATS[session.format].payloadType ? session.format : pt === FORMATS.ulaw.payloadType ? 'ulaw' : undefined;
    if (!format) return;
    const r = session.stats.received;
    if (parsed.packet.payloadType > LAST_STATIC_PAYLOAD_TYPE) {
      r.ignored = (r.ignored ?? 0) + 1;
      for (const report of servedBy(this.core, session.channel)) attach(report, session.stats);
      this.core.events.emit('external-media-received', session.stats);
      return;
    }
    const arrival = performance.now();
    r.firstAt ??= new Date().toISOString();
    // Arrival gaps within a talkspurt: the marker bit starts a new one (RFC 3551 4.1), after a pause of the sender's.
    if (session.lastArrival !== undefined && !parsed.packet.marker) {
      recordArrivalGap(r, arrival - session.lastArrival);
    }
    session.lastArrival = arrival;
    r.packets++;
    r.bytes += data.length;
    const ms = (parsed.packet.payload.length / FORMATS[format].bytesPerSample / FORMATS[format].rate) * 1000;
    r.durationMs += ms;
    for (const report of servedBy(this.core, session.channel)) attach(report, session.stats);
    // chan_rtp writes each frame to the bridge as it is read: it reaches the parties now.
    voiceReaches(this.core, session.channel, this.core.clock.now(), ms);
    this.core.events.emit('external-media-received', session.stats);
  }
}

/**
 * What the channel hears over [from, from + 20 ms), at `rate` Hz (its format's): the voices of the others in its
 * bridge; undefined out of one.
 */
export function heardBy(core: SimCore, ch: SimChannel, from: number, rate: number): Int16Array | undefined {
  const bridge = ch.bridgeId !== undefined ? core.bridges.get(ch.bridgeId) : undefined;
  if (!bridge) return undefined;
  const out = new Int16Array((VOICE_RATE * PTIME_MS) / 1000);
  for (const id of bridge.channels) {
    if (id === ch.id) continue;
    const other = core.channels.get(id);
    if (!other || other.bridgeMuted) continue;
    const speaker = other.snoopOf ? (other.snoopSpy === 'in' || other.snoopSpy === 'both' ? other.snoopOf : undefined) : other;
    if (!speaker || speaker.muted.in) continue;
    if (!speaker.listenedBy.has(ch.id)) {
      speaker.listenedBy.add(ch.id);
      // With the simulated time this packet is for: a party that waited for it speaks from there, not from a later
      // moment a busy machine ran its step at (so what it says is in the packets that follow, without a gap).
      speaker.signals.emit('listened', ch.id, from);
    }
    mix(out, speaker.voice, from);
  }
  return resample(out, VOICE_RATE, rate);
}

/**
 * Audio the application sent to an external media channel (`ms` of it, from simulated time `at`) reaches the parties
 * in its bridge: each signals 'voice' (a script's `waitFor: 'voice-end'`) when one waits for it; with no such wait
 * pending anywhere nothing is looked at. Not a snoop member: the simulator carries no whisper, so what a snoop gets
 * reaches nobody. Not a member muted for what it hears, nor anyone when the bridge reads nothing from the channel
 * (added with mute=true). Runs for every packet: no allocation.
 */
export function voiceReaches(core: SimCore, ch: SimChannel, at: number, ms: number): void {
  if (core.voiceWaiters === 0) return;
  const bridge = ch.bridgeId !== undefined ? core.bridges.get(ch.bridgeId) : undefined;
  if (!bridge || ch.bridgeMuted) return;
  for (const id of bridge.channels) {
    if (id === ch.id) continue;
    const other = core.channels.get(id);
    if (!other || other.snoopOf || other.externalMedia || other.muted.out) continue;
    if (other.signals.listenerCount('voice') > 0) other.signals.emit('voice', at, ms);
  }
}

/** The reports of the calls this channel serves: the others in its bridge, or the channel a snoop there spies on. */
export function servedBy(core: SimCore, ch: SimChannel): CallReport[] {
  const bridge = ch.bridgeId !== undefined ? core.bridges.get(ch.bridgeId) : undefined;
  if (!bridge) return [];
  const out: CallReport[] = [];
  for (const id of bridge.channels) {
    const other = id === ch.id ? undefined : core.channels.get(id);
    const call = other?.snoopOf ?? other;
    if (call && !call.externalMedia) out.push(call.report);
  }
  return out;
}

/** A figure in ms, to the microsecond, at the end of a report's list of them; the last MAX_ARRIVAL_GAPS are kept. */
function keepFigure(list: number[], ms: number): void {
  list.push(Math.round(ms * 1000) / 1000);
  if (list.length > MAX_ARRIVAL_GAPS) list.shift();
}

/** One arrival gap (ms) in a report's counters. */
export function recordArrivalGap(received: ExternalMediaReport['received'], ms: number): void {
  keepFigure((received.gapsMs ??= []), ms);
}

/** How late one packet left (ms), in a report's counters. */
export function recordSendLateness(sent: ExternalMediaReport['sent'], ms: number): void {
  keepFigure((sent.lateMs ??= []), Math.max(0, ms));
}

/** Adds the external media channel's counters to a call's report once. */
export function attach(report: CallReport, stats: ExternalMediaReport): void {
  report.externalMedia ??= [];
  if (!report.externalMedia.includes(stats)) report.externalMedia.push(stats);
}

/** Adds what a party says (its voice segments) over [from, from + out.length samples) to out. */
export function mix(out: Int16Array, voice: readonly { at: number; samples: Int16Array }[], from: number): void {
  const startSample = Math.round((from * VOICE_RATE) / 1000);
  for (const segment of voice) {
    const segStart = Math.round((segment.at * VOICE_RATE) / 1000);
    const offset = startSample - segStart;
    if (offset + out.length <= 0 || offset >= segment.samples.length) continue;
    for (let i = 0; i < out.length; i++) {
      const s = segment.samples[offset + i];
      if (s === undefined) continue;
      out[i] = Math.max(-32768, Math.min(32767, (out[i] ?? 0) + s));
    }
  }
}

/** ast_sockaddr_split_hostport with PARSE_PORT_REQUIRE: host:port or [v6]:port, the port 1-65535. */
export function splitHostPort(text: string): { host: string; port: number } | undefined {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (!(port >= 1 && port <= 65535)) return undefined;
  return { host: m[1] ?? '', port };
}

/** A socket on an even port of 5000-31000, from a random start, as res_rtp_asterisk.c ast_rtp_new binds its own. */
async function bindRtp(remote: string): Promise<{ socket: Socket; local: { address: string; port: number } } | undefined> {
  const v6 = remote.includes(':');
  // ast_ouraddrfor: the address this host uses to reach the remote one; loopback for loopback.
  const bindAddress = v6 ? (remote === '::1' ? '::1' : '::') : remote.startsWith('127.') ? '127.0.0.1' : '0.0.0.0';
  let port = (Math.floor(Math.random() * (RTP_END - RTP_START)) + RTP_START) & ~1;
  for (let i = 0; i < 200; i++) {
    const socket = createSocket(v6 ? 'udp6' : 'udp4');
    const ok = await new Promise<boolean>((resolve) => {
      socket.once('error', () => resolve(false));
      socket.bind(port, bindAddress, () => resolve(true));
    });
    if (ok) {
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      return { socket, local: { address: bindAddress === '0.0.0.0' || bindAddress === '::' ? ourAddressFor(remote) : bindAddress, port } };
    }
    socket.close();
    port += 2;
    if (port > RTP_END) port = (RTP_START + 1) & ~1;
  }
  return undefined;
}

/** The local address for a remote one, as far as the simulator knows: itself for a loopback peer, else the any-address. */
function ourAddressFor(remote: string): string {
  return remote.includes(':') ? '::' : remote.startsWith('127.') ? '127.0.0.1' : '0.0.0.0';
}

function stringVariables(variables: Record<string, unknown> | undefined): Record<string, string> {
  if (Object.values(variables ?? {}).some((v) => typeof v !== 'string')) throw new AriHttpError(400, "Only string values in the 'variables' object allowed");
  return (variables ?? {}) as Record<string, string>;
}

/** An external media channel is no call of its own: its report is not listed. */
function unlistedReport(id: string, channelName: string): CallReport {
  return { id, channelName, direction: 'outbound', from: '', to: '', state: 'Down', startedAt: new Date().toISOString(), heard: [], pressed: [], transfers: [], recordings: [], variables: {} };
}
