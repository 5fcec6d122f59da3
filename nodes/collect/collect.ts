/**
 * callflow-collect: collects digits (an account number, a PIN) after a
 * prompt, with retries; the digits land in msg.call.vars under a name the
 * user picks, and in msg.payload.
 */
import { collect } from '../../lib/ivr/collect';
import { collectConfig, type CollectConfig } from '../../lib/schemas/elements';
import { defineElement } from '../shared/element';
import type { NodeAPI } from '../shared/red';

const OUTPUT = { collected: 0, timeout: 1, invalid: 2 } as const;

function patternOf(config: CollectConfig): RegExp | undefined {
  return config.pattern ? new RegExp(`^(?:${config.pattern})$`) : undefined;
}

export = function register(RED: NodeAPI): void {
  defineElement(RED, {
    type: 'callflow-collect',
    element: 'collect',
    dir: __dirname,
    validator: collectConfig,
    outputs: () => 3,
    check: (config) => {
      try {
        patternOf(config);
        return [];
      } catch (err) {
        return [`pattern: not a valid regular expression (${(err as Error).message})`];
      }
    },
    async run({ config, engine, session, signal }) {
      const request = {
        prompts: config.prompts,
        minDigits: config.minDigits,
        maxDigits: config.maxDigits,
        firstDigitTimeoutSec: config.firstDigitTimeoutSec ?? session.settings.firstDigitTimeoutSec ?? 5,
        interDigitTimeoutSec: config.interDigitTimeoutSec ?? session.settings.interDigitTimeoutSec ?? 3,
        terminator: config.terminator,
        retries: config.retries,
        invalidPrompts: config.invalidPrompts,
        timeoutPrompts: config.timeoutPrompts,
        language: config.language,
      };
      const pattern = patternOf(config);
      const result = await collect(engine.telephony, session, pattern ? { ...request, pattern } : request, signal);
      if (result.outcome === 'collected') session.vars[config.variable] = result.digits;
      return { output: OUTPUT[result.outcome], outcome: result.outcome, payload: { ...result } };
    },
  });
};
