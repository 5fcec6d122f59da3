/**
 * Campaign calls when Asterisk fails, in Node-RED against the simulated
 * Asterisk, through the real chain: the connection notices the fault and
 * reconciles (lib/ari/connection.ts), the registry ends the answered calls
 * by the system (lib/call/registry.ts), the dialer records the attempts.
 * Half the customers are in the middle of the notice and half still ring
 * when (a) Asterisk restarts, (b) the events WebSocket drops and the calls
 * are gone when it comes back. Each such customer's attempt is lost and
 * retried (none is final answered or unreachable), no number is dialed
 * while a call to it still exists, and the task's counters are what its
 * attempts say.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { startSimulator, type Simulator } from '../../lib/sim';
import type { CallReport } from '../../lib/sim/script';
import { EmbeddedStore } from '../../lib/store/embedded';
import type { StoredContact } from '../../lib/store/port';
import { CREDS, messages } from '../support/ivr';
import { NODES, helper, until, useNodeRed } from '../support/node-red';
import { noticeStages, seedRunningTask } from '../support/campaign-store';
import { useTempDir } from '../support/temp-dir';

const CONTACTS = 8;
const numberOf = (i: number): string => `+86139${String(i).padStart(8, '0')}`;
/** Even customers answer at once and hear the notice (a minute long until the fault); odd ones ring for two minutes. */
const answersAtOnce = (i: number): boolean => i % 2 === 0;

function flows(simUrl: string, storeFile: string): Record<string, unknown>[] {
  const z = 'faults-tab';
  return [
    { id: z, type: 'tab', label: 'faults' },
    { id: 'a1', type: 'callflow-asterisk', name: 'sim', useSimulator: false, url: simUrl, app: 'callflow', idleTimeoutSec: 60, maxChannels: 100 },
    { id: 'st1', type: 'callflow-store', name: 'embedded', backend: 'embedded', file: storeFile, durability: 'normal' },
    {
      id: 'task',
      type: 'callflow-campaign',
      name: 'faults',
      connection: 'a1',
      store: 'st1',
      callerNumbers: ['+861058000000'],
      timezone: 'UTC',
      hours: { regular: [{ start: '00:00', end: '23:59' }], special: [], allocated: [] },
      intervalSec: 1,
      callsAtATime: CONTACTS,
      maxResponseSec: 120,
      policy: { mode: 'global', rule: { byCause: false, maxDays: 1, maxPerDay: 3, intervalSec: 1, causes: [] }, types: [], nonRetry: [] },
    },
    ...noticeStages(z),
  ];
}


describe('campaign calls when Asterisk fails (Node-RED, simulated Asterisk)', function () {
  this.timeout(90_000);
  useNodeRed();
  let sim: Simulator;
  const temp = useTempDir('callflow-faults-');

  beforeEach(async function () {
    // Real time until the fault, so that a notice is still playing and a call still ringing whatever the machine's load.
    sim = await startSimulator({ speed: 1, mediaMs: 60_000 });
  });

  afterEach(async function () {
    await sim.close();
  });

  const outbound = (): CallReport[] => sim.asterisk.reportList().filter((r) => r.direction === 'outbound');

  async function campaignWithFault(fault: () => Promise<void>): Promise<{ contacts: StoredContact[]; counters: Record<string, number> | undefined }> {
    const storeFile = path.join(temp.path, 'campaign.db');
    await seedRunningTask(storeFile, { id: 'task', name: 'faults' }, Array.from({ length: CONTACTS }, (_, i) => ({ customerId: `c${i}`, number: numberOf(i) })));
    for (let i = 0; i < CONTACTS; i += 1) sim.setNumber(numberOf(i), { outcome: 'answer', ringMs: answersAtOnce(i) ? 500 : 120_000 });

    await helper.load(NODES, flows(sim.url, storeFile), CREDS);
    const finished = messages<unknown>('finished', CONTACTS, 60_000);
    await until(() => outbound().length === CONTACTS, 'every customer to be dialed');
    for (const call of outbound()) if (answersAtOnce(Number(call.to.slice(-2)))) await sim.call(call.id).until('playback-start');
    const atFault = outbound();
    assert.equal(atFault.filter((r) => !r.ended && r.answeredAt && r.heard.length === 1 && !r.heard[0]?.endedAt).length, CONTACTS / 2, 'half are in the middle of the notice');
    assert.equal(atFault.filter((r) => !r.ended && !r.answeredAt).length, CONTACTS / 2, 'half still ring');

    // Calls placed from now on answer at once, and everything runs 200 times faster.
    for (let i = 0; i < CONTACTS; i += 1) sim.setNumber(numberOf(i), { outcome: 'answer', ringMs: 500 });
    await fault();
    sim.asterisk.clock.speed = 200;
    await finished;

    const counters = await new Promise<Record<string, number> | undefined>((resolve, reject) => {
      const deadline = Date.now() + 30_000;
      const check = (): void => {
        Promise.resolve(helper.request().get('/callflow/campaigns'))
          .then((res) => {
            const list = res.body as { state?: string; counters?: Record<string, number> }[];
            if (list[0]?.state === 'completed') resolve(list[0].counters);
            else if (Date.now() > deadline) reject(new Error(`not completed: ${JSON.stringify(list)}`));
            else setTimeout(check, 50);
          })
          .catch(reject);
      };
      check();
    });
    const after = new EmbeddedStore({ file: storeFile });
    await after.open();
    const contacts = (await after.pageContacts('task', { limit: 1000 })).items;
    await after.close();
    return { contacts, counters };
  }

  function check(contacts: StoredContact[], counters: Record<string, number> | undefined, why: string): void {
    try {
      expectations(contacts, counters, why);
    } catch (err) {
      // What Node-RED logged (errors, warnings, the connection's and the task's news) tells why.
      const entries = (helper.log().args as { level: number; msg: unknown; id?: string }[][]).flat();
      console.log(entries.filter((e) => e.level <= 40).map((e) => `${e.level} ${e.id ?? ''} ${String(e.msg)}`).join('\n'));
      throw err;
    }
  }

  function expectations(contacts: StoredContact[], counters: Record<string, number> | undefined, why: string): void {
    assert.equal(contacts.length, CONTACTS);
    for (const c of contacts) {
      assert.deepEqual(
        c.attempts.map((a) => [a.outcome, a.why, a.result]),
        [
          ['lost', why, undefined],
          ['answered', undefined, 'notified'],
        ],
        `${c.customerId} (${answersAtOnce(Number(c.customerId.slice(1))) ? 'cut off mid-notice' : 'ringing'}): lost to the fault, then called again and notified`,
      );
      assert.deepEqual([c.state, c.result?.code], ['done', 'notified'], c.customerId);
    }
    // No number dialed while a call to it still rang or talked.
    const calls = outbound().sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    for (const call of calls) {
      const before = calls.filter((other) => other.to === call.to && other.startedAt < call.startedAt);
      for (const other of before) assert.ok(other.ended && other.ended.at <= call.startedAt, `${call.to} dialed at ${call.startedAt} while ${other.id} was still there`);
    }
    const attempts = contacts.flatMap((c) => c.attempts);
    assert.equal(calls.length, attempts.length, 'one call per attempt');
    assert.deepEqual(counters, { dialed: 2 * CONTACTS, answered: CONTACTS, failed: CONTACTS, finished: CONTACTS }, 'the counters are what the attempts say');
  }

  it('Asterisk restarts while calls ring and play their notice: each customer is lost, retried and notified', async function () {
    const { contacts, counters } = await campaignWithFault(() => sim.restart(300));
    check(contacts, counters, 'asterisk-restarted');
  });

  it('the events WebSocket drops and the calls are gone when it comes back: each customer is lost, retried and notified', async function () {
    const { contacts, counters } = await campaignWithFault(async () => {
      // The network fails (the socket is cut, nothing answers); meanwhile every call ends, unheard.
      await sim.suspend();
      for (const call of sim.asterisk.reportList({ active: true })) sim.asterisk.remoteHangup(call.id);
      await sim.resume();
    });
    check(contacts, counters, 'connection-lost');
  });
});
