/**
 * What a deploy changes in the book: the deployed tabs of the release set,
 * compared with the last deploy's (a hash of each tab's nodes); versions
 * first seen, edited, or claimed by two entries; and the release tags of
 * the entries deployed.
 */
import type { ReleaseRequest } from '../schemas/releases';
import { key, type BookDocument, type DeployedVersion } from './document';
import { hashNodes } from './nodes';
import { releaseNow } from './release';
import { STATE_NAMES } from './states';

/**
 * A deploy finished: `versions` are the deployed tabs of this release set.
 * Two entries claiming one version: that version takes no calls. A version
 * first seen is New, unless its entry has a release tag: then it is
 * released at once. A New, Editing or Unreleased version whose nodes
 * changed since its last deploy (a clone's copy: since it was made) was
 * edited: it is Unreleased now (an edit lock ends). An
 * entry deployed with a release tag, whose nodes changed, asks for that
 * release; two official (or two gray) tags for one flow are both refused.
 * Returns the lines to log.
 */
export function reconcile(book: BookDocument, versions: readonly DeployedVersion[], by = 'deploy'): Promise<string[]> {
  return book.serial(async () => {
    const lines: string[] = [];
    // Each line is logged as it happens (so the log reads in order) and returned.
    const say = (line: string): void => {
      lines.push(line);
      const [level, ...rest] = line.split(': ');
      const text = rest.join(': ');
      if (level === 'error') book.log.error(text);
      else if (level === 'warn') book.log.warn(text);
      else book.log.info(text);
    };
    const groups = new Map<string, DeployedVersion[]>();
    for (const v of versions) groups.set(key(v.flow, v.version), [...(groups.get(key(v.flow, v.version)) ?? []), v]);
    book.deployed = new Map();
    book.conflicts = new Map();
    book.tagProblems = new Map();
    for (const [k, list] of groups) {
      const first = list[0] as DeployedVersion;
      if (list.length > 1) {
        const why = `${list.length} entries claim ${first.flow} ${first.version}: it takes no calls`;
        book.conflicts.set(k, why);
        say(`error: ${why} (entries ${list.map((d) => d.entry).join(', ')} on tabs ${list.map((d) => d.tab).join(', ')}); give each tab its own version`);
        continue;
      }
      book.deployed.set(k, first);
    }
    let asked: DeployedVersion[] = [];
    try {
      asked = await book.mutate((doc) => {
        const tagged: DeployedVersion[] = [];
        // A version two entries claim is listed (with its conflict), but takes no calls and is not released.
        for (const k of book.conflicts.keys()) {
          const first = groups.get(k)?.[0];
          if (first) book.recordOf(doc, first, by);
        }
        for (const d of book.deployed.values()) {
          const { record, first } = book.recordOf(doc, d, by);
          if (first) say(`info: ${d.flow} ${d.version} deployed for the first time: New`);
          const hash = hashNodes(d.nodes);
          // A new tab's first deploy creates the version: it is not an edit of it. (A clone's or a restored
          // snapshot's copy was New before; its first deploy counts as an edit, as it did.)
          const changed = !first && record.deployedHash !== hash;
          record.deployedHash = hash;
          if (first && d.release) {
            // A tab deployed with a release tag is released as it is created.
            book.transition(record, 'unreleased', 'deploy', by, `deployed with the release tag "${d.release}"`);
            tagged.push(d);
            continue;
          }
          // The edit lock holds against release tags: a deploy ends the editing, but does not release what someone was editing.
          const lockedBy = record.state === 'editing' ? (record.lock?.user ?? '?') : undefined;
          if (changed && (record.state === 'new' || record.state === 'editing' || record.state === 'unreleased')) {
            if (record.state !== 'unreleased') book.transition(record, 'unreleased', 'deploy', by);
          } else if (changed && (record.state === 'official' || record.state === 'gray') && record.releasedHash && record.releasedHash !== hash) {
            say(`warn: ${d.flow} ${d.version} is ${STATE_NAMES[record.state]} and its nodes were changed by this deploy; the changes run, but were not released: clone the version to change it`);
          }
          // A tag asks for a release; a version already in that state was released by it before (it is kept on the entry).
          if (changed && d.release && record.state !== d.release) {
            if (lockedBy !== undefined) {
              const why = `${d.flow} ${d.version} was being edited by ${lockedBy}: its release tag "${d.release}" was not acted on (the deploy ended the editing; release it from the Call flows sidebar)`;
              book.tagProblems.set(d.entry, why);
              say(`warn: ${why}`);
            } else tagged.push(d);
          }
        }
        return tagged;
      });
    } catch (err) {
      say(`error: the release states could not be saved after this deploy: ${(err as Error).message}`);
      book.changed();
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
        for (const d of same) book.tagProblems.set(d.entry, why);
        say(`error: ${why}`);
      }
      for (const d of list) {
        if (book.tagProblems.has(d.entry)) continue;
        const request: ReleaseRequest = { target: d.release as 'official' | 'gray', comment: 'released by deploying its tab' };
        if (d.release === 'gray') request.gray = d.gray ?? { share: 0, callers: [] };
        try {
          await releaseNow(book, d.flow, d.version, request, { user: by }, true);
          say(`info: ${d.flow} ${d.version} released as ${d.release === 'official' ? 'the official version' : 'the gray version'} by deploying its tab`);
        } catch (err) {
          book.tagProblems.set(d.entry, (err as Error).message);
          say(`error: ${d.flow} ${d.version} was deployed with the release tag "${d.release}" but not released: ${(err as Error).message}`);
        }
      }
    }
    book.changed();
    return lines;
  });
}
