/**
 * The scripting vocabulary of the simulated Asterisk: what a simulated
 * caller does on an inbound call, how a simulated callee answers an
 * outbound call, and the report of what each call heard, pressed and how
 * it ended. Plain data, so the same shapes serve the JS API and the HTTP
 * control endpoints.
 */

/** What a `waitFor` step (or SimCall.until) can wait for, in the order the docs list them. */
export const WAIT_CONDITIONS = ['answer', 'playback-start', 'playback-end', 'silence', 'bridged', 'recording', 'listened', 'voice-end'] as const;
export type WaitCondition = (typeof WAIT_CONDITIONS)[number];

/**
 * `voice-end`: simulated ms without audio from the application after which its reply has ended. A sender streaming a
 * reply sends a 20 ms packet every 20 ms while it speaks, silence included, so a gap this long means it ended or was
 * stopped (script vocabulary, not an Asterisk figure). The application paces its packets by the wall clock, so on a
 * simulator running N times faster than real time the gap is N times longer in simulated ms (200 real ms).
 */
export const VOICE_END_GAP_MS = 200;

/** One step of what a simulated party does on its call, in order. Times are simulated milliseconds. */
export type ScriptStep =
  /** Do nothing for a while. */
  | { wait: number }
  /**
   * Wait until something happens on the call (or `timeout` ms pass, then go on). `recording`: a recording of the
   * channel has begun (after its beep), so what the caller says next is in it however late the application asked.
   * `listened`: an external media channel hears the party (in its bridge, or through a snoop there). `voice-end`:
   * audio an external media channel in the party's bridge got from the application reached the party since the step
   * began, then none came for VOICE_END_GAP_MS; the party goes on from then.
   */
  | { waitFor: WaitCondition; media?: string; timeout?: number }
  /** Press DTMF keys: each digit lasts `duration` ms, with `gap` ms between digits. */
  | { dtmf: string; gap?: number; duration?: number }
  /** Speak (voice energy, e.g. for a recording) for a while. */
  | { talk: number }
  /**
   * Say something, heard on external media (voice.ts): speech-like audio of `say` ms, or of `{ ms }`, or a WAV file
   * (`{ wav: path }`, mono PCM 16-bit or mu-law at 8 or 16 kHz). Counts as talking for recordings.
   */
  | { say: number | { ms?: number; wav?: string; seed?: number } }
  /**
   * Answer as an answering machine: a greeting of `greeting` seconds of speech, then (beep: true) its beep (1000 Hz,
   * 500 ms unless beepHz/beepMs say otherwise).
   */
  | { machine: { greeting: number; beep?: boolean; beepHz?: number; beepMs?: number; seed?: number } }
  /** Background noise for `noise` ms at a mean level (default 400 of 32767). */
  | { noise: number; level?: number }
  /** Hang up with a Q.850 cause (default 16, normal clearing). */
  | { hangup: true; cause?: number };

export interface InboundCallOptions {
  /** Caller number (CALLERID(num)). */
  from: string;
  /** Dialed number (the dialplan extension). */
  to: string;
  callerName?: string;
  /** Stasis application the simulated dialplan sends the call to; default: the simulator's default app. */
  app?: string;
  /** Arguments of Stasis(app,arg1,...), given to the app in StasisStart. */
  args?: string[];
  /** The PJSIP endpoint the call arrives on (the channel name is PJSIP/<endpoint>-<n>). Default "trunk". */
  endpoint?: string;
  language?: string;
  /** What the caller does once the call is in the application. Without a script the caller waits for the application to hang up. */
  script?: ScriptStep[];
  /** Channel variables the dialplan set before Stasis() (Set(ACCOUNT=42)). */
  variables?: Record<string, string>;
  /** SIP headers of the caller's INVITE, read with PJSIP_HEADER(read,<name>). */
  headers?: Record<string, string>;
}

/** How a number the application calls (originate or dial) behaves. */
export interface NumberBehaviour {
  /**
   * answer: the callee answers after `ringMs`, then runs `script`.
   * busy / unallocated / rejected / congestion / unavailable / unreachable: the call fails
   *   after `ringMs` with the SIP response and cause Asterisk would see (see docs/simulator.md).
   * no-answer: it rings until the caller's timeout, or until `ringMs` when given (then 480).
   */
  outcome: 'answer' | 'busy' | 'no-answer' | 'unallocated' | 'rejected' | 'congestion' | 'unavailable' | 'unreachable';
  /** Ringing time before the outcome, in simulated ms (default 1000; ignored by no-answer without ringMs). */
  ringMs?: number;
  /** For failures: the SIP response code, overriding the one the outcome implies. */
  sipCode?: number;
  /** For answered calls: what the callee does after answering. */
  script?: ScriptStep[];
}

export interface HeardEntry {
  /** The media URI; music on hold in a bridge is moh:<class> (moh:default when the application named none). */
  media: string;
  /** The playback's id; empty for music on hold and for DTMF the application sent. */
  playbackId: string;
  /**
   * "channel" or "bridge": where the playback was started; "moh": music on hold of the bridge the channel was in
   * (POST /bridges/{id}/moh), from when it started or the channel entered until it stopped or the channel left.
   */
  target: 'channel' | 'bridge' | 'moh';
  startedAt: string;
  /**
   * When its audio began reaching the party: once Asterisk had the media (for http(s) media, fetched: after
   * PlaybackStarted); absent for media that never played (missing, unplayable) and for music on hold.
   */
  audioAt?: string;
  endedAt?: string;
  /** done: played to the end; stopped: stopped by the application; failed: media missing or call hung up. */
  outcome?: 'done' | 'stopped' | 'failed';
}

export interface TransferEntry {
  kind: 'dialplan' | 'redirect' | 'bridge' | 'dial';
  /** context,extension,priority for dialplan; the endpoint for redirect/dial; the bridge id for bridge. */
  target: string;
  /** For bridges: the other channels in the bridge when this one entered. */
  with?: string[];
  /**
   * For dialplan moves: the channel's inheritable variables when it left (names starting with "_", by their full
   * names), what a channel Queue() or Dial() makes from it inherits (ast_channel_inherit_variables). Absent when none.
   */
  variables?: Record<string, string>;
  at: string;
}

/** An external media channel that served the call (bridged with it, or with a snoop on it): its RTP counters. */
export interface ExternalMediaReport {
  channelId: string;
  format: string;
  /** websocket for a WebSocket channel (chan_websocket); absent for RTP. */
  transport?: 'websocket';
  /** What it sent to external_host (RTP packets; WebSocket: 20 ms BINARY frames): the call's audio. */
  sent: {
    packets: number;
    bytes: number;
    /**
     * How late each packet left against its time on the simulator's clock (ms, to the microsecond; the last
     * MAX_ARRIVAL_GAPS): the simulator's own share of when the application hears the call (a real Asterisk sends
     * from its channel's thread). Absent before the first packet.
     */
    lateMs?: number[];
  };
  /**
   * What came back from the application (RTP packets with the channel's payload type; WebSocket: whole 20 ms frames
   * queued, bytes of the messages): audio sent to the call.
   */
  received: {
    packets: number;
    bytes: number;
    durationMs: number;
    /** When the first packet came (absent before one did). */
    firstAt?: string;
    /**
     * RTP packets with the channel's payload type that Asterisk drops without a word because the type is not a static
     * one (slin16's 118: resources/external-media.ts); absent before one came.
     */
    ignored?: number;
    /**
     * Milliseconds between the arrivals of consecutive packets of one talkspurt (a packet with the marker bit starts
     * one and adds no gap; WebSocket: between messages, a pause of 200 ms or more starting a new stream), to the
     * microsecond, the last MAX_ARRIVAL_GAPS of them; absent before a second packet.
     */
    gapsMs?: number[];
  };
}

/** How many arrival gaps an external media report keeps (a minute of 20 ms packets). */
export const MAX_ARRIVAL_GAPS = 3000;

/** A `say` step the party finished: when its audio began and ended (the end of the caller's speech). */
export interface SaidEntry {
  startedAt: string;
  endedAt: string;
  ms: number;
}

export interface CallReport {
  id: string;
  channelName: string;
  direction: 'inbound' | 'outbound';
  from: string;
  to: string;
  app?: string;
  state: string;
  startedAt: string;
  answeredAt?: string;
  heard: HeardEntry[];
  pressed: { digit: string; at: string }[];
  /** The `say` steps the party finished (absent before one did). */
  said?: SaidEntry[];
  transfers: TransferEntry[];
  recordings: { name: string; format: string; durationSec: number }[];
  /** Channel variables the application set. */
  variables: Record<string, string>;
  /** External media channels that served this call (POST /channels/externalMedia), with what went each way. */
  externalMedia?: ExternalMediaReport[];
  /** What POST /channels/{id}/mute suppresses now (in: what the party says, out: what it hears); absent when nothing. */
  muted?: 'in' | 'out' | 'both';
  /** The bridge the channel is in having been added with mute=true: that bridge does not hear what it says. */
  mutedInBridge?: string;
  ended?: {
    at: string;
    cause: number;
    causeText: string;
    /** caller: the simulated caller hung up; callee: the called party did; application: ARI hung it up; system: the simulator did (restart, limits). */
    by: 'caller' | 'callee' | 'application' | 'system';
    /** For inbound calls ended before answer: the SIP response the caller received. */
    sipResponse?: number;
    /** Why, in words, when it was not an ordinary hangup. */
    note?: string;
  };
}
