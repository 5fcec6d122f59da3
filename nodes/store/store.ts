/**
 * callflow-store: where flow versions, campaigns, contacts, attempts,
 * blocklists and call records are kept. "Embedded" (the default) is a
 * SQLite file in the Node-RED user directory; "MongoDB" is a server, its
 * connection string and password kept as Node-RED credentials. The store is
 * opened at deploy and kept open, reopened with growing delays while the
 * database cannot be reached; its state is pushed to every node that uses
 * it as their status, and shown in this node's form.
 */
import { makeStore } from '../../lib/store';
import { StoreConnection, type StoreStatus } from '../../lib/store/connection';
import { storeConfig } from '../../lib/schemas/store-config';
import { registerAdminApi } from '../admin/connections';
import { translator } from '../red/i18n';
import { nodeLogger } from '../red/logger';
import type { Node, NodeAPI, NodeDef, NodeStatus } from '../red/api';
import { INVALID_CONFIG, STORE_STATUS } from '../red/status';
import { addStore, removeStore } from '../deployed/stores';
import type { StoreConfigNode } from './config';

export = function register(RED: NodeAPI): void {
  const t = translator(RED, __dirname, 'store');
  registerAdminApi(RED);

  function StoreNode(this: StoreConfigNode, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this as StoreConfigNode & { connection: StoreConnection | undefined };
    const users = new Set<Node>();
    let current: NodeStatus = INVALID_CONFIG;
    let offStatus: (() => void) | undefined;
    node.connection = undefined;

    const check = storeConfig.checkForm(def);
    if (!check.ok) {
      node.error(t('callflow.errors.invalid-config', { problems: check.problems.join('; ') }));
    } else {
      try {
        const made = makeStore(check.value, node.credentials ?? {}, RED.settings.userDir ?? process.cwd());
        const connection = new StoreConnection(made.store, made.where, nodeLogger(node), { secrets: made.secrets });
        node.connection = connection;
        addStore({ id: node.id, name: check.value.name ?? '', backend: check.value.backend, connection });
        offStatus = connection.onStatus((s: StoreStatus) => {
          current = STORE_STATUS[s.state];
          for (const user of users) user.status(current);
        });
        connection.start();
      } catch (err) {
        node.error(t('callflow.errors.invalid-config', { problems: (err as Error).message }));
      }
    }

    node.register = (user: Node): void => {
      users.add(user);
      user.status(current);
    };

    node.deregister = (user: Node): void => {
      users.delete(user);
    };

    node.on('close', (_removed: boolean, done: () => void) => {
      offStatus?.();
      users.clear();
      const connection = node.connection;
      if (!connection) {
        done();
        return;
      }
      removeStore(node.id, connection);
      connection.close().then(
        () => done(),
        () => done(),
      );
    });
  }

  RED.nodes.registerType('callflow-store', StoreNode as unknown as (this: Node, def: NodeDef) => void, {
    credentials: { uri: { type: 'password' }, username: { type: 'text' }, password: { type: 'password' } },
  });
};
