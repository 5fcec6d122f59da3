/**
 * Calling hours (lib/campaign/calendar.ts): the periods of a date by
 * precedence (allocated > special dates > regular), 00:00-00:00 as no
 * calls and 00:00-23:59 as the whole day, isOpen / nextOpen / windowEnd on
 * instants, local times to instants, and wall-clock windows across
 * daylight-saving changes in Europe/Berlin and America/New_York.
 */
import assert from 'node:assert/strict';
import { CallingCalendar, localToInstant } from '../../lib/campaign/calendar';
import type { CallingHours, Period } from '../../lib/schemas/campaign';

const SH = 'Asia/Shanghai';
const BERLIN = 'Europe/Berlin';
const NY = 'America/New_York';
const MIN = 60_000;
const HOUR = 60 * MIN;

/** An instant from ISO text with an explicit offset or Z. */
const at = (iso: string): number => {
  const t = Date.parse(iso);
  assert.ok(Number.isFinite(t), `bad test instant ${iso}`);
  return t;
};
/** A Shanghai (UTC+08:00) local time as an instant. */
const sh = (local: string): number => at(`${local}+08:00`);
const iso = (t: number | undefined): string | undefined => (t === undefined ? undefined : new Date(t).toISOString());
const p = (start: string, end: string): Period => ({ start, end });
const hours = (h: Partial<CallingHours>): CallingHours => ({ regular: [], special: [], allocated: [], ...h });

const WORKDAY = [p('09:00', '11:30'), p('14:00', '18:00')];
const NONE = [p('00:00', '00:00')];
const WHOLE = [p('00:00', '23:59')];

/** Whether isOpen holds at each instant, as a compact list for assertions. */
const openAt = (cal: CallingCalendar, ...ts: number[]): boolean[] => ts.map((t) => cal.isOpen(t));

describe('calling hours calendar', function () {
  describe('regular periods', function () {
    const cal = new CallingCalendar(hours({ regular: WORKDAY }), SH);

    it('applies the regular periods to a plain weekday', function () {
      assert.deepEqual(cal.periodsOn('2026-03-02'), WORKDAY);
    });

    it('is open in [start, end) of each period in UTC+08:00 and closed outside', function () {
      assert.deepEqual(
        openAt(cal, sh('2026-03-02T08:59:59.999'), sh('2026-03-02T09:00'), sh('2026-03-02T11:29:59.999'), sh('2026-03-02T11:30'), sh('2026-03-02T13:59'), sh('2026-03-02T14:00'), sh('2026-03-02T17:59:59'), sh('2026-03-02T18:00'), sh('2026-03-02T23:00')),
        [false, true, true, false, false, true, true, false, false],
      );
      // 09:00 in Shanghai is 01:00 UTC.
      assert.equal(cal.isOpen(at('2026-03-02T01:00Z')), true);
      assert.equal(cal.isOpen(at('2026-03-02T00:59Z')), false);
    });

    it('gives the same answers whatever order instants are asked in (the cached span is not trusted outside itself)', function () {
      const ts = [sh('2026-03-02T10:00'), sh('2026-03-02T08:00'), sh('2026-03-02T15:00'), sh('2026-03-02T12:00'), sh('2026-03-02T10:30'), sh('2026-03-02T11:45')];
      assert.deepEqual(openAt(cal, ...ts), [true, false, true, false, true, false]);
      assert.deepEqual(openAt(new CallingCalendar(hours({ regular: WORKDAY }), SH), ...ts.reverse()), [false, true, false, true, false, true]);
    });

    it('merges overlapping periods given in any order', function () {
      const merged = new CallingCalendar(hours({ regular: [p('10:30', '12:00'), p('09:00', '11:00'), p('11:00', '11:15')] }), SH);
      assert.equal(merged.windowEnd(sh('2026-03-02T09:10')), sh('2026-03-02T12:00'));
      assert.equal(merged.nextOpen(sh('2026-03-02T08:00')), sh('2026-03-02T09:00'));
      assert.equal(merged.isOpen(sh('2026-03-02T12:00')), false);
    });

    it('treats a period that ends before it starts as no calls (the settings check reports it)', function () {
      const cal2 = new CallingCalendar(hours({ regular: [p('18:00', '09:00'), p('13:00', '14:00')] }), SH);
      assert.deepEqual(openAt(cal2, sh('2026-03-02T20:00'), sh('2026-03-02T08:00'), sh('2026-03-02T13:30')), [false, false, true]);
    });
  });

  describe('special dates', function () {
    const cal = new CallingCalendar(
      hours({
        regular: WORKDAY,
        special: [
          { name: 'Labour Day', dates: ['2026-05-01'], weekdays: [], periods: [p('10:00', '12:00')] },
          { name: 'weekend', dates: [], weekdays: ['sat', 'sun'], periods: NONE },
          { name: 'never reached', dates: ['2026-05-01', '2026-05-02'], weekdays: ['fri'], periods: WHOLE },
        ],
      }),
      SH,
    );

    it('takes a holiday date from the first special set that lists it, over the regular periods', function () {
      assert.deepEqual(cal.periodsOn('2026-05-01'), [p('10:00', '12:00')]);
      assert.deepEqual(openAt(cal, sh('2026-05-01T09:30'), sh('2026-05-01T10:00'), sh('2026-05-01T11:59'), sh('2026-05-01T12:00'), sh('2026-05-01T15:00')), [false, true, true, false, false]);
    });

    it('takes weekdays sat and sun as special (no calls) and leaves other weekdays regular', function () {
      assert.deepEqual(cal.periodsOn('2026-05-02'), NONE); // Saturday, also listed by the third set: the first match wins
      assert.deepEqual(cal.periodsOn('2026-05-03'), NONE); // Sunday
      assert.deepEqual(cal.periodsOn('2026-05-04'), WORKDAY); // Monday
      assert.deepEqual(cal.periodsOn('2026-05-08'), WHOLE); // a Friday that is no holiday: the third set's weekday
      assert.deepEqual(openAt(cal, sh('2026-05-02T10:00'), sh('2026-05-03T15:00'), sh('2026-05-04T10:00'), sh('2026-05-08T20:00')), [false, false, true, true]);
    });

    it('returns copies, so changing the answer changes nothing', function () {
      const got = cal.periodsOn('2026-05-04');
      (got[0] as Period).start = '00:00';
      assert.deepEqual(cal.periodsOn('2026-05-04'), WORKDAY);
      assert.equal(cal.isOpen(sh('2026-05-04T08:00')), false);
    });
  });

  describe('00:00-00:00 and 00:00-23:59', function () {
    it('00:00-00:00 means no calls at any time of that day', function () {
      const cal = new CallingCalendar(hours({ regular: WORKDAY, special: [{ dates: ['2026-03-03'], weekdays: [], periods: NONE }] }), SH);
      for (let h = 0; h < 24; h += 1) assert.equal(cal.isOpen(sh('2026-03-03T00:00') + h * HOUR + 30 * MIN), false, `open at ${h}:30`);
      assert.equal(cal.nextOpen(sh('2026-03-03T00:00')), sh('2026-03-04T09:00'));
      assert.equal(cal.isOpen(sh('2026-03-04T09:00')), true);
    });

    it('an empty list of periods also means no calls', function () {
      const cal = new CallingCalendar(hours({ regular: WORKDAY, special: [{ dates: ['2026-03-03'], weekdays: [], periods: [] }] }), SH);
      assert.equal(cal.isOpen(sh('2026-03-03T10:00')), false);
      assert.equal(cal.nextOpen(sh('2026-03-02T19:00')), sh('2026-03-04T09:00'));
    });

    it('00:00-23:59 means the whole day, up to midnight; 24:00 means the same', function () {
      for (const end of ['23:59', '24:00']) {
        const cal = new CallingCalendar(hours({ regular: WORKDAY, special: [{ dates: ['2026-03-03'], weekdays: [], periods: [p('00:00', end)] }] }), SH);
        assert.deepEqual(openAt(cal, sh('2026-03-02T23:59:59.999'), sh('2026-03-03T00:00'), sh('2026-03-03T12:00'), sh('2026-03-03T23:59:30'), sh('2026-03-03T23:59:59.999'), sh('2026-03-04T00:00')), [false, true, true, true, true, false], end);
        assert.equal(cal.windowEnd(sh('2026-03-03T08:00')), sh('2026-03-04T00:00'), end);
      }
    });

    it('the specification example: whole regular days, weekends special with 00:00-00:00', function () {
      const cal = new CallingCalendar(hours({ regular: WHOLE, special: [{ name: 'weekend', dates: [], weekdays: ['sat', 'sun'], periods: NONE }] }), SH);
      // Monday 00:00 to Saturday 00:00 is one window (the days touch at midnight).
      assert.equal(cal.windowEnd(sh('2026-03-02T00:00')), sh('2026-03-07T00:00'));
      assert.equal(cal.windowEnd(sh('2026-03-06T23:59')), sh('2026-03-07T00:00'));
      assert.equal(cal.isOpen(sh('2026-03-07T00:00')), false);
      assert.equal(cal.nextOpen(sh('2026-03-07T00:00')), sh('2026-03-09T00:00'));
    });
  });

  describe('allocated periods', function () {
    it('override the special date (a working Saturday)', function () {
      const cal = new CallingCalendar(
        hours({
          regular: WORKDAY,
          special: [{ dates: [], weekdays: ['sat', 'sun'], periods: NONE }],
          allocated: [{ dates: ['2026-03-07'], periods: [p('10:00', '12:00')] }],
        }),
        SH,
      );
      assert.deepEqual(cal.periodsOn('2026-03-07'), [p('10:00', '12:00')]);
      assert.deepEqual(openAt(cal, sh('2026-03-07T09:59'), sh('2026-03-07T10:00'), sh('2026-03-07T12:00'), sh('2026-03-08T10:00')), [false, true, false, false]);
    });

    it('precedence of all three: allocated > special date > regular, first allocation listing a date wins', function () {
      const cal = new CallingCalendar(
        hours({
          regular: [p('09:00', '10:00')],
          special: [{ dates: ['2026-03-03', '2026-03-04'], weekdays: [], periods: [p('11:00', '12:00')] }],
          allocated: [
            { dates: ['2026-03-04', '2026-03-05'], periods: [p('13:00', '14:00')] },
            { dates: ['2026-03-04'], periods: [p('15:00', '16:00')] },
          ],
        }),
        SH,
      );
      assert.deepEqual(cal.periodsOn('2026-03-02'), [p('09:00', '10:00')]); // regular only
      assert.deepEqual(cal.periodsOn('2026-03-03'), [p('11:00', '12:00')]); // special over regular
      assert.deepEqual(cal.periodsOn('2026-03-04'), [p('13:00', '14:00')]); // allocated over special and regular
      assert.deepEqual(cal.periodsOn('2026-03-05'), [p('13:00', '14:00')]); // allocated over regular
      const day = (d: string): boolean[] => openAt(cal, sh(`${d}T09:30`), sh(`${d}T11:30`), sh(`${d}T13:30`), sh(`${d}T15:30`));
      assert.deepEqual(day('2026-03-02'), [true, false, false, false]);
      assert.deepEqual(day('2026-03-03'), [false, true, false, false]);
      assert.deepEqual(day('2026-03-04'), [false, false, true, false]);
      assert.deepEqual(day('2026-03-05'), [false, false, true, false]);
    });
  });

  describe('nextOpen and windowEnd', function () {
    const cal = new CallingCalendar(hours({ regular: WORKDAY, special: [{ name: 'weekend', dates: [], weekdays: ['sat', 'sun'], periods: NONE }] }), SH);

    it('nextOpen is t itself when open, the next period start otherwise', function () {
      assert.equal(cal.nextOpen(sh('2026-03-06T10:15')), sh('2026-03-06T10:15'));
      assert.equal(cal.nextOpen(sh('2026-03-06T11:30')), sh('2026-03-06T14:00'));
      assert.equal(cal.nextOpen(sh('2026-03-06T06:00')), sh('2026-03-06T09:00'));
    });

    it('nextOpen crosses a closed weekend to Monday 09:00', function () {
      assert.equal(cal.nextOpen(sh('2026-03-06T18:00')), sh('2026-03-09T09:00'));
      assert.equal(cal.nextOpen(sh('2026-03-07T12:00')), sh('2026-03-09T09:00'));
      assert.equal(iso(cal.nextOpen(sh('2026-03-08T23:59'))), '2026-03-09T01:00:00.000Z');
    });

    it('nextOpen looks 400 days ahead and no further', function () {
      const far = new CallingCalendar(hours({ regular: [], allocated: [{ dates: ['2027-03-01'], periods: [p('09:00', '10:00')] }] }), SH);
      assert.equal(far.nextOpen(sh('2026-03-02T00:00')), sh('2027-03-01T09:00'));
      const tooFar = new CallingCalendar(hours({ regular: [], allocated: [{ dates: ['2027-09-01'], periods: [p('09:00', '10:00')] }] }), SH);
      assert.equal(tooFar.nextOpen(sh('2026-03-02T00:00')), undefined);
      assert.equal(new CallingCalendar(hours({ regular: NONE }), SH).nextOpen(sh('2026-03-02T00:00')), undefined);
    });

    it('windowEnd is the end of the current window, undefined when closed', function () {
      assert.equal(cal.windowEnd(sh('2026-03-06T09:00')), sh('2026-03-06T11:30'));
      assert.equal(cal.windowEnd(sh('2026-03-06T17:59:59')), sh('2026-03-06T18:00'));
      assert.equal(cal.windowEnd(sh('2026-03-06T12:00')), undefined);
      assert.equal(cal.windowEnd(sh('2026-03-07T10:00')), undefined);
    });

    it('windowEnd runs on through midnight when the next day opens at 00:00', function () {
      const night = new CallingCalendar(
        hours({
          allocated: [
            { dates: ['2026-03-02'], periods: [p('20:00', '23:59')] },
            { dates: ['2026-03-03'], periods: [p('00:00', '02:00'), p('08:00', '09:00')] },
          ],
        }),
        SH,
      );
      assert.equal(night.windowEnd(sh('2026-03-02T21:00')), sh('2026-03-03T02:00'));
      assert.equal(night.isOpen(sh('2026-03-03T00:30')), true);
      assert.equal(night.nextOpen(sh('2026-03-03T02:00')), sh('2026-03-03T08:00'));
    });

    it('agrees with isOpen over a week of dialer ticks', function () {
      const start = sh('2026-03-05T00:00');
      let opened = 0;
      for (let t = start; t < start + 7 * 24 * HOUR; t += 7 * MIN + 13_000) {
        const open = cal.isOpen(t);
        const next = cal.nextOpen(t);
        assert.ok(next !== undefined && next >= t && cal.isOpen(next), `nextOpen(${iso(t)}) = ${iso(next)}`);
        if (next > t) assert.equal(cal.isOpen(next - 1), false, `open just before nextOpen(${iso(t)})`);
        if (open) {
          opened += 1;
          assert.equal(next, t);
          const end = cal.windowEnd(t);
          assert.ok(end !== undefined && end > t && cal.isOpen(end - 1) && !cal.isOpen(end), `windowEnd(${iso(t)}) = ${iso(end)}`);
        } else assert.equal(cal.windowEnd(t), undefined);
      }
      // Five working days (Thu, Fri, Mon, Tue, Wed) of 6.5 hours, ticks every 433 s: about 270 open ticks.
      assert.ok(Math.abs(opened - (5 * 6.5 * HOUR) / 433_000) <= 5, `open on ${opened} ticks`);
    });
  });

  describe('localDate and localToInstant', function () {
    it('localDate is the date in the zone, not in UTC', function () {
      const cal = new CallingCalendar(hours({ regular: WORKDAY }), SH);
      assert.equal(cal.localDate(at('2026-03-01T16:00Z')), '2026-03-02');
      assert.equal(cal.localDate(at('2026-03-01T15:59:59.999Z')), '2026-03-01');
      assert.equal(new CallingCalendar(hours({}), NY).localDate(at('2026-03-02T03:00Z')), '2026-03-01');
    });

    it('localToInstant reads YYYY-MM-DDTHH:MM, or a date and minutes of the day', function () {
      assert.equal(localToInstant('2026-03-02T09:00', SH), at('2026-03-02T01:00Z'));
      assert.equal(localToInstant('2026-03-02', SH, 9 * 60), at('2026-03-02T01:00Z'));
      assert.equal(localToInstant('2026-03-02', SH), at('2026-03-01T16:00Z'));
      assert.equal(localToInstant('2026-03-02', SH, 1440), at('2026-03-02T16:00Z'));
      assert.equal(localToInstant('2026-03-02T24:00', SH), at('2026-03-02T16:00Z'));
      assert.equal(localToInstant('2026-12-31T23:30', 'UTC'), at('2026-12-31T23:30Z'));
      assert.equal(localToInstant('2026-07-01T12:00', BERLIN), at('2026-07-01T10:00Z'));
      assert.equal(localToInstant('2026-01-15T12:00', NY), at('2026-01-15T17:00Z'));
    });

    it('localToInstant refuses malformed local times and dates', function () {
      for (const bad of ['2026-03-02 09:00', '2026-13-01T09:00', '2026-02-30T09:00', '2026-03-02T25:00', '2026-03-02T09:60', 'soon']) {
        assert.throws(() => localToInstant(bad, SH), RangeError, bad);
      }
    });
  });

  describe('daylight saving: windows are wall-clock times', function () {
    const berlin = new CallingCalendar(hours({ regular: [p('09:00', '11:30')] }), BERLIN);
    const ny = new CallingCalendar(hours({ regular: [p('09:00', '11:30')] }), NY);
    const windowAt = (cal: CallingCalendar, date: string): [string | undefined, string | undefined] => {
      const start = cal.nextOpen(localToInstant(date, cal.timezone));
      return [iso(start), start === undefined ? undefined : iso(cal.windowEnd(start))];
    };

    it('Europe/Berlin spring forward (2026-03-29): 09:00-11:30 stays 09:00 local', function () {
      assert.deepEqual(windowAt(berlin, '2026-03-28'), ['2026-03-28T08:00:00.000Z', '2026-03-28T10:30:00.000Z']);
      assert.deepEqual(windowAt(berlin, '2026-03-29'), ['2026-03-29T07:00:00.000Z', '2026-03-29T09:30:00.000Z']);
      assert.deepEqual(windowAt(berlin, '2026-03-30'), ['2026-03-30T07:00:00.000Z', '2026-03-30T09:30:00.000Z']);
    });

    it('Europe/Berlin fall back (2026-10-25): 09:00-11:30 stays 09:00 local', function () {
      assert.deepEqual(windowAt(berlin, '2026-10-24'), ['2026-10-24T07:00:00.000Z', '2026-10-24T09:30:00.000Z']);
      assert.deepEqual(windowAt(berlin, '2026-10-25'), ['2026-10-25T08:00:00.000Z', '2026-10-25T10:30:00.000Z']);
      assert.deepEqual(windowAt(berlin, '2026-10-26'), ['2026-10-26T08:00:00.000Z', '2026-10-26T10:30:00.000Z']);
    });

    it('America/New_York spring forward (2026-03-08) and fall back (2026-11-01): 09:00 local', function () {
      assert.deepEqual(windowAt(ny, '2026-03-07'), ['2026-03-07T14:00:00.000Z', '2026-03-07T16:30:00.000Z']);
      assert.deepEqual(windowAt(ny, '2026-03-08'), ['2026-03-08T13:00:00.000Z', '2026-03-08T15:30:00.000Z']);
      assert.deepEqual(windowAt(ny, '2026-03-09'), ['2026-03-09T13:00:00.000Z', '2026-03-09T15:30:00.000Z']);
      assert.deepEqual(windowAt(ny, '2026-10-31'), ['2026-10-31T13:00:00.000Z', '2026-10-31T15:30:00.000Z']);
      assert.deepEqual(windowAt(ny, '2026-11-01'), ['2026-11-01T14:00:00.000Z', '2026-11-01T16:30:00.000Z']);
      assert.deepEqual(windowAt(ny, '2026-11-02'), ['2026-11-02T14:00:00.000Z', '2026-11-02T16:30:00.000Z']);
    });

    it('a local time in the spring-forward gap maps to the instant the clock jumps to', function () {
      // Berlin: 02:00 CET jumps to 03:00 CEST at 01:00 UTC; New York: 02:00 EST jumps to 03:00 EDT at 07:00 UTC.
      assert.equal(iso(localToInstant('2026-03-29T02:00', BERLIN)), '2026-03-29T01:00:00.000Z');
      assert.equal(iso(localToInstant('2026-03-29T02:30', BERLIN)), '2026-03-29T01:00:00.000Z');
      assert.equal(iso(localToInstant('2026-03-29T03:00', BERLIN)), '2026-03-29T01:00:00.000Z');
      assert.equal(iso(localToInstant('2026-03-29T01:59', BERLIN)), '2026-03-29T00:59:00.000Z');
      assert.equal(iso(localToInstant('2026-03-08T02:30', NY)), '2026-03-08T07:00:00.000Z');
    });

    it('a window 02:00-03:00 on the spring-forward day gives no calls', function () {
      for (const [tz, date, jump] of [
        [BERLIN, '2026-03-29', '2026-03-29T01:00Z'],
        [NY, '2026-03-08', '2026-03-08T07:00Z'],
      ] as const) {
        const cal = new CallingCalendar(hours({ allocated: [{ dates: [date], periods: [p('02:00', '03:00')] }] }), tz);
        assert.deepEqual(cal.periodsOn(date), [p('02:00', '03:00')]);
        assert.deepEqual(openAt(cal, at(jump) - 30 * MIN, at(jump) - 1, at(jump), at(jump) + 30 * MIN), [false, false, false, false], tz);
        assert.equal(cal.nextOpen(at(jump) - 2 * HOUR), undefined, tz);
      }
    });

    it('the spring-forward day has 23 hours of whole-day calling, the fall-back day 25', function () {
      const cal = new CallingCalendar(hours({ regular: WHOLE, special: [{ dates: [], weekdays: ['sat'], periods: NONE }] }), BERLIN);
      const length = (date: string): number => {
        const start = cal.nextOpen(localToInstant(date, BERLIN)) ?? NaN;
        assert.equal(start, localToInstant(date, BERLIN));
        return ((cal.windowEnd(start) ?? NaN) - start) / HOUR;
      };
      // Local midnights around each change are 23 and 25 hours apart.
      assert.equal(iso(localToInstant('2026-03-29', BERLIN)), '2026-03-28T23:00:00.000Z');
      assert.equal(iso(localToInstant('2026-03-30', BERLIN)), '2026-03-29T22:00:00.000Z');
      assert.equal((localToInstant('2026-03-30', BERLIN) - localToInstant('2026-03-29', BERLIN)) / HOUR, 23);
      assert.equal((localToInstant('2026-10-26', BERLIN) - localToInstant('2026-10-25', BERLIN)) / HOUR, 25);
      // From Sunday 00:00 the window runs on to Saturday 00:00 (Saturdays are closed): 6 days less one hour in March, plus one in October.
      assert.equal(length('2026-03-29'), 6 * 24 - 1);
      assert.equal(length('2026-10-25'), 6 * 24 + 1);
    });

    it('a local time that occurs twice (fall back) maps to its first occurrence', function () {
      // New York: 02:00 EDT falls back to 01:00 EST at 06:00 UTC; Berlin: 03:00 CEST to 02:00 CET at 01:00 UTC.
      assert.equal(iso(localToInstant('2026-11-01T01:00', NY)), '2026-11-01T05:00:00.000Z');
      assert.equal(iso(localToInstant('2026-11-01T01:30', NY)), '2026-11-01T05:30:00.000Z');
      assert.equal(iso(localToInstant('2026-11-01T02:00', NY)), '2026-11-01T07:00:00.000Z');
      assert.equal(iso(localToInstant('2026-10-25T02:30', BERLIN)), '2026-10-25T00:30:00.000Z');
    });

    it('01:00-02:00 in New York on 2026-11-01 is one window, from the first 01:00 to 02:00', function () {
      const cal = new CallingCalendar(hours({ allocated: [{ dates: ['2026-11-01'], periods: [p('01:00', '02:00')] }] }), NY);
      assert.equal(iso(cal.nextOpen(at('2026-11-01T04:00Z'))), '2026-11-01T05:00:00.000Z');
      assert.equal(iso(cal.windowEnd(at('2026-11-01T05:00Z'))), '2026-11-01T07:00:00.000Z');
      // Open through both occurrences of 01:xx (EDT, then EST), closed from 02:00 EST.
      assert.deepEqual(openAt(cal, at('2026-11-01T04:59Z'), at('2026-11-01T05:00Z'), at('2026-11-01T05:59Z'), at('2026-11-01T06:30Z'), at('2026-11-01T06:59Z'), at('2026-11-01T07:00Z')), [false, true, true, true, true, false]);
      // Nothing reopens later: the window was not doubled into a second one.
      assert.equal(cal.nextOpen(at('2026-11-01T07:00Z')), undefined);
    });

    it('a window ending inside the repeated hour ends at its first occurrence', function () {
      const cal = new CallingCalendar(hours({ allocated: [{ dates: ['2026-11-01'], periods: [p('00:30', '01:30')] }] }), NY);
      assert.equal(iso(cal.windowEnd(at('2026-11-01T04:30Z'))), '2026-11-01T05:30:00.000Z');
      assert.deepEqual(openAt(cal, at('2026-11-01T05:29Z'), at('2026-11-01T05:30Z'), at('2026-11-01T06:15Z')), [true, false, false]);
      assert.equal(cal.nextOpen(at('2026-11-01T05:30Z')), undefined);
    });
  });

  describe('validation', function () {
    it('refuses an unknown time zone with a RangeError naming it', function () {
      for (const tz of ['Mars/Olympus_Mons', '', 'UTC+25']) {
        assert.throws(
          () => new CallingCalendar(hours({ regular: WORKDAY }), tz),
          (e: unknown) => e instanceof RangeError && e.message.includes(JSON.stringify(tz)),
          tz,
        );
      }
      assert.throws(() => localToInstant('2026-03-02T09:00', 'Mars/Olympus_Mons'), /Mars\/Olympus_Mons/);
    });

    it('refuses a malformed time in any period, naming where it is', function () {
      assert.throws(() => new CallingCalendar(hours({ regular: [p('9:00', '11:30')] }), SH), /hours\.regular\.0\.start/);
      assert.throws(() => new CallingCalendar(hours({ special: [{ dates: [], weekdays: ['sat'], periods: [p('09:00', '24:30')] }] }), SH), /hours\.special\.0\.periods\.0\.end/);
      assert.throws(() => new CallingCalendar(hours({ allocated: [{ dates: ['2026-03-02'], periods: [p('09:00', '10:00'), p('x', '11:00')] }] }), SH), /hours\.allocated\.0\.periods\.1\.start/);
    });

    it('refuses a special or allocated date that does not exist, naming where it is, rather than never applying it', function () {
      assert.throws(
        () => new CallingCalendar(hours({ special: [{ dates: ['2024-02-29', '2024-02-30'], weekdays: [], periods: NONE }] }), SH),
        /^RangeError: hours\.special\.0\.dates\.1: not a date that exists, YYYY-MM-DD: "2024-02-30"$/,
      );
      assert.throws(
        () => new CallingCalendar(hours({ allocated: [{ dates: ['2026-03-02'], periods: WORKDAY }, { dates: ['2023-02-29'], periods: WORKDAY }] }), SH),
        /^RangeError: hours\.allocated\.1\.dates\.0: not a date that exists, YYYY-MM-DD: "2023-02-29"$/,
      );
      const leap = new CallingCalendar(hours({ regular: WORKDAY, allocated: [{ dates: ['2024-02-29'], periods: [p('10:00', '11:00')] }] }), SH);
      assert.deepEqual(leap.periodsOn('2024-02-29'), [p('10:00', '11:00')]);
    });

    it('periodsOn refuses a malformed date', function () {
      const cal = new CallingCalendar(hours({ regular: WORKDAY }), SH);
      assert.throws(() => cal.periodsOn('2026-3-2'), RangeError);
      assert.throws(() => cal.periodsOn('2026-02-29'), RangeError);
    });
  });
});
