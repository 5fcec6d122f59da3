/**
 * callflow-meetings: the meeting rooms conference nodes lead callers into, each with a host's and a participant's
 * access code (digits, unique across the rooms) and properties over the routing table's levels. The rooms are
 * checked by their JSON schema and for duplicate ids and codes when the node starts; a conference node that names
 * this node refuses calls (with the problems) while they are invalid.
 */
import { MeetingRooms } from '../../lib/conference/rooms';
import { meetingsConfig } from '../../lib/schemas/conference';
import { translator } from '../red/i18n';
import type { Node, NodeAPI, NodeDef } from '../red/api';
import type { StoreConfigNode } from '../store/config';
import type { MeetingsConfigNode } from './config';

export = function register(RED: NodeAPI): void {
  const t = translator(RED, __dirname, 'meetings');
  function MeetingsNode(this: MeetingsConfigNode, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this as { -readonly [K in keyof MeetingsConfigNode]: MeetingsConfigNode[K] };
    const check = meetingsConfig.checkForm(def);
    node.rooms = undefined;
    node.problems = [];
    node.store = undefined;
    if (!check.ok) node.problems = check.problems;
    else {
      if (check.value.store) {
        const storeNode = RED.nodes.getNode(check.value.store) as StoreConfigNode | null;
        if (storeNode?.connection) node.store = storeNode.connection;
        else node.problems.push(t('callflow-meetings.errors.no-store'));
      }
      try {
        node.rooms = new MeetingRooms(check.value.rooms);
      } catch (err) {
        node.problems = [(err as Error).message];
      }
    }
    if (node.problems.length > 0) node.error(t('callflow-meetings.errors.invalid', { problems: node.problems.join('; ') }));
  }
  RED.nodes.registerType('callflow-meetings', MeetingsNode as unknown as (this: Node, def: NodeDef) => void);
};
