/**
 * Audio that does not come is silence, for the analysis of a media path (analysis.ts). A snoop channel sends a frame
 * every 20 ms whatever the caller does, but a path bridged with the call (path.ts mode `bridge`: the robot that streams
 * its voice) gets only what the call's channel reads: a phone with silence suppression (Opus DTX, G.729 annex B) or a
 * Local channel whose other half plays nothing sends no frame while nobody speaks, and Asterisk's bridge makes none. An
 * end-of-speech detector fed only what comes would wait for the end of the caller's silence until its real-time limit
 * (the longest speech, seconds later).
 *
 * The endpoint checks every GAP_CHECK_MS: once no frame has come for GAP_STALL_MS (more than the jitter buffer's depth
 * and a busy machine's usual lateness), the frames missing since the last one are fed to the analysis as silence, and
 * so on while none come. A stall of a stream that goes on (frames late, then a burst) shows as a longer pause to the
 * detector: GAP_STALL_MS is well under the end silence the detector waits for (800 ms by default), so a burst a busy
 * machine held back does not end the caller's speech by itself.
 */

/** How long without a frame before the frames missing are silence (ms). */
export const GAP_STALL_MS = 250;
/** How often an endpoint looks for a gap (ms). */
export const GAP_CHECK_MS = 100;

export interface GapFillOptions {
  /** Samples in a frame at the analysis's rate. */
  samplesPerFrame: number;
  /** Where the silent frames go (the endpoint's analysis). */
  feed: (frame: Int16Array) => void;
  frameMs?: number;
  stallMs?: number;
  checkMs?: number;
  /** The clock (ms); performance.now by default. */
  now?: () => number;
  /** Nothing is filled (a path whose frames always come). */
  off?: boolean;
}

export class GapFill {
  /** When the last frame came or was filled (ms); undefined before the first. */
  private heardAt: number | undefined;
  private silent: Int16Array | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly o: GapFillOptions) {
    this.now = o.now ?? (() => performance.now());
    this.stopped = o.off === true;
  }

  /** A frame came. The first starts the checks (an endpoint that hears nothing has no timer). */
  heard(): void {
    if (this.stopped) return;
    this.heardAt = this.now();
    if (this.timer) return;
    this.timer = setInterval(() => this.fill(), this.o.checkMs ?? GAP_CHECK_MS);
    this.timer.unref();
  }

  /**
   * A new analysis starts: the frames missing before now (a gap since the last frame came) are not fed to it, only
   * those missing from now on.
   */
  restart(): void {
    if (this.heardAt !== undefined) this.heardAt = Math.max(this.heardAt, this.now());
  }

  /** Feeds a silent frame for each frame missing by now, once they have been missing GAP_STALL_MS. */
  fill(): void {
    const now = this.now();
    const frameMs = this.o.frameMs ?? 20;
    if (this.heardAt === undefined || now - this.heardAt < (this.o.stallMs ?? GAP_STALL_MS)) return;
    const missing = Math.floor((now - this.heardAt) / frameMs);
    this.heardAt += missing * frameMs;
    this.silent ??= new Int16Array(this.o.samplesPerFrame);
    for (let i = 0; i < missing; i++) this.o.feed(this.silent);
  }

  /** The endpoint closed: no more checks. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
