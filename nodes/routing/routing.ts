/**
 * callflow-routing: the routing table of a connection: which IVR flow takes
 * calls to each dialed number (DID), by number, number group and account
 * default, and the settings each level overrides. The table is checked by
 * its JSON schema and for duplicates when the node starts; a connection
 * (callflow-asterisk) that names this node routes its calls with it.
 */
import { CompiledRoutes } from '../../lib/routing/table';
import { routingConfig, type RoutingTable } from '../../lib/schemas/routing';
import { translator } from '../red/i18n';
import type { Node, NodeAPI, NodeDef } from '../red/api';
import type { RoutingConfigNode } from './config';

export = function register(RED: NodeAPI): void {
  const t = translator(RED, __dirname, 'routing');
  function RoutingNode(this: RoutingConfigNode, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this as { -readonly [K in keyof RoutingConfigNode]: RoutingConfigNode[K] };
    const check = routingConfig.checkForm(def);
    node.table = undefined;
    node.problems = [];
    if (!check.ok) {
      node.problems = check.problems;
    } else {
      const table: RoutingTable = { account: check.value.account, groups: check.value.groups, numbers: check.value.numbers };
      try {
        new CompiledRoutes(table);
        node.table = table;
      } catch (err) {
        node.problems = [(err as Error).message];
      }
    }
    if (node.problems.length > 0) node.error(t('callflow-routing.errors.invalid', { problems: node.problems.join('; ') }));
  }
  RED.nodes.registerType('callflow-routing', RoutingNode as unknown as (this: Node, def: NodeDef) => void);
};
