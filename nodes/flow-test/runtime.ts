/**
 * A Node-RED runtime in this process for flow tests in CI (docs/releases.md, "Flow test"): the user's flows and
 * this package, in a user directory of its own (a temporary one), with `callflowFlowTestOnly: true` in its settings,
 * so no callflow-asterisk node makes a connection: nothing can dial out or answer. Every callflow-store node is
 * made an embedded store in that directory, so no test writes to a real store; release states start from the
 * entries' release tags, as at a first deploy. No HTTP server listens. Node-RED itself is the user's (their
 * project's node_modules), else this package's.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compare, type CaseReport } from '../../lib/flow-test/case';
import { flowTestCase, MAX_CASE_BYTES, type FlowTestCase } from '../../lib/schemas/flow-test';
import { findBook } from '../deployed/releases';
import { currentRuntime, startCase } from '../deployed/flow-test-cases';
import type { NodeDef } from '../red/api';

const PACKAGE_ROOT = path.resolve(__dirname, '..', '..', '..');
/** The largest flows file read. */
const MAX_FLOWS_BYTES = 50_000_000;
/** How long the deploy's release tags may take to act (the stores open, the versions are released). */
const SETTLE_MS = 30_000;

/** A file the flow-test command cannot use: its name and what is wrong. */
export class FlowTestFileError extends Error {}

interface EmbeddedRed {
  init(settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  events: { on(event: string, listener: () => void): void; off(event: string, listener: () => void): void };
}

/** Reads a JSON file no larger than `max`, or says which file and what is wrong. */
export function readJson(file: string, max: number, what: string): unknown {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (err) {
    throw new FlowTestFileError(`${file}: cannot read the ${what} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (size > max) throw new FlowTestFileError(`${file}: the ${what} has ${size} bytes, more than the ${max} a ${what} may have`);
  const text = fs.readFileSync(file, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new FlowTestFileError(`${file}: the ${what} is not JSON (${(err as Error).message})`);
  }
}

/** A test case file, checked by the test case schema. */
export function readCase(file: string): FlowTestCase {
  const value = readJson(file, MAX_CASE_BYTES, 'test case');
  const checked = flowTestCase.check(value);
  if (!checked.ok) throw new FlowTestFileError(`${file}: not a flow test case: ${checked.problems.join('; ')}`);
  return checked.value;
}

/** A flows file (Node-RED's flows.json: an array of nodes, or { flows: [...] }). */
export function readFlows(file: string): NodeDef[] {
  const value = readJson(file, MAX_FLOWS_BYTES, 'flows file');
  const list = Array.isArray(value) ? value : value && typeof value === 'object' && Array.isArray((value as { flows?: unknown }).flows) ? (value as { flows: unknown[] }).flows : undefined;
  if (!list) throw new FlowTestFileError(`${file}: a flows file is an array of nodes (Node-RED's flows.json)`);
  const bad = list.findIndex((n) => !n || typeof n !== 'object' || typeof (n as { id?: unknown }).id !== 'string' || typeof (n as { type?: unknown }).type !== 'string');
  if (bad >= 0) throw new FlowTestFileError(`${file}: item ${bad} is not a node (an object with a string id and type)`);
  return list as NodeDef[];
}

/** The flows as the test runtime deploys them: stores made embedded files of the test's user directory. */
function offlineFlows(flows: readonly NodeDef[]): NodeDef[] {
  return flows.map((n) => (n.type === 'callflow-store' ? { ...n, backend: 'embedded', file: `flow-test-store-${n.id.replace(/[^A-Za-z0-9_-]/g, '_')}.db`, durability: 'normal' } : n));
}

function nodeRed(): EmbeddedRed {
  const resolved = require.resolve('node-red', { paths: [process.cwd(), PACKAGE_ROOT] });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(resolved) as EmbeddedRed;
}

export interface FlowTestRuntime {
  /** Runs one case and compares it with what it expects. A case the runtime refuses (unknown nodes, a version not released) is a failed report. */
  run(c: FlowTestCase): Promise<CaseReport>;
  stop(): Promise<void>;
}

let running = false;

/** Starts Node-RED with the flows, and waits for their release tags to act. One at a time per process. */
export async function startRuntime(flows: readonly NodeDef[], options: { verbose?: boolean } = {}): Promise<FlowTestRuntime> {
  if (running) throw new Error('a flow test runtime is already running in this process');
  running = true;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callflow-flow-test-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(PACKAGE_ROOT, path.join(dir, 'node_modules', 'node-red-contrib-callflow'), 'dir');
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'callflow-flow-test', private: true }));
  fs.writeFileSync(path.join(dir, 'flows.json'), JSON.stringify(offlineFlows(flows)));
  const RED = nodeRed();
  const started = new Promise<void>((resolve) => {
    const on = (): void => {
      RED.events.off('flows:started', on);
      resolve();
    };
    RED.events.on('flows:started', on);
  });
  try {
    RED.init({
      userDir: dir,
      flowFile: 'flows.json',
      credentialSecret: false,
      httpAdminRoot: '/',
      httpNodeRoot: false,
      disableEditor: true,
      telemetry: { enabled: false },
      logging: { console: { level: options.verbose ? 'info' : 'off', metrics: false, audit: false } },
      callflowFlowTestOnly: true,
    });
    await RED.start();
    await started;
    await settle(flows);
  } catch (err) {
    running = false;
    await RED.stop().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    async run(c: FlowTestCase): Promise<CaseReport> {
      const RED_ = currentRuntime();
      if (!RED_) throw new Error('this package was not loaded by the flow test runtime (is it installed where Node-RED finds it?)');
      try {
        const run = startCase(RED_, c, false);
        await run.finished();
        return compare(c, run.view(), run.unused);
      } catch (err) {
        const message = (err as Error).message;
        const view = { id: '-', flow: c.flow, caller: c.caller ?? '100', called: c.called ?? 'test', mode: 'case' as const, state: 'ended' as const, startedAt: Date.now(), steps: [], outcome: { ended: 'case' as const, message } };
        return { name: c.name ?? c.flow, passed: false, differences: [{ what: 'results', expected: 'a test call', got: `refused: ${message}` }], run: view };
      }
    },
    async stop(): Promise<void> {
      await RED.stop().catch(() => undefined);
      running = false;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Waits until each release set has read its states and each entry's release tag has acted (the version is in the
 * tag's state, or the tag was refused, which the entry's status says), as the book reports its changes.
 */
async function settle(flows: readonly NodeDef[]): Promise<void> {
  const tagged = flows.filter((n) => n.type === 'callflow-entry' && typeof n.releases === 'string' && n.releases !== '' && (n.release === 'official' || n.release === 'gray') && n.d !== true);
  const sets = [...new Set(flows.filter((n) => n.type === 'callflow-releases' && n.d !== true).map((n) => n.id))];
  const deadline = Date.now() + SETTLE_MS;
  for (const id of sets) {
    const book = findBook(id);
    if (!book) continue;
    const done = (): boolean =>
      book.ready &&
      tagged
        .filter((e) => e.releases === id)
        .every((e) => {
          const flow = typeof e.flow === 'string' ? e.flow : '';
          const version = typeof e.version === 'string' ? e.version : '';
          return book.stateOf(flow, version) === e.release || book.entryStatus(e.id, flow, version).says === 'tag-refused';
        });
    if (done()) continue;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(finish, Math.max(0, deadline - Date.now()));
      const off = book.onChange(() => {
        if (done()) finish();
      });
      function finish(): void {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  }
}
