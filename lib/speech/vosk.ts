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
 * vosk-server handles one connection's messages one after another (recv, decode, send), so the audio can be sent while
 * the caller speaks: `stream()` opens the connection when speech starts and sends each 0.2 s as it comes (the
 * connection, its bounds and deadlines: vosk-stream.ts); the end of speech sends the eof, and only the final decode is
 * left to wait for. `recognise()` sends a whole utterance the same way.
 *
 * vosk-server has no authentication of its own: a key, when set, goes as "Authorization: Bearer" to the server (a
 * proxy in front of it checks it). A message is read up to maxMessageBytes; no redirect is followed. Everything the
 * server sends is hostile: a message that is not one of the three shapes fails the recognition.
 */
import { Slots } from './slots';
import { SpeechError, outsideText } from './provider';
import { beforeRecognition, type Recogniser, type Recognition, type RecognitionRequest, type RecognitionStream, type StreamRequest } from './recogniser';
import { DIGIT_WORDS } from './jsgf';
import { VoskStream, type VoskConnection } from './vosk-stream';

export { VOSK_EOF } from './vosk-stream';

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
function phraseList(request: Pick<RecognitionRequest, 'digits' | 'phrases'>): string[] | undefined {
  const phrases = request.digits ? [...DIGIT_WORDS] : (request.phrases ?? []).map((p) => outsideText(p, 100).toLowerCase()).filter((p) => p !== '');
  if (phrases.length === 0 || phrases.length > 200) return undefined;
  return [...phrases, '[unk]'];
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

  /** A whole utterance: streamed at once (the same protocol and bounds as a stream fed while the caller speaks). */
  async recognise(request: RecognitionRequest): Promise<Recognition> {
    const empty = beforeRecognition(request.audio, this.maxAudioMs, this.shown);
    if (empty) return empty;
    const { audio, ...rest } = request;
    const stream = this.open({ ...rest, rate: audio.rate }, (task, signal) => this.slots.run(task, signal));
    stream.push(audio.samples);
    return stream.end();
  }

  /**
   * A recognition fed as the caller speaks: one connection, opened now. Not held back by `concurrency`, which bounds
   * whole utterances sent at once (a burst of decoding for the server): a streamed caller's audio reaches the server
   * no faster than they speak, so the server's load from streams is the callers speaking at once, and a stream kept
   * waiting would only make its caller's answer late.
   */
  stream(request: StreamRequest): RecognitionStream {
    return this.open(request, (task) => task());
  }

  private open(request: StreamRequest, inSlot: VoskConnection['inSlot']): VoskStream {
    const connection: VoskConnection = {
      url: this.url,
      apiKey: this.options.apiKey,
      shown: this.shown,
      timeoutMs: this.timeoutMs,
      maxAudioMs: this.maxAudioMs,
      maxMessageBytes: this.maxMessageBytes,
      phrases: phraseList(request),
      inSlot,
    };
    return new VoskStream(connection, request);
  }
}
