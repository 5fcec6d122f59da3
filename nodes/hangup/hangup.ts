/** callflow-hangup: ends the call with a reason (a Q.850 cause; before answer, the SIP response the caller gets). */
import { hangupConfig } from '../../lib/schemas/elements';
import { hangup } from '../../lib/ivr/hangup';
import { hangupResults } from '../../lib/flow-test/results';
import { defineElement } from '../element/element';
import type { NodeAPI } from '../red/api';

export = function register(RED: NodeAPI): void {
  defineElement(RED, {
    type: 'callflow-hangup',
    element: 'hangup',
    dir: __dirname,
    validator: hangupConfig,
    results: () => hangupResults(),
    async run({ config, engine, session, traceOutcome }) {
      traceOutcome('hangup');
      await hangup(engine.calls, session, config.reason);
      return { output: null, outcome: 'hangup' };
    },
  });
};
