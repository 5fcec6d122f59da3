/**
 * Outbound campaigns in Node-RED against the simulated Asterisk: the
 * example flows as a team imports them (the specification's notification
 * task, and a campaign feeding a survey IVR), the dialer's state rules by
 * msg.topic and the admin API, the report and its CSV export, and a full
 * redeploy in the middle of a campaign.
 */
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import path from 'node:path';
import { REJECTS_PER_TURN } from '../../lib/campaign/contacts';
import { readExamples } from '../../lib/playground/home';
import { DEMO_NUMBERS } from '../../lib/playground/demo-numbers';
import type { CallReport, NumberBehaviour } from '../../lib/sim/script';
import type { StoreConfigNode } from '../../nodes/store/config';
import { CREDS, messages, useSimulator } from '../support/ivr';
import { NODES, coreNode, helper, loggedText, node, redeploy, untilLogged, useNodeRed, waitForStatus } from '../support/node-red';
import { useTempDir } from '../support/temp-dir';

interface Finished {
  payload: { customerId: string; result: { code: string }; attempts: { n: number; outcome: string; number: string; result?: string; callId?: string }[] };
}

const CORE_NODES = ['common/20-inject.js', 'common/21-debug.js', 'common/90-comment.js', 'function/15-change.js'].map(coreNode);

function example(name: string): Record<string, unknown>[] {
  const found = readExamples().find((e) => e.name === name);
  if (!found) throw new Error(`no example "${name}"`);
  return structuredClone(found.nodes);
}


describe('outbound campaigns in Node-RED (simulated Asterisk)', function () {
  this.timeout(60_000);
  useNodeRed();
  const simulator = useSimulator(100);
  const temp = useTempDir('callflow-campaign-');
  beforeEach(function () {
    for (const [n, b] of Object.entries(DEMO_NUMBERS)) simulator().setNumber(n, b as unknown as NumberBehaviour);
  });
  let since = '';
  beforeEach(function () {
    since = new Date().toISOString();
  });
  /** The outbound calls the simulator saw in this test. */
  const outbound = (): CallReport[] =>
    simulator()
      .asterisk.reportList()
      .filter((r) => r.direction === 'outbound' && r.startedAt >= since);

  /**
   * An example on the test's simulator and store, with helper nodes on the
   * stage nodes' outputs. `hurry` keeps its logic but shortens time: every
   * hour of the day, and retry intervals of a second, so the test does not
   * wait for 09:00 in Shanghai or for 5 minutes between busy retries (the
   * manual-clock tests in test/campaign/dialer.test.ts run the real ones).
   */
  function prepare(name: string, hurry: (campaign: Record<string, unknown>) => void): Record<string, unknown>[] {
    const nodes = example(name).map((n) => {
      if (n.type === 'callflow-asterisk') return { ...n, id: 'a1', useSimulator: false, url: simulator().url };
      if (n.type === 'callflow-store') return { ...n, file: path.join(temp.path, 'callflow.db') };
      const moved: Record<string, unknown> = { ...n };
      if (n.connection) moved.connection = 'a1';
      if (n.type === 'callflow-campaign') hurry(moved);
      if (n.type === 'callflow-dialer') moved.wires = [(n.wires as string[][])[0] ?? [], [...((n.wires as string[][])[1] ?? []), 'failures'], ['finished']];
      // What the example's change node makes of a failure's notification, as an SMS node would get it.
      if (n.type === 'change') moved.wires = [[...((n.wires as string[][])[0] ?? []), 'changed']];
      if (n.type === 'callflow-contacts') moved.wires = [['loaded'], ['rejected']];
      if (n.type === 'callflow-report') moved.wires = [['report']];
      if (n.type === 'callflow-blocklist') moved.wires = [['blocked']];
      return moved;
    });
    const tab = nodes.find((n) => n.type === 'tab')?.id;
    for (const id of ['failures', 'finished', 'loaded', 'rejected', 'report', 'blocked', 'changed']) nodes.push({ id, type: 'helper', z: tab, x: 0, y: 0, wires: [] });
    return nodes;
  }

  const byType = (nodes: Record<string, unknown>[], type: string): Record<string, unknown> => {
    const n = nodes.find((x) => x.type === type);
    if (!n) throw new Error(`no ${type}`);
    return n;
  };
  const injected = (nodes: Record<string, unknown>[], name: string): Record<string, unknown> => {
    const n = nodes.find((x) => x.type === 'inject' && x.name === name);
    if (!n) throw new Error(`no inject "${name}"`);
    return { topic: n.topic, payload: n.payloadType === 'json' ? JSON.parse(String(n.payload)) : n.payload };
  };

  it("runs the specification's business scenario from the Notification campaign example: every customer ends with one result, busy ones called three times", async function () {
    const nodes = prepare('Notification campaign', (c) => {
      c.timezone = 'UTC';
      c.hours = { regular: [{ start: '00:00', end: '23:59' }], special: [], allocated: [] };
      c.intervalSec = 1;
      const policy = c.policy as { rule: { causes: { intervalSec: number }[] } };
      for (const rule of policy.rule.causes) rule.intervalSec = 1;
    });
    await helper.load([...NODES, ...CORE_NODES], nodes, CREDS);
    const dialer = byType(nodes, 'callflow-dialer');
    await waitForStatus(node(String(dialer.id)), (s) => /^draft/.test(s.text ?? ''), 10_000);

    // The customer C008 asked not to be called.
    const blocked = messages<{ payload: { added: number } }>('blocked', 1, 5000);
    node(String(byType(nodes, 'callflow-blocklist').id)).receive(injected(nodes, 'block C008'));
    assert.deepEqual((await blocked)[0]?.payload, { added: 1 });

    const loaded = messages<{ payload: { inserted: number; rejected: number } }>('loaded', 1, 10_000);
    node(String(byType(nodes, 'callflow-contacts').id)).receive(injected(nodes, 'load 8 customers'));
    assert.deepEqual((await loaded)[0]?.payload, { inserted: 8, rejected: 0, campaign: 'Product change notice' });

    const finished = messages<Finished>('finished', 8, 45_000);
    const failures = messages<Finished & { notification?: { type: string; to: string; text: string } }>('failures', 5, 45_000);
    const sms = messages<{ payload: string; to: string }>('changed', 5, 45_000);
    node(String(dialer.id)).receive({ topic: 'start' });
    const results = Object.fromEntries((await finished).map((m) => [m.payload.customerId, m.payload]));
    const summary = Object.fromEntries(Object.entries(results).map(([id, r]) => [id, [r.result.code, r.attempts.map((a) => `${a.number.slice(-2)}:${a.outcome}`)]]));
    assert.deepEqual(summary, {
      C001: ['notified', ['01:answered']],
      C002: ['busy', ['02:busy', '02:busy', '02:busy']],
      C003: ['notified', ['03:busy', '03:answered']],
      C004: ['max-response-exceeded', ['04:max-response-exceeded', '04:max-response-exceeded']],
      C005: ['unallocated', ['05:unallocated']],
      C006: ['rejected', ['06:rejected']],
      C007: ['notified', ['07:answered']],
      C008: ['blocked', ['08:blocked']],
    });
    assert.deepEqual((await failures).map((f) => f.payload.customerId).sort(), ['C002', 'C004', 'C005', 'C006', 'C008']);
    // Each failure carries the campaign's failure notice, rendered from the customer's fields; the example's change
    // node hands it on as an SMS node takes it (msg.payload, msg.to).
    const names = Object.fromEntries((injected(nodes, 'load 8 customers').payload as { customerId: string; custom: { name: string } }[]).map((c) => [c.customerId, c.custom.name]));
    const notice = (id: string, number: string, cause: string) => ({
      type: 'sms',
      to: number,
      text: `${names[id] ?? ''}, we tried to call you about a change to your product (${cause}). Please call us back on 95555.`,
    });
    const noticeOf = Object.fromEntries((await failures).map((f) => [f.payload.customerId, f.notification]));
    assert.deepEqual(noticeOf.C002, notice('C002', '+8613800000002', 'busy'));
    assert.deepEqual(noticeOf.C005, notice('C005', '+8613800000005', 'unallocated'));
    assert.deepEqual(noticeOf.C008, notice('C008', '+8613800000008', 'blocked'));
    const sent = (await sms).map((m) => [m.to, m.payload]).sort();
    assert.deepEqual(sent, Object.values(noticeOf).map((n) => [n?.to, n?.text]).sort());
    // Answered customers heard the notice, from the flow wired to output 1.
    const calls = outbound().filter((r) => r.answeredAt);
    assert.ok(calls.length >= 3);
    for (const r of calls) assert.deepEqual(r.heard.map((h) => h.media), ['sound:hello-world', 'sound:tt-weasels', 'sound:goodbye']);
    // Nobody was dialed twice for one attempt.
    const originated = outbound();
    assert.equal(originated.length, 11, 'C001, C002 x3, C003 x2, C004 x2, C005, C006, C007: C008 never');
    assert.ok(!originated.some((r) => r.to === '+8613800000008'), 'the blocked number is never dialed');

    await waitForStatus(node(String(dialer.id)), (s) => /^completed/.test(s.text ?? ''), 10_000);

    // The report: figures, and the CSV export with masked numbers.
    const report = byType(nodes, 'callflow-report');
    const figures = messages<{ payload: Record<string, unknown> }>('report', 1, 5000);
    node(String(report.id)).receive({ payload: '' });
    const f = (await figures)[0]?.payload ?? {};
    assert.equal(f.contacts, 8);
    assert.equal(f.finished, 8);
    assert.equal(f.attempts, 12, '11 calls and the blocked attempt');
    assert.deepEqual(f.results, { notified: 3, busy: 1, 'max-response-exceeded': 1, unallocated: 1, rejected: 1, blocked: 1 });
    const exported = messages<{ payload: string; filename: string }>('report', 1, 5000);
    node(String(report.id)).receive({ topic: 'export' });
    const csv = (await exported)[0];
    assert.equal(csv?.filename, 'Product-change-notice-attempts.csv');
    const lines = (csv?.payload ?? '').trim().split('\r\n');
    assert.equal(lines.length, 13, 'a header and one line per attempt');
    assert.ok(!csv?.payload.includes('+8613800000001'), 'numbers are masked');
    assert.match(csv?.payload ?? '', /^C001,1,'\+\*{9}0001,/m, 'masked, and escaped because it starts with +');
  });

  it('feeds a survey IVR: answered calls enter the flow the campaign names, whose questionnaire stores each customer\'s answers with the attempt', async function () {
    const nodes = prepare('Survey campaign', () => undefined);
    await helper.load([...NODES, ...CORE_NODES], nodes, CREDS);
    const dialer = byType(nodes, 'callflow-dialer');
    await waitForStatus(node(String(dialer.id)), (s) => /^draft/.test(s.text ?? ''), 10_000);
    const loaded = messages<unknown>('loaded', 1, 10_000);
    node(String(byType(nodes, 'callflow-contacts').id)).receive(injected(nodes, 'load 6 customers'));
    await loaded;
    const finished = messages<Finished>('finished', 6, 45_000);
    // Each customer's answers are written once, when their questionnaire ends (S005's when they hang up).
    const saved = new Promise<void>((resolve) => {
      let count = 0;
      const listener = (): void => {
        count += 1;
        if (count < 6) return;
        diagnostics.unsubscribe('callflow:answers', listener);
        resolve();
      };
      diagnostics.subscribe('callflow:answers', listener);
    });
    node(String(dialer.id)).receive({ topic: 'start' });
    const results = Object.fromEntries((await finished).map((m) => [m.payload.customerId, [m.payload.result.code, m.payload.attempts.length]]));
    assert.deepEqual(results, { S001: ['answered', 1], S002: ['answered', 1], S003: ['answered', 1], S004: ['answered', 1], S005: ['answered', 1], S006: ['answered', 1] });
    await saved;
    const store = await (helper.getNode(String(byType(nodes, 'callflow-store').id)) as StoreConfigNode).connection?.ready();
    const docs = (await store?.pageAnswers('delivery'))?.items ?? [];
    const campaign = String(byType(nodes, 'callflow-campaign').id);
    const answers = Object.fromEntries(docs.map((d): [string, unknown[]] => [d.customerId ?? '', [d.campaignId === campaign, d.attempt, d.complete, d.answers.map((a) => `${a.question}=${a.label ?? a.answer}`).join(' ')]]));
    assert.deepEqual(answers, {
      S001: [true, 1, true, 'satisfied=yes stars=5'],
      S002: [true, 1, true, 'satisfied=no problem=late'],
      S003: [true, 1, true, 'satisfied=yes stars=4'],
      S004: [true, 1, true, 'satisfied=no problem=damaged'],
      S005: [true, 1, false, 'satisfied=yes'],
      S006: [true, 1, true, 'satisfied=no problem=other'],
    });
    assert.deepEqual(docs.find((d) => d.customerId === 'S005')?.stopped, { question: 'stars', reason: 'hangup' });
    // By contact priority: the priority-1 customers (S003, S006) are called first.
    const order = outbound()
      .sort((a, b) => a.startedAt.localeCompare(b.startedAt))
      .map((r) => r.to.slice(-2));
    assert.deepEqual(order.slice(0, 2).sort(), ['03', '06']);
  });

  it('does not start a campaign whose dial string the connection may not dial, and says why on the dialer\'s status', async function () {
    const nodes = prepare('Survey campaign', (c) => {
      c.dialString = 'PJSIP/{number}@premium-carrier';
    });
    await helper.load([...NODES, ...CORE_NODES], nodes, CREDS);
    const dialer = byType(nodes, 'callflow-dialer');
    const why = 'dialString: PJSIP/{number}@premium-carrier is not on the dial allowlist of the Asterisk connection (PJSIP/* PJSIP/*@trunk): no number could be dialed';
    await waitForStatus(node(String(dialer.id)), (s) => s.fill === 'red' && (s.text ?? '').startsWith(why), 10_000);
    const said = why.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    await untilLogged(new RegExp(`the campaign could not start \\(tried again on the next request\\): ${said}`));
    // A start asked for meets the same refusal (the dialer node's done(err)).
    node(String(dialer.id)).receive({ topic: 'start' });
    await untilLogged(new RegExp(`${said}[\\s\\S]*${said}`));
    assert.deepEqual(outbound(), [], 'nobody was called');
  });

  it('keeps to the state rules by msg.topic and through the admin API, with the reason when refused', async function () {
    const nodes = prepare('Notification campaign', (c) => {
      c.timezone = 'UTC';
    });
    await helper.load([...NODES, ...CORE_NODES], nodes, CREDS);
    const dialer = String(byType(nodes, 'callflow-dialer').id);
    const campaign = String(byType(nodes, 'callflow-campaign').id);
    await waitForStatus(node(dialer), (s) => /^draft/.test(s.text ?? ''), 10_000);
    node(dialer).receive({ topic: 'resume' });
    await waitForStatus(node(dialer), (s) => /^Resume refused: the task is draft, which allows Edit, Start, Delete, Load$/.test(s.text ?? ''));
    node(dialer).receive({ topic: 'dial faster' });
    const refused = await helper.request().post(`/callflow/campaigns/${campaign}/suspend`).expect(409);
    assert.match((refused.body as { message: string }).message, /suspend is not allowed: the task is draft/);
    const started = await helper.request().post(`/callflow/campaigns/${campaign}/start`).expect(200);
    assert.equal((started.body as { state: string }).state, 'running');
    // Contacts are loaded only into a draft.
    node(String(byType(nodes, 'callflow-contacts').id)).receive(injected(nodes, 'load 8 customers'));
    await waitForStatus(node(String(byType(nodes, 'callflow-contacts').id)), (s) => /running/.test(s.text ?? ''));
    await helper.request().post(`/callflow/campaigns/${campaign}/suspend`).expect(200);
    await helper.request().post(`/callflow/campaigns/${campaign}/fly`).expect(404);
    const template = await helper.request().get(`/callflow/campaigns/${campaign}/template`).expect(200);
    const body = template.body as { format: string; settings: Record<string, unknown> };
    assert.equal(body.format, 'callflow-campaign-template');
    assert.equal(body.settings.connection, undefined, 'a template does not carry this Node-RED’s config node links');
    const checked = await helper.request().post('/callflow/campaigns/template/check').send(body).expect(200);
    assert.equal((checked.body as { settings: { name: string } }).settings.name, 'Product change notice');
    const bad = await helper.request().post('/callflow/campaigns/template/check').send({ ...body, settings: { ...body.settings, priority: 9 } }).expect(422);
    assert.match((bad.body as { message: string }).message, /priority: a priority from 1 \(highest\) to 5 \(got 9\)/);
    assert.match(loggedText(), /dial faster/);
  });

  it('rejects contact rows on output 2 with the row and the reason, and stores the valid ones', async function () {
    const nodes = prepare('Notification campaign', (c) => {
      c.timezone = 'UTC';
    });
    await helper.load([...NODES, ...CORE_NODES], nodes, CREDS);
    const contacts = String(byType(nodes, 'callflow-contacts').id);
    await waitForStatus(node(String(byType(nodes, 'callflow-dialer').id)), (s) => /^draft/.test(s.text ?? ''), 10_000);
    const rejected = messages<{ row: number; reason: string; customerId?: string }>('rejected', 3, 10_000);
    const loaded = messages<{ payload: { inserted: number; rejected: number } }>('loaded', 1, 10_000);
    const csv = ['customerId,number1,type1,attr.city', 'K1,+86 138 0000 0101,mobile,Beijing', 'K2,12ab,mobile,Beijing', 'K3,+8613800000103,fax,Beijing', 'K1,+8613800000104,mobile,Beijing', 'K5,(0086) 138-0000-0105,home,Wuhan'].join('\n');
    node(contacts).receive({ payload: csv });
    assert.deepEqual((await loaded)[0]?.payload, { inserted: 2, rejected: 3, campaign: 'Product change notice' });
    const rows = (await rejected).map((r) => [r.row, r.reason]);
    assert.deepEqual(rows, [
      [2, 'number1: "12ab" is not a phone number (2 to 32 digits with an optional leading +)'],
      [3, 'type1: "fax" is not a number type of this campaign (mobile, home, work, other)'],
      [4, 'customerId: K1 is repeated (an earlier row of this import has it)'],
    ]);
    // Not an array or CSV text: an error for Catch nodes, nothing stored.
    node(contacts).receive({ payload: 42 });
    await untilLogged(/msg\.payload must be an array of contacts, CSV text or a Buffer of CSV \(UTF-8\), got number/);
  });

  it('streams rejected rows to output 2 while the import runs, a bounded number per turn, before the summary; status, summary and log say the counts', async function () {
    const nodes = prepare('Notification campaign', (c) => {
      c.timezone = 'UTC';
    });
    await helper.load([...NODES, ...CORE_NODES], nodes, CREDS);
    const contacts = String(byType(nodes, 'callflow-contacts').id);
    await waitForStatus(node(String(byType(nodes, 'callflow-dialer').id)), (s) => /^draft/.test(s.text ?? ''), 10_000);
    // 5,000 rows, 4 of 5 rejected: a bad number, a number type the task does not have, a NUL in the id, U+FFFD in a custom field.
    const lines = ['customerId,number1,type1,custom.name'];
    for (let i = 0; i < 5000; i += 1) {
      const n = `+86138${String(i).padStart(8, '0')}`;
      if (i % 5 === 0) lines.push(`K${i},${n},mobile,ok`);
      else if (i % 5 === 1) lines.push(`K${i},12ab,mobile,ok`);
      else if (i % 5 === 2) lines.push(`K${i},${n},fax,ok`);
      else if (i % 5 === 3) lines.push(`"K${i}\u0000",${n},mobile,ok`);
      else lines.push(`K${i},${n},mobile,Jos\ufffd`);
    }
    let turn = 0;
    let ticking = true;
    const tick = (): void => {
      turn += 1;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const perTurn = new Map<number, number>();
    const rows: number[] = [];
    node('rejected').on('input', (msg: { row: number }) => {
      rows.push(msg.row);
      perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1);
    });
    const loaded = messages<{ payload: { inserted: number; rejected: number } }>('loaded', 1, 60_000);
    let loadedTurn = 0;
    node('loaded').on('input', () => (loadedTurn = turn));
    node(contacts).receive({ topic: 'list 7', payload: lines.join('\r\n') });
    let summary;
    try {
      summary = (await loaded)[0];
    } finally {
      ticking = false;
    }
    assert.deepEqual(summary?.payload, { inserted: 1000, rejected: 4000, campaign: 'Product change notice' });
    assert.equal(rows.length, 4000, 'every rejected row reached output 2 before the summary reached output 1');
    assert.deepEqual(rows.slice(0, 4), [2, 3, 4, 5], 'in row order');
    const most = Math.max(...perTurn.values());
    assert.ok(most <= REJECTS_PER_TURN.max, `at most ${REJECTS_PER_TURN.max} rejected rows arrive in one turn (${most})`);
    assert.ok(perTurn.size >= Math.ceil(4000 / REJECTS_PER_TURN.max), `they arrived over ${perTurn.size} turns`);
    assert.ok(Math.min(...perTurn.keys()) < loadedTurn, 'the first rejected rows arrived turns before the import ended');
    await waitForStatus(node(contacts), (s) => s.text === '1000 imported, 4000 rejected' && s.fill === 'yellow');
    await untilLogged(/imported 1000 contacts into Product change notice; 4000 rows rejected/);
  });

  it('takes CSV as a Buffer of UTF-8 bytes, and refuses one that is not UTF-8 with where and how to fix it, storing nothing', async function () {
    const nodes = prepare('Notification campaign', (c) => {
      c.timezone = 'UTC';
    });
    await helper.load([...NODES, ...CORE_NODES], nodes, CREDS);
    const contacts = String(byType(nodes, 'callflow-contacts').id);
    await waitForStatus(node(String(byType(nodes, 'callflow-dialer').id)), (s) => /^draft/.test(s.text ?? ''), 10_000);
    const text = 'customerId,number1,type1,custom.name\nB1,+8613800000101,mobile,José\nB2,+8613800000102,mobile,张伟\n';
    node(contacts).receive({ payload: Buffer.from(text, 'latin1') });
    await untilLogged(/CSV row 1 \(byte offset 65\): the byte E9 after \W+B1,\+8613800000101,mobile,Jos\W+ is not UTF-8\. The file is not UTF-8 text: .*Save it as UTF-8/);
    await waitForStatus(node(contacts), (s) => /^CSV row 1 \(byte offset 65\)/.test(s.text ?? '') && s.fill === 'red');
    const loaded = messages<{ payload: { inserted: number; rejected: number } }>('loaded', 1, 10_000);
    node(contacts).receive({ payload: Buffer.from(`\ufeff${text}`, 'utf8') });
    assert.deepEqual((await loaded)[0]?.payload, { inserted: 2, rejected: 0, campaign: 'Product change notice' });
  });

  it('adds, lists and removes blocklist entries, and refuses a bad one with the reason', async function () {
    const nodes = prepare('Notification campaign', () => undefined);
    await helper.load([...NODES, ...CORE_NODES], nodes, CREDS);
    const blocklist = String(byType(nodes, 'callflow-blocklist').id);
    const ask = async (msg: Record<string, unknown>): Promise<unknown> => {
      const answer = messages<{ payload: unknown }>('blocked', 1, 10_000);
      node(blocklist).receive(msg);
      return (await answer)[0]?.payload;
    };
    const added = await ask({ topic: 'add', payload: [{ number: '+8613800000008', until: '2099-01-01T00:00:00Z', note: 'asked' }, '+86 138 0000 0009'] });
    const listed = await ask({ topic: 'list' });
    const removed = await ask({ topic: 'remove', payload: '+8613800000009' });
    assert.deepEqual(added, { added: 2 });
    assert.deepEqual(
      (listed as { number: string; until?: number; note?: string }[]).map((e) => [e.number, e.until, e.note]),
      [
        ['+8613800000008', Date.parse('2099-01-01T00:00:00Z'), 'asked'],
        ['+8613800000009', undefined, undefined],
      ],
    );
    assert.deepEqual(removed, { removed: 1 });
    node(blocklist).receive({ topic: 'add', payload: [{ number: '+8613800000010', from: 'next week' }] });
    node(blocklist).receive({ topic: 'add', payload: [{ number: 'call me' }] });
    await untilLogged(/payload\.0\.from: a date and time \(ISO 8601 text such as 2024-02-29 or 2024-02-29T09:00:00Z, on a date that exists, or milliseconds since 1970\), got \W+next week/);
    await untilLogged(/payload\.0: number: a phone number/);
  });

  it('refuses blocklist periods on dates that do not exist (Date.parse would read 2024-02-30 as March 1), and takes 29 February of a leap year', async function () {
    const nodes = prepare('Notification campaign', () => undefined);
    await helper.load([...NODES, ...CORE_NODES], nodes, CREDS);
    const blocklist = String(byType(nodes, 'callflow-blocklist').id);
    node(blocklist).receive({ topic: 'add', payload: [{ number: '+8613800000011', from: '2024-02-30' }] });
    node(blocklist).receive({ topic: 'add', payload: [{ number: '+8613800000011', until: '2023-02-29T09:00:00Z' }] });
    node(blocklist).receive({ topic: 'add', payload: [{ number: '+8613800000011', from: 1, until: '2024-04-31T10:00' }] });
    // Each msg completes with done(err), which Node-RED logs naming the node; the message names the field and the value.
    const expected = 'a date and time \\(ISO 8601 text such as 2024-02-29 or 2024-02-29T09:00:00Z, on a date that exists, or milliseconds since 1970\\), got \\W+';
    await untilLogged(new RegExp(`payload\\.0\\.from: ${expected}2024-02-30\\W`));
    await untilLogged(new RegExp(`payload\\.0\\.until: ${expected}2023-02-29T09:00:00Z\\W`));
    await untilLogged(new RegExp(`payload\\.0\\.until: ${expected}2024-04-31T10:00\\W`));
    const ask = async (msg: Record<string, unknown>): Promise<unknown> => {
      const answer = messages<{ payload: unknown }>('blocked', 1, 10_000);
      node(blocklist).receive(msg);
      return (await answer)[0]?.payload;
    };
    assert.deepEqual(await ask({ topic: 'add', payload: [{ number: '+8613800000011', from: '2024-02-29', until: '2024-02-29T23:59:59+08:00' }] }), { added: 1 });
    const listed = await ask({ topic: 'list' });
    const entry = (listed as { number: string; from?: number; until?: number }[]).find((e) => e.number === '+8613800000011');
    assert.deepEqual([entry?.from, entry?.until], [Date.parse('2024-02-29T00:00:00Z'), Date.parse('2024-02-29T15:59:59Z')]);
  });

  it('refuses campaign dates that do not exist at deploy and in the form\'s live check, naming the field and the value; 29 February of a leap year is a date', async function () {
    const nodes = prepare('Notification campaign', (c) => {
      c.startAt = '2023-02-29T09:00';
      c.hours = { regular: [{ start: '09:00', end: '18:00' }], special: [{ name: 'holidays', dates: ['2024-02-29', '2024-02-30'], weekdays: [], periods: [] }], allocated: [] };
    });
    await helper.load([...NODES, ...CORE_NODES], nodes, CREDS);
    const form = byType(nodes, 'callflow-campaign');
    await untilLogged(/invalid settings: .*startAt: a local date and time, YYYY-MM-DDTHH:MM, on a date that exists, or empty \(got \W+2023-02-29T09:00\W+\)/);
    await untilLogged(/invalid settings: .*hours\.special\.0\.dates\.1: a date that exists, YYYY-MM-DD \(February 29 only in leap years\) \(got \W+2024-02-30\W+\)/);
    const check = async (body: unknown): Promise<{ ok: boolean; problems?: string[] }> => (await helper.request().post('/callflow/campaigns/check').send(body).expect(200)).body as { ok: boolean; problems?: string[] };
    assert.deepEqual(await check(form), {
      ok: false,
      problems: [
        'startAt: a local date and time, YYYY-MM-DDTHH:MM, on a date that exists, or empty (got "2023-02-29T09:00")',
        'hours.special.0.dates.1: a date that exists, YYYY-MM-DD (February 29 only in leap years) (got "2024-02-30")',
      ],
    });
    const hours = { regular: [], special: [], allocated: [{ dates: ['2024-02-29', '2023-02-29'], periods: [] }] };
    assert.deepEqual(await check({ ...form, startAt: '2024-02-29T09:00', hours }), {
      ok: false,
      problems: ['hours.allocated.0.dates.1: a date that exists, YYYY-MM-DD (February 29 only in leap years) (got "2023-02-29")'],
    });
    assert.deepEqual(await check({ ...form, startAt: '2024-02-29T09:00', endAt: '2024-03-01T18:00', hours: { ...hours, allocated: [{ dates: ['2024-02-29'], periods: [] }] } }), { ok: true });
  });

  it('dials from a caller number group of a routing table, in rotation (prefixes in the group are skipped)', async function () {
    const nodes = prepare('Survey campaign', (c) => {
      c.callerNumbers = [];
      c.callerGroup = 'outbound-ids';
      c.routing = 'rt';
    });
    nodes.push({ id: 'rt', type: 'callflow-routing', name: 'numbers', account: {}, groups: [{ name: 'outbound-ids', numbers: ['+861058000001', '+86105800*', '+861058000002'] }], numbers: [] });
    await helper.load([...NODES, ...CORE_NODES], nodes, CREDS);
    const dialer = byType(nodes, 'callflow-dialer');
    await waitForStatus(node(String(dialer.id)), (st) => /^draft/.test(st.text ?? ''), 10_000);
    const loaded = messages<unknown>('loaded', 1, 10_000);
    node(String(byType(nodes, 'callflow-contacts').id)).receive(injected(nodes, 'load 6 customers'));
    await loaded;
    const finished = messages<Finished>('finished', 6, 45_000);
    node(String(dialer.id)).receive({ topic: 'start' });
    await finished;
    const callers = outbound()
      .sort((a, b) => a.startedAt.localeCompare(b.startedAt))
      .map((r) => r.from);
    assert.deepEqual([...new Set(callers)].sort(), ['+861058000001', '+861058000002']);
    assert.equal(callers.filter((n) => n === '+861058000001').length, 3);
  });

  it('says so when a stage node has no valid campaign, on its status and to Catch nodes for each msg', async function () {
    await helper.load([...NODES, ...CORE_NODES], [
      { id: 'tab', type: 'tab', label: 'no campaign' },
      { id: 'c', type: 'callflow-contacts', z: 'tab', campaign: 'gone', wires: [[], []] },
      { id: 'd', type: 'callflow-dialer', z: 'tab', campaign: '', wires: [[], [], []] },
      { id: 'r', type: 'callflow-report', z: 'tab', campaign: 'gone', wires: [[]] },
    ]);
    for (const id of ['c', 'd', 'r']) await waitForStatus(node(id), (st) => st.text === 'callflow.status.invalid-config');
    node('c').receive({ payload: [] });
    // Three nodes said it at deploy; the msg to the contacts node makes a fourth (its done(err)).
    const said = /no valid campaign: choose a callflow-campaign whose settings are valid, and deploy it/.source;
    await untilLogged(new RegExp(Array.from({ length: 4 }, () => said).join('[\\s\\S]*')));
  });

  it('survives a full redeploy in the middle of a campaign: every contact ends once, no attempt dialed twice', async function () {
    const hurry = (c: Record<string, unknown>): void => {
      c.timezone = 'UTC';
      c.hours = { regular: [{ start: '00:00', end: '23:59' }], special: [], allocated: [] };
      c.intervalSec = 1;
      c.callsAtATime = 2;
      const policy = c.policy as { rule: { causes: { intervalSec: number }[] } };
      for (const rule of policy.rule.causes) rule.intervalSec = 1;
    };
    const nodes = prepare('Notification campaign', hurry);
    // Answered calls last a while (the notice plays at the simulator's speed), so some are in progress at the redeploy.
    await helper.load([...NODES, ...CORE_NODES], nodes, CREDS);
    const dialer = String(byType(nodes, 'callflow-dialer').id);
    await waitForStatus(node(dialer), (s) => /^draft/.test(s.text ?? ''), 10_000);
    const loaded = messages<unknown>('loaded', 1, 10_000);
    node(String(byType(nodes, 'callflow-contacts').id)).receive(injected(nodes, 'load 8 customers'));
    await loaded;
    const first = messages<Finished>('finished', 2, 20_000);
    node(dialer).receive({ topic: 'start' });
    const early = await first;
    // Redeploy everything (the campaign node restarts; its dialer takes back what was in flight).
    const changed = nodes.map((n) => (n.type === 'callflow-report' ? { ...n, name: 'report (changed)' } : n));
    await redeploy(changed, CREDS);
    const rest = await messages<Finished>('finished', 6, 45_000);
    const all = [...early, ...rest];
    const ids = all.map((m) => m.payload.customerId).sort();
    assert.deepEqual(ids, ['C001', 'C002', 'C003', 'C004', 'C005', 'C006', 'C007', 'C008']);
    const callIds = outbound().map((r) => r.id);
    assert.equal(new Set(callIds).size, callIds.length);
    const recorded = all.flatMap((m) => m.payload.attempts.map((a) => a.callId).filter((id): id is string => id !== undefined));
    for (const id of callIds) assert.equal(recorded.filter((r) => r === id).length, 1, `call ${id} is one attempt`);
    // The unchanged task's dialer was handed to the new node with its calls: none had to be resolved as lost.
    assert.deepEqual(all.flatMap((m) => m.payload.attempts.filter((a) => a.outcome === 'lost')), []);
  });

  it("checks the editor's form as the runtime does at deploy: the rules that span fields and the callback URL, with the same sentences", async function () {
    const nodes = prepare('Notification campaign', () => undefined);
    await helper.load([...NODES, ...CORE_NODES], nodes, CREDS);
    const form = byType(nodes, 'callflow-campaign');
    const check = async (body: unknown): Promise<{ ok: boolean; problems?: string[] }> => (await helper.request().post('/callflow/campaigns/check').send(body).expect(200)).body as { ok: boolean; problems?: string[] };
    assert.deepEqual(await check(form), { ok: true });
    // As the form sends them: plain inputs as text.
    assert.deepEqual(await check({ ...form, priority: '3', intervalSec: '3', callsAtATime: '3', maxResponseSec: '20' }), { ok: true });
    assert.deepEqual(await check({ ...form, startAt: '2030-01-02T09:00', endAt: '2030-01-01T18:00' }), {
      ok: false,
      problems: ['startAt: the start (2030-01-02T09:00) is after the end (2030-01-01T18:00)'],
    });
    const hook = await check({ ...form, callbackUrl: 'http://127.0.0.1:9/hook', callbackAllowlist: [] });
    assert.equal(hook.ok, false);
    assert.deepEqual(hook.problems, ['callbackUrl: the callback allowlist is empty: add the host of the callback URL']);
    // The failure notice's templates and the questionnaire setting, as the form shows them under its tabs.
    assert.deepEqual(await check({ ...form, notifyText: 'Dear {name}, {custom.name} (}' }), {
      ok: false,
      problems: [
        'notifyText: unknown placeholder {name}: use {customerId}, {number}, {cause}, {result}, {attempts}, {campaign} or {custom.NAME} (a custom field: letters, digits, _ or -), and {{ }} for braces',
        'notifyText: a } at character 29 closes nothing (write }} for a brace)',
      ],
    });
    assert.deepEqual(await check({ ...form, questionnaire: 'manual-ivr', questions: '' }), { ok: false, problems: ['questions: the questionnaire setting manual-ivr needs a questionnaire (a callflow-questions node)'] });
    const bad = await helper.request().post('/callflow/campaigns/check').send([form]).expect(400);
    assert.match((bad.body as { message: string }).message, /the body must be a JSON object/);
  });
});
