/**
 * The recordings of recorded calls (nodes/admin/call-recordings.ts) in a real Node-RED with users: both routes need
 * callflow.read, as the calls of a version do; a user without it, or nobody logged in, is refused before anything is
 * looked up, and a user with it reaches the route (which says why it has nothing to give: nothing is deployed).
 */
import assert from 'node:assert/strict';
import { editorToken, startEditor, type EditorHandle } from '../support/browser';

// Node-RED's own bcrypt, for the users' password hashes in settings.js.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bcrypt = require(require.resolve('bcryptjs', { paths: [require.resolve('node-red')] })) as { hashSync(text: string, rounds: number): string };

const USERS = { reader: { password: 'reader-pass', scope: 'callflow.read' }, other: { password: 'other-pass', scope: 'flows.read' } };
const ROUTES = ['/callflow/releases/r1/flows/main/versions/v1/calls/1.1/recording', '/callflow/campaigns/task/attempts/c1/1/recording'];

describe('the recordings of calls in a real Node-RED with users', function () {
  this.timeout(90_000);
  let editor: EditorHandle | undefined;

  before(async function () {
    editor = await startEditor({
      flows: [{ id: 'tab', type: 'tab', label: 'empty' }],
      settings: {
        adminAuth: {
          type: 'credentials',
          users: [
            { username: 'reader', password: bcrypt.hashSync(USERS.reader.password, 8), permissions: USERS.reader.scope },
            { username: 'other', password: bcrypt.hashSync(USERS.other.password, 8), permissions: USERS.other.scope },
          ],
        },
      },
    });
  });
  after(async function () {
    await editor?.stop();
  });

  function login(user: keyof typeof USERS): Promise<string> {
    return editorToken(editor?.url ?? '', user, USERS[user].password, USERS[user].scope);
  }

  async function get(url: string, token?: string): Promise<{ status: number; text: string }> {
    const res = await fetch(`${editor?.url}${url}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, text: await res.text() };
  }

  it('refuses nobody logged in and a user without callflow.read; lets a user with it through', async function () {
    const other = await login('other');
    const reader = await login('reader');
    for (const route of ROUTES) {
      assert.equal((await get(route)).status, 401, `${route}: nobody`);
      assert.equal((await get(route, other)).status, 401, `${route}: a user without callflow.read`);
      const allowed = await get(route, reader);
      assert.equal(allowed.status, 404, `${route}: ${allowed.text}`);
      assert.match((JSON.parse(allowed.text) as { message: string }).message, /no release set|not deployed|no deployed campaign/);
    }
  });
});
