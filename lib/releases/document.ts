/**
 * The release book's document and what it knows of the last deploy: the
 * "releases" document as read from the store, changed one at a time on a
 * copy that is checked and written compare-and-set before it counts; the
 * deployed versions, conflicts and refused release tags; the counters'
 * delayed write; and the listeners told of every change. The operations
 * (editing.ts, release.ts, snapshots.ts, deploy.ts, counters.ts) and the
 * views (views.ts, pick.ts) work on it; book.ts puts them together as the
 * ReleaseBook.
 */
import type { Logger } from '../log';
import { own, put } from '../own';
import { releasesDocument, type FlowRecord, type GraySettings, type ReleaseState, type ReleasesDocument, type VersionCounters, type VersionRecord } from '../schemas/releases';
import type { Store } from '../store/port';
import type { FlowNode } from './nodes';
import type { FlowReference } from './references';
import { ReleaseError } from './states';

export type ReleaseStore = Pick<Store, 'getDocument' | 'putDocument' | 'saveSnapshot' | 'listSnapshots' | 'getSnapshot'>;

/** Who asks: the user (adminAuth's user name, or "anonymous") and the editor page they ask from. */
export interface Actor {
  user: string;
  editor?: string;
}

/** A tab as deployed: one version of a flow. */
export interface DeployedVersion {
  flow: string;
  version: string;
  tab: string;
  entry: string;
  connection: string;
  /** The entry's release tag: deploying the tab with it set asks for that release. */
  release: '' | 'official' | 'gray';
  gray?: GraySettings;
  /** The tab and every node on it. */
  nodes: FlowNode[];
}

export interface BookOptions {
  id: string;
  /** The store, once it is open (rejects while it cannot be reached). */
  store: () => Promise<ReleaseStore>;
  log: Logger;
  /** Calls in progress on a version. */
  liveCalls: (flow: string, version: string) => number;
  /** The deployed config nodes' types by id (validation). */
  configTypes: () => ReadonlyMap<string, string>;
  /** Asks a connection's Asterisk about a media URI; undefined when that connection is not up. */
  mediaCheck?: (connection: string) => ((uri: string) => Promise<boolean | undefined>) | undefined;
  now?: () => number;
  random?: () => number;
  /** How often the document is read again for another Node-RED's change (default REFRESH_MS). */
  refreshMs?: number;
}

/** A version's record in a releases document, if the flow has that version. */
export function versionIn(doc: ReleasesDocument, flow: string, version: string): VersionRecord | undefined {
  const f = own(doc.flows, flow);
  return f ? own(f.versions, version) : undefined;
}

const HISTORY_LIMIT = 50;
const COUNTER_FLUSH_MS = 5000;
/** How often a book reads its document again for another Node-RED's change (a release, an edit lock). */
export const REFRESH_MS = 5000;

/** Each version's counters in a document, by key(flow, version). */
function countersOf(doc: ReleasesDocument): Map<string, VersionCounters> {
  const out = new Map<string, VersionCounters>();
  for (const [flow, f] of Object.entries(doc.flows)) for (const [version, r] of Object.entries(f.versions)) out.set(key(flow, version), { ...r.counters });
  return out;
}

function emptyCounters(): VersionCounters {
  return { calls: 0, completed: 0, hungUpEarly: 0, transferred: 0, totalSec: 0, ended: 0 };
}

function unreachable(err: unknown): ReleaseError {
  return new ReleaseError(503, `the release store cannot be reached: ${(err as Error).message}`);
}

/** The key of a flow's version in the maps of what is deployed. */
export const key = (flow: string, version: string): string => `${flow}\u0000${version}`;

/** Adds to a version's history, keeping the latest HISTORY_LIMIT entries (the schema allows no more than 100). */
export function note(record: VersionRecord, entry: VersionRecord['history'][number]): void {
  record.history.push(entry);
  if (record.history.length > HISTORY_LIMIT) record.history.splice(0, record.history.length - HISTORY_LIMIT);
}

export class BookDocument {
  doc: ReleasesDocument = { flows: {} };
  private rev = 0;
  private loaded: Promise<void> | undefined;
  isLoaded = false;
  deployed = new Map<string, DeployedVersion>();
  conflicts = new Map<string, string>();
  /** The deployed nodes that name each flow (references.ts), as of the last deploy. */
  references = new Map<string, FlowReference[]>();
  /** Why the last deploy's release tag of an entry was refused, by entry id. */
  tagProblems = new Map<string, string>();
  private queue: Promise<unknown> = Promise.resolve();
  private countersDirty = false;
  /** Each version's counters as last read or written: what this.doc has beyond them is this Node-RED's not written yet. */
  private written = new Map<string, VersionCounters>();
  private refreshTimer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<() => void>();
  readonly now: () => number;
  readonly random: () => number;
  private closed = false;

  /** Where the book logs; the config node instance deployed now sets it (as an engine's log follows its node). */
  log: Logger;

  constructor(readonly options: BookOptions) {
    this.log = options.log;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  get id(): string {
    return this.options.id;
  }

  /** Calls `listener` after every change (states, deploys, counters); returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed(): void {
    for (const l of [...this.listeners]) l();
  }

  /** Reads the document from the store, once; later calls wait for the same load. A failed load is tried again on the next call. */
  load(): Promise<void> {
    this.loaded ??= (async () => {
      const store = await this.options.store();
      const stored = await store.getDocument<ReleasesDocument>('releases', this.id);
      if (stored) {
        this.doc = releasesDocument.assert(stored.value, `releases ${this.id}`);
        this.rev = stored.rev;
        this.written = countersOf(this.doc);
      }
      this.isLoaded = true;
      this.watch();
      this.changed();
    })().catch((err: unknown) => {
      this.loaded = undefined;
      throw err;
    });
    return this.loaded;
  }

  /**
   * Reads the document again if another Node-RED on the same store wrote it
   * since this one last read or wrote it (a release, an edit lock, its
   * counters): theirs is taken, and this Node-RED's call counts not written
   * yet are added on top. Returns whether it changed. Runs every
   * REFRESH_MS (BookOptions.refreshMs) once the book is loaded, so a change
   * made on another instance counts here within that time.
   */
  refresh(): Promise<boolean> {
    return this.serial(async () => {
      if (!this.isLoaded || this.closed) return false;
      const store = await this.options.store();
      const stored = await store.getDocument<ReleasesDocument>('releases', this.id);
      if (!stored || stored.rev <= this.rev) return false;
      this.takeStored(releasesDocument.assert(stored.value, `releases ${this.id}`), stored.rev);
      this.changed();
      return true;
    });
  }

  /** Takes a document another Node-RED wrote, with this one's counts not written yet added to its counters. */
  private takeStored(doc: ReleasesDocument, rev: number): void {
    const fresh = countersOf(doc);
    for (const [flow, f] of Object.entries(doc.flows)) {
      for (const [version, r] of Object.entries(f.versions)) {
        const mine = versionIn(this.doc, flow, version)?.counters;
        const before = this.written.get(key(flow, version));
        if (!mine) continue;
        const c = r.counters;
        for (const k of Object.keys(c) as (keyof VersionCounters)[]) c[k] = Math.max(0, Math.round((c[k] + mine[k] - (before?.[k] ?? 0)) * 10) / 10);
      }
    }
    this.doc = doc;
    this.rev = rev;
    this.written = fresh;
  }

  /** Reads the document again every REFRESH_MS while the book is open. */
  private watch(): void {
    if (this.refreshTimer || this.closed) return;
    this.refreshTimer = setInterval(() => void this.refresh().catch(() => undefined), this.options.refreshMs ?? REFRESH_MS);
    this.refreshTimer.unref();
  }

  /** Runs `fn` after every earlier change, one at a time. */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Changes the document: `fn` edits a copy, which is checked and written
   * with the revision it was read at; only then does it replace what is in
   * memory. A store that cannot be reached refuses the change (503).
   */
  async mutate<T>(fn: (doc: ReleasesDocument) => T): Promise<T> {
    await this.loadOr503();
    const next = structuredClone(this.doc);
    const result = fn(next);
    releasesDocument.assert(next, `releases ${this.id}`);
    const store = await this.storeOr503();
    try {
      this.rev = await store.putDocument('releases', this.id, next as unknown as Record<string, unknown>, this.rev, this.now());
    } catch (err) {
      if ((err as { kind?: string }).kind === 'conflict') {
        // Someone else wrote it (another Node-RED on the same store): take theirs, with the counts not written yet on
        // top; the caller may try again (the counters' write does, at once).
        const stored = await store.getDocument<ReleasesDocument>('releases', this.id).catch(() => undefined);
        if (stored) {
          this.takeStored(releasesDocument.assert(stored.value, `releases ${this.id}`), stored.rev);
          this.changed();
        }
        throw new ReleaseError(409, `the release states were changed elsewhere meanwhile; they have been reloaded, try again`);
      }
      throw new ReleaseError(503, `the release store refused the change: ${(err as Error).message}`);
    }
    const written = countersOf(next);
    // Calls counted while the write was under way went to this.doc (in place), not to the copy: keep them, and write them later.
    let counted = false;
    for (const [flow, f] of Object.entries(next.flows)) {
      for (const [version, r] of Object.entries(f.versions)) {
        const mine = versionIn(this.doc, flow, version)?.counters;
        if (mine && (Object.keys(mine) as (keyof VersionCounters)[]).some((k) => mine[k] !== r.counters[k])) {
          r.counters = { ...mine };
          counted = true;
        }
      }
    }
    this.doc = next;
    this.written = written;
    this.countersDirty = false;
    if (counted) this.dirty();
    this.changed();
    return result;
  }

  flowOf(doc: ReleasesDocument, flow: string): FlowRecord {
    const record = own(doc.flows, flow);
    if (!record) throw new ReleaseError(404, `no flow ${flow} in this release set`);
    return record;
  }

  versionOf(doc: ReleasesDocument, flow: string, version: string): VersionRecord {
    const record = own(this.flowOf(doc, flow).versions, version);
    if (!record) throw new ReleaseError(404, `flow ${flow} has no version ${version}`);
    return record;
  }

  transition(record: VersionRecord, to: ReleaseState, op: string, by: string, comment?: string): void {
    const entry: VersionRecord['history'][number] = { at: this.now(), by, op, from: record.state, to };
    if (comment) entry.comment = comment;
    note(record, entry);
    record.state = to;
    if (to !== 'editing') delete record.lock;
    if (to !== 'official') delete record.retiring;
  }

  newRecord(state: ReleaseState, by: string): VersionRecord {
    return { state, createdAt: this.now(), createdBy: by, counters: emptyCounters(), history: [] };
  }

  /**
   * The record of a deployed version; one deployed for the first time (`first`) is New, as a flow just created is in
   * the life cycle, until it is edited (Edit, or a deploy that changes its tab) or released.
   */
  recordOf(doc: ReleasesDocument, d: { flow: string; version: string }, by: string): { record: VersionRecord; first: boolean } {
    const flow = own(doc.flows, d.flow) ?? put(doc.flows, d.flow, { versions: {} });
    const known = own(flow.versions, d.version);
    if (known) return { record: known, first: false };
    const record = this.newRecord('new', by);
    note(record, { at: this.now(), by, op: 'deploy', from: 'new', to: 'new', comment: 'deployed for the first time' });
    put(flow.versions, d.version, record);
    return { record, first: true };
  }

  async storeOr503(): Promise<ReleaseStore> {
    try {
      return await this.options.store();
    } catch (err) {
      throw unreachable(err);
    }
  }

  async loadOr503(): Promise<void> {
    try {
      await this.load();
    } catch (err) {
      throw unreachable(err);
    }
  }

  /** Counters change on every call: they are written at most every few seconds. */
  dirty(): void {
    this.countersDirty = true;
    if (this.flushTimer || this.closed) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      if (this.countersDirty) void this.serial(() => this.writeCounters()).catch(() => undefined);
    }, COUNTER_FLUSH_MS);
    this.flushTimer.unref();
  }

  /** Writes the counters; once more after another Node-RED's write (taken, with these counts on top). */
  private async writeCounters(): Promise<void> {
    try {
      await this.mutate(() => undefined);
    } catch (err) {
      if (!(err instanceof ReleaseError && err.status === 409)) throw err;
      await this.mutate(() => undefined);
    }
  }

  /** Writes what is pending (counters) and stops the timers. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.refreshTimer);
    this.refreshTimer = undefined;
    await this.flush();
  }

  /** Writes the counters not written yet (Node-RED stops or redeploys). */
  async flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.countersDirty && this.isLoaded) await this.serial(() => this.writeCounters()).catch(() => undefined);
    else await this.queue;
  }
}
