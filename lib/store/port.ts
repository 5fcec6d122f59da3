/**
 * The store port: what the product keeps, said in the domain's words.
 * Domain code (lib/campaign, lib/releases, the nodes) sees only this
 * interface, never a driver. Two implementations pass one conformance suite
 * (test/store/conformance.ts): lib/store/embedded.ts (SQLite, the default)
 * and lib/store/mongodb.ts (production), each with one file per part of
 * this interface in lib/store/embedded/ and lib/store/mongodb/.
 *
 * Rules both keep:
 * - Every document is checked against its schema (lib/schemas/store.ts)
 *   before it is written; a failing one is refused with a StoreError of kind
 *   'invalid' naming the field and the reason, and nothing is written.
 * - Times are milliseconds since the epoch, passed in by the caller (the
 *   store never reads the clock for domain decisions, so tests and the
 *   scheduler's injectable clock agree with it).
 * - Orderings are total and the same in both: contacts by (rank, seq),
 *   pages by their stated keys, strings compared byte by byte.
 */
import type { Attempt, AttemptOutcome, BlockEntry, CallRecord, ContactInput, ContactResult, DocumentKind, FlowSnapshot, MeetingRecord, QuestionnaireAnswers } from '../schemas/store';

/**
 * A contact's place in the dialer's queue:
 * - waiting: not due before `dueAt` (a retry interval, the next day);
 * - due: may be claimed now;
 * - leased: claimed by a worker until `dueAt` (the lease end), when it
 *   becomes due again unless the worker recorded an attempt or renewed it;
 * - done: has its final result.
 */
export type ContactState = 'waiting' | 'due' | 'leased' | 'done';

export interface StoredContact extends Required<Pick<ContactInput, 'customerId' | 'numbers' | 'rank'>> {
  campaignId: string;
  /** Import order within the campaign, from 1: the tie-breaker of every ordering. */
  seq: number;
  priority?: number;
  attrs?: ContactInput['attrs'];
  custom?: ContactInput['custom'];
  state: ContactState;
  /** waiting: when due; leased: when the lease ends; due and done: when it became so. */
  dueAt: number;
  /** Every attempt so far, oldest first. */
  attempts: Attempt[];
  /** The dialer's bookkeeping between attempts (per-number counts, the day's tally). */
  progress: Record<string, unknown>;
  result?: ContactResult;
}

/** A contact leased to a worker: only the holder of `token` can record its attempt. */
export interface Claim {
  contact: StoredContact;
  token: string;
  worker: string;
  leaseUntil: number;
}

/** What follows an attempt: wait for a retry, or end with a result. */
export type NextStep =
  | { state: 'waiting' | 'due'; dueAt: number; progress: Record<string, unknown> }
  | { state: 'done'; at: number; progress: Record<string, unknown>; result: ContactResult };

export interface ImportReport {
  /** Customers written. */
  inserted: number;
  /** Rows whose customer id the campaign already has (or that repeat one in this batch), by index in the batch. */
  duplicates: { index: number; customerId: string }[];
}

export interface Page<T> {
  items: T[];
  /** Pass back as `after` for the next page; absent on the last page. */
  next?: string;
}

export interface PageOptions {
  after?: string;
  /** 1 to 1000 (default 100). */
  limit?: number;
}

export interface ContactCounts {
  waiting: number;
  due: number;
  leased: number;
  done: number;
  total: number;
}

/** What a campaign's contacts hold: the figures its counters are derived from. */
export interface AttemptTally {
  /** Recorded attempts by outcome (an outcome no attempt has is absent). */
  outcomes: Partial<Record<AttemptOutcome, number>>;
  /**
   * Attempts in flight: written before their originate (the progress's `inflight`), outcome not recorded yet; not
   * those written ahead and not marked dialed (`inflight.prewritten`: maybe never dialed, lib/campaign/placing.ts).
   */
  inFlight: number;
  /** Contacts with their final result. */
  done: number;
}

export interface AttemptRow extends Attempt {
  customerId: string;
  seq: number;
}

/** A released version's snapshot as listed: all but its nodes, and how many there are. */
export interface SnapshotSummary extends Omit<FlowSnapshot, 'nodes'> {
  nodeCount: number;
}

export interface StoredDocument<T = Record<string, unknown>> {
  kind: DocumentKind;
  id: string;
  /** 1 on the first write, +1 on each. */
  rev: number;
  value: T;
  updatedAt: number;
}

export type StoreErrorKind =
  /** A document failed its schema (or an argument is out of range). */
  | 'invalid'
  /** A compare-and-set lost: someone else wrote first. */
  | 'conflict'
  /** The database cannot be reached. */
  | 'unreachable'
  /** The database refused the credentials. */
  | 'auth'
  /** The data was written by a newer version of this package (schema version above what this one knows). */
  | 'newer-schema'
  /** Anything else the database said. */
  | 'failed';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly kind: StoreErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** One entry of markProgressBatch: a leased contact and the progress to save. */
export interface ProgressMark {
  claim: Claim;
  progress: Record<string, unknown>;
  /** The number about to be dialed (checked against the batch's blocklist, if one is given). */
  number?: string;
}

/** The blocklist groups a markProgressBatch checks each entry's number against, at a time. */
export interface BlocklistCheck {
  groups: string[];
  at: number;
}

/** What markProgressBatch did with one entry: saved; or not, with the blocklist entry that blocks its number if that is why. */
export type ProgressMarked = { saved: true } | { saved: false; blocked?: BlockEntry };

export interface Store {
  readonly backend: 'embedded' | 'mongodb';
  /** Creates tables/collections and indexes and runs migrations; safe to call on an existing database. */
  open(): Promise<void>;
  close(): Promise<void>;

  // --- contacts and the dialer's queue -------------------------------------------------

  /**
   * Adds customers to a campaign, validated first (an invalid row refuses the
   * whole batch, naming its index, field and reason; nothing is written).
   * A customer the campaign already has is reported, not overwritten. A batch
   * is written all or nothing (embedded) or unordered in one bulk write
   * (MongoDB; a crash may leave part of the batch, never a half document).
   */
  importContacts(campaignId: string, rows: ContactInput[], now: number): Promise<ImportReport>;
  /**
   * Leases up to `limit` contacts of the campaign that are due at `now`
   * (due, waiting with dueAt <= now, or leased with an expired lease), in
   * (rank, seq) order, to `worker` until now + leaseMs. Two workers, in
   * this process or another, never get the same contact.
   */
  claimDue(campaignId: string, now: number, limit: number, worker: string, leaseMs: number): Promise<Claim[]>;
  /** Extends leases still held; returns the tokens that were (an expired, re-claimed lease is not). */
  renewLeases(campaignId: string, tokens: string[], until: number): Promise<string[]>;
  /**
   * Records an attempt (or none: a contact handed back) and the next step,
   * atomically, if the claim's lease is still held. Returns false when it
   * was lost (expired and re-claimed): nothing is written.
   */
  recordAttempt(claim: Claim, attempt: Attempt | null, next: NextStep): Promise<boolean>;
  /**
   * Saves the dialer's progress for a leased contact (the attempt it is
   * about to dial: number, attempt number, pre-assigned channel id) while
   * keeping the lease, so that a crash after this point cannot lead to the
   * same attempt being dialed again. The lease itself is left as it is
   * (neither renewed nor released), and the claim can still record its
   * attempt. False (nothing written) when the lease was lost (expired and
   * re-claimed by someone else, or settled). The progress is checked as
   * recordAttempt's (contactProgress); it replaces the stored one.
   */
  markProgress(claim: Claim, progress: Record<string, unknown>): Promise<boolean>;
  /**
   * markProgress for several leased contacts in one write (the attempts of
   * one tick, about to be dialed): one answer per entry, in order: saved,
   * or not (nothing written for that entry) because the lease was lost or,
   * with `blocklist`, because an entry of those groups blocks the entry's
   * `number` at `blocklist.at` (checked first, in the same write: the
   * check right before the dial). Every entry is checked first: one
   * invalid entry refuses the whole batch and nothing is written. At most
   * 10,000 entries.
   */
  markProgressBatch(entries: ProgressMark[], blocklist?: BlocklistCheck): Promise<ProgressMarked[]>;
  /**
   * A restarted dialer takes back the contacts leased by `worker` (its own
   * id, stable across restarts): every lease of that worker in the
   * campaign, expired or not, that nobody else has re-claimed, is given a
   * new token and a lease until now + leaseMs (the old tokens no longer
   * hold it). The returned claims, in seq order, carry the stored contact,
   * progress included.
   */
  reclaimLeases(campaignId: string, worker: string, now: number, leaseMs: number): Promise<Claim[]>;
  getContact(campaignId: string, customerId: string): Promise<StoredContact | undefined>;
  /** Contacts in seq order, optionally only those in one state. */
  pageContacts(campaignId: string, options?: PageOptions & { state?: ContactState }): Promise<Page<StoredContact>>;
  /** Every attempt of the campaign, by (seq, n). */
  pageAttempts(campaignId: string, options?: PageOptions): Promise<Page<AttemptRow>>;
  /**
   * Remarks the business result of attempt `n` of a contact after the call:
   * the attempt gets the new result and sub-result and keeps the one it
   * replaced, who remarked it and when (`remarked`); the contact's final
   * result changes too when that attempt gave it. Returns the attempt as
   * written, or undefined (nothing written) when there is no such attempt.
   */
  remarkResult(campaignId: string, customerId: string, n: number, remark: { result: string; subResult?: string; by: string; at: number }): Promise<Attempt | undefined>;
  countContacts(campaignId: string, now: number): Promise<ContactCounts & { dueNow: number }>;
  /**
   * Counts what the campaign's contacts hold: their recorded attempts by
   * outcome, the attempts in flight, the contacts done. Read in slices
   * (the embedded store keeps the event loop free between them), so it is
   * exact when nothing writes the campaign meanwhile.
   */
  tallyAttempts(campaignId: string): Promise<AttemptTally>;
  /** True when the campaign has a contact that claimDue would return at `now`. */
  hasDue(campaignId: string, now: number): Promise<boolean>;
  /** Removes every contact (and its attempts) of a campaign; returns how many. */
  deleteContacts(campaignId: string): Promise<number>;
  /**
   * Gives every contact of the campaign that is not final and not leased
   * (an expired lease counts as not leased) the final result `result` at
   * `now`: the task ended (its end time passed, or it was stopped). Works
   * in batches; returns how many contacts it closed. A contact leased now
   * is left to its holder.
   */
  closeContacts(campaignId: string, result: ContactResult, now: number): Promise<number>;

  // --- blocklists ----------------------------------------------------------------------

  /** Adds or replaces entries (by group and number). */
  addBlocked(entries: BlockEntry[]): Promise<number>;
  removeBlocked(group: string, number: string): Promise<boolean>;
  /** The first entry of these groups that blocks the number at `at`, if any. */
  findBlock(groups: string[], number: string, at: number): Promise<BlockEntry | undefined>;
  /** A group's entries by number. */
  pageBlocked(group: string, options?: PageOptions): Promise<Page<BlockEntry>>;

  // --- flow versions -------------------------------------------------------------------

  /** Stores a release snapshot; an id already stored is refused ('conflict'). */
  saveSnapshot(snapshot: FlowSnapshot): Promise<void>;
  /** A flow's snapshots, newest first (savedAt, then id, descending). */
  listSnapshots(flow: string): Promise<SnapshotSummary[]>;
  getSnapshot(id: string): Promise<FlowSnapshot | undefined>;

  // --- named documents (campaign settings and state, release states, routing tables) ---

  getDocument<T = Record<string, unknown>>(kind: DocumentKind, id: string): Promise<StoredDocument<T> | undefined>;
  /**
   * Writes a document if its revision is still `expectedRev` (0: it must not
   * exist yet); returns the new revision, or throws StoreError 'conflict'.
   */
  putDocument(kind: DocumentKind, id: string, value: Record<string, unknown>, expectedRev: number, now: number): Promise<number>;
  listDocuments<T = Record<string, unknown>>(kind: DocumentKind): Promise<StoredDocument<T>[]>;
  deleteDocument(kind: DocumentKind, id: string): Promise<boolean>;

  // --- call records and questionnaire answers ------------------------------------------

  /** Stores an ended call's record; storing the same id again is a no-op (a retry after a lost reply). */
  saveCallRecord(record: CallRecord): Promise<void>;
  /**
   * The record of call `id`, as stored (undefined: none is, or the retention sweep pruned it), however old it is; read
   * by its key, not by a listing. An id that is not 1 to 128 characters is refused ('invalid').
   */
  getCallRecord(id: string): Promise<CallRecord | undefined>;
  /** Call records newest first, by (endedAt, id) descending; of one flow, one campaign or one connection (at most one of them). */
  pageCallRecords(options?: CallRecordPageOptions): Promise<Page<CallRecord>>;
  /**
   * Deletes, oldest first, at most `limit` call records (of one connection, or of every one) that are beyond the
   * retention: ended before `before`, or older than the `keep` newest. Returns how many it deleted: `limit` means there
   * may be more (the retention sweep asks again, a batch at a time, so that no call holds the database long).
   */
  pruneCallRecords(prune: CallRecordPrune): Promise<number>;
  /** Stores an ended meeting's record; storing the same id again is a no-op. */
  saveMeetingRecord(record: MeetingRecord): Promise<void>;
  /** Meeting records by (endedAt, id), optionally of one room. */
  pageMeetingRecords(options?: PageOptions & { room?: string }): Promise<Page<MeetingRecord>>;
  saveAnswers(answers: QuestionnaireAnswers): Promise<void>;
  /** A questionnaire's answers by (at, id). */
  pageAnswers(questionnaire: string, options?: PageOptions): Promise<Page<QuestionnaireAnswers>>;
}

export interface CallRecordPageOptions extends PageOptions {
  flow?: string;
  /** A campaign's id (the records of the calls it placed). */
  campaign?: string;
  /** A callflow-asterisk config node's id. */
  connection?: string;
}

export interface CallRecordPrune {
  /** Only this connection's records (the sweep of one connection's retention). */
  connection?: string;
  /** Records that ended before this time (ms since 1970) go. */
  before?: number;
  /** Only the newest `keep` records (1 or more) stay. */
  keep?: number;
  /** At most this many are deleted (1 to 10,000). */
  limit: number;
}

export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;

export function pageLimit(options?: PageOptions): number {
  const limit = options?.limit ?? DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new StoreError('invalid', `limit: a whole number from 1 to ${MAX_PAGE} (got ${String(limit)})`);
  return limit;
}
