/**
 * One connection to one Asterisk for one Stasis application: the Telephony
 * port implemented on ari-client (REST) and our events WebSocket.
 *
 * A supervisor loop connects, watches the event socket, and reconnects with
 * exponential backoff and full jitter, forever, until close(). Each
 * connect: check the ARI documents with our credentials (so a wrong
 * password is "auth failed", not a crash: preflight.ts), load the API
 * through ari-client, ask Asterisk its startup time (a changed one means it
 * restarted), open the event socket, then reconcile: ask Asterisk which
 * channels are still in the application, end the ones it no longer has
 * (ChannelLost), and settle playbacks, recordings and originates whose
 * final event was missed (pending.ts keeps those operations). Events reach
 * their listeners through subscriptions.ts; reconciliation.ts does the
 * reconciling.
 *
 * The operations themselves live along ARI's resources, as Asterisk's
 * res/ari/resource_<resource>.c do: channel-operations.ts, bridge-
 * operations.ts, media-operations.ts (playbacks, recordings, sounds); this
 * class hands each call to them.
 */
import { EventEmitter } from 'node:events';
import { redact, silentLogger, type Logger } from '../log';
import { Backoff, waitOrAbort } from './backoff';
import type { HangupReason } from './causes';
import { AriError, CancelledError, abortReason, asError } from './errors';
import type { EventSocketError } from './events-socket';
import { EventSocket } from './events-socket';
import { MediaGuard } from './media';
import { BridgeOperations } from './bridge-operations';
import { ChannelOperations, mediaSocketOf } from './channel-operations';
import { MediaOperations } from './media-operations';
import { INSTANCE_VARIABLE, untilApplicationFree } from './ownership';
import { reconcile } from './reconciliation';
import { PendingOperations } from './pending';
import { Subscriptions } from './subscriptions';
import { AttemptError, NETWORK_CODES, normalizeAriUrl, preflight } from './preflight';
import type {
  ChannelWatcher,
  ConnectionState,
  ConnectionStatus,
  OriginateOutcome,
  OriginateRequest,
  PlaybackOutcome,
  PlayOptions,
  Reconciliation,
  RecordingOutcome,
  RecordOptions,
  SnoopRequest,
  ExternalMediaChannel,
  ExternalMediaRequest,
  Telephony,
  TelephonyEvent,
  TelephonyListener,
} from './port';
import { AriRest, type AriFile } from './rest';
import type { AsteriskInfo, Bridge, Channel, Playback, Sound, StoredRecording } from './types';

export interface AriConnectionOptions {
  /** http(s)://host:port, with or without a trailing /ari */
  url: string;
  username: string;
  password: string;
  app: string;
  logger?: Logger;
  /** Per-request timeout (default 10 s). */
  requestTimeoutMs?: number;
  /** Ping interval of the event socket; two missed pongs... one missed interval ends it (default 15 s). */
  heartbeatMs?: number;
  /** Reconnect delays (default 0.5 s growing to 30 s, with full jitter). */
  backoff?: { initialMs: number; maxMs: number };
  /** Reconnect delays after a refused password (default 10 s growing to 60 s), gentle on fail2ban. */
  authBackoff?: { initialMs: number; maxMs: number };
  random?: () => number;
  /** Checks http(s) media before Asterisk fetches it (internal addresses); default: a guard with an empty allowlist. */
  media?: MediaGuard;
  /**
   * Names this Node-RED instance (stable across its restarts): channels it originates, creates or takes are marked
   * with it (CALLFLOW_INSTANCE), and reconciliation hangs up only channels with its mark (ownership.ts). Without it,
   * every channel nobody here handles counts as an earlier run's.
   */
  instance?: string;
  /** Delays between checks whether a taken-over application is free again (default 5 s growing to 60 s). */
  replacedBackoff?: { initialMs: number; maxMs: number };
}

export class AriConnection implements Telephony {
  readonly app: string;
  private readonly baseUrl: string;
  private readonly log: Logger;
  private readonly events = new EventEmitter();
  /** Application listeners and channel watchers (subscriptions.ts). */
  private readonly subscriptions: Subscriptions;
  /** Playbacks, recordings and originates waiting for their final event. */
  private readonly pending = new PendingOperations();
  /** Channels in the application (StasisStart seen) or originated by us and not yet gone. */
  private readonly tracked = new Set<string>();
  /** Channels we originated or created: Asterisk keeps sending their events after StasisEnd. */
  private readonly originated = new Set<string>();
  private rest: AriRest | undefined;
  /** The REST side a reconnect replaced, while its requests in flight finish (AriRest.retire). */
  private retiredRest: AriRest | undefined;
  private socket: EventSocket | undefined;
  private startupTime: string | undefined;
  private currentStatus: ConnectionStatus = { state: 'connecting', message: 'not started', attempt: 0 };
  private readonly lifetime = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly mediaGuard: MediaGuard;
  /** The event socket Asterisk told ApplicationReplaced: another client has the application now. */
  private replacedSocket: EventSocket | undefined;
  /** Playbacks, recordings, sounds; public for what is no call's operation (the admin API's recording files). */
  readonly media: MediaOperations;
  private readonly channels: ChannelOperations;
  private readonly bridges: BridgeOperations;

  constructor(private readonly options: AriConnectionOptions) {
    this.mediaGuard = options.media ?? new MediaGuard();
    const call = <T>(resource: string, operation: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<T> => this.call<T>(resource, operation, params, signal);
    const command = (resource: string, operation: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<void> => this.command(resource, operation, params, signal);
    const stream = (resource: string, operation: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<AriFile> => this.requireRest(`${resource}.${operation}`).stream(resource, operation, params, signal);
    this.media = new MediaOperations({ call, command, stream, pending: this.pending, mediaGuard: this.mediaGuard });
    this.channels = new ChannelOperations({ call, command, pending: this.pending, tracked: this.tracked, originated: this.originated, app: options.app, instance: options.instance, mediaSocket: (id) => mediaSocketOf(this.baseUrl, options, id) });
    this.bridges = new BridgeOperations({ call, command });
    this.baseUrl = normalizeAriUrl(options.url);
    if (!/^[A-Za-z0-9_.-]+$/.test(options.app)) throw new RangeError(`Stasis application name "${options.app}" may only hold letters, digits, _ . and -`);
    this.app = options.app;
    this.log = options.logger ?? silentLogger;
    this.subscriptions = new Subscriptions(this.log);
    this.events.setMaxListeners(0);
  }

  // ------------------------------------------------------------------ status

  get status(): ConnectionStatus {
    return { ...this.currentStatus };
  }

  onStatus(listener: (status: ConnectionStatus) => void): () => void {
    this.events.on('status', listener);
    return () => this.events.off('status', listener);
  }

  /** Called after every successful (re)connect, once Asterisk and this adapter agree again. */
  onReconciled(listener: (r: Reconciliation) => void): () => void {
    this.events.on('reconciled', listener);
    return () => this.events.off('reconciled', listener);
  }

  private setStatus(state: ConnectionState, message: string, attempt: number, retryInMs?: number): void {
    const clean = redact(message, [this.options.password]);
    const previous = this.currentStatus;
    this.currentStatus = { state, message: clean, attempt };
    if (retryInMs !== undefined) this.currentStatus.retryInMs = retryInMs;
    if (previous.state !== state || previous.message !== clean) {
      const line = `ARI ${this.baseUrl} app ${this.app}: ${state}${clean ? ` - ${clean}` : ''}`;
      if (state === 'connected' || state === 'closed' || state === 'connecting') this.log.info(line);
      else this.log.warn(line);
    }
    this.events.emit('status', this.status);
  }

  /** Resolves when connected (now or later); rejects when the signal aborts or the connection closes. */
  whenConnected(signal?: AbortSignal): Promise<void> {
    if (this.currentStatus.state === 'connected') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const off = this.onStatus((s) => {
        if (s.state === 'connected') done(resolve);
        else if (s.state === 'closed') done(() => reject(new CancelledError('connection closed')));
      });
      const onAbort = (): void => done(() => reject(abortReason(signal as AbortSignal)));
      const done = (fn: () => void): void => {
        off();
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  // ------------------------------------------------------------------ lifecycle

  /** Starts connecting in the background; progress is reported through onStatus. */
  start(): void {
    if (this.loop) return;
    this.loop = this.supervise().catch((err: unknown) => {
      this.log.error(`ARI supervisor stopped unexpectedly: ${redact(String(err), [this.options.password])}`);
    });
  }

  /** Stops for good: closes the socket, cancels every pending wait. Resolves when done (bounded by a few seconds). */
  async close(): Promise<void> {
    if (this.lifetime.signal.aborted) return;
    this.lifetime.abort(new CancelledError('connection closed'));
    this.rest?.close();
    this.rest = undefined;
    this.retiredRest?.close();
    this.retiredRest = undefined;
    await this.socket?.close(2000);
    await this.loop;
    this.pending.closeAll(new CancelledError('connection closed'));
    this.setStatus('closed', 'closed', 0);
  }

  private async supervise(): Promise<void> {
    const signal = this.lifetime.signal;
    const backoff = new Backoff({ initialMs: 500, maxMs: 30_000, minMs: 250, ...this.options.backoff, ...(this.options.random ? { random: this.options.random } : {}) });
    const authBackoff = new Backoff({ initialMs: 10_000, maxMs: 60_000, minMs: 5_000, ...this.options.authBackoff, ...(this.options.random ? { random: this.options.random } : {}) });
    const replacedBackoff = new Backoff({ initialMs: 5_000, maxMs: 60_000, minMs: 1_000, ...this.options.replacedBackoff, ...(this.options.random ? { random: this.options.random } : {}) });
    let everConnected = false;
    let failures = 0;
    while (!signal.aborted) {
      this.setStatus(everConnected ? 'reconnecting' : 'connecting', failures === 0 ? `connecting to ${this.baseUrl}` : this.currentStatus.message, failures);
      let delay: number;
      try {
        const closedBecause = await this.attempt(signal);
        everConnected = true;
        failures = 0;
        backoff.reset();
        authBackoff.reset();
        if (signal.aborted) return;
        if (this.replacedSocket) {
          // Not a fault to retry at once: connecting again would take the application back from the other client.
          await this.waitWhileReplaced(replacedBackoff, signal);
          replacedBackoff.reset();
          this.replacedSocket = undefined;
          continue;
        }
        this.setStatus('reconnecting', `lost the event connection (${closedBecause})`, 0);
        delay = backoff.next();
      } catch (err) {
        if (signal.aborted) return;
        failures += 1;
        const e = err instanceof AttemptError ? err : new AttemptError('failed', (err as Error).message);
        delay = e.state === 'auth-failed' ? authBackoff.next() : backoff.next();
        this.setStatus(e.state, `${e.message}; retrying in ${(delay / 1000).toFixed(1)} s`, failures, delay);
      }
      await waitOrAbort(delay, signal);
    }
  }

  /** One connect; resolves (with why) when the event socket, once open, closes. */
  private async attempt(signal: AbortSignal): Promise<string> {
    const timeoutMs = this.options.requestTimeoutMs ?? 10_000;
    await preflight({ baseUrl: this.baseUrl, username: this.options.username, password: this.options.password }, timeoutMs, signal);
    const rest = await AriRest.connect({
      baseUrl: this.baseUrl,
      username: this.options.username,
      password: this.options.password,
      requestTimeoutMs: timeoutMs,
    }).catch((err: unknown) => {
      throw new AttemptError('failed', `loading the ARI API failed: ${err instanceof Error ? err.message : String(err)}`);
    });
    try {
      return await this.connected(rest, signal, timeoutMs);
    } catch (err) {
      // An attempt that failed before it was in use leaves no sockets behind.
      if (this.rest !== rest) rest.close();
      throw err;
    }
  }

  /** The rest of an attempt, once the REST side is up: the Asterisk info, the event socket, reconciliation. */
  private async connected(rest: AriRest, signal: AbortSignal, timeoutMs: number): Promise<string> {
    if (signal.aborted) throw new CancelledError('closing');
    const info = await rest.call<AsteriskInfo>('asterisk', 'getInfo', { only: 'status,system' }, signal);
    const startup = info.status?.startup_time;
    const restarted = this.startupTime !== undefined && startup !== undefined && startup !== this.startupTime;
    this.startupTime = startup;
    const socket = new EventSocket({
      baseUrl: this.baseUrl,
      app: this.app,
      username: this.options.username,
      password: this.options.password,
      heartbeatMs: this.options.heartbeatMs ?? 15_000,
      openTimeoutMs: timeoutMs,
      onEvent: (event) => (event.type === 'ApplicationReplaced' ? this.replaced(socket) : this.dispatch(event)),
      onMalformed: (why) => this.log.warn(`ARI event socket sent ${why}; ignored`),
    });
    try {
      await socket.opened;
    } catch (err) {
      const e = err as EventSocketError;
      if (e.status === 401) throw new AttemptError('auth-failed', 'Asterisk refused the username or password for the event WebSocket');
      if (e.code && NETWORK_CODES.test(e.code)) throw new AttemptError('unreachable', `no answer from ${this.baseUrl} (${e.code})`);
      throw new AttemptError('failed', e.message);
    }
    if (signal.aborted) {
      await socket.close();
      throw new CancelledError('closing');
    }
    // The previous REST side served requests while the event socket was down; this one takes over (what the old one
    // sent still gets its answer, then it closes).
    if (this.rest && this.rest !== rest) {
      this.retiredRest?.close();
      this.retiredRest = this.rest;
      this.rest.retire();
    }
    this.rest = rest;
    this.socket = socket;
    const version = info.system?.version ? `Asterisk ${info.system.version}` : 'Asterisk';
    this.setStatus('connected', `${version}${restarted ? ' (it restarted since the last connection)' : ''}`, 0);
    // Reconciling runs beside the socket watch: a socket that drops meanwhile must still be noticed at once.
    this.reconcile(restarted, socket).catch((err: unknown) => this.log.warn(`reconciling after connect failed: ${(err as Error).message}`));
    const why = await socket.closed;
    if (this.socket === socket) this.socket = undefined;
    return why;
  }

  // ------------------------------------------------------------------ events

  onEvent(listener: TelephonyListener): () => void {
    return this.subscriptions.onEvent(listener);
  }

  watchChannel(channelId: string, listener: TelephonyListener): () => void {
    return this.subscriptions.watchChannel(channelId, listener);
  }

  addChannelWatcher(channelId: string, watcher: ChannelWatcher): void {
    this.subscriptions.add(channelId, watcher);
  }

  removeChannelWatcher(channelId: string, watcher: ChannelWatcher): void {
    this.subscriptions.remove(channelId, watcher);
  }

  /** Number of channels with watchers (for leak checks in tests). */
  get watchedChannels(): number {
    return this.subscriptions.watchedChannels;
  }

  private dispatch(event: TelephonyEvent): void {
    this.pending.settle(event);
    if (event.type === 'StasisStart') {
      const id = event.channel.id;
      this.tracked.add(id);
      // A channel we originated or created carries the mark already; one that came in through the dialplan gets it now.
      if (this.options.instance !== undefined && !this.originated.has(id)) {
        this.rest?.command('channels', 'setChannelVar', { channelId: id, variable: INSTANCE_VARIABLE, value: this.options.instance }).catch((err: unknown) => {
          if (!(err instanceof AriError && err.kind === 'not-found')) this.log.warn(`marking call ${id} as this instance's failed: ${(err as Error).message}`);
        });
      }
    }
    this.subscriptions.deliver(event);
    // The end of a channel ends its subscriptions, whether or not their owners remembered to remove them.
    const ended =
      event.type === 'ChannelDestroyed'
        ? event.channel.id
        : event.type === 'ChannelLost'
          ? event.channelId
          : event.type === 'StasisEnd' && !this.originated.has(event.channel.id)
            ? event.channel.id
            : undefined;
    if (ended !== undefined) {
      this.subscriptions.endChannel(ended);
      this.tracked.delete(ended);
      this.originated.delete(ended);
    }
    if (event.type === 'StasisEnd') this.tracked.delete(event.channel.id);
  }

  // ------------------------------------------------------------------ reconciliation

  private async reconcile(restarted: boolean, socket: EventSocket): Promise<void> {
    const result = await reconcile(
      {
        rest: this.requireRest('reconcile'),
        app: this.app,
        instance: this.options.instance,
        tracked: this.tracked,
        originated: this.originated,
        pending: this.pending,
        // A later connect reconciles again; this one stops as soon as its socket is not the current one.
        current: () => this.socket === socket,
        dispatch: (event) => this.dispatch(event),
        getPlayback: (id) => this.getPlayback(id),
        log: this.log,
      },
      restarted,
    );
    if (result) this.events.emit('reconciled', result);
  }

  // ------------------------------------------------------------------ operations

  private requireRest(operation: string): AriRest {
    // Another client holds the application: a request now (an originate into it, say) would act in its place.
    if (this.replacedSocket) throw new AriError(operation, 'not-connected', `not connected to Asterisk (${this.currentStatus.state}: ${this.currentStatus.message})`);
    if (!this.rest) throw new AriError(operation, 'not-connected', `not connected to Asterisk (${this.currentStatus.state}: ${this.currentStatus.message})`);
    return this.rest;
  }

  private call<T>(resource: string, operation: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
    return this.send<T>(resource, operation, params, signal, false);
  }

  /** A request for its effect: a 2xx answer's body is not read (AriRest.command). */
  private command(resource: string, operation: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<void> {
    return this.send<void>(resource, operation, params, signal, true);
  }

  private send<T>(resource: string, operation: string, params: Record<string, unknown>, signal: AbortSignal | undefined, discard: boolean): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    let rest: AriRest;
    try {
      rest = this.requireRest(`${resource}.${operation}`);
    } catch (err) {
      return Promise.reject(asError(err));
    }
    // An abort rejects with abortReason(signal); a 404 about a channel checks whether it is gone (checkGone).
    return discard ? (rest.command(resource, operation, params, signal, this.gone) as Promise<T>) : rest.call<T>(resource, operation, params, signal, this.gone);
  }

  private readonly gone = (channelId: string): void => this.checkGone(channelId);

  /**
   * A request about a channel answered 404. If we still think the channel is ours and Asterisk has no such channel,
   * no event told us it ended (a missed event, or it went away outside the application): it ends now, as ChannelLost
   * (channel-gone), instead of waiting for an idle timeout. A 404 about something else (a variable) changes nothing.
   */
  private checkGone(channelId: string): void {
    if (!this.tracked.has(channelId) && !this.originated.has(channelId)) return;
    const rest = this.rest;
    if (!rest) return;
    rest.call<Channel>('channels', 'get', { channelId }).then(
      () => undefined,
      (err: unknown) => {
        if (!(err instanceof AriError && err.kind === 'not-found')) return;
        if (!this.tracked.has(channelId) && !this.originated.has(channelId)) return;
        this.log.warn(`call ${channelId} is gone from Asterisk though no event said so; ending it`);
        this.dispatch({ type: 'ChannelLost', channelId, reason: 'channel-gone' });
        this.originated.delete(channelId);
      },
    );
  }

  // ------------------------------------------------------------------ another client took the application

  /**
   * Asterisk gave the application to a newer WebSocket (ApplicationReplaced): this socket stays open but hears
   * nothing more. Every call we handle is lost to us (its events go to the other client): each ends as ChannelLost
   * (application-replaced) and is hung up, so no caller waits in silence for a flow that can no longer hear them.
   * The socket is closed; the supervisor then waits for the application to be free (waitWhileReplaced).
   */
  private replaced(socket: EventSocket): void {
    if (this.socket !== socket || this.replacedSocket === socket) return;
    this.replacedSocket = socket;
    const calls = [...this.tracked];
    this.setStatus('replaced', `another client took over application ${this.app} on Asterisk (ARI does not say which); ${calls.length} call(s) of ours ended`, 0);
    for (const id of calls) this.dispatch({ type: 'ChannelLost', channelId: id, reason: 'application-replaced' });
    for (const id of calls) {
      this.rest?.command('channels', 'hangup', { channelId: id }).catch((err: unknown) => {
        if (!(err instanceof AriError && err.kind === 'not-found')) this.log.warn(`hanging up ${id} after the takeover failed: ${(err as Error).message}`);
      });
    }
    this.originated.clear();
    socket.close().catch(() => undefined);
  }

  private async waitWhileReplaced(backoff: Backoff, signal: AbortSignal): Promise<void> {
    const base = `another client took over application ${this.app} on Asterisk (ARI does not say which)`;
    await untilApplicationFree(() => this.rest, this.app, backoff, signal, (delay, checks, why) => {
      // The next check's time is in retryInMs, not in the message: the log gets a line when the situation changes, not per check.
      this.setStatus('replaced', `${base}; ${why}`, checks, delay);
    });
  }

  // Channels: channel-operations.ts.
  originate(request: OriginateRequest, signal?: AbortSignal): Promise<{ channel: Channel; outcome: Promise<OriginateOutcome> }> {
    return this.channels.originate(request, signal);
  }

  snoop(channelId: string, request: SnoopRequest, signal?: AbortSignal): Promise<Channel> {
    return this.channels.snoop(channelId, request, signal);
  }

  externalMedia(request: ExternalMediaRequest, signal?: AbortSignal): Promise<ExternalMediaChannel> {
    return this.channels.externalMedia(request, signal);
  }

  createChannel(request: OriginateRequest, signal?: AbortSignal): Promise<Channel> {
    return this.channels.createChannel(request, signal);
  }

  dial(channelId: string, options: { callerChannelId?: string; timeoutSec?: number } = {}, signal?: AbortSignal): Promise<void> {
    return this.channels.dial(channelId, options, signal);
  }

  getChannel(channelId: string, signal?: AbortSignal): Promise<Channel> {
    return this.channels.getChannel(channelId, signal);
  }

  answer(channelId: string, signal?: AbortSignal): Promise<void> {
    return this.channels.answer(channelId, signal);
  }

  ring(channelId: string, signal?: AbortSignal): Promise<void> {
    return this.channels.ring(channelId, signal);
  }

  hangup(channelId: string, reason?: HangupReason | { code: number }): Promise<void> {
    return this.channels.hangup(channelId, reason);
  }

  getVariable(channelId: string, name: string, signal?: AbortSignal): Promise<string | undefined> {
    return this.channels.getVariable(channelId, name, signal);
  }

  setVariable(channelId: string, name: string, value: string, signal?: AbortSignal): Promise<void> {
    return this.channels.setVariable(channelId, name, value, signal);
  }

  sendDtmf(channelId: string, dtmf: string, options: { betweenMs?: number; durationMs?: number } = {}, signal?: AbortSignal): Promise<void> {
    return this.channels.sendDtmf(channelId, dtmf, options, signal);
  }

  continueInDialplan(channelId: string, target: { context?: string; extension?: string; priority?: number; label?: string }, signal?: AbortSignal): Promise<void> {
    return this.channels.continueInDialplan(channelId, target, signal);
  }

  mute(channelId: string, direction: 'in' | 'out' | 'both', signal?: AbortSignal): Promise<void> {
    return this.channels.mute(channelId, direction, signal);
  }

  unmute(channelId: string, direction: 'in' | 'out' | 'both', signal?: AbortSignal): Promise<void> {
    return this.channels.unmute(channelId, direction, signal);
  }

  redirect(channelId: string, endpoint: string, signal?: AbortSignal): Promise<void> {
    return this.channels.redirect(channelId, endpoint, signal);
  }

  // Playbacks, recordings and sounds: media-operations.ts.
  play(target: { channelId: string } | { bridgeId: string }, media: string[], options: PlayOptions = {}): Promise<PlaybackOutcome> {
    return this.media.play(target, media, options);
  }

  stopPlayback(playbackId: string): Promise<void> {
    return this.media.stopPlayback(playbackId);
  }

  getPlayback(playbackId: string, signal?: AbortSignal): Promise<Playback | undefined> {
    return this.media.getPlayback(playbackId, signal);
  }

  record(target: { channelId: string } | { bridgeId: string }, options: RecordOptions): Promise<RecordingOutcome> {
    return this.media.record(target, options);
  }

  stopRecording(name: string): Promise<void> {
    return this.media.stopRecording(name);
  }

  deleteStoredRecording(name: string): Promise<void> {
    return this.media.deleteStoredRecording(name);
  }

  listStoredRecordings(signal?: AbortSignal): Promise<StoredRecording[]> {
    return this.media.listStoredRecordings(signal);
  }

  mediaExists(uri: string, signal?: AbortSignal): Promise<boolean | undefined> {
    return this.media.mediaExists(uri, signal);
  }

  // Bridges: bridge-operations.ts.
  createBridge(options: { bridgeId?: string; type?: string; name?: string } = {}, signal?: AbortSignal): Promise<Bridge> {
    return this.bridges.createBridge(options, signal);
  }

  listBridges(signal?: AbortSignal): Promise<Bridge[]> {
    return this.bridges.listBridges(signal);
  }

  addToBridge(bridgeId: string, channelIds: string[], signal?: AbortSignal): Promise<void> {
    return this.bridges.addToBridge(bridgeId, channelIds, signal);
  }

  removeFromBridge(bridgeId: string, channelIds: string[], signal?: AbortSignal): Promise<void> {
    return this.bridges.removeFromBridge(bridgeId, channelIds, signal);
  }

  startBridgeMoh(bridgeId: string, mohClass?: string, signal?: AbortSignal): Promise<void> {
    return this.bridges.startBridgeMoh(bridgeId, mohClass, signal);
  }

  stopBridgeMoh(bridgeId: string, signal?: AbortSignal): Promise<void> {
    return this.bridges.stopBridgeMoh(bridgeId, signal);
  }

  destroyBridge(bridgeId: string): Promise<void> {
    return this.bridges.destroyBridge(bridgeId);
  }

  listSounds(filter: { lang?: string; format?: string } = {}, signal?: AbortSignal): Promise<Sound[]> {
    return this.media.listSounds(filter, signal);
  }
}
