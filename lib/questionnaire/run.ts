/**
 * A questionnaire on one call: asks its questions in turn, following the
 * skip logic, until the end (completed), a question left without a valid
 * answer after its retries (partial), or the caller hanging up (partial:
 * what was answered is kept). The answers are written once, when it ends,
 * as one document of the store's answers (with the campaign, customer and
 * attempt of a campaign call).
 */
import { randomUUID } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import type { Telephony } from '../ari/port';
import type { CallSession } from '../call/session';
import type { QuestionnaireAnswers } from '../schemas/store';
import { askQuestion } from './ask';
import { nextQuestion, type Questionnaire } from './definition';
import type { Speaker } from '../ivr/say';

export interface GivenAnswer {
  question: string;
  answer: string;
  /** A choice's label. */
  label?: string;
  /** When it was given (ms since 1970). */
  at: number;
}

export interface QuestionnaireOutcome {
  outcome: 'completed' | 'partial';
  questionnaire: string;
  answers: GivenAnswer[];
  /** partial: the question that went unanswered and why (timeout, invalid, hangup). */
  stopped?: { question: string; reason: 'timeout' | 'invalid' | 'hangup' | 'error' };
}

/** Every answers document saved ({ questionnaire, complete, answers: count }); tests and benches listen. No cost without a subscriber. */
export const answersSaved = diagnostics.channel('callflow:answers');

export interface RunOptions {
  language: string;
  /** Says the questions' say: prompts (the element's speech node). */
  speaker?: Speaker;
  /** The clock (ms since 1970). */
  now: () => number;
}

/**
 * Runs the questionnaire. `progress` holds the answers as they come (the
 * caller hanging up rejects the promise; progress then says what was
 * answered, and which question was being asked).
 */
export async function runQuestionnaire(
  telephony: Telephony,
  session: CallSession,
  questionnaire: Questionnaire,
  options: RunOptions,
  signal: AbortSignal,
  progress: { answers: GivenAnswer[]; asking?: string; recording?: string } = { answers: [] },
): Promise<QuestionnaireOutcome> {
  // The skip logic has no loop (definition.ts), so each question is asked at most once.
  let index = 0;
  for (let asked = 0; index >= 0 && asked < questionnaire.questions.length; asked += 1) {
    const q = questionnaire.questions[index];
    if (!q) break;
    progress.asking = q.id;
    delete progress.recording;
    const result = await askQuestion(telephony, session, q, { language: options.language, ...(options.speaker ? { speaker: options.speaker } : {}), recording: (name) => (progress.recording = name) }, signal);
    if (result.outcome !== 'answered') {
      delete progress.asking;
      return { outcome: 'partial', questionnaire: questionnaire.id, answers: progress.answers, stopped: { question: q.id, reason: result.outcome } };
    }
    progress.answers.push({ question: q.id, answer: result.answer, ...(result.label ? { label: result.label } : {}), at: options.now() });
    delete progress.asking;
    delete progress.recording;
    index = nextQuestion(questionnaire, index, result.answer);
  }
  return { outcome: 'completed', questionnaire: questionnaire.id, answers: progress.answers };
}

/** The store's document for a run's answers: the call, and for a campaign call its campaign, customer and attempt. */
export function answersDocument(outcome: QuestionnaireOutcome, session: Pick<CallSession, 'id' | 'campaign'>, at: number, flow?: string): QuestionnaireAnswers {
  const campaign = session.campaign;
  return {
    id: randomUUID(),
    questionnaire: outcome.questionnaire,
    callId: session.id,
    ...(campaign ? { campaignId: campaign.id, customerId: campaign.customerId, attempt: campaign.attempt } : {}),
    ...(flow ? { flow } : {}),
    at,
    complete: outcome.outcome === 'completed',
    ...(outcome.stopped ? { stopped: outcome.stopped } : {}),
    answers: outcome.answers.map((a) => ({ question: a.question, answer: a.answer, ...(a.label ? { label: a.label } : {}), at: a.at })),
  };
}

/** Saves a run's answers and says so on the channel. */
export async function saveAnswers(save: (doc: QuestionnaireAnswers) => Promise<void>, doc: QuestionnaireAnswers): Promise<void> {
  await save(doc);
  if (answersSaved.hasSubscribers) answersSaved.publish({ questionnaire: doc.questionnaire, complete: doc.complete, answers: doc.answers.length, id: doc.id, callId: doc.callId });
}
