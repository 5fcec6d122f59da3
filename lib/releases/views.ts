/**
 * What the book shows: each version with its state, lock, deployment,
 * counters and the operations its state allows (the editor's Release
 * Manager), each flow with its versions, and what a versioned entry node's
 * status says.
 */
import { own } from '../own';
import type { FlowType, GraySettings, ReleaseState, VersionCounters, VersionRecord } from '../schemas/releases';
import { key, versionIn, type BookDocument } from './document';
import { hashNodes } from './nodes';
import type { FlowReference } from './references';
import { ALLOWED, LOCK_TIMEOUT_MS, STATE_NAMES, TYPE_NAMES, type Operation } from './states';

/** A version as the Release Manager shows it: its record's who, when and why, and what follows from its state now. */
export interface VersionView extends Pick<VersionRecord, 'createdAt' | 'createdBy' | 'from' | 'releasedAt' | 'releasedBy' | 'comment' | 'snapshot' | 'history'> {
  version: string;
  state: ReleaseState;
  stateName: string;
  /** The Type (attributes.ts) and how the documentation names it. */
  type: FlowType;
  typeName: string;
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
}

export interface FlowView {
  flow: string;
  /** Is Referenced: whether deployed nodes name the flow, and which (references.ts). */
  referenced: boolean;
  referencedBy: FlowReference[];
  gray?: GraySettings;
  official?: string;
  grayVersion?: string;
  versions: VersionView[];
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

function viewOf(book: BookDocument, flow: string, version: string, record: VersionRecord): VersionView {
  const d = book.deployed.get(key(flow, version));
  const c = record.counters;
  const view: VersionView = {
    version,
    state: record.state,
    stateName: STATE_NAMES[record.state],
    type: record.type ?? 'other',
    typeName: TYPE_NAMES[record.type ?? 'other'],
    retiring: record.retiring === true,
    allowed: record.retiring ? [] : [...ALLOWED[record.state]],
    deployed: d !== undefined,
    changedSinceRelease: (record.state === 'official' || record.state === 'gray') && !!record.releasedHash && !!d && hashNodes(d.nodes) !== record.releasedHash,
    liveCalls: book.options.liveCalls(flow, version),
    counters: { ...c, averageSec: c.ended > 0 ? Math.round((c.totalSec / c.ended) * 10) / 10 : 0 },
    createdAt: record.createdAt,
    createdBy: record.createdBy,
    history: record.history,
  };
  if (record.lock) view.lock = { user: record.lock.user, editor: record.lock.editor, since: record.lock.since, expiresAt: record.lock.seen + LOCK_TIMEOUT_MS };
  if (d) view.tab = d.tab;
  const conflict = book.conflicts.get(key(flow, version));
  if (conflict) view.conflict = conflict;
  for (const k of ['from', 'releasedAt', 'releasedBy', 'comment', 'snapshot'] as const) {
    if (record[k] !== undefined) (view as unknown as Record<string, unknown>)[k] = record[k];
  }
  return view;
}

/** Every flow with its versions, newest first. */
export function listFlows(book: BookDocument): FlowView[] {
  return Object.keys(book.doc.flows)
    .sort()
    .map((flow) => flowView(book, flow));
}

export function flowView(book: BookDocument, flow: string): FlowView {
  const record = book.flowOf(book.doc, flow);
  const versions = Object.entries(record.versions)
    .map(([v, r]) => viewOf(book, flow, v, r))
    .sort((a, b) => b.createdAt - a.createdAt || b.version.localeCompare(a.version));
  const referencedBy = [...(book.references.get(flow) ?? [])];
  const view: FlowView = { flow, referenced: referencedBy.length > 0, referencedBy, versions };
  if (record.gray) view.gray = record.gray;
  const official = versions.find((v) => v.state === 'official' && !v.retiring);
  if (official) view.official = official.version;
  const gray = versions.find((v) => v.state === 'gray');
  if (gray) view.grayVersion = gray.version;
  return view;
}

export function versionView(book: BookDocument, flow: string, version: string): VersionView {
  return viewOf(book, flow, version, book.versionOf(book.doc, flow, version));
}

/** What an entry node shows. */
export function entryStatus(book: BookDocument, entry: string, flow: string, version: string): EntryStatus {
  const conflict = book.conflicts.get(key(flow, version));
  if (conflict) return { fill: 'red', shape: 'ring', says: 'conflict', values: { flow, version }, calls: 0, text: conflict };
  const tag = book.tagProblems.get(entry);
  if (tag) return { fill: 'red', shape: 'ring', says: 'tag-refused', values: { version }, calls: 0, text: tag.length > 60 ? `${tag.slice(0, 57)}...` : tag };
  if (!book.isLoaded) return { fill: 'yellow', shape: 'ring', says: 'loading', values: {}, calls: 0, text: 'loading release states' };
  const record = versionIn(book.doc, flow, version);
  if (!record) return { fill: 'grey', shape: 'ring', says: 'not-in-set', values: { version }, calls: 0, text: `${version}: not in the release set yet` };
  const live = book.options.liveCalls(flow, version);
  const calls = live > 0 ? `, ${live} call${live === 1 ? '' : 's'}` : '';
  switch (record.state) {
    case 'official':
      return record.retiring
        ? { fill: 'yellow', shape: 'dot', says: 'retiring', values: { version, count: live }, calls: 0, text: `${version}: replaced, ${live} call(s) to finish` }
        : { fill: 'green', shape: 'dot', says: 'official', values: { version }, calls: live, text: `${version}: Official Release${calls}` };
    case 'gray': {
      const gray = own(book.doc.flows, flow)?.gray;
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
