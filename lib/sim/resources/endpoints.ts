/**
 * The ARI `endpoints` resource (res/ari/resource_endpoints.c): the PJSIP endpoints
 * the simulator has.
 */
import { AriHttpError } from '../route';
import type { SimCore } from './core';

export class Endpoints {
  constructor(private readonly core: SimCore) {}

  endpoints(tech?: string): { technology: string; resource: string; state: string; channel_ids: string[] }[] {
    if (tech !== undefined && tech.toUpperCase() !== 'PJSIP') throw new AriHttpError(404, 'Endpoints not found');
    const byEndpoint = new Map<string, string[]>();
    byEndpoint.set('trunk', []);
    for (const n of this.core.numbers.keys()) if (/^\d{2,6}$/.test(n)) byEndpoint.set(n, []);
    for (const ch of this.core.channels.values()) {
      if (ch.technology !== 'PJSIP') continue;
      const ep = ch.name.replace(/^PJSIP\//, '').replace(/-[0-9a-f]{8}$/, '');
      byEndpoint.set(ep, [...(byEndpoint.get(ep) ?? []), ch.id]);
    }
    return [...byEndpoint.entries()].map(([resource, ids]) => ({ technology: 'PJSIP', resource, state: 'online', channel_ids: ids }));
  }
}
