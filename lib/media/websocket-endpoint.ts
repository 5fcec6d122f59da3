/**
 * One WebSocket media endpoint: this process connects to Asterisk's HTTP server at /media/<connection_id> (an
 * external media channel made with transport=websocket, connection_type=server: chan_websocket.c
 * incoming_ws_http_callback, lines 1871-1944) and so needs no port of its own open to Asterisk. Asterisk sends
 * MEDIA_START once the socket is up (websocket_handoff_to_channel, lines 1154-1199), then what the channel hears as
 * BINARY frames in its format; TEXT frames are control events (websocket-protocol.ts). The frames go through the
 * consumer's analysis (analysis.ts) as the RTP endpoint's do, in this thread: the RTP worker thread
 * (callflowMedia.worker) does not apply to this transport. What goes back is cut into 20 ms frames and paced in real
 * time (pacer.ts) as the RTP endpoint does, after the first three of a stream sent at once (Asterisk re-times what it
 * queued, so they are a 60 ms cushion against late frames); its queue stays short;
 * should it fill anyway (900 of 1000 frames: MEDIA_XOFF, lines 644-669) frames are held here until MEDIA_XON, and then
 * only the newest 100 go (its XOFF level less its XON level: Asterisk ignores whole messages past 1000 frames).
 * Everything from the socket is hostile: messages over maxMessageBytes close it (ws's maxPayload, close code 1009),
 * bad control messages are counted and logged, never thrown.
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import type { Logger } from '../log';
import { GapFill } from './gap-fill';
import { Analyser, type AnalysisCommand, type AnalysisEvent, type AnalysisSpec } from './analysis';
import { decodeUlaw, FORMATS, resample, type MediaFormat } from './codec';
import type { MediaEndpoint } from './endpoint';
import { Pacer } from './pacer';
import { commandText, decodeSlinLE, encodeWebSocketAudio, fieldText, messageBytes, parseControlMessage, type ControlFormat, type ControlMessage } from './websocket-protocol';

/** Where to connect: Asterisk's /media/<connection_id>, with the headers of the ARI connection (its credentials). */
export interface WebSocketTarget {
  connectionId: string;
  url: string;
  headers: Record<string, string>;
}

export interface WebSocketEndpointOptions {
  format: MediaFormat;
  /** The rate of the samples handed to onAudio and taken by play (8000 or 16000). */
  rate: 8000 | 16000;
  onAudio?: (samples: Int16Array) => void;
  /** What to work out from the frames received (in order, before onAudio), in this thread; its events go to onEvent. */
  analysis?: AnalysisSpec;
  onEvent?: (event: AnalysisEvent) => void;
  /** Called once when the socket closes after MEDIA_START (Asterisk hung the channel up, the network failed...). */
  onClosed?: (why: string) => void;
  log: Logger;
  /** Longest message taken (default 64 KiB, 2 s of slin16); a longer one closes the socket. */
  maxMessageBytes?: number;
  /** Frames held while Asterisk said MEDIA_XOFF (default 500: 10 s); older ones are dropped past it. */
  maxHeldFrames?: number;
  ptimeMs?: number;
  /** Frames that stop coming are silence to the analysis (gap-fill.ts; RtpEndpointOptions.fillGaps). */
  fillGaps?: boolean;
  /** The most queueDrained() waits for Asterisk's QUEUE_DRAINED (ms; default: the frames sent ahead, and 100 ms). */
  drainWaitMs?: number;
}

export interface WebSocketEndpointStats {
  received: { messages: number; bytes: number; frames: number };
  control: { events: number; unknown: number; malformed: number; errors: number; xoff: number };
  /** Messages sent (a stream's three lead frames are one), their bytes, messages dropped and held (MEDIA_XOFF). */
  sent: { packets: number; bytes: number; dropped: number; held: number };
}

const DEFAULT_MAX_MESSAGE = 64 * 1024;
/**
 * Frames of a new stream sent at once, before the paced ones: Asterisk plays what it queued on its own 20 ms timer
 * (dequeue_frame), so these stay in its queue as a cushion against late frames (60 ms) instead of a gap.
 */
const LEAD_FRAMES = 3;
/** Frames sent at once on MEDIA_XON: its XOFF level less its XON level (chan_websocket.c: 900 - 800). */
const XON_BURST_FRAMES = 100;

/** Text from the network, fit for a log line. */
function shown(text: string): string {
  return JSON.stringify(text.replace(/[^\x20-\x7e]/g, '?').slice(0, 200));
}

/**
 * Emits `control` with each control message's name once it is handled (`undefined` for one that could not be read):
 * what Asterisk said, for whoever wants to follow it.
 */
export class WebSocketEndpoint extends EventEmitter implements MediaEndpoint {
  private socket: WebSocket | undefined;
  private analyser: Analyser | undefined;
  private readonly onEvent: (event: AnalysisEvent) => void;
  /** Frames that do not come are silence to the analysis (gap-fill.ts). */
  private readonly gaps: GapFill;
  private readonly pacer: Pacer<Buffer>;
  private readonly frameSamples: number;
  private readonly wireRate: number;
  /** Received samples short of a 20 ms frame, and an odd byte of slin16. */
  private pending: Int16Array = new Int16Array(0);
  private oddByte: number | undefined;
  private held: Buffer[] = [];
  private xoff = false;
  private closed = false;
  private started = false;
  private malformedLogged = false;
  /** The control format Asterisk speaks on this channel (from its MEDIA_START); commands go back in it. */
  controlFormat: ControlFormat = 'plain-text';
  /** MEDIA_START's fields (connection_id, channel, channel_id, format, optimal_frame_size, ptime). */
  start: ControlMessage | undefined;
  readonly stats: WebSocketEndpointStats = {
    received: { messages: 0, bytes: 0, frames: 0 },
    control: { events: 0, unknown: 0, malformed: 0, errors: 0, xoff: 0 },
    sent: { packets: 0, bytes: 0, dropped: 0, held: 0 },
  };

  constructor(private readonly options: WebSocketEndpointOptions) {
    super();
    this.wireRate = FORMATS[options.format].rate;
    const ptime = options.ptimeMs ?? 20;
    this.frameSamples = (this.wireRate * ptime) / 1000;
    this.pacer = new Pacer<Buffer>((frame) => this.transmit(frame), { ptimeMs: ptime });
    this.onEvent = options.onEvent ?? (() => undefined);
    this.analyser = options.analysis ? new Analyser(options.analysis, options.rate, this.onEvent) : undefined;
    this.gaps = new GapFill({ samplesPerFrame: (options.rate * ptime) / 1000, frameMs: ptime, feed: (frame) => this.analyser?.feed(frame), off: !options.fillGaps });
  }

  /**
   * Connects and waits for MEDIA_START. Rejects with a sentence: the upgrade refused (404: no such connection id,
   * 409: already connected), no MEDIA_START within timeoutMs, a format other than the one asked for.
   */
  connect(target: WebSocketTarget, signal: AbortSignal, timeoutMs = 5000): Promise<void> {
    if (this.closed) return Promise.reject(new Error('media endpoint closed'));
    const where = `${target.url.replace(/\/media\/.*$/, '/media/')}${target.connectionId.slice(0, 8)}...`;
    return new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(target.url, ['media'], { headers: target.headers, maxPayload: this.options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE, handshakeTimeout: timeoutMs, perMessageDeflate: false });
      this.socket = ws;
      let settled = false;
      const fail = (why: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        ws.terminate();
        reject(new Error(why));
      };
      const timer = setTimeout(() => fail(`no MEDIA_START from ${where} within ${timeoutMs} ms`), timeoutMs);
      const onAbort = (): void => fail('the call ended');
      signal.addEventListener('abort', onAbort, { once: true });
      ws.on('unexpected-response', (_req, res) => fail(`Asterisk refused the media WebSocket ${where}: HTTP ${res.statusCode ?? '?'}${res.statusCode === 404 ? ' (no such connection id)' : res.statusCode === 409 ? ' (already connected)' : ''}`));
      let oversized = false;
      ws.on('error', (err: Error & { code?: string }) => {
        if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') oversized = true;
        if (!settled) fail(`media WebSocket ${where} failed: ${err.message}`);
        else this.options.log.debug(`media WebSocket ${where}: ${err.message}`);
      });
      ws.on('message', (data, isBinary) => {
        const bytes = messageBytes(data);
        if (!this.started) {
          if (isBinary) return;
          const parsed = parseControlMessage(bytes.toString('utf8'));
          if (!parsed.ok || parsed.message.name !== 'MEDIA_START') {
            fail(`Asterisk's first message on ${where} was not MEDIA_START: ${parsed.ok ? parsed.message.name : parsed.error}`);
            return;
          }
          const format = fieldText(parsed.message.fields.format);
          if (format !== this.options.format) {
            fail(`Asterisk sends ${shown(String(format))} on ${where}, ${this.options.format} was asked for`);
            return;
          }
          this.start = parsed.message;
          this.controlFormat = parsed.message.format;
          this.started = true;
          settled = true;
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          resolve();
          return;
        }
        if (isBinary) this.receiveAudio(bytes);
        else this.receiveControl(bytes.toString('utf8'));
      });
      ws.on('close', (code, reason) => {
        if (!settled) fail(`media WebSocket ${where} closed before MEDIA_START (code ${code})`);
        else if (!this.closed) {
          this.closed = true;
          this.pacer.close();
          this.gaps.stop();
          this.drainedNow();
          const why = oversized || code === 1009 ? `Asterisk sent a media message over ${this.options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE} bytes` : `the media WebSocket closed (code ${code}${reason.length > 0 ? ` ${shown(reason.toString('utf8'))}` : ''})`;
          this.options.onClosed?.(why);
        }
      });
    });
  }

  /** Queues audio (at the endpoint's rate) to be sent in real time; resolves once it has all gone out. */
  play(samples: Int16Array, rate: 8000 | 16000 = this.options.rate): Promise<void> {
    const wire = resample(samples, rate, this.wireRate);
    const frames: Buffer[] = [];
    for (let at = 0; at < wire.length; at += this.frameSamples) {
      const chunk = new Int16Array(this.frameSamples);
      chunk.set(wire.subarray(at, Math.min(at + this.frameSamples, wire.length)));
      frames.push(encodeWebSocketAudio(this.options.format, chunk));
    }
    // One message: Asterisk cuts it into frames of optimal_frame_size (process_binary_message).
    if (this.pacer.pending === 0 && frames.length > 1) this.transmit(Buffer.concat(frames.splice(0, LEAD_FRAMES)));
    this.pacer.enqueue(frames);
    return this.pacer.drained();
  }

  /** Stops what is being sent (barge-in): here, and what Asterisk has queued (FLUSH_MEDIA). */
  stopPlaying(): void {
    this.pacer.clear();
    this.held = [];
    this.command('FLUSH_MEDIA');
    this.drainedNow();
  }

  /** Who waits for Asterisk's queue to drain (queueDrained). */
  private drainWaiters: (() => void)[] = [];

  /**
   * Resolves once chan_websocket's queue is empty: the frames sent ahead of the pacer (LEAD_FRAMES) are still there
   * when a play resolves, and closing the socket or hanging up the channel then would cut the last 60 ms. Asks with
   * REPORT_QUEUE_DRAINED, answered by QUEUE_DRAINED when its dequeue finds the queue empty (chan_websocket.c); bounded
   * by the time those frames take and a margin, for an Asterisk that does not answer; at once when the socket is not
   * open, and when stopped or closed meanwhile.
   */
  queueDrained(): Promise<void> {
    if (this.closed || this.socket?.readyState !== WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        const at = this.drainWaiters.indexOf(done);
        if (at >= 0) this.drainWaiters.splice(at, 1);
        resolve();
      };
      const timer = setTimeout(done, this.options.drainWaitMs ?? (LEAD_FRAMES + 5) * (this.options.ptimeMs ?? 20));
      this.drainWaiters.push(done);
      if (this.drainWaiters.length === 1) this.command('REPORT_QUEUE_DRAINED');
    });
  }

  private drainedNow(): void {
    for (const done of this.drainWaiters.splice(0)) done();
  }

  /** How late each frame sent back went out against its time (ms). */
  get sendLateness(): readonly number[] {
    return this.pacer.stats.lateness;
  }

  /** Sends a command (HANGUP, FLUSH_MEDIA, GET_STATUS...) in the channel's control format. */
  command(name: string): void {
    const ws = this.socket;
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(commandText(this.controlFormat, name));
  }

  analyse(command: AnalysisCommand): Promise<AnalysisEvent | undefined> {
    return Promise.resolve(this.analyser?.command(command));
  }

  reanalyse(spec: AnalysisSpec): void {
    this.analyser = new Analyser(spec, this.options.rate, this.onEvent);
    this.gaps.restart();
  }

  /** The socket closing under its user is `onClosed`; nothing else fails here. */
  onFailure(): void {
    /* nothing to hear */
  }

  /** Closes the socket (a close frame when open); resolves at once: nothing of this process waits on it. */
  close(): Promise<void> {
    if (this.closed) {
      this.socket?.terminate();
      return Promise.resolve();
    }
    this.closed = true;
    this.pacer.close();
    this.gaps.stop();
    this.drainedNow();
    this.held = [];
    const ws = this.socket;
    if (ws && ws.readyState === WebSocket.OPEN) ws.close(1000);
    else ws?.terminate();
    return Promise.resolve();
  }

  private transmit(frame: Buffer): void {
    const ws = this.socket;
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      this.stats.sent.dropped++;
      return;
    }
    if (this.xoff) {
      this.held.push(frame);
      this.stats.sent.held++;
      if (this.held.length > (this.options.maxHeldFrames ?? 500)) {
        this.held.shift();
        this.stats.sent.dropped++;
      }
      return;
    }
    this.stats.sent.packets++;
    this.stats.sent.bytes += frame.length;
    ws.send(frame, { binary: true });
  }

  private receiveControl(text: string): void {
    const name = this.handleControl(text);
    this.emit('control', name);
  }

  private handleControl(text: string): string | undefined {
    const c = this.stats.control;
    const parsed = parseControlMessage(text);
    if (!parsed.ok) {
      c.malformed++;
      if (!this.malformedLogged) {
        this.malformedLogged = true;
        this.options.log.warn(`media WebSocket: a control message Asterisk sent could not be read (${parsed.error}); ignored`);
      }
      return undefined;
    }
    c.events++;
    const m = parsed.message;
    switch (m.name) {
      case 'MEDIA_XOFF':
        c.xoff++;
        this.xoff = true;
        break;
      case 'MEDIA_XON': {
        this.xoff = false;
        // Asterisk says XON under 800 frames queued and ignores a whole message once 1000 are (process_binary_message,
        // chan_websocket.c QUEUE_LENGTH_*): what goes at once stays under its XOFF level (900); older frames are dropped.
        const frameBytes = this.frameSamples * FORMATS[this.options.format].bytesPerSample;
        const frames = this.held;
        this.held = [];
        let room = XON_BURST_FRAMES;
        let first = frames.length;
        while (first > 0 && room >= Math.ceil((frames[first - 1] as Buffer).length / frameBytes)) room -= Math.ceil((frames[--first] as Buffer).length / frameBytes);
        this.stats.sent.dropped += first;
        for (const f of frames.slice(first)) this.transmit(f);
        break;
      }
      case 'ERROR':
        c.errors++;
        this.options.log.warn(`media WebSocket: Asterisk says ${shown(fieldText(m.fields.error_text) ?? '')}`);
        break;
      case 'QUEUE_DRAINED':
        this.drainedNow();
        break;
      case 'STATUS':
      case 'MEDIA_MARK_PROCESSED':
      case 'MEDIA_BUFFERING_COMPLETED':
      case 'DTMF_END':
      case 'MEDIA_START':
        break;
      default:
        c.unknown++;
        this.options.log.debug(`media WebSocket: unknown event ${m.name} ignored`);
    }
    return m.name;
  }

  /** Raw audio in the channel's format, any length: cut into 20 ms frames, decoded, resampled, handed on. */
  private receiveAudio(bytes: Buffer): void {
    const r = this.stats.received;
    r.messages++;
    r.bytes += bytes.length;
    if (this.closed) return;
    let samples: Int16Array;
    if (this.options.format === 'ulaw') samples = decodeUlaw(bytes);
    else {
      let data = bytes;
      if (this.oddByte !== undefined) data = Buffer.concat([Buffer.of(this.oddByte), bytes]);
      this.oddByte = data.length % 2 === 1 ? data[data.length - 1] : undefined;
      samples = decodeSlinLE(data);
    }
    let all = samples;
    if (this.pending.length > 0) {
      all = new Int16Array(this.pending.length + samples.length);
      all.set(this.pending);
      all.set(samples, this.pending.length);
    }
    let at = 0;
    for (; at + this.frameSamples <= all.length; at += this.frameSamples) {
      r.frames++;
      const frame = resample(all.slice(at, at + this.frameSamples), this.wireRate, this.options.rate);
      this.gaps.heard();
      this.analyser?.feed(frame);
      this.options.onAudio?.(frame);
    }
    this.pending = all.slice(at);
  }
}
