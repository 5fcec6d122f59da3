/**
 * bench/scale's probe inside each Node-RED process it starts, loaded before
 * Node-RED with `node --require` (NODE_OPTIONS): nothing of it is in a
 * Node-RED that was not started so, so it costs nothing when not asked for.
 *
 * Once the campaign of the flows is deployed it turns on the dialer's
 * figures (collectStats: the claim-to-originate time of each call, as
 * bench/campaign and bench/trunks measure it), counts every call the
 * instance makes to its store by operation (documents by kind, and the
 * compare-and-set writes refused with a conflict), and samples the calls
 * in progress on its connections every second. It answers GET
 * /figures on 127.0.0.1, port CALLFLOW_SCALE_PROBE_PORT, with everything
 * so far (cumulative: the bench takes two and subtracts), 503 until the
 * campaign is there. (Not a signal: Node-RED stops on SIGUSR2, for
 * nodemon.)
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';
import type { Dialer } from '../lib/campaign/dialer';
import { StoreError, type Store } from '../lib/store/port';
import { listCampaigns } from '../nodes/deployed/campaigns';
import { listEngines } from '../nodes/deployed/engine';

/** What one probe line carries. */
export interface ProbeFigures {
  pid: number;
  /** Date.now() when printed. */
  at: number;
  originates: number;
  /** ms from the tick that allowed each call to its originate request, in order. */
  tickToOriginate: number[];
  /** ms from the start of each tick that dialed to the answer of its one store write before the dial, in order. */
  tickToWritten: number[];
  /** Store calls by operation (`getDocument(dialing)`, `putDocument(dialing) conflict`...). */
  storeCalls: Record<string, number>;
  /** ms each store call took until it settled, by operation (as storeCalls, without the conflicts), in order. */
  storeMs: Record<string, number[]>;
  /** [Date.now(), calls in progress on this instance's connections], one a second. */
  inProgress: [number, number][];
}

/** The store port's operations a dialer uses (not open and close). */
const OPERATIONS = [
  'claimDue',
  'renewLeases',
  'recordAttempt',
  'markProgress',
  'markProgressBatch',
  'reclaimLeases',
  'getContact',
  'countContacts',
  'tallyAttempts',
  'hasDue',
  'closeContacts',
  'findBlock',
  'getDocument',
  'putDocument',
  'saveCallRecord',
] as const;

const storeCalls = new Map<string, number>();
const storeMs = new Map<string, number[]>();
const inProgress: [number, number][] = [];
let dialer: Dialer | undefined;

function count(key: string): void {
  storeCalls.set(key, (storeCalls.get(key) ?? 0) + 1);
}

function countCalls(store: Store): void {
  const methods = store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of OPERATIONS) {
    const real = methods[name];
    if (typeof real !== 'function') continue;
    const bound = real.bind(store);
    methods[name] = (...args: unknown[]) => {
      // Documents by kind: the dialing document's compare-and-set is what several instances contend for.
      const key = name === 'getDocument' || name === 'putDocument' ? `${name}(${String(args[0])})` : name;
      count(key);
      const started = performance.now();
      const times = storeMs.get(key) ?? [];
      storeMs.set(key, times);
      const result = bound(...args);
      result.then(
        () => times.push(performance.now() - started),
        (err: unknown) => {
          times.push(performance.now() - started);
          count(err instanceof StoreError && err.kind === 'conflict' ? `${key} conflict` : `${key} failed`);
        },
      );
      return result;
    };
  }
}

async function attach(): Promise<void> {
  let campaign = listCampaigns()[0];
  while (!campaign) {
    await new Promise((r) => setTimeout(r, 200));
    campaign = listCampaigns()[0];
  }
  countCalls(await campaign.store(60_000));
  dialer = await campaign.dialer(60_000);
  dialer.collectStats = true;
  setInterval(() => inProgress.push([Date.now(), listEngines().reduce((n, e) => n + e.callCount, 0)]), 1000).unref();
}

function figures(): ProbeFigures {
  return {
    pid: process.pid,
    at: Date.now(),
    originates: dialer?.stats.originates ?? 0,
    tickToOriginate: dialer?.stats.tickToOriginate ?? [],
    tickToWritten: (dialer?.stats.ticks ?? []).map((t) => t.writtenMs),
    storeCalls: Object.fromEntries(storeCalls),
    storeMs: Object.fromEntries(storeMs),
    inProgress,
  };
}

const port = Number(process.env.CALLFLOW_SCALE_PROBE_PORT);
if (isMainThread && Number.isInteger(port) && port > 0) {
  let failed: string | undefined;
  attach().catch((err: unknown) => {
    failed = (err as Error).message;
  });
  http
    .createServer((req, res) => {
      const ready = dialer !== undefined;
      res.writeHead(ready ? 200 : failed ? 500 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(ready ? figures() : { failed }));
    })
    .listen(port, '127.0.0.1')
    .unref();
}
