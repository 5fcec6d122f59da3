/**
 * The name of this Node-RED instance on Asterisk: the mark its channels
 * carry (CALLFLOW_INSTANCE, lib/ari/ownership.ts), so that after a restart
 * it hangs up only calls an earlier run of itself left, never another
 * Node-RED's.
 *
 * It must survive a restart of the same Node-RED and differ between two
 * Node-REDs. A random id kept in the user directory (.callflow-instance)
 * does both: a restart reads it back; another Node-RED has another user
 * directory and makes its own. (A copied user directory copies the id:
 * docs/instances.md says to delete the file in the copy.) The connection's
 * config node id is added, so two connections of one Node-RED to the same
 * application do not take each other's calls for their own. When the user
 * directory cannot be written, the id is derived from its path and the
 * host name, which is stable as long as neither changes (also when Node-RED
 * runs embedded without a user directory).
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const INSTANCE_FILE = '.callflow-instance';

const cache = new Map<string, string>();

/** The random id of the Node-RED whose user directory is `userDir` (made and kept there on first use). */
export function nodeRedId(userDir: string | undefined): string {
  const dir = path.resolve(userDir ?? process.cwd());
  const known = cache.get(dir);
  if (known) return known;
  // No user directory (an embedded runtime): nothing to keep a file in.
  if (userDir === undefined) return remember(dir, derived(dir));
  const file = path.join(dir, INSTANCE_FILE);
  let id: string | undefined;
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    if (/^[A-Za-z0-9-]{8,64}$/.test(text)) id = text;
  } catch {
    // not made yet
  }
  if (!id) {
    const fresh = randomUUID();
    try {
      fs.writeFileSync(file, `${fresh}\n`, { flag: 'wx', mode: 0o644 });
      id = fresh;
    } catch {
      // Made by someone else meanwhile, or not writable.
      try {
        const text = fs.readFileSync(file, 'utf8').trim();
        if (/^[A-Za-z0-9-]{8,64}$/.test(text)) id = text;
      } catch {
        // not readable either
      }
      id ??= derived(dir);
    }
  }
  return remember(dir, id);
}

function derived(dir: string): string {
  return createHash('sha256').update(`${os.hostname()}\0${dir}`).digest('hex').slice(0, 32);
}

function remember(dir: string, id: string): string {
  cache.set(dir, id);
  return id;
}

/** The mark of one connection (config node `configNodeId`) of the Node-RED whose user directory is `userDir`. */
export function instanceId(userDir: string | undefined, configNodeId: string): string {
  return createHash('sha256').update(`${nodeRedId(userDir)}\0${configNodeId}`).digest('hex').slice(0, 24);
}

/**
 * The worker id of the dialer of campaign `campaignNodeId` on the Node-RED whose user directory is `userDir`: the
 * leases it holds in the store carry it. A restart reads the same id (so the restarted dialer takes its leases back at
 * once); another Node-RED running the same flows on the same store has another (so it never takes this one's leases
 * for its own, only those of a dialer it finds dead: lib/campaign/dialing-document.ts). At most 120 characters.
 */
export function dialerWorker(userDir: string | undefined, campaignNodeId: string): string {
  return `dialer:${campaignNodeId.slice(0, 48)}@${nodeRedId(userDir)}`;
}
