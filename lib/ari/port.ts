/**
 * The telephony port: what call logic may ask of Asterisk, and what it hears
 * back. Ids in, plain data out, every wait cancellable with an AbortSignal.
 * lib/ivr and lib/campaign are written against this interface only; the
 * ari-client implementation is AriConnection (connection.ts). In the spirit of
 * CyCoreSystems/ari: a transport-agnostic client of ids, not objects.
 */
import type { HangupReason } from './causes';
import type { AriEvent, Bridge, Channel, Playback, Sound, StoredRecording } from './types';

export type ConnectionState =
  | 'connecting' // first attempt in progress
  | 'connected'
  | 'reconnecting' // was connected, lost it, trying again
  | 'auth-failed' // Asterisk refused the username or password
  | 'unreachable' // nothing answers at the URL
  | 'failed' // something answers, but not as ARI does (wrong URL, ARI disabled)
  | 'replaced' // another client took the Stasis application over (ApplicationReplaced); waiting for it to go away
  | 'closed';

export interface ConnectionStatus {
  state: ConnectionState;
  /** A sentence for logs and the editor: what happened, without secrets. */
  message: string;
  /** Consecutive failed attempts. */
  attempt: number;
  /** When the next attempt starts (ms), while waiting to retry. */
  retryInMs?: number;
}

/**
 * Synthetic event: a channel we knew is lost to us: gone when the connection came back (connection-lost,
 * asterisk-restarted), its events now go to another client (application-replaced), or a request about it answered 404
 * and Asterisk no longer has it (channel-gone).
 */
export interface ChannelLost {
  type: 'ChannelLost';
  channelId: string;
  reason: 'connection-lost' | 'asterisk-restarted' | 'application-replaced' | 'channel-gone';
}

export type TelephonyEvent = AriEvent | ChannelLost;
export type TelephonyListener = (event: TelephonyEvent) => void;
/**
 * An object that hears a channel's events itself (addChannelWatcher): a
 * KeyReader watches its call so, with no listener closure and no unwatch
 * closure per wait (issue 14).
 */
export interface ChannelWatcher {
  onChannelEvent(event: TelephonyEvent): void;
}

/** What a reconnect found: see AriConnection.onReconciled. */
export interface Reconciliation {
  restarted: boolean;
  /** Channels we knew that Asterisk no longer has in the application (reported as ChannelLost). */
  lost: string[];
  /** Channels we knew that are still there. */
  kept: string[];
  /** Channels in the application that nobody here knows, marked as this instance's (left by an earlier run of it). */
  unclaimed: string[];
  /** Channels in the application that nobody here knows and that another instance marked (or nobody did): untouched. */
  foreign: string[];
}

export interface OriginateRequest {
  /** Pre-assigned channel id: events can be awaited before the request returns. Generated when absent. */
  channelId?: string;
  /** e.g. PJSIP/100 or PJSIP/+15550100@trunk */
  endpoint: string;
  callerId?: string;
  /** Ring timeout in seconds (Asterisk's default is 30). */
  timeoutSec?: number;
  /** Arguments the channel enters the application with. */
  appArgs?: string[];
  variables?: Record<string, string>;
}

/** How an originated call ended up: answered (in the application) or not, with Asterisk's cause. */
export type OriginateOutcome =
  | { answered: true; channel: Channel }
  | {
      answered: false;
      cause: number;
      causeText: string;
      dialStatus?: string;
      /**
       * Set when Asterisk said nothing about the end because the channel was lost to a fault: the connection came back
       * without it (connection-lost), Asterisk restarted (asterisk-restarted), or the connection closed for good while
       * it rang (closed: its fate is unknown, it may still ring).
       */
      lost?: ChannelLost['reason'] | 'closed';
    };

/** A snoop channel on a channel (POST /channels/{channelId}/snoop/{snoopId}): it enters this application. */
export interface SnoopRequest {
  /** The snoop channel's id. */
  snoopId: string;
  /** Which of the channel's audio it hears: in (what the party says), out (what the party hears), or both. */
  spy: 'in' | 'out' | 'both';
  /** Arguments its StasisStart carries. */
  appArgs?: string[];
}

/**
 * An external media channel (POST /channels/externalMedia, Asterisk 16.6+): a UnicastRTP channel that sends what it
 * hears as RTP to `externalHost` and plays what comes back; it enters this application.
 */
export interface ExternalMediaRequest {
  /** The channel's id (pre-assigned, so its events can be awaited before the answer). */
  channelId: string;
  /**
   * rtp (default): RTP over UDP to externalHost. websocket: a WebSocket channel (chan_websocket, Asterisk 20.16 /
   * 21.11 / 22.6 / 23.0+) that waits for this process to connect to Asterisk's /media/<connection_id>.
   */
  transport?: 'rtp' | 'websocket';
  /** host:port the RTP goes to (this Node-RED's RTP endpoint); not used for websocket. */
  externalHost?: string;
  /** ulaw (8 kHz) or slin16 (16 kHz). */
  format: 'ulaw' | 'slin16';
  /** Arguments its StasisStart carries (ARI's `data`). */
  appArgs?: string[];
  variables?: Record<string, string>;
}

/** The external media channel, and where to send audio back (chan_rtp's UNICASTRTP_LOCAL_ADDRESS and _PORT). */
export interface ExternalMediaChannel {
  channel: Channel;
  local: { address: string; port: number } | undefined;
  /**
   * websocket transport: where to connect (ws(s)://<ARI host>/media/<MEDIA_WEBSOCKET_CONNECTION_ID>) with the ARI
   * connection's headers (credentials: never log them). Undefined when Asterisk's answer carries no connection id.
   */
  websocket?: { connectionId: string; url: string; headers: Record<string, string> };
}

export interface PlayOptions {
  /** Pre-assigned playback id; generated when absent. */
  playbackId?: string;
  lang?: string;
  signal?: AbortSignal;
  /**
   * http(s) media this process made and serves itself (speech from a callflow-speech node, lib/speech): its host is
   * Node-RED's own, set by the speech node, so the connection's media guard does not refuse it as internal.
   */
  ownMedia?: readonly string[];
}

export interface PlaybackOutcome {
  playbackId: string;
  /**
   * done: played to the end or stopped; failed: Asterisk could not play it (missing file, hangup), or a recording: in
   * it is not stored (checked before playing: Asterisk would start it and never finish it).
   */
  state: 'done' | 'failed';
  /** True when this adapter stopped it (Asterisk reports a stopped playback as done). */
  stopped: boolean;
  /** True when PlaybackFinished was missed during a reconnect and the outcome was inferred. */
  inferred?: boolean;
}

export interface RecordOptions {
  name: string;
  format?: string;
  maxDurationSec?: number;
  maxSilenceSec?: number;
  beep?: boolean;
  terminateOn?: 'none' | 'any' | '*' | '#';
  ifExists?: 'fail' | 'overwrite' | 'append';
  signal?: AbortSignal;
}

export interface RecordingOutcome {
  name: string;
  format: string;
  state: 'done' | 'failed' | 'canceled';
  durationSec?: number;
  talkingSec?: number;
  silenceSec?: number;
  cause?: string;
}

export interface Telephony {
  /** The Stasis application this connection serves. */
  readonly app: string;
  readonly status: ConnectionStatus;

  /** Every event of the application (StasisStart for routing, mostly). Returns the unsubscribe function. */
  onEvent(listener: TelephonyListener): () => void;
  /** Events that concern one channel, until the returned function is called. */
  watchChannel(channelId: string, listener: TelephonyListener): () => void;
  /** The same for a watcher object, until removeChannelWatcher with the same object (a second add of it is ignored). */
  addChannelWatcher(channelId: string, watcher: ChannelWatcher): void;
  removeChannelWatcher(channelId: string, watcher: ChannelWatcher): void;

  originate(request: OriginateRequest, signal?: AbortSignal): Promise<{ channel: Channel; outcome: Promise<OriginateOutcome> }>;
  getChannel(channelId: string, signal?: AbortSignal): Promise<Channel>;
  answer(channelId: string, signal?: AbortSignal): Promise<void>;
  ring(channelId: string, signal?: AbortSignal): Promise<void>;
  /** Hangs up; a channel already gone is not an error. */
  hangup(channelId: string, reason?: HangupReason | { code: number }): Promise<void>;
  play(target: { channelId: string } | { bridgeId: string }, media: string[], options?: PlayOptions): Promise<PlaybackOutcome>;
  /** Stops a playback; one already finished is not an error. */
  stopPlayback(playbackId: string): Promise<void>;
  record(target: { channelId: string } | { bridgeId: string }, options: RecordOptions): Promise<RecordingOutcome>;
  stopRecording(name: string): Promise<void>;
  /** Deletes a stored recording (DELETE /recordings/stored/{name}); one Asterisk does not have is not an error. */
  deleteStoredRecording(name: string): Promise<void>;
  /** Every stored recording (GET /recordings/stored). */
  listStoredRecordings(signal?: AbortSignal): Promise<StoredRecording[]>;
  /**
   * Whether Asterisk has a sound (sound:<id>, GET /sounds/{id}) or a stored
   * recording (recording:<name>); undefined for media it cannot tell about
   * (URLs, digits, tones).
   */
  mediaExists(uri: string, signal?: AbortSignal): Promise<boolean | undefined>;
  getVariable(channelId: string, name: string, signal?: AbortSignal): Promise<string | undefined>;
  setVariable(channelId: string, name: string, value: string, signal?: AbortSignal): Promise<void>;
  sendDtmf(channelId: string, dtmf: string, options?: { betweenMs?: number; durationMs?: number }, signal?: AbortSignal): Promise<void>;
  continueInDialplan(channelId: string, target: { context?: string; extension?: string; priority?: number; label?: string }, signal?: AbortSignal): Promise<void>;
  redirect(channelId: string, endpoint: string, signal?: AbortSignal): Promise<void>;
  createBridge(options?: { bridgeId?: string; type?: string; name?: string }, signal?: AbortSignal): Promise<Bridge>;
  listBridges(signal?: AbortSignal): Promise<Bridge[]>;
  addToBridge(bridgeId: string, channelIds: string[], signal?: AbortSignal): Promise<void>;
  removeFromBridge(bridgeId: string, channelIds: string[], signal?: AbortSignal): Promise<void>;
  destroyBridge(bridgeId: string): Promise<void>;
  /** Music on hold into a bridge until stopBridgeMoh (a bridge that plays none is not an error to stop). */
  startBridgeMoh(bridgeId: string, mohClass?: string, signal?: AbortSignal): Promise<void>;
  stopBridgeMoh(bridgeId: string, signal?: AbortSignal): Promise<void>;
  /** Mutes a channel: `in` keeps what the caller says from the others (a conference's muted participant). */
  mute(channelId: string, direction: 'in' | 'out' | 'both', signal?: AbortSignal): Promise<void>;
  unmute(channelId: string, direction: 'in' | 'out' | 'both', signal?: AbortSignal): Promise<void>;
  /** Creates a channel in the application without dialing it (the first half of a transfer). */
  createChannel(request: OriginateRequest, signal?: AbortSignal): Promise<Channel>;
  /**
   * Snoops on a channel: a new channel that hears it enters the application (its StasisStart comes after the answer).
   * It lasts until hung up or until the spied channel hangs up, wherever that channel is (a dialplan, a queue).
   */
  snoop(channelId: string, request: SnoopRequest, signal?: AbortSignal): Promise<Channel>;
  /** Creates an external media channel (marked as this instance's); see ExternalMediaRequest. */
  externalMedia(request: ExternalMediaRequest, signal?: AbortSignal): Promise<ExternalMediaChannel>;
  /** Dials a channel made with createChannel. */
  dial(channelId: string, options?: { callerChannelId?: string; timeoutSec?: number }, signal?: AbortSignal): Promise<void>;
  listSounds(filter?: { lang?: string; format?: string }, signal?: AbortSignal): Promise<Sound[]>;
  getPlayback(playbackId: string, signal?: AbortSignal): Promise<Playback | undefined>;
}
