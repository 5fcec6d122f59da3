/**
 * Several Asterisk servers in Node-RED: two simulated Asterisks (two
 * simulators on two ports) in one test. A campaign over both (a trunk
 * group) never puts more calls on one than its limit, records the
 * connection of each attempt and uses the caller numbers bound to each;
 * one Asterisk restarts mid-campaign: its calls are lost and retried, the
 * new calls go to the other while it is down, nobody is dialed twice at
 * once, and it takes calls again once it is back. An entry node over both
 * connections answers calls from each, the routing table they share applies
 * to both, msg.call.connection names the call's own connection and the
 * elements act on it.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { campaignReport } from '../../lib/campaign/report';
import { startSimulator, type Simulator } from '../../lib/sim';
import type { CallReport } from '../../lib/sim/script';
import { EmbeddedStore } from '../../lib/store/embedded';
import type { StoredContact } from '../../lib/store/port';
import { connected, messages, type CallMsg } from '../support/ivr';
import { NODES, helper, until, useNodeRed } from '../support/node-red';
import { noticeStages, seedRunningTask } from '../support/campaign-store';
import { allContacts } from '../support/campaign-runtime';
import { useTempDir } from '../support/temp-dir';

const CREDS = { a1: { username: 'asterisk', password: 'asterisk' }, a2: { username: 'asterisk', password: 'asterisk' } };
const numberOf = (i: number): string => `+86139${String(i).padStart(8, '0')}`;

/** The most calls a simulator had at once (from its reports: a call counts from its start to its end). */
function mostAtOnce(reports: CallReport[]): number {
  const edges: [string, number][] = [];
  for (const r of reports) {
    edges.push([r.startedAt, 1]);
    if (r.ended) edges.push([r.ended.at, -1]);
  }
  // An end and a start at the same instant: the end first.
  edges.sort((x, y) => x[0].localeCompare(y[0]) || x[1] - y[1]);
  let now = 0;
  let most = 0;
  for (const [, d] of edges) {
    now += d;
    most = Math.max(most, now);
  }
  return most;
}

/** No number was called while a call to it still rang or talked, on either Asterisk. */
function neverTwiceAtOnce(reports: CallReport[]): void {
  const calls = [...reports].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  for (const call of calls) {
    for (const other of calls) {
      if (other === call || other.to !== call.to || other.startedAt > call.startedAt) continue;
      assert.ok(other.ended && other.ended.at <= call.startedAt, `${call.to} dialed at ${call.startedAt} while ${other.id} was still there`);
    }
  }
}

function campaignFlows(simA: Simulator, simB: Simulator, storeFile: string, task: Record<string, unknown>): Record<string, unknown>[] {
  const z = 'trunks-tab';
  return [
    { id: z, type: 'tab', label: 'trunks' },
    { id: 'a1', type: 'callflow-asterisk', name: 'ast-a', useSimulator: false, url: simA.url, app: 'callflow', idleTimeoutSec: 60, maxChannels: 100 },
    { id: 'a2', type: 'callflow-asterisk', name: 'ast-b', useSimulator: false, url: simB.url, app: 'callflow', idleTimeoutSec: 60, maxChannels: 100 },
    { id: 'st1', type: 'callflow-store', name: 'embedded', backend: 'embedded', file: storeFile, durability: 'normal' },
    {
      id: 'task',
      type: 'callflow-campaign',
      name: 'trunks',
      connection: 'a1',
      store: 'st1',
      callerNumbers: ['+861058000000'],
      timezone: 'UTC',
      hours: { regular: [{ start: '00:00', end: '23:59' }], special: [], allocated: [] },
      intervalSec: 1,
      maxResponseSec: 120,
      policy: { mode: 'global', rule: { byCause: false, maxDays: 1, maxPerDay: 3, intervalSec: 1, causes: [] }, types: [], nonRetry: [] },
      ...task,
    },
    ...noticeStages(z),
  ];
}

describe('several Asterisk servers (Node-RED, two simulated Asterisks)', function () {
  this.timeout(90_000);
  useNodeRed();
  let simA: Simulator;
  let simB: Simulator;
  const temp = useTempDir('callflow-trunks-');

  beforeEach(async function () {
    simA = await startSimulator({ speed: 1, mediaMs: 60_000 });
    simB = await startSimulator({ speed: 1, mediaMs: 60_000 });
  });

  afterEach(async function () {
    await simA.close();
    await simB.close();
  });

  const outbound = (sim: Simulator): CallReport[] => sim.asterisk.reportList().filter((r) => r.direction === 'outbound');

  async function loadContacts(storeFile: string, count: number): Promise<void> {
    await seedRunningTask(storeFile, { id: 'task', name: 'trunks' }, Array.from({ length: count }, (_, i) => ({ customerId: `c${i}`, number: numberOf(i) })));
  }

  async function storedContacts(storeFile: string): Promise<StoredContact[]> {
    const store = new EmbeddedStore({ file: storeFile });
    await store.open();
    try {
      return await allContacts(store, 'task');
    } finally {
      await store.close();
    }
  }

  it("splits a campaign's calls over two Asterisks within each one's limit, records each attempt's connection, and uses the caller numbers bound to each", async function () {
    const CONTACTS = 12;
    const storeFile = path.join(temp.path, 'campaign.db');
    await loadContacts(storeFile, CONTACTS);
    // Every customer answers at once and hears the notice (3 s of the simulator's time at 20x: 150 ms).
    simA.asterisk.clock.speed = 20;
    simB.asterisk.clock.speed = 20;
    for (let i = 0; i < CONTACTS; i += 1) {
      simA.setNumber(numberOf(i), { outcome: 'answer', ringMs: 500 });
      simB.setNumber(numberOf(i), { outcome: 'answer', ringMs: 500 });
    }
    await helper.load(
      NODES,
      campaignFlows(simA, simB, storeFile, {
        callsAtATime: 6,
        connections: [
          { connection: 'a1', maxCalls: 2, weight: 1, callerNumbers: ['+861058000001'] },
          { connection: 'a2', maxCalls: 4, weight: 1, callerNumbers: [] },
        ],
      }),
      CREDS,
    );
    await messages<unknown>('finished', CONTACTS, 60_000);
    const onA = outbound(simA);
    const onB = outbound(simB);
    assert.equal(onA.length + onB.length, CONTACTS, 'each customer dialed once');
    assert.ok(onA.length > 0 && onB.length > 0, `both carry calls (a ${onA.length}, b ${onB.length})`);
    assert.ok(mostAtOnce(onA) <= 2, `a never over its 2 (had ${mostAtOnce(onA)})`);
    assert.ok(mostAtOnce(onB) <= 4, `b never over its 4 (had ${mostAtOnce(onB)})`);
    assert.deepEqual([...new Set(onA.map((r) => r.from))], ['+861058000001'], "a's own caller number");
    assert.deepEqual([...new Set(onB.map((r) => r.from))], ['+861058000000'], "b has none of its own: the task's");
    const contacts = await storedContacts(storeFile);
    const idsOnA = new Set(onA.map((r) => r.id));
    for (const c of contacts) {
      assert.deepEqual([c.state, c.result?.code, c.attempts.length], ['done', 'notified', 1], c.customerId);
      const attempt = c.attempts[0];
      assert.equal(attempt?.connection, idsOnA.has(attempt?.callId ?? '') ? 'a1' : 'a2', `${c.customerId}: the attempt names its connection`);
    }
    // The report counts the attempts of each connection.
    const store = new EmbeddedStore({ file: storeFile });
    await store.open();
    const { figures } = await campaignReport(store, 'task');
    await store.close();
    assert.deepEqual(figures.connections, { a1: onA.length, a2: onB.length });
    neverTwiceAtOnce([...onA, ...onB]);
    // The campaign's status (the admin API, the sidebar) shows each connection's calls and limit.
    const listed = (await helper.request().get('/callflow/campaigns').expect(200)).body as { trunks?: { id: string; name: string; limit: number; state: string }[] }[];
    assert.deepEqual(listed[0]?.trunks?.map((l) => [l.id, l.name, l.limit, l.state]), [['a1', 'ast-a', 2, 'connected'], ['a2', 'ast-b', 4, 'connected']]);
  });

  it('one Asterisk restarts mid-campaign: its calls are lost and retried, new calls go to the other while it is down, and it takes calls again once back', async function () {
    const CONTACTS = 16;
    const storeFile = path.join(temp.path, 'campaign.db');
    await loadContacts(storeFile, CONTACTS);
    for (let i = 0; i < CONTACTS; i += 1) {
      simA.setNumber(numberOf(i), { outcome: 'answer', ringMs: 300 });
      simB.setNumber(numberOf(i), { outcome: 'answer', ringMs: 300 });
    }
    await helper.load(
      NODES,
      campaignFlows(simA, simB, storeFile, {
        callsAtATime: 2,
        connections: [
          { connection: 'a1', maxCalls: 3, weight: 1, callerNumbers: [] },
          { connection: 'a2', maxCalls: 3, weight: 1, callerNumbers: [] },
        ],
      }),
      CREDS,
    );
    const finished = messages<unknown>('finished', CONTACTS, 80_000);
    // Both full: three customers on each hear their minute-long notice.
    await until(() => outbound(simA).length === 3 && outbound(simB).length === 3, 'three calls on each Asterisk');
    await until(() => [...outbound(simA), ...outbound(simB)].every((r) => r.answeredAt && r.heard.length === 1), 'every call to hear its notice');
    const atFault = outbound(simB).map((r) => r.id);
    // b crashes and stays down for 3 s; a runs 200 times faster: its calls end and it takes new ones meanwhile.
    const back = simB.restart(3000);
    simA.asterisk.clock.speed = 200;
    await until(() => outbound(simA).length >= 6, 'new calls on a while b is down');
    await back;
    const backAt = new Date().toISOString();
    simB.asterisk.clock.speed = 200;
    for (let i = 0; i < CONTACTS; i += 1) simB.setNumber(numberOf(i), { outcome: 'answer', ringMs: 300 });
    await finished;
    const contacts = await storedContacts(storeFile);
    const calls = [...outbound(simA), ...outbound(simB)];
    assert.equal(calls.length, contacts.flatMap((c) => c.attempts).length, 'one call per attempt');
    for (const c of contacts) {
      assert.deepEqual([c.state, c.result?.code], ['done', 'notified'], c.customerId);
      const lost = c.attempts.filter((a) => a.outcome === 'lost');
      if (atFault.includes(c.attempts[0]?.callId ?? '')) {
        assert.deepEqual(lost.map((a) => [a.why, a.connection]), [['asterisk-restarted', 'a2']], `${c.customerId} was on b when it crashed`);
        assert.equal(c.attempts.at(-1)?.outcome, 'answered', `${c.customerId} called again and reached`);
      } else assert.deepEqual(lost, [], `${c.customerId} lost nothing`);
    }
    assert.equal(contacts.filter((c) => c.attempts.some((a) => a.outcome === 'lost')).length, 3, "b's three calls, and only those, were lost");
    assert.ok(
      contacts.every((c) => c.attempts.every((a) => a.outcome !== 'originate-failed')),
      'no call was sent to b while it was down',
    );
    assert.ok(outbound(simB).some((r) => r.startedAt > backAt), 'b takes calls again once it is back');
    neverTwiceAtOnce(calls);
  });

  it("hangs up an answered call on its own Asterisk when the dialer's output 1 is not wired", async function () {
    const storeFile = path.join(temp.path, 'campaign.db');
    await loadContacts(storeFile, 4);
    for (const sim of [simA, simB]) {
      sim.asterisk.clock.speed = 20;
      for (let i = 0; i < 4; i += 1) sim.setNumber(numberOf(i), { outcome: 'answer', ringMs: 300 });
    }
    const flows = campaignFlows(simA, simB, storeFile, {
      callsAtATime: 4,
      policy: { mode: 'global', rule: { byCause: false, maxDays: 1, maxPerDay: 1, intervalSec: 1, causes: [] }, types: [], nonRetry: [] },
      // b first: with no call up anywhere the first call goes to the first listed (trunks.ts), so b carries at least
      // one call however the ticks fall on a busy machine (calls end at once here, so the split is not fixed).
      connections: [
        { connection: 'a2', maxCalls: 2, weight: 1, callerNumbers: [] },
        { connection: 'a1', maxCalls: 2, weight: 1, callerNumbers: [] },
      ],
    }).map((n) => (n.id === 'dialer' ? { ...n, wires: [[], [], ['finished']] } : n));
    await helper.load(NODES, flows, CREDS);
    await messages<unknown>('finished', 4, 30_000);
    const calls = [...outbound(simA), ...outbound(simB)];
    assert.equal(calls.length, 4, 'four calls placed');
    // b is not the task's own connection (a1): its calls are the ones a hangup through the task's connection would miss.
    assert.ok(outbound(simB).length >= 1, 'b carried a call');
    for (const r of calls) assert.equal(r.ended?.by, 'application', `${r.id} on ${outbound(simA).includes(r) ? 'a' : 'b'} was hung up by this application, through its own connection`);
    const contacts = await storedContacts(storeFile);
    assert.ok(contacts.every((c) => c.attempts[0]?.why === 'unwired: callflow-dialer dialer'), JSON.stringify(contacts.map((c) => c.attempts[0])));
  });

  it("sends a campaign's answered calls into its IVR flow on each call's own connection (the flow's entry takes calls from both)", async function () {
    const storeFile = path.join(temp.path, 'campaign.db');
    await loadContacts(storeFile, 4);
    for (const sim of [simA, simB]) {
      sim.asterisk.clock.speed = 20;
      for (let i = 0; i < 4; i += 1) sim.setNumber(numberOf(i), { outcome: 'answer', ringMs: 300 });
    }
    const z = 'trunks-tab';
    const flows = campaignFlows(simA, simB, storeFile, {
      callsAtATime: 4,
      flow: 'notify',
      connections: [
        { connection: 'a1', maxCalls: 2, weight: 1, callerNumbers: [] },
        { connection: 'a2', maxCalls: 2, weight: 1, callerNumbers: [] },
      ],
    }).map((n) => (n.id === 'dialer' ? { ...n, wires: [[], [], ['finished']] } : n));
    flows.push({ id: 'e1', type: 'callflow-entry', z, connection: 'a1', connections: ['a2'], flow: 'notify', x: 100, y: 300, wires: [['notice', 'entered']] });
    flows.push({ id: 'entered', type: 'helper', z, x: 300, y: 300, wires: [] });
    await helper.load(NODES, flows, CREDS);
    const entered = messages<CallMsg>('entered', 4, 30_000);
    await messages<unknown>('finished', 4, 30_000);
    const msgs = await entered;
    assert.deepEqual(msgs.map((m) => m.call.connection).sort(), ['a1', 'a1', 'a2', 'a2'], 'each call entered the flow from its own connection');
    const contacts = await storedContacts(storeFile);
    assert.ok(contacts.every((c) => c.result?.code === 'notified' && c.attempts.length === 1), JSON.stringify(contacts.map((c) => c.attempts)));
    for (const r of [...outbound(simA), ...outbound(simB)]) assert.deepEqual(r.heard.map((h) => h.media), ['sound:hello-world'], `${r.id} heard the notice on its own Asterisk`);
  });

  it('an entry over two connections answers calls from both; their shared routing table applies to both; each call names and uses its own connection', async function () {
    for (const sim of [simA, simB]) sim.asterisk.clock.speed = 50;
    const z = 'in-tab';
    await helper.load(
      NODES,
      [
        { id: z, type: 'tab', label: 'inbound' },
        { id: 'rt', type: 'callflow-routing', name: 'DIDs', account: { flow: 'main' }, groups: [], numbers: [{ number: '7000', flow: 'sales' }] },
        { id: 'a1', type: 'callflow-asterisk', name: 'ast-a', useSimulator: false, url: simA.url, app: 'callflow', idleTimeoutSec: 60, routing: 'rt' },
        { id: 'a2', type: 'callflow-asterisk', name: 'ast-b', useSimulator: false, url: simB.url, app: 'callflow', idleTimeoutSec: 60, routing: 'rt' },
        { id: 'e1', type: 'callflow-entry', z, connection: 'a1', connections: ['a2'], flow: 'sales', x: 100, y: 100, wires: [['seen', 'greet']] },
        { id: 'seen', type: 'helper', z, x: 300, y: 200, wires: [] },
        { id: 'greet', type: 'callflow-play', z, prompts: ['sound:hello-world'], bargeIn: false, repeat: 1, answer: true, onError: 'hangup', outputs: 1, x: 300, y: 100, wires: [['bye']] },
        { id: 'bye', type: 'callflow-hangup', z, reason: 'normal', x: 500, y: 100, wires: [] },
      ],
      CREDS,
    );
    // The entry's status is connected once both connections are.
    await connected('e1');
    // A call on each (the dialed number routes it to sales through the table both connections name).
    const seen = messages<CallMsg>('seen', 2, 30_000);
    const onA = simA.placeCall({ from: '+15550101', to: '7000' });
    const onB = simB.placeCall({ from: '+15550102', to: '7000' });
    const msgs = await seen;
    const byConnection = Object.fromEntries(msgs.map((m) => [m.call.connection, m]));
    assert.deepEqual(Object.keys(byConnection).sort(), ['a1', 'a2'], 'one call from each connection');
    assert.deepEqual([byConnection.a1?.call.caller.number, byConnection.a1?.call.flow, byConnection.a1?.call.route], ['+15550101', 'sales', { level: 'number' }]);
    assert.deepEqual([byConnection.a2?.call.caller.number, byConnection.a2?.call.flow, byConnection.a2?.call.route], ['+15550102', 'sales', { level: 'number' }]);
    // The play and hangup elements acted on each call's own Asterisk.
    const [reportA, reportB] = await Promise.all([onA.ended(), onB.ended()]);
    for (const [report, name] of [[reportA, 'a'], [reportB, 'b']] as const) {
      assert.ok(report.answeredAt, `the call on ${name} was answered by its own Asterisk`);
      assert.deepEqual(report.heard.map((h) => h.media), ['sound:hello-world'], `the call on ${name} heard the prompt`);
      assert.equal(report.ended?.by, 'application', `the call on ${name} was hung up by the flow`);
    }
    assert.equal(simA.asterisk.reportList().length, 1, 'a carried its call only');
    assert.equal(simB.asterisk.reportList().length, 1, 'b carried its call only');
  });
});
