/**
 * What every resource of the simulated Asterisk works on: the channels,
 * bridges, playbacks and recordings that exist, the Stasis applications with
 * their subscriptions, the clock, and publish(), which sends an event to the
 * applications that follow what it is about. Each resource module of this
 * folder (channels.ts, bridges.ts, playbacks.ts...) gets this object, as
 * Asterisk's res_stasis_playback, res_stasis_recording and the bridge code
 * all work on res_stasis's channels and applications; SimulatedAsterisk
 * (../asterisk.ts) builds them and is their one public face.
 */
import type { EventEmitter } from 'node:events';
import type { ChannelStateName } from '../../ari/types';
import { silentLogger, type Logger } from '../../log';
import { recordingPath } from '../asterisk-parsing';
import { SimClock } from '../clock';
import { asteriskTime, type SimBridge, type SimChannel, type SimPlayback, type SimRecording } from '../channel';
import { MediaResolver } from '../media';
import { AriHttpError } from '../route';
import type { NumberBehaviour, TransferEntry } from '../script';
import { SoundCatalog } from '../sounds';
import type { Applications } from './applications';
import type { AsteriskSystem } from './asterisk';
import type { Bridges } from './bridges';
import type { CallReports } from './reports';
import type { Channels } from './channels';
import type { DeviceStates } from './deviceStates';
import type { Dialing } from './dialing';
import type { Endpoints } from './endpoints';
import type { LocalChannels } from './local';
import type { Events } from './events';
import type { ExternalMedia } from './external-media';
import type { Mailboxes } from './mailboxes';
import type { Playbacks } from './playbacks';
import type { Recordings } from './recordings';
import type { Scripts } from './scripts';
import type { Snoops } from './snoop';
import type { WebSocketMedia } from './websocket-media';

/**
 * A stored recording: its format and length, and for a snoop's recording of a call the caller's voice it holds (the
 * spied channel's voice segments, written out when the file is asked for, from `from` on the simulated timeline).
 */
export interface StoredFile {
  format: string;
  durationMs: number;
  voice?: { segments: readonly { at: number; samples: Int16Array }[]; from: number };
}

export interface SimulatorOptions {
  /** How much faster than real time simulated time runs (1 = real time). */
  speed?: number;
  /** The application inbound calls go to when placeCall names none. */
  defaultApp?: string;
  /** Behaviour of numbers without their own (default: answer after 1 s). */
  defaultBehaviour?: NumberBehaviour;
  /** A call still up after this many simulated ms is hung up by the simulator (default 1 hour). */
  maxCallMs?: number;
  /** Fetch sound:http(s):// media to learn its length (default true). */
  fetchMedia?: boolean;
  /** Every medium that exists plays exactly this many ms (load tests: 0 makes prompts instant); default: its own length. */
  mediaMs?: number;
  /** Whether the system has Asterisk's core English sounds (default true). */
  coreSounds?: boolean;
  /** How many ended calls' reports to keep (default 1000). */
  reportLimit?: number;
  asteriskId?: string;
  logger?: Logger;
  /** Whether chan_websocket is loaded: externalMedia with transport=websocket (default true; false: 500 as without it). */
  websocketMedia?: boolean;
  /** chan_websocket.conf control_message_format: plain-text (Asterisk's default) or json. */
  websocketControlFormat?: 'plain-text' | 'json';
}

/** A WebSocket subscriber of /ari/events. */
export interface EventSession {
  send(text: string): void;
}

type Interest = string; // 'stasis' | 'originate' | 'subscription' | 'bridge-member:<channelId>'

export class StasisApp {
  session: EventSession | undefined;
  subscribeAll = false;
  readonly channels = new Map<string, Set<Interest>>();
  readonly bridges = new Map<string, Set<Interest>>();
  constructor(readonly name: string) {}

  add(map: Map<string, Set<Interest>>, id: string, interest: Interest): void {
    let set = map.get(id);
    if (!set) {
      set = new Set();
      map.set(id, set);
    }
    set.add(interest);
  }
  remove(map: Map<string, Set<Interest>>, id: string, interest?: Interest): void {
    const set = map.get(id);
    if (!set) return;
    if (interest === undefined) set.clear();
    else set.delete(interest);
    if (set.size === 0) map.delete(id);
  }
  /** An app with no socket and no subscriptions is gone (Asterisk cleans it up). */
  get finished(): boolean {
    return !this.session && this.channels.size === 0 && this.bridges.size === 0;
  }
}

export interface Scope {
  channels?: SimChannel[];
  bridges?: SimBridge[];
  /** Send only to this app, whatever its subscriptions (StasisStart, StasisEnd). */
  direct?: string;
}

const DEFAULT_BEHAVIOUR: NumberBehaviour = { outcome: 'answer', ringMs: 1000 };

/** The resources, for what one does on another's behalf (a hangup ends the channel's playbacks...). */
export interface Resources {
  applications: Applications;
  asterisk: AsteriskSystem;
  bridges: Bridges;
  channels: Channels;
  deviceStates: DeviceStates;
  dialing: Dialing;
  endpoints: Endpoints;
  events: Events;
  externalMedia: ExternalMedia;
  websocketMedia: WebSocketMedia;
  local: LocalChannels;
  mailboxes: Mailboxes;
  playbacks: Playbacks;
  recordings: Recordings;
  reports: CallReports;
  scripts: Scripts;
  snoops: Snoops;
}

export class SimCore {
  readonly clock: SimClock;
  readonly sounds: SoundCatalog;
  readonly media: MediaResolver;
  readonly asteriskId: string;
  startupTime = new Date();
  defaultApp: string;
  defaultBehaviour: NumberBehaviour;
  readonly numbers = new Map<string, NumberBehaviour>();
  readonly apps = new Map<string, StasisApp>();
  readonly channels = new Map<string, SimChannel>();
  readonly bridges = new Map<string, SimBridge>();
  readonly playbacks = new Map<string, SimPlayback>();
  readonly liveRecordings = new Map<string, SimRecording>();
  /** Stored recordings, by name: what recordings make and media plays. */
  readonly stored = new Map<string, StoredFile>();
  readonly log: Logger;
  readonly maxCallMs: number;
  /** Pending `waitFor: 'voice-end'` waits: with none, audio from external media looks for no party to tell. */
  voiceWaiters = 0;
  /** chan_websocket: loaded or not, and the control message format of its channels. */
  readonly websocketMedia: { loaded: boolean; controlFormat: 'plain-text' | 'json' };
  sequence = 0;
  /** Set once by SimulatedAsterisk, after it has made every resource. */
  resources!: Resources;

  /** events: where 'call-ended' is emitted (the SimulatedAsterisk). */
  constructor(
    options: SimulatorOptions,
    readonly events: EventEmitter,
  ) {
    this.clock = new SimClock(options.speed ?? 1);
    this.defaultApp = options.defaultApp ?? 'callflow';
    this.defaultBehaviour = options.defaultBehaviour ?? DEFAULT_BEHAVIOUR;
    this.maxCallMs = options.maxCallMs ?? 3_600_000;
    this.websocketMedia = { loaded: options.websocketMedia ?? true, controlFormat: options.websocketControlFormat ?? 'plain-text' };
    this.asteriskId = options.asteriskId ?? '02:42:ac:11:00:02';
    this.log = options.logger ?? silentLogger;
    this.sounds = new SoundCatalog({ core: options.coreSounds ?? true });
    // recording:<name> is found as stasis_app_stored_recording_find_by_name finds it: the name resolved as a path.
    this.media = new MediaResolver(this.sounds, (name) => this.stored.get(recordingPath(name) ?? '')?.durationMs, {
      fetch: options.fetchMedia ?? true,
      fetchTimeoutMs: 5000,
      ...(options.mediaMs !== undefined ? { fixedMs: options.mediaMs } : {}),
    });
  }

  app(name: string): StasisApp {
    let app = this.apps.get(name);
    if (!app) {
      app = new StasisApp(name);
      this.apps.set(name, app);
    }
    return app;
  }

  publish(type: string, fields: Record<string, unknown>, scope: Scope): void {
    const timestamp = asteriskTime();
    for (const app of this.apps.values()) {
      const wanted =
        scope.direct !== undefined
          ? scope.direct === app.name
          : app.subscribeAll ||
            (scope.channels ?? []).some((c) => app.channels.has(c.id)) ||
            (scope.bridges ?? []).some((b) => app.bridges.has(b.id));
      if (!wanted) continue;
      if (!app.session) {
        this.log.debug(`Inactive Stasis app '${app.name}' missed message ${type}`);
        continue;
      }
      app.session.send(JSON.stringify({ type, timestamp, ...fields, asterisk_id: this.asteriskId, application: app.name }));
    }
  }

  channelEvent(type: string, ch: SimChannel, extra: Record<string, unknown> = {}): void {
    this.publish(type, { ...extra, channel: ch.json() }, { channels: [ch] });
  }

  newChannelId(): string {
    this.sequence += 1;
    return `${Math.floor(this.startupTime.getTime() / 1000)}.${this.sequence}`;
  }

  channelName(endpoint: string): string {
    return `PJSIP/${endpoint}-${this.sequence.toString(16).padStart(8, '0')}`;
  }

  channel(id: string): SimChannel {
    const ch = this.channels.get(id);
    if (!ch) throw new AriHttpError(404, 'Channel not found');
    return ch;
  }

  /** As Asterisk's find_control: the channel must exist and be in a Stasis application. */
  control(id: string): SimChannel {
    const ch = this.channel(id);
    if (!ch.stasisApp) throw new AriHttpError(409, 'Channel not in Stasis application');
    return ch;
  }

  /** Operations that need media (answer, play, dtmf...) are refused on channels that are not yet up or ringing inbound. */
  checkState(ch: SimChannel): void {
    if (ch.state === 'Down' || ch.state === 'Rsrvd' || ch.state === 'Ringing') {
      throw new AriHttpError(412, 'Channel in invalid state');
    }
  }

  bridge(id: string): SimBridge {
    const b = this.bridges.get(id);
    if (!b) throw new AriHttpError(404, 'Bridge not found');
    return b;
  }

  setState(ch: SimChannel, state: ChannelStateName): void {
    if (ch.state === state) return;
    ch.state = state;
    ch.report.state = state;
    if (state === 'Up' && !ch.report.answeredAt) ch.report.answeredAt = new Date().toISOString();
    this.channelEvent('ChannelStateChange', ch);
    ch.signals.emit('state', state);
  }

  after(ch: SimChannel, ms: number, fn: () => void): void {
    const timer = this.clock.after(ms, () => {
      ch.timers.delete(timer);
      if (!ch.destroyed) fn();
    });
    ch.timers.add(timer);
  }

  transfer(ch: SimChannel, entry: TransferEntry): void {
    ch.report.transfers.push(entry);
    ch.signals.emit('transfer', entry);
  }

  /** Who hears about a playback or recording: the applications following its channel or bridge. */
  targetScope(target: { targetKind: 'channel' | 'bridge'; targetId: string }): Scope {
    if (target.targetKind === 'channel') {
      const ch = this.channels.get(target.targetId);
      return { channels: ch ? [ch] : [] };
    }
    const b = this.bridges.get(target.targetId);
    return { bridges: b ? [b] : [] };
  }
}
