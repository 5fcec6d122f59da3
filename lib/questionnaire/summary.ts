/**
 * A questionnaire's figures: how many answered it (completed or not), and per question how many answered, each
 * answer's count and, for a rating or a number, the average. Read from the store a page at a time; only the
 * counts are kept (a spoken answer, a recording's name, is counted, not listed).
 */
import type { QuestionnaireAnswers } from '../schemas/store';
import type { Page } from '../store/port';
import type { Questionnaire } from './definition';

export interface QuestionFigures {
  question: string;
  kind: string;
  text: string;
  answered: number;
  /** Answer (a choice's key, a mark, yes/no; not for spoken answers or numbers) -> how many gave it. */
  counts: Record<string, number>;
  /** Rating and number: the mean of the answers (undefined when none). */
  average?: number;
}

export interface QuestionnaireFigures {
  questionnaire: string;
  responses: number;
  completed: number;
  partial: number;
  questions: QuestionFigures[];
}

/** Documents read from the store at a time. */
export const SUMMARY_PAGE = 1000;

/**
 * The figures of the documents `page` reads, or of those `keep` takes (a campaign's report: the documents of its
 * calls and of answers entered for its attempts; the others are read and passed over).
 */
export async function summarize(
  questionnaire: Questionnaire,
  page: (after: string | undefined, limit: number) => Promise<Page<QuestionnaireAnswers>>,
  keep: (doc: QuestionnaireAnswers) => boolean = () => true,
): Promise<QuestionnaireFigures> {
  const index = new Map(questionnaire.questions.map((q, i) => [q.id, i]));
  const figures = questionnaire.questions.map((q) => ({ question: q.id, kind: q.kind, text: q.text, answered: 0, counts: new Map<string, number>(), sum: 0 }));
  let responses = 0;
  let completed = 0;
  let after: string | undefined;
  do {
    const next = await page(after, SUMMARY_PAGE);
    for (const doc of next.items) {
      if (!keep(doc)) continue;
      responses += 1;
      if (doc.complete !== false) completed += 1;
      for (const a of doc.answers) {
        const f = figures[index.get(a.question) ?? -1];
        // An answer to a question the questionnaire no longer has is not counted.
        if (!f) continue;
        f.answered += 1;
        if (f.kind === 'rating' || f.kind === 'number') {
          const value = Number(a.answer);
          if (Number.isFinite(value)) f.sum += value;
        }
        if (f.kind !== 'spoken' && f.kind !== 'number') f.counts.set(a.answer, (f.counts.get(a.answer) ?? 0) + 1);
      }
    }
    after = next.next;
  } while (after);
  return {
    questionnaire: questionnaire.id,
    responses,
    completed,
    partial: responses - completed,
    questions: figures.map((f) => ({
      question: f.question,
      kind: f.kind,
      text: f.text,
      answered: f.answered,
      counts: Object.fromEntries([...f.counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      ...((f.kind === 'rating' || f.kind === 'number') && f.answered > 0 ? { average: Math.round((f.sum / f.answered) * 100) / 100 } : {}),
    })),
  };
}
