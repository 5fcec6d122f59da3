/**
 * The Swagger documents the simulator publishes (/ari/api-docs/*.json) stay
 * byte for byte what test/sim/api-docs.snapshot.json holds: the route table is
 * cut into one file per ARI resource, and a move between files must not change
 * a path, a parameter, an error code or the order of operations. A deliberate
 * change to the routes regenerates the snapshot with
 * CALLFLOW_UPDATE_SNAPSHOT=1 and shows up in review as a diff of that file.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startSimulator, type Simulator } from '../../lib/sim';

const snapshotFile = path.resolve(__dirname, '..', '..', '..', 'test', 'sim', 'api-docs.snapshot.json');

describe('simulator: published Swagger documents', function () {
  let sim: Simulator;

  before(async function () {
    sim = await startSimulator({ username: 'docs', password: 'read' });
  });

  after(async function () {
    await sim.close();
  });

  async function served(name: string): Promise<string> {
    const res = await fetch(`${sim.url}/ari/api-docs/${name}`, { headers: { Authorization: `Basic ${Buffer.from('docs:read').toString('base64')}` } });
    assert.equal(res.status, 200, `GET /ari/api-docs/${name}`);
    // The base path names the port this run listens on; the rest must not move.
    return (await res.text()).split(sim.url).join('http://SIMULATOR');
  }

  it('serves the resource listing and every resource document exactly as the snapshot', async function () {
    const listing = await served('resources.json');
    const names = (JSON.parse(listing) as { apis: { path: string }[] }).apis.map((a) => a.path.replace(/^\/api-docs\//, '').replace('{format}', 'json'));
    const now: Record<string, string> = { 'resources.json': listing };
    for (const name of names) now[name] = await served(name);
    if (process.env.CALLFLOW_UPDATE_SNAPSHOT === '1') {
      const pretty = Object.fromEntries(Object.entries(now).map(([k, v]) => [k, JSON.parse(v) as unknown]));
      fs.writeFileSync(snapshotFile, `${JSON.stringify(pretty, null, 2)}\n`);
    }
    const snapshot = JSON.parse(fs.readFileSync(snapshotFile, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(now), Object.keys(snapshot), 'the documents listed');
    for (const [name, text] of Object.entries(now)) {
      assert.equal(text, JSON.stringify(snapshot[name]), `${name} differs from test/sim/api-docs.snapshot.json (CALLFLOW_UPDATE_SNAPSHOT=1 regenerates it)`);
    }
  });
});
