/**
 * Opening media paths in tests (test/media/path.test.ts for RTP, websocket.test.ts for the WebSocket transport): an
 * answered call of the simulator, a path whose `voice` resolves at the first loud frame, the paths closed after each
 * test, and a second connection started as after a restart of Node-RED, with its registry and first reconciliation.
 */
import assert from 'node:assert/strict';
import { AriConnection } from '../../lib/ari/connection';
import type { Reconciliation } from '../../lib/ari/port';
import { CallRegistry } from '../../lib/call/registry';
import { openMediaPath, sweepMediaBridges, type MediaPath, type MediaSettings } from '../../lib/media/path';
import type { ExternalMediaReport } from '../../lib/sim/script';
import { inbound, nextEvent, rig, type Rig } from './telephony';

export function meanAbs(samples: Int16Array): number {
  let sum = 0;
  for (const s of samples) sum += Math.abs(s);
  return sum / Math.max(1, samples.length);
}

export type CallScript = NonNullable<Parameters<typeof inbound>[1]>['script'];

/** The simulator's caller on 100, answered. */
export async function answeredCall(r: Rig, script: CallScript = [{ wait: 60_000 }]): Promise<string> {
  const id = await inbound(r, { from: '+15550100', to: '100', script });
  await r.conn.answer(id);
  return id;
}

/** Opens a path on `id` (kept in `paths` for the clean-up); `voice` resolves with the level of the first loud frame. */
export async function openHearing(r: Rig, paths: MediaPath[], settings: MediaSettings, id: string, mode: 'listen' | 'bridge', signal = new AbortController().signal): Promise<{ path: MediaPath; voice: Promise<number> }> {
  let heard!: (level: number) => void;
  const voice = new Promise<number>((resolve) => (heard = resolve));
  const path = await openMediaPath(r.conn, id, settings, {
    mode,
    rate: 8000,
    signal,
    log: r.log,
    onAudio: (s) => {
      if (meanAbs(s) > 1000) heard(meanAbs(s));
    },
  });
  paths.push(path);
  return { path, voice };
}

/** A new connection to the simulator with its registry, started: `reconciled` is its first reconciliation. */
export function restartedConnection(r: Rig, connectionId: string): { conn: AriConnection; registry: CallRegistry; reconciled: Promise<Reconciliation> } {
  const conn = new AriConnection({ url: r.sim.url, username: r.sim.username, password: r.sim.password, app: 'callflow', logger: r.log });
  const registry = new CallRegistry(conn, { connectionId, logger: r.log, onReconciled: (l) => conn.onReconciled(l) });
  const reconciled = new Promise<Reconciliation>((resolve) => {
    const off = conn.onReconciled((rec) => {
      off();
      resolve(rec);
    });
  });
  return { conn, registry, reconciled };
}

/** A mocha suite's simulator (speed 20) and connection, fresh per test; the paths it opened are closed after each. */
export interface MediaRig {
  readonly r: Rig;
  answeredCall: (script?: CallScript) => Promise<string>;
  open: (id: string, mode: 'listen' | 'bridge', signal?: AbortSignal) => Promise<{ path: MediaPath; voice: Promise<number> }>;
  /** Another simulator for the rest of the test (other options). */
  replace: (options: NonNullable<Parameters<typeof rig>[0]>['sim']) => Promise<void>;
}

export function useMediaRig(settings: MediaSettings): MediaRig {
  let current: Rig | undefined;
  const paths: MediaPath[] = [];
  const get = (): Rig => {
    if (!current) throw new Error('no rig outside a test');
    return current;
  };
  beforeEach(async function () {
    current = await rig({ sim: { speed: 20 } });
  });
  afterEach(async function () {
    // A failed test must not leave a socket open (mocha would not exit).
    for (const p of paths.splice(0)) await p.endpoint.close();
    await current?.close();
    current = undefined;
  });
  return {
    get r() {
      return get();
    },
    answeredCall: (script) => answeredCall(get(), script),
    open: (id, mode, signal) => openHearing(get(), paths, settings, id, mode, signal),
    replace: async (options) => {
      await current?.close();
      current = await rig({ sim: { speed: 20, ...options } });
    },
  };
}

/** Only these calls' channels are left on the simulator (none: no channel), and no bridge. */
export function assertLeft(r: Rig, calls: string[]): void {
  assert.deepEqual(r.sim.asterisk.channelList().map((c) => c.id).sort(), [...calls].sort(), 'the snoop and external media channels are gone');
  assert.deepEqual(r.sim.asterisk.bridgeList(), [], 'no bridge left');
}

/** The simulator's caller hangs up; resolves with why the path ended, once it has closed. */
export async function hangUpCaller(r: Rig, id: string, path: MediaPath): Promise<string> {
  const ended = new Promise<string>((resolve) => path.onEnded(resolve));
  r.sim.call(id).hangup(16);
  const why = await ended;
  await path.close();
  return why;
}

/** Plays 500 ms of a loud level back; resolves with the call report's external media entry once all 25 frames came. */
export async function playHalfSecond(r: Rig, id: string, path: MediaPath): Promise<ExternalMediaReport> {
  await path.play(new Int16Array(4000).fill(3000));
  return r.sim.call(id).mediaReceived(25);
}

/**
 * Node-RED starts again on the simulator: the registry of a new connection hangs up `left` (channels an earlier run
 * made, marked, nobody here handles them) and sweepMediaBridges destroys `bridge`; no bridge is left.
 */
export async function restartSweeps(r: Rig, left: string[], bridge: string): Promise<void> {
  const { conn, registry, reconciled } = restartedConnection(r, 'c2');
  try {
    const gone = Promise.all(left.map((c) => nextEvent(conn, (e) => e.type === 'StasisEnd' && e.channel.id === c)));
    conn.start();
    const rec = await reconciled;
    assert.ok(left.every((c) => rec.unclaimed.includes(c)), `left by the earlier run: ${rec.unclaimed.join()}`);
    assert.deepEqual(await sweepMediaBridges(conn, rec, r.log, () => false), [bridge]);
    await gone;
    assert.deepEqual(r.sim.asterisk.bridgeList(), []);
  } finally {
    registry.dispose();
    await conn.close();
  }
}
