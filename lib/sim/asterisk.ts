/**
 * The simulated Asterisk: channels, Stasis applications, playbacks,
 * recordings and bridges, with the events Asterisk sends for them, in the
 * order it sends them (see docs/simulator.md for the sources). The HTTP and
 * WebSocket front end (server.ts) calls into this class; so do the
 * scripting API and the control endpoints.
 *
 * This class is the public face only: each ARI resource keeps its state and
 * logic in its own module under resources/ (channels.ts, dialing.ts,
 * bridges.ts, playbacks.ts, recordings.ts...), as Asterisk splits
 * res/ari/resource_<resource>.c, res_stasis_playback and res_stasis_recording;
 * they share one SimCore (resources/core.ts). Each method here hands over to
 * the module named above it.
 */
import { EventEmitter } from 'node:events';
import { causeText } from '../ari/causes';
import type { SimClock } from './clock';
import type { MediaResolver } from './media';
import type { NumberBehaviour } from './script';
import type { SoundCatalog } from './sounds';
import { Applications } from './resources/applications';
import { AsteriskSystem } from './resources/asterisk';
import { Bridges } from './resources/bridges';
import { Channels } from './resources/channels';
import { SimCore, type Resources, type SimulatorOptions } from './resources/core';
import { DeviceStates } from './resources/deviceStates';
import { Dialing } from './resources/dialing';
import { Endpoints } from './resources/endpoints';
import { Events } from './resources/events';
import { ExternalMedia } from './resources/external-media';
import { WebSocketMedia } from './resources/websocket-media';
import { LocalChannels } from './resources/local';
import { Mailboxes } from './resources/mailboxes';
import { Playbacks } from './resources/playbacks';
import { Recordings } from './resources/recordings';
import { Snoops } from './resources/snoop';
import { CallReports } from './resources/reports';
import { Scripts } from './resources/scripts';

export type { EventSession, SimulatorOptions } from './resources/core';
export { parseCallerId } from './resources/dialing';

export class SimulatedAsterisk extends EventEmitter {
  readonly clock: SimClock;
  readonly sounds: SoundCatalog;
  readonly media: MediaResolver;
  readonly asteriskId: string;
  readonly numbers: Map<string, NumberBehaviour>;
  private readonly core: SimCore;
  private readonly resources: Resources;

  constructor(options: SimulatorOptions = {}) {
    super();
    this.setMaxListeners(0);
    const core = new SimCore(options, this);
    this.core = core;
    this.resources = {
      applications: new Applications(core),
      asterisk: new AsteriskSystem(core),
      bridges: new Bridges(core),
      channels: new Channels(core),
      deviceStates: new DeviceStates(),
      dialing: new Dialing(core),
      local: new LocalChannels(core),
      endpoints: new Endpoints(core),
      events: new Events(core),
      externalMedia: new ExternalMedia(core),
      websocketMedia: new WebSocketMedia(core),
      mailboxes: new Mailboxes(),
      playbacks: new Playbacks(core),
      recordings: new Recordings(core),
      reports: new CallReports(core, options.reportLimit ?? 1000),
      scripts: new Scripts(core),
      snoops: new Snoops(core),
    };
    core.resources = this.resources;
    this.clock = core.clock;
    this.sounds = core.sounds;
    this.media = core.media;
    this.asteriskId = core.asteriskId;
    this.numbers = core.numbers;
  }

  get startupTime(): Date {
    return this.core.startupTime;
  }

  /** The application inbound calls go to when placeCall names none. */
  get defaultApp(): string {
    return this.core.defaultApp;
  }
  set defaultApp(app: string) {
    this.core.defaultApp = app;
  }

  /** Behaviour of numbers without their own. */
  get defaultBehaviour(): NumberBehaviour {
    return this.core.defaultBehaviour;
  }
  set defaultBehaviour(behaviour: NumberBehaviour) {
    this.core.defaultBehaviour = behaviour;
  }

  // ---------------------------------------------------------------- events (resources/events.ts)

  attachSession(...args: Parameters<Events['attachSession']>): ReturnType<Events['attachSession']> {
    return this.resources.events.attachSession(...args);
  }

  detachSession(...args: Parameters<Events['detachSession']>): ReturnType<Events['detachSession']> {
    return this.resources.events.detachSession(...args);
  }

  activeApps(...args: Parameters<Events['activeApps']>): ReturnType<Events['activeApps']> {
    return this.resources.events.activeApps(...args);
  }

  userEvent(...args: Parameters<Events['userEvent']>): ReturnType<Events['userEvent']> {
    return this.resources.events.userEvent(...args);
  }

  // ---------------------------------------------------------------- applications (resources/applications.ts)

  applicationJson(...args: Parameters<Applications['applicationJson']>): ReturnType<Applications['applicationJson']> {
    return this.resources.applications.applicationJson(...args);
  }

  applicationList(...args: Parameters<Applications['applicationList']>): ReturnType<Applications['applicationList']> {
    return this.resources.applications.applicationList(...args);
  }

  subscribe(...args: Parameters<Applications['subscribe']>): ReturnType<Applications['subscribe']> {
    return this.resources.applications.subscribe(...args);
  }

  // ---------------------------------------------------------------- channels (resources/channels.ts)

  channel(...args: Parameters<SimCore['channel']>): ReturnType<SimCore['channel']> {
    return this.core.channel(...args);
  }

  channelList(...args: Parameters<Channels['channelList']>): ReturnType<Channels['channelList']> {
    return this.resources.channels.channelList(...args);
  }

  placeCall(...args: Parameters<Channels['placeCall']>): ReturnType<Channels['placeCall']> {
    return this.resources.channels.placeCall(...args);
  }

  hangupChannel(...args: Parameters<Channels['hangupChannel']>): ReturnType<Channels['hangupChannel']> {
    return this.resources.channels.hangupChannel(...args);
  }

  hangupRequest(...args: Parameters<Channels['hangupRequest']>): ReturnType<Channels['hangupRequest']> {
    return this.resources.channels.hangupRequest(...args);
  }

  snoop(...args: Parameters<Snoops['snoop']>): ReturnType<Snoops['snoop']> {
    return this.resources.snoops.snoop(...args);
  }

  answer(...args: Parameters<Channels['answer']>): ReturnType<Channels['answer']> {
    return this.resources.channels.answer(...args);
  }

  ring(...args: Parameters<Channels['ring']>): ReturnType<Channels['ring']> {
    return this.resources.channels.ring(...args);
  }

  sendDtmf(...args: Parameters<Channels['sendDtmf']>): ReturnType<Channels['sendDtmf']> {
    return this.resources.channels.sendDtmf(...args);
  }

  mediaControl(...args: Parameters<Channels['mediaControl']>): ReturnType<Channels['mediaControl']> {
    return this.resources.channels.mediaControl(...args);
  }

  continueInDialplan(...args: Parameters<Channels['continueInDialplan']>): ReturnType<Channels['continueInDialplan']> {
    return this.resources.channels.continueInDialplan(...args);
  }

  redirect(...args: Parameters<Channels['redirect']>): ReturnType<Channels['redirect']> {
    return this.resources.channels.redirect(...args);
  }

  getVariable(...args: Parameters<Channels['getVariable']>): ReturnType<Channels['getVariable']> {
    return this.resources.channels.getVariable(...args);
  }

  setVariable(...args: Parameters<Channels['setVariable']>): ReturnType<Channels['setVariable']> {
    return this.resources.channels.setVariable(...args);
  }

  /** chan_websocket's channels, which clients reach at /media/<connection_id> (server.ts). */
  get websocketMedia(): WebSocketMedia {
    return this.resources.websocketMedia;
  }

  externalMedia(...args: Parameters<ExternalMedia['externalMedia']>): ReturnType<ExternalMedia['externalMedia']> {
    return this.resources.externalMedia.externalMedia(...args);
  }

  // ---------------------------------------------------------------- dialing (resources/dialing.ts)

  originate(...args: Parameters<Dialing['originate']>): ReturnType<Dialing['originate']> {
    return this.resources.dialing.originate(...args);
  }

  create(...args: Parameters<Dialing['create']>): ReturnType<Dialing['create']> {
    return this.resources.dialing.create(...args);
  }

  dialCreated(...args: Parameters<Dialing['dialCreated']>): ReturnType<Dialing['dialCreated']> {
    return this.resources.dialing.dialCreated(...args);
  }

  // ---------------------------------------------------------------- bridges (resources/bridges.ts)

  createBridge(...args: Parameters<Bridges['createBridge']>): ReturnType<Bridges['createBridge']> {
    return this.resources.bridges.createBridge(...args);
  }

  getBridge(...args: Parameters<Bridges['getBridge']>): ReturnType<Bridges['getBridge']> {
    return this.resources.bridges.getBridge(...args);
  }

  bridgeList(...args: Parameters<Bridges['bridgeList']>): ReturnType<Bridges['bridgeList']> {
    return this.resources.bridges.bridgeList(...args);
  }

  addToBridge(...args: Parameters<Bridges['addToBridge']>): ReturnType<Bridges['addToBridge']> {
    return this.resources.bridges.addToBridge(...args);
  }

  removeChannels(...args: Parameters<Bridges['removeChannels']>): ReturnType<Bridges['removeChannels']> {
    return this.resources.bridges.removeChannels(...args);
  }

  destroyBridge(...args: Parameters<Bridges['destroyBridge']>): ReturnType<Bridges['destroyBridge']> {
    return this.resources.bridges.destroyBridge(...args);
  }

  startMoh(...args: Parameters<Bridges['startMoh']>): ReturnType<Bridges['startMoh']> {
    return this.resources.bridges.startMoh(...args);
  }

  stopMoh(...args: Parameters<Bridges['stopMoh']>): ReturnType<Bridges['stopMoh']> {
    return this.resources.bridges.stopMoh(...args);
  }

  // ---------------------------------------------------------------- playbacks (resources/playbacks.ts)

  play(...args: Parameters<Playbacks['play']>): ReturnType<Playbacks['play']> {
    return this.resources.playbacks.play(...args);
  }

  getPlayback(...args: Parameters<Playbacks['getPlayback']>): ReturnType<Playbacks['getPlayback']> {
    return this.resources.playbacks.getPlayback(...args);
  }

  stopPlayback(...args: Parameters<Playbacks['stopPlayback']>): ReturnType<Playbacks['stopPlayback']> {
    return this.resources.playbacks.stopPlayback(...args);
  }

  controlPlayback(...args: Parameters<Playbacks['controlPlayback']>): ReturnType<Playbacks['controlPlayback']> {
    return this.resources.playbacks.controlPlayback(...args);
  }

  // ---------------------------------------------------------------- recordings (resources/recordings.ts)

  record(...args: Parameters<Recordings['record']>): ReturnType<Recordings['record']> {
    return this.resources.recordings.record(...args);
  }

  liveRecording(...args: Parameters<Recordings['liveRecording']>): ReturnType<Recordings['liveRecording']> {
    return this.resources.recordings.liveRecording(...args);
  }

  controlRecording(...args: Parameters<Recordings['controlRecording']>): ReturnType<Recordings['controlRecording']> {
    return this.resources.recordings.controlRecording(...args);
  }

  storedRecordings(...args: Parameters<Recordings['storedRecordings']>): ReturnType<Recordings['storedRecordings']> {
    return this.resources.recordings.storedRecordings(...args);
  }

  storedRecording(...args: Parameters<Recordings['storedRecording']>): ReturnType<Recordings['storedRecording']> {
    return this.resources.recordings.storedRecording(...args);
  }

  storedRecordingFile(...args: Parameters<Recordings['storedRecordingFile']>): ReturnType<Recordings['storedRecordingFile']> {
    return this.resources.recordings.storedRecordingFile(...args);
  }

  deleteStoredRecording(...args: Parameters<Recordings['deleteStoredRecording']>): ReturnType<Recordings['deleteStoredRecording']> {
    return this.resources.recordings.deleteStoredRecording(...args);
  }

  copyStoredRecording(...args: Parameters<Recordings['copyStoredRecording']>): ReturnType<Recordings['copyStoredRecording']> {
    return this.resources.recordings.copyStoredRecording(...args);
  }

  defineRecording(...args: Parameters<Recordings['defineRecording']>): ReturnType<Recordings['defineRecording']> {
    return this.resources.recordings.defineRecording(...args);
  }

  // ---------------------------------------------------------------- asterisk (resources/asterisk.ts)

  info(...args: Parameters<AsteriskSystem['info']>): ReturnType<AsteriskSystem['info']> {
    return this.resources.asterisk.info(...args);
  }

  ping(...args: Parameters<AsteriskSystem['ping']>): ReturnType<AsteriskSystem['ping']> {
    return this.resources.asterisk.ping(...args);
  }

  globalVariable(...args: Parameters<AsteriskSystem['globalVariable']>): ReturnType<AsteriskSystem['globalVariable']> {
    return this.resources.asterisk.globalVariable(...args);
  }

  // ---------------------------------------------------------------- endpoints (resources/endpoints.ts)

  endpoints(...args: Parameters<Endpoints['endpoints']>): ReturnType<Endpoints['endpoints']> {
    return this.resources.endpoints.endpoints(...args);
  }

  // ---------------------------------------------------------------- deviceStates (resources/deviceStates.ts)

  deviceState(...args: Parameters<DeviceStates['deviceState']>): ReturnType<DeviceStates['deviceState']> {
    return this.resources.deviceStates.deviceState(...args);
  }

  deviceStateList(...args: Parameters<DeviceStates['deviceStateList']>): ReturnType<DeviceStates['deviceStateList']> {
    return this.resources.deviceStates.deviceStateList(...args);
  }

  // ---------------------------------------------------------------- mailboxes (resources/mailboxes.ts)

  mailbox(...args: Parameters<Mailboxes['mailbox']>): ReturnType<Mailboxes['mailbox']> {
    return this.resources.mailboxes.mailbox(...args);
  }

  mailboxList(...args: Parameters<Mailboxes['mailboxList']>): ReturnType<Mailboxes['mailboxList']> {
    return this.resources.mailboxes.mailboxList(...args);
  }

  // ---------------------------------------------------------------- reports (resources/reports.ts)

  report(...args: Parameters<CallReports['report']>): ReturnType<CallReports['report']> {
    return this.resources.reports.report(...args);
  }

  reportList(...args: Parameters<CallReports['reportList']>): ReturnType<CallReports['reportList']> {
    return this.resources.reports.reportList(...args);
  }

  waitForEnd(...args: Parameters<CallReports['waitForEnd']>): ReturnType<CallReports['waitForEnd']> {
    return this.resources.reports.waitForEnd(...args);
  }

  // ---------------------------------------------------------------- scripts (resources/scripts.ts)

  pressDigits(...args: Parameters<Scripts['pressDigits']>): ReturnType<Scripts['pressDigits']> {
    return this.resources.scripts.pressDigits(...args);
  }

  remoteHangup(...args: Parameters<Scripts['remoteHangup']>): ReturnType<Scripts['remoteHangup']> {
    return this.resources.scripts.remoteHangup(...args);
  }

  until(...args: Parameters<Scripts['until']>): ReturnType<Scripts['until']> {
    return this.resources.scripts.until(...args);
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Asterisk stops: every channel is gone at once (no events: the sockets
   * are already closed), bridges, playbacks and live recordings with them;
   * applications must register again. Stored recordings survive.
   */
  crash(): void {
    const core = this.core;
    for (const ch of [...core.channels.values()]) {
      ch.hangingUp = true;
      ch.destroyed = true;
      ch.scriptAbort.abort(new Error(`call ${ch.id} ended: the simulator stopped`));
      for (const t of ch.timers) t.cancel();
      this.resources.externalMedia.ended(ch);
      // The dialplan half of a Local channel and a snoop channel have no report of their own.
      if (ch.localHalf === 2 || ch.snoopOf || ch.externalMedia) continue;
      ch.report.state = 'Destroyed';
      ch.report.ended = { at: new Date().toISOString(), cause: 0, causeText: causeText(0), by: 'system', note: 'Asterisk restarted' };
      this.emit('call-ended', structuredClone(ch.report));
    }
    this.resources.playbacks.crash();
    this.resources.recordings.crash();
    core.channels.clear();
    core.bridges.clear();
    core.apps.clear();
    // A restart always shows as a new startup time, even within the same millisecond.
    core.startupTime = new Date(Math.max(Date.now(), core.startupTime.getTime() + 1));
  }

  /** Ends everything (simulator shutdown). */
  shutdown(): void {
    this.crash();
    this.clock.cancelAll();
  }
}
