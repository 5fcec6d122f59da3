/**
 * The rules of outbound call tasks as the specification says them
 * (docs/campaigns.md), on a manual clock against a fake Asterisk, on the
 * embedded store and (with MONGODB_URI) on MongoDB:
 * - task priority: a task is not dialed while a task of higher priority,
 *   started no later, is not complete: customers due now, customers
 *   waiting for a retry, a suspended task; a completed one holds nobody
 *   back, and a task started later does not stop one already running;
 * - the task's IVR flow: start is refused while it is not there; an
 *   answered call that no flow took is `flow-missing` (retried, not
 *   answered) and the dialer suspends the task, saying why.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { ManualClock } from '../../lib/campaign/clock';
import { Coordinator } from '../../lib/campaign/coordinator';
import type { Dialer, DialerStatus } from '../../lib/campaign/dialer';
import { rankOf } from '../../lib/campaign/order';
import { RuleError } from '../../lib/campaign/states';
import type { CampaignSettings } from '../../lib/schemas/campaign';
import { MongoStore } from '../../lib/store/mongodb';
import type { Store, StoredContact } from '../../lib/store/port';
import { FakeAsterisk, makeDialer, recorder, settingsWith, tempStore, type Recorder } from './support';

const MONDAY_8AM_SHANGHAI = '2026-11-23T00:00:00Z';
const uri = process.env.MONGODB_URI;

interface Backend {
  name: string;
  skip?: string;
  open(): Promise<{ store: Store; cleanup: () => Promise<void> }>;
}

const BACKENDS: Backend[] = [
  {
    name: 'embedded',
    open: async () => {
      const t = await tempStore();
      return { store: t.store, cleanup: t.cleanup };
    },
  },
  {
    name: 'mongodb',
    ...(uri ? {} : { skip: 'MONGODB_URI is not set: the task rules on MongoDB did not run (set MONGODB_URI=mongodb://host:27017 to run them)' }),
    open: async () => {
      const database = `callflow_test_${randomBytes(4).toString('hex')}`;
      const store = new MongoStore({ uri: uri ?? '', database, serverSelectionTimeoutMs: 5000 });
      await store.open();
      return {
        store,
        cleanup: async () => {
          await store.close();
          const client = new MongoClient(uri ?? '');
          try {
            await client.db(database).dropDatabase();
          } finally {
            await client.close();
          }
        },
      };
    },
  },
];

/** A recorder that also notes when (on the manual clock) each status came. */
function timedRecorder(clock: ManualClock): Recorder & { at: { at: number; status: DialerStatus }[] } {
  const r = recorder();
  const at: { at: number; status: DialerStatus }[] = [];
  return Object.assign(r, {
    at,
    status: (s: DialerStatus) => {
      at.push({ at: clock.now(), status: s });
      r.statuses.push(s);
    },
  });
}

for (const backend of BACKENDS) {
  describe(`task rules on the ${backend.name} store (manual clock, fake Asterisk)`, function () {
    before(function () {
      if (backend.skip === undefined) return;
      // Say why, in the test output, then mark every test of the suite pending.
      console.log(`      SKIPPED: ${backend.skip}`);
      this.skip();
    });
    let store: Store;
    let cleanup: () => Promise<void>;
    let clock: ManualClock;
    let pbx: FakeAsterisk;
    const dialers: Dialer[] = [];

    beforeEach(async function () {
      ({ store, cleanup } = await backend.open());
      clock = new ManualClock(MONDAY_8AM_SHANGHAI);
      pbx = new FakeAsterisk(clock);
    });

    afterEach(async function () {
      for (const d of dialers.splice(0)) await d.close(0);
      await cleanup?.();
    });

    async function customers(campaign: string, settings: CampaignSettings, prefix: string, count: number): Promise<string[]> {
      const numbers = Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);
      await store.importContacts(campaign, numbers.map((number, i) => {
        const row = { customerId: `${campaign}-${i}`, numbers: [{ number }] };
        return { ...row, rank: rankOf(row, settings.order) };
      }), clock.now());
      return numbers;
    }

    function task(id: string, settings: CampaignSettings, coordinator: Coordinator, extra: Partial<Parameters<typeof makeDialer>[0]> = {}) {
      const hooks = timedRecorder(clock);
      const made = makeDialer({ id, settings, store, view: pbx.view(), clock, coordinator, hooks, scope: 'store-1', ...extra });
      dialers.push(made.dialer);
      return { dialer: made.dialer, hooks };
    }

    const callsTo = (numbers: string[]) => pbx.originated.filter((o) => numbers.includes(o.number));
    const completedAt = (hooks: ReturnType<typeof timedRecorder>): number | undefined => hooks.at.find((s) => s.status.state === 'completed')?.at;

    describe('priority', function () {
      const high = settingsWith({ name: 'urgent', priority: 1, intervalSec: 3, callsAtATime: 3 });
      const low = settingsWith({ name: 'routine', priority: 4, intervalSec: 3, callsAtATime: 3 });

      it('a higher task with customers due now: the lower one dials only once the higher one is complete', async function () {
        const shared = new Coordinator();
        pbx.setDefault({ outcome: 'answer', ringMs: 1000, talkMs: 20_000 });
        const highNumbers = await customers('high', high, '+86139', 6);
        const lowNumbers = await customers('low', low, '+86137', 3);
        const h = task('high', high, shared);
        const l = task('low', low, shared);
        await h.dialer.start();
        await l.dialer.start();
        await l.dialer.operate('start');
        await h.dialer.operate('start');
        await clock.advance(5 * 60_000);
        const done = completedAt(h.hooks);
        assert.ok(done !== undefined, 'the higher task completed');
        assert.equal(callsTo(highNumbers).length, 6);
        assert.equal(callsTo(lowNumbers).length, 3, 'the lower task ran once the higher one was complete');
        // Its last calls still talked after its last dial: the lower one waited for them too.
        for (const o of callsTo(lowNumbers)) assert.ok(o.at >= done, `a low-priority call at ${o.at - pbx.originated[0]!.at} ms, before the higher task completed`);
        assert.ok(l.hooks.statuses.some((s) => s.idle === 'higher-priority' && s.idleDetail === 'urgent'), 'the status names the task holding it back');
      });

      it('a higher task whose customer waits for a retry is not complete: the lower one waits, its status naming it, and dials once the retry ends it', async function () {
        const shared = new Coordinator();
        const retrying = settingsWith({ name: 'urgent', priority: 1, intervalSec: 3, callsAtATime: 3, policy: { mode: 'global', rule: { byCause: false, maxDays: 1, maxPerDay: 3, intervalSec: 600, causes: [] }, types: [], nonRetry: [] } });
        const [busyOnce] = await customers('high', retrying, '+86139', 1);
        pbx.setNumber(busyOnce!, [{ outcome: 'busy', ringMs: 1000 }, { outcome: 'answer', ringMs: 1000, talkMs: 5000 }]);
        const lowNumbers = await customers('low', low, '+86137', 3);
        const h = task('high', retrying, shared);
        const l = task('low', low, shared);
        await h.dialer.start();
        await l.dialer.start();
        await h.dialer.operate('start');
        await l.dialer.operate('start');
        // The first attempt is busy; the retry is due ten minutes later. Meanwhile nothing is due in the higher task.
        await clock.advance(5 * 60_000);
        assert.equal(callsTo([busyOnce!]).length, 1);
        assert.deepEqual(callsTo(lowNumbers), [], 'no low-priority call while the higher task waits for its retry');
        assert.deepEqual([l.dialer.status().idle, l.dialer.status().idleDetail], ['higher-priority', 'urgent']);
        await clock.advance(10 * 60_000);
        assert.equal(callsTo([busyOnce!]).length, 2, 'the retry was made');
        const done = completedAt(h.hooks);
        assert.ok(done !== undefined, 'the higher task completed after its retry');
        assert.equal(callsTo(lowNumbers).length, 3, 'then the lower one dialed');
        for (const o of callsTo(lowNumbers)) assert.ok(o.at >= done);
      });

      it('a completed higher task holds nobody back: the lower one dials at once', async function () {
        const shared = new Coordinator();
        pbx.setDefault({ outcome: 'answer', ringMs: 1000, talkMs: 2000 });
        await customers('high', high, '+86139', 2);
        const lowNumbers = await customers('low', low, '+86137', 3);
        const h = task('high', high, shared);
        await h.dialer.start();
        await h.dialer.operate('start');
        await clock.advance(60_000);
        assert.equal(h.dialer.state, 'completed');
        const l = task('low', low, shared);
        await l.dialer.start();
        const startedAt = clock.now();
        await l.dialer.operate('start');
        await clock.advance(10_000);
        assert.equal(callsTo(lowNumbers).length, 3);
        assert.ok(callsTo(lowNumbers).every((o) => o.at < startedAt + 3000), 'dialed at the first ticks');
        assert.ok(!l.hooks.statuses.some((s) => s.idle === 'higher-priority'));
      });

      it('a suspended higher task is not complete and holds the lower one back; one started later does not stop a task already running', async function () {
        const shared = new Coordinator();
        pbx.setDefault({ outcome: 'answer', ringMs: 1000, talkMs: 2000 });
        await customers('high', high, '+86139', 3);
        const lowNumbers = await customers('low', low, '+86137', 30);
        const h = task('high', high, shared);
        const l = task('low', low, shared);
        await h.dialer.start();
        await l.dialer.start();
        await h.dialer.operate('start');
        await h.dialer.operate('suspend');
        await l.dialer.operate('start');
        await clock.advance(60_000);
        assert.deepEqual(callsTo(lowNumbers), [], 'held back by the suspended task');
        assert.deepEqual([l.dialer.status().idle, l.dialer.status().idleDetail], ['higher-priority', 'urgent']);
        // Stopped for good: it holds nobody back any more, and the lower task runs.
        await h.dialer.operate('stop');
        await clock.advance(6000);
        const before = callsTo(lowNumbers).length;
        assert.ok(before > 0, 'the lower task dials once the higher one is stopped');
        // A task of higher priority started now, after the lower one: the lower one keeps dialing beside it.
        await customers('later', high, '+86135', 30);
        const later = task('later', { ...high, name: 'later' }, shared);
        await later.dialer.start();
        await later.dialer.operate('start');
        await clock.advance(6000);
        assert.ok(callsTo(lowNumbers).length > before, 'a task started later does not hold back one already running');
        assert.ok(pbx.originated.some((o) => o.number.startsWith('+86135')), 'and it dials too');
      });

      it('keeps priority among the tasks of one store: a task kept in another store holds nobody back', async function () {
        const shared = new Coordinator();
        pbx.setDefault({ outcome: 'answer', ringMs: 1000, talkMs: 2000 });
        await customers('high', high, '+86139', 30);
        const lowNumbers = await customers('low', low, '+86137', 3);
        const h = task('high', high, shared, { scope: 'store-2' });
        const l = task('low', low, shared);
        await h.dialer.start();
        await l.dialer.start();
        await h.dialer.operate('start');
        await l.dialer.operate('start');
        await clock.advance(6000);
        assert.equal(callsTo(lowNumbers).length, 3);
      });
    });

    describe("the task's IVR flow", function () {
      const survey = settingsWith({ name: 'survey task', flow: 'survey', intervalSec: 3, callsAtATime: 1, policy: { mode: 'global', rule: { byCause: false, maxDays: 1, maxPerDay: 3, intervalSec: 60, causes: [] }, types: [], nonRetry: [] } });

      it('refuses to start while the flow is not there, with the state-rule message, and dials nobody', async function () {
        await customers('t', survey, '+86139', 2);
        const t = task('t', survey, new Coordinator(), { flowCheck: () => 'flow "survey" is not deployed on this connection (deployed: none)' });
        await t.dialer.start();
        await assert.rejects(t.dialer.operate('start'), (err: Error) => {
          assert.ok(err instanceof RuleError);
          assert.equal(err.message, 'start is not allowed: the task\'s IVR flow "survey" cannot take calls: flow "survey" is not deployed on this connection (deployed: none)');
          return true;
        });
        assert.equal(t.dialer.state, 'draft');
        await clock.advance(30_000);
        assert.deepEqual(pbx.originated, []);
      });

      it("a robot task with no IVR flow (its dialer node's output takes the calls) is refused when that flow has no robot, with the reason", async function () {
        const robot = settingsWith({ ...survey, flow: '', taskType: 'robot' });
        await customers('t', robot, '+86139', 1);
        const why = "an intelligent robot task needs a callflow-bot element in the flow its calls enter: its dialer node's flow has none (tab \"Survey\")";
        const t = task('t', robot, new Coordinator(), { flowCheck: () => why });
        await t.dialer.start();
        await assert.rejects(t.dialer.operate('start'), (err: Error) => {
          assert.ok(err instanceof RuleError);
          assert.equal(err.subject, '');
          assert.equal(err.message, `start is not allowed: the flow of the task's dialer node cannot take calls: ${why}`);
          return true;
        });
        assert.equal(t.dialer.state, 'draft');
        await clock.advance(30_000);
        assert.deepEqual(pbx.originated, []);
      });

      it('an answered customer no flow took (they hung up on the silence) is flow-missing, not answered: retried, and the task suspends itself saying why', async function () {
        let missing: string | undefined;
        const numbers = await customers('t', survey, '+86139', 3);
        pbx.setDefault({ outcome: 'answer', ringMs: 1000, talkMs: 1500 });
        const hooks = timedRecorder(clock);
        // The connection's router: the flow takes the call while it is there (the session then names it).
        hooks.answered = (c) => {
          if (!missing) c.session.flow = 'survey';
        };
        const t = task('t', survey, new Coordinator(), { hooks, flowCheck: () => missing });
        await t.dialer.start();
        await t.dialer.operate('start');
        // The first customer answers into the flow and hangs up at 2.5 s, before the next tick.
        await clock.advance(2900);
        assert.equal(callsTo(numbers).length, 1);
        missing = 'flow "survey" is not deployed on this connection (deployed: none)';
        await clock.advance(60_000);
        assert.equal(t.dialer.state, 'suspended', 'the dialer suspended the task');
        assert.deepEqual(t.dialer.status().problem, { kind: 'flow-missing', flow: 'survey', detail: missing });
        const all: StoredContact[] = (await store.pageContacts('t', { limit: 10 })).items;
        const outcomes = Object.fromEntries(all.map((c) => [c.customerId, [c.state, c.attempts.map((a) => a.outcome)]]));
        assert.deepEqual(outcomes, { 't-0': ['done', ['answered']], 't-1': ['waiting', ['flow-missing']], 't-2': ['due', []] }, 'one customer answered into nothing, kept for a retry; no one called after');
        assert.deepEqual(t.dialer.status().counters, { dialed: 2, answered: 1, failed: 1, finished: 1 }, 'not counted as answered');
        // Resuming while it is still missing is refused; once it is back, the customer is called again.
        await assert.rejects(t.dialer.operate('resume'), RuleError);
        missing = undefined;
        await t.dialer.operate('resume');
        assert.equal(t.dialer.status().problem, undefined);
        await clock.advance(5 * 60_000);
        const after = Object.fromEntries((await store.pageContacts('t', { limit: 10 })).items.map((c) => [c.customerId, c.attempts.map((a) => a.outcome)]));
        assert.deepEqual(after, { 't-0': ['answered'], 't-1': ['flow-missing', 'answered'], 't-2': ['answered'] });
        assert.equal(t.dialer.state, 'completed');
      });
    });
  });
}
