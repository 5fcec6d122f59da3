/**
 * Answers entered by hand for the same questionnaire (the specification's "manual and IVR questionnaire": an
 * agent's desktop fills it in, through the admin API): checked as the caller's keys would be (a choice's keys, a
 * rating's marks, yes/no, a number's digits; a spoken question takes the agent's text), each question once, and
 * stored as the caller's answers are, with who entered them.
 */
import { randomUUID } from 'node:crypto';
import { manualAnswersInput } from '../schemas/questionnaire';
import type { QuestionnaireAnswers } from '../schemas/store';
import { ValidationError } from '../schemas/validator';
import { answerProblem, type Questionnaire } from './definition';

/** The answers document for `body`, or a ValidationError naming every problem. */
export function manualAnswers(questionnaire: Questionnaire, body: unknown, by: string, now: number): QuestionnaireAnswers {
  const input = manualAnswersInput.assert(body, 'the answers');
  const questions = new Map(questionnaire.questions.map((q) => [q.id, q]));
  const problems: string[] = [];
  const seen = new Set<string>();
  const answers: QuestionnaireAnswers['answers'] = [];
  input.answers.forEach((a, i) => {
    const q = questions.get(a.question);
    if (!q) problems.push(`answers.${i}.question: the questionnaire ${questionnaire.id} has no question ${a.question}`);
    else if (seen.has(a.question)) problems.push(`answers.${i}.question: ${a.question} is answered twice`);
    else {
      const problem = answerProblem(q, a.answer);
      if (problem) problems.push(`answers.${i}.answer: ${problem}`);
      else {
        const label = q.kind === 'choice' ? q.labels[q.keys.indexOf(a.answer)] : undefined;
        answers.push({ question: a.question, answer: a.answer, ...(label ? { label } : {}), at: now });
      }
    }
    seen.add(a.question);
  });
  if (problems.length > 0) throw new ValidationError('the answers', problems);
  return {
    id: randomUUID(),
    questionnaire: questionnaire.id,
    callId: input.callId ?? `manual-${randomUUID()}`,
    ...(input.campaignId ? { campaignId: input.campaignId } : {}),
    ...(input.customerId ? { customerId: input.customerId } : {}),
    ...(input.attempt ? { attempt: input.attempt } : {}),
    at: now,
    complete: input.complete ?? true,
    by,
    answers,
  };
}
