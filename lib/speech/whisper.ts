/**
 * A Whisper-compatible transcription API: POST <base>/v1/audio/transcriptions,
 * multipart/form-data with the audio as a WAV file, the model, the language and
 * a prompt (the phrases expected), the key as a Bearer token. The same request
 * serves OpenAI and the servers that copy its API (faster-whisper-server,
 * LocalAI, whisper.cpp's server...).
 *
 * The audio is bounded before anything is sent (maxAudioMs); one deadline covers
 * connecting, the answer and its body; the body is read up to maxBytes; no
 * redirect is followed (a key must not travel to another host). With the
 * `verbose_json` format the confidence is exp(mean avg_logprob) of the answer's
 * segments; with `json` the API gives none (null). Errors name the recogniser by
 * its origin, and its status and message, never the key.
 */
import { randomBytes } from 'node:crypto';
import { errorMessage, postBounded } from './post';
import { Slots } from './slots';
import { SpeechError, outsideText } from './provider';
import { beforeRecognition, recognisedText, type Recogniser, type Recognition, type RecognitionRequest } from './recogniser';
import { encodeWav } from './wav';

export interface WhisperOptions {
  /** https://api.openai.com, or https://host/v1 (the path /v1/audio/transcriptions is completed). */
  baseUrl: string;
  model: string;
  /** Sent as "Authorization: Bearer <key>" when not empty. */
  apiKey: string;
  /** verbose_json (default: segments with their log-probabilities, so a confidence) or json (text only). */
  format?: 'verbose_json' | 'json';
  timeoutMs?: number;
  /** The longest audio sent, in ms (default 60 s). */
  maxAudioMs?: number;
  /** The largest answer read, in bytes (default 1 MB). */
  maxBytes?: number;
  /** Requests at once (default 4). */
  concurrency?: number;
}

/** The URL the request goes to: the base with /v1/audio/transcriptions (or /audio/transcriptions after a /v1). */
export function transcriptionUrl(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl.trim());
  } catch {
    throw new SpeechError('refused', `whisper recogniser: the base URL ${JSON.stringify(outsideText(baseUrl, 100))} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SpeechError('refused', `whisper recogniser: the base URL must be http(s) (got ${url.protocol})`);
  if (url.username || url.password) throw new SpeechError('refused', 'whisper recogniser: put the key in the API key field, not in the base URL');
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = /\/v1$/.test(path) ? `${path}/audio/transcriptions` : `${path}/v1/audio/transcriptions`;
  url.search = '';
  url.hash = '';
  return url;
}

/** The hint sent as `prompt`: the phrases, comma separated, cleaned, at most 800 characters. */
function promptOf(phrases: readonly string[] | undefined): string {
  if (!phrases || phrases.length === 0) return '';
  return outsideText(phrases.map((p) => outsideText(p, 100)).join(', '), 800);
}

function multipart(boundary: string, fields: Record<string, string>, wav: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    if (value === '') continue;
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`, 'utf8'));
  }
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="speech.wav"\r\nContent-Type: audio/wav\r\n\r\n`, 'ascii'));
  parts.push(wav);
  parts.push(Buffer.from(`\r\n--${boundary}--\r\n`, 'ascii'));
  return Buffer.concat(parts);
}

export class WhisperRecogniser implements Recogniser {
  readonly identity: string;
  private readonly url: URL;
  private readonly slots: Slots;
  private readonly timeoutMs: number;
  private readonly maxAudioMs: number;
  private readonly maxBytes: number;
  private readonly format: 'verbose_json' | 'json';

  constructor(private readonly options: WhisperOptions) {
    this.url = transcriptionUrl(options.baseUrl);
    this.identity = `whisper ${this.url.origin}${this.url.pathname} ${options.model}`;
    this.slots = new Slots(options.concurrency ?? 4);
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.maxAudioMs = options.maxAudioMs ?? 60_000;
    this.maxBytes = options.maxBytes ?? 1024 * 1024;
    this.format = options.format ?? 'verbose_json';
  }

  private get shown(): string {
    return `whisper recogniser (${this.url.origin})`;
  }

  async recognise(request: RecognitionRequest): Promise<Recognition> {
    const empty = beforeRecognition(request.audio, this.maxAudioMs, this.shown);
    if (empty) return empty;
    const boundary = `callflow${randomBytes(12).toString('hex')}`;
    const language = /^[a-z]{2,3}/.exec(request.language)?.[0] ?? '';
    const body = multipart(boundary, { model: this.options.model, response_format: this.format, language, prompt: promptOf(request.phrases) }, encodeWav(request.audio));
    const headers: Record<string, string> = { 'content-type': `multipart/form-data; boundary=${boundary}`, accept: 'application/json' };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    const answer = await this.slots.run(() => postBounded(this.url, headers, body, { timeoutMs: this.timeoutMs, maxBytes: this.maxBytes, shown: this.shown, signal: request.signal }), request.signal);
    if (answer.status === 401 || answer.status === 403) throw new SpeechError('auth', `${this.shown} refused the API key (HTTP ${answer.status})${errorMessage(answer.body)}`);
    if (answer.status < 200 || answer.status > 299) {
      throw new SpeechError(answer.status >= 400 && answer.status < 500 ? 'refused' : 'unavailable', `${this.shown} answered HTTP ${answer.status}${errorMessage(answer.body)}`);
    }
    return this.read(answer.body);
  }

  /** {"text": "...", "segments": [{"avg_logprob": -0.2}, ...]}: anything else is not an answer. */
  private read(body: Buffer): Recognition {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new SpeechError('bad-answer', `${this.shown} answered something that is not a transcription (not JSON, ${body.length} bytes)`);
    }
    const text = (parsed as { text?: unknown } | null)?.text;
    if (typeof parsed !== 'object' || parsed === null || typeof text !== 'string') {
      throw new SpeechError('bad-answer', `${this.shown} answered something that is not a transcription (no "text" string, ${body.length} bytes)`);
    }
    const segments = (parsed as { segments?: unknown }).segments;
    let confidence: number | null = null;
    if (Array.isArray(segments)) {
      const logs = segments.map((s) => (s as { avg_logprob?: unknown } | null)?.avg_logprob).filter((l): l is number => typeof l === 'number' && Number.isFinite(l));
      if (logs.length > 0) confidence = Math.min(1, Math.max(0, Math.exp(logs.reduce((a, b) => a + b, 0) / logs.length)));
    }
    return { text: recognisedText(text), confidence: confidence === null ? null : Math.round(confidence * 1000) / 1000 };
  }

}
