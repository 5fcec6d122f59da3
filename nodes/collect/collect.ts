/**
 * callflow-collect: collects digits (an account number, a PIN) after a
 * prompt, with retries; the digits land in msg.call.vars under a name the
 * user picks, and in msg.payload.
 */
import { collect } from '../../lib/ivr/collect';
import { DigitPattern, PatternError } from '../../lib/ivr/pattern';
import { collectConfig, type CollectConfig } from '../../lib/schemas/elements';
import { registerPatternApi } from '../admin/patterns';
import { collectResults } from '../../lib/flow-test/results';
import { defineElement } from '../element/element';
import type { NodeAPI } from '../red/api';
import { inputProblems, saidForTrace, sayProblems, speakerFor, speechInputFor } from '../speech/config';
import { put } from '../../lib/own';

const OUTPUT = { collected: 0, timeout: 1, invalid: 2 } as const;

/** Each node's pattern, compiled once when its settings are checked (the settings object is the node's). */
const compiled = new WeakMap<CollectConfig, DigitPattern>();

export = function register(RED: NodeAPI): void {
  registerPatternApi(RED);
  defineElement(RED, {
    type: 'callflow-collect',
    element: 'collect',
    dir: __dirname,
    validator: collectConfig,
    outputs: () => 3,
    results: (config) => {
      const pattern = config.pattern ? (compiled.get(config) ?? DigitPattern.compile(config.pattern)) : undefined;
      return collectResults(config, (digits) => !pattern || pattern.matches(digits));
    },
    check: (config) => {
      const say = [...sayProblems(config.speech, { prompts: config.prompts, invalidPrompts: config.invalidPrompts, timeoutPrompts: config.timeoutPrompts }), ...inputProblems(RED, config.speech, config.input)];
      if (say.length > 0) return say;
      if (!config.pattern) return [];
      try {
        compiled.set(config, DigitPattern.compile(config.pattern));
        return [];
      } catch (err) {
        if (err instanceof PatternError) return [`pattern: ${err.message}`];
        throw err;
      }
    },
    // Not async: the call waits in collect() alone, not in a frame of this function too (the result is mapped by a reaction).
    run({ config, engine, session, signal }) {
      // One literal with the pattern in it: `{ ...request, pattern }` gave each call's request a hidden class of its own (issue 14).
      const firstDigitTimeoutSec = config.firstDigitTimeoutSec ?? session.settings.firstDigitTimeoutSec ?? 5;
      const request = {
        prompts: config.prompts,
        minDigits: config.minDigits,
        maxDigits: config.maxDigits,
        firstDigitTimeoutSec,
        interDigitTimeoutSec: config.interDigitTimeoutSec ?? session.settings.interDigitTimeoutSec ?? 3,
        terminator: config.terminator,
        retries: config.retries,
        invalidPrompts: config.invalidPrompts,
        timeoutPrompts: config.timeoutPrompts,
        language: config.language,
        pattern: config.pattern ? (compiled.get(config) ?? DigitPattern.compile(config.pattern)) : undefined,
        speaker: config.speech ? speakerFor(RED, config.speech) : undefined,
        speech: speechInputFor(RED, config.input, config, engine, session, firstDigitTimeoutSec * 1000, undefined, config.speechKind === 'digits'),
        speechKind: config.speechKind,
      };
      return collect(engine.telephony, session, request, signal).then((result) => {
        if (result.outcome === 'collected') put(session.vars, config.variable, result.digits);
        const spoken = result.outcome === 'timeout' ? undefined : result.spoken;
        if (spoken) {
          session.vars.speechText = spoken.text;
          session.vars.speechConfidence = spoken.confidence;
        }
        return { output: OUTPUT[result.outcome], outcome: spoken ? `${result.outcome} ${saidForTrace(spoken)}` : result.outcome, payload: { ...result } };
      });
    },
  });
};
