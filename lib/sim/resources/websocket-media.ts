/**
 * External media over a WebSocket (POST /channels/externalMedia with transport=websocket, encapsulation=none,
 * connection_type=server; res/ari/resource_channels.c external_media_websocket lines 2511-2570 and channels/
 * chan_websocket.c at commit f0c1c1a7). The channel `WebSocket/INCOMING/<address>` is made Down, with
 * MEDIA_WEBSOCKET_CONNECTION_ID (a UUID) and MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE; it waits for a client on the HTTP
 * server's /media/<connection_id> (server.ts). Once one is there it sends MEDIA_START, is answered and enters the
 * application. Every 20 ms of simulated time it writes what it hears in its bridge as one BINARY frame (raw audio in
 * its format, signed linear little-endian) and takes one frame off the queue of what the client sent, as
 * chan_websocket's timer does: the queue holds at most 1000 frames, MEDIA_XOFF at 900, MEDIA_XON below 800. TEXT
 * frames are commands (HANGUP, FLUSH_MEDIA, GET_STATUS, REPORT_QUEUE_DRAINED, MARK_MEDIA, PAUSE_MEDIA,
 * CONTINUE_MEDIA; ANSWER does nothing on an answered channel), in plain text or JSON as chan_websocket.conf says
 * (SimulatorOptions.websocketControlFormat). The socket closing hangs the channel up; the channel hanging up closes it
 * (code 1000).
 */
import { randomUUID } from 'node:crypto';
import type { Channel } from '../../ari/types';
import { FORMATS, type MediaFormat } from '../../media/codec';
import { encodeWebSocketAudio, OPTIMAL_FRAME_SIZE, parseControlMessage, type ControlFormat } from '../../media/websocket-protocol';
import { SimChannel } from '../channel';
import type { CallReport } from '../script';
import type { SimCore } from './core';
import { attach, ExternalMediaSession, heardBy, recordArrivalGap, recordSendLateness, servedBy, voiceReaches } from './external-media';

/** What the simulator needs of a connected client's socket. */
export interface MediaSocket {
  send(data: Buffer | string): void;
  close(code: number): void;
}

/** chan_websocket.c lines 141-144: QUEUE_LENGTH_MAX, _XOFF_LEVEL, _XON_LEVEL; MAX_TEXT_MESSAGE_LEN. */
const QUEUE_MAX = 1000;
const XOFF_LEVEL = 900;
const XON_LEVEL = 800;
const MAX_TEXT = 128;
const PTIME_MS = 20;
/** The simulator's own rule for its report (no marker bit on a WebSocket): a pause this long starts a new stream. */
const NEW_STREAM_GAP_MS = 200;

export interface WebSocketMediaState {
  connectionId: string;
  controlFormat: ControlFormat;
  socket: MediaSocket | undefined;
  /** The frame queue: null for a frame of audio, a text for an event queued behind the audio (MARK_MEDIA). */
  queue: (string | null)[];
  queueLength: number;
  queueFull: boolean;
  paused: boolean;
  reportDrained: boolean;
  /** When the last BINARY message came (performance.now()). */
  lastArrival?: number;
}

export class WebSocketMedia {
  private readonly byConnection = new Map<string, ExternalMediaSession>();

  constructor(private readonly core: SimCore) {}

  /** The channel (webchan_request, chan_websocket.c lines 1561-1763), Down until a client connects. */
  create(p: { app: string; channelId: string | undefined; format: MediaFormat; variables: Record<string, string>; data: string | undefined }): Channel & { channelvars?: Record<string, string> } {
    const core = this.core;
    const id = p.channelId ?? core.newChannelId();
    if (p.channelId !== undefined) core.sequence += 1;
    const connectionId = randomUUID();
    const name = `WebSocket/INCOMING/0x${(0x7f0000000000 + core.sequence * 0x1000).toString(16)}`;
    const dialplan = { context: 'default', exten: 's', priority: 1, app_name: 'AppDial2', app_data: '(Outgoing Line)' };
    const report: CallReport = { id, channelName: name, direction: 'outbound', from: '', to: '', state: 'Down', startedAt: new Date().toISOString(), heard: [], pressed: [], transfers: [], recordings: [], variables: {} };
    const ch = new SimChannel(id, name, '', 'outbound', 'originate', { state: 'Down', caller: { name: '', number: '' }, dialplan, language: 'en' }, report);
    const none = { address: '', port: 0 };
    const session = new ExternalMediaSession(ch, p.format, none, none);
    session.stats.transport = 'websocket';
    session.websocket = { connectionId, controlFormat: core.websocketMedia.controlFormat, socket: undefined, queue: [], queueLength: 0, queueFull: false, paused: false, reportDrained: false };
    ch.externalMedia = session;
    core.channels.set(id, ch);
    core.channelEvent('ChannelCreated', ch);
    // set_channel_variables (lines 1489-1504), before any application hears of the channel.
    ch.vars.set('MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE', String(OPTIMAL_FRAME_SIZE[p.format]));
    ch.vars.set('MEDIA_WEBSOCKET_CONNECTION_ID', connectionId);
    for (const [k, v] of Object.entries(p.variables)) core.resources.channels.writeVariable(ch, k, v);
    const app = core.app(p.app);
    app.add(app.channels, ch.id, 'originate');
    this.byConnection.set(connectionId, session);
    const json: Channel & { channelvars?: Record<string, string> } = ch.json();
    // Newest first, as ast_json_channel_vars lists them (seen on Asterisk 22.11: the connection id first).
    json.channelvars = Object.fromEntries([...ch.vars].reverse());
    const appArgs = p.data ? p.data.split(',') : [];
    const appName = p.app;
    session.onConnected = () => {
      // The answer makes the channel Up, then the dial reports it (seen on Asterisk 22.11 built from releases/22:
      // ChannelStateChange Up before Dial ANSWER, as for UnicastRTP).
      core.setState(ch, 'Up');
      core.resources.dialing.dialEvent(ch, 'ANSWER', 'INCOMING');
      core.resources.applications.enterStasis(ch, appName, appArgs);
      this.schedule(session, core.clock.now());
    };
    core.after(ch, 0, () => core.resources.dialing.dialEvent(ch, '', 'INCOMING'));
    core.after(ch, core.maxCallMs, () => core.resources.channels.hangupChannel(ch, 16, 'system', 'maximum call length reached'));
    return json;
  }

  /** The upgrade to /media/<id> (incoming_ws_http_callback, lines 1871-1944): 404 unknown, 409 already connected. */
  find(connectionId: string): ExternalMediaSession | 404 | 409 {
    const session = this.byConnection.get(connectionId);
    if (!session || session.channel.destroyed) return 404;
    if (session.websocket?.socket) return 409;
    return session;
  }

  /** A client connected: MEDIA_START, then the answer (websocket_handoff_to_channel, lines 1154-1199). */
  connected(session: ExternalMediaSession, socket: MediaSocket): void {
    const ws = session.websocket;
    if (!ws) return;
    ws.socket = socket;
    const ch = session.channel;
    const fields = { connection_id: ws.connectionId, channel: ch.name, channel_id: ch.id, format: session.format, optimal_frame_size: OPTIMAL_FRAME_SIZE[session.format], ptime: PTIME_MS };
    this.event(session, 'MEDIA_START', fields, { channel_variables: Object.fromEntries(ch.vars) });
    session.onConnected?.();
  }

  /** A message from the client (read_from_ws_and_queue, lines 1089-1152). */
  message(session: ExternalMediaSession, data: Buffer, isBinary: boolean): void {
    const ws = session.websocket;
    if (!ws || session.channel.destroyed) return;
    if (!isBinary) {
      this.command(session, data);
      return;
    }
    // process_binary_message (lines 964-1087): full frames queued, a partial tail dropped (no bulk media).
    if (ws.queueLength >= QUEUE_MAX) return;
    const size = OPTIMAL_FRAME_SIZE[session.format];
    const frames = Math.floor(data.length / size);
    const r = session.stats.received;
    r.firstAt ??= new Date().toISOString();
    const arrival = performance.now();
    if (ws.lastArrival !== undefined && arrival - ws.lastArrival < NEW_STREAM_GAP_MS) {
      recordArrivalGap(r, arrival - ws.lastArrival);
    }
    ws.lastArrival = arrival;
    r.packets += frames;
    r.bytes += data.length;
    r.durationMs += frames * PTIME_MS;
    for (let i = 0; i < frames; i++) {
      ws.queue.push(null);
      ws.queueLength++;
      if (!ws.queueFull && ws.queueLength >= XOFF_LEVEL) {
        ws.queueFull = true;
        this.event(session, 'MEDIA_XOFF');
      }
    }
    for (const report of servedBy(this.core, session.channel)) attach(report, session.stats);
    this.core.events.emit('external-media-received', session.stats);
  }

  /**
   * The client's socket is gone: the channel hangs up, cause 16 (AST_CAUSE_NORMAL) after a close frame (lines
   * 1130-1134), 38 (AST_CAUSE_NETWORK_OUT_OF_ORDER) when the read failed without one (lines 1103-1108).
   */
  closed(session: ExternalMediaSession, closeFrame: boolean): void {
    const ws = session.websocket;
    if (!ws) return;
    ws.socket = undefined;
    if (!session.channel.destroyed && !session.channel.hangingUp) this.core.resources.channels.hangupChannel(session.channel, closeFrame ? 16 : 38, 'system', 'media WebSocket closed');
  }

  /** The channel is gone: its socket is closed (webchan_hangup, lines 1765-1786, code 1000). */
  ended(session: ExternalMediaSession): void {
    const ws = session.websocket;
    if (!ws) return;
    this.byConnection.delete(ws.connectionId);
    const socket = ws.socket;
    ws.socket = undefined;
    socket?.close(1000);
  }

  private schedule(session: ExternalMediaSession, from: number): void {
    session.timer = this.core.clock.after(PTIME_MS, () => this.tick(session, from + PTIME_MS), from);
  }

  /** One 20 ms step: a frame off the queue (dequeue_frame, lines 465-559), and what the channel hears written out. */
  private tick(session: ExternalMediaSession, due: number): void {
    const ch = session.channel;
    const ws = session.websocket;
    if (ch.destroyed || !ws?.socket) return;
    this.schedule(session, due);
    if (this.dequeue(session, ws)) voiceReaches(this.core, ch, due, PTIME_MS);
    const samples = heardBy(this.core, ch, due - PTIME_MS, FORMATS[session.format].rate);
    if (!samples) return;
    const frame = encodeWebSocketAudio(session.format, samples);
    recordSendLateness(session.stats.sent, this.core.clock.now() - due);
    session.stats.sent.packets++;
    session.stats.sent.bytes += frame.length;
    for (const report of servedBy(this.core, ch)) attach(report, session.stats);
    ws.socket.send(frame);
  }

  /** Takes the next frame off the queue; true when it was audio (written to the channel now). */
  private dequeue(session: ExternalMediaSession, ws: WebSocketMediaState): boolean {
    if (ws.paused) return false;
    if (ws.queueFull && ws.queueLength < XON_LEVEL) {
      ws.queueFull = false;
      this.event(session, 'MEDIA_XON');
    }
    let head = ws.queue.shift();
    while (typeof head === 'string') {
      ws.socket?.send(head);
      head = ws.queue.shift();
    }
    if (head === undefined) {
      if (ws.reportDrained) {
        ws.reportDrained = false;
        this.event(session, 'QUEUE_DRAINED');
      }
      return false;
    }
    ws.queueLength--;
    return true;
  }

  /** handle_command (lines 728-929) for the commands simulated; the others are ignored as unknown ones are. */
  private command(session: ExternalMediaSession, data: Buffer): void {
    const ws = session.websocket;
    if (!ws) return;
    // process_text_message (lines 931-962): empty and over-long texts are dropped with a warning.
    if (data.length === 0 || data.length > MAX_TEXT) {
      this.core.log.warn(`${session.channel.name}: WebSocket TEXT message of length ${data.length} ignored`);
      return;
    }
    const text = data.toString('utf8').trim();
    let name: string;
    let argument = '';
    if (ws.controlFormat === 'json') {
      const parsed = text.startsWith('{') ? parseControlMessage(text, 'command') : undefined;
      if (!parsed?.ok) {
        this.event(session, 'ERROR', { error_text: 'Unable to parse JSON command' });
        return;
      }
      name = parsed.message.name;
      const id = parsed.message.fields.correlation_id;
      argument = typeof id === 'string' ? id : '';
    } else {
      name = text.split(' ')[0] ?? '';
      argument = text.slice(name.length + 1);
    }
    const ch = session.channel;
    switch (name) {
      case 'ANSWER':
        break;
      case 'HANGUP':
        this.core.resources.channels.hangupChannel(ch, 16, 'system', 'HANGUP on the media WebSocket');
        break;
      case 'FLUSH_MEDIA':
        ws.queue = [];
        ws.queueLength = 0;
        break;
      case 'REPORT_QUEUE_DRAINED':
        ws.reportDrained = true;
        break;
      case 'GET_STATUS':
        this.event(session, 'STATUS', { queue_length: ws.queueLength, xon_level: XON_LEVEL, xoff_level: XOFF_LEVEL, queue_full: ws.queueFull, bulk_media: false, media_paused: ws.paused });
        break;
      case 'PAUSE_MEDIA':
        ws.paused = true;
        break;
      case 'CONTINUE_MEDIA':
        ws.paused = false;
        break;
      case 'MARK_MEDIA': {
        const id = argument;
        ws.queue.push(ws.controlFormat === 'json' ? JSON.stringify({ event: 'MEDIA_MARK_PROCESSED', channel_id: ch.id, correlation_id: id }) : `MEDIA_MARK_PROCESSED${id ? ` ${id}` : ''}`);
        break;
      }
      default:
        this.core.log.warn(`${ch.name}: WebSocket ${name.slice(0, 40)} command unknown`);
    }
  }

  /**
   * An event as chan_websocket writes it (_create_event_*, lines 198-448): JSON with "event" and "channel_id" first
   * (MEDIA_START: channel_id after connection_id and channel, channel_variables last), or plain text: the name, then
   * key:value pairs (MEDIA_XON, MEDIA_XOFF and QUEUE_DRAINED: the name alone; ERROR: channel_id and error_text).
   */
  private event(session: ExternalMediaSession, name: string, fields: Record<string, string | number | boolean> = {}, jsonOnly: Record<string, unknown> = {}): void {
    const ws = session.websocket;
    if (!ws?.socket) return;
    const ch = session.channel;
    let text: string;
    if (ws.controlFormat === 'json') {
      text = JSON.stringify(name === 'MEDIA_START' ? { event: name, ...fields, ...jsonOnly } : { event: name, channel_id: ch.id, ...fields });
    } else if (name === 'MEDIA_START') {
      text = [name, ...Object.entries(fields).map(([k, v]) => `${k}:${String(v)}`)].join(' ');
    } else if (Object.keys(fields).length === 0) {
      text = name;
    } else {
      text = [name, `channel_id:${ch.id}`, ...Object.entries(fields).map(([k, v]) => `${k}:${String(v)}`)].join(' ');
    }
    ws.socket.send(text);
  }
}
