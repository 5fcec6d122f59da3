/**
 * A version's call counters: calls started, and how they ended (completed,
 * hung up early, transferred) with their total duration. They change in
 * memory on every call and are written with the document at most every few
 * seconds (document.ts).
 */
import { versionIn, type BookDocument } from './document';

/** How a call of a version ended, for its counters. */
export type CallEndKind = 'completed' | 'hung-up-early' | 'transferred' | 'other';

/** A call of a version started. */
export function callStarted(book: BookDocument, flow: string, version: string): void {
  const r = versionIn(book.doc, flow, version);
  if (!r) return;
  r.counters.calls += 1;
  book.dirty();
}

/** A call of a version ended; true when it was the last call of a replaced version (which may become Unreleased now). */
export function callEnded(book: BookDocument, flow: string, version: string, kind: CallEndKind, durationSec: number): boolean {
  const r = versionIn(book.doc, flow, version);
  if (r) {
    const c = r.counters;
    c.ended += 1;
    c.totalSec = Math.round((c.totalSec + Math.max(0, durationSec)) * 10) / 10;
    if (kind === 'completed') c.completed += 1;
    else if (kind === 'hung-up-early') c.hungUpEarly += 1;
    else if (kind === 'transferred') c.transferred += 1;
    book.dirty();
  }
  // A replaced version becomes Unreleased when its last call ends.
  return r?.retiring === true && book.options.liveCalls(flow, version) === 0;
}
