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
import http from 'node:http';
import https from 'node:https';
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
    const answer = await this.slots.run(() => this.post(body, request.signal), request.signal);
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

  private post(body: string, signal: AbortSignal | undefined): Promise<{ status: number; contentType: string; body: Buffer }> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(new SpeechError('aborted', `${this.shown}: cancelled`));
        return;
      }
      const headers: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), accept: 'audio/wav' };
      if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
      const client = this.url.protocol === 'https:' ? https : http;
      let settled = false;
      const finish = (err: SpeechError | undefined, value?: { status: number; contentType: string; body: Buffer }): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err) {
          req.destroy();
          reject(err);
        } else resolve(value as { status: number; contentType: string; body: Buffer });
      };
      const req = client.request(this.url, { method: 'POST', headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > this.maxBytes) finish(new SpeechError('too-large', `${this.shown} sent more than ${this.maxBytes} bytes`));
          else chunks.push(chunk);
        });
        res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks) }));
        res.on('error', (err) => finish(new SpeechError('unavailable', `${this.shown}: the answer was cut short (${err.message})`)));
        res.on('aborted', () => finish(new SpeechError('unavailable', `${this.shown}: the answer was cut short`)));
      });
      const timer = setTimeout(() => finish(new SpeechError('timeout', `${this.shown} did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      const onAbort = (): void => finish(new SpeechError('aborted', `${this.shown}: cancelled`));
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (err) => finish(new SpeechError('unavailable', `${this.shown} could not be reached (${err.message})`)));
      req.end(body);
    });
  }
}

/** ": <message>" from an error answer ({"error":{"message":...}} as OpenAI sends it, else its text), or ''. */
function errorMessage(body: Buffer): string {
  const text = body.subarray(0, 4000).toString('utf8');
  let message = text;
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const m = typeof parsed.error === 'object' ? parsed.error?.message : (parsed.error ?? parsed.message);
    if (typeof m === 'string') message = m;
  } catch {
    // not JSON: its text
  }
  const shown = outsideText(message, 200);
  return shown ? `: ${shown}` : '';
}
