/**
 * A readable comparison of two versions' nodes: which nodes were added or
 * removed, and for each node in both, which settings and wires changed.
 * Nodes are matched by id, then by the id a copy gives them (copyId), then
 * by type and name when that is unique on both sides. Where a node sits on
 * the canvas is not a change, nor are an entry's version and release tag
 * (a copy changes them), nor another node's id where its counterpart's is.
 */
import { own } from '../own';
import { ENTRY_TYPE, copyId, nodeLabel, type FlowNode } from './nodes';

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

export interface NodeChange {
  id: string;
  type: string;
  label: string;
  changes: FieldChange[];
}

export interface FlowDiff {
  added: { id: string; type: string; label: string }[];
  removed: { id: string; type: string; label: string }[];
  changed: NodeChange[];
  /** The same as sentences, one per line, for a log or a plain view. */
  lines: string[];
}

const IGNORED = new Set(['id', 'x', 'y', 'w', 'h', 'z', 'g', 'wires', 'credentials']);
/** An entry's settings that say which version it is and ask for its release: every copy changes them; what a call does, they do not. */
const ENTRY_IGNORED = new Set(['version', 'release']);

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? 'nothing';
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export interface DiffSide {
  version: string;
  nodes: readonly FlowNode[];
}

export function diffVersions(before: DiffSide, after: DiffSide): FlowDiff {
  const a = before.nodes.filter((n) => n.type !== 'tab');
  const b = after.nodes.filter((n) => n.type !== 'tab');
  const bById = new Map(b.map((n) => [n.id, n]));
  const pairs = new Map<string, string>();
  const taken = new Set<string>();
  const pair = (x: FlowNode, y: FlowNode | undefined): void => {
    if (!y || taken.has(y.id) || pairs.has(x.id)) return;
    pairs.set(x.id, y.id);
    taken.add(y.id);
  };
  for (const x of a) pair(x, bById.get(x.id));
  // A copy made as the other version (clone, restore) has derived ids, in either direction.
  for (const x of a) pair(x, bById.get(copyId(after.version, x.id)));
  const aById = new Map(a.map((n) => [n.id, n]));
  for (const y of b) {
    const x = aById.get(copyId(before.version, y.id));
    if (x) pair(x, y);
  }
  const key = (n: FlowNode): string => `${n.type}\u0000${typeof n.name === 'string' ? n.name : ''}`;
  const unique = (list: FlowNode[]): Map<string, FlowNode> => {
    const counts = new Map<string, number>();
    for (const n of list) counts.set(key(n), (counts.get(key(n)) ?? 0) + 1);
    return new Map(list.filter((n) => counts.get(key(n)) === 1).map((n) => [key(n), n]));
  };
  const restA = unique(a.filter((x) => !pairs.has(x.id)));
  const restB = unique(b.filter((y) => !taken.has(y.id)));
  for (const [k, x] of restA) pair(x, restB.get(k));

  const aToB = pairs;
  // A setting naming another node of the version (a link's targets) names its counterpart on the other side.
  const inAfter = (value: unknown): unknown => {
    if (typeof value === 'string') return aToB.get(value) ?? value;
    if (Array.isArray(value)) return value.map(inAfter);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, inAfter(v)]));
    return value;
  };
  const bLabel = new Map(b.map((n) => [n.id, nodeLabel(n)]));
  const wiresOf = (n: FlowNode, translate: (id: string) => string): string[][] => (n.wires ?? []).map((out) => out.map(translate).sort());

  const out: FlowDiff = { added: [], removed: [], changed: [], lines: [] };
  for (const x of a) {
    const yId = aToB.get(x.id);
    const y = yId ? bById.get(yId) : undefined;
    if (!y) {
      out.removed.push({ id: x.id, type: x.type, label: nodeLabel(x) });
      out.lines.push(`removed ${nodeLabel(x)}`);
      continue;
    }
    const changes: FieldChange[] = [];
    const fields = new Set([...Object.keys(x), ...Object.keys(y)].filter((k) => !IGNORED.has(k) && !(x.type === ENTRY_TYPE && ENTRY_IGNORED.has(k))));
    for (const field of [...fields].sort()) {
      // Own settings only: a flow file's node may hold "toString" or "__proto__", which the other side would answer from Object.prototype.
      const was = own(x, field);
      const now = own(y, field);
      if (!same(inAfter(was), now)) changes.push({ field, before: was, after: now });
    }
    const translate = (id: string): string => bLabel.get(aToB.get(id) ?? '') ?? `a node not in ${after.version} (${id})`;
    const wiresBefore = wiresOf(x, translate);
    const wiresAfter = wiresOf(y, (id) => bLabel.get(id) ?? id);
    const outputs = Math.max(wiresBefore.length, wiresAfter.length);
    for (let i = 0; i < outputs; i += 1) {
      const was = wiresBefore[i] ?? [];
      const now = wiresAfter[i] ?? [];
      if (!same(was, now)) changes.push({ field: `output ${i + 1}`, before: was, after: now });
    }
    if (changes.length > 0) {
      out.changed.push({ id: y.id, type: y.type, label: nodeLabel(y), changes });
      for (const c of changes) out.lines.push(`${nodeLabel(y)}: ${c.field} ${show(c.before)} -> ${show(c.after)}`);
    }
  }
  for (const y of b) {
    if (taken.has(y.id)) continue;
    out.added.push({ id: y.id, type: y.type, label: nodeLabel(y) });
    out.lines.push(`added ${nodeLabel(y)}`);
  }
  return out;
}
