/**
 * A store cut into parts, one per part of the port (lib/store/port.ts): the
 * contact list, the dialer's queue, blocklists, flow versions, named
 * documents, call records, and meeting records with questionnaire answers.
 * Each backend (embedded.ts, mongodb.ts) opens, migrates and closes its
 * database and gives its parts; the port's calls are handed to them here,
 * once for both backends. markProgressBatch stays with each backend: it
 * checks the blocklist inside the queue's write, which each does its own way.
 */
import type { Attempt, BlockEntry, CallRecord, ContactInput, ContactResult, DocumentKind, FlowSnapshot, MeetingRecord, QuestionnaireAnswers } from '../schemas/store';
import type {
  AttemptRow,
  AttemptTally,
  CallRecordPageOptions,
  CallRecordPrune,
  Claim,
  ContactCounts,
  ContactState,
  ImportReport,
  NextStep,
  Page,
  PageOptions,
  SnapshotSummary,
  Store,
  StoredContact,
  StoredDocument,
} from './port';
import type { ResultRemark } from './rules';

type Part<K extends keyof Store> = Pick<Store, K>;

export abstract class PartedStore {
  protected abstract readonly contacts: Part<'importContacts' | 'getContact' | 'pageContacts' | 'pageAttempts' | 'remarkResult' | 'countContacts' | 'tallyAttempts' | 'hasDue' | 'deleteContacts'>;
  protected abstract readonly queue: Part<'claimDue' | 'renewLeases' | 'recordAttempt' | 'closeContacts' | 'markProgress' | 'reclaimLeases'>;
  protected abstract readonly blocklist: Part<'addBlocked' | 'removeBlocked' | 'findBlock' | 'pageBlocked'>;
  protected abstract readonly snapshots: Part<'saveSnapshot' | 'listSnapshots' | 'getSnapshot'>;
  protected abstract readonly documents: Part<'getDocument' | 'putDocument' | 'listDocuments' | 'deleteDocument'>;
  protected abstract readonly callRecords: Part<'saveCallRecord' | 'getCallRecord' | 'pageCallRecords' | 'pruneCallRecords'>;
  protected abstract readonly records: Part<'saveMeetingRecord' | 'pageMeetingRecords' | 'saveAnswers' | 'pageAnswers'>;

  // --- contacts and the dialer's queue (<backend>/contacts.ts, <backend>/queue.ts) ------

  async importContacts(campaignId: string, rows: ContactInput[], now: number): Promise<ImportReport> {
    return this.contacts.importContacts(campaignId, rows, now);
  }

  async claimDue(campaignId: string, now: number, limit: number, worker: string, leaseMs: number): Promise<Claim[]> {
    return this.queue.claimDue(campaignId, now, limit, worker, leaseMs);
  }

  async renewLeases(campaignId: string, tokens: string[], until: number): Promise<string[]> {
    return this.queue.renewLeases(campaignId, tokens, until);
  }

  async recordAttempt(claim: Claim, attempt: Attempt | null, next: NextStep): Promise<boolean> {
    return this.queue.recordAttempt(claim, attempt, next);
  }

  async closeContacts(campaignId: string, result: ContactResult, now: number): Promise<number> {
    return this.queue.closeContacts(campaignId, result, now);
  }

  async markProgress(claim: Claim, progress: Record<string, unknown>): Promise<boolean> {
    return this.queue.markProgress(claim, progress);
  }

  async reclaimLeases(campaignId: string, worker: string, now: number, leaseMs: number): Promise<Claim[]> {
    return this.queue.reclaimLeases(campaignId, worker, now, leaseMs);
  }

  async getContact(campaignId: string, customerId: string): Promise<StoredContact | undefined> {
    return this.contacts.getContact(campaignId, customerId);
  }

  async pageContacts(campaignId: string, options: PageOptions & { state?: ContactState } = {}): Promise<Page<StoredContact>> {
    return this.contacts.pageContacts(campaignId, options);
  }

  async pageAttempts(campaignId: string, options: PageOptions = {}): Promise<Page<AttemptRow>> {
    return this.contacts.pageAttempts(campaignId, options);
  }

  async remarkResult(campaignId: string, customerId: string, n: number, remark: ResultRemark): Promise<Attempt | undefined> {
    return this.contacts.remarkResult(campaignId, customerId, n, remark);
  }

  async countContacts(campaignId: string, now: number): Promise<ContactCounts & { dueNow: number }> {
    return this.contacts.countContacts(campaignId, now);
  }

  async tallyAttempts(campaignId: string): Promise<AttemptTally> {
    return this.contacts.tallyAttempts(campaignId);
  }

  async hasDue(campaignId: string, now: number): Promise<boolean> {
    return this.contacts.hasDue(campaignId, now);
  }

  async deleteContacts(campaignId: string): Promise<number> {
    return this.contacts.deleteContacts(campaignId);
  }

  // --- blocklists (<backend>/blocklist.ts) ------------------------------------------------

  async addBlocked(entries: BlockEntry[]): Promise<number> {
    return this.blocklist.addBlocked(entries);
  }

  async removeBlocked(group: string, number: string): Promise<boolean> {
    return this.blocklist.removeBlocked(group, number);
  }

  async findBlock(groups: string[], number: string, at: number): Promise<BlockEntry | undefined> {
    return this.blocklist.findBlock(groups, number, at);
  }

  async pageBlocked(group: string, options: PageOptions = {}): Promise<Page<BlockEntry>> {
    return this.blocklist.pageBlocked(group, options);
  }

  // --- flow versions (<backend>/snapshots.ts) ---------------------------------------------

  async saveSnapshot(snapshot: FlowSnapshot): Promise<void> {
    return this.snapshots.saveSnapshot(snapshot);
  }

  async listSnapshots(flow: string): Promise<SnapshotSummary[]> {
    return this.snapshots.listSnapshots(flow);
  }

  async getSnapshot(id: string): Promise<FlowSnapshot | undefined> {
    return this.snapshots.getSnapshot(id);
  }

  // --- documents (<backend>/documents.ts) -------------------------------------------------

  async getDocument<T = Record<string, unknown>>(kind: DocumentKind, id: string): Promise<StoredDocument<T> | undefined> {
    return this.documents.getDocument<T>(kind, id);
  }

  async putDocument(kind: DocumentKind, id: string, value: Record<string, unknown>, expectedRev: number, now: number): Promise<number> {
    return this.documents.putDocument(kind, id, value, expectedRev, now);
  }

  async listDocuments<T = Record<string, unknown>>(kind: DocumentKind): Promise<StoredDocument<T>[]> {
    return this.documents.listDocuments<T>(kind);
  }

  async deleteDocument(kind: DocumentKind, id: string): Promise<boolean> {
    return this.documents.deleteDocument(kind, id);
  }

  // --- call records (<backend>/call-records.ts) --------------------------------------------

  async saveCallRecord(record: CallRecord): Promise<void> {
    return this.callRecords.saveCallRecord(record);
  }

  async getCallRecord(id: string): Promise<CallRecord | undefined> {
    return this.callRecords.getCallRecord(id);
  }

  async pageCallRecords(options: CallRecordPageOptions = {}): Promise<Page<CallRecord>> {
    return this.callRecords.pageCallRecords(options);
  }

  async pruneCallRecords(prune: CallRecordPrune): Promise<number> {
    return this.callRecords.pruneCallRecords(prune);
  }

  // --- meeting records and answers (<backend>/records.ts) ---------------------------------

  async saveMeetingRecord(record: MeetingRecord): Promise<void> {
    return this.records.saveMeetingRecord(record);
  }

  async pageMeetingRecords(options: PageOptions & { room?: string } = {}): Promise<Page<MeetingRecord>> {
    return this.records.pageMeetingRecords(options);
  }

  async saveAnswers(answers: QuestionnaireAnswers): Promise<void> {
    return this.records.saveAnswers(answers);
  }

  async pageAnswers(questionnaire: string, options: PageOptions = {}): Promise<Page<QuestionnaireAnswers>> {
    return this.records.pageAnswers(questionnaire, options);
  }
}
