/**
 * Root hooks: a promise rejected with nobody listening is a bug in the code
 * under test (a forgotten await, a handler that throws); fail the test that
 * was running instead of letting it pass.
 *
 * After the suite, whatever still holds the process open (a worker thread, a
 * socket, a server) is listed on the output: .mocharc exits after the suite
 * (`exit: true`) so that such a leftover cannot hang CI, and this line says
 * what it was. A stress run once waited 24 minutes on an idle store thread
 * that was still referenced (docs/architecture.md, Tests).
 *
 * After each test, once its own hooks have run, the temporary folders it made with useTempDir are removed
 * (temp-dir.ts), passed or failed.
 */
import { removeTestFolders } from './temp-dir';

const unhandled: unknown[] = [];
process.on('unhandledRejection', (reason) => {
  unhandled.push(reason);
});

/**
 * Resources that keep a process alive and that a finished suite should not hold (stdio pipes and ttys are the
 * runner's; a Timeout is, among others, mocha's own for the hook that is running).
 */
const LEFTOVER = /^(MessagePort|Worker|TCPSocketWrap|TCPServerWrap|ChildProcess|ProcessWrap|UDPWRAP)$/;

export const mochaHooks = {
  async afterAll(): Promise<void> {
    // One turn for closes in progress to finish.
    await new Promise((resolve) => setImmediate(resolve));
    const left = process.getActiveResourcesInfo().filter((r) => LEFTOVER.test(r));
    if (left.length > 0) console.log(`\n  callflow tests: still open after the suite (the process exits anyway): ${left.join(', ')}`);
  },
  afterEach(): void {
    removeTestFolders();
    if (unhandled.length === 0) return;
    const reasons = unhandled.splice(0).map((r) => (r instanceof Error ? (r.stack ?? r.message) : String(r)));
    throw new Error(`unhandled promise rejection(s) during the test:\n${reasons.join('\n')}`);
  },
};
