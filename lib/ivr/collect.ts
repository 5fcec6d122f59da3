/**
 * Collecting digits (an account number, a PIN) and menus: a prompt the
 * caller can interrupt, then keys read with a first-key and a between-keys
 * timeout, retries with their own prompts for "nothing pressed" and "not
 * valid". Keys already pressed (type-ahead) count.
 */
import type { Telephony } from '../ari/port';
import type { CallSession } from '../call/session';
import { answer } from './answer';
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
}

export type CollectResult =
  | { outcome: 'collected'; digits: string; attempts: number }
  | { outcome: 'timeout'; attempts: number }
  | { outcome: 'invalid'; digits: string; attempts: number };

/** What collect and menu share: the retries and their prompts. */
interface Attempts {
  retries: number;
  invalidPrompts: string[];
  timeoutPrompts: string[];
  language: string;
  speaker?: Speaker;
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
      await keys.prompt(reading.prompts, language, true, signal, req.speaker);
      let input = '';
      let result: R | 'again' | 'more';
      for (;;) {
        const key = await keys.next(reading.waitMs(input), signal);
        result = reading.read(input, key, n);
        if (result !== 'more') break;
        input += key as string;
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
}

export type MenuResult =
  | { outcome: 'option'; key: string; index: number; attempts: number }
  | { outcome: 'timeout'; attempts: number }
  | { outcome: 'invalid'; key: string; attempts: number };

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
}

export function menu(telephony: Telephony, session: CallSession, req: MenuRequest, signal: AbortSignal): Promise<MenuResult> {
  return ask<MenuResult>(telephony, session, req, signal, new MenuReading(req));
}
