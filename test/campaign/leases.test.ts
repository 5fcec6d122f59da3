/**
 * The renewal of a dialer's leases (lib/campaign/leases.ts) against a real
 * embedded store: a lease another dialer took is reported as lost; one the
 * claim's own outcome write released while the renewal was under way is not.
 */
import assert from 'node:assert/strict';
import { ClaimsAhead, LEASE_MS } from '../../lib/campaign/claims-ahead';
import { ManualClock } from '../../lib/campaign/clock';
import type { CallsInFlight } from '../../lib/campaign/in-flight';
import { Leases } from '../../lib/campaign/leases';
import type { Claim, Store } from '../../lib/store/port';
import { MemoryLogger } from '../support/telephony';
import { settingsWith, tempStore } from './support';

describe('campaign leases: renewal', function () {
  let db: Awaited<ReturnType<typeof tempStore>>;

  beforeEach(async function () {
    db = await tempStore();
  });

  afterEach(async function () {
    await db.cleanup();
  });

  it('warns of a lease lost to another dialer, not of one whose outcome write released it during the renewal', async function () {
    const clock = new ManualClock('2026-11-23T00:00:00Z');
    const T = clock.now();
    await db.store.importContacts(
      'task-1',
      ['a', 'b', 'c'].map((id, i) => ({ customerId: id, numbers: [{ number: `+8613800000${i}00` }], rank: String(i) })),
      T,
    );
    const held = new Set<Claim>(await db.store.claimDue('task-1', T, 3, 'w1', LEASE_MS));
    const [a, b, c] = [...held] as [Claim, Claim, Claim];
    // b's lease ran out and another dialer claimed it: lost.
    await db.store.recordAttempt(b, null, { state: 'due', dueAt: T, progress: {} });
    const bTakenBy = await db.store.claimDue('task-1', T, 1, 'w2', LEASE_MS);
    assert.equal(bTakenBy[0]?.contact.customerId, 'b');
    // a's outcome is written while the renewal waits for the store: its own write released the lease.
    const store = new Proxy(db.store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (key !== 'renewLeases' || typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          await target.recordAttempt(a, null, { state: 'done', at: T, progress: {}, result: { code: 'answered', at: T } });
          held.delete(a);
          return (value as (...x: unknown[]) => Promise<string[]>).apply(target, args);
        };
      },
    }) as Store;
    const log = new MemoryLogger();
    const calls = { claims: () => [...held] } as unknown as CallsInFlight;
    const ahead = { claims: () => [], lose: () => undefined } as unknown as ClaimsAhead;
    const leases = new Leases({ campaignId: 'task-1', clock, store: () => store, log: () => log, name: () => 'test task', worker: 'w1', calls, ahead, closed: () => false, whenConnected: () => undefined, track: () => undefined });
    await leases.renew(T + 20_000);
    const warned = log.lines.filter((l) => l.startsWith('warn'));
    assert.equal(warned.length, 1, warned.join('\n'));
    assert.match(warned[0] ?? '', /lost the lease of customer b/);
    assert.ok(held.has(c), 'c is still held');
  });
  it('a contact claimed for the next tick whose lease another dialer took is no longer held here: the next tick does not dial it', async function () {
    // Its attempt may be written ahead already (placing.ts): the tick that allows it would dial it with no store write
    // before, under the other dialer's lease.
    const clock = new ManualClock('2026-11-23T00:00:00Z');
    const T = clock.now();
    await db.store.importContacts('task-1', ['a', 'b'].map((id, i) => ({ customerId: id, numbers: [{ number: `+8613800000${i}00` }], rank: String(i) })), T);
    const log = new MemoryLogger();
    const settings = settingsWith({});
    const day = (t: number): string => new Date(t).toISOString().slice(0, 10);
    const ahead = new ClaimsAhead({
      campaignId: 'task-1',
      worker: 'w1',
      clock,
      store: () => db.store,
      settings: () => settings,
      days: () => ({ dayOf: day, nextDayStart: (t) => Date.parse(`${day(t)}T00:00:00Z`) + 86_400_000, daysBetween: (a, b) => (Date.parse(b) - Date.parse(a)) / 86_400_000 }),
      log: () => log,
      track: () => undefined,
      record: () => Promise.resolve(true),
      resume: () => undefined,
    });
    await ahead.fill(2, T);
    assert.equal(ahead.size, 2);
    const [a] = ahead.claims() as [Claim];
    // a's lease ran out (its expiry put it back in the queue) and another dialer claimed it.
    await db.store.recordAttempt(a, null, { state: 'due', dueAt: T, progress: {} });
    assert.equal((await db.store.claimDue('task-1', T, 1, 'w2', LEASE_MS))[0]?.contact.customerId, 'a');
    const calls = { claims: () => [] } as unknown as CallsInFlight;
    const leases = new Leases({ campaignId: 'task-1', clock, store: () => db.store, log: () => log, name: () => 'test task', worker: 'w1', calls, ahead, closed: () => false, whenConnected: () => undefined, track: () => undefined });
    await leases.renew(T + 20_000);
    assert.match(log.lines.filter((l) => l.startsWith('warn')).join('\n'), /lost the lease of customer a/);
    assert.deepEqual(
      ahead.take(10).map((r) => r.claim.contact.customerId),
      ['b'],
      'only b is still ready to dial',
    );
  });
});
