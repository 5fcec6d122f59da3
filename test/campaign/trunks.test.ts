/**
 * A task over several Asterisk connections (a trunk group, trunks.ts): the
 * rule that picks each call's connection, and the dialer on a manual clock
 * against two fake Asterisks and a real embedded store: the split by limit
 * and weight, caller numbers bound per connection, a connection down (its
 * calls resolved when it returns, the others take the new calls, nobody
 * dialed twice), every connection down (the task waits, no contact
 * consumed), and a restart that asks each call's own connection about it.
 */
import assert from 'node:assert/strict';
import { ManualClock } from '../../lib/campaign/clock';
import { Coordinator } from '../../lib/campaign/coordinator';
import type { Dialer } from '../../lib/campaign/dialer';
import { rankOf } from '../../lib/campaign/order';
import { TrunkGroup, type Trunk } from '../../lib/campaign/trunks';
import type { ConnectionStatus } from '../../lib/ari/port';
import { checkCampaign, trunkSettings, type CampaignSettings } from '../../lib/schemas/campaign';
import { allContacts } from '../support/campaign-runtime';
import { FakeAsterisk, makeDialer, recorder, settingsWith, tempStore, type View } from './support';

const MONDAY_NOON_SHANGHAI = '2026-11-23T04:00:00Z';
const UP: ConnectionStatus = { state: 'connected', message: 'up', attempt: 0 };
const DOWN: ConnectionStatus = { state: 'reconnecting', message: 'the events WebSocket closed', attempt: 1 };

/** A trunk of the rule's tests: only its status and pool matter. */
function trunk(id: string, options: { limit: number; maxCalls?: number; weight?: number; inUse?: () => number; status?: ConnectionStatus; callerNumbers?: string[] }): Trunk {
  const telephony = { status: options.status ?? UP } as unknown as Trunk['telephony'];
  return { id, name: id, telephony, calls: {} as Trunk['calls'], pool: { limit: options.limit, inUse: options.inUse ?? (() => 0) }, maxCalls: options.maxCalls ?? 0, weight: options.weight ?? 1, callerNumbers: options.callerNumbers ?? [] };
}

function spread(picks: Trunk[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of picks) out[p.id] = (out[p.id] ?? 0) + 1;
  return out;
}

describe('trunk group: which connection carries a call', function () {
  it('spreads calls in proportion to the limits with equal weights, and never beyond a limit', function () {
    const g = new TrunkGroup([trunk('a', { limit: 30 }), trunk('b', { limit: 20 })], new Coordinator(), []);
    assert.deepEqual(spread(g.assign(10)), { a: 6, b: 4 });
    assert.deepEqual(spread(g.assign(50)), { a: 30, b: 20 });
    assert.equal(g.assign(60).length, 50, 'no more than the limits together');
    assert.equal(g.room(), 50);
  });

  it('gives a connection of weight 2 twice the share', function () {
    const g = new TrunkGroup([trunk('a', { limit: 20, weight: 1 }), trunk('b', { limit: 20, weight: 2 })], new Coordinator(), []);
    assert.deepEqual(spread(g.assign(12)), { a: 4, b: 8 });
  });

  it("counts the task's calls already on each connection, and the connection's other calls", function () {
    const g = new TrunkGroup([trunk('a', { limit: 10, maxCalls: 10 }), trunk('b', { limit: 10, inUse: () => 6 })], new Coordinator(), []);
    for (let i = 0; i < 2; i += 1) g.started('a');
    // a: 2 of 10 busy (this task), b: 6 of 10 busy (other calls): a takes calls until it is as busy as b.
    assert.deepEqual(spread(g.assign(4)), { a: 4 });
    assert.deepEqual(spread(g.assign(6)), { a: 5, b: 1 });
    assert.equal(g.free(g.trunks[1] as Trunk), 4);
  });

  it("keeps to the task's maxCalls on a connection, and to the connection's own limit below it", function () {
    const g = new TrunkGroup([trunk('a', { limit: 100, maxCalls: 5 }), trunk('b', { limit: 3, maxCalls: 50 })], new Coordinator(), []);
    assert.equal(g.limit(g.trunks[0] as Trunk), 5);
    assert.equal(g.limit(g.trunks[1] as Trunk), 3);
    assert.deepEqual(spread(g.assign(20)), { a: 5, b: 3 });
  });

  it('gives no call to a connection that is not connected, and ties to the one listed first', function () {
    const g = new TrunkGroup([trunk('a', { limit: 10, status: DOWN }), trunk('b', { limit: 10 }), trunk('c', { limit: 10 })], new Coordinator(), []);
    assert.deepEqual(spread(g.assign(3)), { b: 2, c: 1 });
    assert.equal(g.allDown(), false);
    const down = new TrunkGroup([trunk('a', { limit: 10, status: DOWN }), trunk('b', { limit: 10, status: { ...DOWN, state: 'replaced' } })], new Coordinator(), []);
    assert.equal(down.allDown(), true);
    assert.equal(down.room(), 0);
    assert.deepEqual(down.assign(3), []);
  });

  it("rotates a connection's own caller numbers on it, and the task's on the others", function () {
    const g = new TrunkGroup([trunk('a', { limit: 10, callerNumbers: ['+100', '+101'] }), trunk('b', { limit: 10 })], new Coordinator(), ['+900', '+901']);
    const [a, b] = g.trunks as [Trunk, Trunk];
    assert.deepEqual([g.nextCaller(a), g.nextCaller(b), g.nextCaller(a), g.nextCaller(b), g.nextCaller(a)], ['+100', '+900', '+101', '+901', '+100']);
  });
});

describe('trunk group settings', function () {
  const base = { name: 't', connection: 'ast-a', store: 's', callerNumbers: ['+861058000000'] };

  it('keeps a task of one connection as it was (no trunk group)', function () {
    const r = checkCampaign(base);
    assert.ok(r.ok);
    assert.deepEqual(r.value.connections, []);
    assert.deepEqual(trunkSettings(r.value), [{ connection: 'ast-a', maxCalls: 0, weight: 1, callerNumbers: [] }]);
  });

  const row = (connection: string, more: Record<string, unknown> = {}) => ({ connection, maxCalls: 0, weight: 1, callerNumbers: [], ...more });

  it('takes a list of connections with limits, weights and caller numbers', function () {
    const r = checkCampaign({ ...base, connections: [row('ast-a', { maxCalls: 30 }), row('ast-b', { weight: 2, callerNumbers: ['+4930123'] })] });
    assert.ok(r.ok, r.ok ? '' : r.problems.join('; '));
    assert.deepEqual(r.value.connections, [
      { connection: 'ast-a', maxCalls: 30, weight: 1, callerNumbers: [] },
      { connection: 'ast-b', maxCalls: 0, weight: 2, callerNumbers: ['+4930123'] },
    ]);
  });

  it('refuses a connection listed twice, a list without the task connection, and bad values, naming the field and value', function () {
    const twice = checkCampaign({ ...base, connections: [row('ast-a'), row('ast-a')] });
    assert.ok(!twice.ok);
    assert.match(twice.problems.join('; '), /connections\.1\.connection: each connection once \(ast-a is there twice\)/);
    const without = checkCampaign({ ...base, connections: [row('ast-b')] });
    assert.ok(!without.ok);
    assert.match(without.problems.join('; '), /connections: the task's connection \(ast-a\) must be one of its connections/);
    const bad = checkCampaign({ ...base, connections: [row('ast-a', { weight: 0, maxCalls: -1, callerNumbers: ['12;3'] })] });
    const missing = checkCampaign({ ...base, connections: [{ connection: 'ast-a' }] });
    assert.ok(!missing.ok, 'a row of the list has every field (the form always writes them)');
    assert.ok(!bad.ok);
    const text = bad.problems.join('; ');
    assert.match(text, /connections\/0\/weight|connections\.0\.weight/);
    assert.match(text, /maxCalls/);
    assert.match(text, /callerNumbers/);
  });
});

describe('campaign dialer over two Asterisk connections (manual clock, fake Asterisks)', function () {
  let db: Awaited<ReturnType<typeof tempStore>>;
  let clock: ManualClock;
  let pbxA: FakeAsterisk;
  let pbxB: FakeAsterisk;
  let a: View;
  let b: View;
  const dialers: Dialer[] = [];

  beforeEach(async function () {
    db = await tempStore();
    clock = new ManualClock(MONDAY_NOON_SHANGHAI);
    pbxA = new FakeAsterisk(clock);
    pbxB = new FakeAsterisk(clock);
    a = pbxA.view('ast-a');
    b = pbxB.view('ast-b');
  });

  afterEach(async function () {
    for (const d of dialers.splice(0)) await d.close(0);
    await db.cleanup();
  });

  function trunkOf(view: View, setting: { maxCalls?: number; weight?: number; callerNumbers?: string[]; limit?: number }): Trunk {
    return { id: view.connection, name: view.connection, telephony: view, calls: view, pool: { limit: setting.limit ?? 1000, inUse: () => view.sessions.size }, maxCalls: setting.maxCalls ?? 0, weight: setting.weight ?? 1, callerNumbers: setting.callerNumbers ?? [] };
  }

  function twoTrunks(settings: CampaignSettings, setA: Parameters<typeof trunkOf>[1], setB: Parameters<typeof trunkOf>[1], id = 'task-1') {
    const hooks = recorder();
    const made = makeDialer({ id, settings, store: db.store, view: a, clock, hooks, trunks: [trunkOf(a, setA), trunkOf(b, setB)] });
    dialers.push(made.dialer);
    return made;
  }

  async function load(settings: CampaignSettings, count: number, id = 'task-1'): Promise<void> {
    const rows = Array.from({ length: count }, (_, i) => ({ customerId: `c${i}`, numbers: [{ number: `+86139${String(i).padStart(8, '0')}` }] }));
    await db.store.importContacts(id, rows.map((r) => ({ ...r, rank: rankOf(r, settings.order) })), clock.now());
  }

  /** No number was called on one Asterisk while a call to it was up or ringing on the other, nor twice on one. */
  function neverTwiceAtOnce(): void {
    assert.deepEqual([...pbxA.dialedTwiceAtOnce, ...pbxB.dialedTwiceAtOnce], []);
  }

  const settings = (changes: Record<string, unknown> = {}): CampaignSettings =>
    settingsWith({ connection: 'ast-a', intervalSec: 1, maxResponseSec: 30, policy: { mode: 'global', rule: { byCause: false, maxDays: 1, maxPerDay: 5, intervalSec: 1, causes: [] }, types: [], nonRetry: [] }, ...changes });

  it('splits the calls at a time by limit and weight, records the connection of each attempt, and uses the caller numbers bound to each', async function () {
    const s = settings({ callsAtATime: 10 });
    // Every customer talks for a minute: the first tick fills both connections.
    pbxA.setDefault({ outcome: 'answer', ringMs: 1000, talkMs: 60_000 });
    pbxB.setDefault({ outcome: 'answer', ringMs: 1000, talkMs: 60_000 });
    await load(s, 30);
    const { dialer: d, hooks } = twoTrunks(s, { maxCalls: 6, callerNumbers: ['+861058000001'] }, { maxCalls: 8, weight: 1, callerNumbers: ['+861058000002', '+861058000003'] });
    await d.start();
    await d.operate('start');
    await clock.advance(5000);
    // 6 + 8 channels, 10 calls at a time a second: a holds 6 calls, b 8 (room 14 after two ticks), shares of the limits.
    assert.equal(pbxA.originated.length, 6);
    assert.equal(pbxB.originated.length, 8);
    assert.deepEqual([...new Set(pbxA.originated.map((o) => o.callerId))], ['+861058000001']);
    assert.deepEqual([...new Set(pbxB.originated.map((o) => o.callerId))].sort(), ['+861058000002', '+861058000003']);
    const status = d.status();
    assert.deepEqual(status.trunks?.map((l) => [l.name, l.active, l.limit, l.state]), [['ast-a', 6, 6, 'connected'], ['ast-b', 8, 8, 'connected']]);
    assert.ok(hooks.statuses.some((st) => st.trunks?.[0]?.active === 6), 'the spread was told to the status listeners');
    await clock.advance(10 * 60_000);
    const stored = await allContacts(db.store, 'task-1');
    assert.ok(stored.every((c) => c.state === 'done' && c.result?.code === 'answered'));
    const onA = new Set(pbxA.originated.map((o) => o.channelId));
    for (const c of stored) {
      const [attempt] = c.attempts;
      assert.ok(attempt);
      assert.equal(attempt.connection, onA.has(attempt.callId ?? '') ? 'ast-a' : 'ast-b', `customer ${c.customerId}: the attempt names the connection that carried it`);
    }
    assert.equal(pbxA.originated.length + pbxB.originated.length, 30, 'each customer dialed once');
    neverTwiceAtOnce();
  });

  it('sends new calls to the other connection while one is down, resolves its calls when it returns (lost, retried), and dials through it again', async function () {
    const s = settings({ callsAtATime: 4 });
    pbxA.setDefault({ outcome: 'answer', ringMs: 1000, talkMs: 20_000 });
    // b's first calls still talk when it comes back (b's own Asterisk keeps them while nobody listens).
    pbxB.setDefault({ outcome: 'answer', ringMs: 1000, talkMs: 10 * 60_000 });
    await load(s, 40);
    const { dialer: d } = twoTrunks(s, { maxCalls: 4 }, { maxCalls: 4 });
    await d.start();
    await d.operate('start');
    await clock.advance(1500);
    const onBBefore = pbxB.originated.length;
    assert.ok(onBBefore > 0, 'b carries calls before its fault');
    const inFlightOnB = [...pbxB.channels.keys()];
    // b's events WebSocket drops: its calls go on on Asterisk b, unheard.
    b.status = DOWN;
    await clock.advance(30_000);
    assert.equal(pbxB.originated.length, onBBefore, 'no call goes to a connection that is down');
    assert.ok(pbxA.originated.length > 4, 'a takes the new calls');
    assert.deepEqual(d.status().trunks?.map((l) => l.state), ['connected', 'reconnecting']);
    // The attempts on b stay in flight meanwhile: not resolved, not dialed elsewhere.
    for (const c of await allContacts(db.store, 'task-1')) {
      const inflight = (c.progress as { inflight?: { channelId: string; connection?: string } }).inflight;
      if (inflight && inFlightOnB.includes(inflight.channelId)) assert.equal(inflight.connection, 'ast-b');
    }
    // b comes back without its channels (reconciliation says so): each of its calls is lost and retried.
    b.status = UP;
    pbxB.setDefault({ outcome: 'answer', ringMs: 1000, talkMs: 20_000 });
    const lost = pbxB.lose('connection-lost', b);
    assert.equal(lost.length, onBBefore, 'the calls b had when it went down');
    await clock.advance(5000);
    assert.ok(pbxB.originated.length > onBBefore, 'b takes calls again once it is back');
    await clock.advance(20 * 60_000);
    const stored = await allContacts(db.store, 'task-1');
    assert.ok(stored.every((c) => c.state === 'done' && c.result?.code === 'answered'), 'every customer reached in the end');
    const lostAttempts = stored.flatMap((c) => c.attempts.filter((t) => t.outcome === 'lost'));
    assert.deepEqual(lostAttempts.map((t) => t.callId).sort(), [...lost].sort(), 'the calls b lost, and only those, are lost attempts');
    assert.ok(lostAttempts.every((t) => t.connection === 'ast-b' && t.why === 'connection-lost'));
    // Each lost customer was called again (a new attempt, a new channel), never two calls to one customer at once.
    for (const c of stored.filter((x) => x.attempts.some((t) => t.outcome === 'lost'))) assert.equal(c.attempts.at(-1)?.outcome, 'answered');
    neverTwiceAtOnce();
  });

  it('waits while every connection is down: no contact is claimed or consumed, and the status says so', async function () {
    const s = settings({ callsAtATime: 2 });
    await load(s, 6);
    a.status = DOWN;
    b.status = { ...DOWN, state: 'replaced', message: 'another client took the application' };
    const { dialer: d } = twoTrunks(s, {}, {});
    await d.start();
    await d.operate('start');
    await clock.advance(20_000);
    assert.equal(pbxA.originated.length + pbxB.originated.length, 0);
    const status = d.status();
    assert.equal(status.idle, 'connection-down');
    assert.match(status.idleDetail ?? '', /ast-a: the events WebSocket closed; ast-b: another client took the application/);
    assert.deepEqual(status.trunks?.map((l) => l.state), ['reconnecting', 'replaced']);
    const counts = await db.store.countContacts('task-1', clock.now());
    assert.equal(counts.dueNow, 6, 'every contact still due');
    assert.ok((await allContacts(db.store, 'task-1')).every((c) => c.attempts.length === 0 && c.state === 'due'));
    a.status = UP;
    await clock.advance(10_000);
    assert.ok(pbxA.originated.length > 0, 'dials again once a connection is up');
    assert.equal(pbxB.originated.length, 0);
  });

  it("after a restart asks each call's own connection about it, and no other", async function () {
    const s = settings({ callsAtATime: 4 });
    pbxA.setDefault({ outcome: 'answer', ringMs: 1000, talkMs: 60_000 });
    pbxB.setDefault({ outcome: 'answer', ringMs: 1000, talkMs: 60_000 });
    await load(s, 4);
    const first = twoTrunks(s, { maxCalls: 2 }, { maxCalls: 2 });
    await first.dialer.start();
    await first.dialer.operate('start');
    await clock.advance(2000);
    assert.equal(pbxA.channels.size, 2);
    assert.equal(pbxB.channels.size, 2);
    // The process dies with four calls up; a new one (same worker) starts on new connections to the same Asterisks.
    a.kill();
    b.kill();
    await first.dialer.close(0);
    dialers.splice(dialers.indexOf(first.dialer), 1);
    a = pbxA.view('ast-a');
    b = pbxB.view('ast-b');
    const askedA: string[] = [];
    const askedB: string[] = [];
    const getA = a.getChannel.bind(a);
    const getB = b.getChannel.bind(b);
    a.getChannel = (id: string) => (askedA.push(id), getA(id));
    b.getChannel = (id: string) => (askedB.push(id), getB(id));
    const second = twoTrunks(s, { maxCalls: 2 }, { maxCalls: 2 });
    await second.dialer.start();
    await clock.advance(1000);
    assert.deepEqual(askedA.sort(), [...pbxA.channels.keys()].sort(), 'a is asked about its own calls');
    assert.deepEqual(askedB.sort(), [...pbxB.channels.keys()].sort(), 'b is asked about its own calls');
    assert.equal(second.hooks.answeredCalls.length, 4, 'the four calls go on in the flow');
    assert.deepEqual(second.hooks.answeredCalls.map((c) => c.session.connection).sort(), ['ast-a', 'ast-a', 'ast-b', 'ast-b']);
    assert.equal(second.dialer.status().active, 4);
    await clock.advance(2 * 60_000);
    const stored = await allContacts(db.store, 'task-1');
    assert.ok(stored.every((c) => c.attempts.length === 1 && c.attempts[0]?.outcome === 'answered'), 'none dialed again');
  });
});
