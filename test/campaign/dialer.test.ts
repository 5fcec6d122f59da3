/**
 * The dialer on a manual clock against a fake Asterisk and a real embedded
 * store: the specification's business scenario over a week, calling hours,
 * pacing, task priority, the channel limit, the blocklist re-check, the
 * state rules, allowlists, callbacks and the retry rule at dial time. When
 * something fails under it (the store, a crash, Asterisk): dialer-faults.test.ts.
 */
import assert from 'node:assert/strict';
import { CallingCalendar } from '../../lib/campaign/calendar';
import type { ManualClock } from '../../lib/campaign/clock';
import { Coordinator } from '../../lib/campaign/coordinator';
import type { CampaignSettings } from '../../lib/schemas/campaign';
import { makeDialer, settingsWith, type FakeAsterisk, type Originated } from './support';
import { MemoryLogger } from '../support/telephony';
import { DialAllowlist } from '../../lib/ari/dialstring';
import { allContacts } from '../support/campaign-runtime';
import { MONDAY_8AM_SHANGHAI, contacts, useManualDialing, type ManualDialing } from './manual-dialing';

describe('campaign dialer (manual clock, fake Asterisk)', function () {
  const dialing = useManualDialing();
  const { dialers, dialer } = dialing;
  // The running test's store, clock and Asterisk (manual-dialing.ts makes them before each test).
  let db: ManualDialing['db'], clock: ManualClock, pbx: FakeAsterisk;
  beforeEach(() => ({ db, clock, pbx } = dialing));

  it("runs the specification's business scenario: a notice in working hours, weekdays and weekends, busy customers called twice more", async function () {
    const settings = settingsWith({
      hours: {
        regular: [
          { start: '09:00', end: '11:30' },
          { start: '14:00', end: '18:00' },
        ],
        special: [{ name: 'weekend', dates: [], weekdays: ['sat', 'sun'], periods: [{ start: '10:00', end: '16:00' }] }],
        allocated: [],
      },
      intervalSec: 3,
      callsAtATime: 3,
      maxResponseSec: 20,
      policy: { mode: 'global', rule: { byCause: true, maxDays: 1, maxPerDay: 3, intervalSec: 60, causes: [{ cause: 'busy', retries: 2, intervalSec: 600 }] }, types: [], nonRetry: [] },
    });
    const behaviours: [string, Parameters<FakeAsterisk['setNumber']>[1], string, number][] = [
      // number, how it behaves, final result, attempts
      ['+8613800000001', { outcome: 'answer', ringMs: 3000, talkMs: 20_000, result: 'notified' }, 'notified', 1],
      ['+8613800000002', { outcome: 'busy' }, 'busy', 3],
      ['+8613800000003', [{ outcome: 'busy' }, { outcome: 'answer', talkMs: 15_000 }], 'answered', 2],
      ['+8613800000004', [{ outcome: 'busy' }, { outcome: 'busy' }, { outcome: 'answer', talkMs: 5000 }], 'answered', 3],
      ['+8613800000005', { outcome: 'no-answer' }, 'max-response-exceeded', 1],
      ['+8613800000006', { outcome: 'unallocated' }, 'unallocated', 1],
      ['+8613800000007', { outcome: 'rejected' }, 'rejected', 1],
      ['+8613800000008', { outcome: 'congestion' }, 'congestion', 1],
      ['+8613800000009', { outcome: 'unavailable' }, 'no-answer', 1],
      ['+8613800000010', { outcome: 'originate-error' }, 'originate-failed', 1],
    ];
    for (const [n, b] of behaviours) pbx.setNumber(n, b);
    await db.store.importContacts('task-1', contacts(settings, behaviours.map(([n], i) => ({ customerId: `c${i + 1}`, numbers: [{ number: n }] }))), clock.now());
    const { dialer: d, hooks } = dialer(settings);
    await d.start();
    await d.operate('start');
    // Monday 08:00: nobody is called before 09:00.
    await clock.advance(59 * 60_000);
    assert.equal(pbx.originated.length, 0, 'no call before the first period');
    assert.equal(d.status().idle, 'outside-hours');
    // Run through the week.
    await clock.advance(7 * 24 * 3600_000);
    const calendar = new CallingCalendar(settings.hours, settings.timezone);
    for (const o of pbx.originated) assert.ok(calendar.isOpen(o.at), `call to ${o.number} at ${new Date(o.at).toISOString()} is outside the calling hours`);
    for (const o of pbx.originated) assert.equal(o.timeoutSec, 20, 'the max response duration is the ring timeout');
    const stored = await allContacts(db.store, 'task-1');
    for (const [number, , result, attempts] of behaviours) {
      const c = stored.find((s) => s.numbers[0]?.number === number);
      assert.ok(c, number);
      assert.equal(c.state, 'done', `${number} is final`);
      assert.equal(c.result?.code, result, `${number}'s result`);
      assert.equal(c.attempts.length, attempts, `${number}'s attempts`);
      assert.deepEqual(
        c.attempts.map((a) => a.n),
        Array.from({ length: attempts }, (_, i) => i + 1),
      );
    }
    // Busy retries are 10 minutes apart (the cause's interval).
    const busy = stored.find((s) => s.customerId === 'c2');
    const starts = busy?.attempts.map((a) => a.startedAt) ?? [];
    assert.ok((starts[1] ?? 0) - (starts[0] ?? 0) >= 600_000 && (starts[2] ?? 0) - (starts[1] ?? 0) >= 600_000, 'busy retries wait 600 s');
    // Every attempt dialed once: one originate per (customer, attempt).
    const ids = pbx.originated.map((o) => o.channelId);
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(ids.length, stored.reduce((n, c) => n + c.attempts.filter((a) => a.outcome !== 'blocked').length, 0));
    // Outputs: answered calls, final failures, finished customers.
    assert.equal(hooks.answeredCalls.length, 3);
    assert.deepEqual(hooks.failures.map((f) => f.customerId).sort(), ['c10', 'c2', 'c5', 'c6', 'c7', 'c8', 'c9']);
    assert.equal(hooks.finishedCustomers.length, 10);
    assert.equal(d.state, 'completed');
    assert.deepEqual(d.status().counters, { dialed: 15, answered: 3, failed: 12, finished: 10 });
  });

  it('calls on weekends only in their special periods, and not at all on a 00:00-00:00 day', async function () {
    const settings = settingsWith({
      hours: {
        regular: [{ start: '00:00', end: '23:59' }],
        special: [{ dates: [], weekdays: ['sat', 'sun'], periods: [{ start: '00:00', end: '00:00' }] }],
        allocated: [{ dates: ['2026-11-29'], periods: [{ start: '12:00', end: '13:00' }] }],
      },
      intervalSec: 60,
      callsAtATime: 1,
    });
    pbx.setDefault({ outcome: 'busy' });
    const policy = { mode: 'global', rule: { byCause: false, maxDays: 30, maxPerDay: 100, intervalSec: 0, causes: [] }, types: [], nonRetry: [] };
    const s = { ...settings, policy: policy as CampaignSettings['policy'] };
    await db.store.importContacts('task-1', contacts(s, [{ customerId: 'a', numbers: [{ number: '+8613800000001' }] }]), clock.now());
    const { dialer: d } = dialer(s);
    await d.start();
    // Saturday 2026-11-28 00:00 Shanghai.
    await clock.advanceTo('2026-11-27T16:00:00Z');
    await d.operate('start');
    await clock.advanceTo('2026-11-28T16:00:00Z');
    assert.equal(pbx.originated.length, 0, 'Saturday is 00:00-00:00: no calls');
    await clock.advanceTo('2026-11-29T16:00:00Z');
    const sunday = pbx.originated.map((o) => new Date(o.at).toISOString());
    assert.ok(sunday.length > 0, 'the allocated period on Sunday is used');
    for (const at of sunday) assert.ok(at >= '2026-11-29T04:00:00.000Z' && at < '2026-11-29T05:00:00.000Z', `${at} is in Sunday's allocated 12:00-13:00`);
  });

  it('paces the specification way: interval 10 with 100 at a time places 30 calls every 3 s, spread over the 3 s', async function () {
    const settings = settingsWith({ intervalSec: 10, callsAtATime: 100 });
    pbx.setDefault({ outcome: 'answer', ringMs: 1000, talkMs: 1000 });
    await db.store.importContacts('task-1', contacts(settings, Array.from({ length: 200 }, (_, i) => ({ customerId: `c${i}`, numbers: [{ number: `+86138${String(i).padStart(8, '0')}` }] }))), clock.now());
    const { dialer: d } = dialer(settings);
    await d.start();
    await d.operate('start');
    const t0 = clock.now();
    await clock.advance(8_999);
    const byTick = new Map<number, number>();
    for (const o of pbx.originated) byTick.set(Math.floor((o.at - t0) / 3000) * 3000, (byTick.get(Math.floor((o.at - t0) / 3000) * 3000) ?? 0) + 1);
    assert.deepEqual([...byTick.entries()], [
      [0, 30],
      [3000, 30],
      [6000, 30],
    ]);
    // The first tick writes its attempts and dials them at once; the next ones, written ahead, one call every 100 ms.
    assert.deepEqual(
      pbx.originated.filter((o) => o.at - t0 < 3000).map((o) => o.at - t0),
      Array.from({ length: 30 }, () => 0),
    );
    assert.deepEqual(
      pbx.originated.filter((o) => o.at - t0 >= 3000 && o.at - t0 < 6000).map((o) => o.at - t0),
      Array.from({ length: 30 }, (_, i) => 3000 + i * 100),
    );
  });

  it('places 300 calls a second for 10 s: 3,000 originate requests (within 1%), 300 in each tick, 15 every 50 ms', async function () {
    const settings = settingsWith({ intervalSec: 1, callsAtATime: 300, maxResponseSec: 20 });
    // Nobody answers within the 10 s (one timer per call, at 20 s): the test's time goes to the dialing.
    pbx.setDefault({ outcome: 'no-answer' });
    await db.store.importContacts('task-1', contacts(settings, Array.from({ length: 3600 }, (_, i) => ({ customerId: `c${i}`, numbers: [{ number: `+86138${String(i).padStart(8, '0')}` }] }))), clock.now());
    const { dialer: d } = dialer(settings, { limit: 5000 });
    await d.start();
    await d.operate('start');
    const t0 = clock.now();
    await clock.advance(10_000 - 1);
    const inWindow = pbx.originated.filter((o) => o.at >= t0 && o.at < t0 + 10_000);
    assert.ok(Math.abs(inWindow.length - 3000) <= 30, `${inWindow.length} originations in 10 s at 300/s`);
    const byTick = new Map<number, number>();
    for (const o of inWindow) byTick.set(Math.floor((o.at - t0) / 1000) * 1000, (byTick.get(Math.floor((o.at - t0) / 1000) * 1000) ?? 0) + 1);
    assert.deepEqual([...byTick.entries()], Array.from({ length: 10 }, (_, i) => [i * 1000, 300]));
    // Each tick after the first sends its calls in 20 groups of 15, 50 ms apart (placing.ts SPREAD_STEP_MS).
    const bySlot = new Map<number, number>();
    for (const o of inWindow) if (o.at - t0 >= 1000) bySlot.set(o.at - t0, (bySlot.get(o.at - t0) ?? 0) + 1);
    assert.deepEqual([...bySlot.entries()], Array.from({ length: 9 * 20 }, (_, i) => [1000 + i * 50, 15]));
    assert.equal(pbx.dialedTwiceAtOnce.length, 0);
  });

  it('never has more calls at once than the channel limit', async function () {
    const settings = settingsWith({ intervalSec: 1, callsAtATime: 10 });
    pbx.setDefault({ outcome: 'answer', ringMs: 2000, talkMs: 30_000 });
    await db.store.importContacts('task-1', contacts(settings, Array.from({ length: 40 }, (_, i) => ({ customerId: `c${i}`, numbers: [{ number: `+86138${String(i).padStart(8, '0')}` }] }))), clock.now());
    const { dialer: d, hooks } = dialer(settings, { limit: 4 });
    await d.start();
    await d.operate('start');
    await clock.advance(5000);
    assert.equal(pbx.maxConcurrent, 4);
    assert.equal(d.status().idle, 'channel-limit');
    await clock.advance(10 * 60_000);
    assert.equal(pbx.maxConcurrent, 4);
    assert.equal(hooks.finishedCustomers.length, 40);
  });

  it('keeps its pace when its calls at a time fill the connection and each call ends within the tick: 10 a second on 10 channels', async function () {
    const settings = settingsWith({ intervalSec: 1, callsAtATime: 10 });
    // Each call is busy after 100 ms: every tick finds its 10 channels free again.
    pbx.setDefault({ outcome: 'busy', ringMs: 100 });
    await db.store.importContacts('task-1', contacts(settings, Array.from({ length: 200 }, (_, i) => ({ customerId: `c${i}`, numbers: [{ number: `+86138${String(i).padStart(8, '0')}` }] }))), clock.now());
    const { dialer: d } = dialer(settings, { limit: 10 });
    await d.start();
    await d.operate('start');
    const t0 = clock.now();
    await clock.advance(5999);
    const bySecond = new Map<number, number>();
    for (const o of pbx.originated) bySecond.set(Math.floor((o.at - t0) / 1000), (bySecond.get(Math.floor((o.at - t0) / 1000)) ?? 0) + 1);
    assert.deepEqual([...bySecond.entries()], Array.from({ length: 6 }, (_, i) => [i, 10]), '10 calls in every second, not 10 every other second');
    assert.equal(pbx.maxConcurrent, 10);
    // Each tick's calls fill the channels when the next tick's attempts would be written ahead: none is (placing.ts
    // prepare(): no room now), so each tick writes its attempts and dials them at once after that write.
    assert.ok(pbx.originated.every((o) => (o.at - t0) % 1000 === 0), 'at the tick, not spread');
  });

  it('does not dial a lower-priority task while a higher one has contacts due', async function () {
    const shared = new Coordinator();
    const high = settingsWith({ name: 'urgent', priority: 1, intervalSec: 3, callsAtATime: 3 });
    const low = settingsWith({ name: 'routine', priority: 4, intervalSec: 3, callsAtATime: 3 });
    pbx.setDefault({ outcome: 'answer', ringMs: 1000, talkMs: 2000 });
    await db.store.importContacts('high', contacts(high, Array.from({ length: 12 }, (_, i) => ({ customerId: `h${i}`, numbers: [{ number: `+8613900000${String(i).padStart(3, '0')}` }] }))), clock.now());
    await db.store.importContacts('low', contacts(low, Array.from({ length: 6 }, (_, i) => ({ customerId: `l${i}`, numbers: [{ number: `+8613700000${String(i).padStart(3, '0')}` }] }))), clock.now());
    const a = dialer(high, { id: 'high', coordinator: shared });
    const b = dialer(low, { id: 'low', coordinator: shared });
    await a.dialer.start();
    await b.dialer.start();
    await b.dialer.operate('start');
    await a.dialer.operate('start');
    await clock.advance(60_000);
    const highCalls = pbx.originated.filter((o) => o.number.startsWith('+86139'));
    const lowCalls = pbx.originated.filter((o) => o.number.startsWith('+86137'));
    assert.equal(highCalls.length, 12);
    assert.equal(lowCalls.length, 6, 'the lower task runs once the higher one has nothing due');
    const lastHigh = Math.max(...highCalls.map((o) => o.at));
    for (const o of lowCalls) assert.ok(o.at > lastHigh, 'no low-priority call while the high-priority task had contacts due');
    assert.ok(b.hooks.statuses.some((s) => s.idle === 'higher-priority' && s.idleDetail === 'urgent'), 'the status says why');
  });

  it('re-checks the blocklist right before each dial: an entry added after the import counts, with its period', async function () {
    const settings = settingsWith({ blocklistGroups: ['dnc'], intervalSec: 60, callsAtATime: 1 });
    pbx.setDefault({ outcome: 'answer', ringMs: 1000, talkMs: 1000 });
    await db.store.importContacts(
      'task-1',
      contacts(settings, [
        { customerId: 'one-number', numbers: [{ number: '+8613800000001' }] },
        { customerId: 'two-numbers', numbers: [{ number: '+8613800000002' }, { number: '+8613800000003' }] },
        { customerId: 'for-an-hour', numbers: [{ number: '+8613800000004' }] },
      ]),
      clock.now(),
    );
    await db.store.addBlocked([
      { group: 'dnc', number: '+8613800000001' },
      { group: 'dnc', number: '+8613800000002' },
      { group: 'dnc', number: '+8613800000004', until: clock.now() + 3600_000 },
    ]);
    const { dialer: d } = dialer(settings);
    await d.start();
    await d.operate('start');
    await clock.advance(2 * 3600_000);
    const dialed = pbx.originated.map((o: Originated) => o.number);
    assert.ok(!dialed.includes('+8613800000001') && !dialed.includes('+8613800000002'), 'blocked numbers are never dialed');
    assert.ok(dialed.includes('+8613800000003'), "the customer's other number is");
    const four = pbx.originated.find((o) => o.number === '+8613800000004');
    assert.ok(four && four.at >= Date.parse(MONDAY_8AM_SHANGHAI) + 3600_000, 'a number blocked for an hour is called after the hour');
    const stored = await allContacts(db.store, 'task-1');
    assert.equal(stored.find((c) => c.customerId === 'one-number')?.result?.code, 'blocked');
    assert.equal(stored.find((c) => c.customerId === 'two-numbers')?.result?.code, 'answered');
  });

  it('keeps to the state rules, and every refusal says what the state allows', async function () {
    const outside = settingsWith({ hours: { regular: [{ start: '00:00', end: '00:00' }], special: [], allocated: [] } });
    await db.store.importContacts('task-1', contacts(outside, [{ customerId: 'a', numbers: [{ number: '+8613800000001' }] }, { customerId: 'b', numbers: [{ number: '+8613800000002' }] }]), clock.now());
    const { dialer: d } = dialer(outside);
    await d.start();
    assert.equal(d.state, 'draft');
    await assert.rejects(d.operate('suspend'), /suspend is not allowed: the task is draft, which allows edit, start, delete, load/);
    await assert.rejects(d.operate('resume'), /resume is not allowed: the task is draft/);
    await d.operate('start');
    assert.equal(d.allows('load'), false, 'contacts are loaded only into a draft');
    await assert.rejects(d.operate('start'), /start is not allowed: the task is running, which allows suspend, stop/);
    await assert.rejects(d.operate('delete'), /delete is not allowed: the task is running/);
    await d.operate('suspend');
    await assert.rejects(d.operate('suspend'), /suspend is not allowed: the task is suspended, which allows edit, resume, stop/);
    await d.operate('resume');
    await d.operate('stop');
    await assert.rejects(d.operate('resume'), /resume is not allowed: the task is stopped, which allows nothing/);
    assert.deepEqual(
      (await allContacts(db.store, 'task-1')).map((c) => c.result?.code),
      ['task-stopped', 'task-stopped'],
      'stopping a task gives the contacts not called their final result',
    );
    const doc = await db.store.getDocument('campaign', 'task-1');
    assert.equal((doc?.value as { state: string }).state, 'stopped');
  });

  it('completes when the end time passes, and does not dial after it', async function () {
    const settings = settingsWith({ endAt: '2026-11-23T10:00', intervalSec: 60, callsAtATime: 1 });
    pbx.setDefault({ outcome: 'busy' });
    const s = { ...settings, policy: { ...settings.policy, rule: { ...settings.policy.rule, maxPerDay: 100, intervalSec: 60 } } };
    await db.store.importContacts('task-1', contacts(s, [{ customerId: 'a', numbers: [{ number: '+8613800000001' }] }]), clock.now());
    const { dialer: d } = dialer(s);
    await d.start();
    await d.operate('start');
    await clock.advance(5 * 3600_000);
    assert.equal(d.state, 'completed');
    for (const o of pbx.originated) assert.ok(o.at < Date.parse('2026-11-23T02:00:00Z'));
    const stored = await allContacts(db.store, 'task-1');
    assert.deepEqual(
      stored.map((c) => [c.customerId, c.state, c.result?.code]),
      [['a', 'done', 'task-ended']],
      'a contact still waiting for a retry gets its one final result when the task ends',
    );
  });

  it('dials only contacts that pass the data-attribute filter, rotating the caller numbers', async function () {
    const settings = settingsWith({
      callerNumbers: ['+861058000001', '+861058000002'],
      filter: { join: 'or', conditions: [{ attr: 'city', op: 'eq', value: 'Beijing' }, { attr: 'vip', op: 'eq', value: true }] },
      intervalSec: 1,
      callsAtATime: 10,
    });
    pbx.setDefault({ outcome: 'answer', ringMs: 1000, talkMs: 1000 });
    await db.store.importContacts(
      'task-1',
      contacts(settings, [
        { customerId: 'bj', numbers: [{ number: '+8613800000001' }], attrs: { city: 'Beijing' } },
        { customerId: 'sh', numbers: [{ number: '+8613800000002' }], attrs: { city: 'Shanghai' } },
        { customerId: 'vip', numbers: [{ number: '+8613800000003' }], attrs: { city: 'Shanghai', vip: true } },
        { customerId: 'none', numbers: [{ number: '+8613800000004' }] },
      ]),
      clock.now(),
    );
    const { dialer: d } = dialer(settings);
    await d.start();
    await d.operate('start');
    await clock.advance(60_000);
    assert.deepEqual(pbx.originated.map((o) => o.number).sort(), ['+8613800000001', '+8613800000003']);
    assert.deepEqual(pbx.originated.map((o) => o.callerId), ['+861058000001', '+861058000002'], 'caller numbers in rotation');
    const stored = await allContacts(db.store, 'task-1');
    assert.deepEqual(
      stored.map((c) => [c.customerId, c.result?.code, c.attempts.length]),
      [
        ['bj', 'answered', 1],
        ['sh', 'filtered-out', 0],
        ['vip', 'answered', 1],
        ['none', 'filtered-out', 0],
      ],
    );
  });

  it('dials only what the connection may dial: a number its allowlist does not allow is not dialed, and the log says why', async function () {
    const settings = settingsWith({ intervalSec: 1, callsAtATime: 10 });
    pbx.setDefault({ outcome: 'answer', ringMs: 1000, talkMs: 1000 });
    await db.store.importContacts(
      'task-1',
      contacts(settings, [
        { customerId: 'uk', numbers: [{ number: '+442071234567' }] },
        { customerId: 'premium', numbers: [{ number: '+19005550100' }] },
      ]),
      clock.now(),
    );
    const log = new MemoryLogger();
    const { dialer: d } = dialer(settings, { destinations: new DialAllowlist('PJSIP/+44*@trunk'), log });
    await d.start();
    await d.operate('start');
    await clock.advance(60_000);
    assert.deepEqual(pbx.originated.map((o) => o.number), ['+442071234567'], 'only the allowed number reached Asterisk');
    const premium = (await allContacts(db.store, 'task-1')).find((c) => c.customerId === 'premium');
    assert.ok(premium && premium.attempts.length > 0 && premium.attempts.every((a) => a.outcome === 'originate-failed'), JSON.stringify(premium?.attempts));
    assert.ok(
      log.lines.some((l) => l === "warn campaign test task: originating to +19005550100 failed: dialString: PJSIP/+19005550100@trunk is not on this connection's dial allowlist (PJSIP/+44*@trunk)"),
      log.lines.join('\n'),
    );
  });

  it('posts a callback on connect and on release of each call, with the specification fields', async function () {
    const settings = settingsWith({ intervalSec: 1, callsAtATime: 5 });
    pbx.setNumber('+8613800000001', { outcome: 'answer', ringMs: 1000, talkMs: 2000 });
    pbx.setNumber('+8613800000002', { outcome: 'busy' });
    const s = { ...settings, policy: { ...settings.policy, nonRetry: ['busy'] } };
    await db.store.importContacts(
      'task-1',
      contacts(s, [
        { customerId: 'answers', numbers: [{ number: '+8613800000001' }], custom: { order: 'A-1' } },
        { customerId: 'busy', numbers: [{ number: '+8613800000002' }] },
      ]),
      clock.now(),
    );
    const sent: { event: string; payload: Record<string, string> }[] = [];
    const callback = { send: (event: string, payload: Record<string, string>) => sent.push({ event, payload }) };
    const made = makeDialer({ settings: s, store: db.store, view: pbx.view(), clock, callback: callback as never });
    dialers.push(made.dialer);
    await made.dialer.start();
    await made.dialer.operate('start');
    await clock.advance(60_000);
    const events = sent.map((e) => `${e.payload.dataId}:${e.event}:${e.payload.failCode}`).sort();
    assert.deepEqual(events, ['answers:connect:', 'answers:release:', 'busy:release:busy']);
    const connect = sent.find((e) => e.event === 'connect')?.payload;
    assert.deepEqual(Object.keys(connect ?? {}).sort(), ['beginTime', 'callId', 'calledNo', 'customFiled', 'dataId', 'failCode', 'filePath', 'sessionId', 'taskId', 'vdnId']);
    assert.equal(connect?.calledNo, '+8613800000001');
    assert.equal(connect?.taskId, 'task-1');
    assert.equal(connect?.customFiled, '{"order":"A-1"}');
  });

  it('re-checks the retry rule at dial time: a retry pushed out of the calling hours does not run past max attempt days', async function () {
    const settings = settingsWith({
      hours: { regular: [{ start: '09:00', end: '09:02' }], special: [], allocated: [] },
      intervalSec: 1,
      callsAtATime: 1,
      policy: { mode: 'global', rule: { byCause: false, maxDays: 1, maxPerDay: 3, intervalSec: 60, causes: [] }, types: [], nonRetry: [] },
    });
    pbx.setDefault({ outcome: 'busy', ringMs: 500 });
    await db.store.importContacts('task-1', contacts(settings, [{ customerId: 'a', numbers: [{ number: '+8613800000001' }] }]), clock.now());
    const { dialer: d } = dialer(settings);
    await d.start();
    await d.operate('start');
    await clock.advance(3 * 24 * 3600_000);
    const at = pbx.originated.map((o) => new Date(o.at).toISOString().slice(0, 16));
    assert.deepEqual(at, ['2026-11-23T01:00', '2026-11-23T01:01'], 'two attempts fit in Monday 09:00-09:02; the third would be on Tuesday, past max attempt days');
    const [c] = await allContacts(db.store, 'task-1');
    assert.equal(c?.state, 'done');
    assert.equal(c?.result?.code, 'busy');
  });
});
