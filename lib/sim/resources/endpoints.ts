/**
 * The ARI `endpoints` resource (res/ari/resource_endpoints.c): the PJSIP endpoints
 * the simulator has.
 */
import { AriHttpError } from '../route';
import type { SimCore } from './core';

export class Endpoints {
  constructor(private readonly core: SimCore) {}

  endpoints(tech?: string): { technology: string; resource: string; state: string; channel_ids: string[] }[] {
    // ast_ari_endpoints_list_by_tech (resource_endpoints.c lines 97-102): a technology without an endpoint of its own
    // (seen on Asterisk 22.11 built from releases/22 for Local: 404 "No Endpoints found - invalid tech Local").
    if (tech !== undefined && tech.toUpperCase() !== 'PJSIP') throw new AriHttpError(404, `No Endpoints found - invalid tech ${tech}`);
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
