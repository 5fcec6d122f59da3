/**
 * Flow versions and their release states (lib/releases): the
 * callflow-releases config node's settings, the bodies of the admin API's
 * requests, and the document the store keeps (kind "releases"). The same
 * schemas check the form, the API and what is read back from the store.
 */
import { Validator } from './validator';

export const FLOW_NAME = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'a flow name: 1 to 64 letters, digits, _ . or -' } as const;
export const VERSION_NAME = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,32}$', description: 'a version: 1 to 32 letters, digits, _ . or -' } as const;
/** A caller number, or a prefix ending in * (+4930*). */
const CALLER = { type: 'string', pattern: '^\\+?[0-9]{1,32}\\*?$', description: 'a caller number (+4930123) or a prefix ending in * (+4930*)' } as const;
const SHARE = { type: 'number', minimum: 0, maximum: 100, description: 'a percentage from 0 to 100' } as const;
const COMMENT = { type: 'string', maxLength: 2000, description: 'a comment of at most 2000 characters' } as const;
const TIME = { type: 'number', minimum: 0, description: 'a time in milliseconds since 1970' } as const;
const WHO = { type: 'string', minLength: 1, maxLength: 128, description: 'a user name of 1 to 128 characters' } as const;

export const RELEASE_STATES = ['new', 'editing', 'unreleased', 'official', 'gray'] as const;
export type ReleaseState = (typeof RELEASE_STATES)[number];

/** Who gets a gray version: a share of new calls, and every call from the listed numbers or prefixes. */
export interface GraySettings {
  share: number;
  callers: string[];
}

export const graySettingsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    share: { ...SHARE, default: 0 },
    callers: { type: 'array', maxItems: 1000, items: CALLER, default: [], description: 'at most 1000 caller numbers or prefixes' },
  },
  required: ['share', 'callers'],
} as const;
export const graySettings = new Validator<GraySettings>('gray settings', graySettingsSchema);

export interface EditLock {
  /** The user name (adminAuth), or "anonymous". */
  user: string;
  /** The editor (one browser page) holding it. */
  editor: string;
  since: number;
  /** The last request from that editor; the lock expires LOCK_TIMEOUT_MS after it. */
  seen: number;
}

export interface VersionCounters {
  calls: number;
  /** Calls the flow ended (a hangup or a SIP response element). */
  completed: number;
  /** Calls the caller ended before the flow did. */
  hungUpEarly: number;
  /** Calls handed to someone else (a transfer that was answered, the dialplan). */
  transferred: number;
  /** Sum of the durations of ended calls, seconds. */
  totalSec: number;
  /** Calls that ended (completed + hung up early + transferred + others). */
  ended: number;
}

export interface HistoryEntry {
  at: number;
  by: string;
  op: string;
  from: ReleaseState;
  to: ReleaseState;
  comment?: string;
}

/**
 * A version's Type (../shared/reference/ivr-flow-lifecycle.txt, the Attribute note): the release set's main flow, its
 * exception-handling flow (calls whose flow failed continue there), or any other flow. A release set has at most one
 * flow of each of the first two types; the versions of that flow may all carry it.
 */
export const FLOW_TYPES = ['main', 'exception', 'other'] as const;
export type FlowType = (typeof FLOW_TYPES)[number];

export interface VersionRecord {
  state: ReleaseState;
  /** The version's Type; absent: other. */
  type?: FlowType;
  /** An official version replaced by another: it takes no new calls and becomes unreleased once its calls have ended. */
  retiring?: boolean;
  lock?: EditLock;
  createdAt: number;
  createdBy: string;
  /** Where a clone or a restore came from. */
  from?: { version?: string; snapshot?: string };
  releasedAt?: number;
  releasedBy?: string;
  comment?: string;
  /** The snapshot saved when it was last released. */
  snapshot?: string;
  /** Hash of the version's nodes when it was last released. */
  releasedHash?: string;
  /** Hash of the version's nodes as last deployed. */
  deployedHash?: string;
  counters: VersionCounters;
  /** The latest state changes, oldest first (at most HISTORY_LIMIT). */
  history: HistoryEntry[];
}

export interface FlowRecord {
  gray?: GraySettings;
  versions: Record<string, VersionRecord>;
}

export interface ReleasesDocument {
  flows: Record<string, FlowRecord>;
}

const COUNT = { type: 'integer', minimum: 0 } as const;
const stateSchema = { type: 'string', enum: RELEASE_STATES, description: `one of ${RELEASE_STATES.join(', ')}` } as const;

const versionRecordSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['state', 'createdAt', 'createdBy', 'counters', 'history'],
  properties: {
    state: stateSchema,
    type: { type: 'string', enum: FLOW_TYPES, description: 'main, exception or other' },
    retiring: { type: 'boolean' },
    lock: {
      type: 'object',
      additionalProperties: false,
      required: ['user', 'editor', 'since', 'seen'],
      properties: { user: WHO, editor: { type: 'string', minLength: 1, maxLength: 64 }, since: TIME, seen: TIME },
    },
    createdAt: TIME,
    createdBy: WHO,
    from: { type: 'object', additionalProperties: false, properties: { version: VERSION_NAME, snapshot: { type: 'string', minLength: 1, maxLength: 128 } } },
    releasedAt: TIME,
    releasedBy: WHO,
    comment: COMMENT,
    snapshot: { type: 'string', minLength: 1, maxLength: 128 },
    releasedHash: { type: 'string', maxLength: 128 },
    deployedHash: { type: 'string', maxLength: 128 },
    counters: {
      type: 'object',
      additionalProperties: false,
      required: ['calls', 'completed', 'hungUpEarly', 'transferred', 'totalSec', 'ended'],
      properties: { calls: COUNT, completed: COUNT, hungUpEarly: COUNT, transferred: COUNT, totalSec: { type: 'number', minimum: 0 }, ended: COUNT },
    },
    history: {
      type: 'array',
      maxItems: 100,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['at', 'by', 'op', 'from', 'to'],
        properties: { at: TIME, by: WHO, op: { type: 'string', maxLength: 32 }, from: stateSchema, to: stateSchema, comment: COMMENT },
      },
    },
  },
} as const;

export const releasesDocumentSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['flows'],
  properties: {
    flows: {
      type: 'object',
      maxProperties: 1000,
      propertyNames: { pattern: FLOW_NAME.pattern },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['versions'],
        properties: {
          gray: graySettingsSchema,
          versions: { type: 'object', maxProperties: 1000, propertyNames: { pattern: VERSION_NAME.pattern }, additionalProperties: versionRecordSchema },
        },
      },
    },
  },
} as const;
export const releasesDocument = new Validator<ReleasesDocument>('releases document', releasesDocumentSchema);

/** The callflow-releases config node. */
export interface ReleasesConfig {
  name?: string;
  /** The callflow-store that keeps states and snapshots. */
  store: string;
}
export const releasesConfig = new Validator<ReleasesConfig>('callflow-releases', {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 100, description: 'a name of at most 100 characters' },
    store: { type: 'string', minLength: 1, description: 'a store (a callflow-store config node) for states and snapshots' },
  },
  required: ['store'],
});

// --- admin API request bodies ---------------------------------------------------------

export interface ReleaseRequest {
  target: 'official' | 'gray';
  comment?: string;
  gray?: GraySettings;
}
export const releaseRequest = new Validator<ReleaseRequest>('release', {
  type: 'object',
  additionalProperties: false,
  properties: {
    target: { type: 'string', enum: ['official', 'gray'], description: '"official" or "gray"' },
    comment: COMMENT,
    gray: graySettingsSchema,
  },
  required: ['target'],
});

export interface NewVersionRequest {
  version: string;
}
export const newVersionRequest = new Validator<NewVersionRequest>('new version', {
  type: 'object',
  additionalProperties: false,
  properties: { version: VERSION_NAME },
  required: ['version'],
});

export interface AttributesRequest {
  type: FlowType;
}
export const attributesRequest = new Validator<AttributesRequest>('attributes', {
  type: 'object',
  additionalProperties: false,
  properties: { type: { type: 'string', enum: FLOW_TYPES, description: '"main", "exception" or "other"' } },
  required: ['type'],
});

export interface TestRequest {
  /** Where to originate the test call on a real Asterisk (PJSIP/1001); the simulator takes a simulated call. */
  endpoint?: string;
  caller?: string;
}
export const testRequest = new Validator<TestRequest>('test', {
  type: 'object',
  additionalProperties: false,
  properties: {
    endpoint: { type: 'string', maxLength: 200, pattern: '^[A-Za-z0-9_-]+/\\S{1,128}$', description: 'an endpoint such as PJSIP/1001' },
    caller: { type: 'string', pattern: '^\\+?[0-9]{0,32}$', description: 'a caller number' },
  },
});
