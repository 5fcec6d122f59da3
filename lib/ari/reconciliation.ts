/**
 * What a connection does each time it comes back (connection.ts): ask
 * Asterisk which channels are still in the application, end the calls it no
 * longer has (ChannelLost), settle the operations whose final event was
 * missed (pending.ts), and sort the channels nobody here knows into this
 * instance's (unclaimed: the engine takes them back or hangs them up) and
 * other instances' (left alone; ownership.ts).
 */
import type { Logger } from '../log';
import { AriError } from './errors';
import { sortUnclaimed } from './ownership';
import type { PendingOperations } from './pending';
import type { ChannelLost, Reconciliation, TelephonyEvent } from './port';
import type { AriRest } from './rest';
import type { Application, Playback } from './types';

/** The connection's state a reconciliation reads and changes. */
export interface ReconcileContext {
  rest: AriRest;
  app: string;
  /** This instance's mark (ownership.ts). */
  instance: string | undefined;
  /** Channels of calls in progress (answered ones join when a missed answer is settled). */
  tracked: Set<string>;
  /** Channels we originated that are not in the application yet. */
  originated: Set<string>;
  pending: PendingOperations;
  /** false once a later connect replaced this one: it stops. */
  current: () => boolean;
  dispatch: (event: TelephonyEvent) => void;
  getPlayback: (id: string) => Promise<Playback | undefined>;
  log: Logger;
}

/** The reconciliation's result, or undefined when a later connect took over meanwhile. */
export async function reconcile(ctx: ReconcileContext, restarted: boolean): Promise<Reconciliation | undefined> {
  const { rest, tracked, pending } = ctx;
  const known = [...tracked];
  // Only what was pending when the connection came back (see PendingOperations.snapshot).
  const waiting = pending.snapshot();
  let present = new Set<string>();
  if (!restarted) {
    try {
      const app = await rest.call<Application>('applications', 'get', { applicationName: ctx.app });
      present = new Set(app.channel_ids);
    } catch (err) {
      if (!(err instanceof AriError && err.kind === 'not-found')) throw err;
    }
  }
  const reason: ChannelLost['reason'] = restarted ? 'asterisk-restarted' : 'connection-lost';
  const lost: string[] = [];
  const kept: string[] = [];
  if (!ctx.current()) return undefined;
  for (const id of known) {
    if (!tracked.has(id)) continue; // ended meanwhile, by its own events
    if (present.has(id)) kept.push(id);
    else {
      lost.push(id);
      ctx.dispatch({ type: 'ChannelLost', channelId: id, reason });
    }
  }
  const settled = await pending.settleMissed(waiting, {
    restarted,
    present,
    rest,
    current: ctx.current,
    getPlayback: ctx.getPlayback,
    answered: (id) => tracked.add(id),
  });
  if (!settled) return undefined;
  const handled = (id: string): boolean => tracked.has(id) || pending.originating(id) || ctx.originated.has(id);
  // The ";2" half of a Local channel we originated: Asterisk names it "<id>;2" (main/core_unreal.c), subscribes the
  // originating application to it too and copies our mark to it; it is part of that call, not one of its own.
  const unknown = [...present].filter((id) => !tracked.has(id) && !pending.originating(id) && !(id.endsWith(';2') && handled(id.slice(0, -2))));
  const { ours: unclaimed, foreign } = await sortUnclaimed(rest, unknown, ctx.instance);
  if (!ctx.current()) return undefined;
  if (lost.length > 0) ctx.log.warn(`${lost.length} call(s) ended while the connection was down: ${lost.join(', ')}`);
  if (foreign.length > 0) ctx.log.info(`${foreign.length} call(s) in application ${ctx.app} belong to another instance (or carry no mark): left alone`);
  return { restarted, lost, kept, unclaimed, foreign };
}
