/**
 * bench/session: what the call session and msg.call cost per call step, in
 * CPU time and bytes allocated, without Asterisk, Node-RED or the network.
 *
 * It plays the session side of the "IVR menu" example (bench/ivr) through
 * the registry as the element runner drives it: a StasisStart, then for each
 * element (entry, answer, play, menu, collect, set, play, play, hangup) what
 * nodes/shared/element.ts does with the session (read msg.call, find the call
 * by its token, take the variables over, record the step, make the next
 * msg.call), the 8 keys the caller presses (1, six digits, #), the change
 * node's edit of msg.call.vars, the hangup, and the call-end node's report
 * (callEndReport and snapshot). Element work (ARI requests, timers) is left
 * out: that is other benches' business.
 *
 * Figures do not depend on the machine's load:
 *  - CPU per step: process.cpuUsage over ROUNDS rounds of CALLS calls, the
 *    median round, divided by the steps;
 *  - bytes per step: used heap after the round minus before, with a young
 *    generation large enough that no GC runs in a round (the script checks,
 *    and says so if one did), divided by the steps.
 *
 *   npm run build && node --expose-gc --min-semi-space-size=256 --max-semi-space-size=256 dist/bench/session.js [--calls 2000] [--rounds 15]
 */
import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import type { Telephony, TelephonyEvent } from '../lib/ari/port';
import { readHandle, type CallHandle } from '../lib/call/handle';
import { CallRegistry } from '../lib/call/registry';
import { callEndReport } from '../lib/call/report';
import type { CallSession } from '../lib/call/session';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const CALLS = arg('calls', 2000);
const ROUNDS = arg('rounds', 15);
/** The example's elements, in the order a caller who asks for the balance passes them, with their outcome. */
const ELEMENTS: [string, string][] = [
  ['answer', 'answered'],
  ['play', 'done'],
  ['menu', 'option 1'],
  ['collect', 'collected'],
  ['set', 'set'],
  ['play', 'done'],
  ['play', 'done'],
];
const NODES = ELEMENTS.map((_, i) => `node${i}`);
/** entry, the elements above, hangup. */
const STEPS_PER_CALL = ELEMENTS.length + 2;
const KEYS = ['1', '4', '2', '7', '1', '1', '9', '#'];

if (typeof global.gc !== 'function') {
  console.error('run with --expose-gc --min-semi-space-size=256 --max-semi-space-size=256 (see the header of bench/session.ts)');
  process.exit(2);
}
const gc = global.gc as () => void;

let listener: ((e: TelephonyEvent) => void) | undefined;
const telephony = {
  app: 'callflow',
  onEvent(l: (e: TelephonyEvent) => void) {
    listener = l;
    return () => undefined;
  },
  hangup: () => Promise.resolve(),
} as unknown as Telephony;
const registry = new CallRegistry(telephony, { connectionId: 'c0ffee0000000001' });
let current: CallSession | undefined;
registry.onCall((s) => {
  current = s;
});
let reports = 0;
registry.onEnded((ended) => {
  // What callflow-call-end makes of it.
  const msg = { topic: ended.session.flow ?? '', call: ended.session.snapshot(), payload: callEndReport(ended) };
  if (msg.payload.trace.length > 0) reports++;
});
const emit = (e: unknown): void => listener?.(e as TelephonyEvent);

/** What the element runner does with the session for one element on one msg. */
function step(msg: { call: unknown }, node: string, element: string, outcome: string, work?: (session: CallSession) => void): void {
  const handle = readHandle(msg.call);
  if (typeof handle === 'string') throw new Error(handle);
  const found = registry.find(handle);
  if (found.kind !== 'live') throw new Error(`call ${handle.id} is ${found.kind}`);
  const session = found;
  session.adopt(msg.call as { vars: Record<string, unknown> });
  session.busy();
  const entry = session.enter(node, element);
  work?.(session);
  entry.outcome = outcome;
  msg.call = session.handle();
}

/** The events of one call, as the ARI adapter hands them in: made before a round, so their bytes are not counted. */
interface CallEvents {
  start: unknown;
  up: unknown;
  keys: unknown[];
  hangup: unknown;
  end: unknown;
}

function eventsOf(n: number): CallEvents {
  const id = `1733312345.${n}`;
  return {
    start: {
      type: 'StasisStart',
      args: ['ivr-menu'],
      channel: { id, name: `PJSIP/caller-${n}`, state: 'Ring', caller: { number: '5550100', name: 'Bench' }, dialplan: { context: 'default', exten: '100', priority: 1 }, language: 'en' },
    },
    up: { type: 'ChannelStateChange', channel: { id, state: 'Up' } },
    keys: KEYS.map((digit) => ({ type: 'ChannelDtmfReceived', channel: { id }, digit })),
    hangup: { type: 'ChannelHangupRequest', channel: { id }, soft: true },
    end: { type: 'StasisEnd', channel: { id } },
  };
}

const collected = (session: CallSession): void => {
  session.vars.account = '427119';
};

function oneCall(events: CallEvents): void {
  emit(events.start);
  const session = current as CallSession;
  session.flow = 'ivr-menu';
  session.enter('entry', 'entry').outcome = 'routed';
  const msg: { call: unknown } = { call: session.handle() };
  let k = 0;
  // An indexed loop: the bench's own allocations would count as the session's.
  for (let i = 0; i < ELEMENTS.length; i++) {
    const [element, outcome] = ELEMENTS[i] as [string, string];
    if (element === 'answer') emit(events.up);
    if (element === 'menu') emit(events.keys[k++]);
    if (element === 'collect') {
      while (k < KEYS.length) emit(events.keys[k++]);
    }
    step(msg, NODES[i] as string, element, outcome, element === 'collect' ? collected : undefined);
    // The example's change node after the set node: call.vars.balance, by JSONata.
    if (element === 'set') (msg.call as CallHandle).vars.balance = 119;
  }
  step(msg, 'hangup', 'hangup', 'hangup');
  emit(events.hangup);
  emit(events.end);
}

let gcs = 0;
new PerformanceObserver((list) => {
  gcs += list.getEntries().length;
}).observe({ entryTypes: ['gc'] });

/** Lets the GC observer report what happened so far (it reports asynchronously). */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

let next = 0;
async function round(): Promise<{ cpuUs: number; bytes: number; gcs: number }> {
  const calls: CallEvents[] = [];
  for (let i = 0; i < CALLS; i++) calls.push(eventsOf(next++));
  gc();
  await settle();
  const gcBefore = gcs;
  const heap = v8.getHeapStatistics().used_heap_size;
  const cpu = process.cpuUsage();
  for (const events of calls) oneCall(events);
  const used = process.cpuUsage(cpu);
  const bytes = v8.getHeapStatistics().used_heap_size - heap;
  await settle();
  return { cpuUs: used.user + used.system, bytes, gcs: gcs - gcBefore };
}

async function main(): Promise<void> {
  // Warm the JIT up.
  for (let i = 0; i < 3; i++) await round();
  const results: { cpuUs: number; bytes: number; gcs: number }[] = [];
  for (let r = 0; r < ROUNDS; r++) results.push(await round());
  const clean = results.filter((r) => r.gcs === 0);
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const steps = CALLS * STEPS_PER_CALL;
  const cpu = median(results.map((r) => r.cpuUs)) / steps;
  const bytes = clean.length > 0 ? median(clean.map((r) => r.bytes)) / steps : Number.NaN;
  console.log(`calls per round ${CALLS}, steps per call ${STEPS_PER_CALL}, keys per call ${KEYS.length}, rounds ${ROUNDS} (${clean.length} without a GC), reports ${reports}`);
  console.log(`CPU per step   ${cpu.toFixed(2)} us (median round; ${(cpu * STEPS_PER_CALL).toFixed(1)} us per call)`);
  console.log(`bytes per step ${Math.round(bytes)} B (median round without a GC; ${Math.round(bytes * STEPS_PER_CALL)} B per call)`);
  if (registry.size !== 0) throw new Error(`${registry.size} calls left in the registry`);
}

void main();
