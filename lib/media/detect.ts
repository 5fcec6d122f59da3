/**
 * Answering-machine detection on a call: the call's media path (path.ts, listening through a snoop) feeds the AMD
 * classifier (amd.ts) and the beep detector (tone.ts) with 20 ms frames at 8 kHz, as AMD() reads slin. AMD()'s own
 * wall-clock limit applies too: totalAnalysisTime of real time with no decision is NOTSURE (NOAUDIODATA when no audio
 * came at all). With `waitForBeep`, a MACHINE result waits for the end of the machine's beep (or gives up after
 * `beepTimeoutMs`), so a notice played next is recorded whole; not after INITIALSILENCE (nothing was said, so no
 * greeting will end in a beep). The call hanging up is HANGUP. The path is always
 * closed before this resolves.
 */
import type { Logger } from '../log';
import { AmdClassifier, type AmdParameters, type AmdResult } from './amd';
import { openMediaPath, type MediaSettings, type MediaTelephony } from './path';
import { ToneDetector, type Beep } from './tone';

export interface DetectOptions {
  parameters?: Partial<AmdParameters>;
  waitForBeep?: boolean;
  /** How long to wait for the beep after a MACHINE result (ms, real time; default 30000). */
  beepTimeoutMs?: number;
  /** The call's signal (it ended). */
  signal: AbortSignal;
  log: Logger;
}

export interface Detection extends AmdResult {
  /** With waitForBeep and a MACHINE: the beep heard (null: none within beepTimeoutMs). */
  beep?: Beep | null;
  /** Real milliseconds from the start of the analysis to the decision (bench/amd's time to decision). */
  decidedInMs: number;
}

const RATE = 8000;

export async function detectMachine(telephony: MediaTelephony, callChannelId: string, settings: MediaSettings, options: DetectOptions): Promise<Detection> {
  const amd = new AmdClassifier(options.parameters);
  const tones = new ToneDetector({ level: amd.parameters.silenceThreshold });
  let settle!: (d: Detection) => void;
  const done = new Promise<Detection>((resolve) => (settle = resolve));
  let result: AmdResult | undefined;
  let beepTimer: NodeJS.Timeout | undefined;
  let finished = false;
  const started = performance.now();
  let decidedInMs = 0;
  const finish = (d: Omit<Detection, 'decidedInMs'>): void => {
    if (finished) return;
    finished = true;
    settle({ ...d, decidedInMs });
  };
  const decided = (r: AmdResult): void => {
    if (result) return;
    result = r;
    decidedInMs = performance.now() - started;
    clearTimeout(analysisTimer);
    // A line silent from the start (INITIALSILENCE) greeted nobody: there is no greeting to wait out, no beep to expect.
    if (r.status === 'MACHINE' && options.waitForBeep && !r.cause.startsWith('INITIALSILENCE')) {
      if (tones.beep) return finish({ ...r, beep: tones.beep });
      beepTimer = setTimeout(() => finish({ ...r, beep: null }), options.beepTimeoutMs ?? 30_000);
      return;
    }
    finish(r);
  };
  const onAudio = (frame: Int16Array): void => {
    if (finished) return;
    const beep = tones.feed(frame, RATE);
    if (!result) {
      const r = amd.feed(frame, RATE);
      if (r) decided(r);
    }
    if (beep && result?.status === 'MACHINE' && options.waitForBeep && beepTimer !== undefined) finish({ ...result, beep });
  };
  // AMD() checks real time too: frames that stall or never come end the analysis.
  const analysisTimer = setTimeout(() => decided(amd.timeUp()), amd.parameters.totalAnalysisTime);
  const onAbort = (): void => {
    if (!result) decided(amd.hangup());
    else finish(beepTimer !== undefined ? { ...result, beep: null } : result);
  };
  options.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const path = await openMediaPath(telephony, callChannelId, settings, { mode: 'listen', rate: RATE, onAudio, signal: options.signal, log: options.log });
    path.onEnded((why) => {
      if (options.signal.aborted) return;
      // The path ended under us (its channel was hung up elsewhere): what was decided stands, else not sure.
      if (!result) decided(amd.timeUp());
      else finish(result);
      options.log.debug(`AMD on call ${callChannelId}: media path ended (${why})`);
    });
    const detection = await done;
    await path.close(detection.status === 'HANGUP' ? 'the call ended' : 'detection done');
    return detection;
  } catch (err) {
    clearTimeout(analysisTimer);
    if (options.signal.aborted) return { ...amd.hangup(), decidedInMs: performance.now() - started };
    throw err;
  } finally {
    clearTimeout(analysisTimer);
    clearTimeout(beepTimer);
    options.signal.removeEventListener('abort', onAbort);
  }
}
