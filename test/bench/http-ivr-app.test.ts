/**
 * bench/http-ivr's figures mean something only while its application process answers what the bench's callers
 * expect: a collect of one key with its prompt nested and a jump to `menu` at each of the call's steps, then a
 * hangup, each a command set the node accepts. The process is asked here as the node asks it (lib/http-ivr's
 * Application, the node's JSON body and parameters, the jump's function path under the address) and its answers
 * are parsed with the node's parser. No timing.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { applicationStats, promptOf, startApplicationProcess } from '../../bench/http-ivr-app';
import type { CallEvent, CallFacts, Program } from '../../lib/http-ivr/commands';
import { parseCommandSet } from '../../lib/http-ivr/parse';
import { Application, ApplicationError } from '../../lib/http-ivr/requests';

const STEPS = 3;

describe('bench/http-ivr-app: the application process answers the command sets the bench expects', function () {
  let child: ChildProcess | undefined;
  let url = '';
  let app: Application;

  before(async function () {
    ({ child, url } = await startApplicationProcess(STEPS));
    app = new Application({ baseUrl: `${url}/ivr`, allowlist: ['127.0.0.1'], retries: 0 });
  });

  after(async function () {
    if (!child || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGINT');
    await exited;
  });

  const facts = (step: number): CallFacts => ({ callId: '1700000000.1', caller: '+15550000001', called: '500', flow: 'http-ivr', vars: {}, step });
  const key: CallEvent = { event: 'collect', outcome: 'digits', digits: '1' };

  /** Request `step` of a call as the node makes it: the first to the address, the others to its `menu` function path. */
  async function ask(step: number, event: CallEvent): Promise<Program> {
    const target = step === 1 ? undefined : { url: `${url}/ivr/menu` };
    const answer = await app.request(target, `${url}/ivr`, facts(step), event, new AbortController().signal);
    return parseCommandSet(answer.contentType, answer.body, 'callflow');
  }

  const collectStep = (step: number): Program['steps'] => [
    { command: 'collect', maxDigits: 1, timeoutSec: 10, sub: [{ command: 'play', media: [promptOf(step)] }] },
    { command: 'jump', jump: { url: 'menu' } },
  ];

  it('a collect of one key with its prompt and a jump to menu for each step, then a hangup, and counts them', async function () {
    assert.deepEqual((await ask(1, { event: 'call' })).steps, collectStep(1));
    for (let step = 2; step <= STEPS; step += 1) assert.deepEqual((await ask(step, key)).steps, collectStep(step));
    assert.deepEqual((await ask(STEPS + 1, key)).steps, [{ command: 'hangup' }]);
    // The prompts tell the steps apart.
    assert.notEqual(promptOf(1), promptOf(2));
    assert.deepEqual(await applicationStats(url), { requests: STEPS + 1, collects: STEPS, digits: STEPS, timeouts: 0, hangups: 1, unexpected: 0 });
  });

  it('counts a collect that timed out, and refuses a request the bench never makes (so a run that went wrong says so)', async function () {
    const before = await applicationStats(url);
    assert.deepEqual((await ask(2, { event: 'collect', outcome: 'timeout', digits: '' })).steps, collectStep(2));
    // The first request of a call to the menu, and a step past the hangup.
    for (const [step, event] of [[1, key], [STEPS + 2, key]] as const) {
      await assert.rejects(ask(step, event), (err: unknown) => err instanceof ApplicationError && err.reason === 'http-status' && err.status === 404);
    }
    const stats = await applicationStats(url);
    assert.deepEqual({ timeouts: stats.timeouts - before.timeouts, unexpected: stats.unexpected - before.unexpected }, { timeouts: 1, unexpected: 2 });
  });
});
