/**
 * The release book of one callflow-releases config node: for every IVR flow
 * name, its versions, each version's state, edit lock, release record and
 * counters; the gray settings of each flow; and which version each new
 * call runs.
 *
 * A version is a Node-RED tab whose callflow-entry names the flow and the
 * version. The book hears of deployed tabs through `reconcile` (after each
 * deploy), and of requests from the editor through the operations below,
 * each checked against the state table (states.ts). Every change is written
 * to the store (a "releases" document, compare-and-set) before it counts;
 * a store that cannot be reached refuses the operation (503) and routing
 * goes on from what is in memory.
 *
 * Time comes from `now` and chance from `random` (both injectable), so lock
 * timeouts and gray shares are tested without waiting or guessing.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../log';
import { own, put } from '../own';
import {
  graySettings as grayValidator,
  releasesDocument,
  type EditLock,
  type FlowRecord,
  type GraySettings,
  type ReleaseRequest,
  type ReleaseState,
  type ReleasesDocument,
  type VersionCounters,
  type VersionRecord,
} from '../schemas/releases';
import type { FlowSnapshot } from '../schemas/store';
import type { SnapshotSummary, Store } from '../store/port';
import { diffVersions, type FlowDiff } from './diff';
import { takesGray } from './gray';
import { copyAsVersion, hashNodes, type FlowNode } from './nodes';
import { ALLOWED, LOCK_TIMEOUT_MS, OPERATION_NAMES, ReleaseError, STATE_NAMES, allows, mustAllow, refusal, type Operation } from './states';
import { validateVersion, type ValidationResult } from './validate';

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

/** What a versioned entry's status says; the node words it in the user's language (callflow-entry.status.<says>). */
export type EntryStatusKind = 'conflict' | 'tag-refused' | 'loading' | 'not-in-set' | 'retiring' | 'official' | 'gray' | 'gray-callers' | 'editing' | 'new' | 'unreleased';

export interface EntryStatus {
  fill: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape: 'dot' | 'ring';
  /** What it says, and the values it says it with (version, share, callers, user, count, flow). */
  says: EntryStatusKind;
  values: Record<string, string | number>;
  /** Calls of the version in progress, to show after it (0: none to show). */
  calls: number;
  /** The same in English, with the details (a conflict's or a refused tag's reason). */
  text: string;
}

/** How a call of a version ended, for its counters. */
export type CallEndKind = 'completed' | 'hung-up-early' | 'transferred' | 'other';

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
}

export interface VersionView {
  version: string;
  state: ReleaseState;
  stateName: string;
  retiring: boolean;
  /** The operations the state allows (the editor shows these buttons and no others). */
  allowed: Operation[];
  lock?: { user: string; editor: string; since: number; expiresAt: number };
  deployed: boolean;
  tab?: string;
  /** Two entries claim this version: it takes no calls. */
  conflict?: string;
  /** The deployed nodes differ from what was released. */
  changedSinceRelease: boolean;
  liveCalls: number;
  counters: VersionCounters & { averageSec: number };
  createdAt: number;
  createdBy: string;
  from?: { version?: string; snapshot?: string };
  releasedAt?: number;
  releasedBy?: string;
  comment?: string;
  snapshot?: string;
  history: VersionRecord['history'];
}

export interface FlowView {
  flow: string;
  gray?: GraySettings;
  official?: string;
  grayVersion?: string;
  versions: VersionView[];
}

export type PickResult = { version: string; gray: boolean } | { refused: string };

/** A version's record in a releases document, if the flow has that version. */
function versionIn(doc: ReleasesDocument, flow: string, version: string): VersionRecord | undefined {
  const f = own(doc.flows, flow);
  return f ? own(f.versions, version) : undefined;
}

const HISTORY_LIMIT = 50;
const COUNTER_FLUSH_MS = 5000;

function emptyCounters(): VersionCounters {
  return { calls: 0, completed: 0, hungUpEarly: 0, transferred: 0, totalSec: 0, ended: 0 };
}

function unreachable(err: unknown): ReleaseError {
  return new ReleaseError(503, `the release store cannot be reached: ${(err as Error).message}`);
}

const key = (flow: string, version: string): string => `${flow}\u0000${version}`;

/** Adds to a version's history, keeping the latest HISTORY_LIMIT entries (the schema allows no more than 100). */
function note(record: VersionRecord, entry: VersionRecord['history'][number]): void {
  record.history.push(entry);
  if (record.history.length > HISTORY_LIMIT) record.history.splice(0, record.history.length - HISTORY_LIMIT);
}

export class ReleaseBook {
  private doc: ReleasesDocument = { flows: {} };
  private rev = 0;
  private loaded: Promise<void> | undefined;
  private isLoaded = false;
  private deployed = new Map<string, DeployedVersion>();
  private conflicts = new Map<string, string>();
  /** Why the last deploy's release tag of an entry was refused, by entry id. */
  private tagProblems = new Map<string, string>();
  private queue: Promise<unknown> = Promise.resolve();
  private countersDirty = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly now: () => number;
  private readonly random: () => number;
  private closed = false;

  /** Where the book logs; the config node instance deployed now sets it (as an engine's log follows its node). */
  log: Logger;

  constructor(private readonly options: BookOptions) {
    this.log = options.log;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  get id(): string {
    return this.options.id;
  }

  get ready(): boolean {
    return this.isLoaded;
  }

  /** Calls `listener` after every change (states, deploys, counters); returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
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
      }
      this.isLoaded = true;
      this.changed();
    })().catch((err: unknown) => {
      this.loaded = undefined;
      throw err;
    });
    return this.loaded;
  }

  /** Runs `fn` after every earlier change, one at a time. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Changes the document: `fn` edits a copy, which is checked and written
   * with the revision it was read at; only then does it replace what is in
   * memory. A store that cannot be reached refuses the change (503).
   */
  private async mutate<T>(fn: (doc: ReleasesDocument) => T): Promise<T> {
    await this.loadOr503();
    const next = structuredClone(this.doc);
    const result = fn(next);
    releasesDocument.assert(next, `releases ${this.id}`);
    const store = await this.storeOr503();
    try {
      this.rev = await store.putDocument('releases', this.id, next as unknown as Record<string, unknown>, this.rev, this.now());
    } catch (err) {
      if ((err as { kind?: string }).kind === 'conflict') {
        // Someone else wrote it (another Node-RED on the same store): take theirs; the caller may try again.
        this.loaded = undefined;
        await this.load().catch(() => undefined);
        throw new ReleaseError(409, `the release states were changed elsewhere meanwhile; they have been reloaded, try again`);
      }
      throw new ReleaseError(503, `the release store refused the change: ${(err as Error).message}`);
    }
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
    this.countersDirty = false;
    if (counted) this.dirty();
    this.changed();
    return result;
  }

  private flowOf(doc: ReleasesDocument, flow: string): FlowRecord {
    const record = own(doc.flows, flow);
    if (!record) throw new ReleaseError(404, `no flow ${flow} in this release set`);
    return record;
  }

  private versionOf(doc: ReleasesDocument, flow: string, version: string): VersionRecord {
    const record = own(this.flowOf(doc, flow).versions, version);
    if (!record) throw new ReleaseError(404, `flow ${flow} has no version ${version}`);
    return record;
  }

  private transition(record: VersionRecord, to: ReleaseState, op: string, by: string, comment?: string): void {
    const entry: VersionRecord['history'][number] = { at: this.now(), by, op, from: record.state, to };
    if (comment) entry.comment = comment;
    note(record, entry);
    record.state = to;
    if (to !== 'editing') delete record.lock;
    if (to !== 'official') delete record.retiring;
  }

  private newRecord(state: ReleaseState, by: string): VersionRecord {
    return { state, createdAt: this.now(), createdBy: by, counters: emptyCounters(), history: [] };
  }

  /** The record of a deployed version; one deployed for the first time is made Unreleased (`first`). */
  private recordOf(doc: ReleasesDocument, d: { flow: string; version: string }, by: string): { record: VersionRecord; first: boolean } {
    const flow = own(doc.flows, d.flow) ?? put(doc.flows, d.flow, { versions: {} });
    const known = own(flow.versions, d.version);
    if (known) return { record: known, first: false };
    const record = this.newRecord('unreleased', by);
    note(record, { at: this.now(), by, op: 'deploy', from: 'new', to: 'unreleased' });
    put(flow.versions, d.version, record);
    return { record, first: true };
  }

  // --- views ---------------------------------------------------------------------------

  private viewOf(flow: string, version: string, record: VersionRecord): VersionView {
    const d = this.deployed.get(key(flow, version));
    const c = record.counters;
    const view: VersionView = {
      version,
      state: record.state,
      stateName: STATE_NAMES[record.state],
      retiring: record.retiring === true,
      allowed: record.retiring ? [] : [...ALLOWED[record.state]],
      deployed: d !== undefined,
      changedSinceRelease: (record.state === 'official' || record.state === 'gray') && !!record.releasedHash && !!d && hashNodes(d.nodes) !== record.releasedHash,
      liveCalls: this.options.liveCalls(flow, version),
      counters: { ...c, averageSec: c.ended > 0 ? Math.round((c.totalSec / c.ended) * 10) / 10 : 0 },
      createdAt: record.createdAt,
      createdBy: record.createdBy,
      history: record.history,
    };
    if (record.lock) view.lock = { user: record.lock.user, editor: record.lock.editor, since: record.lock.since, expiresAt: record.lock.seen + LOCK_TIMEOUT_MS };
    if (d) view.tab = d.tab;
    const conflict = this.conflicts.get(key(flow, version));
    if (conflict) view.conflict = conflict;
    for (const k of ['from', 'releasedAt', 'releasedBy', 'comment', 'snapshot'] as const) {
      if (record[k] !== undefined) (view as unknown as Record<string, unknown>)[k] = record[k];
    }
    return view;
  }

  /** Every flow with its versions, newest first. */
  list(): FlowView[] {
    return Object.keys(this.doc.flows)
      .sort()
      .map((flow) => this.flowView(flow));
  }

  flowView(flow: string): FlowView {
    const record = this.flowOf(this.doc, flow);
    const versions = Object.entries(record.versions)
      .map(([v, r]) => this.viewOf(flow, v, r))
      .sort((a, b) => b.createdAt - a.createdAt || b.version.localeCompare(a.version));
    const view: FlowView = { flow, versions };
    if (record.gray) view.gray = record.gray;
    const official = versions.find((v) => v.state === 'official' && !v.retiring);
    if (official) view.official = official.version;
    const gray = versions.find((v) => v.state === 'gray');
    if (gray) view.grayVersion = gray.version;
    return view;
  }

  version(flow: string, version: string): VersionView {
    return this.viewOf(flow, version, this.versionOf(this.doc, flow, version));
  }

  /** The version's state, or undefined when the book has no such version. */
  stateOf(flow: string, version: string): ReleaseState | undefined {
    return versionIn(this.doc, flow, version)?.state;
  }

  /** What an entry node shows. */
  entryStatus(entry: string, flow: string, version: string): EntryStatus {
    const conflict = this.conflicts.get(key(flow, version));
    if (conflict) return { fill: 'red', shape: 'ring', says: 'conflict', values: { flow, version }, calls: 0, text: conflict };
    const tag = this.tagProblems.get(entry);
    if (tag) return { fill: 'red', shape: 'ring', says: 'tag-refused', values: { version }, calls: 0, text: tag.length > 60 ? `${tag.slice(0, 57)}...` : tag };
    if (!this.isLoaded) return { fill: 'yellow', shape: 'ring', says: 'loading', values: {}, calls: 0, text: 'loading release states' };
    const record = versionIn(this.doc, flow, version);
    if (!record) return { fill: 'grey', shape: 'ring', says: 'not-in-set', values: { version }, calls: 0, text: `${version}: not in the release set yet` };
    const live = this.options.liveCalls(flow, version);
    const calls = live > 0 ? `, ${live} call${live === 1 ? '' : 's'}` : '';
    switch (record.state) {
      case 'official':
        return record.retiring
          ? { fill: 'yellow', shape: 'dot', says: 'retiring', values: { version, count: live }, calls: 0, text: `${version}: replaced, ${live} call(s) to finish` }
          : { fill: 'green', shape: 'dot', says: 'official', values: { version }, calls: live, text: `${version}: Official Release${calls}` };
      case 'gray': {
        const gray = own(this.doc.flows, flow)?.gray;
        const share = gray?.share ?? 0;
        const callers = gray?.callers.length ?? 0;
        return {
          fill: 'blue',
          shape: 'dot',
          says: callers > 0 ? 'gray-callers' : 'gray',
          values: { version, share, callers },
          calls: live,
          text: `${version}: Gray Release ${share}%${callers > 0 ? ` + ${callers} caller(s)` : ''}${calls}`,
        };
      }
      case 'editing':
        return { fill: 'yellow', shape: 'ring', says: 'editing', values: { version, user: record.lock?.user ?? '?' }, calls: 0, text: `${version}: Editing (${record.lock?.user ?? '?'})` };
      default:
        return { fill: 'grey', shape: 'ring', says: record.state, values: { version }, calls: live, text: `${version}: ${STATE_NAMES[record.state]}${calls}` };
    }
  }

  // --- deploys -------------------------------------------------------------------------

  /**
   * A deploy finished: `versions` are the deployed tabs of this release set.
   * Two entries claiming one version: that version takes no calls. A version
   * first seen is Unreleased. A New, Editing or Unreleased version whose
   * nodes changed was edited: it is Unreleased now (an edit lock ends). An
   * entry deployed with a release tag, whose nodes changed, asks for that
   * release; two official (or two gray) tags for one flow are both refused.
   * Returns the lines to log.
   */
  reconcile(versions: readonly DeployedVersion[], by = 'deploy'): Promise<string[]> {
    return this.serial(async () => {
      const lines: string[] = [];
      // Each line is logged as it happens (so the log reads in order) and returned.
      const say = (line: string): void => {
        lines.push(line);
        const [level, ...rest] = line.split(': ');
        const text = rest.join(': ');
        if (level === 'error') this.log.error(text);
        else if (level === 'warn') this.log.warn(text);
        else this.log.info(text);
      };
      const groups = new Map<string, DeployedVersion[]>();
      for (const v of versions) groups.set(key(v.flow, v.version), [...(groups.get(key(v.flow, v.version)) ?? []), v]);
      this.deployed = new Map();
      this.conflicts = new Map();
      this.tagProblems = new Map();
      for (const [k, list] of groups) {
        const first = list[0] as DeployedVersion;
        if (list.length > 1) {
          const why = `${list.length} entries claim ${first.flow} ${first.version}: it takes no calls`;
          this.conflicts.set(k, why);
          say(`error: ${why} (entries ${list.map((d) => d.entry).join(', ')} on tabs ${list.map((d) => d.tab).join(', ')}); give each tab its own version`);
          continue;
        }
        this.deployed.set(k, first);
      }
      let asked: DeployedVersion[] = [];
      try {
        asked = await this.mutate((doc) => {
          const tagged: DeployedVersion[] = [];
          // A version two entries claim is listed (with its conflict), but takes no calls and is not released.
          for (const k of this.conflicts.keys()) {
            const first = groups.get(k)?.[0];
            if (first) this.recordOf(doc, first, by);
          }
          for (const d of this.deployed.values()) {
            const { record, first } = this.recordOf(doc, d, by);
            if (first) say(`info: ${d.flow} ${d.version} deployed for the first time: Unreleased`);
            const hash = hashNodes(d.nodes);
            const changed = record.deployedHash !== hash;
            record.deployedHash = hash;
            if (changed && (record.state === 'new' || record.state === 'editing' || record.state === 'unreleased')) {
              if (record.state !== 'unreleased') this.transition(record, 'unreleased', 'deploy', by);
            } else if (changed && (record.state === 'official' || record.state === 'gray') && record.releasedHash && record.releasedHash !== hash) {
              say(`warn: ${d.flow} ${d.version} is ${STATE_NAMES[record.state]} and its nodes were changed by this deploy; the changes run, but were not released: clone the version to change it`);
            }
            // A tag asks for a release; a version already in that state was released by it before (it is kept on the entry).
            if (changed && d.release && record.state !== d.release) tagged.push(d);
          }
          return tagged;
        });
      } catch (err) {
        say(`error: the release states could not be saved after this deploy: ${(err as Error).message}`);
        this.changed();
        return lines;
      }
      // Release tags: at most one official and one gray request per flow.
      const byFlow = new Map<string, DeployedVersion[]>();
      for (const d of asked) byFlow.set(d.flow, [...(byFlow.get(d.flow) ?? []), d]);
      for (const [flow, list] of byFlow) {
        for (const target of ['official', 'gray'] as const) {
          const same = list.filter((d) => d.release === target);
          if (same.length < 2) continue;
          const why = `${same.length} versions of ${flow} are tagged ${target} (${same.map((d) => d.version).join(', ')}): none was released`;
          for (const d of same) this.tagProblems.set(d.entry, why);
          say(`error: ${why}`);
        }
        for (const d of list) {
          if (this.tagProblems.has(d.entry)) continue;
          const request: ReleaseRequest = { target: d.release as 'official' | 'gray', comment: 'released by deploying its tab' };
          if (d.release === 'gray') request.gray = d.gray ?? { share: 0, callers: [] };
          try {
            await this.releaseNow(d.flow, d.version, request, { user: by }, true);
            say(`info: ${d.flow} ${d.version} released as ${d.release === 'official' ? 'the official version' : 'the gray version'} by deploying its tab`);
          } catch (err) {
            this.tagProblems.set(d.entry, (err as Error).message);
            say(`error: ${d.flow} ${d.version} was deployed with the release tag "${d.release}" but not released: ${(err as Error).message}`);
          }
        }
      }
      this.changed();
      return lines;
    });
  }

  /** The deployed tab of a version, if any. */
  deployedVersion(flow: string, version: string): DeployedVersion | undefined {
    return this.deployed.get(key(flow, version));
  }

  // --- operations ----------------------------------------------------------------------

  /** Refreshes the locks an editor holds (any request from it does). */
  touch(actor: Actor): Promise<void> {
    const editor = actor.editor;
    if (!editor) return Promise.resolve();
    const held = Object.values(this.doc.flows).some((f) => Object.values(f.versions).some((v) => v.lock?.editor === editor));
    if (!held) return Promise.resolve();
    return this.serial(() =>
      this.mutate((doc) => {
        for (const f of Object.values(doc.flows)) for (const v of Object.values(f.versions)) if (v.lock?.editor === editor) v.lock.seen = this.now();
      }),
    );
  }

  private holder(lock: EditLock | undefined): string {
    if (!lock) return 'nobody';
    return `${lock.user} (since ${new Date(lock.since).toISOString().slice(11, 19)} UTC)`;
  }

  /** Edit: New or Unreleased -> Editing, locked to this editor. The editor that holds the lock may ask again (it keeps it). */
  edit(flow: string, version: string, actor: Actor): Promise<VersionView> {
    return this.serial(async () => {
      await this.mutate((doc) => {
        const record = this.versionOf(doc, flow, version);
        if (record.state === 'editing') {
          if (record.lock && actor.editor && record.lock.editor === actor.editor) {
            record.lock.seen = this.now();
            return;
          }
          throw new ReleaseError(409, `version ${version} of flow ${flow} is being edited by ${this.holder(record.lock)}; Editing allows only Unlock`, {
            state: 'editing',
            allowed: ['unlock'],
            holder: record.lock?.user ?? '',
          });
        }
        mustAllow(flow, version, record.state, 'edit');
        if (!actor.editor) throw new ReleaseError(400, 'an edit lock needs an editor id (the X-Callflow-Editor header)');
        this.transition(record, 'editing', 'edit', actor.user);
        record.lock = { user: actor.user, editor: actor.editor, since: this.now(), seen: this.now() };
      });
      return this.version(flow, version);
    });
  }

  /** Editing ends (the editor that holds the lock says so): Unreleased. */
  finishEditing(flow: string, version: string, actor: Actor): Promise<VersionView> {
    return this.serial(async () => {
      await this.mutate((doc) => {
        const record = this.versionOf(doc, flow, version);
        if (record.state !== 'editing') throw new ReleaseError(409, `version ${version} of flow ${flow} is ${STATE_NAMES[record.state]}, not being edited`, { state: record.state, allowed: [...ALLOWED[record.state]] });
        if (record.lock?.editor !== actor.editor) {
          throw new ReleaseError(409, `version ${version} of flow ${flow} is being edited by ${this.holder(record.lock)}, not by you; Editing allows only Unlock`, {
            state: 'editing',
            allowed: ['unlock'],
            holder: record.lock?.user ?? '',
          });
        }
        this.transition(record, 'unreleased', 'done', actor.user);
      });
      return this.version(flow, version);
    });
  }

  /** Unlock: Editing -> Unreleased, whoever holds the lock. */
  unlock(flow: string, version: string, actor: Actor): Promise<VersionView> {
    return this.simple(flow, version, 'unlock', actor, (record) => this.transition(record, 'unreleased', 'unlock', actor.user, record.lock ? `lock of ${record.lock.user} removed` : undefined));
  }

  /** Cancel release: Official or Gray -> Unreleased; calls in progress finish on it. */
  cancel(flow: string, version: string, actor: Actor): Promise<VersionView> {
    return this.simple(flow, version, 'cancel', actor, (record, doc) => {
      if (record.state === 'gray') delete this.flowOf(doc, flow).gray;
      this.transition(record, 'unreleased', 'cancel', actor.user);
    });
  }

  /** Delete: a New or Unreleased version with no call in progress. */
  remove(flow: string, version: string, actor: Actor): Promise<void> {
    return this.serial(async () => {
      await this.mutate((doc) => {
        const record = this.versionOf(doc, flow, version);
        mustAllow(flow, version, record.state, 'delete');
        const live = this.options.liveCalls(flow, version);
        if (live > 0) throw new ReleaseError(409, `version ${version} of flow ${flow} still has ${live} call(s) in progress; delete it when they have ended`, { state: record.state, allowed: [...ALLOWED[record.state]] });
        const f = this.flowOf(doc, flow);
        delete f.versions[version];
        if (Object.keys(f.versions).length === 0) delete doc.flows[flow];
        this.log.info(`${flow} ${version} deleted by ${actor.user}`);
      });
    });
  }

  private simple(flow: string, version: string, op: Operation, actor: Actor, apply: (record: VersionRecord, doc: ReleasesDocument) => void): Promise<VersionView> {
    return this.serial(async () => {
      await this.mutate((doc) => {
        const record = this.versionOf(doc, flow, version);
        if (record.retiring) throw refusal(flow, version, record.state, op, ` (replaced, finishing its calls)`);
        mustAllow(flow, version, record.state, op);
        apply(record, doc);
      });
      this.log.info(`${flow} ${version}: ${OPERATION_NAMES[op]} by ${actor.user}`);
      return this.version(flow, version);
    });
  }

  /** Checks a deployed version (any state), as a release would. */
  async validate(flow: string, version: string): Promise<ValidationResult> {
    // A version two entries claim is deployed, but not kept among the deployed versions (it takes no calls): that is its problem.
    const conflict = this.conflicts.get(key(flow, version));
    if (conflict) return { ok: false, problems: [conflict], notes: [] };
    const d = this.deployed.get(key(flow, version));
    if (!d) return { ok: false, problems: [`version ${version} of flow ${flow} is not deployed: deploy its tab first`], notes: [] };
    const input: Parameters<typeof validateVersion>[0] = { flow, version, nodes: d.nodes, configTypes: this.options.configTypes() };
    const media = this.options.mediaCheck?.(d.connection);
    if (media) input.mediaExists = media;
    return validateVersion(input);
  }

  /**
   * Release: Unreleased -> Official or Gray; Gray -> Official. The version
   * must be deployed and pass validation; a snapshot of its nodes is saved
   * with who released it, when, and the comment. Releasing a new official
   * version retires the previous one: it takes no new calls and becomes
   * Unreleased once its calls have ended.
   */
  release(flow: string, version: string, request: ReleaseRequest, actor: Actor): Promise<VersionView> {
    return this.serial(() => this.releaseNow(flow, version, request, actor));
  }

  /** `quiet`: the caller logs the release (a deploy's release tag). */
  private async releaseNow(flow: string, version: string, request: ReleaseRequest, actor: Actor, quiet = false): Promise<VersionView> {
    await this.loadOr503();
    const record = this.versionOf(this.doc, flow, version);
    if (record.retiring) throw refusal(flow, version, record.state, 'release', ' (replaced, finishing its calls)');
    mustAllow(flow, version, record.state, 'release');
    if (record.state === 'gray' && request.target !== 'official') {
      throw new ReleaseError(409, `version ${version} of flow ${flow} is Gray Release: a gray version can only be released as the official version`, { state: 'gray', allowed: [...ALLOWED.gray] });
    }
    const flowRecord = this.flowOf(this.doc, flow);
    let gray: GraySettings | undefined;
    if (request.target === 'gray') {
      const other = Object.entries(flowRecord.versions).find(([v, r]) => v !== version && r.state === 'gray');
      if (other) throw new ReleaseError(409, `flow ${flow} already has a gray version (${other[0]}): release it as official or cancel it first`, { state: record.state, allowed: [...ALLOWED[record.state]] });
      gray = grayValidator.assert(request.gray ?? { share: 0, callers: [] }, 'gray');
      if (gray.share === 0 && gray.callers.length === 0) throw new ReleaseError(400, 'a gray release needs a share of calls above 0% or at least one caller number');
    }
    const conflict = this.conflicts.get(key(flow, version));
    if (conflict) throw new ReleaseError(422, `version ${version} of flow ${flow} cannot be released: ${conflict}`, { problems: [conflict], state: record.state });
    const d = this.deployed.get(key(flow, version));
    if (!d) throw new ReleaseError(409, `version ${version} of flow ${flow} is not deployed: deploy its tab, then release it`, { state: record.state, allowed: [...ALLOWED[record.state]] });
    const check = await this.validate(flow, version);
    if (!check.ok) throw new ReleaseError(422, `version ${version} of flow ${flow} cannot be released: ${check.problems.join('; ')}`, { problems: check.problems, state: record.state });
    const at = this.now();
    const snapshot: FlowSnapshot = {
      // Time first (they list in order), then chance: two releases of one version in the same millisecond get two snapshots.
      id: `${flow}.${version}.${at.toString(36)}.${randomBytes(3).toString('hex')}`,
      flow,
      version,
      savedAt: at,
      savedBy: actor.user,
      nodes: d.nodes.map((n) => ({ ...n })),
    };
    if (request.comment) snapshot.comment = request.comment;
    try {
      await (await this.options.store()).saveSnapshot(snapshot);
    } catch (err) {
      throw new ReleaseError(503, `the snapshot could not be saved, so nothing was released: ${(err as Error).message}`);
    }
    const hash = hashNodes(d.nodes);
    await this.mutate((doc) => {
      const f = this.flowOf(doc, flow);
      const r = this.versionOf(doc, flow, version);
      if (request.target === 'official') {
        for (const [v, other] of Object.entries(f.versions)) {
          if (v === version || other.state !== 'official' || other.retiring) continue;
          if (this.options.liveCalls(flow, v) > 0) {
            other.retiring = true;
            note(other, { at, by: actor.user, op: 'replaced', from: 'official', to: 'official', comment: `replaced by ${version}; finishing its calls` });
          } else {
            this.transition(other, 'unreleased', 'replaced', actor.user, `replaced by ${version}`);
          }
        }
        if (r.state === 'gray') delete f.gray;
      } else if (gray) {
        f.gray = gray;
      }
      this.transition(r, request.target, 'release', actor.user, request.comment);
      r.releasedAt = at;
      r.releasedBy = actor.user;
      r.snapshot = snapshot.id;
      r.releasedHash = hash;
      if (request.comment) r.comment = request.comment;
      else delete r.comment;
    });
    if (!quiet) this.log.info(`${flow} ${version} released as ${request.target} by ${actor.user} (snapshot ${snapshot.id})`);
    return this.version(flow, version);
  }

  /** Changes the gray share and callers of a flow that has a gray version (Details). */
  setGray(flow: string, settings: GraySettings, actor: Actor): Promise<FlowView> {
    return this.serial(async () => {
      await this.mutate((doc) => {
        const f = this.flowOf(doc, flow);
        const gray = Object.entries(f.versions).find(([, r]) => r.state === 'gray');
        if (!gray) throw new ReleaseError(409, `flow ${flow} has no gray version: release one as gray first`);
        const checked = grayValidator.assert(settings, 'gray');
        if (checked.share === 0 && checked.callers.length === 0) throw new ReleaseError(400, 'a gray release needs a share of calls above 0% or at least one caller number');
        f.gray = checked;
        note(gray[1], { at: this.now(), by: actor.user, op: 'gray', from: 'gray', to: 'gray', comment: `share ${checked.share}%, ${checked.callers.length} caller(s)` });
      });
      return this.flowView(flow);
    });
  }

  /** Query Info (Official, Gray): the version, its validation and its snapshots. */
  async info(flow: string, version: string): Promise<VersionView & { snapshots: SnapshotSummary[] }> {
    const record = this.versionOf(this.doc, flow, version);
    mustAllow(flow, version, record.state, 'info');
    return { ...this.version(flow, version), snapshots: await this.snapshots(flow) };
  }

  /** Details (Gray): the gray settings and its counters beside the official version's. */
  details(flow: string, version: string): { gray: GraySettings | undefined; version: VersionView; official: VersionView | undefined } {
    const record = this.versionOf(this.doc, flow, version);
    mustAllow(flow, version, record.state, 'details');
    const view = this.flowView(flow);
    return { gray: view.gray, version: this.version(flow, version), official: view.official ? this.version(flow, view.official) : undefined };
  }

  /** Test (Official, Gray): checks the state and that the version is deployed; the caller places the call. */
  test(flow: string, version: string): DeployedVersion {
    const record = this.versionOf(this.doc, flow, version);
    mustAllow(flow, version, record.state, 'test');
    const d = this.deployed.get(key(flow, version));
    if (!d) throw new ReleaseError(409, `version ${version} of flow ${flow} is not deployed`, { state: record.state, allowed: [...ALLOWED[record.state]] });
    return d;
  }

  /** Clone (Official, Gray): a New version with a copy of the nodes, for the editor to import as a tab. */
  clone(flow: string, version: string, newVersion: string, actor: Actor): Promise<{ version: VersionView; nodes: FlowNode[] }> {
    return this.serial(async () => {
      const record = this.versionOf(this.doc, flow, version);
      if (record.retiring) throw refusal(flow, version, record.state, 'clone', ' (replaced, finishing its calls)');
      mustAllow(flow, version, record.state, 'clone');
      const d = this.deployed.get(key(flow, version));
      if (!d) throw new ReleaseError(409, `version ${version} of flow ${flow} is not deployed, so there is nothing to copy`);
      const nodes = copyAsVersion(d.nodes, flow, newVersion);
      await this.create(flow, newVersion, { version }, actor);
      return { version: this.version(flow, newVersion), nodes };
    });
  }

  /** Restores a snapshot as a New version of its flow, for the editor to import as a tab. */
  restore(snapshotId: string, newVersion: string, actor: Actor): Promise<{ version: VersionView; nodes: FlowNode[] }> {
    return this.serial(async () => {
      const snapshot = await (await this.storeOr503()).getSnapshot(snapshotId);
      if (!snapshot) throw new ReleaseError(404, `no snapshot ${snapshotId}`);
      const nodes = copyAsVersion(snapshot.nodes as FlowNode[], snapshot.flow, newVersion);
      await this.create(snapshot.flow, newVersion, { snapshot: snapshotId }, actor);
      return { version: this.version(snapshot.flow, newVersion), nodes };
    });
  }

  private async create(flow: string, version: string, from: { version?: string; snapshot?: string }, actor: Actor): Promise<void> {
    await this.mutate((doc) => {
      const f = own(doc.flows, flow) ?? put(doc.flows, flow, { versions: {} });
      if (own(f.versions, version)) throw new ReleaseError(409, `flow ${flow} already has a version ${version}: choose another name`);
      const record = this.newRecord('new', actor.user);
      record.from = from;
      note(record, { at: this.now(), by: actor.user, op: from.snapshot ? 'restore' : 'clone', from: 'new', to: 'new', comment: from.snapshot ? `from snapshot ${from.snapshot}` : `from ${from.version ?? ''}` });
      put(f.versions, version, record);
    });
  }

  private async storeOr503(): Promise<ReleaseStore> {
    try {
      return await this.options.store();
    } catch (err) {
      throw unreachable(err);
    }
  }

  private async loadOr503(): Promise<void> {
    try {
      await this.load();
    } catch (err) {
      throw unreachable(err);
    }
  }

  /** A flow's snapshots, newest first. */
  async snapshots(flow: string): Promise<SnapshotSummary[]> {
    return (await this.storeOr503()).listSnapshots(flow);
  }

  /** Compares two versions or snapshots: each side is a deployed version or a snapshot id. */
  async diff(flow: string, before: { version?: string; snapshot?: string }, after: { version?: string; snapshot?: string }): Promise<FlowDiff & { before: string; after: string }> {
    const side = async (ref: { version?: string; snapshot?: string }): Promise<{ version: string; nodes: FlowNode[]; label: string }> => {
      if (ref.snapshot) {
        const s = await (await this.storeOr503()).getSnapshot(ref.snapshot);
        if (!s || s.flow !== flow) throw new ReleaseError(404, `flow ${flow} has no snapshot ${ref.snapshot}`);
        return { version: s.version, nodes: s.nodes as FlowNode[], label: `${s.version} as released ${new Date(s.savedAt).toISOString()}` };
      }
      const version = ref.version ?? '';
      const d = this.deployed.get(key(flow, version));
      if (!d) throw new ReleaseError(404, `version ${version} of flow ${flow} is not deployed; compare its snapshot instead`);
      return { version, nodes: d.nodes, label: `${version} as deployed` };
    };
    const a = await side(before);
    const b = await side(after);
    return { ...diffVersions(a, b), before: a.label, after: b.label };
  }

  // --- routing -------------------------------------------------------------------------

  /**
   * The version a new call of `flow` runs. `requested` (a Stasis argument,
   * or a test call) names one, which must be Official or Gray. Otherwise:
   * a listed caller or the gray share gets the gray version, the rest the
   * official one.
   */
  pick(flow: string, caller: string, requested?: string): PickResult {
    const record = own(this.doc.flows, flow);
    if (!this.isLoaded) return { refused: `the release states of ${flow} are not loaded yet (the store is opening)` };
    if (!record) return { refused: `flow ${flow} has no versions in the release set` };
    const usable = (v: string): boolean => this.deployed.has(key(flow, v)) && !this.conflicts.has(key(flow, v));
    if (requested) {
      const conflict = this.conflicts.get(key(flow, requested));
      if (conflict) return { refused: conflict };
      const r = own(record.versions, requested);
      if (!r) return { refused: `flow ${flow} has no version ${requested}` };
      if ((r.state !== 'official' && r.state !== 'gray') || r.retiring) return { refused: `version ${requested} of flow ${flow} is ${r.retiring ? 'replaced' : STATE_NAMES[r.state]}: only Official and Gray versions take calls` };
      if (!usable(requested)) return { refused: this.conflicts.get(key(flow, requested)) ?? `version ${requested} of flow ${flow} is not deployed` };
      return { version: requested, gray: r.state === 'gray' };
    }
    let official: string | undefined;
    let gray: string | undefined;
    for (const [v, r] of Object.entries(record.versions)) {
      if (r.state === 'official' && !r.retiring) official = v;
      if (r.state === 'gray') gray = v;
    }
    if (gray && usable(gray) && record.gray && (!official || !usable(official) || takesGray(caller, record.gray, this.random))) return { version: gray, gray: true };
    if (official && usable(official)) return { version: official, gray: false };
    if (official) return { refused: this.conflicts.get(key(flow, official)) ?? `the official version of ${flow} (${official}) is not deployed` };
    return { refused: `flow ${flow} has no official version: release one` };
  }

  callStarted(flow: string, version: string): void {
    const r = versionIn(this.doc, flow, version);
    if (!r) return;
    r.counters.calls += 1;
    this.dirty();
  }

  callEnded(flow: string, version: string, kind: CallEndKind, durationSec: number): void {
    const r = versionIn(this.doc, flow, version);
    if (r) {
      const c = r.counters;
      c.ended += 1;
      c.totalSec = Math.round((c.totalSec + Math.max(0, durationSec)) * 10) / 10;
      if (kind === 'completed') c.completed += 1;
      else if (kind === 'hung-up-early') c.hungUpEarly += 1;
      else if (kind === 'transferred') c.transferred += 1;
      this.dirty();
    }
    // A replaced version becomes Unreleased when its last call ends.
    if (r?.retiring && this.options.liveCalls(flow, version) === 0) void this.tick();
  }

  /** Counters change on every call: they are written at most every few seconds. */
  private dirty(): void {
    this.countersDirty = true;
    if (this.flushTimer || this.closed) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      if (this.countersDirty) void this.serial(() => this.mutate(() => undefined)).catch(() => undefined);
    }, COUNTER_FLUSH_MS);
    this.flushTimer.unref();
  }

  /**
   * Time passes: edit locks with no request from their editor for 5 minutes
   * end (Unreleased); replaced versions with no call left become
   * Unreleased. Runs on a timer, and after calls end.
   */
  tick(): Promise<string[]> {
    // States that could not be read (the store was unreachable) are asked for again.
    if (!this.isLoaded) return this.load().then(() => [], () => []);
    return this.serial(async () => {
      if (!this.isLoaded) return [];
      const now = this.now();
      const due = Object.values(this.doc.flows).some((f) =>
        Object.entries(f.versions).some(([, r]) => (r.state === 'editing' && r.lock && now - r.lock.seen >= LOCK_TIMEOUT_MS) || r.retiring),
      );
      if (!due) return [];
      return this.mutate((doc) => {
        const lines: string[] = [];
        for (const [flow, f] of Object.entries(doc.flows)) {
          for (const [v, r] of Object.entries(f.versions)) {
            if (r.state === 'editing' && r.lock && now - r.lock.seen >= LOCK_TIMEOUT_MS) {
              const who = r.lock.user;
              this.transition(r, 'unreleased', 'timeout', 'system', `no request from the editor of ${who} for 5 minutes`);
              lines.push(`${flow} ${v}: the edit lock of ${who} expired (no request for 5 minutes): Unreleased`);
            } else if (r.retiring && this.options.liveCalls(flow, v) === 0) {
              this.transition(r, 'unreleased', 'drained', 'system', 'its last call ended');
              lines.push(`${flow} ${v}: its last call ended after it was replaced: Unreleased`);
            }
          }
        }
        for (const line of lines) this.log.info(line);
        return lines;
      });
    });
  }

  /** Writes what is pending (counters) and stops the timers. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  /** Writes the counters not written yet (Node-RED stops or redeploys). */
  async flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.countersDirty && this.isLoaded) await this.serial(() => this.mutate(() => undefined)).catch(() => undefined);
    else await this.queue;
  }

  /** Whether an operation is allowed now (the editor's buttons). */
  allows(flow: string, version: string, op: Operation): boolean {
    const r = versionIn(this.doc, flow, version);
    return !!r && !r.retiring && allows(r.state, op);
  }
}
