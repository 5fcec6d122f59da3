/** callflow-response: refuses the call with a SIP response, optionally after early media. */
import { respond } from '../../lib/ivr/response';
import { responseConfig } from '../../lib/schemas/elements';
import { responseResults } from '../../lib/flow-test/results';
import { defineElement } from '../element/element';
import type { NodeAPI } from '../red/api';

export = function register(RED: NodeAPI): void {
  defineElement(RED, {
    type: 'callflow-response',
    element: 'response',
    dir: __dirname,
    validator: responseConfig,
    outputs: () => 0,
    results: (config) => responseResults(config),
    async run({ config, engine, session, signal, traceOutcome }) {
      const outcome = (sent: boolean, cause: number): string =>
        sent ? `SIP ${config.code}${config.reason ? ` ${config.reason}` : ''}` : `hung up with cause ${cause} (already answered)`;
      const result = await respond(
        engine.telephony,
        engine.calls,
        session,
        { code: config.code, reason: config.reason, media: config.media, language: config.language },
        signal,
        (r) => traceOutcome(outcome(r.sent, r.cause)),
      );
      return { output: null, outcome: outcome(result.sent, result.cause) };
    },
  });
};
