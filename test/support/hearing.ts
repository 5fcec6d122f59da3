/**
 * What the tests of hearing a caller share (test/media/listen.test.ts, hear-streaming.test.ts): a simulated Asterisk
 * and a connection per test, at `speed` times real time (4 by default: at 20, with a busy loop on one of the 2 cores,
 * callers who spoke were heard as silent now and then), an answered inbound call with its script, and the check that
 * the listening left nothing behind but the call.
 */
import assert from 'node:assert/strict';
import { inbound, rig, type Rig } from './telephony';

export interface Hearing {
  /** The test's rig (simulator and connection). */
  readonly r: Rig;
  /** An inbound call answered, its caller following `script`. */
  answeredCall: (script: NonNullable<Parameters<typeof inbound>[1]>['script']) => Promise<string>;
  /** Only the call is left: the snoop and external media channels and the bridge are gone. */
  onlyTheCall: (id: string) => void;
}

export function useHearing(speed = 4): Hearing {
  let current: Rig | undefined;
  beforeEach(async function () {
    current = await rig({ sim: { speed } });
  });
  afterEach(async function () {
    await current?.close();
  });
  const hearing: Hearing = {
    get r(): Rig {
      return current as Rig;
    },
    answeredCall: async (script) => {
      const id = await inbound(hearing.r, { from: '+15550100', to: '100', script });
      await hearing.r.conn.answer(id);
      return id;
    },
    onlyTheCall: (id) => {
      assert.deepEqual(hearing.r.sim.asterisk.channelList().map((c) => c.id), [id], 'the snoop and external media channels are gone');
      assert.deepEqual(hearing.r.sim.asterisk.bridgeList(), [], 'the bridge is gone');
    },
  };
  return hearing;
}
