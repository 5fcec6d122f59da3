/** The callflow-speech config node: who speaks say: prompts, how Asterisk gets the audio, and who recognises speech (docs/speech.md). */
import { Validator } from './validator';

export type SpeechProviderKind = 'local' | 'openai';
export type RecogniserKind = 'none' | 'whisper' | 'pocketsphinx' | 'vosk';

export interface SpeechConfig {
  name?: string;
  /** local: espeak-ng on this machine; openai: an OpenAI-compatible POST /v1/audio/speech. */
  provider: SpeechProviderKind;
  /** The voice: an espeak-ng voice (en-us, en-us+f3; '' : from the language) or the API's (alloy). */
  voice: string;
  /** The language when an element sets none ('' : en). */
  language: string;
  /** openai: the API's base URL. */
  baseUrl: string;
  /** openai: the model. */
  model: string;
  /** The sample rate of the audio Asterisk plays: 8000 (wav) or 16000 (wav16). */
  rate: 8000 | 16000;
  /** http: Node-RED serves the audio, Asterisk fetches it; shared: files in a folder Asterisk reads as sounds. */
  delivery: 'http' | 'shared';
  /** http: Node-RED's address as Asterisk reaches it ('' : http://127.0.0.1:<Node-RED's port>). */
  publicUrl: string;
  /** Where the audio is kept ('' : callflow-speech/<node id> in the Node-RED user directory; shared: the shared folder). */
  directory: string;
  /** shared: the folder as Asterisk names it, relative to its sounds folder (callflow-tts: sound:callflow-tts/<id>). */
  soundPrefix: string;
  /** The most the cache keeps on disk, in MB. */
  cacheMB: number;
  /** A synthesis's deadline, in seconds. */
  timeoutSec: number;
  /** Syntheses at once (and recognitions at once). */
  concurrency: number;
  /**
   * Speech input: none, a Whisper-compatible POST /v1/audio/transcriptions, pocketsphinx on this machine (US English),
   * or a Vosk server over WebSocket (the key of whisper and vosk in the credentials, sttApiKey).
   */
  recognizer: RecogniserKind;
  /** whisper: the API's base URL. */
  sttBaseUrl: string;
  /** whisper: the model. */
  sttModel: string;
  /** vosk: the server's WebSocket URL. */
  voskUrl: string;
  /** whisper: verbose_json (a confidence from the segments) or json (text only). */
  sttFormat: 'verbose_json' | 'json';
  /** The longest speech sent for recognition, in seconds. */
  sttMaxSec: number;
}

const URL_PATTERN = '^(https?://[^\\s"\\\\<>\\u0000-\\u001f\\u007f]{1,490})?$';

export const speechConfig = new Validator<SpeechConfig>('callflow-speech', {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 100, description: 'a name of at most 100 characters' },
    provider: { type: 'string', enum: ['local', 'openai'], default: 'local', description: 'local (espeak-ng) or openai (an OpenAI-compatible API)' },
    voice: {
      type: 'string',
      pattern: '^([A-Za-z0-9][A-Za-z0-9_.-]{0,39}(\\+[A-Za-z0-9_-]{1,20})?)?$',
      default: '',
      description: 'a voice name such as en-us, en-us+f3 or alloy: letters, digits, _ . - and an optional +variant (empty: from the language)',
    },
    language: { type: 'string', pattern: '^([a-z]{2,3}([_-][A-Za-z0-9]{2,8})?)?$', default: '', description: 'a language code such as en, fr or pt_BR (empty: en)' },
    baseUrl: { type: 'string', pattern: URL_PATTERN, default: 'https://api.openai.com', description: 'an http(s) URL such as https://api.openai.com' },
    model: { type: 'string', pattern: '^[A-Za-z0-9_.:/-]{1,100}$', default: 'tts-1', description: 'a model name such as tts-1: letters, digits, _ . : / -' },
    rate: { type: 'integer', enum: [8000, 16000], default: 8000, description: '8000 or 16000' },
    delivery: { type: 'string', enum: ['http', 'shared'], default: 'http', description: 'http (Node-RED serves the audio) or shared (a folder Asterisk reads)' },
    publicUrl: { type: 'string', pattern: URL_PATTERN, default: '', description: "Node-RED's address as Asterisk reaches it, such as http://10.0.0.5:1880 (empty: http://127.0.0.1 and Node-RED's port)" },
    directory: { type: 'string', pattern: '^[^\\u0000-\\u001f]{0,500}$', default: '', description: 'a folder path of at most 500 characters (empty: in the Node-RED user directory)' },
    soundPrefix: {
      type: 'string',
      pattern: '^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}(/[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}){0,7}$',
      default: 'callflow-tts',
      description: "the folder's name under Asterisk's sounds folder, such as callflow-tts (letters, digits, _ . -, parts separated by /, no leading / or ..)",
    },
    cacheMB: { type: 'integer', minimum: 1, maximum: 100000, default: 200, description: 'whole megabytes from 1 to 100000' },
    timeoutSec: { type: 'number', minimum: 1, maximum: 120, default: 15, description: 'seconds from 1 to 120' },
    concurrency: { type: 'integer', minimum: 1, maximum: 64, default: 2, description: 'a whole number of syntheses at once from 1 to 64' },
    recognizer: {
      type: 'string',
      enum: ['none', 'whisper', 'pocketsphinx', 'vosk'],
      default: 'none',
      description: 'none, whisper (a Whisper-compatible API), pocketsphinx (local, US English) or vosk (a Vosk server)',
    },
    sttBaseUrl: { type: 'string', pattern: URL_PATTERN, default: 'https://api.openai.com', description: 'an http(s) URL such as https://api.openai.com' },
    sttModel: { type: 'string', pattern: '^[A-Za-z0-9_.:/-]{1,100}$', default: 'whisper-1', description: 'a model name such as whisper-1: letters, digits, _ . : / -' },
    voskUrl: { type: 'string', pattern: '^wss?://[^\\s"\\\\<>\\u0000-\\u001f\\u007f]{1,490}$', default: 'ws://127.0.0.1:2700', description: 'a ws:// or wss:// URL such as ws://127.0.0.1:2700' },
    sttFormat: { type: 'string', enum: ['verbose_json', 'json'], default: 'verbose_json', description: 'verbose_json (with a confidence) or json (text only)' },
    sttMaxSec: { type: 'integer', minimum: 1, maximum: 120, default: 30, description: 'whole seconds from 1 to 120' },
  },
  required: ['provider', 'voice', 'language', 'baseUrl', 'model', 'rate', 'delivery', 'publicUrl', 'directory', 'soundPrefix', 'cacheMB', 'timeoutSec', 'concurrency', 'recognizer', 'sttBaseUrl', 'sttModel', 'voskUrl', 'sttFormat', 'sttMaxSec'],
  allOf: [
    {
      if: { properties: { provider: { const: 'openai' } }, required: ['provider'] },
      then: { properties: { baseUrl: { type: 'string', minLength: 1, description: 'the API\'s base URL is required for the openai provider' } } },
    },
    {
      if: { properties: { recognizer: { const: 'whisper' } }, required: ['recognizer'] },
      then: { properties: { sttBaseUrl: { type: 'string', minLength: 1, description: 'the API\'s base URL is required for the whisper recogniser' } } },
    },
    {
      if: { properties: { delivery: { const: 'shared' } }, required: ['delivery'] },
      then: { properties: { directory: { type: 'string', minLength: 1, description: 'the shared folder is required when Asterisk reads the audio from a folder' } } },
    },
  ],
});
