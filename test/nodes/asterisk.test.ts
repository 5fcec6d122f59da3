/**
 * callflow-asterisk in Node-RED (node-red-node-test-helper): the state it
 * pushes to its users, credentials kept out of logs and flow files, a
 * redeploy that keeps calls, and a close that finishes.
 */
import assert from 'node:assert/strict';
import { asteriskConfig } from '../../lib/schemas/asterisk';
import { startSimulator, type Simulator } from '../../lib/sim';
import { currentSimulator } from '../../lib/sim/embedded';
import { findEngine } from '../../nodes/deployed/engine';
import { NODES, hasText, helper, loggedText, node, redeploy, useNodeRed, waitForStatus } from '../support/node-red';

const PASSWORD = 'Sup3r-S3cret-ARI-pw';

function flow(sim: Simulator | undefined, extra: Record<string, unknown> = {}): object[] {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'a1', type: 'callflow-asterisk', z: '', name: '', url: sim?.url ?? 'http://127.0.0.1:1', app: 'callflow', useSimulator: false, idleTimeoutSec: 60, ...extra },
    { id: 'e1', type: 'callflow-entry', z: 'tab', connection: 'a1', flow: 'main', wires: [['sink']] },
    { id: 'sink', type: 'helper', z: 'tab' },
  ];
}

describe('callflow-asterisk (config node)', function () {
  useNodeRed();
  let sim: Simulator;
  beforeEach(async function () {
    sim = await startSimulator({ speed: 500, password: PASSWORD });
  });
  afterEach(async function () {
    await sim.close();
  });

  it('pushes connecting, then connected, then reconnecting and connected again to the nodes that use it', async function () {
    await helper.load(NODES, flow(sim), { a1: { username: 'asterisk', password: PASSWORD } });
    const e1 = node('e1');
    await waitForStatus(e1, hasText('callflow.status.connected'));
    const connecting = e1.status.getCalls().filter((c) => c.thisValue === e1).map((c) => (c.args[0] as { text: string }).text);
    assert.equal(connecting[0], 'callflow.status.connecting');
    sim.dropWebSockets();
    await waitForStatus(e1, hasText('callflow.status.reconnecting'));
    await waitForStatus(e1, hasText('callflow.status.connected'));
  });

  it('shows a wrong password as such and never logs it or puts it in the flow', async function () {
    const wrong = 'Wr0ng-Pa55w0rd-value';
    await helper.load(NODES, flow(sim), { a1: { username: 'asterisk', password: wrong } });
    const e1 = node('e1');
    const status = await waitForStatus(e1, hasText('callflow.status.auth-failed'));
    assert.deepEqual([status.fill, status.shape], ['red', 'ring']);
    const text = loggedText();
    assert.match(text, /refused the username or password/);
    assert.ok(!text.includes(wrong), 'the password appears in the log');
    const flows = JSON.stringify((helper as unknown as { _redNodes: { getFlows(): unknown } })._redNodes.getFlows());
    assert.match(flows, /callflow-asterisk/);
    assert.ok(!flows.includes(wrong), 'the password appears in the flow configuration');
  });

  it('shows an unreachable Asterisk, and closes at once anyway', async function () {
    await helper.load(NODES, flow(undefined), { a1: { username: 'asterisk', password: PASSWORD } });
    const e1 = node('e1');
    await waitForStatus(e1, hasText('callflow.status.unreachable'));
    const started = Date.now();
    await redeploy([{ id: 'tab', type: 'tab', label: 'test' }]);
    assert.ok(Date.now() - started < 3000, `stopping took ${Date.now() - started} ms`);
  });

  it('refuses invalid settings, saying which', async function () {
    await helper.load(NODES, flow(sim, { app: 'bad app name', idleTimeoutSec: 'soon' }), { a1: { username: 'asterisk', password: PASSWORD } });
    const e1 = node('e1');
    await waitForStatus(e1, hasText('callflow.status.no-connection'));
    const text = loggedText();
    assert.match(text, /app: a Stasis application name: 1 to 64 letters, digits, _ \. or - \(got \\"bad app name\\"\)/);
    assert.match(text, /idleTimeoutSec: a whole number of seconds/);
  });

  it('refuses an allowlist entry that is not a dial string or a host, naming it', async function () {
    // A dial entry the schema refuses (as the form does), quoting the list.
    const dial = asteriskConfig.checkForm({ app: 'callflow', url: 'http://pbx:8088', dialAllowlist: 'PJSIP/* PJSIP/*/sip:*@*' });
    assert.ok(!dial.ok && dial.problems.some((p) => /^dialAllowlist: dial strings separated by spaces, commas or new lines.*\(got "PJSIP\/\* PJSIP\/\*\/sip:\*@\*"\)$/.test(p)), JSON.stringify(dial));
    // A media entry only the deploy check sees.
    await helper.load(NODES, flow(sim, { mediaAllowlist: '10.0.0.0/99' }), { a1: { username: 'asterisk', password: PASSWORD } });
    await waitForStatus(node('e1'), hasText('callflow.status.no-connection'));
    assert.match(loggedText(), /mediaAllowlist: the entry \\"10\.0\.0\.0\/99\\" is not a host name, \*\.domain, IP address or CIDR range/);
  });

  it('takes new allowlists on a redeploy without dropping its calls', async function () {
    const creds = { a1: { username: 'asterisk', password: PASSWORD } };
    await helper.load(NODES, flow(sim), creds);
    await waitForStatus(node('e1'), hasText('callflow.status.connected'));
    const call = sim.placeCall({ from: '+15550100', to: '100', app: 'callflow' });
    await new Promise<void>((resolve) => node('sink').once('input', () => resolve()));
    await redeploy(flow(sim, { dialAllowlist: 'PJSIP/*@carrier', mediaAllowlist: '10.0.5.0/24' }), creds);
    await waitForStatus(node('e1'), hasText('callflow.status.connected'));
    assert.equal(call.report().ended, undefined, 'the call survived the redeploy');
    const engine = findEngine('a1');
    assert.equal(engine?.destinations.toString(), 'PJSIP/*@carrier');
    assert.ok(engine?.destinations.allows('PJSIP/+15550100@carrier') && !engine.destinations.allows('PJSIP/100'));
    await engine?.mediaGuard.check('http://10.0.5.1/a.wav');
  });

  it('keeps calls through a redeploy that does not change it, and hangs them up when its settings change', async function () {
    const creds = { a1: { username: 'asterisk', password: PASSWORD } };
    await helper.load(NODES, flow(sim), creds);
    await waitForStatus(node('e1'), hasText('callflow.status.connected'));
    const call = sim.placeCall({ from: '+15550100', to: '100', app: 'callflow' });
    await new Promise<void>((resolve) => node('sink').once('input', () => resolve()));
    await redeploy(flow(sim), creds);
    await waitForStatus(node('e1'), hasText('callflow.status.connected'));
    assert.equal(call.report().ended, undefined, 'the call survived the redeploy');
    await redeploy(flow(sim, { idleTimeoutSec: 30 }), creds);
    const report = await call.ended();
    assert.equal(report.ended?.by, 'application');
    assert.match(loggedText(), /hanging up 1 call\(s\): the Asterisk connection is closing \(its settings changed\)/);
  });

  it('hangs up its calls and closes promptly when it is removed', async function () {
    await helper.load(NODES, flow(sim), { a1: { username: 'asterisk', password: PASSWORD } });
    await waitForStatus(node('e1'), hasText('callflow.status.connected'));
    const call = sim.placeCall({ from: '+15550100', to: '100', app: 'callflow' });
    await new Promise<void>((resolve) => node('sink').once('input', () => resolve()));
    const started = Date.now();
    await redeploy([{ id: 'tab', type: 'tab', label: 'test' }]);
    const report = await call.ended();
    assert.equal(report.ended?.by, 'application');
    assert.ok(Date.now() - started < 5000, `closing took ${Date.now() - started} ms`);
    assert.match(loggedText(), /hanging up 1 call\(s\): the Asterisk connection is closing \(its config node was removed\)/);
  });

  it('uses the built-in simulated Asterisk without URL or credentials', async function () {
    process.env.CALLFLOW_SIM_PORT = '0';
    process.env.CALLFLOW_SIM_SPEED = '500';
    try {
      await helper.load(NODES, flow(undefined, { useSimulator: true, url: '' }));
      await waitForStatus(node('e1'), hasText('callflow.status.connected'));
      const embedded = await currentSimulator();
      assert.ok(embedded);
      const call = embedded.placeCall({ from: '+15550100', to: '100' });
      const msg = await new Promise<{ call: { id: string } }>((resolve) => node('sink').once('input', resolve));
      assert.equal(msg.call.id, call.id);
    } finally {
      delete process.env.CALLFLOW_SIM_PORT;
      delete process.env.CALLFLOW_SIM_SPEED;
    }
  });
});
