/**
 * A version's attributes (../shared/reference/ivr-flow-lifecycle.txt, the
 * Attribute note): its Type, changed only while the version is New or
 * Unreleased, and Is Referenced, computed from the deployed nodes that name
 * the flow (references.ts) and enforced: a referenced flow keeps its last
 * version and its official release.
 *
 * A release set has at most one main flow and one exception-handling flow:
 * a version may take the type "main" (or "exception") only when no version
 * of another flow has it. The versions of one flow may all have it (a new
 * version of the main flow is the main flow too).
 */
import { own } from '../own';
import type { FlowType, ReleasesDocument } from '../schemas/releases';
import type { Actor, BookDocument } from './document';
import { note } from './document';
import { describeReferences, type FlowReference } from './references';
import { ALLOWED, ReleaseError, STATE_NAMES, TYPE_NAMES } from './states';
import { versionView, type VersionView } from './views';

/**
 * The flow whose released version (official, or gray) has `type`: the one that acts as it at run time. A Type on a
 * New or Unreleased version changes nothing until that version is released.
 */
export function releasedFlowOfType(doc: ReleasesDocument, type: FlowType): string | undefined {
  if (type === 'other') return undefined;
  for (const [flow, f] of Object.entries(doc.flows)) {
    for (const r of Object.values(f.versions)) if (r.type === type && ((r.state === 'official' && !r.retiring) || r.state === 'gray')) return flow;
  }
  return undefined;
}

/** The flow (other than `except`) one of whose versions has `type`, with that version; undefined when none. */
export function flowOfType(doc: ReleasesDocument, type: FlowType, except?: string): { flow: string; version: string } | undefined {
  if (type === 'other') return undefined;
  for (const [flow, f] of Object.entries(doc.flows)) {
    if (flow === except) continue;
    for (const [version, r] of Object.entries(f.versions)) if (r.type === type) return { flow, version };
  }
  return undefined;
}

/** Attribute: sets a New or Unreleased version's Type. */
export function setType(book: BookDocument, flow: string, version: string, type: FlowType, actor: Actor): Promise<VersionView> {
  return book.serial(async () => {
    await book.mutate((doc) => {
      const record = book.versionOf(doc, flow, version);
      if (record.state !== 'new' && record.state !== 'unreleased') {
        throw new ReleaseError(409, `the Type of version ${version} of flow ${flow} cannot be changed: it is ${STATE_NAMES[record.state]}, and only a New or Unreleased version's Type can be`, {
          state: record.state,
          allowed: [...ALLOWED[record.state]],
        });
      }
      // One flow is not both: its versions may carry one of the two special types.
      const otherType = type === 'main' ? 'exception' : type === 'exception' ? 'main' : undefined;
      const mixed = otherType ? Object.entries(book.flowOf(doc, flow).versions).find(([v, r]) => v !== version && r.type === otherType) : undefined;
      if (mixed && otherType) {
        throw new ReleaseError(409, `version ${mixed[0]} of flow ${flow} is its ${TYPE_NAMES[otherType].toLowerCase()}: one flow cannot be both, so change that version's Type first`, {
          state: record.state,
        });
      }
      const taken = flowOfType(doc, type, flow);
      if (taken) {
        throw new ReleaseError(409, `the release set already has a ${TYPE_NAMES[type].toLowerCase()}: ${taken.flow} (version ${taken.version}); a release set has one, so change that flow's Type first`, {
          state: record.state,
        });
      }
      const before = record.type ?? 'other';
      if (before === type) return;
      if (type === 'other') delete record.type;
      else record.type = type;
      note(record, { at: book.now(), by: actor.user, op: 'attribute', from: record.state, to: record.state, comment: `Type: ${TYPE_NAMES[before]} -> ${TYPE_NAMES[type]}` });
    });
    book.log.info(`${flow} ${version}: Type set to ${TYPE_NAMES[type]} by ${actor.user}`);
    return versionView(book, flow, version);
  });
}

/** The deployed nodes that name `flow` (none: an empty list). */
export function referencesOf(book: BookDocument, flow: string): readonly FlowReference[] {
  return book.references.get(flow) ?? [];
}

/**
 * Refuses to leave a referenced flow without what its references need: its
 * last version (`what` "delete") or its official release ("cancel").
 */
export function mustKeepReferenced(book: BookDocument, doc: ReleasesDocument, flow: string, version: string, what: 'delete' | 'cancel'): void {
  const refs = referencesOf(book, flow);
  if (refs.length === 0) return;
  const f = own(doc.flows, flow);
  const record = f ? own(f.versions, version) : undefined;
  if (!f || !record) return;
  if (what === 'delete' && Object.keys(f.versions).length === 1) {
    throw new ReleaseError(409, `version ${version} is the last version of flow ${flow}, which is referenced by ${describeReferences(refs)}: change those first, then delete it`, {
      state: record.state,
      allowed: [...ALLOWED[record.state]],
    });
  }
  if (what === 'cancel' && record.state === 'official' && !record.retiring) {
    throw new ReleaseError(409, `the release of version ${version} of flow ${flow} cannot be cancelled: it is the flow's official version, and the flow is referenced by ${describeReferences(refs)}; release another version as official, or change those first`, {
      state: record.state,
      allowed: [...ALLOWED[record.state]],
    });
  }
}
