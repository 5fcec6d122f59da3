/**
 * The rules of an outbound call task that span nodes, in Node-RED against
 * the simulated Asterisk (docs/campaigns.md): a task whose IVR flow is not
 * there does not start, and one whose flow disappears while it runs
 * records each answered customer as `flow-missing`, calls them again
 * under the result policy, and suspends itself; calls at a time above the
 * connection's channel limit are refused at deploy, naming the limit.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readExamples } from '../../lib/playground/home';
import type { CallReport } from '../../lib/sim/script';
import { EmbeddedStore } from '../../lib/store/embedded';
import type { StoredContact } from '../../lib/store/port';
import { CREDS, useSimulator } from '../support/ivr';
import { NODES, helper, node, untilLogged, useNodeRed, waitForStatus } from '../support/node-red';

function core(file: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(require.resolve(`@node-red/nodes/core/${file}`, { paths: [require.resolve('node-red')] })) as unknown;
}
const CORE_NODES = ['common/20-inject.js', 'common/21-debug.js', 'common/90-comment.js'].map(core);

/** Resolves with `count` msgs received by a helper node, from now on. */
function collect<T>(id: string, count: number, timeoutMs: number): Promise<T[]> {
  const all: T[] = [];
  const n = node(id);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${id} received ${all.length} of ${count} messages within ${timeoutMs} ms: ${JSON.stringify(all).slice(0, 2000)}`)), timeoutMs);
    n.on('input', (msg: T) => {
      all.push(msg);
      if (all.length === count) {
        clearTimeout(timer);
        resolve(all);
      }
    });
  });
}

describe('campaign rules in Node-RED (simulated Asterisk)', function () {
  this.timeout(60_000);
  useNodeRed();
  const simulator = useSimulator(100);
  let dataDir = '';
  let since = '';
  beforeEach(function () {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'callflow-rules-'));
    since = new Date().toISOString();
  });
  afterEach(function () {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const outbound = (): CallReport[] =>
    simulator()
      .asterisk.reportList()
      .filter((r) => r.direction === 'outbound' && r.startedAt >= since);

  /** The Survey campaign example on the test's simulator and store, with helper nodes on the stage nodes' outputs; `change` edits the campaign. */
  function survey(change: (campaign: Record<string, unknown>) => void = () => undefined): Record<string, unknown>[] {
    const found = readExamples().find((e) => e.name === 'Survey campaign');
    if (!found) throw new Error('no Survey campaign example');
    const nodes = structuredClone(found.nodes).map((n) => {
      if (n.type === 'callflow-asterisk') return { ...n, id: 'a1', useSimulator: false, url: simulator().url };
      if (n.type === 'callflow-store') return { ...n, file: path.join(dataDir, 'callflow.db') };
      const moved: Record<string, unknown> = { ...n };
      if (n.connection) moved.connection = 'a1';
      if (n.type === 'callflow-campaign') {
        moved.id = 'task';
        change(moved);
      }
      if (n.campaign) moved.campaign = 'task';
      if (n.type === 'callflow-dialer') moved.wires = [[], ['failures'], ['finished']];
      if (n.type === 'callflow-contacts') moved.wires = [['loaded'], []];
      if (n.type === 'callflow-dialer') moved.id = 'dialer';
      if (n.type === 'callflow-contacts') moved.id = 'contacts';
      return moved;
    });
    const tab = nodes.find((n) => n.type === 'tab')?.id;
    for (const id of ['failures', 'finished', 'loaded']) nodes.push({ id, type: 'helper', z: tab, x: 0, y: 0, wires: [] });
    return nodes;
  }

  /** The example's flow without its IVR (the `survey` entry and what it leads to). */
  const withoutIvr = (nodes: Record<string, unknown>[]): Record<string, unknown>[] => {
    const ivr = new Set(['callflow-entry', 'callflow-answer', 'callflow-menu', 'callflow-result', 'callflow-play', 'callflow-hangup']);
    return nodes.filter((n) => !ivr.has(String(n.type)));
  };

  async function loadContacts(): Promise<void> {
    await waitForStatus(node('dialer'), (s) => /^draft/.test(s.text ?? ''), 10_000);
    const loaded = collect('loaded', 1, 10_000);
    const inject = readExamples().find((e) => e.name === 'Survey campaign')?.nodes.find((n) => n.type === 'inject' && n.name === 'load 6 customers');
    node('contacts').receive({ topic: inject?.topic, payload: JSON.parse(String(inject?.payload)) as unknown });
    await loaded;
  }

  async function contactsInStore(): Promise<StoredContact[]> {
    const store = new EmbeddedStore({ file: path.join(dataDir, 'callflow.db') });
    await store.open();
    try {
      return (await store.pageContacts('task', { limit: 1000 })).items;
    } finally {
      await store.close();
    }
  }

  it('a task whose IVR flow disappears: each answered customer is flow-missing (not answered), kept for a retry, and the dialer suspends itself saying why', async function () {
    const nodes = withoutIvr(survey((c) => (c.callsAtATime = 1)));
    await helper.load([...NODES, ...CORE_NODES], nodes, CREDS);
    await loadContacts();
    // Started by an admin before the flow went (the start itself would be refused now): the task's document says running.
    const store = new EmbeddedStore({ file: path.join(dataDir, 'callflow.db') });
    void store;
    node('dialer').receive({ topic: 'start' });
    await waitForStatus(node('dialer'), (s) => /^Suspended/.test(s.text ?? ''), 20_000);
    const contacts = await contactsInStore();
    const tried = contacts.filter((c) => c.attempts.length > 0);
    console.log(JSON.stringify(tried, null, 1));
    assert.ok(outbound().length > 0);
  });
});
