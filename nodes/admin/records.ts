/**
 * The admin HTTP API of call records, kept by the store a callflow-asterisk connection names:
 *   GET callflow/records/:connection?flow=&campaign=&after=&limit=
 *       the records of ended calls, newest first, a page at a time (`next` is the cursor of the next page): this
 *       connection's; or, with flow or campaign (at most one of them), those of that flow or campaign in the store this
 *       connection names (whichever connection they ended on). As the store keeps them: ids, caller, dialed number, flow and
 *       version, campaign attempt, result, times and the call-end report. Never a call's token or variables (they are
 *       not kept), nor anything of the store's settings; `counts` says how many records were saved and dropped since
 *       the connection started.
 * Guarded by callflow.read. 404: no such connection deployed; 409: it keeps no records; 400: a bad query; 503: the
 * store cannot be reached.
 */
import { findEngine } from '../deployed/engine';
import type { NodeAPI, RequestLike, ResponseLike } from '../red/api';

const registered = new WeakSet<object>();

const FLOW = /^[A-Za-z0-9_.-]{1,64}$/;
const CAMPAIGN = /^[A-Za-z0-9._:-]{1,128}$/;

function fail(res: ResponseLike, status: number, message: string): void {
  res.status(status).json({ message });
}

/** One query parameter: absent, or one string (a repeated one, ?flow=a&flow=b, is refused). */
function param(req: RequestLike, name: string): string | undefined | null {
  const v: unknown = req.query[name];
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : null;
}

export function registerRecordsApi(RED: NodeAPI): void {
  if (registered.has(RED.httpAdmin)) return;
  registered.add(RED.httpAdmin);

  RED.httpAdmin.get('/callflow/records/:connection', RED.auth.needsPermission('callflow.read'), (req: RequestLike, res: ResponseLike) => {
    const engine = findEngine(req.params.connection ?? '');
    if (!engine) {
      fail(res, 404, 'no such Asterisk connection is deployed');
      return;
    }
    const store = engine.recordStore;
    const keeper = engine.records;
    if (!keeper) {
      fail(res, 409, 'this connection keeps no call records: choose a store in its settings');
      return;
    }
    if (!store) {
      fail(res, 503, 'the store that keeps this connection\'s call records is not deployed or not valid');
      return;
    }
    const flow = param(req, 'flow');
    const campaign = param(req, 'campaign');
    const after = param(req, 'after');
    const limitText = param(req, 'limit');
    if (flow === null || (flow !== undefined && !FLOW.test(flow))) return fail(res, 400, 'flow: a flow name: 1 to 64 letters, digits, _ . or -');
    if (campaign === null || (campaign !== undefined && !CAMPAIGN.test(campaign))) return fail(res, 400, 'campaign: a campaign id: 1 to 128 letters, digits, . _ : or -');
    if (flow !== undefined && campaign !== undefined) return fail(res, 400, 'flow or campaign: one of them at a time');
    if (after === null || (after !== undefined && after.length > 1000)) return fail(res, 400, 'after: the cursor a page gave as next');
    const limit = limitText === undefined ? undefined : Number(limitText);
    if (limitText === null || (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= 1000))) return fail(res, 400, 'limit: a whole number from 1 to 1000');
    store
      .available(5000)
      .then((s) =>
        s.pageCallRecords({
          ...(flow === undefined ? {} : { flow }),
          ...(campaign === undefined ? {} : { campaign }),
          ...(flow === undefined && campaign === undefined ? { connection: engine.id } : {}),
          ...(after === undefined ? {} : { after }),
          ...(limit === undefined ? {} : { limit }),
        }),
      )
      .then(
        (page) => res.json({ ...page, counts: keeper.counts }),
        (err: unknown) => fail(res, (err as { kind?: string }).kind === 'invalid' ? 400 : 503, (err as Error).message),
      );
  });
}
