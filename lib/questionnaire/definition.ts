/**
 * A questionnaire's questions as the engine uses them: checked beyond what
 * the schema says (each question id used once, the keys and marks each kind
 * takes, skip logic that names questions that exist and never comes back to
 * a question already asked), with each kind's defaults filled in, and the
 * question that follows an answer.
 */
import { questionnaireConfig, type Question, type QuestionnaireConfig } from '../schemas/questionnaire';
import { ValidationError } from '../schemas/validator';

/** A question with its kind's defaults. */
export interface AskedQuestion {
  id: string;
  kind: Question['kind'];
  text: string;
  prompts: string[];
  keys: string[];
  labels: string[];
  min: number;
  max: number;
  minDigits: number;
  maxDigits: number;
  timeoutSec: number;
  retries: number;
  invalidPrompts: string[];
  timeoutPrompts: string[];
  maxDurationSec: number;
  maxSilenceSec: number;
  /** Answer -> index of the next question, -1 for the end. */
  branches: Map<string, number>;
  /** Index of the next question when no branch takes the answer, -1 for the end. */
  next: number;
}

export interface Questionnaire {
  id: string;
  questions: AskedQuestion[];
}

/** The answers a question of this kind can have, for the skip logic's check (undefined: any digits, spoken: none). */
function possibleAnswers(q: AskedQuestion): Set<string> | undefined {
  if (q.kind === 'choice') return new Set(q.keys);
  if (q.kind === 'yesno') return new Set(['yes', 'no']);
  if (q.kind === 'rating') return new Set(Array.from({ length: q.max - q.min + 1 }, (_, i) => String(q.min + i)));
  if (q.kind === 'spoken') return new Set();
  return undefined;
}

function withDefaults(q: Question, index: number, count: number): AskedQuestion {
  const keys = q.keys ?? (q.kind === 'yesno' ? ['1', '2'] : []);
  return {
    id: q.id,
    kind: q.kind,
    text: q.text ?? '',
    prompts: q.prompts,
    keys,
    labels: q.labels ?? [],
    min: q.min ?? 1,
    max: q.max ?? 5,
    minDigits: q.minDigits ?? 1,
    maxDigits: q.maxDigits ?? 10,
    timeoutSec: q.timeoutSec ?? 5,
    retries: q.retries ?? 2,
    invalidPrompts: q.invalidPrompts ?? [],
    timeoutPrompts: q.timeoutPrompts ?? [],
    maxDurationSec: q.maxDurationSec ?? 60,
    maxSilenceSec: q.maxSilenceSec ?? 5,
    branches: new Map(),
    next: index + 1 < count ? index + 1 : -1,
  };
}

/**
 * The problems of a questionnaire's questions beyond its schema, each naming
 * the question and the field ("questions.2.branches.0.goto: ..."); [] when
 * there are none. `built` receives the questions ready to ask.
 */
function problemsOf(questions: Question[], built?: (asked: AskedQuestion[]) => void): string[] {
  const problems: string[] = [];
  const index = new Map<string, number>();
  questions.forEach((q, i) => {
    if (index.has(q.id)) problems.push(`questions.${i}.id: ${q.id} is used by question ${(index.get(q.id) ?? 0) + 1} too; each question needs its own id`);
    else index.set(q.id, i);
  });
  const asked = questions.map((q, i) => withDefaults(q, i, questions.length));
  const where = (target: string, field: string): number | undefined => {
    if (target === 'end') return -1;
    const found = index.get(target);
    if (found === undefined) problems.push(`${field}: there is no question ${target}`);
    return found;
  };
  questions.forEach((q, i) => {
    const a = asked[i] as AskedQuestion;
    const at = `questions.${i}`;
    if (q.kind === 'rating' && a.min >= a.max) problems.push(`${at}.max: a rating's highest mark must be above its lowest (${a.min}), got ${a.max}`);
    if (q.kind === 'number' && a.minDigits > a.maxDigits) problems.push(`${at}.maxDigits: at least minDigits (${a.minDigits}), got ${a.maxDigits}`);
    if (a.labels.length > a.keys.length) problems.push(`${at}.labels: ${a.labels.length} labels for ${a.keys.length} keys`);
    if (q.next !== undefined) {
      const n = where(q.next, `${at}.next`);
      if (n !== undefined) a.next = n;
    }
    const possible = possibleAnswers(a);
    (q.branches ?? []).forEach((b, j) => {
      const n = where(b.goto, `${at}.branches.${j}.goto`);
      for (const answer of b.answers) {
        if (possible && !possible.has(answer)) {
          problems.push(`${at}.branches.${j}.answers: ${JSON.stringify(answer)} is not an answer a ${q.kind} question ${q.kind === 'spoken' ? 'branches on (a spoken answer always goes to next)' : `can have (${[...possible].join(', ')})`}`);
        } else if (!a.branches.has(answer) && n !== undefined) a.branches.set(answer, n);
      }
    });
  });
  if (problems.length === 0) {
    const loop = findLoop(asked);
    if (loop) problems.push(`questions: the skip logic goes round in a loop (${loop.join(' -> ')}); a caller would be asked for ever`);
  }
  if (problems.length === 0) built?.(asked);
  return problems;
}

/** A cycle among the questions' ways on (next and branches), as question ids, or undefined. */
function findLoop(asked: AskedQuestion[]): string[] | undefined {
  // Iterative depth-first search: 0 unseen, 1 on the current path, 2 done.
  const state = new Uint8Array(asked.length);
  const targets = asked.map((q) => [...new Set([q.next, ...q.branches.values()])].filter((n) => n >= 0));
  for (let start = 0; start < asked.length; start += 1) {
    if (state[start] !== 0) continue;
    const path: number[] = [start];
    const cursor: number[] = [0];
    state[start] = 1;
    while (path.length > 0) {
      const top = path.length - 1;
      const q = path[top] as number;
      const out = targets[q] as number[];
      const k = cursor[top] as number;
      if (k >= out.length) {
        state[q] = 2;
        path.pop();
        cursor.pop();
        continue;
      }
      cursor[top] = k + 1;
      const n = out[k] as number;
      if (state[n] === 1) return [...path.slice(path.indexOf(n)), n].map((i) => (asked[i] as AskedQuestion).id);
      if (state[n] === 0) {
        state[n] = 1;
        path.push(n);
        cursor.push(0);
      }
    }
  }
  return undefined;
}

/** Every problem of a questionnaire's settings (a form, an imported JSON, a deployed node): schema, then the rest. */
export function questionnaireProblems(value: unknown): string[] {
  const checked = questionnaireConfig.check(value);
  if (!checked.ok) return checked.problems;
  return problemsOf(checked.value.questions);
}

/** The questionnaire ready to ask, or a ValidationError naming every problem. */
export function buildQuestionnaire(config: QuestionnaireConfig): Questionnaire {
  const checked = questionnaireConfig.check(config);
  if (!checked.ok) throw new ValidationError('questionnaire', checked.problems);
  let asked: AskedQuestion[] = [];
  const problems = problemsOf(checked.value.questions, (a) => {
    asked = a;
  });
  if (problems.length > 0) throw new ValidationError('questionnaire', problems);
  return { id: config.questionnaire, questions: asked };
}

/** The question after `answer` to question `index`: its index, or -1 (the questionnaire is over). */
export function nextQuestion(questionnaire: Questionnaire, index: number, answer: string): number {
  const q = questionnaire.questions[index];
  if (!q) return -1;
  return q.branches.get(answer) ?? q.next;
}

/**
 * What is wrong with `answer` as an answer to question `q` (undefined: nothing), for answers entered by hand
 * (an agent's desktop, through the admin API): what the caller could have keyed, or for a spoken question any
 * text (the agent's note of what was said).
 */
export function answerProblem(q: AskedQuestion, answer: string): string | undefined {
  const wanted = (what: string): string => `${q.id}: ${what} (got ${JSON.stringify(answer.length > 40 ? `${answer.slice(0, 40)}...` : answer)})`;
  if (q.kind === 'spoken') return answer.length >= 1 && answer.length <= 2000 ? undefined : wanted('a text of 1 to 2000 characters');
  if (q.kind === 'number') {
    return /^[0-9]+$/.test(answer) && answer.length >= q.minDigits && answer.length <= q.maxDigits ? undefined : wanted(`${q.minDigits} to ${q.maxDigits} digits`);
  }
  const possible = possibleAnswers(q) ?? new Set<string>();
  return possible.has(answer) ? undefined : wanted(`one of ${[...possible].join(', ')}`);
}
