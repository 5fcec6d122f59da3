/**
 * Campaign templates: a task's settings as a JSON file ("save as
 * template"), and a new task's settings from such a file. The links to
 * this Node-RED's config nodes (connection, store, routing table, questionnaire, the trunk group's connections) are not
 * part of a template; the editor asks for them when a task is made from one.
 * Nor are the callback's secrets: they are the campaign node's credentials,
 * and a callback URL that still holds one (an old flow) is exported without.
 */
import { campaignTemplate, type CampaignSettings, type CampaignTemplate } from '../schemas/campaign';
import { splitUrlSecrets } from './callback-secrets';

export function toTemplate(settings: CampaignSettings, name = settings.name): CampaignTemplate {
  const { connection: _c, store: _s, routing: _r, questions: _q, connections: _t, ...rest } = settings;
  const copy = structuredClone(rest);
  copy.callbackUrl = splitUrlSecrets(copy.callbackUrl).url;
  return { format: 'callflow-campaign-template', version: 1, name, settings: copy };
}

/** The settings a template file holds, checked by the template schema; throws ValidationError naming every problem. */
export function fromTemplate(file: unknown): CampaignTemplate['settings'] {
  return campaignTemplate.assert(file, 'template').settings;
}
