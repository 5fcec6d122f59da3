/**
 * Root hooks: a promise rejected with nobody listening is a bug in the code
 * under test (a forgotten await, a handler that throws); fail the test that
 * was running instead of letting it pass.
 */
const unhandled: unknown[] = [];
process.on('unhandledRejection', (reason) => {
  unhandled.push(reason);
});

export const mochaHooks = {
  afterEach(): void {
    if (unhandled.length === 0) return;
    const reasons = unhandled.splice(0).map((r) => (r instanceof Error ? (r.stack ?? r.message) : String(r)));
    throw new Error(`unhandled promise rejection(s) during the test:\n${reasons.join('\n')}`);
  },
};
