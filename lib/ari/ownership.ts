/**
 * Which channels of a Stasis application are this Node-RED's, and when a
 * taken-over application is free again. Several Node-RED instances may
 * share one Asterisk (docs/instances.md); these are the rules that keep
 * them from touching each other's calls.
 *
 * Marking: every channel this instance originates or creates carries the
 * channel variable CALLFLOW_INSTANCE (set with the request itself), and
 * every channel that enters the application on this instance's socket gets
 * it on StasisStart (one setChannelVar). After a reconnect or a restart,
 * reconciliation hangs up only channels in the application that nobody here
 * handles and that carry this instance's mark; others (another instance's,
 * or a call that hung up before it was marked) are left alone.
 *
 * Taking over: Asterisk gives an application to the newest events
 * WebSocket and tells the old one ApplicationReplaced (res/stasis/app.c,
 * app_update); it says nothing to anyone when that newer client goes away
 * (stasis_app_unregister only deactivates the application), and no ARI
 * resource says whether an application has a WebSocket. What ARI does
 * show: GET /applications/{name} answers 404 once the application is
 * deactivated and has nothing left in it (res_stasis.c cleanup: an
 * application with no handler and no subscriptions is removed). So the
 * replaced connection asks that, with backoff, and connects again only on a
 * 404; while the other client holds the application (or its calls are still
 * in it) it waits, and never takes the application back by force.
 */
import { AriError } from './errors';
import { waitOrAbort, type Backoff } from './backoff';
import type { AriRest } from './rest';

/** The channel variable that names the Node-RED instance a channel belongs to. */
export const INSTANCE_VARIABLE = 'CALLFLOW_INSTANCE';

/** Splits channels nobody here handles into this instance's (marked with `instance`) and the others. */
export async function sortUnclaimed(rest: AriRest, ids: string[], instance: string | undefined): Promise<{ ours: string[]; foreign: string[] }> {
  // Without an instance name (the port used on its own) every unknown channel counts as an earlier run's.
  if (instance === undefined) return { ours: [...ids], foreign: [] };
  const ours: string[] = [];
  const foreign: string[] = [];
  for (const id of ids) {
    const mark = await rest
      .call<{ value: string }>('channels', 'getChannelVar', { channelId: id, variable: INSTANCE_VARIABLE })
      .then((v) => v.value)
      .catch(() => undefined);
    (mark === instance ? ours : foreign).push(id);
  }
  return { ours, foreign };
}

/**
 * Resolves once the application `app` no longer exists on Asterisk (GET
 * /applications/{app} answers 404: nobody holds it and nothing is left in
 * it), asking again after each of `backoff`'s delays; `waiting` hears each
 * wait before it starts. Resolves early (doing nothing) when `signal` aborts.
 */
export async function untilApplicationFree(
  rest: () => AriRest | undefined,
  app: string,
  backoff: Backoff,
  signal: AbortSignal,
  waiting: (delayMs: number, checks: number, why: string) => void,
): Promise<void> {
  let checks = 0;
  let why = 'another client holds it';
  while (!signal.aborted) {
    const delay = backoff.next();
    waiting(delay, checks, why);
    await waitOrAbort(delay, signal);
    if (signal.aborted) return;
    checks += 1;
    const r = rest();
    if (!r) return;
    try {
      await r.call('applications', 'get', { applicationName: app }, signal);
      why = 'another client holds it, or calls are still in it';
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof AriError && err.kind === 'not-found') return;
      why = `asking Asterisk failed: ${(err as Error).message}`;
    }
  }
}
