/**
 * What the tests of hearing a caller share (test/media/listen.test.ts, hear-streaming.test.ts): a simulated Asterisk
 * and a connection per test, at `speed` times real time (4 by default: at 20, with a busy loop on one of the 2 cores,
 * callers who spoke were heard as silent now and then), an answered inbound call with its script, and the check that
 * the listening left nothing behind but the call, and the connection with some operations replaced.
 */
import type { MediaTelephony } from '../../lib/media/path';
import { answeredCall, assertLeft, type CallScript } from './media-path';
import { rig, type Rig } from './telephony';

/** A connection's media operations (what a media path uses), with some of them replaced by `changed`. */
export function mediaTelephonyOf(c: MediaTelephony, changed: Partial<MediaTelephony> = {}): MediaTelephony {
  return {
    externalMedia: c.externalMedia.bind(c),
    snoop: c.snoop.bind(c),
    createBridge: c.createBridge.bind(c),
    addToBridge: c.addToBridge.bind(c),
    destroyBridge: c.destroyBridge.bind(c),
    hangup: c.hangup.bind(c),
    watchChannel: c.watchChannel.bind(c),
    listBridges: c.listBridges.bind(c),
    ...changed,
  };
}

export interface Hearing {
  /** The test's rig (simulator and connection). */
  readonly r: Rig;
  /** An inbound call answered, its caller following `script`. */
  answeredCall: (script: CallScript) => Promise<string>;
  /** Only the call is left: the snoop and external media channels and the bridge are gone. */
  onlyTheCall: (id: string) => void;
  /** The rig's connection with some of its operations replaced. */
  connectionWith: (changed: Partial<MediaTelephony>) => MediaTelephony;
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
    answeredCall: (script) => answeredCall(hearing.r, script),
    onlyTheCall: (id) => assertLeft(hearing.r, [id]),
    connectionWith: (changed) => mediaTelephonyOf(hearing.r.conn, changed),
  };
  return hearing;
}
