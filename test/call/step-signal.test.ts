/**
 * The signal a call's steps run with (lib/call/step-signal.ts) is not an
 * AbortController's, to keep about 1 KB less per call in progress (issue 14).
 * What it must still be: an AbortSignal to everything the steps hand it to,
 * the project's ARI adapter (abort-listeners), its HTTP client, and Node's
 * APIs that take a signal, with an EventTarget's rules for abort listeners.
 */
import assert from 'node:assert/strict';
import { once, EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as wait } from 'node:timers/promises';
import { unwatchAbort, watchAbort, watchingAbort } from '../../lib/ari/abort-listeners';
import { StepSignal } from '../../lib/call/step-signal';
import { CallSession } from '../../lib/call/session';
import { HostAllowlist } from '../../lib/net/addresses';
import { guardedRequest } from '../../lib/net/http-request';

describe('a call step signal', function () {
  it('calls onabort, then the abort listeners in the order added, each once, with the signal as the event target', function () {
    const s = new StepSignal();
    const seen: string[] = [];
    s.onabort = (e) => seen.push(`onabort ${e.type} ${String(e.target === s)}`);
    const a = (e: Event): void => void seen.push(`a ${String(e.currentTarget === s)}`);
    s.addEventListener('abort', a);
    s.addEventListener('abort', a); // the same listener twice counts once, as on an EventTarget
    s.addEventListener('abort', { handleEvent: () => seen.push('object') });
    s.addEventListener('other', () => seen.push('other'));
    const reason = new Error('call ended');
    s.abort(reason);
    s.abort(new Error('again'));
    assert.deepEqual(seen, ['onabort abort true', 'a true', 'object']);
    assert.equal(s.aborted, true);
    assert.equal(s.reason, reason);
    assert.throws(() => s.throwIfAborted(), (e) => e === reason);
  });

  it('does not call a listener removed before its turn, nor one added during or after the abort', function () {
    const s = new StepSignal();
    const seen: string[] = [];
    const second = (): void => void seen.push('second');
    s.addEventListener('abort', () => {
      seen.push('first');
      s.removeEventListener('abort', second);
      s.addEventListener('abort', () => seen.push('added during'));
    });
    s.addEventListener('abort', second);
    s.abort(new Error('x'));
    s.addEventListener('abort', () => seen.push('added after'));
    assert.deepEqual(seen, ['first']);
  });

  it('drops a listener whose own signal aborts, as addEventListener({ signal }) does', function () {
    const s = new StepSignal();
    const until = new AbortController();
    let called = 0;
    s.addEventListener('abort', () => (called += 1), { signal: until.signal });
    until.abort();
    s.abort(new Error('x'));
    assert.equal(called, 0);
  });

  it('is what the ARI adapter waits under: its one listener tells every operation still waiting', function () {
    const s = new StepSignal();
    const told: string[] = [];
    const a = { aborted: () => told.push('a') };
    const b = { aborted: () => told.push('b') };
    watchAbort(s, a);
    watchAbort(s, b);
    unwatchAbort(s, a);
    assert.equal(watchingAbort(s), 1);
    s.abort(new Error('hung up'));
    assert.deepEqual(told, ['b']);
  });

  it("is taken by Node's timers/promises and events.once, which reject with its reason", async function () {
    const s = new StepSignal();
    const reason = new Error('hung up');
    const waiting = wait(60_000, undefined, { signal: s });
    const hearing = once(new EventEmitter(), 'never', { signal: s });
    s.abort(reason);
    await assert.rejects(waiting, (e: unknown) => (e as { cause?: unknown }).cause === reason || e === reason);
    await assert.rejects(hearing, (e: unknown) => (e as { cause?: unknown }).cause === reason || e === reason);
  });

  it("is taken by the project's HTTP client: an abort ends a request in flight", async function () {
    const server = http.createServer(() => undefined); // never answers
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const s = new StepSignal();
      const { port } = server.address() as AddressInfo;
      const request = guardedRequest({ url: `http://127.0.0.1:${port}/`, allowlist: new HostAllowlist(['127.0.0.1']), timeoutMs: 60_000, maxBytes: 1024, signal: s });
      server.once('request', () => s.abort(new Error('hung up')));
      await assert.rejects(request, /abort/i);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('gives a real AbortSignal, aborted with it, to APIs that check the brand', function () {
    const s = new StepSignal();
    const native = s.native();
    assert.ok(native instanceof AbortSignal);
    const any = AbortSignal.any([native]);
    s.abort(new Error('x'));
    assert.equal(native.aborted, true);
    assert.equal(native.reason, s.reason);
    assert.equal(any.aborted, true);
    const late = new StepSignal();
    late.abort(new Error('y'));
    assert.equal(late.native().aborted, true);
  });

  it("is the session's stepSignal: aborted when the call ends, with the call's end as reason; a new one after an interruption", function () {
    const session = new CallSession({ channelId: 'c1', connection: 'conn', direction: 'inbound', caller: { number: '1', name: '' }, dialed: '2', state: 'up' });
    const first = session.stepSignal;
    assert.ok(first instanceof StepSignal);
    assert.equal(session.stepSignal, first, 'one per call while nothing interrupts its steps');
    session.interruptSteps(new Error('node removed'));
    assert.equal(first.aborted, true);
    const second = session.stepSignal;
    assert.notEqual(second, first);
    session.end({ reason: 'hangup', by: 'caller' });
    assert.equal(second.aborted, true);
    assert.equal(second.reason, session.stepSignal.reason, 'after the end, the step signal is the ended one');
  });
});
