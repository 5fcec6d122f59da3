/** Every schema, by the node type (or document) it checks; the build compiles them for the editor. */
import { asteriskConfig } from './asterisk';
import {
  answerConfig,
  callEndConfig,
  collectConfig,
  entryConfig,
  hangupConfig,
  menuConfig,
  playConfig,
  playOverride,
  recordConfig,
  resultConfig,
  responseConfig,
  setConfig,
  transferConfig,
} from './elements';
import { routingConfig, routingTable } from './routing';
import { graySettings, releasesConfig } from './releases';
import { storeConfig } from './store-config';
import { campaignConfig, campaignTemplate } from './campaign';
import { conferenceConfig, conferenceOverride, meetingCommand, meetingControlConfig, meetingsConfig } from './conference';
import { httpIvrConfig } from './http-ivr-node';
import { questionnaireConfig, questionnaireNodeConfig } from './questionnaire';
import { flowTestCase } from './flow-test';
import { speechConfig } from './speech';
import { amdConfig } from './amd';
import { botConfig } from './bot';
import type { Validator } from './validator';

export const SCHEMAS: Readonly<Record<string, Validator<unknown>>> = {
  'callflow-asterisk': asteriskConfig,
  'callflow-entry': entryConfig,
  'callflow-answer': answerConfig,
  'callflow-play': playConfig,
  'callflow-play/override': playOverride,
  'callflow-hangup': hangupConfig,
  'callflow-collect': collectConfig,
  'callflow-menu': menuConfig,
  'callflow-transfer': transferConfig,
  'callflow-response': responseConfig,
  'callflow-set': setConfig,
  'callflow-record': recordConfig,
  'callflow-call-end': callEndConfig,
  'callflow-routing': routingConfig,
  'callflow-routing/table': routingTable,
  'callflow-store': storeConfig,
  'callflow-releases': releasesConfig,
  'callflow-releases/gray': graySettings,
  'callflow-campaign': campaignConfig,
  'callflow-campaign/template': campaignTemplate,
  'callflow-result': resultConfig,
  'callflow-http-ivr': httpIvrConfig,
  'callflow-conference': conferenceConfig,
  'callflow-conference/override': conferenceOverride,
  'callflow-meetings': meetingsConfig,
  'callflow-meeting-control': meetingControlConfig,
  'callflow-meeting-control/command': meetingCommand,
  'callflow-questions': questionnaireConfig,
  'callflow-questionnaire': questionnaireNodeConfig,
  'callflow-flow-test/case': flowTestCase,
  'callflow-speech': speechConfig,
  'callflow-amd': amdConfig,
  'callflow-bot': botConfig,
};

export { Validator, ValidationError, describeErrors, type Check } from './validator';
