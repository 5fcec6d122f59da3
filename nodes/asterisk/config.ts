/** The shape of a callflow-asterisk config node as the nodes that use it see it. */
import type { Engine } from '../deployed/engine';
import type { Node } from '../red/api';

export interface Credentials {
  [key: string]: string | undefined;
  username?: string;
  password?: string;
}

export interface AsteriskConfigNode extends Node<Credentials> {
  /** A node starts using the connection; it gets the connection state as its status from now on. */
  register(user: Node): void;
  deregister(user: Node): void;
  /** The engine, when the config is valid. */
  readonly engine: Engine | undefined;
}
