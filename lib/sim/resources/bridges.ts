/**
 * The ARI `bridges` resource (res/ari/resource_bridges.c).
 */
import { randomUUID } from 'node:crypto';
import { SimBridge, type SimChannel } from '../channel';
import { AriHttpError } from '../route';
import type { SimCore } from './core';

export class Bridges {
  constructor(private readonly core: SimCore) {}

  createBridge(p: { bridgeId?: string; type?: string; name?: string }): ReturnType<SimBridge['json']> {
    const id = p.bridgeId ?? randomUUID();
    if (this.core.bridges.has(id)) throw new AriHttpError(409, `Bridge with id '${id}' already exists`);
    const attrs = (p.type ?? 'mixing').split(',').map((t) => t.trim());
    const b = new SimBridge(id, attrs.includes('holding') ? 'holding' : 'mixing', p.name ?? '');
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

  addToBridge(bridgeId: string, channelIds: string[]): void {
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
        ch.bridgeId = b.id;
        const app = ch.stasisApp ? this.core.apps.get(ch.stasisApp) : undefined;
        app?.add(app.bridges, b.id, `member:${ch.id}`);
        this.core.publish('ChannelEnteredBridge', { bridge: b.json(), channel: ch.json() }, { channels: [ch], bridges: [b] });
        this.core.transfer(ch, { kind: 'bridge', target: b.id, with: others, at: new Date().toISOString() });
        ch.signals.emit('bridged', b.id);
        for (const other of others) this.core.channels.get(other)?.signals.emit('bridged', b.id);
      }
    });
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
    ch.bridgeId = undefined;
    this.core.publish('ChannelLeftBridge', { bridge: b.json(), channel: ch.json() }, { channels: [ch], bridges: [b] });
    for (const app of this.core.apps.values()) app.remove(app.bridges, b.id, `member:${ch.id}`);
    for (const pb of b.playbacks) {
      const entry = pb.heard.get(ch.id);
      if (entry && !entry.outcome) {
        entry.outcome = 'stopped';
        entry.endedAt = new Date().toISOString();
      }
    }
  }

  destroyBridge(id: string): void {
    const b = this.core.bridge(id);
    for (const chId of [...b.channels]) {
      const ch = this.core.channels.get(chId);
      if (ch) this.removeFromBridge(b, ch);
    }
    for (const pb of [...b.playbacks]) this.core.resources.playbacks.finishPlayback(pb, 'done', 'stopped');
    if (b.recording) this.core.resources.recordings.finishRecording(b.recording, 'done');
    this.core.publish('BridgeDestroyed', { bridge: b.json() }, { bridges: [b] });
    this.core.bridges.delete(id);
    for (const app of this.core.apps.values()) app.remove(app.bridges, id);
  }
}
