/** callflow-answer: answers the call (nothing to do if it is already answered). */
import { answerConfig } from '../../lib/schemas/elements';
import { answer } from '../../lib/ivr/answer';
import { answerResults } from '../../lib/flow-test/results';
import { defineElement } from '../element/element';
import type { NodeAPI } from '../red/api';

export = function register(RED: NodeAPI): void {
  defineElement(RED, {
    type: 'callflow-answer',
    element: 'answer',
    dir: __dirname,
    validator: answerConfig,
    results: () => answerResults(),
    async run({ engine, session, signal }) {
      await answer(engine.telephony, session, signal);
      return { output: 0, outcome: 'answered' };
    },
  });
};
