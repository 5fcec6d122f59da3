/**
 * A version's nodes as Node-RED deploys them (the objects of flows.json):
 * the tab and every node on it. Hashing, copying as a new version, and the
 * labels messages use. Plain data; nothing here knows Node-RED.
 */
import { createHash } from 'node:crypto';

export interface FlowNode {
  id: string;
  type: string;
  z?: string;
  name?: string;
  label?: string;
  wires?: string[][];
  [key: string]: unknown;
}

/** The entry node's properties that say which flow and version a tab is. */
export const ENTRY_TYPE = 'callflow-entry';

/** Properties that say where a node sits in the editor, not what it does. */
const LAYOUT = new Set(['x', 'y', 'w', 'h', 'z', 'g']);

function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A hash of what a version does: its nodes, settings and wires (moving a node on the canvas does not change it). */
export function hashNodes(nodes: readonly FlowNode[]): string {
  const parts = nodes
    .map((n) => stable(Object.fromEntries(Object.entries(n).filter(([k]) => !LAYOUT.has(k) && k !== 'credentials'))))
    .sort();
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32);
}

/** What a message calls a node: its name, else its type, with a short id. */
export function nodeLabel(node: FlowNode): string {
  const type = node.type.replace(/^callflow-/, '');
  const name = typeof node.name === 'string' && node.name ? `"${node.name}"` : type;
  return node.name ? `${type} ${name} (${node.id})` : `${name} (${node.id})`;
}

/** The id a node gets in a copy made as `version`: derived, so a copy's nodes can be matched to their originals. */
export function copyId(version: string, id: string): string {
  return createHash('sha256').update(`${version}/${id}`).digest('hex').slice(0, 16);
}

/**
 * A version's nodes copied as a new version of the same flow: new ids (the
 * tab's too), wires and references between them rewritten, the entry's
 * version set and its release tag cleared, credentials dropped. What the
 * editor imports as a new tab.
 */
export function copyAsVersion(nodes: readonly FlowNode[], flow: string, version: string): FlowNode[] {
  const ids = new Map(nodes.map((n) => [n.id, copyId(version, n.id)]));
  const remap = (value: unknown): unknown => {
    if (typeof value === 'string') return ids.get(value) ?? value;
    if (Array.isArray(value)) return value.map(remap);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, remap(v)]));
    return value;
  };
  return nodes.map((n) => {
    const copy = Object.fromEntries(
      Object.entries(n)
        .filter(([k]) => k !== 'credentials')
        .map(([k, v]) => [k, k === 'id' ? ids.get(n.id) : remap(v)]),
    ) as FlowNode;
    if (n.type === 'tab') copy.label = `${flow} ${version}`;
    if (n.type === ENTRY_TYPE) {
      copy.version = version;
      copy.release = '';
    }
    return copy;
  });
}
