/**
 * bench/heap-diff: what one heap snapshot holds that another did not, by
 * constructor. Objects are matched by their snapshot id (stable within one
 * process), so "new" means allocated after the first snapshot and still
 * reachable in the second. Sizes are self sizes (bytes of the object alone),
 * divided by --per (e.g. the calls in progress in the second snapshot).
 *
 *   node dist/bench/heap-diff.js BEFORE.heapsnapshot AFTER.heapsnapshot [--per 1000] [--top 60] [--gone LATER.heapsnapshot] [--shapes]
 *
 * With --gone, only the new objects that are gone again in a third snapshot
 * count (bench/ivr-heap's `after`, once the calls ended): what the calls
 * kept, without the code V8 compiled meanwhile and kept. Also printed: the
 * same total without compiled code and object shapes (`code:`, `object
 * shape:`), which V8 makes and drops on its own schedule.
 *
 * Snapshots of bench/ivr-heap (idle, busy, after) are what it was written for.
 */
import fs from 'node:fs';
import path from 'node:path';
import { flag } from './support';

interface Snapshot {
  snapshot: {
    meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]]; location_fields?: string[] };
  };
  nodes: number[];
  edges: number[];
  locations?: number[];
  strings: string[];
}

interface Nodes {
  count: number;
  key(i: number): string;
  id(i: number): number;
  size(i: number): number;
}

/**
 * With `shapes`, a plain object (`object:Object`) is named by its property
 * names too (`object:Object{call,msg,...}`), and a closure by where its
 * function is (`closure:name@file.js:line`), so the plain objects and
 * closures a call keeps say what they are.
 */
function read(file: string, shapes = false): Nodes {
  const s = JSON.parse(fs.readFileSync(file, 'utf8')) as Snapshot;
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const width = fields.length;
  const [t, n, id, size, edgeCount] = ['type', 'name', 'id', 'self_size', 'edge_count'].map((f) => fields.indexOf(f)) as [number, number, number, number, number];
  const at = (i: number, f: number): number => s.nodes[i * width + f] as number;
  const edgeFields = s.snapshot.meta.edge_fields;
  const edgeWidth = edgeFields.length;
  const [et, en] = ['type', 'name_or_index'].map((f) => edgeFields.indexOf(f)) as [number, number];
  const propertyType = s.snapshot.meta.edge_types[0].indexOf('property');
  // Each node's first edge: the edges are listed node after node.
  const firstEdge = shapes ? new Uint32Array(s.nodes.length / width + 1) : undefined;
  if (firstEdge) {
    for (let i = 0, e = 0; i < s.nodes.length / width; i += 1) {
      firstEdge[i] = e;
      e += at(i, edgeCount) * edgeWidth;
    }
  }
  const edgesOf = (i: number, kind: string, named: string): number | undefined => {
    const from = firstEdge?.[i] ?? 0;
    const kindIndex = s.snapshot.meta.edge_types[0].indexOf(kind);
    for (let e = from; e < from + at(i, edgeCount) * edgeWidth; e += edgeWidth) {
      if (s.edges[e + et] === kindIndex && s.strings[s.edges[e + en] as number] === named) return (s.edges[e + edgeFields.indexOf('to_node')] as number) / width;
    }
    return undefined;
  };
  // Where each closure's function is: its line from `locations`, its file from its shared function info's script.
  const lines = new Map<number, number>();
  const locationFields = s.snapshot.meta.location_fields ?? [];
  if (shapes && s.locations) {
    const [li, ll] = ['object_index', 'line'].map((f) => locationFields.indexOf(f)) as [number, number];
    for (let k = 0; k < s.locations.length; k += locationFields.length) lines.set((s.locations[k + li] as number) / width, (s.locations[k + ll] as number) + 1);
  }
  const where = (i: number): string => {
    const shared = edgesOf(i, 'internal', 'shared');
    const script = shared === undefined ? undefined : edgesOf(shared, 'internal', 'script_or_debug_info');
    const file = script === undefined ? '?' : path.basename(s.strings[at(script, n)] ?? '?');
    return `@${file}:${lines.get(i) ?? '?'}`;
  };
  const properties = (i: number): string => {
    const names: string[] = [];
    const from = firstEdge?.[i] ?? 0;
    for (let e = from; e < from + at(i, edgeCount) * edgeWidth; e += edgeWidth) {
      if (s.edges[e + et] === propertyType) names.push(s.strings[s.edges[e + en] as number] ?? '?');
    }
    return `{${names.join(',').slice(0, 120)}}`;
  };
  return {
    count: s.nodes.length / width,
    key: (i) => {
      const type = types[at(i, t)] ?? '?';
      // Strings and numbers are named by their value: one line for all of them.
      const name = /string|number/.test(type) ? '' : (s.strings[at(i, n)] ?? '').slice(0, 60);
      if (shapes && type === 'object' && name === 'Object') return `${type}:${name}${properties(i)}`;
      if (shapes && type === 'closure') return `${type}:${name}${where(i)}`;
      return `${type}:${name}`;
    },
    id: (i) => at(i, id),
    size: (i) => at(i, size),
  };
}

function main(): void {
  const goneFile = flag('--gone');
  const [beforeFile, afterFile] = process.argv.slice(2).filter((a) => a.endsWith('.heapsnapshot') && a !== goneFile);
  if (!beforeFile || !afterFile) throw new Error('usage: heap-diff BEFORE.heapsnapshot AFTER.heapsnapshot [--per N] [--top N] [--gone LATER.heapsnapshot] [--shapes]');
  const per = Number(flag('--per') ?? 1);
  const top = Number(flag('--top') ?? 60);
  const before = read(beforeFile);
  const known = new Set<number>();
  for (let i = 0; i < before.count; i += 1) known.add(before.id(i));
  const stayed = new Set<number>();
  if (goneFile) {
    const later = read(goneFile);
    for (let i = 0; i < later.count; i += 1) stayed.add(later.id(i));
  }
  const after = read(afterFile, process.argv.includes('--shapes'));
  const byKey = new Map<string, { count: number; bytes: number }>();
  let total = 0;
  let codeAndShapes = 0;
  for (let i = 0; i < after.count; i += 1) {
    if (known.has(after.id(i)) || stayed.has(after.id(i))) continue;
    const k = after.key(i);
    if (k.startsWith('code:') || k.startsWith('object shape:')) codeAndShapes += after.size(i);
    const row = byKey.get(k) ?? { count: 0, bytes: 0 };
    row.count += 1;
    row.bytes += after.size(i);
    byKey.set(k, row);
    total += after.size(i);
  }
  console.log(`new objects${goneFile ? ' gone again later' : ''}: ${(total / per).toFixed(0)} B per unit (${total} B / ${per}); without code and shapes ${((total - codeAndShapes) / per).toFixed(0)} B`);
  for (const [k, row] of [...byKey].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top)) {
    console.log(`${(row.bytes / per).toFixed(0).padStart(8)} B ${(row.count / per).toFixed(2).padStart(8)} objects  ${k}`);
  }
}

main();
