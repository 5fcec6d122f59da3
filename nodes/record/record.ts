/** callflow-record: records the caller; the recording's name and length land in msg.call.vars and msg.payload. */
import { record } from '../../lib/ivr/record';
import { recordConfig } from '../../lib/schemas/elements';
import { recordResults } from '../../lib/flow-test/results';
import { defineElement } from '../element/element';
import type { NodeAPI } from '../red/api';
import { sayProblems, speakerFor } from '../speech/config';
import { put } from '../../lib/own';

export = function register(RED: NodeAPI): void {
  defineElement(RED, {
    type: 'callflow-record',
    element: 'record',
    dir: __dirname,
    validator: recordConfig,
    results: (config) => recordResults(config),
    check: (config) => sayProblems(config.speech, { prompts: config.prompts }),
    async run({ config, engine, session, signal }) {
      // The name is in msg.call.vars from the start: a caller who hangs up mid-message leaves it to the call-end report.
      const recording: { name: string; format: string; durationSec: number | null; state: string } = { name: '', format: config.format, durationSec: null, state: 'recording' };
      const hungUp = (): void => {
        if (recording.name) recording.state = 'call ended';
      };
      // Synchronous with the call's end, so the call-end report (which may go out first) has it.
      session.signal.addEventListener('abort', hungUp, { once: true });
      let outcome;
      try {
        outcome = await record(engine.telephony, session, { ...config, ...(config.speech ? { speaker: speakerFor(RED, config.speech) } : {}) }, signal, (name) => {
          recording.name = name;
          put(session.vars, config.variable, recording);
        });
      } finally {
        session.signal.removeEventListener('abort', hungUp);
      }
      Object.assign(recording, { name: outcome.name, format: outcome.format, durationSec: outcome.durationSec ?? 0, state: outcome.state });
      return { output: 0, outcome: 'recorded', payload: { outcome: 'recorded', ...recording } };
    },
  });
};
