/**
 * The callflow-http-ivr node's settings (docs/http-ivr.md). The command sets
 * an application answers have their own schema (http-ivr.ts).
 */
import { dialTemplateSchema } from '../ari/dialstring';
import { CALL_FLOWS, type CallFlowName } from './conference';
import { onError, type OnError } from './elements';
import { Validator } from './validator';

/**
 * A header the node adds to every request; never one the node writes itself. Its value (an API key, often) is kept in
 * the node's credentials (headerValues), not in the flow; a `value` here is what flows saved before that still hold.
 */
export interface HttpIvrHeader {
  name: string;
  value?: string;
}

export interface HttpIvrConfig {
  name?: string;
  /** The application's address: http(s)://host/path, or /path for an http in node of this Node-RED. */
  url: string;
  method: 'POST' | 'GET';
  /** How a POST body is written. */
  encoding: 'json' | 'form';
  /** The command sets' form: callflow (JSON or XML) or TwiML. */
  mode: 'callflow' | 'twiml';
  headers: HttpIvrHeader[];
  timeoutSec: number;
  retries: number;
  /** Asked once when the application cannot be reached after the retries ('' none). */
  fallbackUrl: string;
  /** Hosts the node may request (names, *.domains, IP addresses, CIDR ranges); internal addresses need an IP or CIDR entry. */
  allowlist: string[];
  /** Names of the outputs a `return` command may choose. */
  returns: string[];
  /** How a transfer to a number is dialed. */
  dialString: string;
  /** The dialplan context whose extensions run Queue(). */
  queueContext: string;
  /** TwiML: the PJSIP endpoint <Sip> URIs are dialed through ('' refuses <Sip>). */
  sipEndpoint: string;
  /** A callflow-meetings config node for the conference command ('' none). */
  meetings: string;
  /** The conference call flow when the command names none ('' the routing table's). */
  callFlow: '' | CallFlowName;
  language: string;
  /** Requests per call at most. */
  maxRequests: number;
  onError: OnError;
}

/** Header names the node writes itself (or that would change the request's framing or its signature). */
/** A header's value: in the credentials (headerValues) now, in the flow in flows saved before. */
export const HEADER_VALUE_SCHEMA = { type: 'string', maxLength: 1000, pattern: '^[^\\u0000-\\u0008\\u000a-\\u001f\\u007f]*$', description: 'a header value of at most 1000 characters, without line breaks or control characters' };

/** The credential headerValues: JSON text, the value of each header in the order of `headers`. */
export const headerValues = new Validator<string[]>('callflow-http-ivr headerValues', { type: 'array', maxItems: 20, items: HEADER_VALUE_SCHEMA });

export const RESERVED_HEADERS = ['host', 'content-length', 'content-type', 'transfer-encoding', 'connection', 'x-callflow-signature', 'x-twilio-signature', 'user-agent'];

/** An http(s) URL, or a path of this Node-RED with a name of its own: "/" alone would be the whole of it (its admin API too). */
const URL_PATTERN = '^(https?://[^\\s]{1,2000}|/[^\\s/?#][^\\s]{0,1999})$';

export const httpIvrConfig = new Validator<HttpIvrConfig>('callflow-http-ivr', {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 100, description: 'a name of at most 100 characters' },
    url: { type: 'string', minLength: 1, maxLength: 2000, pattern: URL_PATTERN, description: 'an http:// or https:// URL, or a /path of this Node-RED (not / alone)' },
    method: { type: 'string', enum: ['POST', 'GET'], default: 'POST', description: 'POST or GET' },
    encoding: { type: 'string', enum: ['json', 'form'], default: 'json', description: 'json or form' },
    mode: { type: 'string', enum: ['callflow', 'twiml'], default: 'callflow', description: 'callflow (JSON or XML command sets) or twiml' },
    headers: {
      type: 'array',
      maxItems: 20,
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          // A token (RFC 9110), so a name cannot carry a CR or LF into the request.
          name: { type: 'string', pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$", not: { enum: RESERVED_HEADERS }, description: 'a header name (letters, digits, - and the other token characters), not one the node writes itself' },
          value: HEADER_VALUE_SCHEMA,
        },
      },
      description: 'at most 20 headers',
    },
    timeoutSec: { type: 'number', minimum: 1, maximum: 60, default: 5, description: 'seconds from 1 to 60' },
    retries: { type: 'integer', minimum: 0, maximum: 5, default: 1, description: 'a whole number from 0 to 5' },
    fallbackUrl: { type: 'string', maxLength: 2000, pattern: `^$|${URL_PATTERN}`, default: '', description: 'an http:// or https:// URL, a /path of this Node-RED (not / alone), or empty' },
    allowlist: {
      type: 'array',
      maxItems: 100,
      items: { type: 'string', pattern: '^(\\*\\.)?[A-Za-z0-9.:_-]{1,253}(/[0-9]{1,3})?$', description: 'a host name, *.domain, IP address or CIDR range' },
      default: [],
      description: 'at most 100 hosts or ranges',
    },
    returns: {
      type: 'array',
      maxItems: 18,
      uniqueItems: true,
      items: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'an output name: 1 to 64 letters, digits, _ . or -' },
      default: [],
      description: 'at most 18 distinct output names',
    },
    dialString: dialTemplateSchema('dial-string', { default: 'PJSIP/{number}@trunk', description: 'a dial string with {number} in it, of one destination, e.g. PJSIP/{number}@trunk' }),
    queueContext: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,80}$', default: 'callflow-queues', description: 'the dialplan context whose extensions run Queue()' },
    sipEndpoint: { type: 'string', pattern: '^([A-Za-z0-9_.-]{1,64})?$', default: '', description: 'a PJSIP endpoint name (TwiML <Sip> is dialed through it), or empty' },
    meetings: { type: 'string', maxLength: 100, default: '', description: 'a meetings config node (callflow-meetings), or empty' },
    callFlow: { type: 'string', enum: ['', ...CALL_FLOWS], default: '', description: '"" (the routing table decides), open, secured, direct_host or direct_participant' },
    language: { type: 'string', pattern: '^([a-z]{2,3}([_-][A-Za-z0-9]{2,8})?)?$', default: '', description: "a language code such as en, fr or pt_BR (empty: the call's language)" },
    maxRequests: { type: 'integer', minimum: 1, maximum: 1000, default: 100, description: 'a whole number from 1 to 1000' },
    onError,
    outputs: { type: 'integer', minimum: 0, maximum: 20, description: 'the number of outputs' },
  },
  required: ['url', 'method', 'encoding', 'mode', 'headers', 'timeoutSec', 'retries', 'fallbackUrl', 'allowlist', 'returns', 'dialString', 'queueContext', 'sipEndpoint', 'meetings', 'callFlow', 'language', 'maxRequests', 'onError'],
});
