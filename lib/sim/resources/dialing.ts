/**
 * Outbound channels (POST /channels, /channels/create, /channels/{id}/dial):
 * the endpoint as chan_pjsip or core_local reads it, and the called number's
 * behaviour played out with the events Asterisk sends: main/dial.c for an
 * originate (ari_originate_dial runs ast_dial without a caller channel), the
 * dial bridge for a created channel (res/stasis/control.c app_control_dial,
 * main/bridge_channel.c bridge_handle_trip). Local channels: local.ts.
 */
import { randomUUID } from 'node:crypto';
import { causeForSipResponse, dialStatusForCause } from '../../ari/causes';
import type { Channel } from '../../ari/types';
import { SimChannel } from '../channel';
import { AriHttpError } from '../route';
import type { NumberBehaviour } from '../script';
import type { SimCore } from './core';
import { parseLocal } from './local';

const OUTCOME_SIP: Record<Exclude<NumberBehaviour['outcome'], 'answer' | 'no-answer'>, number> = {
  busy: 486,
  unallocated: 404,
  rejected: 603,
  congestion: 503,
  unavailable: 480,
  unreachable: 408,
};

/**
 * A caller id as ARI takes it: `"Name" <number>`, `Name <number>` or a bare
 * number. Read by hand: the regular expression it replaced
 * (/^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$/) backtracked in cubic time on a
 * long run of spaces (2,000 took 9 s).
 */
export function parseCallerId(callerId: string | undefined): { name: string; number: string } {
  if (!callerId) return { name: '', number: '' };
  const text = callerId.trim();
  const open = text.indexOf('<');
  if (open >= 0 && text.endsWith('>')) {
    const number = text.slice(open + 1, -1);
    let name = text.slice(0, open).trim();
    if (name.startsWith('"')) name = name.slice(1);
    if (name.endsWith('"')) name = name.slice(0, -1);
    if (!number.includes('>') && !name.includes('"')) return { name: name.trim(), number: number.trim() };
  }
  return { name: '', number: text };
}

export class Dialing {
  constructor(private readonly core: SimCore) {}

  /**
   * An endpoint as ARI and chan_pjsip read it (res/ari/resource_channels.c, channels/chan_pjsip.c request()):
   * the technology before the first "/"; then "<endpoint>[/<location>]", "<user>@<endpoint>" dialing the user
   * through the endpoint, the location an AOR or a URI (sip: or sips:, whose user is called unless a user was
   * given before "@"). The simulator has every endpoint whose name could be a pjsip.conf section (letters, digits,
   * _ . + * # -) and no AOR: anything else fails as Asterisk fails a request it cannot place (500).
   * Local/<exten>[@<context>][/<options>] is a Local channel pair (local.ts).
   */
  private parseEndpoint(endpoint: string): Destination {
    const slash = endpoint.indexOf('/');
    if (slash <= 0 || slash === endpoint.length - 1) throw new AriHttpError(400, 'Invalid endpoint specified');
    const tech = endpoint.slice(0, slash);
    const resource = endpoint.slice(slash + 1);
    if (tech.toUpperCase() === 'LOCAL') {
      const { exten, context } = parseLocal(resource);
      return { technology: 'Local', exten, context, number: exten, resource };
    }
    if (tech.toUpperCase() !== 'PJSIP') {
      // Asterisk fails to request a channel of a technology it does not have.
      throw new AriHttpError(500, 'Allocation failed');
    }
    const second = resource.indexOf('/');
    const first = second < 0 ? resource : resource.slice(0, second);
    const at = first.indexOf('@');
    const endpointName = at >= 0 ? first.slice(at + 1) : first;
    let user = at >= 0 ? first.slice(0, at) : '';
    // chan_pjsip: "endpoint '...' was not found" (cause 3), answered 500 by ARI.
    if (!/^[A-Za-z0-9_.+*#-]+$/.test(endpointName)) throw new AriHttpError(500, 'Allocation failed');
    if (second >= 0) {
      // No AOR has that name here, so chan_pjsip would use the location as the request URI: only sip: and sips: make a dialog.
      const uri = /^sips?:(?:([^@;]*)@)?[^;]+/i.exec(resource.slice(second + 1));
      if (!uri) throw new AriHttpError(500, 'Allocation failed');
      user ||= uri[1] ?? '';
    }
    return { technology: 'PJSIP', endpointName, number: user || endpointName, resource };
  }

  originate(p: {
    endpoint: string;
    channelId?: string;
    otherChannelId?: string;
    app?: string;
    appArgs?: string;
    callerId?: string;
    timeout?: number;
    variables?: Record<string, unknown>;
    extension?: string;
    context?: string;
    priority?: number;
    label?: string;
    originator?: string;
    formats?: string;
  }): Channel {
    if (!p.endpoint) throw new AriHttpError(400, 'Endpoint must be specified');
    if (p.originator && p.formats) throw new AriHttpError(400, "Originator and formats can't both be specified");
    if (!p.app && !p.extension) throw new AriHttpError(400, 'Application or extension must be specified');
    if (p.priority === 0) throw new AriHttpError(400, 'Requested priority is illegal');
    if (p.originator && !this.core.channels.has(p.originator)) throw new AriHttpError(400, 'Provided originator channel was not found');
    const variables = stringVariables(p.variables);
    const ch = this.newOutbound(p.endpoint, p.channelId, p.otherChannelId, 'originate');
    // resource_channels.c: the caller id becomes the new channel's caller and connected line, then the variables
    // are set; all before the application subscribes, so it hears of none of it.
    const caller = parseCallerId(p.callerId);
    ch.caller = { ...caller };
    ch.connected = { ...caller };
    ch.report.from = caller.number;
    this.setVariables(ch, variables);
    // begin_dial_prerun: the channel runs "AppDial2" while it is dialed.
    ch.dialplan = { ...ch.dialplan, app_name: 'AppDial2', app_data: '(Outgoing Line)' };
    const appArgs = p.appArgs ? p.appArgs.split(',') : [];
    if (p.app) {
      // Subscribed to the new channel and, for a Local channel, to its other half (ast_local_get_peer).
      const app = this.core.app(p.app);
      app.add(app.channels, ch.id, 'originate');
      if (ch.localPeer) app.add(app.channels, ch.localPeer.id, 'originate');
    }
    ch.dialing = { dialstring: ch.dialing?.dialstring ?? '', appArgs, viaDial: false };
    if (p.app) ch.dialing.app = p.app;
    const timeoutSec = p.timeout ?? 30;
    const target = p.extension ? { context: p.context ?? 'default', exten: p.extension, priority: p.priority ?? 1, label: p.label } : undefined;
    // The request returns first; dialing happens after.
    this.core.after(ch, 0, () => this.dial(ch, timeoutSec, target));
    return ch.json();
  }

  /** POST /channels/create: a channel in Stasis, not yet dialed. */
  create(p: { endpoint: string; app: string; appArgs?: string; channelId?: string; otherChannelId?: string; variables?: Record<string, unknown>; originator?: string; formats?: string }): Channel {
    if (!p.endpoint) throw new AriHttpError(400, 'Endpoint must be specified');
    if (p.originator && p.formats) throw new AriHttpError(400, "Originator and formats can't both be specified");
    const variables = stringVariables(p.variables);
    const ch = this.newOutbound(p.endpoint, p.channelId, p.otherChannelId, 'create');
    // ast_ari_channels_create subscribes the application to the new channel (not to a Local peer) before it sets
    // the variables: the application hears each (ChannelVarset, ChannelCallerId, ChannelConnectedLine).
    const app = this.core.app(p.app);
    app.add(app.channels, ch.id, 'originate');
    this.setVariables(ch, variables);
    ch.dialing = { dialstring: ch.dialing?.dialstring ?? '', appArgs: [], viaDial: true };
    const json = ch.json();
    // Asterisk makes the channel's Stasis control before answering, so it can be dialed at once. The channel's own
    // thread then runs Stasis (pbx_exec): the application set from nothing is a ChannelDialplan, then StasisStart.
    ch.stasisApp = p.app;
    const appData = [p.app, p.appArgs ?? ''].filter(Boolean).join(',');
    this.core.after(ch, 0, () => {
      ch.dialplan = { ...ch.dialplan, app_name: 'Stasis', app_data: appData };
      this.core.channelEvent('ChannelDialplan', ch, { dialplan_app: 'Stasis', dialplan_app_data: appData });
      this.core.resources.applications.enterStasis(ch, p.app, p.appArgs ? p.appArgs.split(',') : []);
    });
    return json;
  }

  /** Variables given with an originate or a create, set as ast_set_variables sets them, in the request's order. */
  private setVariables(ch: SimChannel, variables: Record<string, string>): void {
    for (const [k, v] of Object.entries(variables)) {
      // A function Asterisk cannot write is skipped (ast_set_variables does not check the result).
      this.core.resources.channels.writeVariable(ch, k, v);
    }
    // Functions set through variables: the callee sees the connected line (or the caller id).
    const shown = variables['CONNECTEDLINE(num)'] ?? variables['CALLERID(num)'];
    if (shown !== undefined) ch.report.from = shown;
  }

  private newOutbound(endpoint: string, channelId: string | undefined, otherChannelId: string | undefined, createdBy: 'originate' | 'create'): SimChannel {
    const dest = this.parseEndpoint(endpoint);
    for (const id of [channelId, otherChannelId]) {
      if (id !== undefined && id.length > 127) throw new AriHttpError(400, 'Uniqueid length exceeds maximum of 127');
    }
    if (dest.technology === 'Local') {
      const one = this.core.resources.local.request(dest, channelId, otherChannelId, createdBy);
      one.dialing = { dialstring: dest.resource, appArgs: [], viaDial: createdBy === 'create' };
      this.core.after(one, this.core.maxCallMs, () => this.core.resources.channels.hangupChannel(one, 16, 'system', 'maximum call length reached'));
      return one;
    }
    if (channelId !== undefined && this.core.channels.has(channelId)) {
      throw new AriHttpError(409, 'Channel with given unique ID already exists');
    }
    const id = channelId ?? this.core.newChannelId();
    if (channelId !== undefined) this.core.sequence += 1;
    const name = this.core.channelName(dest.endpointName);
    const report = this.core.resources.reports.newReport(id, name, 'outbound', '', dest.number);
    // chan_pjsip_new: an outgoing channel starts in the endpoint's context at "s" (exten NULL), priority 1.
    const ch = new SimChannel(
      id,
      name,
      randomUUID(),
      'outbound',
      createdBy,
      { state: 'Down', caller: { name: '', number: '' }, dialplan: { context: 'default', exten: 's', priority: 1, app_name: '', app_data: '' }, language: 'en' },
      report,
    );
    ch.dialing = { dialstring: dest.resource, appArgs: [], viaDial: createdBy === 'create' };
    this.core.channels.set(id, ch);
    this.core.channelEvent('ChannelCreated', ch);
    this.core.after(ch, this.core.maxCallMs, () => this.core.resources.channels.hangupChannel(ch, 16, 'system', 'maximum call length reached'));
    return ch;
  }

  /** POST /channels/{id}/dial */
  dialCreated(channelId: string, p: { caller?: string; timeout?: number }): void {
    const ch = this.core.control(channelId);
    if (ch.createdBy !== 'create') throw new AriHttpError(409, 'Dialing a channel not created by ARI');
    if (ch.state !== 'Down' && ch.state !== 'Rsrvd') throw new AriHttpError(409, "Channel is not in the 'Down' state");
    let caller: SimChannel | undefined;
    if (p.caller) {
      caller = this.core.channels.get(p.caller);
      if (!caller) throw new AriHttpError(404, 'Callee not found');
    }
    if (caller) {
      // ast_ari_channels_dial: the callee's connected line becomes the caller's caller id (whatever CONNECTEDLINE() set
      // before), and it takes the caller's language. chan_pjsip builds the INVITE's identity from the connected line
      // (res_pjsip_caller_id.c caller_id_outgoing_request): that is the number the callee sees.
      this.core.resources.channels.setConnected(ch, caller.caller);
      ch.language = caller.language;
      ch.report.from = ch.connected.number;
    }
    this.core.after(ch, 0, () => this.dial(ch, p.timeout && p.timeout > 0 ? p.timeout : -1));
  }

  /** A Dial event about a channel being dialed: no caller channel on ARI's paths (ast_dial_run with none, the dial bridge). */
  dialEvent(ch: SimChannel, status: string, dialstring: string): void {
    this.core.publish('Dial', { dialstatus: status, forward: '', dialstring, peer: ch.json() }, { channels: [ch] });
  }

  /** Rings the number behind an outbound channel and plays out its behaviour. */
  private dial(ch: SimChannel, timeoutSec: number, dialplanTarget?: { context: string; exten: string; priority: number; label?: string | undefined }): void {
    const dialing = ch.dialing;
    if (!dialing) return;
    const local = ch.localHalf === 1;
    const number = ch.report.to;
    const behaviour = this.core.numbers.get(number) ?? this.core.defaultBehaviour;
    // main/dial.c publishes the device with every status; the dial bridge only with the first (bridge_handle_trip: NULL).
    const statusDialstring = dialing.viaDial ? '' : dialing.dialstring;
    const channels = this.core.resources.channels;
    if (local) this.core.resources.local.call(ch);
    this.dialEvent(ch, '', dialing.dialstring);
    this.core.after(ch, 100, () => {
      // A callee that answered first (this timer came late: a loaded machine, a high speed) does not ring again.
      if (ch.state === 'Up' || ch.hangingUp) return;
      // chan_pjsip on 180 Ringing sets the state (ChannelStateChange) and queues RINGING, which the dialing side reads
      // (Dial RINGING); the two come from different threads, this order is the usual one. A Local ;1 only gets the
      // frame from ;2: __ast_read changes the state for ANSWER only.
      if (!local) this.core.setState(ch, 'Ringing');
      this.dialEvent(ch, 'RINGING', statusDialstring);
    });
    const ringMs = behaviour.ringMs ?? 1000;
    if (timeoutSec > 0) {
      this.core.after(ch, timeoutSec * 1000, () => {
        if (ch.state === 'Up') return;
        const note = `no answer within ${timeoutSec} s`;
        // An originate: main/dial.c handle_timeout_trip sets cause 19 and hangs the channel up (no request, no Dial
        // status). A created channel: control.c hangup_channel sets cause 19 and soft-hangs it up (flag 32).
        if (dialing.viaDial) channels.hangupChannel(ch, 19, 'system', note, { soft: true });
        else channels.hangupChannel(ch, 19, 'system', note, { noRequestEvent: true });
      });
    }
    if (behaviour.outcome === 'no-answer' && behaviour.ringMs === undefined) return; // rings until the timeout
    this.core.after(ch, Math.max(ringMs, 101), () => {
      if (ch.state === 'Up' || ch.hangingUp) return;
      if (behaviour.outcome === 'answer') {
        // A Local ;2 answers (its Dial() was answered) and queues the answer to ;1.
        if (local && ch.localPeer) this.core.setState(ch.localPeer, 'Up');
        this.core.setState(ch, 'Up');
        this.dialEvent(ch, 'ANSWER', statusDialstring);
        ch.dialing = undefined;
        if (!dialing.viaDial) {
          if (dialing.app) this.core.resources.applications.enterStasis(ch, dialing.app, dialing.appArgs);
          else if (dialplanTarget) {
            // ari_originate_dial: no application, so the answered channel runs the dialplan from the target.
            ch.dialplan = { context: dialplanTarget.context, exten: dialplanTarget.exten, priority: dialplanTarget.priority, app_name: '', app_data: '' };
            const where = `${dialplanTarget.context},${dialplanTarget.exten},${dialplanTarget.label ?? dialplanTarget.priority}`;
            this.core.transfer(ch, { kind: 'dialplan', target: where, at: new Date().toISOString() });
          }
        }
        if (!ch.destroyed && behaviour.script) this.core.resources.scripts.runScript(ch, behaviour.script, 'callee');
        return;
      }
      const sip = behaviour.sipCode ?? (behaviour.outcome === 'no-answer' ? 480 : OUTCOME_SIP[behaviour.outcome]);
      const cause = causeForSipResponse(sip);
      if (local && ch.localPeer) {
        // The number ;2's dialplan called failed: the dialplan ends with that cause, and ;1 with it (ast_unreal_hangup).
        channels.hangupChannel(ch.localPeer, cause, 'callee', `SIP ${sip}`, { noRequestEvent: true });
        return;
      }
      // chan_pjsip queues no BUSY or CONGESTION frame for a failure response: chan_pjsip_session_end records the
      // code as tech_cause and queues a hangup with the cause; main/dial.c then reports the cause as a status, the
      // dial bridge of a created channel reports nothing.
      ch.techCause = sip;
      channels.hangupRequestEvent(ch, cause);
      if (!dialing.viaDial) this.dialEvent(ch, dialStatusForCause(cause), statusDialstring);
      channels.hangupChannel(ch, cause, 'callee', `SIP ${sip}`, { noRequestEvent: true });
    });
  }
}

/** Where a request for a channel goes. */
export type Destination =
  | { technology: 'PJSIP'; endpointName: string; number: string; resource: string }
  | { technology: 'Local'; exten: string; context: string; number: string; resource: string };

/** Variables of an originate or a create: ARI takes string values only. */
function stringVariables(variables: Record<string, unknown> | undefined): Record<string, string> {
  if (Object.values(variables ?? {}).some((v) => typeof v !== 'string')) {
    throw new AriHttpError(400, "Only string values in the 'variables' object allowed");
  }
  return (variables ?? {}) as Record<string, string>;
}
