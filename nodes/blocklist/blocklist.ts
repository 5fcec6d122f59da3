/**
 * callflow-blocklist: adds numbers to a blocklist group, removes them, or
 * lists a group. A campaign with that group in its blocklist groups does
 * not call a number while an entry blocks it (from, until: an optional
 * period); the dialer checks right before each dial, so an entry added
 * during a campaign counts at once.
 *
 * msg.topic: add (default: the form's action), remove or list.
 * msg.payload: a number, a list of numbers, or entries
 * { number, group?, from?, until?, note? } (times as ISO text or ms).
 */
import { shownValue } from '../../lib/schemas/validator';
import { parseInstant } from '../../lib/schemas/dates';
import { blockEntry, type BlockEntry } from '../../lib/schemas/store';
import { translator } from '../red/i18n';
import type { Node, NodeAPI, NodeDef, NodeMessage } from '../red/api';
import { INVALID_CONFIG } from '../red/status';
import type { StoreConfigNode } from '../store/config';

const ACTIONS = ['add', 'remove', 'list'] as const;
type Action = (typeof ACTIONS)[number];

/**
 * A period's start or end: milliseconds since 1970, or ISO 8601 text on a
 * date that exists (Date.parse alone reads 2024-02-30 as March 1).
 */
function toTime(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const t = typeof value === 'number' ? value : typeof value === 'string' ? (parseInstant(value.trim()) ?? Number.NaN) : Number.NaN;
  if (!Number.isFinite(t) || t < 0) {
    throw new Error(`${field}: a date and time (ISO 8601 text such as 2024-02-29 or 2024-02-29T09:00:00Z, on a date that exists, or milliseconds since 1970), got ${shownValue(value)}`);
  }
  return t;
}

export = function register(RED: NodeAPI): void {
  const t = translator(RED, __dirname, 'blocklist');

  function BlocklistNode(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const storeNode = typeof def.store === 'string' ? (RED.nodes.getNode(def.store) as StoreConfigNode | null) : null;
    const group = typeof def.group === 'string' ? def.group.trim() : '';
    const action: Action = (ACTIONS as readonly string[]).includes(String(def.action)) ? (def.action as Action) : 'add';
    if (!storeNode?.connection || !/^[A-Za-z0-9_.-]{1,64}$/.test(group)) {
      const why = !storeNode?.connection ? t('callflow-blocklist.errors.no-store') : t('callflow-blocklist.errors.group', { group: shownValue(group) });
      node.error(why);
      node.status(INVALID_CONFIG);
      node.on('input', (_msg, _send, done) => done(new Error(why)));
      return;
    }
    const connection = storeNode.connection;
    storeNode.register(node);
    node.on('close', (_removed: boolean, done: () => void) => {
      storeNode.deregister(node);
      done();
    });

    const entries = (payload: unknown, now: number): BlockEntry[] => {
      const list = Array.isArray(payload) ? payload : [payload];
      if (list.length === 0) throw new Error(t('callflow-blocklist.errors.empty'));
      return list.map((item, i) => {
        const raw = typeof item === 'string' || typeof item === 'number' ? { number: String(item) } : (item as Record<string, unknown> | null);
        if (!raw || typeof raw !== 'object') throw new Error(`payload.${i}: a number or an entry { number, group?, from?, until?, note? }`);
        const e: BlockEntry = { group: typeof raw.group === 'string' && raw.group ? raw.group : group, number: (typeof raw.number === 'string' || typeof raw.number === 'number' ? String(raw.number) : '').replace(/[\s().-]/g, ''), addedAt: now };
        const from = toTime(raw.from, `payload.${i}.from`);
        const until = toTime(raw.until, `payload.${i}.until`);
        if (from !== undefined) e.from = from;
        if (until !== undefined) e.until = until;
        if (from !== undefined && until !== undefined && until <= from) throw new Error(`payload.${i}.until: the end must be after the start`);
        if (typeof raw.note === 'string') e.note = raw.note;
        const r = blockEntry.check(e);
        if (!r.ok) throw new Error(`payload.${i}: ${r.problems.join('; ')}`);
        return e;
      });
    };

    node.on('input', (msg: NodeMessage, send, done) => {
      const topic = typeof msg.topic === 'string' && (ACTIONS as readonly string[]).includes(msg.topic) ? (msg.topic as Action) : action;
      const run = async (): Promise<void> => {
        const store = await connection.available(5000);
        if (topic === 'list') {
          const items: BlockEntry[] = [];
          let after: string | undefined;
          do {
            const page = await store.pageBlocked(typeof msg.group === 'string' ? msg.group : group, { limit: 1000, ...(after ? { after } : {}) });
            items.push(...page.items);
            after = page.next;
          } while (after);
          msg.payload = items;
        } else if (topic === 'add') {
          const list = entries(msg.payload, Date.now());
          await store.addBlocked(list);
          msg.payload = { added: list.length };
        } else {
          const list = entries(msg.payload, Date.now());
          let removed = 0;
          for (const e of list) if (await store.removeBlocked(e.group, e.number)) removed += 1;
          msg.payload = { removed };
        }
        send(msg);
      };
      run().then(
        () => done(),
        (err: unknown) => done(err as Error),
      );
    });
  }

  RED.nodes.registerType('callflow-blocklist', BlocklistNode);
};
