/**
 * What a call step costs the session (issue 14), checked by structure, not
 * by speed: times are numbers until a report or msg.call says them in ISO
 * 8601, msg.call.trace shares the entries of the steps passed instead of
 * copying them per step, variables are copied without structuredClone when
 * they are plain data, and a token is checked without hashing. Each keeps
 * the guarantee it replaces: a flow editing one msg reaches neither the
 * session nor another msg.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type { Telephony, TelephonyEvent } from '../../lib/ari/port';
import fc from 'fast-check';
import { newToken } from '../../lib/call/handle';
import { isoTime } from '../../lib/call/iso-time';
import { CallRegistry, type EndedCall } from '../../lib/call/registry';
import { callEndReport } from '../../lib/call/report';
import { CallSession, PRESSED_LIMIT, SeldomSet, TRACE_LIMIT } from '../../lib/call/session';
import { liveObjects } from '../support/live-objects';

const T0 = Date.UTC(2026, 0, 2, 9, 0, 0);

/** A session whose clock the test moves. */
function clocked(): { session: CallSession; clock: { now: number } } {
  const clock = { now: T0 };
  const session = new CallSession({
    channelId: 'c1',
    connection: 'conn',
    direction: 'inbound',
    caller: { number: '100', name: 'Ann' },
    dialed: '8000',
    state: 'ringing',
    now: () => clock.now,
  });
  return { session, clock };
}

/** A registry fed by hand, on a clock the test moves. */
function fed(): { registry: CallRegistry; emit: (e: unknown) => void; clock: { now: number }; ended: EndedCall[] } {
  let listener: ((e: TelephonyEvent) => void) | undefined;
  const telephony = {
    app: 'callflow',
    onEvent: (l: (e: TelephonyEvent) => void) => {
      listener = l;
      return () => undefined;
    },
    hangup: () => Promise.resolve(),
  } as unknown as Telephony;
  const clock = { now: T0 };
  const registry = new CallRegistry(telephony, { connectionId: 'conn', now: () => clock.now });
  const ended: EndedCall[] = [];
  registry.onEnded((e) => ended.push(e));
  return { registry, emit: (e) => listener?.(e as TelephonyEvent), clock, ended };
}

/** Counts the calls of `name` on `target` while `run` runs. */
function counting<T extends object>(target: T, name: keyof T & string, run: () => void): number {
  const original = target[name] as (...args: unknown[]) => unknown;
  let calls = 0;
  (target as Record<string, unknown>)[name] = function (this: unknown, ...args: unknown[]) {
    calls++;
    return original.apply(this, args);
  };
  try {
    run();
  } finally {
    (target as Record<string, unknown>)[name] = original;
  }
  return calls;
}

describe('call sessions: what a step costs', function () {
  it('keeps times as numbers (ms) in the session and says them in ISO 8601 in msg.call and the call-end report', function () {
    const { registry, emit, clock, ended } = fed();
    emit({ type: 'StasisStart', args: [], channel: { id: 'c1', name: 'PJSIP/a', state: 'Ring', caller: { number: '100', name: '' }, dialplan: { context: 'default', exten: '8000', priority: 1 }, language: 'en' } });
    const s = registry.get('c1');
    assert.ok(s);
    clock.now = T0 + 1_000;
    emit({ type: 'ChannelStateChange', channel: { id: 'c1', state: 'Up' } });
    clock.now = T0 + 2_000;
    s.enter('n1', 'menu').outcome = 'option 1';
    clock.now = T0 + 2_500;
    emit({ type: 'ChannelDtmfReceived', channel: { id: 'c1' }, digit: '1' });
    assert.deepEqual([s.startedAtMs, s.answeredAtMs, s.trace[0]?.at, s.pressed[0]?.at], [T0, T0 + 1_000, T0 + 2_000, T0 + 2_500]);
    const h = s.handle();
    assert.equal(h.startedAt, '2026-01-02T09:00:00.000Z');
    assert.equal(h.trace[0]?.at, '2026-01-02T09:00:02.000Z');
    clock.now = T0 + 12_340;
    emit({ type: 'ChannelHangupRequest', channel: { id: 'c1' }, cause: 16 });
    emit({ type: 'StasisEnd', channel: { id: 'c1' } });
    assert.equal(ended.length, 1);
    assert.equal(ended[0]?.end.at, T0 + 12_340);
    const report = callEndReport(ended[0]);
    // The answer time follows the registry's clock too (it read the wall clock before).
    assert.deepEqual(
      [report.startedAt, report.answeredAt, report.endedAt, report.durationSec, report.talkSec],
      ['2026-01-02T09:00:00.000Z', '2026-01-02T09:00:01.000Z', '2026-01-02T09:00:12.340Z', 12.3, 11.3],
    );
    assert.deepEqual(report.trace, [{ node: 'n1', element: 'menu', at: '2026-01-02T09:00:02.000Z', outcome: 'option 1' }]);
    assert.deepEqual(report.pressed, [{ digit: '1', at: '2026-01-02T09:00:02.500Z' }]);
  });

  it('shares the entries of the steps passed between the msgs of a call, frozen, instead of copying the trace per step', function () {
    const { session } = clocked();
    session.enter('n1', 'answer').outcome = 'answered';
    const first = session.handle();
    const step = session.enter('n2', 'play');
    const second = session.handle();
    step.outcome = 'done';
    const third = session.handle();
    assert.equal(second.trace[0], first.trace[0], 'the entry of a step passed is made once');
    assert.notEqual(second.trace, first.trace, 'each msg has its own array');
    assert.deepEqual(second.trace[1], { node: 'n2', element: 'play', at: new Date(T0).toISOString() });
    assert.equal(third.trace[1]?.outcome, 'done', 'an outcome set later shows in the next msg');
    assert.equal(second.trace[1]?.outcome, undefined, 'and not in a msg already sent');
    assert.ok(Object.isFrozen(first.trace[0]));
    assert.throws(() => {
      (first.trace[0] as { outcome?: string }).outcome = 'forged';
    }, TypeError);
    third.trace.push({ node: 'x', element: 'forged', at: '' });
    assert.equal(session.handle().trace.length, 2, 'a flow adding to one msg\'s trace reaches neither the session nor the next msg');
    const report = callEndReport({ session, end: { reason: 'hangup', by: 'caller', at: T0 } });
    assert.notEqual(report.trace[0], first.trace[0], 'the report gets copies it may change');
    assert.equal(Object.isFrozen(report.trace[0]), false);
  });

  it('copies plain variables without structuredClone, and still isolates the session from a flow editing msg.call.vars', function () {
    const { session } = clocked();
    const vars: Record<string, unknown> = { account: '4711', tries: 2, tags: ['a', { deep: [1, 2] }], nested: { x: { y: 'z' } }, none: null, nothing: undefined };
    Object.defineProperty(vars, '__proto__', { value: { own: true }, enumerable: true, writable: true, configurable: true });
    session.adopt({ vars });
    let h = session.handle();
    const clones = counting(globalThis, 'structuredClone', () => {
      for (let i = 0; i < 10; i++) h = session.handle();
    });
    assert.equal(clones, 0);
    assert.deepEqual(JSON.parse(JSON.stringify(h.vars)), JSON.parse(JSON.stringify(vars)));
    assert.equal(Object.getPrototypeOf(h.vars), Object.prototype, 'a variable called __proto__ stays a variable');
    assert.deepEqual(Object.getOwnPropertyDescriptor(h.vars, '__proto__')?.value, { own: true });
    assert.ok(Object.hasOwn(h.vars, 'nothing'));
    (h.vars.nested as { x: { y: string } }).x.y = 'edited';
    ((h.vars.tags as unknown[])[1] as { deep: number[] }).deep.push(3);
    (Object.getOwnPropertyDescriptor(h.vars, '__proto__')?.value as { own: boolean }).own = false;
    assert.deepEqual(session.vars.nested, { x: { y: 'z' } }, 'the session keeps its own copy');
    assert.deepEqual(session.handle().vars.tags, ['a', { deep: [1, 2] }]);
    assert.deepEqual(Object.getOwnPropertyDescriptor(session.handle().vars, '__proto__')?.value, { own: true });
  });

  it('copies what is not plain data as before: structuredClone for a Date, a Map or a cycle, by reference what cannot be cloned', function () {
    const { session } = clocked();
    const when = new Date(T0);
    const cycle: Record<string, unknown> = { name: 'loop' };
    cycle.self = cycle;
    session.adopt({ vars: { when, map: new Map([['k', 1]]), cycle } });
    const h = session.handle();
    assert.ok(h.vars.when instanceof Date && h.vars.when !== when && h.vars.when.getTime() === T0);
    assert.ok(h.vars.map instanceof Map && h.vars.map.get('k') === 1);
    const copied = h.vars.cycle as Record<string, unknown>;
    assert.equal(copied.self, copied);
    assert.notEqual(copied, cycle);
    const fn = (): number => 1;
    session.adopt({ vars: { fn, n: 1 } });
    assert.equal(session.handle().vars.fn, fn);
  });

  it('shows in msg.call every change of the fields a node sets (flow, version, language, settings, route, campaign, result)', function () {
    const { session } = clocked();
    const before = session.handle();
    assert.deepEqual(Object.keys(before), ['id', 'channelId', 'connection', 'direction', 'caller', 'dialed', 'vars', 'trace', 'startedAt', 'token']);
    session.flow = 'sales';
    session.version = 'v2';
    session.language = 'fr';
    session.settings = { firstDigitTimeoutSec: 4 };
    session.route = { level: 'number' };
    session.campaign = { id: 'cp', name: 'C', customerId: 'u1', attempt: 1, number: '200', custom: { tier: 'gold' } };
    session.result = { code: 'sold' };
    const h = session.handle();
    assert.deepEqual(
      [h.flow, h.version, h.language, h.settings, h.route, h.campaign?.custom, h.result],
      ['sales', 'v2', 'fr', { firstDigitTimeoutSec: 4 }, { level: 'number' }, { tier: 'gold' }, { code: 'sold' }],
    );
    assert.deepEqual({ ...session.snapshot(), token: h.token }, h);
    // Changed in place, not replaced.
    session.settings.interDigitTimeoutSec = 2;
    (session.campaign.custom as Record<string, unknown>).tier = 'silver';
    session.result.subCode = 'upsell';
    const again = session.handle();
    assert.deepEqual([again.settings, again.campaign?.custom, again.result], [{ firstDigitTimeoutSec: 4, interDigitTimeoutSec: 2 }, { tier: 'silver' }, { code: 'sold', subCode: 'upsell' }]);
    // Each msg has its own copies.
    (again.settings as Record<string, unknown>).firstDigitTimeoutSec = 99;
    again.caller.number = 'forged';
    assert.deepEqual([session.settings.firstDigitTimeoutSec, session.caller.number, session.handle().caller.number], [4, '100', '100']);
    session.result = undefined;
    session.settings = {};
    assert.deepEqual([Object.hasOwn(session.handle(), 'result'), Object.hasOwn(session.handle(), 'settings')], [false, false]);
  });

  it('checks a token without hashing, and draws tokens from the random source in batches', function () {
    const { session } = clocked();
    const token = session.handle().token;
    const hashes = counting(crypto, 'createHash', () => {
      for (let i = 0; i < 20; i++) assert.equal(session.owns(token), true);
      const last = token?.endsWith('x') ? 'y' : 'x';
      for (const wrong of [`${token?.slice(0, -1)}${last}`, token?.toUpperCase(), '\u0100'.repeat(32), `${token}`.replace(/./g, (c) => String.fromCharCode(c.charCodeAt(0) + 256))]) {
        assert.equal(session.owns(wrong), false, String(wrong));
      }
    });
    assert.equal(hashes, 0);
    const tokens = new Set<string>();
    const draws = counting(crypto, 'randomBytes', () => {
      for (let i = 0; i < 1000; i++) tokens.add(newToken());
    });
    assert.equal(tokens.size, 1000);
    assert.ok(draws <= 1000 / 64, `${draws} reads of the random source for 1000 tokens`);
    for (const t of tokens) assert.match(t, /^[A-Za-z0-9_-]{32}$/);
  });

  it('answers find() for a live call with its session on every step (no lookup object per step or per call)', function () {
    const { registry, emit } = fed();
    emit({ type: 'StasisStart', args: [], channel: { id: 'c1', name: 'PJSIP/a', state: 'Ring', caller: { number: '100', name: '' }, dialplan: { context: 'default', exten: '8000', priority: 1 }, language: 'en' } });
    const h = registry.get('c1')?.handle();
    assert.ok(h);
    const found = registry.find(h);
    assert.equal(found, registry.get('c1'));
    assert.ok(found instanceof CallSession);
    assert.deepEqual(registry.find({ id: 'c1', token: 'x'.repeat(32) }), { kind: 'refused', missing: false });
  });

  it('writes ISO 8601 times exactly as Date#toISOString does, for any time a Date holds', function () {
    const MAX = 8.64e15;
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -MAX, max: MAX }), fc.integer({ min: T0 - 100_000, max: T0 + 100_000 }), fc.double({ min: -MAX, max: MAX, noNaN: true })), (ms) => {
        assert.equal(isoTime(ms), new Date(ms).toISOString());
      }),
      { numRuns: 2000 },
    );
    for (const ms of [0, -1, 999, 1000, -1000, -1001, MAX, -MAX, 253402300799999, 253402300800000, -62167219200001]) assert.equal(isoTime(ms), new Date(ms).toISOString(), String(ms));
    // The same second again, from its kept text.
    assert.equal(isoTime(T0 + 7), '2026-01-02T09:00:00.007Z');
    assert.equal(isoTime(T0 + 64_000 + 5), '2026-01-02T09:01:04.005Z', 'another second in the same slot');
    assert.equal(isoTime(T0 + 8), '2026-01-02T09:00:00.008Z');
    assert.throws(() => isoTime(MAX + 1), RangeError);
    assert.throws(() => isoTime(Number.NaN), RangeError);
  });

  it('ends a call with a CallEndedError that captured no stack (only the registry\'s event handler would show)', function () {
    const { session } = clocked();
    const before = Error.stackTraceLimit;
    session.end({ reason: 'hangup', by: 'caller', cause: 16 });
    const reason = session.signal.reason as Error;
    assert.equal(reason.name, 'CallEndedError');
    assert.match(reason.message, /call c1 ended \(hangup, cause 16/);
    assert.equal(reason.stack?.split('\n').length, 1);
    assert.equal(Error.stackTraceLimit, before, 'the limit is put back');
  });

  it('its steps\' signal ends with the call (same reason), and interruptSteps() cancels the steps without ending it', function () {
    const { session } = clocked();
    const first = session.stepSignal;
    assert.equal(session.stepSignal, first, 'one signal for the steps, not one per step');
    session.interruptSteps(new Error('node closed'));
    assert.equal(first.aborted, true);
    assert.equal(session.ended, undefined, 'the call goes on');
    assert.equal(session.signal.aborted, false);
    const second = session.stepSignal;
    assert.notEqual(second, first, 'the steps after an interruption get a new signal');
    assert.equal(second.aborted, false);
    session.end({ reason: 'hangup', by: 'caller', cause: 16 });
    assert.equal(second.aborted, true);
    assert.equal(second.reason, session.signal.reason);
    assert.equal((second.reason as Error).name, 'CallEndedError');
    assert.equal(session.stepSignal, second, 'no new signal once the call ended');
  });

  it('makes the signal of its end only when asked, aborted already when asked after the end', function () {
    const { session } = clocked();
    session.end({ reason: 'hangup', by: 'caller', cause: 16 });
    assert.equal(session.signal.aborted, true);
    assert.equal((session.signal.reason as Error).name, 'CallEndedError');
    assert.equal(session.stepSignal.aborted, true);
    assert.equal(session.stepSignal.reason, session.signal.reason);
  });
});

describe('call sessions: the fields few calls have (issue 14, fourth round)', function () {
  const liveSeldom = (): number => liveObjects(SeldomSet);
  const newCall = (i: number): CallSession =>
    new CallSession({ channelId: `c${i}`, connection: 'conn', direction: 'inbound', caller: { number: '100', name: '' }, dialed: '8000', state: 'up' });

  it('keeps the entries of the steps passed; an outcome set late, or by the end of the call, replaces its own entry', function () {
    const session = newCall(1);
    const first = session.enter('n1', 'answer');
    const second = session.enter('n2', 'play');
    const shown = session.handle().trace;
    first.outcome = 'answered';
    assert.deepEqual(
      session.handle().trace.map((e) => [e.node, e.outcome]),
      [
        ['n1', 'answered'],
        ['n2', undefined],
      ],
    );
    assert.equal(shown[0]?.outcome, undefined, 'a msg already sent keeps what it showed');
    assert.deepEqual(
      session.trace.map((t) => [t.node, t.element, t.outcome]),
      [
        ['n1', 'answer', 'answered'],
        ['n2', 'play', undefined],
      ],
    );
    session.trace[0]!.outcome = 'changed';
    assert.equal(session.handle().trace[0]?.outcome, 'changed', 'a step read from the trace sets its own entry');
    session.end({ reason: 'hangup', by: 'caller' });
    assert.equal(second.outcome, 'hangup');
    second.outcome = 'cancelled';
    assert.deepEqual(
      session.trace.map((t) => t.entry()),
      [
        { node: 'n1', element: 'answer', at: session.trace[0]!.entry().at, outcome: 'changed' },
        { node: 'n2', element: 'play', at: session.trace[1]!.entry().at, outcome: 'cancelled' },
      ],
    );
  });

  it('makes no object for them while none is set, undefined or false ones included, and keeps each once set', function () {
    const before = liveSeldom();
    const sessions = Array.from({ length: 50 }, (_, i) => newCall(i + 1));
    for (const session of sessions) {
    session.version = undefined;
    session.campaign = undefined;
    session.result = undefined;
    session.exception = undefined;
    session.peer = undefined;
    session.leaving = undefined;
    session.hangupBy = undefined;
    session.hangupWhy = undefined;
    session.handedOff = false;
    session.hangupRequested = false;
    session.flow = 'main';
    session.route = { level: 'dialed' };
    void session.handle();
    assert.equal(session.handedOff, false);
    assert.equal(session.hangupRequested, false);
    assert.equal(session.version, undefined);
    }
    assert.equal(sessions[0]?.id, 'c1');
    assert.equal(liveSeldom() - before, 0, 'routed calls with none of the rare fields made their object');
    for (const session of sessions) assert.equal(session.signal.aborted, false);
    assert.equal(liveSeldom() - before, sessions.length, 'the signal of the call\'s end is one of them');

    const other = new CallSession({ channelId: 'c2', connection: 'conn', direction: 'outbound', caller: { number: '', name: '' }, dialed: '555', state: 'up' });
    other.version = 'v2';
    other.campaign = { id: 'k', name: 'K', customerId: 'u1', attempt: 1, number: '555' };
    other.result = { code: 'sale' };
    other.exception = { cause: 'element-error', message: 'm' } as NonNullable<typeof other.exception>;
    other.peer = 'c3';
    other.leaving = 'dialplan';
    other.hangupBy = 'callee';
    other.hangupWhy = 'fault';
    other.handedOff = true;
    other.hangupRequested = true;
    assert.deepEqual(
      [other.version, other.campaign?.id, other.result?.code, other.peer, other.leaving, other.hangupBy, other.hangupWhy, other.handedOff, other.hangupRequested],
      ['v2', 'k', 'sale', 'c3', 'dialplan', 'callee', 'fault', true, true],
    );
    other.leaving = undefined;
    other.handedOff = false;
    assert.equal(other.leaving, undefined);
    assert.equal(other.handedOff, false);
    const shown = other.handle();
    assert.equal(shown.version, 'v2');
    assert.equal(shown.campaign?.customerId, 'u1');
    assert.deepEqual(shown.result, { code: 'sale' });
    assert.ok(other.end({ reason: 'hangup', by: 'caller' }));
    assert.equal(other.ended?.by, 'caller');
  });
});

describe('call sessions: what a call in progress keeps (issue 14, third round)', function () {
  it('keeps the trace and the keys\' times in arrays exactly as long as they are, the oldest dropped at the limits', function () {
    const { session, clock } = clocked();
    for (let i = 0; i < TRACE_LIMIT + 3; i += 1) {
      session.enter(`n${i}`, 'menu');
      // Each step's array is a new one: a trace read before is not changed by the steps after it.
      if (i === 1) assert.deepEqual(session.trace.map((t) => t.node), ['n0', 'n1']);
    }
    assert.equal(session.trace.length, TRACE_LIMIT);
    assert.deepEqual([session.trace[0]?.node, session.trace.at(-1)?.node], ['n3', `n${TRACE_LIMIT + 2}`]);
    const before = session.trace;
    session.enter('last', 'hangup');
    assert.equal(before.at(-1)?.node, `n${TRACE_LIMIT + 2}`, 'the trace read before the step is as it was');
    for (let i = 0; i < PRESSED_LIMIT + 5; i += 1) {
      clock.now = T0 + i;
      session.keyPressed(String(i % 10));
    }
    const pressed = session.pressed;
    assert.equal(pressed.length, PRESSED_LIMIT);
    // The oldest five went, keys and times together.
    assert.deepEqual(pressed[0], { digit: '5', at: T0 + 5 });
    assert.deepEqual(pressed.at(-1), { digit: String((PRESSED_LIMIT + 4) % 10), at: T0 + PRESSED_LIMIT + 4 });
    assert.ok(pressed.every((p, i) => p.digit === String((i + 5) % 10) && p.at === T0 + i + 5));
  });

  it('gives a routed call\'s msg.call the fields of snapshot() in its order with the token, with and without a language', function () {
    for (const language of [undefined, 'fr']) {
      const { session } = clocked();
      session.flow = 'sales';
      session.language = language;
      session.route = { level: 'number' };
      session.enter('n1', 'menu');
      session.adopt({ vars: { a: 1 } });
      const h = session.handle();
      assert.deepEqual(Object.keys(h), [...Object.keys(session.snapshot()), 'token']);
      assert.deepEqual(h, { ...session.snapshot(), token: h.token });
      // The msg's route, caller, variables and trace are its own: a flow changing them reaches neither the session nor the next msg.
      assert.notEqual(h.route, session.route);
      (h.route as { level: string }).level = 'forged';
      h.caller.name = 'forged';
      h.vars.a = 2;
      h.trace.length = 0;
      const next = session.handle();
      assert.deepEqual([session.route.level, next.route?.level, next.caller.name, next.vars.a, next.trace.length], ['number', 'number', 'Ann', 1, 1]);
    }
  });

  it('shows a change of the route, the version or the settings after the first msg.call of a routed call, and back', function () {
    const { session } = clocked();
    session.flow = 'sales';
    session.route = { level: 'number' };
    const first = session.handle();
    session.route = { level: 'group', group: 'g1' };
    assert.deepEqual(session.handle().route, { level: 'group', group: 'g1' });
    session.version = 'v3';
    session.settings = { firstDigitTimeoutSec: 2 };
    const rare = session.handle();
    assert.deepEqual([rare.version, rare.settings, rare.route], ['v3', { firstDigitTimeoutSec: 2 }, { level: 'group', group: 'g1' }]);
    assert.deepEqual(rare, { ...session.snapshot(), token: first.token });
    session.version = undefined;
    session.settings = {};
    const back = session.handle();
    assert.deepEqual([Object.hasOwn(back, 'version'), Object.hasOwn(back, 'settings'), back.route?.group], [false, false, 'g1']);
    assert.deepEqual(Object.keys(back), [...Object.keys(session.snapshot()), 'token']);
    assert.equal(session.owns(back.token), true);
  });
});
