/**
 * The rules both store backends follow: the schema versions of each collection
 * (or table) and the rule for migrating, page cursors, and the checks that
 * refuse a bad document before anything is written.
 */
import { randomBytes } from 'node:crypto';
import { routingTable } from '../schemas/routing';
import { contactInput, contactProgress, contactResult, attemptDocument, type ContactInput, type ContactResult, type DocumentKind } from '../schemas/store';
import type { Validator } from '../schemas/validator';
import { releasesDocument } from '../schemas/releases';
import { campaignDocument, dialingDocument } from '../schemas/campaign';
import type { Attempt } from '../schemas/store';
import { StoreError, pageLimit, type AttemptRow, type CallRecordPageOptions, type CallRecordPrune, type Claim, type NextStep, type Page, type PageOptions, type BlocklistCheck, type ProgressMark } from './port';

/**
 * The schema version each collection's documents are at in this version of
 * the package. Opening a database at a lower version runs that backend's
 * migrations up to it, in order, one version at a time; a higher version
 * (written by a newer package) is refused, so an old package never
 * misreads new data.
 */
export const SCHEMA_VERSIONS = {
  contacts: 4,
  blocklist: 1,
  snapshots: 1,
  documents: 1,
  call_records: 2,
  answers: 1,
  meeting_records: 1,
} as const;
export type Collection = keyof typeof SCHEMA_VERSIONS;
export const COLLECTIONS = Object.keys(SCHEMA_VERSIONS) as Collection[];

/** At most this many waiting contacts (or expired leases) become due per claim, the earliest due first. */
export const PROMOTE_MAX = 5000;

/** One step of a collection from version to-1 to `to`. */
export interface Migration<Context> {
  collection: Collection;
  to: number;
  up(context: Context): void | Promise<void>;
}

/**
 * The steps to run for a collection at `from`, checked: a version above the
 * current one is refused, and a missing step is a bug reported as such.
 */
export function migrationPlan<C>(collection: Collection, from: number, current: number, migrations: readonly Migration<C>[]): Migration<C>[] {
  if (from > current) {
    throw new StoreError(
      'newer-schema',
      `the ${collection} data is at schema version ${from}, written by a newer node-red-contrib-callflow; this one knows version ${current}: upgrade the package (nothing was changed)`,
    );
  }
  const plan: Migration<C>[] = [];
  for (let v = from + 1; v <= current; v += 1) {
    const step = migrations.find((m) => m.collection === collection && m.to === v);
    if (!step) throw new StoreError('failed', `no migration of ${collection} to version ${v}`);
    plan.push(step);
  }
  return plan;
}

/** The validator of each document kind: the same schemas the nodes that own the kind check with. */
export const DOCUMENT_SCHEMAS: Record<DocumentKind, Validator<unknown>> = {
  campaign: campaignDocument,
  releases: releasesDocument,
  routing: routingTable,
  dialing: dialingDocument,
};

/** The value, or StoreError 'invalid' naming what and each problem. */
export function checked<T>(validator: Validator<T>, value: unknown, what: string): T {
  const r = validator.check(value);
  if (!r.ok) throw new StoreError('invalid', `${what}: ${r.problems.join('; ')}`);
  return r.value;
}

export function checkId(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 128) throw new StoreError('invalid', `${what}: an id of 1 to 128 characters (got ${JSON.stringify(value)})`);
  return value;
}

export function checkTime(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new StoreError('invalid', `${what}: a time in milliseconds since 1970 (got ${JSON.stringify(value)})`);
  return value;
}

/** Checks a batch of contacts; the first bad row refuses the batch. */
export function checkContacts(rows: ContactInput[]): void {
  if (!Array.isArray(rows)) throw new StoreError('invalid', 'contacts: an array of contacts');
  rows.forEach((row, i) => {
    const id = (row as { customerId?: unknown } | null)?.customerId;
    checked(contactInput, row, `contact ${i}${typeof id === 'string' ? ` (${id})` : ''}`);
  });
}

export function checkNext(next: NextStep): void {
  checked(contactProgress, next.progress, 'progress');
  if (next.state === 'done') {
    checkTime(next.at, 'at');
    checked(contactResult, next.result, 'result');
  } else if (next.state === 'waiting' || next.state === 'due') {
    checkTime(next.dueAt, 'dueAt');
  } else {
    throw new StoreError('invalid', `next.state: waiting, due or done (got ${JSON.stringify((next as { state: unknown }).state)})`);
  }
}

export { attemptDocument };

/** The arguments of claimDue, checked. */
export function checkClaim(campaignId: string, now: number, limit: number, worker: string, leaseMs: number): void {
  checkId(campaignId, 'campaignId');
  checkTime(now, 'now');
  checkId(worker, 'worker');
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new StoreError('invalid', `limit: a whole number from 1 to 10000 (got ${limit})`);
  if (!(leaseMs > 0)) throw new StoreError('invalid', `leaseMs: more than 0 (got ${leaseMs})`);
}

/** A claim passed back to the store (markProgress): its campaign, seq and token, checked. */
export function checkHeldClaim(claim: Claim): void {
  const c = (claim as Partial<Claim> | null)?.contact;
  checkId(c?.campaignId, 'claim.contact.campaignId');
  if (!Number.isSafeInteger(c?.seq) || (c?.seq ?? 0) < 1) throw new StoreError('invalid', `claim.contact.seq: a whole number from 1 (got ${JSON.stringify(c?.seq)})`);
  checkId(claim.token, 'claim.token');
}

/** The arguments of markProgressBatch, checked (each claim as checkHeldClaim, each progress as contactProgress). */
export function checkProgressMarks(entries: ProgressMark[], blocklist?: BlocklistCheck): void {
  if (blocklist !== undefined) {
    const groups = (blocklist as Partial<BlocklistCheck> | null)?.groups;
    if (!Array.isArray(groups) || groups.length > 100) throw new StoreError('invalid', `blocklist.groups: a list of at most 100 group names (got ${JSON.stringify(groups)?.slice(0, 80)})`);
    groups.forEach((g, i) => checkId(g, `blocklist.groups[${i}]`));
    checkTime(blocklist.at, 'blocklist.at');
  }
  if (!Array.isArray(entries) || entries.length > 10_000) throw new StoreError('invalid', `entries: a list of at most 10000 (got ${Array.isArray(entries) ? `${entries.length} entries` : typeof entries})`);
  entries.forEach((e, i) => {
    try {
      const entry = e as Partial<ProgressMark> | null;
      checkHeldClaim(entry?.claim as Claim);
      checked(contactProgress, entry?.progress, 'progress');
      const number = entry?.number;
      if (number !== undefined && (typeof number !== 'string' || number.length === 0 || number.length > 64)) throw new StoreError('invalid', `number: a number of 1 to 64 characters (got ${JSON.stringify(number)?.slice(0, 80)})`);
    } catch (err) {
      throw new StoreError('invalid', `entries[${i}].${(err as Error).message}`);
    }
  });
}

/** The arguments of reclaimLeases, checked. */
export function checkReclaim(campaignId: string, worker: string, now: number, leaseMs: number): void {
  checkId(campaignId, 'campaignId');
  checkId(worker, 'worker');
  checkTime(now, 'now');
  if (typeof leaseMs !== 'number' || !Number.isFinite(leaseMs) || leaseMs <= 0) throw new StoreError('invalid', `leaseMs: more than 0 (got ${JSON.stringify(leaseMs)})`);
}

/** The arguments of closeContacts, checked. */
export function checkClose(campaignId: string, result: ContactResult, now: number): void {
  checkId(campaignId, 'campaignId');
  checked(contactResult, result, 'result');
  checkTime(now, 'now');
}

/** The state filter of pageContacts, checked. */
export function checkStateFilter(state: unknown): void {
  if (state !== undefined && !['waiting', 'due', 'leased', 'done'].includes(state as string)) {
    throw new StoreError('invalid', `state: waiting, due, leased or done (got ${JSON.stringify(state)})`);
  }
}

/** The filter of pageCallRecords, checked: at most one of flow, campaign and connection, each an id. Returns it (or none). */
export function checkRecordFilter(options: CallRecordPageOptions): { field: 'flow' | 'campaign' | 'connection'; value: string } | undefined {
  const given = (['flow', 'campaign', 'connection'] as const).filter((f) => options[f] !== undefined);
  if (given.length > 1) throw new StoreError('invalid', `call records: one of flow, campaign or connection at a time (got ${given.join(' and ')})`);
  const field = given[0];
  if (field === undefined) return undefined;
  return { field, value: checkId(options[field], field) };
}

/** The most call records one pruneCallRecords deletes. */
export const PRUNE_MAX = 10_000;

/** The arguments of pruneCallRecords, checked. */
export function checkPrune(prune: CallRecordPrune): void {
  const p = (prune ?? {}) as Partial<CallRecordPrune>;
  if (p.connection !== undefined) checkId(p.connection, 'connection');
  if (p.before !== undefined) checkTime(p.before, 'before');
  if (p.keep !== undefined && !(Number.isSafeInteger(p.keep) && p.keep >= 1)) throw new StoreError('invalid', `keep: a whole number from 1 (got ${JSON.stringify(p.keep)})`);
  if (!(Number.isInteger(p.limit) && (p.limit ?? 0) >= 1 && (p.limit ?? 0) <= PRUNE_MAX)) throw new StoreError('invalid', `limit: a whole number from 1 to ${PRUNE_MAX} (got ${JSON.stringify(p.limit)})`);
}

/** A named document about to be written, checked against its kind's schema. */
export function checkDocument(kind: DocumentKind, id: string, value: unknown, now: number): void {
  const schema = Object.hasOwn(DOCUMENT_SCHEMAS, kind) ? DOCUMENT_SCHEMAS[kind] : undefined;
  if (!schema) throw new StoreError('invalid', `kind: one of ${Object.keys(DOCUMENT_SCHEMAS).join(', ')} (got ${JSON.stringify(kind)})`);
  checkId(id, 'id');
  checked(schema, value, `${kind} ${id}`);
  checkTime(now, 'now');
}

/**
 * A page from `limit + 1` rows read in the listing's order: the first
 * `limit`, mapped, and a cursor from the last one's key when there are more.
 */
export function pageOf<R, T>(rows: readonly R[], limit: number, map: (row: R) => T, key: (item: T) => (string | number)[]): Page<T> {
  const items = rows.slice(0, limit).map(map);
  const last = items[items.length - 1];
  return rows.length > limit && last !== undefined ? { items, next: encodeCursor(key(last)) } : { items };
}

/** A remark of an attempt's business result after the call (Store.remarkResult). */
export interface ResultRemark {
  result: string;
  subResult?: string;
  by: string;
  at: number;
}

/**
 * What remarking attempt `n` of a contact writes, for every backend: the
 * attempts with that one's result replaced (the previous one, who and when
 * kept in `remarked`), and the contact's final result changed too when that
 * attempt gave it (the contact is done, and it is its last attempt, answered).
 * Undefined when the contact has no attempt `n`.
 */
export function remarkedContact(
  contact: { attempts: Attempt[]; result?: ContactResult },
  n: number,
  remark: ResultRemark,
  done: boolean,
): { attempts: Attempt[]; result?: ContactResult; attempt: Attempt } | undefined {
  const index = contact.attempts.findIndex((a) => a.n === n);
  const before = contact.attempts[index];
  if (!before) return undefined;
  const { result: previous, subResult: previousSub, remarked: _, ...rest } = before;
  const attempt: Attempt = { ...rest, result: remark.result, ...(remark.subResult ? { subResult: remark.subResult } : {}) };
  attempt.remarked = { by: remark.by, at: remark.at, ...(previous !== undefined ? { previous } : {}), ...(previousSub !== undefined ? { previousSub } : {}) };
  checked(attemptDocument, attempt, 'attempt');
  const attempts = contact.attempts.map((a, i) => (i === index ? attempt : a));
  const gaveResult = done && contact.result !== undefined && index === contact.attempts.length - 1 && before.outcome === 'answered';
  if (!gaveResult || !contact.result) return { attempts, ...(contact.result ? { result: contact.result } : {}), attempt };
  const { subCode: _s, ...kept } = contact.result;
  const result: ContactResult = { ...kept, code: remark.result, ...(remark.subResult ? { subCode: remark.subResult } : {}) };
  return { attempts, result, attempt };
}

/** The arguments of remarkResult, checked. */
export function checkRemark(campaignId: string, customerId: string, n: number, remark: ResultRemark): void {
  checkId(campaignId, 'campaignId');
  checkId(customerId, 'customerId');
  if (!Number.isInteger(n) || n < 1) throw new StoreError('invalid', `n: an attempt number, 1 or more (got ${JSON.stringify(n)})`);
  checkTime(remark.at, 'at');
}

/** A contact with attempts, as a backend reads it for pageAttempts. */
export interface AttemptSource {
  seq: number;
  customerId: string;
  attempts: Attempt[];
}

/** How many contacts pageAttempts asks its backend for at a time. */
const ATTEMPT_BATCH = 100;

/**
 * pageAttempts for every backend: attempts by (seq, n), read from the
 * contacts with attempts at seq >= fromSeq, `ATTEMPT_BATCH` at a time in seq
 * order, until the page is full (the cursor may fall inside a contact).
 */
export async function collectAttempts(options: PageOptions, fetch: (fromSeq: number, count: number) => AttemptSource[] | Promise<AttemptSource[]>): Promise<Page<AttemptRow>> {
  const limit = pageLimit(options);
  const key = decodeCursor(options.after, ['number', 'number']) as [number, number] | undefined;
  const items: AttemptRow[] = [];
  let last: [number, number] | undefined;
  let fromSeq = key?.[0] ?? 0;
  for (;;) {
    const contacts = await fetch(fromSeq, ATTEMPT_BATCH);
    for (const c of contacts) {
      for (const a of c.attempts) {
        if (key && c.seq === key[0] && a.n <= key[1]) continue;
        if (items.length === limit) return { items, next: encodeCursor(last ?? [c.seq, a.n - 1]) };
        items.push({ ...a, customerId: c.customerId, seq: c.seq });
        last = [c.seq, a.n];
      }
    }
    const lastContact = contacts[contacts.length - 1];
    if (contacts.length < ATTEMPT_BATCH || !lastContact) return { items };
    fromSeq = lastContact.seq + 1;
  }
}

/** An opaque page cursor from the key of the last item. */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The key in a cursor, checked against the expected types. */
export function decodeCursor(cursor: string | undefined, types: readonly ('string' | 'number')[]): (string | number)[] | undefined {
  if (cursor === undefined) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (!Array.isArray(key) || key.length !== types.length || key.some((v, i) => typeof v !== types[i])) {
    throw new StoreError('invalid', `after: not a cursor this listing gave (got ${JSON.stringify(cursor)})`);
  }
  return key as (string | number)[];
}

/** A lease token: unguessable, unique per claim. */
export function leaseToken(): string {
  return randomBytes(12).toString('base64url');
}
