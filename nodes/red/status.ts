/** Node statuses shared by the nodes: keys the editor translates in the node's own catalog (see locales/<lang>/callflow.json). */
import type { ConnectionState } from '../../lib/ari/port';
import type { StoreState } from '../../lib/store/connection';
import type { Node, NodeStatus } from './api';

export const CONNECTION_STATUS: Readonly<Record<ConnectionState, NodeStatus>> = {
  connecting: { fill: 'yellow', shape: 'ring', text: 'callflow.status.connecting' },
  connected: { fill: 'green', shape: 'dot', text: 'callflow.status.connected' },
  reconnecting: { fill: 'yellow', shape: 'ring', text: 'callflow.status.reconnecting' },
  'auth-failed': { fill: 'red', shape: 'ring', text: 'callflow.status.auth-failed' },
  unreachable: { fill: 'red', shape: 'ring', text: 'callflow.status.unreachable' },
  failed: { fill: 'red', shape: 'ring', text: 'callflow.status.failed' },
  replaced: { fill: 'red', shape: 'dot', text: 'callflow.status.replaced' },
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

export interface StatusShower {
  /** Shows the current status soon: now, unless one was shown less than `ms` ago (then when that time is up). */
  update(): void;
  /** Shows the current status now (outside the throttle: the first status, a connection's change). */
  now(): void;
  /** Cancels a status still to show. */
  stop(): void;
}

/**
 * Shows what `compute` says as the node's status, only when it changed, and
 * at most every `ms`: a node that handles hundreds of calls a second must not
 * send hundreds of status updates to the editor; the latest state always shows.
 */
export function statusShower(node: Pick<Node, 'status'>, compute: () => NodeStatus, ms: number): StatusShower {
  let shown = '';
  let timer: NodeJS.Timeout | undefined;
  let last = 0;
  const render = (): void => {
    const status = compute();
    const key = JSON.stringify(status);
    if (key === shown) return;
    shown = key;
    node.status(status);
  };
  return {
    update: () => {
      if (timer) return;
      const wait = last + ms - Date.now();
      if (wait <= 0) {
        last = Date.now();
        render();
        return;
      }
      timer = setTimeout(() => {
        timer = undefined;
        last = Date.now();
        render();
      }, wait);
    },
    now: render,
    stop: () => {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
