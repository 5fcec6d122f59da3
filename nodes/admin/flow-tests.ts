/**
 * The admin HTTP API of flow tests (docs/releases.md, "Flow test"), on RED.httpAdmin, for the Call flows
 * sidebar and scripts. Starting a run, giving a result and stopping one need callflow.write; reading one
 * callflow.read, as the other callflow routes.
 *
 *   POST   /callflow/flow-tests                 a step-by-step run (a case without results): the run, waiting at
 *                                               its first element (or ended)
 *   POST   /callflow/flow-tests/cases           a whole test case: { report, text }
 *   GET    /callflow/flow-tests/:run            the run
 *   POST   /callflow/flow-tests/:run/result     the result of the element the run waits at: the run, at its next
 *                                               element (or ended); 409 with the problem when refused
 *   DELETE /callflow/flow-tests/:run            stops the run
 *
 * Runs are kept 10 minutes after they end, then forgotten (404).
 */
import { reportText } from '../../lib/flow-test/case';
import type { FlowTestRun } from '../../lib/flow-test/run';
import { flowTestCase, flowTestResult } from '../../lib/schemas/flow-test';
import { findRun } from '../deployed/flow-test';
import { FlowTestError, rememberRuntime, runCase, startCase } from '../deployed/flow-test-cases';
import type { NodeAPI, RequestLike, ResponseLike } from '../red/api';
import { bodyOf, sendUnexpected } from './json-body';

const registered = new WeakSet<object>();

function sendError(res: ResponseLike, err: unknown): void {
  if (err instanceof FlowTestError) {
    res.status(err.status).json({ message: err.message });
    return;
  }
  sendUnexpected(res, err);
}

/** Resolves once the run waits for a result or has ended (not while an element that runs by itself works). */
function settled(run: FlowTestRun): Promise<void> {
  if (run.ended || run.waiting) return Promise.resolve();
  return new Promise((resolve) => {
    const off = run.onChange(() => {
      if (!run.ended && !run.waiting) return;
      off();
      resolve();
    });
  });
}

const RUN_ID = /^[A-Za-z0-9_-]{1,32}$/;

export function registerFlowTestApi(RED: NodeAPI): void {
  rememberRuntime(RED);
  if (registered.has(RED.httpAdmin)) return;
  registered.add(RED.httpAdmin);
  const read = RED.auth.needsPermission('callflow.read');
  const write = RED.auth.needsPermission('callflow.write');

  const withRun = (fn: (run: FlowTestRun, req: RequestLike) => unknown) => (req: RequestLike, res: ResponseLike): void => {
    const id = req.params.run ?? '';
    const run = RUN_ID.test(id) ? findRun(id) : undefined;
    if (!run) {
      res.status(404).json({ message: `no flow test run ${JSON.stringify(id.slice(0, 40))} (runs are kept 10 minutes after they end)` });
      return;
    }
    Promise.resolve()
      .then(() => fn(run, req))
      .then(
        (result) => res.status(200).json(result),
        (err: unknown) => sendError(res, err),
      );
  };

  RED.httpAdmin.post('/callflow/flow-tests', write, (req: RequestLike, res: ResponseLike) => {
    Promise.resolve()
      .then(async () => {
        const c = bodyOf(flowTestCase, req);
        const run = startCase(RED, c, true);
        await settled(run);
        return run.view();
      })
      .then(
        (view) => res.status(201).json(view),
        (err: unknown) => sendError(res, err),
      );
  });

  RED.httpAdmin.post('/callflow/flow-tests/cases', write, (req: RequestLike, res: ResponseLike) => {
    Promise.resolve()
      .then(async () => {
        const c = bodyOf(flowTestCase, req);
        const report = await runCase(RED, c);
        return { report, text: reportText(report) };
      })
      .then(
        (answer) => res.status(200).json(answer),
        (err: unknown) => sendError(res, err),
      );
  });

  RED.httpAdmin.get('/callflow/flow-tests/:run', read, withRun((run) => run.view()));

  RED.httpAdmin.post(
    '/callflow/flow-tests/:run/result',
    write,
    withRun(async (run, req) => {
      const { result, value } = bodyOf(flowTestResult, req);
      const problem = run.give(result, value);
      if (problem) throw new FlowTestError(409, problem);
      await settled(run);
      return run.view();
    }),
  );

  RED.httpAdmin.delete(
    '/callflow/flow-tests/:run',
    write,
    withRun((run) => {
      run.finish({ ended: 'stopped', message: 'stopped by the tester' });
      return run.view();
    }),
  );
}
