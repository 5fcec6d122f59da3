/**
 * Answering-machine detection on a call: the call's media path (path.ts, listening through a snoop) feeds the AMD
 * classifier (amd.ts) and the beep detector (tone.ts) with 20 ms frames at 8 kHz, as AMD() reads slin, where the
 * packets arrive (analysis.ts; the RTP worker thread by default): only their decisions come here. AMD()'s own
 * wall-clock limit applies too: totalAnalysisTime of real time with no decision is NOTSURE (NOAUDIODATA when no audio
 * came at all). With `waitForBeep`, a MACHINE result waits for the end of the machine's beep (or gives up after
 * `beepTimeoutMs`), so a notice played next is recorded whole; not after INITIALSILENCE (nothing was said, so no
 * greeting will end in a beep). The call hanging up is HANGUP. The path is always
 * closed before this resolves.
 */
import type { Logger } from '../log';
import { AMD_DEFAULTS, AmdClassifier, type AmdParameters, type AmdResult } from './amd';
import type { AnalysisEvent } from './analysis';
import { openMediaPath, type MediaPath, type MediaSettings, type MediaTelephony } from './path';
import type { Beep } from './tone';

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
  // The classifier and the beep detector run where the packets arrive (the RTP worker thread by default).
  const parameters = { ...AMD_DEFAULTS, ...options.parameters };
  let settle!: (d: Detection) => void;
  let failed!: (err: Error) => void;
  const done = new Promise<Detection>((resolve, reject) => ((settle = resolve), (failed = reject)));
  let result: AmdResult | undefined;
  let beep: Beep | undefined;
  let beepTimer: NodeJS.Timeout | undefined;
  let finished = false;
  let path: MediaPath | undefined;
  const started = performance.now();
  let decidedInMs = 0;
  const finish = (d: Omit<Detection, 'decidedInMs'>): void => {
    if (finished) return;
    finished = true;
    settle({ ...d, decidedInMs });
  };
  const fail = (err: Error): void => {
    if (finished) return;
    finished = true;
    failed(new Error(`AMD on call ${callChannelId} failed: ${err.message}`));
  };
  const decided = (r: AmdResult): void => {
    if (result) return;
    result = r;
    decidedInMs = performance.now() - started;
    clearTimeout(analysisTimer);
    // A line silent from the start (INITIALSILENCE) greeted nobody: there is no greeting to wait out, no beep to expect.
    if (r.status === 'MACHINE' && options.waitForBeep && !r.cause.startsWith('INITIALSILENCE')) {
      if (beep) return finish({ ...r, beep });
      beepTimer = setTimeout(() => finish({ ...r, beep: null }), options.beepTimeoutMs ?? 30_000);
      return;
    }
    finish(r);
  };
  /** The classifier's decision for a timer or a hangup (before the path opened: made here, from no audio). */
  const ask = (command: 'time-up' | 'hangup'): void => {
    if (!path) {
      const amd = new AmdClassifier(parameters);
      decided(command === 'hangup' ? amd.hangup() : amd.timeUp());
      return;
    }
    path.endpoint.analyse(command).then((e) => e?.type === 'amd-decided' && decided(e.result), fail);
  };
  const onEvent = (event: AnalysisEvent): void => {
    if (finished) return;
    if (event.type === 'amd-decided') decided(event.result);
    else if (event.type === 'beep') {
      beep = event.beep;
      if (result?.status === 'MACHINE' && options.waitForBeep && beepTimer !== undefined) finish({ ...result, beep });
    }
  };
  // AMD() checks real time too: frames that stall or never come end the analysis.
  const analysisTimer = setTimeout(() => ask('time-up'), parameters.totalAnalysisTime);
  const onAbort = (): void => {
    if (!result) ask('hangup');
    else finish(beepTimer !== undefined ? { ...result, beep: null } : result);
  };
  options.signal.addEventListener('abort', onAbort, { once: true });
  try {
    path = await openMediaPath(telephony, callChannelId, settings, { mode: 'listen', rate: RATE, analysis: { kind: 'amd', parameters: options.parameters }, onEvent, signal: options.signal, log: options.log });
    const opened = path;
    opened.onEnded((why) => {
      if (options.signal.aborted) return;
      // The path ended under us (its channel was hung up elsewhere, or the RTP worker stopped): what was decided
      // stands, else not sure.
      if (!result) ask('time-up');
      else finish(result);
      options.log.debug(`AMD on call ${callChannelId}: media path ended (${why})`);
    });
    const detection = await done.catch(async (err: unknown) => {
      await opened.close('detection failed');
      throw err;
    });
    await opened.close(detection.status === 'HANGUP' ? 'the call ended' : 'detection done');
    return detection;
  } catch (err) {
    clearTimeout(analysisTimer);
    if (options.signal.aborted) return { ...new AmdClassifier(parameters).hangup(), decidedInMs: performance.now() - started };
    throw err;
  } finally {
    clearTimeout(analysisTimer);
    clearTimeout(beepTimer);
    options.signal.removeEventListener('abort', onAbort);
  }
}
