/**
 * The ARI `recordings` resource and record on channels and bridges
 * (res/ari/resource_recordings.c, res/res_stasis_recording.c): live recordings,
 * silence and talk, stored recordings.
 */
import type { StoredRecording } from '../../ari/types';
import { SimRecording, type SimBridge, type SimChannel } from '../channel';
import { silentWav } from '../media';
import { hasOwn } from '../../own';
import { AriHttpError } from '../route';
import type { SimCore } from './core';

const RECORDING_FORMATS = ['wav', 'wav49', 'gsm', 'ulaw', 'alaw', 'sln', 'g722', 'g729', 'ogg'];
export const TERMINATE_DIGITS: Record<string, string> = { none: '', any: '#*0123456789ABCD', '*': '*', '#': '#' };

export class Recordings {
  private readonly silenceTimer: Map<string, { cancel(): void }> = new Map();

  constructor(private readonly core: SimCore) {}

  record(
    target: { channelId?: string; bridgeId?: string },
    p: { name: string; format: string; maxDurationSeconds: number; maxSilenceSeconds: number; ifExists: string; beep: boolean; terminateOn: string },
  ): ReturnType<SimRecording['json']> {
    if (p.maxDurationSeconds < 0) throw new AriHttpError(400, 'max_duration_seconds cannot be negative');
    if (p.maxSilenceSeconds < 0) throw new AriHttpError(400, 'max_silence_seconds cannot be negative');
    let ch: SimChannel | undefined;
    let bridge: SimBridge | undefined;
    if (target.channelId !== undefined) ch = this.core.control(target.channelId);
    else bridge = this.core.bridge(target.bridgeId ?? '');
    if (!hasOwn(TERMINATE_DIGITS, p.terminateOn)) throw new AriHttpError(400, 'terminateOn invalid');
    if (!['fail', 'overwrite', 'append'].includes(p.ifExists)) throw new AriHttpError(400, 'ifExists invalid');
    if (!RECORDING_FORMATS.includes(p.format)) throw new AriHttpError(422, 'specified format is unknown on this system');
    if (!p.name || p.name.startsWith('/') || p.name.split('/').includes('..')) throw new AriHttpError(400, 'Recording name invalid');
    if (this.core.liveRecordings.has(p.name) || (p.ifExists === 'fail' && this.core.stored.has(p.name))) {
      throw new AriHttpError(409, `Recording '${p.name}' already exists and can not be overwritten`);
    }
    const rec = new SimRecording(p.name, p.format, ch ? 'channel' : 'bridge', ch?.id ?? bridge?.id ?? '', {
      maxDurationSeconds: p.maxDurationSeconds,
      maxSilenceSeconds: p.maxSilenceSeconds,
      beep: p.beep,
      terminateOn: p.terminateOn,
      ifExists: p.ifExists,
    });
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
    const begin = (): void => {
      if (rec.state !== 'queued') return;
      rec.state = 'recording';
      rec.startedAt = this.core.clock.now();
      rec.silenceStart = rec.startedAt;
      if (ch?.talking) rec.lastTalkStart = rec.startedAt;
      this.core.publish('RecordingStarted', { recording: rec.json() }, this.core.targetScope(rec));
      ch?.signals.emit('recording-start', rec.name);
      if (rec.options.maxDurationSeconds > 0) rec.timer = this.core.clock.after(rec.options.maxDurationSeconds * 1000, () => this.finishRecording(rec, 'done'));
      this.armSilence(rec, ch);
    };
    if (rec.options.beep && ch) this.core.clock.after(this.core.sounds.duration('beep') ?? 300, begin);
    else begin();
  }

  /** Stops the recording after maxSilenceSeconds of continuous silence. */
  private armSilence(rec: SimRecording, ch: SimChannel | undefined): void {
    this.silenceTimer.get(rec.name)?.cancel();
    this.silenceTimer.delete(rec.name);
    if (rec.options.maxSilenceSeconds <= 0 || rec.state !== 'recording' || ch?.talking) return;
    const t = this.core.clock.after(rec.options.maxSilenceSeconds * 1000, () => this.finishRecording(rec, 'done'));
    this.silenceTimer.set(rec.name, t);
  }

  private failRecording(rec: SimRecording, cause: string): void {
    rec.state = 'failed';
    rec.cause = cause;
    this.core.liveRecordings.delete(rec.name);
    this.core.publish('RecordingFailed', { recording: rec.json() }, this.core.targetScope(rec));
  }

  finishRecording(rec: SimRecording, state: 'done' | 'canceled'): void {
    if (rec.state !== 'recording' && rec.state !== 'paused' && rec.state !== 'queued') return;
    rec.timer?.cancel();
    this.silenceTimer.get(rec.name)?.cancel();
    this.silenceTimer.delete(rec.name);
    const now = this.core.clock.now();
    const started = rec.state === 'queued' ? now : rec.startedAt;
    if (rec.lastTalkStart !== undefined) rec.talkingMs += now - rec.lastTalkStart;
    rec.lastTalkStart = undefined;
    const pausedMs = rec.pausedMs + (rec.pausedAt !== undefined ? now - rec.pausedAt : 0);
    const totalMs = Math.max(0, now - started - pausedMs);
    rec.state = state;
    rec.durationSec = Math.floor(totalMs / 1000);
    if (rec.options.maxSilenceSeconds > 0) {
      rec.talkingSec = Math.floor(rec.talkingMs / 1000);
      rec.silenceSec = Math.max(0, rec.durationSec - rec.talkingSec);
    }
    this.core.liveRecordings.delete(rec.name);
    const ch = rec.targetKind === 'channel' ? this.core.channels.get(rec.targetId) : undefined;
    if (ch?.recording === rec) ch.recording = undefined;
    const b = rec.targetKind === 'bridge' ? this.core.bridges.get(rec.targetId) : undefined;
    if (b?.recording === rec) b.recording = undefined;
    if (state === 'done') {
      const previous = rec.options.ifExists === 'append' ? (this.core.stored.get(rec.name)?.durationMs ?? 0) : 0;
      this.core.stored.set(rec.name, { format: rec.format, durationMs: previous + totalMs });
      ch?.report.recordings.push({ name: rec.name, format: rec.format, durationSec: rec.durationSec });
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
      case 'pause':
        if (rec.state !== 'recording') throw new AriHttpError(409, 'Recording not in session');
        rec.state = 'paused';
        rec.pausedAt = now;
        return;
      case 'unpause':
        if (rec.state !== 'paused') throw new AriHttpError(409, 'Recording not in session');
        rec.pausedMs += now - (rec.pausedAt ?? now);
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

  storedRecordings(): StoredRecording[] {
    return [...this.core.stored.entries()].map(([name, r]) => ({ name, format: r.format }));
  }

  storedRecording(name: string): StoredRecording {
    const r = this.core.stored.get(name);
    if (!r) throw new AriHttpError(404, 'Recording not found');
    return { name, format: r.format };
  }

  storedRecordingFile(name: string): Buffer {
    const r = this.core.stored.get(name);
    if (!r) throw new AriHttpError(404, 'Recording not found');
    return silentWav(r.durationMs);
  }

  deleteStoredRecording(name: string): void {
    if (!this.core.stored.delete(name)) throw new AriHttpError(404, 'Recording not found');
  }

  copyStoredRecording(name: string, destination: string): StoredRecording {
    const r = this.core.stored.get(name);
    if (!r) throw new AriHttpError(404, 'Recording not found');
    if (this.core.stored.has(destination)) throw new AriHttpError(409, 'A recording with the same name already exists on the system');
    this.core.stored.set(destination, { ...r });
    return { name: destination, format: r.format };
  }

  /** Adds a stored recording (scripting: a recording: prompt the application can play). */
  defineRecording(name: string, durationMs: number, format = 'wav'): void {
    this.core.stored.set(name, { format, durationMs });
  }

  setTalking(ch: SimChannel, talking: boolean): void {
    if (ch.talking === talking || ch.destroyed) return;
    ch.talking = talking;
    const rec = ch.recording;
    if (!rec || rec.state !== 'recording') return;
    const now = this.core.clock.now();
    if (talking) {
      rec.lastTalkStart = now;
      this.silenceTimer.get(rec.name)?.cancel();
      this.silenceTimer.delete(rec.name);
    } else {
      if (rec.lastTalkStart !== undefined) rec.talkingMs += now - rec.lastTalkStart;
      rec.lastTalkStart = undefined;
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
