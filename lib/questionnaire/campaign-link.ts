/**
 * A campaign's questionnaire setting (the specification's "Questionnaire": none, IVR questionnaire, manual and IVR
 * questionnaire, naming one callflow-questions node) and the answers of its calls:
 *
 * - asked on a call (the callflow-questionnaire element): the answers are always stored with the campaign, customer
 *   and attempt, so nothing the customer said is lost; but when the campaign names no questionnaire, or another one,
 *   the element warns, as those answers are not the campaign's questionnaire and its figures leave them out;
 * - entered by hand (the admin API): only for a campaign whose setting is "manual and IVR" and names that very
 *   questionnaire; otherwise refused.
 */
import type { CampaignSettings } from '../schemas/campaign';

type Setting = Pick<CampaignSettings, 'questionnaire' | 'questions'>;

/** The questionnaire node a campaign's answers belong to, or undefined (the setting is none). */
export function campaignQuestions(settings: Setting | undefined): string | undefined {
  const mode = settings?.questionnaire ?? 'none';
  return mode === 'none' || !settings?.questions ? undefined : settings.questions;
}

/**
 * Whether the questionnaire node `questions`, asked on a call of a campaign with these settings, is the campaign's:
 * undefined when it is, else what the campaign names ('' for none).
 */
export function otherThanCampaigns(settings: Setting | undefined, questions: string): string | undefined {
  const named = campaignQuestions(settings);
  return named === questions ? undefined : (named ?? '');
}

/**
 * Why answers entered by hand for the questionnaire node `questions` are refused for a campaign (in words naming the
 * campaign and its setting), or undefined when they are taken.
 */
export function manualRefusal(settings: Setting & Pick<CampaignSettings, 'name'>, questions: string): string | undefined {
  const mode = settings.questionnaire ?? 'none';
  const name = JSON.stringify(settings.name);
  if (mode !== 'manual-ivr') {
    return `campaign ${name} does not take answers entered by hand: its questionnaire setting is ${mode === 'none' ? 'none' : 'IVR questionnaire'} (set it to manual and IVR questionnaire to allow them); nothing was stored`;
  }
  if (settings.questions !== questions) return `campaign ${name} asks another questionnaire (callflow-questions node ${JSON.stringify(settings.questions ?? '')}), not this one; nothing was stored`;
  return undefined;
}
