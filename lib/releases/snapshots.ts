/**
 * Copies of a flow's versions: the snapshot each release saves, listed and
 * restored as a New version; Clone of a released version as a New one; and
 * Compare, of two deployed versions or snapshots.
 */
import { own, put } from '../own';
import type { FlowType } from '../schemas/releases';
import type { SnapshotSummary } from '../store/port';
import { diffVersions, type FlowDiff } from './diff';
import { key, note, type Actor, type BookDocument } from './document';
import { copyAsVersion, type FlowNode } from './nodes';
import { ReleaseError, mustAllow, refusal } from './states';
import { versionView, type VersionView } from './views';

/** Clone (Official, Gray): a New version with a copy of the nodes, for the editor to import as a tab. */
export function clone(book: BookDocument, flow: string, version: string, newVersion: string, actor: Actor): Promise<{ version: VersionView; nodes: FlowNode[] }> {
  return book.serial(async () => {
    const record = book.versionOf(book.doc, flow, version);
    if (record.retiring) throw refusal(flow, version, record.state, 'clone', ' (replaced, finishing its calls)');
    mustAllow(flow, version, record.state, 'clone');
    const d = book.deployed.get(key(flow, version));
    if (!d) throw new ReleaseError(409, `version ${version} of flow ${flow} is not deployed, so there is nothing to copy`);
    const nodes = copyAsVersion(d.nodes, flow, newVersion);
    await create(book, flow, newVersion, { version }, actor, record.type);
    return { version: versionView(book, flow, newVersion), nodes };
  });
}

/** Restores a snapshot as a New version of its flow, for the editor to import as a tab. */
export function restore(book: BookDocument, snapshotId: string, newVersion: string, actor: Actor): Promise<{ version: VersionView; nodes: FlowNode[] }> {
  return book.serial(async () => {
    const snapshot = await (await book.storeOr503()).getSnapshot(snapshotId);
    if (!snapshot) throw new ReleaseError(404, `no snapshot ${snapshotId}`);
    const nodes = copyAsVersion(snapshot.nodes as FlowNode[], snapshot.flow, newVersion);
    await create(book, snapshot.flow, newVersion, { snapshot: snapshotId }, actor);
    return { version: versionView(book, snapshot.flow, newVersion), nodes };
  });
}

/** A New version of a flow, cloned from a version or restored from a snapshot (`from`). */
async function create(book: BookDocument, flow: string, version: string, from: { version?: string; snapshot?: string }, actor: Actor, type?: FlowType): Promise<void> {
  await book.mutate((doc) => {
    const f = own(doc.flows, flow) ?? put(doc.flows, flow, { versions: {} });
    if (own(f.versions, version)) throw new ReleaseError(409, `flow ${flow} already has a version ${version}: choose another name`);
    const record = book.newRecord('new', actor.user);
    record.from = from;
    // A copy is of the same flow, so it has the flow's Type (a release set's main flow stays one flow).
    if (type) record.type = type;
    note(record, { at: book.now(), by: actor.user, op: from.snapshot ? 'restore' : 'clone', from: 'new', to: 'new', comment: from.snapshot ? `from snapshot ${from.snapshot}` : `from ${from.version ?? ''}` });
    put(f.versions, version, record);
  });
}

/** A flow's snapshots, newest first. */
export async function snapshots(book: BookDocument, flow: string): Promise<SnapshotSummary[]> {
  return (await book.storeOr503()).listSnapshots(flow);
}

/** Compares two versions or snapshots: each side is a deployed version or a snapshot id. */
export async function diff(book: BookDocument, flow: string, before: { version?: string; snapshot?: string }, after: { version?: string; snapshot?: string }): Promise<FlowDiff & { before: string; after: string }> {
  const side = async (ref: { version?: string; snapshot?: string }): Promise<{ version: string; nodes: FlowNode[]; label: string }> => {
    if (ref.snapshot) {
      const s = await (await book.storeOr503()).getSnapshot(ref.snapshot);
      if (!s || s.flow !== flow) throw new ReleaseError(404, `flow ${flow} has no snapshot ${ref.snapshot}`);
      return { version: s.version, nodes: s.nodes as FlowNode[], label: `${s.version} as released ${new Date(s.savedAt).toISOString()}` };
    }
    const version = ref.version ?? '';
    const d = book.deployed.get(key(flow, version));
    if (!d) throw new ReleaseError(404, `version ${version} of flow ${flow} is not deployed; compare its snapshot instead`);
    return { version, nodes: d.nodes, label: `${version} as deployed` };
  };
  const a = await side(before);
  const b = await side(after);
  return { ...diffVersions(a, b), before: a.label, after: b.label };
}
