/**
 * callflow-store in Node-RED: opens the embedded store in the user
 * directory, pushes its state to the nodes that use it and to the editor's
 * admin API, and turns every bad setting or unreachable database into a red
 * state, a log line and a retry, never a crash, never a logged secret.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import storeNode = require('../../nodes/store/store');
import type { StoreConfigNode } from '../../nodes/store/config';
import type { StoreStatus } from '../../lib/store/connection';
import { helper, loggedText, useNodeRed } from '../support/node-red';
import { SCHEMA_VERSIONS } from '../../lib/store/rules';
import { useTempDir } from '../support/temp-dir';

const NODES = [storeNode];
const SECRET = 'Mongo-S3cret-pw-93f1';

function storeFlow(settings: Record<string, unknown>): object[] {
  return [{ id: 's1', type: 'callflow-store', name: 'campaign data', ...settings }];
}

function configNode(): StoreConfigNode {
  const n = helper.getNode('s1') as StoreConfigNode | null;
  if (!n) throw new Error('the store node was not deployed');
  return n;
}

/** Resolves with the first state of the store that matches. */
function stateOf(n: StoreConfigNode, wanted: StoreStatus['state']): Promise<StoreStatus> {
  const connection = n.connection;
  if (!connection) return Promise.reject(new Error('the node has no store connection'));
  return new Promise((resolve) => {
    const off = connection.onStatus((s) => {
      if (s.state !== wanted) return;
      queueMicrotask(() => off());
      resolve(s);
    });
  });
}

describe('callflow-store (config node)', function () {
  useNodeRed();
  const temp = useTempDir('callflow-store-node-');

  it('opens the embedded store in the Node-RED user directory and tells its users and the editor', async function () {
    helper.settings({ userDir: temp.path });
    try {
      await helper.load(NODES, storeFlow({ backend: 'embedded', file: 'data/callflow.db', durability: 'full' }));
      const n = configNode();
      const ready = await stateOf(n, 'connected');
      const file = path.join(temp.path, 'data', 'callflow.db');
      assert.equal(ready.message, `embedded file ${file}`);
      assert.ok(fs.existsSync(file));

      // A node that uses the store gets its state as its status.
      const statuses: unknown[] = [];
      const user = { status: (s: unknown) => statuses.push(s) };
      n.register(user as never);
      assert.deepEqual(statuses, [{ fill: 'green', shape: 'dot', text: 'callflow.status.store-connected' }]);

      const res = await helper.request().get('/callflow/stores');
      assert.equal(res.status, 200);
      const list = res.body as { id: string; backend: string; state: string; where: string }[];
      assert.deepEqual(
        list.map((s) => [s.id, s.backend, s.state, s.where]),
        [['s1', 'embedded', 'connected', `embedded file ${file}`]],
      );
      // The store works: a document written through it is in the file.
      const store = await n.connection?.ready();
      await store?.putDocument('campaign', 'c1', { state: 'draft', changedAt: 1000, reason: 'created', name: 'notify', counters: { dialed: 0, answered: 0, failed: 0, finished: 0 } }, 0, 1000);
      const db = new Database(file, { readonly: true });
      try {
        assert.equal(db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM documents WHERE kind = 'campaign'").get()?.n, 1);
      } finally {
        db.close();
      }
    } finally {
      helper.settings({});
    }
  });

  it('shows an unreachable MongoDB as a red state with a retry, and never logs the connection string or password', async function () {
    await helper.load(NODES, storeFlow({ backend: 'mongodb', database: 'callflow' }), {
      s1: { uri: `mongodb://callflow:${SECRET}@127.0.0.1:1/?serverSelectionTimeoutMS=200&connectTimeoutMS=200`, password: SECRET },
    });
    const n = configNode();
    const down = await stateOf(n, 'unreachable');
    assert.ok(down.retryAt !== undefined && down.retryAt > Date.now() - 1000, 'a retry is scheduled');
    assert.match(down.message, /MongoDB cannot be reached/);
    const statuses: { fill: string; text: string }[] = [];
    n.register({ status: (s: { fill: string; text: string }) => statuses.push(s) } as never);
    assert.deepEqual(statuses[0], { fill: 'red', shape: 'ring', text: 'callflow.status.store-unreachable' });
    // The log says where, without the secret; the flow's node holds no credential.
    const logged = loggedText();
    assert.match(logged, /mongodb:\/\/127\.0\.0\.1:1 database callflow/);
    assert.ok(!logged.includes(SECRET), 'the password is not in the log');
    const flows = JSON.stringify((helper as unknown as { _redNodes: { getFlows(): unknown } })._redNodes.getFlows());
    assert.ok(!flows.includes(SECRET), 'the flow configuration holds no credential');
    // The node closes at once although a retry is pending.
    await helper.unload();
    assert.equal(n.connection?.status.state, 'closed');
  });

  it('refuses bad settings with the field and the reason, and a MongoDB store without a connection string', async function () {
    await helper.load(NODES, [
      { id: 's1', type: 'callflow-store', backend: 'redis', file: 'x.db' },
      { id: 's2', type: 'callflow-store', backend: 'mongodb', database: 'a/b' },
      { id: 's3', type: 'callflow-store', backend: 'mongodb', database: 'callflow' },
    ]);
    const logged = loggedText();
    assert.match(logged, /invalid settings: backend: embedded or mongodb \(got \\"redis\\"\)/);
    assert.match(logged, /invalid settings: database: a MongoDB database name/);
    assert.match(logged, /invalid settings: connection string: a mongodb:\/\/ or mongodb\+srv:\/\/ URL is required/);
    for (const id of ['s1', 's2', 's3']) assert.equal((helper.getNode(id) as StoreConfigNode).connection, undefined, id);
  });

  it('refuses a database written by a newer version, saying which and why, and leaves it untouched', async function () {
    const file = path.join(temp.path, 'newer.db');
    const db = new Database(file);
    db.exec('CREATE TABLE meta (collection TEXT PRIMARY KEY, version INTEGER NOT NULL); INSERT INTO meta VALUES (\'contacts\', 99);');
    db.close();
    await helper.load(NODES, storeFlow({ backend: 'embedded', file }));
    const failed = await stateOf(configNode(), 'failed');
    assert.match(failed.message, new RegExp(`contacts data is at schema version 99.*this one knows version ${SCHEMA_VERSIONS.contacts}`));
    const after = new Database(file, { readonly: true });
    try {
      assert.equal(after.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'contacts'").get()?.n, 0);
    } finally {
      after.close();
    }
  });
});
