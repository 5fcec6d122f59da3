/**
 * What the README promises a newcomer agrees with what the package declares:
 * the Node.js version it asks for is the one npm enforces (package.json
 * `engines.node`).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

describe('the README', function () {
  it('asks for the Node.js version package.json engines.node declares', function () {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
    const lowest = /^>=\s*(\d+\.\d+\.\d+)$/.exec(pkg.engines.node.trim())?.[1];
    assert.ok(lowest, `engines.node should be a single ">=x.y.z" lower bound, got ${pkg.engines.node}`);
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const stated = [...readme.matchAll(/Node\.js (\d+(?:\.\d+){0,2})(?: or later|\+)/g)].map((m) => m[1]);
    assert.ok(stated.length > 0, 'the README states no Node.js requirement ("Node.js x.y.z or later")');
    for (const version of stated) assert.equal(version, lowest, `the README asks for Node.js ${version ?? ''} or later; package.json engines.node is ${pkg.engines.node}`);
  });
});
