/**
 * The layering rules of docs/architecture.md, checked on the sources:
 * lib/ imports nothing from Node-RED or nodes/; call logic (lib/ivr,
 * lib/call, lib/routing) reaches Asterisk only through the telephony port,
 * never through ari-client, ws or another transport; only lib/store uses a
 * database driver.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(rel));
    else if (entry.name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

function imports(file: string): string[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"\n]*?from\s+['"]([^'"]+)['"]|require(?:\.resolve)?\(['"]([^'"]+)['"]\)|import\(['"]([^'"]+)['"]\)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

describe('architecture', function () {
  it('lib/ imports nothing from Node-RED and nothing from nodes/', function () {
    // The import scanner must see imports at all, or the rules below would pass vacuously.
    assert.ok(imports('lib/ari/connection.ts').includes('./rest'));
    assert.ok(imports('nodes/asterisk/asterisk.ts').includes('../../lib/schemas/asterisk'));
    for (const file of sources('lib')) {
      for (const spec of imports(file)) {
        assert.ok(!/^(node-red|@node-red\/)/.test(spec), `${file} imports ${spec}`);
        const resolved = spec.startsWith('.') ? path.normalize(path.join(path.dirname(file), spec)) : spec;
        assert.ok(!resolved.startsWith('nodes'), `${file} imports ${spec}`);
      }
    }
  });

  it('call logic reaches Asterisk only through the telephony port', function () {
    for (const file of [...sources('lib/ivr'), ...sources('lib/call'), ...sources('lib/routing')]) {
      for (const spec of imports(file)) {
        assert.ok(!/^(ari-client|swagger-client|ws|mongodb|better-sqlite3)$/.test(spec), `${file} imports ${spec}`);
        if (spec.startsWith('.')) {
          const resolved = path.normalize(path.join(path.dirname(file), spec));
          assert.ok(!/^lib\/(ari\/(rest|events-socket)|sim)/.test(resolved), `${file} imports ${spec}`);
        }
      }
    }
  });

  it('nodes/ reach the ARI client only through lib/', function () {
    for (const file of sources('nodes')) {
      for (const spec of imports(file)) assert.ok(!/^(ari-client|swagger-client|ws)$/.test(spec), `${file} imports ${spec}`);
    }
  });

  it('only lib/store talks to a database driver', function () {
    assert.ok(imports('lib/store/embedded.ts').includes('better-sqlite3'));
    for (const file of [...sources('lib'), ...sources('nodes')]) {
      if (file.startsWith(path.join('lib', 'store'))) continue;
      for (const spec of imports(file)) assert.ok(!/^(mongodb|better-sqlite3)$/.test(spec), `${file} imports ${spec}`);
    }
  });
});
