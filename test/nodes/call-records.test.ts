/**
 * Call records: every call that ends on a connection whose settings name a store is kept there (with or without a
 * callflow-call-end node), listed per flow and per campaign through the admin API, newest first, without the call's
 * token; a store that is down costs the calls nothing.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { asteriskConfig } from '../../lib/schemas/asterisk';
import type { CallRecord } from '../../lib/schemas/store';
import { EmbeddedStore } from '../../lib/store/embedded';
import type { Store } from '../../lib/store/port';
import type { AsteriskConfigNode } from '../../nodes/asterisk/config';
import type { StoreConfigNode } from '../../nodes/store/config';
import { registerRecordsApi } from '../../nodes/admin/records';
import { CREDS, connected, ivrFlow, received, useSimulator } from '../support/ivr';
import { readExamples } from '../../lib/playground/home';
import { DEMO_NUMBERS } from '../../lib/playground/demo-numbers';
import type { NumberBehaviour } from '../../lib/sim/script';
import { NODES, coreNode, helper, loggedText, node, redeploy, useNodeRed, waitForStatus } from '../support/node-red';
import { nextCallRecord } from '../support/call-records';
import { useTempDir } from '../support/temp-dir';

describe('call records', function () {
  useNodeRed();
  const simulator = useSimulator(100);
  const temp = useTempDir('callflow-call-records-');
  afterEach(async function () {
    await helper.unload();
  });

  const file = (): string => path.join(temp.path, 'callflow.db');

  async function deploy(connection: Record<string, unknown> = { recordStore: 'st' }, storeFile = file()): Promise<void> {
    await helper.load(NODES, flowOf(connection, storeFile), CREDS);
    await connected();
  }

  function flowOf(connection: Record<string, unknown>, storeFile = file()): object[] {
    return ivrFlow(
      simulator(),
      [
        { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['seen', 'pl']] },
        { id: 'seen', type: 'helper' },
        { id: 'pl', type: 'callflow-play', prompts: ['sound:hello-world'], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'hangup', wires: [['hu']] },
        { id: 'hu', type: 'callflow-hangup', reason: 'normal', wires: [] },
        { id: 'e2', type: 'callflow-entry', connection: 'a1', flow: 'other', wires: [['hu2']] },
        { id: 'hu2', type: 'callflow-hangup', reason: 'normal', wires: [] },
        // A call that stays until the test hangs it up (nothing is wired after the helper).
        { id: 'e3', type: 'callflow-entry', connection: 'a1', flow: 'hold', wires: [['held']] },
        { id: 'held', type: 'helper' },
      ],
      [],
      { configs: [{ id: 'st', type: 'callflow-store', backend: 'embedded', file: storeFile, durability: 'normal' }], connection },
    );
  }

  async function opened(): Promise<Store> {
    const store = await (helper.getNode('st') as StoreConfigNode).connection?.ready();
    if (!store) throw new Error('the store did not open');
    return store;
  }

  /** Places a call to a flow and resolves once it has ended and its record was written (or dropped). */
  async function call(flow: string, from = '+15550100'): Promise<void> {
    const recorded = nextCallRecord('a1');
    await simulator().placeCall({ from, to: '7000', args: [flow] }).ended();
    await recorded;
  }

  it('saves every call that ends on the connection, with no callflow-call-end node deployed', async function () {
    await deploy();
    const store = await opened();
    const entered = received<{ call: { token?: string; id: string } }>('seen');
    await call('main');
    await call('other', '+15550199');
    const { items } = await store.pageCallRecords();
    assert.deepEqual(items.map((r) => [r.flow, r.caller.number]), [['other', '+15550199'], ['main', '+15550100']], 'newest first');
    const main = items[1] as CallRecord;
    assert.equal(main.id, entered[0]?.call.id);
    assert.equal(main.connection, 'a1');
    assert.equal(main.direction, 'inbound');
    assert.equal(main.dialed, '7000');
    assert.ok(main.endedAt >= main.startedAt);
    const report = main.report as { by: string; cause: number; trace: { element: string }[]; pressed: unknown[] };
    assert.deepEqual([report.by, report.cause], ['flow', 16]);
    assert.deepEqual(report.trace.map((t) => t.element), ['entry', 'play', 'hangup']);
    const token = entered[0]?.call.token;
    assert.ok(token);
    assert.ok(!JSON.stringify(items).includes(token), 'the call\'s token is not kept');
  });

  it('lists them through the admin API per flow and per campaign, newest first, a page at a time, without a token', async function () {
    await deploy();
    const store = await opened();
    const entered = received<{ call: { token?: string } }>('seen');
    await call('main');
    await call('other');
    await call('main', '+15550177');
    // A campaign's calls, as its dialer's sessions end (the link comes from the session: lib/call-records/record.ts).
    for (const [i, id] of ['c1', 'c2'].entries()) {
      await store.saveCallRecord({
        id,
        connection: 'a1',
        direction: 'outbound',
        caller: { number: '100', name: '' },
        dialed: '+15550150',
        flow: 'main',
        campaign: { id: 'spring', name: 'Spring', customerId: `cust-${i}`, attempt: 1, number: '+15550150' },
        startedAt: 1000 + i,
        endedAt: 2000 + i,
        report: {},
      });
    }
    type Listing = { items: CallRecord[]; next?: string; counts: { saved: number; dropped: number } };
    const all = (await helper.request().get('/callflow/records/a1').expect(200)).body as Listing;
    assert.deepEqual(all.items.map((r) => [r.flow, r.caller.number]).slice(0, 3), [['main', '+15550177'], ['other', '+15550100'], ['main', '+15550100']], 'newest first');
    assert.equal(all.items.length, 5);
    assert.deepEqual([all.counts.saved, all.counts.dropped], [3, 0]);
    const first = (await helper.request().get('/callflow/records/a1?flow=main&limit=1').expect(200)).body as Listing;
    assert.equal(first.items[0]?.caller.number, '+15550177');
    assert.ok(first.next);
    const second = (await helper.request().get(`/callflow/records/a1?flow=main&limit=1&after=${encodeURIComponent(first.next)}`).expect(200)).body as Listing;
    assert.equal(second.items[0]?.caller.number, '+15550100');
    const spring = (await helper.request().get('/callflow/records/a1?campaign=spring').expect(200)).body as Listing;
    assert.deepEqual(spring.items.map((r) => r.campaign?.customerId), ['cust-1', 'cust-0']);
    // Without a filter: this connection's records only (another connection may share the store).
    await store.saveCallRecord({ ...(all.items[0] as CallRecord), id: 'elsewhere', connection: 'a9', endedAt: Date.now() + 60_000 });
    const mine = (await helper.request().get('/callflow/records/a1').expect(200)).body as Listing;
    assert.deepEqual(mine.items.map((r) => r.id), all.items.map((r) => r.id));
    const everyMain = (await helper.request().get('/callflow/records/a1?flow=main').expect(200)).body as Listing;
    assert.equal(everyMain.items[0]?.id, 'elsewhere', 'a flow\'s records in the store, whichever connection');
    const text = JSON.stringify(all);
    for (const m of entered) assert.ok(m.call.token && !text.includes(m.call.token), 'no call token in what is returned');
    assert.ok(!text.includes(file()), 'nothing of the store\'s settings');
    const conns = (await helper.request().get('/callflow/connections').expect(200)).body as { id: string; records?: { saved: number } }[];
    assert.equal(conns.find((c) => c.id === 'a1')?.records?.saved, 3);
  });

  it('refuses what it cannot answer: an unknown connection, one that keeps no records, bad queries', async function () {
    await deploy({});
    await helper.request().get('/callflow/records/nowhere').expect(404);
    const none = await helper.request().get('/callflow/records/a1').expect(409);
    assert.match((none.body as { message: string }).message, /keeps no call records/);
    await helper.unload();
    await deploy();
    for (const [query, problem] of [
      ['flow=bad%20flow!', /^flow:/],
      ['campaign=%3Cscript%3E', /^campaign:/],
      ['flow=main&campaign=spring', /one of them/],
      ['flow=a&flow=b', /^flow:/],
      ['limit=0', /^limit:/],
      ['limit=1001', /^limit:/],
      ['after=garbage', /after/],
    ] as const) {
      const res = await helper.request().get(`/callflow/records/a1?${query}`).expect(400);
      assert.match((res.body as { message: string }).message, problem, query);
    }
  });

  it('lets calls go on while the store cannot be opened: one warning, the records dropped and counted', async function () {
    // A store file under a regular file: its folder cannot be made, so the store never opens.
    fs.writeFileSync(path.join(temp.path, 'not-a-folder'), '');
    await deploy({ recordStore: 'st' }, path.join(temp.path, 'not-a-folder', 'callflow.db'));
    const hungUp = received('seen');
    for (let i = 0; i < 3; i += 1) await call('main');
    assert.equal(hungUp.length, 3, 'each call ran its flow');
    const counts = (helper.getNode('a1') as AsteriskConfigNode).engine?.records?.counts;
    assert.deepEqual(counts && [counts.saved, counts.dropped, counts.dropping], [0, 3, true]);
    const warnings = loggedText().match(/call records are not being kept/g) ?? [];
    assert.equal(warnings.length, 1, 'one warning for the outage, not one per call');
  });

  it('deletes records past the connection\'s retention when it starts, and only that connection\'s', async function () {
    const seed = new EmbeddedStore({ file: file() });
    await seed.open();
    const now = Date.now();
    const rec = (id: string, connection: string, endedAt: number): CallRecord => ({ id, connection, direction: 'inbound', caller: { number: '1', name: '' }, dialed: '2', startedAt: endedAt - 1000, endedAt, report: {} });
    await seed.saveCallRecord(rec('old', 'a1', now - 3 * 86_400_000));
    await seed.saveCallRecord(rec('recent', 'a1', now - 3_600_000));
    await seed.saveCallRecord(rec('other-old', 'a9', now - 3 * 86_400_000));
    await seed.close();
    await deploy({ recordStore: 'st', recordDays: 2, recordMax: 0 });
    const store = await opened();
    // The sweep starts with the connection; join it (an event to await, not a sleep), then look.
    await (helper.getNode('a1') as AsteriskConfigNode).engine?.recordRetention?.sweep();
    assert.deepEqual((await store.pageCallRecords()).items.map((r) => r.id).sort(), ['other-old', 'recent']);
  });

  it('takes a new retention on a redeploy without dropping the calls in progress, and keeps their records', async function () {
    await deploy({ recordStore: 'st', recordDays: 90, recordMax: 0 });
    await call('main');
    await call('main');
    const held = new Promise<void>((resolve) => node('held').once('input', () => resolve()));
    const staying = simulator().placeCall({ from: '+15550142', to: '7000', args: ['hold'] });
    await held;
    await redeploy(flowOf({ recordStore: 'st', recordDays: 90, recordMax: 1 }), CREDS);
    await connected();
    assert.equal(staying.report().ended, undefined, 'the call survived the redeploy');
    const engine = (helper.getNode('a1') as AsteriskConfigNode).engine;
    await engine?.recordRetention?.sweep();
    const store = await opened();
    assert.equal((await store.pageCallRecords()).items.length, 1, 'the new count bound was applied');
    const recorded = nextCallRecord('a1');
    staying.hangup();
    await recorded;
    const newest = (await store.pageCallRecords({ limit: 1 })).items[0];
    assert.deepEqual([newest?.flow, newest?.caller.number, (newest?.report as { by?: string } | undefined)?.by], ['hold', '+15550142', 'caller'], 'kept in the redeployed store');
  });
});

describe('call records settings of the connection', function () {
  it('refuses a retention out of range in the form, naming the field and the value; empty fields take the defaults', function () {
    const bad = asteriskConfig.checkForm({ app: 'callflow', url: 'http://pbx:8088', recordStore: 'st', recordDays: 'abc', recordMax: '-1' });
    assert.ok(!bad.ok);
    assert.deepEqual(bad.problems, [
      'recordDays: a whole number of days from 0 (no age limit) to 36500 (got "abc")',
      'recordMax: a whole number of records from 0 (no count limit) to 100000000 (got -1)',
    ]);
    const good = asteriskConfig.checkForm({ app: 'callflow', url: 'http://pbx:8088', recordStore: 'st', recordDays: '', recordMax: '' });
    assert.ok(good.ok);
    assert.deepEqual([good.value.recordDays, good.value.recordMax], [90, 1_000_000]);
  });
});

describe('call records admin API permission', function () {
  it('guards the listing with callflow.read, as the rest of the package\'s read API', function () {
    const routes: { path: string; permission: unknown }[] = [];
    const RED = {
      httpAdmin: { get: (path: string, guard: { permission: unknown }) => routes.push({ path, permission: guard.permission }) },
      auth: { needsPermission: (permission: string) => Object.assign(() => undefined, { permission }) },
    };
    registerRecordsApi(RED as unknown as Parameters<typeof registerRecordsApi>[0]);
    assert.deepEqual(routes, [{ path: '/callflow/records/:connection', permission: 'callflow.read' }]);
  });
});

/** The core nodes the examples hold (inject, debug, comment). */
const CORE_NODES = ['common/20-inject.js', 'common/21-debug.js', 'common/90-comment.js'].map(coreNode);

describe('call records of campaign calls', function () {
  this.timeout(60_000);
  useNodeRed();
  const simulator = useSimulator(100);
  const temp = useTempDir('callflow-call-records-campaign-');
  beforeEach(function () {
    for (const [n, b] of Object.entries(DEMO_NUMBERS)) simulator().setNumber(n, b as unknown as NumberBehaviour);
  });
  afterEach(async function () {
    await helper.unload();
  });

  it('keeps each answered campaign call with its campaign, customer and attempt, listed per campaign', async function () {
    const found = readExamples().find((e) => e.name === 'Survey campaign');
    assert.ok(found, 'the Survey campaign example');
    const nodes = structuredClone(found.nodes).map((n: Record<string, unknown>) => {
      if (n.type === 'callflow-store') return { ...n, file: path.join(temp.path, 'callflow.db') };
      if (n.type === 'callflow-asterisk') return { ...n, id: 'a1', useSimulator: false, url: simulator().url };
      if (n.type === 'callflow-contacts') return { ...n, wires: [['loaded'], []] };
      return n.connection ? { ...n, connection: 'a1' } : n;
    });
    nodes.push({ id: 'loaded', type: 'helper', z: nodes.find((n) => n.type === 'tab')?.id, x: 0, y: 0, wires: [] });
    const storeId = String(nodes.find((n) => n.type === 'callflow-store')?.id);
    const asterisk = nodes.find((n) => n.type === 'callflow-asterisk');
    assert.ok(asterisk);
    asterisk.recordStore = storeId;
    const campaign = String(nodes.find((n) => n.type === 'callflow-campaign')?.id);
    const dialer = String(nodes.find((n) => n.type === 'callflow-dialer')?.id);
    const contacts = nodes.find((n) => n.type === 'callflow-contacts');
    const load = nodes.find((n) => n.type === 'inject' && n.name === 'load 6 customers');
    assert.ok(contacts && load);
    await helper.load([...NODES, ...CORE_NODES], nodes, CREDS);
    await waitForStatus(node(dialer), (s) => /^draft/.test(s.text ?? ''), 10_000);
    const engine = (helper.getNode('a1') as AsteriskConfigNode).engine;
    assert.ok(engine);
    // Every answered customer's call ends (six of them); count the ends the engine reports, then wait for the writes.
    const ends: string[] = [];
    const allEnded = new Promise<void>((resolve) => {
      const off = engine.onCallEnded(({ session }) => {
        if (!session.campaign) return;
        ends.push(session.campaign.customerId);
        if (ends.length === 6) {
          off();
          resolve();
        }
      });
    });
    const loaded = new Promise<void>((resolve) => node('loaded').once('input', () => resolve()));
    node(String(contacts.id)).receive({ topic: load.topic, payload: load.payloadType === 'json' ? (JSON.parse(String(load.payload)) as unknown) : load.payload });
    await loaded;
    node(dialer).receive({ topic: 'start' });
    await allEnded;
    await engine.records?.idle();
    const res = await helper.request().get(`/callflow/records/a1?campaign=${encodeURIComponent(campaign)}`).expect(200);
    const items = (res.body as { items: CallRecord[] }).items;
    assert.equal(items.length, 6);
    for (const r of items) {
      assert.equal(r.direction, 'outbound');
      assert.equal(r.campaign?.id, campaign);
      assert.equal(r.campaign?.attempt, 1);
      // The survey keeps its answers in the questionnaire's answers, not a business result.
      assert.equal(r.result?.code, undefined);
    }
    assert.deepEqual(items.map((r) => r.campaign?.customerId).sort(), ['S001', 'S002', 'S003', 'S004', 'S005', 'S006']);
    for (let i = 1; i < items.length; i += 1) assert.ok((items[i - 1]?.endedAt ?? 0) >= (items[i]?.endedAt ?? 0), 'newest first');
  });
});
