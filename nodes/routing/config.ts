/** The shape of a callflow-routing config node as the connection that uses it sees it. */
import type { RoutingTable } from '../../lib/schemas/routing';
import type { Node } from '../red/api';

export interface RoutingConfigNode extends Node {
  /** The table, when it is valid. */
  readonly table: RoutingTable | undefined;
  /** What is wrong with it, otherwise. */
  readonly problems: string[];
}
