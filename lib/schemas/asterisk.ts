/** The callflow-asterisk config node: where ARI is, and which Stasis application this Node-RED serves. */
import { DEFAULT_DIAL_ALLOWLIST, DialAllowlist, dialAllowlistEntryPattern } from '../ari/dialstring';
import { HostAllowlist } from '../net/addresses';
import { Validator, separatedListPattern } from './validator';

export interface AsteriskConfig {
  name?: string;
  /** ARI base URL, http(s)://host:port (a trailing /ari is accepted). */
  url: string;
  /** The Stasis application name the dialplan sends calls to: Stasis(<app>). */
  app: string;
  /** Use the simulated Asterisk built into this package instead of url and credentials. */
  useSimulator: boolean;
  /** Hang up a call that no node has handled for this many seconds (0: never). */
  idleTimeoutSec: number;
  /** Calls this connection may carry at once (the channels licensed or provisioned); campaigns never dial beyond it. */
  maxChannels: number;
  /**
   * Where transfers and campaigns may dial: dial strings in which * stands for one name or number, separated by spaces,
   * commas or new lines (PJSIP/* any endpoint by name, PJSIP/*@trunk any number through the endpoint trunk).
   */
  dialAllowlist: string;
  /** Hosts, *.domains, IP addresses or CIDR ranges media URLs may reach although they are internal addresses. */
  mediaAllowlist: string;
  /** A callflow-store config node that keeps the record of every call that ends on this connection ('' or absent: none). */
  recordStore?: string;
  /** Call records that ended more than this many days ago are deleted (0: no age limit). */
  recordDays?: number;
  /** Only this many of the newest call records of this connection are kept (0: no count limit). */
  recordMax?: number;
}

export const asteriskConfig = new Validator<AsteriskConfig>('callflow-asterisk', {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 100, description: 'a name of at most 100 characters' },
    url: {
      type: 'string',
      maxLength: 2000,
      pattern: '^(https?://[^\\s/@]+(:\\d{1,5})?(/[^\\s]*)?)?$',
      default: '',
      description: 'an http:// or https:// URL of the Asterisk HTTP server, e.g. http://127.0.0.1:8088, without user or password',
    },
    app: {
      type: 'string',
      pattern: '^[A-Za-z0-9_.-]{1,64}$',
      default: 'callflow',
      description: 'a Stasis application name: 1 to 64 letters, digits, _ . or -',
    },
    useSimulator: { type: 'boolean', default: false, description: 'true or false' },
    idleTimeoutSec: { type: 'integer', minimum: 0, maximum: 86400, default: 60, description: 'a whole number of seconds from 0 (never) to 86400' },
    maxChannels: { type: 'integer', minimum: 1, maximum: 100000, default: 100, description: 'a number of channels from 1 to 100000' },
    dialAllowlist: {
      type: 'string',
      maxLength: 4000,
      pattern: separatedListPattern(dialAllowlistEntryPattern()),
      default: DEFAULT_DIAL_ALLOWLIST,
      description: 'dial strings separated by spaces, commas or new lines, * standing for one name or number, e.g. PJSIP/* PJSIP/*@trunk Local/*@outbound',
    },
    mediaAllowlist: {
      type: 'string',
      maxLength: 4000,
      pattern: separatedListPattern('(?:\\*\\.)?[A-Za-z0-9.:_-]{1,253}(?:/[0-9]{1,3})?'),
      default: '',
      description: 'host names, *.domains, IP addresses or CIDR ranges separated by spaces, commas or new lines',
    },
    recordStore: { type: 'string', maxLength: 100, default: '', description: 'a store config node (callflow-store), or empty' },
    recordDays: { type: 'integer', minimum: 0, maximum: 36500, default: 90, description: 'a whole number of days from 0 (no age limit) to 36500' },
    recordMax: { type: 'integer', minimum: 0, maximum: 100000000, default: 1000000, description: 'a whole number of records from 0 (no count limit) to 100000000' },
  },
  required: ['app', 'useSimulator', 'idleTimeoutSec', 'maxChannels', 'dialAllowlist', 'mediaAllowlist'],
  if: { properties: { useSimulator: { const: false } } },
  then: { properties: { url: { type: 'string', minLength: 1, description: 'the ARI URL, required unless the built-in simulator is used' } }, required: ['url'] },
});

/** Problems of a connection's settings the schema cannot see: allowlist entries that are not what they should be. */
export function asteriskProblems(config: AsteriskConfig): string[] {
  const problems = new DialAllowlist(config.dialAllowlist).invalid.map((why) => `dialAllowlist: the entry ${why}`);
  for (const bad of new HostAllowlist(config.mediaAllowlist.split(/[\s,]+/).filter((e) => e !== '')).invalid) {
    problems.push(`mediaAllowlist: the entry ${JSON.stringify(bad)} is not a host name, *.domain, IP address or CIDR range`);
  }
  return problems;
}
