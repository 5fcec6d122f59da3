/**
 * A campaign survives its Node-RED being killed (SIGKILL, no clean-up) in
 * the middle of dialing: a real Node-RED process runs the task against the
 * test's simulated Asterisk (which, like a real one, keeps the calls when
 * the application goes away); it is killed while calls ring and talk, and
 * started again on the same user directory. Every contact ends with exactly
 * one final result, no attempt is dialed twice (a call sent just before the
 * kill and gone by the restart is known from the dial journal), and the task's counters
 * (which the killed process had not saved) are what the attempts say.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DIAL_JOURNAL_FILE } from '../../lib/campaign/dial-journal';
import { rankOf } from '../../lib/campaign/order';
import { freePort } from '../../lib/playground/home';
import type { ContactInput } from '../../lib/schemas/store';
import { EmbeddedStore } from '../../lib/store/embedded';
import type { StoredContact } from '../../lib/store/port';
import { assertEveryContactFinal, completedCounters } from '../support/campaign-runtime';
import { useRestartedNodeRed } from '../support/restarted-node-red';

const CONTACTS = 24;
const numberOf = (i: number): string => `+86138${String(i).padStart(8, '0')}`;

function flows(simUrl: string, storeFile: string): Record<string, unknown>[] {
  const z = 'restart-tab';
  return [
    { id: z, type: 'tab', label: 'restart' },
    { id: 'ast', type: 'callflow-asterisk', name: 'sim', useSimulator: false, url: simUrl, app: 'callflow', idleTimeoutSec: 60, maxChannels: 100 },
    { id: 'store', type: 'callflow-store', name: 'embedded store', backend: 'embedded', file: storeFile, durability: 'full' },
    {
      id: 'task',
      type: 'callflow-campaign',
      name: 'restart',
      connection: 'ast',
      store: 'store',
      callerNumbers: ['+861058000000'],
      timezone: 'UTC',
      hours: { regular: [{ start: '00:00', end: '23:59' }], special: [], allocated: [] },
      intervalSec: 1,
      callsAtATime: 4,
      maxResponseSec: 10,
      policy: { mode: 'global', rule: { byCause: true, maxDays: 1, maxPerDay: 3, intervalSec: 1, causes: [{ cause: 'busy', retries: 1, intervalSec: 1 }] }, types: [], nonRetry: [] },
    },
    { id: 'dialer', type: 'callflow-dialer', z, campaign: 'task', x: 100, y: 100, wires: [['answer'], [], []] },
    { id: 'answer', type: 'callflow-answer', z, onError: 'hangup', outputs: 1, x: 300, y: 100, wires: [['notice']] },
    { id: 'notice', type: 'callflow-play', z, prompts: ['sound:hello-world'], bargeIn: false, repeat: 1, answer: true, onError: 'hangup', outputs: 1, x: 500, y: 100, wires: [['result']] },
    { id: 'result', type: 'callflow-result', z, result: 'notified', subResult: '', x: 700, y: 100, wires: [['bye']] },
    { id: 'bye', type: 'callflow-hangup', z, reason: 'normal', x: 900, y: 100, wires: [] },
  ];
}

describe('a campaign whose Node-RED is killed and started again', function () {
  this.timeout(120_000);
  // Prompts last 4 s and calls ring 1-3 s (simulated time at speed 2): calls are in every stage when the process dies.
  const red = useRestartedNodeRed('callflow-restart-', { speed: 2, mediaMs: 4000 });

  before(function () {
    for (let i = 0; i < CONTACTS; i += 1) {
      if (i % 4 === 3) red.sim.setNumber(numberOf(i), { outcome: 'busy', ringMs: 2000 });
      else red.sim.setNumber(numberOf(i), { outcome: 'answer', ringMs: 1000 + (i % 3) * 1000 });
    }
  });

  it('ends every contact exactly once, none dialed twice per attempt', async function () {
    const { sim } = red;
    const storeFile = path.join(red.home, 'campaign.db');
    // The contacts, and the task already running, as a deploy and a "start" would have left them.
    const store = new EmbeddedStore({ file: storeFile });
    await store.open();
    const rows: ContactInput[] = Array.from({ length: CONTACTS }, (_, i) => ({ customerId: `c${i}`, numbers: [{ number: numberOf(i) }] }));
    await store.importContacts('task', rows.map((r) => ({ ...r, rank: rankOf(r, { by: 'none', attrs: [] }) })), Date.now());
    await store.putDocument('campaign', 'task', { state: 'running', changedAt: Date.now(), reason: 'start by test', name: 'restart', counters: { dialed: 0, answered: 0, failed: 0, finished: 0 } }, 0, Date.now());
    await store.close();

    const port = await freePort();
    await red.start(port, flows(sim.url, storeFile));
    // Kill it once calls are ringing and talking (the simulator tells when the 8th call is placed).
    await new Promise<void>((resolve) => {
      const check = (): void => {
        const outbound = sim.asterisk.reportList().filter((r) => r.direction === 'outbound');
        if (outbound.length >= 8 && outbound.some((r) => !r.ended && r.answeredAt)) resolve();
        else setTimeout(check, 20);
      };
      check();
    });
    await red.kill();
    const atKill = sim.asterisk.reportList().filter((r) => r.direction === 'outbound');
    assert.ok(atKill.some((r) => !r.ended), 'calls were in progress when Node-RED died');

    await red.start(port, flows(sim.url, storeFile));
    // Wait for the task to complete (the runtime's admin API says so).
    const counters = await completedCounters(port, 90_000, 100);

    const after = new EmbeddedStore({ file: storeFile });
    await after.open();
    const contacts: StoredContact[] = (await after.pageContacts('task', { limit: 1000 })).items;
    await after.close();
    assertEveryContactFinal(contacts, CONTACTS);
    const calls = sim.asterisk.reportList().filter((r) => r.direction === 'outbound');
    const recorded = contacts.flatMap((c) => c.attempts.map((a) => a.callId)).filter((id): id is string => id !== undefined);
    assert.equal(new Set(recorded).size, recorded.length, 'no attempt recorded twice');
    for (const call of calls) assert.equal(recorded.filter((id) => id === call.id).length, 1, `call ${call.id} to ${call.to} is exactly one attempt`);
    // The calls sent ahead of their mark were kept in the user directory's dial journal, which the restart read.
    const journaled = new Set(fs.readFileSync(path.join(red.home, DIAL_JOURNAL_FILE), 'utf8').split('\n'));
    assert.ok(calls.some((c) => journaled.has(c.id)), 'the dial journal holds calls sent');
    // A call that was up when Node-RED died went on in the flow after the restart: answered, with the flow's result.
    const upAtKill = atKill.filter((r) => r.answeredAt && !r.ended).map((r) => r.id);
    assert.ok(upAtKill.length > 0, 'a call was up when Node-RED died');
    const attempts = contacts.flatMap((c) => c.attempts);
    for (const id of upAtKill) {
      const a = attempts.find((x) => x.callId === id);
      assert.equal(a?.outcome === 'lost' || (a?.outcome === 'answered' && a.result === 'notified'), true, `call ${id}: ${JSON.stringify(a)}`);
    }
    assert.ok(
      upAtKill.some((id) => attempts.find((x) => x.callId === id)?.result === 'notified'),
      'at least one of them resumed into the flow and reached its result',
    );
    const busy = contacts.filter((_, i) => i % 4 === 3);
    for (const c of busy) assert.ok(c.attempts.length >= 1 && c.attempts.length <= 2, `${c.customerId}: busy, retried once at most`);
    assert.ok(
      contacts.some((c) => c.attempts.some((a) => a.outcome === 'answered' && a.result === 'notified')),
      'answered calls walked the flow to the result node',
    );
    // The counters the task shows are the attempts', though the killed process never saved its own.
    const dialed = attempts.filter((a) => a.outcome !== 'blocked');
    const answered = dialed.filter((a) => a.outcome === 'answered').length;
    assert.deepEqual(counters, { dialed: dialed.length, answered, failed: dialed.length - answered, finished: CONTACTS }, `counters against ${dialed.length} attempts`);
  });
});
