/**
 * A Vosk server (alphacep/vosk-server) over its WebSocket protocol, as its websocket/asr_server.py and
 * websocket/test.py define it (github.com/alphacep/vosk-server, master, read 2026-12):
 * - the client sends a text message holding "config" first: {"config": {"sample_rate": 16000, "words": 1,
 *   "max_alternatives": 0, "phrase_list": [...]}} (the server reads those four keys);
 * - then the audio as binary messages of 16-bit mono PCM; the server answers each with one JSON message, a partial
 *   result {"partial": "..."} or, when an utterance ended in it, a result {"result": [{"word", "start", "end",
 *   "conf"}...], "text": "..."} (with max_alternatives > 0: {"alternatives": [{"text", "confidence"}...]});
 * - then exactly the text `{"eof" : 1}` (the server compares the whole string, spaces included: `{"eof":1}` would
 *   be taken for audio); it answers with the final result and closes the connection.
 * So the answer to the eof is the message after one answer per audio message. The text is the results' texts in
 * order, the confidence the mean `conf` of their words (null when there is none).
 *
 * vosk-server has no authentication of its own: a key, when set, goes as "Authorization: Bearer" to the server (a
 * proxy in front of it checks it). One deadline covers connecting, sending and the final result; a message is read up
 * to maxMessageBytes; no redirect is followed. Everything the server sends is hostile: a message that is not one of
 * the three shapes fails the recognition.
 */
import WebSocket from 'ws';
import type { IncomingMessage } from 'node:http';
import { Slots } from './slots';
import { SpeechError, outsideText } from './provider';
import { recognisedText, type Recogniser, type Recognition, type RecognitionRequest } from './recogniser';
import { DIGIT_WORDS } from './jsgf';
import { durationMs } from './wav';

export interface VoskOptions {
  /** ws://host:2700 or wss://host/path. */
  url: string;
  /** Sent as "Authorization: Bearer <key>" when not empty. */
  apiKey: string;
  timeoutMs?: number;
  /** The longest audio sent, in ms (default 60 s). */
  maxAudioMs?: number;
  /** The largest message read, in bytes (default 256 kB). */
  maxMessageBytes?: number;
  /** Recognitions at once (default 4). */
  concurrency?: number;
}

/** The eof message, byte for byte as asr_server.py compares it. */
export const VOSK_EOF = '{"eof" : 1}';

/** Audio per binary message: 0.2 s, as the server's own test client sends it. */
const CHUNK_MS = 200;

/** The server's URL, checked: ws or wss, no credentials in it, no fragment. */
export function voskUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new SpeechError('refused', `vosk recogniser: the URL ${JSON.stringify(outsideText(text, 100))} is not a URL`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new SpeechError('refused', `vosk recogniser: the URL must be ws:// or wss:// (got ${url.protocol})`);
  if (url.username || url.password) throw new SpeechError('refused', 'vosk recogniser: put the key in the API key field, not in the URL');
  url.hash = '';
  return url;
}

/** What the server was told about the expected speech: a menu's phrases or the digit words, and [unk] for anything else. */
function phraseList(request: RecognitionRequest): string[] | undefined {
  const phrases = request.digits ? [...DIGIT_WORDS] : (request.phrases ?? []).map((p) => outsideText(p, 100).toLowerCase()).filter((p) => p !== '');
  if (phrases.length === 0 || phrases.length > 200) return undefined;
  return [...phrases, '[unk]'];
}

interface Heard {
  texts: string[];
  confs: number[];
}

export class VoskRecogniser implements Recogniser {
  readonly identity: string;
  private readonly url: URL;
  private readonly slots: Slots;
  private readonly timeoutMs: number;
  private readonly maxAudioMs: number;
  private readonly maxMessageBytes: number;

  constructor(private readonly options: VoskOptions) {
    this.url = voskUrl(options.url);
    this.identity = `vosk ${this.url.origin}${this.url.pathname}`;
    this.slots = new Slots(options.concurrency ?? 4);
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.maxAudioMs = options.maxAudioMs ?? 60_000;
    this.maxMessageBytes = options.maxMessageBytes ?? 256 * 1024;
  }

  private get shown(): string {
    return `vosk recogniser (${this.url.origin})`;
  }

  async recognise(request: RecognitionRequest): Promise<Recognition> {
    const ms = durationMs(request.audio);
    if (ms > this.maxAudioMs) throw new SpeechError('too-large', `${this.shown}: ${ms} ms of audio is more than the ${this.maxAudioMs} ms a recognition takes`);
    if (request.audio.samples.length === 0) return { text: '', confidence: null };
    const heard = await this.slots.run(() => this.exchange(request), request.signal);
    const confidence = heard.confs.length === 0 ? null : Math.round((heard.confs.reduce((a, b) => a + b, 0) / heard.confs.length) * 1000) / 1000;
    return { text: recognisedText(heard.texts.join(' ')), confidence };
  }

  /** One connection: the config, the audio, the eof, and every answer read until the eof's. */
  private exchange(request: RecognitionRequest): Promise<Heard> {
    const { signal, audio } = request;
    const shown = this.shown;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(new SpeechError('aborted', `${shown}: cancelled`));
        return;
      }
      const headers: Record<string, string> = this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {};
      const socket = new WebSocket(this.url, { headers, handshakeTimeout: this.timeoutMs, maxPayload: this.maxMessageBytes, followRedirects: false, perMessageDeflate: false });
      const pcm = Buffer.from(audio.samples.buffer, audio.samples.byteOffset, audio.samples.byteLength);
      const chunkBytes = Math.max(2, Math.round((audio.rate * CHUNK_MS) / 1000) * 2);
      const chunks = Math.ceil(pcm.length / chunkBytes);
      const heard: Heard = { texts: [], confs: [] };
      let answers = 0;
      let opened = false;
      let settled = false;
      const finish = (err: SpeechError | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err) {
          socket.terminate();
          reject(err);
        } else {
          socket.close(1000);
          resolve(heard);
        }
      };
      const timer = setTimeout(() => finish(new SpeechError('timeout', `${shown} did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      const onAbort = (): void => finish(new SpeechError('aborted', `${shown}: cancelled`));
      signal?.addEventListener('abort', onAbort, { once: true });
      const sent = (err?: Error): void => {
        if (err) finish(new SpeechError('unavailable', `${shown}: the connection broke while sending (${outsideText(err.message, 100)})`));
      };
      socket.on('unexpected-response', (req, res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        res.resume();
        req.destroy();
        if (status === 401 || status === 403) finish(new SpeechError('auth', `${shown} refused the key (HTTP ${status})`));
        else finish(new SpeechError('unavailable', `${shown} answered HTTP ${status}, not a WebSocket`));
      });
      socket.on('error', (err: Error & { code?: string }) => {
        if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') finish(new SpeechError('too-large', `${shown} sent a message of more than ${this.maxMessageBytes} bytes`));
        else if (!opened) finish(new SpeechError('unavailable', `${shown} could not be reached (${outsideText(err.message, 100)})`));
        else finish(new SpeechError('unavailable', `${shown}: the connection failed (${outsideText(err.message, 100)})`));
      });
      socket.on('close', (code: number, reason: Buffer) => {
        const why = outsideText(reason.toString('utf8'), 100);
        finish(new SpeechError('unavailable', `${shown} closed the connection before its final result (code ${code}${why ? `: ${why}` : ''})`));
      });
      socket.on('open', () => {
        opened = true;
        const config: Record<string, unknown> = { sample_rate: audio.rate, words: 1, max_alternatives: 0 };
        const phrases = phraseList(request);
        if (phrases) config.phrase_list = phrases;
        socket.send(JSON.stringify({ config }), sent);
        for (let at = 0; at < pcm.length; at += chunkBytes) socket.send(pcm.subarray(at, at + chunkBytes), { binary: true }, sent);
        socket.send(VOSK_EOF, sent);
      });
      socket.on('message', (data: Buffer, isBinary: boolean) => {
        if (settled) return;
        answers += 1;
        const problem = isBinary ? 'a binary message' : read(data.toString('utf8'), heard);
        if (problem) finish(new SpeechError('bad-answer', `${shown} answered something that is not a recognition result (${problem}, ${data.length} bytes)`));
        else if (answers === chunks + 1) finish(undefined);
      });
    });
  }
}

/** One answer into what was heard; a problem when it is not one of the protocol's shapes. */
function read(text: string, heard: Heard): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'not a JSON object';
  const answer = parsed as { partial?: unknown; text?: unknown; result?: unknown; alternatives?: unknown };
  if (typeof answer.partial === 'string') return undefined;
  if (Array.isArray(answer.alternatives)) {
    const first = answer.alternatives[0] as { text?: unknown } | undefined;
    if (first !== undefined && typeof first?.text !== 'string') return 'an alternative without a "text" string';
    if (first?.text && heard.texts.length < 100) heard.texts.push(first.text as string);
    return undefined;
  }
  if (typeof answer.text !== 'string') return 'no "partial" or "text" string';
  if (answer.text && heard.texts.length < 100) heard.texts.push(answer.text);
  if (Array.isArray(answer.result)) {
    for (const word of answer.result.slice(0, 1000)) {
      const conf = (word as { conf?: unknown } | null)?.conf;
      if (typeof conf === 'number' && Number.isFinite(conf)) heard.confs.push(Math.min(1, Math.max(0, conf)));
    }
  }
  return undefined;
}
