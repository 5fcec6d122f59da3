/**
 * What an outbound campaign does with a call the customer answered: the task type (the specification's "Task Type",
 * common IVR or intelligent robot: the kind of flow the call enters), the skill queue it may be transferred to,
 * recording, and answering-machine detection with AMD()'s parameters. Part of the campaign's one schema
 * (campaign.ts spreads these properties into it), so the form, a template and the stored document are checked by the
 * same ajv code. Every field is optional: settings stored or exported before it existed have none, and read as the
 * default (a common IVR task, no skill queue, not recorded, no detection, Asterisk's AMD() defaults).
 */
import { AMD_DEFAULTS, type AmdParameters } from '../media/amd';
import { amdParameterProperties } from './amd';
import { QUEUE_NAME_PATTERN } from './elements';

/** ivr: answered calls enter an IVR flow (prompts, keys); robot: a flow whose callflow-bot element talks with the customer. */
export const TASK_TYPES = ['ivr', 'robot'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

export const AMD_ACTIONS = ['off', 'hangup', 'beep', 'human'] as const;
export type AmdAction = (typeof AMD_ACTIONS)[number];

export interface AnsweredCallSettings {
  /**
   * The task type: "ivr" (common IVR outbound call) or "robot" (intelligent robot outbound call: its flow must hold a
   * callflow-bot element, lib/campaign/task-type.ts). Optional: settings stored before it existed are "ivr".
   */
  taskType?: TaskType;
  /**
   * The specification's "Transfer to Skill Queue": the queue (SkillQueueName) the task's calls may be transferred to,
   * given to each call as msg.call.campaign.skillQueue (a set node copies it into a variable; a transfer node's queue
   * {campaign.skillQueue} reads it; a robot asking for a transfer without a queue gets it). Empty: none.
   */
  skillQueue?: string;
  /**
   * Record every answered call of the task, the whole call, also after a transfer to the dialplan or a queue
   * (lib/call/recording.ts); for a robot task, the conversation as the customer heard it. Off when missing.
   */
  recordCalls?: boolean;
  /**
   * Answering-machine detection on answered calls (lib/media/detect.ts, AMD()'s rules): "off"; "hangup" (a machine
   * is hung up, failure cause `machine`); "beep" (a machine's beep is awaited, then the flow runs: it plays the notice
   * onto the recording); "human" (classified, AMDSTATUS/AMDCAUSE in msg.call.vars, every call runs the flow).
   */
  amd?: AmdAction;
  /** AMD()'s parameters for that detection; missing: Asterisk's defaults (AMD_DEFAULTS, app_amd.c and amd.conf.sample). */
  amdParameters?: AmdParameters;
}

const AMD_PARAMETER_NAMES = Object.keys(amdParameterProperties) as (keyof AmdParameters)[];

export const answeredCallProperties = {
  taskType: { type: 'string', enum: TASK_TYPES, default: 'ivr', description: '"ivr" (common IVR) or "robot" (intelligent robot)' },
  skillQueue: { type: 'string', pattern: `^$|${QUEUE_NAME_PATTERN}`, default: '', description: 'a queue name: 1 to 80 letters, digits, _ . or -, or empty (none)' },
  recordCalls: { type: 'boolean', default: false, description: 'true or false' },
  amd: { type: 'string', enum: AMD_ACTIONS, default: 'off', description: '"off", "hangup", "beep" or "human"' },
  amdParameters: {
    type: 'object',
    additionalProperties: false,
    required: AMD_PARAMETER_NAMES,
    properties: amdParameterProperties,
    default: { ...AMD_DEFAULTS },
    description: `AMD()'s parameters: ${AMD_PARAMETER_NAMES.join(', ')}`,
  },
} as const;

/** The task type of settings that may predate it: a common IVR task when missing. */
export function taskTypeOf(settings: { taskType?: TaskType } | undefined): TaskType {
  return settings?.taskType ?? 'ivr';
}

/** The AMD() parameters a task's detection runs with: its own, else Asterisk's defaults. */
export function amdParametersOf(settings: { amdParameters?: AmdParameters } | undefined): AmdParameters {
  return { ...AMD_DEFAULTS, ...settings?.amdParameters };
}
