/**
 * The ARI `recordings` resource and record on channels and bridges
 * (res/ari/resource_recordings.c, res/res_stasis_recording.c): live recordings,
 * silence and talk, stored recordings.
 */
import type { StoredRecording } from '../../ari/types';
import { SimRecording, type SimBridge, type SimChannel } from '../channel';
import { recordingPath } from '../asterisk-parsing';
import { encodeWav } from '../../speech/wav';
import { silentRecording } from '../media';
import { VOICE_RATE } from '../voice';
import { mix } from './external-media';
import { AriHttpError } from '../route';
import type { SimCore, StoredFile } from './core';

/**
 * The file extensions Asterisk's format modules register (formats/*.c, `.exts`), which ast_get_format_for_file_ext
 * matches exactly (case counts: "WAV" is format_wav_gsm's, "Wav" is nothing). ogg and spx* need libraries at build
 * time; a stock build from source with them installed has them.
 */
const RECORDING_FORMATS = new Set([
  'wav', 'wav16', 'WAV', 'wav49', 'gsm', 'pcm', 'ulaw', 'ul', 'mu', 'ulw', 'alaw', 'al', 'alw', 'g722', 'au',
  'sln', 'slin', 'raw', 'sln12', 'sln16', 'sln24', 'sln32', 'sln44', 'sln48', 'sln96', 'sln192',
  'g719', 'g723', 'g723sf', 'g726-40', 'g726-32', 'g726-24', 'g726-16', 'g729', 'ilbc', 'siren7', 'siren14', 'vox',
  'h263', 'h264', 'ogg', 'spx', 'spx16', 'spx32',
]);
export const TERMINATE_DIGITS: Record<string, string> = { none: '', any: '#*0123456789ABCD', '*': '*', '#': '#' };

/** stasis_app_recording_termination_parse and _if_exists_parse: case-insensitive, empty is the default. */
function option(value: string, allowed: readonly string[], fallback: string): string | undefined {
  if (value === '') return fallback;
  return allowed.find((a) => a === value.toLowerCase());
}

/**
 * A finished recording's `duration` and `talking_duration` (whole seconds) as main/app.c __ast_play_and_record
 * computes them: the seconds of audio written (paused time is not written). Its silence detector runs only with a
 * silence limit (`silence` given); then the talking time is that length less all the silence but 200 ms, and the
 * length itself loses the silence it ended in, but 200 ms, each in C integer division (1.8 s of silence takes 1 s
 * off). RecordingFinished's silence_duration is duration - talking_duration (res_stasis_recording.c).
 */
export function recordedDurations(totalMs: number, silence?: { silenceMs: number; trailingMs: number }): { duration: number; talking?: number } {
  const wholeSeconds = Math.floor(totalMs / 1000);
  if (!silence) return { duration: wholeSeconds };
  const less = (ms: number): number => (ms > 0 ? Math.trunc((ms - 200) / 1000) : 0);
  return { duration: Math.max(0, wholeSeconds - less(silence.trailingMs)), talking: Math.max(0, wholeSeconds - less(silence.silenceMs)) };
}

export class Recordings {
  private readonly silenceTimer: Map<string, { cancel(): void }> = new Map();

  constructor(private readonly core: SimCore) {}

  record(
    target: { channelId?: string; bridgeId?: string },
    p: { name: string; format: string; maxDurationSeconds: number; maxSilenceSeconds: number; ifExists: string; beep: boolean; terminateOn: string },
  ): ReturnType<SimRecording['json']> {
    // ast_ari_channels_record and ast_ari_bridges_record check in this order; stasis_app_control_record then refuses
    // an empty name or format or a negative limit (EINVAL: 500), a name outside the recordings directory (EPERM from
    // ast_safe_mkdir: 400), and a name in use (EEXIST: 409).
    let ch: SimChannel | undefined;
    let bridge: SimBridge | undefined;
    const unknownFormat = (): AriHttpError => new AriHttpError(422, 'specified format is unknown on this system');
    if (target.channelId !== undefined) {
      if (p.maxDurationSeconds < 0) throw new AriHttpError(400, 'max_duration_seconds cannot be negative');
      if (p.maxSilenceSeconds < 0) throw new AriHttpError(400, 'max_silence_seconds cannot be negative');
      ch = this.core.control(target.channelId);
    } else {
      bridge = this.core.bridge(target.bridgeId ?? '');
      if (!RECORDING_FORMATS.has(p.format)) throw unknownFormat();
    }
    const terminateOn = option(p.terminateOn, Object.keys(TERMINATE_DIGITS), 'none');
    if (terminateOn === undefined) throw new AriHttpError(400, 'terminateOn invalid');
    const ifExists = option(p.ifExists, ['fail', 'overwrite', 'append'], 'fail');
    if (ifExists === undefined) throw new AriHttpError(400, 'ifExists invalid');
    if (!RECORDING_FORMATS.has(p.format)) throw unknownFormat();
    if (!p.name || p.maxDurationSeconds < 0 || p.maxSilenceSeconds < 0) throw new AriHttpError(500, 'Error parsing request');
    const file = recordingPath(p.name);
    if (file === undefined) {
      // A folder that only climbs out of the recordings directory ("../x", "../../x") is one of its parents, which
      // exists: ast_safe_mkdir (main/utils.c safe_mkdir) returns EPERM without setting errno, and the errno realpath
      // left (EINVAL, from readlink on a component that is no link) makes ast_ari_channels_record answer 500 "Error
      // parsing request" (seen on Asterisk 22.11 built from releases/22). A folder that does not exist outside it
      // sets errno EPERM: 400 "Recording name invalid".
      const folder = p.name.split('/').slice(0, -1);
      if (folder.includes('..') && folder.every((s) => s === '..' || s === '.' || s === '')) throw new AriHttpError(500, 'Error parsing request');
      throw new AriHttpError(400, 'Recording name invalid');
    }
    if ((ifExists === 'fail' && this.core.stored.has(file)) || this.core.liveRecordings.has(p.name)) {
      throw new AriHttpError(409, `Recording '${p.name}' already exists and can not be overwritten`);
    }
    const rec = new SimRecording(p.name, p.format, ch ? 'channel' : 'bridge', ch?.id ?? bridge?.id ?? '', {
      maxDurationSeconds: p.maxDurationSeconds,
      maxSilenceSeconds: p.maxSilenceSeconds,
      beep: p.beep,
      terminateOn,
      ifExists,
    });
    const spied = ch?.snoopOf;
    // A snoop channel's recording: what it spies on is written (the spied channel's voice in; what is played to it out).
    if (spied && ch?.snoopSpy !== undefined && ch.snoopSpy !== 'none') {
      rec.spied = spied;
      rec.voice = ch.snoopSpy === 'in' || ch.snoopSpy === 'both' ? [...spied.voice] : [];
    }
    this.core.liveRecordings.set(p.name, rec);
    const json = rec.json();
    setImmediate(() => this.startRecording(rec, ch, bridge));
    return json;
  }

  private startRecording(rec: SimRecording, ch: SimChannel | undefined, bridge: SimBridge | undefined): void {
    if (rec.state !== 'queued') return;
    if (ch) {
      if (ch.destroyed) {
        this.failRecording(rec, 'Channel hung up');
        return;
      }
      if (ch.bridgeId) {
        this.failRecording(rec, 'Cannot record channel while in bridge');
        return;
      }
      if (ch.state !== 'Up') this.core.setState(ch, 'Up'); // recording answers the channel
      ch.recording = rec;
    } else if (bridge) {
      bridge.recording = rec;
    }
    // record_file (res/res_stasis_recording.c lines 333-342) sets the state to recording, which publishes
    // RecordingStarted, and only then calls ast_play_and_record_full, which plays the beep: seen on Asterisk 22.11
    // built from releases/22, RecordingStarted 3 ms after the request and GET /recordings/live says "recording" during
    // the beep. What is recorded (and the maximum length) starts after the beep.
    rec.state = 'recording';
    rec.beeping = rec.options.beep && ch !== undefined;
    this.core.publish('RecordingStarted', { recording: rec.json() }, this.core.targetScope(rec));
    // `at`: when the beep ended (the timer's due time, however late a busy machine ran it), or now.
    const begin = (at = this.core.clock.now()): void => {
      if (rec.state !== 'recording' && rec.state !== 'paused') return;
      rec.beeping = false;
      rec.startedAt = at;
      // Paused during the beep: the pause counts from here, where the audio would have begun.
      if (rec.pausedAt !== undefined) rec.pausedAt = Math.max(rec.pausedAt, at);
      rec.silenceStart = rec.startedAt;
      if (ch?.talking) rec.lastTalkStart = rec.startedAt;
      ch?.signals.emit('recording-start', rec.name);
      if (rec.options.maxDurationSeconds > 0) {
        const endsAt = rec.startedAt + rec.options.maxDurationSeconds * 1000;
        rec.timer = this.core.clock.after(endsAt - this.core.clock.now(), () => this.finishRecording(rec, 'done', endsAt));
      }
      this.armSilence(rec, ch);
    };
    if (rec.beeping) {
      const beep = this.core.clock.after(this.core.sounds.duration('beep') ?? 300, () => begin(beep.due));
      rec.timer = beep;
    } else {
      begin();
    }
  }

  /** Stops the recording after maxSilenceSeconds of continuous silence. */
  private armSilence(rec: SimRecording, ch: SimChannel | undefined): void {
    this.silenceTimer.get(rec.name)?.cancel();
    this.silenceTimer.delete(rec.name);
    if (rec.options.maxSilenceSeconds <= 0 || rec.state !== 'recording' || rec.beeping || ch?.talking) return;
    // The silence counts from when it began, not from when this runs.
    const endsAt = rec.silenceStart + rec.options.maxSilenceSeconds * 1000;
    const t = this.core.clock.after(endsAt - this.core.clock.now(), () => this.finishRecording(rec, 'done', endsAt));
    this.silenceTimer.set(rec.name, t);
  }

  private failRecording(rec: SimRecording, cause: string): void {
    rec.state = 'failed';
    rec.cause = cause;
    this.core.liveRecordings.delete(rec.name);
    this.core.publish('RecordingFailed', { recording: rec.json() }, this.core.targetScope(rec));
  }

  /**
   * The recording ends. A canceled one's file is deleted (recording_cancel), but its RecordingFinished still says
   * "done": record_file sets the state COMPLETE whatever ended ast_play_and_record_full. `stopAt` is the simulated
   * time a limit (maximum length, silence) stopped it: __ast_play_and_record stops writing there, however late a busy
   * machine ran this timer.
   */
  finishRecording(rec: SimRecording, how: 'done' | 'canceled', stopAt = Infinity): void {
    if (rec.state !== 'recording' && rec.state !== 'paused' && rec.state !== 'queued') return;
    rec.timer?.cancel();
    this.silenceTimer.get(rec.name)?.cancel();
    this.silenceTimer.delete(rec.name);
    const now = Math.min(this.core.clock.now(), stopAt);
    const started = rec.state === 'queued' || rec.beeping ? now : rec.startedAt;
    rec.beeping = false;
    const talkingAtEnd = rec.lastTalkStart !== undefined;
    if (rec.lastTalkStart !== undefined) rec.talkingMs += now - rec.lastTalkStart;
    rec.lastTalkStart = undefined;
    const pausedMs = rec.pausedMs + (rec.pausedAt !== undefined ? now - rec.pausedAt : 0);
    const limitMs = rec.options.maxDurationSeconds > 0 ? rec.options.maxDurationSeconds * 1000 : Infinity;
    // To the microsecond: (startedAt + 5000) - startedAt is 4999.999999999998 for some startedAt, which would lose
    // a whole second of a recording stopped at its maximum length.
    const totalMs = Math.min(limitMs, Math.round(Math.max(0, now - started - pausedMs) * 1000) / 1000);
    rec.state = 'done';
    const durations = recordedDurations(totalMs, rec.options.maxSilenceSeconds > 0 ? { silenceMs: Math.max(0, totalMs - rec.talkingMs), trailingMs: talkingAtEnd ? 0 : Math.max(0, now - Math.max(rec.silenceStart, started)) } : undefined);
    rec.durationSec = durations.duration;
    if (durations.talking !== undefined) {
      rec.talkingSec = durations.talking;
      rec.silenceSec = durations.duration - durations.talking;
    }
    this.core.liveRecordings.delete(rec.name);
    const ch = rec.targetKind === 'channel' ? this.core.channels.get(rec.targetId) : undefined;
    if (ch?.recording === rec) ch.recording = undefined;
    const b = rec.targetKind === 'bridge' ? this.core.bridges.get(rec.targetId) : undefined;
    if (b?.recording === rec) b.recording = undefined;
    if (how === 'done') {
      const file = recordingPath(rec.name) ?? rec.name;
      const previous = rec.options.ifExists === 'append' ? (this.core.stored.get(file)?.durationMs ?? 0) : 0;
      // A snoop's recording of a call: what the caller said (voice.ts) and what was played to it (WAV files fetched
      // over http; other media have no samples in the simulator: silence, docs/simulator.md), over its time, as wav.
      const voice = rec.voice && rec.format === 'wav' && previous === 0 ? { segments: rec.voice, from: started } : undefined;
      this.core.stored.set(file, { format: rec.format, durationMs: previous + totalMs, ...(voice ? { voice } : {}) });
      ch?.report.recordings.push({ name: rec.name, format: rec.format, durationSec: rec.durationSec });
      // The call's own report lists the recordings made of it through a snoop channel (which has no report).
      rec.spied?.report.recordings.push({ name: rec.name, format: rec.format, durationSec: rec.durationSec });
    }
    this.core.publish('RecordingFinished', { recording: rec.json() }, this.core.targetScope(rec));
  }

  liveRecording(name: string): SimRecording {
    const rec = this.core.liveRecordings.get(name);
    if (!rec) throw new AriHttpError(404, 'Recording not found');
    return rec;
  }

  controlRecording(name: string, op: 'stop' | 'cancel' | 'pause' | 'unpause' | 'mute' | 'unmute'): void {
    const rec = this.liveRecording(name);
    const now = this.core.clock.now();
    switch (op) {
      case 'stop':
        this.finishRecording(rec, 'done');
        return;
      case 'cancel':
        this.finishRecording(rec, 'canceled');
        return;
      // stasis_app_recording_operation's table: pause while paused and unpause while recording do nothing.
      case 'pause':
        if (rec.state === 'paused') return;
        if (rec.state !== 'recording') throw new AriHttpError(409, 'Recording not in session');
        rec.state = 'paused';
        rec.pausedAt = now;
        return;
      case 'unpause':
        if (rec.state === 'recording') return;
        if (rec.state !== 'paused') throw new AriHttpError(409, 'Recording not in session');
        if (!rec.beeping) rec.pausedMs += now - (rec.pausedAt ?? now);
        rec.pausedAt = undefined;
        rec.state = 'recording';
        return;
      case 'mute':
      case 'unmute':
        if (rec.state !== 'recording' && rec.state !== 'paused') throw new AriHttpError(409, 'Recording not in session');
        rec.muted = op === 'mute';
        return;
    }
  }

  /** The stored recordings sorted by name, as the rbtree of stasis_app_stored_recording_find_all keeps them. */
  storedRecordings(): StoredRecording[] {
    return [...this.core.stored.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, r]) => ({ name, format: r.format }));
  }

  /** A stored recording by a name resolved as a path below the recordings directory (outside it: not found). */
  private stored(name: string): [string, StoredFile] {
    const file = recordingPath(name);
    const r = file === undefined ? undefined : this.core.stored.get(file);
    if (file === undefined || !r) throw new AriHttpError(404, 'Recording not found');
    return [file, r];
  }

  storedRecording(name: string): StoredRecording {
    const [file, r] = this.stored(name);
    return { name: file, format: r.format };
  }

  storedRecordingFile(name: string): { body: Buffer; contentType: string } {
    const [, r] = this.stored(name);
    if (r.voice) {
      const samples = new Int16Array(Math.round((r.durationMs * VOICE_RATE) / 1000));
      mix(samples, r.voice.segments, r.voice.from);
      return { body: encodeWav({ rate: VOICE_RATE, samples }), contentType: 'audio/wav' };
    }
    return silentRecording(r.format, r.durationMs);
  }

  deleteStoredRecording(name: string): void {
    const [file] = this.stored(name);
    this.core.stored.delete(file);
  }

  /**
   * As ast_ari_recordings_copy_stored and stasis_app_stored_recording_copy: the source (404), a destination of that
   * name (409), no destination (400), one outside the recordings directory (403); an extension in the destination
   * is dropped ("copy.wav" is "copy"), after the check for a recording of that name.
   */
  copyStoredRecording(name: string, destination: string | undefined): StoredRecording {
    const [, r] = this.stored(name);
    if (destination === undefined) throw new AriHttpError(400, 'Invalid destination recording name');
    const asNamed = recordingPath(destination);
    if (asNamed === undefined) throw new AriHttpError(403, 'Destination file path is forbidden');
    if (this.core.stored.has(asNamed)) throw new AriHttpError(409, 'A recording with the same name already exists on the system');
    const dot = destination.lastIndexOf('.');
    const file = recordingPath(dot >= 0 ? destination.slice(0, dot) : destination);
    if (file === undefined) throw new AriHttpError(500, 'Copy failed');
    this.core.stored.set(file, { ...r });
    return { name: file, format: r.format };
  }

  /** Adds a stored recording (scripting: a recording: prompt the application can play). */
  defineRecording(name: string, durationMs: number, format = 'wav'): void {
    this.core.stored.set(recordingPath(name) ?? name, { format, durationMs });
  }

  /**
   * The party starts or stops talking, at the simulated time `at` (now by default; a script passes when its step was
   * due). A recording counts no talk from before it started.
   */
  setTalking(ch: SimChannel, talking: boolean, at?: number): void {
    if (ch.talking === talking || ch.destroyed) return;
    ch.talking = talking;
    const rec = ch.recording;
    if (!rec || rec.state !== 'recording' || rec.beeping) return;
    const now = Math.max(rec.startedAt, rec.lastTalkStart ?? rec.startedAt, Math.min(at ?? Infinity, this.core.clock.now()));
    if (talking) {
      rec.lastTalkStart = now;
      this.silenceTimer.get(rec.name)?.cancel();
      this.silenceTimer.delete(rec.name);
    } else {
      if (rec.lastTalkStart !== undefined) rec.talkingMs += now - rec.lastTalkStart;
      rec.lastTalkStart = undefined;
      rec.silenceStart = now;
      this.armSilence(rec, ch);
    }
  }

  /** Asterisk stops: live recordings end with it, without events; stored recordings stay. */
  crash(): void {
    for (const rec of this.core.liveRecordings.values()) rec.timer?.cancel();
    for (const t of this.silenceTimer.values()) t.cancel();
    this.silenceTimer.clear();
    this.core.liveRecordings.clear();
  }
}
