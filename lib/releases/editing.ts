/**
 * The operations on a version that is not released: the edit lock (Edit,
 * its refresh by every request from the editor that holds it, Done,
 * Unlock) and Delete; and the state change they share with Cancel release.
 */
import type { EditLock, ReleasesDocument, VersionRecord } from '../schemas/releases';
import { mustKeepReferenced } from './attributes';
import type { Actor, BookDocument } from './document';
import { ALLOWED, OPERATION_NAMES, ReleaseError, STATE_NAMES, mustAllow, refusal, type Operation } from './states';
import { versionView, type VersionView } from './views';

/** Refreshes the locks an editor holds (any request from it does). */
export function touch(book: BookDocument, actor: Actor): Promise<void> {
  const editor = actor.editor;
  if (!editor) return Promise.resolve();
  const held = Object.values(book.doc.flows).some((f) => Object.values(f.versions).some((v) => v.lock?.editor === editor));
  if (!held) return Promise.resolve();
  return book.serial(() =>
    book.mutate((doc) => {
      for (const f of Object.values(doc.flows)) for (const v of Object.values(f.versions)) if (v.lock?.editor === editor) v.lock.seen = book.now();
    }),
  );
}

/** Who holds an edit lock, and since when, for a refusal. */
function holder(lock: EditLock | undefined): string {
  if (!lock) return 'nobody';
  return `${lock.user} (since ${new Date(lock.since).toISOString().slice(11, 19)} UTC)`;
}

/** Edit: New or Unreleased -> Editing, locked to this editor. The editor that holds the lock may ask again (it keeps it). */
export function edit(book: BookDocument, flow: string, version: string, actor: Actor): Promise<VersionView> {
  return book.serial(async () => {
    await book.mutate((doc) => {
      const record = book.versionOf(doc, flow, version);
      if (record.state === 'editing') {
        if (record.lock && actor.editor && record.lock.editor === actor.editor) {
          record.lock.seen = book.now();
          return;
        }
        throw new ReleaseError(409, `version ${version} of flow ${flow} is being edited by ${holder(record.lock)}; Editing allows only Unlock`, {
          state: 'editing',
          allowed: ['unlock'],
          holder: record.lock?.user ?? '',
        });
      }
      mustAllow(flow, version, record.state, 'edit');
      if (!actor.editor) throw new ReleaseError(400, 'an edit lock needs an editor id (the X-Callflow-Editor header)');
      book.transition(record, 'editing', 'edit', actor.user);
      record.lock = { user: actor.user, editor: actor.editor, since: book.now(), seen: book.now() };
    });
    return versionView(book, flow, version);
  });
}

/** Editing ends (the editor that holds the lock says so): Unreleased. */
export function finishEditing(book: BookDocument, flow: string, version: string, actor: Actor): Promise<VersionView> {
  return book.serial(async () => {
    await book.mutate((doc) => {
      const record = book.versionOf(doc, flow, version);
      if (record.state !== 'editing') throw new ReleaseError(409, `version ${version} of flow ${flow} is ${STATE_NAMES[record.state]}, not being edited`, { state: record.state, allowed: [...ALLOWED[record.state]] });
      if (record.lock?.editor !== actor.editor) {
        throw new ReleaseError(409, `version ${version} of flow ${flow} is being edited by ${holder(record.lock)}, not by you; Editing allows only Unlock`, {
          state: 'editing',
          allowed: ['unlock'],
          holder: record.lock?.user ?? '',
        });
      }
      book.transition(record, 'unreleased', 'done', actor.user);
    });
    return versionView(book, flow, version);
  });
}

/** Unlock: Editing -> Unreleased, whoever holds the lock. */
export function unlock(book: BookDocument, flow: string, version: string, actor: Actor): Promise<VersionView> {
  return stateChange(book, flow, version, 'unlock', actor, (record) => book.transition(record, 'unreleased', 'unlock', actor.user, record.lock ? `lock of ${record.lock.user} removed` : undefined));
}

/** Delete: a New or Unreleased version with no call in progress. */
export function remove(book: BookDocument, flow: string, version: string, actor: Actor): Promise<void> {
  return book.serial(async () => {
    await book.mutate((doc) => {
      const record = book.versionOf(doc, flow, version);
      mustAllow(flow, version, record.state, 'delete');
      mustKeepReferenced(book, doc, flow, version, 'delete');
      const live = book.options.liveCalls(flow, version);
      if (live > 0) throw new ReleaseError(409, `version ${version} of flow ${flow} still has ${live} call(s) in progress; delete it when they have ended`, { state: record.state, allowed: [...ALLOWED[record.state]] });
      const f = book.flowOf(doc, flow);
      delete f.versions[version];
      if (Object.keys(f.versions).length === 0) delete doc.flows[flow];
      book.log.info(`${flow} ${version} deleted by ${actor.user}`);
    });
  });
}

/** An operation that only changes the state (Unlock, Cancel release): refused for a replaced version, checked against the state table, logged. */
export function stateChange(book: BookDocument, flow: string, version: string, op: Operation, actor: Actor, apply: (record: VersionRecord, doc: ReleasesDocument) => void): Promise<VersionView> {
  return book.serial(async () => {
    await book.mutate((doc) => {
      const record = book.versionOf(doc, flow, version);
      if (record.retiring) throw refusal(flow, version, record.state, op, ` (replaced, finishing its calls)`);
      mustAllow(flow, version, record.state, op);
      apply(record, doc);
    });
    book.log.info(`${flow} ${version}: ${OPERATION_NAMES[op]} by ${actor.user}`);
    return versionView(book, flow, version);
  });
}
