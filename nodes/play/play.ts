/**
 * callflow-play: plays prompts to the caller (sound files, recordings,
 * numbers, digits, characters, tones, http(s) URLs), optionally letting a
 * key press interrupt them (barge-in), a number of times.
 */
import { playConfig, playOverride } from '../../lib/schemas/elements';
import { play } from '../../lib/ivr/play';
import { ValidationError } from '../../lib/schemas/validator';
import { playResults } from '../../lib/flow-test/results';
import { defineElement } from '../element/element';
import type { NodeAPI } from '../red/api';
import { sayProblems, speakerFor } from '../speech/config';

export = function register(RED: NodeAPI): void {
  defineElement(RED, {
    type: 'callflow-play',
    element: 'play',
    dir: __dirname,
    validator: playConfig,
    results: () => playResults(),
    check: (config) => sayProblems(config.speech, { prompts: config.prompts }),
    async run({ config, t, engine, session, msg, signal }) {
      const override = playOverride.check({
        ...(msg.prompts !== undefined ? { prompts: typeof msg.prompts === 'string' ? [msg.prompts] : msg.prompts } : {}),
        ...(msg.language !== undefined ? { language: msg.language } : {}),
      });
      if (!override.ok) throw new ValidationError('', override.problems.map((p) => `msg.${p}`));
      // An override is for this node only: the next play node plays its own prompts.
      delete msg.prompts;
      delete msg.language;
      const prompts = override.value.prompts ?? config.prompts;
      if (prompts.length === 0) throw new Error(t('callflow-play.errors.no-prompts'));
      const speaker = speakerFor(RED, config.speech);
      const result = await play(engine.telephony, session, { ...config, prompts, language: override.value.language ?? config.language, ...(speaker ? { speaker } : {}) }, signal);
      return { output: 0, outcome: result.outcome, payload: result.digit === undefined ? { outcome: result.outcome } : { outcome: result.outcome, digit: result.digit } };
    },
  });
};
