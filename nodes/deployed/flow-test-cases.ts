/**
 * What a flow test names, found among the deployed nodes: the release set (by id or name), the version (a name,
 * or official / gray), the connection its entry is on, and the nodes its results and expectations name. A case
 * that names what is not there is refused before any test call starts, with what it named and what there is.
 * Used by the admin API (nodes/admin/flow-tests.ts), the flow-test command and its mocha helper.
 */
import { compare, type CaseReport } from '../../lib/flow-test/case';
import type { FlowTestRun } from '../../lib/flow-test/run';
import { ReleaseError } from '../../lib/releases/states';
import type { FlowTestCase } from '../../lib/schemas/flow-test';
import { shownValue } from '../../lib/schemas/validator';
import type { NodeAPI, NodeDef } from '../red/api';
import { findEngine, listEngines, type Engine } from './engine';
import { startTest } from './flow-test';
import { findBook } from './releases';

let runtime: NodeAPI | undefined;

/** The Node-RED that loaded this package (the flow-test command runs cases through it, in its process). */
export function rememberRuntime(RED: NodeAPI): void {
  runtime = RED;
}

export function currentRuntime(): NodeAPI | undefined {
  return runtime;
}

/** A refusal of a test: its HTTP status and what is wrong. */
export class FlowTestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'FlowTestError';
  }
}

/** The time limit of a run from the sidebar (a person picks each result) and of a case, unless the case sets one. */
export const STEP_RUN_MS = 15 * 60_000;
export const CASE_RUN_MS = 60_000;
export const DEFAULT_STEPS = 200;

interface Target {
  engine: Engine;
  flow: string;
  version?: string;
}

function deployedNodes(RED: NodeAPI): NodeDef[] {
  const all: NodeDef[] = [];
  RED.nodes.eachNode((def) => all.push(def));
  return all;
}

/** The release set, version and connection a case names. */
function targetOf(RED: NodeAPI, defs: readonly NodeDef[], c: FlowTestCase): Target {
  const sets = defs.filter((d) => d.type === 'callflow-releases');
  let setId: string | undefined;
  if (c.releases !== undefined) {
    const named = sets.filter((d) => d.id === c.releases || d.name === c.releases);
    if (named.length === 0) throw new FlowTestError(404, `releases: no release set ${shownValue(c.releases)} is deployed (deployed: ${sets.map((d) => (d.name ? `"${d.name}" (${d.id})` : d.id)).join(', ') || 'none'})`);
    if (named.length > 1) throw new FlowTestError(400, `releases: ${named.length} release sets are named ${shownValue(c.releases)}: give its id (${named.map((d) => d.id).join(', ')})`);
    setId = (named[0] as NodeDef).id;
  } else {
    const having = sets.filter((d) => findBook(d.id)?.list().some((f) => f.flow === c.flow));
    if (having.length > 1) throw new FlowTestError(400, `releases: ${having.length} release sets have flow ${shownValue(c.flow)}: name one (${having.map((d) => d.id).join(', ')})`);
    setId = having[0]?.id;
  }
  if (setId === undefined) {
    // A flow without versions: its entry names no release set.
    if (c.version !== undefined && c.version !== 'official') throw new FlowTestError(404, `version: flow ${shownValue(c.flow)} has no release set, so no version ${shownValue(c.version)}`);
    const engine = listEngines().find((e) => {
      const choice = e.router.entryFor(c.flow, c.caller ?? '');
      return choice !== undefined && !('refused' in choice) && choice.version === undefined;
    });
    if (!engine) throw new FlowTestError(404, `flow: no flow ${shownValue(c.flow)} is deployed`);
    return { engine, flow: c.flow };
  }
  const book = findBook(setId);
  if (!book) throw new FlowTestError(409, `releases: release set ${setId} is not running (its settings are invalid, or its store is missing)`);
  if (!book.ready) throw new FlowTestError(503, `releases: release set ${setId} is still loading its states (its store is opening)`);
  const view = book.flowView(c.flow);
  const wanted = c.version ?? 'official';
  const version = wanted === 'official' ? view.official : wanted === 'gray' ? view.grayVersion : wanted;
  if (version === undefined) throw new FlowTestError(409, `version: flow ${c.flow} has no ${wanted} version now`);
  // Only Official and Gray versions can be tested, as the life cycle says; the book refuses the others, naming the state.
  const deployed = book.test(c.flow, version);
  const engine = findEngine(deployed.connection);
  if (!engine) throw new FlowTestError(409, `version ${version} of flow ${c.flow}: its connection ${deployed.connection} is not running`);
  return { engine, flow: c.flow, version };
}

/** Every node a case names (results, expected path and outcome) must be a deployed node's id or name. */
function checkNames(defs: readonly NodeDef[], c: FlowTestCase): void {
  const known = new Set<string>();
  for (const d of defs) {
    if (typeof d.z !== 'string') continue;
    known.add(d.id);
    if (typeof d.name === 'string' && d.name !== '') known.add(d.name);
  }
  const problems: string[] = [];
  (c.results ?? []).forEach((r, i) => {
    if (!known.has(r.node)) problems.push(`results[${i}].node: no deployed node has the id or name ${shownValue(r.node)}`);
  });
  (c.expect?.path ?? []).forEach((p, i) => {
    const ref = typeof p === 'string' ? p : p.node;
    if (!known.has(ref)) problems.push(`expect.path[${i}]: no deployed node has the id or name ${shownValue(ref)}`);
  });
  const end = c.expect?.outcome?.node;
  if (end !== undefined && !known.has(end)) problems.push(`expect.outcome.node: no deployed node has the id or name ${shownValue(end)}`);
  if (problems.length > 0) throw new FlowTestError(400, `the test case names nodes that are not deployed: ${problems.slice(0, 20).join('; ')}${problems.length > 20 ? `; and ${problems.length - 20} more` : ''}`);
}

/** Starts a test call for the case: step by step when `steps`, else with the case's results. */
export function startCase(RED: NodeAPI, c: FlowTestCase, steps: boolean): FlowTestRun {
  const defs = deployedNodes(RED);
  let target: Target;
  try {
    target = targetOf(RED, defs, c);
  } catch (err) {
    if (err instanceof ReleaseError) throw new FlowTestError(err.status, err.message);
    throw err;
  }
  checkNames(defs, c);
  const started = startTest({
    engine: target.engine,
    flow: target.flow,
    ...(target.version !== undefined ? { version: target.version } : {}),
    caller: c.caller ?? '100',
    called: c.called ?? 'test',
    vars: c.vars ?? {},
    ...(steps ? {} : { results: c.results ?? [] }),
    maxSteps: c.limits?.steps ?? DEFAULT_STEPS,
    timeLimitMs: c.limits?.seconds !== undefined ? c.limits.seconds * 1000 : steps ? STEP_RUN_MS : CASE_RUN_MS,
  });
  if (typeof started === 'string') throw new FlowTestError(409, started);
  return started;
}

/** Runs a whole case and compares the run with what it expects. */
export async function runCase(RED: NodeAPI, c: FlowTestCase): Promise<CaseReport> {
  const run = startCase(RED, c, false);
  await run.finished();
  return compare(c, run.view(), run.unused);
}
