/** The shape of a callflow-campaign config node as the stage nodes that use it see it. */
import type { CallSession } from '../../lib/call/session';
import type { Dialer, DialerStatus, FinalFailure, FinishedCustomer } from '../../lib/campaign/dialer';
import type { CampaignSettings } from '../../lib/schemas/campaign';
import type { Store } from '../../lib/store/port';
import type { Node } from '../red/api';

/** A callflow-dialer node: where answered calls, final failures and finished customers leave. */
export interface DialerOutputs {
  answered(session: CallSession, info: { customerId: string; number: string; attempt: number; resumed: boolean }): void;
  finalFailure(failure: FinalFailure): void;
  finished(customer: FinishedCustomer): void;
}

export interface CampaignConfigNode extends Node {
  /** The deployed settings, when valid. */
  readonly settings: CampaignSettings | undefined;
  /** Why the settings are not valid. */
  readonly problems: string[];
  /** What deploys but should be fixed (a secret in the callback URL), in the log's words. */
  readonly warnings: string[];
  /** The task's dialer, once the store and the connection are there (rejects with the reason otherwise). */
  dialer(waitMs?: number): Promise<Dialer>;
  /** The open store (rejects when it is not available within waitMs). */
  store(waitMs?: number): Promise<Store>;
  /** A dialer node takes the task's outputs; the returned function lets go. */
  attach(outputs: DialerOutputs): () => void;
  /** The task's state and progress, now and as it changes. */
  onStatus(listener: (status: DialerStatus) => void): () => void;
}
