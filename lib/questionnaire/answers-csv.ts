/**
 * The CSV export of a questionnaire's answers: one row per stored answers document (a caller's questionnaire, or
 * answers an agent entered), a column per question of the questionnaire as it is now, read from the store a page
 * at a time. Cells are written as the campaign attempts export writes them (lib/campaign/csv.ts): a cell a
 * spreadsheet would run as a formula gets a leading ', times are ISO 8601 in UTC; with `mask`, the digits a caller
 * keyed as a number answer (an account, a phone number) are masked but their last four, as numbers are there.
 */
import { csvCell, maskNumber } from '../campaign/csv';
import type { QuestionnaireAnswers } from '../schemas/store';
import type { Page } from '../store/port';
import type { Questionnaire } from './definition';

/** Documents read from the store at a time. */
export const ANSWERS_CSV_PAGE = 500;

export const ANSWERS_COLUMNS = ['id', 'at', 'callId', 'campaignId', 'customerId', 'attempt', 'flow', 'complete', 'stoppedAt', 'stoppedWhy', 'by'] as const;

function iso(ms: number | undefined): string {
  return ms === undefined || !Number.isFinite(ms) || Math.abs(ms) > 8.64e15 ? '' : new Date(ms).toISOString();
}

/** The row of one document, CRLF-terminated: a choice's answer is its key and label ("2 phone"). */
export function answersLine(doc: QuestionnaireAnswers, questionnaire: Questionnaire, options: { mask: boolean }): string {
  const given = new Map(doc.answers.map((a) => [a.question, a]));
  const cells: unknown[] = [doc.id, iso(doc.at), doc.callId, doc.campaignId, doc.customerId, doc.attempt, doc.flow, doc.complete ?? true, doc.stopped?.question, doc.stopped?.reason, doc.by];
  for (const q of questionnaire.questions) {
    const a = given.get(q.id);
    if (!a) cells.push(undefined);
    else if (q.kind === 'number' && options.mask) cells.push(maskNumber(a.answer));
    else cells.push(a.label ? `${a.answer} ${a.label}` : a.answer);
  }
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/**
 * The export, header first (the fixed columns, then each question's id), one page of documents at a time from
 * `page` (the store's pageAnswers with the cursor of the page before).
 */
export async function* answersCsv(questionnaire: Questionnaire, page: (after: string | undefined, limit: number) => Promise<Page<QuestionnaireAnswers>>, options: { mask: boolean }): AsyncGenerator<string> {
  yield `${[...ANSWERS_COLUMNS, ...questionnaire.questions.map((q) => q.id)].map(csvCell).join(',')}\r\n`;
  let after: string | undefined;
  do {
    const next = await page(after, ANSWERS_CSV_PAGE);
    for (const doc of next.items) yield answersLine(doc, questionnaire, options);
    after = next.next;
  } while (after);
}
