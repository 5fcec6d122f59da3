/**
 * callflow-http-ivr: hands the call to an application server (docs/http-ivr.md). The node asks the application's URL
 * what to do, runs the command set it answers (lib/http-ivr), and asks again where the set says, until a `return`
 * command gives the call back to the flow (the output of that name), the application ends the call or hands it off,
 * or it cannot be reached (the node's "on error": the error output with the reason in msg.payload, or hang up).
 */
import { dialDestination, DialStringError } from '../../lib/ari/dialstring';
import type { CallSession } from '../../lib/call/session';
import { chooseCallFlow } from '../../lib/conference/callflows';
import { joinConference } from '../../lib/conference/conference';
import type { ConferenceCommand, Jump, TransferCommand } from '../../lib/http-ivr/commands';
import { CommandSetError } from '../../lib/http-ivr/commands';
import { Conversation, ConversationError, type ConversationPorts } from '../../lib/http-ivr/conversation';
import { compileCommandSetSchemas, parseCommandSet } from '../../lib/http-ivr/parse';
import { Application, ApplicationError, applicationProblems, type ApplicationOptions } from '../../lib/http-ivr/requests';
import { numberEndpoint, transferToEndpoint, transferToQueue } from '../../lib/ivr/transfer';
import { headerValues, httpIvrConfig, type HttpIvrConfig } from '../../lib/schemas/http-ivr-node';
import type { MeetingRecord } from '../../lib/schemas/store';
import type { Engine } from '../deployed/engine';
import { httpIvrResults } from '../../lib/flow-test/results';
import { defineElement } from '../element/element';
import { toFlow } from '../element/to-flow';
import type { MeetingsConfigNode } from '../meetings/config';
import type { Node, NodeAPI } from '../red/api';

/** What went wrong, for msg.payload on the error output: a word to switch on, and the sentence. */
class HttpIvrFailure extends Error {
  constructor(
    message: string,
    readonly payload: { reason: string; message: string; url?: string },
  ) {
    super(message);
    this.name = 'HttpIvrFailure';
  }
}

interface Credentials {
  secret?: string;
  /** JSON text: the value of each header, in the order of the settings' headers (values are secrets: API keys). */
  headerValues?: string;
}

/**
 * Each header with its value: from the credentials, else (a flow saved before values moved there) from the settings.
 * Throws naming the credential, never a value.
 */
function headersOf(config: HttpIvrConfig, credentials: Credentials): Record<string, string> {
  let values: string[] = [];
  if (credentials.headerValues !== undefined && credentials.headerValues !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(credentials.headerValues);
    } catch {
      parsed = undefined;
    }
    const checked = headerValues.check(parsed);
    if (!checked.ok) throw new RangeError('HTTP IVR application settings: the header values kept in the credentials are not a list of one-line texts (edit the headers again)');
    values = checked.value;
  }
  return Object.fromEntries(config.headers.map((h, i) => [h.name, values[i] ?? h.value ?? '']));
}

/**
 * The address of this Node-RED's http in nodes, for an application URL written as /path: the address its server
 * listens on (loopback when it listens on every address), its port, and httpNodeRoot; https when Node-RED serves https.
 */
function selfAddress(RED: NodeAPI): { base: string; host: string } {
  const address = (RED as unknown as { server?: { address(): unknown } }).server?.address();
  const bound = address && typeof address === 'object' ? (address as { address?: unknown; port?: unknown }) : {};
  const port = typeof bound.port === 'number' ? bound.port : Number(RED.settings.uiPort ?? 1880);
  const listening = typeof bound.address === 'string' ? bound.address : '';
  const host = listening === '' || listening === '0.0.0.0' || listening === '::' ? '127.0.0.1' : listening;
  const setting = (RED.settings as { httpNodeRoot?: unknown }).httpNodeRoot;
  const root = (typeof setting === 'string' ? setting : '/').replace(/\/+$/, '');
  const scheme = (RED.settings as { https?: unknown }).https ? 'https' : 'http';
  return { base: `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${root}`, host };
}

/** The seed platform's request: a function path after the application's address (absolute URLs as they are). */
function functionUrl(base: string, path: string): string {
  if (path === '' || /^https?:\/\//i.test(path)) return path;
  const [rest = '', query] = path.split(/\?(.*)/s, 2);
  const joined = `${base.replace(/\/+$/, '')}/${rest.replace(/^\/+/, '')}`;
  return query === undefined ? joined : `${joined}?${query}`;
}

/**
 * Why an address written /path cannot be the application's: the application may reach every URL under it (`within`),
 * so it must not be this Node-RED's root, nor hold (or sit in) its admin API (httpAdminRoot), once dot segments are
 * resolved ("/a/.." is "/").
 */
function selfPathProblems(RED: NodeAPI, config: HttpIvrConfig): string[] {
  const settings = RED.settings as { httpNodeRoot?: unknown; httpAdminRoot?: unknown };
  const root = (typeof settings.httpNodeRoot === 'string' ? settings.httpNodeRoot : '/').replace(/\/+$/, '');
  const admin = settings.httpAdminRoot === false ? undefined : `${(typeof settings.httpAdminRoot === 'string' ? settings.httpAdminRoot : '/').replace(/\/+$/, '')}/`;
  const problems: string[] = [];
  for (const [field, text] of [['url', config.url], ['fallbackUrl', config.fallbackUrl]] as const) {
    if (!text.startsWith('/')) continue;
    const path = new URL(`${root}${text}`, 'http://node-red.invalid').pathname;
    const under = path.endsWith('/') ? path : `${path}/`;
    if (under === '/') problems.push(`${field} ${JSON.stringify(text.slice(0, 80))} is the root of this Node-RED: the application could reach every path of it; give it a path of its own, such as /ivr-app`);
    else if (admin !== undefined && (admin.startsWith(under) || (admin !== '/' && under.startsWith(admin)))) {
      problems.push(`${field} ${JSON.stringify(text.slice(0, 80))} holds or sits in this Node-RED's admin API (${admin}): give the application a path of its own`);
    }
  }
  return problems;
}

function failureOf(err: unknown): HttpIvrFailure | undefined {
  if (err instanceof ApplicationError) return new HttpIvrFailure(err.message, { reason: err.reason, message: err.message });
  if (err instanceof CommandSetError) return new HttpIvrFailure(err.message, { reason: `command-set: ${err.rule}`, message: err.message });
  if (err instanceof ConversationError) return new HttpIvrFailure(err.message, { reason: err.reason, message: err.message });
  if (err instanceof DialStringError) return new HttpIvrFailure(err.message, { reason: 'dial-string', message: err.message });
  return undefined;
}

export = function register(RED: NodeAPI): void {
  // Once, when Node-RED loads the node, rather than on a call's first answer (ajv takes a few hundred ms for them).
  compileCommandSetSchemas();
  /** One Application per node instance, made at the first call (the address of this Node-RED is known by then). */
  const applications = new WeakMap<Node, { app: Application; base: string }>();

  /** The Application's settings; `self` is the address of this Node-RED's http in nodes (for a /path URL). */
  function optionsFor(config: HttpIvrConfig, self: { base: string; host: string }, credentials: Credentials): ApplicationOptions {
    const secret = credentials.secret;
    const local = config.url.startsWith('/');
    const base = local ? `${self.base}${config.url}` : config.url;
    const fallback = config.fallbackUrl.startsWith('/') ? `${self.base}${config.fallbackUrl}` : config.fallbackUrl;
    return {
      baseUrl: base,
      method: config.method,
      encoding: config.encoding,
      mode: config.mode,
      headers: headersOf(config, credentials),
      timeoutMs: Math.round(config.timeoutSec * 1000),
      retries: config.retries,
      ...(fallback ? { fallbackUrl: fallback } : {}),
      ...(secret ? { secret } : {}),
      // This Node-RED's own http in nodes: its loopback address, and nothing outside the application's path.
      allowlist: local ? [...config.allowlist, self.host] : config.allowlist,
      ...(local ? { within: base } : {}),
    };
  }

  /** One Application per node instance, made at the first call (the address of this Node-RED is known by then). */
  function applicationOf(node: Node, config: HttpIvrConfig): { app: Application; base: string } {
    const made = applications.get(node);
    if (made) return made;
    const credentials = ((node as Node & { credentials?: Credentials }).credentials ?? {}) as Credentials;
    const options = optionsFor(config, selfAddress(RED), credentials);
    const result = { app: new Application(options), base: options.baseUrl };
    applications.set(node, result);
    return result;
  }

  async function transfer(engine: Engine, config: HttpIvrConfig, session: CallSession, command: TransferCommand, signal: AbortSignal) {
    const ringTimeoutSec = command.ringTimeoutSec ?? session.settings.ringTimeoutSec ?? 30;
    const callerId = command.callerId ? { callerId: command.callerId } : {};
    if (command.endpoint !== undefined) {
      // The application's value is one destination with no placeholders, allowed by the connection's dial allowlist.
      const endpoint = dialDestination(command.endpoint, 'endpoint', () => undefined, engine.destinations, 'endpoint');
      return transferToEndpoint(engine.telephony, engine.calls, session, { endpoint, ringTimeoutSec, ...callerId }, signal);
    }
    if (command.number !== undefined) {
      const endpoint = numberEndpoint(config.dialString, command.number, engine.destinations);
      return transferToEndpoint(engine.telephony, engine.calls, session, { endpoint, ringTimeoutSec, ...callerId }, signal);
    }
    if (command.queue !== undefined) {
      return transferToQueue(engine.telephony, session, { queue: command.queue, queueContext: config.queueContext }, signal);
    }
    return { outcome: 'flow' as const, flow: command.flow ?? '' };
  }

  defineElement(RED, {
    type: 'callflow-http-ivr',
    element: 'http-ivr',
    dir: __dirname,
    validator: httpIvrConfig,
    outputs: (config) => config.returns.length,
    results: (config) => httpIvrResults(config.returns),
    // Header values are API keys as often as not: kept with the secret, out of the flow (shown in the form: 'text').
    credentials: { secret: { type: 'password' }, headerValues: { type: 'text' } },
    // At deploy: a /path that is this Node-RED's root or admin API, and what the requests would refuse (a host not on
    // the allowlist, an empty allowlist...), named by the form's fields.
    check: (config) => [
      ...selfPathProblems(RED, config),
      ...applicationProblems(optionsFor(config, { base: 'http://127.0.0.1:1880', host: '127.0.0.1' }, {})).map((p) => p.replace(/^baseUrl\b/, 'url')),
    ],
    async run({ config, t, engine, session, signal, node, traceOutcome }) {
      const { app, base } = applicationOf(node, config);
      const meetings = config.meetings ? (RED.nodes.getNode(config.meetings) as MeetingsConfigNode | null) : null;
      const conference = meetings
        ? async (s: CallSession, command: ConferenceCommand, sig: AbortSignal) => {
            if (!meetings.rooms) throw new Error(t('callflow-http-ivr.errors.invalid-meetings', { problems: meetings.problems.join('; ') }));
            const choice = chooseCallFlow(engine.router.conference(s.dialed), { callFlow: command.callflow ?? config.callFlow }, undefined, s.dialed);
            if ('dropped' in choice) throw new ConversationError(choice.dropped, 'no-meeting-rooms');
            const store = meetings.store;
            const save = store ? (record: MeetingRecord) => store.ready().then((st) => st.saveMeetingRecord(record)) : undefined;
            return joinConference(engine.telephony, engine.meetings, meetings.rooms, s, { callFlow: choice.callFlow, levels: choice.levels, room: command.room ?? '', ...(save ? { save } : {}) }, sig);
          }
        : undefined;
      const ports: ConversationPorts = {
        telephony: engine.telephony,
        registry: engine.calls,
        fetch: (target: Jump | undefined, current, facts, event, sig) => {
          // The callflow form names a function path under the application's address ('' the current URL); TwiML resolves URLs as a browser does.
          const absolute = target && config.mode === 'callflow' ? { ...target, url: functionUrl(base, target.url) } : target;
          return app.request(absolute, current, facts, event, sig);
        },
        parse: (doc) => parseCommandSet(doc.contentType, doc.body, config.mode, config.sipEndpoint ? { sipEndpoint: config.sipEndpoint } : {}),
        transfer: (s, command, sig) => transfer(engine, config, s, command, sig),
        ...(conference ? { conference } : {}),
        outputs: config.returns,
        language: config.language,
        maxRequests: config.maxRequests,
        maxIdleRounds: 10,
        ending: traceOutcome,
      };
      let result;
      try {
        result = await new Conversation(ports, session, signal).run();
      } catch (err) {
        if (signal.aborted) throw err;
        throw failureOf(err) ?? err;
      }
      switch (result.outcome) {
        case 'return':
          return { output: result.output, outcome: `return ${result.name}`, payload: result.payload ?? { outcome: 'return', output: result.name, requests: result.requests } };
        case 'ended':
          return { output: null, outcome: result.how };
        case 'handed-off':
          return { output: null, outcome: result.transfer.outcome, handedOff: true };
        case 'flow': {
          const outcome = toFlow(engine, session, result.flow, -1);
          if (outcome.output === -1) throw new HttpIvrFailure(`transfer to flow ${JSON.stringify(result.flow)}: it is not deployed on this connection`, { reason: 'no-such-flow', message: `flow ${JSON.stringify(result.flow)} is not deployed on this connection` });
          return outcome;
        }
      }
    },
  });
};
