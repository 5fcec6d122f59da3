/**
 * The task type's rule about the flow (docs/campaigns.md, "Task type"): the
 * specification's intelligent robot outbound call task runs a flow with an
 * intelligent robot, so a robot task's answered calls must enter a flow that
 * holds a `callflow-bot` element. Its flow is the tab of each enabled entry
 * of the task's IVR flow (each version of a flow with versions), or, without
 * one, the tab of each enabled dialer node of the task (its output 1 takes
 * the calls); a bot inside a subflow used on that tab counts. A common IVR
 * task has no such rule.
 *
 * Checked where the other flow problems are (flow-guard.ts): a start or
 * resume of a robot task whose flow has no robot is refused with the reason.
 * Plain data (the objects of flows.json); nothing here knows Node-RED.
 */
import type { FlowNode } from '../releases/nodes';
import type { TaskType } from '../schemas/campaign-answered';

export const BOT_TYPE = 'callflow-bot';

export interface TaskFlow {
  /** The campaign config node's id (its dialer nodes name it). */
  campaign: string;
  taskType: TaskType;
  /** The task's IVR flow (an entry's flow name); empty: the dialer node's output 1. */
  flow: string;
}

// C0 and C1 controls, DEL, bidirectional marks, overrides and isolates, line and paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

/** A tab as a message names it: its label (one line, at most 60 characters), else its id. */
function tabName(tab: FlowNode | undefined, id: string): string {
  const label = typeof tab?.label === 'string' ? tab.label.replace(CONTROLS, ' ').trim() : '';
  if (!label) return `tab ${id}`;
  return `tab "${label.length > 60 ? `${label.slice(0, 57)}...` : label}"`;
}

/**
 * Why the task's flow does not fit its type (a robot task whose flow has no callflow-bot), or undefined. Nothing to
 * check (a common IVR task; no entry or dialer of the task deployed: the flow's own check says that) is undefined too.
 */
export function taskFlowProblem(nodes: readonly FlowNode[], task: TaskFlow): string | undefined {
  if (task.taskType !== 'robot') return undefined;
  const tabs = new Map<string, FlowNode>();
  const disabledTabs = new Set<string>();
  const byParent = new Map<string, FlowNode[]>();
  for (const n of nodes) {
    if (n.type === 'tab') {
      tabs.set(n.id, n);
      if (n.disabled === true) disabledTabs.add(n.id);
    } else if (typeof n.z === 'string' && n.d !== true) {
      const list = byParent.get(n.z);
      if (list) list.push(n);
      else byParent.set(n.z, [n]);
    }
  }
  const starts = nodes.filter(
    (n) =>
      n.d !== true &&
      typeof n.z === 'string' &&
      !disabledTabs.has(n.z) &&
      (task.flow ? n.type === 'callflow-entry' && n.flow === task.flow : n.type === 'callflow-dialer' && n.campaign === task.campaign),
  );
  // A bot on the tab, or in a subflow an instance on it uses (subflows within subflows too, each looked at once).
  const holdsBot = (parent: string, seen: Set<string>): boolean => {
    if (seen.has(parent)) return false;
    seen.add(parent);
    return (byParent.get(parent) ?? []).some((n) => n.type === BOT_TYPE || (n.type.startsWith('subflow:') && holdsBot(n.type.slice('subflow:'.length), seen)));
  };
  const without = [...new Set(starts.map((n) => n.z as string))].filter((tab) => !holdsBot(tab, new Set()));
  if (without.length === 0) return undefined;
  const where = without.map((id) => tabName(tabs.get(id), id)).join(', ');
  const flow = task.flow ? `its flow "${task.flow}"` : "its dialer node's flow";
  return `an intelligent robot task needs a callflow-bot element in the flow its calls enter: ${flow} has none (${where})`;
}
