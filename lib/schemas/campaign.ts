/**
 * An outbound call campaign (the specification's "outbound call task"): the
 * settings of a callflow-campaign config node, a template file, and what
 * the store keeps (kind "campaign": the settings and the task's state). One
 * schema checks the editor form, a template being imported and the stored
 * document; `checkCampaign` adds the rules that span fields (start before
 * end, one rule per failure cause, numbers or a group).
 */
import { dialTemplateSchema } from '../ari/dialstring';
import { DATE_DESCRIPTION, DATE_PATTERN, LOCAL_TIME_DESCRIPTION, LOCAL_TIME_PATTERN } from './dates';
import { NOTIFY_TYPES, TEMPLATE_MAX, notificationProblems, type NotifyType } from '../campaign/notification';
import { answeredCallProperties, type AnsweredCallSettings } from './campaign-answered';
import { Validator } from './validator';

/**
 * The failure causes of an attempt that did not reach the customer (see docs/campaigns.md for how Asterisk reports
 * each). `flow-missing`: the customer answered, but the task's IVR flow was not there to take the call. `machine`:
 * an answering machine answered and the task hangs up on machines (`amd: "hangup"`).
 */
export const FAILURE_CAUSES = ['busy', 'no-answer', 'unallocated', 'rejected', 'congestion', 'unreachable', 'max-response-exceeded', 'originate-failed', 'flow-missing', 'machine'] as const;
export type FailureCause = (typeof FAILURE_CAUSES)[number];

export const CAMPAIGN_STATES = ['draft', 'running', 'suspended', 'completed', 'stopped'] as const;
export type CampaignState = (typeof CAMPAIGN_STATES)[number];

/** A calling period of a day, in the campaign's time zone: HH:MM to HH:MM; 00:00-00:00 means no calls that day. */
export interface Period {
  start: string;
  end: string;
}

export interface SpecialDates {
  name?: string;
  /** Calendar dates, YYYY-MM-DD. */
  dates: string[];
  /** Days of the week that are special too (weekends): mon ... sun. */
  weekdays: string[];
  periods: Period[];
}

export interface AllocatedPeriods {
  dates: string[];
  periods: Period[];
}

export interface CallingHours {
  regular: Period[];
  special: SpecialDates[];
  allocated: AllocatedPeriods[];
}

export type FilterOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'contains' | 'exists';

export interface AttributeFilter {
  join: 'and' | 'or';
  conditions: { attr: string; op: FilterOp; value?: string | number | boolean }[];
}

export interface CallOrder {
  by: 'none' | 'number' | 'priority' | 'attributes';
  attrs: { attr: string; direction: 'asc' | 'desc' }[];
}

export interface MultiNumber {
  /** sequence: as the contact lists them; type: by `types` order; seq: by each number's sequence number. */
  mode: 'sequence' | 'type' | 'seq';
  types: string[];
}

export interface CauseRule {
  cause: FailureCause;
  /** Retries after the first failure with this cause (0: none). */
  retries: number;
  intervalSec: number;
}

/** How failed attempts of one number are retried. */
export interface RetryRule {
  /** false: by days and attempts per day; true: per failure cause. */
  byCause: boolean;
  maxDays: number;
  maxPerDay: number;
  intervalSec: number;
  causes: CauseRule[];
}

export interface ResultPolicy {
  /** global: one rule for every number; contact: a default rule and one per number type. */
  mode: 'global' | 'contact';
  rule: RetryRule;
  types: (RetryRule & { type: string })[];
  /** Result codes (failure causes or business results) that end every number of the customer. */
  nonRetry: string[];
}

export interface CampaignSettings extends AnsweredCallSettings {
  name: string;
  /** The callflow-asterisk connection that dials. */
  connection: string;
  /** The callflow-store that keeps contacts, attempts and the task's state. */
  store: string;
  callerNumbers: string[];
  /** One caller number group instead: a group of the routing table of `routing`. */
  callerGroup: string;
  routing: string;
  /** Local date-time in `timezone`, YYYY-MM-DDTHH:MM; empty: no bound. */
  startAt: string;
  endAt: string;
  /** The IVR flow (callflow-entry) answered calls enter; empty: output 1 of the dialer. */
  flow: string;
  priority: number;
  blocklistGroups: string[];
  /** Where the task POSTs its events; its secrets are the node's credentials (lib/campaign/callback-secrets.ts), not part of it. */
  callbackUrl: string;
  /** Hosts (or *.domain, or CIDR ranges) the callback may reach. */
  callbackAllowlist: string[];
  /** How a number is dialed: {number} is replaced, e.g. PJSIP/{number}@trunk. */
  dialString: string;
  timezone: string;
  hours: CallingHours;
  maxResponseSec: number;
  intervalSec: number;
  callsAtATime: number;
  filter: AttributeFilter;
  order: CallOrder;
  multiNumber: MultiNumber;
  /** Number types a contact may use. */
  numberTypes: string[];
  policy: ResultPolicy;
  /**
   * The task's associated business result (the specification's "Associate Business Result"): when set, a call's
   * result (callflow-result, or a remark after the call) must be this code; any sub-result of it is allowed. Empty: any.
   * Optional: settings stored before it existed have none.
   */
  businessResult?: string;
  /**
   * The task's questionnaire (the specification's "Questionnaire"): none; ivr, asked by the callflow-questionnaire
   * element in the task's flow; manual-ivr, that or entered by hand through the admin API (an agent's desktop).
   * `questions` names the callflow-questions node. Optional: settings stored before they existed have none.
   */
  questionnaire?: QuestionnaireMode;
  questions?: string;
  /**
   * The failed-call notification (lib/campaign/notification.ts): its type (none: no notification), its recipient and
   * its text, templates with placeholders for the customer's fields. Optional as above.
   */
  notifyType?: NotifyType;
  notifyTo?: string;
  notifyText?: string;
  /**
   * The trunk group (docs/scaling.md): the callflow-asterisk connections the task dials through, each with the most
   * calls of this task on it at once (0: the connection's own channel limit), its weight, and caller numbers bound to
   * it (empty: the task's). Empty: `connection` alone. Optional: settings stored before it existed have none.
   */
  connections?: TrunkSetting[];
}

/** One connection of a task's trunk group. */
export interface TrunkSetting {
  /** A callflow-asterisk config node. */
  connection: string;
  /** The most calls of this task on the connection at once; 0: the connection's channel limit. */
  maxCalls: number;
  /** Its share: calls go where (calls of the task on it) / (weight x limit) is lowest. */
  weight: number;
  /** Caller numbers used on this connection only; empty: the task's. */
  callerNumbers: string[];
}

export const QUESTIONNAIRE_MODES = ['none', 'ivr', 'manual-ivr'] as const;
export type QuestionnaireMode = (typeof QUESTIONNAIRE_MODES)[number];

const HHMM = { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$', description: 'a time of day, HH:MM from 00:00 to 24:00' } as const;
// Dates that exist (2024-02-29 does, 2023-02-29 and 2024-02-30 do not): see dates.ts.
const DATE = { type: 'string', pattern: DATE_PATTERN, description: DATE_DESCRIPTION } as const;
const LOCAL_TIME = { type: 'string', pattern: LOCAL_TIME_PATTERN, default: '', description: LOCAL_TIME_DESCRIPTION } as const;
const NUMBER = { type: 'string', pattern: '^\\+?[0-9]{2,32}$', description: 'a phone number: 2 to 32 digits with an optional leading +' } as const;
const NAME = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$', description: '1 to 64 letters, digits, _ . or -' } as const;
const ATTR = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$', description: 'an attribute name: a letter or _, then letters, digits or _' } as const;
const TYPE = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,32}$', description: 'a number type: 1 to 32 letters, digits, _ or -' } as const;
const PERIODS = {
  type: 'array',
  maxItems: 24,
  default: [],
  description: 'at most 24 periods',
  items: { type: 'object', additionalProperties: false, required: ['start', 'end'], properties: { start: HHMM, end: HHMM } },
} as const;
const DATES = { type: 'array', maxItems: 1000, items: DATE, default: [], description: 'at most 1000 dates' } as const;
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const SECONDS = (min: number, max: number, def: number) =>
  ({ type: 'integer', minimum: min, maximum: max, default: def, description: `whole seconds from ${min} to ${max}` }) as const;

const retryRuleProperties = {
  byCause: { type: 'boolean', default: false, description: 'true or false' },
  maxDays: { type: 'integer', minimum: 1, maximum: 365, default: 1, description: 'days from 1 to 365' },
  maxPerDay: { type: 'integer', minimum: 1, maximum: 100, default: 3, description: 'attempts from 1 to 100' },
  intervalSec: SECONDS(0, 604800, 60),
  causes: {
    type: 'array',
    maxItems: FAILURE_CAUSES.length,
    default: [],
    description: `at most ${FAILURE_CAUSES.length} rules, one per failure cause`,
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['cause', 'retries', 'intervalSec'],
      properties: {
        cause: { type: 'string', enum: FAILURE_CAUSES, description: `a failure cause: ${FAILURE_CAUSES.join(', ')}` },
        retries: { type: 'integer', minimum: 0, maximum: 100, description: 'retries from 0 to 100' },
        intervalSec: SECONDS(0, 604800, 60),
      },
    },
  },
} as const;
const RETRY_RULE = { type: 'object', additionalProperties: false, required: ['byCause', 'maxDays', 'maxPerDay', 'intervalSec', 'causes'], properties: retryRuleProperties } as const;

export const DEFAULT_RULE: RetryRule = { byCause: false, maxDays: 1, maxPerDay: 3, intervalSec: 60, causes: [] };

export const campaignSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 100, description: 'a task name of 1 to 100 characters' },
    connection: { type: 'string', minLength: 1, description: 'an Asterisk connection (callflow-asterisk)' },
    store: { type: 'string', minLength: 1, description: 'a store (callflow-store)' },
    callerNumbers: { type: 'array', maxItems: 100, uniqueItems: true, items: NUMBER, default: [], description: 'at most 100 different caller numbers' },
    callerGroup: { type: 'string', pattern: '^$|^[A-Za-z0-9_.-]{1,64}$', default: '', description: 'a number group name: 1 to 64 letters, digits, _ . or -, or empty' },
    routing: { type: 'string', default: '', description: 'a routing table (callflow-routing), or empty' },
    startAt: LOCAL_TIME,
    endAt: LOCAL_TIME,
    flow: { type: 'string', pattern: '^$|^[A-Za-z0-9_.-]{1,64}$', default: '', description: 'a flow name: 1 to 64 letters, digits, _ . or -, or empty' },
    priority: { type: 'integer', minimum: 1, maximum: 5, default: 3, description: 'a priority from 1 (highest) to 5' },
    blocklistGroups: { type: 'array', maxItems: 50, uniqueItems: true, items: NAME, default: [], description: 'at most 50 blocklist group names' },
    callbackUrl: { type: 'string', pattern: '^$|^https?://[^\\s]+$', maxLength: 2000, default: '', description: 'an http:// or https:// URL, or empty' },
    callbackAllowlist: {
      type: 'array',
      maxItems: 100,
      items: { type: 'string', pattern: '^(\\*\\.)?[A-Za-z0-9.:_-]{1,253}(/[0-9]{1,3})?$', description: 'a host name, *.domain, IP address or CIDR range' },
      default: [],
      description: 'at most 100 hosts or ranges',
    },
    dialString: dialTemplateSchema('dial-string', { default: 'PJSIP/{number}@trunk', description: 'a dial string with {number} in it, of one destination, e.g. PJSIP/{number}@trunk' }),
    timezone: { type: 'string', minLength: 1, maxLength: 64, default: 'UTC', description: 'an IANA time zone such as Asia/Shanghai or Europe/Berlin' },
    hours: {
      type: 'object',
      additionalProperties: false,
      default: { regular: [{ start: '09:00', end: '18:00' }], special: [], allocated: [] },
      required: ['regular', 'special', 'allocated'],
      properties: {
        regular: PERIODS,
        special: {
          type: 'array',
          maxItems: 100,
          default: [],
          description: 'at most 100 special date sets',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['dates', 'weekdays', 'periods'],
            properties: {
              name: { type: 'string', maxLength: 100, description: 'a name of at most 100 characters' },
              dates: DATES,
              weekdays: { type: 'array', uniqueItems: true, items: { type: 'string', enum: WEEKDAYS, description: 'mon, tue, wed, thu, fri, sat or sun' }, default: [] },
              periods: PERIODS,
            },
          },
        },
        allocated: {
          type: 'array',
          maxItems: 100,
          default: [],
          description: 'at most 100 allocations',
          items: { type: 'object', additionalProperties: false, required: ['dates', 'periods'], properties: { dates: DATES, periods: PERIODS } },
        },
      },
    },
    maxResponseSec: SECONDS(5, 120, 20),
    intervalSec: SECONDS(1, 9999, 3),
    callsAtATime: { type: 'integer', minimum: 1, maximum: 10000, default: 1, description: 'calls from 1 to 10000' },
    filter: {
      type: 'object',
      additionalProperties: false,
      default: { join: 'and', conditions: [] },
      required: ['join', 'conditions'],
      properties: {
        join: { type: 'string', enum: ['and', 'or'], description: 'and or or' },
        conditions: {
          type: 'array',
          maxItems: 20,
          description: 'at most 20 conditions',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['attr', 'op'],
            properties: {
              attr: ATTR,
              op: { type: 'string', enum: ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'contains', 'exists'], description: 'eq, ne, lt, le, gt, ge, contains or exists' },
              value: { type: ['string', 'number', 'boolean'], description: 'a text, number or true/false' },
            },
          },
        },
      },
    },
    order: {
      type: 'object',
      additionalProperties: false,
      default: { by: 'none', attrs: [] },
      required: ['by', 'attrs'],
      properties: {
        by: { type: 'string', enum: ['none', 'number', 'priority', 'attributes'], description: 'none, number, priority or attributes' },
        attrs: {
          type: 'array',
          maxItems: 10,
          description: 'at most 10 attributes',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['attr', 'direction'],
            properties: { attr: ATTR, direction: { type: 'string', enum: ['asc', 'desc'], description: 'asc or desc' } },
          },
        },
      },
    },
    multiNumber: {
      type: 'object',
      additionalProperties: false,
      default: { mode: 'sequence', types: [] },
      required: ['mode', 'types'],
      properties: {
        mode: { type: 'string', enum: ['sequence', 'type', 'seq'], description: 'sequence, type or seq' },
        types: { type: 'array', maxItems: 50, uniqueItems: true, items: TYPE, description: 'at most 50 different number types' },
      },
    },
    numberTypes: { type: 'array', maxItems: 50, uniqueItems: true, items: TYPE, default: ['mobile', 'home', 'work', 'other'], description: 'at most 50 different number types' },
    policy: {
      type: 'object',
      additionalProperties: false,
      default: { mode: 'global', rule: DEFAULT_RULE, types: [], nonRetry: [] },
      required: ['mode', 'rule', 'types', 'nonRetry'],
      properties: {
        mode: { type: 'string', enum: ['global', 'contact'], description: 'global or contact' },
        rule: RETRY_RULE,
        types: {
          type: 'array',
          maxItems: 50,
          description: 'at most 50 number type rules',
          items: { type: 'object', additionalProperties: false, required: ['type', ...RETRY_RULE.required], properties: { type: TYPE, ...retryRuleProperties } },
        },
        nonRetry: { type: 'array', maxItems: 100, uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 64 }, description: 'at most 100 different result codes' },
      },
    },
    businessResult: { type: 'string', pattern: '^$|^[A-Za-z0-9_.:-]{1,64}$', default: '', description: 'a result code: 1 to 64 letters, digits, _ . : or -, or empty (any result)' },
    // The questionnaire and the failed-call notification (docs/campaigns.md, "Questionnaire", "Failure notifications").
    questionnaire: { type: 'string', enum: QUESTIONNAIRE_MODES, default: 'none', description: `one of ${QUESTIONNAIRE_MODES.join(', ')}` },
    questions: { type: 'string', maxLength: 100, default: '', description: 'a questionnaire (callflow-questions), or empty' },
    notifyType: { type: 'string', enum: NOTIFY_TYPES, default: 'none', description: `one of ${NOTIFY_TYPES.join(', ')}` },
    notifyTo: { type: 'string', maxLength: 200, pattern: '^[^\\u0000-\\u001f\\u007f]*$', default: '{number}', description: 'a recipient template of at most 200 characters on one line, e.g. {number} or {custom.email}' },
    notifyText: {
      type: 'string',
      maxLength: TEMPLATE_MAX,
      pattern: '^[^\\u0000-\\u0009\\u000b-\\u001f\\u007f]*$',
      default: '',
      description: `a text template of at most ${TEMPLATE_MAX} characters (line breaks allowed, no other control character)`,
    },
    // What the task does with an answered call: task type, skill queue, recording, answering machines (campaign-answered.ts).
    ...answeredCallProperties,
    // The trunk group: several Asterisk connections (docs/scaling.md, "Several Asterisk servers").
    connections: {
      type: 'array',
      maxItems: 32,
      default: [],
      description: 'at most 32 connections',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['connection', 'maxCalls', 'weight', 'callerNumbers'],
        properties: {
          connection: { type: 'string', minLength: 1, maxLength: 100, description: 'an Asterisk connection (callflow-asterisk)' },
          maxCalls: { type: 'integer', minimum: 0, maximum: 10000, description: 'calls from 0 (the connection\'s channel limit) to 10000' },
          weight: { type: 'integer', minimum: 1, maximum: 100, description: 'a weight from 1 to 100' },
          callerNumbers: { type: 'array', maxItems: 100, uniqueItems: true, items: NUMBER, description: 'at most 100 different caller numbers' },
        },
      },
    },
  },
  required: [
    'name', 'connection', 'store', 'callerNumbers', 'callerGroup', 'routing', 'startAt', 'endAt', 'flow', 'priority', 'blocklistGroups', 'callbackUrl',
    'callbackAllowlist', 'dialString', 'timezone', 'hours', 'maxResponseSec', 'intervalSec', 'callsAtATime', 'filter', 'order', 'multiNumber', 'numberTypes', 'policy',
  ],
} as const;

export const campaignConfig = new Validator<CampaignSettings>('callflow-campaign', campaignSchema);

/** The settings a template file carries: everything but the node's own links (connection, store, routing, questions, connections). */
export interface CampaignTemplate {
  format: 'callflow-campaign-template';
  version: 1;
  name: string;
  settings: Omit<CampaignSettings, 'connection' | 'store' | 'routing' | 'questions' | 'connections'>;
}

const templateSettings = (() => {
  const { connection: _c, store: _s, routing: _r, questions: _q, connections: _t, ...properties } = campaignSchema.properties;
  return {
    type: 'object',
    additionalProperties: false,
    properties,
    required: campaignSchema.required.filter((k) => k !== 'connection' && k !== 'store' && k !== 'routing'),
  };
})();

export const campaignTemplate = new Validator<CampaignTemplate>('campaign template', {
  type: 'object',
  additionalProperties: false,
  required: ['format', 'version', 'name', 'settings'],
  properties: {
    format: { const: 'callflow-campaign-template', description: 'the text callflow-campaign-template' },
    version: { const: 1, description: '1' },
    name: { type: 'string', minLength: 1, maxLength: 100, description: 'a template name of 1 to 100 characters' },
    settings: templateSettings,
  },
});

/** What the store keeps for a campaign (kind "campaign", id: the config node's id). */
export interface CampaignDocument {
  state: CampaignState;
  changedAt: number;
  /** Why the state last changed (a user's operation, "end time passed", "every contact is final"). */
  reason: string;
  name: string;
  /** The settings the task runs with (saved on start and resume: a deploy while running does not change them). */
  settings?: CampaignSettings;
  /** When the task was started (its start operation; kept through suspend and resume): task priority compares it. */
  startedAt?: number;
  /** Attempts dialed, answered and failed, and customers finished, since the task was created. */
  counters: CampaignCounters;
}

export interface CampaignCounters {
  dialed: number;
  answered: number;
  failed: number;
  finished: number;
}

const COUNT = { type: 'integer', minimum: 0, description: 'a count, 0 or more' } as const;

export const campaignDocument = new Validator<CampaignDocument>('campaign', {
  type: 'object',
  additionalProperties: false,
  required: ['state', 'changedAt', 'reason', 'name', 'counters'],
  properties: {
    state: { type: 'string', enum: CAMPAIGN_STATES, description: `one of ${CAMPAIGN_STATES.join(', ')}` },
    changedAt: { type: 'number', minimum: 0, description: 'a time in milliseconds since 1970' },
    reason: { type: 'string', maxLength: 500, description: 'a reason of at most 500 characters' },
    name: { type: 'string', minLength: 1, maxLength: 100, description: 'a task name of 1 to 100 characters' },
    settings: campaignSchema,
    startedAt: { type: 'number', minimum: 0, description: 'a time in milliseconds since 1970' },
    counters: {
      type: 'object',
      additionalProperties: false,
      required: ['dialed', 'answered', 'failed', 'finished'],
      properties: { dialed: COUNT, answered: COUNT, failed: COUNT, finished: COUNT },
    },
  },
});

/**
 * What the dialers of one task on several Node-RED instances share through the store (kind "dialing", id: the
 * config node's id; lib/campaign/dialing-document.ts): the task's rate budget, so that the configured pace is the
 * total of every instance, and the dialers running the task, each with when it last said it was alive, so that the
 * others take over the leases of one that stopped saying so.
 */
export interface DialingDocument {
  /** Calls that may be placed now (fractional), accrued at the task's rate up to one tick's worth, as of `at`. */
  budget: { tokens: number; at: number };
  /**
   * The dialers of the task by worker id (lib/campaign/dialing-document.ts says how the ids are made): when each was
   * last seen, and when it last wanted calls from the budget (it held contacts to dial), so that a dialer with nothing
   * to dial does not drop the calls another one is about to take.
   */
  workers: Record<string, { seen: number; wanted?: number }>;
}

const INSTANT = { type: 'number', minimum: 0, description: 'a time in milliseconds since 1970' } as const;

export const dialingDocument = new Validator<DialingDocument>('dialing', {
  type: 'object',
  additionalProperties: false,
  required: ['budget', 'workers'],
  properties: {
    budget: {
      type: 'object',
      additionalProperties: false,
      required: ['tokens', 'at'],
      properties: { tokens: { type: 'number', minimum: 0, maximum: 1_000_000, description: 'a number of calls from 0 to 1000000' }, at: INSTANT },
    },
    workers: {
      type: 'object',
      maxProperties: 64,
      propertyNames: { maxLength: 128 },
      additionalProperties: { type: 'object', additionalProperties: false, required: ['seen'], properties: { seen: INSTANT, wanted: INSTANT } },
      description: 'at most 64 workers, each with when it was last seen and when it last wanted calls',
    },
  },
});

/** Problems the schema cannot say: each names the field and what is wrong. */
export function crossFieldProblems(s: CampaignSettings): string[] {
  const problems: string[] = [];
  if (s.callerNumbers.length > 0 && s.callerGroup) problems.push('callerGroup: give caller numbers or one caller number group, not both');
  if (s.callerNumbers.length === 0 && !s.callerGroup) problems.push('callerNumbers: give at least one caller number, or a caller number group');
  if (s.callerGroup && !s.routing) problems.push('routing: a caller number group needs the routing table that defines it');
  if (s.startAt && s.endAt && s.startAt > s.endAt) problems.push(`startAt: the start (${s.startAt}) is after the end (${s.endAt})`);
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: s.timezone });
  } catch {
    problems.push(`timezone: not an IANA time zone (got ${JSON.stringify(s.timezone)})`);
  }
  const periods = (where: string, list: Period[]): void => {
    list.forEach((p, i) => {
      if (p.start === '00:00' && p.end === '00:00') return;
      if (p.start >= p.end) problems.push(`${where}.${i}: the period ${p.start}-${p.end} ends before it starts (00:00-00:00 means no calls)`);
    });
  };
  periods('hours.regular', s.hours.regular);
  s.hours.special.forEach((d, i) => periods(`hours.special.${i}.periods`, d.periods));
  s.hours.allocated.forEach((d, i) => periods(`hours.allocated.${i}.periods`, d.periods));
  const rules: [string, RetryRule][] = [['policy.rule', s.policy.rule], ...s.policy.types.map((t, i): [string, RetryRule] => [`policy.types.${i}`, t])];
  for (const [where, rule] of rules) {
    const seen = new Set<string>();
    for (const c of rule.causes) {
      if (seen.has(c.cause)) problems.push(`${where}.causes: one rule per failure cause (${c.cause} is there twice)`);
      seen.add(c.cause);
    }
  }
  const types = new Set<string>();
  for (const t of s.policy.types) {
    if (types.has(t.type)) problems.push(`policy.types: one rule per number type (${t.type} is there twice)`);
    types.add(t.type);
    if (!s.numberTypes.includes(t.type)) problems.push(`policy.types: ${t.type} is not one of the number types (${s.numberTypes.join(', ')})`);
  }
  for (const t of s.multiNumber.types) if (!s.numberTypes.includes(t)) problems.push(`multiNumber.types: ${t} is not one of the number types (${s.numberTypes.join(', ')})`);
  if (s.order.by === 'attributes' && s.order.attrs.length === 0) problems.push('order.attrs: ordering by data attributes needs at least one attribute');
  if ((s.questionnaire ?? 'none') !== 'none' && !s.questions) problems.push(`questions: the questionnaire setting ${s.questionnaire} needs a questionnaire (a callflow-questions node)`);
  problems.push(...notificationProblems(s));
  problems.push(...trunkProblems(s));
  return problems;
}

/** The trunk group's rules: each connection once, the task's own connection among them. */
function trunkProblems(s: CampaignSettings): string[] {
  const list = s.connections ?? [];
  if (list.length === 0) return [];
  const problems: string[] = [];
  const seen = new Set<string>();
  list.forEach((t, i) => {
    if (seen.has(t.connection)) problems.push(`connections.${i}.connection: each connection once (${t.connection} is there twice)`);
    seen.add(t.connection);
  });
  if (!seen.has(s.connection)) problems.push(`connections: the task's connection (${s.connection}) must be one of its connections`);
  return problems;
}

/** The connections a task dials through: its trunk group, or its one connection (settings from before trunk groups). */
export function trunkSettings(s: Pick<CampaignSettings, 'connection' | 'connections' | 'callerNumbers'>): TrunkSetting[] {
  const list = s.connections ?? [];
  return list.length > 0 ? list.map((t) => ({ connection: t.connection, maxCalls: t.maxCalls, weight: t.weight, callerNumbers: t.callerNumbers })) : [{ connection: s.connection, maxCalls: 0, weight: 1, callerNumbers: [] }];
}

/** A business result or sub-result code, as callflow-result and the remark of a result take it. */
export const RESULT_CODE = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * Whether a business result may be set on a call of a task with these settings (only the associated business result,
 * with any of its sub-results, may be): undefined when it may, else the one code allowed.
 */
export function outsideBusinessResult(settings: Pick<CampaignSettings, 'businessResult'> | undefined, code: string): string | undefined {
  const allowed = settings?.businessResult ?? '';
  return allowed === '' || code === allowed ? undefined : allowed;
}

/** A campaign's settings from a node's properties (or a template), with defaults, checked: the value or every problem. */
export function checkCampaign(values: Record<string, unknown>): { ok: true; value: CampaignSettings } | { ok: false; problems: string[] } {
  const r = campaignConfig.checkForm(values);
  if (!r.ok) return r;
  const problems = crossFieldProblems(r.value);
  return problems.length > 0 ? { ok: false, problems } : r;
}
