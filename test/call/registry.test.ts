/**
 * Call sessions: created per inbound channel, aborted at the first sign of
 * the call's end, reported once with who ended it; checked against the
 * simulator (real event order) and the session's own rules.
 */
import assert from 'node:assert/strict';
import { AriConnection } from '../../lib/ari/connection';
import { AriError, CallEndedError } from '../../lib/ari/errors';
import { CallRegistry, type EndedCall } from '../../lib/call/registry';
import { CallSession, TRACE_LIMIT } from '../../lib/call/session';
import { readHandle, tokenMatches, withoutToken } from '../../lib/call/handle';
import { FlowRouter } from '../../lib/routing/router';
import { inbound, nextEvent, rig, type Rig } from '../support/telephony';

function nextEnded(reg: CallRegistry): Promise<EndedCall> {
  return new Promise((resolve) => {
    const off = reg.onEnded((e) => {
      off();
      resolve(e);
    });
  });
}

describe('call sessions', function () {
  describe('registry against the simulator', function () {
    let r: Rig;
    let reg: CallRegistry;
    beforeEach(async function () {
      r = await rig();
      reg = new CallRegistry(r.conn, { connectionId: 'conn-1', logger: r.log, onReconciled: (l) => r.conn.onReconciled(l) });
    });
    afterEach(async function () {
      reg.dispose();
      await r.close();
    });

    it('makes a session per inbound call with caller, dialed number and a serialisable handle', async function () {
      const calls: CallSession[] = [];
      reg.onCall((s) => calls.push(s));
      const id = await inbound(r, { from: '+15550100', to: '8000', callerName: 'Ann', language: 'fr' });
      assert.equal(calls.length, 1);
      const s = reg.get(id);
      assert.ok(s);
      assert.deepEqual([s.caller, s.dialed, s.state, s.language, s.direction], [{ number: '+15550100', name: 'Ann' }, '8000', 'ringing', 'fr', 'inbound']);
      const handle = s.handle();
      assert.deepEqual(JSON.parse(JSON.stringify(handle)), handle);
      assert.equal(handle.connection, 'conn-1');
      const up = nextEvent(r.conn, (e) => e.type === 'ChannelStateChange');
      await r.conn.answer(id);
      await up;
      assert.equal(s.state, 'up');
    });

    it('finds a call from msg.call only with its token: none, a made-up one or another call\'s is refused, an ended call is ended', async function () {
      const a = await inbound(r, { from: '1', to: '2' });
      const b = await inbound(r, { from: '3', to: '4' });
      const ha = reg.get(a)?.handle();
      const hb = reg.get(b)?.handle();
      assert.ok(ha && hb);
      assert.equal(reg.find(ha), reg.get(a));
      assert.deepEqual(reg.find({ id: a }), { kind: 'refused', missing: true });
      assert.deepEqual(reg.find({ id: a, token: 'x'.repeat(32) }), { kind: 'refused', missing: false });
      assert.deepEqual(reg.find({ id: a, token: hb.token }), { kind: 'refused', missing: false });
      // A call nobody knows: without a token it is refused all the same (nothing made by hand is taken for a call).
      assert.deepEqual(reg.find({ id: 'nobody' }), { kind: 'refused', missing: true });
      assert.deepEqual(reg.find({ id: 'nobody', token: ha.token }), { kind: 'ended', justNow: false });
      const ended = nextEnded(reg);
      r.sim.call(a).hangup();
      await ended;
      assert.deepEqual(reg.find(ha), { kind: 'ended', justNow: true });
      assert.equal(reg.find(hb), reg.get(b));
    });

    it('aborts the session signal when the caller hangs up, and reports the caller and cause once', async function () {
      const id = await inbound(r, { from: '1', to: '2', script: [{ waitFor: 'answer' }, { hangup: true, cause: 16 }] });
      const s = reg.get(id);
      assert.ok(s);
      const ended = nextEnded(reg);
      const aborted = new Promise<unknown>((resolve) => s.signal.addEventListener('abort', () => resolve(s.signal.reason)));
      await r.conn.answer(id);
      const reason = await aborted;
      assert.ok(reason instanceof CallEndedError);
      const e = await ended;
      assert.deepEqual([e.end.reason, e.end.by, e.end.cause, e.end.causeText], ['hangup', 'caller', 16, 'Normal Clearing']);
      assert.equal(reg.get(id), undefined);
    });

    it('says the flow ended the call, with the cause it asked for', async function () {
      const id = await inbound(r);
      const s = reg.get(id);
      assert.ok(s);
      const ended = nextEnded(reg);
      await reg.hangup(s, 'busy');
      const e = await ended;
      assert.deepEqual([e.end.by, e.end.cause, e.end.causeText], ['flow', 17, 'User busy']);
    });

    it('asks again for a hangup Asterisk did not answer, until the call is gone', async function () {
      // Asterisk away or not answering in time: the adapter fails the request as not-connected. A call the flow ended
      // must not stay up (a bridged transfer would go on costing), so the registry asks again, and again.
      const failing = 2;
      const asked: string[] = [];
      const hangup = r.conn.hangup.bind(r.conn);
      r.conn.hangup = async (channelId, reason) => {
        asked.push(channelId);
        if (asked.length <= failing) throw new AriError('channels.hangup', 'not-connected', 'no answer from Asterisk within 10000 ms');
        return hangup(channelId, reason);
      };
      reg.dispose();
      reg = new CallRegistry(r.conn, { connectionId: 'conn-1', logger: r.log, hangupRetryMs: 5 });
      const id = await inbound(r);
      const s = reg.get(id);
      assert.ok(s);
      const ended = nextEnded(reg);
      await assert.rejects(reg.hangup(s, 'busy'), (err: AriError) => err.kind === 'not-connected');
      const e = await ended;
      assert.deepEqual([e.end.by, e.end.cause], ['flow', 17]);
      assert.deepEqual(asked, [id, id, id], 'asked three times: twice unanswered, then hung up');
    });

    it('does not take a channel it claimed (an outbound leg) for a new inbound call', async function () {
      r.sim.setNumber('4000', { outcome: 'answer', ringMs: 50 });
      const calls: string[] = [];
      reg.onCall((session) => calls.push(session.id));
      reg.claim('out-1');
      const { outcome } = await r.conn.originate({ channelId: 'out-1', endpoint: 'PJSIP/4000@trunk' });
      assert.equal((await outcome).answered, true);
      assert.deepEqual(calls, []);
      assert.equal(reg.get('out-1'), undefined);
    });

    it('ends the calls lost while the connection was down, as connection-lost', async function () {
      const id = await inbound(r);
      const ended = nextEnded(reg);
      r.sim.dropWebSockets();
      r.sim.call(id).hangup();
      const e = await ended;
      assert.deepEqual([e.session.id, e.end.reason, e.end.by], [id, 'connection-lost', 'system']);
    });

    it('hangs up calls another run left in the application', async function () {
      const id = await inbound(r);
      // The earlier run goes away without hanging up (a crash): the call stays in Stasis.
      await r.conn.close();
      const next = new AriConnection({ url: r.sim.url, username: r.sim.username, password: r.sim.password, app: 'callflow', logger: r.log });
      const fresh = new CallRegistry(next, { connectionId: 'c2', logger: r.log, onReconciled: (l) => next.onReconciled(l) });
      try {
        next.start();
        const report = await r.sim.call(id).ended();
        assert.equal(report.ended?.by, 'application');
        assert.match(r.log.lines.join('\n'), /1 call\(s\) were in application callflow without anyone here handling them/);
      } finally {
        fresh.dispose();
        await next.close();
      }
    });
  });

  describe('session rules', function () {
    const make = (): CallSession =>
      new CallSession({ channelId: 'ch1', connection: 'c', direction: 'inbound', caller: { number: '1', name: '' }, dialed: '2', state: 'ringing', now: () => 0 });

    it('ends once: the first end wins, a later one may only add the cause', function () {
      const s = make();
      assert.equal(s.end({ reason: 'hangup', by: 'caller' }), true);
      assert.equal(s.end({ reason: 'connection-lost', by: 'system', cause: 16, causeText: 'Normal Clearing' }), false);
      assert.deepEqual([s.ended?.reason, s.ended?.by, s.ended?.cause], ['hangup', 'caller', 16]);
      assert.ok(s.signal.aborted);
    });

    it('keeps the most recent trace entries only', function () {
      const s = make();
      for (let i = 0; i < TRACE_LIMIT + 10; i += 1) s.enter(`n${i}`, 'menu');
      assert.equal(s.trace.length, TRACE_LIMIT);
      assert.equal(s.trace[0]?.node, 'n10');
    });

    it('takes the variables a flow changed in msg.call, and snapshots them', function () {
      const s = make();
      s.adopt({ vars: { lang: 'en', tries: 1 } });
      const h = s.handle();
      h.vars.tries = 99;
      assert.equal(s.vars.tries, 1);
    });

    it('makes a token of 192 random bits per session; a session of the same channel id does not take another\'s (a stale handle)', function () {
      const first = make();
      const again = make();
      const token = first.handle().token;
      assert.ok(token);
      assert.match(token, /^[A-Za-z0-9_-]{32}$/);
      assert.notEqual(again.handle().token, token);
      assert.equal(first.owns(token), true);
      assert.equal(again.owns(token), false, 'same channel id, another session');
      for (const wrong of [undefined, null, '', 42, { token }, [token], `${token} `, token.slice(0, -1), `${token}x`, token.toUpperCase(), 'x'.repeat(10_000)]) {
        assert.equal(first.owns(wrong), false, JSON.stringify(wrong)?.slice(0, 40));
      }
      assert.equal(tokenMatches(token, token), true);
    });

    it('leaves the token out of the snapshot (the call-end report) and of what may be copied or shown', function () {
      const s = make();
      const h = s.handle();
      assert.equal(typeof h.token, 'string');
      assert.equal('token' in s.snapshot(), false);
      assert.deepEqual({ ...s.snapshot(), token: h.token }, h);
      assert.equal('token' in withoutToken(h), false);
      assert.ok(!JSON.stringify(s).includes(String(h.token)), 'the session itself does not serialise its token');
    });

    it('reads msg.call defensively, saying what is wrong', function () {
      assert.match(readHandle(undefined) as string, /msg\.call is missing/);
      assert.match(readHandle('x') as string, /must be an object/);
      assert.match(readHandle({ id: 'a' }) as string, /msg\.call\.connection is missing/);
      assert.match(readHandle({ id: 'a', connection: 'c', vars: [] }) as string, /vars must be an object/);
      assert.equal(typeof readHandle({ id: 'a', connection: 'c' }), 'object');
    });
  });

  describe('routing to flows', function () {
    const session = new CallSession({ channelId: 'x', connection: 'c', direction: 'inbound', caller: { number: '1', name: '' }, dialed: '8000', state: 'ringing' });

    it('routes by the Stasis argument, or to the only flow deployed', function () {
      const router = new FlowRouter();
      const offA = router.register('sales', () => undefined);
      const only = router.route(session, []);
      assert.equal('flow' in only && only.flow, 'sales');
      router.register('support', () => undefined);
      const picked = router.route(session, ['support']);
      assert.equal('flow' in picked && picked.flow, 'support');
      offA();
      assert.deepEqual(router.names, ['support']);
    });

    it('refuses ambiguous or unknown routes with a reason', function () {
      const router = new FlowRouter();
      assert.match(String((router.route(session, []) as { refused: string }).refused), /no flow is deployed/);
      router.register('a', () => undefined);
      router.register('b', () => undefined);
      assert.match(String((router.route(session, []) as { refused: string }).refused), /names no flow and 2 are deployed \(a, b\)/);
      assert.match(String((router.route(session, ['zzz']) as { refused: string }).refused), /asked for flow "zzz", which is not deployed/);
      assert.throws(() => router.register('a', () => undefined), /already has an entry/);
    });
  });
});
