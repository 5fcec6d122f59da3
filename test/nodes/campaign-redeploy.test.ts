/**
 * A campaign across a full redeploy in Node-RED, against the simulated
 * Asterisk: Node-RED closes the campaign node and the store node together
 * and starts new instances. The new store node's start is held here (its
 * store's open waits for the test), so the dialer stays parked while a call
 * of its ends; its end must reach the new store, and nothing the closed one.
 * A redeploy that points the store node at another database does not hand
 * the dialer over: the new one runs the task as that database has it.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { startSimulator, type Simulator } from '../../lib/sim';
import type { CallReport } from '../../lib/sim/script';
import { EmbeddedStore } from '../../lib/store/embedded';
import { EmbeddedThreadStore } from '../../lib/store/embedded-thread';
import type { Store } from '../../lib/store/port';
import type { Engine } from '../../nodes/deployed/engine';
import { CREDS, messages } from '../support/ivr';
import { NODES, helper, node, redeploy, until, useNodeRed, waitForStatus } from '../support/node-red';
import { campaignConfigs, firstStoredContact, noticeStages, seedRunningTask } from '../support/campaign-store';
import { useTempDir } from '../support/temp-dir';

const NUMBER = '+8613900000000';

function flows(simUrl: string, storeFile: string): Record<string, unknown>[] {
  const z = 'redeploy-tab';
  return [{ id: z, type: 'tab', label: 'redeploy' }, ...campaignConfigs(simUrl, storeFile, { name: 'redeploy' }), ...noticeStages(z)];
}

/** The warnings and errors logged (Node-RED's levels: error 20, warn 30) from entry `from` on. */
function troubles(from: number): string[] {
  const entries = (helper.log().args as { level: number; msg: unknown; type?: string }[][]).slice(from).flat();
  return entries.filter((e) => e.level === 20 || e.level === 30).map((e) => `${e.level} ${e.type ?? ''} ${String(e.msg)}`);
}

describe('a campaign across a full redeploy (Node-RED, simulated Asterisk)', function () {
  this.timeout(60_000);
  useNodeRed();
  let sim: Simulator;
  const temp = useTempDir('callflow-redeploy-');
  const restore: (() => void)[] = [];

  beforeEach(async function () {
    // Real time: the notice plays for a minute, so the call is in it at the redeploy whatever the machine's load.
    sim = await startSimulator({ speed: 1, mediaMs: 60_000 });
  });

  afterEach(async function () {
    for (const r of restore.splice(0)) r();
    await sim.close();
  });

  const outbound = (): CallReport[] => sim.asterisk.reportList().filter((r) => r.direction === 'outbound');

  /**
   * Makes the open of every embedded store (the store node's, a thread: embedded-thread.ts) wait for release(), and
   * lists the calls made on one that is closing or closed.
   */
  function holdStores(): { release: () => void; onClosed: string[] } {
    type Call = (this: object, method: string, args: unknown[]) => Promise<unknown>;
    const proto = EmbeddedThreadStore.prototype as unknown as { call: Call };
    const real = proto.call;
    const closing = new WeakSet<object>();
    const onClosed: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    proto.call = async function (this: object, method: string, args: unknown[]) {
      if (method === 'open') await gate;
      if (method === 'close') closing.add(this);
      else if (closing.has(this)) onClosed.push(method);
      return real.call(this, method, args);
    };
    restore.push(() => (proto.call = real));
    return { release, onClosed };
  }

  it("keeps a call that ends while its dialer is parked (the new store node slow to open): its attempt goes to the new store, nothing to the closed one, and nothing is logged as a problem", async function () {
    const storeFile = path.join(temp.path, 'campaign.db');
    await seedRunningTask(storeFile, { id: 'task', name: 'redeploy' }, [{ customerId: 'c0', number: NUMBER }]);
    sim.setNumber(NUMBER, { outcome: 'answer', ringMs: 300 });
    const nodes = flows(sim.url, storeFile);
    await helper.load(NODES, nodes, CREDS);
    await until(() => outbound().length === 1, 'the customer to be dialed');
    const callId = outbound()[0]?.id ?? '';
    await sim.call(callId).until('playback-start');

    const held = holdStores();
    const from = helper.log().args.length;
    await redeploy(nodes, CREDS);
    // The helper node is a new instance too.
    const finished = messages<{ payload: { attempts: { outcome: string; callId?: string }[] } }>('finished', 1, 30_000);
    // The new store node's store is not open yet: the campaign node's new instance waits for it, its dialer parked.
    // The customer hangs up now; the connection (handed over too) ends the call's session.
    sim.call(callId).hangup(16);
    const engine = (): Engine | undefined => (helper.getNode('a1') as { engine?: Engine } | null)?.engine;
    await until(() => engine()?.callCount === 0, 'the call to end in the registry');
    held.release();

    const [done] = await finished;
    assert.deepEqual(done?.payload.attempts.map((a) => [a.outcome, a.callId]), [['answered', callId]], 'the call ended in the gap is its one attempt');
    assert.deepEqual(held.onClosed, [], 'nothing asked of the closed store');
    assert.deepEqual(troubles(from), [], 'an ordinary redeploy: no warning, no error');
    assert.equal(outbound().length, 1);
    await helper.unload();
    const stored = await firstStoredContact(storeFile, 'task');
    assert.deepEqual(stored.attempts.map((a) => [a.outcome, a.callId]), [['answered', callId]]);
  });

  it('hands no dialer over when the redeploy points the store node at another database: the new one runs the task as that database has it', async function () {
    const first = path.join(temp.path, 'first.db');
    const second = path.join(temp.path, 'second.db');
    await seedRunningTask(first, { id: 'task', name: 'redeploy' }, [{ customerId: 'c0', number: NUMBER }]);
    sim.setNumber(NUMBER, { outcome: 'answer', ringMs: 300 });
    await helper.load(NODES, flows(sim.url, first), CREDS);
    await until(() => outbound().length === 1, 'the customer to be dialed');
    const callId = outbound()[0]?.id ?? '';
    await sim.call(callId).until('playback-start');
    // The same store node, now on a file where the task is a draft with no contacts.
    await redeploy(flows(sim.url, second), CREDS);
    await waitForStatus(node('dialer'), (s) => /^draft/.test(s.text ?? ''), 20_000);
    await helper.unload();
    // The call of the first database is left in flight there, for the task's next start on it to resolve.
    const left = await firstStoredContact(first, 'task');
    assert.equal(left.state, 'leased');
    assert.equal((left.progress as { inflight?: { channelId: string } }).inflight?.channelId, callId);
    const store: Store = new EmbeddedStore({ file: second });
    await store.open();
    try {
      assert.equal((await store.getDocument<{ state: string }>('campaign', 'task'))?.value.state, 'draft');
    } finally {
      await store.close();
    }
  });
});
