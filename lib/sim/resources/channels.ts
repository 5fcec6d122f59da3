/**
 * The ARI `channels` resource (res/ari/resource_channels.c) but for dialing
 * (dialing.ts): a call arriving, hangups, answer, DTMF, dialplan moves and variables.
 */
import { randomUUID } from 'node:crypto';
import { causeText, dialStatusForCause, HANGUP_REASONS, isHangupReason, sipResponseForCause, techCauseForHangup } from '../../ari/causes';
import type { Channel } from '../../ari/types';
import { own, put } from '../../own';
import { SimChannel } from '../channel';
import { scanInt } from '../asterisk-parsing';
import { AriHttpError } from '../route';
import type { HeardEntry, InboundCallOptions, TransferEntry } from '../script';
import type { SimCore } from './core';

export class Channels {
  constructor(private readonly core: SimCore) {}

  /**
   * A call arrives from the network and the simulated dialplan sends it to
   * Stasis(app,args...). Returns the channel id (= the report id).
   */
  placeCall(opts: InboundCallOptions): string {
    if (!opts.from || !opts.to) throw new AriHttpError(400, 'placeCall needs "from" and "to"');
    const appName = opts.app ?? this.core.defaultApp;
    const args = opts.args ?? [];
    const id = this.core.newChannelId();
    const name = this.core.channelName(opts.endpoint ?? 'trunk');
    const report = this.core.resources.reports.newReport(id, name, 'inbound', opts.from, opts.to);
    report.app = appName;
    const ch = new SimChannel(
      id,
      name,
      randomUUID(),
      'inbound',
      'dialplan',
      {
        state: 'Ring',
        caller: { name: opts.callerName ?? '', number: opts.from },
        dialplan: { context: 'from-external', exten: opts.to, priority: 1, app_name: 'Stasis', app_data: [appName, ...args].join(',') },
        language: opts.language ?? 'en',
      },
      report,
    );
    report.state = 'Ring';
    for (const [k, v] of Object.entries(opts.variables ?? {})) ch.vars.set(k, v);
    for (const [k, v] of Object.entries(opts.headers ?? {})) ch.headers.set(k.toLowerCase(), v);
    this.core.channels.set(id, ch);
    this.core.channelEvent('ChannelCreated', ch);
    this.core.after(ch, this.core.maxCallMs, () => this.hangupChannel(ch, 16, 'system', 'maximum call length reached'));
    this.core.resources.applications.enterStasis(ch, appName, args);
    if (!ch.destroyed && opts.script) this.core.resources.scripts.runScript(ch, opts.script, 'caller');
    return id;
  }

  /**
   * ChannelHangupRequest as main/channel.c packs it: ast_softhangup (an ARI DELETE, a dial timeout) sends the
   * softhangup flag (32) as `cause` with `soft`; ast_queue_hangup(_with_cause) the Q.850 cause, and none at all when
   * the channel has none (a BYE without a Reason header); both add the channel's tech_cause once it has one.
   */
  hangupRequestEvent(ch: SimChannel, cause: number, soft = false, softFlag = 32): void {
    const fields: Record<string, unknown> = soft ? { cause: softFlag, soft: true } : cause ? { cause } : {};
    if (ch.techCause) fields.tech_cause = ch.techCause;
    this.core.channelEvent('ChannelHangupRequest', ch, fields);
  }

  /**
   * The party at the far end hangs up. A PJSIP channel: chan_pjsip_session_end takes the cause of the BYE's
   * Reason header (or of a failure response) and records the SIP code for it as tech_cause before it queues the
   * hangup. A Local channel's ;1: the far party is behind ;2, whose dialplan ends (Hangup() sends no request of
   * its own); ast_unreal_hangup then hangs ;1 up with that cause.
   */
  farEndHangup(ch: SimChannel, cause: number, by: 'caller' | 'callee', note?: string): void {
    if (ch.localHalf === 1 && ch.localPeer) {
      this.hangupChannel(ch.localPeer, cause, by, note, { noRequestEvent: true });
      return;
    }
    if (ch.technology === 'PJSIP' && !ch.techCause) ch.techCause = techCauseForHangup(cause);
    this.hangupChannel(ch, cause, by, note);
  }

  /**
   * Ends a channel: ChannelHangupRequest, the end of its media, StasisEnd,
   * ChannelDestroyed; each to the apps that are subscribed at that moment.
   * A Local channel takes its other half with it (ast_unreal_hangup): ;1
   * going queues a hangup with its cause on ;2; ;2 going does so on ;1, which
   * a dialing originate then reports in a Dial event (monitor_dial).
   */
  hangupChannel(
    ch: SimChannel,
    cause: number,
    by: 'caller' | 'callee' | 'application' | 'system',
    note?: string,
    opts: { soft?: boolean; noRequestEvent?: boolean } = {},
  ): void {
    if (ch.hangingUp) return;
    ch.hangingUp = true;
    ch.hangupCause = cause;
    ch.dialing = undefined;
    if (!opts.noRequestEvent) this.hangupRequestEvent(ch, cause, opts.soft);
    // __ast_pbx_run (main/pbx.c line 3148) ends every dialplan with ast_softhangup(AST_SOFTHANGUP_APPUNLOAD): a
    // ChannelHangupRequest with the flag (16) as cause and soft, heard by an application still following the channel:
    // a Local ;2 its originate subscribed it to. Seen on Asterisk 22.11 built from releases/22 for every Local ;2
    // (before ;1's request when ;2's Hangup(21) ended it; after ;1's end when ;1 went first).
    if (runsDialplan(ch)) this.hangupRequestEvent(ch, cause, true, 16);
    ch.scriptAbort.abort(new Error(`call ${ch.id} ended`));
    // Queued playbacks die with the channel silently; the one playing ends as failed.
    for (const pb of ch.playbacks.splice(1)) {
      pb.state = 'done';
      this.core.playbacks.delete(pb.id);
    }
    const playing = ch.playbacks[0];
    if (playing) this.core.resources.playbacks.finishPlayback(playing, playing.state === 'queued' ? 'done' : 'failed', 'failed');
    if (ch.recording) this.core.resources.recordings.finishRecording(ch.recording, 'done');
    if (ch.bridgeId) this.core.resources.bridges.removeFromBridge(this.core.bridges.get(ch.bridgeId), ch);
    this.core.resources.applications.leaveStasis(ch);
    for (const t of ch.timers) t.cancel();
    ch.timers.clear();
    ch.destroyed = true;
    const answered = ch.report.answeredAt !== undefined;
    const peer = ch.localPeer;
    if (peer) {
      ch.localPeer = undefined;
      peer.localPeer = undefined;
      // ast_unreal_hangup, from this half's hangup, before its ChannelDestroyed: ast_queue_hangup_with_cause on the
      // other; a ;2 whose dialplan never started is hung up at once instead, with no request.
      if (!peer.hangingUp && (ch.localHalf === 2 || peer.localDialplanStarted)) this.hangupRequestEvent(peer, cause);
    }
    // chan_pjsip_hangup records the SIP code its hangup sends (none for a normal clearing) unless a response set one.
    if (ch.technology === 'PJSIP' && !ch.techCause) ch.techCause = techCauseForHangup(cause);
    const destroyed: Record<string, unknown> = { cause, cause_txt: causeText(cause) };
    if (ch.techCause) destroyed.tech_cause = ch.techCause;
    this.core.channelEvent('ChannelDestroyed', ch, destroyed);
    this.core.channels.delete(ch.id);
    for (const app of this.core.apps.values()) app.remove(app.channels, ch.id);
    for (const [name, app] of this.core.apps) if (app.finished) this.core.apps.delete(name);
    if (peer && !peer.hangingUp) {
      // ;2 ended under a ;1 an originate is still dialing: monitor_dial reads the hangup and reports it.
      if (ch.localHalf === 2 && peer.dialing && !peer.dialing.viaDial) this.core.resources.dialing.dialEvent(peer, dialStatusForCause(cause), peer.dialing.dialstring);
      this.hangupChannel(peer, cause, by, note, { noRequestEvent: true });
    }
    // A snoop channel spying on this one ends at its next read (snoop.ts); a snoop channel no longer spies.
    if (ch.snoops.size > 0) this.core.resources.snoops.spiedChannelEnded(ch);
    const snoop = ch.snoopOf !== undefined;
    if (snoop) this.core.resources.snoops.ended(ch);
    // An external media channel's socket closes with it (chan_rtp.c rtp_hangup destroys its RTP instance).
    const media = ch.externalMedia !== undefined;
    if (media) this.core.resources.externalMedia.ended(ch);
    // The dialplan half of a Local channel, a snoop channel and an external media channel are no call of their own.
    if (ch.localHalf === 2 || snoop || media) {
      ch.signals.emit('destroyed');
      return;
    }
    ch.report.state = 'Destroyed';
    ch.report.ended = { at: new Date().toISOString(), cause, causeText: causeText(cause), by };
    if (ch.direction === 'inbound' && !answered) ch.report.ended.sipResponse = sipResponseForCause(cause);
    if (note) ch.report.ended.note = note;
    ch.signals.emit('destroyed');
    this.core.events.emit('call-ended', structuredClone(ch.report));
  }

  /** DELETE /channels/{id} */
  hangupRequest(id: string, reason?: string, reasonCode?: string): void {
    const ch = this.core.channel(id);
    if (reason !== undefined && reasonCode !== undefined) throw new AriHttpError(400, "The reason and reason_code can't both be specified");
    let cause: number = HANGUP_REASONS.normal;
    if (reasonCode !== undefined) {
      // sscanf("%30d"): " 17 busy" is 17.
      const code = scanInt(reasonCode);
      if (code === undefined) throw new AriHttpError(400, 'Invalid reason for hangup reason code provided');
      cause = code;
    } else if (reason !== undefined) {
      if (!isHangupReason(reason)) throw new AriHttpError(400, 'Invalid reason for hangup reason provided');
      cause = HANGUP_REASONS[reason];
    }
    this.hangupChannel(ch, cause, 'application', undefined, { soft: true });
  }

  answer(id: string): void {
    const ch = this.core.control(id);
    this.core.checkState(ch);
    this.core.setState(ch, 'Up');
  }

  ring(id: string, on: boolean): void {
    const ch = this.core.control(id);
    this.core.checkState(ch);
    void on; // ringing indication goes to the caller; the channel state does not change
  }

  /** The application sends DTMF to the far end: the party hears the tones (reported as dtmf:<digits>). */
  sendDtmf(id: string, dtmf: string | undefined, timing: { before?: number; between?: number; duration?: number; after?: number } = {}): void {
    const ch = this.core.control(id);
    this.core.checkState(ch);
    if (!dtmf) throw new AriHttpError(400, 'DTMF is required');
    const digits = dtmf.replace(/,/g, '');
    const entry: HeardEntry = { media: `dtmf:${dtmf}`, playbackId: '', target: 'channel', startedAt: new Date().toISOString() };
    ch.report.heard.push(entry);
    const lasts = (timing.before ?? 0) + digits.length * (timing.duration ?? 100) + Math.max(0, digits.length - 1) * (timing.between ?? 100) + (timing.after ?? 0);
    this.core.after(ch, lasts, () => {
      entry.outcome = 'done';
      entry.endedAt = new Date().toISOString();
    });
  }

  /**
   * Media operations that only change what the far end hears (mute, hold, moh, silence). Mute and unmute take a
   * direction, which Asterisk requires though channels.json documents "both" as its default (the glue applies none).
   * They compose as ast_channel_suppress and ast_channel_unsuppress (main/channel.c) do with the voice frames'
   * directions: mute adds its directions to those suppressed, unmute takes its own away, so muting "both" and
   * unmuting "in" leaves "out" muted, and nothing counts how often a direction was muted.
   */
  mediaControl(id: string, mute?: { direction: string | undefined; on: boolean }): void {
    const ch = this.core.control(id);
    this.core.checkState(ch);
    if (!mute) return;
    if (!mute.direction) throw new AriHttpError(400, 'Direction is required');
    if (!['in', 'out', 'both'].includes(mute.direction)) throw new AriHttpError(400, 'Invalid direction specified');
    if (mute.direction !== 'out') ch.muted.in = mute.on;
    if (mute.direction !== 'in') ch.muted.out = mute.on;
    const { in: muteIn, out: muteOut } = ch.muted;
    if (muteIn || muteOut) ch.report.muted = muteIn && muteOut ? 'both' : muteIn ? 'in' : 'out';
    else delete ch.report.muted;
  }

  continueInDialplan(id: string, p: { context?: string; extension?: string; priority?: number; label?: string }): void {
    const ch = this.core.control(id);
    this.core.checkState(ch);
    // A label that reads as a number is that priority, and 0 is illegal; priority 0 means none was given.
    const labelPriority = p.label ? scanInt(p.label) : undefined;
    if (labelPriority === 0) throw new AriHttpError(400, 'Requested priority is illegal');
    const context = p.context ?? ch.dialplan.context;
    const extension = p.extension ?? (p.context ? 's' : ch.dialplan.exten);
    const priority = labelPriority ?? (p.priority || (p.context || p.extension ? 1 : ch.dialplan.priority + 1));
    const target = `${context},${extension},${p.label ?? priority}`;
    ch.dialplan = { context, exten: extension, priority, app_name: '', app_data: '' };
    this.core.after(ch, 0, () => {
      this.core.resources.applications.leaveStasis(ch);
      const entry: TransferEntry = { kind: 'dialplan', target, at: new Date().toISOString() };
      // What the queue's member channel (or a Dial()'s) would inherit: main/channel.c, ast_channel_inherit_variables.
      const inherited = [...ch.vars].filter(([name]) => name.startsWith('_'));
      if (inherited.length > 0) {
        entry.variables = {};
        for (const [name, value] of inherited) put(entry.variables, name, value);
      }
      this.core.transfer(ch, entry);
    });
  }

  redirect(id: string, endpoint: string | undefined): void {
    const ch = this.core.control(id);
    this.core.checkState(ch);
    if (!endpoint) throw new AriHttpError(400, "Required parameter 'endpoint' not provided.");
    const slash = endpoint.indexOf('/');
    if (slash <= 0) throw new AriHttpError(422, `Endpoint parameter '${endpoint}' does not contain tech/resource`);
    if (slash === endpoint.length - 1) throw new AriHttpError(422, `No resource provided in endpoint parameter '${endpoint}'`);
    const tech = endpoint.slice(0, slash);
    // strncasecmp(channel type, tech, strlen(tech)): the technology may be any case-insensitive prefix of the channel's.
    if (!ch.technology.toLowerCase().startsWith(tech.toLowerCase())) throw new AriHttpError(422, `Endpoint technology '${tech}' does not match channel technology '${ch.technology}'`);
    // core_local.c's channel technology has no transfer callback: ast_transfer does nothing ("Unsupported transfer").
    if (ch.technology !== 'PJSIP') return;
    this.core.after(ch, 0, () => {
      this.core.transfer(ch, { kind: 'redirect', target: endpoint, at: new Date().toISOString() });
      // A redirected call is handed to the far end (302 or REFER) and leaves Asterisk.
      this.core.after(ch, 50, () => this.hangupChannel(ch, 16, 'system', `redirected to ${endpoint}`, { soft: true }));
    });
  }

  getVariable(id: string, variable: string | undefined): { value: string } {
    if (!variable) throw new AriHttpError(400, 'Variable name is required');
    const ch = this.core.channels.get(id);
    if (!ch) throw new AriHttpError(404, 'Provided channel was not found');
    const fn = /^(\w+)\((.*)\)$/.exec(variable);
    if (fn) {
      const [, name = '', arg = ''] = fn;
      const functions: Record<string, () => string | undefined> = {
        CALLERID: () => (arg === 'num' ? ch.caller.number : arg === 'name' ? ch.caller.name : arg === 'all' ? `"${ch.caller.name}" <${ch.caller.number}>` : undefined),
        CHANNEL: () => (arg === 'language' ? ch.language : arg === 'name' ? ch.name : arg === 'state' ? ch.state : undefined),
        CONNECTEDLINE: () => (arg === 'num' ? ch.connected.number : arg === 'name' ? ch.connected.name : undefined),
        // A header that is not there makes the function fail, as res_pjsip_header_funcs does.
        PJSIP_HEADER: () => (/^read,/i.test(arg) ? ch.headers.get(arg.slice(5).trim().toLowerCase()) : undefined),
      };
      // Only the functions above: "toString(x)" or "constructor(x)" is no function Asterisk has.
      const value = own(functions, name)?.();
      if (value === undefined) throw new AriHttpError(500, 'Unable to read provided function');
      return { value };
    }
    const builtin: Record<string, string> = { UNIQUEID: ch.id, CHANNEL: ch.name, EXTEN: ch.dialplan.exten, CONTEXT: ch.dialplan.context };
    const value = readVariable(ch, variable) ?? own(builtin, variable);
    if (value === undefined) throw new AriHttpError(404, 'Provided variable was not found');
    return { value };
  }

  setVariable(id: string, variable: string | undefined, value: string | undefined): void {
    if (!variable) throw new AriHttpError(400, 'Variable name is required');
    const ch = this.core.control(id);
    if (!this.writeVariable(ch, variable, value ?? '')) throw new AriHttpError(400, 'Failed to execute function');
    put(ch.report.variables, variable, value ?? '');
  }

  /**
   * pbx_builtin_setvar_helper: a name ending in ")" is a function (ast_func_write), which publishes no
   * ChannelVarset; CALLERID() and CONNECTEDLINE() change the party and publish a snapshot, which an application
   * following the channel receives as ChannelCallerId or ChannelConnectedLine (res/stasis/app.c channel_callerid,
   * channel_connected_line). Any other name is a variable: ChannelVarset. Returns false for a function the
   * simulator does not have.
   */
  writeVariable(ch: SimChannel, variable: string, value: string): boolean {
    const fn = /^(\w+)\((.*)\)$/.exec(variable);
    if (!fn) {
      // One variable per name without its inheritance underscores: setting _X replaces X and __X (pbx_builtin_setvar_helper).
      for (const name of ch.vars.keys()) if (withoutUnderscores(name) === withoutUnderscores(variable)) ch.vars.delete(name);
      ch.vars.set(variable, value);
      this.core.channelEvent('ChannelVarset', ch, { variable, value });
      return true;
    }
    const [, name, arg] = fn;
    if (name === 'CHANNEL' && arg === 'language') {
      ch.language = value;
    } else if (name === 'CALLERID' && (arg === 'num' || arg === 'name')) {
      const caller = arg === 'num' ? { ...ch.caller, number: value } : { ...ch.caller, name: value };
      if (caller.number === ch.caller.number && caller.name === ch.caller.name) return true;
      ch.caller = caller;
      // The presentation comes from the endpoint's settings; 0 is what a caller id without privacy has.
      this.core.channelEvent('ChannelCallerId', ch, { caller_presentation: 0, caller_presentation_txt: 'Presentation Allowed, Not Screened' });
    } else if (name === 'CONNECTEDLINE' && (arg === 'num' || arg === 'name')) {
      this.setConnected(ch, arg === 'num' ? { ...ch.connected, number: value } : { ...ch.connected, name: value });
    } else {
      return false;
    }
    return true;
  }

  /** ast_channel_set_connected_line: a new connected line is a new snapshot, ChannelConnectedLine to the apps following the channel. */
  setConnected(ch: SimChannel, connected: { name: string; number: string }): void {
    if (connected.number === ch.connected.number && connected.name === ch.connected.name) return;
    ch.connected = { ...connected };
    this.core.channelEvent('ChannelConnectedLine', ch);
    // A Local half passes a connected line on as the other half's caller id (main/core_unreal.c
    // unreal_colp_redirect_indicate, ast_connected_line_copy_to_caller): seen on Asterisk 22.11 built from
    // releases/22, ;1 bridged with a caller gave ;2 a ChannelCallerId with that caller.
    const peer = ch.localPeer;
    if (peer && !peer.hangingUp && (peer.caller.number !== connected.number || peer.caller.name !== connected.name)) {
      peer.caller = { ...connected };
      this.core.channelEvent('ChannelCallerId', peer, { caller_presentation: 0, caller_presentation_txt: 'Presentation Allowed, Not Screened' });
    }
  }

  channelList(): Channel[] {
    return [...this.core.channels.values()].filter((c) => !c.destroyed).map((c) => c.json());
  }
}

/**
 * The channel's thread runs the dialplan through __ast_pbx_run: a Local ;2 whose dialplan started (ast_pbx_start).
 * An originated channel sent on with `continue` runs it inside the originate's application and gets no such request
 * (seen on Asterisk 22.11 built from releases/22); an inbound call's application no longer follows it by then.
 */
function runsDialplan(ch: SimChannel): boolean {
  return ch.localHalf === 2 && ch.localDialplanStarted;
}

/** A variable's name as the dialplan reads it: without the one or two underscores that make it inherited (ast_var_name, main/chanvars.c). */
function withoutUnderscores(name: string): string {
  return name.startsWith('__') ? name.slice(2) : name.startsWith('_') ? name.slice(1) : name;
}

/**
 * A channel variable as GET /channels/{id}/variable reads it (ast_str_retrieve_variable, main/pbx_variables.c): the
 * name asked is compared with each variable's name without its underscores, so "X" finds "__X", and "__X" finds nothing.
 */
function readVariable(ch: SimChannel, variable: string): string | undefined {
  for (const [name, value] of ch.vars) if (withoutUnderscores(name) === variable) return value;
  return undefined;
}
