/**
 * Two Node-RED processes against one simulated Asterisk, the two ways
 * docs/instances.md describes: one Stasis application per instance (both
 * active, neither touches the other's calls, also across a restart), and
 * active/standby on one application (the newcomer takes it over, the
 * replaced one ends its calls as application-replaced, waits without taking
 * the application back, and takes it once the other one is gone).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { OutputLines, freePort, prepareHome, startNodeRed, waitForOutput } from '../../lib/playground/home';
import { startSimulator, type Simulator } from '../../lib/sim';
import { useTempDir } from '../support/temp-dir';

function flows(simUrl: string, app: string): Record<string, unknown>[] {
  const z = 'tab';
  return [
    { id: z, type: 'tab', label: 'instances' },
    { id: 'ast', type: 'callflow-asterisk', name: 'sim', useSimulator: false, url: simUrl, app, idleTimeoutSec: 60, maxChannels: 100 },
    { id: 'entry', type: 'callflow-entry', z, connection: 'ast', flow: 'hold', x: 100, y: 100, wires: [['play']] },
    { id: 'play', type: 'callflow-play', z, prompts: ['sound:tt-monkeys'], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'hangup', x: 300, y: 100, wires: [['bye']] },
    { id: 'bye', type: 'callflow-hangup', z, reason: 'normal', x: 500, y: 100, wires: [] },
    { id: 'ends', type: 'callflow-call-end', z, connection: 'ast', flow: '', x: 100, y: 200, wires: [['say']] },
    { id: 'say', type: 'function', z, func: "node.warn('CALL-END ' + msg.call.id + ' ' + msg.payload.reason + ' ' + msg.payload.by); return null;", outputs: 1, x: 300, y: 200, wires: [[]] },
  ];
}

class Instance {
  readonly lines = new OutputLines();
  child: ChildProcess | undefined;
  constructor(
    readonly name: string,
    readonly dir: string,
    readonly port: number,
  ) {}

  async start(simUrl: string, app: string): Promise<void> {
    const { settings } = prepareHome({ dir: this.dir, port: this.port, flows: flows(simUrl, app), replaceFlows: true });
    fs.writeFileSync(path.join(this.dir, 'flows_cred.json'), JSON.stringify({ ast: { username: 'asterisk', password: 'asterisk' } }));
    const started = startNodeRed({ dir: this.dir, settings, onOutput: (l) => this.lines.push(`${this.name}: ${l}`) });
    this.child = started;
    await waitForOutput(started, this.lines, /Started flows/, 45_000);
  }

  /** A line printed already, or the next one that matches. */
  seen(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    const line = this.lines.all.find((l) => pattern.test(l));
    return line !== undefined ? Promise.resolve(line) : this.wait(pattern, timeoutMs);
  }

  /** The next line that matches (from this process or the next one started on this instance). */
  wait(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const off = this.lines.on((line) => {
        if (!pattern.test(line)) return;
        off();
        clearTimeout(timer);
        resolve(line);
      });
      const timer = setTimeout(() => {
        off();
        reject(new Error(`${this.name} did not print ${pattern} within ${timeoutMs} ms`));
      }, timeoutMs);
    });
  }

  async stop(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
    this.child = undefined;
  }
}

describe('two Node-RED processes and one Asterisk', function () {
  this.timeout(180_000);
  let sim: Simulator;
  let a: Instance;
  let b: Instance;
  const homeA = useTempDir('callflow-instance-a-');
  const homeB = useTempDir('callflow-instance-b-');

  beforeEach(async function () {
    // Prompts last a minute: calls stay up until something ends them.
    sim = await startSimulator({ speed: 1, mediaMs: 60_000 });
    a = new Instance('A', homeA.path, await freePort());
    b = new Instance('B', homeB.path, await freePort());
  });

  afterEach(async function () {
    if (process.env.DEBUG_INSTANCES || this.currentTest?.state === 'failed') console.log([...a.lines.all, ...b.lines.all].slice(-120).join('\n'));
    await a.stop('SIGINT');
    await b.stop('SIGINT');
    await sim.close();
  });

  /** Places a call and resolves once its prompt plays (a flow took it). */
  async function placeHeld(app: string): Promise<string> {
    const call = sim.placeCall({ app, from: '+15550100', to: '100' });
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        const report = call.report();
        if (report.heard.length > 0) resolve();
        else if (report.ended) reject(new Error(`call ${call.id} ended before its prompt: ${JSON.stringify(report.ended)}`));
        else setTimeout(check, 20);
      };
      check();
    });
    return call.id;
  }

  it('one application per instance: each keeps its calls; a restart hangs up only its own earlier run\'s', async function () {
    await a.start(sim.url, 'callflow-a');
    await b.start(sim.url, 'callflow-b');
    await Promise.all([a.seen(/callflow-a: connected/), b.seen(/callflow-b: connected/)]);
    const callA = await placeHeld('callflow-a');
    const callB = await placeHeld('callflow-b');

    // B dies without hanging up and starts again: its earlier call is hung up, A's is untouched.
    await b.stop('SIGKILL');
    const leftover = b.wait(/1 call\(s\) were in application callflow-b without anyone here handling them/);
    await b.start(sim.url, 'callflow-b');
    await leftover;
    await sim.call(callB).ended();
    assert.equal(sim.call(callA).report().ended, undefined, 'A\'s call is still up');
    assert.equal(a.lines.all.some((l) => /another client took over/.test(l)), false);
  });

  it('active/standby on one application: the newcomer takes it over, the replaced one ends its calls as lost and waits, then takes it back once the other is gone', async function () {
    await a.start(sim.url, 'callflow');
    await a.seen(/callflow: connected/);
    const first = await placeHeld('callflow');

    // B starts on the same application: A is replaced.
    const replaced = a.wait(/another client took over application callflow/);
    const lost = a.wait(new RegExp(`CALL-END ${first.replace('.', '\\.')} application-replaced system`));
    await b.start(sim.url, 'callflow');
    await Promise.all([replaced, lost]);
    const report = await sim.call(first).ended();
    assert.equal(report.ended?.by, 'application', 'A hung its lost call up: no caller left in silence');

    // New calls go to B; A does not fight back while B holds the application.
    const second = await placeHeld('callflow');
    assert.ok(b.lines.all.some((l) => /callflow: connected/.test(l)));
    // A has asked Asterisk at least once since (the application is held) and stayed off it.
    await a.wait(/another client holds it, or calls are still in it/);
    assert.equal(a.lines.all.filter((l) => /callflow: connected/.test(l)).length, 1, 'A connected once only while B held the application');
    assert.equal(b.lines.all.some((l) => /another client took over/.test(l)), false, 'B was never replaced');

    // B stops. Its call stays in Stasis (Node-RED stopping leaves calls for its next run, as a crash would), so the
    // application is still there: A keeps waiting until that caller hangs up and the application is gone (404).
    const back = a.wait(/callflow: connected/, 120_000);
    await b.stop('SIGINT');
    assert.equal(sim.call(second).report().ended, undefined);
    sim.call(second).hangup();
    await back;
    const third = await placeHeld('callflow');
    assert.equal(sim.call(third).report().ended, undefined);
  });
});
