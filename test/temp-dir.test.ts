/**
 * test/support/temp-dir.ts: the folders a test makes with useTempDir are gone after it, passed or failed, and a
 * block's folder lasts the block. Checked on a mocha run of its own (a spec made here, run with the root hooks as
 * every run has them), since a failing test is what is tried.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { useTempDir } from './support/temp-dir';

const support = path.join(__dirname, 'support');
const mocha = require.resolve('mocha/bin/mocha.js');

/** A spec whose tests write down the folders they were given, then fail or pass. */
function spec(log: string): string {
  return `
const fs = require('node:fs');
const { useTempDir } = require(${JSON.stringify(path.join(support, 'temp-dir.js'))});
const note = (line) => fs.appendFileSync(${JSON.stringify(log)}, line + '\\n');
describe('folders', function () {
  const block = useTempDir('callflow-temp-dir-block-', 'suite');
  const own = useTempDir('callflow-temp-dir-test-');
  it('fails with two folders of its own', function () {
    note('block-seen ' + fs.existsSync(block.path) + ' ' + block.path);
    note('failed ' + own.path);
    note('failed ' + own.another());
    throw new Error('on purpose');
  });
  it('passes, the block folder still there and the failed test\\'s gone', function () {
    note('block-kept ' + fs.existsSync(block.path) + ' ' + block.path);
    note('passed ' + own.path);
  });
});
`;
}

describe('temporary folders of tests (test/support/temp-dir.ts)', function () {
  this.timeout(60_000);
  const temp = useTempDir('callflow-temp-dir-');

  it('removes the folders of a failed test and of a passed one, and the block folder after the block', async function () {
    const file = path.join(temp.path, 'folders.spec.js');
    const log = path.join(temp.path, 'log.txt');
    fs.writeFileSync(file, spec(log));
    const code = await new Promise<number>((resolve) => {
      execFile(process.execPath, [mocha, '--no-config', '--require', path.join(support, 'hooks.js'), file], { timeout: 50_000 }, (err) => resolve(err ? Number((err as { code?: number }).code ?? -1) : 0));
    });
    assert.equal(code, 1, 'the run has one failed test');
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' '));
    const of = (kind: string): string[][] => lines.filter((l) => l[0] === kind);
    assert.equal(of('failed').length, 2);
    assert.equal(of('passed').length, 1);
    assert.deepEqual(of('block-seen').map((l) => l[1]), ['true']);
    assert.deepEqual(of('block-kept').map((l) => l[1]), ['true']);
    assert.equal(of('block-kept')[0]?.[2], of('block-seen')[0]?.[2], 'one block folder for both tests');
    for (const line of lines) assert.equal(fs.existsSync(line[line.length - 1] as string), false, `${line.join(' ')} is removed`);
  });
});
