/**
 * What the tests of callflow-http-ivr run against (http-ivr.test.ts, http-ivr-faults.test.ts): an application server
 * in the test that answers each request with a command set (JSON, XML or TwiML) and records what it was asked, the
 * node's settings, and the flow that puts the node between a simulated caller and that application.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CREDS, connected, ivrFlow, useSimulator } from '../support/ivr';
import { NODES, helper, useNodeRed } from '../support/node-red';

export interface Asked {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The body, parsed (JSON or form). */
  params: Record<string, unknown>;
  url: string;
}

export type Answer = { status?: number; type?: string; body: string | object; headers?: Record<string, string> } | 'hang';

/** An application server: `answer` decides each response; every request is kept in `asked`. */
export class Application {
  readonly asked: Asked[] = [];
  /** A promise: the answer when it settles (a test holds the application mid-request). */
  answer: (req: Asked) => Answer | Promise<Answer> = () => ({ body: { main: { command: 'hangup' } } });
  /** Requests the server left unanswered ('hang'), closed when their client gave up. */
  readonly hung: Promise<void>[] = [];
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
      const type = String(req.headers['content-type'] ?? '');
      const params = body === '' ? {} : type.startsWith('application/json') ? (JSON.parse(body) as Record<string, unknown>) : Object.fromEntries(new URLSearchParams(body));
      const asked: Asked = { method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, body, params, url: `http://${req.headers.host}${req.url}` };
      this.asked.push(asked);
      void Promise.resolve(this.answer(asked)).then((answer) => {
        if (answer === 'hang') {
          this.hung.push(new Promise((resolve) => res.on('close', () => resolve())));
          return;
        }
        const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
        res.writeHead(answer.status ?? 200, { 'content-type': answer.type ?? 'application/json', ...answer.headers });
        res.end(text);
      });
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The answers, in order, one per request (the last repeats). */
  script(...answers: Answer[]): void {
    let n = 0;
    this.answer = () => answers[Math.min(n++, answers.length - 1)] as Answer;
  }
}

export const HTTP_IVR = {
  type: 'callflow-http-ivr',
  method: 'POST',
  encoding: 'json',
  mode: 'callflow',
  headers: [],
  timeoutSec: 5,
  retries: 0,
  fallbackUrl: '',
  allowlist: ['127.0.0.1'],
  returns: ['agent', 'survey'],
  dialString: 'PJSIP/{number}@trunk',
  queueContext: 'callflow-queues',
  sipEndpoint: '',
  meetings: '',
  callFlow: '',
  language: '',
  maxRequests: 100,
  onError: 'output',
};

type Simulator = ReturnType<ReturnType<typeof useSimulator>>;
type CallOptions = Partial<Parameters<Simulator['placeCall']>[0]>;
type PlacedCall = ReturnType<Simulator['placeCall']>;
interface DeployOptions {
  dialAllowlist?: string;
  configs?: object[];
}

export interface HttpIvrSetup {
  /** The application server, its asked requests emptied before each test. */
  readonly app: Application;
  /** The application's URL (…/app). */
  readonly base: string;
  /** The simulated Asterisk of the running test. */
  readonly simulator: () => Simulator;
  /**
   * Deploys flow "main": entry, the node with `settings` (its outputs agent, survey, error to helpers, each then hung
   * up), a call-end node (helper "ended"); and flow "sales" (helper "insales").
   */
  readonly deploy: (settings?: object, credentials?: object, options?: DeployOptions) => Promise<void>;
  /** A call into flow "main" (two flows are deployed, so the dialplan names the flow). */
  readonly place: (options?: CallOptions) => PlacedCall;
}

/** Node-RED, a simulated Asterisk and the application server for the tests of the calling describe block. */
export function useHttpIvr(): HttpIvrSetup {
  useNodeRed();
  const simulator = useSimulator(100);
  const app = new Application();
  let base = '';
  before(async function () {
    base = `${await app.start()}/app`;
  });
  after(async function () {
    await app.close();
  });
  beforeEach(function () {
    app.asked.length = 0;
    app.hung.length = 0;
  });

  const deploy = async (settings: object = {}, credentials: object = {}, options: DeployOptions = {}): Promise<void> => {
    await helper.load(
      NODES,
      ivrFlow(
        simulator(),
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['hi']] },
          { id: 'hi', ...HTTP_IVR, url: base, outputs: 3, ...settings, wires: [['agent', 'hu'], ['survey', 'hu'], ['failed', 'hu']] },
          { id: 'hu', type: 'callflow-hangup', reason: 'normal', wires: [] },
          { id: 'agent', type: 'helper' },
          { id: 'survey', type: 'helper' },
          { id: 'failed', type: 'helper' },
          { id: 'end', type: 'callflow-call-end', connection: 'a1', flow: '', wires: [['ended']] },
          { id: 'ended', type: 'helper' },
          { id: 'sales', type: 'callflow-entry', connection: 'a1', flow: 'sales', wires: [['insales']] },
          { id: 'insales', type: 'helper' },
        ],
        ['hi'],
        { ...(options.dialAllowlist === undefined ? {} : { dialAllowlist: options.dialAllowlist }), ...(options.configs ? { configs: options.configs } : {}) },
      ),
      { ...CREDS, hi: credentials },
    );
    await connected();
  };

  /** A call into flow "main" (two flows are deployed, so the dialplan names the flow). */
  const place = (options: CallOptions = {}): PlacedCall => simulator().placeCall({ from: '+15550100', to: '500', args: ['main'], ...options });

  const setup: HttpIvrSetup = {
    app,
    get base(): string {
      return base;
    },
    simulator,
    deploy,
    place,
  };
  return setup;
}
