/**
 * The simulator's state objects (channels, bridges, playbacks, recordings)
 * and their JSON in Asterisk's shapes.
 */
import { EventEmitter } from 'node:events';
import type {
  Bridge,
  CallerID,
  Channel,
  ChannelStateName,
  DialplanCEP,
  LiveRecording,
  Playback,
  PlaybackState,
  RecordingState,
} from '../ari/types';
import type { SimTimer } from './clock';
import type { CallReport, HeardEntry } from './script';
import type { ExternalMediaSession } from './resources/external-media';

/** Asterisk's timestamp form: 2026-11-21T10:00:00.000+0000 */
export function asteriskTime(date = new Date()): string {
  return date.toISOString().replace('Z', '+0000');
}

export class SimChannel {
  state: ChannelStateName;
  caller: CallerID;
  connected: CallerID = { name: '', number: '' };
  dialplan: DialplanCEP;
  readonly creationtime = asteriskTime();
  readonly vars = new Map<string, string>();
  /** SIP headers of the INVITE that brought an inbound call (lower-case names). */
  readonly headers = new Map<string, string>();
  /** The Stasis application the channel is in, if any. */
  stasisApp: string | undefined;
  bridgeId: string | undefined;
  /** Playbacks on this channel: the first is playing (or being resolved), the rest queued. */
  readonly playbacks: SimPlayback[] = [];
  recording: SimRecording | undefined;
  talking = false;
  /** Set once a hangup started; the channel is gone when `destroyed` is set. */
  hangingUp = false;
  destroyed = false;
  hangupCause: number | undefined;
  /** Pending timers of this channel (ringing, scripts' waits), cancelled when it is destroyed. */
  readonly timers = new Set<SimTimer>();
  /** Ends the caller's or callee's script when the channel goes away. */
  readonly scriptAbort = new AbortController();
  /**
   * Things that happen on the channel, for scripts' waitFor: state, playback-start, playback-end, bridged,
   * recording-start, listened, voice (audio from the application reached the party: its simulated time and ms), destroyed.
   */
  readonly signals = new EventEmitter();
  /** Outbound: set while the channel is being dialed. */
  dialing: { dialstring: string; app?: string; appArgs: string[]; viaDial: boolean } | undefined;
  /**
   * chan_pjsip's technology cause: the SIP code of a failure, or the one its hangup sends (hangup_cause2sip);
   * ChannelHangupRequest and ChannelDestroyed carry it as tech_cause once set (0: none).
   */
  techCause = 0;
  /** A Local channel's other half (;1 <-> ;2, main/core_unreal.c), while both exist. */
  localPeer: SimChannel | undefined;
  /** Which half of a Local channel this is: 1 the one the requester holds, 2 the one that runs the dialplan. */
  localHalf: 1 | 2 | undefined;
  /** A Local ;2 whose dialplan has started (core_unreal.c AST_UNREAL_CARETAKER_THREAD): ;1's hangup reaches it queued. */
  localDialplanStarted = false;
  /** A snoop channel: the channel it spies on (res_stasis_snoop.c), while both exist. */
  snoopOf: SimChannel | undefined;
  /** The snoop channels spying on this one: they end when it hangs up. */
  readonly snoops = new Set<SimChannel>();
  /**
   * The directions POST /channels/{id}/mute suppresses (main/channel.c ast_channel_suppress): `in` what the party
   * says, `out` what it hears. Mute adds directions and unmute takes them away, whatever was asked before.
   */
  readonly muted = { in: false, out: false };
  /**
   * Added to its bridge with mute=true (POST /bridges/{id}/addChannel): the bridge reads no audio from it
   * (bridge_channel.c bridge_handle_trip, features->mute) until it leaves that bridge; DTMF still passes.
   */
  bridgeMuted = false;
  /** What the party says, as audio at 8 kHz placed on the simulated timeline (voice.ts); what external media hears. */
  readonly voice: { at: number; samples: Int16Array }[] = [];
  /** A snoop channel: which of the spied channel's audio it hears (POST .../snoop spy). */
  snoopSpy: 'none' | 'in' | 'out' | 'both' = 'none';
  /** The external media channels that have heard this party (their ids); signals 'listened' when one is added. */
  readonly listenedBy = new Set<string>();
  /** An external media channel (UnicastRTP): its RTP session. */
  externalMedia: ExternalMediaSession | undefined;

  constructor(
    readonly id: string,
    readonly name: string,
    readonly protocolId: string,
    readonly direction: 'inbound' | 'outbound',
    readonly createdBy: 'dialplan' | 'originate' | 'create',
    init: { state: ChannelStateName; caller: CallerID; dialplan: DialplanCEP; language: string },
    readonly report: CallReport,
  ) {
    this.state = init.state;
    this.caller = init.caller;
    this.dialplan = init.dialplan;
    this.language = init.language;
    this.signals.setMaxListeners(0);
  }

  language: string;

  /** The channel driver, as ARI names it (the part of the name before the first "/"). */
  get technology(): string {
    return this.name.slice(0, this.name.indexOf('/'));
  }

  json(): Channel {
    return {
      id: this.id,
      name: this.name,
      state: this.state,
      protocol_id: this.protocolId,
      caller: { ...this.caller },
      connected: { ...this.connected },
      accountcode: '',
      dialplan: { ...this.dialplan },
      creationtime: this.creationtime,
      language: this.language,
    };
  }

  /** The playback currently playing on the channel itself (not a bridge playback). */
  get activePlayback(): SimPlayback | undefined {
    return this.playbacks[0];
  }
}

export class SimBridge {
  readonly channels: string[] = [];
  /**
   * The members in the order main/bridge.c's channel list keeps them, which BRIDGEPEER follows: in join order, except
   * that the channel whose join turned a two-party bridge into a softmix one goes first (seen on Asterisk 22.11 built
   * from releases/22: after c0, c1, c2, c3 joined, the list was c2, c0, c1, c3).
   */
  readonly peerOrder: string[] = [];
  readonly creationtime = asteriskTime();
  readonly playbacks: SimPlayback[] = [];
  recording: SimRecording | undefined;
  /** The music on hold POST /bridges/{id}/moh put into the bridge, while its Announcer channel is there. */
  moh: BridgeMoh | undefined;

  constructor(
    readonly id: string,
    readonly bridgeType: 'mixing' | 'holding',
    readonly name: string,
    /** ast_bridge_video_mode_to_string (main/bridge.c) of the bridge's video mode. */
    readonly videoMode: 'talker' | 'sfu' | 'single' = 'talker',
  ) {}

  json(): Bridge {
    return {
      id: this.id,
      // The Announcer channel of music on hold is a member too (the smart bridge counts it), though not listed.
      technology: this.bridgeType === 'holding' ? 'holding_bridge' : this.channels.length + (this.moh ? 1 : 0) > 2 ? 'softmix' : 'simple_bridge',
      bridge_type: this.bridgeType,
      bridge_class: 'stasis',
      creator: 'Stasis',
      name: this.name,
      channels: [...this.channels],
      creationtime: this.creationtime,
      video_mode: this.videoMode,
    };
  }
}

/**
 * Music on hold in a bridge, as res_stasis.c bridge_moh_create makes it: an Announcer channel pair
 * (chan_bridge_media.c; "Announcer/ARI_MOH-<n>;1" plays the class, ";2" is in the bridge). Both are internal
 * channels (AST_CHAN_TP_INTERNAL), which ARI never shows: not in GET /channels, not in a bridge's `channels`, no
 * event about them (res_stasis.c app_sanitizer), so the simulator keeps them here and not among its channels.
 */
export class BridgeMoh {
  /** The report entries of the members that hear the music, per channel id. */
  readonly heard = new Map<string, HeardEntry>();

  constructor(
    /** The uniqueids of ;1 and ;2 (taken from the same sequence as every channel's). */
    readonly channelIds: [string, string],
    /** The name of the ;2 half, the one in the bridge. */
    readonly channelName: string,
    public mohClass: string,
  ) {}

  /** What a member's report shows it heard. */
  get media(): string {
    return `moh:${this.mohClass}`;
  }
}

export class SimPlayback {
  state: PlaybackState | 'paused' = 'queued';
  index = 0;
  canceled = false;
  stopped = false;
  timer: SimTimer | undefined;
  /** Simulated time the current item started, and its length (Infinity for tones). */
  itemStartedAt = 0;
  itemDurationMs = 0;
  /** Whether the current item's audio reaches its hearers (Asterisk has the media: fetched, found). */
  audible = false;
  pausedRemainingMs: number | undefined;
  /**
   * Whether stop, pause and the other controls can act: res_stasis_playback.c sets it when a sound:, recording: or
   * tone: item starts and never clears it, so a playback of number:, digits: or characters: only cannot be controlled.
   */
  controllable = false;
  /** How far reverse and forward move (skipms; 0 means 3000, as stasis_app_control_play_uri reads it). */
  skipMs = 3000;
  /** Where the first item starts (offsetms). */
  offsetMs = 0;
  /** Its audio as snoop recordings of its hearers write it (recordings.ts), cut where the playback was stopped. */
  readonly played: { at: number; samples: Int16Array }[] = [];
  /** The report entries of the channels that hear this playback, per channel id. */
  readonly heard = new Map<string, HeardEntry>();

  constructor(
    readonly id: string,
    readonly media: string[],
    readonly targetKind: 'channel' | 'bridge',
    readonly targetId: string,
    readonly language: string,
  ) {}

  get targetUri(): string {
    return `${this.targetKind}:${this.targetId}`;
  }

  json(): Playback {
    // The keys in the order Asterisk 22.11 (built from releases/22) sends them: next_media_uri after media_uri.
    const next = this.media[this.index + 1];
    return {
      id: this.id,
      media_uri: this.media[this.index] ?? this.media[this.media.length - 1] ?? '',
      ...(next !== undefined ? { next_media_uri: next } : {}),
      target_uri: this.targetUri,
      language: this.language,
      state: this.state as PlaybackState,
    };
  }
}

export class SimRecording {
  state: RecordingState = 'queued';
  /** Its beep is playing: the state is already "recording", nothing is written yet. */
  beeping = false;
  startedAt = 0;
  talkingMs = 0;
  lastTalkStart: number | undefined;
  silenceStart = 0;
  timer: SimTimer | undefined;
  pausedAt: number | undefined;
  pausedMs = 0;
  muted = false;
  cause: string | undefined;
  durationSec: number | undefined;
  talkingSec: number | undefined;
  silenceSec: number | undefined;
  /**
   * A recording of a snoop channel that spies in (or both ways): the channel spied on, whose voice it writes
   * (res_stasis_snoop.c feeds the snoop channel the spied channel's audiohook frames). Kept from the start: the
   * spied channel's hangup ends the snoop, and the link with it, before the recording is written.
   */
  spied: SimChannel | undefined;
  /** Its voice segments (the spied channel's, from before the start on), kept here: the channel's own list is pruned. */
  voice: { at: number; samples: Int16Array }[] | undefined;

  constructor(
    readonly name: string,
    readonly format: string,
    readonly targetKind: 'channel' | 'bridge',
    readonly targetId: string,
    readonly options: { maxDurationSeconds: number; maxSilenceSeconds: number; beep: boolean; terminateOn: string; ifExists: string },
  ) {}

  json(): LiveRecording {
    // stasis_app_recording_to_json's order (res_stasis_recording.c lines 487-491), as Asterisk 22.11 sends it.
    const r: LiveRecording = {
      name: this.name,
      format: this.format,
      state: this.state,
      target_uri: `${this.targetKind}:${this.targetId}`,
    };
    if (this.durationSec !== undefined) r.duration = this.durationSec;
    if (this.talkingSec !== undefined) r.talking_duration = this.talkingSec;
    if (this.silenceSec !== undefined) r.silence_duration = this.silenceSec;
    if (this.cause !== undefined) r.cause = this.cause;
    return r;
  }
}
