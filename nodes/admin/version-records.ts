/**
 * The call records of one deployed flow version on its connection, newest first, read from the store a page of the
 * flow's records at a time: what the Call flows sidebar lists (executions.ts) and where a listed call's recording is
 * looked up (call-recordings.ts). At most SCAN records are read: a version's calls older than that are not found.
 */
import type { CallRecord } from '../../lib/schemas/store';
import type { Store } from '../../lib/store/port';

/** A release set's, a flow's and a version's names as the admin routes take them (others are no such thing). */
export const SET = /^[A-Za-z0-9._-]{1,128}$/;
export const FLOW = /^[A-Za-z0-9_.-]{1,64}$/;
export const VERSION = /^[A-Za-z0-9_.-]{1,32}$/;

/** Records read to find a version's latest calls (the store filters by flow; the version is picked from them). */
export const SCAN = 500;

export interface VersionCalls {
  flow: string;
  version: string;
  connection: string;
}

/** The version's latest `limit` records; with `id`, reading stops at that call's record (the last one given). */
export async function versionRecords(store: Store, which: VersionCalls, limit: number, id?: string): Promise<CallRecord[]> {
  const recent: CallRecord[] = [];
  let after: string | undefined;
  let scanned = 0;
  while (recent.length < limit && scanned < SCAN) {
    const page = await store.pageCallRecords({ flow: which.flow, limit: 100, ...(after === undefined ? {} : { after }) });
    scanned += page.items.length;
    for (const r of page.items) {
      if (r.version !== which.version || r.connection !== which.connection || recent.length >= limit) continue;
      recent.push(r);
      if (r.id === id) return recent;
    }
    if (!page.next) break;
    after = page.next;
  }
  return recent;
}
