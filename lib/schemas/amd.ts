/**
 * The callflow-amd element's settings: AMD()'s parameters (apps/app_amd.c, defaults from lib/media/amd.ts) and what
 * to do after a MACHINE result (wait for the beep). The campaign's `amd` setting uses the same parameter schemas.
 */
import { AMD_DEFAULTS, type AmdParameters } from '../media/amd';
import { onError, type OnError } from './elements';
import { Validator } from './validator';

const ms = (what: string, def: number) => ({ type: 'integer', minimum: 0, maximum: 60000, default: def, description: `${what}: whole milliseconds from 0 to 60000` }) as const;

/** AMD()'s parameters as JSON schema properties, each with Asterisk's default. */
export const amdParameterProperties = {
  initialSilence: ms('the longest silence before the greeting', AMD_DEFAULTS.initialSilence),
  greeting: ms('the longest greeting', AMD_DEFAULTS.greeting),
  afterGreetingSilence: ms('the silence after the greeting that makes a human', AMD_DEFAULTS.afterGreetingSilence),
  totalAnalysisTime: { ...ms('the longest analysis', AMD_DEFAULTS.totalAnalysisTime), minimum: 100 },
  minimumWordLength: ms('the shortest word', AMD_DEFAULTS.minimumWordLength),
  betweenWordsSilence: ms('the silence between words', AMD_DEFAULTS.betweenWordsSilence),
  maximumNumberOfWords: { type: 'integer', minimum: 0, maximum: 100, default: AMD_DEFAULTS.maximumNumberOfWords, description: 'the most words in a greeting: a whole number from 0 to 100' },
  silenceThreshold: { type: 'integer', minimum: 0, maximum: 32767, default: AMD_DEFAULTS.silenceThreshold, description: 'the silence level: a whole number from 0 to 32767' },
  maximumWordLength: ms('the longest word', AMD_DEFAULTS.maximumWordLength),
} as const;

export interface AmdConfig extends AmdParameters {
  name?: string;
  /** After a MACHINE result, wait for the machine's beep before going on (so a notice is recorded whole). */
  waitForBeep: boolean;
  /** How long to wait for the beep (seconds). */
  beepTimeout: number;
  onError: OnError;
}

export const amdConfig = new Validator<AmdConfig>('callflow-amd', {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 100, description: 'a name of at most 100 characters' },
    ...amdParameterProperties,
    waitForBeep: { type: 'boolean', default: false, description: 'true or false' },
    beepTimeout: { type: 'integer', minimum: 1, maximum: 120, default: 30, description: 'whole seconds from 1 to 120' },
    onError,
    outputs: { type: 'integer', minimum: 0, maximum: 20, description: 'the number of outputs' },
  },
  required: ['onError'],
});
