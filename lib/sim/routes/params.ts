/**
 * Building blocks of the ARI route table: parameter specs in Asterisk's
 * Swagger terms, the channel and bridge path parameters, and the variables body.
 */
import type { Args, ParamSpec } from '../route';

export const str = (name: string, description: string, extra: Partial<ParamSpec> = {}): ParamSpec => ({
  name,
  in: 'query',
  type: 'string',
  description,
  ...extra,
});
export const int = (name: string, description: string, extra: Partial<ParamSpec> = {}): ParamSpec => ({
  name,
  in: 'query',
  type: 'int',
  description,
  ...extra,
});
export const bool = (name: string, description: string, def: boolean): ParamSpec => ({
  name,
  in: 'query',
  type: 'boolean',
  description,
  default: def,
});
export const path = (name: string, description: string): ParamSpec => ({ name, in: 'path', type: 'string', description, required: true });
export const variables: ParamSpec = {
  name: 'variables',
  in: 'body',
  type: 'containers',
  description: 'Channel variables to set, as {"variables": {"NAME": "value"}}.',
};

export const CHANNEL = path('channelId', "Channel's id");
export const BRIDGE = path('bridgeId', "Bridge's id");

/** ari-client sends {"variables": {...}}; Asterisk also takes the bare object. */
export function variablesOf(a: Args): Record<string, unknown> | undefined {
  const body = a.obj('variables');
  if (!body) return undefined;
  const inner = body.variables;
  return inner && typeof inner === 'object' && !Array.isArray(inner) ? (inner as Record<string, unknown>) : body;
}
