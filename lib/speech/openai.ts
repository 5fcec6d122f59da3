/**
 * An OpenAI-compatible speech API: POST <base>/v1/audio/speech with
 * {"model", "input", "voice", "response_format": "wav"} and the key as a
 * Bearer token; the answer is a WAV file. The same request serves OpenAI and
 * the servers that copy its API (LocalAI, openedai-speech, Kokoro-FastAPI...).
 *
 * One deadline covers connecting, the answer and its body; the body is read up
 * to maxBytes and the socket destroyed past it; redirects are not followed (a
 * key must not travel to another host). Errors name the provider by its
 * origin, and its status and message, never the key.
 */
import { errorMessage, postBounded } from './post';
import { Slots } from './slots';
import { SpeechError, outsideText, type SpeechProvider, type SpeechRequest } from './provider';
import { NotAudioError, parseWav, type Pcm } from './wav';

export interface OpenAiSpeechOptions {
  /** https://api.openai.com, or https://host/v1 (the path /v1/audio/speech is completed). */
  baseUrl: string;
  model: string;
  /** The default voice (alloy, nova...), when a request names none. */
  voice: string;
  /** Sent as "Authorization: Bearer <key>" when not empty. */
  apiKey: string;
  timeoutMs?: number;
  /** Default 16 MB. */
  maxBytes?: number;
  /** Requests at once (default 4). */
  concurrency?: number;
}

/** The URL the request goes to: the base with /v1/audio/speech (or /audio/speech after a /v1). */
export function speechUrl(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl.trim());
  } catch {
    throw new SpeechError('refused', `openai speech: the base URL ${JSON.stringify(outsideText(baseUrl, 100))} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SpeechError('refused', `openai speech: the base URL must be http(s) (got ${url.protocol})`);
  if (url.username || url.password) throw new SpeechError('refused', 'openai speech: put the key in the API key field, not in the base URL');
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = /\/v1$/.test(path) ? `${path}/audio/speech` : `${path}/v1/audio/speech`;
  url.search = '';
  url.hash = '';
  return url;
}

export class OpenAiSpeech implements SpeechProvider {
  readonly identity: string;
  private readonly url: URL;
  private readonly slots: Slots;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;

  constructor(private readonly options: OpenAiSpeechOptions) {
    this.url = speechUrl(options.baseUrl);
    this.identity = `openai ${this.url.origin}${this.url.pathname} ${options.model}`;
    this.slots = new Slots(options.concurrency ?? 4);
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  }

  private get shown(): string {
    return `openai speech (${this.url.origin})`;
  }

  async synthesize(request: SpeechRequest): Promise<Pcm> {
    const body = JSON.stringify({ model: this.options.model, input: request.text, voice: request.voice || this.options.voice, response_format: 'wav' });
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'audio/wav' };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    const answer = await this.slots.run(() => postBounded(this.url, headers, Buffer.from(body), { timeoutMs: this.timeoutMs, maxBytes: this.maxBytes, shown: this.shown, signal: request.signal }), request.signal);
    if (answer.status === 401 || answer.status === 403) throw new SpeechError('auth', `${this.shown} refused the API key (HTTP ${answer.status})${errorMessage(answer.body)}`);
    if (answer.status < 200 || answer.status > 299) {
      throw new SpeechError(answer.status >= 400 && answer.status < 500 ? 'refused' : 'unavailable', `${this.shown} answered HTTP ${answer.status}${errorMessage(answer.body)}`);
    }
    try {
      return parseWav(answer.body);
    } catch (err) {
      if (!(err instanceof NotAudioError)) throw err;
      const type = outsideText(answer.contentType, 60);
      throw new SpeechError('not-audio', `${this.shown} answered something that is not WAV audio (${err.message}; Content-Type ${type || 'none'}, ${answer.body.length} bytes)`);
    }
  }

}
