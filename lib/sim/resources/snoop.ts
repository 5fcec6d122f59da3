/**
 * Snooping on a channel (POST /channels/{channelId}/snoop and
 * /snoop/{snoopId}; res/ari/resource_channels.c
 * ari_channels_handle_snoop_channel, res/res_stasis_snoop.c
 * stasis_app_control_snoop): a new channel "Snoop/<spied id>-<8 hex digits>"
 * that hears the spied channel through an audiohook and runs
 * Stasis(app[,appArgs]) on a thread of its own. The audiohook lives on the
 * spied channel, not in its Stasis application: the snoop goes on while the
 * spied channel is in the dialplan (a queue), and ends when the spied
 * channel hangs up (its hooks are destroyed; the snoop channel's next read
 * returns nothing and it leaves Stasis and hangs up).
 *
 * Apart from channels.ts as Asterisk keeps it apart: the snoop is a module
 * of its own (res_stasis_snoop) beside the channels resource.
 */
import { SimChannel } from '../channel';
import { AriHttpError } from '../route';
import type { CallReport } from '../script';
import type { SimCore } from './core';

/** SNOOP_INTERVAL: the snoop channel's timer reads the audiohook every 20 ms; the read after the hangup ends it. */
const SNOOP_INTERVAL_MS = 20;
const DIRECTIONS = ['none', 'both', 'out', 'in'];

export interface SnoopRequest {
  spy?: string;
  whisper?: string;
  app?: string;
  appArgs?: string;
  snoopId?: string;
}

export class Snoops {
  /** chan_idx: the number in snoop channels' names, its own count. */
  private nameIndex = 0;

  constructor(private readonly core: SimCore) {}

  /**
   * Checks in the order ari_channels_handle_snoop_channel does: spy, whisper (400 for a direction it does not
   * know), at least one of them (400), the application (400), the channel by name or id (404); then a channel
   * that cannot be made (an id in use: ast_channel_alloc's do_ids_conflict) is 500. The answer is the snoop
   * channel; its StasisStart comes from its own thread, after it.
   */
  snoop(channelId: string, request: SnoopRequest): ReturnType<SimChannel['json']> {
    const spy = direction(request.spy, 'spy');
    const whisper = direction(request.whisper, 'whisper');
    if (spy === 'none' && whisper === 'none') throw new AriHttpError(400, 'Direction must be specified for at least spy or whisper');
    if (!request.app) throw new AriHttpError(400, 'Application name is required');
    const spied = this.core.channels.get(channelId) ?? [...this.core.channels.values()].find((c) => c.name === channelId);
    if (!spied || spied.hangingUp) throw new AriHttpError(404, 'Provided channel was not found');
    if (request.snoopId !== undefined && request.snoopId !== '' && this.core.channels.has(request.snoopId)) {
      throw new AriHttpError(500, 'Snoop channel could not be created');
    }
    const id = request.snoopId || this.core.newChannelId();
    const name = `Snoop/${spied.id}-${(this.nameIndex++ % 0x100000000).toString(16).padStart(8, '0')}`;
    // ast_channel_alloc with no context or extension: "default", "s", priority 1; state Up; the default language.
    const dialplan = { context: 'default', exten: 's', priority: 1, app_name: '', app_data: '' };
    const ch = new SimChannel(id, name, '', 'outbound', 'create', { state: 'Up', caller: { name: '', number: '' }, dialplan, language: 'en' }, unlistedReport(id, name));
    ch.snoopOf = spied;
    ch.snoopSpy = spy as SimChannel['snoopSpy'];
    spied.snoops.add(ch);
    this.core.channels.set(id, ch);
    this.core.channelEvent('ChannelCreated', ch);
    const args = request.appArgs ? request.appArgs.split(',') : [];
    const app = request.app;
    this.core.after(ch, 0, () => this.core.resources.applications.enterStasis(ch, app, args));
    return ch.json();
  }

  /**
   * The spied channel hung up: ast_hangup destroys its audiohooks (destroy_hooks), so the snoop's next read
   * (snoop_read: the spy hook no longer running) returns nothing. __ast_read then flags a soft hangup itself
   * (no ChannelHangupRequest) without a cause; Stasis ends (a recording on it finishes and is kept), StasisEnd, and
   * snoop_stasis_thread hangs the channel up: ChannelDestroyed with cause 0.
   */
  spiedChannelEnded(spied: SimChannel): void {
    for (const snoop of spied.snoops) {
      this.core.after(snoop, SNOOP_INTERVAL_MS, () => this.core.resources.channels.hangupChannel(snoop, 0, 'system', `the spied channel ${spied.id} hung up`, { noRequestEvent: true }));
    }
  }

  /** A snoop channel is gone: it no longer hears its spied channel. */
  ended(snoop: SimChannel): void {
    snoop.snoopOf?.snoops.delete(snoop);
    snoop.snoopOf = undefined;
  }
}

function direction(value: string | undefined, what: 'spy' | 'whisper'): string {
  if (value === undefined || value === '') return 'none';
  if (!DIRECTIONS.includes(value)) throw new AriHttpError(400, `Invalid direction specified for ${what}`);
  return value;
}

/** A snoop channel is no call of its own: its report is not listed. */
function unlistedReport(id: string, channelName: string): CallReport {
  return { id, channelName, direction: 'outbound', from: '', to: '', state: 'Up', startedAt: new Date().toISOString(), heard: [], pressed: [], transfers: [], recordings: [], variables: {} };
}
