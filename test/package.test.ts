/**
 * The published package passes the Node-RED Flow Library's checks
 * (node-red-dev validate: P01-P07, N01-N02, D01-D02) that can be made
 * without the network, and has the shape Node-RED needs.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  name: string;
  license: string;
  repository?: { url: string };
  keywords: string[];
  engines: { node: string };
  files: string[];
  dependencies: Record<string, string>;
  'node-red': { version: string; nodes: Record<string, string>; plugins?: Record<string, string> };
};

function lowestNode(range: string): [number, number, number] {
  const m = /^>=\s*(\d+)\.(\d+)\.(\d+)$/.exec(range.trim());
  assert.ok(m, `engines.node should be a single ">=x.y.z" lower bound, got ${range}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

describe('the package, as the Node-RED Flow Library checks it', function () {
  it('has a license (Apache-2.0), a repository, the node-red keyword and a valid name (P01, P03, P04, P05)', function () {
    assert.equal(pkg.license, 'Apache-2.0');
    assert.match(pkg.repository?.url ?? '', /github\.com/);
    assert.ok(pkg.keywords.includes('node-red'));
    assert.match(pkg.name, /^node-red-contrib-[a-z0-9-]+$/);
    assert.ok(fs.existsSync(path.join(root, 'LICENSE')));
  });

  it('declares Node-RED >=4.0.0 with no upper bound (runs on 4.x, does not block 5.x) (P06)', function () {
    assert.equal(pkg['node-red'].version, '>=4.0.0');
  });

  it('declares a minimum Node.js that Node-RED 4 and 5 both satisfy (P07)', function () {
    // A single lower bound at or below Node 20 admits Node 20 (Node-RED 4 here) and Node 22.9+ (Node-RED 5's minimum).
    const [major] = lowestNode(pkg.engines.node);
    assert.ok(major <= 20, `engines.node ${pkg.engines.node} must admit Node 20`);
  });

  it('prefixes every node type with callflow- and maps each to a built file under dist/nodes (N01)', function () {
    for (const [type, file] of Object.entries(pkg['node-red'].nodes)) {
      assert.match(type, /^callflow-[a-z-]+$/);
      assert.match(file, /^dist\/nodes\/([a-z-]+)\/\1\.js$/);
      assert.ok(fs.existsSync(path.join(root, file)), `${file} is not built`);
      assert.ok(fs.existsSync(path.join(root, file.replace(/\.js$/, '.html'))), `${file}: no .html beside it`);
    }
  });

  it('has a node folder for every type, and no node folder left out of the map', function () {
    const mapped = new Set([...Object.values(pkg['node-red'].nodes), ...Object.values(pkg['node-red'].plugins ?? {})].map((f) => path.basename(path.dirname(f))));
    const folders = fs.readdirSync(path.join(root, 'nodes')).filter((d) => fs.existsSync(path.join(root, 'nodes', d, `${d}.html`)));
    assert.deepEqual([...folders].sort(), [...mapped].sort());
  });

  it('keeps category, color, icon, inputs, outputs and defaults inline in every editor definition', function () {
    for (const [type, file] of Object.entries(pkg['node-red'].nodes)) {
      const html = fs.readFileSync(path.join(root, file.replace(/\.js$/, '.html')), 'utf8');
      const def = new RegExp(`registerType\\("${type}", \\{([\\s\\S]*?)\\n\\s*\\}\\);`).exec(html)?.[1] ?? '';
      assert.ok(def, `${type}: registerType not found`);
      assert.match(def, /\n\s*category: "[^"]+",/, `${type}: category`);
      assert.match(def, /\n\s*icon: "[^"]+\.svg",/, `${type}: icon`);
      assert.match(def, /\n\s*defaults: \{/, `${type}: defaults`);
      if (!/category: "config"/.test(def)) {
        assert.match(def, /\n\s*color: "#[0-9A-Fa-f]{6}",/, `${type}: color`);
        assert.match(def, /\n\s*inputs: \d,/, `${type}: inputs`);
        assert.match(def, /\n\s*outputs: \d,/, `${type}: outputs`);
        assert.match(def, /\n\s*category: "callflow",/, `${type}: palette category`);
      }
    }
  });

  it('has an example that uses every node that is not a config node (N02)', function () {
    const used = new Set<string>();
    for (const file of fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.json'))) {
      for (const n of JSON.parse(fs.readFileSync(path.join(root, 'examples', file), 'utf8')) as { type: string }[]) used.add(n.type);
    }
    for (const [type, js] of Object.entries(pkg['node-red'].nodes)) {
      // A config node (its editor template says category "config") is used through the nodes that point at it.
      const html = fs.readFileSync(path.join(root, js.replace(/^dist\//, '').replace(/\.js$/, '.html')), 'utf8');
      if (/category:\s*"config"/.test(html)) continue;
      assert.ok(used.has(type), `no example uses ${type}`);
    }
  });

  it('gives every node of an example its own id, and config nodes shared between examples the same settings', function () {
    const shared = new Map<string, string>();
    for (const file of fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.json'))) {
      const nodes = JSON.parse(fs.readFileSync(path.join(root, 'examples', file), 'utf8')) as { id: string; type: string; z?: string }[];
      const ids = nodes.map((n) => n.id);
      assert.deepEqual(
        ids.filter((id, i) => ids.indexOf(id) !== i),
        [],
        `${file}: ids used twice (npm start combines the examples and keeps one node per id)`,
      );
      for (const n of nodes) {
        if (n.z !== undefined || n.type === 'tab') continue;
        const before = shared.get(n.id);
        assert.ok(before === undefined || before === JSON.stringify(n), `${file}: config node ${n.id} differs from the one with that id in another example`);
        shared.set(n.id, JSON.stringify(n));
      }
    }
  });

  // ajv, ari-client, better-sqlite3, mongodb, re2js (linear-time patterns), saxes (HTTP IVR's XML), ws.
  it('has at most 7 dependencies, none pulling in agent-base < 6 (D01, D02)', function () {
    assert.ok(Object.keys(pkg.dependencies).length <= 7, `${Object.keys(pkg.dependencies).length} dependencies`);
    const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string; dev?: boolean }> };
    for (const [where, entry] of Object.entries(lock.packages)) {
      if (!where.endsWith('node_modules/agent-base') || entry.dev) continue;
      assert.ok(Number(entry.version.split('.')[0]) >= 6, `${where} ${entry.version}`);
    }
  });

  it('publishes the built nodes, the engine, the examples and the docs', function () {
    for (const entry of ['dist/lib', 'dist/nodes', 'examples', 'docs', 'README.md', 'LICENSE']) assert.ok(pkg.files.includes(entry), entry);
  });
});
