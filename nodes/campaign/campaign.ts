/**
 * callflow-campaign: one outbound call task (the specification's "outbound
 * call task"): its settings, checked by one schema (lib/schemas/campaign.ts),
 * and the task's dialer (lib/campaign/dialer.ts), which this config node
 * owns as callflow-asterisk owns its connection. The stage nodes
 * (contacts, dialer, report) use it; it pushes the task's state to them.
 */
import type { Logger } from '../../lib/log';
import { mediaSettingsFrom, type MediaSettings, type MediaTelephony } from '../../lib/media/path';
import { parseDialTemplate } from '../../lib/ari/dialstring';
import { CallbackSender, checkCallbackUrl } from '../../lib/campaign/callback';
import { callbackSetup, readCallbackSecrets, redactUrlSecrets, type CallbackSecrets } from '../../lib/campaign/callback-secrets';
import { systemClock, type Clock } from '../../lib/campaign/clock';
import { coordinator } from '../../lib/campaign/coordinator';
import { Dialer, type DialerHooks, type DialerStatus } from '../../lib/campaign/dialer';
import { dialJournal } from '../../lib/campaign/dial-journal';
import type { Trunk } from '../../lib/campaign/trunks';
import { taskFlowProblem } from '../../lib/campaign/task-type';
import type { FlowNode } from '../../lib/releases/nodes';
import { checkCampaign, trunkSettings, type CampaignSettings } from '../../lib/schemas/campaign';
import { taskTypeOf } from '../../lib/schemas/campaign-answered';
import type { Store } from '../../lib/store/port';
import type { AsteriskConfigNode } from '../asterisk/config';
import type { RoutingConfigNode } from '../routing/config';
import { registerCampaignApi } from '../admin/campaigns';
import { addCampaign, removeCampaign } from '../deployed/campaigns';
import { releaseDialer, takeOverDialer } from '../deployed/dialers';
import { dialerWorker } from '../deployed/instance';
import { translator } from '../red/i18n';
import { nodeLogger } from '../red/logger';
import { registerCallRecordingsApi } from '../admin/call-recordings';
import type { Node, NodeAPI, NodeDef } from '../red/api';
import type { StoreConfigNode } from '../store/config';
import type { CampaignConfigNode, DialerOutputs } from './config';

/** How long a request waits for the store or the connection before it is answered with the reason. */
const WAIT_MS = 5000;
/** How long after a failed start (the store or the connection not there) the task's dialer is tried again. */
const START_RETRY_MS = 10_000;

export = function register(RED: NodeAPI): void {
  const t = translator(RED, __dirname, 'campaign');
  registerCampaignApi(RED);
  registerCallRecordingsApi(RED);

  function CampaignNode(this: CampaignConfigNode, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this as CampaignConfigNode & { settings: CampaignSettings | undefined; problems: string[]; warnings: string[] };
    const outputs = new Set<DialerOutputs>();
    const listeners = new Set<(s: DialerStatus) => void>();
    const log = nodeLogger(node);
    let last: DialerStatus | undefined;
    let dialerPromise: Promise<Dialer> | undefined;
    let dialer: Dialer | undefined;
    let dialerKey = '';
    const retries = new Set<NodeJS.Timeout>();
    let callback: CallbackSender | undefined;
    let closed = false;
    // Tests run a task on a manual clock (settings.callflowClock); everyone else on the system clock.
    const clock = (RED.settings.callflowClock as Clock | undefined) ?? systemClock;

    const check = checkCampaign(def);
    // The callback's secrets are credentials; a URL that still holds one (a flow saved before) has it moved aside here.
    const callbackParts = check.ok ? callbackSetup(check.value.callbackUrl, readCallbackSecrets(node.credentials)) : undefined;
    const secrets: CallbackSecrets = callbackParts?.secrets ?? {};
    // The settings never hold a secret: they go to the task document in the store, templates and the dialer's key.
    node.settings = check.ok && callbackParts ? { ...check.value, callbackUrl: callbackParts.url } : undefined;
    // A problem may quote the URL: its secrets are masked.
    node.problems = (check.ok ? [...(callbackParts?.problems ?? [])] : check.problems).map(redactUrlSecrets);
    node.warnings = callbackParts && callbackParts.inUrl.length > 0 ? [t('callflow-campaign.errors.url-secret', { parts: callbackParts.inUrl.join(', ') })] : [];
    if (node.settings?.callbackUrl && node.problems.length === 0) {
      const refused = checkCallbackUrl(node.settings.callbackUrl, node.settings.callbackAllowlist);
      if (refused) node.problems = [`callbackUrl: ${refused}`];
    }
    // Calls at a time "cannot exceed" the channels (the specification): more than the connections' limits together is refused.
    let limit: number | undefined;
    if (node.settings && node.problems.length === 0) {
      for (const trunk of trunkSettings(node.settings)) {
        const max = (RED.nodes.getNode(trunk.connection) as AsteriskConfigNode | null)?.engine?.maxChannels;
        if (max === undefined) {
          // A connection of the trunk group that is not deployed (or not valid): said now, not at the first call.
          if (trunk.connection !== node.settings.connection) node.problems.push(t('callflow-campaign.errors.no-trunk', { id: trunk.connection }));
          limit = undefined;
          break;
        }
        limit = (limit ?? 0) + (trunk.maxCalls > 0 ? Math.min(trunk.maxCalls, max) : max);
      }
    }
    if (node.settings && limit !== undefined && node.settings.callsAtATime > limit) {
      node.problems.push(t('callflow-campaign.errors.over-limit', { calls: node.settings.callsAtATime, limit }));
    }
    // The questionnaire the task names must be deployed (Node-RED starts a config node after those it names).
    if (node.settings && (node.settings.questionnaire ?? 'none') !== 'none' && node.settings.questions) {
      const questions = RED.nodes.getNode(node.settings.questions);
      if (questions?.type !== 'callflow-questions') node.problems.push(t('callflow-campaign.errors.no-questions', { id: node.settings.questions, mode: node.settings.questionnaire }));
    }
    if (node.problems.length > 0) node.error(t('callflow.errors.invalid-config', { problems: node.problems.join('; ') }));
    for (const warning of node.warnings) node.warn(warning);
    const settings = node.problems.length === 0 ? node.settings : undefined;
    if (settings) addCampaign(node);

    const storeNode = settings ? (RED.nodes.getNode(settings.store) as StoreConfigNode | null) : null;
    const asterisk = settings ? (RED.nodes.getNode(settings.connection) as AsteriskConfigNode | null) : null;

    node.store = (waitMs = WAIT_MS): Promise<Store> => {
      if (!settings) return Promise.reject(new Error(t('callflow-campaign.errors.invalid', { problems: node.problems.join('; ') })));
      const connection = storeNode?.connection;
      if (!connection) return Promise.reject(new Error(t('callflow-campaign.errors.no-store')));
      return connection.available(waitMs);
    };

    const callerNumbers = (s: CampaignSettings): string[] => {
      if (s.callerNumbers.length > 0) return s.callerNumbers;
      const routing = RED.nodes.getNode(s.routing) as RoutingConfigNode | null;
      const group = routing?.table?.groups.find((g) => g.name === s.callerGroup);
      if (!group) throw new Error(t('callflow-campaign.errors.no-group', { group: s.callerGroup }));
      // A group may list prefixes (+1555010*) for routing; only whole numbers can be caller ids.
      const numbers = group.numbers.filter((n) => !n.endsWith('*'));
      if (numbers.length === 0) throw new Error(t('callflow-campaign.errors.empty-group', { group: s.callerGroup }));
      return numbers;
    };

    const open = async (): Promise<Dialer> => {
      if (!settings) throw new Error(t('callflow-campaign.errors.invalid', { problems: node.problems.join('; ') }));
      const engine = asterisk?.engine;
      if (!engine) throw new Error(t('callflow-campaign.errors.no-connection'));
      // The trunk group: the task's connection first, then the others as listed.
      const group = trunkSettings(settings).sort((a, b) => (a.connection === settings.connection ? -1 : b.connection === settings.connection ? 1 : 0));
      const engines = group.map((g) => {
        const e = (RED.nodes.getNode(g.connection) as AsteriskConfigNode | null)?.engine;
        if (!e) throw new Error(t('callflow-campaign.errors.no-trunk', { id: g.connection }));
        return e;
      });
      // A dial string a connection would refuse for every number: say so now, rather than fail every contact.
      const template = parseDialTemplate(settings.dialString, 'dial-string');
      for (const e of engines) {
        if (typeof template === 'string' || !e.destinations.mayAllow(template)) {
          throw new Error(t('callflow-campaign.errors.not-allowed', { dialString: settings.dialString, allowlist: e.destinations.toString() || '-' }));
        }
      }
      const store = await node.store(WAIT_MS);
      await Promise.all(engines.map((e) => e.start()));
      if (settings.callbackUrl) callback = new CallbackSender({ url: settings.callbackUrl, secrets, allowlist: settings.callbackAllowlist, logger: log });
      const hooks: DialerHooks = {
        answered: (call) => {
          // After a redeploy, a call already walking the flow stays where it is.
          if (call.resumed && call.session.trace.length > 0) return;
          // The call's own connection routes it and hangs it up (a trunk group has several).
          const own = engines.find((e) => e.id === call.session.connection) ?? engine;
          if (settings.flow) {
            own.routeOutbound(call.session, settings.flow);
            return;
          }
          const first = [...outputs][0];
          if (!first) {
            node.warn(t('callflow-campaign.errors.no-dialer', { call: call.session.id }));
            own.calls.hangup(call.session, 'normal', 'system', `no-dialer: callflow-campaign ${node.id}`).catch(() => undefined);
            return;
          }
          first.answered(call.session, call);
        },
        finalFailure: (f) => {
          for (const o of outputs) o.finalFailure(f);
        },
        finished: (c) => {
          for (const o of outputs) o.finished(c);
        },
        status: (s) => {
          last = s;
          for (const l of listeners) l(s);
        },
      };
      // The store node's database is part of it: a dialer is not handed to a store that does not hold its calls.
      const key = JSON.stringify({ settings, engine: engine.id, engines: engines.map((e) => e.id), store: storeNode?.connection?.where });
      const previous = takeOverDialer(node.id, key);
      if (previous && !previous.runsOn(engines.map((e) => e.telephony))) void previous.close();
      else if (previous) {
        // A redeploy that left the task as it was: the running dialer, with its calls in flight, carries on.
        previous.rebind({ store, hooks, ...(callback ? { callback } : {}), log });
        dialerKey = key;
        dialer = previous;
        return previous;
      }
      const made = new Dialer({
        campaignId: node.id,
        // One per Node-RED instance, the same after a restart (nodes/deployed/instance.ts).
        worker: dialerWorker(RED.settings.userDir, node.id),
        // The calls sent and not yet marked dialed, in the user directory: a restart tells a call dialed just before a
        // crash from one never dialed. No user directory (an embedded runtime): none.
        ...(RED.settings.userDir ? { journal: dialJournal(RED.settings.userDir, (m) => RED.log.warn(m)) } : {}),
        settings,
        store,
        telephony: engine.telephony,
        calls: engine.calls,
        connectionId: engine.id,
        pool: { limit: engine.maxChannels, inUse: () => engine.callCount },
        trunks: group.map((g, i): Trunk => {
          const e = engines[i] as typeof engine;
          return {
            id: e.id,
            name: (RED.nodes.getNode(e.id) as AsteriskConfigNode | null)?.name || e.id,
            telephony: e.telephony,
            calls: e.calls,
            pool: { limit: e.maxChannels, inUse: () => e.callCount },
            maxCalls: g.maxCalls,
            weight: g.weight,
            callerNumbers: g.callerNumbers,
            destinations: e.destinations,
          };
        }),
        coordinator,
        clock,
        callerNumbers: callerNumbers(settings),
        ...(callback ? { callback } : {}),
        log,
        destinations: engine.destinations,
        // Answering-machine detection (settings.amd) takes the call's audio where settings.js callflowMedia says.
        ...mediaOption(engine.telephony, RED.settings.callflowMedia, log),
        // Task priority is kept among the tasks of one store; start and resume need the IVR flow there to take calls.
        scope: settings.store,
        // Every connection of the trunk group must have the flow (its entry's Also from list): each answers its own calls.
        // A robot task's flow must hold a robot (lib/campaign/task-type.ts), the flow its dialer node feeds included.
        ...(settings.flow || taskTypeOf(settings) === 'robot'
          ? {
              flowCheck: () =>
                (settings.flow ? engines.map((e) => e.flowRefusal(settings.flow)).find((why) => why !== undefined) : undefined) ??
                taskFlowProblem(deployedNodes(RED), { campaign: node.id, taskType: taskTypeOf(settings), flow: settings.flow }),
            }
          : {}),
        // Once one connection is up: calls in flight on one still down are asked about again until it answers.
        whenConnected: () =>
          new Promise<void>((resolve) => {
            const offs = engines.map((e) =>
              e.onStatus((s) => {
                if (s.state !== 'connected' && s.state !== 'closed') return;
                queueMicrotask(() => {
                  for (const off of offs) off();
                });
                resolve();
              }),
            );
          }),
        hooks,
      });
      dialerKey = key;
      dialer = made;
      const note = await made.start();
      if (note) node.warn(t('callflow-campaign.errors.not-applied', { note }));
      return made;
    };

    node.dialer = (waitMs = WAIT_MS): Promise<Dialer> => {
      if (!dialerPromise) {
        dialerPromise = open();
        // A failed start (store down at deploy) is tried again by the next request.
        dialerPromise.catch((err: unknown) => {
          dialerPromise = undefined;
          if (closed) return;
          log.warn(t('callflow-campaign.errors.start-failed', { message: (err as Error).message }));
          // A task that was running must not wait for someone to ask: try again (the store may be back).
          const retry = setTimeout(() => void node.dialer(60_000).catch(() => undefined), START_RETRY_MS);
          retry.unref();
          retries.add(retry);
        });
      }
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(t('callflow-campaign.errors.not-ready', { seconds: waitMs / 1000 }))), waitMs);
        timer.unref();
      });
      return Promise.race([dialerPromise, timeout]).finally(() => clearTimeout(timer));
    };

    node.attach = (o: DialerOutputs): (() => void) => {
      outputs.add(o);
      return () => outputs.delete(o);
    };

    node.onStatus = (listener: (s: DialerStatus) => void): (() => void) => {
      listeners.add(listener);
      if (last) listener(last);
      return () => listeners.delete(listener);
    };

    // The task resumes at deploy when it was running (a restart of Node-RED included).
    if (settings) {
      node.dialer(60_000).catch(() => undefined);
    }

    node.on('close', (removed: boolean, done: () => void) => {
      closed = true;
      removeCampaign(node);
      listeners.clear();
      outputs.clear();
      for (const r of retries) clearTimeout(r);
      const closing = async (): Promise<void> => {
        // A start still under way finishes first, so that no dialer is left running without its node.
        await dialerPromise?.catch(() => undefined);
        if (dialer) await releaseDialer(node.id, dialer, dialerKey, removed);
        await callback?.close();
      };
      closing().then(
        () => done(),
        () => done(),
      );
    });
  }

  RED.nodes.registerType('callflow-campaign', CampaignNode as unknown as (this: Node, def: NodeDef) => void, {
    // What the callback's receiver checks: never in flows.json, GET /flows, the store or a template.
    credentials: { callbackAuthorization: { type: 'password' }, callbackQuery: { type: 'password' } },
  });
};

/** The dialer's media path for answering-machine detection; none (with a warning) when callflowMedia is invalid. */
function mediaOption(telephony: MediaTelephony, value: unknown, log: Logger): { media?: { telephony: MediaTelephony; settings: MediaSettings } } {
  const m = mediaSettingsFrom(value);
  if (m.ok) return { media: { telephony, settings: m.settings } };
  log.warn(`answering-machine detection has no media path: ${m.error}`);
  return {};
}

/** The deployed nodes (tabs and subflows included), as flows.json holds them. */
function deployedNodes(RED: NodeAPI): FlowNode[] {
  const all: FlowNode[] = [];
  RED.nodes.eachNode((def) => all.push(def));
  return all;
}
