/**
 * The ARI `bridges` resource (res/ari/resource_bridges.c).
 */
import { randomUUID } from 'node:crypto';
import { BridgeMoh, SimBridge, type SimChannel } from '../channel';
import { AriHttpError } from '../route';
import type { SimCore } from './core';

export class Bridges {
  constructor(private readonly core: SimCore) {}

  createBridge(p: { bridgeId?: string; type?: string; name?: string }, idInPath = false): ReturnType<SimBridge['json']> {
    const id = p.bridgeId ?? randomUUID();
    if (this.core.bridges.has(id)) throw new AriHttpError(409, `Bridge with id '${id}' already exists`);
    // S_OR(type, "mixing"): an empty type is a mixing bridge.
    const attrs = (p.type || 'mixing').split(',').map((t) => t.trim());
    // stasis_app_bridge_create (res_stasis.c lines 828-890): only "mixing" and "holding" give the bridge capabilities;
    // a list with neither makes no bridge, and ast_ari_bridges_create answers 500 with a message that blames the id
    // (printed "(null)" when none was given; resource_bridges.c lines 1144-1148); create_with_id says only "Unable to
    // create bridge" (lines 1221-1225). Seen on Asterisk 22.11 built from releases/22: type=weird answered 500
    // "Unable to create bridge. Possible duplicate bridge id '(null)'".
    if (!attrs.includes('mixing') && !attrs.includes('holding')) {
      throw new AriHttpError(500, idInPath ? 'Unable to create bridge' : `Unable to create bridge. Possible duplicate bridge id '${p.bridgeId ?? '(null)'}'`);
    }
    // res_stasis.c stasis_app_bridge_create: every Stasis bridge starts in talker video mode, `video_sfu` and
    // `video_single` change it, the last one in the list winning (seen on Asterisk 22.11 built from releases/22:
    // a mixing bridge's JSON says "video_mode":"talker").
    let videoMode: SimBridge['videoMode'] = 'talker';
    for (const attr of attrs) if (attr === 'video_sfu') videoMode = 'sfu'; else if (attr === 'video_single') videoMode = 'single';
    const b = new SimBridge(id, attrs.includes('holding') ? 'holding' : 'mixing', p.name ?? '', videoMode);
    this.core.bridges.set(id, b);
    this.core.publish('BridgeCreated', { bridge: b.json() }, { bridges: [b] });
    return b.json();
  }

  getBridge(id: string): ReturnType<SimBridge['json']> {
    return this.core.bridge(id).json();
  }

  bridgeList(): ReturnType<SimBridge['json']>[] {
    return [...this.core.bridges.values()].map((b) => b.json());
  }

  /**
   * addChannel: mute=true makes the bridge read no audio from the channels (stasis_app_control_mute_in_bridge sets
   * the features they join with; bridge_channel.c bridge_handle_trip reads with ast_read_stream_noaudio), for as
   * long as they are in this bridge. Not the channel's own mute: DELETE /channels/{id}/mute does not lift it.
   */
  addToBridge(bridgeId: string, channelIds: string[], options: { mute?: boolean } = {}): void {
    const b = this.core.bridge(bridgeId);
    if (channelIds.length === 0) throw new AriHttpError(400, 'Missing parameter channel');
    const chans = channelIds.map((id) => {
      const ch = this.core.channels.get(id);
      if (!ch) throw new AriHttpError(400, 'Channel not found');
      if (!ch.stasisApp) throw new AriHttpError(422, 'Channel not in Stasis application');
      if (ch.recording) throw new AriHttpError(409, `Channel ${id} currently recording`);
      return ch;
    });
    setImmediate(() => {
      for (const ch of chans) {
        if (ch.destroyed || ch.bridgeId === b.id || !this.core.bridges.has(b.id)) continue;
        if (ch.bridgeId) this.removeFromBridge(this.core.bridges.get(ch.bridgeId), ch);
        const others = [...b.channels];
        b.channels.push(ch.id);
        if (b.bridgeType === 'mixing' && b.channels.length + (b.moh ? 1 : 0) === 3) b.peerOrder.unshift(ch.id);
        else b.peerOrder.push(ch.id);
        ch.bridgeId = b.id;
        this.setBridgeMuted(ch, options.mute === true);
        const app = ch.stasisApp ? this.core.apps.get(ch.stasisApp) : undefined;
        app?.add(app.bridges, b.id, `member:${ch.id}`);
        this.core.publish('ChannelEnteredBridge', { bridge: b.json(), channel: ch.json() }, { channels: [ch], bridges: [b] });
        this.reconfigured(b);
        this.core.transfer(ch, { kind: 'bridge', target: b.id, with: others, at: new Date().toISOString() });
        ch.signals.emit('bridged', b.id);
        for (const other of others) this.core.channels.get(other)?.signals.emit('bridged', b.id);
        if (b.moh) this.hearMoh(b.moh, ch);
        this.core.resources.playbacks.hearBridgePlayback(b, ch);
      }
    });
  }

  /**
   * bridge_reconfigured (main/bridge.c lines 1603-1626) after a channel joined or left: set_bridge_peer_vars, then,
   * for a two-party technology (simple_bridge: AST_BRIDGE_CAPABILITY_1TO1MIX), bridge_reconfigured_connected_line_update.
   * Seen on Asterisk 22.11 built from releases/22: two channels in a mixing bridge each get ChannelVarset BRIDGEPEER
   * with the other's name (the first member first), then ChannelConnectedLine with the other's caller id (when it
   * changes); three get the names of the other two, comma-separated; a holding bridge sets none.
   * BRIDGEPVTCALLID is the peer's `get_pvt_uniqueid`: chan_pjsip's is the SIP Call-ID (channels/chan_pjsip.c
   * chan_pjsip_get_uniqueid, here the protocol_id); Local channels have none (not seen here: no chan_pjsip).
   * The Announcer of music on hold is a member too; its own events are never sent (internal channel).
   */
  private reconfigured(b: SimBridge): void {
    const inOrder = b.peerOrder.map((id) => this.core.channels.get(id)).filter((c): c is SimChannel => c !== undefined);
    const members: { ch?: SimChannel; name: string; pvtid?: string; caller: { name: string; number: string } }[] = inOrder.map((ch) => ({
      ch,
      name: ch.name,
      pvtid: ch.technology === 'PJSIP' ? ch.protocolId : undefined,
      caller: ch.caller,
    }));
    if (b.moh) members.push({ name: b.moh.channelName, caller: { name: '', number: '' } });
    if (b.bridgeType === 'holding') {
      // set_bridge_peer_vars_holding
      for (const m of members) if (m.ch) this.setBridgeVars(m.ch, undefined, undefined);
      return;
    }
    if (members.length < 2) return;
    if (members.length === 2) {
      // set_bridge_peer_vars_2party: the first member gets the last one's name, then the last the first's.
      const [first, last] = members as [(typeof members)[0], (typeof members)[0]];
      if (first.ch) this.setBridgeVars(first.ch, last.name, last.pvtid);
      if (last.ch) this.setBridgeVars(last.ch, first.name, first.pvtid);
      // bridge_reconfigured_connected_line_update: each gets the other's caller id as its connected line, unless
      // either is hanging up.
      if (first.ch?.hangingUp || last.ch?.hangingUp) return;
      if (first.ch) this.core.resources.channels.setConnected(first.ch, last.caller);
      if (last.ch) this.core.resources.channels.setConnected(last.ch, first.caller);
      return;
    }
    // set_bridge_peer_vars_multiparty: the names of the first 11 members; each of those gets the others', and the
    // members after them the last list built. No BRIDGEPVTCALLID.
    const names = members.slice(0, 11).map((m) => m.name);
    let list = '';
    members.forEach((m, idx) => {
      if (idx < names.length) list = names.filter((_, j) => j !== idx).join(',');
      if (m.ch) this.setBridgeVars(m.ch, list, undefined);
    });
  }

  /**
   * ast_bridge_vars_set (main/bridge.c line 1301) through pbx_builtin_setvar_helper (main/pbx_variables.c lines
   * 1233-1284): a value is set and published every time, even unchanged; no value removes the variable and publishes
   * "" only when it had a value.
   */
  private setBridgeVars(ch: SimChannel, peer: string | undefined, pvtid: string | undefined): void {
    for (const [variable, value] of [['BRIDGEPEER', peer], ['BRIDGEPVTCALLID', pvtid]] as const) {
      if (value !== undefined) {
        this.core.resources.channels.writeVariable(ch, variable, value);
      } else if (ch.vars.has(variable)) {
        const had = ch.vars.get(variable) !== '';
        ch.vars.delete(variable);
        if (had) this.core.channelEvent('ChannelVarset', ch, { variable, value: '' });
      }
    }
  }

  private setBridgeMuted(ch: SimChannel, muted: boolean): void {
    ch.bridgeMuted = muted;
    if (muted && ch.bridgeId) ch.report.mutedInBridge = ch.bridgeId;
    else delete ch.report.mutedInBridge;
  }

  removeChannels(bridgeId: string, channelIds: string[]): void {
    const b = this.core.bridge(bridgeId);
    if (channelIds.length === 0) throw new AriHttpError(400, 'Missing parameter channel');
    const chans = channelIds.map((id) => {
      const ch = this.core.channels.get(id);
      if (!ch) throw new AriHttpError(400, 'Channel not found');
      if (!b.channels.includes(id)) throw new AriHttpError(422, 'Channel not in this bridge');
      return ch;
    });
    setImmediate(() => {
      for (const ch of chans) this.removeFromBridge(b, ch);
    });
  }

  removeFromBridge(b: SimBridge | undefined, ch: SimChannel): void {
    if (!b) return;
    const i = b.channels.indexOf(ch.id);
    if (i < 0) return;
    b.channels.splice(i, 1);
    const j = b.peerOrder.indexOf(ch.id);
    if (j >= 0) b.peerOrder.splice(j, 1);
    ch.bridgeId = undefined;
    this.setBridgeMuted(ch, false);
    if (b.moh) this.endHearing(b.moh, ch);
    // bridge_channel_internal_pull (main/bridge_channel.c line 316): ast_bridge_vars_set(chan, NULL, NULL) before
    // ChannelLeftBridge (seen on Asterisk 22.11 built from releases/22: ChannelVarset BRIDGEPEER "" then the event).
    this.setBridgeVars(ch, undefined, undefined);
    this.core.publish('ChannelLeftBridge', { bridge: b.json(), channel: ch.json() }, { channels: [ch], bridges: [b] });
    this.reconfigured(b);
    // A channel that hangs up in the bridge leaves its application subscribed to it: stasis_app_exec's loop subscribes
    // the application to the bridge it sees the channel in (res_stasis.c lines 1600-1611) and unsubscribes it only on
    // a later turn, which a hung-up channel never takes (line 1669 finds no bridge any more). Seen on Asterisk 22.11
    // built from releases/22: after a member hung up in it, DELETE /bridges sent that application BridgeDestroyed;
    // after members left by removeChannel it did not.
    if (ch.hangingUp && ch.stasisApp) {
      const app = this.core.apps.get(ch.stasisApp);
      app?.add(app.bridges, b.id, `hung up in it:${ch.id}`);
    }
    for (const app of this.core.apps.values()) app.remove(app.bridges, b.id, `member:${ch.id}`);
    for (const pb of b.playbacks) {
      const entry = pb.heard.get(ch.id);
      if (entry && !entry.outcome) {
        entry.outcome = 'stopped';
        entry.endedAt = new Date().toISOString();
      }
    }
    // The Announcer is LONELY: once only lonely channels are left, bridge_channel_dissolve_check (main/bridge_channel.c)
    // makes them leave; imparted independent, it is hung up, and moh_channel_thread forgets the bridge's music.
    if (b.moh && b.channels.length === 0) this.endMoh(b);
  }

  /**
   * POST /bridges/{id}/moh (ast_ari_bridges_start_moh): stasis_app_bridge_moh_channel finds the bridge's Announcer
   * or makes one (bridge_moh_create) and pushes it into the bridge; ast_moh_start then plays the class on it. A
   * second start keeps the channel and only changes the class. The class is not checked: res_musiconhold falls
   * back to "default" for one it does not have, and the answer is 204 either way.
   */
  startMoh(bridgeId: string, mohClass: string | undefined): void {
    const b = this.core.bridge(bridgeId);
    const cls = mohClass || 'default';
    if (b.moh) {
      if (b.moh.mohClass === cls) return;
      for (const ch of this.members(b)) this.endHearing(b.moh, ch);
      b.moh.mohClass = cls;
    } else {
      const number = this.core.resources.local.nextUnrealNumber();
      b.moh = new BridgeMoh([this.core.newChannelId(), this.core.newChannelId()], `Announcer/ARI_MOH-${number};2`, cls);
      this.reconfigured(b);
    }
    for (const ch of this.members(b)) this.hearMoh(b.moh, ch);
  }

  /** DELETE /bridges/{id}/moh (ast_ari_bridges_stop_moh): 409 when stasis_app_bridge_moh_stop finds no music. */
  stopMoh(bridgeId: string): void {
    const b = this.core.bridge(bridgeId);
    if (!b.moh) throw new AriHttpError(409, "Bridge isn't playing music");
    this.endMoh(b);
  }

  /** The Announcer leaves the bridge and is hung up; nobody in the bridge hears the music any more. */
  private endMoh(b: SimBridge): void {
    const moh = b.moh;
    if (!moh) return;
    b.moh = undefined;
    for (const ch of this.members(b)) this.endHearing(moh, ch);
    this.reconfigured(b);
  }

  private members(b: SimBridge): SimChannel[] {
    return b.channels.map((id) => this.core.channels.get(id)).filter((c): c is SimChannel => c !== undefined);
  }

  private hearMoh(moh: BridgeMoh, ch: SimChannel): void {
    if (moh.heard.has(ch.id)) return;
    const entry = { media: moh.media, playbackId: '', target: 'moh' as const, startedAt: new Date().toISOString() };
    ch.report.heard.push(entry);
    moh.heard.set(ch.id, entry);
    ch.signals.emit('playback-start', moh.media);
  }

  private endHearing(moh: BridgeMoh, ch: SimChannel): void {
    const entry = moh.heard.get(ch.id);
    if (!entry) return;
    moh.heard.delete(ch.id);
    entry.outcome = 'stopped';
    entry.endedAt = new Date().toISOString();
    ch.signals.emit('playback-end', entry.media);
  }

  destroyBridge(id: string): void {
    const b = this.core.bridge(id);
    for (const chId of [...b.channels]) {
      const ch = this.core.channels.get(chId);
      if (ch) this.removeFromBridge(b, ch);
    }
    // ast_bridge_destroy kicks every channel out, the Announcer with them (an empty bridge still has it).
    this.endMoh(b);
    for (const pb of [...b.playbacks]) this.core.resources.playbacks.finishPlayback(pb, 'done', 'stopped');
    if (b.recording) this.core.resources.recordings.finishRecording(b.recording, 'done');
    this.core.publish('BridgeDestroyed', { bridge: b.json() }, { bridges: [b] });
    this.core.bridges.delete(id);
    for (const app of this.core.apps.values()) app.remove(app.bridges, id);
  }
}
