/** callflow-menu: a prompt, then one output per key the caller may press, plus timeout and invalid. */
import { menu } from '../../lib/ivr/collect';
import { menuConfig } from '../../lib/schemas/elements';
import { menuResults } from '../../lib/flow-test/results';
import { defineElement } from '../element/element';
import type { NodeAPI } from '../red/api';
import { sayProblems, speakerFor } from '../speech/config';

export = function register(RED: NodeAPI): void {
  defineElement(RED, {
    type: 'callflow-menu',
    element: 'menu',
    dir: __dirname,
    validator: menuConfig,
    outputs: (config) => config.options.length + 2,
    results: (config) => menuResults(config),
    check: (config) => sayProblems(config.speech, { prompts: config.prompts, invalidPrompts: config.invalidPrompts, timeoutPrompts: config.timeoutPrompts }),
    // Not async: the call waits in menu() alone, not in a frame of this function too (the result is mapped by a reaction).
    run({ config, engine, session, signal }) {
      return menu(
        engine.telephony,
        session,
        {
          prompts: config.prompts,
          keys: config.options,
          repeatKey: config.repeatKey,
          timeoutSec: config.timeoutSec ?? session.settings.firstDigitTimeoutSec ?? 5,
          retries: config.retries,
          invalidPrompts: config.invalidPrompts,
          timeoutPrompts: config.timeoutPrompts,
          language: config.language,
          speaker: config.speech ? speakerFor(RED, config.speech) : undefined,
        },
        signal,
      ).then((result) => {
        const options = config.options.length;
        if (result.outcome === 'option') {
          const label = config.labels[result.index];
          // Two literals, not `{ ..., ...(label ? { label } : {}), attempts }`: that gave each call's payload a hidden class of its own (issue 14).
          const payload = label ? { outcome: 'option', key: result.key, label, attempts: result.attempts } : { outcome: 'option', key: result.key, attempts: result.attempts };
          return { output: result.index, outcome: `option ${result.key}`, payload };
        }
        return { output: result.outcome === 'timeout' ? options : options + 1, outcome: result.outcome, payload: { ...result } };
      });
    },
  });
};
