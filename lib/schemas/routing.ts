/**
 * The routing table of a callflow-routing config node: which IVR flow takes
 * a call to a dialed number (DID), by number, then number group, then the
 * account default; and the settings (language, timeouts) each level
 * overrides, in that order; and the conference call flow of each level
 * (lib/conference/callflows.ts).
 */
import { conferenceRouteSchema, type ConferenceRoute } from './conference';
import { Validator } from './validator';

export interface RouteSettings {
  /** Prompt language, e.g. en, fr, pt_BR. */
  language?: string;
  /** Seconds to wait for the first key of an input. */
  firstDigitTimeoutSec?: number;
  /** Seconds to wait between keys. */
  interDigitTimeoutSec?: number;
  /** Seconds a transfer rings before it gives up. */
  ringTimeoutSec?: number;
}

export interface NumberRoute {
  /** The dialed number, exactly as Asterisk reports it (the dialplan extension). */
  number: string;
  flow?: string;
  settings?: RouteSettings;
  /** The conference call flow and its properties for calls to this number (lib/conference/callflows.ts). */
  conference?: ConferenceRoute;
}

export interface GroupRoute {
  name: string;
  /** Dialed numbers in the group: exact numbers, or prefixes ending in * (+1555010*). */
  numbers: string[];
  flow?: string;
  settings?: RouteSettings;
  conference?: ConferenceRoute;
}

export interface RoutingTable {
  account: { flow?: string; settings?: RouteSettings; conference?: ConferenceRoute };
  groups: GroupRoute[];
  numbers: NumberRoute[];
}

const FLOW = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'a flow name: 1 to 64 letters, digits, _ . or -' } as const;

export const routeSettingsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    language: { type: 'string', pattern: '^[a-z]{2,3}([_-][A-Za-z0-9]{2,8})?$', description: 'a language code such as en, fr or pt_BR' },
    firstDigitTimeoutSec: { type: 'number', minimum: 1, maximum: 60, description: 'seconds from 1 to 60' },
    interDigitTimeoutSec: { type: 'number', minimum: 1, maximum: 30, description: 'seconds from 1 to 30' },
    ringTimeoutSec: { type: 'integer', minimum: 5, maximum: 300, description: 'whole seconds from 5 to 300' },
  },
} as const;

export const routingTableSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    account: {
      type: 'object',
      additionalProperties: false,
      properties: { flow: FLOW, settings: routeSettingsSchema, conference: conferenceRouteSchema },
      default: {},
    },
    groups: {
      type: 'array',
      maxItems: 1000,
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          name: { type: 'string', pattern: '^[^\\s].{0,63}$', description: 'a group name of 1 to 64 characters' },
          numbers: {
            type: 'array',
            minItems: 1,
            maxItems: 10000,
            items: { type: 'string', pattern: '^\\+?[0-9]{1,32}\\*?$|^\\+?\\*$', description: 'a number (+15550100) or a prefix ending in * (+1555010*)' },
            description: 'at least one number or prefix',
          },
          flow: FLOW,
          settings: routeSettingsSchema,
          conference: conferenceRouteSchema,
        },
        required: ['name', 'numbers'],
      },
    },
    numbers: {
      type: 'array',
      maxItems: 100000,
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          number: { type: 'string', pattern: '^\\+?[0-9*#]{1,32}$', description: 'a dialed number: digits, * and #, with an optional leading +' },
          flow: FLOW,
          settings: routeSettingsSchema,
          conference: conferenceRouteSchema,
        },
        required: ['number'],
      },
    },
  },
  required: ['account', 'groups', 'numbers'],
} as const;

export const routingTable = new Validator<RoutingTable>('routing table', routingTableSchema);

export interface RoutingConfig extends RoutingTable {
  name?: string;
}

export const routingConfig = new Validator<RoutingConfig>('callflow-routing', {
  ...routingTableSchema,
  additionalProperties: true,
  properties: { ...routingTableSchema.properties, name: { type: 'string', maxLength: 100, description: 'a name of at most 100 characters' } },
});
