/**
 * The call records of one deployed flow version on its connection: its latest calls, newest first, read from the store
 * a page of the flow's records at a time (what the Call flows sidebar lists, executions.ts: at most SCAN records are
 * read, so a version with few calls among its flow's many lists those it finds there); and one call's record, read by
 * its id however old it is (where a listed call's recording is looked up, call-recordings.ts).
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

/** Whether a record is a call of that flow version on that connection. */
function isOf(r: CallRecord, which: VersionCalls): boolean {
  return r.flow === which.flow && r.version === which.version && r.connection === which.connection;
}

/**
 * The version's latest `limit` records, newest first, from pages of the flow's records (at most SCAN of them read; no
 * page is read past the one that completes them).
 */
export async function versionRecords(store: Store, which: VersionCalls, limit: number): Promise<CallRecord[]> {
  const recent: CallRecord[] = [];
  let after: string | undefined;
  let scanned = 0;
  while (recent.length < limit && scanned < SCAN) {
    const page = await store.pageCallRecords({ flow: which.flow, limit: 100, ...(after === undefined ? {} : { after }) });
    scanned += page.items.length;
    for (const r of page.items) {
      if (recent.length >= limit) break;
      if (isOf(r, which)) recent.push(r);
    }
    if (!page.next) break;
    after = page.next;
  }
  return recent;
}

/** The record of call `id`, if it is a call of that version on that connection (undefined: no such call of it). */
export async function versionRecord(store: Store, which: VersionCalls, id: string): Promise<CallRecord | undefined> {
  const r = await store.getCallRecord(id);
  return r && isOf(r, which) ? r : undefined;
}
