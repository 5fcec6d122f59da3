/**
 * The result policy: after an attempt, what happens to the customer. The
 * customer is done (with one final result) or waits for its next attempt,
 * on which number and when. The dialer's bookkeeping between attempts lives
 * in the contact's `progress` (stored with the contact, so a restart
 * continues where it was).
 *
 * - Answered: done, with the business result the IVR set (or "answered").
 * - A result code listed as non-retry (a failure cause or a business
 *   result): done, every other number of the customer too.
 * - Global policy (or a number type's rule in the contact policy), by days:
 *   a number is tried at most `maxPerDay` times a local day, on at most
 *   `maxDays` days counted from its first attempt, `intervalSec` apart.
 * - By failure cause: a number that failed with cause C is retried while
 *   it has failed with C at most `retries` times, `intervalSec` apart; a
 *   cause without a rule is not retried.
 * - Several numbers: after a failure, a number not tried yet is called next
 *   at once (in the multi-number order); when every number has been tried,
 *   the retryable one that is due first is called, ties in number order.
 *   When none is retryable, the customer is done with the last failure.
 */
import type { CampaignSettings, FailureCause, RetryRule } from '../schemas/campaign';
import type { AttemptOutcome, ContactNumber, ContactResult } from '../schemas/store';
import type { NextStep } from '../store/port';
import { numberOrder } from './order';

/** Per number: how often it was tried, on which days, with which causes. */
export interface NumberProgress {
  tries: number;
  /** Local day (YYYY-MM-DD) of the first and the last attempt. */
  firstDay: string;
  lastDay: string;
  /** Attempts on lastDay. */
  today: number;
  lastAt: number;
  lastCause?: string;
  /** Failures by cause. */
  causes: Record<string, number>;
  /** Not retried any more (blocked with no end, or used up). */
  closed?: boolean;
  /** Blocked until then (a blocklist entry with an end). */
  blockedUntil?: number;
}

/** The attempt the dialer is about to dial or is dialing (persisted before the originate). */
export interface InFlight {
  n: number;
  number: string;
  channelId: string;
  startedAt: number;
  caller: string;
  /** The connection (callflow-asterisk id) that carries it; absent (written before trunk groups): the task's connection. */
  connection?: string;
  /**
   * Written ahead of its dial (at the tick before, placing.ts) and not yet
   * marked dialed: after a crash, a channel Asterisk does not know means it
   * was not dialed (the contact goes back to the queue, its attempt not
   * counted). Absent: dialed, or written right before its dial.
   */
  prewritten?: true;
}

export interface ContactProgress {
  numbers?: Record<string, NumberProgress>;
  /** The number to call next. */
  next?: string;
  inflight?: InFlight;
  [key: string]: unknown;
}

export interface AttemptEnd {
  number: string;
  outcome: AttemptOutcome;
  at: number;
  /** The business result (callflow-result), for answered calls. */
  result?: string;
  subResult?: string;
  /** When a blocklist entry blocks the number until a known time. */
  blockedUntil?: number;
}

export interface Days {
  /** Local day (YYYY-MM-DD) of an instant, in the campaign's time zone. */
  dayOf(t: number): string;
  /** The first instant of the local day after the one t is in. */
  nextDayStart(t: number): number;
  /** Whole local days from day a to day b (b later). */
  daysBetween(a: string, b: string): number;
}

type PolicySettings = Pick<CampaignSettings, 'policy' | 'multiNumber'>;

/** The rule for a number: its type's in the contact policy, else the default. */
export function ruleFor(number: ContactNumber, settings: PolicySettings): RetryRule {
  const { policy } = settings;
  if (policy.mode === 'contact' && number.type) {
    const typed = policy.types.find((t) => t.type === number.type);
    if (typed) return typed;
  }
  return policy.rule;
}

/** The cause a retry rule sees: an attempt whose end was not observed is treated as a no answer. */
function policyCause(outcome: AttemptOutcome): FailureCause | 'blocked' {
  if (outcome === 'lost' || outcome === 'cancelled') return 'no-answer';
  return outcome as FailureCause | 'blocked';
}

/** When the number may be tried again under its rule, or undefined when it may not. */
function retryAt(p: NumberProgress, rule: RetryRule, days: Days): number | undefined {
  if (p.closed) return undefined;
  const blocked = p.blockedUntil ?? 0;
  if (p.tries === 0) return blocked;
  const at = retryAtByRule(p, rule, days);
  return at === undefined ? undefined : Math.max(at, blocked);
}

function retryAtByRule(p: NumberProgress, rule: RetryRule, days: Days): number | undefined {
  if (rule.byCause) {
    const cause = p.lastCause ?? '';
    const r = rule.causes.find((c) => c.cause === cause);
    if (!r) return undefined;
    if ((p.causes[cause] ?? 0) > r.retries) return undefined;
    return p.lastAt + r.intervalSec * 1000;
  }
  const dayIndex = days.daysBetween(p.firstDay, p.lastDay);
  // Days are calendar days from the number's first attempt.
  if (dayIndex >= rule.maxDays) return undefined;
  const after = p.lastAt + rule.intervalSec * 1000;
  if (p.today < rule.maxPerDay) {
    // Still room today; an interval that runs into the next day starts that day's count.
    if (days.dayOf(after) === p.lastDay) return after;
    return dayIndex + days.daysBetween(p.lastDay, days.dayOf(after)) < rule.maxDays ? after : undefined;
  }
  if (dayIndex + 1 >= rule.maxDays) return undefined;
  return Math.max(after, days.nextDayStart(p.lastAt));
}

function cloneProgress(progress: Record<string, unknown>): ContactProgress {
  return structuredClone(progress);
}

/** The number the dialer should call now for a contact (its progress's `next`, else the first in order). */
export function numberToCall(numbers: readonly ContactNumber[], progress: Record<string, unknown>, settings: PolicySettings): ContactNumber | undefined {
  const ordered = numberOrder(numbers, settings.multiNumber);
  const next = (progress as ContactProgress).next;
  return (next !== undefined ? ordered.find((n) => n.number === next) : undefined) ?? ordered[0];
}

/**
 * What follows an attempt: the contact's next step (for Store.recordAttempt)
 * and, when it is done, its final result.
 */
export function afterAttempt(
  contact: { numbers: readonly ContactNumber[]; progress: Record<string, unknown> },
  end: AttemptEnd,
  settings: PolicySettings,
  days: Days,
): NextStep {
  const progress = cloneProgress(contact.progress);
  delete progress.inflight;
  const numbers = (progress.numbers ??= {});
  if (end.outcome === 'answered') {
    delete progress.next;
    const result: ContactResult = { code: end.result ?? 'answered', at: end.at, number: end.number };
    if (end.subResult) result.subCode = end.subResult;
    return { state: 'done', at: end.at, progress, result };
  }
  const day = days.dayOf(end.at);
  const p: NumberProgress = (numbers[end.number] ??= { tries: 0, firstDay: day, lastDay: day, today: 0, lastAt: end.at, causes: {} });
  const cause = policyCause(end.outcome);
  if (end.outcome === 'blocked') {
    // Not dialed: no try is counted; the number waits for its block to end, or is closed.
    if (end.blockedUntil === undefined) p.closed = true;
    else p.blockedUntil = end.blockedUntil;
  } else {
    if (p.tries === 0) p.firstDay = day;
    delete p.blockedUntil;
    p.today = p.lastDay === day ? p.today + 1 : 1;
    p.tries += 1;
    p.lastDay = day;
    p.lastAt = end.at;
    p.lastCause = cause;
    p.causes[cause] = (p.causes[cause] ?? 0) + 1;
  }
  const nonRetry = settings.policy.nonRetry;
  if (nonRetry.includes(end.outcome) || nonRetry.includes(cause) || (end.result !== undefined && nonRetry.includes(end.result))) {
    delete progress.next;
    const code = end.result ?? end.outcome;
    return { state: 'done', at: end.at, progress, result: { code, at: end.at } };
  }
  return chooseNext(contact.numbers, progress, end.number, end.at, end.outcome === 'blocked' ? 'blocked' : end.outcome, settings, days);
}

/**
 * The number to call next after `last`, and when: a number not tried yet at
 * once (in order after the last one), else the retryable one due first
 * (ties in number order); done with `lastCode` when none may be called.
 */
function chooseNext(numbersOfContact: readonly ContactNumber[], progress: ContactProgress, last: string, at: number, lastCode: string, settings: PolicySettings, days: Days): NextStep {
  const numbers = (progress.numbers ??= {});
  const ordered = numberOrder(numbersOfContact, settings.multiNumber);
  const i = ordered.findIndex((n) => n.number === last);
  const rotated = [...ordered.slice(i + 1), ...ordered.slice(0, i + 1)];
  const fresh = rotated.find((n) => numbers[n.number] === undefined);
  if (fresh) {
    progress.next = fresh.number;
    return { state: 'due', dueAt: at, progress };
  }
  let best: { number: string; at: number } | undefined;
  for (const n of ordered) {
    const np = numbers[n.number];
    if (!np) continue;
    const when = retryAt(np, ruleFor(n, settings), days);
    if (when === undefined) continue;
    if (!best || when < best.at) best = { number: n.number, at: when };
  }
  if (!best) {
    delete progress.next;
    return { state: 'done', at, progress, result: { code: lastCode, at } };
  }
  progress.next = best.number;
  return best.at <= at ? { state: 'due', dueAt: at, progress } : { state: 'waiting', dueAt: best.at, progress };
}

/**
 * Checked right before a dial: whether the number's rule still allows an
 * attempt now. A retry planned when the last attempt ended can come due
 * later than planned (outside calling hours): past the rule's days the
 * number is closed and the next one chosen; over the day's count it waits
 * for the next day. Undefined: dial.
 */
export function beforeDial(
  contact: { numbers: readonly ContactNumber[]; progress: Record<string, unknown> },
  number: ContactNumber,
  at: number,
  settings: PolicySettings,
  days: Days,
): NextStep | undefined {
  const p = (contact.progress as ContactProgress).numbers?.[number.number];
  const rule = ruleFor(number, settings);
  if (!p || p.tries === 0 || rule.byCause) return undefined;
  const today = days.dayOf(at);
  const progress = cloneProgress(contact.progress);
  delete progress.inflight;
  const np = progress.numbers?.[number.number];
  if (!np) return undefined;
  if (days.daysBetween(p.firstDay, today) >= rule.maxDays) {
    np.closed = true;
    return chooseNext(contact.numbers, progress, number.number, at, p.lastCause ?? 'no-answer', settings, days);
  }
  if (p.lastDay === today && p.today >= rule.maxPerDay) {
    progress.next = number.number;
    return { state: 'waiting', dueAt: days.nextDayStart(at), progress };
  }
  return undefined;
}
