/**
 * Several clients of one Stasis application on one Asterisk (the simulator,
 * which does what res/stasis/app.c app_update does): a newer WebSocket
 * takes the application over, the replaced one ends its calls as lost and
 * waits for the application to be free instead of fighting back; a request
 * that finds a channel gone ends its call; reconciliation hangs up only the
 * calls this instance marked.
 */
import assert from 'node:assert/strict';
import { AriConnection, type AriConnectionOptions } from '../../lib/ari/connection';
import type { AriError } from '../../lib/ari/errors';
import { INSTANCE_VARIABLE } from '../../lib/ari/ownership';
import type { ConnectionStatus, Reconciliation, TelephonyEvent } from '../../lib/ari/port';
import { CallRegistry, type EndedCall } from '../../lib/call/registry';
import { inbound, nextState, rig, type Rig } from '../support/telephony';

function nextEnded(reg: CallRegistry): Promise<EndedCall> {
  return new Promise((resolve) => {
    const off = reg.onEnded((e) => {
      off();
      resolve(e);
    });
  });
}

function nextReconciled(conn: AriConnection): Promise<Reconciliation> {
  return new Promise((resolve) => {
    const off = conn.onReconciled((r) => {
      off();
      resolve(r);
    });
  });
}

/** Resolves with the first status that matches. */
function statusWhere(conn: AriConnection, match: (s: ConnectionStatus) => boolean): Promise<ConnectionStatus> {
  if (match(conn.status)) return Promise.resolve(conn.status);
  return new Promise((resolve) => {
    const off = conn.onStatus((s) => {
      if (!match(s)) return;
      off();
      resolve(s);
    });
  });
}

describe('several clients of one Stasis application', function () {
  let r: Rig;
  const others: AriConnection[] = [];
  const registries: CallRegistry[] = [];

  function another(options: Partial<AriConnectionOptions>): AriConnection {
    const conn = new AriConnection({ url: r.sim.url, username: r.sim.username, password: r.sim.password, app: 'callflow', logger: r.log, backoff: { initialMs: 20, maxMs: 100 }, ...options });
    others.push(conn);
    return conn;
  }

  function registry(conn: AriConnection, id: string): CallRegistry {
    const reg = new CallRegistry(conn, { connectionId: id, logger: r.log, onReconciled: (l) => conn.onReconciled(l) });
    registries.push(reg);
    return reg;
  }

  afterEach(async function () {
    for (const reg of registries.splice(0)) reg.dispose();
    for (const conn of others.splice(0)) await conn.close();
    await r.close();
  });

  it('ApplicationReplaced: turns red, ends its calls as lost (application-replaced) and hangs them up, waits while the other client holds the application, takes it back once it is gone', async function () {
    r = await rig({ conn: { instance: 'node-red-a', replacedBackoff: { initialMs: 10, maxMs: 20 } } });
    const regA = registry(r.conn, 'a');
    const id = await inbound(r);
    const ended = nextEnded(regA);
    const replaced = nextState(r.conn, 'replaced');

    const b = another({ instance: 'node-red-b' });
    const heardByB: TelephonyEvent[] = [];
    b.onEvent((e) => heardByB.push(e));
    b.start();
    await b.whenConnected(AbortSignal.timeout(5000));
    await replaced;
    assert.match(r.conn.status.message, /another client took over application callflow/);

    const e = await ended;
    assert.deepEqual([e.session.id, e.end.reason, e.end.by], [id, 'application-replaced', 'system']);
    const report = await r.sim.call(id).ended();
    assert.equal(report.ended?.by, 'application', 'the lost call is hung up, not left in silence');

    // It keeps asking whether the application is free, and does not take it back while B holds it.
    await statusWhere(r.conn, (s) => s.state === 'replaced' && s.attempt >= 3);
    assert.equal(b.status.state, 'connected');
    assert.deepEqual(heardByB.filter((x) => x.type === 'ApplicationReplaced'), [], 'B was never replaced back');
    assert.deepEqual(r.sim.asterisk.activeApps(), ['callflow']);
    // Meanwhile it sends nothing in the other client's place (a campaign's originate, say).
    await assert.rejects(r.conn.originate({ endpoint: 'PJSIP/4000@trunk' }), (err: AriError) => err.kind === 'not-connected' && /another client took over/.test(err.message));

    // B goes away: the application is free (GET /applications/callflow answers 404), A takes it back.
    const back = nextState(r.conn, 'connected');
    await b.close();
    await back;
    const again = r.sim.placeCall({ app: 'callflow', from: '+15550101', to: '100' });
    const started = await new Promise<string>((resolve) => {
      const off = r.conn.onEvent((x) => {
        if (x.type === 'StasisStart' && x.channel.id === again.id) {
          off();
          resolve(x.channel.id);
        }
      });
    });
    assert.equal(started, again.id);
  });

  it('ends a call at once when a request about it answers 404 and Asterisk has no such channel (channel-gone)', async function () {
    r = await rig();
    const reg = registry(r.conn, 'a');
    const id = await inbound(r);
    const ended = nextEnded(reg);
    // Asterisk loses the channel without a word on the event socket.
    r.sim.asterisk.crash();
    await assert.rejects(r.conn.answer(id), (err: AriError) => err.kind === 'not-found');
    const e = await ended;
    assert.deepEqual([e.session.id, e.end.reason, e.end.by], [id, 'channel-gone', 'system']);
    assert.equal(reg.size, 0);
  });

  it('a 404 about a variable of a live call does not end it', async function () {
    r = await rig();
    const reg = registry(r.conn, 'a');
    const id = await inbound(r);
    assert.equal(await r.conn.getVariable(id, 'NO_SUCH_VARIABLE'), undefined);
    // The next request is answered after any check the 404 started: the call is still there.
    await r.conn.getChannel(id);
    await r.conn.getChannel(id);
    assert.equal(reg.get(id)?.ended, undefined);
  });

  it('marks its channels and, after a restart, hangs up only the calls its earlier run left, never another instance\'s', async function () {
    r = await rig({ conn: { instance: 'node-red-a' } });
    const mine = await inbound(r);
    r.sim.setNumber('4000', { outcome: 'answer', ringMs: 20 });
    const { outcome } = await r.conn.originate({ channelId: 'out-a', endpoint: 'PJSIP/4000@trunk', variables: { KEEP: 'yes' } });
    assert.equal((await outcome).answered, true);
    // The mark lands with the originate itself; an inbound call gets it right after StasisStart.
    assert.equal(await r.conn.getVariable('out-a', INSTANCE_VARIABLE), 'node-red-a');
    assert.equal(await r.conn.getVariable('out-a', 'KEEP'), 'yes');
    let mark: string | undefined;
    for (let i = 0; i < 50 && mark !== 'node-red-a'; i += 1) mark = await r.conn.getVariable(mine, INSTANCE_VARIABLE);
    assert.equal(mark, 'node-red-a');
    // A third Node-RED's call.
    const foreignCall = r.sim.placeCall({ app: 'callflow', from: '+15550199', to: '100' });
    await new Promise<void>((resolve) => {
      const off = r.conn.onEvent((x) => {
        if (x.type === 'StasisStart' && x.channel.id === foreignCall.id) {
          off();
          resolve();
        }
      });
    });
    // (Once this connection's own mark has landed, so that the third one's is the last word.)
    let first: string | undefined;
    for (let i = 0; i < 50 && first !== 'node-red-a'; i += 1) first = await r.conn.getVariable(foreignCall.id, INSTANCE_VARIABLE);
    assert.equal(first, 'node-red-a');
    await r.conn.setVariable(foreignCall.id, INSTANCE_VARIABLE, 'node-red-c');

    // This Node-RED stops without hanging up (a crash); another instance connects to the same application.
    await r.conn.close();
    const b = another({ instance: 'node-red-b' });
    registry(b, 'b');
    const bReconciled = nextReconciled(b);
    b.start();
    const rb = await bReconciled;
    assert.deepEqual(rb.unclaimed, []);
    assert.deepEqual([...rb.foreign].sort(), [foreignCall.id, mine, 'out-a'].sort(), 'another instance\'s calls are left alone');
    await b.close();

    // The same Node-RED starts again: it hangs up what its earlier run left, and only that.
    const a2 = another({ instance: 'node-red-a' });
    registry(a2, 'a2');
    const aReconciled = nextReconciled(a2);
    a2.start();
    const ra = await aReconciled;
    assert.deepEqual([...ra.unclaimed].sort(), [mine, 'out-a'].sort());
    assert.deepEqual(ra.foreign, [foreignCall.id]);
    await r.sim.call(mine).ended();
    assert.equal(r.sim.call(foreignCall.id).report().ended, undefined, 'the other instance\'s call is still up');
  });
});
