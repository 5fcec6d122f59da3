/**
 * Which version a new call runs, from what is in memory (no store access
 * on the call's path): the router asks the book as the flow's
 * VersionChooser (lib/routing/router.ts). The gray share and caller list
 * are gray.ts.
 */
import { own } from '../own';
import { key, type BookDocument } from './document';
import { takesGray } from './gray';
import { STATE_NAMES } from './states';

export type PickResult = { version: string; gray: boolean } | { refused: string };

/**
 * The version a new call of `flow` runs. `requested` (a Stasis argument,
 * or a test call) names one, which must be Official or Gray. Otherwise:
 * a listed caller or the gray share gets the gray version, the rest the
 * official one.
 */
export function pick(book: BookDocument, flow: string, caller: string, requested?: string): PickResult {
  const record = own(book.doc.flows, flow);
  if (!book.isLoaded) return { refused: `the release states of ${flow} are not loaded yet (the store is opening)` };
  if (!record) return { refused: `flow ${flow} has no versions in the release set` };
  const usable = (v: string): boolean => book.deployed.has(key(flow, v)) && !book.conflicts.has(key(flow, v));
  if (requested) {
    const conflict = book.conflicts.get(key(flow, requested));
    if (conflict) return { refused: conflict };
    const r = own(record.versions, requested);
    if (!r) return { refused: `flow ${flow} has no version ${requested}` };
    if ((r.state !== 'official' && r.state !== 'gray') || r.retiring) return { refused: `version ${requested} of flow ${flow} is ${r.retiring ? 'replaced' : STATE_NAMES[r.state]}: only Official and Gray versions take calls` };
    if (!usable(requested)) return { refused: book.conflicts.get(key(flow, requested)) ?? `version ${requested} of flow ${flow} is not deployed` };
    return { version: requested, gray: r.state === 'gray' };
  }
  let official: string | undefined;
  let gray: string | undefined;
  for (const [v, r] of Object.entries(record.versions)) {
    if (r.state === 'official' && !r.retiring) official = v;
    if (r.state === 'gray') gray = v;
  }
  if (gray && usable(gray) && record.gray && (!official || !usable(official) || takesGray(caller, record.gray, book.random))) return { version: gray, gray: true };
  if (official && usable(official)) return { version: official, gray: false };
  if (official) return { refused: book.conflicts.get(key(flow, official)) ?? `the official version of ${flow} (${official}) is not deployed` };
  return { refused: `flow ${flow} has no official version: release one` };
}

/**
 * Why no new call of `flow` could run now, or undefined: what pick() would
 * refuse a call that names no version, without drawing for the gray share
 * (a campaign asks before it starts; docs/campaigns.md).
 */
export function refusal(book: BookDocument, flow: string): string | undefined {
  const record = own(book.doc.flows, flow);
  if (!book.isLoaded) return `the release states of ${flow} are not loaded yet (the store is opening)`;
  if (!record) return `flow ${flow} has no versions in the release set`;
  const usable = (v: string): boolean => book.deployed.has(key(flow, v)) && !book.conflicts.has(key(flow, v));
  let official: string | undefined;
  for (const [v, r] of Object.entries(record.versions)) {
    if (r.state === 'official' && !r.retiring) official = v;
    if (r.state === 'gray' && record.gray && usable(v)) return undefined;
  }
  if (official && usable(official)) return undefined;
  if (official) return book.conflicts.get(key(flow, official)) ?? `the official version of ${flow} (${official}) is not deployed`;
  return `flow ${flow} has no official version: release one`;
}
