/**
 * Collecting digits (an account number, a PIN) and menus: a prompt the
 * caller can interrupt, then keys read with a first-key and a between-keys
 * timeout, retries with their own prompts for "nothing pressed" and "not
 * valid". Keys already pressed (type-ahead) count.
 */
import { abortReason } from '../ari/errors';
import type { Telephony } from '../ari/port';
import type { CallSession } from '../call/session';
import type { KeptPath } from '../media/listen';
import { answer } from './answer';
import { matchOption, spokenDigits } from './grammar';
import type { HearResult } from './hear';
import { KeyReader } from './keys';
import { MAX_INPUT, type DigitPattern } from './pattern';
import { promptLanguage } from './play';
import type { Speaker } from './say';

export interface CollectRequest {
  prompts: string[];
  minDigits: number;
  maxDigits: number;
  firstDigitTimeoutSec: number;
  interDigitTimeoutSec: number;
  /** A key that ends the input early ('' for none); it is not part of the digits. */
  terminator: '' | '#' | '*';
  /** The digits must match this (the whole input): a pattern run in linear time (see pattern.ts), or any check of digits. */
  pattern?: Pick<DigitPattern, 'matches'>;
  /** Further attempts after the first. */
  retries: number;
  invalidPrompts: string[];
  timeoutPrompts: string[];
  language: string;
  /** Says the say: prompts (the element's speech node). */
  speaker?: Speaker;
  /** Speech input (absent: keys only). */
  speech?: SpeechInput;
  /** With speech: digits spoken (checked as keys are) or free text (any text said is collected). */
  speechKind?: 'digits' | 'text';
}

/** What was said, when the answer came by voice. */
export interface Spoken {
  text: string;
  confidence: number | null;
}

export type CollectResult =
  | { outcome: 'collected'; digits: string; attempts: number; spoken?: Spoken }
  | { outcome: 'timeout'; attempts: number }
  | { outcome: 'invalid'; digits: string; attempts: number; spoken?: Spoken };

/**
 * Speech input for collect and menu: `speech` (the caller speaks) or `both` (keys or speech, whichever comes first).
 * Listening starts with the prompt: speech that starts stops it (barge-in); the wait for speech to start counts from
 * the end of the prompt (`armed`), as the first key's timeout does.
 */
export interface SpeechInput {
  mode: 'speech' | 'both';
  /**
   * Listens for one utterance and recognises it (lib/ivr/hear.ts, bound to the call's recogniser and media settings);
   * `onListening` once the media path hears the caller; `onHeard` once with the result as soon as it is known, while
   * the media path may still be closing (HearRequest.onHeard).
   */
  hear(onSpeechStart: () => void, armed: Promise<void>, signal: AbortSignal, onListening: () => void, onHeard?: (result: HearResult) => void, kept?: KeptPath): Promise<HearResult>;
  /**
   * A media path kept open across the listenings of a conversation (the robot's turns), on the call whose signal is
   * given; the caller closes it when the conversation ends (lib/media/listen.ts KeptPath). With `speaks` the path is
   * bridged with the call, so that audio sent on it reaches the caller (KeptPath.speak).
   */
  keptPath?(signal: AbortSignal, speaks?: boolean): KeptPath;
}

/** What collect and menu share: the retries and their prompts. */
interface Attempts {
  retries: number;
  invalidPrompts: string[];
  timeoutPrompts: string[];
  language: string;
  speaker?: Speaker;
  speech?: SpeechInput;
}

/**
 * How one attempt reads its answer, key by key. It does no waiting of its
 * own: `ask`'s loop plays the prompts and waits for each key, so a call
 * waiting for a key keeps one suspended function (ask's), not one per level.
 */
interface Reading<R> {
  prompts: string[];
  /** How long to wait for the next key (ms), after the keys of this attempt so far. */
  waitMs(input: string): number;
  /**
   * After a key (undefined: none came in time), with the keys before it in
   * this attempt: the attempt's result, 'again' to ask once more without
   * using up an attempt (a menu's repeat key), or 'more' to wait for another
   * key (this one is added to the input).
   */
  read(input: string, key: string | undefined, attempts: number): R | 'again' | 'more';
  /** What was said (recognised text, possibly empty) as this attempt's result. */
  heard(spoken: Spoken, attempts: number): R;
}

/**
 * Asks up to 1 + retries times: plays the prompts, then reads keys as
 * `reading` says. After a timeout or an invalid answer the matching retry
 * prompt plays; the last attempt's result is returned.
 */
async function ask<R extends { outcome: string }>(telephony: Telephony, session: CallSession, req: Attempts, signal: AbortSignal, reading: Reading<R>): Promise<R> {
  // Listening starts before the answer: a key pressed as the call is answered counts.
  const keys = new KeyReader(telephony, session);
  try {
    await answer(telephony, session, signal);
    const language = promptLanguage(session, req.language);
    for (let n = 1; ; ) {
      const listening = req.speech ? listen(req.speech, keys, signal) : undefined;
      let result: R | 'again' | 'more' | undefined;
      try {
        await keys.prompt(reading.prompts, language, true, signal, req.speaker, listening?.ready);
        listening?.arm();
        if (listening && req.speech?.mode === 'speech') result = spoken(await listening.heard, reading, n, signal);
        else {
          let input = '';
          for (;;) {
            const waiting = keys.nextKey(reading.waitMs(input), signal);
            // Keys or speech: speech that started before a key wins; a key before speech stops listening.
            const first = listening && input === '' ? await Promise.race([waiting, listening.heard]) : await waiting;
            if (typeof first === 'object') {
              keys.timedOut();
              result = spoken(first, reading, n, signal);
              break;
            }
            // No key in time while the caller is speaking: the speech decides.
            if (first === undefined && listening?.started && input === '') {
              result = spoken(await listening.heard, reading, n, signal);
              break;
            }
            if (listening && input === '') await listening.stop();
            result = reading.read(input, first, n);
            if (result !== 'more') break;
            input += first as string;
          }
        }
      } finally {
        await listening?.stop();
      }
      if (result === 'again') {
        keys.clear();
        continue;
      }
      if ((result.outcome !== 'timeout' && result.outcome !== 'invalid') || n > req.retries) return result;
      keys.clear();
      await keys.prompt(result.outcome === 'timeout' ? req.timeoutPrompts : req.invalidPrompts, language, true, signal, req.speaker);
      n += 1;
    }
  } finally {
    keys.close();
  }
}

/**
 * One listening of an attempt: `heard` settles with what was heard; `stop` ends it (a key came, the attempt is over)
 * and resolves once the media path is closed, so nothing of it outlives the element.
 */
export interface Listening {
  /** What was heard, once the media path has closed. */
  heard: Promise<HearResult>;
  /** What was heard, as soon as it is known (the media path may still be closing); rejects as `heard` does. */
  result: Promise<HearResult>;
  /**
   * Settles once the media path hears the caller, or once listening is over without it (the call ended, it failed):
   * the prompt the caller answers waits for it, so an answer given as soon as the prompt ends (or over it) is heard
   * however late a busy machine opened the path.
   */
  ready: Promise<void>;
  /** Speech has started (the caller is speaking). */
  readonly started: boolean;
  arm(): void;
  stop(): Promise<void>;
}

export function listen(speech: SpeechInput, keys: KeyReader, signal: AbortSignal, kept?: KeptPath): Listening {
  const own = new AbortController();
  const onAbort = (): void => own.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  let arm!: () => void;
  const armed = new Promise<void>((resolve) => (arm = resolve));
  const state = { started: false };
  const onStart = (): void => {
    state.started = true;
    keys.interrupt();
  };
  let listening!: () => void;
  const ready = new Promise<void>((resolve) => (listening = resolve));
  let told!: (result: HearResult) => void;
  const early = new Promise<HearResult>((resolve) => (told = resolve));
  const heard = speech.hear(onStart, armed, own.signal, listening, told, kept).finally(() => signal.removeEventListener('abort', onAbort));
  // A failure is seen by whoever awaits `heard`; one nobody awaits (a key came first) is not unhandled.
  heard.then(listening, listening);
  const result = Promise.race([early, heard]);
  result.catch(() => undefined);
  return {
    heard,
    result,
    ready,
    get started() {
      return state.started;
    },
    arm,
    stop: () => {
      arm();
      own.abort();
      return heard.then(
        () => undefined,
        () => undefined,
      );
    },
  };
}

/** What was heard as an attempt's result: nothing said is a timeout; the call ending throws as a key wait would. */
function spoken<R extends { outcome: string }>(h: HearResult, reading: Reading<R>, attempts: number, signal: AbortSignal): R {
  if (h.outcome === 'hangup') throw signal.aborted ? abortReason(signal) : new Error('listening stopped');
  if (h.outcome === 'no-speech') return reading.read('', undefined, attempts) as R;
  return reading.heard({ text: h.text, confidence: h.confidence }, attempts);
}

/**
 * How a collection reads its digits. A class rather than closures: a call
 * waiting for digits keeps one object, not three closures, their context and
 * the object holding them (issue 14).
 */
class DigitReading implements Reading<CollectResult> {
  readonly prompts: string[];
  /** The schema allows 64; the pattern's matcher takes no more (MAX_INPUT), whoever calls collect(). */
  private readonly maxDigits: number;

  constructor(private readonly req: CollectRequest) {
    this.prompts = req.prompts;
    this.maxDigits = Math.min(req.maxDigits, MAX_INPUT);
  }

  waitMs(input: string): number {
    return (input === '' ? this.req.firstDigitTimeoutSec : this.req.interDigitTimeoutSec) * 1000;
  }

  read(input: string, key: string | undefined, attempts: number): CollectResult | 'more' {
    if (key === undefined || (this.req.terminator && key === this.req.terminator)) return this.verdict(input, attempts);
    const digits = input + key;
    return digits.length >= this.maxDigits ? this.verdict(digits, attempts) : 'more';
  }

  heard(spoken: Spoken, attempts: number): CollectResult {
    if (spoken.text === '') return { outcome: 'invalid', digits: '', attempts, spoken };
    if (this.req.speechKind === 'text') return { outcome: 'collected', digits: spoken.text, attempts, spoken };
    const digits = spokenDigits(spoken.text).slice(0, this.maxDigits);
    const v = this.verdict(digits, attempts);
    return v.outcome === 'timeout' ? { outcome: 'invalid', digits: '', attempts, spoken } : { ...v, spoken };
  }

  private verdict(digits: string, attempts: number): CollectResult {
    const req = this.req;
    if (digits === '') return { outcome: 'timeout', attempts };
    if (digits.length < req.minDigits || (req.pattern && !req.pattern.matches(digits))) return { outcome: 'invalid', digits, attempts };
    return { outcome: 'collected', digits, attempts };
  }
}

export function collect(telephony: Telephony, session: CallSession, req: CollectRequest, signal: AbortSignal): Promise<CollectResult> {
  return ask<CollectResult>(telephony, session, req, signal, new DigitReading(req));
}

export interface MenuRequest {
  prompts: string[];
  /** The keys that choose an option, in output order. */
  keys: string[];
  /** A key that plays the menu again ('' for none); it does not use up an attempt. */
  repeatKey: string;
  timeoutSec: number;
  retries: number;
  invalidPrompts: string[];
  timeoutPrompts: string[];
  language: string;
  speaker?: Speaker;
  speech?: SpeechInput;
  /** With speech: each option's phrases, in output order. */
  phrases?: readonly (readonly string[])[];
}

export type MenuResult =
  | { outcome: 'option'; key: string; index: number; attempts: number; spoken?: Spoken }
  | { outcome: 'timeout'; attempts: number }
  | { outcome: 'invalid'; key: string; attempts: number; spoken?: Spoken };

/** A caller who keeps pressing the repeat key hears the menu this many times at most before it counts as an attempt. */
const MAX_REPEATS = 10;

/** How a menu reads its key (a class, as DigitReading is). */
class MenuReading implements Reading<MenuResult> {
  readonly prompts: string[];
  private repeats = 0;

  constructor(private readonly req: MenuRequest) {
    this.prompts = req.prompts;
  }

  waitMs(): number {
    return this.req.timeoutSec * 1000;
  }

  read(_input: string, key: string | undefined, attempts: number): MenuResult | 'again' {
    if (key === undefined) return { outcome: 'timeout', attempts };
    if (key === this.req.repeatKey && this.repeats < MAX_REPEATS) {
      this.repeats += 1;
      return 'again';
    }
    const index = this.req.keys.indexOf(key);
    return index >= 0 ? { outcome: 'option', key, index, attempts } : { outcome: 'invalid', key, attempts };
  }

  heard(spoken: Spoken, attempts: number): MenuResult {
    const index = matchOption(spoken.text, this.req.phrases ?? []);
    const key = this.req.keys[index];
    return key !== undefined ? { outcome: 'option', key, index, attempts, spoken } : { outcome: 'invalid', key: '', attempts, spoken };
  }
}

export function menu(telephony: Telephony, session: CallSession, req: MenuRequest, signal: AbortSignal): Promise<MenuResult> {
  return ask<MenuResult>(telephony, session, req, signal, new MenuReading(req));
}
