/**
 * A task's figures and per-customer results, read from the store page by
 * page (a million contacts never sit in memory at once).
 */
import { count } from '../own';
import type { CampaignCounters } from '../schemas/campaign';
import type { AttemptTally, Store, StoredContact } from '../store/port';
import type { Attempt } from '../schemas/store';

/**
 * The task's counters as the store's attempts give them: dialed, every
 * attempt but a blocked one (not dialed), and those in flight; answered and
 * failed, the recorded attempts answered and not (blocked aside); finished,
 * the contacts with their final result. So dialed = answered + failed + in
 * flight.
 */
export function countersOf(tally: AttemptTally): CampaignCounters {
  let recorded = 0;
  for (const [outcome, n] of Object.entries(tally.outcomes)) if (outcome !== 'blocked') recorded += n;
  const answered = tally.outcomes.answered ?? 0;
  return { dialed: recorded + tally.inFlight, answered, failed: recorded - answered, finished: tally.done };
}

export interface CampaignFigures {
  contacts: number;
  /** Contacts with their final result. */
  finished: number;
  /** Contacts not final yet: waiting for a retry, due, or being called. */
  remaining: number;
  waiting: number;
  due: number;
  inProgress: number;
  attempts: number;
  /** Attempts by outcome (answered, busy, no-answer, ...). */
  outcomes: Record<string, number>;
  /** Final results by code. */
  results: Record<string, number>;
  /** Attempts by the connection that carried them (a task with a trunk group; attempts from before trunk groups: none). */
  connections: Record<string, number>;
  /** Answered attempts / attempts, 0 to 1. */
  answerRate: number;
  counters?: CampaignCounters;
}

export interface CustomerResult {
  customerId: string;
  state: StoredContact['state'];
  result?: StoredContact['result'];
  attempts: number;
  lastOutcome?: string;
  /** When the result was remarked after the call: who, when, and the result it replaced (the last attempt's remark). */
  remarked?: Attempt['remarked'];
  /** The last attempt's recording (a task that records calls): its name on Asterisk. */
  recording?: string;
  /** The connection that carried the last attempt. */
  connection?: string;
}

/** Reads every contact of a campaign once: the figures, and (up to `customersLimit`) each customer's result. */
export async function campaignReport(store: Store, campaignId: string, options: { customersLimit?: number } = {}): Promise<{ figures: CampaignFigures; customers: CustomerResult[] }> {
  const limit = options.customersLimit ?? 1000;
  const f: CampaignFigures = { contacts: 0, finished: 0, remaining: 0, waiting: 0, due: 0, inProgress: 0, attempts: 0, outcomes: {}, results: {}, connections: {}, answerRate: 0 };
  const customers: CustomerResult[] = [];
  let after: string | undefined;
  do {
    const page = await store.pageContacts(campaignId, { limit: 1000, ...(after ? { after } : {}) });
    for (const c of page.items) {
      f.contacts += 1;
      if (c.state === 'done') f.finished += 1;
      else if (c.state === 'waiting') f.waiting += 1;
      else if (c.state === 'due') f.due += 1;
      else f.inProgress += 1;
      f.attempts += c.attempts.length;
      for (const a of c.attempts) {
        count(f.outcomes, a.outcome);
        if (a.connection) count(f.connections, a.connection);
      }
      // A result code is the flow's own name ("constructor" is one): counted as an own entry (lib/own.ts).
      if (c.result) count(f.results, c.result.code);
      if (customers.length < limit) {
        const r: CustomerResult = { customerId: c.customerId, state: c.state, attempts: c.attempts.length };
        if (c.result) r.result = c.result;
        const last = c.attempts.at(-1);
        if (last) r.lastOutcome = last.outcome;
        if (last?.remarked) r.remarked = last.remarked;
        if (last?.recording) r.recording = last.recording;
        if (last?.connection) r.connection = last.connection;
        customers.push(r);
      }
    }
    after = page.next;
  } while (after);
  f.remaining = f.contacts - f.finished;
  f.answerRate = f.attempts > 0 ? (f.outcomes.answered ?? 0) / f.attempts : 0;
  return { figures: f, customers };
}
