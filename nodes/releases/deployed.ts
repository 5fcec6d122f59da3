/** What a deploy put in place, as the release book sees it: each version's tab and nodes, and the calls on each version. */
import type { DeployedVersion } from '../../lib/releases/book';
import { parseCallers } from '../../lib/releases/gray';
import type { FlowNode } from '../../lib/releases/nodes';
import { entryConfig } from '../../lib/schemas/elements';
import { enginesWithCalls } from '../deployed/engine';
import type { NodeDef } from '../red/api';

/**
 * The calls in progress on a version, over every connection, those of an
 * engine parked by a redeploy included: a version that still has calls is
 * not drained because its connection is between two config node instances.
 */
export function liveCalls(flow: string, version: string): number {
  let n = 0;
  for (const engine of enginesWithCalls()) {
    if (engine.callCount === 0) continue;
    for (const s of engine.calls.list()) if (s.flow === flow && s.version === version && !s.ended) n += 1;
  }
  return n;
}

/** The versions of this release set in a deployed configuration: enabled entries that name it, with their tab's nodes. */
export function deployedVersions(flows: readonly NodeDef[], releasesId: string): DeployedVersion[] {
  const tabs = new Map<string, NodeDef>();
  const byTab = new Map<string, FlowNode[]>();
  for (const n of flows) {
    if (n.type === 'tab') tabs.set(n.id, n);
    else if (n.z) byTab.set(n.z, [...(byTab.get(n.z) ?? []), n]);
  }
  const out: DeployedVersion[] = [];
  for (const n of flows) {
    if (n.type !== 'callflow-entry' || n.releases !== releasesId || n.d === true || !n.z) continue;
    const tab = tabs.get(n.z);
    if (!tab || tab.disabled === true) continue;
    const check = entryConfig.checkForm(n);
    if (!check.ok) continue;
    const c = check.value;
    const strip = (node: FlowNode): FlowNode => {
      const copy = { ...node };
      delete copy.credentials;
      return copy;
    };
    const d: DeployedVersion = {
      flow: c.flow,
      version: c.version,
      tab: tab.id,
      entry: n.id,
      connection: c.connection,
      release: c.release,
      nodes: [strip(tab), ...(byTab.get(tab.id) ?? []).map(strip)],
    };
    if (c.release === 'gray') d.gray = { share: c.grayShare, callers: parseCallers(c.grayCallers) };
    out.push(d);
  }
  return out;
}

