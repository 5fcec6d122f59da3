/**
 * Flow tests in CI for the user's own flows (docs/releases.md, "Flow test"), as a library: a project requires it
 * as node-red-contrib-callflow/flow-test (flow-test.js at the package's root), for runFlowTests and flowTests:
 *
 *   // mocha: one test per case file, failing with the case's report
 *   describe('our IVR', function () { flowTests('flows.json', ['tests/press-1.json', 'tests/timeout.json']); });
 *   // anywhere: every case's report
 *   const { passed, text } = await runFlowTests('flows.json', ['tests/press-1.json']);
 *
 * Both run Node-RED in this process with no Asterisk connection (nodes/flow-test/runtime.ts).
 */
import { reportText, type CaseReport } from '../../lib/flow-test/case';
import { readCase, readFlows, startRuntime, FlowTestFileError, type FlowTestRuntime } from './runtime';

export { FlowTestFileError } from './runtime';
export type { CaseReport } from '../../lib/flow-test/case';

export interface FlowTestsResult {
  passed: boolean;
  reports: { file: string; report: CaseReport }[];
  /** Every report as text, then a summary line. */
  text: string;
}

/** Runs the case files against the flows file; a file that cannot be used is a FlowTestFileError (nothing runs). */
export async function runFlowTests(flowsFile: string, caseFiles: readonly string[], options: { verbose?: boolean } = {}): Promise<FlowTestsResult> {
  const flows = readFlows(flowsFile);
  if (caseFiles.length === 0) throw new FlowTestFileError('no test case files given');
  const cases = caseFiles.map((file) => ({ file, testCase: readCase(file) }));
  const runtime = await startRuntime(flows, options);
  const reports: { file: string; report: CaseReport }[] = [];
  try {
    for (const { file, testCase } of cases) reports.push({ file, report: await runtime.run(testCase) });
  } finally {
    await runtime.stop();
  }
  const failed = reports.filter((r) => !r.report.passed).length;
  const text = [...reports.map((r) => reportText(r.report, r.file)), `${reports.length - failed} passed, ${failed} failed`].join('\n\n');
  return { passed: failed === 0, reports, text };
}

type Hook = (this: unknown, fn: () => Promise<void>) => void;
type It = (title: string, fn: () => Promise<void>) => void;

/**
 * Mocha: a `before` that starts the runtime with the flows, one `it` per case file (failing with its report), an
 * `after` that stops it. Call it inside a describe.
 */
export function flowTests(flowsFile: string, caseFiles: readonly string[], options: { verbose?: boolean } = {}): void {
  const g = globalThis as unknown as { before?: Hook; after?: Hook; it?: It };
  if (!g.before || !g.after || !g.it) throw new Error('flowTests() runs inside mocha (describe/it); use runFlowTests() elsewhere');
  let runtime: FlowTestRuntime | undefined;
  g.before(async function (this: unknown) {
    (this as { timeout?: (ms: number) => void }).timeout?.(60_000);
    runtime = await startRuntime(readFlows(flowsFile), options);
  });
  g.after(async function () {
    await runtime?.stop();
    runtime = undefined;
  });
  for (const file of caseFiles) {
    g.it(file, async function () {
      if (!runtime) throw new Error('the flow test runtime did not start');
      const report = await runtime.run(readCase(file));
      if (!report.passed) throw new Error(reportText(report, file));
    });
  }
}
