/** The callflow-bot element's settings: the bot endpoint, what is said first and how the voice reaches the caller, the turn limit, how speech is heard. */
import { onError, speech, type OnError } from './elements';
import { Validator } from './validator';

export interface BotConfig {
  name?: string;
  /** The callflow-speech node that speaks the replies and recognises the caller. */
  speech: string;
  /** webhook: POST {call, turn, text, history} answered {reply, action, queue, data}; chat: OpenAI-compatible chat completions. */
  kind: 'webhook' | 'chat';
  /** webhook: its URL; chat: the API's base URL. */
  url: string;
  /** chat: the model. */
  model: string;
  /** chat: the system prompt. */
  instructions: string;
  /** Said first ('' : the caller speaks first). */
  greeting: string;
  /**
   * How the robot's voice (greeting and replies) reaches the caller: `playback`, an Asterisk playback of the synthesised
   * file Asterisk fetches; `stream`, the plugin sends the audio itself over the robot's media path, bridged with the call.
   */
  voicePath: 'playback' | 'stream';
  maxTurns: number;
  /** The caller silent this many listenings in a row ends the conversation (outcome `silence`); 0: no limit. */
  maxSilences: number;
  /** The bot's deadline per turn (s). */
  timeoutSec: number;
  /** The wait for the caller to start speaking after a reply (s). */
  startTimeoutSec: number;
  speechMaxSec: number;
  endSilenceMs: number;
  language: string;
  /** Record the call from the robot's first turn to the hangup (lib/call/recording.ts), unless it is recorded already. */
  record: boolean;
  onError: OnError;
}

const URL_PATTERN = '^https?://[^\\s"\\\\<>\\u0000-\\u001f\\u007f]{1,490}$';
const TEXT = (max: number, what: string) => ({ type: 'string', pattern: `^[^\\u0000-\\u001f\\u007f]{0,${max}}$`, default: '', description: `${what}: at most ${max} characters, one line` }) as const;

export const botConfig = new Validator<BotConfig>('callflow-bot', {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 100, description: 'a name of at most 100 characters' },
    speech,
    kind: { type: 'string', enum: ['webhook', 'chat'], default: 'webhook', description: 'webhook or chat (OpenAI-compatible chat completions)' },
    url: { type: 'string', pattern: URL_PATTERN, default: 'http://127.0.0.1:1880/bot', description: 'an http(s) URL such as http://127.0.0.1:1880/bot' },
    model: { type: 'string', pattern: '^[A-Za-z0-9_.:/-]{0,100}$', default: '', description: 'a model name: letters, digits, _ . : / -' },
    instructions: TEXT(2000, 'the instructions'),
    greeting: TEXT(500, 'the greeting'),
    voicePath: { type: 'string', enum: ['playback', 'stream'], default: 'playback', description: 'playback (Asterisk plays the synthesised file) or stream (sent over the robot\'s media path)' },
    maxTurns: { type: 'integer', minimum: 1, maximum: 50, default: 10, description: 'a whole number of turns from 1 to 50' },
    maxSilences: { type: 'integer', minimum: 0, maximum: 10, default: 3, description: 'a whole number of silences in a row from 0 (no limit) to 10' },
    timeoutSec: { type: 'number', minimum: 1, maximum: 60, default: 10, description: 'seconds from 1 to 60' },
    startTimeoutSec: { type: 'number', minimum: 1, maximum: 60, default: 8, description: 'seconds from 1 to 60' },
    speechMaxSec: { type: 'integer', minimum: 1, maximum: 60, default: 15, description: 'whole seconds of speech from 1 to 60' },
    endSilenceMs: { type: 'integer', minimum: 200, maximum: 5000, default: 800, description: 'milliseconds of silence from 200 to 5000' },
    language: { type: 'string', pattern: '^([a-z]{2,3}([_-][A-Za-z0-9]{2,8})?)?$', default: '', description: 'a language code such as en, fr or pt_BR (empty: the call\'s)' },
    record: { type: 'boolean', default: false, description: 'true or false' },
    onError,
    outputs: { type: 'integer', minimum: 0, maximum: 20, description: 'the number of outputs' },
  },
  required: ['speech', 'kind', 'url', 'model', 'instructions', 'greeting', 'voicePath', 'maxTurns', 'maxSilences', 'timeoutSec', 'startTimeoutSec', 'speechMaxSec', 'endSilenceMs', 'language', 'record', 'onError'],
});
