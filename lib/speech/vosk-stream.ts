/**
 * One recognition on one vosk-server connection, fed as the caller speaks (the protocol: vosk.ts). The audio pushed is
 * cut into 0.2 s binary messages and sent as it comes; the server answers each with one JSON message (a partial or a
 * result), so the answer to the eof is the one after an answer per audio message. Partials with words are handed to
 * onWords (barge-in); results are kept for the final text.
 *
 * Bounds, for a server slower than the caller: at most MAX_AHEAD messages (1 s of audio) are sent ahead of the
 * server's answers; the rest waits here, and all the audio a stream takes is at most maxAudioMs (past it the
 * recognition fails, too-large, as a whole utterance that long would). So a stream holds at most maxAudioMs of audio,
 * whatever the server does. Deadlines: the handshake within timeoutMs, then each answer awaited within timeoutMs of
 * the one before (or of its message, when none was awaited): a server that stops answering fails the recognition, a
 * slow one that keeps answering only makes its final result late. Every failure reaches onFailure at once (so the
 * listening stops) and end().
 */
import WebSocket from 'ws';
import type { IncomingMessage } from 'node:http';
import { SpeechError, outsideText } from './provider';
import { recognisedText, tooMuchAudio, type Recognition, type RecognitionStream, type StreamRequest } from './recogniser';

/** The eof message, byte for byte as asr_server.py compares it. */
export const VOSK_EOF = '{"eof" : 1}';

/** Audio per binary message: 0.2 s, as the server's own test client sends it (and vosk-api decodes in 0.2 s steps). */
const CHUNK_MS = 200;

/** Messages sent ahead of the server's answers. */
export const MAX_AHEAD = 5;

/** What the stream needs of its recogniser. */
export interface VoskConnection {
  url: URL;
  apiKey: string;
  /** vosk recogniser (ws://host:port), for messages. */
  shown: string;
  timeoutMs: number;
  maxAudioMs: number;
  maxMessageBytes: number;
  /** The config message's phrase_list (undefined: none). */
  phrases: string[] | undefined;
  /** Runs the connection when a slot is free (the recogniser's limit of recognitions at once). */
  inSlot(task: () => Promise<void>, signal: AbortSignal): Promise<void>;
}

interface Heard {
  texts: string[];
  confs: number[];
}

export class VoskStream implements RecognitionStream {
  /** Samples pushed and not yet cut into a message. */
  private held: Int16Array[] = [];
  private heldSamples = 0;
  /** Messages cut and not yet sent. */
  private queue: Buffer[] = [];
  private pushedSamples = 0;
  private readonly chunkSamples: number;
  private socket: WebSocket | undefined;
  private opened = false;
  private sentAudio = 0;
  private eofSent = false;
  private answers = 0;
  private ending = false;
  private settled = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly heard: Heard = { texts: [], confs: [] };
  private readonly own = new AbortController();
  private readonly result: Promise<Recognition>;
  private resolve!: (r: Recognition) => void;
  private reject!: (e: SpeechError) => void;
  private closed!: () => void;

  constructor(
    private readonly connection: VoskConnection,
    private readonly request: StreamRequest,
  ) {
    this.chunkSamples = Math.max(1, Math.round((request.rate * CHUNK_MS) / 1000));
    this.result = new Promise<Recognition>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Nobody may await it (the call ended): not an unhandled rejection.
    this.result.catch(() => undefined);
    const { signal } = request;
    if (signal?.aborted) {
      this.fail(new SpeechError('aborted', `${connection.shown}: cancelled`));
      return;
    }
    signal?.addEventListener('abort', this.onAbort, { once: true });
    const done = new Promise<void>((resolve) => (this.closed = resolve));
    connection
      .inSlot(() => {
        this.connect();
        return done;
      }, this.own.signal)
      .catch(() => this.fail(new SpeechError('aborted', `${connection.shown}: cancelled`)));
  }

  push(samples: Int16Array): void {
    if (this.settled || this.ending || samples.length === 0) return;
    this.pushedSamples += samples.length;
    const ms = Math.round((this.pushedSamples * 1000) / this.request.rate);
    if (ms > this.connection.maxAudioMs) {
      this.fail(tooMuchAudio(ms, this.connection.maxAudioMs, this.connection.shown));
      return;
    }
    this.held.push(samples.slice());
    this.heldSamples += samples.length;
    this.cut();
    this.pump();
  }

  end(): Promise<Recognition> {
    if (!this.settled && !this.ending) {
      this.ending = true;
      this.cut();
      this.pump();
    }
    return this.result;
  }

  abort(): void {
    this.fail(new SpeechError('aborted', `${this.connection.shown}: cancelled`));
  }

  private readonly onAbort = (): void => this.abort();

  /** Held samples into messages of CHUNK_MS (the last one shorter, once the speech is over). */
  private cut(): void {
    while (this.heldSamples >= this.chunkSamples || (this.ending && this.heldSamples > 0)) {
      const n = Math.min(this.chunkSamples, this.heldSamples);
      const chunk = new Int16Array(n);
      for (let at = 0; at < n; ) {
        const head = this.held[0] as Int16Array;
        const part = Math.min(head.length, n - at);
        chunk.set(head.subarray(0, part), at);
        at += part;
        if (part === head.length) this.held.shift();
        else this.held[0] = head.subarray(part);
      }
      this.heldSamples -= n;
      this.queue.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
  }

  private get ahead(): number {
    return this.sentAudio + (this.eofSent ? 1 : 0) - this.answers;
  }

  /** Sends what may go: messages while fewer than MAX_AHEAD await their answer, then the eof once the speech is over. */
  private pump(): void {
    const socket = this.socket;
    if (!this.opened || this.settled || !socket) return;
    const waiting = this.ahead > 0;
    while (this.queue.length > 0 && this.ahead < MAX_AHEAD) {
      socket.send(this.queue.shift() as Buffer, { binary: true }, this.sent);
      this.sentAudio += 1;
    }
    if (this.ending && this.queue.length === 0 && !this.eofSent && this.ahead < MAX_AHEAD) {
      socket.send(VOSK_EOF, this.sent);
      this.eofSent = true;
    }
    if (!waiting && this.ahead > 0) this.watch();
  }

  /** The deadline of the next answer (or of the handshake). */
  private watch(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fail(new SpeechError('timeout', `${this.connection.shown} did not answer within ${this.connection.timeoutMs} ms`)), this.connection.timeoutMs);
  }

  private readonly sent = (err?: Error): void => {
    if (err) this.fail(new SpeechError('unavailable', `${this.connection.shown}: the connection broke while sending (${outsideText(err.message, 100)})`));
  };

  private connect(): void {
    if (this.settled) return;
    const c = this.connection;
    const shown = c.shown;
    const headers: Record<string, string> = c.apiKey ? { authorization: `Bearer ${c.apiKey}` } : {};
    const socket = new WebSocket(c.url, { headers, handshakeTimeout: c.timeoutMs, maxPayload: c.maxMessageBytes, followRedirects: false, perMessageDeflate: false });
    this.socket = socket;
    this.watch();
    socket.on('unexpected-response', (req, res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      res.resume();
      req.destroy();
      if (status === 401 || status === 403) this.fail(new SpeechError('auth', `${shown} refused the key (HTTP ${status})`));
      else this.fail(new SpeechError('unavailable', `${shown} answered HTTP ${status}, not a WebSocket`));
    });
    socket.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.fail(new SpeechError('too-large', `${shown} sent a message of more than ${c.maxMessageBytes} bytes`));
      else if (!this.opened) this.fail(new SpeechError('unavailable', `${shown} could not be reached (${outsideText(err.message, 100)})`));
      else this.fail(new SpeechError('unavailable', `${shown}: the connection failed (${outsideText(err.message, 100)})`));
    });
    socket.on('close', (code: number, reason: Buffer) => {
      const why = outsideText(reason.toString('utf8'), 100);
      this.fail(new SpeechError('unavailable', `${shown} closed the connection before its final result (code ${code}${why ? `: ${why}` : ''})`));
    });
    socket.on('open', () => {
      if (this.settled) return;
      this.opened = true;
      clearTimeout(this.timer);
      this.timer = undefined;
      const config: Record<string, unknown> = { sample_rate: this.request.rate, words: 1, max_alternatives: 0 };
      if (c.phrases) config.phrase_list = c.phrases;
      socket.send(JSON.stringify({ config }), this.sent);
      this.pump();
    });
    socket.on('message', (data: Buffer, isBinary: boolean) => this.answered(data, isBinary));
  }

  private answered(data: Buffer, isBinary: boolean): void {
    if (this.settled) return;
    // One answer per message sent, none to the config (asr_server.py): another would be taken for a later message's
    // (the eof's: a result cut short), and with nothing left awaited no deadline would run.
    if (this.ahead <= 0) {
      this.fail(new SpeechError('bad-answer', `${this.connection.shown} answered a message it was not sent (${data.length} bytes)`));
      return;
    }
    this.answers += 1;
    const answer = isBinary ? { problem: 'a binary message' } : read(data.toString('utf8'), this.heard);
    if (answer.problem !== undefined) {
      this.fail(new SpeechError('bad-answer', `${this.connection.shown} answered something that is not a recognition result (${answer.problem}, ${data.length} bytes)`));
      return;
    }
    if (this.eofSent && this.answers === this.sentAudio + 1) {
      this.finish();
      return;
    }
    if (this.ahead > 0) this.watch();
    else {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.pump();
    if (answer.words) this.tell(answer.words);
  }

  private tell(words: string): void {
    try {
      this.request.onWords?.(words);
    } catch {
      // The listener's own failure is not the recognition's.
    }
  }

  private finish(): void {
    const { texts, confs } = this.heard;
    const confidence = confs.length === 0 ? null : Math.round((confs.reduce((a, b) => a + b, 0) / confs.length) * 1000) / 1000;
    this.settle();
    this.socket?.close(1000);
    this.resolve({ text: recognisedText(texts.join(' ')), confidence });
  }

  private fail(err: SpeechError): void {
    if (this.settled) return;
    this.settle();
    this.socket?.terminate();
    this.reject(err);
    if (err.reason !== 'aborted') {
      try {
        this.request.onFailure?.(err);
      } catch {
        // as in tell()
      }
    }
  }

  /** Frees what the stream holds: the audio, the timer, the slot, the listener on the call's signal. */
  private settle(): void {
    this.settled = true;
    clearTimeout(this.timer);
    this.held = [];
    this.queue = [];
    this.request.signal?.removeEventListener('abort', this.onAbort);
    this.own.abort();
    this.closed?.();
  }
}

/** One answer into what was heard: a problem when it is not one of the protocol's shapes, else the words it says. */
function read(text: string, heard: Heard): { problem?: string; words?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { problem: 'not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { problem: 'not a JSON object' };
  const answer = parsed as { partial?: unknown; text?: unknown; result?: unknown; alternatives?: unknown };
  if (typeof answer.partial === 'string') return { words: wordsIn(answer.partial) };
  if (Array.isArray(answer.alternatives)) {
    const first = answer.alternatives[0] as { text?: unknown } | undefined;
    if (first !== undefined && typeof first?.text !== 'string') return { problem: 'an alternative without a "text" string' };
    if (first?.text && heard.texts.length < 100) heard.texts.push(first.text as string);
    return { words: wordsIn((first?.text as string | undefined) ?? '') };
  }
  if (typeof answer.text !== 'string') return { problem: 'no "partial" or "text" string' };
  if (answer.text && heard.texts.length < 100) heard.texts.push(answer.text);
  if (Array.isArray(answer.result)) {
    for (const word of answer.result.slice(0, 1000)) {
      const conf = (word as { conf?: unknown } | null)?.conf;
      if (typeof conf === 'number' && Number.isFinite(conf)) heard.confs.push(Math.min(1, Math.max(0, conf)));
    }
  }
  return { words: wordsIn(answer.text) };
}

/** The words of a partial or a result, without the [unk] a phrase list adds for anything else ('' : none). */
function wordsIn(text: string): string {
  return recognisedText(text.replace(/\[unk\]/g, ' '));
}
