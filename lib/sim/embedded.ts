/**
 * The simulated Asterisk a Node-RED process embeds when a connection is set
 * to "use the built-in simulated Asterisk": one per process, shared by every
 * such connection, started on first use and stopped when the last one lets
 * go. It listens on 127.0.0.1, on CALLFLOW_SIM_PORT (default 8088) or on any
 * free port when that one is taken, with a password made up for this
 * process, so no secret ever sits in a flow file.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../log';
import { Simulator } from './server';

export interface EmbeddedSimulator {
  url: string;
  username: string;
  password: string;
  simulator: Simulator;
  release(): void;
}

let embedded: { sim: Promise<Simulator>; users: number } | undefined;
/** The previous embedded simulator while it closes: a new one waits for its port. */
let closing: Promise<void> = Promise.resolve();

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

async function startEmbedded(logger: Logger): Promise<Simulator> {
  const options = {
    host: '127.0.0.1',
    username: 'callflow',
    password: randomBytes(12).toString('hex'),
    speed: envNumber('CALLFLOW_SIM_SPEED', 1) || 1,
    defaultApp: process.env.CALLFLOW_SIM_APP || 'callflow',
    logger,
  };
  const port = envNumber('CALLFLOW_SIM_PORT', 8088);
  let sim = new Simulator({ ...options, port });
  try {
    await sim.start();
  } catch (err) {
    if ((err as { code?: string }).code !== 'EADDRINUSE' || port === 0) throw err;
    sim = new Simulator({ ...options, port: 0 });
    await sim.start();
    logger.warn(`port ${port} is in use; the built-in simulated Asterisk listens on ${sim.url} instead`);
  }
  logger.info(`built-in simulated Asterisk on ${sim.url} (place a test call: POST ${sim.url}/sim/calls, see docs/simulator.md)`);
  return sim;
}

export async function acquireSimulator(logger: Logger): Promise<EmbeddedSimulator> {
  if (!embedded) embedded = { sim: closing.then(() => startEmbedded(logger)), users: 0 };
  const entry = embedded;
  entry.users += 1;
  let sim: Simulator;
  try {
    sim = await entry.sim;
  } catch (err) {
    if (embedded === entry) embedded = undefined;
    throw err;
  }
  let released = false;
  return {
    url: sim.url,
    username: sim.username,
    password: sim.password,
    simulator: sim,
    release: () => {
      if (released) return;
      released = true;
      entry.users -= 1;
      if (entry.users === 0 && embedded === entry) {
        embedded = undefined;
        closing = sim.close().catch(() => undefined);
      }
    },
  };
}

/** The running embedded simulator, if any (for the editor's test-call button and tests). */
export function currentSimulator(): Promise<Simulator> | undefined {
  return embedded?.sim;
}
