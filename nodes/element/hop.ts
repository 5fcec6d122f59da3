/**
 * The hop between callflow elements. Node-RED delivers what a node sends on
 * a later turn of the event loop (Flow.js handlePreDeliver: setImmediate):
 * with thousands of calls in progress, every hop of every call waits behind
 * everything else the process has queued, and that wait is most of the time
 * the plugin adds. When an element's output is wired only to element nodes
 * of this package, and nothing in Node-RED watches the routing, the msg is
 * handed to them on a microtask instead: after the sender's send() and
 * done() have returned, as Node-RED's own delivery would, but without
 * waiting for the next turn. What Node-RED does for a delivered msg is kept,
 * because the msg still enters each element through Node-RED's receive():
 * done() of each input, Complete and Catch nodes, the onReceive and
 * postReceive hooks, status. docs/architecture.md ("The hop between
 * elements") says why this is the default and how to turn it off.
 *
 * Node-RED's normal send() is used instead when:
 * - any target on the output is not an element node of this package that
 *   takes hops (a debug, function, switch or link node, a subflow's output,
 *   an element with invalid settings or closed);
 * - a send hook is registered (onSend, preRoute, preDeliver, postDeliver):
 *   a flow debugger or tracer sees every msg as before;
 * - Node-RED's metrics are on (they log each send);
 * - the setting `callflowDirectHop: false` is in settings.js;
 * - the call has already made HOPS_PER_TURN direct hops in this turn: a
 *   loop of elements that never wait (set, set, set...) then waits a turn
 *   as it would in Node-RED, so it cannot hold the event loop.
 */
import diagnostics from 'node:diagnostics_channel';
import type { Node, NodeAPI, NodeMessage } from '../red/api';

/** Direct hops one call makes in a row within one turn of the event loop before the next one goes through Node-RED. */
export const HOPS_PER_TURN = 32;

/** The send hooks Node-RED runs between send() and receive() (@node-red/util hooks); receive() itself runs onReceive and postReceive. */
const SEND_HOOKS = ['onSend', 'preRoute', 'preDeliver', 'postDeliver'] as const;

/** Every hop an element makes ({ from, output, direct }); tests and benchmarks count them. No cost without a subscriber. */
const hops = diagnostics.channel('callflow:hop');

/** What Node-RED's runtime Node has beyond the API nodes use (Node.js, Flow.js), read only to route as Node-RED routes. */
interface RoutedNode {
  wires?: string[][];
  _flow?: { getNode(id: string): unknown };
  metric?: () => boolean;
}
interface Receiver {
  receive(msg: NodeMessage): void;
}

/** Element nodes that take a direct hop now: valid settings, not closed. */
const takers = new WeakSet<object>();

/** The node takes msgs straight from other elements (its settings are valid). */
export function takeHops(node: Node): void {
  takers.add(node);
}

/** The node takes no more direct hops (it closed); msgs to it go through Node-RED. */
export function refuseHops(node: Node): void {
  takers.delete(node);
}

/** One call's count of direct hops in the current turn (the call's session keeps it: lib/call/session.ts). */
export interface HopCount {
  /** The turn the count is of. */
  hopTurn: number;
  hops: number;
}

/** The turn of the event loop: a setImmediate, scheduled by the first hop of a turn, moves it on. */
let turn = 0;
let turnEnding = false;
function endTurnLater(): void {
  if (turnEnding) return;
  turnEnding = true;
  setImmediate(() => {
    turn += 1;
    turnEnding = false;
  });
}

/** Whether direct hops are on: `callflowDirectHop: false` in settings.js turns them off. */
export function directHopsOn(RED: NodeAPI): boolean {
  return RED.settings.callflowDirectHop !== false;
}

/**
 * Hands msg, sent on `output` of element `node`, to the elements wired there
 * on a microtask; false when it cannot (see above), and the caller sends it
 * through Node-RED. Every target but the first gets a clone, taken now, as
 * Node-RED's send() does. A target that stopped taking hops before the
 * microtask ran (it closed) still gets the msg, as Node-RED would deliver it,
 * but `stale` runs first: the caller watches the call then as it watches a
 * msg it sent through Node-RED.
 */
export function hop(RED: NodeAPI, node: Node, output: number, msg: NodeMessage, count: HopCount, stale?: () => void): boolean {
  const routed = node as Node & RoutedNode;
  const ids = routed.wires?.[output];
  const flow = routed._flow;
  if (!ids || ids.length === 0 || !flow) return false;
  const hooks = RED.hooks;
  if (!hooks) return false;
  for (const h of SEND_HOOKS) if (hooks.has(h)) return false;
  if (routed.metric?.()) return false;
  const targets: Receiver[] = [];
  for (const id of ids) {
    const target = flow.getNode(id);
    if (!target || !takers.has(target)) return false;
    targets.push(target as Receiver);
  }
  if (count.hopTurn !== turn) {
    count.hopTurn = turn;
    count.hops = 0;
  }
  if (count.hops >= HOPS_PER_TURN) return false;
  count.hops += 1;
  endTurnLater();
  if (!msg._msgid) msg._msgid = RED.util.generateId();
  // As Node-RED's send(): the first target gets the msg, every other a clone, all taken before any is delivered.
  const msgs = targets.map((_, i) => (i === 0 ? msg : RED.util.cloneMessage(msg)));
  if (hops.hasSubscribers) hops.publish({ from: node.id, output, direct: true });
  queueMicrotask(() => {
    if (stale && targets.some((target) => !takers.has(target))) stale();
    targets.forEach((target, i) => deliver(RED, node, target, msgs[i] as NodeMessage));
  });
  return true;
}

/** Says that an element sent msg through Node-RED (tests and benchmarks count direct and sent hops). */
export function sentThroughNodeRed(node: Node, output: number): void {
  if (hops.hasSubscribers) hops.publish({ from: node.id, output, direct: false });
}

/** Node-RED's receive(), which runs the input handlers and catches what they throw; anything else is logged, never thrown at the sender. */
function deliver(RED: NodeAPI, from: Node, target: Receiver, msg: NodeMessage): void {
  try {
    target.receive(msg);
  } catch (err) {
    RED.log.error(`${from.type} ${from.id}: delivering a msg failed: ${(err as Error)?.stack ?? String(err)}`);
  }
}
