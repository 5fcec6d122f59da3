/**
 * Releasing a version and what goes with it: the checks before a release
 * (validate.ts), the snapshot it saves, the official version it replaces,
 * the gray settings; Cancel release; and the read-only operations of a
 * released version (Query Info, Details, Test).
 */
import { randomBytes } from 'node:crypto';
import { graySettings as grayValidator, type GraySettings, type ReleaseRequest } from '../schemas/releases';
import type { FlowSnapshot } from '../schemas/store';
import type { SnapshotSummary } from '../store/port';
import { mustKeepReferenced } from './attributes';
import { key, note, type Actor, type BookDocument, type DeployedVersion } from './document';
import { stateChange } from './editing';
import { hashNodes } from './nodes';
import { snapshots } from './snapshots';
import { ALLOWED, ReleaseError, mustAllow, refusal } from './states';
import { validateVersion, type ValidationResult } from './validate';
import { flowView, versionView, type FlowView, type VersionView } from './views';

/** Cancel release: Official or Gray -> Unreleased; calls in progress finish on it. */
export function cancel(book: BookDocument, flow: string, version: string, actor: Actor): Promise<VersionView> {
  return stateChange(book, flow, version, 'cancel', actor, (record, doc) => {
    mustKeepReferenced(book, doc, flow, version, 'cancel');
    if (record.state === 'gray') delete book.flowOf(doc, flow).gray;
    book.transition(record, 'unreleased', 'cancel', actor.user);
  });
}

/** Checks a deployed version (any state), as a release would. */
export async function validate(book: BookDocument, flow: string, version: string): Promise<ValidationResult> {
  // A version two entries claim is deployed, but not kept among the deployed versions (it takes no calls): that is its problem.
  const conflict = book.conflicts.get(key(flow, version));
  if (conflict) return { ok: false, problems: [conflict], notes: [] };
  const d = book.deployed.get(key(flow, version));
  if (!d) return { ok: false, problems: [`version ${version} of flow ${flow} is not deployed: deploy its tab first`], notes: [] };
  const input: Parameters<typeof validateVersion>[0] = { flow, version, nodes: d.nodes, configTypes: book.options.configTypes() };
  const media = book.options.mediaCheck?.(d.connection);
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
export function release(book: BookDocument, flow: string, version: string, request: ReleaseRequest, actor: Actor): Promise<VersionView> {
  return book.serial(() => releaseNow(book, flow, version, request, actor));
}

/** `quiet`: the caller logs the release (a deploy's release tag). */
export async function releaseNow(book: BookDocument, flow: string, version: string, request: ReleaseRequest, actor: Actor, quiet = false): Promise<VersionView> {
  await book.loadOr503();
  const record = book.versionOf(book.doc, flow, version);
  if (record.retiring) throw refusal(flow, version, record.state, 'release', ' (replaced, finishing its calls)');
  mustAllow(flow, version, record.state, 'release');
  if (record.state === 'gray' && request.target !== 'official') {
    throw new ReleaseError(409, `version ${version} of flow ${flow} is Gray Release: a gray version can only be released as the official version`, { state: 'gray', allowed: [...ALLOWED.gray] });
  }
  const flowRecord = book.flowOf(book.doc, flow);
  let gray: GraySettings | undefined;
  if (request.target === 'gray') {
    const other = Object.entries(flowRecord.versions).find(([v, r]) => v !== version && r.state === 'gray');
    if (other) throw new ReleaseError(409, `flow ${flow} already has a gray version (${other[0]}): release it as official or cancel it first`, { state: record.state, allowed: [...ALLOWED[record.state]] });
    gray = grayValidator.assert(request.gray ?? { share: 0, callers: [] }, 'gray');
    if (gray.share === 0 && gray.callers.length === 0) throw new ReleaseError(400, 'a gray release needs a share of calls above 0% or at least one caller number');
  }
  const conflict = book.conflicts.get(key(flow, version));
  if (conflict) throw new ReleaseError(422, `version ${version} of flow ${flow} cannot be released: ${conflict}`, { problems: [conflict], state: record.state });
  const d = book.deployed.get(key(flow, version));
  if (!d) throw new ReleaseError(409, `version ${version} of flow ${flow} is not deployed: deploy its tab, then release it`, { state: record.state, allowed: [...ALLOWED[record.state]] });
  const check = await validate(book, flow, version);
  if (!check.ok) throw new ReleaseError(422, `version ${version} of flow ${flow} cannot be released: ${check.problems.join('; ')}`, { problems: check.problems, state: record.state });
  const at = book.now();
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
    await (await book.options.store()).saveSnapshot(snapshot);
  } catch (err) {
    throw new ReleaseError(503, `the snapshot could not be saved, so nothing was released: ${(err as Error).message}`);
  }
  const hash = hashNodes(d.nodes);
  await book.mutate((doc) => {
    const f = book.flowOf(doc, flow);
    const r = book.versionOf(doc, flow, version);
    if (request.target === 'official') {
      for (const [v, other] of Object.entries(f.versions)) {
        if (v === version || other.state !== 'official' || other.retiring) continue;
        if (book.options.liveCalls(flow, v) > 0) {
          other.retiring = true;
          note(other, { at, by: actor.user, op: 'replaced', from: 'official', to: 'official', comment: `replaced by ${version}; finishing its calls` });
        } else {
          book.transition(other, 'unreleased', 'replaced', actor.user, `replaced by ${version}`);
        }
      }
      if (r.state === 'gray') delete f.gray;
    } else if (gray) {
      f.gray = gray;
    }
    book.transition(r, request.target, 'release', actor.user, request.comment);
    r.releasedAt = at;
    r.releasedBy = actor.user;
    r.snapshot = snapshot.id;
    r.releasedHash = hash;
    if (request.comment) r.comment = request.comment;
    else delete r.comment;
  });
  if (!quiet) book.log.info(`${flow} ${version} released as ${request.target} by ${actor.user} (snapshot ${snapshot.id})`);
  return versionView(book, flow, version);
}

/** Changes the gray share and callers of a flow that has a gray version (Details). */
export function setGray(book: BookDocument, flow: string, settings: GraySettings, actor: Actor): Promise<FlowView> {
  return book.serial(async () => {
    await book.mutate((doc) => {
      const f = book.flowOf(doc, flow);
      const gray = Object.entries(f.versions).find(([, r]) => r.state === 'gray');
      if (!gray) throw new ReleaseError(409, `flow ${flow} has no gray version: release one as gray first`);
      const checked = grayValidator.assert(settings, 'gray');
      if (checked.share === 0 && checked.callers.length === 0) throw new ReleaseError(400, 'a gray release needs a share of calls above 0% or at least one caller number');
      f.gray = checked;
      note(gray[1], { at: book.now(), by: actor.user, op: 'gray', from: 'gray', to: 'gray', comment: `share ${checked.share}%, ${checked.callers.length} caller(s)` });
    });
    return flowView(book, flow);
  });
}

/** Query Info (Official, Gray): the version, its validation and its snapshots. */
export async function info(book: BookDocument, flow: string, version: string): Promise<VersionView & { snapshots: SnapshotSummary[] }> {
  const record = book.versionOf(book.doc, flow, version);
  mustAllow(flow, version, record.state, 'info');
  return { ...versionView(book, flow, version), snapshots: await snapshots(book, flow) };
}

/** Details (Gray): the gray settings and its counters beside the official version's. */
export function details(book: BookDocument, flow: string, version: string): { gray: GraySettings | undefined; version: VersionView; official: VersionView | undefined } {
  const record = book.versionOf(book.doc, flow, version);
  mustAllow(flow, version, record.state, 'details');
  const view = flowView(book, flow);
  return { gray: view.gray, version: versionView(book, flow, version), official: view.official ? versionView(book, flow, view.official) : undefined };
}

/** Test (Official, Gray): checks the state and that the version is deployed; the caller places the call. */
export function test(book: BookDocument, flow: string, version: string): DeployedVersion {
  const record = book.versionOf(book.doc, flow, version);
  mustAllow(flow, version, record.state, 'test');
  const d = book.deployed.get(key(flow, version));
  if (!d) throw new ReleaseError(409, `version ${version} of flow ${flow} is not deployed`, { state: record.state, allowed: [...ALLOWED[record.state]] });
  return d;
}
