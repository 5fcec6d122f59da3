/**
 * Questionnaires (issue 17; ../shared/reference/outbound-call-tasks.txt, "Questionnaire"): the questions a
 * callflow-questionnaire node asks a caller, kept in a callflow-questions config node. One schema checks the
 * config node's form, a questionnaire imported as JSON and the node at deploy; lib/questionnaire/definition.ts
 * adds what a schema cannot say (question ids used once, skip logic that names questions that exist and never
 * loops).
 */
import { PROMPT_DESCRIPTION, PROMPT_PATTERN, onError, speech, type OnError } from './elements';
import { Validator } from './validator';

export const QUESTION_KINDS = ['choice', 'rating', 'number', 'yesno', 'spoken'] as const;
export type QuestionKind = (typeof QUESTION_KINDS)[number];

/** Where the questionnaire goes after an answer: a question's id, or "end". */
export interface Branch {
  /** The answers that take this branch: a choice's key, a rating or a number as digits, "yes" or "no". */
  answers: string[];
  goto: string;
}

export interface Question {
  /** Names the question in the stored answers and in skip logic. */
  id: string;
  kind: QuestionKind;
  /** What the question asks, for people reading answers and reports. */
  text?: string;
  prompts: string[];
  /** choice: the keys that answer it; yesno: [yes key, no key] (default ["1", "2"]). */
  keys?: string[];
  /** choice: a label per key. */
  labels?: string[];
  /** rating: the lowest and highest mark (0 to 10, default 1 to 5). */
  min?: number;
  max?: number;
  /** number: how many digits (default 1 to 10, # ends early). */
  minDigits?: number;
  maxDigits?: number;
  /** Seconds to wait for the first key (default 5). */
  timeoutSec?: number;
  /** Further tries after no answer or an answer that is not valid (default 2). */
  retries?: number;
  invalidPrompts?: string[];
  timeoutPrompts?: string[];
  /** spoken: the longest answer and the silence that ends it, in seconds (default 60 and 5). */
  maxDurationSec?: number;
  maxSilenceSec?: number;
  /** Skip logic: the first branch whose answers hold the answer decides. */
  branches?: Branch[];
  /** Where to go when no branch takes the answer: a question's id or "end" (default: the next question). */
  next?: string;
}

export interface QuestionnaireConfig {
  name?: string;
  /** The questionnaire's id: the answers are stored under it. */
  questionnaire: string;
  /** A callflow-store config node that keeps the answers ('' none: the answers only leave in msg.payload). */
  store: string;
  questions: Question[];
}

const QUESTION_ID = '^[A-Za-z0-9_.-]{1,64}$';
const KEYS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#'];
const media = (min: number, what: string) =>
  ({
    type: 'array',
    minItems: min,
    maxItems: 50,
    items: { type: 'string', maxLength: 2000, pattern: PROMPT_PATTERN, description: PROMPT_DESCRIPTION },
    description: what,
  }) as const;
const whole = (min: number, max: number, what: string) => ({ type: 'integer', minimum: min, maximum: max, description: `${what} from ${min} to ${max}` }) as const;
const keyList = (what: string) =>
  ({ type: 'array', minItems: 1, maxItems: 12, uniqueItems: true, items: { type: 'string', enum: KEYS, description: 'a key: 0-9, * or #' }, description: what }) as const;
const target = { type: 'string', pattern: `^(end|[A-Za-z0-9_.-]{1,64})$`, maxLength: 64, description: 'a question id or "end"' } as const;

export const questionSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'kind', 'prompts'],
  properties: {
    id: { type: 'string', pattern: QUESTION_ID, not: { const: 'end' }, description: 'a question id: 1 to 64 letters, digits, _ . or - (not "end")' },
    kind: { type: 'string', enum: [...QUESTION_KINDS], description: 'choice, rating, number, yesno or spoken' },
    text: { type: 'string', maxLength: 500, description: 'a text of at most 500 characters' },
    prompts: media(1, 'a list of 1 to 50 media URIs (the question must say something)'),
    keys: keyList('1 to 12 keys, each used once'),
    labels: { type: 'array', maxItems: 12, items: { type: 'string', maxLength: 40, description: 'a label of at most 40 characters' }, description: 'a label for each key' },
    min: whole(0, 10, 'a mark'),
    max: whole(0, 10, 'a mark'),
    minDigits: whole(1, 32, 'a whole number of digits'),
    maxDigits: whole(1, 32, 'a whole number of digits'),
    timeoutSec: { type: 'number', minimum: 0.5, maximum: 60, description: 'seconds from 0.5 to 60' },
    retries: whole(0, 10, 'a whole number of retries'),
    invalidPrompts: media(0, 'a list of at most 50 media URIs'),
    timeoutPrompts: media(0, 'a list of at most 50 media URIs'),
    maxDurationSec: whole(1, 600, 'whole seconds'),
    maxSilenceSec: whole(0, 60, 'whole seconds'),
    branches: {
      type: 'array',
      maxItems: 20,
      description: 'at most 20 branches',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['answers', 'goto'],
        properties: {
          answers: {
            type: 'array',
            minItems: 1,
            maxItems: 100,
            items: { type: 'string', pattern: '^(yes|no|[0-9*#]{1,32})$', maxLength: 32, description: 'an answer: keys or digits, "yes" or "no"' },
            description: '1 to 100 answers',
          },
          goto: target,
        },
      },
    },
    next: target,
  },
  allOf: [
    {
      if: { properties: { kind: { const: 'choice' } } },
      then: { required: ['keys'], properties: { keys: { type: 'array', minItems: 2, description: 'a choice needs 2 to 12 keys, each used once' } } },
    },
    {
      if: { properties: { kind: { const: 'yesno' } } },
      then: { properties: { keys: { type: 'array', minItems: 2, maxItems: 2, description: 'a yes key and a no key' } } },
    },
  ],
} as const;

export const questionnaireConfig = new Validator<QuestionnaireConfig>('callflow-questions', {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 100, description: 'a name of at most 100 characters' },
    questionnaire: { type: 'string', pattern: QUESTION_ID, default: 'survey', description: 'a questionnaire id: 1 to 64 letters, digits, _ . or -' },
    store: { type: 'string', maxLength: 100, default: '', description: 'a store config node (callflow-store), or empty' },
    questions: { type: 'array', minItems: 1, maxItems: 100, default: [{ id: 'q1', kind: 'yesno', prompts: ['sound:hello-world'] }], items: questionSchema, description: '1 to 100 questions' },
  },
  required: ['questionnaire', 'store', 'questions'],
});

/** The callflow-questionnaire element node's settings. */
export interface QuestionnaireNodeConfig {
  name?: string;
  /** The callflow-questions config node. */
  questions: string;
  /** The callflow-speech node that says the questions' say: prompts ('' : none). */
  speech: string;
  language: string;
  onError: OnError;
}

export const questionnaireNodeConfig = new Validator<QuestionnaireNodeConfig>('callflow-questionnaire', {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 100, description: 'a name of at most 100 characters' },
    questions: { type: 'string', minLength: 1, maxLength: 100, description: 'a questionnaire (a callflow-questions config node)' },
    speech,
    language: { type: 'string', pattern: '^([a-z]{2,3}([_-][A-Za-z0-9]{2,8})?)?$', default: '', description: "a language code such as en, fr or pt_BR (empty: the call's language)" },
    onError,
    outputs: { type: 'integer', minimum: 0, maximum: 20, description: 'the number of outputs' },
  },
  required: ['questions', 'language', 'onError'],
});

/** Answers an agent enters for a customer (an agent's desktop, through the admin API). */
export interface ManualAnswersInput {
  /** The call they were given on (default: none, a manual-<uuid> id is made). */
  callId?: string;
  campaignId?: string;
  customerId?: string;
  attempt?: number;
  /** false: the customer did not answer every question (default true). */
  complete?: boolean;
  answers: { question: string; answer: string }[];
}

const HANDLE = { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$', description: 'an id: 1 to 128 letters, digits, . _ : or -' } as const;

export const manualAnswersInput = new Validator<ManualAnswersInput>('manual answers', {
  type: 'object',
  additionalProperties: false,
  required: ['answers'],
  properties: {
    callId: HANDLE,
    campaignId: HANDLE,
    customerId: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[^\\u0000-\\u001f\\u007f\\ufffd]*$', description: 'a customer id: 1 to 128 characters, no control characters' },
    attempt: { type: 'integer', minimum: 1, maximum: 1000, description: 'an attempt number from 1 to 1000' },
    complete: { type: 'boolean', description: 'true or false' },
    answers: {
      type: 'array',
      minItems: 1,
      maxItems: 100,
      description: '1 to 100 answers',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['question', 'answer'],
        properties: {
          question: { type: 'string', pattern: QUESTION_ID, description: 'a question id' },
          answer: { type: 'string', maxLength: 2000, description: 'an answer of at most 2000 characters' },
        },
      },
    },
  },
});
