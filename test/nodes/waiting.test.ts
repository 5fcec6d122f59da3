/**
 * What a call waiting for the caller keeps (issue 14): thousands of calls
 * wait in a menu or a digit collection at any moment, so what each keeps
 * there is most of the plugin's heap per call in progress. Counted with
 * v8.queryObjects (the objects alive after a full GC) while calls wait for a
 * key, against the same count before they came: counts of objects, which do
 * not depend on the machine's speed. bench/ivr-heap measures the bytes.
 */
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import v8 from 'node:v8';
import { CREDS, connected, ivrFlow, useSimulator } from '../support/ivr';
import { NODES, helper, nextMessage, node, useNodeRed } from '../support/node-red';
import { SeldomSet, TraceStep } from '../../lib/call/session';
import { StepSignal } from '../../lib/call/step-signal';
import { liveObjects } from '../support/live-objects';

const CALLS = 20;
/** Node's timer class (not a global): what each setTimeout() makes. */
const Timeout = (() => {
  const timer = setTimeout(() => undefined, 0);
  clearTimeout(timer);
  return timer.constructor as new (...args: never[]) => unknown;
})();

/** Live timers (after a full GC) set for `ms`: the key waits' length in these flows, which nothing else here uses. */
function liveTimersOf(ms: number): number {
  const emit = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning).includes('queryObjects')) return;
    (emit as (...a: unknown[]) => void)(warning, ...rest);
  });
  try {
    const shown = (v8 as unknown as { queryObjects(c: unknown, o: { format: 'summary' }): string[] }).queryObjects(Timeout, { format: 'summary' });
    return shown.filter((s) => new RegExp(`_idleTimeout: ${ms}\\b`).test(s)).length;
  } finally {
    process.emitWarning = emit;
  }
}

/** Objects of `ctor` (or inheriting from it) alive now, after a full GC. */
const live = liveObjects;

/**
 * Promises one async function suspended on an `await` keeps, in this
 * process as it is now: 1 (its own), or 2 once something in the process has
 * turned promise hooks on (an AsyncLocalStorage, in the whole suite): V8
 * then makes a promise for each pending await.
 */
async function promisesPerSuspendedFunction(): Promise<number> {
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const suspended = async (): Promise<void> => {
    await gate;
  };
  const before = live(Promise);
  const waiting = Array.from({ length: CALLS }, () => suspended());
  const per = (live(Promise) - before) / CALLS;
  open();
  await Promise.all(waiting);
  return per;
}

/** Resolves once `count` prompts have ended, as the plugin hears it, and what that leads to has run (the call waits for a key). */
function promptsEnded(count: number): Promise<void> {
  const channel = diagnostics.channel('callflow:ari:event');
  return new Promise((resolve) => {
    let seen = 0;
    const onEvent = (message: unknown): void => {
      if ((message as { event: { type: string } }).event.type !== 'PlaybackFinished' || ++seen < count) return;
      channel.unsubscribe(onEvent);
      // The adapter hands the event on as it publishes it; the element reaches the key's wait on microtasks.
      setImmediate(resolve);
    };
    channel.subscribe(onEvent);
  });
}

describe('what a call waiting for a key keeps', function () {
  // Counting live objects takes full collections of a heap with hundreds of calls: seconds on a busy machine.
  this.timeout(120_000);
  useNodeRed();
  const simulator = useSimulator(100);

  /**
   * Per call waiting for a key in `element` (a menu or collect node with one prompt, after an answer node): live
   * Promises, AbortControllers and step signals.
   */
  async function perWaitingCall(element: object, key: string): Promise<{ promises: number; controllers: number; stepSignals: number; timeouts: number; seldom: number; steps: number }> {
    await helper.load(
      NODES,
      ivrFlow(
        simulator(),
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['an']] },
          { id: 'an', type: 'callflow-answer', onError: 'hangup', wires: [['el']] },
          { id: 'el', ...element, wires: [['out'], ['out'], ['out'], ['out']] },
          { id: 'out', type: 'helper' },
        ],
        ['el'],
      ),
      CREDS,
    );
    await connected();
    // A first call through, so that what the first call makes once (caches, compiled code) is in the count before.
    const first = nextMessage(node('out'));
    const warm = simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-end' }, { dtmf: key }] });
    await first;
    warm.hangup();
    await warm.ended();

    const before = { promises: live(Promise), controllers: live(AbortController), stepSignals: live(StepSignal), timeouts: liveTimersOf(WAIT_MS), seldom: live(SeldomSet), steps: live(TraceStep) };
    const waiting = promptsEnded(CALLS);
    const calls = Array.from({ length: CALLS }, () => simulator().placeCall({ from: '1', to: '2' }));
    await waiting;
    const during = { promises: live(Promise), controllers: live(AbortController), stepSignals: live(StepSignal), timeouts: liveTimersOf(WAIT_MS), seldom: live(SeldomSet), steps: live(TraceStep) };
    for (const call of calls) call.hangup();
    await Promise.all(calls.map((c) => c.ended()));
    return {
      promises: (during.promises - before.promises) / CALLS,
      controllers: (during.controllers - before.controllers) / CALLS,
      stepSignals: (during.stepSignals - before.stepSignals) / CALLS,
      timeouts: (during.timeouts - before.timeouts) / CALLS,
      seldom: (during.seldom - before.seldom) / CALLS,
      steps: (during.steps - before.steps) / CALLS,
    };
  }

  /** How long the menu and the collection below wait for a key. */
  const WAIT_MS = 60_000;
  const MENU = { type: 'callflow-menu', prompts: ['sound:demo-congrats'], options: ['1', '2'], labels: ['', ''], repeatKey: '', timeoutSec: 60, retries: 0, invalidPrompts: [], timeoutPrompts: [], language: '', onError: 'hangup' };
  const COLLECT = {
    type: 'callflow-collect',
    prompts: ['sound:demo-congrats'],
    variable: 'pin',
    minDigits: 1,
    maxDigits: 1,
    firstDigitTimeoutSec: 60,
    interDigitTimeoutSec: 30,
    terminator: '',
    pattern: '',
    retries: 0,
    invalidPrompts: [],
    timeoutPrompts: [],
    language: '',
    onError: 'hangup',
  };

  it('a collection of 8 keys arms the key timer at most twice (the first key and the keys between), not once per key', async function () {
    // Distinct lengths, so that the reader's timers can be told from any other.
    const first = 59;
    const between = 29;
    await helper.load(
      NODES,
      ivrFlow(
        simulator(),
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['an']] },
          { id: 'an', type: 'callflow-answer', onError: 'hangup', wires: [['el']] },
          { id: 'el', ...COLLECT, maxDigits: 8, firstDigitTimeoutSec: first, interDigitTimeoutSec: between, wires: [['out'], ['out'], ['out'], ['out']] },
          { id: 'out', type: 'helper' },
        ],
        ['el'],
      ),
      CREDS,
    );
    await connected();
    const realSetTimeout = globalThis.setTimeout;
    let armed = 0;
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      if (args[1] === first * 1000 || args[1] === between * 1000) armed += 1;
      return realSetTimeout(...args);
    }) as typeof setTimeout;
    try {
      const out = nextMessage<{ payload: { digits: string } }>(node('out'));
      const call = simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-end' }, { dtmf: '12345678' }] });
      assert.equal((await out).payload.digits, '12345678');
      call.hangup();
      await call.ended();
    } finally {
      globalThis.setTimeout = realSetTimeout;
    }
    // At most: a key already waiting when the reader asks needs no timer. Before: a timer (and its closures, and an
    // abort listener added and removed) for each wait, up to 8.
    assert.ok(armed <= 2, `the key timer was armed ${armed} times for 8 keys`);
  });

  for (const [what, element] of [
    ['a menu', MENU],
    ['a digit collection', COLLECT],
  ] as const) {
    // One measurement per element for both counts: each takes full collections of the suite's whole heap.
    it(`in ${what}: the promises of one waiting function, one step signal (the session's) and no AbortController of the plugin's`, async function () {
      const per = await perWaitingCall(element, '1');
      const extra = (await promisesPerSuspendedFunction()) - 1;
      // Pending: the key's wait, ask's own promise, the element's mapping of its result and the runner's reaction to
      // it; and one resolved promise per call kept elsewhere in this process (the simulator runs in it too).
      // Before issue 14's change: six, from four nested async functions waiting on one another and the runner's finally.
      // With promise hooks on, each suspended function keeps one more: one more now (ask), four more before.
      assert.ok(per.promises <= 5.1 + extra, `a waiting call keeps ${per.promises} promises (${extra} more per suspended function in this process)`);
      // The session's step signal, which is not an AbortController's (step-signal.ts: about 1 KB less per call).
      assert.ok(per.stepSignals >= 0.95 && per.stepSignals <= 1.05, `a waiting call keeps ${per.stepSignals} step signals`);
      // Only the simulated channel's (the simulator runs in this process). Before issue 14: three, the session's own
      // and the element runner's, linked by a listener, beside the simulator's; then two, the steps' and the simulator's.
      assert.ok(per.controllers <= 1.05, `a waiting call keeps ${per.controllers} AbortControllers`);
      // The waits of one length share one timer (lib/ivr/keys.ts, a DeadlineSweep per length): at most one for the 20 calls.
      // Before: one Timeout of the wait's length per waiting call, with its boxed times and its arguments' array
      // (about 230 bytes).
      assert.ok(per.timeouts <= 1 / CALLS, `a waiting call keeps ${per.timeouts} timers of the key wait's length`);
      // The session's rare fields (version, campaign, result, peer, the end...) are one object made when one is set: a
      // routed call waiting for a key has none (the count allows one among the 20 calls, made outside them: the
      // measurement cannot tell whose it is). Before the fourth round they were 15 fields of every session.
      assert.ok(per.seldom <= 1 / CALLS, `a waiting call keeps ${per.seldom} objects of the session's rare fields`);
      // The trace: the session keeps the steps' entries, and a step object only for the element the call waits in. The
      // count allows a second: node-red-node-test-helper's log spy (sinon) keeps an Error with its call stack for every
      // log call, and a stack taken in the answer node's step holds its operation (found in a heap snapshot of this
      // test; bench/ivr-heap, without the helper, finds one step per waiting call). Before the fourth round the session
      // kept one per step passed.
      assert.ok(per.steps <= 2.05, `a waiting call keeps ${per.steps} trace steps`);
    });
  }
});
