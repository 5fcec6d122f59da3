/**
 * A campaign's callback secret in a real Node-RED with users: it is a
 * credential, so flows.json on disk, GET /flows and GET /credentials never
 * carry it, for a read-only user or an administrator, before and after an
 * administrator deploys a new one from the editor. (The secret reaching the
 * receiver is tested in test/nodes/campaign-secrets.test.ts.)
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { editorToken, startEditor, type EditorHandle } from '../support/browser';

// Node-RED's own bcrypt, for the users' password hashes in settings.js.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bcrypt = require(require.resolve('bcryptjs', { paths: [require.resolve('node-red')] })) as { hashSync(text: string, rounds: number): string };

const USERS = { admin: 'admin-pass', viewer: 'viewer-pass' };
const SECRETS = ['CRED-AUTH-SECRET', 'CRED-QUERY-SECRET', 'NEW-QUERY-SECRET'];

function flows(): Record<string, unknown>[] {
  return [
    { id: 'tab', type: 'tab', label: 'campaign' },
    { id: 'ast', type: 'callflow-asterisk', name: 'sim', useSimulator: true, url: '', app: 'callflow', idleTimeoutSec: 60 },
    { id: 'store', type: 'callflow-store', name: 'store', backend: 'embedded', file: 'callflow.db', durability: 'full' },
    {
      id: 'task',
      type: 'callflow-campaign',
      name: 'renewals',
      connection: 'ast',
      store: 'store',
      callerNumbers: ['+861058000000'],
      callbackUrl: 'https://crm.example.com/hooks/callflow?campaign=renewals',
      callbackAllowlist: ['crm.example.com'],
      timezone: 'UTC',
    },
    { id: 'dl', type: 'callflow-dialer', z: 'tab', campaign: 'task', x: 100, y: 100, wires: [[], [], []] },
  ];
}

describe('campaign callback secrets in a real Node-RED with users', function () {
  this.timeout(90_000);
  let editor: EditorHandle | undefined;

  before(async function () {
    editor = await startEditor({
      flows: flows(),
      credentials: { ast: {}, task: { callbackAuthorization: 'Bearer CRED-AUTH-SECRET', callbackQuery: 'sig=CRED-QUERY-SECRET' } },
      settings: {
        adminAuth: {
          type: 'credentials',
          users: [
            { username: 'admin', password: bcrypt.hashSync(USERS.admin, 8), permissions: '*' },
            { username: 'viewer', password: bcrypt.hashSync(USERS.viewer, 8), permissions: 'read' },
          ],
        },
      },
    });
  });
  after(async function () {
    await editor?.stop();
  });

  function login(user: keyof typeof USERS): Promise<string> {
    return editorToken(editor?.url ?? '', user, USERS[user], user === 'admin' ? '*' : 'read');
  }

  async function get(token: string, url: string): Promise<{ status: number; text: string }> {
    const res = await fetch(`${editor?.url}${url}`, { headers: { authorization: `Bearer ${token}`, 'node-red-api-version': 'v2' } });
    return { status: res.status, text: await res.text() };
  }

  function onDisk(): string {
    return fs.readFileSync(path.join(editor?.dir ?? '', 'flows.json'), 'utf8');
  }

  const noSecret = (text: string, where: string): void => {
    for (const s of SECRETS) assert.ok(!text.includes(s), `${s} in ${where}`);
  };

  it('serves flows and credentials without the secret, to a read-only user and to an administrator', async function () {
    for (const user of ['viewer', 'admin'] as const) {
      const token = await login(user);
      const served = await get(token, '/flows');
      assert.equal(served.status, 200);
      assert.match(served.text, /"callbackUrl":"https:\/\/crm\.example\.com\/hooks\/callflow\?campaign=renewals"/);
      noSecret(served.text, `GET /flows as ${user}`);
      // What the editor asks when the campaign dialog opens: whether each secret is set, never its value.
      const creds = await get(token, '/credentials/callflow-campaign/task');
      assert.equal(creds.status, 200);
      assert.deepEqual(JSON.parse(creds.text), { has_callbackAuthorization: true, has_callbackQuery: true });
    }
    noSecret(onDisk(), 'flows.json');
  });

  it('keeps a secret the administrator deploys from the editor out of flows.json and GET /flows', async function () {
    const admin = await login('admin');
    const current = JSON.parse((await get(admin, '/flows')).text) as { flows: Record<string, unknown>[]; rev: string };
    // As the editor sends a changed credential: inside the node, in `credentials`.
    const next = current.flows.map((n) => (n.id === 'task' ? { ...n, credentials: { callbackQuery: 'sig=NEW-QUERY-SECRET' } } : n));
    const deployed = await fetch(`${editor?.url}/flows`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json', 'node-red-api-version': 'v2', 'node-red-deployment-type': 'full' },
      body: JSON.stringify({ flows: next, rev: current.rev }),
    });
    assert.equal(deployed.status, 200, await deployed.text());
    const credentialsFile = fs.readFileSync(path.join(editor?.dir ?? '', 'flows_cred.json'), 'utf8');
    assert.ok(credentialsFile.includes('NEW-QUERY-SECRET'), 'the new secret is kept with the credentials');
    noSecret(onDisk(), 'flows.json');
    const viewer = await login('viewer');
    noSecret((await get(viewer, '/flows')).text, 'GET /flows as viewer');
    noSecret((await get(viewer, '/credentials/callflow-campaign/task')).text, 'GET /credentials as viewer');
    noSecret(editor?.logs().join('\n') ?? '', "Node-RED's log");
  });
});
