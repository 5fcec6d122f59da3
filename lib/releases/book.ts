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
 *
 * This file puts the book together; each part is in the file named for it:
 * the document and its writes (document.ts), what the book shows
 * (views.ts), deploys (deploy.ts), edit locks and Delete (editing.ts),
 * releases (release.ts), snapshots, clones and Compare (snapshots.ts),
 * picking a version for a call (pick.ts) and call counters (counters.ts).
 */
import type { Logger } from '../log';
import type { FlowType, GraySettings, ReleaseRequest, ReleaseState } from '../schemas/releases';
import type { SnapshotSummary } from '../store/port';
import { flowOfType, releasedFlowOfType, setType } from './attributes';
import { callEnded, callStarted, type CallEndKind } from './counters';
import { reconcile } from './deploy';
import type { FlowDiff } from './diff';
import { BookDocument, key, versionIn, type Actor, type BookOptions, type DeployedVersion } from './document';
import { edit, finishEditing, remove, touch, unlock } from './editing';
import type { FlowNode } from './nodes';
import { pick, refusal, type PickResult } from './pick';
import { flowReferences } from './references';
import { cancel, details, info, release, setGray, test, validate } from './release';
import { clone, diff, restore, snapshots } from './snapshots';
import { LOCK_TIMEOUT_MS, allows, type Operation } from './states';
import type { ValidationResult } from './validate';
import { entryStatus, flowView, listFlows, versionView, type EntryStatus, type FlowView, type VersionView } from './views';

export type { CallEndKind } from './counters';
export type { Actor, BookOptions, DeployedVersion, ReleaseStore } from './document';
export type { PickResult } from './pick';
export type { FlowReference, ReferenceKind } from './references';
export type { EntryStatus, EntryStatusKind, FlowView, VersionView } from './views';

export class ReleaseBook {
  private readonly book: BookDocument;

  constructor(options: BookOptions) {
    this.book = new BookDocument(options);
  }

  /** Where the book logs; the config node instance deployed now sets it (as an engine's log follows its node). */
  get log(): Logger {
    return this.book.log;
  }

  set log(log: Logger) {
    this.book.log = log;
  }

  get id(): string {
    return this.book.id;
  }

  get ready(): boolean {
    return this.book.isLoaded;
  }

  /** Calls `listener` after every change (states, deploys, counters); returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    return this.book.onChange(listener);
  }

  /** Reads the document from the store, once; later calls wait for the same load. A failed load is tried again on the next call. */
  load(): Promise<void> {
    return this.book.load();
  }

  // --- views ---------------------------------------------------------------------------

  /** Every flow with its versions, newest first. */
  list(): FlowView[] {
    return listFlows(this.book);
  }

  flowView(flow: string): FlowView {
    return flowView(this.book, flow);
  }

  version(flow: string, version: string): VersionView {
    return versionView(this.book, flow, version);
  }

  /** The version's state, or undefined when the book has no such version. */
  stateOf(flow: string, version: string): ReleaseState | undefined {
    return versionIn(this.book.doc, flow, version)?.state;
  }

  /** What an entry node shows. */
  entryStatus(entry: string, flow: string, version: string): EntryStatus {
    return entryStatus(this.book, entry, flow, version);
  }

  /** Whether an operation is allowed now (the editor's buttons). */
  allows(flow: string, version: string, op: Operation): boolean {
    const r = versionIn(this.book.doc, flow, version);
    return !!r && !r.retiring && allows(r.state, op);
  }

  // --- deploys -------------------------------------------------------------------------

  /** A deploy finished: `versions` are the deployed tabs of this release set (deploy.ts). Returns the lines it logged. */
  reconcile(versions: readonly DeployedVersion[], by = 'deploy'): Promise<string[]> {
    return reconcile(this.book, versions, by);
  }

  /** The deployed tab of a version, if any. */
  deployedVersion(flow: string, version: string): DeployedVersion | undefined {
    return this.book.deployed.get(key(flow, version));
  }

  // --- operations ----------------------------------------------------------------------

  /** Refreshes the locks an editor holds (any request from it does). */
  touch(actor: Actor): Promise<void> {
    return touch(this.book, actor);
  }

  /** Edit: New or Unreleased -> Editing, locked to this editor. The editor that holds the lock may ask again (it keeps it). */
  edit(flow: string, version: string, actor: Actor): Promise<VersionView> {
    return edit(this.book, flow, version, actor);
  }

  /** Editing ends (the editor that holds the lock says so): Unreleased. */
  finishEditing(flow: string, version: string, actor: Actor): Promise<VersionView> {
    return finishEditing(this.book, flow, version, actor);
  }

  /** Unlock: Editing -> Unreleased, whoever holds the lock. */
  unlock(flow: string, version: string, actor: Actor): Promise<VersionView> {
    return unlock(this.book, flow, version, actor);
  }

  /** Cancel release: Official or Gray -> Unreleased; calls in progress finish on it. */
  cancel(flow: string, version: string, actor: Actor): Promise<VersionView> {
    return cancel(this.book, flow, version, actor);
  }

  /** Delete: a New or Unreleased version with no call in progress. */
  remove(flow: string, version: string, actor: Actor): Promise<void> {
    return remove(this.book, flow, version, actor);
  }

  /** Checks a deployed version (any state), as a release would. */
  validate(flow: string, version: string): Promise<ValidationResult> {
    return validate(this.book, flow, version);
  }

  /** Release: Unreleased -> Official or Gray; Gray -> Official (release.ts). */
  release(flow: string, version: string, request: ReleaseRequest, actor: Actor): Promise<VersionView> {
    return release(this.book, flow, version, request, actor);
  }

  /** Changes the gray share and callers of a flow that has a gray version (Details). */
  setGray(flow: string, settings: GraySettings, actor: Actor): Promise<FlowView> {
    return setGray(this.book, flow, settings, actor);
  }

  /** Query Info (Official, Gray): the version, its validation and its snapshots. */
  info(flow: string, version: string): Promise<VersionView & { snapshots: SnapshotSummary[] }> {
    return info(this.book, flow, version);
  }

  /** Details (Gray): the gray settings and its counters beside the official version's. */
  details(flow: string, version: string): { gray: GraySettings | undefined; version: VersionView; official: VersionView | undefined } {
    return details(this.book, flow, version);
  }

  /** Test (Official, Gray): checks the state and that the version is deployed; the caller places the call. */
  test(flow: string, version: string): DeployedVersion {
    return test(this.book, flow, version);
  }

  /** Clone (Official, Gray): a New version with a copy of the nodes, for the editor to import as a tab. */
  clone(flow: string, version: string, newVersion: string, actor: Actor): Promise<{ version: VersionView; nodes: FlowNode[] }> {
    return clone(this.book, flow, version, newVersion, actor);
  }

  /** Restores a snapshot as a New version of its flow, for the editor to import as a tab. */
  restore(snapshotId: string, newVersion: string, actor: Actor): Promise<{ version: VersionView; nodes: FlowNode[] }> {
    return restore(this.book, snapshotId, newVersion, actor);
  }

  /** A flow's snapshots, newest first. */
  snapshots(flow: string): Promise<SnapshotSummary[]> {
    return snapshots(this.book, flow);
  }

  /** Compares two versions or snapshots: each side is a deployed version or a snapshot id. */
  diff(flow: string, before: { version?: string; snapshot?: string }, after: { version?: string; snapshot?: string }): Promise<FlowDiff & { before: string; after: string }> {
    return diff(this.book, flow, before, after);
  }

  // --- attributes ----------------------------------------------------------------------

  /** Attribute: sets a New or Unreleased version's Type; one main and one exception-handling flow per release set (attributes.ts). */
  setType(flow: string, version: string, type: FlowType, actor: Actor): Promise<VersionView> {
    return setType(this.book, flow, version, type, actor);
  }

  /** What the deploy's nodes name (references.ts): Is Referenced, and what Delete and Cancel Release keep. */
  setReferences(nodes: readonly FlowNode[]): void {
    this.book.references = flowReferences(nodes);
    this.book.changed();
  }

  /**
   * The exception-handling flow (the router's VersionChooser asks it for failed calls), if the release set has one:
   * the flow whose official or gray version has that Type (attributes.ts).
   */
  exceptionFlow(): string | undefined {
    return releasedFlowOfType(this.book.doc, 'exception');
  }

  /** The flow whose versions have `type` (main, exception), if any; the version named is one of them. */
  flowOfType(type: FlowType): { flow: string; version: string } | undefined {
    return flowOfType(this.book.doc, type);
  }

  // --- routing and counters ------------------------------------------------------------

  /** The version a new call of `flow` runs (pick.ts). */
  pick(flow: string, caller: string, requested?: string): PickResult {
    return pick(this.book, flow, caller, requested);
  }

  /** Why no new call of `flow` could run now (pick.ts), or undefined. */
  refusal(flow: string): string | undefined {
    return refusal(this.book, flow);
  }

  callStarted(flow: string, version: string): void {
    callStarted(this.book, flow, version);
  }

  callEnded(flow: string, version: string, kind: CallEndKind, durationSec: number): void {
    // A replaced version becomes Unreleased when its last call ends.
    if (callEnded(this.book, flow, version, kind, durationSec)) void this.tick();
  }

  /**
   * Time passes: edit locks with no request from their editor for 5 minutes
   * end (Unreleased); replaced versions with no call left become
   * Unreleased. Runs on a timer, and after calls end.
   */
  tick(): Promise<string[]> {
    const book = this.book;
    // States that could not be read (the store was unreachable) are asked for again.
    if (!book.isLoaded) return book.load().then(() => [], () => []);
    return book.serial(async () => {
      if (!book.isLoaded) return [];
      const now = book.now();
      const due = Object.values(book.doc.flows).some((f) =>
        Object.entries(f.versions).some(([, r]) => (r.state === 'editing' && r.lock && now - r.lock.seen >= LOCK_TIMEOUT_MS) || r.retiring),
      );
      if (!due) return [];
      return book.mutate((doc) => {
        const lines: string[] = [];
        for (const [flow, f] of Object.entries(doc.flows)) {
          for (const [v, r] of Object.entries(f.versions)) {
            if (r.state === 'editing' && r.lock && now - r.lock.seen >= LOCK_TIMEOUT_MS) {
              const who = r.lock.user;
              book.transition(r, 'unreleased', 'timeout', 'system', `no request from the editor of ${who} for 5 minutes`);
              lines.push(`${flow} ${v}: the edit lock of ${who} expired (no request for 5 minutes): Unreleased`);
            } else if (r.retiring && book.options.liveCalls(flow, v) === 0) {
              book.transition(r, 'unreleased', 'drained', 'system', 'its last call ended');
              lines.push(`${flow} ${v}: its last call ended after it was replaced: Unreleased`);
            }
          }
        }
        for (const line of lines) book.log.info(line);
        return lines;
      });
    });
  }

  /** Writes what is pending (counters) and stops the timers. */
  close(): Promise<void> {
    return this.book.close();
  }

  /** Writes the counters not written yet (Node-RED stops or redeploys). */
  flush(): Promise<void> {
    return this.book.flush();
  }

  /** Reads the document again for another Node-RED's change (it does so on its own every REFRESH_MS): document.ts. */
  refresh(): Promise<boolean> {
    return this.book.refresh();
  }
}
