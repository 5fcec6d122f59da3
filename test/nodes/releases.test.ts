/**
 * Flow versions in Node-RED: tabs whose entries name a release set, calls
 * routed by release state, calls pinned to their version across deploys,
 * and the admin API the "Call flows" sidebar uses (states, refusals,
 * locks, validation, counters).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { listEngines } from '../../nodes/deployed/engine';
import { CREDS, useSimulator, type CallMsg } from '../support/ivr';
import { NODES, hasText, helper, loggedText, nextMessage, node, redeploy, useNodeRed, waitForStatus } from '../support/node-red';
import { useTempDir } from '../support/temp-dir';
import { nextCallRecord } from '../support/call-records';

interface Flows {
  id: string;
  ready: boolean;
  flows: { flow: string; official?: string; grayVersion?: string; versions: { version: string; state: string; allowed: string[]; liveCalls: number; counters: { calls: number; completed: number; hungUpEarly: number; transferred: number; ended: number; averageSec: number }; lock?: { user: string } }[] }[];
}

describe('flow versions and releases (callflow-releases)', function () {
  useNodeRed();
  const simulator = useSimulator(10);
  const temp = useTempDir('callflow-releases-');

  const configs = (): object[] => [
    { id: 'a1', type: 'callflow-asterisk', name: '', useSimulator: false, url: simulator().url, app: 'callflow', idleTimeoutSec: 60 },
    { id: 's1', type: 'callflow-store', backend: 'embedded', file: path.join(temp.path, 'callflow.db'), durability: 'normal' },
    { id: 'r1', type: 'callflow-releases', name: 'versions', store: 's1' },
  ];

  /** One version of flow "sales" on its own tab: entry, a prompt, hang up (and a spy on the prompt's output). */
  const version = (v: string, release: '' | 'official' | 'gray', prompt: string, more: Record<string, unknown> = {}): object[] => [
    { id: `t-${v}`, type: 'tab', label: `sales ${v}` },
    { id: `e-${v}`, type: 'callflow-entry', z: `t-${v}`, connection: 'a1', flow: 'sales', releases: 'r1', version: v, release, grayShare: 0, grayCallers: '', wires: [[`p-${v}`]], ...more },
    { id: `p-${v}`, type: 'callflow-play', z: `t-${v}`, prompts: [prompt], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'hangup', wires: [[`h-${v}`, `spy-${v}`]] },
    { id: `h-${v}`, type: 'callflow-hangup', z: `t-${v}`, reason: 'normal', wires: [] },
    { id: `spy-${v}`, type: 'helper', z: `t-${v}` },
  ];

  const list = async (): Promise<Flows> => {
    const res = await helper.request().get('/callflow/releases/r1').expect(200);
    return res.body as Flows;
  };
  const versionOf = async (v: string): Promise<Flows['flows'][number]['versions'][number]> => {
    const found = (await list()).flows.find((f) => f.flow === 'sales')?.versions.find((x) => x.version === v);
    assert.ok(found, `version ${v} is listed`);
    return found;
  };
  const refusal = (res: { body: unknown }): { message: string; state?: string; allowed?: string[] } => res.body as { message: string; state?: string; allowed?: string[] };
  const op = (v: string, name: string, editor = 'editor-a') => helper.request().post(`/callflow/releases/r1/flows/sales/versions/${v}/${name}`).set('X-Callflow-Editor', editor);

  it('deploying a tab tagged official releases it; calls in progress finish on it when a new official version is deployed, new calls go to the new one', async function () {
    // v1's prompt plays in real time (below).
    this.timeout(60_000);
    await helper.load(NODES, [...configs(), ...version('v1', 'official', 'sound:demo-congrats')], CREDS);
    await waitForStatus(node('e-v1'), hasText('v1: Official Release'));

    // A call in the middle of v1's prompt when v2 is deployed as official (a full deploy restarts every node). The prompt
    // plays in real time (8.4 s), many times what a redeploy takes even on a loaded machine; the rest of the test is fast.
    simulator().asterisk.clock.speed = 1;
    const first = simulator().placeCall({ from: '+15550100', to: '100', args: ['sales'] });
    await first.until('playback-start', 'demo-congrats');
    await redeploy([...configs(), ...version('v1', 'official', 'sound:demo-congrats'), ...version('v2', 'official', 'sound:hello-world')], CREDS);
    await waitForStatus(node('e-v2'), hasText('v2: Official Release'));
    simulator().asterisk.clock.speed = 10;
    // Listening from the redeploy on (its nodes are new): the first call may reach v1's end while the second one runs.
    const old = nextMessage<CallMsg>(node('spy-v1'), 30_000);
    // Awaited below; a failure before that must not leave it rejected with nobody listening.
    old.catch(() => undefined);
    const v1Now = await versionOf('v1');
    assert.equal(v1Now.state, 'official', `v1 still has its call: ${JSON.stringify(v1Now)}`);

    const second = await simulator().placeCall({ from: '+15550101', to: '100', args: ['sales'] }).ended();
    assert.deepEqual(second.heard.map((h) => h.media), ['sound:hello-world'], 'a new call runs v2');

    const report = await first.ended();
    assert.deepEqual(report.heard.map((h) => [h.media, h.outcome]), [['sound:demo-congrats', 'done']], 'the call heard v1 to the end');
    assert.equal(report.ended?.by, 'application', 'v1 hung up as v1 does');
    assert.equal((await old).call.flow, 'sales');
    assert.doesNotMatch(loggedText(), /this node was stopped/);

    // v1 had its last call: it becomes Unreleased.
    await waitForStatus(node('e-v1'), hasText('v1: Unreleased'));
    const v1 = await versionOf('v1');
    assert.deepEqual([v1.state, v1.counters.calls, v1.counters.completed], ['unreleased', 1, 1]);
  });

  it('routes a share of calls and the listed callers to the gray version; msg.call names the version', async function () {
    await helper.load(
      NODES,
      [...configs(), ...version('v1', 'official', 'sound:hello-world'), ...version('v2', 'gray', 'sound:demo-thanks', { grayShare: 0, grayCallers: '+4930*' })],
      CREDS,
    );
    await waitForStatus(node('e-v2'), hasText('v2: Gray Release 0% + 1 caller(s)'));
    await waitForStatus(node('e-v1'), hasText('v1: Official Release'));
    const onV2 = nextMessage<CallMsg & { call: { version?: string } }>(node('spy-v2'));
    const gray = await simulator().placeCall({ from: '+493012345', to: '100', args: ['sales'] }).ended();
    assert.deepEqual(gray.heard.map((h) => h.media), ['sound:demo-thanks']);
    assert.equal((await onV2).call.version, 'v2');
    const official = await simulator().placeCall({ from: '+15550100', to: '100', args: ['sales'] }).ended();
    assert.deepEqual(official.heard.map((h) => h.media), ['sound:hello-world'], 'share 0%: other callers stay on official');

    // A second Stasis argument names a version (a test call); an Unreleased one takes no calls.
    const named = await simulator().placeCall({ from: '+15550100', to: '100', args: ['sales', 'v2'] }).ended();
    assert.deepEqual(named.heard.map((h) => h.media), ['sound:demo-thanks']);
  });

  it('the admin API refuses what a state does not allow (409 with the state and the allowed operations), locks editing to one editor, and blocks an invalid release (422)', async function () {
    const broken = version('v2', '', 'sound:hello-world').map((n) => ((n as { id: string }).id === 'p-v2' ? { ...n, wires: [[]] } : n));
    await helper.load(NODES, [...configs(), ...version('v1', 'official', 'sound:hello-world'), ...broken], CREDS);
    await waitForStatus(node('e-v1'), hasText('v1: Official Release'));
    await waitForStatus(node('e-v2'), hasText('v2: New'));

    const refused = await op('v1', 'edit').expect(409);
    assert.match(refusal(refused).message, /Edit is not allowed: version v1 of flow sales is Official Release, which allows Clone, Test, Cancel Release, Query Info/);
    assert.deepEqual([refusal(refused).state, refusal(refused).allowed], ['official', ['clone', 'test', 'cancel', 'info']]);
    assert.deepEqual((await versionOf('v1')).allowed, ['clone', 'test', 'cancel', 'info']);

    // Two editors race for v2: one gets the lock, the other is told who holds it.
    const [a, b] = await Promise.all([op('v2', 'edit', 'editor-a'), op('v2', 'edit', 'editor-b')]);
    const statuses = [a.status, b.status].sort();
    assert.deepEqual(statuses, [200, 409]);
    const loser = a.status === 409 ? a : b;
    assert.match(refusal(loser).message, /is being edited by anonymous \(since \d\d:\d\d:\d\d UTC\); Editing allows only Unlock/);
    assert.equal((await versionOf('v2')).state, 'editing');
    await op('v2', 'unlock', 'editor-b').expect(200);

    // Validation blocks the release, with the reason.
    const invalid = await op('v2', 'release').send({ target: 'official' }).expect(422);
    assert.match(refusal(invalid).message, /cannot be released: play \(p-v2\): output 1 is not wired/);
    assert.equal((await versionOf('v1')).state, 'official', 'nothing changed');

    // A bad body is refused with the field.
    const bad = await op('v2', 'release').send({ target: 'sideways' }).expect(400);
    assert.match(refusal(bad).message, /target: "official" or "gray"/);
  });

  it('shows Type and Is Referenced; PUT attributes sets a Type in New or Unreleased only; a referenced flow keeps its official release', async function () {
    const support = [
      { id: 't-s', type: 'tab', label: 'support v1' },
      { id: 'e-s', type: 'callflow-entry', z: 't-s', connection: 'a1', flow: 'support', releases: 'r1', version: 'v1', release: '', grayShare: 0, grayCallers: '', wires: [['x-s']] },
      { id: 'x-s', type: 'callflow-transfer', z: 't-s', name: 'to sales', kind: 'flow', flow: 'sales', onError: 'hangup', wires: [[]] },
    ];
    const routing = { id: 'g1', type: 'callflow-routing', name: 'main numbers', account: { flow: 'sales' }, groups: [], numbers: [] };
    await helper.load(NODES, [...configs(), routing, ...version('v1', 'official', 'sound:hello-world'), ...version('v2', '', 'sound:hello-world'), ...support], CREDS);
    await waitForStatus(node('e-v1'), hasText('v1: Official Release'));
    await waitForStatus(node('e-v2'), hasText('v2: New'));

    const listed = (await helper.request().get('/callflow/releases/r1').expect(200)).body as { flows: { flow: string }[] };
    const sales = listed.flows.find((f) => f.flow === 'sales') as unknown as { referenced: boolean; referencedBy: { kind: string; node: string; label: string }[]; versions: { version: string; type: string; typeName: string }[] };
    assert.equal(sales.referenced, true);
    // In the order of the deployed nodes: config nodes come first.
    assert.deepEqual(sales.referencedBy.map((r) => [r.kind, r.node, r.label]), [
      ['routing', 'g1', 'routing table "main numbers" (g1)'],
      ['transfer', 'x-s', 'transfer "to sales" (x-s) on flow support v1'],
    ]);
    assert.deepEqual(sales.versions.map((v) => [v.version, v.type, v.typeName]), [['v2', 'other', 'Other flow'], ['v1', 'other', 'Other flow']]);

    const attributes = (v: string, flow = 'sales') => helper.request().put(`/callflow/releases/r1/flows/${flow}/versions/${v}/attributes`).set('X-Callflow-Editor', 'editor-a');
    const official = await attributes('v1').send({ type: 'main' }).expect(409);
    assert.match(refusal(official).message, /the Type of version v1 of flow sales cannot be changed: it is Official Release/);
    const set = await attributes('v2').send({ type: 'main' }).expect(200);
    assert.equal((set.body as { type: string }).type, 'main');
    const second = await attributes('v1', 'support').send({ type: 'main' }).expect(409);
    assert.match(refusal(second).message, /already has a main flow: sales \(version v2\)/);
    const bad = await attributes('v2').send({ type: 'sub' }).expect(400);
    assert.match(refusal(bad).message, /type: "main", "exception" or "other"/);

    const cancel = await op('v1', 'cancel').expect(409);
    assert.match(refusal(cancel).message, /cannot be cancelled: it is the flow's official version, and the flow is referenced by routing table "main numbers" \(g1\), transfer "to sales" \(x-s\) on flow support v1/);
    assert.equal((await versionOf('v1')).state, 'official');

    // Without the references (the routing table and the transfer gone in a deploy), Cancel Release is allowed.
    await redeploy([...configs(), ...version('v1', 'official', 'sound:hello-world'), ...version('v2', '', 'sound:hello-world')], CREDS);
    await waitForStatus(node('e-v1'), hasText('v1: Official Release'));
    await op('v1', 'cancel').expect(200);
    assert.equal((await versionOf('v1')).state, 'unreleased');
  });

  it('lists a version\'s calls: live ones with the element they are at, ended ones from the call records when the connection keeps them', async function () {
    const recorded = configs().map((c) => ((c as { id: string }).id === 'a1' ? { ...c, recordStore: 's1' } : c));
    await helper.load(NODES, [...recorded, ...version('v1', 'official', 'sound:demo-congrats')], CREDS);
    await waitForStatus(node('e-v1'), hasText('v1: Official Release'));
    const calls = async (): Promise<{ live: { id: string; node?: string; trace: { node: string }[] }[]; recent: { id: string; by?: string; reason?: string; trace: { node: string }[] }[]; records: string }> =>
      (await helper.request().get('/callflow/releases/r1/flows/sales/versions/v1/calls').expect(200)).body as never;
    assert.deepEqual(await calls(), { live: [], recent: [], records: 'kept' });

    simulator().asterisk.clock.speed = 1;
    const call = simulator().placeCall({ from: '+15550100', to: '100', args: ['sales'] });
    const recordKept = nextCallRecord('a1');
    await call.until('playback-start', 'demo-congrats');
    const during = await calls();
    assert.equal(during.live.length, 1);
    assert.equal(during.live[0]?.node, 'p-v1', 'the call is at the play node');
    assert.deepEqual(during.live[0]?.trace.map((t) => t.node), ['e-v1', 'p-v1']);
    simulator().asterisk.clock.speed = 10;
    await call.ended();
    // The record is written after Asterisk's last word on the call.
    await recordKept;
    const after = await calls();
    assert.deepEqual(after.live, []);
    assert.equal(after.recent[0]?.id, during.live[0]?.id);
    assert.deepEqual(after.recent[0]?.trace.map((t) => t.node), ['e-v1', 'p-v1', 'h-v1']);
    assert.deepEqual([after.recent[0]?.by, after.recent[0]?.reason], ['flow', 'hangup']);

    await helper.request().get('/callflow/releases/r1/flows/sales/versions/v1/calls?limit=0').expect(400);
    await helper.request().get('/callflow/releases/nosuch/flows/sales/versions/v1/calls').expect(404);
    const missing = (await helper.request().get('/callflow/releases/r1/flows/sales/versions/v9/calls').expect(200)).body as { records: string };
    assert.equal(missing.records, 'not-deployed');
  });

  it("a call a robot talked with: its transcript (who, what, when) in the version's live and ended calls, only lines of the report's shape", async function () {
    const recorded = configs().map((c) => ((c as { id: string }).id === 'a1' ? { ...c, recordStore: 's1' } : c));
    // What callflow-bot keeps in botTranscript, put there by a set node (with a line of another shape, which is left out).
    const lines = [
      { role: 'caller', text: 'Hello <img src=x onerror=alert(1)>', at: '2026-12-05T10:00:01.250Z' },
      { role: 'bot', text: 'Hi! How can I help?', at: '2026-12-05T10:00:02.500Z' },
      { role: 'admin', text: 'not a line' },
      { role: 'caller', text: '', at: 'yesterday' },
    ];
    const flow = version('v1', 'official', 'sound:demo-congrats', { wires: [['set-v1']] });
    flow.push({ id: 'set-v1', type: 'callflow-set', z: 't-v1', assignments: [{ target: 'var', name: 'botTranscript', type: 'json', value: JSON.stringify(lines) }], onError: 'hangup', wires: [['p-v1']] });
    await helper.load(NODES, [...recorded, ...flow], CREDS);
    await waitForStatus(node('e-v1'), hasText('v1: Official Release'));
    type Listed = { id: string; transcript?: { role: string; text: string; at?: string }[] };
    const calls = async (): Promise<{ live: Listed[]; recent: Listed[] }> => (await helper.request().get('/callflow/releases/r1/flows/sales/versions/v1/calls').expect(200)).body as never;
    const expected = [
      { role: 'caller', text: 'Hello <img src=x onerror=alert(1)>', at: '2026-12-05T10:00:01.250Z' },
      { role: 'bot', text: 'Hi! How can I help?', at: '2026-12-05T10:00:02.500Z' },
      { role: 'caller', text: '' },
    ];
    simulator().asterisk.clock.speed = 1;
    const call = simulator().placeCall({ from: '+15550100', to: '100', args: ['sales'] });
    const recordKept = nextCallRecord('a1');
    await call.until('playback-start', 'demo-congrats');
    assert.deepEqual((await calls()).live[0]?.transcript, expected, 'a live call: as far as it went');
    simulator().asterisk.clock.speed = 10;
    await call.ended();
    await recordKept;
    assert.deepEqual((await calls()).recent[0]?.transcript, expected, 'an ended call: from its call record');
  });

  it('Test calls an endpoint into the version (Official and Gray only); a snapshot restores as a New version whose nodes can be compared', async function () {
    await helper.load(NODES, [...configs(), ...version('v1', 'official', 'sound:hello-world')], CREDS);
    await waitForStatus(node('e-v1'), hasText('v1: Official Release'));
    simulator().setNumber('tester', { outcome: 'answer', ringMs: 100 });
    const reached = nextMessage<CallMsg & { call: { version?: string } }>(node('spy-v1'));
    const placed = await op('v1', 'test').send({ endpoint: 'PJSIP/tester' }).expect(201);
    assert.equal((placed.body as { placed: string }).placed, 'asterisk');
    assert.equal((await reached).call.version, 'v1', 'the tester is in v1');
    assert.match(refusal(await op('v1', 'test').send({}).expect(400)).message, /say which phone to call for the test/);
    // The endpoint of a test call follows a transfer's rules: one destination, on the connection's dial allowlist.
    const before = simulator().asterisk.reportList().length;
    assert.equal(refusal(await op('v1', 'test').send({ endpoint: 'PJSIP/tester&PJSIP/other' }).expect(400)).message, 'endpoint: "PJSIP/tester&PJSIP/other" is not one destination: it contains "&", which Dial() reads as a second destination');
    assert.equal(refusal(await op('v1', 'test').send({ endpoint: 'PJSIP/trunk/sip:+19005550100@evil.example.com' }).expect(422)).message, "endpoint: PJSIP/trunk/sip:+19005550100@evil.example.com is not on the connection's dial allowlist (PJSIP/* PJSIP/*@trunk)");
    assert.equal(simulator().asterisk.reportList().length, before, 'no call was placed');

    const info = (await helper.request().get('/callflow/releases/r1/flows/sales/versions/v1/info').expect(200)).body as { snapshots: { id: string; savedBy: string }[] };
    const snapshot = info.snapshots[0];
    assert.ok(snapshot);
    assert.equal(snapshot.savedBy, 'deploy');
    const restored = (await helper.request().post(`/callflow/releases/r1/snapshots/${snapshot.id}/restore`).send({ version: 'v9' }).expect(201)).body as { version: { state: string }; nodes: { type: string; version?: string; label?: string }[] };
    assert.equal(restored.version.state, 'new');
    assert.equal(restored.nodes.find((n) => n.type === 'callflow-entry')?.version, 'v9');
    assert.equal(restored.nodes.find((n) => n.type === 'tab')?.label, 'sales v9');
    assert.equal((await versionOf('v9')).state, 'new');
    const diff = (await helper.request().get(`/callflow/releases/r1/flows/sales/diff?from=snapshot:${snapshot.id}&to=v1`).expect(200)).body as { lines: string[] };
    assert.deepEqual(diff.lines, [], 'v1 as deployed is what was released');
    const taken = await helper.request().post(`/callflow/releases/r1/snapshots/${snapshot.id}/restore`).send({ version: 'v9' }).expect(409);
    assert.match(refusal(taken).message, /already has a version v9/);
  });

  it('two entries claiming one version take no calls; two versions tagged official in one deploy are both refused', async function () {
    const twin = version('v1', '', 'sound:hello-world').map((n) => {
      const o = n as { id: string; z?: string };
      return { ...o, id: `${o.id}-twin`, z: o.z ? `${o.z}-twin` : undefined, ...(o.id === 'e-v1' ? { wires: [['p-v1-twin']] } : {}), ...(o.id === 'p-v1' ? { wires: [['h-v1-twin']] } : {}) };
    });
    await helper.load(NODES, [...configs(), ...version('v1', '', 'sound:hello-world'), ...twin, ...version('v2', 'official', 'sound:beep'), ...version('v3', 'official', 'sound:beep')], CREDS);
    // The status says so in the user's language; the log says why.
    await waitForStatus(node('e-v2'), (s) => s.fill === 'red' && s.text === 'v2: its release tag was refused (see the log)');
    await waitForStatus(node('e-v3'), (s) => s.fill === 'red' && s.text === 'v3: its release tag was refused (see the log)');
    assert.match(loggedText(), /2 versions of sales are tagged official \(v2, v3\): none was released/);
    await waitForStatus(node('e-v1'), (s) => s.fill === 'red' && s.text === 'several entries claim sales v1: it takes no calls (see the log)');
    assert.match(loggedText(), /2 entries claim sales v1: it takes no calls/);
    assert.equal((await list()).flows[0]?.official, undefined);
    const call = await simulator().placeCall({ from: '+15550100', to: '100', args: ['sales', 'v1'] }).ended();
    assert.deepEqual(call.heard, [], 'the call was not routed');
    assert.match(loggedText(), /dropped: .*2 entries claim sales v1/);
  });

  it('counts calls per version: completed, hung up early, average duration', async function () {
    await helper.load(NODES, [...configs(), ...version('v1', 'official', 'sound:demo-congrats')], CREDS);
    await waitForStatus(node('e-v1'), hasText('v1: Official Release'));
    const engine = listEngines()[0];
    assert.ok(engine);
    // A call counts once the engine has Asterisk's last word on it.
    const ended = new Promise<void>((resolve) => {
      let n = 0;
      const off = engine.onCallEnded(() => {
        n += 1;
        if (n < 2) return;
        off();
        resolve();
      });
    });
    await simulator().placeCall({ from: '+15550100', to: '100', args: ['sales'] }).ended();
    await simulator().placeCall({ from: '+15550100', to: '100', args: ['sales'], script: [{ waitFor: 'playback-start' }, { hangup: true }] }).ended();
    await ended;
    const v1 = await versionOf('v1');
    assert.deepEqual([v1.counters.calls, v1.counters.completed, v1.counters.hungUpEarly, v1.counters.transferred], [2, 1, 1, 0]);
    assert.ok(v1.counters.averageSec > 0);
  });
});
