/** The shape of a callflow-store config node as the nodes that use it see it. */
import type { StoreConnection } from '../../lib/store/connection';
import type { Node } from '../red/api';

export interface StoreCredentials {
  [key: string]: string | undefined;
  uri?: string;
  username?: string;
  password?: string;
}

export interface StoreConfigNode extends Node<StoreCredentials> {
  /** A node starts using the store; it gets the store's state as its status from now on. */
  register(user: Node): void;
  deregister(user: Node): void;
  /** The store connection, when the settings are valid. */
  readonly connection: StoreConnection | undefined;
}
