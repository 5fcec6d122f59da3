/**
 * The adapter's requests in flight and its event dispatch, as issue 14
 * reshaped them for cost: one deadline sweep per connection (not a timer per
 * request), one abort listener per signal (not per request), no parsing of
 * answers nobody reads, and events handed to listeners without copying them.
 * Each test checks the behaviour a user relies on and the structure (timers,
 * listeners, parses counted), never the time anything took.
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { unwatchAbort, watchAbort, watchingAbort, type AbortTarget } from '../../lib/ari/abort-listeners';
import { AriConnection } from '../../lib/ari/connection';
import { DeadlineSweep, type Expiring, type SweepClock } from '../../lib/ari/deadlines';
import { AriError, CancelledError } from '../../lib/ari/errors';
import type { TelephonyEvent } from '../../lib/ari/port';
import type { AriRest } from '../../lib/ari/rest';
import { holdingProxy, type HoldingProxy } from '../support/holding-proxy';
import { startSimulator } from '../../lib/sim';
import { MemoryLogger, inbound, nextEvent, nextState, type Rig } from '../support/telephony';

/** Reading a channel variable (GET .../variable) is the request these tests hold. */
const isGetVariable = (req: { method?: string; url?: string }): boolean => req.method === 'GET' && /\/ari\/channels\/[^/]+\/variable\?/.test(req.url ?? '');

/** The adapter's REST side in use now (private: tests look at its requests in flight). */
const restOf = (conn: AriConnection): AriRest => (conn as unknown as { rest: AriRest }).rest;

/** Timers that keep the process alive. */
const liveTimers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('ARI requests in flight and event dispatch', function () {
  let r: Rig;
  let proxy: HoldingProxy;
  /** The simulator, the holding proxy in front of it, and a connection through the proxy, reconciled. */
  async function start(requestTimeoutMs: number): Promise<void> {
    const sim = await startSimulator({ speed: 500 });
    const p = await holdingProxy(sim.url, isGetVariable);
    proxy = p;
    const log = new MemoryLogger();
    const conn = new AriConnection({ url: p.url, username: sim.username, password: sim.password, app: 'callflow', logger: log, backoff: { initialMs: 20, maxMs: 100 }, requestTimeoutMs });
    const reconciled = new Promise<void>((resolve) => conn.onReconciled(() => resolve()));
    conn.start();
    await conn.whenConnected(AbortSignal.timeout(5000));
    await reconciled;
    r = {
      sim,
      conn,
      log,
      close: async () => {
        await conn.close();
        await p.close();
        await sim.close();
      },
    };
  }
  afterEach(async function () {
    await r.close();
  });

  it('fails a request Asterisk does not answer after the timeout, with the same error as before, and sets no timer per request', async function () {
    await start(300);
    const id = await inbound(r);
    const before = liveTimers();
    const reads = Array.from({ length: 20 }, (_, i) => r.conn.getVariable(id, `V${i}`));
    await proxy.untilHeld(20);
    // One deadline sweep for the connection, not twenty timers (and it does not keep the process alive).
    assert.equal(liveTimers() - before, 0);
    assert.deepEqual(restOf(r.conn).inFlight, { requests: 20, timer: true });
    for (const read of reads) {
      await assert.rejects(read, (err: AriError) => {
        assert.ok(err instanceof AriError);
        assert.equal(err.kind, 'not-connected');
        assert.equal(err.message, 'channels.getChannelVar: no answer from Asterisk within 300 ms');
        return true;
      });
    }
    // Each expired request was dropped (its socket closed), and nothing is left waiting.
    await Promise.all(proxy.held.map((h) => h.closed));
    assert.deepEqual(proxy.held.map((h) => h.dropped), Array(20).fill(true));
    assert.deepEqual(restOf(r.conn).inFlight, { requests: 0, timer: false });
    // The connection still works.
    await r.conn.setVariable(id, 'AFTER', 'yes');
    assert.equal(r.sim.call(id).report().variables.AFTER, 'yes');
  });

  it('gives a call\'s requests one abort listener; an abort settles each once with its reason and drops it', async function () {
    await start(60_000);
    const id = await inbound(r);
    const call = new AbortController();
    // A request answered under the signal leaves nothing waiting on it.
    await r.conn.answer(id, call.signal);
    assert.equal(watchingAbort(call.signal), 0);
    const reads = Array.from({ length: 10 }, (_, i) => r.conn.getVariable(id, `V${i}`, call.signal));
    await proxy.untilHeld(10);
    assert.equal(getEventListeners(call.signal, 'abort').length, 1);
    assert.equal(watchingAbort(call.signal), 10);
    const reason = new CancelledError('the step ended');
    call.abort(reason);
    const outcomes = await Promise.allSettled(reads);
    assert.deepEqual(
      outcomes.map((o): unknown => (o.status === 'rejected' ? o.reason : o.value)),
      Array(10).fill(reason),
    );
    await Promise.all(proxy.held.map((h) => h.closed));
    assert.deepEqual(proxy.held.map((h) => h.dropped), Array(10).fill(true));
    assert.equal(getEventListeners(call.signal, 'abort').length, 0);
    // (The sweep's timer fires at the first deadline, finds nothing due, and is not armed again.)
    assert.equal(restOf(r.conn).inFlight.requests, 0);
  });

  it('settles every request in flight at once when the connection closes, and leaves no timer', async function () {
    // An hour: the requests must not be waiting for their timeout.
    await start(3_600_000);
    const id = await inbound(r);
    const rest = restOf(r.conn);
    const reads = Array.from({ length: 5 }, (_, i) => r.conn.getVariable(id, `V${i}`));
    await proxy.untilHeld(5);
    const outcomes = Promise.allSettled(reads);
    await r.conn.close();
    for (const outcome of await outcomes) {
      assert.equal(outcome.status, 'rejected');
      const err = (outcome).reason as AriError;
      assert.equal(err.kind, 'not-connected');
      assert.equal(err.message, 'channels.getChannelVar: the connection to Asterisk closed before it answered');
    }
    assert.deepEqual(rest.inFlight, { requests: 0, timer: false });
    await Promise.all(proxy.held.map((h) => h.closed));
    // Not sent again after the close (a kept-alive socket's reset is retried, a closed connection's is not).
    assert.equal(proxy.held.length, 5);
  });

  it('lets the requests of a connection that was taken over finish on it, each sent once', async function () {
    await start(3_600_000);
    const id = await inbound(r);
    await r.conn.setVariable(id, 'KEPT', 'still here');
    const old = restOf(r.conn);
    const read = r.conn.getVariable(id, 'KEPT');
    await proxy.untilHeld(1);
    const reconciled = new Promise<void>((resolve) => r.conn.onReconciled(() => resolve()));
    r.sim.dropWebSockets();
    await nextState(r.conn, 'reconnecting');
    await reconciled;
    assert.notEqual(restOf(r.conn), old);
    // The old REST side takes no new request, but what it sent still gets Asterisk's answer.
    assert.deepEqual(old.inFlight, { requests: 1, timer: true });
    proxy.held[0]?.release();
    assert.equal(await read, 'still here');
    assert.equal(proxy.held.length, 1);
    assert.deepEqual(old.inFlight, { requests: 0, timer: false });
  });

  it('closing the connection also settles what a taken-over REST side still waits for', async function () {
    await start(3_600_000);
    const id = await inbound(r);
    const old = restOf(r.conn);
    const read = r.conn.getVariable(id, 'KEPT');
    const outcome = read.then(
      () => 'answered',
      (err: AriError) => err.message,
    );
    await proxy.untilHeld(1);
    const reconciled = new Promise<void>((resolve) => r.conn.onReconciled(() => resolve()));
    r.sim.dropWebSockets();
    await nextState(r.conn, 'reconnecting');
    await reconciled;
    await r.conn.close();
    assert.equal(await outcome, 'channels.getChannelVar: the connection to Asterisk closed before it answered');
    assert.deepEqual(old.inFlight, { requests: 0, timer: false });
  });

  it('does not parse the answer of a request nobody reads (a playback\'s first state), and still reads an error\'s message', async function () {
    await start(60_000);
    const id = await inbound(r);
    await r.conn.answer(id);
    // Count the parses of the playback's own answer (events about it carry a type; the answer does not).
    const parse = JSON.parse;
    let answersParsed = 0;
    JSON.parse = function countingParse(text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown): unknown {
      const value = parse(text, reviver) as { id?: unknown; type?: unknown } | null;
      if (value && typeof value === 'object' && value.id === 'p-unread' && value.type === undefined) answersParsed += 1;
      return value;
    } as typeof JSON.parse;
    try {
      const outcome = await r.conn.play({ channelId: id }, ['sound:hello-world'], { playbackId: 'p-unread' });
      assert.deepEqual(outcome, { playbackId: 'p-unread', state: 'done', stopped: false });
    } finally {
      JSON.parse = parse;
    }
    assert.equal(answersParsed, 0);
    // An error's body is read: its message says what went wrong.
    await assert.rejects(r.conn.play({ channelId: 'no-such-channel' }, ['sound:hello-world']), (err: AriError) => {
      assert.equal(err.kind, 'not-found');
      assert.match(err.message, /^channels\.playWithId: Channel not found$/i);
      return true;
    });
  });

  it('hands an event to the listeners there were when it arrived, without building a set or copying them per event', async function () {
    await start(60_000);
    const id = await inbound(r);
    const seen: string[] = [];
    const late = (e: TelephonyEvent): void => void seen.push(`late ${e.type}`);
    let offSecond: () => void = () => undefined;
    // The first listener removes the second and adds a third, during the event.
    const offFirst = r.conn.watchChannel(id, (e) => {
      seen.push(`first ${e.type}`);
      offSecond();
      r.conn.watchChannel(id, late);
    });
    offSecond = r.conn.watchChannel(id, (e) => void seen.push(`second ${e.type}`));
    const dispatch = (event: TelephonyEvent): void => (r.conn as unknown as { dispatch(e: TelephonyEvent): void }).dispatch(event);
    const RealSet = globalThis.Set;
    let sets = 0;
    globalThis.Set = class CountingSet<T> extends RealSet<T> {
      constructor(values?: Iterable<T> | null) {
        super(values);
        sets += 1;
      }
    };
    try {
      dispatch({ type: 'ChannelVarset', variable: 'A', value: '1', channel: { id } } as unknown as TelephonyEvent);
      dispatch({ type: 'ChannelVarset', variable: 'B', value: '2', channel: { id } } as unknown as TelephonyEvent);
    } finally {
      globalThis.Set = RealSet;
    }
    assert.equal(sets, 0);
    // The removed listener still had the event it was removed in; the added one starts with the next.
    assert.deepEqual(seen, ['first ChannelVarset', 'second ChannelVarset', 'first ChannelVarset', 'late ChannelVarset']);
    offFirst();
    // A real event reaches the listener left, once.
    const varset = nextEvent(r.conn, (e) => e.type === 'ChannelVarset');
    await r.conn.setVariable(id, 'C', '3');
    await varset;
    assert.deepEqual(seen.slice(4), ['late ChannelVarset']);
  });
});

describe('abort listeners', function () {
  it('tells the operations still waiting, in the order they joined, through one listener that stays until the abort', function () {
    const controller = new AbortController();
    const { signal } = controller;
    const told: string[] = [];
    const target = (name: string, then?: () => void): AbortTarget => ({
      aborted: (s) => {
        assert.equal(s, signal);
        told.push(name);
        then?.();
      },
    });
    const done = target('done');
    const second = target('second');
    watchAbort(signal, done);
    unwatchAbort(signal, done);
    // The listener stays for the next operation: none added or removed per operation.
    assert.equal(getEventListeners(signal, 'abort').length, 1);
    // The first one told ends the second's operation: the second is then not told.
    watchAbort(signal, target('first', () => unwatchAbort(signal, second)));
    watchAbort(signal, second);
    watchAbort(signal, target('third'));
    assert.equal(watchingAbort(signal), 3);
    assert.equal(getEventListeners(signal, 'abort').length, 1);
    controller.abort();
    assert.deepEqual(told, ['first', 'third']);
    assert.equal(watchingAbort(signal), 0);
    assert.equal(getEventListeners(signal, 'abort').length, 0);
  });
});

describe('deadline sweep', function () {
  /** A clock the test moves, which counts the timers armed. */
  function fakeClock(): SweepClock & { time: number; armed: { fn: () => void; at: number }[]; set: number; advance(ms: number): void } {
    const clock = {
      time: 0,
      set: 0,
      armed: [] as { fn: () => void; at: number }[],
      now: () => clock.time,
      setTimer(fn: () => void, ms: number) {
        clock.set += 1;
        const t = { fn, at: clock.time + ms };
        clock.armed.push(t);
        return t;
      },
      clearTimer(handle: unknown) {
        clock.armed = clock.armed.filter((t) => t !== handle);
      },
      advance(ms: number) {
        const until = clock.time + ms;
        for (;;) {
          const next = clock.armed.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
          if (!next) break;
          clock.armed = clock.armed.filter((t) => t !== next);
          clock.time = next.at;
          next.fn();
        }
        clock.time = until;
      },
    };
    return clock;
  }
  const item = (name: string, expired: string[]): Expiring & { name: string } => ({
    name,
    deadline: 0,
    prev: undefined,
    next: undefined,
    queued: false,
    expire: () => void expired.push(`${name}@${clock.time}`),
  });
  let clock: ReturnType<typeof fakeClock>;
  beforeEach(function () {
    clock = fakeClock();
  });

  it('expires each request at its own deadline, never earlier, with one timer at a time', function () {
    const sweep = new DeadlineSweep(1000, clock);
    const expired: string[] = [];
    const items = Array.from({ length: 100 }, (_, i) => item(`r${i}`, expired));
    for (const [i, it] of items.entries()) {
      clock.time = i * 10;
      sweep.add(it);
    }
    assert.equal(clock.armed.length, 1);
    // Half are answered in time; they leave the queue without touching the timer.
    for (const it of items.filter((_, i) => i % 2 === 0)) sweep.remove(it);
    assert.equal(sweep.size, 50);
    clock.advance(2000);
    assert.deepEqual(expired, items.filter((_, i) => i % 2 === 1).map((it, i) => `${it.name}@${1000 + (2 * i + 1) * 10}`));
    assert.equal(sweep.size, 0);
    assert.equal(sweep.armed, false);
    // One timer per deadline it had to wait for, never one per request added.
    assert.ok(clock.set <= 51, `${clock.set} timers`);
  });

  it('under steady traffic sets about one timer per timeout, however many requests go through', function () {
    const sweep = new DeadlineSweep(1000, clock);
    const expired: string[] = [];
    // 10,000 requests, one every millisecond, each answered 5 ms after it went out.
    const inFlight: Expiring[] = [];
    for (let i = 0; i < 10_000; i += 1) {
      const it = item(`r${i}`, expired);
      sweep.add(it);
      inFlight.push(it);
      if (inFlight.length > 5) sweep.remove(inFlight.shift() as Expiring);
      clock.advance(1);
    }
    assert.deepEqual(expired, []);
    assert.ok(clock.set <= 12, `${clock.set} timers for 10,000 requests over 10 s`);
  });

  it('empties on clear: every request comes back to be settled, and the timer is disarmed', function () {
    const sweep = new DeadlineSweep(1000, clock);
    const expired: string[] = [];
    const items = ['a', 'b', 'c'].map((n) => item(n, expired));
    for (const it of items) sweep.add(it);
    sweep.remove(items[1] as Expiring);
    assert.deepEqual(sweep.clear().map((it) => (it as Expiring & { name: string }).name), ['a', 'c']);
    assert.deepEqual([sweep.size, sweep.armed, clock.armed.length], [0, false, 0]);
    clock.advance(5000);
    assert.deepEqual(expired, []);
    // A request removed twice, or after clear, changes nothing.
    sweep.remove(items[0] as Expiring);
    assert.equal(sweep.size, 0);
  });
});
