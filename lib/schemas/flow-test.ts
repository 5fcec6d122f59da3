/**
 * A flow test case (docs/releases.md, "Flow test"): which flow and version a test call enters, from and to
 * which numbers, with which variables, the results its elements take in order, and what is expected (the path,
 * the outcome, variables). The same schema checks a case file (the flow-test command and its mocha helper), the
 * admin API's bodies and what the sidebar loads.
 */
import { Validator } from './validator';

/** A node of the flow: its id or its name. */
export type NodeRef = string;

export interface GivenResultDoc {
  node: NodeRef;
  result: string;
  value?: string;
}

export interface ExpectedStep {
  node: NodeRef;
  result?: string;
  outcome?: string;
  output?: number | null;
}

export type EndedHow = 'flow' | 'caller' | 'transferred' | 'unwired' | 'error' | 'dropped' | 'limit' | 'case' | 'stopped';

export interface FlowTestCase {
  name?: string;
  /** The release set: its config node's id or name; absent: the one that has the flow, or none (a flow without versions). */
  releases?: string;
  flow: string;
  /** A version name, or "official" / "gray" (default: official, for a flow with versions). */
  version?: string;
  caller?: string;
  called?: string;
  vars?: Record<string, unknown>;
  results?: GivenResultDoc[];
  expect?: {
    path?: (NodeRef | ExpectedStep)[];
    outcome?: { ended?: EndedHow; node?: NodeRef; exception?: 'no-flow' | 'element-error' | 'unwired-output' };
    vars?: Record<string, unknown>;
  };
  limits?: { steps?: number; seconds?: number };
}

const NODE_REF = { type: 'string', minLength: 1, maxLength: 200, description: "a node's id or name" } as const;
const ENDED = ['flow', 'caller', 'transferred', 'unwired', 'error', 'dropped', 'limit', 'case', 'stopped'];

/** Test cases are files users write and API bodies anyone with the permission sends: every list and string is bounded. */
export const flowTestCase = new Validator<FlowTestCase>('flow test case', {
  type: 'object',
  additionalProperties: false,
  required: ['flow'],
  properties: {
    $schema: { type: 'string', maxLength: 500 },
    name: { type: 'string', maxLength: 200, description: "the case's name" },
    releases: { type: 'string', minLength: 1, maxLength: 128, description: "a release set's id or name" },
    flow: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$', maxLength: 64, description: 'a flow name (letters, digits, _ . -)' },
    version: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,32}$', maxLength: 32, description: 'a version name, or official or gray' },
    caller: { type: 'string', pattern: '^\\+?[0-9*#]{0,32}$', maxLength: 33, description: 'a caller number' },
    called: { type: 'string', pattern: '^[A-Za-z0-9_+*#.-]{0,64}$', maxLength: 64, description: 'the number called' },
    vars: { type: 'object', maxProperties: 200, description: 'initial call variables (at most 200)' },
    results: {
      type: 'array',
      maxItems: 1000,
      description: 'the results of the elements, in order (at most 1000)',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['node', 'result'],
        properties: {
          node: NODE_REF,
          result: { type: 'string', minLength: 1, maxLength: 100, description: 'a result the element can take, e.g. option 1, timeout, busy' },
          value: { type: 'string', maxLength: 200, description: 'the value of the result (digits, a key, seconds, a message)' },
        },
      },
    },
    expect: {
      type: 'object',
      additionalProperties: false,
      properties: {
        path: {
          type: 'array',
          maxItems: 1010,
          description: 'the nodes the call passes, in order (ids or names)',
          items: {
            anyOf: [
              NODE_REF,
              {
                type: 'object',
                additionalProperties: false,
                required: ['node'],
                properties: {
                  node: NODE_REF,
                  result: { type: 'string', maxLength: 100 },
                  outcome: { type: 'string', maxLength: 200 },
                  output: { type: ['integer', 'null'], minimum: 1, maximum: 1000 },
                },
              },
            ],
          },
        },
        outcome: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ended: { type: 'string', enum: ENDED, description: ENDED.join(', ') },
            node: NODE_REF,
            exception: { type: 'string', enum: ['no-flow', 'element-error', 'unwired-output'], description: 'no-flow, element-error or unwired-output' },
          },
        },
        vars: { type: 'object', maxProperties: 200, description: 'call variables expected at the end (at most 200)' },
      },
    },
    limits: {
      type: 'object',
      additionalProperties: false,
      properties: {
        steps: { type: 'integer', minimum: 1, maximum: 1000, description: 'the most elements the call may reach (1 to 1000)' },
        seconds: { type: 'integer', minimum: 1, maximum: 1800, description: 'the longest the run may take, in seconds (1 to 1800)' },
      },
    },
  },
});

export interface FlowTestResultRequest {
  result: string;
  value?: string;
}

/** The tester's result for the element a step-by-step run waits at. */
export const flowTestResult = new Validator<FlowTestResultRequest>('flow test result', {
  type: 'object',
  additionalProperties: false,
  required: ['result'],
  properties: {
    result: { type: 'string', minLength: 1, maxLength: 100, description: 'a result the element can take' },
    value: { type: 'string', maxLength: 200, description: 'the value of the result' },
  },
});

/** The largest case file or body read, in bytes. */
export const MAX_CASE_BYTES = 1_000_000;
