/**
 * The flow-test command and its mocha helper (docs/releases.md, "Flow test") on the examples' test cases, each
 * in a child process as CI runs them: a Node-RED of that process with no Asterisk connection, the report of each
 * case, exit 0 when all passed, 1 when one failed (examples/tests/ivr-menu-fails-on-purpose.json, on purpose), 2
 * for a file it cannot use.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { useTempDir } from '../support/temp-dir';

const root = path.resolve(__dirname, '..', '..', '..');
const cli = path.join(root, 'dist', 'nodes', 'flow-test', 'cli.js');
const examples = path.join(root, 'examples');
const cases = (...names: string[]): string[] => names.map((n) => path.join(examples, 'tests', n));

function run(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file, ...args], { cwd: root, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('callflow-flow-test (the flow-test command)', function () {
  this.timeout(150_000);
  const temp = useTempDir('callflow-flow-test-cli-');

  it("passes the examples' cases: exit 0, a PASS and the path of each", async function () {
    const menu = await run(cli, [path.join(examples, 'IVR menu.json'), ...cases('ivr-menu-balance.json', 'ivr-menu-priority-voicemail.json', 'ivr-menu-operator-hangs-up.json')]);
    assert.equal(menu.code, 0, menu.stdout + menu.stderr);
    assert.match(menu.stdout, /^PASS IVR menu: a card that is not a priority customer's hears its balance/m);
    assert.match(menu.stdout, /^ {4}6\. set "account for the CDR" \(1f7a2c3e4d5b0020\) -> set, output 1$/m);
    assert.match(menu.stdout, /\n3 passed, 0 failed\n$/);
    const gray = await run(cli, [path.join(examples, 'Gray release.json'), ...cases('gray-release-official.json', 'gray-release-gray.json')]);
    assert.equal(gray.code, 0, gray.stdout + gray.stderr);
    assert.match(gray.stdout, /flow support v1,[\s\S]*flow support v2,/);
  });

  it('fails the case that fails on purpose: exit 1, each step that differs, expected and got, the node by name and id', async function () {
    const r = await run(cli, [path.join(examples, 'IVR menu.json'), ...cases('ivr-menu-fails-on-purpose.json')]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const differs = r.stdout.slice(r.stdout.indexOf('  differs at'));
    assert.equal(
      differs,
      [
        '  differs at step 7:',
        '    expected: "say the balance"',
        '    got:      transfer "to an agent" (1f7a2c3e4d5b000c), result "connected", outcome "connected", output 1',
        '  differs at step 8:',
        '    expected: "goodbye"',
        '    got:      (the call went no further)',
        '  differs at step 9:',
        '    expected: "1f7a2c3e4d5b000b"',
        '    got:      (the call went no further)',
        '  differs at outcome:',
        '    expected: flow',
        '    got:      transferred at transfer "to an agent" (1f7a2c3e4d5b000c): transfer "to an agent" (1f7a2c3e4d5b000c) handed the call over (connected)',
        '  differs at variable "balance":',
        '    expected: 345',
        '    got:      (not set)',
        '',
        '0 passed, 1 failed',
        '',
      ].join('\n'),
    );
  });

  it('refuses a file it cannot use with exit 2, naming the file and what is wrong', async function () {
    const dir = temp.path;
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ flow: 'ivr-menu', results: [{ node: 'main menu' }] }));
    let r = await run(cli, [path.join(examples, 'IVR menu.json'), bad]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `callflow-flow-test: ${bad}: not a flow test case: results.0.result: is required\n`);
    fs.writeFileSync(bad, '{ not json');
    r = await run(cli, [path.join(examples, 'IVR menu.json'), bad]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.json: the test case is not JSON/);
    // A huge file is not read whole.
    fs.writeFileSync(bad, `{"flow":"ivr-menu","name":"${'x'.repeat(1_100_000)}"}`);
    r = await run(cli, [path.join(examples, 'IVR menu.json'), bad]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `callflow-flow-test: ${bad}: the test case has 1100029 bytes, more than the 1000000 a test case may have\n`);
    r = await run(cli, [path.join(examples, 'IVR menu.json')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^usage: callflow-flow-test/);
  });

  it('runs the cases as mocha tests through the helper, the failing one failing with its report', async function () {
    const mocha = path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
    const r = await run(mocha, ['--no-config', '--reporter', 'spec', path.join(root, 'dist', 'test', 'support', 'flow-test-helper.spec.js')]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /1 passing/);
    assert.match(r.stdout, /1 failing/);
    assert.match(r.stdout, /FAIL IVR menu: FAILS ON PURPOSE[\s\S]*differs at step 7:/);
  });
});
