/**
 * Attempts written ahead of their dial (lib/campaign/placing.ts), on a
 * manual clock against the fake Asterisk and a real embedded store: what a
 * tick asks of the store and of Asterisk, in order; the crash windows (after the write ahead and before the dial; between the
 * dial and its mark), a suspend with attempts written ahead, the blocklist
 * rule (checked at the write ahead, one tick before the dial), the task's
 * end between the write and the dial, and a tick that comes too late to
 * trust its write ahead.
 */
import assert from 'node:assert/strict';
import { ManualClock } from '../../lib/campaign/clock';
import { Coordinator } from '../../lib/campaign/coordinator';
import type { Dialer } from '../../lib/campaign/dialer';
import { PREPARED_FOR_MS } from '../../lib/campaign/placing';
import type { InFlight } from '../../lib/campaign/policy';
import type { CampaignSettings } from '../../lib/schemas/campaign';
import type { ProgressMark, Store, StoredContact } from '../../lib/store/port';
import { FakeAsterisk, customers, dialerBench, fatesOf, killable, killedBetweenDialAndMark, makeDialer, numberOf, settingsWith } from './support';
import { MemoryLogger } from '../support/telephony';
import { allContacts } from '../support/campaign-runtime';

const MONDAY_8AM_SHANGHAI = '2026-11-23T00:00:00Z';


function inflightOf(c: StoredContact): InFlight | undefined {
  return (c.progress as { inflight?: InFlight }).inflight;
}

/** A manual clock whose time can jump without running the timers due meanwhile: a process that stalled. */
class StallingClock extends ManualClock {
  private stalled = 0;
  override now(): number {
    return super.now() + this.stalled;
  }
  stall(ms: number): void {
    this.stalled += ms;
  }
}

describe('campaign attempts written ahead of their dial (manual bench.clock, fake Asterisk)', function () {
  const bench = dialerBench(MONDAY_8AM_SHANGHAI);

  /** A running task of `n` customers (c0, c1, ... in order), its dialer started. */
  async function running(settings: CampaignSettings, n: number, extra: Partial<Parameters<typeof makeDialer>[0]> = {}): Promise<Dialer> {
    await bench.db.store.importContacts('task-1', customers(settings, n), bench.clock.now());
    const { dialer: d } = bench.dialer(settings, extra);
    await d.start();
    await d.operate('start');
    return d;
  }

  it("sends a tick's originate requests spread over the tick in groups 50 ms apart, with no store call before any of them, its contacts claimed, checked and their attempts written at the tick before", async function () {
    const settings = settingsWith({ intervalSec: 1, callsAtATime: 50, blocklistGroups: ['dnc'], maxResponseSec: 60 });
    // Calls ring for 30 s: no outcome is written while the ticks below run.
    bench.pbx.setDefault({ outcome: 'answer', ringMs: 30_000, talkMs: 1000 });
    await bench.db.store.importContacts('task-1', customers(settings, 300), bench.clock.now());
    // What the dialer asks of the store and of Asterisk, in order, with the time.
    const log: { at: number; what: string; args?: unknown[] }[] = [];
    const store = new Proxy(bench.db.store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          log.push({ at: bench.clock.now(), what: String(key), args });
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const view = bench.pbx.view();
    const originate = view.originate.bind(view);
    view.originate = (request) => {
      log.push({ at: bench.clock.now(), what: 'originate' });
      return originate(request);
    };
    const { dialer: d } = bench.dialer(settings, { store, view });
    await d.start();
    await d.operate('start');
    const t0 = bench.clock.now();
    await bench.clock.advance(3999);
    type Mark = { progress: { inflight: { channelId: string; prewritten?: true } }; number?: string };
    const written = (what: string): boolean => what === 'claimDue' || what === 'markProgressBatch' || what === 'findBlock';
    const channelsAt = new Map<number, string[]>();
    for (const tick of [1000, 2000, 3000]) {
      const marked: string[] = [];
      let ahead: Mark[] = [];
      // 50 calls in 20 groups of 2 or 3 (placing.ts SPREAD_STEP_MS), at the tick and every 50 ms after it.
      const sizes = Array.from({ length: 20 }, (_, i) => Math.floor(((i + 1) * 50) / 20) - Math.floor((i * 50) / 20));
      for (const [i, size] of sizes.entries()) {
        const slot = tick + i * 50;
        const entries = log.filter((e) => e.at === t0 + slot);
        const at = entries.map((e) => e.what);
        assert.deepEqual(at.slice(0, size), Array(size).fill('originate'), `${slot} ms: ${size} originate requests first, no store call before or between them`);
        assert.ok(!at.slice(size).includes('originate'), `${slot} ms: no more requests`);
        const after = entries.slice(size).filter((e) => written(e.what));
        assert.deepEqual(
          after.map((e) => e.what),
          i === 0 ? ['markProgressBatch', 'claimDue', 'markProgressBatch'] : ['markProgressBatch'],
          i === 0
            ? `tick ${tick}: after its first group, the write that marks them dialed, the next tick's contacts in one claim, then one write of their attempts (the blocklist in it, not one number at a time)`
            : `${slot} ms: after the group, the write that marks it dialed`,
        );
        const [marking, second] = after.filter((e) => e.what === 'markProgressBatch').map((e) => e.args ?? []) as [[Mark[]], [Mark[], unknown]?];
        assert.ok(marking[0].every((m) => m.progress.inflight.prewritten === undefined && m.number === undefined));
        marked.push(...marking[0].map((m) => m.progress.inflight.channelId));
        if (second) {
          const [next, blocklist] = second;
          assert.ok(blocklist, 'with the blocklist check');
          ahead = next;
        }
      }
      assert.equal(log.filter((e) => e.at > t0 + tick + 950 && e.at < t0 + tick + 1000 && e.what === 'originate').length, 0, 'nothing after the last group');
      const dialedNow = bench.pbx.originated.filter((o) => o.at >= t0 + tick && o.at < t0 + tick + 1000).map((o) => o.channelId);
      assert.equal(dialedNow.length, 50);
      assert.deepEqual(marked, dialedNow, `tick ${tick}: its calls marked dialed, group by group`);
      assert.equal(ahead.length, 50);
      assert.ok(ahead.every((m) => m.progress.inflight.prewritten === true && typeof m.number === 'string'), `tick ${tick}: the next tick's attempts written ahead`);
      channelsAt.set(tick, ahead.map((m) => m.progress.inflight.channelId));
      const before = channelsAt.get(tick - 1000);
      if (before) assert.deepEqual(dialedNow, before, `tick ${tick} dials the channels written ahead at the tick before`);
    }
    assert.equal(bench.pbx.originated.length, 200);
    // What the counters derive from the store: the calls dialed are in flight, the attempts written ahead are not.
    assert.equal((await bench.db.store.tallyAttempts('task-1')).inFlight, 200);
  });

  it('a crash after the write ahead and before the dial: the restarted dialer puts those contacts back in the queue, counts no attempt, and dials them under the same attempt number', async function () {
    const settings = settingsWith({ intervalSec: 1, callsAtATime: 5, maxResponseSec: 30 });
    // The calls dialed are still up when the process restarts: they resume.
    bench.pbx.setDefault({ outcome: 'answer', ringMs: 2000, talkMs: 60_000 });
    await bench.db.store.importContacts('task-1', customers(settings, 10), bench.clock.now());
    const first = bench.pbx.view();
    const process1 = killable(bench.db.store);
    const a = makeDialer({ settings, store: process1.store, view: first, clock: bench.clock });
    await a.dialer.start();
    await a.dialer.operate('start');
    await bench.clock.advance(500);
    assert.equal(bench.pbx.originated.length, 5, 'the first tick dialed 5');
    const ahead = (await allContacts(bench.db.store, 'task-1')).filter((c) => inflightOf(c)?.prewritten);
    assert.equal(ahead.length, 5, "the next tick's attempts are written ahead");
    const aheadIds = ahead.map((c) => inflightOf(c)?.channelId ?? '');
    assert.equal((await bench.db.store.tallyAttempts('task-1')).inFlight, 5, 'only the calls dialed are in flight');
    // The process dies before its next tick: nothing more reaches the store or Asterisk.
    first.kill();
    process1.kill();
    a.dialer.close(0).catch(() => undefined);
    await bench.clock.advance(5000);
    const log = new MemoryLogger();
    const b = bench.dialer(settings, { view: bench.pbx.view(), log });
    await b.dialer.start();
    await bench.clock.advance(10 * 60_000);
    const stored = await allContacts(bench.db.store, 'task-1');
    for (const c of stored) {
      assert.equal(c.state, 'done', `${c.customerId} is final`);
      assert.deepEqual(
        c.attempts.map((x) => [x.n, x.outcome]),
        [[1, 'answered']],
        `${c.customerId}: one attempt, answered (${JSON.stringify(c.attempts)})`,
      );
    }
    for (const c of ahead) {
      const callId = stored.find((s) => s.customerId === c.customerId)?.attempts[0]?.callId;
      assert.ok(callId && !aheadIds.includes(callId), `${c.customerId} was dialed on a new channel`);
    }
    const ids = bench.pbx.originated.map((o) => o.channelId);
    assert.equal(ids.length, 10, 'each customer dialed once');
    assert.ok(aheadIds.every((id) => !ids.includes(id)), 'no channel written ahead by the dead process was dialed');
    assert.equal(b.dialer.status().counters.dialed, 10, 'the attempts written ahead were not counted as dialed');
    assert.equal(log.lines.filter((l) => l.includes('written ahead but not dialed')).length, 5, 'the log says so for each');
  });

  it('a crash between the dial and its mark, with no dial journal (no user directory): a channel Asterisk knows is resumed; one that failed at once and is gone is dialed again under the same attempt number', async function () {
    const settings = settingsWith({ intervalSec: 1, callsAtATime: 4, maxResponseSec: 60 });
    const { t0, second } = await killedBetweenDialAndMark(bench);
    assert.deepEqual(second.map((o) => o.at - t0), [1000, 1250, 1500, 1750], 'spread over the tick');
    assert.equal(second.length, 4, 'the second tick dialed its 4 written ahead');
    const unmarked = (await allContacts(bench.db.store, 'task-1')).filter((c) => inflightOf(c)?.prewritten);
    assert.deepEqual(
      unmarked.map((c) => inflightOf(c)?.channelId).sort(),
      second.map((o) => o.channelId).sort(),
      'they are still written as not yet dialed',
    );
    await bench.clock.advance(5000);
    const b = bench.dialer(settings, { view: bench.pbx.view() });
    await b.dialer.start();
    await bench.clock.advance(1000);
    // The calls resumed are marked dialed now: a second crash cannot take them for not dialed.
    const resumed = (await allContacts(bench.db.store, 'task-1')).filter((c) => c.customerId === 'c4' || c.customerId === 'c6');
    assert.deepEqual(
      resumed.map((c) => [inflightOf(c)?.channelId, inflightOf(c)?.prewritten]),
      ['c4', 'c6'].map((id) => [unmarked.find((u) => u.customerId === id) && inflightOf(unmarked.find((u) => u.customerId === id) as StoredContact)?.channelId, undefined]),
    );
    await bench.clock.advance(10 * 60_000);
    for (const { id, even, final, dialed } of await fatesOf(bench, unmarked)) {
      if (even) {
        assert.equal(dialed.length, 1, `${id}: known to Asterisk at the restart, resumed, not dialed again`);
        assert.deepEqual(final.attempts.map((x) => [x.n, x.outcome, x.callId]), [[1, 'answered', dialed[0]]]);
      } else {
        assert.equal(dialed.length, 2, `${id}: failed at once and gone, so taken for not dialed, and dialed again`);
        assert.deepEqual(final.attempts.map((x) => [x.n, x.outcome, x.callId]), [[1, 'answered', dialed[1]]], `${id}: under the same attempt number`);
      }
    }
    assert.ok(b.hooks.answeredCalls.some((x) => x.resumed), 'a call dialed before the crash resumed into the flow');
    const stored = await allContacts(bench.db.store, 'task-1');
    assert.ok(stored.every((c) => c.attempts.every((x) => x.outcome !== 'lost')), 'nothing is recorded as lost');
  });

  it('a suspend in the middle of a tick hands the contacts written ahead and those still waiting for their moment back to the queue as they were: no attempt, no channel, counted nowhere', async function () {
    const settings = settingsWith({ intervalSec: 1, callsAtATime: 10 });
    bench.pbx.setDefault({ outcome: 'answer', ringMs: 30_000, talkMs: 1000 });
    const d = await running(settings, 30);
    const t0 = bench.clock.now();
    await bench.clock.advance(1550);
    // The first tick's 10 at once; the second tick's one every 100 ms: 6 of them by 1550 ms.
    assert.deepEqual(bench.pbx.originated.map((o) => o.at - t0), [...Array<number>(10).fill(0), 1000, 1100, 1200, 1300, 1400, 1500]);
    // The second tick's other 4 and the third tick's 10 are written ahead, not dialed.
    assert.equal((await allContacts(bench.db.store, 'task-1')).filter((c) => inflightOf(c)?.prewritten).length, 14);
    await d.operate('suspend');
    const stored = await allContacts(bench.db.store, 'task-1');
    const due = stored.filter((c) => c.state === 'due');
    assert.equal(due.length, 14);
    assert.ok(due.every((c) => c.attempts.length === 0 && inflightOf(c) === undefined), 'back as they were claimed');
    assert.equal(stored.filter((c) => inflightOf(c) && !inflightOf(c)?.prewritten).length, 16, 'the 16 calls dialed are marked dialed');
    assert.equal((await bench.db.store.tallyAttempts('task-1')).inFlight, 16);
    assert.equal(d.status().counters.dialed, 16);
    await bench.clock.advance(1000);
    assert.equal(bench.pbx.originated.length, 16, 'the rest of the tick is not dialed once suspended');
    await d.operate('resume');
    await bench.clock.advance(2000);
    assert.equal(bench.pbx.originated.length, 30);
    assert.equal(new Set(bench.pbx.originated.map((o) => o.number)).size, 30, 'no contact dialed twice');
    assert.ok((await allContacts(bench.db.store, 'task-1')).every((c) => inflightOf(c)?.n === 1), 'each as its first attempt');
  });

  it('checks the blocklist at the write ahead, one tick before the dial: an entry added after it counts from the next write', async function () {
    const settings = settingsWith({ intervalSec: 1, callsAtATime: 1, blocklistGroups: ['dnc'] });
    bench.pbx.setDefault({ outcome: 'answer', ringMs: 1000, talkMs: 1000 });
    await running(settings, 3);
    await bench.clock.advance(500);
    assert.deepEqual(bench.pbx.originated.map((o) => o.number), [numberOf(0)]);
    const c1 = (await allContacts(bench.db.store, 'task-1')).find((c) => c.customerId === 'c1') as StoredContact;
    assert.equal(inflightOf(c1)?.prewritten, true, 'c1 is written ahead, its number checked');
    await bench.db.store.addBlocked([
      { group: 'dnc', number: numberOf(1) },
      { group: 'dnc', number: numberOf(2) },
    ]);
    await bench.clock.advance(5000);
    assert.deepEqual(bench.pbx.originated.map((o) => o.number), [numberOf(0), numberOf(1)], 'c1 was checked before the entry: dialed; c2 was not');
    const c2 = (await allContacts(bench.db.store, 'task-1')).find((c) => c.customerId === 'c2') as StoredContact;
    assert.deepEqual(c2.attempts.map((x) => x.outcome), ['blocked']);
  });

  it('the end time passing between the write ahead and the dial: those contacts are closed with the task, never dialed, no attempt counted', async function () {
    // 07:59:58.6 in Shanghai; the task ends at 08:00.
    bench.clock = new ManualClock(Date.parse(MONDAY_8AM_SHANGHAI) - 1400);
    bench.pbx = new FakeAsterisk(bench.clock);
    const settings = settingsWith({ endAt: '2026-11-23T08:00', intervalSec: 1, callsAtATime: 3 });
    bench.pbx.setDefault({ outcome: 'answer', ringMs: 500, talkMs: 500 });
    const d = await running(settings, 12);
    const t0 = bench.clock.now();
    await bench.clock.advance(1500);
    // Two ticks before the end: the first at once, the second one call every 333 ms, the last of them due after the end.
    assert.deepEqual(bench.pbx.originated.map((o) => Math.round(o.at - t0)), [0, 0, 0, 1000, 1333]);
    const ahead = (await allContacts(bench.db.store, 'task-1')).filter((c) => inflightOf(c)?.prewritten);
    assert.equal(ahead.length, 4, "the third tick's 3 and the second tick's last");
    await bench.clock.advance(60_000);
    assert.equal(d.state, 'completed');
    assert.equal(bench.pbx.originated.length, 5, 'nothing dialed after the end');
    assert.ok(bench.pbx.originated.every((o) => o.at < Date.parse(MONDAY_8AM_SHANGHAI)), 'nothing dialed after the end time, even within a tick that began before it');
    const stored = await allContacts(bench.db.store, 'task-1');
    for (const c of ahead) {
      const final = stored.find((s) => s.customerId === c.customerId) as StoredContact;
      assert.equal(final.state, 'done');
      assert.equal(final.result?.code, 'task-ended');
      assert.deepEqual(final.attempts, [], `${c.customerId}: no attempt`);
      assert.equal(inflightOf(final), undefined);
    }
    assert.equal(d.status().counters.dialed, 5);
  });

  it(`writes again before the dial an attempt written ahead more than ${PREPARED_FOR_MS} ms before its tick (a late tick, a stalled process): its lease and the blocklist are checked again`, async function () {
    const stalling = new StallingClock(MONDAY_8AM_SHANGHAI);
    bench.clock = stalling;
    bench.pbx = new FakeAsterisk(bench.clock);
    const settings = settingsWith({ intervalSec: 1, callsAtATime: 2, blocklistGroups: ['dnc'] });
    bench.pbx.setDefault({ outcome: 'answer', ringMs: 1000, talkMs: 1000 });
    let aheadIds: (string | undefined)[] = [];
    let stalled = false;
    const store = new Proxy(bench.db.store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          const result = await ((value as (...a: unknown[]) => unknown).apply(target, args) as Promise<unknown>);
          const entries = args[0] as ProgressMark[];
          if (key === 'markProgressBatch' && !stalled && (entries[0]?.progress.inflight as InFlight | undefined)?.prewritten) {
            // The first write ahead is stored; then a number is blocked, and the process stalls before its next tick.
            stalled = true;
            aheadIds = entries.map((e) => (e.progress.inflight as InFlight).channelId);
            await target.addBlocked([{ group: 'dnc', number: numberOf(2) }]);
            stalling.stall(PREPARED_FOR_MS + 1000);
          }
          return result;
        };
      },
    }) as Store;
    await running(settings, 4, { store });
    await bench.clock.advance(10_000);
    assert.equal(aheadIds.length, 2, 'c2 and c3 were written ahead');
    assert.deepEqual(
      bench.pbx.originated.map((o) => o.number),
      [numberOf(0), numberOf(1), numberOf(3)],
      'the number blocked since the write ahead is not dialed: the late tick checked it again',
    );
    assert.ok(bench.pbx.originated.every((o) => !aheadIds.includes(o.channelId)), 'c3 was written again, on a new channel, before its dial');
    const c2 = (await allContacts(bench.db.store, 'task-1')).find((c) => c.customerId === 'c2') as StoredContact;
    assert.deepEqual(c2.attempts.map((x) => x.outcome), ['blocked']);
  });

  describe("a tick's calls waiting for their moment in it", function () {
    it('a call whose connection has no free channel left at its moment is not dialed: it waits for a tick with room, written again on a new channel', async function () {
      const settings = settingsWith({ intervalSec: 1, callsAtATime: 4 });
      bench.pbx.setDefault({ outcome: 'answer', ringMs: 30_000, talkMs: 1000 });
      const view = bench.pbx.view();
      await running(settings, 8, { view, limit: 8 });
      const t0 = bench.clock.now();
      await bench.clock.advance(1100);
      assert.deepEqual(bench.pbx.originated.map((o) => o.at - t0), [0, 0, 0, 0, 1000]);
      const waiting = (await allContacts(bench.db.store, 'task-1')).filter((c) => inflightOf(c)?.prewritten);
      // Three calls come in and take the connection's last free channels (5 ring, 8 in all).
      for (const id of ['in-1', 'in-2', 'in-3']) view.sessions.set(id, {} as never);
      await bench.clock.advance(2000);
      assert.equal(bench.pbx.originated.length, 5, 'no channel free: nothing more dialed');
      for (const id of ['in-1', 'in-2', 'in-3']) view.sessions.delete(id);
      await bench.clock.advance(3000);
      assert.equal(bench.pbx.originated.length, 8);
      assert.equal(new Set(bench.pbx.originated.map((o) => o.number)).size, 8, 'no contact dialed twice');
      const stored = await allContacts(bench.db.store, 'task-1');
      assert.ok(stored.every((c) => inflightOf(c)?.n === 1 && inflightOf(c)?.prewritten === undefined && c.attempts.length === 0), 'each in flight as its first attempt, marked dialed');
      const late = waiting.filter((c) => !bench.pbx.originated.some((o) => o.channelId === inflightOf(c)?.channelId));
      assert.ok(late.length >= 3, 'the tick\'s last three were not dialed on the channels written ahead');
      assert.equal((await bench.db.store.tallyAttempts('task-1')).inFlight, 8);
    });

    it("keeps the channels of a tick's waiting calls: another task on the same connection does not take them in the meantime", async function () {
      // Two tasks of equal priority on one connection of 12 channels; calls ring for 30 s (none ends while this runs).
      const settings = settingsWith({ intervalSec: 1, callsAtATime: 4 });
      bench.pbx.setDefault({ outcome: 'answer', ringMs: 30_000, talkMs: 1000 });
      const view = bench.pbx.view();
      const coordinator = new Coordinator();
      await bench.db.store.importContacts('task-1', customers(settings, 20, '+86138'), bench.clock.now());
      await bench.db.store.importContacts('task-2', customers(settings, 20, '+86139'), bench.clock.now());
      const a = bench.dialer(settings, { view, coordinator, limit: 12 }).dialer;
      const b = bench.dialer(settings, { id: 'task-2', view, coordinator, limit: 12 }).dialer;
      for (const d of [a, b]) {
        await d.start();
        await d.operate('start');
      }
      const t0 = bench.clock.now();
      const of = (prefix: string, from: number): number[] => bench.pbx.originated.filter((o) => o.number.startsWith(prefix) && o.at >= t0 + from).map((o) => o.at - t0);
      await bench.clock.advance(999);
      assert.equal(bench.pbx.originated.length, 8, 'the first ticks: 4 calls each, 4 channels left');
      await bench.clock.advance(1000);
      // Task 1's second tick came first and counted the 4 channels left for its 4 calls, one every 250 ms: they are its.
      assert.deepEqual(of('+86138', 1000), [1000, 1250, 1500, 1750], "task 1's tick places the 4 calls it counted room for");
      assert.deepEqual(of('+86139', 1000), [], 'task 2 finds no free channel in that tick');
      assert.equal(bench.pbx.originated.length, 12, 'never more calls than the 12 channels');
    });

    it('a tick with just the channels for its calls dials them all, in groups of several on one connection', async function () {
      // 40 a second on 80 channels, calls ring for 30 s: the second tick has room for exactly its 40, 2 every 50 ms.
      const settings = settingsWith({ intervalSec: 1, callsAtATime: 40 });
      bench.pbx.setDefault({ outcome: 'answer', ringMs: 30_000, talkMs: 1000 });
      await running(settings, 100, { limit: 80 });
      const t0 = bench.clock.now();
      await bench.clock.advance(1999);
      const second = bench.pbx.originated.filter((o) => o.at >= t0 + 1000).map((o) => o.at - t0);
      assert.deepEqual(second, Array.from({ length: 40 }, (_, i) => 1000 + Math.floor(i / 2) * 50));
    });

    it('a suspend in the middle of a tick gives back the channels kept for its waiting calls: another task on the connection gets them', async function () {
      const settings = settingsWith({ intervalSec: 1, callsAtATime: 4 });
      bench.pbx.setDefault({ outcome: 'answer', ringMs: 30_000, talkMs: 1000 });
      const view = bench.pbx.view();
      const coordinator = new Coordinator();
      const a = await running(settings, 20, { view, coordinator, limit: 8 });
      const t0 = bench.clock.now();
      await bench.clock.advance(1100);
      assert.deepEqual(bench.pbx.originated.map((o) => o.at - t0), [0, 0, 0, 0, 1000], 'the second tick dialed its first call and keeps 3 channels for the others');
      await a.operate('suspend');
      await bench.db.store.importContacts('task-2', customers(settings, 20, '+86139'), bench.clock.now());
      const b = bench.dialer(settings, { id: 'task-2', view, coordinator, limit: 8 }).dialer;
      await b.start();
      await b.operate('start');
      await bench.clock.advance(10);
      assert.equal(bench.pbx.originated.filter((o) => o.number.startsWith('+86139')).length, 3, 'the 3 channels task 1 no longer waits for');
      assert.equal(bench.pbx.originated.length, 8);
    });

    it("counts in the benchmarks' tick figures only the calls dialed, not those that went back to the next tick at their moment", async function () {
      const settings = settingsWith({ intervalSec: 1, callsAtATime: 4 });
      bench.pbx.setDefault({ outcome: 'answer', ringMs: 30_000, talkMs: 1000 });
      const view = bench.pbx.view();
      const d = await running(settings, 8, { view, limit: 8 });
      d.collectStats = true;
      await bench.clock.advance(1100);
      // Three calls come in and take the connection's last free channels: the second tick's other 3 find none.
      for (const id of ['in-1', 'in-2', 'in-3']) view.sessions.set(id, {} as never);
      await bench.clock.advance(899);
      assert.equal(bench.pbx.originated.length, 5);
      assert.deepEqual(d.stats.ticks.map((t) => t.placed), [4, 1], 'the first tick 4, the second 1');
      assert.equal(d.stats.originates, 5);
    });

    it('an error in a group sent later in the tick is logged, as one in the tick is, and the task goes on dialing', async function () {
      const settings = settingsWith({ intervalSec: 1, callsAtATime: 4 });
      bench.pbx.setDefault({ outcome: 'busy', ringMs: 100 });
      const view = bench.pbx.view();
      const log = new MemoryLogger();
      await running(settings, 40, { view, log });
      await bench.clock.advance(1100);
      // The connection refuses the next call it is handed (the second tick's call at 1250 ms).
      const claim = view.claim.bind(view);
      view.claim = (_id: string): void => {
        view.claim = claim;
        throw new Error('the connection refused the call');
      };
      await bench.clock.advance(2000);
      assert.ok(log.lines.some((l) => l.startsWith('warn') && l.includes('the connection refused the call')), log.lines.join('\n'));
      assert.ok(bench.pbx.originated.length >= 10, 'the task goes on dialing');
    });

    it("does not dial a waiting call whose lease the renewal finds another dialer's, and gives its channel back", async function () {
      const settings = settingsWith({ intervalSec: 1, callsAtATime: 4 });
      bench.pbx.setDefault({ outcome: 'answer', ringMs: 30_000, talkMs: 1000 });
      const t0 = bench.clock.now();
      // From 15 s on (the leases are renewed every 15 s, at a tick), the store says every lease is another dialer's.
      const store = new Proxy(bench.db.store, {
        get(target, key, receiver) {
          const value = Reflect.get(target, key, receiver) as unknown;
          if (key === 'renewLeases' && bench.clock.now() >= t0 + 15_000) return () => Promise.resolve([]);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      const coordinator = new Coordinator();
      await running(settings, 200, { store, coordinator, limit: 100 });
      await bench.clock.advance(15_999);
      const tick = bench.pbx.originated.filter((o) => o.at >= t0 + 15_000).map((o) => o.at - t0);
      assert.deepEqual(tick, [15_000], "the tick's first call only: its other 3 were lost while they waited");
      assert.equal(coordinator.free('fake', { limit: 100, inUse: () => 0 }), 100 - 61, 'the 61 calls ringing, no channel kept for the 3');
    });

    it('a dialer closed in the middle of a tick dials nothing more of it and hands its waiting contacts back as they were claimed', async function () {
      const settings = settingsWith({ intervalSec: 1, callsAtATime: 10 });
      bench.pbx.setDefault({ outcome: 'answer', ringMs: 30_000, talkMs: 1000 });
      const d = await running(settings, 30);
      const t0 = bench.clock.now();
      await bench.clock.advance(1350);
      assert.equal(bench.pbx.originated.filter((o) => o.at - t0 >= 1000).length, 4, 'the second tick: 1000, 1100, 1200, 1300 ms');
      await d.close(0);
      await bench.clock.advance(3000);
      assert.equal(bench.pbx.originated.length, 14, 'nothing dialed after the close');
      const stored = await allContacts(bench.db.store, 'task-1');
      const due = stored.filter((c) => c.state === 'due' && inflightOf(c) === undefined && c.attempts.length === 0);
      assert.equal(due.length, 16, "the tick's 6 waiting and the next tick's 10, back in the queue as claimed");
      assert.equal((await bench.db.store.tallyAttempts('task-1')).inFlight, 14);
    });

    it("sends a tick's calls within the tick when the system clock is set back during it (NTP, an administrator)", async function () {
      const stalling = new StallingClock(MONDAY_8AM_SHANGHAI);
      bench.clock = stalling;
      bench.pbx = new FakeAsterisk(bench.clock);
      const settings = settingsWith({ intervalSec: 1, callsAtATime: 4 });
      bench.pbx.setDefault({ outcome: 'answer', ringMs: 30_000, talkMs: 1000 });
      const view = bench.pbx.view();
      await running(settings, 20, { view });
      await bench.clock.advance(1999);
      assert.equal(bench.pbx.originated.length, 8);
      // The clock is set back 10 minutes right after the third tick read it (when it looks at its connection).
      let armed = true;
      const status = view.status;
      Object.defineProperty(view, 'status', {
        get: () => {
          if (armed) stalling.stall(-600_000);
          armed = false;
          return status;
        },
      });
      await bench.clock.advance(999);
      assert.equal(armed, false, 'the clock was set back within the tick');
      assert.equal(bench.pbx.originated.length, 12, "the third tick's 4 calls, not 10 minutes later");
    });

    it(`a call whose moment comes more than ${PREPARED_FOR_MS} ms and a tick after its write ahead (a process that stalled in the tick) is written again before its dial`, async function () {
      const stalling = new StallingClock(MONDAY_8AM_SHANGHAI);
      bench.clock = stalling;
      bench.pbx = new FakeAsterisk(bench.clock);
      const settings = settingsWith({ intervalSec: 1, callsAtATime: 2, blocklistGroups: ['dnc'] });
      bench.pbx.setDefault({ outcome: 'answer', ringMs: 30_000, talkMs: 1000 });
      await running(settings, 6);
      const t0 = bench.clock.now();
      // The second tick dials c2 at once and waits 500 ms for c3; meanwhile c3's number is blocked and the process stalls.
      await bench.clock.advance(1100);
      assert.deepEqual(bench.pbx.originated.map((o) => o.number), [numberOf(0), numberOf(1), numberOf(2)]);
      const c3 = (await allContacts(bench.db.store, 'task-1')).find((c) => c.customerId === 'c3') as StoredContact;
      assert.equal(inflightOf(c3)?.prewritten, true);
      await bench.db.store.addBlocked([{ group: 'dnc', number: numberOf(3) }]);
      stalling.stall(PREPARED_FOR_MS + 1000);
      await bench.clock.advance(5000);
      assert.ok(!bench.pbx.originated.some((o) => o.number === numberOf(3)), 'c3 was checked again: its number is blocked now');
      const after = (await allContacts(bench.db.store, 'task-1')).find((c) => c.customerId === 'c3') as StoredContact;
      assert.deepEqual(after.attempts.map((x) => x.outcome), ['blocked']);
      assert.ok(bench.pbx.originated.filter((o) => o.at > t0 + 1100).length > 0, 'the task goes on dialing the others');
    });
  });
});
