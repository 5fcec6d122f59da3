/**
 * Dates as users enter them (lib/schemas/dates.ts) are real calendar dates:
 * the schema pattern agrees with the Gregorian calendar on every month and
 * day of the years that decide leap years, and each place a campaign's
 * dates enter (the deploy check, a template import, the stored document)
 * refuses 2024-02-30 and 2023-02-29 naming the field and the value, and
 * takes 2024-02-29. (The form's live check and the deployed node:
 * test/nodes/campaign.test.ts; the editor's compiled validators:
 * test/nodes/editor.test.ts.)
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromTemplate, toTemplate } from '../../lib/campaign/template';
import { checkCampaign, type CampaignSettings } from '../../lib/schemas/campaign';
import { DATE_PATTERN, LOCAL_TIME_PATTERN, isCalendarDate, parseInstant } from '../../lib/schemas/dates';
import { checkDocument } from '../../lib/store/rules';

/** Whether Y-M-D exists, by Date arithmetic (what the pattern must agree with). */
function exists(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d);
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}
const text = (y: number, m: number, d: number): string => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;

const BASE = { name: 'notice', connection: 'a1', store: 's1', callerNumbers: ['+861058000000'] };
const HOURS = (special: string[], allocated: string[]) => ({
  regular: [{ start: '09:00', end: '18:00' }],
  special: [{ name: 'holidays', dates: special, weekdays: [], periods: [] }],
  allocated: [{ dates: allocated, periods: [{ start: '10:00', end: '12:00' }] }],
});
const BAD_DATES = { startAt: '2023-02-29T09:00', endAt: '2024-02-30T18:00', hours: HOURS(['2024-02-29', '2024-02-30'], ['2023-02-29']) };
const BAD_PROBLEMS = [
  'startAt: a local date and time, YYYY-MM-DDTHH:MM, on a date that exists, or empty (got "2023-02-29T09:00")',
  'endAt: a local date and time, YYYY-MM-DDTHH:MM, on a date that exists, or empty (got "2024-02-30T18:00")',
  'hours.special.0.dates.1: a date that exists, YYYY-MM-DD (February 29 only in leap years) (got "2024-02-30")',
  'hours.allocated.0.dates.0: a date that exists, YYYY-MM-DD (February 29 only in leap years) (got "2023-02-29")',
];

function settings(changes: Record<string, unknown> = {}): CampaignSettings {
  const r = checkCampaign({ ...BASE, ...changes });
  assert.ok(r.ok, JSON.stringify(r));
  return r.value;
}

describe('calendar dates', function () {
  it('the schema pattern takes exactly the dates that exist, on every month and day of the years that decide leap years', function () {
    const date = new RegExp(DATE_PATTERN, 'u');
    for (const y of [0, 1, 4, 100, 400, 1600, 1700, 1800, 1900, 1996, 2000, 2023, 2024, 2100, 2400, 9996, 9999]) {
      for (let m = 0; m <= 13; m += 1) {
        for (let d = 0; d <= 32; d += 1) {
          assert.equal(date.test(text(y, m, d)), exists(y, m, d), text(y, m, d));
          assert.equal(isCalendarDate(text(y, m, d)), exists(y, m, d), text(y, m, d));
        }
      }
    }
  });

  it('the schema pattern agrees with the calendar on random years, and refuses what is not YYYY-MM-DD', function () {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 28, max: 31 }), (y, m, d) => isCalendarDate(text(y, m, d)) === exists(y, m, d)),
      { numRuns: 2000 },
    );
    for (const bad of ['2024-2-29', '24-02-29', '2024-02-29 ', ' 2024-02-29', '2024-02-29T00:00', '２０２４-02-29', '2024/02/29', '']) assert.equal(isCalendarDate(bad), false, JSON.stringify(bad));
    const local = new RegExp(LOCAL_TIME_PATTERN, 'u');
    assert.deepEqual(['', '2024-02-29T23:59', '2024-02-29T24:00', '2023-02-29T09:00', '2024-02-30T09:00', '2024-02-29'].map((s) => local.test(s)), [true, true, false, false, false, false]);
  });

  it('reads ISO 8601 instants on dates that exist only (Date.parse alone rolls 2024-02-30 over to March 1)', function () {
    assert.equal(Date.parse('2024-02-30'), Date.parse('2024-03-01'), 'what Date.parse does');
    assert.equal(parseInstant('2024-02-29'), Date.parse('2024-02-29T00:00:00Z'));
    assert.equal(parseInstant('2024-02-29T09:30:15.5+08:00'), Date.parse('2024-02-29T01:30:15.500Z'));
    assert.equal(parseInstant('2024-02-29T24:00Z'), Date.parse('2024-03-01T00:00:00Z'));
    for (const bad of ['2024-02-30', '2023-02-29T09:00:00Z', '2024-04-31T10:00', '2024-02-29T25:00', '2024-02-29T09:60', 'Feb 29 2024', 'next week', '2024-02-29T09:00+24:00']) {
      assert.equal(parseInstant(bad), undefined, bad);
    }
  });

  it('the deploy check refuses 2024-02-30 and 2023-02-29 in every date of the settings, naming the field and the value', function () {
    const r = checkCampaign({ ...BASE, ...BAD_DATES });
    assert.deepEqual(r.ok ? [] : r.problems, BAD_PROBLEMS);
    settings({ startAt: '2024-02-29T09:00', endAt: '2024-02-29T18:00', hours: HOURS(['2024-02-29'], ['2024-02-29', '2000-02-29']) });
  });

  it('a template import refuses them too', function () {
    const template = JSON.parse(JSON.stringify(toTemplate(settings()))) as { settings: Record<string, unknown> };
    assert.throws(
      () => fromTemplate({ ...template, settings: { ...template.settings, ...BAD_DATES } }),
      (err: unknown) => {
        const message = (err as Error).message;
        return BAD_PROBLEMS.every((p) => message.includes(`settings.${p}`));
      },
    );
    const leap = fromTemplate({ ...template, settings: { ...template.settings, hours: HOURS(['2024-02-29'], []) } });
    assert.deepEqual(leap.hours.special[0]?.dates, ['2024-02-29']);
  });

  it('the store refuses a campaign document holding them, naming the field and the value', function () {
    const good = settings();
    const doc = (s: CampaignSettings): unknown => ({ state: 'draft', changedAt: 0, reason: '', name: 'notice', settings: s, counters: { dialed: 0, answered: 0, failed: 0, finished: 0 } });
    assert.throws(
      () => checkDocument('campaign', 'c1', doc({ ...good, ...BAD_DATES }), 0),
      (err: unknown) => {
        const message = (err as Error).message;
        return BAD_PROBLEMS.every((p) => message.includes(`settings.${p}`));
      },
    );
    checkDocument('campaign', 'c1', doc({ ...good, hours: HOURS(['2024-02-29'], ['2024-02-29']) }), 0);
  });
});
