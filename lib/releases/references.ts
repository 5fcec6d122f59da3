/**
 * Is Referenced (../shared/reference/ivr-flow-lifecycle.txt, the Attribute
 * note): which deployed nodes name an IVR flow, so that the flow is not
 * deleted or its release cancelled from under them. Three kinds of node name
 * a flow by its name:
 *
 * - a `callflow-transfer` of kind "flow" on another flow's tab (a transfer to
 *   the flow's own name does not count: it cannot outlive the flow);
 * - a `callflow-campaign` whose answered calls enter the flow (`flow`);
 * - a `callflow-routing` table that sends calls to it (the account's flow, a
 *   group's or a number's).
 *
 * Disabled nodes, and nodes on disabled tabs, take no calls and name nothing.
 * Computed from the deployed flows (the objects of flows.json) after each
 * deploy; plain data, nothing here knows Node-RED.
 */
import { ENTRY_TYPE, type FlowNode } from './nodes';

export type ReferenceKind = 'transfer' | 'campaign' | 'routing';

/** A deployed node that names a flow. */
export interface FlowReference {
  kind: ReferenceKind;
  /** The node's id. */
  node: string;
  /** How a message names it: its kind, name and where it is (the names are cut to 60 characters). */
  label: string;
}

const FLOW_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x1f\x7f-\x9f\u2028\u2029]/g;

function shortName(value: unknown): string {
  const s = typeof value === 'string' ? value.replace(CONTROLS, ' ').trim() : '';
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function named(node: FlowNode, what: string): string {
  const name = shortName(node.name);
  return name ? `${what} "${name}" (${node.id})` : `${what} ${node.id}`;
}

function flowName(value: unknown): string | undefined {
  return typeof value === 'string' && FLOW_NAME.test(value) ? value : undefined;
}

/** The flows each deployed node names, by flow name; the references of one flow in the order the nodes came. */
export function flowReferences(nodes: readonly FlowNode[]): Map<string, FlowReference[]> {
  const disabledTabs = new Set<string>();
  // The flow (and version) each tab runs, from its entry: what a transfer's label says it is on.
  const tabFlow = new Map<string, { flow: string; version: string }>();
  for (const n of nodes) {
    if (n.type === 'tab' && n.disabled === true) disabledTabs.add(n.id);
    if (n.type === ENTRY_TYPE && typeof n.z === 'string' && n.d !== true) {
      const flow = flowName(n.flow);
      if (flow) tabFlow.set(n.z, { flow, version: typeof n.version === 'string' ? n.version : '' });
    }
  }
  const refs = new Map<string, FlowReference[]>();
  const add = (flow: string | undefined, ref: FlowReference): void => {
    if (!flow) return;
    const list = refs.get(flow);
    if (!list) refs.set(flow, [ref]);
    else if (!list.some((r) => r.node === ref.node)) list.push(ref);
  };
  for (const n of nodes) {
    if (n.d === true || (typeof n.z === 'string' && disabledTabs.has(n.z))) continue;
    switch (n.type) {
      case 'callflow-transfer': {
        if (n.kind !== 'flow') break;
        const target = flowName(n.flow);
        const on = typeof n.z === 'string' ? tabFlow.get(n.z) : undefined;
        if (!target || on?.flow === target) break;
        const where = on ? ` on flow ${on.flow}${on.version ? ` ${on.version}` : ''}` : '';
        add(target, { kind: 'transfer', node: n.id, label: `${named(n, 'transfer')}${where}` });
        break;
      }
      case 'callflow-campaign':
        add(flowName(n.flow), { kind: 'campaign', node: n.id, label: named(n, 'campaign') });
        break;
      case 'callflow-routing': {
        const label = named(n, 'routing table');
        const account = n.account as { flow?: unknown } | undefined;
        add(flowName(account?.flow), { kind: 'routing', node: n.id, label });
        for (const list of [n.groups, n.numbers]) {
          if (!Array.isArray(list)) continue;
          for (const route of list as { flow?: unknown }[]) add(flowName(route?.flow), { kind: 'routing', node: n.id, label });
        }
        break;
      }
      default:
        break;
    }
  }
  return refs;
}

/** The references of a flow as one phrase for a refusal: "campaign "Spring" (c1), routing table r1". At most 5 named. */
export function describeReferences(refs: readonly FlowReference[]): string {
  const shown = refs.slice(0, 5).map((r) => r.label);
  if (refs.length > 5) shown.push(`${refs.length - 5} more`);
  return shown.join(', ');
}
