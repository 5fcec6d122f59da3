/**
 * A test case's run against what it expects: each step of the path that differs (expected and got, the node named
 * by name and id), the outcome, the variables, and results the call never reached. The report is plain data; its
 * text (`reportText`) is what the flow-test command prints.
 */
import { isDeepStrictEqual } from 'node:util';
import { own } from '../own';
import type { ExpectedStep, FlowTestCase } from '../schemas/flow-test';
import { nodeLabel, type RunView, type TestNode } from './run';

export interface Difference {
  /** path: a step (`step`, from 1); outcome; vars: a variable (`name`); results: the case's results left over. */
  what: 'path' | 'outcome' | 'vars' | 'results';
  step?: number;
  name?: string;
  expected: string;
  got: string;
}

export interface CaseReport {
  name: string;
  passed: boolean;
  differences: Difference[];
  run: RunView;
}

const matches = (ref: string, node: TestNode): boolean => ref === node.id || (node.name !== '' && ref === node.name);

function describeExpected(e: ExpectedStep): string {
  const parts = [JSON.stringify(e.node)];
  if (e.result !== undefined) parts.push(`result ${JSON.stringify(e.result)}`);
  if (e.outcome !== undefined) parts.push(`outcome ${JSON.stringify(e.outcome)}`);
  if (e.output !== undefined) parts.push(e.output === null ? 'no output' : `output ${e.output}`);
  return parts.join(', ');
}

function shown(value: unknown): string {
  if (value === undefined) return '(not set)';
  const text = JSON.stringify(value) ?? typeof value;
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

/** Compares a run with what its case expects. */
export function compare(testCase: FlowTestCase, run: RunView, unused: readonly { node: string; result: string }[]): CaseReport {
  const differences: Difference[] = [];
  const expect = testCase.expect ?? {};
  if (expect.path) {
    const count = Math.max(expect.path.length, run.steps.length);
    for (let i = 0; i < count; i++) {
      const raw = expect.path[i];
      const e: ExpectedStep | undefined = typeof raw === 'string' ? { node: raw } : raw;
      const got = run.steps[i];
      const gotText = got ? `${nodeLabel(got)}${got.result !== undefined ? `, result ${JSON.stringify(got.result)}` : ''}, outcome ${JSON.stringify(got.outcome)}, ${got.output === null ? 'no output' : `output ${got.output}`}` : '(the call went no further)';
      if (!e) {
        differences.push({ what: 'path', step: i + 1, expected: '(the path ends here)', got: gotText });
        continue;
      }
      const same =
        got !== undefined &&
        matches(e.node, got) &&
        (e.result === undefined || e.result === got.result) &&
        (e.outcome === undefined || e.outcome === got.outcome) &&
        (e.output === undefined || e.output === got.output);
      if (!same) differences.push({ what: 'path', step: i + 1, expected: describeExpected(e), got: gotText });
    }
  }
  const outcome = run.outcome;
  if (expect.outcome) {
    const want = expect.outcome;
    const gotText = outcome ? `${outcome.ended}${outcome.node ? ` at ${nodeLabel(outcome.node)}` : ''}: ${outcome.message}` : '(still running)';
    const ok =
      outcome !== undefined &&
      (want.ended === undefined || want.ended === outcome.ended) &&
      (want.node === undefined || (outcome.node !== undefined && matches(want.node, outcome.node))) &&
      (want.exception === undefined || outcome.exception?.cause === want.exception);
    if (!ok) {
      const parts = [want.ended ?? 'any end', ...(want.node ? [`at ${JSON.stringify(want.node)}`] : []), ...(want.exception ? [`through the exception flow (${want.exception})`] : [])];
      differences.push({ what: 'outcome', expected: parts.join(' '), got: `${gotText}${outcome?.exception ? ` (exception flow: ${outcome.exception.cause})` : ''}` });
    }
  }
  if (expect.vars) {
    const last = run.steps.at(-1)?.vars ?? {};
    for (const [name, value] of Object.entries(expect.vars)) {
      const got = own(last, name);
      if (!isDeepStrictEqual(got, value)) differences.push({ what: 'vars', name, expected: shown(value), got: shown(got) });
    }
  }
  if (unused.length > 0 && outcome?.ended !== 'case') {
    differences.push({ what: 'results', expected: 'every result of the case used', got: `the call never reached: ${unused.map((u) => `${JSON.stringify(u.node)} ${JSON.stringify(u.result)}`).join(', ')}` });
  }
  if (outcome?.ended === 'case' && !differences.some((d) => d.what === 'outcome')) {
    differences.push({ what: 'results', expected: 'a result for each element the call reached', got: outcome.message });
  }
  return { name: testCase.name ?? `${testCase.flow}${testCase.version ? ` ${testCase.version}` : ''}`, passed: differences.length === 0, differences, run };
}

/** The report as text, for a terminal or a log. */
export function reportText(report: CaseReport, file?: string): string {
  const head = `${report.passed ? 'PASS' : 'FAIL'} ${report.name}${file ? ` (${file})` : ''}`;
  const lines = [head];
  const run = report.run;
  lines.push(`  flow ${run.flow}${run.version ? ` ${run.version}` : ''}, caller ${run.caller || '-'}, called ${run.called || '-'}`);
  lines.push('  path:');
  run.steps.forEach((s, i) => {
    lines.push(`    ${i + 1}. ${nodeLabel(s)}${s.result !== undefined ? ` [${s.result}${s.value !== undefined ? ` ${JSON.stringify(s.value)}` : ''}]` : ''} -> ${s.outcome}${s.output === null ? '' : `, output ${s.output}`}`);
  });
  if (run.outcome) lines.push(`  outcome: ${run.outcome.ended}: ${run.outcome.message}${run.outcome.exception ? ` (exception flow: ${run.outcome.exception.cause})` : ''}`);
  for (const d of report.differences) {
    const where = d.what === 'path' ? `step ${d.step ?? '?'}` : d.what === 'vars' ? `variable ${JSON.stringify(d.name)}` : d.what;
    lines.push(`  differs at ${where}:`, `    expected: ${d.expected}`, `    got:      ${d.got}`);
  }
  return lines.join('\n');
}
