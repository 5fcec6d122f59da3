/**
 * A bot endpoint for robot calls: the caller's text in, the bot's reply and what to do next out. Two kinds:
 *
 * - `webhook`: POST <url> {"call", "turn", "text", "input": "speech"|"silence", "history"} answered {"reply",
 *   "action": "continue"|"end"|"transfer", "queue", "data"}; a caller who said nothing is `"text": "", "input":
 *   "silence"`;
 * - `chat`: an OpenAI-compatible POST <base>/v1/chat/completions {"model", "messages"}: the first choice's message
 *   content is the reply; content that is a JSON object of the webhook's shape is read as one (so a system prompt can
 *   ask the model for actions), else the action is continue. A message with no text (the caller silent, a bot reply
 *   that said nothing) is sent as SILENCE_MESSAGE: several OpenAI-compatible servers refuse an empty content with a
 *   400 (Anthropic's, LM Studio's), and the model is told what happened.
 *
 * Replies are hostile: the text is one line without control characters, cut at MAX_REPLY_CHARS; the action must be one
 * of the three; a transfer's queue, when it names one, must be a queue name as the transfer node takes it (QUEUE_NAME_PATTERN); data is
 * at most 20 entries of names (a letter or _, then letters, digits, _) and strings (at most 200 characters), numbers
 * or booleans. Anything else fails the turn with a SpeechError ('bad-answer') that says what and where.
 */
import { QUEUE_NAME_PATTERN } from '../schemas/elements';
import { postBounded } from './post';
import { SpeechError, outsideText } from './provider';

export type BotAction = 'continue' | 'end' | 'transfer';

export interface BotTurn {
  reply: string;
  action: BotAction;
  /** transfer: the queue (a queue name); none: the call's skill queue (a campaign's), if it has one. */
  queue?: string;
  /** Data for the transfer or the flow. */
  data: Record<string, string | number | boolean>;
}

export interface BotRequest {
  /** The call's id (webhook only). */
  call: string;
  /** 1 for the first turn. */
  turn: number;
  text: string;
  /** The caller said nothing within the wait for speech (text ''). */
  silence?: boolean;
  /** The turns so far: who said what. */
  history: readonly { role: 'caller' | 'bot'; text: string }[];
  signal?: AbortSignal;
}

export interface BotEndpoint {
  readonly identity: string;
  turn(request: BotRequest): Promise<BotTurn>;
}

export const MAX_REPLY_CHARS = 1000;
/** What a chat bot is sent for a turn with no text (see the module's comment). */
export const SILENCE_MESSAGE = '(silence)';
const MAX_DATA = 20;
const DATA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const QUEUE = new RegExp(QUEUE_NAME_PATTERN);

export interface BotOptions {
  kind: 'webhook' | 'chat';
  /** webhook: the URL; chat: the base URL (…/v1/chat/completions is completed). */
  url: string;
  /** chat: the model. */
  model?: string;
  /** chat: the system prompt. */
  instructions?: string;
  /** Sent as "Authorization: Bearer <key>" when not empty. */
  apiKey: string;
  timeoutMs?: number;
  /** The largest answer read (default 256 kB). */
  maxBytes?: number;
}

function endpointUrl(kind: 'webhook' | 'chat', raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new SpeechError('refused', `bot: the URL ${JSON.stringify(outsideText(raw, 100))} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SpeechError('refused', `bot: the URL must be http(s) (got ${url.protocol})`);
  if (url.username || url.password) throw new SpeechError('refused', 'bot: put the key in the API key field, not in the URL');
  if (kind === 'chat') {
    const path = url.pathname.replace(/\/+$/, '');
    url.pathname = /\/v1$/.test(path) ? `${path}/chat/completions` : `${path}/v1/chat/completions`;
    url.search = '';
  }
  url.hash = '';
  return url;
}

export class HttpBot implements BotEndpoint {
  readonly identity: string;
  private readonly url: URL;

  constructor(private readonly options: BotOptions) {
    this.url = endpointUrl(options.kind, options.url);
    this.identity = `${options.kind} bot ${this.url.origin}${this.url.pathname}`;
  }

  private get shown(): string {
    return `bot (${this.url.origin})`;
  }

  async turn(request: BotRequest): Promise<BotTurn> {
    const o = this.options;
    const payload =
      o.kind === 'webhook'
        ? { call: request.call, turn: request.turn, text: request.text, input: request.silence ? 'silence' : 'speech', history: request.history }
        : {
            model: o.model ?? '',
            messages: [
              ...(o.instructions ? [{ role: 'system', content: o.instructions }] : []),
              ...request.history.map((h) => ({ role: h.role === 'caller' ? 'user' : 'assistant', content: h.text || SILENCE_MESSAGE })),
              { role: 'user', content: request.text || SILENCE_MESSAGE },
            ],
          };
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (o.apiKey) headers.authorization = `Bearer ${o.apiKey}`;
    const answer = await postBounded(this.url, headers, Buffer.from(JSON.stringify(payload)), { timeoutMs: o.timeoutMs ?? 10_000, maxBytes: o.maxBytes ?? 256 * 1024, shown: this.shown, signal: request.signal });
    if (answer.status === 401 || answer.status === 403) throw new SpeechError('auth', `${this.shown} refused the API key (HTTP ${answer.status})`);
    if (answer.status < 200 || answer.status > 299) {
      throw new SpeechError(answer.status >= 400 && answer.status < 500 ? 'refused' : 'unavailable', `${this.shown} answered HTTP ${answer.status}: ${outsideText(answer.body.subarray(0, 400).toString('utf8'), 200)}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.body.toString('utf8'));
    } catch {
      throw new SpeechError('bad-answer', `${this.shown} answered something that is not JSON (${answer.body.length} bytes)`);
    }
    if (o.kind === 'webhook') return readTurn(parsed, this.shown);
    const content = (parsed as { choices?: { message?: { content?: unknown } }[] } | null)?.choices?.[0]?.message?.content;
    if (typeof content !== 'string') throw new SpeechError('bad-answer', `${this.shown} answered no choices[0].message.content string`);
    if (/^\s*\{/.test(content)) {
      try {
        return readTurn(JSON.parse(content), this.shown);
      } catch (err) {
        if (err instanceof SpeechError) throw err;
        // not JSON after all: its text is the reply
      }
    }
    return readTurn({ reply: content, action: 'continue' }, this.shown);
  }
}

/** A bot's answer, checked (see the module's comment). */
export function readTurn(value: unknown, shown: string): BotTurn {
  const bad = (what: string): SpeechError => new SpeechError('bad-answer', `${shown} answered ${what}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('something that is not an object');
  const v = value as Record<string, unknown>;
  if (typeof v.reply !== 'string' && v.reply !== undefined) throw bad(`a reply that is not text (${typeof v.reply})`);
  const reply = outsideText(typeof v.reply === 'string' ? v.reply : '', MAX_REPLY_CHARS);
  const action = v.action ?? 'continue';
  if (action !== 'continue' && action !== 'end' && action !== 'transfer') throw bad(`an action that is not continue, end or transfer: ${JSON.stringify(outsideText(typeof action === 'string' ? action : typeof action, 40))}`);
  const turn: BotTurn = { reply, action, data: {} };
  // A transfer may name no queue: the element then takes the campaign's skill queue (nodes/bot/bot.ts).
  if (action === 'transfer' && v.queue !== undefined && v.queue !== null && v.queue !== '') {
    if (typeof v.queue !== 'string' || !QUEUE.test(v.queue)) throw bad(`a transfer to a queue that is not a queue name (letters, digits, _ . -, at most 80): ${JSON.stringify(outsideText(typeof v.queue === 'string' ? v.queue : typeof v.queue, 80))}`);
    turn.queue = v.queue;
  }
  if (v.data !== undefined && v.data !== null) {
    if (typeof v.data !== 'object' || Array.isArray(v.data)) throw bad('data that is not an object');
    const entries = Object.entries(v.data as Record<string, unknown>);
    if (entries.length > MAX_DATA) throw bad(`data of ${entries.length} entries (at most ${MAX_DATA})`);
    for (const [name, x] of entries) {
      if (!DATA_NAME.test(name)) throw bad(`a data name that is not a name: ${JSON.stringify(outsideText(name, 40))}`);
      if (typeof x === 'string') turn.data[name] = outsideText(x, 200);
      else if ((typeof x === 'number' && Number.isFinite(x)) || typeof x === 'boolean') turn.data[name] = x;
      else throw bad(`data ${name} that is not text, a number or true/false`);
    }
  }
  return turn;
}
