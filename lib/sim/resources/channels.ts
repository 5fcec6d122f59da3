/**
 * The ARI `channels` resource (res/ari/resource_channels.c) but for dialing
 * (dialing.ts): a call arriving, hangups, answer, DTMF, dialplan moves and variables.
 */
import { randomUUID } from 'node:crypto';
import { causeText, HANGUP_REASONS, isHangupReason, sipResponseForCause } from '../../ari/causes';
import type { Channel } from '../../ari/types';
import { own, put } from '../../own';
import { SimChannel } from '../channel';
import { AriHttpError } from '../route';
import type { HeardEntry, InboundCallOptions } from '../script';
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
   * Ends a channel: ChannelHangupRequest, the end of its media, StasisEnd,
   * ChannelDestroyed; each to the apps that are subscribed at that moment.
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
    if (!opts.noRequestEvent) {
      // An ARI DELETE is a soft hangup whose blob carries the softhangup flag (32), not a Q.850 code.
      this.core.channelEvent('ChannelHangupRequest', ch, opts.soft ? { cause: 32, soft: true } : { cause });
    }
    ch.scriptAbort.abort();
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
    this.core.channelEvent('ChannelDestroyed', ch, { cause, cause_txt: causeText(cause) });
    this.core.channels.delete(ch.id);
    for (const app of this.core.apps.values()) app.remove(app.channels, ch.id);
    for (const [name, app] of this.core.apps) if (app.finished) this.core.apps.delete(name);
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
      if (!/^-?\d+$/.test(reasonCode.trim())) throw new AriHttpError(400, 'Invalid reason for hangup reason code provided');
      cause = Number(reasonCode);
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
    if (!dtmf) throw new AriHttpError(400, 'DTMF is required');
    const ch = this.core.control(id);
    this.core.checkState(ch);
    const digits = dtmf.replace(/,/g, '');
    const entry: HeardEntry = { media: `dtmf:${dtmf}`, playbackId: '', target: 'channel', startedAt: new Date().toISOString() };
    ch.report.heard.push(entry);
    const lasts = (timing.before ?? 0) + digits.length * (timing.duration ?? 100) + Math.max(0, digits.length - 1) * (timing.between ?? 100) + (timing.after ?? 0);
    this.core.after(ch, lasts, () => {
      entry.outcome = 'done';
      entry.endedAt = new Date().toISOString();
    });
  }

  /** Media operations that only change what the far end hears (mute, hold, moh, silence). */
  mediaControl(id: string): void {
    const ch = this.core.control(id);
    this.core.checkState(ch);
  }

  continueInDialplan(id: string, p: { context?: string; extension?: string; priority?: number; label?: string }): void {
    const ch = this.core.control(id);
    this.core.checkState(ch);
    if (p.priority === 0) throw new AriHttpError(400, 'Requested priority is illegal');
    const context = p.context ?? ch.dialplan.context;
    const extension = p.extension ?? (p.context ? 's' : ch.dialplan.exten);
    const priority = p.priority ?? (p.context || p.extension ? 1 : ch.dialplan.priority + 1);
    const target = `${context},${extension},${p.label ?? priority}`;
    ch.dialplan = { context, exten: extension, priority, app_name: '', app_data: '' };
    this.core.after(ch, 0, () => {
      this.core.resources.applications.leaveStasis(ch);
      this.core.transfer(ch, { kind: 'dialplan', target, at: new Date().toISOString() });
    });
  }

  redirect(id: string, endpoint: string | undefined): void {
    if (!endpoint) throw new AriHttpError(400, "Required parameter 'endpoint' not provided.");
    const ch = this.core.control(id);
    this.core.checkState(ch);
    const slash = endpoint.indexOf('/');
    if (slash < 0) throw new AriHttpError(422, `Endpoint parameter '${endpoint}' does not contain tech/resource`);
    if (slash === endpoint.length - 1) throw new AriHttpError(422, `No resource provided in endpoint parameter '${endpoint}'`);
    const tech = endpoint.slice(0, slash);
    if (tech.toUpperCase() !== 'PJSIP') throw new AriHttpError(422, `Endpoint technology '${tech}' does not match channel technology 'PJSIP'`);
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
    const value = ch.vars.get(variable) ?? own(builtin, variable);
    if (value === undefined) throw new AriHttpError(404, 'Provided variable was not found');
    return { value };
  }

  setVariable(id: string, variable: string | undefined, value: string | undefined): void {
    if (!variable) throw new AriHttpError(400, 'Variable name is required');
    const ch = this.core.control(id);
    const fn = /^(\w+)\((.*)\)$/.exec(variable);
    if (fn) {
      const [, name, arg] = fn;
      if (name === 'CHANNEL' && arg === 'language') ch.language = value ?? '';
      else if (name === 'CALLERID' && arg === 'num') ch.caller = { ...ch.caller, number: value ?? '' };
      else if (name === 'CALLERID' && arg === 'name') ch.caller = { ...ch.caller, name: value ?? '' };
      else throw new AriHttpError(400, 'Failed to execute function');
    } else {
      ch.vars.set(variable, value ?? '');
    }
    put(ch.report.variables, variable, value ?? '');
    this.core.channelEvent('ChannelVarset', ch, { variable, value: value ?? '' });
  }

  channelList(): Channel[] {
    return [...this.core.channels.values()].filter((c) => !c.destroyed).map((c) => c.json());
  }
}
