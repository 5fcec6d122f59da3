/**
 * The name a Node-RED instance marks its channels with (CALLFLOW_INSTANCE):
 * the same after a restart on the same user directory, another on another
 * user directory, and per connection.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { INSTANCE_FILE, dialerWorker, instanceId, nodeRedId } from '../../nodes/deployed/instance';
import { useTempDir } from '../support/temp-dir';

describe('instance mark', function () {
  const temp = useTempDir('callflow-mark-');
  const dir = (): string => temp.another();

  it('keeps a random id in the user directory: read back after a restart, another for another user directory', function () {
    const one = dir();
    const id = nodeRedId(one);
    assert.equal(fs.readFileSync(path.join(one, INSTANCE_FILE), 'utf8').trim(), id);
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.notEqual(nodeRedId(dir()), id);
    // A restart (a fresh process: nothing cached) reads the file back.
    const restarted = dir();
    fs.writeFileSync(path.join(restarted, INSTANCE_FILE), `${id}\n`);
    assert.equal(nodeRedId(restarted), id);
    assert.equal(instanceId(restarted, 'ast1'), instanceId(one, 'ast1'));
  });

  it('differs per connection; a file that holds no id is left alone and the id derived', function () {
    const d = dir();
    assert.notEqual(instanceId(d, 'ast1'), instanceId(d, 'ast2'));
    assert.match(instanceId(d, 'ast1'), /^[0-9a-f]{24}$/);
    const bad = dir();
    fs.writeFileSync(path.join(bad, INSTANCE_FILE), '<script>\n');
    const id = nodeRedId(bad);
    assert.match(id, /^[0-9a-f]{32}$/, 'derived from the host and the directory, as the file could not be made');
    assert.equal(fs.readFileSync(path.join(bad, INSTANCE_FILE), 'utf8'), '<script>\n', 'the file is left as it was');
  });

  it("gives each Node-RED's dialer of a task its own worker id, the same after a restart", function () {
    const one = dir();
    const two = dir();
    const worker = dialerWorker(one, 'campaign1');
    assert.notEqual(dialerWorker(two, 'campaign1'), worker, 'two Node-REDs with the same flows: two workers, neither takes the leases of the other for its own');
    assert.notEqual(dialerWorker(one, 'campaign2'), worker, 'one per task');
    const restarted = dir();
    fs.writeFileSync(path.join(restarted, INSTANCE_FILE), `${nodeRedId(one)}\n`);
    assert.equal(dialerWorker(restarted, 'campaign1'), worker, 'a restart takes its own leases back');
    assert.ok(dialerWorker(one, 'x'.repeat(500)).length <= 128, 'a store id (at most 128 characters) whatever the node id');
  });

  it('without a user directory, derives the id and writes nothing', function () {
    const before = fs.existsSync(path.join(process.cwd(), INSTANCE_FILE));
    assert.match(nodeRedId(undefined), /^[0-9a-f]{32}$/);
    assert.equal(fs.existsSync(path.join(process.cwd(), INSTANCE_FILE)), before);
  });
});
