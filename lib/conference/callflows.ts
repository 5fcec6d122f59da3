/**
 * Which conference call flow a call gets, and with which properties
 * (../shared/reference/conference-call-flows.txt): the call flow is looked for
 * at the number (DID), then its number group, then the account; a call for
 * which no level names one is dropped and no meeting is created. Properties
 * are the documented defaults, overridden by the account's, the group's, the
 * number's, the node's, the msg's and last the meeting room's.
 *
 * The default prompts are ConfBridge's own sounds (apps/app_confbridge.c
 * conf_get_sound; conf-full as app_meetme.c plays it): every one of them is in
 * Asterisk's core sound set, so a stock Asterisk has them.
 */
import type { CallFlowName, ConferenceProperties, ConferencePrompts, ConferenceRoute, MeetingKeys } from '../schemas/conference';

export type ResolvedProperties = Required<Omit<ConferenceProperties, 'prompts' | 'keys'>> & { prompts: Required<ConferencePrompts>; keys: Required<MeetingKeys> };

export const DEFAULT_PROPERTIES: Readonly<ResolvedProperties> = Object.freeze({
  maxParticipants: 50,
  codeAttempts: 3,
  firstDigitTimeoutSec: 10,
  interDigitTimeoutSec: 5,
  waitForHost: false,
  endWhenLastHostLeaves: false,
  mutedOnEntry: false,
  entryExitTones: true,
  announceCount: false,
  announceJoinLeave: false,
  announceNames: false,
  keys: Object.freeze({ mute: '1', count: '2', leave: '#', lock: '3', muteAll: '4' }),
  record: false,
  musicOnHoldClass: '',
  language: '',
  prompts: Object.freeze({
    askCode: ['sound:conf-getpin'],
    askName: ['sound:vm-rec-name'],
    invalidCode: ['sound:conf-invalidpin'],
    locked: ['sound:conf-locked'],
    full: ['sound:conf-full'],
    waitForHost: ['sound:conf-waitforleader'],
    onlyPerson: ['sound:conf-onlyperson'],
    hostLeft: ['sound:conf-leaderhasleft'],
    hasJoined: ['sound:conf-hasjoin'],
    hasLeft: ['sound:conf-hasleft'],
    muted: ['sound:conf-muted'],
    unmuted: ['sound:conf-unmuted'],
    lockedNow: ['sound:conf-lockednow'],
    unlockedNow: ['sound:conf-unlockednow'],
  }),
});

/** The tones into a meeting as someone joins and leaves (ConfBridge's sound_join and sound_leave). */
export const ENTRY_TONE = 'sound:confbridge-join';
export const EXIT_TONE = 'sound:confbridge-leave';

/** Two meeting actions on one key: the second could never be reached. */
export function keyClashes(keys: Required<MeetingKeys>): string[] {
  const seen = new Map<string, string>();
  const out: string[] = [];
  for (const [action, key] of Object.entries(keys)) {
    if (key === '') continue;
    const other = seen.get(key);
    if (other) out.push(`keys: ${other} and ${action} are both on ${key}`);
    else seen.set(key, action);
  }
  return out;
}

/** Properties of the levels, least specific first, over the defaults; a level's prompts and keys replace only those they name. */
export function mergeProperties(levels: readonly (ConferenceProperties | undefined)[]): ResolvedProperties {
  const out: ResolvedProperties = { ...DEFAULT_PROPERTIES, prompts: { ...DEFAULT_PROPERTIES.prompts }, keys: { ...DEFAULT_PROPERTIES.keys } };
  for (const level of levels) {
    if (!level) continue;
    const { prompts, keys, ...rest } = level;
    if (keys) for (const [k, v] of Object.entries(keys) as [string, string | undefined][]) if (v !== undefined) (out.keys as Record<string, string>)[k] = v;
    for (const [k, v] of Object.entries(rest)) if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
    if (prompts) for (const [k, v] of Object.entries(prompts)) if (v !== undefined) (out.prompts as Record<string, string[]>)[k] = [...(v as string[])];
  }
  return out;
}

export type ConferenceLevel = 'msg' | 'node' | 'number' | 'group' | 'account';

/** The routing table's conference settings for a dialed number, most specific level last. */
export interface RoutedConference {
  account?: ConferenceRoute;
  group?: ConferenceRoute;
  number?: ConferenceRoute;
}

export type CallFlowChoice =
  | { callFlow: CallFlowName; level: ConferenceLevel; properties: ResolvedProperties; levels: (ConferenceProperties | undefined)[] }
  | { dropped: string };

/**
 * The call flow of a call: the msg's, else the node's, else the number's, the group's, the account's; none: dropped,
 * with the reason for the log. `levels` keeps the properties in merge order so that a room's can go on top later.
 */
export function chooseCallFlow(
  routed: RoutedConference,
  node: { callFlow?: CallFlowName | ''; properties?: ConferenceProperties },
  msg: { callFlow?: CallFlowName; properties?: ConferenceProperties } | undefined,
  dialed: string,
): CallFlowChoice {
  const candidates: [ConferenceLevel, CallFlowName | '' | undefined][] = [
    ['msg', msg?.callFlow],
    ['node', node.callFlow],
    ['number', routed.number?.callFlow],
    ['group', routed.group?.callFlow],
    ['account', routed.account?.callFlow],
  ];
  const found = candidates.find(([, flow]) => flow);
  if (!found) return { dropped: `no conference call flow for ${dialed || 'an empty number'}: none on the number, its group, the account or the node` };
  const levels = [routed.account?.properties, routed.group?.properties, routed.number?.properties, node.properties, msg?.properties];
  return { callFlow: found[1] as CallFlowName, level: found[0], properties: mergeProperties(levels), levels };
}
