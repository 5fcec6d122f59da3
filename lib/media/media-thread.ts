/**
 * The RTP worker thread (worker_threads): the packet path of every media path of this process, off the main event
 * loop. It holds the RtpEndpoints (endpoint.ts: the UDP sockets, RTP parse, jitter buffer, decode, the analysis of
 * analysis.ts, the send pacer) and talks with remote-endpoint.ts on the main thread by message: what the main thread
 * gets is an analysis's events (speech started or ended with the utterance, AMD's decision, a beep), a play's end,
 * and the endpoint's figures, never a packet. No audio frame crosses without `frames` (every frame: a consumer of raw
 * audio) or a speech-end analysis with `audio` (the speech's frames only, for a recogniser that streams).
 *
 * An operation it does not know is a bug on the main thread's side: it throws, which ends the thread, and the main
 * thread fails every endpoint it had (remote-endpoint.ts) rather than go on with a thread in an unknown state.
 */
import { parentPort } from 'node:worker_threads';
import type { AnalysisCommand, AnalysisEvent, AnalysisSpec } from './analysis';
import type { MediaFormat } from './codec';
import { emptyStats, NoPortError, RtpEndpoint, type EndpointStats } from './endpoint';

export interface OpenRequest {
  host: string;
  min: number;
  max: number;
  format: MediaFormat;
  rate: 8000 | 16000;
  jitterDepth?: number;
  ptimeMs?: number;
  analysis?: AnalysisSpec;
  /** Whether every audio frame is sent to the main thread (a consumer of raw frames; costly). */
  frames: boolean;
  fillGaps?: boolean;
}

/** Main thread -> worker. */
export type ToThread =
  | { op: 'open'; id: number; options: OpenRequest }
  | { op: 'remote'; id: number; address: string; port: number }
  | { op: 'play'; id: number; req: number; samples: Int16Array; rate?: 8000 | 16000 }
  | { op: 'stop'; id: number }
  | { op: 'analyse'; id: number; req: number; command: AnalysisCommand }
  /** A new analysis (endpoint.ts reanalyse); its events and answers carry `gen`, the earlier one's are dropped there. */
  | { op: 'reanalyse'; id: number; gen: number; spec: AnalysisSpec }
  /** final: answer with the analysis's time-up decision (it had not decided: its consumer may still ask). */
  | { op: 'close'; id: number; final: boolean };

export interface Figures {
  stats: EndpointStats;
  lateness: number[];
}

/** Worker -> main thread. */
export type FromThread =
  | { op: 'listening'; id: number; local: { address: string; port: number } }
  | { op: 'not-listening'; id: number; error: string; noPort: boolean }
  /** gen: the analysis it comes from (0, then one more at each reanalyse). */
  | { op: 'event'; id: number; gen: number; event: AnalysisEvent }
  | { op: 'audio'; id: number; samples: Int16Array }
  | { op: 'played'; id: number; req: number; figures: Figures }
  | { op: 'answer'; id: number; req: number; gen: number; event: AnalysisEvent | undefined }
  /** `final`: the analysis's decision at close (time-up), for a consumer that asks after the close. */
  | { op: 'closed'; id: number; figures: Figures; final: AnalysisEvent | undefined };

function figuresOf(endpoint: RtpEndpoint): Figures {
  return { stats: endpoint.stats, lateness: endpoint.sendLateness.slice() };
}

function serve(port: NonNullable<typeof parentPort>): void {
  const endpoints = new Map<number, RtpEndpoint>();
  /** Per endpoint, the analysis its events now come from (reanalyse). */
  const generations = new Map<number, number>();
  const send = (message: FromThread): void => port.postMessage(message);

  const open = (id: number, o: OpenRequest): void => {
    const endpoint = new RtpEndpoint({
      host: o.host,
      min: o.min,
      max: o.max,
      format: o.format,
      rate: o.rate,
      jitterDepth: o.jitterDepth,
      ptimeMs: o.ptimeMs,
      analysis: o.analysis,
      fillGaps: o.fillGaps,
      // The end of speech carries when it was decided here, for bench/speech's stages (lib/turn-stages.ts).
      onEvent: (event) => send({ op: 'event', id, gen: generations.get(id) ?? 0, event: event.type === 'speech-ended' ? { ...event, decidedAt: performance.timeOrigin + performance.now() } : event }),
      onAudio: o.frames ? (samples) => send({ op: 'audio', id, samples }) : undefined,
    });
    endpoints.set(id, endpoint);
    endpoint.listen().then(
      (local) => send({ op: 'listening', id, local }),
      (err: unknown) => {
        endpoints.delete(id);
        void endpoint.close();
        send({ op: 'not-listening', id, error: (err as Error).message, noPort: err instanceof NoPortError });
      },
    );
  };

  port.on('message', (m: ToThread) => {
    const endpoint = endpoints.get(m.id);
    switch (m.op) {
      case 'open':
        try {
          open(m.id, m.options);
        } catch (err) {
          send({ op: 'not-listening', id: m.id, error: (err as Error).message, noPort: false });
        }
        return;
      case 'remote':
        endpoint?.setRemote(m.address, m.port);
        return;
      case 'play':
        if (!endpoint) return send({ op: 'played', id: m.id, req: m.req, figures: { stats: emptyStats(), lateness: [] } });
        void endpoint.play(m.samples, m.rate).then(() => send({ op: 'played', id: m.id, req: m.req, figures: figuresOf(endpoint) }));
        return;
      case 'stop':
        endpoint?.stopPlaying();
        return;
      case 'analyse': {
        const gen = generations.get(m.id) ?? 0;
        if (!endpoint) return send({ op: 'answer', id: m.id, req: m.req, gen, event: undefined });
        void endpoint.analyse(m.command).then((event) => send({ op: 'answer', id: m.id, req: m.req, gen, event }));
        return;
      }
      case 'reanalyse':
        if (!endpoint) return;
        generations.set(m.id, m.gen);
        endpoint.reanalyse(m.spec);
        return;
      case 'close': {
        // One that failed to listen is gone already: its closing is answered all the same.
        if (!endpoint) return send({ op: 'closed', id: m.id, figures: { stats: emptyStats(), lateness: [] }, final: undefined });
        endpoints.delete(m.id);
        generations.delete(m.id);
        void endpoint.close();
        const final = m.final ? endpoint.analyse('time-up') : Promise.resolve(undefined);
        void final.then((event) => send({ op: 'closed', id: m.id, figures: figuresOf(endpoint), final: event }));
        return;
      }
      default:
        throw new Error(`RTP worker thread: unknown operation ${JSON.stringify((m as { op?: unknown }).op)}`);
    }
  });
}

if (parentPort) serve(parentPort);
