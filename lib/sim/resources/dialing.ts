/**
 * Outbound channels (POST /channels, /channels/create, /channels/{id}/dial):
 * the endpoint as chan_pjsip reads it, and the called number's behaviour
 * played out as Asterisk's dialing API reports it.
 */
import { randomUUID } from 'node:crypto';
import { causeForSipResponse, dialStatusForCause } from '../../ari/causes';
import type { Channel } from '../../ari/types';
import { SimChannel } from '../channel';
import { AriHttpError } from '../route';
import type { NumberBehaviour } from '../script';
import type { SimCore } from './core';

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
   */
  private parseEndpoint(endpoint: string): { endpointName: string; number: string; resource: string } {
    const slash = endpoint.indexOf('/');
    if (slash <= 0 || slash === endpoint.length - 1) throw new AriHttpError(400, 'Invalid endpoint specified');
    const tech = endpoint.slice(0, slash);
    const resource = endpoint.slice(slash + 1);
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
    return { endpointName, number: user || endpointName, resource };
  }

  originate(p: {
    endpoint: string;
    channelId?: string;
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
    const { ch, resource } = this.newOutbound(p.endpoint, p.channelId, p.callerId, p.variables, 'originate');
    ch.dialplan = { context: p.context ?? 'default', exten: p.extension ?? 's', priority: p.priority ?? 1, app_name: '', app_data: '' };
    const appArgs = p.appArgs ? p.appArgs.split(',') : [];
    if (p.app) this.core.app(p.app).add(this.core.app(p.app).channels, ch.id, 'originate');
    ch.dialing = { dialstring: resource, appArgs, viaDial: false };
    if (p.app) ch.dialing.app = p.app;
    const timeoutSec = p.timeout ?? 30;
    // The request returns first; dialing happens after.
    this.core.after(ch, 0, () => this.dial(ch, timeoutSec, undefined, p.extension ? `${p.context ?? 'default'},${p.extension},${p.priority ?? 1}` : undefined));
    return ch.json();
  }

  /** POST /channels/create: a channel in Stasis, not yet dialed. */
  create(p: { endpoint: string; app: string; appArgs?: string; channelId?: string; variables?: Record<string, unknown>; originator?: string; formats?: string }): Channel {
    if (!p.endpoint) throw new AriHttpError(400, 'Endpoint must be specified');
    if (p.originator && p.formats) throw new AriHttpError(400, "Originator and formats can't both be specified");
    const { ch, resource } = this.newOutbound(p.endpoint, p.channelId, undefined, p.variables, 'create');
    ch.dialing = { dialstring: resource, appArgs: [], viaDial: true };
    ch.dialplan = { context: 'default', exten: 's', priority: 1, app_name: 'Stasis', app_data: [p.app, p.appArgs ?? ''].filter(Boolean).join(',') };
    this.core.app(p.app).add(this.core.app(p.app).channels, ch.id, 'originate');
    const json = ch.json();
    // Asterisk makes the channel's Stasis control before answering, so it can be dialed at once;
    // StasisStart follows from the channel's own thread.
    ch.stasisApp = p.app;
    this.core.after(ch, 0, () => this.core.resources.applications.enterStasis(ch, p.app, p.appArgs ? p.appArgs.split(',') : []));
    return json;
  }

  private newOutbound(
    endpoint: string,
    channelId: string | undefined,
    callerId: string | undefined,
    variables: Record<string, unknown> | undefined,
    createdBy: 'originate' | 'create',
  ): { ch: SimChannel; resource: string } {
    const { endpointName, number, resource } = this.parseEndpoint(endpoint);
    if (channelId !== undefined && channelId.length > 127) throw new AriHttpError(400, 'Uniqueid length exceeds maximum of 127');
    if (channelId !== undefined && this.core.channels.has(channelId)) {
      throw new AriHttpError(409, 'Channel with given unique ID already exists');
    }
    if (Object.values(variables ?? {}).some((v) => typeof v !== 'string')) {
      throw new AriHttpError(400, "Only string values in the 'variables' object allowed");
    }
    const id = channelId ?? this.core.newChannelId();
    if (channelId !== undefined) this.core.sequence += 1;
    const name = this.core.channelName(endpointName);
    const caller = parseCallerId(callerId);
    const report = this.core.resources.reports.newReport(id, name, 'outbound', caller.number, number);
    const ch = new SimChannel(
      id,
      name,
      randomUUID(),
      'outbound',
      createdBy,
      { state: 'Down', caller, dialplan: { context: 'default', exten: 's', priority: 1, app_name: '', app_data: '' }, language: 'en' },
      report,
    );
    ch.connected = { name: '', number };
    for (const [k, v] of Object.entries(variables ?? {})) ch.vars.set(k, String(v));
    // Functions set through variables, as Asterisk runs them on the new channel: the callee sees the connected line.
    const vars = (variables ?? {}) as Record<string, string>;
    if (vars['CALLERID(num)'] !== undefined) ch.caller = { ...ch.caller, number: vars['CALLERID(num)'] };
    const shown = vars['CONNECTEDLINE(num)'] ?? vars['CALLERID(num)'];
    if (shown !== undefined) report.from = shown;
    this.core.channels.set(id, ch);
    this.core.channelEvent('ChannelCreated', ch);
    this.core.after(ch, this.core.maxCallMs, () => this.core.resources.channels.hangupChannel(ch, 16, 'system', 'maximum call length reached'));
    return { ch, resource };
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
    this.core.after(ch, 0, () => this.dial(ch, p.timeout && p.timeout > 0 ? p.timeout : -1, caller));
  }

  /** Rings the number behind an outbound channel and plays out its behaviour. */
  private dial(ch: SimChannel, timeoutSec: number, caller?: SimChannel, dialplanTarget?: string): void {
    const dialing = ch.dialing;
    if (!dialing) return;
    const number = ch.report.to;
    const behaviour = this.core.numbers.get(number) ?? this.core.defaultBehaviour;
    const dialstring = dialing.dialstring;
    const dialEvent = (status: string): void => {
      const fields: Record<string, unknown> = { dialstatus: status, forward: '', dialstring, peer: ch.json() };
      if (caller) fields.caller = caller.json();
      this.core.publish('Dial', fields, { channels: caller ? [ch, caller] : [ch] });
    };
    dialEvent('');
    this.core.after(ch, 100, () => {
      // A callee that answered first (this timer came late: a loaded machine, a high speed) does not ring again.
      if (ch.state === 'Up' || ch.hangingUp) return;
      if (dialing.viaDial) dialEvent('RINGING');
      this.core.setState(ch, 'Ringing');
    });
    const ringMs = behaviour.ringMs ?? 1000;
    if (timeoutSec > 0) {
      this.core.after(ch, timeoutSec * 1000, () => {
        if (ch.state === 'Up') return;
        // Asterisk's dialing API cancels the call; since the 2025 fix the cause is 19 (no answer).
        if (dialing.viaDial) dialEvent('NOANSWER');
        this.core.resources.channels.hangupChannel(ch, 19, 'system', `no answer within ${timeoutSec} s`, { noRequestEvent: !dialing.viaDial });
      });
    }
    if (behaviour.outcome === 'no-answer' && behaviour.ringMs === undefined) return; // rings until the timeout
    this.core.after(ch, Math.max(ringMs, 101), () => {
      if (ch.state === 'Up' || ch.hangingUp) return;
      if (behaviour.outcome === 'answer') {
        this.core.setState(ch, 'Up');
        dialEvent('ANSWER');
        ch.dialing = undefined;
        if (!dialing.viaDial) {
          if (dialing.app) this.core.resources.applications.enterStasis(ch, dialing.app, dialing.appArgs);
          else if (dialplanTarget) this.core.transfer(ch, { kind: 'dialplan', target: dialplanTarget, at: new Date().toISOString() });
        }
        if (!ch.destroyed && behaviour.script) this.core.resources.scripts.runScript(ch, behaviour.script, 'callee');
        return;
      }
      const sip = behaviour.sipCode ?? (behaviour.outcome === 'no-answer' ? 480 : OUTCOME_SIP[behaviour.outcome]);
      const cause = causeForSipResponse(sip);
      this.core.channelEvent('ChannelHangupRequest', ch, { cause });
      dialEvent(dialStatusForCause(cause));
      this.core.resources.channels.hangupChannel(ch, cause, 'callee', `SIP ${sip}`, { noRequestEvent: true });
    });
  }
}
