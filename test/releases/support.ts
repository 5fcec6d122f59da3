/**
 * What the release-engine tests share: a release book on a real embedded
 * store in a temporary directory, with a clock, live calls, config nodes
 * and media that the test controls; realistic versions of a flow as
 * Node-RED deploys them; and the check of a ReleaseError.
 */
import { seededRandom } from '../../lib/seeded-random';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../../lib/log';
import { ReleaseBook, type BookOptions, type DeployedVersion, type ReleaseStore } from '../../lib/releases/book';
import { parseCallers } from '../../lib/releases/gray';
import type { FlowNode } from '../../lib/releases/nodes';
import { ReleaseError } from '../../lib/releases/states';
import type { DocumentKind, FlowSnapshot } from '../../lib/schemas/store';
import { EmbeddedStore } from '../../lib/store/embedded';
import type { SnapshotSummary, StoredDocument } from '../../lib/store/port';

/** Config nodes deployed by default: the connection, the release set, a store and a routing table. */
export function defaultConfigTypes(): Map<string, string> {
  return new Map([
    ['a1', 'callflow-asterisk'],
    ['r1', 'callflow-releases'],
    ['s1', 'callflow-store'],
    ['g1', 'callflow-routing'],
  ]);
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
}

export interface Harness {
  dir: string;
  store: EmbeddedStore;
  /** The book under test (release set r1). */
  book: ReleaseBook;
  clock: { now: number };
  /** Live calls by `${flow} ${version}`. */
  live: Map<string, number>;
  configTypes: Map<string, string>;
  logs: LogLine[];
  /** The connections the book asked media checks for. */
  mediaAsked: string[];
  /** Another book on the same store (another Node-RED start), closed with the harness. */
  openBook(extra?: Partial<BookOptions>): ReleaseBook;
  setLive(flow: string, version: string, calls: number): void;
  /**
   * Deploys `versions` (reconcile), then makes each one that is New (deployed for the first time) Unreleased
   * through the book's Edit and the end of editing, by the user "setup": a version ready to release, as most tests
   * need it. Returns what the deploy logged.
   */
  deploy(versions: DeployedVersion[], book?: ReleaseBook): Promise<string[]>;
  advance(ms: number): void;
  close(): Promise<void>;
}

export interface HarnessOptions {
  random?: () => number;
  /** Media URIs the fake Asterisk does not have (the rest exist). */
  missingMedia?: string[];
  /** Stands between the book and the real store (to hold or fail a write). */
  wrapStore?: (real: EmbeddedStore) => ReleaseStore;
  /** Start of the clock (ms since 1970). */
  start?: number;
}

export const T0 = Date.UTC(2025, 0, 23, 9, 0, 0);

/** Who brings versions to Unreleased in `deploy`. */
export const SETUP = { user: 'setup', editor: 'ed-setup' } as const;

export async function harness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callflow-releases-'));
  const store = new EmbeddedStore({ file: path.join(dir, 'callflow.db') });
  await store.open();
  const clock = { now: options.start ?? T0 };
  const live = new Map<string, number>();
  const configTypes = defaultConfigTypes();
  const logs: LogLine[] = [];
  const mediaAsked: string[] = [];
  const missing = new Set(options.missingMedia ?? []);
  const log: Logger = {
    debug: (message) => logs.push({ level: 'debug', message }),
    info: (message) => logs.push({ level: 'info', message }),
    warn: (message) => logs.push({ level: 'warn', message }),
    error: (message) => logs.push({ level: 'error', message }),
  };
  const seen = options.wrapStore ? options.wrapStore(store) : store;
  const books: ReleaseBook[] = [];
  const openBook = (extra: Partial<BookOptions> = {}): ReleaseBook => {
    const book = new ReleaseBook({
      id: 'r1',
      store: () => Promise.resolve(seen),
      log,
      liveCalls: (flow, version) => live.get(`${flow} ${version}`) ?? 0,
      configTypes: () => configTypes,
      mediaCheck: (connection) => {
        mediaAsked.push(connection);
        return (uri) => Promise.resolve(!missing.has(uri));
      },
      now: () => clock.now,
      random: options.random ?? seededRandom(1),
      ...extra,
    });
    books.push(book);
    return book;
  };
  const book = openBook();
  let closed = false;
  return {
    dir,
    store,
    book,
    clock,
    live,
    configTypes,
    logs,
    mediaAsked,
    openBook,
    setLive: (flow, version, calls) => live.set(`${flow} ${version}`, calls),
    deploy: async (versions, on = book) => {
      const lines = await on.reconcile(versions);
      for (const d of versions) {
        if (on.stateOf(d.flow, d.version) !== 'new') continue;
        await on.edit(d.flow, d.version, SETUP);
        await on.finishEditing(d.flow, d.version, SETUP);
      }
      return lines;
    },
    advance: (ms) => {
      clock.now += ms;
    },
    // Closing twice is harmless (a test that made a new harness, then the afterEach).
    close: async () => {
      if (closed) return;
      closed = true;
      for (const b of books.splice(0)) await b.close();
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface VersionOptions {
  flow?: string;
  release?: '' | 'official' | 'gray';
  grayShare?: number;
  grayCallers?: string;
  /** The greeting's prompt. */
  greeting?: string;
}

/** The id of a node of a fixture version: `${flow}.${version}.${name}`. */
export function nid(version: string, name: string, flow = 'sales'): string {
  return `${flow}.${version}.${name}`;
}

/**
 * A version of a flow as Node-RED deploys it: the tab, the entry, an answer,
 * a menu (option 1 plays a greeting, option 2 goes through a link out/in to
 * a transfer, its third output "no valid key" ends the call), and a hangup.
 * Every element is reachable and every output is wired or marked as ending.
 */
export function versionNodes(version: string, o: VersionOptions = {}): FlowNode[] {
  const flow = o.flow ?? 'sales';
  const id = (name: string): string => nid(version, name, flow);
  const tab = id('tab');
  return [
    { id: tab, type: 'tab', label: `${flow} ${version}`, disabled: false, info: '' },
    {
      id: id('entry'),
      type: 'callflow-entry',
      z: tab,
      name: '',
      connection: 'a1',
      flow,
      releases: 'r1',
      version,
      release: o.release ?? '',
      grayShare: o.grayShare ?? 0,
      grayCallers: o.grayCallers ?? '',
      x: 120,
      y: 80,
      wires: [[id('answer')]],
    },
    { id: id('answer'), type: 'callflow-answer', z: tab, name: '', onError: 'hangup', x: 300, y: 80, wires: [[id('menu')]] },
    {
      id: id('menu'),
      type: 'callflow-menu',
      z: tab,
      name: 'main menu',
      prompts: ['sound:vm-options'],
      options: ['1', '2'],
      labels: ['greeting', 'agent'],
      retries: 2,
      ends: [3],
      x: 480,
      y: 80,
      wires: [[id('play')], [id('lo')], []],
    },
    { id: id('play'), type: 'callflow-play', z: tab, name: 'greeting', prompts: [o.greeting ?? 'sound:hello-world'], language: 'en', x: 660, y: 60, wires: [[id('hangup')]] },
    { id: id('lo'), type: 'link out', z: tab, name: '', mode: 'link', links: [id('li')], x: 640, y: 120, wires: [] },
    { id: id('li'), type: 'link in', z: tab, name: '', links: [id('lo')], x: 120, y: 200, wires: [[id('transfer')]] },
    { id: id('transfer'), type: 'callflow-transfer', z: tab, name: 'agent', destination: 'PJSIP/100', x: 300, y: 200, wires: [[id('hangup')]] },
    { id: id('hangup'), type: 'callflow-hangup', z: tab, name: '', x: 840, y: 80, wires: [] },
  ];
}

/**
 * The versions of release set r1 in a list of deployed nodes, as
 * nodes/releases/deployed.ts finds them: one per enabled callflow-entry
 * naming r1, with its tab's nodes.
 */
export function deployedFrom(nodes: readonly FlowNode[]): DeployedVersion[] {
  const out: DeployedVersion[] = [];
  for (const n of nodes) {
    if (n.type !== 'callflow-entry' || n.releases !== 'r1' || n.d === true || !n.z) continue;
    const tab = nodes.find((t) => t.id === n.z && t.type === 'tab');
    assert.ok(tab, `the tab of entry ${n.id}`);
    const release = (n.release ?? '') as DeployedVersion['release'];
    const d: DeployedVersion = {
      flow: n.flow as string,
      version: n.version as string,
      tab: tab.id,
      entry: n.id,
      connection: n.connection as string,
      release,
      nodes: [tab, ...nodes.filter((x) => x.z === tab.id)].map((x) => structuredClone(x)),
    };
    if (release === 'gray') d.gray = { share: (n.grayShare as number | undefined) ?? 0, callers: parseCallers((n.grayCallers as string | undefined) ?? '') };
    out.push(d);
  }
  return out;
}

/** One version deployed: `deployedFrom(versionNodes(version, o))`. */
export function deployed(version: string, o: VersionOptions = {}): DeployedVersion {
  const [d] = deployedFrom(versionNodes(version, o));
  assert.ok(d);
  return d;
}

/** The node with id `id`, which must be there. */
export function node(nodes: readonly FlowNode[], id: string): FlowNode {
  const found = nodes.find((n) => n.id === id);
  assert.ok(found, `node ${id}`);
  return found;
}

/** Checks that `error` is a ReleaseError with `status` whose message matches each of `mentions`; returns it. */
export function releaseError(error: unknown, status: ReleaseError['status'], ...mentions: RegExp[]): ReleaseError {
  assert.ok(error instanceof ReleaseError, `a ReleaseError, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  assert.equal(error.status, status, error.message);
  for (const m of mentions) assert.match(error.message, m);
  return error;
}

/** Runs `fn` (sync or async) and returns the ReleaseError it fails with, checked as releaseError does. */
export async function refused(fn: () => unknown, status: ReleaseError['status'], ...mentions: RegExp[]): Promise<ReleaseError> {
  let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, value: await fn() };
  } catch (error) {
    outcome = { ok: false, error };
  }
  assert.ok(!outcome.ok, `expected a refusal (${status}), but it succeeded with ${JSON.stringify(outcome.ok ? outcome.value : undefined)?.slice(0, 300)}`);
  return releaseError(outcome.error, status, ...mentions);
}

/** Regex-escapes a text. */
export function literal(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}

/**
 * The real store with a hand on its writes: `hold()` stops the next
 * document write until released (to act while a write is under way), and
 * `failing` makes writes fail (a store that cannot be reached).
 */
export class ControlledStore implements ReleaseStore {
  failing: string | undefined;
  documentWrites = 0;
  private gate: { reached: () => void; opened: Promise<void> } | undefined;

  constructor(readonly real: EmbeddedStore) {}

  /** Holds the next document write; `reached` resolves when it is waiting, `release` lets it go on. */
  hold(): { reached: Promise<void>; release: () => void } {
    let reached!: () => void;
    let release!: () => void;
    const reachedP = new Promise<void>((resolve) => (reached = resolve));
    const opened = new Promise<void>((resolve) => (release = resolve));
    this.gate = { reached, opened };
    return { reached: reachedP, release };
  }

  getDocument<T = Record<string, unknown>>(kind: DocumentKind, id: string): Promise<StoredDocument<T> | undefined> {
    return this.real.getDocument<T>(kind, id);
  }

  async putDocument(kind: DocumentKind, id: string, value: Record<string, unknown>, expectedRev: number, now: number): Promise<number> {
    this.documentWrites += 1;
    const gate = this.gate;
    if (gate) {
      this.gate = undefined;
      gate.reached();
      await gate.opened;
    }
    if (this.failing) throw new Error(this.failing);
    return this.real.putDocument(kind, id, value, expectedRev, now);
  }

  saveSnapshot(snapshot: FlowSnapshot): Promise<void> {
    if (this.failing) return Promise.reject(new Error(this.failing));
    return this.real.saveSnapshot(snapshot);
  }

  listSnapshots(flow: string): Promise<SnapshotSummary[]> {
    return this.real.listSnapshots(flow);
  }

  getSnapshot(id: string): Promise<FlowSnapshot | undefined> {
    return this.real.getSnapshot(id);
  }
}
