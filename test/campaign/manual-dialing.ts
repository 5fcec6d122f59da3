/**
 * A campaign dialer on a manual clock (Monday 08:00 in Shanghai), a fake
 * Asterisk and a temporary embedded store, made before each test of the
 * calling describe block; the dialers it made are closed after the test.
 * The dialer's test files (dialer.test.ts, dialer-faults.test.ts,
 * instances.test.ts) share it, and what they check after a crash.
 */
import assert from 'node:assert/strict';
import { ManualClock } from '../../lib/campaign/clock';
import type { Dialer } from '../../lib/campaign/dialer';
import { rankOf } from '../../lib/campaign/order';
import type { CampaignSettings } from '../../lib/schemas/campaign';
import type { ContactInput } from '../../lib/schemas/store';
import type { StoredContact } from '../../lib/store/port';
import { FakeAsterisk, makeDialer, tempStore, type Originated } from './support';

export const MONDAY_8AM_SHANGHAI = '2026-11-23T00:00:00Z';

/** The rows with their rank under the task's call order, as the contacts stage stores them. */
export function contacts(settings: CampaignSettings, rows: ContactInput[]): ContactInput[] {
  return rows.map((r) => ({ ...r, rank: rankOf(r, settings.order) }));
}

type Made = ReturnType<typeof makeDialer>;

export interface ManualDialing {
  /** The running test's store. */
  readonly db: Awaited<ReturnType<typeof tempStore>>;
  /** The running test's clock. */
  readonly clock: ManualClock;
  /** The running test's Asterisk. */
  readonly pbx: FakeAsterisk;
  /** The dialers closed after the test (one made with makeDialer directly is pushed here). */
  readonly dialers: Dialer[];
  /** A dialer of the task on the test's store, Asterisk and clock, closed after the test. */
  readonly dialer: (settings: CampaignSettings, extra?: Partial<Parameters<typeof makeDialer>[0]>) => Made;
}

export function useManualDialing(): ManualDialing {
  let db: ManualDialing['db'] | undefined;
  let clock: ManualClock | undefined;
  let pbx: FakeAsterisk | undefined;
  const dialers: Dialer[] = [];

  beforeEach(async function () {
    db = await tempStore();
    clock = new ManualClock(MONDAY_8AM_SHANGHAI);
    pbx = new FakeAsterisk(clock);
  });

  afterEach(async function () {
    for (const d of dialers.splice(0)) await d.close(0);
    await db?.cleanup();
  });

  const made = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the dialing test setup is made before each test');
    return value;
  };
  return {
    get db() {
      return made(db);
    },
    get clock() {
      return made(clock);
    },
    get pbx() {
      return made(pbx);
    },
    dialers,
    dialer: (settings, extra = {}) => {
      const one = makeDialer({ settings, store: made(db).store, view: made(pbx).view(), clock: made(clock), ...extra });
      dialers.push(one.dialer);
      return one;
    },
  };
}

/**
 * After a crash or a take-over: every contact has its final result, its attempts are numbered once each, and no
 * channel was dialed twice. Returns the channel ids dialed.
 */
export function finalOnceEach(stored: readonly StoredContact[], originated: readonly Originated[]): string[] {
  for (const c of stored) {
    assert.equal(c.state, 'done', `${c.customerId} is final (${JSON.stringify(c.attempts)})`);
    assert.deepEqual(
      c.attempts.map((x) => x.n),
      c.attempts.map((_, i) => i + 1),
      `${c.customerId}: attempts numbered once each`,
    );
  }
  const ids = originated.map((o) => o.channelId);
  assert.equal(new Set(ids).size, ids.length, 'no channel dialed twice');
  return ids;
}
