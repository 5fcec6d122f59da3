/**
 * Keeps the record of every call that ends on a connection in the store the connection names, without ever holding
 * a call back: a record is handed to the store and forgotten (the call is over by then), a store that is down or not
 * keeping up costs a dropped record, never a delay or an error on a call.
 *
 * An outage is said once: the first record dropped logs one warning with the reason, the ones after it only count
 * (`dropped`), and the first record the store takes again after that logs how many were dropped meanwhile. At most
 * `maxInFlight` writes wait for the store at a time (memory stays bounded when the store is slow); beyond that a
 * record is dropped as in an outage.
 */
import type { EndedCall } from '../call/registry';
import type { Logger } from '../log';
import type { StoreConnection } from '../store/connection';
import type { CallRecord } from '../schemas/store';
import { callRecordOf } from './record';

export interface CallRecordKeeperOptions {
  /** The store connection now (resolved at each record: the store node may be redeployed), or undefined when there is none. */
  store: () => StoreConnection | undefined;
  log: Logger;
  /** Writes waiting for the store at most (default 1000). */
  maxInFlight?: number;
  /** How long a record waits for a store that is opening (ms, default 5000). */
  openWaitMs?: number;
}

export interface CallRecordCounts {
  /** Records the store took. */
  saved: number;
  /** Records dropped: the store was down, not deployed, not keeping up, or refused the record. */
  dropped: number;
  /** Writes waiting for the store now. */
  inFlight: number;
  /** Whether records are being dropped now (an outage not over yet). */
  dropping: boolean;
}

export class CallRecordKeeper {
  private saved = 0;
  private dropped = 0;
  private inFlight = 0;
  /** The outage in progress (a fresh object each time), with the drops counted before it. */
  private outage: { droppedBefore: number } | undefined;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly maxInFlight: number;
  private readonly openWaitMs: number;

  constructor(private readonly options: CallRecordKeeperOptions) {
    this.maxInFlight = options.maxInFlight ?? 1000;
    this.openWaitMs = options.openWaitMs ?? 5000;
  }

  get counts(): CallRecordCounts {
    return { saved: this.saved, dropped: this.dropped, inFlight: this.inFlight, dropping: this.outage !== undefined };
  }

  /** Hands an ended call's record to the store. Never throws, never waits. */
  keep(ended: EndedCall): void {
    let record: CallRecord;
    try {
      record = callRecordOf(ended);
    } catch (err) {
      this.drop(`the record of call ${ended.session.id} could not be made: ${(err as Error).message}`);
      return;
    }
    const connection = this.options.store();
    if (!connection) {
      this.drop('the store the connection names is not deployed, or its settings are invalid');
      return;
    }
    if (this.inFlight >= this.maxInFlight) {
      this.drop(`the store is not keeping up (${this.inFlight} records waiting for it)`);
      return;
    }
    this.inFlight += 1;
    const outage = this.outage;
    const droppedBefore = this.dropped;
    connection
      .available(this.openWaitMs)
      .then((store) => store.saveCallRecord(record))
      .then(
        () => this.took(outage, droppedBefore),
        (err: unknown) => this.drop((err as Error).message),
      )
      .finally(() => {
        this.inFlight -= 1;
        if (this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
      });
  }

  /** Resolves when no record waits for the store (tests, and a connection closing). */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private took(outageAtStart: { droppedBefore: number } | undefined, droppedAtStart: number): void {
    this.saved += 1;
    const outage = this.outage;
    // The outage is over when a write that began during it succeeded with no record dropped since it began.
    if (outage === undefined || outage !== outageAtStart || this.dropped !== droppedAtStart) return;
    this.outage = undefined;
    this.options.log.info(`call records are kept again; ${this.dropped - outage.droppedBefore} were dropped while the store could not take them`);
  }

  private drop(why: string): void {
    this.dropped += 1;
    if (this.outage) return;
    this.outage = { droppedBefore: this.dropped - 1 };
    this.options.log.warn(`call records are not being kept (${why}); calls go on, and the records of those that end meanwhile are dropped and counted until the store takes them again`);
  }
}
