/**
 * Which answers are a campaign's (lib/questionnaire/campaign-link.ts): the questionnaire node its setting names, the
 * warning's subject when a call asks another one, and when answers by hand are refused.
 */
import assert from 'node:assert/strict';
import { campaignQuestions, manualRefusal, otherThanCampaigns } from '../../lib/questionnaire/campaign-link';

describe("a campaign's questionnaire setting", function () {
  it('names its questionnaire node unless the setting is none (or was stored before the setting existed)', function () {
    assert.equal(campaignQuestions({ questionnaire: 'ivr', questions: 'qs' }), 'qs');
    assert.equal(campaignQuestions({ questionnaire: 'none', questions: 'qs' }), undefined);
    assert.equal(campaignQuestions({}), undefined);
    assert.equal(campaignQuestions(undefined), undefined);
  });

  it('says which questionnaire the campaign names when a call asks another one', function () {
    assert.equal(otherThanCampaigns({ questionnaire: 'manual-ivr', questions: 'qs' }, 'qs'), undefined);
    assert.equal(otherThanCampaigns({ questionnaire: 'ivr', questions: 'qs' }, 'other'), 'qs');
    assert.equal(otherThanCampaigns({ questionnaire: 'none', questions: 'qs' }, 'qs'), '');
  });

  it('takes answers by hand only for manual and IVR naming that questionnaire, with the reason otherwise', function () {
    assert.equal(manualRefusal({ name: 'survey', questionnaire: 'manual-ivr', questions: 'qs' }, 'qs'), undefined);
    assert.equal(
      manualRefusal({ name: 'survey', questionnaire: 'manual-ivr', questions: 'qs' }, 'other'),
      'campaign "survey" asks another questionnaire (callflow-questions node "qs"), not this one; nothing was stored',
    );
    assert.match(manualRefusal({ name: 'survey' }, 'qs') ?? '', /its questionnaire setting is none \(set it to manual and IVR questionnaire to allow them\)/);
  });
});
