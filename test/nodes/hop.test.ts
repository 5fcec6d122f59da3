/**
 * The hop between callflow elements (nodes/element/hop.ts): an element
 * wired only to elements hands the msg over in the same turn of the event
 * loop, through Node-RED's receive(), and everything Node-RED promises for a
 * delivered msg still holds: each input done() once, Complete, Catch and
 * Status nodes, a clone per extra target, send hooks; anything else in the
 * wiring (a debug node, a hook, the setting off) goes through Node-RED's
 * send. A long chain neither grows the stack nor holds the event loop.
 */
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { CREDS, ivrFlow, connected, messages, received, useSimulator, type CallMsg } from '../support/ivr';
import { NODES, helper, node, runtimeHooks, useNodeRed } from '../support/node-red';
import { HOPS_PER_TURN, hop, refuseHops, takeHops } from '../../nodes/element/hop';
import type { Node, NodeAPI, NodeMessage } from '../../nodes/red/api';

interface Hop {
  from: string;
  output: number;
  direct: boolean;
}
interface Step {
  type: string;
  call: string;
}
interface CompleteMsg {
  complete: { source: { id: string } };
}
interface StatusMsg {
  status: { fill?: string; text?: string; source: { id: string } };
}

/** A callflow-set node that sets one call variable from a literal: it waits for nothing. */
const setNode = (id: string, next: string[]): object => ({
  id,
  type: 'callflow-set',
  assignments: [{ target: 'var', name: 'at', type: 'str', value: id }],
  onError: 'hangup',
  wires: [next],
});

/** Resolves with the first msg node `id` receives that `match` accepts; fails after timeoutMs. */
function until<T>(id: string, match: (msg: T) => boolean, timeoutMs = 5000): Promise<T> {
  const n = node(id);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      n.off('input', onInput);
      reject(new Error(`${id} received no matching message within ${timeoutMs} ms`));
    }, timeoutMs);
    const onInput = (msg: T): void => {
      if (!match(msg)) return;
      clearTimeout(timer);
      n.off('input', onInput);
      resolve(msg);
    };
    n.on('input', onInput);
  });
}

describe('the hop between elements', function () {
  useNodeRed();
  const simulator = useSimulator();
  let hops: Hop[] = [];
  const onHop = (m: unknown): void => {
    hops.push(m as Hop);
  };
  beforeEach(function () {
    hops = [];
    diagnostics.subscribe('callflow:hop', onHop);
  });
  afterEach(function () {
    diagnostics.unsubscribe('callflow:hop', onHop);
  });
  const load = async (nodes: object[], watched: string[], extra: object[] = []): Promise<void> => {
    await helper.load(NODES, [...ivrFlow(simulator(), nodes, watched), ...extra.map((n) => ({ z: 'tab', ...n }))], CREDS);
    await connected();
  };
  const hopsFrom = (): [string, boolean][] => hops.map((h) => [h.from, h.direct]);

  it('an element wired only to elements hands the msg over in the same turn; each input completes once', async function () {
    await load(
      [
        { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['an']] },
        { id: 'an', type: 'callflow-answer', onError: 'hangup', wires: [['s1']] },
        setNode('s1', ['s2']),
        setNode('s2', ['hu']),
        { id: 'hu', type: 'callflow-hangup', reason: 'normal', wires: [] },
      ],
      ['an', 's1', 's2', 'hu'],
    );
    // For each step: had a setImmediate, queued when the step before it started, run by then (a turn passed)?
    const turnPassed: [string, boolean | undefined][] = [];
    let previous: { passed: boolean } | undefined;
    const onStep = (m: unknown): void => {
      turnPassed.push([(m as Step).type, previous?.passed]);
      const mark = { passed: false };
      setImmediate(() => (mark.passed = true));
      previous = mark;
    };
    diagnostics.subscribe('callflow:element', onStep);
    const caught = received('caught');
    const completed = messages<CompleteMsg>('completed', 4);
    try {
      const call = simulator().placeCall({ from: '1', to: '2' });
      await call.ended();
      const done = await completed;
      assert.deepEqual(done.map((m) => m.complete.source.id).sort(), ['an', 'hu', 's1', 's2']);
    } finally {
      diagnostics.unsubscribe('callflow:element', onStep);
    }
    // s1 waits for nothing: s2 starts in the turn s1 started in (Node-RED's send would have waited for the next).
    assert.deepEqual(turnPassed.slice(2), [['callflow-set', false], ['callflow-hangup', false]]);
    assert.deepEqual(caught, []);
    assert.deepEqual(hopsFrom(), [['e1', true], ['an', true], ['s1', true], ['s2', true]]);
  });

  it('Catch and Status nodes see an element reached by a direct hop', async function () {
    await load(
      [
        { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['s1']] },
        setNode('s1', ['pl']),
        { id: 'pl', type: 'callflow-play', prompts: ['sound:no-such-prompt'], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'hangup', wires: [['spy']] },
        { id: 'spy', type: 'helper' },
      ],
      ['s1', 'pl'],
      [
        { id: 'watcher', type: 'status', scope: ['pl'], wires: [['statuses']] },
        { id: 'statuses', type: 'helper' },
      ],
    );
    const caught = until<CallMsg>('caught', () => true);
    const failed = until<StatusMsg>('statuses', (m) => m.status.source.id === 'pl' && m.status.fill === 'red');
    const call = simulator().placeCall({ from: '1', to: '2' });
    const msg = await caught;
    assert.match(String(msg.error?.message), /Asterisk could not play sound:no-such-prompt/);
    assert.match(String((await failed).status.text), /could not play/);
    await call.ended();
    assert.deepEqual(hopsFrom(), [['e1', true], ['s1', true]]);
  });

  it('a node of another kind beside an element: Node-RED delivers to both, each its own msg', async function () {
    await load(
      [
        { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['s1']] },
        setNode('s1', ['s2', 'spy']),
        setNode('s2', ['hu']),
        { id: 'spy', type: 'helper' },
        { id: 'hu', type: 'callflow-hangup', reason: 'normal', wires: [] },
      ],
      ['s1', 's2', 'hu'],
    );
    const atS2 = received('s2');
    const atSpy = received('spy');
    const completed = messages<CompleteMsg>('completed', 3);
    const call = simulator().placeCall({ from: '1', to: '2' });
    await call.ended();
    assert.deepEqual((await completed).map((m) => m.complete.source.id).sort(), ['hu', 's1', 's2']);
    assert.equal(atS2.length, 1);
    assert.equal(atSpy.length, 1);
    assert.notEqual(atS2[0], atSpy[0]);
    assert.equal(atS2[0]?.call.id, atSpy[0]?.call.id);
    assert.deepEqual(hopsFrom(), [['e1', true], ['s1', false], ['s2', true]]);
  });

  it('fan-out to two elements: each gets its own msg; a target that throws reaches Catch, not the sender', async function () {
    await load(
      [
        { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['s1']] },
        setNode('s1', ['s2', 's3']),
        setNode('s2', ['hu']),
        setNode('s3', ['spy']),
        { id: 'spy', type: 'helper' },
        { id: 'hu', type: 'callflow-hangup', reason: 'normal', wires: [] },
      ],
      ['s1', 's2', 's3', 'hu'],
    );
    const atS2 = received('s2');
    const atS3 = received('s3');
    node('s3').on('input', () => {
      throw new Error('a listener of s3 failed');
    });
    const caught = until<CallMsg & { error: { source: { id: string } } }>('caught', () => true);
    const completed = messages<CompleteMsg>('completed', 4);
    const call = simulator().placeCall({ from: '1', to: '2' });
    const error = await caught;
    assert.match(error.error.message, /a listener of s3 failed/);
    assert.equal(error.error.source.id, 's3');
    await call.ended();
    // The sender and both targets complete once each: the listener's error is Node-RED's to report (Catch), and s3's element went on.
    assert.deepEqual((await completed).map((m) => m.complete.source.id).sort(), ['hu', 's1', 's2', 's3']);
    assert.equal(atS2.length, 1);
    assert.equal(atS3.length, 1);
    assert.notEqual(atS2[0], atS3[0]);
    assert.deepEqual(atS3[0]?.call.vars, atS2[0]?.call.vars);
    assert.deepEqual(hopsFrom().slice(0, 2), [['e1', true], ['s1', true]]);
  });

  it('a chain of 2,000 elements: the stack does not grow, and the event loop gets a turn every few hops', async function () {
    this.timeout(120_000);
    const length = 2000;
    const chain = Array.from({ length }, (_, i) => setNode(`c${i}`, [i + 1 < length ? `c${i + 1}` : 'spy']));
    await load([{ id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['c0']] }, ...chain, { id: 'spy', type: 'helper' }], []);
    // Turns of the event loop, counted while the chain runs.
    let turn = 0;
    let ticking = true;
    const tick = (): void => {
      turn += 1;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const turns: number[] = [];
    const onTurn = (m: unknown): void => {
      if ((m as Hop).from.startsWith('c')) turns.push(turn);
    };
    diagnostics.subscribe('callflow:hop', onTurn);
    try {
      const reached = until<CallMsg>('spy', () => true, 100_000);
      const call = simulator().placeCall({ from: '1', to: '2' });
      const msg = await reached;
      assert.equal(msg.call.vars.at, `c${length - 1}`);
      call.hangup();
    } finally {
      ticking = false;
      diagnostics.unsubscribe('callflow:hop', onTurn);
    }
    const direct = hops.filter((h) => h.from.startsWith('c') && h.direct).length;
    assert.equal(turns.length, length);
    assert.ok(direct >= length - Math.ceil(length / HOPS_PER_TURN) - 1, `${direct} of ${length} hops were direct`);
    const perTurn = new Map<number, number>();
    for (const t of turns) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
    assert.ok(Math.max(...perTurn.values()) <= HOPS_PER_TURN + 1, `up to ${Math.max(...perTurn.values())} hops in one turn`);
  });

  it('the caller hangs up in an element reached by a direct hop: cancelled, done once, no output, nothing to Catch', async function () {
    await load(
      [
        { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['s1']] },
        setNode('s1', ['pl']),
        { id: 'pl', type: 'callflow-play', prompts: ['tone:ring'], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'hangup', wires: [['spy']] },
        { id: 'spy', type: 'helper' },
      ],
      ['s1', 'pl'],
    );
    const forwarded = received('spy');
    const caught = received('caught');
    const completed = messages<CompleteMsg>('completed', 2);
    const call = simulator().placeCall({ from: '1', to: '2', script: [{ waitFor: 'playback-start' }, { hangup: true }] });
    assert.deepEqual((await completed).map((m) => m.complete.source.id).sort(), ['pl', 's1']);
    const report = await call.ended();
    // The prompt started and did not play to its end.
    assert.deepEqual(report.heard.map((h) => [h.media, h.outcome === 'done']), [['tone:ring', false]]);
    assert.deepEqual([forwarded, caught], [[], []]);
    assert.deepEqual(hopsFrom(), [['e1', true], ['s1', true]]);
  });

  it('one AbortController per call, not one per step', async function () {
    const length = 10;
    const chain = Array.from({ length }, (_, i) => setNode(`c${i}`, [i + 1 < length ? `c${i + 1}` : 'hu']));
    await load([{ id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['c0']] }, ...chain, { id: 'hu', type: 'callflow-hangup', reason: 'normal', wires: [] }], []);
    const Original = globalThis.AbortController;
    let made = 0;
    globalThis.AbortController = class extends Original {
      constructor() {
        super();
        made += 1;
      }
    };
    // Controllers made between the first step and the last (a set with a literal makes no ARI request).
    const madeAt: number[] = [];
    const onStep = (m: unknown): void => {
      if ((m as Step).type === 'callflow-set') madeAt.push(made);
    };
    diagnostics.subscribe('callflow:element', onStep);
    try {
      await simulator().placeCall({ from: '1', to: '2' }).ended();
    } finally {
      globalThis.AbortController = Original;
      diagnostics.unsubscribe('callflow:element', onStep);
    }
    assert.equal(madeAt.length, length);
    assert.equal(madeAt.at(-1), madeAt[0], `${(madeAt.at(-1) ?? 0) - (madeAt[0] ?? 0)} controllers for ${length - 1} steps`);
  });

  it('a direct hop arms no idle timer (the next element takes the call in this turn); a hop through Node-RED does', async function () {
    const length = 6;
    // c0..c4 hand over directly; c5 sends to a helper node, through Node-RED.
    const chain = Array.from({ length }, (_, i) => setNode(`c${i}`, [i + 1 < length ? `c${i + 1}` : 'spy']));
    await load([{ id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['c0']] }, ...chain, { id: 'spy', type: 'helper' }], []);
    const idleMs = 60_000; // ivrFlow's idleTimeoutSec
    const realSetTimeout = globalThis.setTimeout;
    let idleTimers = 0;
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      if (args[1] === idleMs) idleTimers += 1;
      return realSetTimeout(...args);
    }) as typeof setTimeout;
    // Idle timers armed from the first step on (the entry's is armed before it).
    const armedAt: number[] = [];
    const onStep = (m: unknown): void => {
      if ((m as Step).type === 'callflow-set') armedAt.push(idleTimers);
    };
    diagnostics.subscribe('callflow:element', onStep);
    try {
      const reached = until<CallMsg>('spy', () => true);
      const call = simulator().placeCall({ from: '1', to: '2' });
      await reached;
      assert.deepEqual(armedAt.map((n) => n - (armedAt[0] ?? 0)), [0, 0, 0, 0, 0, 0]);
      assert.equal(idleTimers - (armedAt[0] ?? 0), 1, 'the hop to the helper node armed one');
      call.hangup();
    } finally {
      globalThis.setTimeout = realSetTimeout;
      diagnostics.unsubscribe('callflow:element', onStep);
    }
  });

  it('with a send hook registered (a flow debugger), every msg goes through Node-RED and the hook sees it', async function () {
    await load(
      [
        { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['s1']] },
        setNode('s1', ['hu']),
        { id: 'hu', type: 'callflow-hangup', reason: 'normal', wires: [] },
      ],
      ['s1', 'hu'],
    );
    const seen: string[] = [];
    runtimeHooks.add('preDeliver.hoptest', (event) => {
      seen.push((event as { destination: { id: string } }).destination.id);
    });
    try {
      const completed = messages<CompleteMsg>('completed', 2);
      await simulator().placeCall({ from: '1', to: '2' }).ended();
      await completed;
    } finally {
      runtimeHooks.remove('preDeliver.hoptest');
    }
    assert.deepEqual(seen.filter((id) => id === 's1' || id === 'hu'), ['s1', 'hu']);
    assert.deepEqual(hopsFrom(), [['s1', false]]);
  });

  it('callflowDirectHop: false in settings.js: every msg goes through Node-RED', async function () {
    helper.settings({ callflowDirectHop: false });
    try {
      await load(
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['s1']] },
          setNode('s1', ['hu']),
          { id: 'hu', type: 'callflow-hangup', reason: 'normal', wires: [] },
        ],
        ['s1', 'hu'],
      );
      const completed = messages<CompleteMsg>('completed', 2);
      await simulator().placeCall({ from: '1', to: '2' }).ended();
      assert.deepEqual((await completed).map((m) => m.complete.source.id).sort(), ['hu', 's1']);
    } finally {
      helper.settings({});
    }
    assert.deepEqual(hopsFrom(), [['s1', false]]);
  });
});

describe('hop() between two element nodes (no Node-RED)', function () {
  const RED = {
    hooks: { has: () => false },
    util: { generateId: () => 'id1', cloneMessage: <T>(m: T): T => structuredClone(m) },
    log: { error: () => undefined },
  } as unknown as NodeAPI;
  function pair(): { from: Node; to: Node & { got: NodeMessage[] } } {
    const got: NodeMessage[] = [];
    const to = { id: 'to', type: 'callflow-set', got, receive: (m: NodeMessage) => got.push(m) } as unknown as Node & { got: NodeMessage[] };
    const from = { id: 'from', type: 'callflow-set', wires: [['to']], _flow: { getNode: (id: string) => (id === 'to' ? to : undefined) } } as unknown as Node;
    return { from, to };
  }

  it('a target that closed before the microtask ran still gets the msg, and the sender is told first (it arms its idle watch)', async function () {
    const { from, to } = pair();
    takeHops(to);
    let staleAt: number | undefined;
    const msg: NodeMessage = { payload: 1 };
    assert.equal(hop(RED, from, 0, msg, { hopTurn: -1, hops: 0 }, () => (staleAt = to.got.length)), true);
    refuseHops(to);
    await Promise.resolve();
    assert.equal(staleAt, 0, 'told before the delivery');
    assert.deepEqual(to.got, [msg]);
    assert.equal(msg._msgid, 'id1');
  });

  it('a target that still takes hops: the sender is not told', async function () {
    const { from, to } = pair();
    takeHops(to);
    let stale = false;
    assert.equal(hop(RED, from, 0, { payload: 1 }, { hopTurn: -1, hops: 0 }, () => (stale = true)), true);
    await Promise.resolve();
    assert.equal(stale, false);
    assert.equal(to.got.length, 1);
    refuseHops(to);
    assert.equal(hop(RED, from, 0, { payload: 2 }, { hopTurn: -1, hops: 0 }), false, 'a closed target takes no direct hop');
  });
});
