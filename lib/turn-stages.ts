/**
 * Where a robot turn's time goes: the steps of a turn (the end of speech decided, the listening's media path closed,
 * the recogniser, bot and speech requests, the reply's file written, the next listening open, the play asked) are
 * published on the `callflow:turn` diagnostics channel as they happen, for bench/speech to time them per call. Nothing
 * is built, and no clock read, while nobody subscribes: `turnStage` is one property read then.
 */
import diagnostics from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';

export type TurnStageName =
  | 'decided-at-endpoint'
  | 'decided'
  | 'closed'
  | 'stt-sent'
  | 'stt-answered'
  | 'bot-sent'
  | 'bot-answered'
  | 'tts-sent'
  | 'tts-answered'
  | 'file-made'
  | 'cache-written'
  | 'media-ready'
  | 'path-open'
  | 'listening-ready'
  | 'play-asked'
  /** A reply streamed on the robot's media path has gone out (or was stopped). */
  | 'voice-sent';

export interface TurnStage {
  stage: TurnStageName;
  /** The call's channel id; for the speech steps, which know no call: the cache id of the reply's file. */
  key: string;
  /** Wall-clock milliseconds (sub-millisecond: the time origin plus the monotonic clock). */
  at: number;
}

export const turnStages = diagnostics.channel('callflow:turn');

/** Publishes a step of a turn when someone listens (bench/speech); otherwise costs one check. */
export function turnStage(stage: TurnStageName, key: string, at?: number): void {
  if (turnStages.hasSubscribers) turnStages.publish({ stage, key, at: at ?? performance.timeOrigin + performance.now() } satisfies TurnStage);
}
