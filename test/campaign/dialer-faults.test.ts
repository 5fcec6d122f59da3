/**
 * The dialer when something fails under it, on a manual clock against a
 * fake Asterisk and a real embedded store: the store away while a call
 * ends, a crash in the middle of a campaign, Asterisk restarting or the
 * connection coming back without the channels, calls the system ended, and
 * the counters after a restart. Apart from dialer.test.ts (what the dialer
 * does when all goes well) because each of these is a recovery, checked
 * against what the store's attempts say.
 */
import assert from 'node:assert/strict';
import type { ManualClock } from '../../lib/campaign/clock';
import type { Dialer } from '../../lib/campaign/dialer';
import { countersOf } from '../../lib/campaign/report';
import { StoreError } from '../../lib/store/port';
import { allContacts } from '../support/campaign-runtime';
import { contacts, finalOnceEach, useManualDialing, type ManualDialing } from './manual-dialing';
import { makeDialer, settingsWith, type FakeAsterisk, type View } from './support';

describe('campaign dialer (manual clock, fake Asterisk)', function () {
  const dialing = useManualDialing();
  const { dialers, dialer } = dialing;
  // The running test's store, clock and Asterisk (manual-dialing.ts makes them before each test).
  let db: ManualDialing['db'], clock: ManualClock, pbx: FakeAsterisk;
  beforeEach(() => ({ db, clock, pbx } = dialing));

  it('keeps a call in flight while the store cannot take its outcome, and records it once the store is back', async function () {
    const settings = settingsWith({ intervalSec: 1, callsAtATime: 1 });
    pbx.setDefault({ outcome: 'answer', ringMs: 1000, talkMs: 5000, result: 'heard' });
    await db.store.importContacts('task-1', contacts(settings, [{ customerId: 'a', numbers: [{ number: '+8613800000001' }] }]), clock.now());
    let down = false;
    const real = db.store;
    const flaky = new Proxy(real, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (down && name !== 'renewLeases') return Promise.reject(new StoreError('unreachable', 'the database cannot be reached'));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const { dialer: d } = dialer(settings, { store: flaky });
    await d.start();
    await d.operate('start');
    await clock.advance(3000);
    assert.equal(pbx.originated.length, 1);
    down = true;
    // The call ends while the store is down, and stays down for two minutes (a long fail-over).
    await clock.advance(120_000);
    down = false;
    await clock.advance(60_000);
    const [c] = await allContacts(real, 'task-1');
    assert.deepEqual(c?.attempts.map((x) => [x.outcome, x.result]), [['answered', 'heard']]);
    assert.equal(c?.state, 'done');
    assert.equal(pbx.originated.length, 1, 'the customer was not called again');
  });

  it('after a crash, resolves every attempt that was in flight: up ones resume, gone ones are recorded, none is dialed twice', async function () {
    const settings = settingsWith({ intervalSec: 1, callsAtATime: 5, maxResponseSec: 30 });
    const rows = Array.from({ length: 30 }, (_, i) => ({ customerId: `c${i}`, numbers: [{ number: `+86138${String(i).padStart(8, '0')}` }] }));
    for (let i = 0; i < 30; i += 1) {
      const n = `+86138${String(i).padStart(8, '0')}`;
      if (i % 3 === 0) pbx.setNumber(n, { outcome: 'answer', ringMs: 2000, talkMs: 20_000, result: 'heard' });
      else if (i % 3 === 1) pbx.setNumber(n, { outcome: 'answer', ringMs: 8000, talkMs: 1000 });
      else pbx.setNumber(n, [{ outcome: 'busy', ringMs: 6000 }, { outcome: 'answer', ringMs: 1000, talkMs: 1000 }]);
    }
    await db.store.importContacts('task-1', contacts(settings, rows), clock.now());
    const first = pbx.view();
    const a = makeDialer({ settings, store: db.store, view: first, clock });
    await a.dialer.start();
    await a.dialer.operate('start');
    await clock.advance(4500);
    const before = pbx.originated.length;
    assert.ok(before >= 15, `calls were in flight (${before})`);
    // The process dies: its dialer and connection hear nothing more; Asterisk's calls go on.
    first.kill();
    a.dialer.close(0).catch(() => undefined);
    await clock.advance(5000);
    // A new process with the same worker id starts.
    const b = dialer(settings, { view: pbx.view() });
    await b.dialer.start();
    await clock.advance(30 * 60_000);
    const stored = await allContacts(db.store, 'task-1');
    finalOnceEach(stored, pbx.originated);
    const perAttempt = new Map<string, number>();
    for (const c of stored) for (const x of c.attempts) if (x.callId) perAttempt.set(x.callId, (perAttempt.get(x.callId) ?? 0) + 1);
    for (const o of pbx.originated) assert.equal(perAttempt.get(o.channelId), 1, `originate ${o.channelId} is recorded as exactly one attempt`);
    assert.ok(b.hooks.answeredCalls.some((c) => c.resumed), 'a call that was up when the process died resumed into the flow');
    assert.ok(stored.some((c) => c.attempts.some((x) => x.outcome === 'lost')), 'a call that ended while no process was there is recorded as lost');
    assert.ok(stored.some((c) => c.attempts.some((x) => x.outcome === 'lost') && c.result?.code === 'answered'), 'and retried by the policy');
    assert.ok(stored.some((c) => c.attempts.some((x) => x.outcome === 'answered' && x.result === 'heard')), 'the resumed call kept its business result');
  });
  describe('faults on Asterisk\'s side', function () {
    const numberOf = (i: number): string => `+86138${String(i).padStart(8, '0')}`;
    // Ten calls a second; each rings 4 s, then the notice lasts 20 s and the flow sets its result at the end.
    const settings = settingsWith({ intervalSec: 1, callsAtATime: 10, maxResponseSec: 30 });
    const notice = { outcome: 'answer', ringMs: 4000, talkMs: 20_000, result: 'notified' } as const;

    async function twentyCustomers(): Promise<void> {
      for (let i = 0; i < 20; i += 1) pbx.setNumber(numberOf(i), notice);
      await db.store.importContacts('task-1', contacts(settings, Array.from({ length: 20 }, (_, i) => ({ customerId: `c${i}`, numbers: [{ number: numberOf(i) }] }))), clock.now());
    }

    async function countersAgree(d: Dialer, what: string): Promise<void> {
      assert.deepEqual(d.status().counters, countersOf(await db.store.tallyAttempts('task-1')), `${what}: the counters are what the attempts say`);
    }

    for (const fault of ['asterisk-restarted', 'connection-lost'] as const) {
      const what = fault === 'asterisk-restarted' ? 'Asterisk restarts' : 'the connection comes back without the channels';
      it(`${what} while calls ring and talk: each such customer's attempt is lost and retried, none ends answered or unreachable by it`, async function () {
        await twentyCustomers();
        const view: View = pbx.view();
        const made = makeDialer({ settings, store: db.store, view, clock });
        dialers.push(made.dialer);
        const d = made.dialer;
        await d.start();
        await d.operate('start');
        // At 4.5 s the first ten are 0.5 s into their notice, the next ten still ring.
        await clock.advance(4500);
        assert.equal(pbx.originated.length, 20);
        assert.equal(view.sessions.size, 10, 'ten calls are answered, in the middle of the notice');
        const lost = fault === 'asterisk-restarted' ? pbx.restart() : pbx.lose('connection-lost', view);
        assert.equal(lost.length, 20);
        await clock.advance(2 * 3600_000);

        const stored = await allContacts(db.store, 'task-1');
        for (const c of stored) {
          assert.deepEqual(
            c.attempts.map((a) => [a.outcome, a.why, a.result]),
            [
              ['lost', fault, undefined],
              ['answered', undefined, 'notified'],
            ],
            `${c.customerId}: lost to the fault, then called again and notified`,
          );
          assert.deepEqual([c.state, c.result?.code], ['done', 'notified'], c.customerId);
        }
        assert.deepEqual(pbx.dialedTwiceAtOnce, [], 'no number was dialed while a call to it still rang or talked');
        assert.equal(d.state, 'completed');
        assert.deepEqual(d.status().counters, { dialed: 40, answered: 20, failed: 20, finished: 20 });
        await countersAgree(d, what);
      });
    }

    it('an answered call the system ended before its result is lost and retried; one the customer or the flow ended is answered', async function () {
      const s2 = settingsWith({ intervalSec: 1, callsAtATime: 5 });
      for (let i = 0; i < 4; i += 1) pbx.setNumber(numberOf(i), notice);
      await db.store.importContacts('task-1', contacts(s2, Array.from({ length: 4 }, (_, i) => ({ customerId: `c${i}`, numbers: [{ number: numberOf(i) }] }))), clock.now());
      const view = pbx.view();
      const made = makeDialer({ settings: s2, store: db.store, view, clock });
      dialers.push(made.dialer);
      await made.dialer.start();
      await made.dialer.operate('start');
      await clock.advance(5000);
      const idOf = (i: number): string => pbx.originated.find((o) => o.number === numberOf(i))?.channelId ?? assert.fail(`no call to ${numberOf(i)}`);
      const sessionOf = (i: number) => view.sessions.get(idOf(i)) ?? assert.fail(`call to ${numberOf(i)} is not up`);
      // c0: an element failed and hung up (On error: hang up). c1: the customer hung up. c2: the flow hung up.
      // c3: the flow had set its result when a deploy stopped the node the call was in.
      pbx.endAnswered(idOf(0), 'system', 'element-error: callflow-play p1');
      pbx.endAnswered(idOf(1), 'callee');
      pbx.endAnswered(idOf(2), 'flow');
      sessionOf(3).result = { code: 'notified' };
      pbx.endAnswered(idOf(3), 'system', 'node-closed: callflow-play p1');
      await clock.advance(3600_000);
      const stored = await allContacts(db.store, 'task-1');
      const summary = stored.map((c) => [c.customerId, c.result?.code, c.attempts.map((a) => [a.outcome, a.why ?? '', a.result ?? ''])]);
      assert.deepEqual(summary, [
        ['c0', 'notified', [['lost', 'element-error: callflow-play p1', ''], ['answered', '', 'notified']]],
        ['c1', 'answered', [['answered', '', '']]],
        ['c2', 'answered', [['answered', '', '']]],
        ['c3', 'notified', [['answered', 'node-closed: callflow-play p1', 'notified']]],
      ]);
      assert.deepEqual(made.dialer.status().counters, { dialed: 5, answered: 4, failed: 1, finished: 4 });
      await countersAgree(made.dialer, 'after the faults');
    });

    it('a call still ringing when a restarted process resumes it, then lost in an Asterisk restart, is lost and retried (not left to ring out)', async function () {
      const s3 = settingsWith({ intervalSec: 1, callsAtATime: 4, maxResponseSec: 120 });
      for (let i = 0; i < 4; i += 1) pbx.setNumber(numberOf(i), { outcome: 'answer', ringMs: 90_000, talkMs: 1000 });
      await db.store.importContacts('task-1', contacts(s3, Array.from({ length: 4 }, (_, i) => ({ customerId: `c${i}`, numbers: [{ number: numberOf(i) }] }))), clock.now());
      const first = pbx.view();
      const a = makeDialer({ settings: s3, store: db.store, view: first, clock });
      await a.dialer.start();
      await a.dialer.operate('start');
      await clock.advance(2000);
      first.kill();
      await a.dialer.close(0);
      const b = dialer(s3, { view: pbx.view() });
      await b.dialer.start();
      await clock.advance(2000);
      assert.equal(b.dialer.status().active, 4, 'the restarted process watches the four calls still ringing');
      for (let i = 0; i < 4; i += 1) pbx.setNumber(numberOf(i), { outcome: 'answer', ringMs: 1000, talkMs: 1000 });
      assert.equal(pbx.restart().length, 4);
      await clock.advance(3600_000);
      const stored = await allContacts(db.store, 'task-1');
      for (const c of stored) assert.deepEqual(c.attempts.map((x) => [x.outcome, x.why]), [['lost', 'asterisk-restarted'], ['answered', undefined]], c.customerId);
      assert.deepEqual(pbx.dialedTwiceAtOnce, []);
      await countersAgree(b.dialer, 'at the end');
    });

    it('a restarted process derives its counters from the attempts: the counts its crash lost are not lost', async function () {
      await twentyCustomers();
      // The first process: its store writes stop when it dies, as a killed process's do.
      let dead = false;
      const real = db.store;
      const itsStore = new Proxy(real, {
        get(target, name, receiver) {
          const value = Reflect.get(target, name, receiver) as unknown;
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => (dead ? Promise.reject(new StoreError('unreachable', 'the process is dead')) : (value as (...a: unknown[]) => unknown).apply(target, args));
        },
      });
      const first = pbx.view();
      const a = makeDialer({ settings, store: itsStore, view: first, clock });
      await a.dialer.start();
      await a.dialer.operate('start');
      // Killed at 4.5 s, before it saved its counters (every 5 s): 20 dialed, 10 answered, none of it saved.
      await clock.advance(4500);
      assert.deepEqual(a.dialer.status().counters, { dialed: 20, answered: 10, failed: 0, finished: 0 });
      first.kill();
      dead = true;
      await a.dialer.close(0);
      const saved = (await real.getDocument<{ counters: unknown }>('campaign', 'task-1'))?.value.counters;
      assert.deepEqual(saved, { dialed: 0, answered: 0, failed: 0, finished: 0 }, 'the crash lost the counts');
      await clock.advance(1000);

      const b = dialer(settings, { view: pbx.view() });
      await b.dialer.start();
      assert.deepEqual(b.dialer.status().counters, { dialed: 20, answered: 0, failed: 0, finished: 0 }, 'at start: twenty attempts in flight, none recorded yet');
      await countersAgree(b.dialer, 'at start');
      await clock.advance(3600_000);
      assert.equal(b.dialer.state, 'completed');
      const stored = await allContacts(db.store, 'task-1');
      for (const c of stored) assert.equal(c.result?.code, 'notified', `${c.customerId}: ${JSON.stringify(c.attempts)}`);
      assert.deepEqual(b.dialer.status().counters, { dialed: 20, answered: 20, failed: 0, finished: 20 });
      await countersAgree(b.dialer, 'at the end');
      const doc = (await real.getDocument<{ counters: unknown }>('campaign', 'task-1'))?.value.counters;
      assert.deepEqual(doc, { dialed: 20, answered: 20, failed: 0, finished: 20 }, 'and so are the saved ones');
    });
  });
});
