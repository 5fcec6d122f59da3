/**
 * A call's media path (lib/media/path.ts) on the simulated Asterisk through the real connection: listening through a
 * snoop hears what the caller says; bridged, audio sent back reaches the caller (the simulator's report counts it);
 * everything it made (external media channel, snoop, bridge, UDP socket) goes when the call hangs up, when it is
 * closed, when opening fails; after a restart the registry hangs up what an earlier run left and the bridge is swept.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { AriConnection } from '../../lib/ari/connection';
import type { Reconciliation } from '../../lib/ari/port';
import { CallRegistry } from '../../lib/call/registry';
import { openMediaPath, sweepMediaBridges, type MediaPath, type MediaSettings } from '../../lib/media/path';
import { inbound, nextEvent, rig, type Rig } from '../support/telephony';

const inEventLoop: MediaSettings = { bindHost: '127.0.0.1', advertiseHost: '127.0.0.1', portMin: 43000, portMax: 43999, format: 'slin16', worker: false };

function meanAbs(samples: Int16Array): number {
  let sum = 0;
  for (const s of samples) sum += Math.abs(s);
  return sum / Math.max(1, samples.length);
}

for (const settings of [{ ...inEventLoop, worker: true }, inEventLoop]) {
describe(`media path (simulated Asterisk; the packet path ${settings.worker ? 'on the RTP worker thread' : 'in the event loop'})`, function () {
  let r: Rig;
  const paths: MediaPath[] = [];
  beforeEach(async function () {
    r = await rig({ sim: { speed: 20 } });
  });
  afterEach(async function () {
    // A failed test must not leave a socket open (mocha would not exit).
    for (const p of paths.splice(0)) await p.endpoint.close();
    await r.close();
  });

  async function answeredCall(script: NonNullable<Parameters<typeof inbound>[1]>['script'] = [{ wait: 60_000 }]): Promise<string> {
    const id = await inbound(r, { from: '+15550100', to: '100', ...(script ? { script } : {}) });
    await r.conn.answer(id);
    return id;
  }

  /** Opens a path whose audio resolves `voice` at the first loud frame. */
  async function open(id: string, mode: 'listen' | 'bridge', signal = new AbortController().signal): Promise<{ path: MediaPath; voice: Promise<number> }> {
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

  it('listens to what the caller says through a snoop (spy in), in a bridge of its own; all goes when the call hangs up', async function () {
    const id = await answeredCall([{ wait: 300 }, { say: 30_000 }, { wait: 60_000 }]);
    const { path, voice } = await open(id, 'listen');
    const names = r.sim.asterisk.channelList().map((c) => c.name);
    assert.ok(names.some((n) => n.startsWith('UnicastRTP/127.0.0.1:')), names.join());
    assert.ok(names.some((n) => n.startsWith('Snoop/')));
    assert.deepEqual(r.sim.asterisk.bridgeList().map((b) => [b.id, [...b.channels].sort()]), [[path.ids.bridge, [path.ids.channel, path.ids.snoop!].sort()]]);
    assert.ok((await voice) > 1000, "the caller's voice arrives");
    const ended = new Promise<string>((resolve) => path.onEnded(resolve));
    r.sim.call(id).hangup(16);
    assert.equal(await ended, 'the snoop channel ended');
    await path.close();
    assert.deepEqual(r.sim.asterisk.channelList(), [], 'no channel left');
    assert.deepEqual(r.sim.asterisk.bridgeList(), [], 'no bridge left');
  });

  it('bridged with the call: audio sent back reaches the caller in 20 ms packets (the call report counts 500 ms)', async function () {
    const id = await answeredCall();
    const { path } = await open(id, 'bridge');
    await path.play(new Int16Array(4000).fill(3000));
    const got = await r.sim.call(id).mediaReceived(25);
    assert.equal(got.received.durationMs, 500);
    assert.equal(got.received.packets, 25);
    assert.equal(path.endpoint.stats.sent.packets, 25);
    await path.close();
    assert.deepEqual(r.sim.asterisk.channelList().map((c) => c.id), [id], 'the call goes on alone');
    assert.deepEqual(r.sim.asterisk.bridgeList(), []);
  });

  it("closes when the call's signal aborts (the call ended here), and its UDP port is free again", async function () {
    const id = await answeredCall();
    const ac = new AbortController();
    const { path } = await open(id, 'listen', ac.signal);
    const port = path.endpoint.local!.port;
    ac.abort();
    const ended = new Promise<string>((resolve) => path.onEnded(resolve));
    assert.equal(await ended, 'the call ended');
    await path.close();
    assert.deepEqual(r.sim.asterisk.channelList().map((c) => c.id), [id]);
    const probe = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.bind(port, '127.0.0.1', resolve);
    });
    probe.close();
  });

  it('makes no call of its channels entering the application (the registry)', async function () {
    const reg = new CallRegistry(r.conn, { connectionId: 'c1', logger: r.log });
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

  it('fails with a sentence naming the call and the cause, leaving nothing behind, when the call is gone', async function () {
    await assert.rejects(open('no-such-call', 'listen'), /media path of call no-such-call did not open: .*(not found|Channel)/i);
    assert.deepEqual(r.sim.asterisk.channelList(), []);
    assert.deepEqual(r.sim.asterisk.bridgeList(), []);
  });

  it('after a restart of Node-RED: the registry hangs up the channels an earlier run left, sweepMediaBridges destroys its bridge', async function () {
    const id = await answeredCall();
    const { path } = await open(id, 'listen');
    const { bridge, channel, snoop } = path.ids;
    // The run goes away without closing the path (a crash): the connection closes, Asterisk keeps everything.
    await r.conn.close();
    assert.equal(r.sim.asterisk.channelList().length, 3);
    const conn = new AriConnection({ url: r.sim.url, username: r.sim.username, password: r.sim.password, app: 'callflow', logger: r.log });
    const reg = new CallRegistry(conn, { connectionId: 'c2', logger: r.log, onReconciled: (l) => conn.onReconciled(l) });
    const reconciled = new Promise<Reconciliation>((resolve) => {
      const off = conn.onReconciled((rec) => {
        off();
        resolve(rec);
      });
    });
    try {
      const gone = Promise.all([channel, snoop!].map((c) => nextEvent(conn, (e) => e.type === 'StasisEnd' && e.channel.id === c)));
      conn.start();
      const rec = await reconciled;
      assert.ok(rec.unclaimed.includes(channel) && rec.unclaimed.includes(snoop!), `left by the earlier run: ${rec.unclaimed.join()}`);
      assert.deepEqual(await sweepMediaBridges(conn, rec, () => false, r.log), [bridge]);
      await gone;
      assert.deepEqual(r.sim.asterisk.bridgeList(), []);
    } finally {
      reg.dispose();
      await conn.close();
      await path.endpoint.close();
    }
  });
});
}
