/**
 * Node-RED tests with node-red-node-test-helper: the package's node modules,
 * a helper started once per file, and waits on node statuses and messages
 * that resolve when they happen (no sleeping).
 */
import type { EventEmitter } from 'node:events';
import helper from 'node-red-node-test-helper';
import amd = require('../../nodes/amd/amd');
import bot = require('../../nodes/bot/bot');
import answer = require('../../nodes/answer/answer');
import asterisk = require('../../nodes/asterisk/asterisk');
import callEnd = require('../../nodes/call-end/call-end');
import collect = require('../../nodes/collect/collect');
import conference = require('../../nodes/conference/conference');
import entry = require('../../nodes/entry/entry');
import hangup = require('../../nodes/hangup/hangup');
import httpIvr = require('../../nodes/http-ivr/http-ivr');
import meetingControl = require('../../nodes/meeting-control/meeting-control');
import meetings = require('../../nodes/meetings/meetings');
import menu = require('../../nodes/menu/menu');
import play = require('../../nodes/play/play');
import record = require('../../nodes/record/record');
import releases = require('../../nodes/releases/releases');
import response = require('../../nodes/response/response');
import routing = require('../../nodes/routing/routing');
import set = require('../../nodes/set/set');
import store = require('../../nodes/store/store');
import transfer = require('../../nodes/transfer/transfer');
import blocklist = require('../../nodes/blocklist/blocklist');
import campaign = require('../../nodes/campaign/campaign');
import contacts = require('../../nodes/contacts/contacts');
import dialer = require('../../nodes/dialer/dialer');
import report = require('../../nodes/report/report');
import result = require('../../nodes/result/result');
import questions = require('../../nodes/questions/questions');
import questionnaire = require('../../nodes/questionnaire/questionnaire');
import speech = require('../../nodes/speech/speech');
import { closeAllEngines } from '../../nodes/deployed/engine';
import { closeAllBooks } from '../../nodes/deployed/releases';
import { closeParkedDialers } from '../../nodes/deployed/dialers';

helper.init(require.resolve('node-red'));

export { helper };

/** Node-RED's message-routing hooks: the runtime's own, the ones its Flow.js runs between send() and receive(). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const runtimeHooks = (require(require.resolve('@node-red/util', { paths: [require.resolve('node-red')] })) as { hooks: RuntimeHooks }).hooks;
export interface RuntimeHooks {
  has(id: string): boolean;
  add(id: string, cb: (event: unknown) => unknown): void;
  remove(id: string): void;
}

type NodeModule = (RED: { hooks?: RuntimeHooks }) => unknown;
/**
 * A node module as Node-RED loads it: Node-RED gives it the routing hooks as RED.hooks; the test helper's RED
 * leaves them out, and without them the elements always send through Node-RED (nodes/element/hop.ts). With them,
 * tests take the path a deployed flow takes.
 */
function asDeployed(register: NodeModule): NodeModule {
  return function (RED) {
    RED.hooks ??= runtimeHooks;
    return register(RED);
  };
}

/** One of Node-RED's core node modules (e.g. "function/15-change.js"), from the node-red this package tests with. */
export function coreNode(file: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(require.resolve(`@node-red/nodes/core/${file}`, { paths: [require.resolve('node-red')] })) as unknown;
}

export const NODES = ([asterisk, routing, entry, answer, play, collect, menu, transfer, response, set, record, hangup, callEnd, store, releases, campaign, contacts, dialer, result, report, blocklist, meetings, conference, meetingControl, httpIvr, questions, questionnaire, speech, amd, bot] as unknown as NodeModule[]).map(asDeployed);

export type TestNode = EventEmitter & {
  id: string;
  wires: string[][];
  receive(msg: object): void;
  status: { getCalls(): { args: unknown[]; thisValue: unknown }[] };
};

export function node(id: string): TestNode {
  const n = helper.getNode(id) as TestNode | null;
  if (!n) throw new Error(`node ${id} was not deployed`);
  return n;
}

/** Starts the helper's HTTP server for a describe block and cleans up after each test. */
export function useNodeRed(): void {
  before(function (done) {
    helper.startServer(done);
  });
  after(function (done) {
    helper.stopServer(done);
  });
  afterEach(async function () {
    await helper.unload();
    await closeAllBooks();
    await closeParkedDialers();
    await closeAllEngines();
  });
}

interface Status {
  fill?: string;
  shape?: string;
  text?: string;
}

/** Resolves with the first status of the node (already set, or coming) that matches; fails after timeoutMs. */
export function waitForStatus(n: TestNode, match: (s: Status) => boolean, timeoutMs = 5000): Promise<Status> {
  const past = n.status
    .getCalls()
    .filter((c) => c.thisValue === n)
    .map((c) => c.args[0] as Status);
  const last = past[past.length - 1];
  if (last && match(last)) return Promise.resolve(last);
  return new Promise((resolve, reject) => {
    const onStatus = (call: { args: unknown[] }): void => {
      const s = call.args[0] as Status;
      if (!match(s)) return;
      clearTimeout(timer);
      n.off('call:status', onStatus);
      resolve(s);
    };
    const timer = setTimeout(() => {
      n.off('call:status', onStatus);
      reject(new Error(`status not reached within ${timeoutMs} ms; statuses so far: ${JSON.stringify(n.status.getCalls().filter((c) => c.thisValue === n).map((c) => c.args[0]))}`));
    }, timeoutMs);
    n.on('call:status', onStatus);
  });
}

export const hasText = (text: string) => (s: Status): boolean => s.text === text;

/** Resolves with the next msg a node receives (a helper node at the end of a wire). */
export function nextMessage<T = Record<string, unknown>>(n: TestNode, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message for ${n.id} within ${timeoutMs} ms`)), timeoutMs);
    n.once('input', (msg: T) => {
      clearTimeout(timer);
      resolve(msg);
    });
  });
}

/** All log lines written so far, as text (for "never logged" checks). */
export function loggedText(): string {
  return JSON.stringify(helper.log().args);
}

/**
 * Resolves with the log once a line matches (a node's done(err) is logged on
 * its next turn); fails after timeoutMs. The helper's log is a spy with no
 * event to await, so it is looked at every few milliseconds.
 */
export function untilLogged(pattern: RegExp, timeoutMs = 5000): Promise<string> {
  const until = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const look = (): void => {
      const text = loggedText();
      if (pattern.test(text)) resolve(text);
      else if (Date.now() > until) reject(new Error(`nothing logged matches ${String(pattern)} within ${timeoutMs} ms`));
      else setTimeout(look, 5);
    };
    look();
  });
}

/** A full deploy of a new flow configuration, as the editor's Deploy button does; resolves once the flows run again. */
export async function redeploy(flow: object[], credentials: Record<string, object> | null = null): Promise<void> {
  const events = (helper as unknown as { _events: EventEmitter })._events;
  const started = new Promise<void>((resolve) => {
    const onEvent = (e: { id?: string }): void => {
      if (e.id !== 'runtime-deploy') return;
      events.off('runtime-event', onEvent);
      resolve();
    };
    events.on('runtime-event', onEvent);
  });
  await helper._redNodes.setFlows(flow, credentials, 'full');
  await started;
}

/**
 * Resolves once `ready()` says so, checking every 20 ms, for what has no event to await (the simulator's "a call was
 * placed", a registry's count); fails after timeoutMs.
 */
export function until(ready: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (ready()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(check, 20);
    };
    check();
  });
}
