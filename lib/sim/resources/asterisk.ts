/**
 * The ARI `asterisk` resource (res/ari/resource_asterisk.c): system information,
 * ping, global variables.
 */
import type { AsteriskInfo } from '../../ari/types';
import { asteriskTime } from '../channel';
import { AriHttpError } from '../route';
import type { SimCore } from './core';

/** The version the simulator gives as its own (GET /asterisk/info, the Server header). */
export const SIMULATED_VERSION = '22.0.0-callflow-sim';

export class AsteriskSystem {
  private readonly globals = new Map<string, string>();

  constructor(private readonly core: SimCore) {}

  info(only: string[]): AsteriskInfo {
    const all: AsteriskInfo = {
      build: { os: 'Linux', kernel: 'simulated', options: '', machine: process.arch, date: '2026-01-01 00:00:00 UTC', user: 'callflow' },
      system: { version: SIMULATED_VERSION, entity_id: this.core.asteriskId },
      config: { name: 'callflow-simulated-asterisk', default_language: 'en', setid: { user: 'asterisk', group: 'asterisk' } },
      status: { startup_time: asteriskTime(this.core.startupTime), last_reload_time: asteriskTime(this.core.startupTime) },
    };
    if (only.length === 0) return all;
    const out: AsteriskInfo = {};
    for (const key of only) {
      if (key === 'build' && all.build) out.build = all.build;
      if (key === 'system' && all.system) out.system = all.system;
      if (key === 'config' && all.config) out.config = all.config;
      if (key === 'status' && all.status) out.status = all.status;
    }
    return out;
  }

  ping(): { asterisk_id: string; ping: string; timestamp: string } {
    return { asterisk_id: this.core.asteriskId, ping: 'pong', timestamp: asteriskTime() };
  }

  globalVariable(variable: string | undefined, value?: string): { value: string } | undefined {
    if (!variable) throw new AriHttpError(400, 'Missing variable parameter.');
    if (value === undefined) return { value: this.globals.get(variable) ?? '' };
    this.globals.set(variable, value);
    this.core.publish('ChannelVarset', { variable, value }, {});
    return undefined;
  }
}
