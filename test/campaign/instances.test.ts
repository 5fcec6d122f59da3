/**
 * One task run by the dialers of several Node-RED instances on one store
 * (each with its own worker id, connection view and coordinator, as each
 * process has), on a manual clock against the fake Asterisk: the pace is
 * the task's total, state changes made on one are followed by the others,
 * priority holds across them, the counters add up, and the leases of an
 * instance that dies are taken over before they run out.
 */
import assert from 'node:assert/strict';
import type { ManualClock } from '../../lib/campaign/clock';
import { Coordinator } from '../../lib/campaign/coordinator';
import { LEASE_MS, WATCH_MS, type Dialer } from '../../lib/campaign/dialer';
import { DEAD_MS, DialingShare } from '../../lib/campaign/dialing-document';
import { countersOf } from '../../lib/campaign/report';
import type { CampaignSettings } from '../../lib/schemas/campaign';
import { StoreError, type Store } from '../../lib/store/port';
import { customers, makeDialer, settingsWith, type FakeAsterisk, type Recorder, type View } from './support';
import { allContacts } from '../support/campaign-runtime';
import { finalOnceEach, useManualDialing, type ManualDialing } from './manual-dialing';

interface Instance {
  name: string;
  view: View;
  coordinator: Coordinator;
  dialers: Map<string, { dialer: Dialer; hooks: Recorder }>;
  /** The process dies: its connection hears nothing more and its store calls fail, as a killed process's. */
  kill(): Promise<void>;
}

describe('one task on several Node-RED instances (manual clock, fake Asterisk, one store)', function () {
  const dialing = useManualDialing();
  /** The dialers closed after each test. */
  const open = dialing.dialers;
  // The running test's store, clock and Asterisk (manual-dialing.ts makes them before each test).
  let db: ManualDialing['db'], clock: ManualClock, pbx: FakeAsterisk;
  beforeEach(() => ({ db, clock, pbx } = dialing));

  /** A Node-RED instance running the tasks given (id and settings), each dialer with this instance's worker id. */
  async function instance(name: string, tasks: [string, CampaignSettings][]): Promise<Instance> {
    let dead = false;
    const real = db.store;
    const store = new Proxy(real, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => (dead ? Promise.reject(new StoreError('unreachable', 'the process is dead')) : (value as (...a: unknown[]) => unknown).apply(target, args));
      },
    }) as Store;
    const view = pbx.view();
    const coordinator = new Coordinator();
    const dialers = new Map<string, { dialer: Dialer; hooks: Recorder }>();
    for (const [id, settings] of tasks) {
      const made = makeDialer({ id, worker: `dialer:${id}@${name}`, settings, store, view, clock, coordinator });
      open.push(made.dialer);
      dialers.set(id, made);
    }
    for (const { dialer } of dialers.values()) await dialer.start();
    return {
      name,
      view,
      coordinator,
      dialers,
      kill: async () => {
        view.kill();
        dead = true;
        for (const { dialer } of dialers.values()) await dialer.close(0);
      },
    };
  }

  /** Instances a and b on task-1, 10 a second, 2,000 contacts, each call busy after 500 ms. */
  async function twoInstancesAtTenASecond(): Promise<{ a: Instance; b: Instance }> {
    const settings = settingsWith({ intervalSec: 1, callsAtATime: 10 });
    await db.store.importContacts('task-1', customers(settings, 2000), clock.now());
    pbx.setDefault({ outcome: 'busy', ringMs: 500 });
    return { a: await instance('a', [['task-1', settings]]), b: await instance('b', [['task-1', settings]]) };
  }

  function dialerOf(i: Instance, id = 'task-1'): Dialer {
    const d = i.dialers.get(id)?.dialer;
    if (!d) throw new Error(`no dialer ${id} on ${i.name}`);
    return d;
  }

  it('places the configured rate in total, not per instance: 10 a second with two or three instances is 10 a second', async function () {
    for (const count of [2, 3]) {
      const settings = settingsWith({ intervalSec: 1, callsAtATime: 10 });
      const id = `rate-${count}`;
      await db.store.importContacts(id, customers(settings, 2000, `+8613${count}`), clock.now());
      pbx.setDefault({ outcome: 'busy', ringMs: 500 });
      const instances: Instance[] = [];
      for (let i = 0; i < count; i += 1) instances.push(await instance(`nr${i}`, [[id, settings]]));
      // Started on each, at different moments as processes are (their ticks do not come at the same instants); the
      // others would follow the first within WATCH_MS.
      const t0 = clock.now();
      const before = pbx.originated.length;
      for (const i of instances) {
        await dialerOf(i, id).operate('start');
        await clock.advance(330);
      }
      await clock.advance(t0 + 60_000 - 1 - clock.now());
      const calls = pbx.originated.slice(before);
      // 60 s at 10 a second: 600 (each instance may hold less than a call of its share not placed yet; within 1%).
      assert.ok(calls.length >= 594 && calls.length <= 606, `${count} instances: ${calls.length} calls in 60 s at 10 a second (600)`);
      const lastTen = calls.filter((o) => o.at > t0 + 49_999).length;
      assert.ok(lastTen >= 99 && lastTen <= 101, `${count} instances: ${lastTen} calls in the last 10 s (100)`);
      const byView = new Map<number, number>();
      for (const o of calls) byView.set(o.view, (byView.get(o.view) ?? 0) + 1);
      console.log(`      ${count} instances: calls by instance ${JSON.stringify([...byView.values()])}`);
      assert.ok(byView.size > 1, `the calls are shared among the ${count} instances`);
      for (const i of instances) await dialerOf(i, id).close(0);
    }
  });

  it('loses no call of the budget to a tick that comes late (a busy process), and saves none up for a burst when nothing can be placed', async function () {
    const share = new DialingShare({ campaignId: 'late', worker: 'w1', store: () => db.store });
    const pace = { rate: 8, perTick: 8, most: 8 };
    const t0 = clock.now();
    // Ticks at 0, 1 s, 2.5 s (half a tick late), 3 s: 8 a second is 32 calls by 3 s (the first tick's 8 and 3 s of 8).
    const granted = [];
    for (const at of [0, 1000, 2500, 3000]) granted.push(await share.take(t0 + at, 8, pace));
    assert.deepEqual(granted, [8, 8, 8, 8], 'the late tick leaves what it could not place for the next one');
    // Nothing can be placed for 10 s (no free channel): the budget is dropped, and the next tick gets one tick's worth.
    await share.drain(t0 + 13_000, pace);
    assert.equal(await share.take(t0 + 14_000, 100, pace), 8);
  });

  it('loses none of the pace when an instance dies but the calls of its tick it had not placed yet: with others alive, each tick takes its calls when it dials', async function () {
    const { a, b } = await twoInstancesAtTenASecond();
    const t0 = clock.now();
    await dialerOf(a).operate('start');
    // b follows the start within WATCH_MS, and a learns of b at its next heartbeat (until then, alone, it takes its
    // calls a tick ahead, and b's ticks find none).
    await clock.advance(2 * WATCH_MS + 2000);
    assert.ok(pbx.originated.some((o) => o.view === b.view.index), 'b dials');
    // b (which takes the larger share: its ticks come later in the second) dies half-way between two of its ticks:
    // calls taken for a later tick would die with it.
    await clock.advance(t0 + 20_000 - clock.now());
    const lastTickOfB = Math.max(...pbx.originated.filter((o) => o.view === b.view.index).map((o) => o.at));
    await clock.advance(lastTickOfB + 500 - clock.now());
    await b.kill();
    await clock.advance(t0 + 60_000 - 1 - clock.now());
    // What the budget accrued by a's last tick (a's ticks come at whole seconds from t0; each spreads its calls over
    // the second after it): the first tick's 10, then 10 a second; all of it placed by the end of that tick's second,
    // less what each of the two may hold of less than a call, and less b's calls of its last tick that were still
    // waiting for their moment in it when b died (at most a tick's 10): those are lost with it.
    const lastTickOfA = t0 + Math.max(...pbx.originated.filter((o) => o.view === a.view.index).map((o) => Math.floor((o.at - t0) / 1000) * 1000));
    const placed = pbx.originated.filter((o) => o.at < lastTickOfA + 1000).length;
    const accrued = 10 + (10 * (lastTickOfA - t0)) / 1000;
    const diedWaiting = 10;
    assert.ok(placed >= Math.floor(accrued) - 2 - diedWaiting && placed <= accrued, `${placed} calls placed by the end of ${lastTickOfA - t0} ms's tick at 10 a second (${accrued} accrued), one of two instances killed at ${lastTickOfB + 500 - t0} ms`);
  });

  it('leaves the calls of the budget to another dialer that wants them: one with nothing to place drops them only when no other wanted calls within two ticks', async function () {
    const pace = { rate: 8, perTick: 8, most: 8 };
    const x = new DialingShare({ campaignId: 'drain', worker: 'x', store: () => db.store });
    const y = new DialingShare({ campaignId: 'drain', worker: 'y', store: () => db.store });
    const t0 = clock.now();
    await x.beat(t0);
    await y.beat(t0);
    await x.beat(t0);
    assert.equal(await x.take(t0, 8, pace), 8, "the budget's first tick");
    // y has nothing due and drains at the very instant x's next tick comes: x holds contacts, so the calls stay.
    await y.drain(t0 + 1000, pace);
    assert.equal(await x.take(t0 + 1000, 8, pace), 8, 'x takes its tick of calls after y found nothing to place');
    // x stops wanting calls (nothing due for anyone): two ticks later (a tick may come late), y's drain drops what
    // accrued.
    await y.drain(t0 + 2900, pace);
    assert.equal(await y.take(t0 + 2900, 8, pace), 8, 'a tick that may be late: kept');
    await y.drain(t0 + 4500, pace);
    assert.equal(await y.take(t0 + 4500, 8, pace), 0, 'nothing saved up: the budget was dropped');
  });

  it('starts two instances at the same moment on a store without the task: one writes its document, the other takes it', async function () {
    const settings = settingsWith({ intervalSec: 1, callsAtATime: 4 });
    await db.store.importContacts('task-1', customers(settings, 40), clock.now());
    pbx.setDefault({ outcome: 'busy', ringMs: 500 });
    // Both read the store before either writes (Node-RED processes started together): both find no task document.
    const made = ['a', 'b'].map((name) => makeDialer({ id: 'task-1', worker: `dialer:task-1@${name}`, settings, store: db.store, view: pbx.view(), clock, coordinator: new Coordinator() }));
    open.push(...made.map((m) => m.dialer));
    const [a, b] = made.map((m) => m.dialer) as [Dialer, Dialer];
    const started = await Promise.allSettled([a.start(), b.start()]);
    assert.deepEqual(
      started.map((s) => (s.status === 'rejected' ? String(s.reason) : s.status)),
      ['fulfilled', 'fulfilled'],
    );
    await b.operate('start');
    await clock.advance(WATCH_MS + 1000);
    assert.equal(a.state, 'running', 'a follows the start made on b: both have the one task document');
    const stored = await db.store.getDocument<{ state: string }>('campaign', 'task-1');
    assert.equal(stored?.value.state, 'running');
  });

  it("dials nothing more of a tick under way once it follows another instance's suspend, and keeps no channel for it", async function () {
    // 10 a second: each tick's calls go out one every 100 ms, so the suspend is followed while some wait.
    const { a, b } = await twoInstancesAtTenASecond();
    await dialerOf(a).operate('start');
    await clock.advance(2 * WATCH_MS + 2000);
    assert.ok(pbx.originated.some((o) => o.view === b.view.index), 'b dials');
    await dialerOf(a).operate('suspend');
    let followedAt = 0;
    for (let waited = 0; waited < 3 * WATCH_MS && !followedAt; waited += 10) {
      await clock.advance(10);
      if (dialerOf(b).state === 'suspended') followedAt = clock.now();
    }
    assert.ok(followedAt > 0, 'b follows the suspend');
    await clock.advance(3000);
    assert.deepEqual(pbx.originated.filter((o) => o.view === b.view.index && o.at > followedAt).map((o) => o.at - followedAt), [], 'nothing dialed by b after it followed');
    // Its calls ended (busy after 500 ms): every channel of its connection is free again, none kept for a call handed back.
    assert.equal(b.coordinator.free('fake', { limit: 100, inUse: () => 0 }), 100);
    assert.ok((await allContacts(db.store, 'task-1')).every((c) => !(c.progress as { inflight?: unknown }).inflight), 'no attempt left in flight or written ahead');
  });

  it("follows a state change made on another instance within the watch's period: suspend, resume, stop", async function () {
    const settings = settingsWith({ intervalSec: 1, callsAtATime: 4 });
    await db.store.importContacts('task-1', customers(settings, 400), clock.now());
    pbx.setDefault({ outcome: 'busy', ringMs: 500 });
    const a = await instance('a', [['task-1', settings]]);
    await clock.advance(400);
    const b = await instance('b', [['task-1', settings]]);
    await dialerOf(a).operate('start');
    await clock.advance(WATCH_MS + 1000);
    assert.equal(dialerOf(b).state, 'running', 'b follows the start within the watch period');
    await clock.advance(5000);
    assert.ok(pbx.originated.some((o) => o.view === b.view.index), 'b dials');
    await dialerOf(a).operate('suspend');
    await clock.advance(WATCH_MS + 3000);
    assert.equal(dialerOf(b).state, 'suspended', 'b follows the suspend');
    const afterSuspend = pbx.originated.length;
    await clock.advance(30_000);
    assert.equal(pbx.originated.length, afterSuspend, 'no instance dials a suspended task');
    await dialerOf(b).operate('resume');
    await clock.advance(WATCH_MS + 3000);
    assert.equal(dialerOf(a).state, 'running', 'a follows the resume made on b');
    assert.ok(pbx.originated.slice(afterSuspend).some((o) => o.view === a.view.index), 'a dials again');
    await dialerOf(a).operate('stop');
    await clock.advance(WATCH_MS + 3000);
    assert.equal(dialerOf(b).state, 'stopped', 'b follows the stop');
    const afterStop = pbx.originated.length;
    await clock.advance(60_000);
    assert.equal(pbx.originated.length, afterStop, 'no instance dials a stopped task');
    const stored = await allContacts(db.store, 'task-1');
    const open = stored.filter((c) => c.state !== 'done');
    assert.deepEqual(open.map((c) => [c.customerId, c.state, JSON.stringify(c.progress), c.attempts.length]), [], 'every contact has its final result, those b held for its next tick too');
  });

  it('keeps task priority across instances: a lower task started on one waits while a higher one started on another has contacts due', async function () {
    const high = settingsWith({ name: 'urgent', priority: 1, intervalSec: 3, callsAtATime: 3 });
    const low = settingsWith({ name: 'routine', priority: 4, intervalSec: 3, callsAtATime: 3 });
    pbx.setDefault({ outcome: 'answer', ringMs: 1000, talkMs: 2000 });
    await db.store.importContacts('high', customers(high, 12, '+86139'), clock.now());
    await db.store.importContacts('low', customers(low, 6, '+86137'), clock.now());
    const a = await instance('a', [['high', high], ['low', low]]);
    const b = await instance('b', [['high', high], ['low', low]]);
    await dialerOf(a, 'high').operate('start');
    // b learns of the start within the watch period; the low task is started on b after that.
    await clock.advance(WATCH_MS);
    await dialerOf(b, 'low').operate('start');
    await clock.advance(120_000);
    const highCalls = pbx.originated.filter((o) => o.number.startsWith('+86139'));
    const lowCalls = pbx.originated.filter((o) => o.number.startsWith('+86137'));
    assert.equal(highCalls.length, 12);
    assert.equal(lowCalls.length, 6, 'the lower task runs once the higher one has nothing due');
    const lastHigh = Math.max(...highCalls.map((o) => o.at));
    for (const o of lowCalls) assert.ok(o.at > lastHigh, `no low-priority call (${new Date(o.at).toISOString()}) while the high-priority task had contacts due (last ${new Date(lastHigh).toISOString()})`);
  });

  it("adds up the counters of every instance: the task's document says what the attempts say", async function () {
    const settings = settingsWith({ intervalSec: 1, callsAtATime: 6 });
    await db.store.importContacts('task-1', customers(settings, 240), clock.now());
    for (let i = 0; i < 240; i += 1) pbx.setNumber(`+86138${String(i).padStart(8, '0')}`, i % 2 === 0 ? { outcome: 'answer', ringMs: 1000, talkMs: 3000 } : { outcome: 'unallocated', ringMs: 700 });
    const a = await instance('a', [['task-1', settings]]);
    await clock.advance(300);
    const b = await instance('b', [['task-1', settings]]);
    await clock.advance(300);
    const c = await instance('c', [['task-1', settings]]);
    for (const i of [a, b, c]) await dialerOf(i).operate('start');
    await clock.advance(60_000);
    // Mid-run: each instance saves its counts every 5 s; at 6 calls a second, at most 30 dialed are not saved yet.
    const midTally = countersOf(await db.store.tallyAttempts('task-1'));
    const mid = (await db.store.getDocument<{ counters: { dialed: number } }>('campaign', 'task-1'))?.value.counters.dialed ?? 0;
    assert.ok(mid <= midTally.dialed && mid >= midTally.dialed - 30, `mid-run, the stored dialed count (${mid}) is every instance's (${midTally.dialed}), less the last 5 s at most`);
    await clock.advance(30 * 60_000);
    for (const i of [a, b, c]) assert.equal(dialerOf(i).state, 'completed', `${i.name} sees the task completed`);
    const tally = countersOf(await db.store.tallyAttempts('task-1'));
    assert.equal(tally.finished, 240);
    const doc = (await db.store.getDocument<{ counters: unknown }>('campaign', 'task-1'))?.value.counters;
    assert.deepEqual(doc, tally, 'the stored counters are the sum of every instance');
    for (const i of [a, b, c]) assert.ok(pbx.originated.some((o) => o.view === i.view.index), `${i.name} dialed`);
  });

  it('takes over the leases of an instance that died (one of three) before they run out, resolves its calls with Asterisk, loses no contact and dials none twice', async function () {
    const settings = settingsWith({ intervalSec: 1, callsAtATime: 6, maxResponseSec: 30 });
    await db.store.importContacts('task-1', customers(settings, 300), clock.now());
    for (let i = 0; i < 300; i += 1) {
      const n = `+86138${String(i).padStart(8, '0')}`;
      if (i % 3 === 0) pbx.setNumber(n, { outcome: 'answer', ringMs: 2000, talkMs: 60_000, result: 'heard' });
      else if (i % 3 === 1) pbx.setNumber(n, { outcome: 'answer', ringMs: 8000, talkMs: 1000 });
      else pbx.setNumber(n, [{ outcome: 'busy', ringMs: 6000 }, { outcome: 'answer', ringMs: 1000, talkMs: 1000 }]);
    }
    const a = await instance('a', [['task-1', settings]]);
    await clock.advance(500);
    const b = await instance('b', [['task-1', settings]]);
    await clock.advance(300);
    const c = await instance('c', [['task-1', settings]]);
    await dialerOf(a).operate('start');
    await clock.advance(12_500);
    const byA = pbx.originated.filter((o) => o.view === a.view.index).map((o) => o.channelId);
    assert.ok(byA.length > 0, 'a dialed');
    // The attempts written ahead of the next ticks' dials (lib/campaign/placing.ts), not dialed: a's among them.
    const ahead = new Map<string, string>();
    for (const x of await allContacts(db.store, 'task-1')) {
      const inflight = (x.progress as { inflight?: { channelId: string; prewritten?: true } }).inflight;
      if (inflight?.prewritten) ahead.set(x.customerId, inflight.channelId);
    }
    await a.kill();
    const killedAt = clock.now();
    // Not seen for DEAD_MS, then b's next look: well before a's leases run out.
    await clock.advance(DEAD_MS + 2 * WATCH_MS);
    assert.ok(clock.now() - killedAt < LEASE_MS, 'the check comes before the leases of a run out');
    const stored = await allContacts(db.store, 'task-1');
    const recorded = new Set(stored.flatMap((c) => c.attempts.map((x) => x.callId)));
    const unresolved = byA.filter((id) => !recorded.has(id) && !pbx.channels.has(id));
    assert.deepEqual(unresolved, [], "every call a placed that has ended is recorded by b before a's leases ran out");
    await clock.advance(60 * 60_000);
    assert.equal(dialerOf(b).state, 'completed');
    assert.equal(dialerOf(c).state, 'completed');
    const final = await allContacts(db.store, 'task-1');
    const ids = finalOnceEach(final, pbx.originated);
    // a's attempts written ahead and never dialed (b's and c's were dialed at their next ticks): taken over, those
    // contacts went back to the queue, no attempt counted.
    const neverDialed = [...ahead].filter(([, id]) => !ids.includes(id));
    assert.ok(neverDialed.length > 0, 'a had attempts written ahead when it died');
    for (const [customerId, id] of neverDialed) {
      const x = final.find((f) => f.customerId === customerId);
      assert.ok(x && x.attempts.every((y) => y.callId !== id), `${customerId}: the attempt written ahead is not recorded`);
    }
    const perAttempt = new Map<string, number>();
    for (const c of final) for (const x of c.attempts) if (x.callId) perAttempt.set(x.callId, (perAttempt.get(x.callId) ?? 0) + 1);
    for (const o of pbx.originated) assert.equal(perAttempt.get(o.channelId), 1, `originate ${o.channelId} is recorded as exactly one attempt`);
    assert.ok(
      [b, c].some((i) => i.dialers.get('task-1')?.hooks.answeredCalls.some((x) => x.resumed)),
      "a call of a that was up resumed into the flow of the instance that took it over",
    );
    assert.deepEqual(pbx.dialedTwiceAtOnce, [], 'no number dialed while a call to it was still up');
    const doc = (await db.store.getDocument<{ counters: unknown }>('campaign', 'task-1'))?.value.counters;
    assert.deepEqual(doc, countersOf(await db.store.tallyAttempts('task-1')), 'the counts a lost with it are derived again by the last instance to leave the ended task');
  });
});
