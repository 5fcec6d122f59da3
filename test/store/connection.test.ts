/**
 * StoreConnection: the states a callflow-store shows (opening, connected,
 * unreachable, auth failed, failed), the retries behind them, and secrets
 * kept out of every message. A scripted Store stands in for the database.
 */
import assert from 'node:assert/strict';
import { StoreConnection, type StoreStatus } from '../../lib/store/connection';
import { StoreError, type Store } from '../../lib/store/port';

const SECRET = 'pw-7c1e-Secret';

/** A store whose open() fails with the given errors in turn, then succeeds. */
function scripted(failures: StoreError[]): { store: Store; opens: () => number; closed: () => boolean } {
  let opens = 0;
  let closed = false;
  const store = {
    backend: 'mongodb',
    open: () => {
      opens += 1;
      const f = failures.shift();
      return f ? Promise.reject(f) : Promise.resolve();
    },
    close: () => {
      closed = true;
      return Promise.resolve();
    },
  } as unknown as Store;
  return { store, opens: () => opens, closed: () => closed };
}

function collect(c: StoreConnection): StoreStatus[] {
  const seen: StoreStatus[] = [];
  c.onStatus((s) => seen.push(s));
  return seen;
}

const lines: string[] = [];
const log = { debug: (m: string) => lines.push(m), info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
const fast = { retry: { initialMs: 1, maxMs: 2 }, authRetry: { initialMs: 1, maxMs: 2 }, secrets: [SECRET] };

describe('store connection', function () {
  beforeEach(function () {
    lines.length = 0;
  });

  it('retries an unreachable database, then a refused password, and opens; the states say so in order', async function () {
    const s = scripted([
      new StoreError('unreachable', `opening: MongoDB cannot be reached (connect ECONNREFUSED; uri mongodb://u:${SECRET}@h)`),
      new StoreError('auth', 'opening: MongoDB refused the user name or password'),
    ]);
    const c = new StoreConnection(s.store, 'mongodb://h:27017 database callflow', log, fast);
    const seen = collect(c);
    const store = await c.ready();
    assert.equal(store, s.store);
    assert.deepEqual(
      seen.map((x) => x.state),
      ['opening', 'opening', 'unreachable', 'opening', 'auth-failed', 'opening', 'connected'],
    );
    assert.equal(s.opens(), 3);
    assert.ok(seen.every((x) => !x.message.includes(SECRET)) && lines.every((l) => !l.includes(SECRET)), 'no secret in a state or a log line');
    assert.ok(seen.find((x) => x.state === 'unreachable')?.retryAt !== undefined);
    assert.ok(lines.some((l) => /store not opened \(unreachable\), retrying in \d+ s/.test(l)));
    await c.close();
    assert.ok(s.closed());
    assert.equal(c.status.state, 'closed');
  });

  it('does not retry data from a newer version: failed, with the reason, and whoever waits is told', async function () {
    const s = scripted([new StoreError('newer-schema', 'the contacts data is at schema version 9')]);
    const c = new StoreConnection(s.store, 'embedded file x.db', log, fast);
    await assert.rejects(c.ready(), (err: StoreError) => err.kind === 'newer-schema' && /schema version 9/.test(err.message));
    assert.equal(c.status.state, 'failed');
    assert.equal(s.opens(), 1);
    await c.close();
  });

  it('closes at once while a retry is pending, failing whoever waits', async function () {
    const s = scripted([new StoreError('unreachable', 'down')]);
    const c = new StoreConnection(s.store, 'x', log, { retry: { initialMs: 60_000, maxMs: 60_000 } });
    const waiting = c.ready();
    await new Promise<void>((resolve) => c.onStatus((st) => st.state === 'unreachable' && resolve()));
    await c.close();
    await assert.rejects(waiting, /closed/);
    assert.equal(s.opens(), 1, 'no retry after close');
  });

  it('available(): the open store at once, refused at once while unreachable (naming the state), and bounded while opening', async function () {
    const s = scripted([new StoreError('unreachable', 'down')]);
    const c = new StoreConnection(s.store, 'x', log, { retry: { initialMs: 60_000, maxMs: 60_000 } });
    // Opening, and the first attempt fails: whoever asks gets the state, not a wait for the next retry.
    const whileOpening = c.available(60_000);
    await new Promise<void>((resolve) => c.onStatus((st) => st.state === 'unreachable' && resolve()));
    await assert.rejects(c.available(60_000), (err: StoreError) => err.kind === 'unreachable' && /^the store is unreachable: .*down/.test(err.message));
    await c.close();
    await assert.rejects(whileOpening, /closed/);

    const open = scripted([]);
    const ready = new StoreConnection(open.store, 'y', log, fast);
    await ready.ready();
    assert.equal(await ready.available(1), open.store);
    await ready.close();

    let opened = (): void => undefined;
    const held = { backend: 'mongodb', open: () => new Promise<void>((resolve) => (opened = resolve)), close: () => Promise.resolve() } as unknown as Store;
    const slow = new StoreConnection(held, 'z', log, fast);
    await assert.rejects(slow.available(20), (err: StoreError) => err.kind === 'unreachable' && /did not open within 0.02 s/.test(err.message));
    opened();
    await slow.close();
  });
});
