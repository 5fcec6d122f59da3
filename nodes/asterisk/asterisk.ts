/**
 * callflow-asterisk: the connection to one Asterisk (ARI) for one Stasis
 * application, shared by every node that uses it. Nodes register with it
 * as MQTT nodes do with their broker; it pushes the connection state to all
 * of them as their status. The username and password are Node-RED
 * credentials: never in the flow file, never in a log line.
 */
import type { Engine } from '../deployed/engine';
import { claimEngine, releaseEngine } from '../deployed/engine';
import type { RoutingConfigNode } from '../routing/config';
import type { StoreConfigNode } from '../store/config';
import type { AsteriskConfigNode } from './config';
import { registerAdminApi } from '../admin/connections';
import { registerRecordsApi } from '../admin/records';
import { nodeLogger } from '../red/logger';
import { translator } from '../red/i18n';
import { instanceId } from '../deployed/instance';
import type { Node, NodeAPI, NodeDef, NodeStatus } from '../red/api';
import { CONNECTION_STATUS, INVALID_CONFIG } from '../red/status';
import { asteriskConfig, asteriskProblems } from '../../lib/schemas/asterisk';

export = function register(RED: NodeAPI): void {
  const t = translator(RED, __dirname, 'asterisk');
  registerAdminApi(RED);
  registerRecordsApi(RED);

  function AsteriskNode(this: AsteriskConfigNode, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this as AsteriskConfigNode & { engine: Engine | undefined };
    const users = new Set<Node>();
    const form = asteriskConfig.checkForm(def);
    const extra = form.ok ? asteriskProblems(form.value) : [];
    const check: typeof form = extra.length > 0 ? { ok: false, problems: extra } : form;
    let current: NodeStatus = INVALID_CONFIG;
    let offStatus: (() => void) | undefined;
    node.engine = undefined;

    if (!check.ok) {
      node.error(t('callflow.errors.invalid-config', { problems: check.problems.join('; ') }));
    } else {
      const creds = node.credentials ?? {};
      const instance = instanceId(RED.settings.userDir, node.id);
      // The flow-test command's runtime makes no connection at all (nodes/flow-test/runtime.ts).
      const offline = RED.settings.callflowFlowTestOnly === true ? { offline: true } : {};
      const engine = claimEngine(node.id, { config: check.value, username: creds.username ?? '', password: creds.password ?? '', instance, ...offline }, nodeLogger(node));
      node.engine = engine;
      // The routing table may change without the connection changing: the running engine takes the new one.
      const routingId = typeof def.routing === 'string' ? def.routing : '';
      const routing = routingId ? (RED.nodes.getNode(routingId) as RoutingConfigNode | null) : null;
      if (routingId && !routing) node.error(t('callflow-asterisk.errors.no-routing', { id: routingId }));
      else if (routing && !routing.table) node.error(t('callflow-asterisk.errors.bad-routing', { problems: routing.problems.join('; ') }));
      const invalid = routingId ? (routing ? routing.problems : [t('callflow-asterisk.errors.no-routing', { id: routingId })]) : [];
      engine.router.setTable(routing?.table, invalid);
      // The store that keeps a record of every call that ends here, looked up at each record (the store node may be
      // redeployed on its own); while it is missing, records are dropped and counted, and calls go on.
      const recordStore = check.value.recordStore ?? '';
      if (recordStore && !(RED.nodes.getNode(recordStore) as StoreConfigNode | null)?.connection) node.error(t('callflow-asterisk.errors.no-record-store', { id: recordStore }));
      engine.setRecords(
        recordStore
          ? {
              store: () => (RED.nodes.getNode(recordStore) as StoreConfigNode | null)?.connection,
              retention: { days: check.value.recordDays ?? 90, max: check.value.recordMax ?? 1_000_000 },
            }
          : undefined,
      );
      offStatus = engine.onStatus((s) => {
        current = CONNECTION_STATUS[s.state];
        for (const user of users) user.status(current);
      });
    }

    node.register = (user: Node): void => {
      users.add(user);
      user.status(current);
      node.engine?.start().catch((err: unknown) => {
        node.error(t('callflow-asterisk.errors.start-failed', { message: (err as Error).message }));
      });
    };

    node.deregister = (user: Node): void => {
      users.delete(user);
    };

    node.on('close', (removed: boolean, done: () => void) => {
      offStatus?.();
      users.clear();
      const engine = node.engine;
      if (!engine) {
        done();
        return;
      }
      releaseEngine(node.id, engine, removed).then(
        () => done(),
        () => done(),
      );
    });
  }

  RED.nodes.registerType('callflow-asterisk', AsteriskNode as unknown as (this: Node, def: NodeDef) => void, {
    credentials: { username: { type: 'text' }, password: { type: 'password' } },
  });
};
