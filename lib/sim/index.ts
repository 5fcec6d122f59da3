/**
 * The simulated Asterisk: ARI over HTTP and WebSocket on loopback, with a
 * scripting API. See docs/simulator.md.
 */
export { Simulator, SimCall, type SimulatorServerOptions } from './server';
export { SimulatedAsterisk, type SimulatorOptions } from './asterisk';
export type { CallReport, InboundCallOptions, NumberBehaviour, ScriptStep, HeardEntry, TransferEntry } from './script';

import { Simulator, type SimulatorServerOptions } from './server';

/** Starts a simulator and resolves once it listens. */
export async function startSimulator(options: SimulatorServerOptions = {}): Promise<Simulator> {
  const sim = new Simulator(options);
  await sim.start();
  return sim;
}
