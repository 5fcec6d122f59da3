/** The callflow-asterisk config node: where ARI is, and which Stasis application this Node-RED serves. */
import { Validator } from './validator';

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
  },
  required: ['app', 'useSimulator', 'idleTimeoutSec', 'maxChannels'],
  if: { properties: { useSimulator: { const: false } } },
  then: { properties: { url: { type: 'string', minLength: 1, description: 'the ARI URL, required unless the built-in simulator is used' } }, required: ['url'] },
});
