/**
 * Local channels (main/core_local.c, main/core_unreal.c): a request for
 * Local/<exten>[@<context>][/<options>] makes two channels. ";1" is the one
 * the requester holds (an originate's or a create's channel, the one that
 * enters Stasis); ";2" runs the dialplan at <exten>@<context>. What one half
 * is told (answer, ringing, DTMF, hangup) reaches the other.
 *
 * The simulator has no dialplan: ";2" behaves as a dialplan that dials the
 * number <exten> (its behaviour from the called numbers) and hangs up with the
 * callee's cause when that call fails or ends. The events of that dialplan on
 * ";2" itself (ChannelDialplan for each application, the Dial events of its
 * Dial()) depend on the user's dialplan and are not sent; docs/simulator.md
 * says so.
 */
import { SimChannel } from '../channel';
import { AriHttpError } from '../route';
import type { CallReport } from '../script';
import type { SimCore } from './core';
import type { Destination } from './dialing';

/** core_local.c local_alloc: the options after the last "/", the context after "@" ("default" without one). */
export function parseLocal(resource: string): { exten: string; context: string } {
  const slash = resource.lastIndexOf('/');
  const target = slash >= 0 ? resource.slice(0, slash) : resource;
  const at = target.indexOf('@');
  if (at < 0) return { exten: target, context: 'default' };
  return { exten: target.slice(0, at), context: target.slice(at + 1) || 'default' };
}

export class LocalChannels {
  /** core_unreal.c name_sequence: the number in both halves' names, its own count (not the channels'). */
  private nameSequence = 0;

  constructor(private readonly core: SimCore) {}

  /** The next number of an unreal channel pair's name (Local, and the Announcer of bridge music), as 8 hex digits. */
  nextUnrealNumber(): string {
    return (this.nameSequence++ % 0x100000000).toString(16).padStart(8, '0');
  }

  /**
   * ast_unreal_new_channels: ";1" in state Down with the requested id, ";2" in state Ring with the other id (or
   * "<id>;2" when only the first was given), both named Local/<exten>@<context>-<8 hex digits>;1 and ;2 and
   * both at <exten>@<context> priority 1. Returns ";1", whose report is the call's.
   */
  request(dest: Extract<Destination, { technology: 'Local' }>, channelId: string | undefined, otherChannelId: string | undefined, createdBy: 'originate' | 'create'): SimChannel {
    const id1 = channelId ?? this.core.newChannelId();
    const id2 = otherChannelId ?? (channelId !== undefined ? `${channelId};2` : this.core.newChannelId());
    for (const id of [id1, id2]) {
      if (this.core.channels.has(id)) throw new AriHttpError(409, 'Channel with given unique ID already exists');
    }
    if (id1 === id2) throw new AriHttpError(409, 'Channel with given unique ID already exists');
    if (channelId !== undefined) this.core.sequence += 1;
    const base = `Local/${dest.exten}@${dest.context}-${this.nextUnrealNumber()}`;
    const dialplan = { context: dest.context, exten: dest.exten, priority: 1, app_name: '', app_data: '' };
    const report = this.core.resources.reports.newReport(id1, `${base};1`, 'outbound', '', dest.number);
    const one = new SimChannel(id1, `${base};1`, '', 'outbound', createdBy, { state: 'Down', caller: { name: '', number: '' }, dialplan, language: 'en' }, report);
    // The dialplan half is no call of its own: its report is not listed.
    const two = new SimChannel(id2, `${base};2`, '', 'outbound', 'dialplan', { state: 'Ring', caller: { name: '', number: '' }, dialplan: { ...dialplan }, language: 'en' }, unlistedReport(id2, `${base};2`, dest.number));
    one.localHalf = 1;
    two.localHalf = 2;
    one.localPeer = two;
    two.localPeer = one;
    this.core.channels.set(id1, one);
    this.core.channels.set(id2, two);
    this.core.channelEvent('ChannelCreated', one);
    this.core.channelEvent('ChannelCreated', two);
    return one;
  }

  /**
   * local_call: ast_unreal_call_setup gives ";2" the caller's connected line as its caller id and the caller id as
   * its connected line, ";1"'s language, and a copy of each of ";1"'s variables (a ChannelVarset each, in the order
   * of ";1"'s variable list, newest first), then ast_pbx_start runs the dialplan on ";2", which the call's report
   * records as a transfer to the dialplan.
   */
  call(one: SimChannel): void {
    const two = one.localPeer;
    if (!two) return;
    two.localDialplanStarted = true;
    for (const [variable, value] of [...one.vars].reverse()) {
      two.vars.set(variable, value);
      this.core.channelEvent('ChannelVarset', two, { variable, value });
    }
    two.language = one.language;
    const callerChanged = two.caller.number !== one.connected.number || two.caller.name !== one.connected.name;
    const connectedChanged = two.connected.number !== one.caller.number || two.connected.name !== one.caller.name;
    two.caller = { ...one.connected };
    two.connected = { ...one.caller };
    // One staged snapshot: res/stasis/app.c sends its caller id change, then its connected line change.
    if (callerChanged) this.core.channelEvent('ChannelCallerId', two, { caller_presentation: 0, caller_presentation_txt: 'Presentation Allowed, Not Screened' });
    if (connectedChanged) this.core.channelEvent('ChannelConnectedLine', two);
    this.core.transfer(one, { kind: 'dialplan', target: `${two.dialplan.context},${two.dialplan.exten},1`, at: new Date().toISOString() });
  }
}

function unlistedReport(id: string, channelName: string, to: string): CallReport {
  return { id, channelName, direction: 'outbound', from: '', to, state: 'Ring', startedAt: new Date().toISOString(), heard: [], pressed: [], transfers: [], recordings: [], variables: {} };
}
