/**
 * The package's admin HTTP API on Node-RED's RED.httpAdmin, for the editor:
 * connection and store states, and the built-in simulator (place a test call). Every
 * route is guarded by RED.auth.needsPermission (callflow.read /
 * callflow.write), so it follows the editor's adminAuth settings.
 */
import { readInboundCall } from '../../lib/sim/control';
import type { Simulator } from '../../lib/sim/server';
import { shownValue } from '../../lib/schemas/validator';
import { currentSimulator } from '../../lib/sim/embedded';
import { listEngines } from '../deployed/engine';
import { listStores } from '../deployed/stores';
import type { NodeAPI, RequestLike, ResponseLike } from '../red/api';

const registered = new WeakSet<object>();

function fail(res: ResponseLike, status: number, message: string): void {
  res.status(status).json({ message });
}

export function registerAdminApi(RED: NodeAPI): void {
  if (registered.has(RED.httpAdmin)) return;
  registered.add(RED.httpAdmin);

  RED.httpAdmin.get('/callflow/connections', RED.auth.needsPermission('callflow.read'), (_req: RequestLike, res: ResponseLike) => {
    res.json(
      listEngines().map((e) => ({
        id: e.id,
        app: e.app,
        state: e.status.state,
        message: e.status.message,
        calls: e.callCount,
        simulator: e.usesSimulator,
        // Call records saved and dropped (a store that is down) since the connection started, when it keeps them.
        ...(e.records ? { records: e.records.counts } : {}),
      })),
    );
  });

  RED.httpAdmin.get('/callflow/stores', RED.auth.needsPermission('callflow.read'), (_req: RequestLike, res: ResponseLike) => {
    res.json(
      listStores().map((s) => ({
        id: s.id,
        name: s.name,
        backend: s.backend,
        where: s.connection.where,
        state: s.connection.status.state,
        message: s.connection.status.message,
        retryAt: s.connection.status.retryAt,
      })),
    );
  });

  RED.httpAdmin.get('/callflow/simulator', RED.auth.needsPermission('callflow.read'), (_req: RequestLike, res: ResponseLike) => {
    if (!currentSimulator()) {
      res.json({ running: false });
      return;
    }
    withSimulator(res, (sim) => res.json({ running: true, url: sim.url, apps: sim.asterisk.activeApps() }));
  });

  RED.httpAdmin.post('/callflow/simulator/calls', RED.auth.needsPermission('callflow.write'), (req: RequestLike, res: ResponseLike) => {
    withSimulator(res, (sim) => res.status(201).json(sim.placeCall(readInboundCall(req.body)).report()));
  });

  RED.httpAdmin.get('/callflow/simulator/calls/:id', RED.auth.needsPermission('callflow.read'), (req: RequestLike, res: ResponseLike) => {
    withSimulator(res, (sim) => {
      const report = sim.asterisk.report(req.params.id ?? '');
      if (report) res.json(report);
      else fail(res, 404, `no call ${shownValue(req.params.id ?? '')}`);
    });
  });
}

/** Runs `fn` with the built-in simulator, answering 409 when none runs and 400 with the message when `fn` throws. */
function withSimulator(res: ResponseLike, fn: (sim: Simulator) => void): void {
  const running = currentSimulator();
  if (!running) {
    fail(res, 409, 'the built-in simulated Asterisk is not running: deploy a callflow-asterisk connection that uses it');
    return;
  }
  running.then(
    (sim) => {
      try {
        fn(sim);
      } catch (err) {
        fail(res, 400, (err as Error).message);
      }
    },
    (err: unknown) => fail(res, 500, (err as Error).message),
  );
}
