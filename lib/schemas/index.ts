/** Every schema, by the node type (or document) it checks; the build compiles them for the editor. */
import { asteriskConfig } from './asterisk';
import { answerConfig, entryConfig, hangupConfig, playConfig, playOverride } from './elements';
import type { Validator } from './validator';

export const SCHEMAS: Readonly<Record<string, Validator<unknown>>> = {
  'callflow-asterisk': asteriskConfig,
  'callflow-entry': entryConfig,
  'callflow-answer': answerConfig,
  'callflow-play': playConfig,
  'callflow-play/override': playOverride,
  'callflow-hangup': hangupConfig,
};

export { Validator, ValidationError, describeErrors, type Check } from './validator';
