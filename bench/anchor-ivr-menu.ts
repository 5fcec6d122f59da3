/**
 * The anchor of bench/ivr: the "IVR menu" example written by hand as a
 * minimal ARI application, the way a developer without Node-RED would write
 * it: one WebSocket (`ws`) for the events, Node's `http` with a keep-alive
 * agent for the requests, one async function per call. No Node-RED, nothing
 * from lib/. What it costs is what the plugin is compared with.
 *
 * On the wire it does what the example does for the path the bench's
 * callers take, request for request (test/bench/anchor-ivr-menu.test.ts
 * compares the two for the same callers):
 *
 *   StasisStart          -> POST variable CALLFLOW_INSTANCE (the plugin marks every call it takes)
 *                           POST answer
 *   "welcome"            -> POST play sound:hello-world (barge-in)
 *   "main menu"          -> POST play vm-toenternumber,vm-reachoper (barge-in, skipped when a key is waiting),
 *                           a key within 5 s: 1 balance, 0 agent, * again; pm-invalid-option /
 *                           please-try-again and two retries
 *   "card number"        -> POST play vm-enter-num-to-call,astcc-followed-by-the-pound-key (barge-in),
 *                           6-10 digits, # ends them, 5 s for the first and between keys (the bench's
 *                           setting); privacy-incorrect / please-try-again and two retries
 *   "account for the CDR"-> POST variable ACCOUNT
 *   "say the balance"    -> POST play vm-youhave,number:<last 3 digits>,digits/dollars
 *   "goodbye"            -> POST play vm-goodbye, then DELETE the channel (reason normal)
 *
 * A key pressed while a barge-in prompt plays stops it (DELETE playback) and
 * is read next, as the plugin's KeyReader does. The example's other paths (an
 * agent, a priority card starting with 9, voicemail) are not written here:
 * the bench's callers never take them; the anchor says goodbye instead.
 */
import { randomUUID } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

/** The channel the plugin's events socket publishes on (lib/ari/events-socket.ts): the bench's probe reads both alike. */
const received = diagnostics.channel('callflow:ari:event');

export interface AnchorOptions {
  /** The ARI server, without /ari: http://127.0.0.1:8088 */
  url: string;
  username: string;
  password: string;
  app: string;
  /** The example's settings (the bench's values by default). */
  menuTimeoutMs?: number;
  firstDigitTimeoutMs?: number;
  interDigitTimeoutMs?: number;
}

/** The call ended (hung up, left the application): its flow stops there. */
class CallEnded extends Error {}

interface Call {
  /** /ari/channels/<id>, the prefix of every request about the call. */
  readonly path: string;
  ended: boolean;
  /** Keys pressed and not read yet (type-ahead), at most 64 as the plugin keeps. */
  readonly keys: string[];
  /** Who waits for the next key. */
  keyWaiter: ((key: string | undefined) => void) | undefined;
  /** A barge-in prompt playing now, and one a key asked to stop before it started. */
  playing: string | undefined;
  stopWanted: string | undefined;
  /** Wakes the flow when the call ends while it waits. */
  wake: (() => void) | undefined;
}

type Outcome = 'timeout' | 'invalid' | { value: string };

const KEY_LIMIT = 64;
const RETRIES = 2;
const MAX_REPEATS = 10;

export class IvrMenuAnchor {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 32, timeout: 4000 });
  private readonly target: { hostname: string; port: number };
  private readonly authorization: string;
  private readonly calls = new Map<string, Call>();
  /** Playback id -> its wait (resolves with the playback's final state). */
  private readonly playbacks = new Map<string, (state: string) => void>();
  private readonly endedListeners: (() => void)[] = [];
  private ws: WebSocket | undefined;
  private readonly instance = randomUUID();
  private readonly menuTimeoutMs: number;
  private readonly firstDigitTimeoutMs: number;
  private readonly interDigitTimeoutMs: number;

  constructor(private readonly options: AnchorOptions) {
    const base = new URL(options.url);
    this.target = { hostname: base.hostname, port: Number(base.port || 80) };
    this.authorization = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;
    this.menuTimeoutMs = options.menuTimeoutMs ?? 5000;
    this.firstDigitTimeoutMs = options.firstDigitTimeoutMs ?? 5000;
    this.interDigitTimeoutMs = options.interDigitTimeoutMs ?? 5000;
  }

  /** Calls in the application now. */
  get callCount(): number {
    return this.calls.size;
  }

  onEnded(listener: () => void): void {
    this.endedListeners.push(listener);
  }

  /** Opens the events WebSocket; resolves once it is open. */
  start(): Promise<void> {
    const url = `${this.options.url.replace(/^http/, 'ws')}/ari/events?app=${encodeURIComponent(this.options.app)}&subscribeAll=false`;
    const ws = new WebSocket(url, 'ari', { headers: { Authorization: this.authorization }, perMessageDeflate: false });
    this.ws = ws;
    ws.on('message', (data: WebSocket.RawData) => {
      const receivedAt = received.hasSubscribers ? performance.now() : 0;
      let event: AriEvent;
      try {
        event = JSON.parse((data as Buffer).toString('utf8')) as AriEvent;
      } catch {
        return;
      }
      if (received.hasSubscribers) received.publish({ event, receivedAt });
      this.dispatch(event);
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        // Later errors close the socket; the bench sees its calls stop.
        ws.on('error', () => undefined);
        resolve();
      });
      ws.once('error', reject);
    });
  }

  async stop(): Promise<void> {
    const ws = this.ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) await new Promise<void>((resolve) => ws.once('close', () => resolve()).close());
    this.agent.destroy();
  }

  private dispatch(event: AriEvent): void {
    if (event.type === 'PlaybackFinished' || event.type === 'PlaybackStarted') {
      const playback = event.playback as { id: string; state: string; target_uri: string };
      if (event.type === 'PlaybackFinished') {
        const wait = this.playbacks.get(playback.id);
        this.playbacks.delete(playback.id);
        wait?.(playback.state);
        return;
      }
      const call = this.calls.get(playback.target_uri.slice('channel:'.length));
      // A key came before the prompt started and could not stop it: stop it now that it has.
      if (call && call.stopWanted === playback.id) this.stopPlayback(playback.id);
      return;
    }
    const id = (event.channel as { id?: string } | undefined)?.id;
    if (id === undefined) return;
    if (event.type === 'StasisStart') {
      const call: Call = { path: `/ari/channels/${encodeURIComponent(id)}`, ended: false, keys: [], keyWaiter: undefined, playing: undefined, stopWanted: undefined, wake: undefined };
      this.calls.set(id, call);
      this.send('POST', `${call.path}/variable?variable=CALLFLOW_INSTANCE&value=${this.instance}`).catch(() => undefined);
      this.run(call).catch((err: unknown) => {
        if (call.ended || err instanceof CallEnded) return;
        // What the example's "On error: hang up" does.
        this.send('DELETE', `${call.path}?reason=normal`).catch(() => undefined);
      });
      return;
    }
    const call = this.calls.get(id);
    if (!call) return;
    if (event.type === 'ChannelDtmfReceived') this.key(call, event.digit as string);
    else if (event.type === 'ChannelHangupRequest' || event.type === 'StasisEnd') {
      call.ended = true;
      call.wake?.();
      if (event.type === 'StasisEnd') {
        this.calls.delete(id);
        for (const listener of this.endedListeners) listener();
      }
    }
  }

  private key(call: Call, digit: string): void {
    if (call.playing !== undefined) {
      call.stopWanted = call.playing;
      this.stopPlayback(call.playing);
      call.playing = undefined;
    }
    const waiter = call.keyWaiter;
    if (waiter) {
      call.keyWaiter = undefined;
      waiter(digit);
      return;
    }
    call.keys.push(digit);
    if (call.keys.length > KEY_LIMIT) call.keys.splice(0, call.keys.length - KEY_LIMIT);
  }

  private stopPlayback(id: string): void {
    this.send('DELETE', `/ari/playbacks/${id}`).catch(() => undefined);
  }

  // ------------------------------------------------------------------ the flow

  private async run(call: Call): Promise<void> {
    await this.send('POST', `${call.path}/answer`);
    if (call.keys.length === 0) await this.prompt(call, ['sound:hello-world'], true);
    const choice = await this.ask(call, ['sound:vm-toenternumber', 'sound:vm-reachoper'], ['sound:pm-invalid-option'], async () => {
      const key = await this.nextKey(call, this.menuTimeoutMs);
      if (key === undefined) return 'timeout';
      return key === '1' || key === '0' ? { value: key } : key === '*' ? 'again' : 'invalid';
    });
    if (typeof choice === 'object' && choice.value === '1') {
      const card = await this.ask(call, ['sound:vm-enter-num-to-call', 'sound:astcc-followed-by-the-pound-key'], ['sound:privacy-incorrect'], () => this.digits(call));
      if (typeof card === 'object') {
        await this.send('POST', `${call.path}/variable?variable=ACCOUNT&value=${encodeURIComponent(card.value)}`);
        if (!card.value.startsWith('9')) {
          const balance = Number(card.value.slice(-3));
          await this.prompt(call, ['sound:vm-youhave', `number:${balance}`, 'sound:digits/dollars'], false);
        }
      }
    }
    await this.prompt(call, ['sound:vm-goodbye'], false);
    await this.send('DELETE', `${call.path}?reason=normal`);
  }

  /** A menu or a collect: the prompt, an answer, and after a timeout or an invalid answer its prompt and a retry. */
  private async ask(call: Call, prompts: string[], invalidPrompts: string[], answer: () => Promise<Outcome | 'again'>): Promise<Outcome> {
    let repeats = 0;
    for (let attempt = 1; ; attempt += 1) {
      if (call.keys.length === 0) await this.prompt(call, prompts, true);
      let outcome = await answer();
      if (outcome === 'again') {
        if (repeats < MAX_REPEATS) {
          repeats += 1;
          attempt -= 1;
          call.keys.length = 0;
          continue;
        }
        outcome = 'invalid';
      }
      if (typeof outcome === 'object' || attempt > RETRIES) return outcome;
      call.keys.length = 0;
      await this.prompt(call, outcome === 'timeout' ? ['sound:please-try-again'] : invalidPrompts, true);
    }
  }

  /** The card number: up to 10 keys, # ends them; 6 to 10 digits are valid. */
  private async digits(call: Call): Promise<Outcome> {
    let digits = '';
    for (;;) {
      const key = await this.nextKey(call, digits === '' ? this.firstDigitTimeoutMs : this.interDigitTimeoutMs);
      if (key === undefined || key === '#') break;
      digits += key;
      if (digits.length >= 10) break;
    }
    if (digits === '') return 'timeout';
    return /^[0-9]{6,10}$/.test(digits) ? { value: digits } : 'invalid';
  }

  private nextKey(call: Call, timeoutMs: number): Promise<string | undefined> {
    const queued = call.keys.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return this.waitFor(call, (settle: (key: string | undefined) => void) => {
      const timer = setTimeout(() => {
        call.keyWaiter = undefined;
        settle(undefined);
      }, timeoutMs);
      call.keyWaiter = (key) => {
        clearTimeout(timer);
        settle(key);
      };
      return () => {
        clearTimeout(timer);
        call.keyWaiter = undefined;
      };
    });
  }

  /** Plays the prompts in one playback and waits for its end; with barge-in a key stops it. */
  private async prompt(call: Call, media: string[], bargeIn: boolean): Promise<void> {
    const id = randomUUID();
    if (bargeIn) call.playing = id;
    try {
      const finished = this.waitFor(call, (settle: (state: string) => void) => {
        this.playbacks.set(id, settle);
        return () => this.playbacks.delete(id);
      });
      // The call may end while the request is out, and the request then fail: the end is not a second error.
      finished.catch(() => undefined);
      await this.send('POST', `${call.path}/play/${id}?media=${encodeURIComponent(media.join(','))}`).catch((err: unknown) => {
        this.playbacks.get(id)?.('failed');
        throw err;
      });
      if ((await finished) === 'failed') throw new Error(`could not play ${media.join(', ')}`);
    } finally {
      if (call.playing === id) call.playing = undefined;
      if (call.stopWanted === id) call.stopWanted = undefined;
    }
  }

  /** Waits for what `arm` sets up, or for the end of the call (then rejects with CallEnded). */
  private waitFor<T>(call: Call, arm: (settle: (value: T) => void) => () => void): Promise<T> {
    if (call.ended) return Promise.reject(new CallEnded());
    return new Promise<T>((resolve, reject) => {
      const disarm = arm((value) => {
        call.wake = undefined;
        resolve(value);
      });
      call.wake = () => {
        call.wake = undefined;
        disarm();
        reject(new CallEnded());
      };
    });
  }

  /** One ARI request; resolves when Asterisk answered 2xx (the body is not read: nothing here needs it). */
  private send(method: string, path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = http.request({ ...this.target, path, method, agent: this.agent, headers: { Authorization: this.authorization, Accept: 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => ((res.statusCode ?? 0) < 300 ? resolve() : reject(new Error(`${method} ${path}: HTTP ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end();
    });
  }
}

interface AriEvent {
  type: string;
  [key: string]: unknown;
}
