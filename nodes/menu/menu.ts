/** callflow-menu: a prompt, then one output per key the caller may press, plus timeout and invalid. */
import { menu } from '../../lib/ivr/collect';
import { menuConfig } from '../../lib/schemas/elements';
import { menuResults } from '../../lib/flow-test/results';
import { defineElement } from '../element/element';
import type { NodeAPI } from '../red/api';
import { inputProblems, saidForTrace, sayProblems, speakerFor, speechInputFor } from '../speech/config';

/** Each option's phrases: the comma-separated list of the form, trimmed, empty ones dropped. */
function optionPhrases(phrases: readonly string[], options: number): string[][] {
  return Array.from({ length: options }, (_, i) =>
    (phrases[i] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== ''),
  );
}

export = function register(RED: NodeAPI): void {
  defineElement(RED, {
    type: 'callflow-menu',
    element: 'menu',
    dir: __dirname,
    validator: menuConfig,
    outputs: (config) => config.options.length + 2,
    results: (config) => menuResults(config),
    check: (config) => {
      const problems = [...sayProblems(config.speech, { prompts: config.prompts, invalidPrompts: config.invalidPrompts, timeoutPrompts: config.timeoutPrompts }), ...inputProblems(RED, config.speech, config.input)];
      if (config.input !== 'keys' && optionPhrases(config.phrases, config.options.length).some((p) => p.length === 0)) problems.push('phrases: with speech input, every option needs at least one phrase');
      return problems;
    },
    // Not async: the call waits in menu() alone, not in a frame of this function too (the result is mapped by a reaction).
    run({ config, engine, session, signal }) {
      const phrases = config.input === 'keys' ? undefined : optionPhrases(config.phrases, config.options.length);
      const timeoutSec = config.timeoutSec ?? session.settings.firstDigitTimeoutSec ?? 5;
      return menu(
        engine.telephony,
        session,
        {
          prompts: config.prompts,
          keys: config.options,
          repeatKey: config.repeatKey,
          timeoutSec,
          retries: config.retries,
          invalidPrompts: config.invalidPrompts,
          timeoutPrompts: config.timeoutPrompts,
          language: config.language,
          speaker: config.speech ? speakerFor(RED, config.speech) : undefined,
          speech: speechInputFor(RED, config.input, config, engine, session, timeoutSec * 1000, phrases?.flat()),
          phrases,
        },
        signal,
      ).then((result) => {
        const options = config.options.length;
        const spoken = result.outcome === 'timeout' ? undefined : result.spoken;
        if (spoken) {
          session.vars.speechText = spoken.text;
          session.vars.speechConfidence = spoken.confidence;
        }
        const said = spoken ? ` ${saidForTrace(spoken)}` : '';
        if (result.outcome === 'option') {
          const label = config.labels[result.index];
          // Two literals, not `{ ..., ...(label ? { label } : {}), attempts }`: that gave each call's payload a hidden class of its own (issue 14).
          const payload = label ? { outcome: 'option', key: result.key, label, attempts: result.attempts } : { outcome: 'option', key: result.key, attempts: result.attempts };
          if (spoken) Object.assign(payload, { spoken });
          return { output: result.index, outcome: `option ${result.key}${said}`, payload };
        }
        return { output: result.outcome === 'timeout' ? options : options + 1, outcome: `${result.outcome}${said}`, payload: { ...result } };
      });
    },
  });
};
