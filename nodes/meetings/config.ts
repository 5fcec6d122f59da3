/** The shape of a callflow-meetings config node as a conference node sees it. */
import type { MeetingRooms } from '../../lib/conference/rooms';
import type { StoreConnection } from '../../lib/store/connection';
import type { Node } from '../red/api';

export interface MeetingsConfigNode extends Node {
  /** The rooms, when they are valid. */
  readonly rooms: MeetingRooms | undefined;
  /** What is wrong with them, otherwise. */
  readonly problems: string[];
  /** The store that keeps a record of every meeting, when one is chosen and valid. */
  readonly store: StoreConnection | undefined;
}
