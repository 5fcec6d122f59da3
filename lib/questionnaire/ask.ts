/**
 * Asks one question on a call, with lib/ivr's menu, collect and record:
 * a choice or a yes/no is a menu of its keys; a rating a menu of its marks
 * (marks up to 10 need two keys: collected digits, # or a pause ending
 * them); a number collected digits; a spoken answer a recording, whose name
 * is the answer. Retries and their prompts are lib/ivr's.
 */
import type { Telephony } from '../ari/port';
import type { CallSession } from '../call/session';
import { collect, menu } from '../ivr/collect';
import { record } from '../ivr/record';
import type { Speaker } from '../ivr/say';
import type { AskedQuestion } from './definition';

export type QuestionResult =
  | { outcome: 'answered'; answer: string; label?: string; attempts: number }
  | { outcome: 'timeout' | 'invalid'; attempts: number };

export interface AskOptions {
  language: string;
  /** Says say: prompts (the element's speech node). */
  speaker?: Speaker;
  /** Hears a spoken answer's recording name before Asterisk starts it (a caller who hangs up mid-answer leaves it). */
  recording?: (name: string) => void;
}

/** The keys a rating of min..max takes one key each for, or undefined when a mark has two digits (10). */
function ratingKeys(q: AskedQuestion): string[] | undefined {
  if (q.max > 9) return undefined;
  return Array.from({ length: q.max - q.min + 1 }, (_, i) => String(q.min + i));
}

export async function askQuestion(telephony: Telephony, session: CallSession, q: AskedQuestion, options: AskOptions, signal: AbortSignal): Promise<QuestionResult> {
  const retrying = { retries: q.retries, invalidPrompts: q.invalidPrompts, timeoutPrompts: q.timeoutPrompts, language: options.language, ...(options.speaker ? { speaker: options.speaker } : {}) };
  if (q.kind === 'spoken') {
    const outcome = await record(
      telephony,
      session,
      { prefix: `answer-${q.id}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40), format: 'wav', maxDurationSec: q.maxDurationSec, maxSilenceSec: q.maxSilenceSec, beep: true, terminateOn: '#', prompts: q.prompts, language: options.language, ...(options.speaker ? { speaker: options.speaker } : {}) },
      signal,
      options.recording,
    );
    return { outcome: 'answered', answer: outcome.name, attempts: 1 };
  }
  const keys = q.kind === 'rating' ? ratingKeys(q) : q.kind === 'number' ? undefined : q.keys;
  if (keys) {
    const result = await menu(telephony, session, { prompts: q.prompts, keys, repeatKey: '', timeoutSec: q.timeoutSec, ...retrying }, signal);
    if (result.outcome !== 'option') return { outcome: result.outcome, attempts: result.attempts };
    if (q.kind === 'yesno') return { outcome: 'answered', answer: result.index === 0 ? 'yes' : 'no', attempts: result.attempts };
    const label = q.kind === 'choice' ? q.labels[result.index] : undefined;
    return label ? { outcome: 'answered', answer: result.key, label, attempts: result.attempts } : { outcome: 'answered', answer: result.key, attempts: result.attempts };
  }
  const rating = q.kind === 'rating';
  const result = await collect(
    telephony,
    session,
    {
      prompts: q.prompts,
      minDigits: rating ? 1 : q.minDigits,
      maxDigits: rating ? String(q.max).length : q.maxDigits,
      firstDigitTimeoutSec: q.timeoutSec,
      interDigitTimeoutSec: session.settings.interDigitTimeoutSec ?? 3,
      terminator: '#',
      // A rating's digits must be a mark in range, written without a leading 0 ("07" is not a mark).
      ...(rating ? { pattern: { matches: (d: string) => /^(0|[1-9][0-9]?)$/.test(d) && Number(d) >= q.min && Number(d) <= q.max } } : {}),
      ...retrying,
    },
    signal,
  );
  if (result.outcome !== 'collected') return { outcome: result.outcome, attempts: result.attempts };
  return { outcome: 'answered', answer: result.digits, attempts: result.attempts };
}
