#!/usr/bin/env node
/**
 * callflow-flow-test <flows.json> <case.json...>: runs flow test cases against a flows file in a Node-RED of this
 * process that makes no Asterisk connection (docs/releases.md, "Flow test"), prints each case's report (the path,
 * the outcome, each step that differs from what it expects) and exits 0 when every case passed, 1 when one failed,
 * 2 when a file cannot be used.
 */
import { FlowTestFileError, runFlowTests } from './index';

const USAGE = 'usage: callflow-flow-test [--verbose] <flows.json> <case.json>...';

async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  const files = argv.filter((a) => a !== '--verbose');
  if (files.includes('--help') || files.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const unknown = files.find((a) => a.startsWith('--'));
  if (unknown || files.length < 2) {
    console.error(unknown ? `unknown option ${unknown}\n${USAGE}` : USAGE);
    return 2;
  }
  const [flows, ...cases] = files as [string, ...string[]];
  try {
    const result = await runFlowTests(flows, cases, { verbose });
    console.log(result.text);
    return result.passed ? 0 : 1;
  } catch (err) {
    if (err instanceof FlowTestFileError) {
      console.error(`callflow-flow-test: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`callflow-flow-test: ${(err as Error).stack ?? String(err)}`);
    process.exit(2);
  },
);
