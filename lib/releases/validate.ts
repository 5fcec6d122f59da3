/**
 * The checks a version must pass before it is released. Each problem is a
 * sentence naming the node and what to do; any problem blocks the release.
 *
 * - one callflow-entry node for the flow and version;
 * - no output left unwired on the path of a call, unless the node marks it
 *   as ending the call (its `ends` setting lists the output numbers);
 * - every config node a callflow node names is deployed;
 * - every sound and stored recording its prompts name exists on the
 *   connected Asterisk (asked through ARI);
 * - every element is reachable from the entry, or from a catch, status,
 *   complete or call-end node (wires, link out/in, link call).
 */
import { ENTRY_TYPE, nodeLabel, type FlowNode } from './nodes';

/** Element nodes: they take a call on their input, so one the entry cannot reach is dead. */
export const ELEMENT_TYPES = new Set([
  'callflow-answer',
  'callflow-play',
  'callflow-collect',
  'callflow-menu',
  'callflow-transfer',
  'callflow-response',
  'callflow-set',
  'callflow-record',
  'callflow-hangup',
  'callflow-result',
]);

/** Core nodes that start a path of their own (error handling, status): what they reach is not dead. */
const HANDLER_TYPES = new Set(['catch', 'status', 'complete', 'callflow-call-end']);

/** Properties of callflow nodes that name a config node, with the type it must be. */
export const CONFIG_REFERENCES: Readonly<Record<string, string>> = {
  connection: 'callflow-asterisk',
  releases: 'callflow-releases',
  store: 'callflow-store',
  routing: 'callflow-routing',
};

export interface ValidationInput {
  flow: string;
  version: string;
  /** The version's nodes (the tab and what is on it). */
  nodes: readonly FlowNode[];
  /** The type of each deployed config node, by id. */
  configTypes: ReadonlyMap<string, string>;
  /** Asks the connected Asterisk whether a media URI exists (undefined: cannot tell). Absent: media is not checked. */
  mediaExists?: (uri: string) => Promise<boolean | undefined>;
}

export interface ValidationResult {
  ok: boolean;
  problems: string[];
  /** What could not be checked, and why (the connection is down, say); not blocking. */
  notes: string[];
}

const MEDIA = /^(sound|recording):(?!https?:)[^\s,]+$/;

function collectMedia(value: unknown, out: Set<string>): void {
  if (typeof value === 'string') {
    if (MEDIA.test(value)) out.add(value);
  } else if (Array.isArray(value)) {
    for (const v of value) collectMedia(v, out);
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) collectMedia(v, out);
  }
}

/** Output numbers (1-based) a node marks as ending the call when nothing is wired there. */
function endingOutputs(node: FlowNode): Set<number> {
  const ends = node.ends;
  if (Array.isArray(ends)) return new Set(ends.map(Number).filter((n) => Number.isInteger(n)));
  return new Set();
}

export async function validateVersion(input: ValidationInput): Promise<ValidationResult> {
  const problems: string[] = [];
  const notes: string[] = [];
  const nodes = input.nodes.filter((n) => n.type !== 'tab');
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const entries = nodes.filter((n) => n.type === ENTRY_TYPE && n.flow === input.flow && (n.version ?? '') === input.version && n.d !== true);
  if (entries.length === 0) problems.push(`no callflow-entry node for flow ${input.flow} version ${input.version} on the tab: add one, or set the flow and version of the entry`);
  if (entries.length > 1) problems.push(`${entries.length} callflow-entry nodes claim flow ${input.flow} version ${input.version} (${entries.map((e) => e.id).join(', ')}): keep one`);

  // What a call can reach from the entry.
  const reached = new Set<string>();
  // Error and status handlers (catch, status, complete) start paths of their own.
  const queue = [...entries, ...nodes.filter((n) => HANDLER_TYPES.has(n.type) && n.d !== true)].map((e) => e.id);
  while (queue.length > 0) {
    const id = queue.pop() as string;
    if (reached.has(id)) continue;
    reached.add(id);
    const node = byId.get(id);
    if (!node) continue;
    for (const out of node.wires ?? []) for (const target of out) if (!reached.has(target)) queue.push(target);
    if ((node.type === 'link out' || node.type === 'link call') && Array.isArray(node.links)) {
      for (const target of node.links as string[]) if (!reached.has(target)) queue.push(target);
    }
  }

  for (const node of nodes) {
    if (node.d === true) continue;
    if (ELEMENT_TYPES.has(node.type) && !reached.has(node.id)) {
      problems.push(`${nodeLabel(node)} cannot be reached from the entry: wire it in, or remove it`);
    }
    if (reached.has(node.id) && Array.isArray(node.wires)) {
      const ends = endingOutputs(node);
      node.wires.forEach((targets, i) => {
        if (targets.length === 0 && !ends.has(i + 1)) {
          problems.push(`${nodeLabel(node)}: output ${i + 1} is not wired, so a call leaving there would be hung up; wire it, or mark the output as ending the call`);
        }
      });
    }
    if (node.type.startsWith('callflow-')) {
      for (const [prop, type] of Object.entries(CONFIG_REFERENCES)) {
        const ref = node[prop];
        if (typeof ref !== 'string' || ref === '') continue;
        const found = input.configTypes.get(ref);
        if (found !== type) problems.push(`${nodeLabel(node)}: its ${prop} (${type} ${ref}) is not deployed; choose one in the node's form`);
      }
    }
  }

  if (input.mediaExists) {
    const media = new Set<string>();
    for (const node of nodes) if (node.type.startsWith('callflow-') && node.d !== true) collectMedia(node, media);
    const users = (uri: string): string =>
      nodes
        .filter((n) => {
          const s = new Set<string>();
          collectMedia(n, s);
          return s.has(uri);
        })
        .map(nodeLabel)
        .join(', ');
    for (const uri of [...media].sort()) {
      try {
        const exists = await input.mediaExists(uri);
        if (exists === false) problems.push(`${users(uri)}: Asterisk has no ${uri.replace(':', ' ')}; install it, or change the prompt`);
      } catch (err) {
        notes.push(`could not ask Asterisk about ${uri}: ${(err as Error).message}`);
      }
    }
  } else {
    notes.push('media was not checked: the connection is not up');
  }
  return { ok: problems.length === 0, problems, notes };
}
