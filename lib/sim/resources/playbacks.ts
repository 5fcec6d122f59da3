/**
 * The ARI `playbacks` resource and play on channels and bridges
 * (res/ari/resource_playbacks.c, res/res_stasis_playback.c): queues, media
 * lengths, controls.
 */
import { randomUUID } from 'node:crypto';
import { SimPlayback, type SimBridge, type SimChannel } from '../channel';
import type { HeardEntry } from '../script';
import { AriHttpError } from '../route';
import type { SimCore } from './core';
import { VOICE_RATE } from '../voice';

export class Playbacks {
  constructor(private readonly core: SimCore) {}

  /**
   * POST .../play: as ari_channels_handle_play and ari_bridges_handle_play check it: the target (404/409, and 412 for
   * a channel not up), then skipms and offsetms, then the media (stasis_app_control_play_uri refuses none or an
   * empty one: "Failed to queue media for playback" on a channel, ast_ari_response_alloc_failed on a bridge).
   */
  play(target: { channelId?: string; bridgeId?: string }, p: { media: string[]; lang?: string; playbackId?: string; offsetms?: number; skipms?: number }): ReturnType<SimPlayback['json']> {
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
    if ((p.skipms ?? 0) < 0) throw new AriHttpError(400, 'skipms cannot be negative');
    if ((p.offsetms ?? 0) < 0) throw new AriHttpError(400, 'offsetms cannot be negative');
    if (p.media.length === 0 || p.media.some((m) => m === '')) {
      throw new AriHttpError(500, kind === 'channel' ? 'Failed to queue media for playback' : 'Allocation failed');
    }
    const playbackId = p.playbackId ?? randomUUID();
    // Asterisk links a second playback under an id in use (then GET and stop reach either); the simulator refuses it.
    if (this.core.playbacks.has(playbackId)) throw new AriHttpError(409, `Playback with id '${playbackId}' already exists`);
    const pb = new SimPlayback(playbackId, [...p.media], kind, id, language);
    pb.skipMs = p.skipms || 3000;
    pb.offsetMs = p.offsetms ?? 0;
    this.core.playbacks.set(playbackId, pb);
    queue.push(pb);
    const json = pb.json();
    if (queue.length === 1) setImmediate(() => this.startItem(pb));
    return json;
  }

  /**
   * A channel entering a bridge while a bridge playback plays hears the rest of it: the playback plays on an
   * Announcer channel in the bridge (res/ari/resource_bridges.c ari_bridges_play_new), mixed for every member.
   */
  hearBridgePlayback(b: SimBridge, ch: SimChannel): void {
    const pb = b.playbacks[0];
    if (!pb || (pb.state !== 'playing' && pb.state !== 'paused')) return;
    const current = pb.heard.get(ch.id);
    if (current && current.outcome === undefined) return; // hears it already
    const uri = pb.media[pb.index] ?? '';
    const now = new Date().toISOString();
    const entry: HeardEntry = { media: uri, playbackId: pb.id, target: pb.targetKind, startedAt: now };
    if (pb.audible) entry.audioAt = now;
    ch.report.heard.push(entry);
    pb.heard.set(ch.id, entry);
    ch.signals.emit('playback-start', uri);
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
    pb.audible = false;
    this.core.publish('PlaybackStarted', { playback: pb.json() }, this.core.targetScope(pb));
    for (const ch of this.hearers(pb)) {
      const entry = { media: uri, playbackId: pb.id, target: pb.targetKind, startedAt: new Date().toISOString() };
      ch.report.heard.push(entry);
      pb.heard.set(ch.id, entry);
      ch.signals.emit('playback-start', uri);
    }
    void this.core.media.length(uri, pb.language).then((length) => {
      if (pb.state !== 'playing' || pb.media[pb.index] !== uri) return; // stopped or hung up meanwhile
      if (length.kind === 'unplayable') {
        this.core.log.warn(`playback ${pb.id}: ${length.why}`);
        this.itemSkipped(pb);
        return;
      }
      if (/^(sound|recording|tone):/.test(uri)) pb.controllable = true;
      if (length.kind === 'missing') {
        this.core.log.warn(`playback ${pb.id}: ${length.why}`);
        this.itemEnded(pb, 'failed');
        return;
      }
      pb.itemStartedAt = this.core.clock.now();
      pb.itemDurationMs = length.kind === 'finite' ? length.ms : Number.POSITIVE_INFINITY;
      // Its audio reaches the hearers from now (http(s) media: once fetched), not from PlaybackStarted.
      pb.audible = true;
      const audioAt = new Date().toISOString();
      for (const entry of pb.heard.values()) if (entry.media === uri && entry.outcome === undefined) entry.audioAt ??= audioAt;
      // The offset applies to the first item (ast_control_streamfile_lang seeks; past the end it ends at once).
      const offset = pb.index === 0 ? Math.min(pb.offsetMs, pb.itemDurationMs) : 0;
      pb.itemStartedAt -= offset;
      if (length.kind === 'finite') pb.timer = this.core.clock.after(length.ms - offset, () => this.itemEnded(pb, 'done'));
      this.toSnoopRecordings(pb, uri);
    });
  }

  /**
   * play_on_channel `continue`s past an item it cannot even try (unknown scheme, recording not stored, unreadable
   * number:) after its PlaybackStarted: no PlaybackContinuing for it, the next item starts; after the last one the
   * playback is simply gone, without a PlaybackFinished (res/res_stasis_playback.c, play_on_channel).
   */
  private itemSkipped(pb: SimPlayback): void {
    const uri = pb.media[pb.index] ?? '';
    for (const ch of this.hearers(pb)) {
      const entry = pb.heard.get(ch.id);
      if (entry && !entry.outcome) {
        entry.outcome = 'failed';
        entry.endedAt = new Date().toISOString();
      }
      ch.signals.emit('playback-end', uri);
    }
    if (pb.index + 1 < pb.media.length) {
      pb.state = 'continuing';
      pb.index += 1;
      this.startItem(pb);
      return;
    }
    pb.state = 'done';
    this.removePlayback(pb);
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

  /**
   * What the item plays, as audio the simulator has (a WAV file fetched over http), goes into the recordings of snoop
   * channels that spy on its hearers' outgoing audio (spy out or both: what is sent to the channel, res_stasis_snoop.c).
   */
  private toSnoopRecordings(pb: SimPlayback, uri: string): void {
    const samples = this.core.media.samples(uri);
    if (!samples) return;
    for (const ch of this.hearers(pb)) {
      for (const snoop of ch.snoops) {
        const voice = snoop.recording?.voice;
        if (!voice || (snoop.snoopSpy !== 'out' && snoop.snoopSpy !== 'both')) continue;
        const segment = { at: pb.itemStartedAt, samples };
        voice.push(segment);
        pb.played.push(segment);
      }
    }
  }

  /** Ends a playback (PlaybackFinished) and starts the next one queued on its target. */
  finishPlayback(pb: SimPlayback, state: 'done' | 'failed', heardOutcome: 'done' | 'stopped' | 'failed'): void {
    if (pb.state === 'done' || pb.state === 'failed') return;
    // Stopped (or hung up) early: a recording has what was played until now.
    const now = this.core.clock.now();
    for (const segment of pb.played) segment.samples = segment.samples.subarray(0, Math.max(0, Math.round(((now - segment.at) * VOICE_RATE) / 1000)));
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
    this.removePlayback(pb);
  }

  /** The playback's command is over: it is gone from GET /playbacks, and the next one queued on its target starts. */
  private removePlayback(pb: SimPlayback): void {
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

  /**
   * DELETE /playbacks/{id}: a playing playback finishes as "done"; a queued one is canceled and reports "done" when
   * its turn comes; one that cannot be controlled (only number:, digits:, characters: so far) answers 500 and plays on
   * (res_stasis_playback.c playback_stop, resource_playbacks.c ast_ari_playbacks_stop).
   */
  stopPlayback(id: string): void {
    const pb = this.core.playbacks.get(id);
    if (!pb) throw new AriHttpError(404, 'Playback not found');
    if (pb.state === 'queued') {
      pb.canceled = true;
      const queue = this.playbackQueue(pb);
      if (queue[0] === pb) this.finishPlayback(pb, 'done', 'stopped');
      return;
    }
    if (!pb.controllable) throw new AriHttpError(500, 'Could not stop playback');
    pb.stopped = true;
    this.finishPlayback(pb, 'done', 'stopped');
  }

  /**
   * POST /playbacks/{id}/control, as ast_ari_playbacks_control and the operations table of res_stasis_playback.c
   * decide: the operation is checked before the playback is looked up; queued: restart does nothing, the rest is 409;
   * playing: unpause does nothing, the others need a controllable playback (else 500 "Could not <op> playback");
   * paused: pause does nothing, unpause resumes, the rest is 409.
   */
  controlPlayback(id: string, operation: string | undefined): void {
    if (!operation) throw new AriHttpError(400, 'Missing operation');
    if (!['unpause', 'pause', 'restart', 'reverse', 'forward'].includes(operation)) throw new AriHttpError(400, `Invalid operation ${operation}`);
    const pb = this.core.playbacks.get(id);
    if (!pb) throw new AriHttpError(404, 'Playback not found');
    const notPlaying = new AriHttpError(409, `Can only ${operation} while media is playing`);
    const cannot = new AriHttpError(500, `Could not ${operation} playback`);
    if (pb.state === 'queued' || pb.state === 'continuing') {
      if (operation === 'restart') return;
      if (pb.state === 'queued') throw notPlaying;
    }
    if (pb.state === 'paused') {
      if (operation === 'pause') return;
      if (operation !== 'unpause') throw notPlaying;
      pb.state = 'playing';
      pb.itemStartedAt = this.core.clock.now() - (pb.itemDurationMs - (pb.pausedRemainingMs ?? 0));
      if (Number.isFinite(pb.pausedRemainingMs)) pb.timer = this.core.clock.after(pb.pausedRemainingMs ?? 0, () => this.itemEnded(pb, 'done'));
      // playback_unpause publishes the state "playing": a PlaybackStarted.
      this.core.publish('PlaybackStarted', { playback: pb.json() }, this.core.targetScope(pb));
      return;
    }
    if (pb.state !== 'playing') throw notPlaying;
    if (operation === 'unpause') return;
    if (!pb.controllable) throw cannot;
    if (operation === 'pause') {
      // playback_pause publishes the state "paused", which has no event.
      pb.pausedRemainingMs = Math.max(0, pb.itemDurationMs - (this.core.clock.now() - pb.itemStartedAt));
      pb.timer?.cancel();
      pb.timer = undefined;
      pb.state = 'paused';
      return;
    }
    if (!Number.isFinite(pb.itemDurationMs)) return;
    const elapsed = this.core.clock.now() - pb.itemStartedAt;
    const position = operation === 'restart' ? 0 : operation === 'reverse' ? Math.max(0, elapsed - pb.skipMs) : Math.min(pb.itemDurationMs, elapsed + pb.skipMs);
    pb.timer?.cancel();
    pb.itemStartedAt = this.core.clock.now() - position;
    pb.timer = this.core.clock.after(pb.itemDurationMs - position, () => this.itemEnded(pb, 'done'));
  }

  /** Asterisk stops: playbacks end with it, without events. */
  crash(): void {
    for (const pb of this.core.playbacks.values()) pb.timer?.cancel();
    this.core.playbacks.clear();
  }
}
