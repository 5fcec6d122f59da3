/**
 * ARI's data model as it travels on the wire (JSON, snake_case), the subset
 * this project reads or the simulator writes. Names and shapes follow
 * Asterisk's published REST API definitions (rest-api/api-docs/*.json).
 * Shared by the client adapter and the simulated Asterisk so the two cannot
 * disagree about a field name.
 */

export type ChannelStateName =
  | 'Down'
  | 'Rsrvd'
  | 'Rsrved'
  | 'OffHook'
  | 'Dialing'
  | 'Ring'
  | 'Ringing'
  | 'Up'
  | 'Busy'
  | 'Dialing Offhook'
  | 'Pre-ring'
  | 'Unknown';

export interface CallerID {
  name: string;
  number: string;
}

export interface DialplanCEP {
  context: string;
  exten: string;
  priority: number;
  app_name: string;
  app_data: string;
}

export interface Channel {
  id: string;
  protocol_id: string;
  name: string;
  state: ChannelStateName;
  caller: CallerID;
  connected: CallerID;
  accountcode: string;
  dialplan: DialplanCEP;
  /** e.g. "2026-11-21T10:00:00.000+0000" */
  creationtime: string;
  language: string;
  channelvars?: Record<string, string>;
  caller_rdnis?: string;
}

export interface Bridge {
  id: string;
  technology: string;
  bridge_type: 'mixing' | 'holding';
  bridge_class: string;
  creator: string;
  name: string;
  channels: string[];
  creationtime: string;
  video_mode?: string;
  video_source_id?: string;
}

export type PlaybackState = 'queued' | 'playing' | 'continuing' | 'done' | 'failed';

export interface Playback {
  id: string;
  media_uri: string;
  next_media_uri?: string;
  /** "channel:<id>" or "bridge:<id>" */
  target_uri: string;
  language?: string;
  state: PlaybackState;
}

export type RecordingState = 'queued' | 'recording' | 'paused' | 'done' | 'failed' | 'canceled';

export interface LiveRecording {
  name: string;
  format: string;
  target_uri: string;
  state: RecordingState;
  duration?: number;
  talking_duration?: number;
  silence_duration?: number;
  cause?: string;
}

export interface StoredRecording {
  name: string;
  format: string;
}

export interface FormatLangPair {
  language: string;
  format: string;
}

export interface Sound {
  id: string;
  text?: string;
  formats: FormatLangPair[];
}

export interface Application {
  name: string;
  channel_ids: string[];
  bridge_ids: string[];
  endpoint_ids: string[];
  device_names: string[];
  events_allowed: object[];
  events_disallowed: object[];
}

export interface AsteriskInfo {
  build?: { os: string; kernel: string; options: string; machine: string; date: string; user: string };
  system?: { version: string; entity_id: string };
  config?: {
    name: string;
    default_language: string;
    max_channels?: number;
    max_open_files?: number;
    max_load?: number;
    setid: { user: string; group: string };
  };
  status?: { startup_time: string; last_reload_time: string };
}

export interface Variable {
  value: string;
}

// ---- events -------------------------------------------------------------

interface EventBase {
  application: string;
  timestamp: string;
  asterisk_id?: string;
}

export interface StasisStart extends EventBase {
  type: 'StasisStart';
  args: string[];
  channel: Channel;
  replace_channel?: Channel;
}
export interface StasisEnd extends EventBase {
  type: 'StasisEnd';
  channel: Channel;
}
export interface ChannelCreated extends EventBase {
  type: 'ChannelCreated';
  channel: Channel;
}
export interface ChannelDestroyed extends EventBase {
  type: 'ChannelDestroyed';
  cause: number;
  cause_txt: string;
  /** The channel technology's own cause (chan_pjsip: a SIP code) of an off-nominal end; Asterisk since late 2025. */
  tech_cause?: number;
  channel: Channel;
}
export interface ChannelStateChange extends EventBase {
  type: 'ChannelStateChange';
  channel: Channel;
}
export interface ChannelDtmfReceived extends EventBase {
  type: 'ChannelDtmfReceived';
  digit: string;
  duration_ms: number;
  channel: Channel;
}
export interface ChannelHangupRequest extends EventBase {
  type: 'ChannelHangupRequest';
  cause?: number;
  tech_cause?: number;
  soft?: boolean;
  channel: Channel;
}
export interface ChannelCallerId extends EventBase {
  type: 'ChannelCallerId';
  caller_presentation: number;
  caller_presentation_txt: string;
  channel: Channel;
}
export interface ChannelConnectedLine extends EventBase {
  type: 'ChannelConnectedLine';
  channel: Channel;
}
export interface ChannelVarset extends EventBase {
  type: 'ChannelVarset';
  variable: string;
  value: string;
  channel?: Channel;
}
export interface ChannelDialplan extends EventBase {
  type: 'ChannelDialplan';
  channel: Channel;
  dialplan_app: string;
  dialplan_app_data: string;
}
export interface ChannelEnteredBridge extends EventBase {
  type: 'ChannelEnteredBridge';
  bridge: Bridge;
  channel?: Channel;
}
export interface ChannelLeftBridge extends EventBase {
  type: 'ChannelLeftBridge';
  bridge: Bridge;
  channel: Channel;
}
export interface BridgeCreated extends EventBase {
  type: 'BridgeCreated';
  bridge: Bridge;
}
export interface BridgeDestroyed extends EventBase {
  type: 'BridgeDestroyed';
  bridge: Bridge;
}
export interface Dial extends EventBase {
  type: 'Dial';
  caller?: Channel;
  peer: Channel;
  forward?: string;
  forwarded?: Channel;
  dialstring?: string;
  dialstatus: string;
}
export interface PlaybackStarted extends EventBase {
  type: 'PlaybackStarted';
  playback: Playback;
}
export interface PlaybackContinuing extends EventBase {
  type: 'PlaybackContinuing';
  playback: Playback;
}
export interface PlaybackFinished extends EventBase {
  type: 'PlaybackFinished';
  playback: Playback;
}
export interface RecordingStarted extends EventBase {
  type: 'RecordingStarted';
  recording: LiveRecording;
}
export interface RecordingFinished extends EventBase {
  type: 'RecordingFinished';
  recording: LiveRecording;
}
export interface RecordingFailed extends EventBase {
  type: 'RecordingFailed';
  recording: LiveRecording;
}
export interface ApplicationReplaced extends EventBase {
  type: 'ApplicationReplaced';
}

/** Every event this project understands. Other event types are passed through as OtherEvent. */
export type AriEvent =
  | StasisStart
  | StasisEnd
  | ChannelCreated
  | ChannelDestroyed
  | ChannelStateChange
  | ChannelDtmfReceived
  | ChannelHangupRequest
  | ChannelVarset
  | ChannelDialplan
  | ChannelCallerId
  | ChannelConnectedLine
  | ChannelEnteredBridge
  | ChannelLeftBridge
  | BridgeCreated
  | BridgeDestroyed
  | Dial
  | PlaybackStarted
  | PlaybackContinuing
  | PlaybackFinished
  | RecordingStarted
  | RecordingFinished
  | RecordingFailed
  | ApplicationReplaced;

export type AriEventType = AriEvent['type'];
