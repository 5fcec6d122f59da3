/**
 * The simulator's scripting endpoints (/sim/...) and its CLI, as
 * docs/simulator.md documents them.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { CallReport, Simulator } from '../../lib/sim';
import { SIMULATOR_CLI, startSimulatorCli, stopSimulatorProcess } from '../../lib/playground/sim-process';
import { useRawSimulator, type RawAri, is, type EventLog } from '../support/raw-ari';

type Json = Record<string, unknown>;

async function control(sim: Simulator, method: string, p: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'Content-Type': 'application/json' };
  }
  const res = await fetch(`${sim.url}${p}`, init);
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

describe('simulator: scripting endpoints', function () {
  let sim: Simulator;
  let events: EventLog;
  let ari: RawAri;

  useRawSimulator((raw) => ({ sim, ari, events } = raw), { defaultApp: 'demo' }, 'demo');

  it('places a call with a script, and reads back what it heard, pressed and how it ended', async function () {
    events.ws.on('message', () => undefined);
    const placed = await control(sim, 'POST', '/sim/calls', {
      from: '+15550100',
      to: '100',
      script: [{ waitFor: 'playback-start', media: 'hello' }, { waitFor: 'silence' }, { dtmf: '12' }, { hangup: true }],
    });
    assert.equal(placed.status, 201);
    const id = (placed.body as CallReport).id;
    await events.next(is('StasisStart', id));
    await ari.ok('POST', `/channels/${id}/answer`);
    await ari.ok('POST', `/channels/${id}/play`, { media: 'sound:hello-world' });
    const ended = await control(sim, 'GET', `/sim/calls/${id}/ended?timeoutMs=5000`);
    const report = ended.body as CallReport;
    assert.deepEqual(report.heard.map((h) => h.media), ['sound:hello-world']);
    assert.deepEqual(report.pressed.map((p) => p.digit), ['1', '2']);
    assert.deepEqual([report.ended?.by, report.ended?.cause], ['caller', 16]);
    const list = (await control(sim, 'GET', '/sim/calls?state=ended')).body as CallReport[];
    assert.deepEqual(list.map((c) => c.id), [id]);
  });

  it('presses keys and hangs up a call on request', async function () {
    const id = ((await control(sim, 'POST', '/sim/calls', { from: '1', to: '2' })).body as CallReport).id;
    await events.next(is('StasisStart', id));
    assert.equal((await control(sim, 'POST', `/sim/calls/${id}/dtmf`, { digits: '9' })).status, 204);
    await events.next(is('ChannelDtmfReceived', id));
    assert.equal((await control(sim, 'POST', `/sim/calls/${id}/hangup`, { cause: 17 })).status, 204);
    const report = (await control(sim, 'GET', `/sim/calls/${id}`)).body as CallReport;
    assert.deepEqual([report.ended?.cause, report.ended?.by], [17, 'caller']);
  });

  it('defines how a number answers', async function () {
    const put = await control(sim, 'PUT', '/sim/numbers/+15550199', { outcome: 'busy', ringMs: 100 });
    assert.equal(put.status, 200);
    assert.deepEqual((await control(sim, 'GET', '/sim/numbers')).body, { '+15550199': { outcome: 'busy', ringMs: 100 } });
    await ari.ok('POST', '/channels/o1', { endpoint: 'PJSIP/+15550199@trunk', app: 'demo' });
    const destroyed = await events.next(is('ChannelDestroyed', 'o1'));
    assert.equal(destroyed.cause, 17);
    assert.equal((await control(sim, 'DELETE', '/sim/numbers/+15550199')).status, 204);
  });

  it('refuses a malformed script, naming the step and the reason', async function () {
    const bad = await control(sim, 'POST', '/sim/calls', { from: '1', to: '2', script: [{ wait: 10 }, { dtmf: 'x' }] });
    assert.equal(bad.status, 400);
    assert.match(String((bad.body as Json).message), /script step 1 .*"dtmf" must be digits/);
    const noTo = await control(sim, 'POST', '/sim/calls', { from: '1' });
    assert.match(String((noTo.body as Json).message), /needs "from".*"to"/);
    const outcome = await control(sim, 'PUT', '/sim/numbers/1', { outcome: 'maybe' });
    assert.match(String((outcome.body as Json).message), /"outcome" must be one of/);
    assert.equal((await control(sim, 'GET', '/sim/nothing')).status, 404);
  });

  it('defines sounds and http media lengths, and changes speed', async function () {
    const sound = await control(sim, 'PUT', '/sim/sounds/custom/welcome', { durationMs: 1500, text: 'Welcome' });
    assert.deepEqual(sound.body, { id: 'custom/welcome', text: 'Welcome', formats: [{ language: 'en', format: 'slin' }] });
    assert.equal((await control(sim, 'PUT', '/sim/media', { uri: 'https://media.example/a.wav', durationMs: 900 })).status, 200);
    assert.deepEqual((await control(sim, 'PUT', '/sim/speed', { speed: 50 })).body, { speed: 50 });
    const status = (await control(sim, 'GET', '/sim/status')).body as Json;
    assert.deepEqual([status.speed, status.apps, status.defaultApp], [50, ['demo'], 'demo']);
  });

  it('injects faults: dropped sockets and a restart', async function () {
    const closed = new Promise((r) => events.ws.once('close', r));
    assert.equal((await control(sim, 'POST', '/sim/faults/drop-websockets')).status, 204);
    await closed;
    const restart = await control(sim, 'POST', '/sim/faults/restart', { downMs: 10 });
    assert.deepEqual(restart.body, { restarting: true, downMs: 10 });
  });
});

describe('simulator: command line', function () {
  it('starts, tells how to place a call, and stops on SIGINT', async function () {
    const { child, url, out } = await startSimulatorCli(['--port', '0', '--speed', '100', '--app', 'demo']);
    assert.match(out, /curl -s -X POST http:\/\/127\.0\.0\.1:\d+\/sim\/calls/);
    const res = await fetch(`${url}/sim/status`);
    assert.equal(((await res.json()) as Json).defaultApp, 'demo');
    assert.equal(await stopSimulatorProcess(child), 0);
  });

  it('keeps the reports of the last --report-limit ended calls', async function () {
    const { child, url } = await startSimulatorCli(['--port', '0', '--speed', '100', '--app', 'demo', '--report-limit', '2']);
    try {
      const ids: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        // No client serves "demo": Stasis() fails and the call ends at once.
        const placed = (await (await fetch(`${url}/sim/calls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: `+1555010${i}`, to: '100' }) })).json()) as { id: string };
        await fetch(`${url}/sim/calls/${placed.id}/ended`);
        ids.push(placed.id);
      }
      const kept = (await (await fetch(`${url}/sim/calls`)).json()) as { id: string }[];
      assert.deepEqual(
        kept.map((r) => r.id),
        ids.slice(1),
      );
    } finally {
      await stopSimulatorProcess(child);
    }
  });

  it('refuses bad options with the usage line', async function () {
    for (const [args, message] of [
      [['--speed', '0'], /--speed must be a number > 0[\s\S]*usage: callflow-asterisk-sim/],
      [['--report-limit', '2.5'], /--report-limit must be a whole number of reports >= 0, got 2.5[\s\S]*usage: callflow-asterisk-sim/],
    ] as const) {
      const child = spawn(process.execPath, [SIMULATOR_CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      assert.equal(code, 2);
      assert.match(err, message);
    }
  });
});
