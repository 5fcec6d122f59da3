/**
 * The ARI `playbacks` resource and play on channels and bridges
 * (res/ari/resource_playbacks.c, res/res_stasis_playback.c): queues, media
 * lengths, controls.
 */
import { randomUUID } from 'node:crypto';
import { SimPlayback, type SimChannel } from '../channel';
import { AriHttpError } from '../route';
import type { SimCore } from './core';

export class Playbacks {
  constructor(private readonly core: SimCore) {}

  play(target: { channelId?: string; bridgeId?: string }, p: { media: string[]; lang?: string; playbackId?: string; offsetms?: number; skipms?: number }): ReturnType<SimPlayback['json']> {
    if ((p.skipms ?? 0) < 0) throw new AriHttpError(400, 'skipms cannot be negative');
    if ((p.offsetms ?? 0) < 0) throw new AriHttpError(400, 'offsetms cannot be negative');
    let language = p.lang;
    let queue: SimPlayback[];
    let kind: 'channel' | 'bridge';
    let id: string;
    if (target.channelId !== undefined) {
      const ch = this.core.control(target.channelId);
      this.core.checkState(ch);
      language ??= ch.language;
      queue = ch.playbacks;
      kind = 'channel';
      id = ch.id;
    } else {
      const b = this.core.bridge(target.bridgeId ?? '');
      language ??= 'en';
      queue = b.playbacks;
      kind = 'bridge';
      id = b.id;
    }
    if (p.media.length === 0) throw new AriHttpError(500, 'Failed to queue media for playback');
    const playbackId = p.playbackId ?? randomUUID();
    if (this.core.playbacks.has(playbackId)) throw new AriHttpError(409, `Playback with id '${playbackId}' already exists`);
    const pb = new SimPlayback(playbackId, [...p.media], kind, id, language);
    this.core.playbacks.set(playbackId, pb);
    queue.push(pb);
    const json = pb.json();
    if (queue.length === 1) setImmediate(() => this.startItem(pb));
    return json;
  }

  private hearers(pb: SimPlayback): SimChannel[] {
    if (pb.targetKind === 'channel') {
      const ch = this.core.channels.get(pb.targetId);
      return ch ? [ch] : [];
    }
    const b = this.core.bridges.get(pb.targetId);
    return b ? b.channels.map((id) => this.core.channels.get(id)).filter((c): c is SimChannel => c !== undefined) : [];
  }

  private startItem(pb: SimPlayback): void {
    if (pb.state !== 'queued' && pb.state !== 'continuing') return;
    if (pb.canceled) {
      this.finishPlayback(pb, 'done', 'stopped');
      return;
    }
    const uri = pb.media[pb.index] ?? '';
    pb.state = 'playing';
    this.core.publish('PlaybackStarted', { playback: pb.json() }, this.core.targetScope(pb));
    for (const ch of this.hearers(pb)) {
      const entry = { media: uri, playbackId: pb.id, target: pb.targetKind, startedAt: new Date().toISOString() };
      ch.report.heard.push(entry);
      pb.heard.set(ch.id, entry);
      ch.signals.emit('playback-start', uri);
    }
    void this.core.media.length(uri, pb.language).then((length) => {
      if (pb.state !== 'playing' || pb.media[pb.index] !== uri) return; // stopped or hung up meanwhile
      if (length.kind === 'missing') {
        this.core.log.warn(`playback ${pb.id}: ${length.why}`);
        this.itemEnded(pb, 'failed');
        return;
      }
      pb.itemStartedAt = this.core.clock.now();
      pb.itemDurationMs = length.kind === 'finite' ? length.ms : Number.POSITIVE_INFINITY;
      if (length.kind === 'finite') pb.timer = this.core.clock.after(length.ms, () => this.itemEnded(pb, 'done'));
    });
  }

  private itemEnded(pb: SimPlayback, outcome: 'done' | 'failed'): void {
    pb.timer = undefined;
    const uri = pb.media[pb.index] ?? '';
    for (const ch of this.hearers(pb)) {
      const entry = pb.heard.get(ch.id);
      if (entry && !entry.outcome) {
        entry.outcome = outcome;
        entry.endedAt = new Date().toISOString();
      }
      ch.signals.emit('playback-end', uri);
    }
    if (pb.index + 1 < pb.media.length) {
      pb.state = 'continuing';
      this.core.publish('PlaybackContinuing', { playback: pb.json() }, this.core.targetScope(pb));
      pb.index += 1;
      this.startItem(pb);
      return;
    }
    this.finishPlayback(pb, outcome, outcome);
  }

  /** Ends a playback (PlaybackFinished) and starts the next one queued on its target. */
  finishPlayback(pb: SimPlayback, state: 'done' | 'failed', heardOutcome: 'done' | 'stopped' | 'failed'): void {
    if (pb.state === 'done' || pb.state === 'failed') return;
    pb.timer?.cancel();
    pb.timer = undefined;
    pb.state = state;
    for (const ch of this.hearers(pb)) {
      const entry = pb.heard.get(ch.id);
      if (entry && !entry.outcome) {
        entry.outcome = heardOutcome;
        entry.endedAt = new Date().toISOString();
        ch.signals.emit('playback-end', entry.media);
      }
    }
    this.core.publish('PlaybackFinished', { playback: pb.json() }, this.core.targetScope(pb));
    this.core.playbacks.delete(pb.id);
    const queue = this.playbackQueue(pb);
    const i = queue.indexOf(pb);
    if (i >= 0) queue.splice(i, 1);
    const next = queue[0];
    if (next && next.state === 'queued' && queue[0] === next) setImmediate(() => this.startItem(next));
  }

  private playbackQueue(pb: SimPlayback): SimPlayback[] {
    if (pb.targetKind === 'channel') return this.core.channels.get(pb.targetId)?.playbacks ?? [];
    return this.core.bridges.get(pb.targetId)?.playbacks ?? [];
  }

  getPlayback(id: string): ReturnType<SimPlayback['json']> {
    const pb = this.core.playbacks.get(id);
    if (!pb) throw new AriHttpError(404, 'Playback not found');
    return pb.json();
  }

  /** DELETE /playbacks/{id}: a playing playback finishes as "done"; a queued one is canceled and reports "done" when its turn comes. */
  stopPlayback(id: string): void {
    const pb = this.core.playbacks.get(id);
    if (!pb) throw new AriHttpError(404, 'Playback not found');
    if (pb.state === 'queued') {
      pb.canceled = true;
      const queue = this.playbackQueue(pb);
      if (queue[0] === pb) this.finishPlayback(pb, 'done', 'stopped');
      return;
    }
    pb.stopped = true;
    this.finishPlayback(pb, 'done', 'stopped');
  }

  controlPlayback(id: string, operation: string | undefined): void {
    const pb = this.core.playbacks.get(id);
    if (!pb) throw new AriHttpError(404, 'Playback not found');
    if (!operation) throw new AriHttpError(400, 'Missing operation');
    const uri = pb.media[pb.index] ?? '';
    const controllable = /^(sound|recording|tone):/.test(uri);
    switch (operation) {
      case 'pause':
        if (pb.state !== 'playing' || !controllable) throw new AriHttpError(409, 'Can only pause while media is playing');
        pb.pausedRemainingMs = Math.max(0, pb.itemDurationMs - (this.core.clock.now() - pb.itemStartedAt));
        pb.timer?.cancel();
        pb.timer = undefined;
        pb.state = 'paused';
        return;
      case 'unpause':
        if (pb.state !== 'paused') throw new AriHttpError(409, 'Can only unpause while media is playing');
        pb.state = 'playing';
        pb.itemStartedAt = this.core.clock.now() - (pb.itemDurationMs - (pb.pausedRemainingMs ?? 0));
        if (Number.isFinite(pb.pausedRemainingMs)) pb.timer = this.core.clock.after(pb.pausedRemainingMs ?? 0, () => this.itemEnded(pb, 'done'));
        this.core.publish('PlaybackStarted', { playback: pb.json() }, this.core.targetScope(pb));
        return;
      case 'restart':
      case 'reverse':
      case 'forward': {
        if (pb.state !== 'playing' || !controllable) throw new AriHttpError(409, `Can only ${operation} while media is playing`);
        if (!Number.isFinite(pb.itemDurationMs)) return;
        const elapsed = this.core.clock.now() - pb.itemStartedAt;
        const skip = 3000;
        const position = operation === 'restart' ? 0 : operation === 'reverse' ? Math.max(0, elapsed - skip) : Math.min(pb.itemDurationMs, elapsed + skip);
        pb.timer?.cancel();
        pb.itemStartedAt = this.core.clock.now() - position;
        pb.timer = this.core.clock.after(pb.itemDurationMs - position, () => this.itemEnded(pb, 'done'));
        return;
      }
      default:
        throw new AriHttpError(400, `Invalid operation ${operation}`);
    }
  }

  /** Asterisk stops: playbacks end with it, without events. */
  crash(): void {
    for (const pb of this.core.playbacks.values()) pb.timer?.cancel();
    this.core.playbacks.clear();
  }
}
