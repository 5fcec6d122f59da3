/**
 * The campaign's settings: the schema's defaults and ranges (the same the
 * editor form checks), the rules that span fields, and templates.
 */
import assert from 'node:assert/strict';
import { fromTemplate, toTemplate } from '../../lib/campaign/template';
import { checkCampaign, type CampaignSettings } from '../../lib/schemas/campaign';
import { ValidationError } from '../../lib/schemas/validator';

const BASE = { name: 'notice', connection: 'a1', store: 's1', callerNumbers: ['+861058000000'] };

function problems(changes: Record<string, unknown>): string[] {
  const r = checkCampaign({ ...BASE, ...changes });
  return r.ok ? [] : r.problems;
}

describe('campaign settings', function () {
  it("fills the specification's defaults: max response 20 s, 1 call at a time, priority 3, the default rule", function () {
    const r = checkCampaign(BASE);
    assert.ok(r.ok, JSON.stringify(r));
    const s: CampaignSettings = r.value;
    assert.equal(s.maxResponseSec, 20);
    assert.equal(s.callsAtATime, 1);
    assert.equal(s.priority, 3);
    assert.equal(s.dialString, 'PJSIP/{number}@trunk');
    assert.deepEqual(s.policy, { mode: 'global', rule: { byCause: false, maxDays: 1, maxPerDay: 3, intervalSec: 60, causes: [] }, types: [], nonRetry: [] });
  });

  it('refuses values outside the ranges the specification gives, naming the field', function () {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ maxResponseSec: 4 }, /^maxResponseSec: whole seconds from 5 to 120 \(got 4\)$/],
      [{ maxResponseSec: 121 }, /^maxResponseSec: whole seconds from 5 to 120/],
      [{ intervalSec: 0 }, /^intervalSec: whole seconds from 1 to 9999 \(got 0\)$/],
      [{ intervalSec: 10000 }, /^intervalSec: whole seconds from 1 to 9999/],
      [{ callsAtATime: 0 }, /^callsAtATime: calls from 1 to 10000/],
      [{ priority: 6 }, /^priority: a priority from 1 \(highest\) to 5 \(got 6\)$/],
      [{ callerNumbers: Array.from({ length: 101 }, (_, i) => `+8610580${String(i).padStart(5, '0')}`) }, /^callerNumbers: at most 100 different caller numbers/],
      [{ callerNumbers: ['12ab'] }, /^callerNumbers\.0: a phone number/],
      [{ hours: { regular: [{ start: '9:00', end: '11:30' }], special: [], allocated: [] } }, /^hours\.regular\.0\.start: a time of day, HH:MM/],
      [{ dialString: 'PJSIP/trunk' }, /^dialString: a dial string with \{number\} in it/],
      [{ dialString: 'PJSIP/{number}&Local/x' }, /^dialString: a dial string with \{number\} in it, of one destination.* \(got "PJSIP\/\{number\}&Local\/x"\)$/],
      [{ dialString: 'PJSIP/{number}@trunk/sip:{number}@{number}' }, /^dialString: .*\(got "PJSIP\/\{number\}@trunk\/sip:\{number\}@\{number\}"\)$/],
      [{ dialString: 'Local/{number}' }, /^dialString: .*Local\/<extension>@<context>/],
      [{ callbackUrl: 'ftp://hooks' }, /^callbackUrl: an http:\/\/ or https:\/\/ URL/],
    ];
    for (const [changes, expected] of cases) {
      const found = problems(changes);
      assert.ok(
        found.some((p) => expected.test(p)),
        `${JSON.stringify(changes).slice(0, 80)}: ${JSON.stringify(found)}`,
      );
    }
  });

  it('records calls only when told: off by default (and in settings stored before the setting existed), a true or false', function () {
    const r = checkCampaign(BASE);
    assert.ok(r.ok);
    assert.equal(r.value.recordCalls, false);
    const on = checkCampaign({ ...BASE, recordCalls: true });
    assert.ok(on.ok);
    assert.equal(on.value.recordCalls, true);
    // The form's text "true" and "false" are read as the booleans (the schema coerces form values); anything else is refused.
    for (const bad of ['yes', 2, 'on', [true]]) {
      assert.ok(problems({ recordCalls: bad }).some((p) => /^recordCalls: true or false/.test(p)), JSON.stringify(bad));
    }
  });

  it('says what is wrong across fields: start after end, numbers and a group, one rule per cause and per type, the time zone, a period ending before it starts', function () {
    assert.deepEqual(problems({ startAt: '2026-12-01T09:00', endAt: '2026-11-30T18:00' }), ['startAt: the start (2026-12-01T09:00) is after the end (2026-11-30T18:00)']);
    assert.deepEqual(problems({ startAt: '2026-12-01T09:00', endAt: '2026-12-01T09:00' }), [], 'start equal to end is allowed (not after)');
    assert.deepEqual(problems({ callerGroup: 'sales', routing: 'r1' }), ['callerGroup: give caller numbers or one caller number group, not both']);
    assert.deepEqual(problems({ callerNumbers: [], callerGroup: 'sales' }), ['routing: a caller number group needs the routing table that defines it']);
    assert.deepEqual(problems({ callerNumbers: [] }), ['callerNumbers: give at least one caller number, or a caller number group']);
    assert.deepEqual(problems({ timezone: 'Mars/Olympus_Mons' }), ['timezone: not an IANA time zone (got "Mars/Olympus_Mons")']);
    assert.deepEqual(problems({ hours: { regular: [{ start: '18:00', end: '09:00' }, { start: '00:00', end: '00:00' }], special: [], allocated: [] } }), [
      'hours.regular.0: the period 18:00-09:00 ends before it starts (00:00-00:00 means no calls)',
    ]);
    const rule = { byCause: true, maxDays: 1, maxPerDay: 3, intervalSec: 60, causes: [{ cause: 'busy', retries: 2, intervalSec: 60 }, { cause: 'busy', retries: 1, intervalSec: 30 }] };
    assert.deepEqual(problems({ policy: { mode: 'global', rule, types: [], nonRetry: [] } }), ['policy.rule.causes: one rule per failure cause (busy is there twice)']);
    const typed = { type: 'fax', byCause: false, maxDays: 1, maxPerDay: 1, intervalSec: 0, causes: [] };
    assert.deepEqual(problems({ policy: { mode: 'contact', rule: { ...rule, causes: [] }, types: [typed, { ...typed }], nonRetry: [] } }), [
      'policy.types: fax is not one of the number types (mobile, home, work, other)',
      'policy.types: one rule per number type (fax is there twice)',
      'policy.types: fax is not one of the number types (mobile, home, work, other)',
    ]);
    assert.deepEqual(problems({ order: { by: 'attributes', attrs: [] } }), ['order.attrs: ordering by data attributes needs at least one attribute']);
  });

  it('reads an editor form: numbers from text, defaults for empty fields', function () {
    const r = checkCampaign({ ...BASE, priority: '2', intervalSec: '10', callsAtATime: '100', maxResponseSec: '' });
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual([r.value.priority, r.value.intervalSec, r.value.callsAtATime, r.value.maxResponseSec], [2, 10, 100, 20]);
  });

  it('saves a task as a template without its links to this Node-RED, and makes settings from one', function () {
    const r = checkCampaign({ ...BASE, timezone: 'Asia/Shanghai', priority: 1, policy: { mode: 'global', rule: { byCause: true, maxDays: 1, maxPerDay: 3, intervalSec: 60, causes: [{ cause: 'busy', retries: 2, intervalSec: 300 }] }, types: [], nonRetry: ['unallocated'] } });
    assert.ok(r.ok);
    const template = JSON.parse(JSON.stringify(toTemplate(r.value, 'Notice template'))) as unknown;
    assert.equal((template as { settings: Record<string, unknown> }).settings.connection, undefined);
    const settings = fromTemplate(template);
    const again = checkCampaign({ ...settings, connection: 'other', store: 'other-store', routing: '' });
    assert.ok(again.ok, JSON.stringify(again));
    assert.deepEqual({ ...again.value, connection: 'a1', store: 's1' }, r.value);
    assert.throws(() => fromTemplate({ format: 'something else', version: 1, name: 'x', settings }), (err: unknown) => err instanceof ValidationError && /format: the text callflow-campaign-template/.test(err.message));
    assert.throws(() => fromTemplate({ ...(template as object), settings: { ...settings, intervalSec: 0 } }), /settings\.intervalSec: whole seconds from 1 to 9999/);
  });
});
