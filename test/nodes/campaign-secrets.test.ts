/**
 * A campaign's callback secrets in Node-RED: kept in the campaign node's
 * credentials, put on each callback request (the Authorization header, the
 * secret parameters), and found nowhere else: not in the log, the task
 * document in the store, a template export or an error. A flow saved with
 * a secret in its callback URL keeps working, with a warning naming the
 * field (log and the dialer's status), and the store loses the secret. The
 * editor's live check flags such a URL and proposes the move.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import path from 'node:path';
import { rankOf } from '../../lib/campaign/order';
import { checkCampaign } from '../../lib/schemas/campaign';
import { EmbeddedStore } from '../../lib/store/embedded';
import { findCampaign } from '../../nodes/deployed/campaigns';
import { useAppServer } from '../support/app-server';
import { CREDS, useSimulator } from '../support/ivr';
import { NODES, helper, loggedText, node, useNodeRed, waitForStatus } from '../support/node-red';
import { useTempDir } from '../support/temp-dir';

const NUMBER = '+8613800000001';
const CAMPAIGN = 'task';

interface Hit {
  url: string;
  authorization: string | undefined;
  event: string;
}

describe('campaign callback secrets in Node-RED', function () {
  this.timeout(30_000);
  useNodeRed();
  const simulator = useSimulator(100);
  const temp = useTempDir('callflow-secrets-');
  const app = useAppServer();

  beforeEach(function () {
    simulator().setNumber(NUMBER, { outcome: 'answer', ringMs: 200 });
  });

  /** Resolves once the callback server has had `count` requests. */
  async function callbacks(count: number): Promise<Hit[]> {
    return (await app.arrivals(count)).map((r) => ({ url: r.url, authorization: r.headers.authorization, event: (JSON.parse(r.body || '{}') as { event?: string }).event ?? '' }));
  }

  const storeFile = (): string => path.join(temp.path, 'callflow.db');

  function campaignNode(callbackUrl: string): Record<string, unknown> {
    return {
      id: CAMPAIGN,
      type: 'callflow-campaign',
      name: 'secrets',
      connection: 'a1',
      store: 's1',
      callerNumbers: ['+861058000000'],
      callbackUrl,
      callbackAllowlist: ['127.0.0.1'],
      timezone: 'UTC',
      hours: { regular: [{ start: '00:00', end: '23:59' }], special: [], allocated: [] },
      intervalSec: 1,
      callsAtATime: 1,
      maxResponseSec: 10,
    };
  }

  function flow(callbackUrl: string): object[] {
    return [
      { id: 'tab', type: 'tab', label: 'secrets' },
      { id: 'a1', type: 'callflow-asterisk', url: simulator().url, app: 'callflow', useSimulator: false, idleTimeoutSec: 60 },
      { id: 's1', type: 'callflow-store', backend: 'embedded', file: storeFile(), durability: 'full' },
      campaignNode(callbackUrl),
      { id: 'ct', type: 'callflow-contacts', z: 'tab', campaign: CAMPAIGN, x: 100, y: 100, wires: [['loaded'], []] },
      { id: 'loaded', type: 'helper', z: 'tab', x: 200, y: 100 },
      { id: 'dl', type: 'callflow-dialer', z: 'tab', campaign: CAMPAIGN, x: 100, y: 200, wires: [['an'], [], ['finished']] },
      { id: 'an', type: 'callflow-answer', z: 'tab', onError: 'hangup', x: 200, y: 200, wires: [['hu']] },
      { id: 'hu', type: 'callflow-hangup', z: 'tab', reason: 'normal', x: 300, y: 200, wires: [] },
      { id: 'finished', type: 'helper', z: 'tab', x: 200, y: 300 },
    ];
  }

  /** The task document in the store, as JSON text. */
  async function storedDocument(): Promise<string> {
    const store = await findCampaign(CAMPAIGN)?.store();
    assert.ok(store);
    return JSON.stringify(await store.getDocument('campaign', CAMPAIGN));
  }

  async function template(): Promise<string> {
    return JSON.stringify((await helper.request().get(`/callflow/campaigns/${CAMPAIGN}/template`).expect(200)).body);
  }

  it('sends the credentials on every callback (Authorization header, secret parameters) and shows them nowhere else', async function () {
    await helper.load(NODES, flow(`${app.url('/hook')}?campaign=7`), {
      ...CREDS,
      [CAMPAIGN]: { callbackAuthorization: 'Bearer CRED-AUTH-SECRET', callbackQuery: 'sig=CRED-QUERY-SECRET' },
    });
    await waitForStatus(node('dl'), (s) => /^draft/.test(s.text ?? ''), 10_000);
    const loaded = once(node('loaded'), 'input');
    node('ct').receive({ payload: [{ customerId: 'c1', number: NUMBER }] });
    await loaded;
    node('dl').receive({ topic: 'start' });
    const arrived = await callbacks(2);
    assert.deepEqual(
      arrived.map((h) => [h.event, h.url, h.authorization]),
      [
        ['connect', '/hook?campaign=7&sig=CRED-QUERY-SECRET', 'Bearer CRED-AUTH-SECRET'],
        ['release', '/hook?campaign=7&sig=CRED-QUERY-SECRET', 'Bearer CRED-AUTH-SECRET'],
      ],
    );
    const doc = await storedDocument();
    assert.match(doc, /"callbackUrl":"http:\/\/127\.0\.0\.1:\d+\/hook\?campaign=7"/, 'the started task stored its settings');
    for (const [where, text] of [['log', loggedText()], ['store', doc], ['template', await template()]]) {
      assert.ok(!/CRED-AUTH-SECRET|CRED-QUERY-SECRET/.test(text ?? ''), `no secret in the ${where}`);
    }
    assert.doesNotMatch(loggedText(), /holds a secret/);
  });

  it('keeps an old flow with the secret in its callback URL working: a warning names the field, the store and templates lose the secret', async function () {
    const legacyUrl = `http://bob:URL-PASS-SECRET@127.0.0.1:${app.port}/hook?campaign=7&token=URL-TOKEN-SECRET`;
    // The task as an earlier version left it: suspended, its settings (with the secret URL) stored, a contact to call.
    const before = checkCampaign(campaignNode(legacyUrl));
    assert.ok(before.ok);
    const store = new EmbeddedStore({ file: storeFile() });
    await store.open();
    await store.importContacts(CAMPAIGN, [{ customerId: 'c1', numbers: [{ number: NUMBER }], rank: rankOf({ numbers: [{ number: NUMBER }] }, { by: 'none', attrs: [] }) }], Date.now());
    await store.putDocument('campaign', CAMPAIGN, { state: 'suspended', changedAt: Date.now(), reason: 'suspend by test', name: 'secrets', settings: before.value, counters: { dialed: 0, answered: 0, failed: 0, finished: 0 } }, 0, Date.now());
    await store.close();

    await helper.load(NODES, flow(legacyUrl), { ...CREDS, [CAMPAIGN]: { callbackQuery: 'sig=CRED-QUERY-SECRET' } });
    const status = await waitForStatus(node('dl'), (s) => /^suspended/.test(s.text ?? ''), 10_000);
    assert.match(status.text ?? '', /⚠ callbackUrl holds a secret/);
    assert.match(loggedText(), /callbackUrl holds a secret \(user:password, query parameter \\"token\\"\): the callback still sends it/);
    const doc = await storedDocument();
    assert.match(doc, /"callbackUrl":"http:\/\/127\.0\.0\.1:\d+\/hook\?campaign=7"/, 'the stored settings lost the secret');

    node('dl').receive({ topic: 'resume' });
    const arrived = await callbacks(2);
    const basic = `Basic ${Buffer.from('bob:URL-PASS-SECRET').toString('base64')}`;
    assert.deepEqual(
      arrived.map((h) => [h.event, h.url, h.authorization]),
      [
        ['connect', '/hook?campaign=7&sig=CRED-QUERY-SECRET&token=URL-TOKEN-SECRET', basic],
        ['release', '/hook?campaign=7&sig=CRED-QUERY-SECRET&token=URL-TOKEN-SECRET', basic],
      ],
    );
    for (const [where, text] of [['log', loggedText()], ['store', await storedDocument()], ['template', await template()]]) {
      assert.ok(!/URL-PASS-SECRET|URL-TOKEN-SECRET|CRED-QUERY-SECRET/.test(text ?? ''), `no secret in the ${where}`);
    }
  });

  it('refuses credentials that would break the request at deploy, naming the field and not the value', async function () {
    await helper.load(NODES, flow(app.url('/hook')), { ...CREDS, [CAMPAIGN]: { callbackAuthorization: 'Bearer BAD-SECRET\r\nX-Injected: 1' } });
    await waitForStatus(node('dl'), (s) => s.text === 'callflow.status.invalid-config');
    assert.match(loggedText(), /callbackAuthorization: the Authorization value must be one line/);
    assert.ok(!loggedText().includes('BAD-SECRET'));
  });

  it("flags a secret in the callback URL in the editor's live check, proposes the move, and masks secrets in problems", async function () {
    await helper.load(NODES, flow(app.url('/hook')), CREDS);
    const form = campaignNode(`https://bob:URL-PASS-SECRET@127.0.0.1/hook?campaign=7&api_key=URL-KEY-SECRET`);
    const check = async (body: unknown): Promise<Record<string, unknown>> => (await helper.request().post('/callflow/campaigns/check').send(body).expect(200)).body as Record<string, unknown>;
    const flagged = await check(form);
    assert.deepEqual(flagged, {
      ok: true,
      secretInUrl: {
        parts: ['user:password', 'query parameter "api_key"'],
        move: { callbackUrl: 'https://127.0.0.1/hook?campaign=7', callbackAuthorization: `Basic ${Buffer.from('bob:URL-PASS-SECRET').toString('base64')}`, callbackQuery: 'api_key=URL-KEY-SECRET' },
      },
    });
    assert.deepEqual(await check({ ...form, callbackUrl: 'https://127.0.0.1/hook?campaign=7' }), { ok: true });
    // The secret fields typed in the form are checked as at deploy, without showing them.
    const bad = await check({ ...form, callbackUrl: 'https://127.0.0.1/hook', credentials: { callbackQuery: 'BAD SECRET' } });
    assert.equal(bad.ok, false);
    assert.deepEqual((bad.problems as string[]).map((p) => p.replace(/ \(.*$/, '')), ['callbackQuery: query parameters as name=value&name=value, URL-encoded']);
    assert.ok(!JSON.stringify(bad).includes('BAD SECRET'));
    // A URL the schema refuses is quoted in the problem: with its secrets masked.
    const refused = await check({ ...form, callbackUrl: 'https://127.0.0.1/a b?token=URL-TOKEN-SECRET' });
    assert.equal(refused.ok, false);
    assert.ok(!JSON.stringify(refused.problems).includes('URL-TOKEN-SECRET'), JSON.stringify(refused.problems));
    assert.ok(!loggedText().includes('URL-KEY-SECRET') && !loggedText().includes('URL-PASS-SECRET'));
  });
});
