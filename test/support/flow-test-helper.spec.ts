/**
 * Not a test of the suite (its name does not end in .test): a user's mocha file, as docs/releases.md shows it,
 * run in a child process by test/runtime/flow-test-cli.test.ts. It loads the helper through the package's own
 * name, as a user's project would.
 */
import path from 'node:path';
import type * as FlowTest from '../../nodes/flow-test/index';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { flowTests } = require(path.resolve(__dirname, '..', '..', '..', 'flow-test.js')) as typeof FlowTest;

const examples = path.resolve(__dirname, '..', '..', '..', 'examples');

describe('the IVR menu example', function () {
  flowTests(path.join(examples, 'IVR menu.json'), ['ivr-menu-balance.json', 'ivr-menu-fails-on-purpose.json'].map((f) => path.join(examples, 'tests', f)));
});
