/**
 * What a connection does with media, along ARI's own resources: playbacks
 * (play on a channel or a bridge, stop, get), recordings (record, stop, the
 * stored ones) and sounds (get, list). A playback or a recording is an
 * operation whose end comes as an event: pending.ts waits for it, stops it on
 * cancellation, and settles it after a reconnect. Media Asterisk would fetch
 * over http(s) is checked first (media.ts, MediaGuard).
 */
import { randomUUID } from 'node:crypto';
import { AriError, abortReason } from './errors';
import { MediaGuard, isRecordingName, normalizeMedia } from './media';
import type { PendingOperations } from './pending';
import type { AriFile } from './rest';
import type { PlaybackOutcome, PlayOptions, RecordingOutcome, RecordOptions } from './port';
import type { Playback, Sound, StoredRecording } from './types';

/** What the media operations need of their connection. */
export interface MediaPort {
  /** One ARI request (resource, operation as ari-client names them), refused when not connected. */
  call<T>(resource: string, operation: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<T>;
  /** The same for a request whose answer nobody reads: a 2xx answer's body is not parsed. */
  command(resource: string, operation: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<void>;
  /** The same for a file: its body is handed over unread (AriRest.stream). */
  stream(resource: string, operation: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<AriFile>;
  /** The operations waiting for their final event. */
  readonly pending: PendingOperations;
  /** Checks the hosts of http(s) media before Asterisk fetches them. */
  readonly mediaGuard: MediaGuard;
}

const isRecording = (uri: string): boolean => uri.startsWith('recording:');

export class MediaOperations {
  constructor(private readonly port: MediaPort) {}

  play(target: { channelId: string } | { bridgeId: string }, media: string[], options: PlayOptions = {}): Promise<PlaybackOutcome> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    let uris: string[];
    try {
      if (media.length === 0) throw new RangeError('nothing to play: the media list is empty');
      uris = media.map(normalizeMedia);
    } catch (err) {
      return Promise.reject(new AriError('play', 'bad-request', (err as Error).message, 400));
    }
    const remote = media.filter((u) => MediaGuard.remote(u) && !options.ownMedia?.includes(u));
    if (remote.length === 0) return uris.some(isRecording) ? this.playStored(target, uris, options) : this.playChecked(target, uris, options);
    // Media Asterisk would fetch: its host must not be an internal address (unless the allowlist covers it).
    return Promise.all(remote.map((u) => this.port.mediaGuard.check(u, signal))).then(
      () => this.playStored(target, uris, options),
      (err: unknown) => {
        if (signal?.aborted) throw abortReason(signal);
        throw new AriError('play', 'bad-request', (err as Error).message, 400);
      },
    );
  }

  /**
   * A recording: that is not stored would start on Asterisk and never finish: play_on_channel gives up on it without
   * a PlaybackFinished (res/res_stasis_playback.c), and the call would wait in silence until it hangs up. Such a
   * playback fails here, before anything plays (as a missing sound file fails on Asterisk).
   */
  private async playStored(target: { channelId: string } | { bridgeId: string }, uris: string[], options: PlayOptions): Promise<PlaybackOutcome> {
    for (const uri of uris) {
      if (isRecording(uri) && (await this.mediaExists(uri, options.signal)) === false) {
        return { playbackId: options.playbackId ?? randomUUID(), state: 'failed', stopped: false };
      }
    }
    return this.playChecked(target, uris, options);
  }

  private playChecked(target: { channelId: string } | { bridgeId: string }, uris: string[], options: PlayOptions): Promise<PlaybackOutcome> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const playbackId = options.playbackId ?? randomUUID();
    const params: Record<string, unknown> = { playbackId, media: uris.join(',') };
    if (options.lang) params.lang = options.lang;
    return this.port.pending.untilPlaybackFinished(playbackId, signal, () => this.stopPlayback(playbackId), () =>
      'channelId' in target
        ? this.port.command('channels', 'playWithId', { ...params, channelId: target.channelId }, signal)
        : this.port.command('bridges', 'playWithId', { ...params, bridgeId: target.bridgeId }, signal),
    );
  }

  stopPlayback(playbackId: string): Promise<void> {
    return this.port.pending.stopPlayback(playbackId, () => this.port.command('playbacks', 'stop', { playbackId }));
  }

  async getPlayback(playbackId: string, signal?: AbortSignal): Promise<Playback | undefined> {
    try {
      return await this.port.call<Playback>('playbacks', 'get', { playbackId }, signal);
    } catch (err) {
      if (err instanceof AriError && err.kind === 'not-found') return undefined;
      throw err;
    }
  }

  record(target: { channelId: string } | { bridgeId: string }, options: RecordOptions): Promise<RecordingOutcome> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const name = options.name;
    const params: Record<string, unknown> = {
      name,
      format: options.format ?? 'wav',
      maxDurationSeconds: options.maxDurationSec ?? 0,
      maxSilenceSeconds: options.maxSilenceSec ?? 0,
      beep: options.beep ?? false,
      terminateOn: options.terminateOn ?? 'none',
      ifExists: options.ifExists ?? 'fail',
    };
    return this.port.pending.untilRecordingFinished(name, signal, () => this.stopRecording(name), () =>
      'channelId' in target
        ? this.port.command('channels', 'record', { ...params, channelId: target.channelId }, signal)
        : this.port.command('bridges', 'record', { ...params, bridgeId: target.bridgeId }, signal),
    );
  }

  async stopRecording(name: string): Promise<void> {
    try {
      await this.port.command('recordings', 'stop', { recordingName: name });
    } catch (err) {
      if (!(err instanceof AriError && err.kind === 'not-found')) throw err;
    }
  }

  /** A stored recording gone (the answer is 204 without a body); one already gone is not an error. */
  async deleteStoredRecording(name: string): Promise<void> {
    try {
      await this.port.command('recordings', 'deleteStored', { recordingName: name });
    } catch (err) {
      if (!(err instanceof AriError && err.kind === 'not-found')) throw err;
    }
  }

  /**
   * A stored recording's file (GET /recordings/stored/{name}/file, Asterisk 14+), its body unread: the caller streams
   * it and bounds it. The name is checked first (isRecordingName): it never reaches the URI otherwise. 404: Asterisk
   * has no such recording.
   */
  async storedRecordingFile(name: string, signal?: AbortSignal): Promise<AriFile> {
    if (!isRecordingName(name)) throw new AriError('recordings.getStoredFile', 'bad-request', `not a recording name: ${JSON.stringify(name.slice(0, 80))}`, 400);
    return this.port.stream('recordings', 'getStoredFile', { recordingName: name }, signal);
  }

  listStoredRecordings(signal?: AbortSignal): Promise<StoredRecording[]> {
    return this.port.call('recordings', 'listStored', {}, signal);
  }

  async mediaExists(uri: string, signal?: AbortSignal): Promise<boolean | undefined> {
    const [, kind, name] = /^(sound|recording):(.+)$/.exec(uri) ?? [];
    if (!kind || !name || /^https?:/.test(name)) return undefined;
    try {
      // Only whether it exists: the answer's body is not read.
      if (kind === 'sound') await this.port.command('sounds', 'get', { soundId: name }, signal);
      else await this.port.command('recordings', 'getStored', { recordingName: name }, signal);
      return true;
    } catch (err) {
      if (err instanceof AriError && err.kind === 'not-found') return false;
      throw err;
    }
  }

  listSounds(filter: { lang?: string; format?: string } = {}, signal?: AbortSignal): Promise<Sound[]> {
    return this.port.call('sounds', 'list', { ...filter }, signal);
  }
}
