/**
 * The dialer's port: what a dialer of one outbound call task is given
 * (DialerOptions: the store, the telephony port, the call registry as a
 * CallAdopter, the clock, the shared coordinator) and what it tells its
 * owner, the callflow-campaign config node, through DialerHooks (answered
 * calls, final results, status), in the domain's words.
 *
 * Apart from dialer.ts as lib/ari/port.ts is apart from connection.ts:
 * nodes/ depend on these types, not on how the dialer works.
 */
import type { MediaSettings, MediaTelephony } from '../media/path';
import type { DialAllowlist } from '../ari/dialstring';
import type { Telephony } from '../ari/port';
import type { Channel } from '../ari/types';
import type { CallSession, CampaignLink } from '../call/session';
import type { Logger } from '../log';
import type { CampaignCounters, CampaignSettings, CampaignState } from '../schemas/campaign';
import type { Attempt, ContactResult } from '../schemas/store';
import type { Store } from '../store/port';
import type { DialJournal } from './dial-journal';
import type { CallbackSender } from './callback';
import type { Clock } from './clock';
import type { ChannelPool, Coordinator } from './coordinator';
import type { Trunk, TrunkLoad } from './trunks';

/** What a dialer asks of an Asterisk connection. */
export type DialerTelephony = Pick<Telephony, 'originate' | 'getChannel' | 'hangup' | 'watchChannel' | 'status' | 'snoop' | 'record'>;

export type IdleReason = 'outside-hours' | 'higher-priority' | 'channel-limit' | 'waiting-retries' | 'not-started' | 'before-start' | 'connection-down';

export interface DialerStatus {
  state: CampaignState;
  counters: CampaignCounters;
  /** Contacts not final yet (as last counted). */
  remaining: number;
  /** Calls of this task ringing or in progress. */
  active: number;
  idle?: IdleReason;
  /** For higher-priority: the task's name. */
  idleDetail?: string;
  /** Why the dialer suspended the task itself (shown until it runs again). */
  problem?: DialerProblem;
  /** A task with a trunk group (more than one connection): each connection's state and this task's calls on it. */
  trunks?: TrunkLoad[];
}

/** The task's IVR flow could not take an answered call (not deployed, or not released): the dialer suspended the task. */
export interface DialerProblem {
  kind: 'flow-missing';
  flow: string;
  /** Why, in the connection's words. */
  detail: string;
}

export interface AnsweredCall {
  session: CallSession;
  customerId: string;
  number: string;
  attempt: number;
  /** True when the call was found still up after a restart. */
  resumed: boolean;
}

/** A contact whose final result followed a failed attempt (the hooks' finalFailure). */
export interface FinalFailure {
  customerId: string;
  number: string;
  attempt: Attempt;
  result: ContactResult;
  custom?: Record<string, unknown>;
}

/** A contact with its final result, and every attempt it took (the hooks' finished). */
export interface FinishedCustomer {
  customerId: string;
  result: ContactResult;
  attempts: Attempt[];
  custom?: Record<string, unknown>;
}

export interface DialerHooks {
  answered(call: AnsweredCall): void;
  finalFailure(failure: FinalFailure): void;
  finished(customer: FinishedCustomer): void;
  status(status: DialerStatus): void;
}

/** What the dialer needs of the call registry. */
export interface CallAdopter {
  claim(channelId: string): void;
  adopt(channel: Channel, init: { caller: { number: string; name: string }; dialed: string; campaign?: CampaignLink }): CallSession;
}

export interface DialerOptions {
  campaignId: string;
  /** Stable across restarts of the process: a restarted dialer takes back its own leases. */
  worker: string;
  settings: CampaignSettings;
  store: Store;
  /** The task's connection (with `calls`, `connectionId`, `pool`, `callerNumbers`, `destinations`: its one trunk when `trunks` is not given). */
  telephony: DialerTelephony;
  calls: CallAdopter;
  connectionId: string;
  pool: ChannelPool;
  /** The trunk group (trunks.ts), the task's connection first; replaces the one connection above. */
  trunks?: Trunk[];
  coordinator: Coordinator;
  clock: Clock;
  /** The caller numbers in rotation (from the settings, or the caller number group). */
  callerNumbers: string[];
  callback?: CallbackSender;
  log?: Logger;
  hooks: DialerHooks;
  /** Resolves once the connection to Asterisk is up (the calls in flight after a restart are resolved then). */
  whenConnected?: () => Promise<void>;
  /** Where the connection may dial (its dial allowlist); default PJSIP/* and PJSIP/*@trunk. */
  destinations?: DialAllowlist;
  /** The store the task is kept in (its callflow-store's id): task priority is kept among the tasks of one store. Default ''. */
  scope?: string;
  /**
   * Why the task's IVR flow (settings.flow) could not take an answered call
   * now, or undefined (nodes: the connection's router). Start and resume are
   * refused while it says why; without it, no check.
   */
  flowCheck?: () => string | undefined;
  /**
   * The calls sent and not yet marked dialed, kept where a restart of this
   * Node-RED finds them (dial-journal.ts); without it (no user directory), a
   * call dialed just before a crash and gone by the restart reads as not dialed.
   */
  journal?: DialJournal;
  /** Where answering-machine detection (settings.amd) takes the call's audio (lib/media/path.ts); without it, none. */
  media?: { telephony: MediaTelephony; settings: MediaSettings };
}
