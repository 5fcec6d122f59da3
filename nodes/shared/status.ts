/** Node statuses shared by the nodes: keys the editor translates in the node's own catalog (see locales/<lang>/shared.json). */
import type { ConnectionState } from '../../lib/ari/port';
import type { StoreState } from '../../lib/store/connection';
import type { NodeStatus } from './red';

export const CONNECTION_STATUS: Readonly<Record<ConnectionState, NodeStatus>> = {
  connecting: { fill: 'yellow', shape: 'ring', text: 'callflow.status.connecting' },
  connected: { fill: 'green', shape: 'dot', text: 'callflow.status.connected' },
  reconnecting: { fill: 'yellow', shape: 'ring', text: 'callflow.status.reconnecting' },
  'auth-failed': { fill: 'red', shape: 'ring', text: 'callflow.status.auth-failed' },
  unreachable: { fill: 'red', shape: 'ring', text: 'callflow.status.unreachable' },
  failed: { fill: 'red', shape: 'ring', text: 'callflow.status.failed' },
  closed: { fill: 'grey', shape: 'ring', text: 'callflow.status.closed' },
};

export const INVALID_CONFIG: NodeStatus = { fill: 'red', shape: 'ring', text: 'callflow.status.invalid-config' };
export const NO_CONNECTION: NodeStatus = { fill: 'red', shape: 'ring', text: 'callflow.status.no-connection' };

/** A store's state, as the nodes that use a callflow-store show it. */
export const STORE_STATUS: Readonly<Record<StoreState, NodeStatus>> = {
  opening: { fill: 'yellow', shape: 'ring', text: 'callflow.status.store-opening' },
  connected: { fill: 'green', shape: 'dot', text: 'callflow.status.store-connected' },
  unreachable: { fill: 'red', shape: 'ring', text: 'callflow.status.store-unreachable' },
  'auth-failed': { fill: 'red', shape: 'ring', text: 'callflow.status.store-auth-failed' },
  failed: { fill: 'red', shape: 'ring', text: 'callflow.status.store-failed' },
  closed: { fill: 'grey', shape: 'ring', text: 'callflow.status.closed' },
};
