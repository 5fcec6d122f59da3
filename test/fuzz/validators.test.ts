/**
 * Fuzz: every settings schema (node forms, msg overrides, templates, stored
 * documents) and the campaign's cross-field check, fed random and hostile
 * values. None may throw or hang; every refusal is a list of clear
 * problems, each naming its field.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SCHEMAS } from '../../lib/schemas';
import { checkCampaign } from '../../lib/schemas/campaign';
import type { Validator } from '../../lib/schemas/validator';
import { clearMessage, hostileRecord, hostileValue, runs } from './hostile';

function propertiesOf(v: Validator<unknown>): string[] {
  return Object.keys((v.schema as { properties?: Record<string, unknown> }).properties ?? {});
}

function assertClearProblems(problems: string[], where: string): void {
  assert.ok(problems.length > 0, `${where}: a refusal names at least one problem`);
  for (const p of problems) {
    const unclear = clearMessage(p);
    assert.equal(unclear, undefined, `${where}: ${unclear}: ${JSON.stringify(p).slice(0, 300)}`);
    assert.match(p, /^\S[^]*?: \S/, `${where}: a problem starts with the field it is about: ${JSON.stringify(p).slice(0, 300)}`);
  }
}

describe('fuzz: settings validators', function () {
  it('escapes DEL and the C1 controls in a shown value, which JSON does not (fast-check found ["\\u007f"] for a name)', function () {
    const problems = SCHEMAS['callflow-store']?.checkForm({ name: ['\u007f\u0085'] });
    assert.ok(problems && !problems.ok);
    assert.deepEqual(problems.problems, ['name: a name of at most 100 characters (got ["\\u007f\\u0085"])']);
    assertClearProblems(problems.problems, 'callflow-store');
  });

  for (const [name, validator] of Object.entries(SCHEMAS)) {
    it(`${name}: any value is accepted or refused with clear problems, never a throw`, function () {
      const keys = propertiesOf(validator);
      fc.assert(
        fc.property(fc.oneof(hostileRecord(keys), hostileValue), (value) => {
          const form = validator.checkForm(value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { value });
          if (!form.ok) assertClearProblems(form.problems, `${name} (form)`);
          const raw = validator.check(value);
          if (!raw.ok) assertClearProblems(raw.problems, `${name} (value)`);
        }),
        runs(150),
      );
    });
  }

  it('callflow-campaign: the cross-field check never throws and names the field of each problem', function () {
    const keys = propertiesOf(SCHEMAS['callflow-campaign'] as Validator<unknown>);
    fc.assert(
      fc.property(hostileRecord(keys), (values) => {
        const r = checkCampaign(values);
        if (!r.ok) assertClearProblems(r.problems, 'callflow-campaign (cross-field)');
      }),
      runs(200),
    );
  });
});
