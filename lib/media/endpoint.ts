/**
 * One RTP endpoint: a UDP socket bound to an address and a port from a configured range, facing one external media
 * channel of Asterisk. What comes in is parsed (rtp.ts), ordered (jitter.ts), decoded (codec.ts) and handed on as
 * 16-bit samples at the rate the consumer asked for; what goes back is cut into 20 ms packets and paced in real time
 * (pacer.ts). Packets from any address but the channel's (once known) and packets of another payload type are
 * dropped and counted: the socket is open to the network. With `analysis` (analysis.ts) the frames are worked out
 * here and only the analysis's events go to `onEvent`. It runs in the process's event loop, or on the RTP worker
 * thread (media-thread.ts) behind a RemoteEndpoint (remote-endpoint.ts) with the same API (RtpMediaEndpoint).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { GapFill } from './gap-fill';
import { Analyser, type AnalysisCommand, type AnalysisEvent, type AnalysisSpec } from './analysis';
import { decode, encode, FORMATS, resample, type MediaFormat } from './codec';
import { JitterBuffer } from './jitter';
import { Pacer } from './pacer';
import { parseRtp, RtpSequence } from './rtp';

export interface PortRange {
  /** The address to bind (an address of this host; 0.0.0.0 for all). */
  host: string;
  min: number;
  max: number;
}

export interface RtpEndpointOptions extends PortRange {
  format: MediaFormat;
  /** The rate of the samples handed to onAudio and taken by play (8000 or 16000). */
  rate: 8000 | 16000;
  /** Jitter buffer depth in packets (default 3). */
  jitterDepth?: number;
  /** Called with each frame of audio received, in order. */
  onAudio?: (samples: Int16Array) => void;
  /** What to work out from the frames received (in order, before onAudio); its events go to onEvent. */
  analysis?: AnalysisSpec;
  onEvent?: (event: AnalysisEvent) => void;
  /** Packet time of audio sent back (default 20 ms). */
  ptimeMs?: number;
  /**
   * Frames that stop coming are silence to the analysis (gap-fill.ts): for a path bridged with the call, whose frames
   * stop while the caller is silent (silence suppression, a Local channel). A snoop's come every 20 ms: not needed.
   */
  fillGaps?: boolean;
}

export interface EndpointStats {
  received: { packets: number; bytes: number; late: number; duplicates: number; lost: number; malformed: number; foreign: number; wrongPayload: number };
  sent: { packets: number; bytes: number; dropped: number };
}

/** Why no port could be bound: every port of the range is in use, or the address is not this host's. */
export class NoPortError extends Error {}

/** An endpoint's figures before any packet (here, on the RTP worker, and for an endpoint the worker no longer holds). */
export function emptyStats(): EndpointStats {
  return {
    received: { packets: 0, bytes: 0, late: 0, duplicates: 0, lost: 0, malformed: 0, foreign: 0, wrongPayload: 0 },
    sent: { packets: 0, bytes: 0, dropped: 0 },
  };
}

/** Refuses a port range outside 1-65535 (before any socket or worker is made). */
export function checkPortRange(range: PortRange): void {
  if (!(range.min >= 1 && range.max <= 65535 && range.min <= range.max && Number.isInteger(range.min) && Number.isInteger(range.max))) {
    throw new RangeError(`RTP port range ${range.min}-${range.max} is not within 1-65535`);
  }
}

/**
 * What a media path uses of its endpoint, whatever carries the audio: RTP in this thread (RtpEndpoint) or on the RTP
 * worker (RemoteEndpoint), or a WebSocket to Asterisk (websocket-endpoint.ts, in this thread).
 */
export interface MediaEndpoint {
  readonly sendLateness: readonly number[];
  /**
   * Sends audio in real time; resolves once it has gone out (or was stopped). `rate`: the samples' rate when it is not
   * the endpoint's (they are resampled once, straight to the wire's).
   */
  play(samples: Int16Array, rate?: 8000 | 16000): Promise<void>;
  /**
   * Resolves once what was sent has left the far end's own queue, where it has one (chan_websocket queues what comes
   * and plays it every 20 ms: websocket-endpoint.ts); absent: nothing is queued there (RTP goes to the bridge as it
   * comes).
   */
  queueDrained?(): Promise<void>;
  stopPlaying(): void;
  /** Asks the analysis for what a consumer's timer calls for (analysis.ts); resolves with its decision, if any. */
  analyse(command: AnalysisCommand): Promise<AnalysisEvent | undefined>;
  /**
   * A new analysis from the next frame on, in place of the one before (a robot's next listening on the same path):
   * the earlier one's events and decision are forgotten, even those on their way from the RTP worker.
   */
  reanalyse(spec: AnalysisSpec): void;
  /** Hears once that the endpoint failed under its user (the RTP worker thread stopped): it is closed. */
  onFailure(listener: (err: Error) => void): void;
  /** Closes the endpoint and drops what was to be sent; resolves once it is closed (a port: free) (idempotent). */
  close(): Promise<void>;
}

/** An RTP endpoint, in this thread (RtpEndpoint) or on the RTP worker (RemoteEndpoint). */
export interface RtpMediaEndpoint extends MediaEndpoint {
  readonly stats: EndpointStats;
  local: { address: string; port: number } | undefined;
  listen(): Promise<{ address: string; port: number }>;
  setRemote(address: string, port: number): void;
}

export class RtpEndpoint implements RtpMediaEndpoint {
  private socket: Socket | undefined;
  private remote: { address: string; port: number } | undefined;
  private readonly jitter: JitterBuffer;
  private readonly pacer: Pacer<Buffer>;
  private readonly sender: RtpSequence;
  private readonly wire: (typeof FORMATS)[MediaFormat];
  private readonly samplesPerPacket: number;
  private analyser: Analyser | undefined;
  private readonly onEvent: (event: AnalysisEvent) => void;
  /** Frames that do not come are silence to the analysis (gap-fill.ts). */
  private readonly gaps: GapFill;
  private closed = false;
  readonly stats: EndpointStats = emptyStats();
  /** The address and port bound, once listening. */
  local: { address: string; port: number } | undefined;

  constructor(private readonly options: RtpEndpointOptions) {
    checkPortRange(options);
    this.wire = FORMATS[options.format];
    const ptime = options.ptimeMs ?? 20;
    this.samplesPerPacket = (this.wire.rate * ptime) / 1000;
    this.jitter = new JitterBuffer(options.jitterDepth ?? 3);
    this.sender = new RtpSequence(this.wire.payloadType);
    this.pacer = new Pacer<Buffer>((packet) => this.transmit(packet), { ptimeMs: ptime });
    this.onEvent = options.onEvent ?? (() => undefined);
    this.analyser = options.analysis ? new Analyser(options.analysis, options.rate, this.onEvent) : undefined;
    this.gaps = new GapFill({ samplesPerFrame: (options.rate * ptime) / 1000, frameMs: ptime, feed: (frame) => this.analyser?.feed(frame), off: !options.fillGaps });
  }

  /** Binds a port of the range (starting at a random one, as res_rtp_asterisk.c picks its ports) and starts receiving. */
  async listen(): Promise<{ address: string; port: number }> {
    const { min, max, host } = this.options;
    const span = max - min + 1;
    const first = Math.floor(Math.random() * span);
    let lastError: Error | undefined;
    for (let i = 0; i < span && i < 200; i++) {
      const port = min + ((first + i) % span);
      try {
        const socket = await bind(host, port);
        if (this.closed) {
          socket.close();
          throw new Error('endpoint closed');
        }
        this.socket = socket;
        socket.on('message', (data, from) => this.receive(data, from));
        // A UDP socket's errors (an ICMP unreachable reported on send) must not end the process.
        socket.on('error', () => undefined);
        this.local = { address: host, port };
        return this.local;
      } catch (err) {
        lastError = err as Error;
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') break;
      }
    }
    throw new NoPortError(`no UDP port free for RTP on ${host} in ${min}-${max}: ${lastError?.message ?? 'none tried'}`);
  }

  /** Where audio goes back to: the channel's UNICASTRTP_LOCAL_ADDRESS and _PORT. Packets from elsewhere are dropped. */
  setRemote(address: string, port: number): void {
    this.remote = { address, port };
  }

  /** Queues audio (at the endpoint's rate) to be sent in real time; resolves once it has all gone out. */
  play(samples: Int16Array, rate: 8000 | 16000 = this.options.rate): Promise<void> {
    const wireSamples = resample(samples, rate, this.wire.rate);
    const packets: Buffer[] = [];
    for (let at = 0; at < wireSamples.length; at += this.samplesPerPacket) {
      const chunk = new Int16Array(this.samplesPerPacket);
      chunk.set(wireSamples.subarray(at, Math.min(at + this.samplesPerPacket, wireSamples.length)));
      packets.push(encode(this.options.format, chunk));
    }
    this.pacer.enqueue(packets);
    return this.pacer.drained();
  }

  /** Stops what is being sent (barge-in). */
  stopPlaying(): void {
    this.pacer.clear();
  }

  analyse(command: AnalysisCommand): Promise<AnalysisEvent | undefined> {
    return Promise.resolve(this.analyser?.command(command));
  }

  reanalyse(spec: AnalysisSpec): void {
    this.analyser = new Analyser(spec, this.options.rate, this.onEvent);
    this.gaps.restart();
  }

  /** An endpoint in this thread does not fail under its user. */
  onFailure(): void {
    /* nothing to hear */
  }

  /** How late each packet sent back went out against its time (ms). */
  get sendLateness(): readonly number[] {
    return this.pacer.stats.lateness;
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.pacer.close();
    this.gaps.stop();
    // A UDP socket's descriptor is closed at once (libuv uv__udp_close): the port is free when this returns.
    this.socket?.close();
    this.socket = undefined;
    return Promise.resolve();
  }

  private transmit(payload: Buffer): void {
    const socket = this.socket;
    const remote = this.remote;
    if (!socket || !remote) {
      this.stats.sent.dropped++;
      return;
    }
    const packet = this.sender.next(payload, this.samplesPerPacket);
    this.stats.sent.packets++;
    this.stats.sent.bytes += packet.length;
    socket.send(packet, remote.port, remote.address);
  }

  private receive(data: Buffer, from: RemoteInfo): void {
    const r = this.stats.received;
    if (this.remote && (from.address !== this.remote.address || from.port !== this.remote.port)) {
      r.foreign++;
      return;
    }
    const parsed = parseRtp(data);
    if (!parsed.ok) {
      r.malformed++;
      return;
    }
    if (parsed.packet.payloadType !== this.wire.payloadType) {
      r.wrongPayload++;
      return;
    }
    r.packets++;
    r.bytes += data.length;
    for (const packet of this.jitter.push(parsed.packet)) this.deliver(packet.payload);
    const j = this.jitter.stats;
    r.late = j.late;
    r.duplicates = j.duplicates;
    r.lost = j.lost;
  }

  private deliver(payload: Buffer): void {
    const samples = resample(decode(this.options.format, payload), this.wire.rate, this.options.rate);
    this.gaps.heard();
    this.analyser?.feed(samples);
    this.options.onAudio?.(samples);
  }
}

function bind(host: string, port: number): Promise<Socket> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  return new Promise((resolve, reject) => {
    const failed = (err: Error): void => {
      socket.close();
      reject(err);
    };
    socket.once('error', failed);
    socket.bind(port, host, () => {
      socket.off('error', failed);
      resolve(socket);
    });
  });
}
