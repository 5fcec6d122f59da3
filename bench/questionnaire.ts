/**
 * bench/questionnaire (issue 17): `--calls` callers (1,000) in progress at once answering a five-question survey
 * (yes/no, a rating of 1 to 5, a rating of 0 to 10, a choice, a number) in a real Node-RED runtime (embedded in this
 * process, no editor): callflow-entry -> callflow-questionnaire -> callflow-hangup, the answers kept by an embedded
 * store (SQLite on its own thread, durability normal), against the simulated Asterisk in a process of its own.
 * Each caller waits for a question's prompt, pauses 2 to 6 s as people do, and keys the answer. Prints:
 *  - answers documents stored per second, and answers per second, from the first call to the last document;
 *  - store writes per answer: documents written (one per questionnaire, whatever its length) over answers given;
 *  - the plugin-added time per step once every call is placed (the calls in progress answering, not the ramp's
 *    set-ups): from an ARI event's arrival to the next request about the same channel (bench/ivr-probe.ts), p50
 *    and p99, and without the samples a GC pause touched; the most calls in progress;
 *  - the event loop's delay p99 while the calls were in progress.
 * Figures are printed, not asserted.
 *
 *   npm run build && node dist/bench/questionnaire.js [--calls 1000] [--ramp-sec 5]
 */
import diagnostics from 'node:diagnostics_channel';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { connectedEngine } from './ivr-plugin';
import { Probe } from './ivr-probe';
import { flag, ms, nodeRed, post, runBench, startEmbeddedNodeRed, startSimulatorProcess, summary } from './support';

const QUESTIONS = [
  { id: 'agree', kind: 'yesno', prompts: ['sound:hello-world'], timeoutSec: 15 },
  { id: 'stars', kind: 'rating', min: 1, max: 5, prompts: ['sound:demo-congrats'], timeoutSec: 15 },
  { id: 'recommend', kind: 'rating', min: 0, max: 10, prompts: ['sound:tt-monkeys'], timeoutSec: 15 },
  { id: 'channel', kind: 'choice', keys: ['1', '2', '3'], labels: ['web', 'phone', 'shop'], prompts: ['sound:tt-weasels'], timeoutSec: 15 },
  { id: 'orders', kind: 'number', minDigits: 1, maxDigits: 3, prompts: ['sound:vm-enter-num-to-call'], timeoutSec: 15 },
];
/** What each caller keys, question by question (the prompt it waits for, then the keys). */
const ANSWERS: [string, string][] = [
  ['hello-world', '1'],
  ['demo-congrats', '4'],
  ['tt-monkeys', '10'],
  ['tt-weasels', '2'],
  ['vm-enter-num-to-call', '12#'],
];

/** A caller's pause before each answer: 2 to 6 s, so the 1,000 callers are all in progress for a while after the ramp. */
const pause = (): number => 2000 + Math.floor(Math.random() * 4000);

function callerScript(): object[] {
  const steps: object[] = [];
  for (const [media, keys] of ANSWERS) steps.push({ waitFor: 'playback-start', media }, { wait: pause() }, { dtmf: keys });
  return steps;
}

function flows(url: string, dir: string): Record<string, unknown>[] {
  const z = 'b0000000000000t1';
  return [
    { id: z, type: 'tab', label: 'questionnaire bench' },
    { id: 'b0000000000000a1', type: 'callflow-asterisk', name: 'simulated Asterisk', useSimulator: false, url, app: 'callflow', idleTimeoutSec: '120' },
    { id: 'b0000000000000s1', type: 'callflow-store', backend: 'embedded', file: path.join(dir, 'bench.db'), durability: 'normal' },
    { id: 'b0000000000000q1', type: 'callflow-questions', questionnaire: 'bench', store: 'b0000000000000s1', questions: QUESTIONS },
    { id: 'b0000000000000e1', type: 'callflow-entry', z, connection: 'b0000000000000a1', flow: 'survey', x: 100, y: 100, wires: [['b0000000000000n1']] },
    { id: 'b0000000000000n1', type: 'callflow-questionnaire', z, questions: 'b0000000000000q1', language: '', onError: 'hangup', outputs: 2, x: 300, y: 100, wires: [['b0000000000000h1'], ['b0000000000000h1']] },
    { id: 'b0000000000000h1', type: 'callflow-hangup', z, reason: 'normal', x: 500, y: 100, wires: [] },
  ];
}

async function main(): Promise<void> {
  const calls = Number(flag('--calls') ?? 1000);
  const rampSec = Number(flag('--ramp-sec') ?? 5);
  if (!Number.isInteger(calls) || calls < 1) throw new Error(`--calls is a whole number from 1, not ${flag('--calls')}`);
  const sim = await startSimulatorProcess(['--media-ms', '500', '--app', 'callflow']);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callflow-bench-questionnaire-'));
  try {
    await startEmbeddedNodeRed({ dir, flows: flows(sim.url, dir), credentials: { b0000000000000a1: { username: 'asterisk', password: 'asterisk' } }, logLevel: 'warn' });
    const engine = await connectedEngine();
    const probe = new Probe();
    let docs = 0;
    let answers = 0;
    let complete = 0;
    let lastDocAt = 0;
    diagnostics.subscribe('callflow:answers', (m) => {
      const note = m as { complete: boolean; answers: number };
      docs += 1;
      answers += note.answers;
      if (note.complete) complete += 1;
      lastDocAt = performance.now();
    });
    let ended = 0;
    let allEnded: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (allEnded = resolve));
    engine.calls.onEnded(() => {
      ended += 1;
      if (ended === calls) allEnded();
    });
    const delay = monitorEventLoopDelay({ resolution: 10 });
    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, engine.callCount)), 100);
    const t0 = performance.now();
    // Placed over the ramp so callers do not move in lockstep, 16 requests at a time at most.
    let placed = 0;
    const placeOne = async (): Promise<void> => {
      const n = placed;
      placed += 1;
      await post(`${sim.url}/sim/calls`, { from: `+1555${String(n).padStart(7, '0')}`, to: '800', args: ['survey'], script: callerScript() });
    };
    while (placed < calls) {
      const due = Math.min(calls, Math.ceil(((performance.now() - t0) / (rampSec * 1000)) * calls));
      const batch: Promise<void>[] = [];
      while (placed < due && batch.length < 16) batch.push(placeOne());
      await Promise.all(batch);
      if (placed < due) continue;
      await new Promise((r) => setTimeout(r, 50));
    }
    // Measured once every call is placed: the calls in progress answering, not the ramp's call set-ups.
    const inProgressAtStart = engine.callCount;
    probe.on = true;
    delay.enable();
    await done;
    probe.on = false;
    delay.disable();
    probe.settle();
    clearInterval(sampler);
    // The last documents are written after their calls ended.
    while (docs < calls && performance.now() - lastDocAt < 10_000) await new Promise((r) => setTimeout(r, 50));
    const seconds = (lastDocAt - t0) / 1000;
    const added = summary(probe.samples);
    const quiet = summary(probe.outsideGc);
    console.log(`questionnaire bench: ${calls} callers, 5 questions each, placed over ${rampSec} s`);
    console.log(`  answers documents stored: ${docs} (${complete} complete) in ${seconds.toFixed(1)} s: ${(docs / seconds).toFixed(1)} documents/s, ${(answers / seconds).toFixed(1)} answers/s`);
    console.log(`  store writes per answer: ${docs} writes / ${answers} answers = ${(docs / Math.max(1, answers)).toFixed(2)}`);
    console.log(`  calls in progress: at most ${most}; ${inProgressAtStart} when the last was placed and the measuring began`);
    console.log(`  plugin-added time per step (ARI event -> next request), from then on: p50 ${ms(added.p50)} / p99 ${ms(added.p99)} (${added.n} steps); without GC pauses p50 ${ms(quiet.p50)} / p99 ${ms(quiet.p99)}`);
    console.log(`  event loop delay p99: ${ms(delay.percentile(99) / 1e6)}; element steps: ${probe.steps}`);
  } finally {
    await nodeRed().stop().catch(() => undefined);
    sim.child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

runBench(main);
