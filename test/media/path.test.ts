/**
 * A call's media path (lib/media/path.ts) on the simulated Asterisk through the real connection: listening through a
 * snoop hears what the caller says; bridged, audio sent back reaches the caller (the simulator's report counts it);
 * everything it made (external media channel, snoop, bridge, UDP socket) goes when the call hangs up, when it is
 * closed, when opening fails; after a restart the registry hangs up what an earlier run left and the bridge is swept.
 * Each with the packet path on the RTP worker thread and in the event loop.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { CallRegistry } from '../../lib/call/registry';
import { RtpEndpoint } from '../../lib/media/endpoint';
import { openMediaPath, sweepMediaBridges, type MediaSettings, type MediaTelephony } from '../../lib/media/path';
import { RemoteEndpoint } from '../../lib/media/remote-endpoint';
import { WebSocketEndpoint } from '../../lib/media/websocket-endpoint';
import { mediaTelephonyOf } from '../support/hearing';
import { assertLeft, hangUpCaller, playHalfSecond, restartSweeps, useMediaRig } from '../support/media-path';

/** The connection's media operations, the three that make a path's resources through `making`. */
function makingThrough(conn: MediaTelephony, making: (name: 'createBridge' | 'snoop' | 'externalMedia') => (...args: unknown[]) => Promise<unknown>): MediaTelephony {
  return mediaTelephonyOf(conn, {
    createBridge: making('createBridge'),
    snoop: making('snoop'),
    externalMedia: making('externalMedia'),
  } as Partial<MediaTelephony>);
}

const inEventLoop: MediaSettings = { bindHost: '127.0.0.1', advertiseHost: '127.0.0.1', portMin: 43000, portMax: 43999, format: 'slin16', worker: false };

for (const settings of [{ ...inEventLoop, worker: true }, inEventLoop]) {
describe(`media path (simulated Asterisk; the packet path ${settings.worker ? 'on the RTP worker thread' : 'in the event loop'})`, function () {
  const m = useMediaRig(settings);
  const { answeredCall, open } = m;

  it('listens to what the caller says through a snoop (spy in), in a bridge of its own; all goes when the call hangs up', async function () {
    const id = await answeredCall([{ wait: 300 }, { say: 30_000 }, { wait: 60_000 }]);
    const { path, voice } = await open(id, 'listen');
    const names = m.r.sim.asterisk.channelList().map((c) => c.name);
    assert.ok(names.some((n) => n.startsWith('UnicastRTP/127.0.0.1:')), names.join());
    assert.ok(names.some((n) => n.startsWith('Snoop/')));
    assert.deepEqual(m.r.sim.asterisk.bridgeList().map((b) => [b.id, [...b.channels].sort()]), [[path.ids.bridge, [path.ids.channel, path.ids.snoop!].sort()]]);
    assert.ok((await voice) > 1000, "the caller's voice arrives");
    assert.equal(await hangUpCaller(m.r, id, path), 'the snoop channel ended');
    assertLeft(m.r, []);
  });

  it('bridged with the call: audio sent back reaches the caller in 20 ms ulaw packets though slin16 is set (the call report counts 500 ms)', async function () {
    const id = await answeredCall();
    const { path } = await open(id, 'bridge');
    const got = await playHalfSecond(m.r, id, path);
    // Asterisk drops RTP sent back to an external media channel with a dynamic payload type (slin16's 118).
    assert.equal(settings.format, 'slin16');
    assert.equal(got.format, 'ulaw');
    assert.equal(got.received.ignored, undefined);
    assert.equal(got.received.durationMs, 500);
    assert.equal(got.received.packets, 25);
    assert.equal(path.endpoint.stats.sent.packets, 25);
    await path.close();
    assert.deepEqual(m.r.sim.asterisk.channelList().map((c) => c.id), [id], 'the call goes on alone');
    assert.deepEqual(m.r.sim.asterisk.bridgeList(), []);
  });

  it("closes when the call's signal aborts (the call ended here), and its UDP port is free again", async function () {
    const id = await answeredCall();
    const ac = new AbortController();
    const { path } = await open(id, 'listen', ac.signal);
    assert.ok(path.endpoint instanceof (settings.worker ? RemoteEndpoint : RtpEndpoint));
    if (path.endpoint instanceof WebSocketEndpoint) return assert.fail('an RTP endpoint');
    const port = path.endpoint.local!.port;
    ac.abort();
    const ended = new Promise<string>((resolve) => path.onEnded(resolve));
    assert.equal(await ended, 'the call ended');
    await path.close();
    assert.deepEqual(m.r.sim.asterisk.channelList().map((c) => c.id), [id]);
    const probe = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.bind(port, '127.0.0.1', resolve);
    });
    probe.close();
  });

  it('makes no call of its channels entering the application (the registry)', async function () {
    const reg = new CallRegistry(m.r.conn, { connectionId: 'c1', logger: m.r.log });
    try {
      const calls: string[] = [];
      reg.onCall((session) => calls.push(session.id));
      const id = await answeredCall();
      const { path } = await open(id, 'listen');
      assert.deepEqual(calls, [id]);
      assert.equal(reg.get(path.ids.channel), undefined);
      assert.equal(reg.get(path.ids.snoop!), undefined);
      await path.close();
    } finally {
      reg.dispose();
    }
  });

  it('asks for the bridge, the snoop and the external media channel at once, not each after the answer to the last', async function () {
    const id = await answeredCall();
    // The requests to Asterisk in order, and how many were unanswered at once.
    const log: string[] = [];
    let pending = 0;
    let most = 0;
    const watched = (name: 'createBridge' | 'snoop' | 'externalMedia') => async (...args: unknown[]): Promise<unknown> => {
      log.push(`${name} asked`);
      most = Math.max(most, ++pending);
      try {
        return await (m.r.conn[name] as (...a: unknown[]) => Promise<unknown>).apply(m.r.conn, args);
      } finally {
        pending -= 1;
        log.push(`${name} answered`);
      }
    };
    const conn = m.r.conn;
    const telephony = makingThrough(conn, watched);
    const path = await openMediaPath(telephony, id, settings, { mode: 'listen', rate: 8000, signal: new AbortController().signal, log: m.r.log });
    try {
      assert.deepEqual(log.slice(0, 2), ['createBridge asked', 'snoop asked'], log.join(', '));
      assert.ok(most >= 2, `at most ${most} request unanswered at once: ${log.join(', ')}`);
      assert.deepEqual(m.r.sim.asterisk.bridgeList().map((b) => [b.id, [...b.channels].sort()]), [[path.ids.bridge, [path.ids.channel, path.ids.snoop!].sort()]]);
    } finally {
      await path.close();
    }
    assertLeft(m.r, [id]);
  });

  it('leaves nothing behind when it is stopped while Asterisk is still making its channels and bridge (a key, the call ending)', async function () {
    const id = await answeredCall();
    const conn = m.r.conn;
    // Asterisk has each request: it makes the resource whatever becomes of the request here. The answers are held
    // until the path was stopped.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let allAsked!: () => void;
    const asked = new Promise<void>((resolve) => (allAsked = resolve));
    let count = 0;
    const made: Promise<unknown>[] = [];
    const reaching = (name: 'createBridge' | 'snoop' | 'externalMedia') => (...args: unknown[]): Promise<unknown> => {
      const signal = args.at(-1) instanceof AbortSignal ? (args.pop() as AbortSignal) : undefined;
      const doing = held.then(() => (conn[name] as (...a: unknown[]) => Promise<unknown>).apply(conn, args));
      made.push(doing.catch(() => undefined));
      if (++count === 3) allAsked();
      if (!signal) return doing;
      // As the ARI client does: the request is dropped here when the signal aborts.
      return new Promise((resolve, reject) => {
        signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        doing.then(resolve, reject);
      });
    };
    const telephony = makingThrough(conn, reaching);
    const ac = new AbortController();
    const opening = openMediaPath(telephony, id, settings, { mode: 'listen', rate: 8000, signal: ac.signal, log: m.r.log });
    await asked;
    ac.abort();
    release();
    await assert.rejects(opening, /media path of call .* did not open/);
    await Promise.all(made);
    assertLeft(m.r, [id]);
  });

  it('fails with a sentence naming the call and the cause, leaving nothing behind, when the call is gone', async function () {
    await assert.rejects(open('no-such-call', 'listen'), /media path of call no-such-call did not open: .*(not found|Channel)/i);
    assert.deepEqual(m.r.sim.asterisk.channelList(), []);
    assert.deepEqual(m.r.sim.asterisk.bridgeList(), []);
  });

  it('a reconnect does not sweep the bridge of a path open in this process, even with its channels taken for left', async function () {
    const id = await answeredCall([{ wait: 60_000 }]);
    const { path } = await open(id, 'listen');
    const { bridge, channel, snoop } = path.ids;
    const reconciled = { restarted: false, lost: [], kept: [], unclaimed: [channel, snoop!], foreign: [] };
    assert.deepEqual(await sweepMediaBridges(m.r.conn, reconciled, m.r.log), []);
    assert.ok(m.r.sim.asterisk.bridgeList().some((b) => b.id === bridge));
    await path.close();
    // Closed, its bridge is no longer this process's: an empty one of a gone call would go.
    assert.deepEqual(m.r.sim.asterisk.bridgeList(), []);
  });

  it('after a restart of Node-RED: the registry hangs up the channels an earlier run left, sweepMediaBridges destroys its bridge', async function () {
    const id = await answeredCall();
    const { path } = await open(id, 'listen');
    const { bridge, channel, snoop } = path.ids;
    // The run goes away without closing the path (a crash): the connection closes, Asterisk keeps everything.
    await m.r.conn.close();
    assert.equal(m.r.sim.asterisk.channelList().length, 3);
    try {
      await restartSweeps(m.r, [channel, snoop!], bridge);
    } finally {
      await path.endpoint.close();
    }
  });
});
}
