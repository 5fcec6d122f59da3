/**
 * callflow-amd: answering-machine detection on the call (lib/media/detect.ts): human, machine or not sure, with
 * AMD()'s parameters; AMDSTATUS and AMDCAUSE land in msg.call.vars as AMD() sets them on the channel.
 */
import { amdResults } from '../../lib/flow-test/results';
import { detectMachine } from '../../lib/media/detect';
import { mediaSettingsFrom } from '../../lib/media/path';
import { amdConfig } from '../../lib/schemas/amd';
import { defineElement } from '../element/element';
import type { NodeAPI } from '../red/api';

const OUTPUT = { HUMAN: 0, MACHINE: 1, NOTSURE: 2 } as const;

export = function register(RED: NodeAPI): void {
  const media = (): ReturnType<typeof mediaSettingsFrom> => mediaSettingsFrom(RED.settings.callflowMedia);
  defineElement(RED, {
    type: 'callflow-amd',
    element: 'amd',
    dir: __dirname,
    validator: amdConfig,
    outputs: () => 3,
    results: () => amdResults(),
    check: () => {
      const m = media();
      return m.ok ? [] : [m.error];
    },
    async run({ config, engine, session, signal }) {
      const m = media();
      if (!m.ok) throw new Error(m.error);
      const { name: _name, onError: _onError, waitForBeep, beepTimeout, ...parameters } = config as typeof config & { outputs?: number };
      delete (parameters as { outputs?: number }).outputs;
      const d = await detectMachine(engine.telephony, session.channelId, m.settings, { parameters, waitForBeep, beepTimeoutMs: beepTimeout * 1000, signal, log: engine.log });
      if (d.status === 'HANGUP') return { output: null, outcome: 'hangup' };
      session.vars.AMDSTATUS = d.status;
      session.vars.AMDCAUSE = d.cause;
      const outcome = d.status === 'NOTSURE' ? 'notsure' : d.status.toLowerCase();
      const payload: Record<string, unknown> = { outcome, status: d.status, cause: d.cause, analysedMs: d.atMs };
      if (d.beep !== undefined) payload.beep = d.beep === null ? null : { frequencyHz: d.beep.frequencyHz, atMs: d.beep.endMs };
      return { output: OUTPUT[d.status], outcome, payload };
    },
  });
};
