/** The plugin as bench/ivr runs it: the "IVR menu" example in Node-RED, embedded in this process, no editor. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readExamples } from '../lib/playground/home';
import { listEngines, type Engine } from '../nodes/deployed/engine';
import type { AppUnderTest } from './ivr-apps';
import { nodeRed, startEmbeddedNodeRed } from './support';

/** The IVR menu example, on the simulator at `url`; the collect waits 5 s between keys (callers pause up to 3 s). */
export function benchFlows(url: string): Record<string, unknown>[] {
  const example = readExamples().find((e) => e.name === 'IVR menu');
  if (!example) throw new Error('examples/IVR menu.json is missing');
  return example.nodes.map((n) => {
    if (n.type === 'callflow-asterisk') return { ...n, useSimulator: false, url, idleTimeoutSec: '120' };
    if (n.type === 'callflow-collect') return { ...n, interDigitTimeoutSec: 5 };
    // No editor to show them to.
    if (n.type === 'debug') return { ...n, active: false };
    return n;
  });
}

/** The example in Node-RED, embedded in this process, connected to the simulator at `url` (application "callflow"). */
export async function startPlugin(url: string): Promise<AppUnderTest> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callflow-bench-'));
  try {
    await startEmbeddedNodeRed({ dir, flows: benchFlows(url), credentials: { c0ffee0000000001: { username: 'asterisk', password: 'asterisk' } }, logLevel: 'warn' });
    const engine = await connectedEngine();
    return {
      name: 'plugin',
      callCount: () => engine.callCount,
      onEnded: (listener) => engine.calls.onEnded(listener),
      leftovers: () => `calls left in the registry: ${engine.callCount}; channels watched: ${engine.telephony.watchedChannels}`,
      stop: async () => {
        await nodeRed().stop().catch(() => undefined);
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** The first engine (callflow-asterisk connection) of the embedded Node-RED, once it is connected; 20 s at most. */
export function connectedEngine(): Promise<Engine> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the connection did not come up within 20 s')), 20_000);
    const look = (): void => {
      const engine = listEngines()[0];
      if (!engine) {
        setTimeout(look, 50);
        return;
      }
      const off = engine.onStatus((s) => {
        if (s.state !== 'connected') return;
        clearTimeout(timer);
        queueMicrotask(() => off());
        resolve(engine);
      });
    };
    look();
  });
}
