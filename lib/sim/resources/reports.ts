/**
 * The report of every call (the simulator's own record, not ARI): what the
 * party heard and pressed, transfers, recordings, how it ended.
 */
import type { CallReport } from '../script';
import { AriHttpError } from '../route';
import type { SimCore } from './core';

export class CallReports {
  private readonly reports = new Map<string, CallReport>();

  constructor(
    private readonly core: SimCore,
    private readonly reportLimit: number,
  ) {}

  newReport(id: string, name: string, direction: 'inbound' | 'outbound', from: string, to: string): CallReport {
    const report: CallReport = {
      id,
      channelName: name,
      direction,
      from,
      to,
      state: 'Down',
      startedAt: new Date().toISOString(),
      heard: [],
      pressed: [],
      transfers: [],
      recordings: [],
      variables: {},
    };
    this.reports.set(id, report);
    if (this.reports.size > this.reportLimit) {
      for (const [key, r] of this.reports) {
        if (r.ended) {
          this.reports.delete(key);
          break;
        }
      }
    }
    return report;
  }

  report(id: string): CallReport | undefined {
    const r = this.reports.get(id);
    return r ? (structuredClone(r)) : undefined;
  }

  reportList(filter: { active?: boolean } = {}): CallReport[] {
    return [...this.reports.values()]
      .filter((r) => filter.active === undefined || filter.active === !r.ended)
      .map((r) => structuredClone(r));
  }

  /** Resolves with the report once the call has ended (immediately if it already has). */
  waitForEnd(id: string, signal?: AbortSignal): Promise<CallReport> {
    const r = this.reports.get(id);
    if (!r) return Promise.reject(new AriHttpError(404, `No call ${id}`));
    if (r.ended) return Promise.resolve(structuredClone(r));
    return new Promise((resolve, reject) => {
      const onEnd = (ended: CallReport): void => {
        if (ended.id !== id) return;
        cleanup();
        resolve(ended);
      };
      const onAbort = (): void => {
        cleanup();
        reject(signal?.reason as Error);
      };
      const cleanup = (): void => {
        this.core.events.off('call-ended', onEnd);
        signal?.removeEventListener('abort', onAbort);
      };
      this.core.events.on('call-ended', onEnd);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
