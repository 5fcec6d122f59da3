/**
 * What simulated parties do (the scripting API, not ARI): press keys, talk,
 * wait for a prompt or an answer, hang up.
 */
import { own } from '../../own';
import type { SimChannel } from '../channel';
import { VOICE_END_GAP_MS, type ScriptStep, type WaitCondition } from '../script';
import { TERMINATE_DIGITS } from './recordings';
import type { SimCore } from './core';
import { machineAnswer, noise, readWav, seedOf, speechLike, VOICE_RATE } from '../voice';

/**
 * The channel signal each condition listens to. 'voice' (external-media.ts voiceReaches): audio from the application
 * reached the party, with its simulated arrival time and length in ms.
 */
const WAIT_EVENTS: Record<WaitCondition, string> = {
  answer: 'state',
  'playback-start': 'playback-start',
  'playback-end': 'playback-end',
  silence: 'playback-end',
  bridged: 'bridged',
  recording: 'recording-start',
  listened: 'listened',
  'voice-end': 'voice',
};

export class Scripts {
  constructor(private readonly core: SimCore) {}

  /** The simulated party presses keys now (control API). */
  pressDigits(id: string, digits: string, durationMs = 100, gapMs = 100): Promise<void> {
    const ch = this.core.channel(id);
    return this.runSteps(ch, [{ dtmf: digits, duration: durationMs, gap: gapMs }]).catch(() => undefined);
  }

  /** The simulated party hangs up now (control API). */
  remoteHangup(id: string, cause = 16): void {
    const ch = this.core.channel(id);
    this.core.resources.channels.farEndHangup(ch, cause, ch.direction === 'inbound' ? 'caller' : 'callee');
  }

  runScript(ch: SimChannel, steps: ScriptStep[], party: 'caller' | 'callee'): void {
    this.runSteps(ch, steps, party).catch((err: unknown) => {
      if (!ch.scriptAbort.signal.aborted) this.core.log.warn(`script of call ${ch.id} failed: ${(err as Error).message}`);
    });
  }

  private async runSteps(ch: SimChannel, steps: ScriptStep[], party: 'caller' | 'callee' = ch.direction === 'inbound' ? 'caller' : 'callee'): Promise<void> {
    const signal = ch.scriptAbort.signal;
    const clock = this.core.clock;
    // The party's own timeline: each timed step counts from when the one before it was due, so a busy machine running
    // a timer late neither stretches what the party does (1.2 s of talk stays 1.2 s) nor moves its next step; a
    // waitFor step starts it again when what it waited for happened, not when its promise's continuation ran.
    let at = clock.now();
    for (const step of steps) {
      if (signal.aborted || ch.destroyed) return;
      if ('wait' in step) {
        at = await clock.sleep(step.wait, signal, at);
      } else if ('waitFor' in step) {
        at = await this.waitFor(ch, step.waitFor, step.media, step.timeout, signal);
      } else if ('dtmf' in step) {
        for (const [i, digit] of [...step.dtmf].entries()) {
          if (!/^[0-9A-D#*]$/i.test(digit)) throw new Error(`"${digit}" is not a DTMF digit`);
          const duration = step.duration ?? 100;
          at = await clock.sleep(duration, signal, at);
          if (ch.destroyed) return;
          ch.report.pressed.push({ digit: digit.toUpperCase(), at: new Date().toISOString() });
          this.core.channelEvent('ChannelDtmfReceived', ch, { digit: digit.toUpperCase(), duration_ms: duration });
          const rec = ch.recording;
          if (rec && own(TERMINATE_DIGITS, rec.options.terminateOn)?.includes(digit.toUpperCase())) this.core.resources.recordings.finishRecording(rec, 'done', at);
          // Between digits only: the next step starts as the last key ends (a prompt the key causes is not missed).
          if (i < step.dtmf.length - 1) at = await clock.sleep(step.gap ?? 100, signal, at);
        }
      } else if ('talk' in step) {
        this.core.resources.recordings.setTalking(ch, true, at);
        let ended: number | undefined;
        try {
          ended = await clock.sleep(step.talk, signal, at);
          at = ended;
        } finally {
          this.core.resources.recordings.setTalking(ch, false, ended);
        }
      } else if ('say' in step || 'machine' in step || 'noise' in step) {
        at = await this.speak(ch, step, at, signal);
      } else if ('hangup' in step) {
        this.core.resources.channels.farEndHangup(ch, step.cause ?? 16, party);
        return;
      }
    }
  }

  /**
   * A say, machine or noise step: its audio goes on the party's voice timeline from `at` (what external media hears)
   * and the step lasts as long as the audio; speech counts as talking for a recording, noise does not.
   */
  private async speak(ch: SimChannel, step: Extract<ScriptStep, { say: unknown } | { machine: unknown } | { noise: unknown }>, at: number, signal: AbortSignal): Promise<number> {
    const seed = seedOf(`${ch.id}/${ch.voice.length}`);
    let samples: Int16Array;
    let talking = true;
    if ('say' in step) {
      const say = typeof step.say === 'number' ? { ms: step.say } : step.say;
      if (say.wav !== undefined) samples = readWav(say.wav);
      else if (typeof say.ms === 'number' && say.ms >= 0 && say.ms <= 600_000) samples = speechLike(say.ms, say.seed ?? seed);
      else throw new Error(`say: give ms (0-600000) or a wav file, got ${JSON.stringify(step.say)}`);
    } else if ('machine' in step) {
      const m = step.machine;
      if (!(typeof m.greeting === 'number' && m.greeting >= 0 && m.greeting <= 120)) throw new Error(`machine: greeting must be 0-120 seconds, got ${JSON.stringify(m.greeting)}`);
      samples = machineAnswer(m.greeting, m.seed ?? seed, m.beep ?? false, m.beepHz, m.beepMs);
    } else {
      if (!(typeof step.noise === 'number' && step.noise >= 0 && step.noise <= 600_000)) throw new Error(`noise: give ms (0-600000), got ${JSON.stringify(step.noise)}`);
      samples = noise(step.noise, seed, step.level);
      talking = false;
    }
    // What was said long ago is no longer heard: keep the timeline short.
    while (ch.voice.length > 0 && (ch.voice[0]?.at ?? 0) + ((ch.voice[0]?.samples.length ?? 0) * 1000) / VOICE_RATE < at - 1000) ch.voice.shift();
    const segment = { at, samples };
    ch.voice.push(segment);
    // A snoop channel's recording of this one keeps what it says (recordings.ts).
    for (const snoop of ch.snoops) if (snoop.snoopSpy === 'in' || snoop.snoopSpy === 'both') snoop.recording?.voice?.push(segment);
    const ms = (samples.length * 1000) / VOICE_RATE;
    if (talking) this.core.resources.recordings.setTalking(ch, true, at);
    let ended: number | undefined;
    try {
      ended = await this.core.clock.sleep(ms, signal, at);
    } finally {
      if (talking) this.core.resources.recordings.setTalking(ch, false, ended);
    }
    if ('say' in step) (ch.report.said ??= []).push({ startedAt: this.wallTime(at), endedAt: this.wallTime(ended), ms: Math.round(ms) });
    return ended;
  }

  /** The wall-clock time of a simulated time (a party's step is due then, whenever a busy machine ran it). */
  private wallTime(simulated: number): string {
    const clock = this.core.clock;
    return new Date(Date.now() - (clock.now() - simulated) / clock.speed).toISOString();
  }

  /**
   * Resolves when the call reaches a point a script could wait for (answered, a prompt started...), with its simulated
   * time; rejects when the call ends first (or `signal` aborts).
   */
  until(id: string, what: WaitCondition, media?: string, signal?: AbortSignal): Promise<number> {
    const ch = this.core.channels.get(id);
    if (!ch) return Promise.reject(new Error(`no channel ${id} (the call ended?)`));
    return this.waitFor(ch, what, media, undefined, signal ? AbortSignal.any([signal, ch.scriptAbort.signal]) : ch.scriptAbort.signal);
  }

  /** Whether the bridge the channel is in plays something to it: a playback or music on hold. */
  private bridgeSounds(ch: SimChannel): boolean {
    const b = ch.bridgeId !== undefined ? this.core.bridges.get(ch.bridgeId) : undefined;
    return b !== undefined && (b.playbacks.length > 0 || b.moh !== undefined);
  }

  /** Resolves with the simulated time the condition was met (not when the promise's continuation ran). */
  private waitFor(ch: SimChannel, what: WaitCondition, media: string | undefined, timeout: number | undefined, signal: AbortSignal): Promise<number> {
    const done = (): boolean => {
      switch (what) {
        case 'answer':
          return ch.state === 'Up';
        case 'silence':
          return ch.playbacks.length === 0 && !this.bridgeSounds(ch);
        case 'bridged':
          return ch.bridgeId !== undefined;
        case 'recording':
          return ch.recording?.state === 'recording';
        case 'listened':
          return ch.listenedBy.size > 0;
        default:
          // voice-end: only audio that comes after the step began counts.
          return false;
      }
    };
    if (done()) return Promise.resolve(this.core.clock.now());
    const event = own(WAIT_EVENTS, what);
    if (!event) return Promise.reject(new Error(`waitFor: unknown condition "${what}"`));
    const clock = this.core.clock;
    return new Promise<number>((resolve, reject) => {
      let timer: { cancel(): void } | undefined;
      let pending = true;
      if (what === 'voice-end') this.core.voiceWaiters++;
      // voice-end: the arrival of the last packet heard, and the one timer that looks for the
      // gap after it (re-armed when it finds newer audio, so a packet costs no timer of its own).
      let lastVoice = 0;
      let gapFrom = 0;
      let gapTimer: { cancel(): void } | undefined;
      // The application paces what it sends by the wall clock: at speed N its 20 ms packets come 20 x N simulated ms
      // apart, so the gap is VOICE_END_GAP_MS of both clocks.
      const gap = VOICE_END_GAP_MS * Math.max(1, clock.speed);
      const onGap = (): void => {
        if (lastVoice > gapFrom) {
          gapFrom = lastVoice;
          gapTimer = clock.after(gap, onGap, gapFrom);
          return;
        }
        // Now, when the gap is noticed: what the party says next goes out from here (an earlier start would put its
        // speech where external media has sent its packets already, and it would be lost).
        cleanup();
        resolve(clock.now());
      };
      const check = (uri?: string | number, at?: number): void => {
        if (what === 'voice-end' && typeof uri === 'number') {
          lastVoice = uri;
          if (!gapTimer) {
            gapFrom = lastVoice;
            gapTimer = clock.after(gap, onGap, gapFrom);
          }
          return;
        }
        if (what === 'listened' && typeof at === 'number') {
          cleanup();
          resolve(at);
          return;
        }
        if (what === 'silence') {
          // Checked once the playback that ended has left the queue.
          setImmediate(() => {
            if (done()) finish();
          });
          return;
        }
        const matches = what === 'playback-start' || what === 'playback-end' ? !media || String(uri ?? '').includes(media) : done();
        if (matches) finish();
      };
      const finish = (): void => {
        cleanup();
        resolve(clock.now());
      };
      const onAbort = (): void => {
        cleanup();
        reject(signal.reason as Error);
      };
      const cleanup = (): void => {
        if (pending && what === 'voice-end') this.core.voiceWaiters--;
        pending = false;
        ch.signals.off(event, check);
        signal.removeEventListener('abort', onAbort);
        timer?.cancel();
        gapTimer?.cancel();
      };
      ch.signals.on(event, check);
      signal.addEventListener('abort', onAbort, { once: true });
      if (timeout !== undefined) timer = clock.after(timeout, finish);
    });
  }
}
