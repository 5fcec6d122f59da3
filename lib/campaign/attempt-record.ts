/**
 * What is written when a contact's call attempt ends, and what is told of
 * it: the attempt as the store keeps it (its fields bounded as the store's
 * schema wants), the contact's next step under the result policy, the
 * write itself (retried while the store cannot be reached), the notices of
 * a contact that got its final result, and the callback receiver's payload.
 *
 * Apart from dialer.ts because none of it decides when: the dialer learns
 * that an attempt ended (from Asterisk, the call's session, or the
 * resolution after a restart) and keeps the calls in flight; this says
 * what that end becomes in the store and in the reports.
 */
import type { CallSession } from '../call/session';
import type { Logger } from '../log';
import type { CampaignSettings } from '../schemas/campaign';
import type { Attempt, AttemptOutcome, ContactResult } from '../schemas/store';
import { StoreError, type Claim, type NextStep, type Store, type StoredContact } from '../store/port';
import type { CallbackPayload } from './callback';
import { answeredOutcome } from './causes';
import type { Clock } from './clock';
import type { DialerHooks, FinalFailure, FinishedCustomer } from './dialer-port';
import { afterAttempt, type AttemptEnd, type Days, type InFlight } from './policy';
import { CALL_RECORDING_FORMAT, type RecordingStart } from '../call/recording';
import type { TaskDocument } from './task-document';

/** How an attempt ended, as the dialer learned it. */
export interface AttemptReport {
  outcome: AttemptOutcome;
  why?: string;
  cause?: number;
  dialStatus?: string;
  talkSec?: number;
  result?: string;
  subResult?: string;
  /** The call's recording: its name, or why it went unrecorded (recording.ts). */
  recording?: RecordingStart;
}

/** The attempt in flight `inflight`, ended at `now` as `end` says, as the store keeps it. */
export function attemptRecord(inflight: InFlight, end: AttemptReport, now: number, worker: string): Attempt {
  const attempt: Attempt = { n: inflight.n, number: inflight.number, startedAt: inflight.startedAt, endedAt: now, outcome: end.outcome, callId: inflight.channelId, worker };
  if (end.cause !== undefined && end.cause >= 0 && end.cause <= 127) attempt.cause = end.cause;
  if (end.dialStatus) attempt.dialStatus = end.dialStatus.slice(0, 32);
  if (end.talkSec !== undefined) attempt.talkSec = end.talkSec;
  if (end.result) attempt.result = end.result.slice(0, 64);
  if (end.subResult) attempt.subResult = end.subResult.slice(0, 64);
  if (end.why) attempt.why = end.why.slice(0, 200);
  if (end.recording && 'name' in end.recording) attempt.recording = end.recording.name;
  else if (end.recording) attempt.recordingError = end.recording.error.slice(0, 200);
  if (inflight.connection) attempt.connection = inflight.connection.slice(0, 100);
  return attempt;
}

/**
 * The contact's next step after the attempt, as the result policy says;
 * when the task ended while the call was in flight (`taskOver`) no retry
 * will come, so the attempt's outcome is final.
 */
export function stepAfter(contact: StoredContact, inflight: InFlight, end: AttemptReport, now: number, settings: CampaignSettings, days: Days, taskOver: boolean): NextStep {
  const attemptEnd: AttemptEnd = { number: inflight.number, outcome: end.outcome, at: now };
  if (end.result) attemptEnd.result = end.result;
  if (end.subResult) attemptEnd.subResult = end.subResult;
  const next = afterAttempt(contact, attemptEnd, settings, days);
  if (next.state !== 'done' && taskOver) return { state: 'done', at: now, progress: next.progress, result: { code: end.result ?? end.outcome, at: now } };
  return next;
}

/**
 * How an answered call ended, from its session: the flow's result, and a
 * fault that ended it before the flow finished (lost). `flow`: the task's
 * IVR flow; a call that never entered a flow though the task names one
 * found none to take it (not deployed, not released): flow-missing, a
 * failure cause of its own (the customer heard nothing), whoever hung up.
 */
export function answeredReport(session: CallSession, talkSec: number, flow = ''): AttemptReport {
  // Ended by a fault before the flow finished: lost, and retried (causes.ts).
  const kind = flow !== '' && session.flow === undefined
    ? { outcome: 'flow-missing' as const, why: session.hangupWhy ?? `ended by the ${session.ended?.by ?? 'system'} before flow ${flow} took the call` }
    : answeredOutcome(session.ended, session.hangupWhy, session.result !== undefined);
  const end: AttemptReport = { ...kind, talkSec };
  if (session.ended?.cause !== undefined) end.cause = session.ended.cause;
  if (session.result) {
    end.result = session.result.code;
    if (session.result.subCode) end.subResult = session.result.subCode;
  }
  return end;
}

/** What writing an attempt needs; getters, as a redeploy may hand the dialer a new store and log. */
export interface AttemptWriteContext {
  clock: Clock;
  store(): Store;
  log(): Logger;
  /** The task's name, for messages. */
  name(): string;
  /** The dialer closes: stop trying (the attempt stays in flight for the next start). */
  closed(): boolean;
}

/**
 * Writes an attempt and what follows, under the claim's lease. While the
 * store cannot be reached it tries again, with growing delays, for as long
 * as the dialer runs (a database fail-over can take a while). Returns
 * false when it was not written: the lease was lost (another dialer
 * records it), the store refused it, or the dialer closed.
 */
export async function writeAttempt(ctx: AttemptWriteContext, claim: Claim, attempt: Attempt | null, next: NextStep): Promise<boolean> {
  for (let tries = 1; ; tries += 1) {
    try {
      const ok = await ctx.store().recordAttempt(claim, attempt, next);
      if (!ok) {
        ctx.log().warn(`campaign ${ctx.name()}: customer ${claim.contact.customerId}'s lease was lost; another dialer records it`);
        return false;
      }
      return true;
    } catch (err) {
      // The dialer closed meanwhile (its store closed with it): the attempt stays in flight for the task's next start
      // to resolve with Asterisk, as every call of a closed dialer (docs/campaigns.md).
      if (err instanceof StoreError && err.kind !== 'invalid' && ctx.closed()) {
        ctx.log().info(`campaign ${ctx.name()}: attempt ${attempt?.n ?? '-'} of customer ${claim.contact.customerId} is left for the task's next start to resolve: ${err.message}`);
        return false;
      }
      if (!(err instanceof StoreError) || err.kind === 'invalid') {
        ctx.log().error(`campaign ${ctx.name()}: recording attempt ${attempt?.n ?? '-'} of customer ${claim.contact.customerId} failed: ${(err as Error).message}`);
        return false;
      }
      if (tries === 3) ctx.log().warn(`campaign ${ctx.name()}: the store does not take attempt ${attempt?.n ?? '-'} of customer ${claim.contact.customerId} (${err.message}); trying again`);
      await new Promise<void>((r) => ctx.clock.after(Math.min(30_000, 500 * 2 ** tries), r));
    }
  }
}

/** What recording an attempt needs beyond its write: the task's counters and the owner's hooks. */
export interface AttemptRecordContext extends AttemptWriteContext {
  task: TaskDocument;
  /** Tells the owner's hooks (one that throws is logged: it never breaks the dialer). */
  tell(notice: (hooks: DialerHooks) => void): void;
  /** A contact got its final result (one contact less is left). */
  finished(): void;
}

/**
 * Writes an attempt and what follows (writeAttempt); a dialer that closes
 * leaves the attempt in flight for the next start to resolve. A final
 * result is counted and reported to the hooks.
 */
export async function recordAttempt(ctx: AttemptRecordContext, claim: Claim, attempt: Attempt | null, next: NextStep): Promise<boolean> {
  if (!(await writeAttempt(ctx, claim, attempt, next))) return false;
  if (next.state !== 'done') return true;
  ctx.task.count('finished');
  ctx.finished();
  const { failure, finished } = finalNotices(claim.contact, attempt, next.result);
  if (failure) ctx.tell((hooks) => hooks.finalFailure(failure));
  ctx.tell((hooks) => hooks.finished(finished));
  return true;
}

/** What the hooks are told of a contact that got its final result `result` after `attempt` (none: it ended without a dial). */
export function finalNotices(contact: StoredContact, attempt: Attempt | null, result: ContactResult): { failure?: FinalFailure; finished: FinishedCustomer } {
  const custom = contact.custom;
  let failure: FinalFailure | undefined;
  if (attempt && attempt.outcome !== 'answered') {
    failure = { customerId: contact.customerId, number: attempt.number, attempt, result };
    if (custom) failure.custom = custom;
  }
  const finished: FinishedCustomer = { customerId: contact.customerId, result, attempts: attempt ? [...contact.attempts, attempt] : contact.attempts };
  if (custom) finished.custom = custom;
  return failure ? { failure, finished } : { finished };
}

/**
 * What the callback receiver is told of the attempt `inflight` of the claimed contact (`failCode` empty unless it
 * failed; `recording`: the call's recording's name, whose file is filePath, relative to Asterisk's recordings
 * directory).
 */
export function callbackPayload(taskId: string, connectionId: string, claim: Claim, inflight: InFlight, failCode: string, recording?: string): CallbackPayload {
  return {
    dataId: claim.contact.customerId,
    taskId,
    sessionId: inflight.channelId,
    calledNo: inflight.number,
    beginTime: new Date(inflight.startedAt).toISOString(),
    vdnId: connectionId,
    failCode,
    callId: inflight.channelId,
    filePath: recording ? `${recording}.${CALL_RECORDING_FORMAT}` : '',
    customFiled: claim.contact.custom ? JSON.stringify(claim.contact.custom) : '',
  };
}
