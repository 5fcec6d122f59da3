/**
 * A Node-RED user directory with this package installed (linked) and the
 * example flows deployed: what `npm start` runs, and what the real-runtime
 * test starts. Node-RED runs as a child process (this module imports
 * nothing from Node-RED); it is found in this package's node_modules.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** The repository (package) root, from dist/lib/playground. */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..', '..');

export interface ExampleFlow {
  file: string;
  name: string;
  nodes: Record<string, unknown>[];
}

/** Every example flow under examples/, in file order. */
export function readExamples(root = PACKAGE_ROOT): ExampleFlow[] {
  const dir = path.join(root, 'examples');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, name: file.replace(/\.json$/, ''), nodes: JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>[] }));
}

/** Where the examples expect this Node-RED: their stand-in services (the robot's recogniser and bot) are its http in nodes. */
const EXAMPLES_NODE_RED = 'http://127.0.0.1:1880/';

/**
 * The examples for a Node-RED on `port` (`PORT` of `npm start`): every string property naming the examples' own
 * Node-RED (EXAMPLES_NODE_RED, as the example files do for the default port) names `port` instead, so the robot's
 * stand-in services are reached and the tabs' instructions are right. The files themselves are not changed.
 */
export function examplesAt(examples: ExampleFlow[], port: number): ExampleFlow[] {
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new RangeError(`PORT must be a TCP port (1-65535), got ${String(port)}`);
  if (port === 1880) return examples;
  const here = `http://127.0.0.1:${port}/`;
  const moved = (n: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(Object.entries(n).map(([k, v]) => [k, typeof v === 'string' ? v.split(EXAMPLES_NODE_RED).join(here) : v]));
  return examples.map((e) => ({ ...e, nodes: e.nodes.map(moved) }));
}

/** The examples' shared config nodes: their Asterisk connection and their embedded store. */
export const EXAMPLES_CONNECTION = 'c0ffee0000000001';
export const EXAMPLES_STORE = 'c0ffee0000000002';

/**
 * All examples as one flow configuration: a tab each; config nodes several examples share are kept once. Together,
 * the examples' connection keeps call records in the examples' store (*Keep call records in*), so that `npm start`
 * lists ended calls, their steps, a robot's conversation and a campaign call's recording in the Call flows sidebar;
 * an example imported alone (Import > Examples) leaves it to the user, as the example may come without the store.
 */
export function combineExamples(examples: ExampleFlow[]): Record<string, unknown>[] {
  const seen = new Set<string>();
  const out: Record<string, unknown>[] = [];
  for (const example of examples) {
    for (const n of example.nodes) {
      const id = String(n.id);
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(n);
    }
  }
  const connection = out.findIndex((n) => n.id === EXAMPLES_CONNECTION && n.type === 'callflow-asterisk');
  const connectionNode = out[connection];
  if (connectionNode && !connectionNode.recordStore && seen.has(EXAMPLES_STORE)) out[connection] = { ...connectionNode, recordStore: EXAMPLES_STORE };
  return out;
}

export interface HomeOptions {
  dir: string;
  port: number;
  /** Flows written when the user directory has none yet (an existing flows file is the user's and is kept). */
  flows: Record<string, unknown>[];
  /** Replace the flows file even if one exists (tests). */
  replaceFlows?: boolean;
  /**
   * Examples to offer: when the flows file exists, the tabs of examples this
   * user directory has never been given are added to it (newer versions of
   * the package bring new examples); an example tab the user deleted is not
   * brought back.
   */
  examples?: ExampleFlow[];
}

export interface PreparedHome {
  settings: string;
  /** Example names added to an existing flows file by this start. */
  added: string[];
  /** Example names whose tab is not in the flows file (the user deleted it). */
  missing: string[];
}

/** The file in the user directory that lists the example tabs already offered. */
const OFFERED_FILE = '.callflow-examples.json';

function tabIds(nodes: Record<string, unknown>[]): string[] {
  return nodes.filter((n) => n.type === 'tab').map((n) => String(n.id));
}

/**
 * Adds to `flows` the examples whose tabs were never offered and are not
 * there: their nodes whose ids are not already present (a config node
 * several examples share is kept once). Returns the new flows and the names
 * of the examples added. Pure: the caller reads and writes the files.
 */
export function mergeExamples(
  flows: Record<string, unknown>[],
  examples: ExampleFlow[],
  offered: ReadonlySet<string>,
): { flows: Record<string, unknown>[]; added: string[] } {
  const ids = new Set(flows.map((n) => String(n.id)));
  const out = [...flows];
  const added: string[] = [];
  for (const example of examples) {
    const tabs = tabIds(example.nodes);
    if (tabs.length === 0 || tabs.some((t) => offered.has(t) || ids.has(t))) continue;
    for (const n of example.nodes) {
      const id = String(n.id);
      if (ids.has(id)) continue;
      ids.add(id);
      out.push(n);
    }
    added.push(example.name);
  }
  return { flows: out, added };
}

/** Creates or refreshes the user directory: settings, the link to this package, the flows file. */
export function prepareHome(options: HomeOptions): PreparedHome {
  fs.mkdirSync(path.join(options.dir, 'node_modules'), { recursive: true });
  const link = path.join(options.dir, 'node_modules', 'node-red-contrib-callflow');
  let current: string | undefined;
  try {
    current = fs.readlinkSync(link);
  } catch {
    current = undefined;
  }
  if (current !== PACKAGE_ROOT) {
    fs.rmSync(link, { recursive: true, force: true });
    fs.symlinkSync(PACKAGE_ROOT, link, 'dir');
  }
  fs.writeFileSync(
    path.join(options.dir, 'package.json'),
    `${JSON.stringify({ name: 'callflow-playground', private: true, description: 'Node-RED user directory made by npm start', dependencies: { 'node-red-contrib-callflow': `file:${PACKAGE_ROOT}` } }, null, 2)}\n`,
  );
  const flowsFile = path.join(options.dir, 'flows.json');
  const offeredFile = path.join(options.dir, OFFERED_FILE);
  const saved = fs.existsSync(offeredFile) ? (JSON.parse(fs.readFileSync(offeredFile, 'utf8')) as string[]) : undefined;
  const examples = options.examples ?? [];
  let added: string[] = [];
  let flows = options.flows;
  if (options.replaceFlows || !fs.existsSync(flowsFile)) {
    fs.writeFileSync(flowsFile, `${JSON.stringify(flows, null, 2)}\n`);
  } else {
    flows = JSON.parse(fs.readFileSync(flowsFile, 'utf8')) as Record<string, unknown>[];
    // Without the list (a directory from before it existed), the tabs already there count as offered.
    const merged = mergeExamples(flows, examples, new Set(saved ?? tabIds(flows)));
    if (merged.added.length > 0) {
      // Keep the user's file as it was, beside the new one.
      fs.copyFileSync(flowsFile, `${flowsFile}.before-examples`);
      fs.writeFileSync(flowsFile, `${JSON.stringify(merged.flows, null, 2)}\n`);
    }
    flows = merged.flows;
    added = merged.added;
  }
  const present = new Set(tabIds(flows));
  const missing = examples.filter((e) => !tabIds(e.nodes).every((t) => present.has(t))).map((e) => e.name);
  const offered = new Set<string>(saved ?? []);
  for (const e of examples) for (const t of tabIds(e.nodes)) if (present.has(t)) offered.add(t);
  if (examples.length > 0) fs.writeFileSync(offeredFile, `${JSON.stringify([...offered].sort(), null, 2)}\n`);
  const settings = path.join(options.dir, 'settings.js');
  fs.writeFileSync(
    settings,
    `// Written by callflow's npm start: Node-RED for trying node-red-contrib-callflow on this machine only.
module.exports = {
  uiHost: '127.0.0.1',
  uiPort: ${options.port},
  flowFile: 'flows.json',
  flowFilePretty: true,
  credentialSecret: false,
  // No phoning home from a playground (and no consent dialog at the first visit).
  telemetry: { enabled: false },
  editorTheme: { tours: false, palette: { categories: ['callflow', 'common', 'function', 'network', 'sequence', 'parser', 'storage'] } },
  logging: { console: { level: 'info', metrics: false, audit: false } },
};
`,
  );
  return { settings, added, missing };
}

/**
 * A free TCP port on loopback for a server started later (a Node-RED child
 * process). Not one the OS picks for `listen(0)`: those come from the
 * ephemeral range, which outgoing connections use too, so one made by any
 * process between this check and the server's listen could hold the port
 * ("port in use"). A random port below that range (Linux's
 * ip_local_port_range), checked free by listening on it; the OS's pick if
 * none of a few tries is free.
 */
export async function freePort(): Promise<number> {
  const low = ephemeralLow();
  for (let i = 0; i < 20; i += 1) {
    const port = 10_000 + Math.floor(Math.random() * Math.max(1, low - 10_000));
    if (await listensOn(port)) return port;
  }
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The first port of the OS's ephemeral range (32768 where it cannot be read). */
function ephemeralLow(): number {
  try {
    const low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 11_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/** Whether a server can listen on the loopback port now (it is closed again at once). */
function listensOn(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Starts Node-RED on a user directory; output goes to `onOutput` line by line. */
export function startNodeRed(options: { dir: string; settings: string; env?: Record<string, string>; onOutput?: (line: string) => void }): ChildProcess {
  const red = require.resolve('node-red/red.js', { paths: [PACKAGE_ROOT] });
  const child = spawn(process.execPath, [red, '--userDir', options.dir, '--settings', options.settings], {
    cwd: options.dir,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const forward = (stream: NodeJS.ReadableStream | null): void => {
    let buffer = '';
    stream?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let i: number;
      while ((i = buffer.indexOf('\n')) >= 0) {
        options.onOutput?.(buffer.slice(0, i));
        buffer = buffer.slice(i + 1);
      }
    });
  };
  forward(child.stdout);
  forward(child.stderr);
  return child;
}

/** Resolves with the first output line matching `pattern`; fails when the child exits first or after timeoutMs; `signal` stops waiting (resolves with ''). */
export function waitForOutput(
  child: ChildProcess,
  lines: { on(listener: (line: string) => void): () => void },
  pattern: RegExp,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      done();
      resolve('');
    };
    const off = lines.on((line) => {
      if (!pattern.test(line)) return;
      done();
      resolve(line);
    });
    const onExit = (code: number | null): void => {
      done();
      reject(new Error(`Node-RED exited (code ${code}) before printing ${pattern}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`Node-RED did not print ${pattern} within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (): void => {
      off();
      clearTimeout(timer);
      child.off('exit', onExit);
      signal?.removeEventListener('abort', onAbort);
    };
    child.once('exit', onExit);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Fan-out of a child's output lines to several listeners. */
export class OutputLines {
  private readonly listeners = new Set<(line: string) => void>();
  readonly all: string[] = [];

  push(line: string): void {
    this.all.push(line);
    for (const l of [...this.listeners]) l(line);
  }

  on(listener: (line: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
