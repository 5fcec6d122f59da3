/**
 * A task's dialer across a full redeploy (nodes/deployed/dialers.ts), on a
 * manual clock against the fake Asterisk: Node-RED closes the campaign node
 * and the store node together, the dialer is parked, its store is closed,
 * and the new instance takes it over with a new store on the same file.
 * The gap between the two is made wide here (the clock runs on while the
 * dialer is parked, and calls end in it) rather than left to timing.
 */
import assert from 'node:assert/strict';
import type { ManualClock } from '../../lib/campaign/clock';
import type { Dialer } from '../../lib/campaign/dialer';
import { EmbeddedStore } from '../../lib/store/embedded';
import { StoreError } from '../../lib/store/port';
import { closeParkedDialers, releaseDialer, takeOverDialer } from '../../nodes/deployed/dialers';
import { allContacts } from '../support/campaign-runtime';
import { MemoryLogger } from '../support/telephony';
import { customers, recorder, settingsWith, type FakeAsterisk } from './support';
import { finalOnceEach, useManualDialing, type ManualDialing } from './manual-dialing';

/** The lines a logger got at warn or error level. */
const troubles = (log: MemoryLogger): string[] => log.lines.filter((l) => /^(warn|error) /.test(l));

describe("a task's dialer parked across a full redeploy (manual clock, fake Asterisk, embedded store)", function () {
  const dialing = useManualDialing();
  let db: ManualDialing['db'], clock: ManualClock, pbx: FakeAsterisk;
  beforeEach(() => ({ db, clock, pbx } = dialing));
  /** The store the new instance opens on the same file (closed after the test). */
  let reopened: EmbeddedStore | undefined;
  afterEach(async function () {
    await closeParkedDialers();
    await reopened?.close();
    reopened = undefined;
  });

  const settings = settingsWith({ intervalSec: 1, callsAtATime: 1 });

  /** The store node's next instance: a new store on the same file. */
  async function reopen(): Promise<EmbeddedStore> {
    reopened = new EmbeddedStore({ file: db.file });
    await reopened.open();
    return reopened;
  }

  /**
   * A running task, one call a second, six customers: c0 answers and talks for 8 s, c1 is busy after ringing 3 s,
   * the others answer and talk 1 s. After 1.5 s, c0 is up and c1 rings; then Node-RED stops the campaign node: on a
   * full redeploy (`park`) its dialer is parked and the store node's store closed; removed (`remove`), its dialer
   * closes and the store stays open.
   */
  async function withCalls(then: 'park' | 'remove'): Promise<{ dialer: Dialer; log: MemoryLogger; before: number }> {
    await db.store.importContacts('task-1', customers(settings, 6), clock.now());
    pbx.setDefault({ outcome: 'answer', ringMs: 500, talkMs: 1000 });
    pbx.setNumber('+8613800000000', { outcome: 'answer', ringMs: 500, talkMs: 8000 });
    pbx.setNumber('+8613800000001', [{ outcome: 'busy', ringMs: 3000 }, { outcome: 'answer', ringMs: 500, talkMs: 1000 }]);
    const log = new MemoryLogger();
    const { dialer } = dialing.dialer(settings, { log });
    await dialer.start();
    await dialer.operate('start');
    await clock.advance(1500);
    assert.deepEqual(
      pbx.originated.map((o) => o.number),
      ['+8613800000000', '+8613800000001'],
      'c0 and c1 were dialed before the redeploy',
    );
    if (then === 'park') {
      await releaseDialer('task-1', dialer, 'same settings', false);
      await db.store.close();
    } else {
      // What releaseDialer(..., true) does, without its wait of up to 2 s (real time) for c1's ring under way.
      await dialer.close(0);
    }
    return { dialer, log, before: pbx.originated.length };
  }

  it('dials nothing and touches no store while parked, logs no problem, and writes the ends of its calls to the store it is rebound to', async function () {
    const { dialer, log, before } = await withCalls('park');
    // The new instance is slow to start (its store opens late): c1's busy end and c0's hang-up come in the gap.
    await clock.advance(9000);
    assert.equal(pbx.originated.length, before, 'no call placed while parked');
    assert.equal(pbx.channels.size, 0, 'both calls ended while the dialer was parked');
    assert.deepEqual(troubles(log), [], 'nothing to warn about in an ordinary redeploy');

    const store = await reopen();
    const taken = takeOverDialer('task-1', 'same settings');
    assert.equal(taken, dialer, 'the new instance takes the parked dialer over');
    const hooks = recorder();
    const newLog = new MemoryLogger();
    dialer.rebind({ store, hooks, log: newLog });
    await clock.advance(60_000);

    const stored = await allContacts(store, 'task-1');
    const ids = finalOnceEach(stored, pbx.originated);
    assert.equal(ids.length, 7, 'six customers, c1 twice');
    const c0 = stored.find((c) => c.customerId === 'c0');
    const c1 = stored.find((c) => c.customerId === 'c1');
    assert.deepEqual(c0?.attempts.map((a) => [a.outcome, a.callId]), [['answered', pbx.originated[0]?.channelId]], "c0's call, ended while parked, is its one attempt");
    assert.deepEqual(c1?.attempts.map((a) => a.outcome), ['busy', 'answered'], "c1's busy end in the gap is recorded and retried");
    assert.equal(c1?.attempts[0]?.callId, pbx.originated[1]?.channelId);
    assert.deepEqual([...troubles(log), ...troubles(newLog)], []);
    assert.deepEqual(
      hooks.finishedCustomers.map((f) => f.customerId).sort(),
      ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'],
      "the new instance's hooks hear every final result, those of the calls that ended in the gap too",
    );
    const { counters } = dialer.status();
    assert.deepEqual(counters && { dialed: counters.dialed, answered: counters.answered, failed: counters.failed, finished: counters.finished }, { dialed: 7, answered: 6, failed: 1, finished: 6 });
  });

  it('a tick under way when the dialer is parked, whose store call fails as the store closes under it, logs nothing; the ticks go on after the take-over', async function () {
    await db.store.importContacts('task-1', customers(settings, 6), clock.now());
    pbx.setDefault({ outcome: 'answer', ringMs: 500, talkMs: 1000 });
    // The store as the dialer sees it: a claim can be held until the test fails it, as a closing store does.
    let holding = false;
    let held: ((err: Error) => void) | undefined;
    let claimHeld!: () => void;
    const waiting = new Promise<void>((r) => (claimHeld = r));
    const store = new Proxy(db.store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (typeof value !== 'function') return value;
        if (key === 'claimDue' && holding) {
          holding = false;
          return () =>
            new Promise((_, reject) => {
              held = reject;
              claimHeld();
            });
        }
        return (value as (...a: unknown[]) => unknown).bind(target);
      },
    });
    const log = new MemoryLogger();
    const { dialer } = dialing.dialer(settings, { store, log });
    await dialer.start();
    await dialer.operate('start');
    await clock.advance(1500);
    holding = true;
    // The next tick claims the contacts of the one after: that claim waits (and the clock with it: it awaits its timers).
    const advancing = clock.advance(1000);
    await waiting;
    assert.ok(held, 'a tick is under way, waiting for its claim');
    const before = pbx.originated.length;
    await releaseDialer('task-1', dialer, 'same settings', false);
    await db.store.close();
    held(new StoreError('failed', 'claimDue: the embedded store is not open'));
    await advancing;
    await clock.advance(5000);
    assert.equal(pbx.originated.length, before, 'no call placed while parked');
    assert.deepEqual(troubles(log), []);
    const reopenedStore = await reopen();
    assert.equal(takeOverDialer('task-1', 'same settings'), dialer);
    dialer.rebind({ store: reopenedStore, hooks: recorder(), log });
    await clock.advance(60_000);
    const stored = await allContacts(reopenedStore, 'task-1');
    assert.equal(finalOnceEach(stored, pbx.originated).length, 6, 'every customer called once');
    assert.deepEqual(troubles(log), []);
  });

  // What becomes of the calls of a dialer nobody takes over: the same as when its node is removed.
  for (const how of ['removed', 'parked, then closed unclaimed'] as const) {
    it(`leaves the calls in flight of a dialer ${how} to the task's next dialer, which resolves them with Asterisk, with no error logged`, async function () {
      const { dialer, log, before } = await withCalls(how === 'removed' ? 'remove' : 'park');
      // c1's busy end comes while nobody can write it; c0 is still up when the task's next dialer starts.
      await clock.advance(4000);
      assert.equal(pbx.originated.length, before, 'no call placed meanwhile');
      const store = how === 'removed' ? db.store : await reopen();
      // A parked dialer's new instance has other settings: the dialer is not taken over, and closes.
      if (how !== 'removed') assert.equal(takeOverDialer('task-1', 'changed settings'), undefined);
      await dialer.close();
      assert.deepEqual(
        log.lines.filter((l) => /^(warn|error) /.test(l)),
        [],
        'nothing to warn about: the calls are left in flight, as documented',
      );
      // The task's next dialer (the same worker id, as nodes/deployed/instance.ts gives it).
      const newLog = new MemoryLogger();
      const next = dialing.dialer(settings, { store, log: newLog });
      await next.dialer.start();
      await clock.advance(30 * 60_000);
      const stored = await allContacts(store, 'task-1');
      finalOnceEach(stored, pbx.originated);
      assert.deepEqual(Object.fromEntries(stored.map((c) => [c.customerId, c.attempts.map((a) => a.outcome)])), {
        // Still up: resumed into the flow by the next dialer, its result kept.
        c0: ['answered'],
        // Ended while nobody could write its end: gone when asked, lost, and called again.
        c1: ['lost', 'answered'],
        c2: ['answered'],
        c3: ['answered'],
        c4: ['answered'],
        c5: ['answered'],
      });
      assert.deepEqual(troubles(newLog), []);
    });
  }
});
