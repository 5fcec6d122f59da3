/**
 * A questionnaire's questions: the schema (one for the form, an imported JSON and the deployed node), then what it
 * cannot say (ids used once, skip logic naming questions that exist, answers a kind can have, no loop), and the
 * question that follows an answer.
 */
import assert from 'node:assert/strict';
import { buildQuestionnaire, nextQuestion, questionnaireProblems } from '../../lib/questionnaire/definition';
import type { Question } from '../../lib/schemas/questionnaire';
import { ValidationError } from '../../lib/schemas/validator';

const P = ['sound:hello-world'];
const of = (questions: unknown[]): { questionnaire: string; store: string; questions: unknown[] } => ({ questionnaire: 'survey', store: '', questions });

describe('questionnaire definitions', function () {
  it('accepts every kind of question with skip logic forward and back (without a loop)', function () {
    const questions: Question[] = [
      { id: 'start', kind: 'yesno', prompts: P, branches: [{ answers: ['no'], goto: 'end' }] },
      { id: 'overall', kind: 'rating', min: 0, max: 10, prompts: P, branches: [{ answers: ['0', '1', '2'], goto: 'why' }], next: 'channel' },
      { id: 'why', kind: 'spoken', prompts: P },
      { id: 'channel', kind: 'choice', keys: ['1', '2', '3'], labels: ['web', 'phone', 'shop'], prompts: P },
      { id: 'age', kind: 'number', minDigits: 1, maxDigits: 3, prompts: P },
    ];
    assert.deepEqual(questionnaireProblems(of(questions)), []);
    const q = buildQuestionnaire({ questionnaire: 'survey', store: '', questions });
    assert.deepEqual([nextQuestion(q, 0, 'no'), nextQuestion(q, 0, 'yes')], [-1, 1]);
    assert.deepEqual([nextQuestion(q, 1, '2'), nextQuestion(q, 1, '9')], [2, 3], 'a branch, else next');
    assert.deepEqual([nextQuestion(q, 2, 'answer-why-x'), nextQuestion(q, 4, '42')], [3, -1], 'the following question, the end after the last');
    assert.deepEqual(q.questions[0]?.keys, ['1', '2'], 'yes/no keys default to 1 and 2');
  });

  it('refuses skip logic to a question that does not exist, naming the field and the id', function () {
    const problems = questionnaireProblems(
      of([
        { id: 'a', kind: 'yesno', prompts: P, branches: [{ answers: ['yes'], goto: 'nowhere' }] },
        { id: 'b', kind: 'yesno', prompts: P, next: 'gone' },
      ]),
    );
    assert.deepEqual(problems, ['questions.0.branches.0.goto: there is no question nowhere', 'questions.1.next: there is no question gone']);
  });

  it('refuses a loop, saying which questions go round', function () {
    const problems = questionnaireProblems(
      of([
        { id: 'a', kind: 'yesno', prompts: P },
        { id: 'b', kind: 'choice', keys: ['1', '2'], prompts: P, branches: [{ answers: ['2'], goto: 'a' }] },
      ]),
    );
    assert.deepEqual(problems, ['questions: the skip logic goes round in a loop (a -> b -> a); a caller would be asked for ever']);
    assert.match(questionnaireProblems(of([{ id: 'a', kind: 'yesno', prompts: P, next: 'a' }]))[0] ?? '', /loop \(a -> a\)/);
  });

  it('refuses ids used twice, answers a kind cannot have, and ranges the wrong way round', function () {
    const problems = questionnaireProblems(
      of([
        { id: 'a', kind: 'rating', min: 5, max: 5, prompts: P },
        { id: 'a', kind: 'yesno', prompts: P, branches: [{ answers: ['1'], goto: 'end' }] },
        { id: 'c', kind: 'number', minDigits: 4, maxDigits: 2, prompts: P },
        { id: 'd', kind: 'choice', keys: ['1', '2'], labels: ['x', 'y', 'z'], prompts: P, branches: [{ answers: ['3'], goto: 'end' }] },
        { id: 'e', kind: 'spoken', prompts: P, branches: [{ answers: ['1'], goto: 'end' }] },
      ]),
    );
    assert.deepEqual(problems, [
      'questions.1.id: a is used by question 1 too; each question needs its own id',
      "questions.0.max: a rating's highest mark must be above its lowest (5), got 5",
      'questions.1.branches.0.answers: "1" is not an answer a yesno question can have (yes, no)',
      'questions.2.maxDigits: at least minDigits (4), got 2',
      'questions.3.labels: 3 labels for 2 keys',
      'questions.3.branches.0.answers: "3" is not an answer a choice question can have (1, 2)',
      'questions.4.branches.0.answers: "1" is not an answer a spoken question branches on (a spoken answer always goes to next)',
    ]);
  });

  it('checks the schema first: hostile values are named with the field, and nothing else runs', function () {
    const problems = questionnaireProblems(
      of([
        { id: 'end', kind: 'yesno', prompts: P },
        { id: 'b', kind: 'choice', keys: ['1'], prompts: [] },
        { id: 'c', kind: 'quiz', prompts: ['javascript:alert(1)'], extra: 1 },
        { id: 'd', kind: 'rating', max: 11, prompts: P, branches: [{ answers: ['=cmd|x'], goto: 'end' }] },
      ]),
    );
    for (const expected of [
      /^questions\.0\.id: a question id: 1 to 64 letters, digits, _ \. or - \(not "end"\)/,
      /^questions\.1\.keys: a choice needs 2 to 12 keys/,
      /^questions\.1\.prompts: a list of 1 to 50 media URIs/,
      /^questions\.2\.extra: is not a known setting$/,
      /^questions\.2\.kind: choice, rating, number, yesno or spoken \(got "quiz"\)$/,
      /^questions\.2\.prompts\.0: a media URI/,
      /^questions\.3\.max: a mark from 0 to 10 \(got 11\)$/,
      /^questions\.3\.branches\.0\.answers\.0: an answer: keys or digits, "yes" or "no" \(got "=cmd\|x"\)$/,
    ]) {
      assert.ok(problems.some((p) => expected.test(p)), `${expected.source} in ${JSON.stringify(problems)}`);
    }
    assert.throws(() => buildQuestionnaire({ questionnaire: 'survey', store: '', questions: [] }), (err: unknown) => err instanceof ValidationError && /questions: 1 to 100 questions/.test(err.message));
  });
});
