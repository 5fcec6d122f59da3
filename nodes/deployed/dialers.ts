/**
 * Dialers outlive a campaign config node instance across a redeploy, as
 * engines do (engine.ts): Node-RED stops every node and starts new
 * instances on a full deploy; a dialer whose task settings and connection
 * did not change is handed to the new instance, so its calls in flight stay
 * with it (no call is left to a restart's reconciliation). One nobody takes
 * over within a few seconds is closed.
 *
 * The same deploy closes the store node, and with it the store the dialer
 * had: a parked dialer places no call and does no store work of its own,
 * and the ends of its calls in flight wait for the store of the instance
 * that takes it over (Dialer.park(), lib/campaign/held-store.ts). Closed
 * while parked, it leaves them in flight in the store, as a removed node's
 * dialer does, for the task's next start to resolve with Asterisk.
 */
import type { Dialer } from '../../lib/campaign/dialer';

/** How long a stopped campaign node's dialer waits for the new instance of a redeploy. */
const HANDOVER_MS = 5000;

const parked = new Map<string, { dialer: Dialer; key: string; timer: NodeJS.Timeout }>();

/** The parked dialer of the node's previous instance, when it ran with the same settings (`key`). */
export function takeOverDialer(id: string, key: string): Dialer | undefined {
  const previous = parked.get(id);
  if (!previous) return undefined;
  parked.delete(id);
  clearTimeout(previous.timer);
  if (previous.key === key) return previous.dialer;
  void previous.dialer.close();
  return undefined;
}

/** The node stopped: a removed node's dialer closes now; otherwise it waits for its successor. */
export function releaseDialer(id: string, dialer: Dialer, key: string, removed: boolean): Promise<void> {
  if (removed) return dialer.close();
  // Before the store node's close has done anything: nothing of the dialer reaches the store it closes.
  dialer.park();
  const earlier = parked.get(id);
  if (earlier && earlier.dialer !== dialer) {
    clearTimeout(earlier.timer);
    void earlier.dialer.close();
  }
  const timer = setTimeout(() => {
    if (parked.get(id)?.dialer !== dialer) return;
    parked.delete(id);
    void dialer.close();
  }, HANDOVER_MS);
  timer.unref();
  parked.set(id, { dialer, key, timer });
  return Promise.resolve();
}

/** Closes every parked dialer (tests, process exit). */
export async function closeParkedDialers(): Promise<void> {
  const all = [...parked.values()];
  parked.clear();
  for (const p of all) clearTimeout(p.timer);
  await Promise.all(all.map((p) => p.dialer.close(0)));
}
