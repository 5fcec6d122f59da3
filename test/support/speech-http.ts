/**
 * What the tests of speaking elements on the simulator share, beside test/support/speech.ts (which engines are
 * installed): Node-RED's httpNode app served on a port of its own (the test helper does not serve it), so that the
 * simulator fetches the speech node's audio from it as Asterisk would; a block of tests that all speak; a bot node.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { needsEngines } from './speech';
import { useTempDir } from './temp-dir';

/** In a beforeEach: skips the test, saying why, when espeak-ng is missing. */
export function skipWithoutEspeak(context: Mocha.Context): void {
  needsEngines(context, { espeak: true });
}

/**
 * Serves the httpNode app of the Node-RED the test loads: pass `captureHttpNode` among the node modules given to
 * helper.load; `publicUrl()` is where it answers (a speech node's publicUrl).
 */
export function useNodeHttp(): { publicUrl: () => string; captureHttpNode: (RED: { httpNode?: unknown }) => void } {
  let nodeApp: http.RequestListener | undefined;
  let server: http.Server | undefined;
  let url = '';
  before(async function () {
    const s = http.createServer((req, res) => (nodeApp ? nodeApp(req, res) : res.writeHead(503).end()));
    server = s;
    s.listen(0, '127.0.0.1');
    await new Promise((resolve) => s.once('listening', resolve));
    url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  });
  after(function () {
    server?.closeAllConnections();
    server?.close();
  });
  return {
    publicUrl: () => url,
    captureHttpNode: (RED) => {
      nodeApp = RED.httpNode as http.RequestListener;
    },
  };
}

/**
 * A block of tests that all speak: each is skipped without espeak-ng, and gets a temporary folder (`dir()`, a speech
 * node's folder) removed after it; Node-RED's httpNode app served as useNodeHttp does.
 */
export function useSpeakingTests(prefix: string): { dir: () => string; publicUrl: () => string; captureHttpNode: (RED: { httpNode?: unknown }) => void } {
  const web = useNodeHttp();
  const temp = useTempDir(prefix);
  beforeEach(function () {
    skipWithoutEspeak(this);
  });
  return { ...web, dir: () => temp.path };
}

/** A callflow-bot as the tests set it up: the speech node `sp`, a webhook at `url`, short waits, errors on its error output. */
export function robotNode(id: string, url: string, settings: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    type: 'callflow-bot',
    speech: 'sp',
    kind: 'webhook',
    url,
    model: '',
    instructions: '',
    greeting: 'Hello, how can I help?',
    maxTurns: 5,
    timeoutSec: 5,
    startTimeoutSec: 5,
    speechMaxSec: 10,
    endSilenceMs: 600,
    language: 'en',
    onError: 'output',
    ...settings,
  };
}
