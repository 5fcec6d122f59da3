/**
 * The result policy (lib/campaign/policy.ts): what follows an attempt for a
 * customer. Settings come from checkCampaign (with its defaults) and local
 * days from daysOf (calendar.ts) over the campaign's calling calendar, in
 * Asia/Shanghai (UTC+08:00, no daylight saving). Covered: answered calls;
 * the global policy by days (attempts per day, days, interval); the policy
 * by failure cause; non-retry result codes; the contact policy per number
 * type; the multi-number modes and which number comes next; blocklisted
 * numbers; and attempts whose end was not observed ("lost").
 */
import assert from 'node:assert/strict';
import { CallingCalendar, daysOf } from '../../lib/campaign/calendar';
import { afterAttempt, numberToCall, ruleFor, type AttemptEnd, type ContactProgress, type Days } from '../../lib/campaign/policy';
import { DEFAULT_RULE, checkCampaign, type CampaignSettings, type CauseRule, type RetryRule } from '../../lib/schemas/campaign';
import type { AttemptOutcome, ContactNumber } from '../../lib/schemas/store';
import type { NextStep } from '../../lib/store/port';

const SH = 'Asia/Shanghai';
const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;

/** A Shanghai (UTC+08:00) local time as an instant. */
const sh = (local: string): number => {
  const t = Date.parse(`${local}+08:00`);
  assert.ok(Number.isFinite(t), `bad test instant ${local}`);
  return t;
};
const T0 = sh('2026-03-02T10:00');

/** Campaign settings through checkCampaign: the required fields, Shanghai, and what the test gives. */
function settings(over: Record<string, unknown> = {}): CampaignSettings {
  const r = checkCampaign({ name: 'policy test', connection: 'asterisk', store: 'store', callerNumbers: ['+862100000000'], timezone: SH, ...over });
  if (!r.ok) assert.fail(`settings: ${r.problems.join('; ')}`);
  return r.value;
}
const rule = (r: Partial<RetryRule> = {}): RetryRule => ({ ...DEFAULT_RULE, ...r });
const byCause = (...causes: CauseRule[]): RetryRule => rule({ byCause: true, causes });
const globalPolicy = (r: RetryRule, nonRetry: string[] = []): Record<string, unknown> => ({ policy: { mode: 'global', rule: r, types: [], nonRetry } });
const daysFor = (s: CampaignSettings): Days => daysOf(new CallingCalendar(s.hours, s.timezone), s.timezone);

const A = '+8613800000001';
const B = '+8613800000002';
const C = '+8613800000003';

/** One customer going through attempts: its progress is carried from step to step as the store would. */
class Customer {
  progress: Record<string, unknown>;
  readonly days: Days;

  constructor(
    readonly numbers: ContactNumber[],
    readonly settings: CampaignSettings,
    progress: Record<string, unknown> = {},
  ) {
    this.progress = progress;
    this.days = daysFor(settings);
  }

  /** The number the dialer would call now. */
  get next(): string {
    const n = numberToCall(this.numbers, this.progress, this.settings);
    assert.ok(n, 'a number to call');
    return n.number;
  }

  /** How the number's attempt ended (the number the dialer would call, unless given). */
  end(end: Omit<AttemptEnd, 'number'> & { number?: string }): NextStep {
    const step = afterAttempt({ numbers: this.numbers, progress: this.progress }, { number: this.next, ...end }, this.settings, this.days);
    this.progress = step.progress;
    return step;
  }

  get numberProgress(): NonNullable<ContactProgress['numbers']> {
    return (this.progress as ContactProgress).numbers ?? {};
  }
}

/**
 * Dials the customer until it is done: each attempt ends `ringMs` after it
 * is due, with the outcome `outcome` gives. The attempts (number, end) and
 * the final step.
 */
function dialUntilDone(c: Customer, start: number, outcome: (number: string, i: number) => AttemptOutcome, ringMs = 20 * SEC, limit = 100): { attempts: [string, number][]; done: NextStep } {
  const attempts: [string, number][] = [];
  let at = start;
  for (let i = 0; i < limit; i++) {
    const number = c.next;
    const step = c.end({ number, outcome: outcome(number, i), at });
    attempts.push([number, at]);
    if (step.state === 'done') return { attempts, done: step };
    assert.ok(step.dueAt >= at, `attempt ${i + 1}: due ${step.dueAt} before its end ${at}`);
    at = step.dueAt + ringMs;
  }
  assert.fail(`not done after ${limit} attempts`);
}

const waiting = (dueAt: number, next: string) => ({ state: 'waiting', dueAt, next });
const due = (dueAt: number, next: string) => ({ state: 'due', dueAt, next });
/** A step without its progress, and the number it calls next. */
const brief = (step: NextStep): { state: string; dueAt?: number; next?: string; result?: unknown } =>
  step.state === 'done' ? { state: 'done', result: step.result } : { state: step.state, dueAt: step.dueAt, next: (step.progress as ContactProgress).next };

describe('campaign result policy', function () {
  describe('answered', function () {
    it('is done with the business result and sub-result the IVR set, on the number that answered', function () {
      const c = new Customer([{ number: A }, { number: B }], settings());
      const step = c.end({ outcome: 'answered', at: T0, result: 'interested', subResult: 'wants-callback' });
      assert.deepEqual(step, { state: 'done', at: T0, progress: { numbers: {} }, result: { code: 'interested', subCode: 'wants-callback', at: T0, number: A } });
    });

    it("is done with 'answered' when the IVR set no result", function () {
      const c = new Customer([{ number: A }], settings());
      const step = c.end({ outcome: 'answered', at: T0 });
      assert.equal(step.state, 'done');
      assert.deepEqual(step.state === 'done' && step.result, { code: 'answered', at: T0, number: A });
    });

    it('after failures on other numbers: done with the number that answered; the in-flight attempt and next number are cleared', function () {
      const c = new Customer([{ number: A }, { number: B }], settings(), { inflight: { n: 1, number: A, channelId: 'ch-1', startedAt: T0 - 30 * SEC, caller: '+862100000000' }, other: 'kept' });
      assert.deepEqual(brief(c.end({ outcome: 'busy', at: T0 })), due(T0, B));
      assert.equal(c.progress.inflight, undefined);
      assert.equal(c.progress.other, 'kept');
      const step = c.end({ outcome: 'answered', at: T0 + MIN, result: 'ok' });
      assert.deepEqual(brief(step), { state: 'done', result: { code: 'ok', at: T0 + MIN, number: B } });
      assert.equal((step.progress as ContactProgress).next, undefined);
      assert.equal(step.progress.other, 'kept');
    });
  });

  describe('afterAttempt', function () {
    it("does not change the contact's progress it is given", function () {
      const s = settings();
      const progress = { numbers: { [A]: { tries: 1, firstDay: '2026-03-02', lastDay: '2026-03-02', today: 1, lastAt: T0, causes: { busy: 1 } } }, next: A };
      const copy = structuredClone(progress);
      afterAttempt({ numbers: [{ number: A }], progress }, { number: A, outcome: 'busy', at: T0 + MIN }, s, daysFor(s));
      afterAttempt({ numbers: [{ number: A }], progress }, { number: A, outcome: 'answered', at: T0 + MIN }, s, daysFor(s));
      assert.deepEqual(progress, copy);
    });

    it('keeps per-number progress: tries, days, attempts today, last cause, failures by cause', function () {
      const c = new Customer([{ number: A }], settings(globalPolicy(rule({ maxPerDay: 5, maxDays: 2, intervalSec: 60 }))));
      c.end({ outcome: 'busy', at: T0 });
      c.end({ outcome: 'no-answer', at: T0 + 2 * MIN });
      c.end({ outcome: 'busy', at: sh('2026-03-03T09:00') });
      assert.deepEqual(c.numberProgress[A], {
        tries: 3,
        firstDay: '2026-03-02',
        lastDay: '2026-03-03',
        today: 1,
        lastAt: sh('2026-03-03T09:00'),
        lastCause: 'busy',
        causes: { busy: 2, 'no-answer': 1 },
      });
    });
  });

  describe('global policy by days', function () {
    it('waits the interval between attempts: waiting, due at the last attempt + interval', function () {
      const c = new Customer([{ number: A }], settings(globalPolicy(rule({ maxPerDay: 3, maxDays: 1, intervalSec: 300 }))));
      assert.deepEqual(brief(c.end({ outcome: 'no-answer', at: T0 })), waiting(T0 + 300 * SEC, A));
      assert.deepEqual(brief(c.end({ outcome: 'busy', at: T0 + 301 * SEC })), waiting(T0 + 601 * SEC, A));
    });

    it('with interval 0 the number is due again at once', function () {
      const c = new Customer([{ number: A }], settings(globalPolicy(rule({ maxPerDay: 3, maxDays: 1, intervalSec: 0 }))));
      assert.deepEqual(brief(c.end({ outcome: 'no-answer', at: T0 })), due(T0, A));
    });

    it('maxPerDay 3, maxDays 1: done with the last failure after the third attempt', function () {
      const c = new Customer([{ number: A }], settings(globalPolicy(rule({ maxPerDay: 3, maxDays: 1, intervalSec: 60 }))));
      const { attempts, done } = dialUntilDone(c, T0, (_n, i) => (i === 2 ? 'busy' : 'no-answer'));
      assert.equal(attempts.length, 3);
      assert.deepEqual(brief(done), { state: 'done', result: { code: 'busy', at: T0 + 2 * 80 * SEC } });
    });

    it('maxPerDay 3: the third failure of a day waits until the next local day starts (00:00 in Shanghai is 16:00 UTC)', function () {
      const c = new Customer([{ number: A }], settings(globalPolicy(rule({ maxPerDay: 3, maxDays: 2, intervalSec: 60 }))));
      assert.deepEqual(brief(c.end({ outcome: 'no-answer', at: sh('2026-03-02T10:00') })), waiting(sh('2026-03-02T10:01'), A));
      assert.deepEqual(brief(c.end({ outcome: 'no-answer', at: sh('2026-03-02T10:01') })), waiting(sh('2026-03-02T10:02'), A));
      const third = c.end({ outcome: 'no-answer', at: sh('2026-03-02T10:02') });
      assert.deepEqual(brief(third), waiting(sh('2026-03-03T00:00'), A));
      assert.equal(third.state !== 'done' && new Date(third.dueAt).toISOString(), '2026-03-02T16:00:00.000Z');
    });

    it('maxDays 2: done after the attempts of the second day', function () {
      const c = new Customer([{ number: A }], settings(globalPolicy(rule({ maxPerDay: 3, maxDays: 2, intervalSec: 60 }))));
      const { attempts, done } = dialUntilDone(c, sh('2026-03-02T17:00'), () => 'no-answer', 30 * SEC);
      assert.deepEqual(
        attempts.map(([, at]) => new Date(at).toISOString()),
        [
          // Day 1 (2026-03-02 local): 17:00, 17:01:30, 17:03 local.
          '2026-03-02T09:00:00.000Z',
          '2026-03-02T09:01:30.000Z',
          '2026-03-02T09:03:00.000Z',
          // Day 2 from 00:00 local (16:00 UTC the day before) + 30 s ringing.
          '2026-03-02T16:00:30.000Z',
          '2026-03-02T16:02:00.000Z',
          '2026-03-02T16:03:30.000Z',
        ],
      );
      assert.deepEqual(brief(done), { state: 'done', result: { code: 'no-answer', at: sh('2026-03-03T00:03:30') } });
    });

    it("starts the next day no earlier than the interval allows (interval 1 h after a 23:30 third attempt: 00:30)", function () {
      const c = new Customer([{ number: A }], settings(globalPolicy(rule({ maxPerDay: 3, maxDays: 2, intervalSec: 3600 }))));
      c.end({ outcome: 'busy', at: sh('2026-03-02T21:00') });
      c.end({ outcome: 'busy', at: sh('2026-03-02T22:00') });
      assert.deepEqual(brief(c.end({ outcome: 'busy', at: sh('2026-03-02T23:30') })), waiting(sh('2026-03-03T00:30'), A));
    });

    it('an interval running into the next day starts that day only when the rule has days left', function () {
      const oneDay = new Customer([{ number: A }], settings(globalPolicy(rule({ maxPerDay: 3, maxDays: 1, intervalSec: 600 }))));
      assert.deepEqual(brief(oneDay.end({ outcome: 'busy', at: sh('2026-03-02T23:55') })), { state: 'done', result: { code: 'busy', at: sh('2026-03-02T23:55') } });
      const twoDays = new Customer([{ number: A }], settings(globalPolicy(rule({ maxPerDay: 3, maxDays: 2, intervalSec: 600 }))));
      assert.deepEqual(brief(twoDays.end({ outcome: 'busy', at: sh('2026-03-02T23:55') })), waiting(sh('2026-03-03T00:05'), A));
      // The attempt after midnight is the first of day 2.
      twoDays.end({ outcome: 'busy', at: sh('2026-03-03T00:05') });
      assert.equal(twoDays.numberProgress[A]?.today, 1);
    });

    it('counts attempts per local day, not per 24 hours (a day starts at 00:00 Shanghai time)', function () {
      const c = new Customer([{ number: A }], settings(globalPolicy(rule({ maxPerDay: 2, maxDays: 3, intervalSec: 60 }))));
      c.end({ outcome: 'busy', at: sh('2026-03-02T23:50') });
      // Second attempt of 2026-03-02: the day is full, wait for 2026-03-03.
      assert.deepEqual(brief(c.end({ outcome: 'busy', at: sh('2026-03-02T23:58') })), waiting(sh('2026-03-03T00:00'), A));
      assert.deepEqual(brief(c.end({ outcome: 'busy', at: sh('2026-03-03T00:01') })), waiting(sh('2026-03-03T00:02'), A));
      assert.deepEqual(brief(c.end({ outcome: 'busy', at: sh('2026-03-03T00:02') })), waiting(sh('2026-03-04T00:00'), A));
    });
  });

  describe('global policy by failure cause', function () {
    it('busy with 2 retries: exactly 3 busy attempts, the interval apart, then done with busy', function () {
      const c = new Customer([{ number: A }], settings(globalPolicy(byCause({ cause: 'busy', retries: 2, intervalSec: 30 }))));
      const first = c.end({ outcome: 'busy', at: T0 });
      assert.deepEqual(brief(first), waiting(T0 + 30 * SEC, A));
      const { attempts, done } = dialUntilDone(c, T0 + 30 * SEC, () => 'busy', 0);
      assert.deepEqual(attempts, [
        [A, T0 + 30 * SEC],
        [A, T0 + 60 * SEC],
      ]);
      assert.deepEqual(brief(done), { state: 'done', result: { code: 'busy', at: T0 + 60 * SEC } });
      assert.equal(c.numberProgress[A]?.causes.busy, 3);
    });

    it('0 retries: done after the first failure with that cause', function () {
      const c = new Customer([{ number: A }], settings(globalPolicy(byCause({ cause: 'no-answer', retries: 0, intervalSec: 30 }))));
      assert.deepEqual(brief(c.end({ outcome: 'no-answer', at: T0 })), { state: 'done', result: { code: 'no-answer', at: T0 } });
    });

    it('a cause without a rule is not retried: done at once', function () {
      for (const outcome of ['rejected', 'no-answer', 'unallocated', 'max-response-exceeded', 'originate-failed'] as const) {
        const c = new Customer([{ number: A }], settings(globalPolicy(byCause({ cause: 'busy', retries: 5, intervalSec: 30 }))));
        assert.deepEqual(brief(c.end({ outcome, at: T0 })), { state: 'done', result: { code: outcome, at: T0 } }, outcome);
      }
    });

    it('each cause has its own count and interval; the last failure decides', function () {
      const c = new Customer(
        [{ number: A }],
        settings(globalPolicy(byCause({ cause: 'busy', retries: 1, intervalSec: 30 }, { cause: 'no-answer', retries: 2, intervalSec: 600 }))),
      );
      assert.deepEqual(brief(c.end({ outcome: 'busy', at: T0 })), waiting(T0 + 30 * SEC, A));
      assert.deepEqual(brief(c.end({ outcome: 'no-answer', at: T0 + MIN })), waiting(T0 + MIN + 600 * SEC, A));
      assert.deepEqual(brief(c.end({ outcome: 'no-answer', at: T0 + 11 * MIN })), waiting(T0 + 21 * MIN, A));
      // A second busy: busy has failed twice, more than its one retry, whatever the no answers left.
      assert.deepEqual(brief(c.end({ outcome: 'busy', at: T0 + 21 * MIN })), { state: 'done', result: { code: 'busy', at: T0 + 21 * MIN } });
    });

    it('retries an answering machine (cause machine, answering-machine detection) under its own rule', function () {
      const c = new Customer([{ number: A }], settings(globalPolicy(byCause({ cause: 'machine', retries: 1, intervalSec: 3600 }, { cause: 'busy', retries: 5, intervalSec: 60 }))));
      assert.deepEqual(brief(c.end({ outcome: 'machine', at: T0 })), waiting(T0 + HOUR, A));
      assert.deepEqual(brief(c.end({ outcome: 'machine', at: T0 + HOUR })), { state: 'done', result: { code: 'machine', at: T0 + HOUR } });
    });

    it('ignores the days and per-day limits', function () {
      const c = new Customer([{ number: A }], settings(globalPolicy(rule({ byCause: true, maxPerDay: 1, maxDays: 1, causes: [{ cause: 'busy', retries: 4, intervalSec: 60 }] }))));
      const { attempts } = dialUntilDone(c, T0, () => 'busy', 0);
      assert.equal(attempts.length, 5);
    });
  });

  describe('non-retry result codes', function () {
    it('a failure cause listed as non-retry ends the customer, even with numbers not tried yet', function () {
      const c = new Customer([{ number: A }, { number: B }, { number: C }], settings(globalPolicy(rule({ maxPerDay: 3, maxDays: 2 }), ['unallocated'])));
      const step = c.end({ outcome: 'unallocated', at: T0 });
      assert.deepEqual(brief(step), { state: 'done', result: { code: 'unallocated', at: T0 } });
      assert.equal((step.progress as ContactProgress).next, undefined);
    });

    it('other causes still go on to the next number', function () {
      const c = new Customer([{ number: A }, { number: B }], settings(globalPolicy(rule(), ['unallocated'])));
      assert.deepEqual(brief(c.end({ outcome: 'busy', at: T0 })), due(T0, B));
      assert.deepEqual(brief(c.end({ outcome: 'unallocated', at: T0 + MIN })), { state: 'done', result: { code: 'unallocated', at: T0 + MIN } });
    });

    it('a business result listed as non-retry ends the customer with that result, whatever numbers are left', function () {
      const s = settings(globalPolicy(rule({ maxPerDay: 3 }), ['do-not-call']));
      const answered = new Customer([{ number: A }, { number: B }], s);
      assert.deepEqual(brief(answered.end({ outcome: 'answered', at: T0, result: 'do-not-call' })), { state: 'done', result: { code: 'do-not-call', at: T0, number: A } });
      const failed = new Customer([{ number: A }, { number: B }], s);
      assert.deepEqual(brief(failed.end({ outcome: 'no-answer', at: T0, result: 'do-not-call' })), { state: 'done', result: { code: 'do-not-call', at: T0 } });
      // A result that is not listed does not end a failed attempt's customer.
      const other = new Customer([{ number: A }, { number: B }], s);
      assert.deepEqual(brief(other.end({ outcome: 'no-answer', at: T0, result: 'maybe' })), due(T0, B));
    });

    it('a code both in a cause rule and in the non-retry list is not retried', function () {
      const c = new Customer([{ number: A }, { number: B }], settings(globalPolicy(byCause({ cause: 'busy', retries: 2, intervalSec: 30 }), ['busy'])));
      assert.deepEqual(brief(c.end({ outcome: 'busy', at: T0 })), { state: 'done', result: { code: 'busy', at: T0 } });
    });

    it('applies in the contact policy too', function () {
      const c = new Customer(
        [{ number: A, type: 'mobile' }, { number: B, type: 'home' }],
        settings({ policy: { mode: 'contact', rule: rule(), types: [{ type: 'mobile', ...byCause({ cause: 'rejected', retries: 3, intervalSec: 60 }) }], nonRetry: ['rejected'] } }),
      );
      assert.deepEqual(brief(c.end({ outcome: 'rejected', at: T0 })), { state: 'done', result: { code: 'rejected', at: T0 } });
    });
  });

  describe('contact policy per number type', function () {
    const mobileRule = { type: 'mobile', ...byCause({ cause: 'no-answer', retries: 1, intervalSec: 600 }) };
    const defaultRule = rule({ maxPerDay: 3, maxDays: 1, intervalSec: 60 });
    const s = settings({ policy: { mode: 'contact', rule: defaultRule, types: [mobileRule], nonRetry: [] } });

    it("ruleFor: the number type's rule, else the default rule", function () {
      assert.deepEqual(ruleFor({ number: A, type: 'mobile' }, s), mobileRule);
      assert.deepEqual(ruleFor({ number: A, type: 'home' }, s), defaultRule);
      assert.deepEqual(ruleFor({ number: A }, s), defaultRule);
    });

    it('ruleFor: the global policy uses its one rule for every type', function () {
      const g = settings({ policy: { mode: 'global', rule: defaultRule, types: [mobileRule], nonRetry: [] } });
      assert.deepEqual(ruleFor({ number: A, type: 'mobile' }, g), defaultRule);
    });

    it('a mobile number follows the mobile rule (one retry of a no answer, 10 minutes apart)', function () {
      const c = new Customer([{ number: A, type: 'mobile' }], s);
      assert.deepEqual(brief(c.end({ outcome: 'no-answer', at: T0 })), waiting(T0 + 10 * MIN, A));
      assert.deepEqual(brief(c.end({ outcome: 'no-answer', at: T0 + 10 * MIN })), { state: 'done', result: { code: 'no-answer', at: T0 + 10 * MIN } });
    });

    it('a home number (no rule of its own) follows the default rule (3 a day, a minute apart)', function () {
      const c = new Customer([{ number: A, type: 'home' }], s);
      const { attempts, done } = dialUntilDone(c, T0, () => 'no-answer', 0);
      assert.deepEqual(
        attempts.map(([, at]) => at),
        [T0, T0 + MIN, T0 + 2 * MIN],
      );
      assert.equal(done.state, 'done');
    });

    it('a customer with both: each number keeps its own rule', function () {
      const c = new Customer([{ number: A, type: 'mobile' }, { number: B, type: 'home' }], s);
      assert.deepEqual(brief(c.end({ outcome: 'busy', at: T0 })), due(T0, B)); // busy has no mobile rule, but B is not tried yet
      assert.deepEqual(brief(c.end({ outcome: 'no-answer', at: T0 })), waiting(T0 + MIN, B)); // A is done (no busy rule for mobile)
      assert.deepEqual(brief(c.end({ outcome: 'no-answer', at: T0 + MIN })), waiting(T0 + 2 * MIN, B));
      assert.deepEqual(brief(c.end({ outcome: 'no-answer', at: T0 + 2 * MIN })), { state: 'done', result: { code: 'no-answer', at: T0 + 2 * MIN } });
    });
  });

  describe('several numbers', function () {
    it('sequence: the numbers as listed; after a failure the next number not tried is due at once', function () {
      const c = new Customer([{ number: A }, { number: B }, { number: C }], settings(globalPolicy(rule({ maxPerDay: 3, intervalSec: 60 }))));
      assert.equal(c.next, A);
      assert.deepEqual(brief(c.end({ outcome: 'busy', at: T0 })), due(T0, B));
      assert.equal(c.next, B);
      assert.deepEqual(brief(c.end({ outcome: 'no-answer', at: T0 + 20 * SEC })), due(T0 + 20 * SEC, C));
      assert.equal(c.next, C);
      // Every number tried: the one due first (A, a minute after its attempt).
      assert.deepEqual(brief(c.end({ outcome: 'busy', at: T0 + 40 * SEC })), waiting(T0 + MIN, A));
      assert.deepEqual(brief(c.end({ outcome: 'busy', at: T0 + MIN })), waiting(T0 + 80 * SEC, B));
    });

    it('type: by the type order (work, then mobile), other types after', function () {
      const s = settings({ multiNumber: { mode: 'type', types: ['work', 'mobile'] } });
      const c = new Customer([{ number: A, type: 'home' }, { number: B, type: 'mobile' }, { number: C, type: 'work' }], s);
      assert.equal(c.next, C);
      assert.deepEqual(brief(c.end({ outcome: 'busy', at: T0 })), due(T0, B));
      assert.deepEqual(brief(c.end({ outcome: 'busy', at: T0 + 10 * SEC })), due(T0 + 10 * SEC, A));
      assert.deepEqual(brief(c.end({ outcome: 'busy', at: T0 + 20 * SEC })), waiting(T0 + MIN, C));
    });

    it("seq: by each number's sequence number", function () {
      const s = settings({ multiNumber: { mode: 'seq', types: [] } });
      const c = new Customer([{ number: A, seq: 3 }, { number: B, seq: 1 }, { number: C, seq: 2 }], s);
      assert.equal(c.next, B);
      assert.deepEqual(brief(c.end({ outcome: 'no-answer', at: T0 })), due(T0, C));
      assert.deepEqual(brief(c.end({ outcome: 'no-answer', at: T0 + 10 * SEC })), due(T0 + 10 * SEC, A));
      assert.deepEqual(brief(c.end({ outcome: 'no-answer', at: T0 + 20 * SEC })), waiting(T0 + MIN, B));
    });

    it('after a number called out of turn, the numbers not tried follow it in order, then from the start', function () {
      const c = new Customer([{ number: A }, { number: B }, { number: C }], settings(), { next: B });
      assert.equal(c.next, B);
      assert.deepEqual(brief(c.end({ outcome: 'busy', at: T0 })), due(T0, C));
      assert.deepEqual(brief(c.end({ outcome: 'busy', at: T0 })), due(T0, A));
    });

    it('calls the first number in order when the progress names none, or one the contact no longer has', function () {
      const s = settings({ multiNumber: { mode: 'seq', types: [] } });
      const numbers = [{ number: A, seq: 2 }, { number: B, seq: 1 }];
      assert.equal(numberToCall(numbers, {}, s)?.number, B);
      assert.equal(numberToCall(numbers, { next: '+8613899999999' }, s)?.number, B);
      assert.equal(numberToCall(numbers, { next: A }, s)?.number, A);
      assert.equal(numberToCall([], {}, s), undefined);
    });

    it('when every number was tried, the retryable one due first is next; ties go to the number first in order', function () {
      const s = settings(globalPolicy(byCause({ cause: 'busy', retries: 3, intervalSec: 600 }, { cause: 'no-answer', retries: 3, intervalSec: 60 })));
      const c = new Customer([{ number: A }, { number: B }, { number: C }], s);
      c.end({ outcome: 'busy', at: T0 }); // A again at T0 + 10 min
      c.end({ outcome: 'no-answer', at: T0 + MIN }); // B again at T0 + 2 min
      assert.deepEqual(brief(c.end({ outcome: 'no-answer', at: T0 + MIN })), waiting(T0 + 2 * MIN, B)); // C again at T0 + 2 min too: B first
    });

    it('a number that may not be retried is skipped; when none may, done with the last failure', function () {
      const s = settings(globalPolicy(byCause({ cause: 'busy', retries: 1, intervalSec: 60 })));
      const c = new Customer([{ number: A }, { number: B }], s);
      assert.deepEqual(brief(c.end({ outcome: 'busy', at: T0 })), due(T0, B));
      assert.deepEqual(brief(c.end({ outcome: 'rejected', at: T0 + 10 * SEC })), waiting(T0 + MIN, A));
      assert.deepEqual(brief(c.end({ outcome: 'busy', at: T0 + MIN })), { state: 'done', result: { code: 'busy', at: T0 + MIN } });
    });

    it('a failure due at once after every number was tried is "due", not "waiting"', function () {
      const c = new Customer([{ number: A }, { number: B }], settings(globalPolicy(rule({ maxPerDay: 5, intervalSec: 0 }))));
      c.end({ outcome: 'busy', at: T0 });
      assert.deepEqual(brief(c.end({ outcome: 'busy', at: T0 + SEC })), due(T0 + SEC, A));
    });
  });

  describe('blocklisted numbers', function () {
    it('blocked until a time: no try is counted, the number waits until then', function () {
      const c = new Customer([{ number: A }], settings(globalPolicy(rule({ maxPerDay: 1, maxDays: 1 }))));
      const until = T0 + 2 * HOUR;
      assert.deepEqual(brief(c.end({ outcome: 'blocked', at: T0, blockedUntil: until })), waiting(until, A));
      assert.equal(c.numberProgress[A]?.tries, 0);
      assert.equal(c.numberProgress[A]?.closed, undefined);
      // Dialed when the block ended: its one attempt of the day is still there.
      assert.deepEqual(brief(c.end({ outcome: 'busy', at: until })), { state: 'done', result: { code: 'busy', at: until } });
    });

    it('a block before the first attempt does not start the day count (maxDays counts from the first attempt)', function () {
      const c = new Customer([{ number: A }], settings(globalPolicy(rule({ maxPerDay: 1, maxDays: 2, intervalSec: 60 }))));
      // Blocked on 2026-03-02 until 09:00 the next day; dialed then, on its first day.
      assert.deepEqual(brief(c.end({ outcome: 'blocked', at: sh('2026-03-02T20:00'), blockedUntil: sh('2026-03-03T09:00') })), waiting(sh('2026-03-03T09:00'), A));
      assert.deepEqual(brief(c.end({ outcome: 'busy', at: sh('2026-03-03T09:00') })), waiting(sh('2026-03-04T00:00'), A));
      assert.deepEqual(brief(c.end({ outcome: 'busy', at: sh('2026-03-04T09:00') })), { state: 'done', result: { code: 'busy', at: sh('2026-03-04T09:00') } });
    });

    it('blocked until a time when a retry was due: waits for the block, not the rule', function () {
      const c = new Customer([{ number: A }], settings(globalPolicy(rule({ maxPerDay: 3, maxDays: 1, intervalSec: 60 }))));
      c.end({ outcome: 'busy', at: T0 });
      assert.deepEqual(brief(c.end({ outcome: 'blocked', at: T0 + MIN, blockedUntil: T0 + HOUR })), waiting(T0 + HOUR, A));
      assert.equal(c.numberProgress[A]?.tries, 1);
    });

    it('blocked until a time, with another number: the other number is called meanwhile, the blocked one not before its block ends', function () {
      const c = new Customer([{ number: A }, { number: B }], settings(globalPolicy(rule({ maxPerDay: 3, maxDays: 1, intervalSec: 60 }))));
      const until = T0 + HOUR;
      assert.deepEqual(brief(c.end({ outcome: 'blocked', at: T0, blockedUntil: until })), due(T0, B));
      // B failed and may be retried in a minute; A is still blocked for an hour.
      assert.deepEqual(brief(c.end({ outcome: 'busy', at: T0 + 10 * SEC })), waiting(T0 + 70 * SEC, B));
    });

    it('blocked with no end: the number is closed and the customer goes on with another one', function () {
      const c = new Customer([{ number: A }, { number: B }], settings(globalPolicy(rule({ maxPerDay: 3, maxDays: 1, intervalSec: 60 }))));
      assert.deepEqual(brief(c.end({ outcome: 'blocked', at: T0 })), due(T0, B));
      assert.equal(c.numberProgress[A]?.closed, true);
      assert.equal(c.numberProgress[A]?.tries, 0);
      // B is retried; A never again.
      const { attempts, done } = dialUntilDone(c, T0 + 5 * SEC, () => 'busy', 0);
      assert.deepEqual(
        attempts.map(([n]) => n),
        [B, B, B],
      );
      assert.deepEqual(brief(done), { state: 'done', result: { code: 'busy', at: T0 + 5 * SEC + 2 * MIN } });
    });

    it("every number blocked with no end: done with 'blocked'", function () {
      const one = new Customer([{ number: A }], settings());
      assert.deepEqual(brief(one.end({ outcome: 'blocked', at: T0 })), { state: 'done', result: { code: 'blocked', at: T0 } });
      const two = new Customer([{ number: A }, { number: B }], settings());
      assert.deepEqual(brief(two.end({ outcome: 'blocked', at: T0 })), due(T0, B));
      assert.deepEqual(brief(two.end({ outcome: 'blocked', at: T0 + SEC })), { state: 'done', result: { code: 'blocked', at: T0 + SEC } });
    });
  });

  describe('an attempt whose end was not observed (lost)', function () {
    it('is retried like a no answer under a rule by cause', function () {
      const c = new Customer([{ number: A }], settings(globalPolicy(byCause({ cause: 'no-answer', retries: 1, intervalSec: 120 }))));
      assert.deepEqual(brief(c.end({ outcome: 'lost', at: T0 })), waiting(T0 + 2 * MIN, A));
      assert.equal(c.numberProgress[A]?.lastCause, 'no-answer');
      assert.deepEqual(c.numberProgress[A]?.causes, { 'no-answer': 1 });
      // It counts with real no answers: one retry in all.
      assert.deepEqual(brief(c.end({ outcome: 'no-answer', at: T0 + 2 * MIN })), { state: 'done', result: { code: 'no-answer', at: T0 + 2 * MIN } });
    });

    it('is not retried where a no answer is not', function () {
      const c = new Customer([{ number: A }], settings(globalPolicy(byCause({ cause: 'busy', retries: 3, intervalSec: 120 }))));
      assert.deepEqual(brief(c.end({ outcome: 'lost', at: T0 })), { state: 'done', result: { code: 'lost', at: T0 } });
    });

    it('counts as an attempt of the day under the global policy', function () {
      const c = new Customer([{ number: A }], settings(globalPolicy(rule({ maxPerDay: 2, maxDays: 1, intervalSec: 60 }))));
      assert.deepEqual(brief(c.end({ outcome: 'lost', at: T0 })), waiting(T0 + MIN, A));
      assert.deepEqual(brief(c.end({ outcome: 'lost', at: T0 + MIN })), { state: 'done', result: { code: 'lost', at: T0 + MIN } });
      assert.equal(c.numberProgress[A]?.tries, 2);
    });

    it('a cancelled attempt is treated the same way', function () {
      const c = new Customer([{ number: A }], settings(globalPolicy(byCause({ cause: 'no-answer', retries: 1, intervalSec: 60 }))));
      assert.deepEqual(brief(c.end({ outcome: 'cancelled', at: T0 })), waiting(T0 + MIN, A));
    });
  });
});
